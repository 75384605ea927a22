//! Just enough JSON for what the page's first bundle reads and writes: the object the site puts in
//! a product link's `pdp_ext_f` parameter, and the lists the page keeps in the browser's storage
//! (recent checks, named channels). A whole text is checked to be one JSON document (RFC 8259, with
//! `serde_json`'s nesting limit and its refusal of numbers too large for a float), and strings are
//! written as `serde_json` writes them. Written out instead of taking a general decoder, which with
//! its number parsing and formatting weighs over 30 KB in the page's first bundle.

mod de;
pub use de::{from_slice, from_str, NotTheValue};

/// A JSON value; numbers are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Value>),
    /// Members in order, repeated keys kept ([`Value::get`] takes the last, as a map would).
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (the last one where the key is repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number written without sign, fraction or exponent that fits 64 bits unsigned.
    pub fn as_u64_text(&self) -> Option<&str> {
        match self {
            Value::Number(n)
                if n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<u64>().is_ok() =>
            {
                Some(n)
            }
            _ => None,
        }
    }

    /// A whole number written without fraction or exponent that fits 64 bits signed (`-0` is a
    /// float's negative zero, as `serde_json` reads it).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n != "-0" => n.parse().ok(),
            _ => None,
        }
    }
}

/// The JSON document `text`; `None` if it is not exactly one.
pub fn parse(text: &str) -> Option<Value> {
    let mut r = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    r.space();
    let value = r.value(MAX_DEPTH)?;
    r.space();
    (r.at == r.bytes.len()).then_some(value)
}

/// Appends `[a,b,...]` (no spaces, as `serde_json` writes a list), each item written by `write`.
pub fn write_list<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

/// Appends `s` as a JSON string literal, escaped as `serde_json` escapes it: quotes, backslashes
/// and control characters only.
pub fn write_text(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Containers may nest 127 deep, as in `serde_json` (a budget of 128, spent one a container,
/// refused when it reaches zero).
const MAX_DEPTH: u32 = 128;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.next()? == b).then_some(())
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::Text),
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'n' => self.word(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, word: &[u8], value: Value) -> Option<Value> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| {
            self.at = end;
            value
        })
    }

    fn object(&mut self, depth: u32) -> Option<Value> {
        let depth = depth.checked_sub(1).filter(|d| *d > 0)?;
        self.eat(b'{')?;
        self.space();
        let mut members = Vec::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(Value::Object(members));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.space();
            self.eat(b':')?;
            self.space();
            members.push((key, self.value(depth)?));
            self.space();
            match self.next()? {
                b',' => {}
                b'}' => return Some(Value::Object(members)),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<Value> {
        let depth = depth.checked_sub(1).filter(|d| *d > 0)?;
        self.eat(b'[')?;
        self.space();
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(Value::List(items));
        }
        loop {
            self.space();
            items.push(self.value(depth)?);
            self.space();
            match self.next()? {
                b',' => {}
                b']' => return Some(Value::List(items)),
                _ => return None,
            }
        }
    }

    /// A string, escapes decoded; `None` on a control character, a bad escape or a lone surrogate.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            // Whole UTF-8 sequences only: the stops are ASCII.
            out.push_str(std::str::from_utf8(&self.bytes[start..self.at]).ok()?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => out.push(self.escape()?),
                _ => return None,
            }
        }
    }

    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        self.eat(b'\\')?;
                        self.eat(b'u')?;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                    }
                    _ => char::from_u32(first)?,
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut n = 0;
        for d in digits {
            n = n * 16 + char::from(*d).to_digit(16)?;
        }
        self.at += 4;
        Some(n)
    }

    /// A number by JSON's grammar, kept as written; one too large for a 64-bit float is refused,
    /// as `serde_json` refuses it.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let whole_start = self.at;
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let whole_end = self.at;
        let mut fraction = &self.bytes[whole_end..whole_end];
        if self.peek() == Some(b'.') {
            self.at += 1;
            let from = self.at;
            self.one_digit()?;
            self.digits();
            fraction = &self.bytes[from..self.at];
        }
        let mut exponent: Option<i64> = None;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let sign = match self.peek() {
                Some(b'-') => -1,
                Some(b'+') => 1,
                _ => 0,
            };
            if sign != 0 {
                self.at += 1;
            }
            let from = self.at;
            self.one_digit()?;
            self.digits();
            let value = self.bytes[from..self.at]
                .iter()
                .fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
            exponent = Some(if sign < 0 { -value } else { value });
        }
        let whole = &self.bytes[whole_start..whole_end];
        if too_large(whole, fraction, exponent.unwrap_or(0)) {
            return None;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        Some(Value::Number(text.to_string()))
    }

    fn one_digit(&mut self) -> Option<()> {
        self.next().filter(u8::is_ascii_digit).map(|_| ())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }
}

/// Whether the number `whole.fraction` times ten to `exponent` rounds to infinity as a 64-bit
/// float: at or above the midpoint between the largest float and 2^1024 (a tie rounds to even,
/// which is 2^1024).
fn too_large(whole: &[u8], fraction: &[u8], exponent: i64) -> bool {
    /// The midpoint's digits, 2^1024 - 2^970, trailing zeros aside.
    const MIDPOINT: &[u8] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
    let digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let Some(first) = digits.iter().position(|d| *d != b'0') else {
        return false;
    };
    // The power of ten of the first significant digit.
    let magnitude = whole.len() as i64 - 1 - first as i64 + exponent;
    match magnitude {
        ..308 => false,
        308 => {
            let significant = &digits[first..];
            let end = significant
                .iter()
                .rposition(|d| *d != b'0')
                .map_or(0, |i| i + 1);
            &significant[..end] >= MIDPOINT
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests;
