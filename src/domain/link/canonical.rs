//! The canonical direct link of a page: its meaningful parameters kept, everything else reported
//! as removed, the address written so that it reads back as itself.

use super::*;

/// Keeps the first of each name, in order. Linear: a link may carry a couple of thousand
/// parameters, and checking each against all before it would be quadratic.
pub(super) fn dedup_names(mut names: Vec<Cow<'static, str>>) -> Vec<Cow<'static, str>> {
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
pub(super) fn name_bit(name: &str) -> u64 {
    let last = name.as_bytes().last().map_or(0, |&b| usize::from(b));
    1 << ((name.len() * 7 + last) % 64)
}

/// Names are equal; interned names (the same static text) are told without comparing bytes.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

pub(super) fn push_unique(list: &mut Vec<Cow<'static, str>>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(params::intern(name));
    }
}

pub(super) fn product_link(
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
pub(super) struct Params {
    sku: Option<String>,
    /// The SKU came from a `sku_id` parameter (not from `skuId` or `pdp_ext_f`, already reported).
    sku_param: bool,
    search_text: Option<String>,
    product_ids: Option<String>,
    removed: Vec<Cow<'static, str>>,
    foreign: bool,
}

pub(super) fn read_params(query: Option<&str>) -> Params {
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
pub(super) fn valid_product_ids(ids: &str) -> bool {
    !ids.is_empty()
        && ids
            .split(',')
            .all(|entry| match entry.trim().split_once(':') {
                Some((id, sku)) => path::valid_product_id(id) && params::valid_sku(sku),
                None => path::valid_product_id(entry.trim()),
            })
}

/// `productIds=<id>[:<skuId>]` naming exactly one product.
pub(super) fn single_product(ids: &str) -> Option<(String, Option<String>)> {
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

pub(super) fn build(
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
pub(super) fn protect_tail(canonical: &mut String) {
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
pub(super) struct Uses {
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
pub(super) fn report_unused(
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

pub(super) fn page_link(kind: PageKind, canonical_url: String, site: Site) -> Link {
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
