//! Host rules, decided on the host the `url` crate parsed (lower-case ASCII, IDNs as punycode),
//! never on a substring of the text.

use serde::{Deserialize, Serialize};

/// The registrable domains of the programme's sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Site {
    #[serde(rename = "aliexpress.com")]
    Com,
    #[serde(rename = "aliexpress.ru")]
    Ru,
    #[serde(rename = "aliexpress.us")]
    Us,
}

impl Site {
    pub const ALL: [Site; 3] = [Site::Com, Site::Ru, Site::Us];

    pub fn domain(self) -> &'static str {
        match self {
            Site::Com => "aliexpress.com",
            Site::Ru => "aliexpress.ru",
            Site::Us => "aliexpress.us",
        }
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.domain())
    }
}

/// What a sub-domain of an AliExpress site is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The site itself: bare, `www`, `m`, locale sub-domains (`pt`, `fr`, `m.de`).
    Main,
    /// `s.click` and `click`: affiliate redirects, refused.
    ShortLink,
    /// `a`: the app's share links (`a.aliexpress.com/_xxxx`), resolved by the server.
    AppShare,
    /// `star`: the share wrapper `share.htm?redirectUrl=...`.
    ShareWrapper,
    /// `best`: the home page.
    Home,
    /// `sale`, `campaign`: campaign and sale pages, which live on that sub-domain.
    Campaign,
    /// `tmall`: the Tmall section.
    Tmall,
    /// Account, cart, messages, help: pages no affiliate link should point to.
    Account,
    /// Any other sub-domain: a store's vanity address.
    Vanity,
}

/// A host read against the programme's sites and the known affiliate networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostClass {
    Aliexpress {
        site: Site,
        role: Role,
    },
    /// A link of another affiliate network: already somebody's affiliate link.
    OtherNetwork {
        network: &'static str,
    },
    Foreign,
}

/// Hosts of other affiliate networks' AliExpress links (suffix match on whole labels).
const OTHER_NETWORKS: &[(&str, &str)] = &[
    ("alitems.com", "Admitad"),
    ("alitems.site", "Admitad"),
    ("alitems.co", "Admitad"),
    ("admitad.com", "Admitad"),
    ("fas.st", "Admitad"),
    ("alipromo.com", "ePN"),
    ("ali.pub", "ePN"),
    ("ali.ski", "ePN"),
    ("epn.bz", "ePN"),
    ("shopnow.pub", "ePN"),
    ("epnclick.ru", "ePN"),
    ("buyeasy.by", "ePN"),
    ("gotbest.by", "ePN"),
    // AliExpress's own affiliate short links: like s.click, never followed.
    ("ali.click", "AliExpress"),
];

const ACCOUNT_SUBDOMAINS: &[&str] = &[
    "login",
    "my",
    "home",
    "trade",
    "shoppingcart",
    "msg",
    "message",
    "feedback",
    "helppage",
    "service",
    "sell",
    "seller",
    "sellercenter",
    "portals",
    "report",
    "passport",
    "accounts",
    "order",
    "buyer",
];

/// `host` equals `domain` or is a sub-domain of it; returns the sub-domain part ("" for equal).
pub fn strip_domain<'a>(host: &'a str, domain: &str) -> Option<&'a str> {
    if host == domain {
        return Some("");
    }
    let sub = host.strip_suffix(domain)?.strip_suffix('.')?;
    (!sub.is_empty()).then_some(sub)
}

fn is_locale_label(label: &str) -> bool {
    label.len() == 2 && label.bytes().all(|b| b.is_ascii_lowercase())
}

fn role_of(sub: &str) -> Role {
    match sub {
        "" | "www" | "m" => return Role::Main,
        "s.click" | "click" => return Role::ShortLink,
        "a" => return Role::AppShare,
        "star" => return Role::ShareWrapper,
        "best" => return Role::Home,
        "sale" | "campaign" => return Role::Campaign,
        "tmall" => return Role::Tmall,
        _ => {}
    }
    // Locale sub-domains and their mobile forms: pt, m.de, de.m, www.fr.
    if sub
        .split('.')
        .all(|l| l == "m" || l == "www" || is_locale_label(l))
    {
        return Role::Main;
    }
    let first = sub.split('.').next().unwrap_or(sub);
    if ACCOUNT_SUBDOMAINS.contains(&first) {
        return Role::Account;
    }
    Role::Vanity
}

/// Classifies a parsed domain host. A trailing dot (fully qualified form) is ignored.
pub fn classify(host: &str) -> HostClass {
    let host = host.strip_suffix('.').unwrap_or(host);
    for site in Site::ALL {
        if let Some(sub) = strip_domain(host, site.domain()) {
            return HostClass::Aliexpress {
                site,
                role: role_of(sub),
            };
        }
    }
    for (domain, network) in OTHER_NETWORKS {
        if strip_domain(host, domain).is_some() {
            return HostClass::OtherNetwork { network };
        }
    }
    HostClass::Foreign
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_and_subdomains() {
        assert_eq!(
            classify("aliexpress.com"),
            HostClass::Aliexpress {
                site: Site::Com,
                role: Role::Main
            }
        );
        assert_eq!(
            classify("m.de.aliexpress.com"),
            HostClass::Aliexpress {
                site: Site::Com,
                role: Role::Main
            }
        );
        assert_eq!(
            classify("pt.aliexpress.com."),
            HostClass::Aliexpress {
                site: Site::Com,
                role: Role::Main
            }
        );
        assert_eq!(
            classify("s.click.aliexpress.com"),
            HostClass::Aliexpress {
                site: Site::Com,
                role: Role::ShortLink
            }
        );
        assert_eq!(
            classify("xiaomi.aliexpress.com"),
            HostClass::Aliexpress {
                site: Site::Com,
                role: Role::Vanity
            }
        );
        assert_eq!(
            classify("login.aliexpress.ru"),
            HostClass::Aliexpress {
                site: Site::Ru,
                role: Role::Account
            }
        );
        assert_eq!(classify("aliexpress.com.evil.test"), HostClass::Foreign);
        assert_eq!(classify("myaliexpress.com"), HostClass::Foreign);
        assert_eq!(classify("aliexpress.co"), HostClass::Foreign);
        assert_eq!(
            classify("alipromo.com"),
            HostClass::OtherNetwork { network: "ePN" }
        );
        assert_eq!(classify("notalipromo.com"), HostClass::Foreign);
    }
}
