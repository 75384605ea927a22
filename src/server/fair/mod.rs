//! Fair use of the operator's scarce upstream calls (check-api.md, "Clients and fair use").
//!
//! - [`LookupBudget`]: fresh look-ups per client per hour. A fresh look-up is a question to an
//!   upstream (Open Platform, ePN, Admitad, a product page, a share link) that nothing remembered
//!   answers. Past its share a client's check still answers, from what is remembered, with the
//!   warning `lookups_spent`.
//! - [`Allowance`]: one check's right to spend the client's budget. A link costs at most one
//!   look-up however many sources are asked about it (decided once per product or share link).
//! - [`Gate`]: a source's call ceiling (per minute, optionally per day) and the calls it may have
//!   under way at once, with the calls that wait served in turn across clients: the client
//!   served longest ago goes first, no client holds every place under way, and the client that
//!   has used the source most leaves the last few calls of the minute to the others. So one
//!   client's thousand never delays another's one beyond one turn.
//!
//! Time is tokio's clock (tests run it paused), but for the day of a daily ceiling (UTC), which
//! is the server's calendar clock (`server::clock`).

mod gate;
pub use gate::*;

use std::{
    collections::{HashMap, VecDeque},
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{
    sync::{oneshot, Notify},
    time::Instant,
};

use super::{
    clock::Clock,
    limit::{Caller, Client},
    limit::{ClientBuckets, Rate, Wait},
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Clients whose budgets and usage are remembered at most (the least recently seen are
/// forgotten first: a forgotten client starts again as new).
pub const REMEMBERED_CLIENTS: usize = 100_000;

/// A token bucket (a gate's calls).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Fresh look-ups per client: `per_hour` sustained, `burst` at once. Addresses are counted in
/// their prefixes too, and memory is bounded, as for the links (`limit::ClientBuckets`).
pub struct LookupBudget {
    per_hour: u32,
    burst: u32,
    buckets: ClientBuckets,
}

impl LookupBudget {
    pub fn new(per_hour: u32, burst: u32) -> LookupBudget {
        LookupBudget {
            per_hour: per_hour.max(1),
            burst: burst.max(1),
            buckets: ClientBuckets::new(ClientBuckets::DEFAULT_CAPACITY),
        }
    }

    /// The server's share per client per hour (`LINKSMITH_LOOKUPS_PER_HOUR`).
    pub fn per_hour(&self) -> u32 {
        self.per_hour
    }

    /// Takes one look-up from the client's share (at `per_hour`, or the key's own rate), or
    /// says how long until one is there again.
    pub fn take(&self, client: &Client, per_hour: Option<u32>) -> Result<(), Duration> {
        let per_hour = f64::from(per_hour.unwrap_or(self.per_hour).max(1));
        let burst = f64::from(self.burst).min(per_hour).max(1.0);
        let rate = Rate::per(per_hour, Duration::from_secs(3600), burst);
        self.buckets
            .take(client, 1.0, rate)
            .map_err(|wait| match wait {
                Wait::For(wait) => wait,
                Wait::Never => Duration::from_secs(3600),
            })
    }
}

/// Why a link was answered without a fresh look-up it needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// The client's share is spent; it renews after this long.
    Spent(Duration),
    /// The request may not spend look-ups at all (a navigation from another site).
    MemoryOnly,
}

/// One check's right to spend its client's look-ups: asked once per product id (or share link),
/// remembered for the rest of the check, so a link costs one look-up whichever sources ask.
pub struct Allowance {
    pub caller: Caller,
    budget: Option<Arc<LookupBudget>>,
    decided: Mutex<HashMap<String, Option<Withheld>>>,
}

impl Allowance {
    /// A check by `caller`, spending from `budget` (none: unlimited, tests and tools).
    pub fn new(caller: Caller, budget: Option<Arc<LookupBudget>>) -> Arc<Allowance> {
        Arc::new(Allowance {
            caller,
            budget,
            decided: Mutex::new(HashMap::new()),
        })
    }

    /// Unlimited fresh look-ups, as one anonymous client (tests, tools, the resolver's own use).
    pub fn unlimited() -> Arc<Allowance> {
        Allowance::new(Caller::address(std::net::IpAddr::from([0, 0, 0, 0])), None)
    }

    /// The client, as the sources' turns count it.
    pub fn client(&self) -> Client {
        self.caller.client
    }

    /// May the check ask an upstream about `what` (a product id or a share link)? Charged once.
    pub fn permit(&self, what: &str) -> bool {
        let mut decided = lock(&self.decided);
        if let Some(d) = decided.get(what) {
            return d.is_none();
        }
        let verdict = if self.caller.fresh {
            match &self.budget {
                None => None,
                Some(budget) => budget
                    .take(&self.caller.client, self.caller.lookups_per_hour)
                    .err()
                    .map(Withheld::Spent),
            }
        } else {
            Some(Withheld::MemoryOnly)
        };
        decided.insert(what.to_string(), verdict);
        verdict.is_none()
    }

    /// Why `what` got no fresh look-up, if it needed one and was refused.
    pub fn withheld(&self, what: &str) -> Option<Withheld> {
        lock(&self.decided).get(what).copied().flatten()
    }

    /// Fresh look-ups this check spent (the key's usage).
    pub fn spent(&self) -> u64 {
        lock(&self.decided).values().filter(|d| d.is_none()).count() as u64
    }
}

/// A source's ceiling: calls per minute, and optionally per day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceiling {
    pub per_minute: u32,
    pub per_day: Option<u64>,
}

impl Ceiling {
    pub const fn per_minute(per_minute: u32) -> Ceiling {
        Ceiling {
            per_minute,
            per_day: None,
        }
    }
}

/// The window of a per-minute ceiling.
const MINUTE: Duration = Duration::from_secs(60);

/// The calls a gate may grant at once: a sixth of the minute's (ten seconds' worth), at least
/// two. The rest of the minute's calls come at a steady pace, so any 60 s hold at most the
/// ceiling (the burst plus 60 s of refill).
fn burst_of(per_minute: u32) -> f64 {
    (f64::from(per_minute) / 6.0)
        .floor()
        .max(2.0)
        .min(f64::from(per_minute))
}

/// The watch rounds' burst: half the minute's.
fn rounds_burst(per_minute: u32) -> f64 {
    (burst_of(per_minute) / 2.0).floor().max(1.0)
}

#[cfg(test)]
mod tests;
