//! App share links (`a.aliexpress.com/_xxxx`): followed hop by hop by the guarded fetcher, then the
//! landing address is read by the link engine like any pasted link.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{
    future::{BoxFuture, Shared},
    FutureExt,
};
use tokio::{sync::Semaphore, time::Instant};
use url::Url;

use super::fetch::{GuardedFetcher, Hop};
use crate::domain::link::{read, Link, LinkError, Reading};
use crate::server::fair::{Allowance, Gate};

/// Every app share link of one check is followed within this time (one deadline per check).
pub const SHARE_BUDGET: Duration = Duration::from_secs(3);
/// App share links followed for one request at most; the rest are refused with a sentence.
pub const MAX_SHARES_PER_REQUEST: usize = 50;
/// App share links followed at once, by every check together (`AppState::share_slots`).
pub const SHARE_SLOTS: usize = 32;
/// Share links remembered, how long where they led, and how long a failure.
const REMEMBERED: usize = 20_000;
const LANDED_TTL: Duration = Duration::from_secs(24 * 3600);
const FAILED_TTL: Duration = Duration::from_secs(60);

/// Where a share link led, or why it was not followed.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed {
    Landed(Link),
    Refused(LinkError),
    /// Not followed: no turn or slot within the check's time, the client's share of fresh
    /// look-ups is spent, or the server is following many at once. Not remembered.
    NotAsked,
}

type Flight = Shared<BoxFuture<'static, Followed>>;

/// App share links as the server follows them: one fetch per link however many checks ask
/// (joined while under way), where it led remembered (a failure briefly), each fetch a fresh
/// look-up of the asking client, under the pages' ceiling and a bound on fetches at once.
pub struct ShareLinks {
    fetcher: GuardedFetcher,
    /// Replaces the share link's scheme, host and port (tests point it at a local server, as
    /// the product page reader's; production leaves it unset).
    base: Option<Url>,
    gate: Arc<Gate>,
    seen: Mutex<lru::LruCache<String, (Followed, Instant)>>,
    inflight: Mutex<HashMap<String, Flight>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ShareLinks {
    pub fn new(fetcher: GuardedFetcher, gate: Arc<Gate>) -> Arc<ShareLinks> {
        ShareLinks::with_base(fetcher, gate, None)
    }

    /// Share links fetched from `base` instead of their own site (tests).
    pub fn with_base(
        fetcher: GuardedFetcher,
        gate: Arc<Gate>,
        base: Option<Url>,
    ) -> Arc<ShareLinks> {
        Arc::new(ShareLinks {
            fetcher,
            base,
            gate,
            seen: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(REMEMBERED).unwrap_or(NonZeroUsize::MIN),
            )),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    /// Where `short` leads: remembered, joined to a fetch under way, or fetched now (spending
    /// the check's allowance, when one of the server's `slots` is free), within `deadline`.
    pub async fn follow(
        self: &Arc<Self>,
        short: &str,
        allowance: &Arc<Allowance>,
        slots: &Arc<Semaphore>,
        deadline: Instant,
    ) -> Followed {
        let flight = {
            let now = Instant::now();
            let mut seen = lock(&self.seen);
            match seen.get(short) {
                Some((followed, until)) if *until > now => return followed.clone(),
                Some(_) => {
                    seen.pop(short);
                }
                None => {}
            }
            drop(seen);
            let mut inflight = lock(&self.inflight);
            if let Some(flight) = inflight.get(short) {
                flight.clone()
            } else {
                if !allowance.permit(short) {
                    return Followed::NotAsked;
                }
                let this = self.clone();
                let (key, client, slots) = (short.to_string(), allowance.client(), slots.clone());
                let flight = async move {
                    let followed = this.fetch(&key, client, &slots, deadline).await;
                    let ttl = match &followed {
                        Followed::Landed(_) => Some(LANDED_TTL),
                        Followed::Refused(_) => Some(FAILED_TTL),
                        Followed::NotAsked => None,
                    };
                    if let Some(ttl) = ttl {
                        lock(&this.seen).put(key.clone(), (followed.clone(), Instant::now() + ttl));
                    }
                    lock(&this.inflight).remove(&key);
                    followed
                }
                .boxed()
                .shared();
                inflight.insert(short.to_string(), flight.clone());
                tokio::spawn(flight.clone());
                flight
            }
        };
        tokio::time::timeout_at(deadline, flight)
            .await
            .unwrap_or(Followed::NotAsked)
    }

    async fn fetch(
        &self,
        short: &str,
        client: crate::server::limit::Client,
        slots: &Semaphore,
        deadline: Instant,
    ) -> Followed {
        // A free slot first (the server's bound on fetches at once), then the client's turn.
        let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline, slots.acquire()).await else {
            return Followed::NotAsked;
        };
        let Some(_turn) = self.gate.turn(client, deadline).await else {
            return Followed::NotAsked;
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let target = match (&self.base, Url::parse(short)) {
            (Some(base), Ok(url)) => base
                .join(url.path())
                .map_or(short.to_string(), String::from),
            _ => short.to_string(),
        };
        match tokio::time::timeout(left, resolve_app_share_within(&self.fetcher, &target, left))
            .await
        {
            Ok(Ok(link)) => Followed::Landed(link),
            Ok(Err(error)) => Followed::Refused(error),
            Err(_) => Followed::NotAsked,
        }
    }
}

/// Follows an app share link to the page it shares and normalises that page's address (the sharer's
/// affiliate parameters on it are removed and reported).
pub async fn resolve_app_share(fetcher: &GuardedFetcher, short: &str) -> Result<Link, LinkError> {
    resolve_app_share_within(fetcher, short, SHARE_BUDGET).await
}

/// [`resolve_app_share`] within `budget`.
pub async fn resolve_app_share_within(
    fetcher: &GuardedFetcher,
    short: &str,
    budget: Duration,
) -> Result<Link, LinkError> {
    let unresolved = |reason: String| LinkError::ShortLinkUnresolved { reason };
    let first_hop = Url::parse(short)
        .map_err(|_| unresolved("the share link is not a valid address".into()))?;
    // Stop at the first hop the link engine can read as a page (no need to download it).
    let landed = fetcher
        .get(first_hop, budget, |next| {
            match read(landing_text(next).as_str()) {
                Ok(Reading::Link(_)) => Hop::Stop,
                _ => Hop::Follow,
            }
        })
        .await
        .map_err(|e| unresolved(e.to_string()))?;
    if !landed.status.is_success() && !landed.status.is_redirection() {
        return Err(unresolved(
            super::fetch::FetchError::Status {
                status: landed.status.as_u16(),
            }
            .to_string(),
        ));
    }
    match read(landing_text(&landed.url).as_str()) {
        Ok(Reading::Link(link)) => Ok(link),
        Ok(Reading::AppShare { .. }) => Err(unresolved(
            "it does not lead to a product, store or category page".into(),
        )),
        Err(err) => Err(err),
    }
}

/// The address as the link engine should see it: the fetcher already checked the host, and a port
/// (only ever seen on test servers) is not part of the page's identity.
fn landing_text(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_port(None);
    url.to_string()
}
