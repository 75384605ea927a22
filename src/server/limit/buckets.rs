//! Per-client token buckets in bounded memory ([`ClientBuckets`]): each client counted with the
//! wider address prefixes it belongs to, in sharded least-recently-used maps.

use super::*;

/// One bucket of [`ClientBuckets`]: a key, or an address prefix (network bits, prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Slot {
    Key(i64),
    Telegram(i64),
    Rounds,
    V4 {
        net: u32,
        len: u8,
    },
    /// IPv6 prefixes are /64 or shorter: the first 64 bits.
    V6 {
        net: u64,
        len: u8,
    },
}

/// The buckets a client takes from, widest last (at most three), and the one its lock shard is
/// chosen by (the widest, so that every layer of a client is in one shard, under one lock).
pub(super) struct Route {
    slots: [(Slot, f64); 3],
    count: usize,
    shard: Slot,
}

impl Route {
    fn of(client: &Client, layers: &Layers) -> Route {
        match client {
            Client::Key(id) => Route {
                slots: [(Slot::Key(*id), 1.0); 3],
                count: 1,
                shard: Slot::Key(*id),
            },
            Client::Telegram(user) => Route {
                slots: [(Slot::Telegram(*user), 1.0); 3],
                count: 1,
                shard: Slot::Telegram(*user),
            },
            Client::Rounds => Route {
                slots: [(Slot::Rounds, 1.0); 3],
                count: 1,
                shard: Slot::Rounds,
            },
            Client::Address(ip) => match canonical(*ip) {
                IpAddr::V4(v4) => {
                    let bits = u32::from(v4);
                    let net24 = Slot::V4 {
                        net: bits & 0xffff_ff00,
                        len: 24,
                    };
                    Route {
                        slots: [
                            (Slot::V4 { net: bits, len: 32 }, 1.0),
                            (net24, layers.v4_24),
                            (net24, layers.v4_24),
                        ],
                        count: 2,
                        shard: net24,
                    }
                }
                IpAddr::V6(v6) => {
                    let top = (u128::from(v6) >> 64) as u64;
                    let net48 = Slot::V6 {
                        net: top & !0xffff,
                        len: 48,
                    };
                    Route {
                        slots: [
                            (Slot::V6 { net: top, len: 64 }, 1.0),
                            (
                                Slot::V6 {
                                    net: top & !0xff,
                                    len: 56,
                                },
                                layers.v6_56,
                            ),
                            (net48, layers.v6_48),
                        ],
                        count: 3,
                        shard: net48,
                    }
                }
            },
        }
    }

    fn slots(&self) -> &[(Slot, f64)] {
        &self.slots[..self.count]
    }
}

/// A bucket is kept as one number: the moment (nanoseconds since the map's start) it is full
/// again (a full bucket is the past, or absent). Taking `n` tokens moves it `n / per_second`
/// later; the take passes while it stays within `burst / per_second` of now (the generic cell
/// rate algorithm: the same answers as tokens and a refill time, in 8 bytes). Whole nanoseconds,
/// so that months of uptime lose no precision; each take is rounded down (in the client's
/// favour by less than a nanosecond) and the burst up, so a take exactly at the edge passes.
pub(super) type FullAt = u64;

/// The most buckets popped in one hold of a shard's lock by [`ClientBuckets::sweep`].
pub(super) const SWEEP_STEP: usize = 1024;

/// Per-client token buckets in bounded memory, for any rate: links a second
/// ([`LinkLimiter`]), look-ups an hour, anything counted per client.
///
/// - **Layers.** A [`Client::Key`] is one bucket, at the rate given. A [`Client::Address`] is
///   counted in its own bucket (an IPv4 address, an IPv6 /64: one host gets a whole /64) and in
///   the wider prefixes it belongs to (IPv4: its /24; IPv6: its /56 and /48), each at the rate
///   times its [`Layers`] factor, so a client that owns many addresses or /64s cannot multiply
///   itself past the factor. A take passes only if every layer has the tokens; a refused take
///   takes nothing from any layer, and says the longest wait.
/// - **Memory.** At most `capacity` buckets (rounded up to a multiple of the shards), least
///   recently used out: a put evicts one at once, never a scan. An evicted bucket is as a new
///   client's (full); a client that keeps asking keeps its bucket (every take, refused ones too,
///   makes its buckets the most recently used).
/// - **Locks.** The buckets are split in shards by a keyed hash of the client's widest layer (its
///   /48, its /24, its key), so checks from different clients rarely wait for each other, and
///   all the layers of one take are under one lock.
/// - **Time** is tokio's clock (tests run it paused).
pub struct ClientBuckets {
    shards: Box<[Mutex<LruCache<Slot, FullAt, RandomState>>]>,
    per_shard: usize,
    hasher: RandomState,
    layers: Layers,
    start: Instant,
}

impl ClientBuckets {
    /// Buckets remembered at most by default: 131,072, about 18 MiB of resident memory when full
    /// (measured: docs/PERFORMANCE.md). An IPv4 client is two buckets with its /24, an IPv6
    /// client three, a key one.
    pub const DEFAULT_CAPACITY: usize = 1 << 17;
    /// Lock shards by default.
    pub const DEFAULT_SHARDS: usize = 16;

    /// At most `capacity` buckets, the default layers and shards.
    pub fn new(capacity: usize) -> ClientBuckets {
        ClientBuckets::with(capacity, Self::DEFAULT_SHARDS, Layers::default())
    }

    /// At most `capacity` buckets (at least three a shard) in `shards` locks (at least one).
    pub fn with(capacity: usize, shards: usize, layers: Layers) -> ClientBuckets {
        let shards = shards.max(1);
        let per_shard = capacity.div_ceil(shards).max(3);
        let cap = NonZeroUsize::new(per_shard).unwrap_or(NonZeroUsize::MIN);
        ClientBuckets {
            shards: (0..shards)
                .map(|_| {
                    // Grown as used, not allocated whole up front; SipHash with a random key,
                    // since clients choose their addresses.
                    let mut lru = LruCache::unbounded_with_hasher(RandomState::new());
                    lru.resize(cap);
                    Mutex::new(lru)
                })
                .collect(),
            per_shard,
            hasher: RandomState::new(),
            layers: Layers {
                v6_56: layers.v6_56.max(1.0),
                v6_48: layers.v6_48.max(1.0),
                v4_24: layers.v4_24.max(1.0),
            },
            start: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(
            Instant::now()
                .saturating_duration_since(self.start)
                .as_nanos(),
        )
        .unwrap_or(u64::MAX)
    }

    fn shard(&self, slot: &Slot) -> std::sync::MutexGuard<'_, LruCache<Slot, FullAt, RandomState>> {
        let n = self.shards.len();
        // The remainder is below the shard count, a usize.
        #[allow(clippy::cast_possible_truncation)]
        let i = (self.hasher.hash_one(slot) % n as u64) as usize;
        self.shards[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes `cost` tokens from every bucket of `client` (see the type), or says how long to wait
    /// until every one has them. All or nothing: a refused take changes no bucket. A cost that is
    /// not positive passes and takes nothing; a cost over `rate.burst` is [`Wait::Never`].
    pub fn take(&self, client: &Client, cost: f64, rate: Rate) -> Result<(), Wait> {
        if cost.is_nan() || cost <= 0.0 {
            return Ok(());
        }
        if cost > rate.burst || rate.burst.is_nan() {
            return Err(Wait::Never);
        }
        let route = Route::of(client, &self.layers);
        let now = self.now();
        let mut shard = self.shard(&route.shard);
        let mut after = [0; 3];
        let mut wait = 0;
        for (i, (slot, factor)) in route.slots().iter().enumerate() {
            let rate = rate.times(*factor);
            let full_at = shard.get(slot).copied().unwrap_or(now).max(now);
            after[i] = full_at.saturating_add(rate.nanos_for(cost, false));
            let allowed = now.saturating_add(rate.nanos_for(rate.burst, true));
            wait = wait.max(after[i].saturating_sub(allowed));
        }
        if wait > 0 {
            return Err(Wait::For(Duration::from_nanos(wait)));
        }
        for ((slot, _), after) in route.slots().iter().zip(after) {
            shard.put(*slot, after);
        }
        Ok(())
    }

    /// Forgets buckets that are full again, from the least recently used end of each shard,
    /// until one that is not (at most 1,024 at a time under each lock): cheap, and memory
    /// comes back after a crowd has gone. Optional: the bound holds without it.
    pub fn sweep(&self) {
        for shard in &*self.shards {
            loop {
                let now = self.now();
                let mut lru = shard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut popped = 0;
                while popped < SWEEP_STEP
                    && lru.peek_lru().is_some_and(|(_, &full_at)| full_at <= now)
                {
                    lru.pop_lru();
                    popped += 1;
                }
                if popped < SWEEP_STEP {
                    break;
                }
            }
        }
    }

    /// Buckets remembered now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }

    /// True when no bucket is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets remembered at most.
    pub fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }
}
