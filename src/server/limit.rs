//! Who a client is, and how much it may ask.
//!
//! - [`client_ip`]: the TCP peer, or, when the peer is a trusted reverse proxy
//!   (`LINKSMITH_TRUSTED_PROXIES`), the rightmost `X-Forwarded-For` address that is not one.
//!   A client that is not a trusted proxy can never choose its own address with a header.
//! - [`ClientKey`]: what the limits count by: an IPv4 address, or an IPv6 /64 (one host gets a
//!   whole /64, so a per-address key would let it take 2^64 keys).
//! - [`LinkLimiter`]: a token bucket per client, counted in links (the contract's "Rate limit"):
//!   `burst` links at once, refilled at `per_second`. Every path that checks links takes from it:
//!   the API, the page's server function and the server rendering of `/?url=`.
//!
//! Time is tokio's clock, so tests run it paused.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::Mutex,
    time::Duration,
};

use axum::http::HeaderMap;
use ipnet::IpNet;
use tokio::time::Instant;

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
fn canonical(ip: IpAddr) -> IpAddr {
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

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Why the limiter refused a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refused {
    /// The links are there after this long.
    Wait(Duration),
    /// More links at once than any client may check at once.
    OverBurst { burst: u32 },
}

/// Clients remembered at most; past this, full buckets are forgotten at once.
const MAX_CLIENTS: usize = 100_000;

/// A token bucket per client, counted in links.
pub struct LinkLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
}

impl LinkLimiter {
    pub fn new(limit: RateLimit) -> LinkLimiter {
        LinkLimiter {
            limit: RateLimit {
                per_second: limit.per_second.max(1),
                burst: limit.burst.max(1),
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * f64::from(self.limit.per_second))
            .min(f64::from(self.limit.burst));
        b.at = now;
    }

    /// Takes `links` (at least one) from the client's bucket, or says how long to wait until
    /// they are there. A refused request takes nothing. A request for more links than the burst
    /// can never pass: [`Refused::OverBurst`] (with the default burst, the batch limit, the
    /// batch size check refuses it first).
    pub fn take(&self, key: ClientKey, links: usize) -> Result<(), Refused> {
        let cost = links.max(1) as f64;
        if cost > f64::from(self.limit.burst) {
            return Err(Refused::OverBurst {
                burst: self.limit.burst,
            });
        }
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&key) {
            self.forget_full(&mut buckets, now);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: f64::from(self.limit.burst),
            at: now,
        });
        self.refill(bucket, now);
        if bucket.tokens + 1e-9 >= cost {
            bucket.tokens = (bucket.tokens - cost).max(0.0);
            Ok(())
        } else {
            let missing = cost - bucket.tokens;
            Err(Refused::Wait(Duration::from_secs_f64(
                missing / f64::from(self.limit.per_second),
            )))
        }
    }

    fn forget_full(&self, buckets: &mut HashMap<ClientKey, Bucket>, now: Instant) {
        let burst = f64::from(self.limit.burst);
        let rate = f64::from(self.limit.per_second);
        buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
        });
    }

    /// Forgets the clients whose bucket is full again (they are as new): run every minute.
    pub fn sweep(&self) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.forget_full(&mut buckets, Instant::now());
        buckets.shrink_to_fit();
    }

    /// Clients remembered now.
    pub fn clients(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// Whole seconds to wait, at least one (the `Retry-After` value).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32").unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("192.0.2.7")));
        assert!(!t.contains(ip("192.0.2.8")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("::ffff:10.9.9.9")));
        assert!(t.contains(ip("2001:db8:1::5")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 203.0.113.9, 10.0.0.2"),
        );
        // From a trusted proxy: the rightmost address that is not a proxy (not the spoofable left one).
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
        // From anyone else: the header is ignored.
        assert_eq!(
            client_ip(ip("198.51.100.4"), &h, &trusted),
            ip("198.51.100.4")
        );
        // No proxies configured: never read.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &TrustedProxies::default()),
            ip("10.0.0.1")
        );
        // Garbage stops the walk at the proxy that wrote it.
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, nonsense, 10.0.0.2"),
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.2"));
        // Ports and brackets are read.
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:4711"),
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientKey::of(ip("::ffff:192.0.2.1")),
            ClientKey::of(ip("192.0.2.1"))
        );
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2::1")).to_string(),
            "2001:db8:1:2::/64"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_full_batch_passes_and_a_second_waits() {
        let limiter = LinkLimiter::new(RateLimit {
            per_second: 5,
            burst: 1000,
        });
        let me = ClientKey::of(ip("192.0.2.1"));
        assert_eq!(limiter.take(me, 1000), Ok(()));
        let Err(Refused::Wait(wait)) = limiter.take(me, 1000) else {
            panic!("a second full batch passed")
        };
        assert_eq!(retry_after_secs(wait), 200);
        // Another client is not affected.
        assert_eq!(limiter.take(ClientKey::of(ip("192.0.2.2")), 1000), Ok(()));
        // Five links a second come back.
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(limiter.take(me, 10), Ok(()));
        assert!(limiter.take(me, 1).is_err());
        // Refused requests take nothing: after 200 s the bucket is full again.
        tokio::time::advance(Duration::from_secs(200)).await;
        assert_eq!(limiter.take(me, 1000), Ok(()));
        // More than the burst never passes, even with a full bucket.
        tokio::time::advance(Duration::from_secs(200)).await;
        assert_eq!(
            limiter.take(me, 1001),
            Err(Refused::OverBurst { burst: 1000 })
        );
        assert_eq!(limiter.take(me, 1000), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn full_buckets_are_forgotten() {
        let limiter = LinkLimiter::new(RateLimit {
            per_second: 10,
            burst: 20,
        });
        for i in 0..50u8 {
            limiter
                .take(ClientKey::of(IpAddr::from([192, 0, 2, i])), 20)
                .unwrap();
        }
        assert_eq!(limiter.clients(), 50);
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.sweep();
        assert_eq!(limiter.clients(), 50, "not full yet");
        tokio::time::advance(Duration::from_secs(2)).await;
        limiter.sweep();
        assert_eq!(limiter.clients(), 0);
    }
}
