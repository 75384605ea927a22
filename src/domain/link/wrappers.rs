//! Links that wrap a product page: other networks' deep links (read from their destination
//! parameter, never followed) and AliExpress's own share pages.

use super::*;

/// Other networks' short links: following one would register a click for whoever made it.
pub(super) const NETWORK_SHORT_HOSTS: &[&str] = &["fas.st", "ali.pub", "ali.ski", "ali.click"];

/// Another network's deep link (ePN `.../redirect/cpa/o/<code>/?to=<url>`, Admitad
/// `.../g/<code>/?ulp=<url>`): read as the AliExpress page it leads to, from its destination
/// parameter only (no request is made), with its tracking removed (`foreign_affiliate`).
/// Short links and deep links with no destination are refused.
pub(super) fn unwrap_network(
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
pub(super) fn unwrap_share(
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
