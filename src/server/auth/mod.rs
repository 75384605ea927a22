//! API keys (check-api.md, "Clients and fair use"): a request that carries a valid
//! `Authorization: Bearer <key>` is the key's client, held to the key's own limits; without the
//! header it is its address's. A key that is unknown, revoked or not written as a key is 401
//! `invalid_key`, never a silent fall back to the address; a store that does not answer in time
//! is 503 `unavailable`.
//!
//! - A key is `lsk_` and 64 hex digits (256 bits from the operating system's generator); the
//!   store keeps only its SHA-256 ([`hash_key`]): the key is printed once by `linksmith keys add`
//!   and is in no log line, error message or page.
//! - [`Keys`] remembers what the store said of a key (a known key, a revoked one, or none) for
//!   [`KEY_MEMORY`] (least recently used out past [`KEY_MEMORY_ENTRIES`]), so the hot path is one
//!   hash and one map look-up. A revocation therefore takes effect within [`KEY_MEMORY`] on every
//!   running instance. Store look-ups are bounded: [`LOOKUPS_AT_ONCE`] at once, within
//!   [`LOOKUP_DEADLINE`], and each address may make the store look up at most
//!   [`NEW_KEYS_PER_ADDRESS`] keys it does not remember (random bearer strings cannot hammer it).
//! - Usage (links checked and fresh look-ups spent, per key and UTC day) is counted in memory
//!   ([`Keys::note_use`]) and added to the store every [`FLUSH_EVERY`] and when the server stops;
//!   addresses are not recorded.
//! - `linksmith keys add|list|revoke` ([`keys_cli`]) on either store.

mod command;
pub use command::*;

use crate::{domain::words::say, server::words};
use std::{
    collections::HashMap,
    net::SocketAddr,
    num::NonZeroUsize,
    process::ExitCode,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::{
    check::RateLimited,
    clock::Clock,
    error::{lang_of, ApiError},
    limit::{canonical, client_ip, retry_after_secs, LinkLimiter, RateLimit, Refused},
    limit::{Caller, Client},
    store::{KeyLimits, KeyListing, KeyRecord, KeyUsage, NewKey, SharedStore, StoreError},
    AppState,
};
use crate::domain::{codes::ErrorCode, lang::Lang, messages::Problem};

/// What every key starts with: a key pasted in the wrong place is recognisable.
pub const KEY_PREFIX: &str = "lsk_";
/// Random bytes in a key (written as twice as many hex digits).
const KEY_BYTES: usize = 32;
/// How long what the store said of a key is remembered: a revocation takes effect within this.
pub const KEY_MEMORY: Duration = Duration::from_secs(30);
/// Keys (and strings that are not keys) remembered at most.
pub const KEY_MEMORY_ENTRIES: usize = 10_000;
/// The longest a request waits for the store to say whether its key is valid (then 503).
pub const LOOKUP_DEADLINE: Duration = Duration::from_secs(2);
/// Store look-ups of keys in flight at once, by every request together.
pub const LOOKUPS_AT_ONCE: usize = 8;
/// Keys not remembered that one address may make the store look up: this many at once, then
/// this many a second. A client with a few keys asks once per key every [`KEY_MEMORY`].
pub const NEW_KEYS_PER_ADDRESS: RateLimit = RateLimit {
    per_second: 5,
    burst: 50,
};
/// How often the usage counted in memory is added to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// The longest one write of usage may take (kept in memory for the next round if it fails).
const FLUSH_DEADLINE: Duration = Duration::from_secs(5);

/// A new key: `lsk_` and 64 hex digits from the operating system's random generator.
pub fn new_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{KEY_PREFIX}{}", hex::encode(bytes)))
}

/// What the store keeps of a key: its SHA-256, in hex. The key has 256 random bits, so a plain
/// hash is enough (no salt or slow hash: nothing to guess).
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether `text` is written as a key (`lsk_` and 64 lower-case hex digits).
fn well_formed(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX).is_some_and(|hex| {
        hex.len() == KEY_BYTES * 2 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// A request's `Authorization`: `None` without one; `Some(Err)` when it is not one
/// `Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return Some(Err(()));
    }
    let Ok(text) = first.to_str() else {
        return Some(Err(()));
    };
    let Some((scheme, token)) = text.trim().split_once(' ') else {
        return Some(Err(()));
    };
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Some(Err(()));
    }
    Some(Ok(token))
}

/// What the store said of a key, and when.
#[derive(Clone)]
struct Remembered {
    at: Instant,
    key: Option<KeyRecord>,
}

/// Usage counted in memory, not yet in the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pending {
    links: u64,
    lookups: u64,
    last_used: i64,
}

/// The API keys of a running server: what the store said of keys (remembered briefly), each
/// key's link bucket, and its usage not yet written. Shared by every request (`AppState::keys`).
pub struct Keys {
    store: SharedStore,
    /// Days of use are counted by it.
    clock: Clock,
    memory_time: Duration,
    memory: Mutex<lru::LruCache<[u8; 32], Remembered>>,
    lookups: tokio::sync::Semaphore,
    /// Store look-ups of keys not remembered, per address.
    unseen: LinkLimiter,
    /// The keys' link buckets, one a key, each taken at the key's own limit (else the
    /// server's): one bounded map, as the addresses' (a limiter a key would allocate a whole
    /// bounded map for each).
    links: LinkLimiter,
    /// Usage per (key id, UTC day).
    usage: Mutex<HashMap<(i64, i64), Pending>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a key was not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyRefusal {
    /// Unknown, revoked, or not written as a key: 401 `invalid_key`.
    Invalid,
    /// The store did not answer in time: 503 `unavailable`.
    Unavailable,
    /// This address asked about too many keys it had not used lately: 429 `rate_limited`.
    TooManyNewKeys { retry_after: u64 },
}

impl KeyRefusal {
    pub fn to_api_error(&self, lang: Lang) -> ApiError {
        match self {
            KeyRefusal::Invalid => ApiError::invalid_key(lang),
            KeyRefusal::Unavailable => ApiError::keys_unavailable(lang),
            KeyRefusal::TooManyNewKeys { retry_after } => {
                let message = say!(words::of(lang).keys.too_many_new, wait = retry_after);
                ApiError::from(RateLimited {
                    problem: Problem::new(ErrorCode::RateLimited, message),
                    retry_after: *retry_after,
                })
            }
        }
    }
}

impl Keys {
    /// Keys over `store`, remembering what it says for [`KEY_MEMORY`], counting days by `clock`.
    pub fn new(store: SharedStore, clock: Clock) -> Keys {
        Keys::remembering_for(store, KEY_MEMORY).with_clock(clock)
    }

    /// The same keys, counting days of use by `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Keys {
        self.clock = clock;
        self
    }

    /// Keys remembering what the store says for `memory_time` (tests use a short one), on the
    /// system's clock.
    pub fn remembering_for(store: SharedStore, memory_time: Duration) -> Keys {
        Keys {
            store,
            clock: Clock::system(),
            memory_time,
            memory: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(KEY_MEMORY_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
            lookups: tokio::sync::Semaphore::new(LOOKUPS_AT_ONCE),
            unseen: LinkLimiter::new(NEW_KEYS_PER_ADDRESS),
            links: LinkLimiter::new(NEW_KEYS_PER_ADDRESS),
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// Writes the usage counted in memory every [`FLUSH_EVERY`] while `keys` lives (when a
    /// runtime is there to run it); the server writes the rest when it stops ([`Keys::flush`]).
    pub fn start_flushing(keys: &Arc<Keys>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let keys: Weak<Keys> = Arc::downgrade(keys);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            let mut rounds: u64 = 0;
            loop {
                tick.tick().await;
                let Some(keys) = keys.upgrade() else { return };
                keys.flush().await;
                rounds += 1;
                if rounds.is_multiple_of(12) {
                    keys.unseen.sweep();
                }
            }
        });
    }

    /// The key `token` names, if it is one in use. `address` is the request's address (it pays
    /// for store look-ups of keys not remembered).
    pub async fn find(&self, token: &str, address: Client) -> Result<KeyRecord, KeyRefusal> {
        if !well_formed(token) {
            return Err(KeyRefusal::Invalid);
        }
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        {
            let mut memory = lock(&self.memory);
            match memory.get(&hash) {
                Some(r) if now.saturating_duration_since(r.at) < self.memory_time => {
                    return r
                        .key
                        .clone()
                        .filter(|k| !k.revoked)
                        .ok_or(KeyRefusal::Invalid);
                }
                Some(_) => {
                    memory.pop(&hash);
                }
                None => {}
            }
        }
        if let Err(refused) = self.unseen.take(&address, 1, None) {
            let wait = match refused {
                Refused::Wait(wait) => wait,
                Refused::OverBurst { .. } => Duration::from_secs(1),
            };
            tracing::debug!(client = %address, "API keys: too many keys not remembered from one address");
            return Err(KeyRefusal::TooManyNewKeys {
                retry_after: retry_after_secs(wait),
            });
        }
        let hex = hex::encode(hash);
        let asked = tokio::time::timeout(LOOKUP_DEADLINE, async {
            let _slot = self.lookups.acquire().await;
            self.store.find_key(&hex).await
        })
        .await;
        match asked {
            Ok(Ok(key)) => {
                lock(&self.memory).put(
                    hash,
                    Remembered {
                        at: Instant::now(),
                        key: key.clone(),
                    },
                );
                key.filter(|k| !k.revoked).ok_or(KeyRefusal::Invalid)
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "API keys: the store failed; answering 503");
                Err(KeyRefusal::Unavailable)
            }
            Err(_) => {
                tracing::warn!(
                    deadline = ?LOOKUP_DEADLINE,
                    "API keys: the store did not answer in time; answering 503"
                );
                Err(KeyRefusal::Unavailable)
            }
        }
    }

    /// Forgets every key remembered (a revocation in this process takes effect at once).
    pub fn forget(&self) {
        lock(&self.memory).clear();
    }

    /// Counts what a key used (links checked, fresh look-ups spent) for today's usage; written
    /// to the store in the background. Addresses are not recorded.
    pub fn note_use(&self, client: &Client, links: u64, lookups: u64) {
        let Client::Key(id) = client else { return };
        if links == 0 && lookups == 0 {
            return;
        }
        let now = self.clock.unix();
        let mut usage = lock(&self.usage);
        let entry = usage.entry((*id, now.div_euclid(86_400))).or_default();
        entry.links = entry.links.saturating_add(links);
        entry.lookups = entry.lookups.saturating_add(lookups);
        entry.last_used = entry.last_used.max(now);
    }

    /// Adds the usage counted in memory to the store; what cannot be written stays for the next
    /// round.
    pub async fn flush(&self) {
        let pending: Vec<((i64, i64), Pending)> = lock(&self.usage).drain().collect();
        for ((key_id, day), p) in pending {
            let usage = KeyUsage {
                key_id,
                day,
                links: p.links,
                lookups: p.lookups,
                last_used: p.last_used,
            };
            let written =
                tokio::time::timeout(FLUSH_DEADLINE, self.store.add_key_usage(&usage)).await;
            if !matches!(written, Ok(Ok(()))) {
                if let Ok(Err(error)) = written {
                    tracing::warn!(key = key_id, %error, "API keys: usage not written; trying again later");
                } else {
                    tracing::warn!(
                        key = key_id,
                        "API keys: the store did not take the usage in time; trying again later"
                    );
                }
                let mut usage = lock(&self.usage);
                let entry = usage.entry((key_id, day)).or_default();
                entry.links = entry.links.saturating_add(p.links);
                entry.lookups = entry.lookups.saturating_add(p.lookups);
                entry.last_used = entry.last_used.max(p.last_used);
            }
        }
    }
}

/// A key's own link limit: the limits it names, the server's for the one it does not; `None`
/// when it names neither (then the server's limit applies to the key as a whole).
pub fn own_link_limit(limits: KeyLimits, server: Option<RateLimit>) -> Option<RateLimit> {
    if limits.links_per_second.is_none() && limits.burst.is_none() {
        return None;
    }
    let per_second = limits
        .links_per_second
        .or(server.map(|l| l.per_second))
        .or(limits.burst)
        .unwrap_or(1);
    let burst = limits
        .burst
        .or(server.map(|l| l.burst))
        .unwrap_or(per_second);
    Some(RateLimit { per_second, burst })
}

impl AppState {
    /// Who a request is: the key its `Authorization: Bearer` names (with the key's own limits),
    /// or, without that header, its address (the TCP peer, or the client a trusted proxy names).
    /// A key that is not one in use is 401 `invalid_key`; a store that does not answer in time,
    /// 503 `unavailable`.
    pub async fn identify(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Result<Caller, ApiError> {
        let peer = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.ip());
        let ip = client_ip(peer, headers, &self.config.trusted_proxies);
        let Some(auth) = bearer(headers) else {
            return Ok(Caller::address(ip));
        };
        let lang = lang_of(headers);
        let token = auth.map_err(|()| ApiError::invalid_key(lang))?;
        let key = self
            .keys
            .find(token, Client::Address(canonical(ip)))
            .await
            .map_err(|r| r.to_api_error(lang))?;
        Ok(Caller {
            client: Client::Key(key.id),
            links: own_link_limit(key.limits, self.config.rate_limit),
            lookups_per_hour: key.limits.lookups_per_hour,
            fresh: true,
        })
    }

    /// Counts `links` against the caller's limit: an address's bucket under the server's limit,
    /// or the key's own bucket under its own limit (else the server's). A key's links are
    /// counted in its usage.
    pub fn admit_caller(
        &self,
        caller: &Caller,
        links: usize,
        lang: Lang,
    ) -> Result<(), RateLimited> {
        if let Client::Address(_) | Client::Telegram(_) = caller.client {
            return self.admit(&caller.client, links, lang);
        }
        if let Some(limit) = caller.links.or(self.config.rate_limit) {
            // The key's own bucket, at its own limit.
            self.keys
                .links
                .take(&caller.client, links, Some(limit))
                .map_err(|refused| key_rate_limited(refused, limit, links, lang))?;
        }
        self.keys.note_use(&caller.client, links as u64, 0);
        Ok(())
    }
}

/// A key over its link limit: 429 with a sentence naming the key's limit.
fn key_rate_limited(refused: Refused, limit: RateLimit, links: usize, lang: Lang) -> RateLimited {
    let (wait, message) = match refused {
        Refused::Wait(wait) => {
            let wait = retry_after_secs(wait);
            let message = say!(
                words::of(lang).limits.key_wait,
                burst = limit.burst,
                per_second = limit.per_second,
                wait
            );
            (wait, message)
        }
        Refused::OverBurst { burst } => {
            let wait = retry_after_secs(Duration::from_secs_f64(
                f64::from(burst) / f64::from(limit.per_second.max(1)),
            ));
            let message = say!(words::of(lang).limits.key_too_big, links, burst);
            (wait, message)
        }
    };
    RateLimited {
        problem: Problem::new(ErrorCode::RateLimited, message),
        retry_after: wait,
    }
}

#[cfg(test)]
mod tests;
