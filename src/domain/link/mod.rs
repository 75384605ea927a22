//! The link engine: reads any AliExpress link form and normalises it to the canonical direct link,
//! or refuses it with a reason the user can act on. Pure: no I/O, no async.
//!
//! - [`read`] reads one pasted link. App share links (`a.aliexpress.com/_xxx`) need the network: they
//!   come back as [`Reading::AppShare`] for the server shell to follow, which then calls [`normalize`]
//!   on the landing address.
//! - [`extract`](extract::extract) finds every candidate link in a block of text, with positions.

pub mod extract;
pub mod hosts;
mod idna_ascii;
pub mod params;
pub mod path;
mod written_host;

mod canonical;
mod error;
mod wrappers;

use std::{borrow::Cow, fmt::Write as _};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::domain::codes::ErrorCode;
pub use extract::{extract, Candidate, PasteTooLarge, MAX_PASTE_BYTES};
pub use hosts::{HostClass, Role, Site};
use path::PathKind;
pub use written_host::{parse_url, with_ascii_host};

pub use canonical::HOME_URL;
use canonical::*;
pub use error::{is_s_click, LinkError};
use wrappers::*;

/// One link may be at most this long (bytes, after trimming).
pub const MAX_LINK_BYTES: usize = 4096;
/// Share wrappers nest at most this deep.
const MAX_WRAPPING: u8 = 3;

/// The page kind, in the programme's attribution order (product first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PageKind {
    Product,
    Store,
    Category,
    Home,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Product => "product",
            PageKind::Store => "store",
            PageKind::Category => "category",
            PageKind::Home => "home",
        }
    }
}

/// A link read and normalised: the `link` object of the API contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Link {
    pub kind: PageKind,
    pub canonical_url: String,
    pub product_id: Option<String>,
    pub store_id: Option<String>,
    pub sku_id: Option<String>,
    pub site: Site,
    /// Parameters dropped from the pasted link, by name, in order of appearance.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>))]
    pub removed_params: Vec<Cow<'static, str>>,
    /// The pasted link carried somebody else's affiliate parameters.
    pub foreign_affiliate: bool,
    /// The link points into the Tmall section (`tmall.` sub-domain).
    pub tmall: bool,
    /// The pasted link was this network's deep link (`ePN`, `Admitad`), read as the page it leads
    /// to: its owner's tracking was removed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub via_network: Option<Cow<'static, str>>,
}

/// What reading a pasted link gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Link(Link),
    /// An app share link: the server must follow its redirects, then normalise where it lands.
    AppShare {
        url: String,
    },
}

/// Characters that are invisible in a paste but break a link: zero-width, joiners, BOM, soft hyphen.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Bytes that need the slow path: white space, controls, separators, and every non-ASCII byte
/// (invisible characters are non-ASCII). Comparisons without branches, so that the loop of
/// [`is_plain`] vectorises (a table's look-ups do not): it checks the bench's links in half the
/// time the table took.
#[allow(clippy::needless_bitwise_bool)] // `||` would branch on every byte: no vectors.
const fn needs_cleaning(b: u8) -> bool {
    (b <= 0x20) | (b >= 0x7f) | (b == b'<') | (b == b'>') | (b == b'"') | (b == b'`') | (b == b'|')
}

/// Printable ASCII with no separator: nothing to clean or extract (no early exit: the loop vectorises).
fn is_plain(s: &str) -> bool {
    !s.bytes().fold(false, |bad, b| bad | needs_cleaning(b))
}

/// Reads one pasted link (or a text holding exactly one link).
pub fn read(input: &str) -> Result<Reading, LinkError> {
    if input.len() > MAX_PASTE_BYTES {
        return Err(PasteTooLarge { len: input.len() }.into());
    }
    // The common case: printable ASCII with nothing around it and nothing to clean.
    if !input.is_empty() && input.len() <= MAX_LINK_BYTES && is_plain(input) {
        return read_link(extract::trim_wrapping(input), 0);
    }
    let cleaned = clean(input);
    let text = cleaned.trim();
    if text.is_empty() {
        return Err(LinkError::EmptyInput);
    }
    if text.contains(extract::is_separator) {
        // A post or a sentence around the link: take its one link.
        let found = extract(text)?;
        return match found.as_slice() {
            [one] => read_link(one.text.trim_matches(is_invisible), 0),
            [] => Err(LinkError::Unparsable {
                detail: "it holds no link".into(),
            }),
            many => Err(LinkError::SeveralLinks { count: many.len() }),
        };
    }
    read_link(extract::trim_wrapping(text), 0)
}

/// One candidate of a paste and how it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned<'a> {
    pub candidate: Candidate<'a>,
    pub reading: Result<Reading, LinkError>,
}

/// Finds every candidate link in a paste and reads each one (what the page shows as the user types).
pub fn scan(text: &str) -> Result<Vec<Scanned<'_>>, PasteTooLarge> {
    Ok(extract(text)?
        .into_iter()
        .map(|candidate| Scanned {
            candidate,
            reading: read_link(&clean(candidate.text), 0),
        })
        .collect())
}

/// The inputs of a paste, as a check takes them: each link the engine finds, or the whole text
/// when it finds none (its answer then says why); nothing for blank text.
pub fn inputs_of(text: &str) -> Vec<String> {
    match scan(text) {
        Ok(found) if !found.is_empty() => found
            .into_iter()
            .map(|s| s.candidate.text.to_string())
            .collect(),
        _ if text.trim().is_empty() => Vec::new(),
        _ => vec![text.trim().to_string()],
    }
}

/// Reads a link and requires a direct page (app share links are an error here): used on the landing
/// address of a resolved share link, and wherever no network is available.
pub fn normalize(input: &str) -> Result<Link, LinkError> {
    match read(input)? {
        Reading::Link(link) => Ok(link),
        Reading::AppShare { .. } => Err(LinkError::ShortLinkUnresolved {
            reason: "an app share link must be followed by the server".into(),
        }),
    }
}

/// Removes invisible characters (allocates only when there are some).
fn clean(input: &str) -> std::borrow::Cow<'_, str> {
    if input.contains(is_invisible) {
        std::borrow::Cow::Owned(input.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(input)
    }
}

fn read_link(text: &str, depth: u8) -> Result<Reading, LinkError> {
    if text.is_empty() {
        return Err(LinkError::EmptyInput);
    }
    if text.len() > MAX_LINK_BYTES {
        return Err(LinkError::TooLong { len: text.len() });
    }
    // The host as written, found once: for the limits of DNS, then for the URL parser.
    let host_range = written_host::host_range(text);
    if !host_fits_dns(&text[host_range.clone()]) {
        return Err(LinkError::Unparsable {
            detail: "its site name is longer than any site's can be".into(),
        });
    }
    let parsed = parse_web_url(text, host_range)?;
    let (url, query) = (&parsed.url, parsed.query());
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.strip_suffix('.').unwrap_or(d),
        Some(_) => {
            return Err(LinkError::NotAliexpress {
                host: url.host_str().unwrap_or_default().to_string(),
            })
        }
        None => {
            return Err(LinkError::Unparsable {
                detail: "it names no site".into(),
            })
        }
    };
    let (site, role) = match hosts::classify(host) {
        HostClass::Aliexpress { site, role } => (site, role),
        HostClass::OtherNetwork { network } => return unwrap_network(query, host, network, depth),
        HostClass::Foreign => {
            return Err(LinkError::NotAliexpress {
                host: host.to_string(),
            })
        }
    };
    if let Some(port) = url.port() {
        return Err(LinkError::NonStandardPort { port });
    }
    match role {
        Role::ShortLink => {
            return Err(LinkError::ShortLinkRejected {
                host: host.to_string(),
            })
        }
        Role::Account => {
            return Err(LinkError::AccountPage {
                host: host.to_string(),
            })
        }
        Role::AppShare => {
            let code = url.path().trim_matches('/');
            return if code.starts_with('_') && code.len() > 1 && !code.contains('/') {
                Ok(Reading::AppShare {
                    url: format!("https://{host}/{code}"),
                })
            } else {
                Err(LinkError::UnknownPage {
                    page: format!("{host}{}", url.path()),
                })
            };
        }
        Role::ShareWrapper => return unwrap_share(url, query, host, site, depth),
        _ => {}
    }
    let kind = match role {
        // best.: the home page at its root. best., sale., campaign., tmall.: product and store paths
        // are those pages; anything else there is a campaign page of that sub-domain.
        Role::Home | Role::Campaign | Role::Tmall => match path::classify(url.path()) {
            PathKind::Home if role == Role::Home => PathKind::Home,
            kind @ (PathKind::Product { .. }
            | PathKind::Store { .. }
            | PathKind::BadProductId(_)) => kind,
            _ => PathKind::Campaign,
        },
        // A store's vanity sub-domain: only its product and store paths are pages of their own.
        Role::Vanity => match path::classify(url.path()) {
            kind @ (PathKind::Product { .. }
            | PathKind::Store { .. }
            | PathKind::BadProductId(_)) => kind,
            _ => PathKind::Unknown,
        },
        _ => path::classify(url.path()),
    };
    build(url, query, host, site, role, kind).map(Reading::Link)
}

/// A site name has at most 253 characters, and each of its labels at most 63 (DNS).
pub const MAX_HOST_BYTES: usize = 253;
pub const MAX_LABEL_BYTES: usize = 63;

/// The host part of a link's text as written (no parsing): after the scheme, before the path,
/// without user information and port.
fn host_part(text: &str) -> &str {
    &text[written_host::host_range(text)]
}

/// Whether the host as written fits the limits of DNS, checked before the URL parser sees it:
/// decoding a punycode label (`xn--…`) costs time quadratic in its length, so a 4 KiB label
/// would cost a core a quarter of a second, in the server and in the browser. The text as
/// written is never shorter than what it decodes to, so a host that passes here is within the
/// limits after decoding too.
pub fn host_within_dns_limits(text: &str) -> bool {
    host_fits_dns(host_part(text))
}

/// Whether a host as written fits the limits of DNS (see [`host_within_dns_limits`]).
fn host_fits_dns(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.len() <= MAX_HOST_BYTES
        && host
            .as_bytes()
            .split(|&b| b == b'.')
            .all(|l| l.len() <= MAX_LABEL_BYTES)
}

/// Parses text as an http(s) URL: a missing scheme means https; other schemes are refused.
/// `host_range` is `written_host::host_range(text)`.
fn parse_web_url(
    text: &str,
    host_range: std::ops::Range<usize>,
) -> Result<written_host::WebUrl<'_>, LinkError> {
    let scheme_end = text.bytes().position(|b| b == b':').filter(|&i| {
        let s = &text[..i];
        !s.is_empty()
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            // "aliexpress.com:443/..." is a host and port, not a scheme.
            && !s.contains('.')
    });
    let parsed = match scheme_end {
        Some(i) => {
            let scheme = &text[..i];
            if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
                return Err(LinkError::UnsupportedScheme {
                    scheme: scheme.to_ascii_lowercase(),
                });
            }
            written_host::parse_web_url_at(text, host_range)
        }
        None if text.starts_with("//") => parse_url(&format!("https:{text}")).map(Into::into),
        None => parse_url(&format!("https://{text}")).map(Into::into),
    };
    parsed.map_err(|e| LinkError::Unparsable {
        detail: e.to_string(),
    })
}
