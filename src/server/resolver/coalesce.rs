//! Coalescing: one API call for every check that asks about the same product at the same time.
//! The first check marks the id in flight; the others wait on its channel. The marks are owned
//! by a guard, so that no exit path leaves one behind.

use std::{collections::HashMap, sync::Arc, time::Duration};

use tokio::{sync::watch, time::Instant};

use super::{ApiOutcome, Key, Resolver};
use crate::domain::country::Country;

/// Marks of ids in flight: the channel their answer will come on.
pub type Inflight = HashMap<Key, watch::Receiver<Option<ApiOutcome>>>;

/// The in-flight marks a check made for the ids it asks the API about, owned until each id has
/// an answer: whatever ends the work early (the client goes away, the request times out, a task
/// fails) drops the guard, which removes the marks still held, so that later checks of those ids
/// ask again instead of waiting on a channel nobody will answer.
pub struct Marks {
    pub resolver: Arc<Resolver>,
    pub country: Country,
    pub entries: Vec<(String, watch::Sender<Option<ApiOutcome>>)>,
}

impl Marks {
    /// Answers the ids in `entries` (removing their marks), caching what should be remembered.
    pub fn settle(
        &mut self,
        outcome_of: impl Fn(&str) -> ApiOutcome,
        ttl_of: impl Fn(&ApiOutcome) -> Option<Duration>,
    ) {
        let now = Instant::now();
        let mut cache = self.resolver.cache.lock();
        let mut inflight = self
            .resolver
            .inflight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (id, tx) in self.entries.drain(..) {
            let outcome = outcome_of(&id);
            let key = (id, self.country);
            remove_mark(&mut inflight, &key, &tx);
            if let Some(ttl) = ttl_of(&outcome) {
                cache.put(key, outcome.clone(), now + ttl);
            }
            let _ = tx.send(Some(outcome));
        }
    }
}

impl Drop for Marks {
    fn drop(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        let mut inflight = self
            .resolver
            .inflight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (id, tx) in self.entries.drain(..) {
            remove_mark(&mut inflight, &(id, self.country), &tx);
            // Dropping `tx` closes the channel: waiters ask again.
        }
    }
}

/// Removes the mark of `key` if it is this sender's (a newer check may have marked it since).
pub fn remove_mark(inflight: &mut Inflight, key: &Key, tx: &watch::Sender<Option<ApiOutcome>>) {
    if inflight
        .get(key)
        .is_some_and(|rx| rx.same_channel(&tx.subscribe()))
    {
        inflight.remove(key);
    }
}
