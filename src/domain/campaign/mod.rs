//! The campaign check: finds the programme's brands in a site's domain, ad texts and bidding
//! keywords, through misspellings, digits, look-alike letters, punycode, separators and Cyrillic.
//! Pure: the page flags as the user types, the API answers with the same function.

mod normalize;

use serde::{Deserialize, Serialize};

use crate::domain::lang::Lang;
use normalize::{distance, find_within, tokenize, Token};

/// A brand and its spellings, each written as its parts (`ali` + `express`). The matcher and the
/// negative-keyword list both come from this table.
pub struct Brand {
    pub term: &'static str,
    pub spellings: &'static [&'static [&'static str]],
}

pub const BRANDS: &[Brand] = &[
    Brand {
        term: "aliexpress",
        spellings: &[
            &["ali", "express"],
            &["ali", "expres"],
            &["ali", "expess"],
            &["alli", "express"],
            &["ali", "ekspress"],
            &["ali", "exspress"],
            &["али", "экспресс"],
            &["али", "экспрес"],
            &["али", "експресс"],
            &["али", "експрес"],
        ],
    },
    Brand {
        term: "alibaba",
        spellings: &[&["ali", "baba"], &["али", "баба"]],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Field {
    Domain,
    Title,
    Text,
    Keywords,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum FindingCode {
    BrandInDomain,
    BrandInAd,
    BrandKeyword,
}

impl FindingCode {
    pub fn of(field: Field) -> FindingCode {
        match field {
            Field::Domain => FindingCode::BrandInDomain,
            Field::Title | Field::Text => FindingCode::BrandInAd,
            Field::Keywords => FindingCode::BrandKeyword,
        }
    }

    /// What happened and what to do.
    pub fn message(self, term: &str, lang: Lang) -> String {
        let w = &lang.words().findings;
        let text = match self {
            FindingCode::BrandInDomain => w.brand_in_domain,
            FindingCode::BrandInAd => w.brand_in_ad,
            FindingCode::BrandKeyword => w.brand_keyword,
        };
        crate::domain::words::say!(text, term)
    }

    /// The sentence of the programme terms the finding breaks.
    pub fn rule(self) -> &'static str {
        match self {
            FindingCode::BrandInDomain => "The 'AliExpress' word cannot be used in the domain name of the website. Variants with a spelling mistake and names similar to Aliexpress are also not allowed.",
            FindingCode::BrandInAd | FindingCode::BrandKeyword => "In keywords, text and title of the ad it is forbidden to use the words aliexpress / aliexpress and the like (including spelling with errors and in other languages). Brand inquiries should be added to the list of negative keywords.",
        }
    }
}

/// A brand found in one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Finding {
    pub field: Field,
    /// For keywords: which one (from 0).
    pub keyword_index: Option<usize>,
    /// Position in the field's text, in characters: `start..end`.
    pub start: usize,
    pub end: usize,
    /// The offending text as written (a punycode domain: as decoded).
    #[serde(rename = "match")]
    pub matched: String,
    pub term: String,
    pub code: FindingCode,
    pub message: String,
    pub rule: String,
}

/// What the campaign check reads. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignInput {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignReport {
    pub findings: Vec<Finding>,
    pub negative_keywords: Vec<String>,
}

/// Limits on what one check reads.
pub const MAX_FIELD_CHARS: usize = 20_000;
pub const MAX_KEYWORDS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignError {
    TooLong { field: &'static str, len: usize },
    TooManyKeywords { count: usize },
}

impl CampaignError {
    pub fn code(&self) -> crate::domain::codes::ErrorCode {
        crate::domain::codes::ErrorCode::TooLong
    }
}

/// The matcher's targets, derived from [`BRANDS`].
struct Targets {
    /// Joined spellings (visual and phonetic skeletons), with their brand.
    whole: Vec<(Vec<char>, &'static str)>,
    /// First parts (exact) and second parts (one edit), with their brand.
    pairs: Vec<(Vec<char>, Vec<char>, &'static str)>,
}

fn skeleton_of(word: &str) -> Vec<char> {
    // Spellings are plain Latin or plain Cyrillic: the phonetic skeleton reads both.
    tokenize(word)
        .first()
        .map(|t| t.skeleton(true).to_vec())
        .unwrap_or_default()
}

fn targets() -> &'static Targets {
    static TARGETS: std::sync::LazyLock<Targets> = std::sync::LazyLock::new(|| {
        let mut whole: Vec<(Vec<char>, &'static str)> = Vec::new();
        let mut pairs = Vec::new();
        for brand in BRANDS {
            for parts in brand.spellings {
                let joined: Vec<char> = parts.iter().flat_map(|p| skeleton_of(p)).collect();
                if !whole.iter().any(|(w, _)| *w == joined) {
                    whole.push((joined, brand.term));
                }
                if let [first, second] = parts {
                    let pair = (skeleton_of(first), skeleton_of(second), brand.term);
                    if !pairs.contains(&pair) {
                        pairs.push(pair);
                    }
                }
            }
        }
        Targets { whole, pairs }
    });
    &TARGETS
}

/// Edits allowed against a whole word: two for the long brand, one for the short.
fn allowed(target: &[char]) -> usize {
    if target.len() >= 9 {
        2
    } else {
        1
    }
}

/// A raw match: source byte range and brand.
type Hit = (std::ops::Range<usize>, &'static str);

fn match_token(t: &Token) -> Option<Hit> {
    for phonetic in [false, true] {
        if phonetic && !t.has_phonetic_reading() {
            break;
        }
        let s = t.skeleton(phonetic);
        for (target, term) in &targets().whole {
            let k = allowed(target);
            if s.len() <= target.len() + k {
                if distance(s, target, k).is_some() {
                    return Some((t.span.clone(), term));
                }
            } else if let Some((_, r)) = find_within(s, target, 1) {
                // The brand inside a compound (mybestaliexpressdeals): one edit at most.
                return Some((t.source(phonetic, r.start, r.end), term));
            }
        }
    }
    None
}

/// `ali express`, `ali-express`, `ali.express`, `али экспресс`: the parts as separate words.
fn match_pair(text: &str, a: &Token, b: &Token) -> Option<Hit> {
    let gap = &text[a.span.end..b.span.start];
    if gap.chars().count() > 3
        || !gap
            .chars()
            .all(|c| c.is_whitespace() || matches!(c, '-' | '.' | '_' | '/' | '·'))
    {
        return None;
    }
    for phonetic in [false, true] {
        if phonetic && !a.has_phonetic_reading() && !b.has_phonetic_reading() {
            break;
        }
        let (sa, sb) = (a.skeleton(phonetic), b.skeleton(phonetic));
        for (first, second, term) in &targets().pairs {
            let k = usize::from(second.len() >= 5);
            if sa == first.as_slice() && distance(sb, second, k).is_some() {
                return Some((a.span.start..b.span.end, term));
            }
        }
    }
    None
}

/// Every brand occurrence in `text`, as source byte ranges, in order, not overlapping.
pub fn find_brands(text: &str) -> Vec<Hit> {
    let tokens = tokenize(text);
    let mut hits: Vec<Hit> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some(hit) = tokens
            .get(i + 1)
            .and_then(|b| match_pair(text, &tokens[i], b))
        {
            hits.push(hit);
            i += 2;
            continue;
        }
        if let Some(hit) = match_token(&tokens[i]) {
            hits.push(hit);
        }
        i += 1;
    }
    hits
}

/// The host of a domain field (a pasted URL is fine), punycode labels decoded.
fn domain_text(input: &str) -> String {
    let s = input.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let host = s.split(['/', '?', '#']).next().unwrap_or(s);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let lower = host.to_ascii_lowercase();
    if lower.contains("xn--") {
        // Each punycode label decoded as written: the Unicode text is what a reader sees, which
        // is what the brand checks look at. No UTS 46 validation (the IDNA crate's, over the
        // back end without Unicode data, trips debug assertions on inputs the fuzzer found:
        // `SшSxn--`, a label decoding to U+200F); a label over DNS's 63 bytes is no host and is
        // left as written (decoding punycode costs time quadratic in its length).
        let labels: Vec<String> = lower
            .split('.')
            .map(|label| {
                label
                    .strip_prefix("xn--")
                    .filter(|code| {
                        label.len() <= crate::domain::link::MAX_LABEL_BYTES && !code.is_empty()
                    })
                    .and_then(idna::punycode::decode_to_string)
                    .unwrap_or_else(|| label.to_string())
            })
            .collect();
        return labels.join(".");
    }
    host.to_string()
}

fn findings_in(field: Field, index: Option<usize>, text: &str, lang: Lang, out: &mut Vec<Finding>) {
    let code = FindingCode::of(field);
    // Hits come in order and do not overlap: character positions are counted as we go (from the
    // start again, should a position ever lie behind the last one).
    let (mut byte, mut chars) = (0, 0);
    let mut char_pos = |to: usize| {
        if to < byte {
            (byte, chars) = (0, 0);
        }
        chars += text[byte..to].chars().count();
        byte = to;
        chars
    };
    for (range, term) in find_brands(text) {
        let start = char_pos(range.start);
        let end = char_pos(range.end);
        out.push(Finding {
            field,
            keyword_index: index,
            start,
            end,
            matched: text[range].to_string(),
            term: term.to_string(),
            code,
            message: code.message(term, lang),
            rule: code.rule().to_string(),
        });
    }
}

/// The campaign check: findings in every field, and the negative-keyword list.
pub fn check(input: &CampaignInput, lang: Lang) -> Result<CampaignReport, CampaignError> {
    for (field, value) in [
        ("domain", &input.domain),
        ("title", &input.title),
        ("text", &input.text),
    ] {
        if let Some(v) = value {
            let len = v.chars().count();
            if len > MAX_FIELD_CHARS {
                return Err(CampaignError::TooLong { field, len });
            }
        }
    }
    if input.keywords.len() > MAX_KEYWORDS {
        return Err(CampaignError::TooManyKeywords {
            count: input.keywords.len(),
        });
    }
    if let Some(k) = input
        .keywords
        .iter()
        .find(|k| k.chars().count() > MAX_FIELD_CHARS)
    {
        return Err(CampaignError::TooLong {
            field: "keyword",
            len: k.chars().count(),
        });
    }
    let mut findings = Vec::new();
    if let Some(domain) = input.domain.as_deref() {
        findings_in(
            Field::Domain,
            None,
            &domain_text(domain),
            lang,
            &mut findings,
        );
    }
    if let Some(title) = input.title.as_deref() {
        findings_in(Field::Title, None, title, lang, &mut findings);
    }
    if let Some(text) = input.text.as_deref() {
        findings_in(Field::Text, None, text, lang, &mut findings);
    }
    for (i, keyword) in input.keywords.iter().enumerate() {
        findings_in(Field::Keywords, Some(i), keyword, lang, &mut findings);
    }
    Ok(CampaignReport {
        findings,
        negative_keywords: negative_keywords(),
    })
}

/// Brand queries for an ad account's negative keywords: every spelling, joined and spaced.
pub fn negative_keywords() -> Vec<String> {
    let mut list: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !list.contains(&s) {
            list.push(s);
        }
    };
    for brand in BRANDS {
        push(brand.term.to_string());
    }
    for brand in BRANDS {
        for parts in brand.spellings {
            push(parts.concat());
            push(parts.join(" "));
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_negative_keyword_is_caught_by_the_matcher() {
        for k in negative_keywords() {
            assert_eq!(find_brands(&k).len(), 1, "{k}");
        }
    }

    /// A host's punycode is read in either case (the fuzzer's `SшSxn--` panicked in a debug
    /// build: the IDNA back end assumes lowercase ASCII).
    #[test]
    fn punycode_hosts_are_read_in_either_case() {
        assert_eq!(domain_text("SшSxn--"), "sшsxn--");
        assert_eq!(domain_text("xn--.com"), "xn--.com");
        assert_eq!(domain_text("https://XN--80AK6AA92E.com/x"), "аррӏе.com");
        assert_eq!(domain_text("xn--80ak6aa92e.com"), "аррӏе.com");
    }
}
