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
//! Time is tokio's clock (tests run it paused), but for the day of a daily ceiling (UTC).

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
    client::{Caller, Client},
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

/// How long a client's use of a source is remembered (the usage that orders the turns decays
/// with this time constant).
const USAGE_TIME: Duration = Duration::from_secs(60);

/// Decayed count of the calls a client made to one source.
#[derive(Debug, Clone, Copy)]
struct Usage {
    value: f64,
    at: Instant,
}

impl Usage {
    fn now(self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.value * (-dt / USAGE_TIME.as_secs_f64()).exp()
    }
}

struct Waiter {
    seq: u64,
    deadline: Instant,
    tx: oneshot::Sender<Turn>,
}

/// A call's turn: held while the call is under way (dropping it frees its place).
pub struct Turn {
    gate: Arc<Gate>,
    client: Client,
    armed: bool,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if self.armed {
            lock(&self.gate.state).release(&self.client);
            self.gate.wake.notify_one();
        }
    }
}

struct GateState {
    /// The calls free now: a sixth of the minute's at once, refilled at the rest of the minute's
    /// pace, so that no 60 s ever hold more than `per_minute` calls.
    minute: Bucket,
    day: u64,
    used_today: u64,
    usage: lru::LruCache<Client, Usage>,
    /// The client that has used the source most (as of its last call): it may not take the
    /// reserve.
    heaviest: Option<Client>,
    waiting: HashMap<Client, VecDeque<Waiter>>,
    seq: u64,
    dispatching: bool,
    /// Calls granted in all (tests, details).
    granted: u64,
    /// Calls under way, in all and per client.
    in_flight: usize,
    in_flight_by: HashMap<Client, usize>,
}

impl GateState {
    fn release(&mut self, client: &Client) {
        self.in_flight -= 1;
        if let Some(n) = self.in_flight_by.get_mut(client) {
            *n -= 1;
            if *n == 0 {
                self.in_flight_by.remove(client);
            }
        }
    }

    /// When the client's last call was granted (never: first in line).
    fn last_served(&self, client: &Client) -> Option<Instant> {
        self.usage.peek(client).map(|u| u.at)
    }
}

/// A source's call ceiling and calls under way, with fair turns across clients.
pub struct Gate {
    name: &'static str,
    ceiling: Ceiling,
    /// Calls under way at once, at most.
    concurrency: usize,
    state: Mutex<GateState>,
    wake: Notify,
}

/// The UTC day number now.
fn utc_day() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

impl Gate {
    pub fn new(name: &'static str, ceiling: Ceiling, concurrency: usize) -> Arc<Gate> {
        let ceiling = Ceiling {
            per_minute: ceiling.per_minute.max(1),
            per_day: ceiling.per_day,
        };
        Arc::new(Gate {
            name,
            ceiling,
            concurrency: concurrency.max(1),
            state: Mutex::new(GateState {
                minute: Bucket {
                    tokens: burst_of(ceiling.per_minute),
                    at: Instant::now(),
                },
                day: utc_day(),
                used_today: 0,
                usage: lru::LruCache::new(
                    NonZeroUsize::new(REMEMBERED_CLIENTS).unwrap_or(NonZeroUsize::MIN),
                ),
                heaviest: None,
                waiting: HashMap::new(),
                seq: 0,
                dispatching: false,
                granted: 0,
                in_flight: 0,
                in_flight_by: HashMap::new(),
            }),
            wake: Notify::new(),
        })
    }

    pub fn ceiling(&self) -> Ceiling {
        self.ceiling
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Calls free now.
    fn free(s: &GateState) -> f64 {
        s.minute.tokens
    }

    /// Calls kept back from the heaviest client, for the others' turns: half the burst.
    fn reserve(&self) -> f64 {
        (burst_of(self.ceiling.per_minute) / 2.0).floor().max(1.0)
    }

    /// Calls granted since the gate was made.
    pub fn granted(&self) -> u64 {
        lock(&self.state).granted
    }

    /// Calls waiting for a turn now.
    pub fn waiting(&self) -> usize {
        let now = Instant::now();
        lock(&self.state)
            .waiting
            .values()
            .flatten()
            .filter(|w| !w.tx.is_closed() && w.deadline > now)
            .count()
    }

    /// Waits for `client`'s turn to call the source, until `deadline`. `None`: no turn in time
    /// (or the day's ceiling is reached): the caller answers without the source, and does not
    /// remember that as the source's failure. The turn is held while the call is under way.
    pub async fn turn(self: &Arc<Self>, client: Client, deadline: Instant) -> Option<Turn> {
        let rx = {
            let mut s = lock(&self.state);
            let now = Instant::now();
            self.refill(&mut s, now);
            if self.day_spent(&s) {
                return None;
            }
            // A client served longer ago than this one waits: it goes first.
            let mine = s.last_served(&client);
            let earlier_waits = s
                .waiting
                .keys()
                .any(|c| *c != client && s.last_served(c) <= mine);
            if !earlier_waits && self.may_go(&s, &client, now) {
                Self::grant(&mut s, client, now);
                return Some(Turn {
                    gate: self.clone(),
                    client,
                    armed: true,
                });
            }
            // A turn that cannot come before the deadline is refused now, not at the deadline:
            // the check answers without the source at once. The bound is the least this call
            // can wait: this client's own calls already waiting go first, each needs a call of
            // the bucket at the gate's steady pace (and the heaviest client leaves the reserve).
            let own = s
                .waiting
                .get(&client)
                .map_or(0, std::collections::VecDeque::len);
            let short =
                (own as f64 + 1.0 + self.reserve_for(&s, &client, now) - Self::free(&s)).max(0.0);
            let pace = self.per_second();
            if short > 0.0
                && (pace <= 0.0
                    || now + Duration::from_secs_f64((short / pace).min(86_400.0)) > deadline)
            {
                return None;
            }
            let (tx, rx) = oneshot::channel();
            s.seq += 1;
            let seq = s.seq;
            s.waiting
                .entry(client)
                .or_default()
                .push_back(Waiter { seq, deadline, tx });
            if s.dispatching {
                self.wake.notify_one();
            } else {
                s.dispatching = true;
                let gate = self.clone();
                tokio::spawn(async move { gate.dispatch().await });
            }
            rx
        };
        tokio::time::timeout_at(deadline, rx).await.ok()?.ok()
    }

    /// Calls a second the bucket refills: the minute's calls less the burst, over the minute.
    fn per_second(&self) -> f64 {
        (f64::from(self.ceiling.per_minute) - burst_of(self.ceiling.per_minute))
            / MINUTE.as_secs_f64()
    }

    fn refill(&self, s: &mut GateState, now: Instant) {
        let elapsed = now.saturating_duration_since(s.minute.at).as_secs_f64();
        s.minute.tokens =
            (s.minute.tokens + elapsed * self.per_second()).min(burst_of(self.ceiling.per_minute));
        s.minute.at = now;
        let today = utc_day();
        if today != s.day {
            s.day = today;
            s.used_today = 0;
        }
    }

    fn day_spent(&self, s: &GateState) -> bool {
        self.ceiling.per_day.is_some_and(|max| s.used_today >= max)
    }

    fn usage_of(s: &GateState, client: &Client, now: Instant) -> f64 {
        s.usage.peek(client).map_or(0.0, |u| u.now(now))
    }

    /// Whether `client` is the heaviest client, with more than the reserve's worth of use: it
    /// leaves the reserve of calls and the last place under way to the others.
    fn is_heavy(&self, s: &GateState, client: &Client, now: Instant) -> bool {
        s.heaviest == Some(*client) && Self::usage_of(s, client, now) > self.reserve()
    }

    /// Calls of the minute `client` must leave in the bucket.
    fn reserve_for(&self, s: &GateState, client: &Client, now: Instant) -> f64 {
        if self.is_heavy(s, client, now) {
            self.reserve()
        } else {
            0.0
        }
    }

    /// Whether `client` may call now: a call of the minute and a place under way are free,
    /// beyond what is kept back from the heaviest client; and no one client holds every place.
    fn may_go(&self, s: &GateState, client: &Client, now: Instant) -> bool {
        let mine = s.in_flight_by.get(client).copied().unwrap_or(0);
        let most = self.concurrency.saturating_sub(1).max(1);
        s.in_flight < self.concurrency
            && mine < most
            && Self::free(s) >= 1.0 + self.reserve_for(s, client, now)
    }

    fn grant(s: &mut GateState, client: Client, now: Instant) {
        s.minute.tokens -= 1.0;
        s.in_flight += 1;
        *s.in_flight_by.entry(client).or_insert(0) += 1;
        s.used_today += 1;
        s.granted += 1;
        let mine = Self::usage_of(s, &client, now) + 1.0;
        s.usage.put(
            client,
            Usage {
                value: mine,
                at: now,
            },
        );
        let top = match s.heaviest {
            Some(h) if h != client => Self::usage_of(s, &h, now),
            _ => 0.0,
        };
        if mine >= top {
            s.heaviest = Some(client);
        }
    }

    /// Serves the waiting calls in turn as the ceiling and the places under way allow; ends
    /// when none waits.
    async fn dispatch(self: Arc<Self>) {
        loop {
            let wait = {
                let mut s = lock(&self.state);
                let now = Instant::now();
                self.refill(&mut s, now);
                // Calls whose check has gone or run out of time leave the queue.
                s.waiting.retain(|_, q| {
                    q.retain(|w| !w.tx.is_closed() && w.deadline > now);
                    !q.is_empty()
                });
                if s.waiting.is_empty() {
                    s.dispatching = false;
                    return;
                }
                if self.day_spent(&s) {
                    // Dropping the senders answers every waiting call: no turn today.
                    s.waiting.clear();
                    s.dispatching = false;
                    return;
                }
                // In turn: the waiting client served longest ago (or never) goes first; then the
                // oldest call.
                let mut next: Option<(Option<Instant>, u64, Client)> = None;
                for (c, q) in &s.waiting {
                    let last = s.last_served(c);
                    let seq = q[0].seq;
                    if next.is_none_or(|(bl, bs, _)| last < bl || (last == bl && seq < bs)) {
                        next = Some((last, seq, *c));
                    }
                }
                let Some((_, _, client)) = next else {
                    continue;
                };
                if self.may_go(&s, &client, now) {
                    let waiter = s.waiting.get_mut(&client).and_then(VecDeque::pop_front);
                    if s.waiting.get(&client).is_some_and(VecDeque::is_empty) {
                        s.waiting.remove(&client);
                    }
                    if let Some(w) = waiter {
                        Self::grant(&mut s, client, now);
                        let turn = Turn {
                            gate: self.clone(),
                            client,
                            armed: true,
                        };
                        if let Err(mut turn) = w.tx.send(turn) {
                            // The call went away meanwhile: its place is free again (undone
                            // here, under the lock the turn's drop would take).
                            turn.armed = false;
                            s.release(&client);
                            s.minute.tokens += 1.0;
                            s.used_today -= 1;
                            s.granted -= 1;
                        }
                    }
                    continue;
                }
                let need = 1.0 + self.reserve_for(&s, &client, now);
                let free = Self::free(&s);
                if free >= need {
                    // Waiting for a call under way to end (its turn's drop wakes this).
                    Duration::from_secs(1)
                } else {
                    Duration::from_secs_f64((need - free) / self.per_second())
                        .max(Duration::from_millis(1))
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }
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
}
