//! A source's gate ([`Gate`]): its call ceiling (a minute's bucket and a day's count) and the
//! calls under way at once, with turns taken fairly across clients (the least used first).

use super::*;

/// How long a client's use of a source is remembered (the usage that orders the turns decays
/// with this time constant).
pub(super) const USAGE_TIME: Duration = Duration::from_secs(60);

/// Decayed count of the calls a client made to one source.
#[derive(Debug, Clone, Copy)]
pub(super) struct Usage {
    value: f64,
    at: Instant,
}

impl Usage {
    fn now(self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.value * (-dt / USAGE_TIME.as_secs_f64()).exp()
    }
}

pub(super) struct Waiter {
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

pub(super) struct GateState {
    /// The calls free now: a sixth of the minute's at once, refilled at the rest of the minute's
    /// pace, so that no 60 s ever hold more than `per_minute` calls.
    minute: Bucket,
    /// The watch rounds' own calls ([`Client::Rounds`]): half the minute's bucket, refilled at
    /// half its pace, so that rounds never take more than half the ceiling.
    rounds: Bucket,
    day: i64,
    used_today: u64,
    rounds_today: u64,
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
    /// The daily ceiling's days are counted by it.
    clock: Clock,
}

/// The UTC day number by `clock`.
fn utc_day(clock: &Clock) -> i64 {
    clock.unix().div_euclid(86_400)
}

impl Gate {
    /// A gate counting its days by the system's clock.
    pub fn new(name: &'static str, ceiling: Ceiling, concurrency: usize) -> Arc<Gate> {
        Gate::with_clock(name, ceiling, concurrency, Clock::system())
    }

    /// A gate whose daily ceiling resets at midnight UTC by `clock` (the server's).
    pub fn with_clock(
        name: &'static str,
        ceiling: Ceiling,
        concurrency: usize,
        clock: Clock,
    ) -> Arc<Gate> {
        let ceiling = Ceiling {
            per_minute: ceiling.per_minute.max(1),
            per_day: ceiling.per_day,
        };
        let day = utc_day(&clock);
        Arc::new(Gate {
            name,
            clock,
            ceiling,
            concurrency: concurrency.max(1),
            state: Mutex::new(GateState {
                minute: Bucket {
                    tokens: burst_of(ceiling.per_minute),
                    at: Instant::now(),
                },
                rounds: Bucket {
                    tokens: rounds_burst(ceiling.per_minute),
                    at: Instant::now(),
                },
                day,
                used_today: 0,
                rounds_today: 0,
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
            if self.day_spent(&s) || (client == Client::Rounds && self.rounds_day_spent(&s)) {
                return None;
            }
            // A client served longer ago than this one waits: it goes first.
            let mine = s.last_served(&client);
            // The rounds wait behind every client; no client waits behind them.
            let earlier_waits = s.waiting.keys().any(|c| {
                *c != client
                    && *c != Client::Rounds
                    && (client == Client::Rounds || s.last_served(c) <= mine)
            });
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
            if client != Client::Rounds
                && short > 0.0
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
        let elapsed = now.saturating_duration_since(s.rounds.at).as_secs_f64();
        s.rounds.tokens = (s.rounds.tokens + elapsed * self.per_second() / 2.0)
            .min(rounds_burst(self.ceiling.per_minute));
        s.rounds.at = now;
        let today = utc_day(&self.clock);
        if today != s.day {
            s.day = today;
            s.used_today = 0;
            s.rounds_today = 0;
        }
    }

    fn day_spent(&self, s: &GateState) -> bool {
        self.ceiling.per_day.is_some_and(|max| s.used_today >= max)
    }

    /// Whether the rounds have had half the day's ceiling.
    fn rounds_day_spent(&self, s: &GateState) -> bool {
        self.ceiling
            .per_day
            .is_some_and(|max| s.rounds_today >= max / 2)
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
        if *client == Client::Rounds {
            // Half of everything: the places under way, the minute's calls (their own bucket),
            // the day's; and the other half of the minute's bucket is left to the clients.
            return s.in_flight < self.concurrency
                && mine < (self.concurrency / 2).max(1)
                && s.rounds.tokens >= 1.0
                && Self::free(s) >= 1.0 + (burst_of(self.ceiling.per_minute) / 2.0).floor()
                && !self.rounds_day_spent(s);
        }
        let most = self.concurrency.saturating_sub(1).max(1);
        s.in_flight < self.concurrency
            && mine < most
            && Self::free(s) >= 1.0 + self.reserve_for(s, client, now)
    }

    fn grant(s: &mut GateState, client: Client, now: Instant) {
        s.minute.tokens -= 1.0;
        if client == Client::Rounds {
            s.rounds.tokens -= 1.0;
            s.rounds_today += 1;
        }
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
                // The rounds go when no client waits.
                let clients_wait = s.waiting.keys().any(|c| *c != Client::Rounds);
                for (c, q) in &s.waiting {
                    if clients_wait && *c == Client::Rounds {
                        continue;
                    }
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
                            if client == Client::Rounds {
                                s.rounds.tokens += 1.0;
                                s.rounds_today -= 1;
                            }
                        }
                    }
                    continue;
                }
                let need = 1.0 + self.reserve_for(&s, &client, now);
                let free = Self::free(&s);
                if client == Client::Rounds {
                    // Their own bucket, or half the minute's, or a place under way.
                    Duration::from_millis(250)
                } else if free >= need {
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
