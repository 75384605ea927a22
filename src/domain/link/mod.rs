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

use std::{borrow::Cow, fmt::Write as _};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::domain::codes::ErrorCode;
pub use extract::{extract, Candidate, PasteTooLarge, MAX_PASTE_BYTES};
pub use hosts::{HostClass, Role, Site};
use path::PathKind;
pub use written_host::{parse_url, with_ascii_host};

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

/// Why a link was refused. Each variant's message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("Nothing to check: the input is empty. Paste an AliExpress product, store or category link.")]
    EmptyInput,
    #[error(
        "This link is {len} bytes long, over the limit of {MAX_LINK_BYTES} for one link. \
         Paste the product page address (aliexpress.com/item/<id>.html) without the extra parameters."
    )]
    TooLong { len: usize },
    #[error("{0}")]
    PasteTooLarge(#[from] PasteTooLarge),
    #[error("\"{scheme}:\" is not a web link. Paste an https:// link to an AliExpress page.")]
    UnsupportedScheme { scheme: String },
    #[error("This is not a valid web address ({detail}). Copy the link again from the browser's address bar.")]
    Unparsable { detail: String },
    #[error(
        "The text holds {count} links; one is expected here. Check them as a batch, or paste one link."
    )]
    SeveralLinks { count: usize },
    #[error(
        "The link names port {port}, but AliExpress pages are served on the standard port. \
         Paste the address without \":{port}\"."
    )]
    NonStandardPort { port: u16 },
    #[error(
        "{host} is not an AliExpress site. Linksmith checks links to aliexpress.com, aliexpress.ru \
         and aliexpress.us pages: paste the product page address."
    )]
    NotAliexpress { host: String },
    #[error(
        "{host} is a {network} affiliate link: it already carries another webmaster's tracking. \
         Open it, then paste the address of the AliExpress page it leads to."
    )]
    OtherNetwork { host: String, network: &'static str },
    #[error("{}", short_link_sentence(host))]
    ShortLinkRejected { host: String },
    #[error(
        "This app share link could not be followed ({reason}). Open it on your phone or in a browser, \
         then paste the product page address it shows."
    )]
    ShortLinkUnresolved { reason: String },
    #[error(
        "\"{id}\" is not an AliExpress product id (they have 10 to 16 digits). \
         Copy the link again from the product page."
    )]
    BadProductId { id: String },
    #[error(
        "{host} is an account, cart or help page: no commission comes from a link to it. \
         Paste a product, store or category link."
    )]
    AccountPage { host: String },
    #[error(
        "{host} is a store's own address. Open the store and paste its address of the form \
         aliexpress.com/store/<id>, or a product link."
    )]
    VanityStore { host: String },
    #[error(
        "The share link does not say which page it shares. Open it, then paste the product page address."
    )]
    EmptyShare,
    #[error(
        "Linksmith does not know this AliExpress page ({page}). Paste a product, store, category, \
         search or campaign link."
    )]
    UnknownPage { page: String },
}

impl LinkError {
    /// The contract's error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            LinkError::EmptyInput => ErrorCode::EmptyInput,
            LinkError::TooLong { .. } | LinkError::PasteTooLarge(_) => ErrorCode::TooLong,
            LinkError::UnsupportedScheme { .. }
            | LinkError::Unparsable { .. }
            | LinkError::SeveralLinks { .. }
            | LinkError::NonStandardPort { .. } => ErrorCode::InvalidUrl,
            LinkError::NotAliexpress { .. } | LinkError::OtherNetwork { .. } => {
                ErrorCode::NotAliexpress
            }
            LinkError::ShortLinkRejected { .. } => ErrorCode::ShortLinkRejected,
            LinkError::ShortLinkUnresolved { .. } => ErrorCode::ShortLinkUnresolved,
            LinkError::BadProductId { .. }
            | LinkError::AccountPage { .. }
            | LinkError::VanityStore { .. }
            | LinkError::EmptyShare
            | LinkError::UnknownPage { .. } => ErrorCode::UnsupportedPage,
        }
    }
}

/// Whether a refused short link is AliExpress's own `s.click` link (of which the terms say a
/// commission may not count), rather than another network's or `ali.click` short link.
pub fn is_s_click(host: &str) -> bool {
    matches!(
        hosts::classify(&host.to_ascii_lowercase()),
        HostClass::Aliexpress {
            role: Role::ShortLink,
            ..
        }
    )
}

fn short_link_sentence(host: &str) -> String {
    if is_s_click(host) {
        format!(
            "{host} links are refused: the terms say a commission through s.click links may not count. \
             Open the link in a browser, then paste the product page address it shows \
             (aliexpress.com/item/<id>.html)."
        )
    } else {
        format!(
            "{host} is a short affiliate link: it carries another webmaster's tracking, and reading it \
             would register a click for them, so Linksmith does not follow it. Open it in a browser, \
             then paste the address of the AliExpress page it shows."
        )
    }
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

/// Other networks' short links: following one would register a click for whoever made it.
const NETWORK_SHORT_HOSTS: &[&str] = &["fas.st", "ali.pub", "ali.ski", "ali.click"];

/// Another network's deep link (ePN `.../redirect/cpa/o/<code>/?to=<url>`, Admitad
/// `.../g/<code>/?ulp=<url>`): read as the AliExpress page it leads to, from its destination
/// parameter only (no request is made), with its tracking removed (`foreign_affiliate`).
/// Short links and deep links with no destination are refused.
fn unwrap_network(
    query: Option<&str>,
    host: &str,
    network: &'static str,
    depth: u8,
) -> Result<Reading, LinkError> {
    let short = NETWORK_SHORT_HOSTS.iter().any(|s| {
        host.eq_ignore_ascii_case(s) || host.to_ascii_lowercase().ends_with(&format!(".{s}"))
    });
    if short {
        return Err(LinkError::ShortLinkRejected {
            host: host.to_string(),
        });
    }
    let mut removed = Vec::new();
    let mut target = None;
    for (raw_name, raw_value) in params::raw_pairs(query.unwrap_or_default()) {
        let name = params::decode(raw_name);
        if matches!(&*name, "to" | "ulp") && target.is_none() {
            target = Some(params::decode(raw_value).into_owned());
        } else {
            removed.push(params::intern(&name));
        }
    }
    let Some(target) = target.filter(|t| !t.trim().is_empty()) else {
        // A deep link that names no destination (Admitad `/goto/<hash>/`) is a short link.
        return Err(LinkError::ShortLinkRejected {
            host: host.to_string(),
        });
    };
    if depth >= MAX_WRAPPING {
        return Err(LinkError::UnknownPage {
            page: "links nested too deep".into(),
        });
    }
    match read_link(target.trim(), depth + 1)? {
        Reading::Link(mut link) => {
            removed.append(&mut link.removed_params);
            link.removed_params = dedup_names(removed);
            link.foreign_affiliate = true;
            link.via_network = Some(Cow::Borrowed(network));
            Ok(Reading::Link(link))
        }
        app @ Reading::AppShare { .. } => Ok(app),
    }
}

/// `star.aliexpress.com/share/share.htm?redirectUrl=<url>` or `?productId=<id>`.
fn unwrap_share(
    url: &Url,
    query: Option<&str>,
    host: &str,
    site: Site,
    depth: u8,
) -> Result<Reading, LinkError> {
    let p = path::decode_path(url.path());
    let p = p.trim_end_matches('/').as_bytes();
    // Compared as bytes, without a lower-cased copy.
    let wanted = b"/share/share.htm";
    if !(p.len() >= wanted.len() && p[p.len() - wanted.len()..].eq_ignore_ascii_case(wanted)) {
        return Err(LinkError::UnknownPage {
            page: format!("{host}{}", url.path()),
        });
    }
    let mut outer_removed = Vec::new();
    let mut outer_foreign = false;
    let mut target = None;
    let mut product = None;
    for (raw_name, raw_value) in params::raw_pairs(query.unwrap_or_default()) {
        let name = params::decode(raw_name);
        if name.eq_ignore_ascii_case("redirectUrl") && target.is_none() {
            target = Some(params::decode(raw_value).into_owned());
        } else if name.eq_ignore_ascii_case("productId") && product.is_none() {
            product = Some(params::decode(raw_value).into_owned());
        } else {
            outer_foreign |= params::is_affiliate(&name, raw_value);
            outer_removed.push(params::intern(&name));
        }
    }
    let inner = match (target, product) {
        (Some(t), _) if depth < MAX_WRAPPING => {
            let t = t.trim();
            if t.is_empty() {
                return Err(LinkError::EmptyShare);
            }
            read_link(t, depth + 1)?
        }
        (Some(_), _) => {
            return Err(LinkError::UnknownPage {
                page: "share links nested too deep".into(),
            })
        }
        (None, Some(id)) if path::valid_product_id(&id) => {
            Reading::Link(product_link(site, id, None, None))
        }
        (None, Some(id)) => return Err(LinkError::BadProductId { id }),
        (None, None) => return Err(LinkError::EmptyShare),
    };
    Ok(match inner {
        Reading::Link(mut link) => {
            // The wrapper's own parameters come first, then the inner link's.
            outer_removed.append(&mut link.removed_params);
            link.removed_params = dedup_names(outer_removed);
            link.foreign_affiliate |= outer_foreign;
            Reading::Link(link)
        }
        app @ Reading::AppShare { .. } => app,
    })
}

/// Keeps the first of each name, in order. Linear: a link may carry a couple of thousand
/// parameters, and checking each against all before it would be quadratic.
fn dedup_names(mut names: Vec<Cow<'static, str>>) -> Vec<Cow<'static, str>> {
    if names.len() <= 16 {
        // In place: each name not seen before moves to the end of the kept ones. A bit for each
        // kept name's length and last byte: a name whose bit is not set was not seen, and is not
        // compared with the others (names are mostly distinct).
        let mut kept = 0;
        let mut bits = 0u64;
        for i in 0..names.len() {
            let bit = name_bit(&names[i]);
            if bits & bit == 0 || !names[..kept].iter().any(|k| same_name(k, &names[i])) {
                bits |= bit;
                names.swap(kept, i);
                kept += 1;
            }
        }
        names.truncate(kept);
        return names;
    }
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// One of 64 bits, from a name's length and last byte: equal names have the same bit.
fn name_bit(name: &str) -> u64 {
    let last = name.as_bytes().last().map_or(0, |&b| usize::from(b));
    1 << ((name.len() * 7 + last) % 64)
}

/// Names are equal; interned names (the same static text) are told without comparing bytes.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

fn push_unique(list: &mut Vec<Cow<'static, str>>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(params::intern(name));
    }
}

fn product_link(
    site: Site,
    product_id: String,
    store_id: Option<String>,
    sku_id: Option<String>,
) -> Link {
    // Built by hand: this is the hot path of every product link.
    let mut canonical = String::with_capacity(64);
    canonical.push_str("https://");
    canonical.push_str(site.domain());
    canonical.push_str("/item/");
    canonical.push_str(&product_id);
    canonical.push_str(".html");
    if let Some(sku) = &sku_id {
        canonical.push_str("?sku_id=");
        canonical.push_str(sku);
    }
    Link {
        kind: PageKind::Product,
        canonical_url: canonical,
        product_id: Some(product_id),
        store_id,
        sku_id,
        site,
        removed_params: Vec::new(),
        foreign_affiliate: false,
        tmall: false,
        via_network: None,
    }
}

/// The parameters of a page after the meaningful ones are taken out.
struct Params {
    sku: Option<String>,
    /// The SKU came from a `sku_id` parameter (not from `skuId` or `pdp_ext_f`, already reported).
    sku_param: bool,
    search_text: Option<String>,
    product_ids: Option<String>,
    removed: Vec<Cow<'static, str>>,
    foreign: bool,
}

fn read_params(query: Option<&str>) -> Params {
    let mut p = Params {
        sku: None,
        sku_param: false,
        search_text: None,
        product_ids: None,
        removed: Vec::new(),
        foreign: false,
    };
    let Some(query) = query else { return p };
    // Room for the parameters of a product link as the site writes it (a dozen), so that the list
    // is allocated once instead of growing three times.
    p.removed = Vec::with_capacity(16);
    let mut sku_from_ext = None;
    for (raw_name, raw_value) in params::raw_pairs(query) {
        let name = params::decode(raw_name);
        match &*name {
            "sku_id" | "skuId"
                if p.sku.is_none() && params::valid_sku(&params::decode(raw_value)) =>
            {
                p.sku = Some(params::decode(raw_value).into_owned());
                if name == "sku_id" {
                    p.sku_param = true;
                    continue;
                }
            }
            "SearchText" if p.search_text.is_none() => {
                p.search_text = Some(params::decode(raw_value).into_owned());
                continue;
            }
            // Kept only when it is what it says: product ids, each with an optional SKU.
            "productIds"
                if p.product_ids.is_none() && valid_product_ids(&params::decode(raw_value)) =>
            {
                p.product_ids = Some(params::decode(raw_value).into_owned());
                continue;
            }
            "pdp_ext_f" if sku_from_ext.is_none() => {
                sku_from_ext = params::sku_from_pdp_ext(&params::decode(raw_value));
            }
            _ => {}
        }
        p.foreign |= params::is_affiliate(&name, raw_value);
        p.removed.push(params::intern(&name));
    }
    p.removed = dedup_names(std::mem::take(&mut p.removed));
    if p.sku.is_none() {
        p.sku = sku_from_ext;
    }
    p
}

/// `<id>[:<skuId>],<id>[:<skuId>]...`
fn valid_product_ids(ids: &str) -> bool {
    !ids.is_empty()
        && ids
            .split(',')
            .all(|entry| match entry.trim().split_once(':') {
                Some((id, sku)) => path::valid_product_id(id) && params::valid_sku(sku),
                None => path::valid_product_id(entry.trim()),
            })
}

/// `productIds=<id>[:<skuId>]` naming exactly one product.
fn single_product(ids: &str) -> Option<(String, Option<String>)> {
    let ids = ids.trim();
    if ids.contains(',') {
        return None;
    }
    let (id, sku) = match ids.split_once(':') {
        Some((id, sku)) => (id, Some(sku)),
        None => (ids, None),
    };
    if !path::valid_product_id(id) {
        return None;
    }
    let sku = sku.filter(|s| params::valid_sku(s)).map(str::to_string);
    Some((id.to_string(), sku))
}

fn build(
    url: &Url,
    query: Option<&str>,
    host: &str,
    site: Site,
    role: Role,
    kind: PathKind,
) -> Result<Link, LinkError> {
    let mut params = read_params(query);
    let removed = std::mem::take(&mut params.removed);
    let foreign = params.foreign;
    let finish = |mut link: Link, removed: Vec<Cow<'static, str>>| {
        link.removed_params = removed;
        link.foreign_affiliate = foreign;
        link.tmall = role == Role::Tmall;
        link
    };
    match kind {
        PathKind::Product {
            product_id,
            store_id,
        } => {
            let removed = report_unused(
                removed,
                &params,
                Uses {
                    sku: true,
                    ..Uses::NONE
                },
            );
            Ok(finish(
                product_link(site, product_id, store_id, params.sku),
                removed,
            ))
        }
        PathKind::Store { store_id } => {
            let removed = report_unused(removed, &params, Uses::NONE);
            let link = Link {
                kind: PageKind::Store,
                canonical_url: ["https://", site.domain(), "/store/", &store_id].concat(),
                product_id: None,
                store_id: Some(store_id),
                sku_id: None,
                site,
                removed_params: Vec::new(),
                foreign_affiliate: false,
                tmall: false,
                via_network: None,
            };
            Ok(finish(link, removed))
        }
        PathKind::Home => {
            // The terms: "If you want to direct traffic to the home page, then you should use
            // https://aliexpress.com", whatever site was pasted (`site` keeps the pasted one).
            let link = page_link(PageKind::Home, HOME_URL.to_string(), site);
            Ok(finish(link, report_unused(removed, &params, Uses::NONE)))
        }
        PathKind::Category | PathKind::Campaign => {
            if let Some((id, sku)) = params.product_ids.as_deref().and_then(single_product) {
                // A campaign page of one product: the direct product link earns more.
                let sku = sku.or(params.sku.take());
                return Ok(finish(product_link(site, id, None, sku), removed));
            }
            // Campaign pages live on their own sub-domain (sale., campaign., tmall., best.): keep it so the
            // link works.
            let origin = match role {
                Role::Campaign | Role::Tmall | Role::Home => host,
                _ => site.domain(),
            };
            let search = kind == PathKind::Category;
            let mut canonical = ["https://", origin, url.path()].concat();
            let mut kept = url::form_urlencoded::Serializer::new(String::new());
            let mut any = false;
            if let Some(q) = params.search_text.as_deref().filter(|_| search) {
                kept.append_pair("SearchText", q);
                any = true;
            }
            if let Some(ids) = params.product_ids.as_deref() {
                kept.append_pair("productIds", ids);
                any = true;
            }
            if any {
                canonical.push('?');
                canonical.push_str(&kept.finish());
            }
            protect_tail(&mut canonical);
            // The canonical form must read back as itself, so it must fit the limit too.
            if canonical.len() > MAX_LINK_BYTES {
                return Err(LinkError::TooLong {
                    len: canonical.len(),
                });
            }
            let uses = Uses {
                search_text: search,
                product_ids: true,
                ..Uses::NONE
            };
            let removed = report_unused(removed, &params, uses);
            Ok(finish(
                page_link(PageKind::Category, canonical, site),
                removed,
            ))
        }
        PathKind::BadProductId(id) => Err(LinkError::BadProductId { id }),
        PathKind::Unknown => {
            if role == Role::Vanity {
                Err(LinkError::VanityStore {
                    host: host.to_string(),
                })
            } else {
                Err(LinkError::UnknownPage {
                    page: format!("{host}{}", url.path()),
                })
            }
        }
    }
}

/// A canonical URL must read back as itself, so punctuation at its end (which a paste would lose as
/// the end of a sentence: `.` `)` `!`) is percent-encoded; the address is the same to the server.
fn protect_tail(canonical: &mut String) {
    let kept = extract::trim_wrapping(canonical).len();
    if kept < canonical.len() {
        let tail = canonical.as_bytes()[kept..]
            .iter()
            .fold(String::new(), |mut out, b| {
                let _ = write!(out, "%{b:02X}");
                out
            });
        canonical.truncate(kept);
        canonical.push_str(&tail);
    }
}

/// Which meaningful parameters a page kind keeps.
#[derive(Clone, Copy)]
struct Uses {
    sku: bool,
    search_text: bool,
    product_ids: bool,
}

impl Uses {
    const NONE: Uses = Uses {
        sku: false,
        search_text: false,
        product_ids: false,
    };
}

/// The meaningful parameters a page kind does not keep are reported as removed too.
fn report_unused(
    mut removed: Vec<Cow<'static, str>>,
    params: &Params,
    uses: Uses,
) -> Vec<Cow<'static, str>> {
    if params.sku_param && !uses.sku {
        push_unique(&mut removed, "sku_id");
    }
    if params.search_text.is_some() && !uses.search_text {
        push_unique(&mut removed, "SearchText");
    }
    if params.product_ids.is_some() && !uses.product_ids {
        push_unique(&mut removed, "productIds");
    }
    removed
}

/// The home page the terms name for home-page traffic.
pub const HOME_URL: &str = "https://aliexpress.com/";

fn page_link(kind: PageKind, canonical_url: String, site: Site) -> Link {
    Link {
        kind,
        canonical_url,
        product_id: None,
        store_id: None,
        sku_id: None,
        site,
        removed_params: Vec::new(),
        foreign_affiliate: false,
        tmall: false,
        via_network: None,
    }
}
