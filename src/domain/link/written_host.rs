//! The host of a link as written, made ASCII before the URL parser sees it.
//!
//! The `url` crate maps a host written in other scripts through UTS 46 (IDNA), whose Unicode tables
//! (ICU4X's normalisation and property data, about 40 KB of the page's first download) Linksmith
//! does not ship: the lockfile pins `idna_adapter` 1.0, with which `url` refuses any non-ASCII host.
//! So a host is read here first, the same way in the browser and on the server:
//! - every character UTS 46 maps to ASCII is mapped as it would be (`ａｌｉｅｘｐｒｅｓｓ。com`,
//!   `aliexpreſs.com`, a soft hyphen dropped), from a table generated with ICU4X
//!   (`tools/idna-table`, checked against `tests/data/host-vectors.json`), packed in 4 KB;
//! - a label left with other characters (`аliexpress` in Cyrillic) is written in punycode
//!   (`xn--…`), as typed: no AliExpress site, and no network Linksmith knows, has such a label, so
//!   the host reads as what it is (not AliExpress, or a store's own sub-domain), whatever case or
//!   normal form its letters are in.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use super::{idna_ascii, params::find_byte};

/// Where the URL parser will find the host in `text` (already without tabs and line breaks, and
/// trimmed, as the parser reads it): after the scheme (for http, https, ws, wss and ftp, after any
/// run of `/` and `\`, as the URL standard reads them; for other schemes, after `//`), before the
/// path, query or fragment, without user information and port (a bracketed IPv6 address keeps its
/// brackets). Empty when there is no scheme or no authority.
pub(super) fn host_range(text: &str) -> std::ops::Range<usize> {
    let Some(colon) = text.bytes().position(|b| b == b':') else {
        return 0..0;
    };
    let scheme = &text[..colon];
    let valid_scheme = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return 0..0;
    }
    let special = matches!(scheme, "https" | "http")
        || ["http", "https", "ws", "wss", "ftp"]
            .iter()
            .any(|s| scheme.eq_ignore_ascii_case(s));
    let after = &text[colon + 1..];
    let start = if special {
        colon + 1 + (after.len() - after.trim_start_matches(['/', '\\']).len())
    } else if after.starts_with("//") {
        colon + 3
    } else {
        return 0..0;
    };
    let rest = &text[start..];
    // One pass over the authority, as bytes (every byte looked for is ASCII): where it ends, its
    // last `@` (the user information before it), and the last `:` after that (the port after it).
    let mut end = rest.len();
    let mut last_at = None;
    let mut last_colon = None;
    for (i, b) in rest.bytes().enumerate() {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'\\' if special => {
                end = i;
                break;
            }
            b'@' => {
                last_at = Some(i);
                last_colon = None;
            }
            b':' => last_colon = Some(i),
            _ => {}
        }
    }
    let host_start = last_at.map_or(0, |i| i + 1);
    let host = &rest.as_bytes()[host_start..end];
    let host_len = if host.first() == Some(&b'[') {
        host.iter()
            .position(|&b| b == b']')
            .map_or(host.len(), |i| i + 1)
    } else {
        last_colon.map_or(host.len(), |i| i - host_start)
    };
    start + host_start..start + host_start + host_len
}

/// What UTS 46 maps `c` to in a URL's host, when that is ASCII ("" for a character it drops).
fn ascii_of(c: char) -> Option<Cow<'static, str>> {
    let cp = u32::from(c);
    let i = idna_ascii::RUNS.partition_point(|&(first, _, _)| first <= cp);
    let &(first, count, to) = idna_ascii::RUNS.get(i.checked_sub(1)?)?;
    if cp - first > u32::from(count) {
        return None;
    }
    let (offset, len) = (usize::from(to >> 4), usize::from(to >> 1 & 7));
    let text = idna_ascii::TEXT.get(offset..offset + len)?;
    if to & 1 == 0 {
        return Some(Cow::Borrowed(text));
    }
    let base = u32::from(*text.as_bytes().first()?);
    let mapped = char::from_u32(base + (cp - first)).filter(char::is_ascii)?;
    Some(Cow::Owned(mapped.to_string()))
}

/// `host` (percent-decoded, not ASCII) made ASCII: mapped where UTS 46 maps to ASCII, other labels
/// in punycode as written (ASCII letters lower-cased). `None` when a label cannot be encoded.
fn ascii_host(host: &str) -> Option<String> {
    let mut mapped = String::with_capacity(host.len());
    for c in host.chars() {
        match ascii_of(c) {
            Some(text) => mapped.push_str(&text),
            None => mapped.push(c),
        }
    }
    if mapped.is_ascii() {
        return Some(mapped);
    }
    let mut out = String::with_capacity(mapped.len() + 8);
    for (i, label) in mapped.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if label.is_ascii() {
            out.push_str(label);
        } else {
            out.push_str("xn--");
            out.push_str(&idna::punycode::encode_str(&label.to_ascii_lowercase())?);
        }
    }
    Some(out)
}

/// `text` with its host made ASCII (see the module's notes), read as the URL parser reads it:
/// trimmed of spaces and controls, without tabs and line breaks. Should a host still be left that
/// is not ASCII (percent-escapes that are not UTF-8, a label punycode cannot encode), its ASCII
/// letters are lower-cased, the form the parser expects of what it then refuses.
pub fn with_ascii_host(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    // Searched as bytes, with no early exit (the loop vectorises): a char pattern of three
    // characters costs several times more, on every link.
    let text: Cow<'_, str> = if trimmed
        .bytes()
        .fold(false, |found, b| found | matches!(b, b'\t' | b'\n' | b'\r'))
    {
        Cow::Owned(trimmed.replace(['\t', '\n', '\r'], ""))
    } else {
        Cow::Borrowed(trimmed)
    };
    let range = host_range(&text);
    with_ascii_host_at(text, range)
}

/// [`with_ascii_host`] once the text is as the parser reads it and `range` is its host.
fn with_ascii_host_at(text: Cow<'_, str>, range: std::ops::Range<usize>) -> Cow<'_, str> {
    let written = &text[range.clone()];
    // A byte loop: a memchr's start-up costs more than the search in a host.
    if written.is_ascii() && !written.bytes().any(|b| b == b'%') {
        return text;
    }
    let ascii = match percent_decode_str(written).decode_utf8() {
        Ok(host) if host.is_ascii() => return text,
        Ok(host) => ascii_host(&host).unwrap_or_else(|| written.to_ascii_lowercase()),
        Err(_) => written.to_ascii_lowercase(),
    };
    let out = format!("{}{ascii}{}", &text[..range.start], &text[range.end..]);
    // A host whose every character UTS 46 drops leaves none: the parser then reads what follows
    // the slashes as the host (`https://\u{180f}/Aé`), which must be made ASCII too. Each round
    // removes at least the dropped host's characters, so this ends.
    let next = host_range(&out);
    if ascii.is_empty() && next.start > range.start && next != range {
        return with_ascii_host_at(Cow::Owned(out), next);
    }
    Cow::Owned(out)
}

/// Parses `text` as a URL with its host made ASCII first: the one way the domain reads addresses.
pub fn parse_url(text: &str) -> Result<url::Url, url::ParseError> {
    url::Url::parse(&with_ascii_host(text))
}

/// A link parsed for the link engine: the URL, and where its query is read.
pub(super) struct WebUrl<'a> {
    pub url: url::Url,
    query: Query<'a>,
}

/// Where a parsed link's query is read.
enum Query<'a> {
    /// The parser was given the text without its query and fragment: the query as written (`None`:
    /// the link has none).
    Written(Option<&'a str>),
    /// The parser had the whole text: its own (`url.query()`).
    Parsed,
}

impl From<url::Url> for WebUrl<'_> {
    /// A URL parsed whole: its query is the parser's.
    fn from(url: url::Url) -> Self {
        WebUrl {
            url,
            query: Query::Parsed,
        }
    }
}

impl WebUrl<'_> {
    /// The query, as written or as the parser wrote it. The two differ only where the parser
    /// percent-encodes: it encodes a query's controls, space, `"`, `#`, `<`, `>`, `'`, DEL and every
    /// non-ASCII character, never `%`, `+`, `&` or `=`. So they hold the same pairs, and each name
    /// and value decodes (`params::decode`) to the same text: an inserted escape decodes to the
    /// byte it replaced, and no `%` before it can take it into an escape of its own (`%` is no hex
    /// digit, nor is any encoded character). The engine reads no value but through `decode`.
    pub fn query(&self) -> Option<&str> {
        match self.query {
            Query::Written(query) => query,
            Query::Parsed => self.url.query(),
        }
    }
}

/// [`parse_url`] for the link engine, where the caller has found the host already (`range` is
/// `host_range(text)`). A text with no space or control byte is read by the parser as it stands
/// (nothing to trim, no tab or line break to drop), so its host is where the caller found it and
/// is not looked for again; and the parser is given it without its query and fragment, which it
/// would percent-encode for nothing (the engine reads the query itself, see [`WebUrl::query`]):
/// the path ends at the first `?` or `#` (the host, before it, too), so the scheme, host, port and
/// path read the same, and no query or fragment can make the parser fail.
#[allow(clippy::needless_bitwise_bool)] // `||` would branch on every byte: no vectors.
pub(super) fn parse_web_url_at(
    text: &str,
    range: std::ops::Range<usize>,
) -> Result<WebUrl<'_>, url::ParseError> {
    // No early exit: the loop vectorises.
    if text.bytes().fold(false, |found, b| found | (b <= b' ')) {
        return parse_url(text).map(WebUrl::from);
    }
    // The first `?`, unless a `#` comes before it; the query ends at the next `#`.
    let bytes = text.as_bytes();
    let question = find_byte(bytes, b'?');
    let hash = find_byte(&bytes[..question.unwrap_or(bytes.len())], b'#');
    let (before, written_query) = match (question, hash) {
        (_, Some(hash)) => (&text[..hash], None),
        (Some(question), None) => {
            let query = &text[question + 1..];
            let end = find_byte(query.as_bytes(), b'#').unwrap_or(query.len());
            (&text[..question], Some(&query[..end]))
        }
        (None, None) => (text, None),
    };
    Ok(WebUrl {
        url: url::Url::parse(&with_ascii_host_at(Cow::Borrowed(before), range))?,
        query: Query::Written(written_query),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lockfile pins idna_adapter 1.0: `url` alone refuses a host it would have to map.
    #[test]
    fn url_ships_no_unicode_tables() {
        assert!(url::Url::parse("https://ä.com/").is_err());
        // A host UTS 46 drops whole: what follows the slashes is the host the parser reads, and
        // it is made ASCII too (idna's adapter asserts lower case on non-ASCII hosts).
        assert_eq!(
            with_ascii_host("https://\u{180f}/A\u{1bfc}"),
            "https:///xn--a-drl"
        );
        assert_eq!(
            parse_url("https://ä.com/").unwrap().host_str(),
            Some("xn--4ca.com")
        );
    }

    /// `host_range` as it was first written (three searches), to hold the one-pass form to it.
    fn host_range_reference(text: &str) -> std::ops::Range<usize> {
        let Some(colon) = text.find(':') else {
            return 0..0;
        };
        let scheme = &text[..colon];
        let valid_scheme = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !valid_scheme {
            return 0..0;
        }
        let special = ["http", "https", "ws", "wss", "ftp"]
            .iter()
            .any(|s| scheme.eq_ignore_ascii_case(s));
        let after = &text[colon + 1..];
        let start = if special {
            colon + 1 + (after.len() - after.trim_start_matches(['/', '\\']).len())
        } else if after.starts_with("//") {
            colon + 3
        } else {
            return 0..0;
        };
        let rest = &text[start..];
        let stops: &[char] = if special {
            &['/', '\\', '?', '#']
        } else {
            &['/', '?', '#']
        };
        let end = rest.find(stops).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host_start = authority.rfind('@').map_or(0, |i| i + 1);
        let host = &authority[host_start..];
        let host_len = if host.starts_with('[') {
            host.find(']').map_or(host.len(), |i| i + 1)
        } else {
            host.rfind(':').unwrap_or(host.len())
        };
        start + host_start..start + host_start + host_len
    }

    proptest::proptest! {
        #[test]
        fn host_range_as_first_written(
            scheme in "(https?|HtTpS|ws|ftp|tg|mailto|1x|)",
            sep in "[:/\\\\]{0,4}",
            rest in "[a.@:\\[\\]/\\\\?#ä]{0,16}",
        ) {
            let text = format!("{scheme}{sep}{rest}");
            proptest::prop_assert_eq!(host_range(&text), host_range_reference(&text), "{:?}", text);
        }
    }

    /// What the engine reads of a parsed link: scheme, host, port, path, and the query's pairs
    /// decoded.
    #[derive(Debug, PartialEq)]
    struct AsRead {
        scheme: String,
        host: Option<String>,
        port: Option<u16>,
        path: String,
        pairs: Vec<(String, String)>,
    }

    fn as_read(url: &url::Url, query: Option<&str>) -> AsRead {
        let decode = crate::domain::link::params::decode;
        AsRead {
            scheme: url.scheme().to_string(),
            host: url.host_str().map(str::to_string),
            port: url.port(),
            path: url.path().to_string(),
            pairs: crate::domain::link::params::raw_pairs(query.unwrap_or_default())
                .map(|(n, v)| (decode(n).into_owned(), decode(v).into_owned()))
                .collect(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]
        /// Parsed without its query, a link reads as parsed whole: same outcome (the same error
        /// when it fails), same scheme, host, port and path, and the same names and values once
        /// decoded, whatever its query holds.
        #[test]
        fn written_query_reads_as_parsed(
            scheme in "(https|HTTP|hTtPs)",
            sep in "(://|:/|:|:///|:\\\\\\\\|:\\\\/)",
            host in "(aliexpress\\.com|ä\\.com|u:p@a\\.com:8080|a%41\\.com|\\[::1\\]|a\\.com\\.|xn--4ca\\.com|a\\.com:|a\\?b|)",
            path in "[/a.%2e\\\\]{0,8}",
            query in "[a=&%+#?<>\"'`{}|^\\\\\u{7f}\u{80}äÄ€😀0-9A-Fa-f.~-]{0,40}",
            question in proptest::bool::ANY,
        ) {
            let text = format!("{scheme}{sep}{host}{path}{}{query}", if question { "?" } else { "" });
            let full = parse_url(&text);
            let part = parse_web_url_at(&text, host_range(&text));
            match (full, part) {
                (Ok(full), Ok(part)) => proptest::prop_assert_eq!(
                    as_read(&full, full.query()),
                    as_read(&part.url, part.query()),
                    "{:?}", text
                ),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b, "{:?}", text),
                (a, b) => proptest::prop_assert!(false, "{:?}: {:?} vs {:?}", text, a.map(|u| u.to_string()), b.map(|u| u.url.to_string())),
            }
        }
    }

    #[test]
    fn host_range_is_where_the_parser_looks() {
        let host = |t: &'static str| &t[host_range(t)];
        assert_eq!(host("https://user:pw@ａｌｉ.com:8080/x"), "ａｌｉ.com");
        assert_eq!(host("HTTPS:\\\\/ａｌｉ.com\\x"), "ａｌｉ.com");
        assert_eq!(host("https:ａｌｉ.com?x"), "ａｌｉ.com");
        assert_eq!(host("https://[::1]:80/"), "[::1]");
        assert_eq!(host("tg://ａｌｉ\\x/y"), "ａｌｉ\\x");
        for none in [
            "https://",
            "aliexpress.com",
            "mailto:ａ@ｂ",
            "1https://ａ",
            "",
        ] {
            assert_eq!(host(none), "", "{none}");
        }
    }

    #[test]
    fn runs_are_sorted_and_map_to_ascii() {
        let runs = idna_ascii::RUNS;
        assert!(runs.windows(2).all(|w| w[0].0 + u32::from(w[0].1) < w[1].0));
        for &(first, count, _) in runs {
            assert!(first >= 0x80, "{first:X}");
            for cp in [first, first + u32::from(count)] {
                let c = char::from_u32(cp).unwrap();
                assert!(ascii_of(c).is_some_and(|m| m.is_ascii()), "{cp:X}");
            }
            let after = char::from_u32(first + u32::from(count) + 1);
            let next_first = runs.iter().any(|r| Some(r.0) == after.map(u32::from));
            if let Some(c) = after.filter(|_| !next_first) {
                assert_eq!(ascii_of(c), None, "{c:?}");
            }
        }
        assert_eq!(ascii_of('ｚ').as_deref(), Some("z"));
        assert_eq!(ascii_of('ﬀ').as_deref(), Some("ff"));
        assert_eq!(ascii_of('\u{AD}').as_deref(), Some(""));
        assert_eq!(ascii_of('а'), None);
        assert_eq!(ascii_of('\u{7F}'), None);
        assert_eq!(ascii_of('\u{10FFFF}'), None);
    }

    #[test]
    fn hosts_made_ascii() {
        assert_eq!(
            with_ascii_host("https://ＷＷＷ．ａｌｉｅｘｐｒｅｓｓ。com/item/1.html?q=ä"),
            "https://www.aliexpress.com/item/1.html?q=ä"
        );
        assert_eq!(
            with_ascii_host("https://аliexpress.com/item/1.html"),
            "https://xn--liexpress-zyh.com/item/1.html"
        );
        assert_eq!(
            with_ascii_host(" https:\\\\ａ\tｌｉ.com\n"),
            "https:\\\\ali.com"
        );
        // Not UTF-8 once decoded: left for the parser to refuse, in the lower case it expects.
        assert_eq!(
            with_ascii_host("https://%FFÄa.com/X"),
            "https://%ffÄa.com/X"
        );
        // Unchanged: ASCII, escapes that decode to ASCII.
        for text in ["https://aliexpress.com/ä", "https://%61liexpress.com/"] {
            assert!(matches!(with_ascii_host(text), Cow::Borrowed(t) if t == text));
        }
    }
}
