//! The guarded fetcher: the only way the server reaches the outside world.
//!
//! - only `http`/`https` to AliExpress hosts, decided on the parsed host, at every redirect hop;
//! - never an IP literal; never a private, loopback or link-local address after DNS resolution
//!   (tests opt in to loopback, and may pin host names to loopback addresses);
//! - time-outs on connect and on the whole exchange; bodies capped in size.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect, StatusCode,
};
use url::Url;

use crate::domain::link::hosts::{self, HostClass};

/// Limits and test switches of the fetcher.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    /// Largest body read (bytes).
    pub max_body_bytes: usize,
    pub connect_timeout: Duration,
    /// Most redirects followed.
    pub max_hops: u8,
    /// Tests only: loopback addresses are allowed.
    pub allow_loopback: bool,
    /// Tests only: host names resolved to these addresses instead of DNS (still checked).
    pub pinned: HashMap<String, IpAddr>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            connect_timeout: Duration::from_millis(1500),
            max_hops: 5,
            allow_loopback: false,
            pinned: HashMap::new(),
        }
    }
}

/// Why a fetch was refused or failed. Messages name no secret and no internal address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("it leads to {host}, which is not an AliExpress site")]
    HostNotAllowed { host: String },
    #[error("it leads to an IP address instead of a site name")]
    IpLiteral,
    #[error("it leads to a {scheme}: address, not https")]
    Scheme { scheme: String },
    #[error("it leads to port {port}; AliExpress pages are served on the standard https port")]
    Port { port: u16 },
    #[error("it redirects more than {max} times")]
    TooManyRedirects { max: u8 },
    #[error("it redirects in a loop")]
    RedirectLoop,
    #[error("a redirect has no valid target")]
    BadRedirect,
    #[error("AliExpress did not answer within {ms} ms")]
    Timeout { ms: u128 },
    #[error("the page is over {max} bytes")]
    TooLarge { max: usize },
    #[error("AliExpress answered HTTP {status}")]
    Status { status: u16 },
    #[error("the connection failed")]
    Network,
}

impl FetchError {
    /// Whether the failure is AliExpress's (a time-out, a failed connection, a 5xx): only these
    /// count toward the pages' breaker. A page that is too large, gone, or leads elsewhere is
    /// about that page.
    pub fn is_source_fault(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Network => true,
            FetchError::Status { status } => *status >= 500,
            _ => false,
        }
    }
}

/// A response whose every hop passed the checks.
#[derive(Debug)]
pub struct Fetched {
    /// Where the last hop was fetched from.
    pub url: Url,
    pub status: StatusCode,
    pub body: String,
}

/// What to do with a redirect target before following it.
pub enum Hop {
    /// Stop here: the caller has what it needs from this address.
    Stop,
    Follow,
}

#[derive(Clone)]
pub struct GuardedFetcher {
    client: reqwest::Client,
    policy: Arc<FetchPolicy>,
}

impl GuardedFetcher {
    pub fn new(policy: FetchPolicy) -> Self {
        let resolver = GuardedResolver {
            allow_loopback: policy.allow_loopback,
            pinned: policy.pinned.clone(),
        };
        let client = reqwest::Client::builder()
            // Proxy variables (HTTPS_PROXY, ALL_PROXY...) would send requests to a host this
            // fetcher never checked, and resolve names where its address rules do not apply.
            .no_proxy()
            .redirect(redirect::Policy::none())
            .connect_timeout(policy.connect_timeout)
            .dns_resolver(Arc::new(resolver))
            .user_agent(concat!(
                "Linksmith/",
                env!("CARGO_PKG_VERSION"),
                " (link checker)"
            ))
            .build()
            .expect("the HTTP client's fixed configuration is valid");
        Self {
            client,
            policy: Arc::new(policy),
        }
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// The host rules for one address: https on the default port, a domain name of an
    /// AliExpress site.
    pub fn check(url: &Url) -> Result<(), FetchError> {
        Self::check_with(url, false)
    }

    /// [`Self::check`]; `loopback_tests` (a test's policy) also lets plain http and other ports through.
    fn check_with(url: &Url, loopback_tests: bool) -> Result<(), FetchError> {
        let scheme_ok = url.scheme() == "https" || (loopback_tests && url.scheme() == "http");
        if !scheme_ok {
            return Err(FetchError::Scheme {
                scheme: url.scheme().to_string(),
            });
        }
        if let Some(port) = url.port().filter(|_| !loopback_tests) {
            return Err(FetchError::Port { port });
        }
        match url.host() {
            Some(url::Host::Domain(d)) => match hosts::classify(d) {
                HostClass::Aliexpress { .. } => Ok(()),
                _ => Err(FetchError::HostNotAllowed {
                    host: d.to_string(),
                }),
            },
            Some(_) => Err(FetchError::IpLiteral),
            None => Err(FetchError::BadRedirect),
        }
    }

    /// GETs `url`, following redirects hop by hop (each checked) within `budget`. `at_hop` sees every
    /// redirect target first and may stop there; the body is read only from a final non-redirect answer.
    pub async fn get(
        &self,
        url: Url,
        budget: Duration,
        mut at_hop: impl FnMut(&Url) -> Hop,
    ) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(budget, self.get_inner(url, &mut at_hop)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                ms: budget.as_millis(),
            }),
        }
    }

    async fn get_inner(
        &self,
        mut url: Url,
        at_hop: &mut impl FnMut(&Url) -> Hop,
    ) -> Result<Fetched, FetchError> {
        let mut seen = vec![url.clone()];
        let mut hops = 0u8;
        let tests = self.policy.allow_loopback;
        loop {
            Self::check_with(&url, tests)?;
            let response = self.client.get(url.clone()).send().await.map_err(|e| {
                if e.is_timeout() {
                    FetchError::Timeout {
                        ms: self.policy.connect_timeout.as_millis(),
                    }
                } else {
                    FetchError::Network
                }
            })?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| url.join(loc).ok())
                    .ok_or(FetchError::BadRedirect)?;
                Self::check_with(&next, tests)?;
                if let Hop::Stop = at_hop(&next) {
                    return Ok(Fetched {
                        url: next,
                        status,
                        body: String::new(),
                    });
                }
                hops += 1;
                if hops > self.policy.max_hops {
                    return Err(FetchError::TooManyRedirects {
                        max: self.policy.max_hops,
                    });
                }
                if seen.contains(&next) {
                    return Err(FetchError::RedirectLoop);
                }
                seen.push(next.clone());
                url = next;
                continue;
            }
            let body = read_capped(response, self.policy.max_body_bytes).await?;
            return Ok(Fetched { url, status, body });
        }
    }
}

async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<String, FetchError> {
    if response.content_length().is_some_and(|n| n as usize > max) {
        return Err(FetchError::TooLarge { max });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| FetchError::Network)? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge { max });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// True for addresses on the public internet (std's `is_global` is not stable).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xC0) == 64) // 100.64.0.0/10, shared address space
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24, protocol assignments
                || (o[0] == 198 && (o[1] & 0xFE) == 18) // 198.18.0.0/15, benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::new(
                    (hi >> 8) as u8,
                    hi as u8,
                    (lo >> 8) as u8,
                    lo as u8,
                ))
            };
            // Forms that carry an IPv4 address reach it: public only if it is.
            // NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d, deprecated) in the last 32 bits.
            if (s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4])
                || (s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1))
            {
                return is_public(embedded(s[6], s[7]));
            }
            // 6to4 (2002::/16): the IPv4 address in bits 16 to 48.
            if s[0] == 0x2002 {
                return is_public(embedded(s[1], s[2]));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xFE00) == 0xFC00 // unique local fc00::/7
                || (s[0] & 0xFFC0) == 0xFE80 // link-local fe80::/10
                || (s[0] & 0xFFC0) == 0xFEC0 // site-local fec0::/10 (deprecated)
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001) // local-use NAT64 64:ff9b:1::/48
                || (s[0] == 0x2001 && s[1] == 0x0000) // Teredo 2001::/32: tunnels to any IPv4 address
                || (s[0] == 0x0100 && s[1..4] == [0; 3]) // discard-only 100::/64
                || (s[0] == 0x2001 && s[1] == 0x0DB8)) // documentation
        }
    }
}

/// DNS resolution that drops every address the server must not reach.
struct GuardedResolver {
    allow_loopback: bool,
    pinned: HashMap<String, IpAddr>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let pinned = self.pinned.get(name.as_str()).copied();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = match pinned {
                Some(ip) => vec![SocketAddr::new(ip, 0)],
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| is_public(a.ip()) || (allow_loopback && a.ip().is_loopback()))
                .collect();
            if allowed.is_empty() {
                tracing::warn!(%host, "refused: the name resolves only to private or reserved addresses");
                return Err("the name resolves only to private or reserved addresses".into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        for ip in [
            "8.8.8.8",
            "47.246.136.1",
            "2a00:1450:4001::1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            // NAT64, local-use NAT64, IPv4-compatible, 6to4, site-local, Teredo.
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::808:808",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn host_rules() {
        let ok = |u: &str| GuardedFetcher::check(&Url::parse(u).unwrap());
        assert!(ok("https://a.aliexpress.com/_abc").is_ok());
        assert!(ok("https://aliexpress.ru/item/1005004325322975.html").is_ok());
        assert_eq!(
            ok("http://aliexpress.ru/item/1005004325322975.html"),
            Err(FetchError::Scheme {
                scheme: "http".into()
            })
        );
        assert_eq!(
            ok("https://aliexpress.com:8443/item/1005004325322975.html"),
            Err(FetchError::Port { port: 8443 })
        );
        // The default port written out is the default port.
        assert!(ok("https://aliexpress.com:443/item/1005004325322975.html").is_ok());
        assert_eq!(
            ok("https://evil.test/"),
            Err(FetchError::HostNotAllowed {
                host: "evil.test".into()
            })
        );
        assert_eq!(
            ok("https://aliexpress.com.evil.test/"),
            Err(FetchError::HostNotAllowed {
                host: "aliexpress.com.evil.test".into()
            })
        );
        assert_eq!(ok("https://127.0.0.1/"), Err(FetchError::IpLiteral));
        assert_eq!(ok("https://[::1]/"), Err(FetchError::IpLiteral));
        assert_eq!(
            ok("ftp://aliexpress.com/"),
            Err(FetchError::Scheme {
                scheme: "ftp".into()
            })
        );
    }
}
