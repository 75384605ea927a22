//! The operator's or webmaster's affiliate (deep) link template, checked, and the affiliate link it
//! makes for a normalised link.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::sub_id::SubId;
use crate::domain::{
    link::{hosts, Link},
    sources::StatusSource,
};

/// Characters left as they are in an encoded `{url}` or `{sub}`: RFC 3986's unreserved set.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The placeholders a template may hold.
const PLACEHOLDERS: [&str; 4] = ["{url}", "{raw_url}", "{product_id}", "{sub}"];

/// The operator's affiliate (deep) link template, checked: an absolute https address that carries
/// the page's address (`{url}` or `{raw_url}`), with no placeholder it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTemplate(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    Empty,
    NoDestination,
    UnknownPlaceholder(String),
    NotHttps(String),
    ShortLinkHost(String),
}

impl LinkTemplate {
    pub fn parse(text: &str) -> Result<LinkTemplate, TemplateError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TemplateError::Empty);
        }
        // Every `{...}` must be a known placeholder.
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            let tail = &rest[open..];
            let end = tail.find('}').map_or(tail.len(), |e| e + 1);
            let token = &tail[..end];
            if !PLACEHOLDERS.contains(&token) {
                return Err(TemplateError::UnknownPlaceholder(
                    token.chars().take(40).collect(),
                ));
            }
            rest = &tail[end..];
        }
        if !t.contains("{url}") && !t.contains("{raw_url}") {
            return Err(TemplateError::NoDestination);
        }
        // Filled with a sample, the template must be an absolute https address with a host.
        let sample = fill(
            t,
            "https://aliexpress.com/item/1005005248414510.html",
            Some("1005005248414510"),
            Some("sample"),
        );
        let url = crate::domain::link::parse_url(&sample)
            .map_err(|e| TemplateError::NotHttps(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(TemplateError::NotHttps(format!(
                "the scheme is {}",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host.is_empty() {
            return Err(TemplateError::NotHttps("it names no host".into()));
        }
        if matches!(
            hosts::classify(&host),
            hosts::HostClass::Aliexpress {
                role: hosts::Role::ShortLink,
                ..
            }
        ) {
            return Err(TemplateError::ShortLinkHost(host));
        }
        Ok(LinkTemplate(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The network the affiliate links made with this template go through, by its host: ePN's
    /// or Admitad's deep-link hosts, or an AliExpress host (a Portals link). `None` for any other
    /// host (the operator's own redirect, say).
    pub fn network(&self) -> Option<StatusSource> {
        let sample = fill(
            &self.0,
            "https://aliexpress.com/item/1005005248414510.html",
            Some("1005005248414510"),
            None,
        );
        let url = crate::domain::link::parse_url(&sample).ok()?;
        match hosts::classify(&url.host_str()?.to_ascii_lowercase()) {
            hosts::HostClass::OtherNetwork { network: "ePN" } => Some(StatusSource::Epn),
            hosts::HostClass::OtherNetwork { network: "Admitad" } => Some(StatusSource::Admitad),
            hosts::HostClass::Aliexpress { .. } => Some(StatusSource::Api),
            hosts::HostClass::OtherNetwork { .. } | hosts::HostClass::Foreign => None,
        }
    }

    /// The affiliate link for a normalised link.
    pub fn render(&self, link: &Link, sub: Option<&SubId>) -> String {
        fill(
            &self.0,
            &link.canonical_url,
            link.product_id.as_deref(),
            sub.map(SubId::as_str),
        )
    }
}

/// What `{raw_url}` escapes where it stands in the template's query: `&` and `#` would end the
/// destination parameter there and add parameters (or a fragment) of their own to the deep link.
const RAW_IN_QUERY: &AsciiSet = &percent_encoding::CONTROLS.add(b'&').add(b'#').add(b' ');
/// What `{raw_url}` escapes in the template's path: `?` and `#` would start a query or fragment.
const RAW_IN_PATH: &AsciiSet = &percent_encoding::CONTROLS.add(b'?').add(b'#').add(b' ');

fn fill(template: &str, url: &str, product_id: Option<&str>, sub: Option<&str>) -> String {
    let encoded = utf8_percent_encode(url, COMPONENT).to_string();
    let raw_in_query = utf8_percent_encode(url, RAW_IN_QUERY).to_string();
    let raw_in_path = utf8_percent_encode(url, RAW_IN_PATH).to_string();
    let sub = sub
        .map(|s| utf8_percent_encode(s, COMPONENT).to_string())
        .unwrap_or_default();
    // One pass, so a value is never read again as a placeholder.
    let mut out = String::with_capacity(template.len() + encoded.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let (value, len) = if tail.starts_with("{url}") {
            (encoded.as_str(), 5)
        } else if tail.starts_with("{raw_url}") {
            // As it is, except what would break out of where the template puts it.
            if out.contains('?') {
                (raw_in_query.as_str(), 9)
            } else {
                (raw_in_path.as_str(), 9)
            }
        } else if tail.starts_with("{product_id}") {
            (product_id.unwrap_or(""), 12)
        } else if tail.starts_with("{sub}") {
            (sub.as_str(), 5)
        } else {
            ("{", 1)
        };
        out.push_str(value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}
