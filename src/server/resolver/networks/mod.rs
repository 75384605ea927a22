//! The networks (ePN, Admitad) as the resolver asks them: answers kept in memory with the time
//! they were learnt; identical questions under way joined (one call per product however many
//! checks ask); Admitad asked for many links per call; each network's calls bounded in number and
//! behind its own breaker. A call waits for a slot at most one check's time, so a large paste
//! cannot queue calls beyond what the network answers in time.

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
use tokio::time::Instant;

use super::{breaker::Breaker, Ceilings};

mod saving;
use crate::domain::{date::Timestamp, sources::Said};
use crate::server::clock::Clock;
use crate::server::{
    fair::{Allowance, Gate},
    limit::Client,
    sources::networks::{
        admitad::{self, Admitad},
        epn::Epn,
        NetworkFacts,
    },
    sources::SourceError,
    store::{Remembered, SharedStore},
};
use saving::Unsaved;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Net {
    Epn,
    Admitad,
}

impl Net {
    /// The store's name for the network.
    fn key(self) -> &'static str {
        match self {
            Net::Epn => "epn",
            Net::Admitad => "admitad",
        }
    }
}

/// What a network said of a product (`facts: None`: it does not know the product) and when;
/// `None`: no answer (off, failed, paused or not asked in time), not remembered.
type Heard = Option<Said<Option<NetworkFacts>>>;
type Flight = Shared<BoxFuture<'static, Heard>>;
type Batch = Shared<BoxFuture<'static, HashMap<String, Heard>>>;
/// What a network said of each product asked.
type Answered = Vec<(String, Option<NetworkFacts>)>;
/// An answer held in memory, and until when it is good.
struct Kept {
    said: Said<Option<NetworkFacts>>,
    until: Instant,
}

type Memory = lru::LruCache<(Net, String), Kept>;

/// A product's canonical address: what the networks are asked about.
fn product_url(id: &str) -> String {
    format!("https://aliexpress.com/item/{id}.html")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A network's state as `/readyz` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    Off,
    On,
    /// The breaker is open, or the network asked to slow down.
    Open,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Off => "off",
            SourceState::On => "on",
            SourceState::Open => "open",
        }
    }
}

pub struct Networks {
    epn: Option<Epn>,
    admitad: Option<Admitad>,
    /// Where answers are remembered across restarts (and instances).
    store: Option<SharedStore>,
    /// Answers waiting to be written to the store, and whether a writer is at work.
    unsaved: Mutex<Unsaved>,
    ttl: Duration,
    /// The server's clock: how old a remembered answer is, when a network answered.
    clock: Clock,
    /// How long a call may wait for a slot.
    wait: Duration,
    cache: Mutex<Memory>,
    inflight: Mutex<HashMap<(Net, String), Flight>>,
    epn_breaker: Breaker,
    admitad_breaker: Breaker,
    /// Each network's call ceiling, with fair turns across clients.
    epn_gate: Arc<Gate>,
    admitad_gate: Arc<Gate>,
}

/// What the networks said of each product id, with when.
#[derive(Debug, Default)]
pub struct NetworkAnswers {
    pub epn: HashMap<String, Said<NetworkFacts>>,
    pub admitad: HashMap<String, Said<NetworkFacts>>,
}

impl Networks {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        epn: Option<Epn>,
        admitad: Option<Admitad>,
        store: Option<SharedStore>,
        ttl: Duration,
        wait: Duration,
        capacity: usize,
        concurrency: usize,
        breaker_threshold: u32,
        breaker_cooldown: Duration,
        ceilings: Ceilings,
        clock: Clock,
    ) -> Networks {
        Networks {
            epn,
            admitad,
            store,
            unsaved: Mutex::new(Unsaved::default()),
            ttl,
            wait,
            cache: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
            inflight: Mutex::new(HashMap::new()),
            epn_breaker: Breaker::new("epn", breaker_threshold, breaker_cooldown),
            admitad_breaker: Breaker::new("admitad", breaker_threshold, breaker_cooldown),
            epn_gate: Gate::with_clock("epn", ceilings.epn, concurrency, clock.clone()),
            admitad_gate: Gate::with_clock("admitad", ceilings.admitad, concurrency, clock.clone()),
            clock,
        }
    }

    /// The networks' gates: ePN's, Admitad's.
    pub fn gates(&self) -> [&Arc<Gate>; 2] {
        [&self.epn_gate, &self.admitad_gate]
    }

    pub fn any(&self) -> bool {
        self.epn.is_some() || self.admitad.is_some()
    }

    pub fn state(&self, net: Net) -> SourceState {
        match net {
            Net::Epn => match &self.epn {
                None => SourceState::Off,
                Some(e) if e.paused() || self.epn_breaker.is_open() => SourceState::Open,
                Some(_) => SourceState::On,
            },
            Net::Admitad => match &self.admitad {
                None => SourceState::Off,
                Some(_) if self.admitad_breaker.is_open() => SourceState::Open,
                Some(_) => SourceState::On,
            },
        }
    }

    /// Asks both networks about `ids` (product ids), within `deadline`, spending the check's
    /// allowance for what nothing remembers.
    pub async fn ask(
        self: &Arc<Self>,
        ids: &[String],
        deadline: Instant,
        allowance: &Arc<Allowance>,
    ) -> NetworkAnswers {
        let (epn, admitad) = tokio::join!(
            self.ask_one(Net::Epn, ids, deadline, allowance),
            self.ask_one(Net::Admitad, ids, deadline, allowance)
        );
        NetworkAnswers { epn, admitad }
    }

    async fn ask_one(
        self: &Arc<Self>,
        net: Net,
        ids: &[String],
        deadline: Instant,
        allowance: &Arc<Allowance>,
    ) -> HashMap<String, Said<NetworkFacts>> {
        let mut out = HashMap::new();
        let on = match net {
            Net::Epn => self.epn.is_some(),
            Net::Admitad => self.admitad.is_some(),
        };
        if !on || ids.is_empty() {
            return out;
        }
        let mut waits: Vec<(String, Flight)> = Vec::new();
        {
            let now = Instant::now();
            let mut cache = lock(&self.cache);
            let mut inflight = lock(&self.inflight);
            let mut start: Vec<String> = Vec::new();
            // Each id once (a batch may repeat one), in linear time.
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for id in ids {
                if !seen.insert(id.as_str()) {
                    continue;
                }
                let key = (net, id.clone());
                match cache.get(&key) {
                    Some(Kept { said, until }) if *until > now => {
                        if let Some(facts) = &said.facts {
                            out.insert(id.clone(), Said::new(facts.clone(), said.at));
                        }
                        continue;
                    }
                    Some(_) => {
                        cache.pop(&key);
                    }
                    None => {}
                }
                if let Some(f) = inflight.get(&key) {
                    waits.push((id.clone(), f.clone()));
                    continue;
                }
                start.push(id.clone());
            }
            // One question to the store for every id this check starts (not one per id).
            let kept = if start.is_empty() {
                None
            } else {
                let this = self.clone();
                let wanted = start.clone();
                let kept: Batch = async move { this.remembered(net, &wanted).await }
                    .boxed()
                    .shared();
                Some(kept)
            };
            match (net, kept) {
                (_, None) => {}
                (Net::Epn, Some(kept)) => {
                    for id in start {
                        let flight = self.epn_flight(id.clone(), kept.clone(), allowance.clone());
                        inflight.insert((net, id.clone()), flight.clone());
                        tokio::spawn(flight.clone());
                        waits.push((id, flight));
                    }
                }
                (Net::Admitad, Some(kept)) => {
                    for chunk in start.chunks(admitad::MAX_LINKS_PER_CALL) {
                        let batch =
                            self.admitad_batch(chunk.to_vec(), kept.clone(), allowance.clone());
                        for id in chunk {
                            let key = id.clone();
                            let flight: Flight = batch
                                .clone()
                                .map(move |answers| answers.get(&key).cloned().flatten())
                                .boxed()
                                .shared();
                            inflight.insert((net, id.clone()), flight.clone());
                            waits.push((id.clone(), flight));
                        }
                        tokio::spawn(batch);
                    }
                }
            }
        }
        let heard = futures::future::join_all(waits.into_iter().map(|(id, flight)| async move {
            (
                id,
                tokio::time::timeout_at(deadline, flight)
                    .await
                    .ok()
                    .flatten(),
            )
        }))
        .await;
        for (id, h) in heard {
            if let Some(Said {
                facts: Some(facts),
                at,
            }) = h
            {
                out.insert(id, Said::new(facts, at));
            }
        }
        out
    }

    /// Remembers an answer and ends its flight.
    fn finish(&self, net: Net, id: &str, heard: &Heard) {
        lock(&self.inflight).remove(&(net, id.to_string()));
        if let Some(said) = heard {
            lock(&self.cache).put(
                (net, id.to_string()),
                Kept {
                    said: said.clone(),
                    until: Instant::now() + self.ttl,
                },
            );
        }
    }

    /// Answers the store remembers (fresh ones only), asked within one check's time.
    async fn remembered(&self, net: Net, ids: &[String]) -> HashMap<String, Heard> {
        let Some(store) = self.store.clone() else {
            return HashMap::new();
        };
        let wanted = ids.to_vec();
        let not_before = self.clock.unix() - self.ttl.as_secs() as i64;
        let found = tokio::time::timeout(
            self.wait,
            store.network_answers(net.key(), &wanted, not_before),
        )
        .await;
        match found {
            Ok(Ok(rows)) => rows
                .into_iter()
                .map(|Remembered { id, facts, at }| (id, Some(Said::new(facts, Timestamp(at)))))
                .collect(),
            Ok(Err(error)) => {
                tracing::warn!(%error, "remembered network answers not read");
                HashMap::new()
            }
            _ => HashMap::new(),
        }
    }

    fn epn_flight(self: &Arc<Self>, id: String, kept: Batch, allowance: Arc<Allowance>) -> Flight {
        let this = self.clone();
        async move {
            let kept = kept.await;
            let mut heard = kept.get(&id).cloned().flatten();
            // Nothing remembered answers: a fresh look-up, within the client's share and turn.
            if heard.is_none() && allowance.permit(&id) {
                heard = this.call_epn(&id, allowance.client()).await;
                if let Some(said) = &heard {
                    this.keep(Net::Epn, vec![(id.clone(), said.facts.clone())], said.at.0);
                }
            }
            this.finish(Net::Epn, &id, &heard);
            heard
        }
        .boxed()
        .shared()
    }

    async fn call_epn(&self, id: &str, client: Client) -> Heard {
        let epn = self.epn.as_ref()?;
        // The client's turn under ePN's ceiling and calls at once, held while the call is under way.
        let _turn = self
            .epn_gate
            .turn(client, Instant::now() + self.wait)
            .await?;
        if !self.epn_breaker.allow() {
            return None;
        }
        match epn.check_link(&product_url(id)).await {
            Ok(facts) => {
                self.epn_breaker.success();
                Some(Said::new(facts, Timestamp(self.clock.unix())))
            }
            // Paused on ePN's request: not a failure of the network.
            Err(SourceError::Paused { .. }) => None,
            Err(error) => {
                tracing::warn!(%error, "ePN did not answer; the check goes on without it");
                // A refusal about this product is an answer about it, never the network's fault.
                if error.is_source_fault() {
                    self.epn_breaker.failure();
                }
                None
            }
        }
    }

    fn admitad_batch(
        self: &Arc<Self>,
        ids: Vec<String>,
        kept: Batch,
        allowance: Arc<Allowance>,
    ) -> Batch {
        let this = self.clone();
        async move {
            let kept = kept.await;
            let mut out: HashMap<String, Heard> = ids
                .iter()
                .filter_map(|id| kept.get(id).map(|h| (id.clone(), h.clone())))
                .collect();
            // Nothing remembered answers: fresh look-ups, within the client's share and turn.
            let ask: Vec<String> = ids
                .iter()
                .filter(|id| !out.contains_key(*id) && allowance.permit(id))
                .cloned()
                .collect();
            if !ask.is_empty() {
                let answers = this.call_admitad(&ask, allowance.client()).await;
                if let Some(Said { facts: list, at }) = &answers {
                    let learnt = ask
                        .iter()
                        .enumerate()
                        .map(|(i, id)| (id.clone(), list.get(i).cloned().flatten()))
                        .collect();
                    this.keep(Net::Admitad, learnt, at.0);
                }
                for (i, id) in ask.iter().enumerate() {
                    let heard = answers
                        .as_ref()
                        .map(|said| Said::new(said.facts.get(i).cloned().flatten(), said.at));
                    out.insert(id.clone(), heard);
                }
            }
            for id in &ids {
                let heard = out.get(id).cloned().flatten();
                this.finish(Net::Admitad, id, &heard);
            }
            out
        }
        .boxed()
        .shared()
    }

    async fn call_admitad(
        &self,
        ids: &[String],
        client: Client,
    ) -> Option<Said<Vec<Option<NetworkFacts>>>> {
        let admitad = self.admitad.as_ref()?;
        let _turn = self
            .admitad_gate
            .turn(client, Instant::now() + self.wait)
            .await?;
        if !self.admitad_breaker.allow() {
            return None;
        }
        let urls: Vec<String> = ids.iter().map(|id| product_url(id)).collect();
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        match admitad.rates(&urls).await {
            Ok(list) => {
                self.admitad_breaker.success();
                Some(Said::new(list, Timestamp(self.clock.unix())))
            }
            Err(error) => {
                tracing::warn!(%error, links = ids.len(), "Admitad did not answer; the check goes on without it");
                if error.is_source_fault() {
                    self.admitad_breaker.failure();
                }
                None
            }
        }
    }
}
