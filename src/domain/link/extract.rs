//! Finds every candidate link in a block of text (a Telegram post, a list, a sentence), with its
//! position, so that a post can be rewritten link by link.

use super::is_invisible;

/// A paste may be at most this large (bytes).
pub const MAX_PASTE_BYTES: usize = 1024 * 1024;

/// The whole paste is refused: it is over [`MAX_PASTE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteTooLarge {
    pub len: usize,
}

/// A candidate link found in a text: `text` is `source[start..end]` (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

/// Separates tokens: white space, and characters that never stand unescaped in a link.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '<' | '>' | '"' | '`' | '«' | '»' | '“' | '”' | '„' | '「' | '」' | '|'
        )
}

/// Schemes that mark a token as a link attempt even though they are refused (`javascript:` ...).
const OTHER_SCHEMES: &[&str] = &["javascript:", "data:", "vbscript:", "ftp:", "file:"];

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Strips what surrounds a link in prose: leading brackets and quotes, trailing punctuation, and a
/// closing bracket that has no opening one inside the link.
///
/// Linear in the length of `s`: the brackets are counted once, and each character stripped from the
/// end updates the counts (a link followed by a million `)` must not cost a million recounts). They
/// are counted only when a closing bracket ends what is left: most links end in a letter or digit,
/// and then nothing is counted at all.
pub fn trim_wrapping(s: &str) -> &str {
    let mut s = s.trim_start_matches(trimmed_prefix);
    // Balance of each bracket pair in what is left: opening minus closing (counted on first need;
    // what was stripped before then holds no bracket, so the count is the same as at the start).
    let mut balance: Option<[i64; 3]> = None;
    while let Some(last) = s.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '…' | '’' => true,
            // A closing bracket goes when the link holds more closing than opening ones; once
            // stripped, the link holds one closing bracket fewer.
            ')' | ']' | '}' => {
                let i = match last {
                    ')' => 0,
                    ']' => 1,
                    _ => 2,
                };
                let balance = balance.get_or_insert_with(|| bracket_balance(s));
                let unbalanced = balance[i] < 0;
                if unbalanced {
                    balance[i] += 1;
                }
                unbalanced
            }
            c => is_invisible(c),
        };
        if !strip {
            return s;
        }
        s = &s[..s.len() - last.len_utf8()];
    }
    s
}

/// Opening minus closing brackets in `s`, for `()`, `[]` and `{}`.
fn bracket_balance(s: &str) -> [i64; 3] {
    let mut balance = [0i64; 3];
    for b in s.bytes() {
        match b {
            b'(' => balance[0] += 1,
            b')' => balance[0] -= 1,
            b'[' => balance[1] += 1,
            b']' => balance[1] -= 1,
            b'{' => balance[2] += 1,
            b'}' => balance[2] -= 1,
            _ => {}
        }
    }
    balance
}

/// Where a link starts inside a token, if the token holds one.
fn link_start(token: &str) -> Option<usize> {
    for scheme in ["https://", "http://"] {
        if let Some(i) = find_ci(token, scheme) {
            return Some(i);
        }
    }
    // Leading decoration (emoji, arrows, brackets) before a bare link.
    let offset = token.len()
        - token
            .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '/')
            .len();
    let rest = &token[offset..];
    if OTHER_SCHEMES
        .iter()
        .any(|s| starts_with_ci(rest, s) && rest.len() > s.len())
    {
        return Some(offset);
    }
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = trim_wrapping(&rest[..host_end]);
    let labels: Vec<&str> = host.split('.').collect();
    let plausible_host = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    let has_path = host_end < rest.len() && rest.len() > host_end + 1;
    if plausible_host
        // ASCII case folding: the two words are ASCII, and no other letter folds to one of theirs.
        && (has_path || starts_with_ci(host, "www.") || find_ci(host, "aliexpress").is_some())
    {
        Some(offset)
    } else {
        None
    }
}

/// Finds every candidate link in `text`, in order.
pub fn extract(text: &str) -> Result<Vec<Candidate<'_>>, PasteTooLarge> {
    if text.len() > MAX_PASTE_BYTES {
        return Err(PasteTooLarge { len: text.len() });
    }
    let mut found = Vec::new();
    let mut pos = 0;
    for token in text.split(is_separator) {
        let token_start = pos;
        pos += token.len();
        // The separator that ended this token (one char) is skipped by the next iteration's start.
        if let Some(sep) = text[pos..].chars().next() {
            pos += sep.len_utf8();
        }
        if token.is_empty() {
            continue;
        }
        let Some(offset) = link_start(token) else {
            continue;
        };
        let raw = &token[offset..];
        let trimmed = trim_wrapping(raw);
        if trimmed.is_empty() {
            continue;
        }
        let start = token_start
            + offset
            + (raw.len() - raw.trim_start_matches(|c: char| trimmed_prefix(c)).len());
        let end = start + trimmed.len();
        debug_assert_eq!(&text[start..end], trimmed);
        found.push(Candidate {
            start,
            end,
            text: &text[start..end],
        });
    }
    Ok(found)
}

/// Characters `trim_wrapping` removes at the start.
fn trimmed_prefix(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '\'' | '*' | '_' | '‘') || is_invisible(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        extract(s).unwrap().into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn finds_links_in_a_post_with_positions() {
        let post = "🔥 Deal: https://aliexpress.com/item/1005006295880104.html, and (aliexpress.ru/item/4001042311625.html).\nSee «https://a.aliexpress.com/_mK1abc»!";
        let found = extract(post).unwrap();
        let t: Vec<&str> = found.iter().map(|c| c.text).collect();
        assert_eq!(
            t,
            [
                "https://aliexpress.com/item/1005006295880104.html",
                "aliexpress.ru/item/4001042311625.html",
                "https://a.aliexpress.com/_mK1abc"
            ]
        );
        for c in found {
            assert_eq!(&post[c.start..c.end], c.text);
        }
    }

    #[test]
    fn ignores_words_and_keeps_balanced_brackets() {
        assert!(texts("node.js and e.g. words; express delivery").is_empty());
        assert_eq!(
            texts("see https://en.wikipedia.org/wiki/Foo_(bar)."),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
        assert_eq!(
            texts("👉https://aliexpress.com/item/1005006295880104.html"),
            ["https://aliexpress.com/item/1005006295880104.html"]
        );
        assert_eq!(
            texts("[Buy](https://aliexpress.com/item/1005006295880104.html)"),
            ["https://aliexpress.com/item/1005006295880104.html"]
        );
        assert_eq!(texts("javascript:alert(1)"), ["javascript:alert(1)"]);
    }

    #[test]
    fn refuses_huge_pastes() {
        let big = "a".repeat(MAX_PASTE_BYTES + 1);
        assert_eq!(
            extract(&big),
            Err(PasteTooLarge {
                len: MAX_PASTE_BYTES + 1
            })
        );
    }
}
