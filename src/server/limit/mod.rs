//! Who a client is, and how much it may ask.
//!
//! - [`client_ip`]: the TCP peer, or, when the peer is a trusted reverse proxy
//!   (`LINKSMITH_TRUSTED_PROXIES`), the rightmost `X-Forwarded-For` address that is not one.
//!   A client that is not a trusted proxy can never choose its own address with a header.
//! - [`ClientKey`]: what the connection cap counts by: an IPv4 address, or an IPv6 /64.
//! - [`ClientBuckets`]: token buckets per [`Client`] in bounded memory (least recently used
//!   out), an address counted in its wider prefixes too (IPv6 /64, /56, /48; IPv4 and its /24),
//!   so that neither many addresses nor a long wait for a scan can beat it. Any rate: links a
//!   second, look-ups an hour.
//! - [`LinkLimiter`]: the contract's "Rate limit" over those buckets, counted in links: `burst`
//!   links at once, refilled at `per_second`. Every path that checks links takes from it:
//!   the API, the page's server function and the server rendering of `/?url=`.
//!
//! Time is tokio's clock, so tests run it paused.

mod buckets;
pub use buckets::*;

use std::{
    collections::hash_map::RandomState,
    hash::BuildHasher,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroUsize,
    sync::Mutex,
    time::Duration,
};

use axum::http::HeaderMap;
use ipnet::IpNet;
use lru::LruCache;
use tokio::time::Instant;

pub mod client;

pub use client::{Caller, Client};

/// `LINKSMITH_TRUSTED_PROXIES`: addresses and networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses (`10.0.0.5`, `::1`) or CIDRs (`10.0.0.0/8`).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "\"{}\" is not an IP address or a CIDR network (as 10.0.0.5 or 10.0.0.0/8)",
                        item.chars().take(60).collect::<String>()
                    )
                })?;
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// An IPv4-mapped IPv6 address is the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        IpAddr::V4(v4) => IpAddr::V4(v4),
    }
}

/// Reads one `X-Forwarded-For` entry: an address, perhaps with a port or in brackets.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = e.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    e.strip_prefix('[')
        .and_then(|r| r.split(']').next())
        .and_then(|r| r.parse().ok())
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the rightmost
/// `X-Forwarded-For` address that is not a trusted proxy (the addresses left of it were written
/// by the client and prove nothing). An unreadable entry stops the walk at the proxy that wrote it.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    // Several headers are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.into_iter().rev() {
        let Some(ip) = forwarded_ip(entry).map(canonical) else {
            return client;
        };
        client = ip;
        if !trusted.contains(ip) {
            return ip;
        }
    }
    client
}

/// What the limits count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match canonical(ip) {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                ClientKey(IpAddr::V6(Ipv6Addr::new(
                    s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                )))
            }
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
            IpAddr::V4(v4) => write!(f, "{v4}"),
        }
    }
}

/// Links per second sustained per client, and the links it may check at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl RateLimit {
    /// The same limit as a [`Rate`] (at least one link a second and one at once).
    pub fn rate(self) -> Rate {
        Rate {
            per_second: f64::from(self.per_second.max(1)),
            burst: f64::from(self.burst.max(1)),
        }
    }
}

/// A token bucket's rate: `burst` tokens at once, refilled at `per_second` (any unit: links a
/// second, or 2,000 look-ups an hour as `per_second: 2000.0 / 3600.0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    /// `count` tokens per `period`, `burst` at once.
    pub fn per(count: f64, period: Duration, burst: f64) -> Rate {
        Rate {
            per_second: count / period.as_secs_f64().max(1e-9),
            burst,
        }
    }

    /// The same rate, `factor` times as generous (refill and burst).
    fn times(self, factor: f64) -> Rate {
        Rate {
            per_second: self.per_second * factor,
            burst: self.burst * factor,
        }
    }

    /// Nanoseconds it takes to refill `tokens`, rounded down (`up`: up). A rate that is not
    /// positive (or not a number) is one token in a billion seconds; past 584 years is 584 years.
    fn nanos_for(self, tokens: f64, up: bool) -> u64 {
        let per_second = if self.per_second > 1e-9 {
            self.per_second
        } else {
            1e-9
        };
        let nanos = tokens / per_second * 1e9;
        // Not negative (tokens and the rate are positive); `as` saturates at u64::MAX.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        if up {
            nanos.ceil() as u64
        } else {
            nanos.floor() as u64
        }
    }
}

/// Why [`ClientBuckets::take`] refused (it took nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wait {
    /// The tokens are there, in every layer, after this long.
    For(Duration),
    /// More tokens at once than the burst: it can never pass.
    Never,
}

/// How much more generous each wider layer of an address is than the address's own bucket (its
/// refill and its burst are both multiplied). See docs/SECURITY.md, "The limiter's keys".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layers {
    /// An IPv6 /56 (a home's whole delegation at most providers): 4 of its /64s at full rate.
    pub v6_56: f64,
    /// An IPv6 /48 (a site, a business, or a free tunnel broker's allocation): 16 of its /64s.
    pub v6_48: f64,
    /// An IPv4 /24 (an office, a campus or a provider's NAT pool): 16 of its addresses.
    pub v4_24: f64,
}

impl Default for Layers {
    fn default() -> Layers {
        Layers {
            v6_56: 4.0,
            v6_48: 16.0,
            v4_24: 16.0,
        }
    }
}

/// Why the limiter refused a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refused {
    /// The links are there after this long.
    Wait(Duration),
    /// More links at once than any client may check at once.
    OverBurst { burst: u32 },
}

/// The contract's rate limit: a token bucket per client, counted in links ([`ClientBuckets`]:
/// an address with its wider prefixes, a key at its own limit).
pub struct LinkLimiter {
    limit: RateLimit,
    buckets: ClientBuckets,
}

impl LinkLimiter {
    /// The server's limit, the default capacity.
    pub fn new(limit: RateLimit) -> LinkLimiter {
        LinkLimiter::with_buckets(limit, ClientBuckets::new(ClientBuckets::DEFAULT_CAPACITY))
    }

    /// The server's limit over buckets of the caller's choosing (capacity, shards, layers).
    pub fn with_buckets(limit: RateLimit, buckets: ClientBuckets) -> LinkLimiter {
        LinkLimiter {
            limit: RateLimit {
                per_second: limit.per_second.max(1),
                burst: limit.burst.max(1),
            },
            buckets,
        }
    }

    /// The server's limit (a key may have its own).
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes `links` (at least one) from the client's buckets, at `own` (a key's own limit) or
    /// else the server's, or says how long to wait until they are there. A refused request takes
    /// nothing. A request for more links than the burst can never pass: [`Refused::OverBurst`]
    /// (with the default burst, the batch limit, the batch size check refuses it first).
    pub fn take(
        &self,
        client: &Client,
        links: usize,
        own: Option<RateLimit>,
    ) -> Result<(), Refused> {
        let limit = own.unwrap_or(self.limit);
        // A batch is at most a few thousand links: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let cost = links.max(1) as f64;
        match self.buckets.take(client, cost, limit.rate()) {
            Ok(()) => Ok(()),
            Err(Wait::For(wait)) => Err(Refused::Wait(wait)),
            Err(Wait::Never) => Err(Refused::OverBurst {
                burst: limit.burst.max(1),
            }),
        }
    }

    /// Forgets buckets that are full again ([`ClientBuckets::sweep`]): run every minute.
    pub fn sweep(&self) {
        self.buckets.sweep();
    }

    /// Buckets remembered now (a client is one to three).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Buckets remembered at most.
    pub fn capacity(&self) -> usize {
        self.buckets.capacity()
    }
}

/// Whole seconds to wait, at least one (the `Retry-After` value).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests;
