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

#[cfg(test)]
mod tests {
    use super::*;

    fn client(n: u8) -> Client {
        Client::Address(std::net::IpAddr::from([192, 0, 2, n]))
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_allows_a_burst_then_renews_per_hour() {
        let budget = Arc::new(LookupBudget::new(3600, 10));
        let me = client(1);
        for _ in 0..10 {
            assert_eq!(budget.take(&me, None), Ok(()));
        }
        let wait = budget.take(&me, None).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        // Another client has its own share.
        assert_eq!(budget.take(&client(2), None), Ok(()));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(budget.take(&me, None), Ok(()));
        // A key's own rate.
        let key = Client::Key(7);
        for _ in 0..2 {
            assert_eq!(budget.take(&key, Some(2)), Ok(()));
        }
        let wait = budget.take(&key, Some(2)).unwrap_err();
        assert!(wait > Duration::from_secs(1700), "{wait:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_allowance_charges_each_product_once_and_says_why_it_refused() {
        let budget = Arc::new(LookupBudget::new(3600, 2));
        let check = Allowance::new(Caller::address([192, 0, 2, 1].into()), Some(budget.clone()));
        assert!(check.permit("1"));
        assert!(check.permit("1"), "the same product again costs nothing");
        assert!(check.permit("2"));
        assert!(!check.permit("3"));
        assert!(matches!(check.withheld("3"), Some(Withheld::Spent(_))));
        assert_eq!(check.withheld("1"), None);
        assert_eq!(check.spent(), 2);
        let mut caller = Caller::address([192, 0, 2, 9].into());
        caller.fresh = false;
        let memory_only = Allowance::new(caller, Some(budget));
        assert!(!memory_only.permit("1"));
        assert_eq!(memory_only.withheld("1"), Some(Withheld::MemoryOnly));
    }

    #[tokio::test(start_paused = true)]
    async fn a_gate_holds_its_ceiling_per_minute() {
        let gate = Gate::new("test", Ceiling::per_minute(60), 4);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(300);
        let mut granted = Vec::new();
        while Instant::now() < deadline {
            if gate.turn(client(1), deadline).await.is_some() {
                granted.push(Instant::now() - start);
            }
        }
        // No 60 s hold more than the ceiling ...
        for (i, at) in granted.iter().enumerate() {
            let within = granted[i..]
                .iter()
                .take_while(|t| **t < *at + Duration::from_secs(60))
                .count();
            assert!(within <= 60, "{within} calls from {at:?}");
        }
        // ... and the ceiling is used: five minutes give at least 5 x 50 calls.
        assert!(granted.len() >= 250, "{}", granted.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_heavy_client_never_delays_a_light_one_beyond_one_turn() {
        // The bystander asks once a second: within its fair share of 120 calls a minute.
        let gate = Gate::new("test", Ceiling::per_minute(120), 4);
        let flood = client(1);
        let deadline = Instant::now() + Duration::from_secs(600);
        // The flood takes the minute's calls and queues a thousand more.
        let mut queued = Vec::new();
        for _ in 0..1000 {
            let gate = gate.clone();
            queued.push(tokio::spawn(async move {
                gate.turn(flood, deadline).await.is_some()
            }));
        }
        // Every queued call has asked (the runtime polls a few dozen tasks a tick).
        for _ in 0..100 {
            if gate.waiting() + usize::try_from(gate.granted()).unwrap() >= 1000 {
                break;
            }
            tokio::task::yield_now().await;
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(
            gate.waiting() > 900,
            "{} waiting, {} granted",
            gate.waiting(),
            gate.granted()
        );
        // The bystander's call goes at once (the reserve), again and again.
        for _ in 0..20 {
            let asked = Instant::now();
            assert!(gate.turn(client(2), deadline).await.is_some());
            assert!(
                Instant::now() - asked <= Duration::from_secs(1),
                "waited {:?}",
                Instant::now() - asked
            );
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        // The flood still gets the rest: the ceiling is used, not wasted.
        let before = gate.granted();
        for _ in 0..60 {
            tokio::time::advance(Duration::from_secs(1)).await;
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        let in_a_minute = gate.granted() - before;
        assert!((95..=120).contains(&in_a_minute), "{in_a_minute}");
        for q in queued {
            q.abort();
        }
    }

    /// A turn the gate cannot give before the deadline is refused at once: a flood of new
    /// products answers `unknown` without waiting out the check's time.
    #[tokio::test(start_paused = true)]
    async fn a_turn_that_cannot_come_in_time_is_refused_at_once() {
        // 60 a minute: a burst of 10, then 50 over the minute (one every 1.2 s).
        let gate = Gate::new("test", Ceiling::per_minute(60), 4);
        let far = Instant::now() + Duration::from_secs(3600);
        for _ in 0..10 {
            assert!(gate.turn(client(1), far).await.is_some());
        }
        let start = Instant::now();
        // The next call is 1.2 s away: with 0.5 s left it is refused, and no time passed.
        assert!(gate
            .turn(client(1), start + Duration::from_millis(500))
            .await
            .is_none());
        assert_eq!(Instant::now(), start);
        // With 3 s left it waits for its turn and gets it.
        assert!(gate
            .turn(client(1), start + Duration::from_secs(3))
            .await
            .is_some());
        let waited = Instant::now() - start;
        assert!(
            waited >= Duration::from_millis(1100) && waited <= Duration::from_secs(2),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn turns_alternate_between_waiting_clients() {
        let gate = Gate::new("test", Ceiling::per_minute(6), 4);
        let deadline = Instant::now() + Duration::from_secs(3600);
        // Use up the minute.
        for _ in 0..6 {
            assert!(gate.turn(client(1), deadline).await.is_some());
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (c, n) in [(1u8, 4), (2u8, 4)] {
            for _ in 0..n {
                let (gate, order) = (gate.clone(), order.clone());
                tasks.push(tokio::spawn(async move {
                    if gate.turn(client(c), deadline).await.is_some() {
                        lock(&order).push(c);
                    }
                }));
                tokio::task::yield_now().await;
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = lock(&order).clone();
        assert_eq!(order.len(), 8);
        // Client 2 had used nothing: it is served first, and never twice behind client 1's lead.
        assert_eq!(order[0], 2, "{order:?}");
        let twos_in_first_half = order[..4]
            .iter()
            .map(|c| usize::from(*c == 2))
            .sum::<usize>();
        assert!(twos_in_first_half >= 2, "{order:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_not_given_in_time_is_refused_and_leaves_the_queue() {
        let gate = Gate::new("test", Ceiling::per_minute(1), 4);
        let soon = Instant::now() + Duration::from_millis(500);
        assert!(gate.turn(client(1), soon).await.is_some());
        assert!(gate.turn(client(1), soon).await.is_none());
        tokio::time::advance(Duration::from_millis(10)).await;
        assert_eq!(gate.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_under_way_are_bounded_and_one_place_stays_for_others() {
        let gate = Gate::new("test", Ceiling::per_minute(600), 3);
        let deadline = Instant::now() + Duration::from_secs(10);
        let first = gate.turn(client(1), deadline).await.unwrap();
        let second = gate.turn(client(1), deadline).await.unwrap();
        // Client 1 is now the heaviest: the last place stays for another client.
        let soon = Instant::now() + Duration::from_millis(100);
        assert!(gate.turn(client(1), soon).await.is_none());
        let other = gate.turn(client(2), soon).await.expect("the kept place");
        assert!(
            gate.turn(client(3), soon).await.is_none(),
            "all three under way"
        );
        drop(first);
        assert!(
            gate.turn(client(3), deadline).await.is_some(),
            "a freed place serves the next"
        );
        drop((second, other));
    }

    #[tokio::test(start_paused = true)]
    async fn a_daily_ceiling_stops_the_source_for_the_day() {
        let gate = Gate::new(
            "test",
            Ceiling {
                per_minute: 600,
                per_day: Some(3),
            },
            4,
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        for _ in 0..3 {
            assert!(gate.turn(client(1), deadline).await.is_some());
        }
        assert!(gate.turn(client(2), deadline).await.is_none());
    }

    /// The day of a daily ceiling is the server's clock's: spent at 23:59:50 UTC, the source is
    /// open again ten seconds later, at midnight.
    #[tokio::test(start_paused = true)]
    async fn a_daily_ceiling_opens_again_at_midnight_utc() {
        let clock = Clock::manual(
            crate::domain::date::Timestamp::parse("2026-12-07T23:59:50Z").expect("a time"),
        );
        let gate = Gate::with_clock(
            "test",
            Ceiling {
                per_minute: 600,
                per_day: Some(2),
            },
            4,
            clock.clone(),
        );
        let deadline = || Instant::now() + Duration::from_secs(5);
        for _ in 0..2 {
            drop(
                gate.turn(client(1), deadline())
                    .await
                    .expect("within the day"),
            );
        }
        assert!(gate.turn(client(1), deadline()).await.is_none(), "spent");
        clock.advance(9);
        assert!(gate.turn(client(1), deadline()).await.is_none(), "23:59:59");
        clock.advance(1);
        assert!(
            gate.turn(client(1), deadline()).await.is_some(),
            "a new day at 00:00:00"
        );
    }
}
