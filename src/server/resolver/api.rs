//! The Open Platform's part of a check: what the store remembers, then calls of up to 20 ids
//! under the API's gate and breaker, each id's queue bounded per client, the answers kept.

use super::*;

/// How long a check waits for the store to keep what the API said before answering.
const STORE_WRITE_WAIT: Duration = Duration::from_millis(500);

impl Resolver {
    /// What the API says of each id: from the cache, from a call under way, or from new calls
    /// (spawned, so that a check that runs out of time still fills the cache for the next one).
    /// An id whose call under way was abandoned (its channel closed) is asked again, once.
    pub(super) async fn api_outcomes(
        self: &Arc<Self>,
        ids: &[String],
        country: Country,
        deadline: Instant,
        allowance: &Arc<Allowance>,
    ) -> HashMap<String, ApiOutcome> {
        let mut out = HashMap::new();
        let Some(api) = self.api.clone() else {
            return out;
        };
        let mut ask: Vec<String> = ids.to_vec();
        for round in 0..2 {
            let abandoned = self
                .api_round(&api, &ask, country, deadline, allowance, &mut out)
                .await;
            if abandoned.is_empty() {
                break;
            }
            if round == 1 {
                for id in abandoned {
                    out.insert(id, ApiOutcome::Failed);
                }
                break;
            }
            ask = abandoned;
        }
        out
    }

    /// One round of [`Self::api_outcomes`]: fills `out`, and returns the ids whose channel
    /// closed without an answer.
    pub(super) async fn api_round(
        self: &Arc<Self>,
        api: &OpenPlatform,
        ids: &[String],
        country: Country,
        deadline: Instant,
        allowance: &Arc<Allowance>,
        out: &mut HashMap<String, ApiOutcome>,
    ) -> Vec<String> {
        let mut waits = Vec::new();
        let mut mine = Marks {
            resolver: self.clone(),
            country,
            entries: Vec::new(),
        };
        {
            let now = Instant::now();
            let mut cache = self.cache.lock();
            let mut inflight = self
                .inflight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut seen = std::collections::HashSet::new();
            for id in ids {
                if out.contains_key(id) || !seen.insert(id.as_str()) {
                    continue;
                }
                let key = (id.clone(), country);
                if let Some(outcome) = cache.fresh(&key, now) {
                    out.insert(id.clone(), outcome);
                    continue;
                }
                if let Some(rx) = inflight.get(&key) {
                    waits.push((id.clone(), rx.clone()));
                    continue;
                }
                let (tx, rx) = watch::channel(None);
                inflight.insert(key, rx.clone());
                waits.push((id.clone(), rx));
                mine.entries.push((id.clone(), tx));
            }
        }
        // Answers remembered in the store (a restart does not forget them) settle some ids at
        // once. The store is asked within the check's time: a slow store is skipped.
        if !mine.entries.is_empty() {
            let catalog = self.catalog.clone();
            let wanted: Vec<String> = mine.entries.iter().map(|(id, _)| id.clone()).collect();
            let fresh_since = self.config.clock.unix() - self.config.ttl_found.as_secs() as i64;
            let code = country.code().to_string();
            let stored =
                tokio::time::timeout_at(deadline, catalog.api_answers(&code, &wanted, fresh_since))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
            if !stored.is_empty() {
                let stored: HashMap<String, ApiOutcome> = stored
                    .into_iter()
                    .map(
                        |Remembered {
                             id,
                             facts: answer,
                             at,
                         }| {
                            let outcome = match answer {
                                Some(p) => ApiOutcome::Found(p, at),
                                None => ApiOutcome::NotInProgramme(at),
                            };
                            (id, outcome)
                        },
                    )
                    .collect();
                let (known, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut mine.entries)
                    .into_iter()
                    .partition(|(id, _)| stored.contains_key(id));
                mine.entries = known;
                let ttl = self.config.ttl_found;
                mine.settle(|id| stored[id].clone(), |_| Some(ttl));
                mine.entries = rest;
            }
        }
        // Ids nothing remembered answers are fresh look-ups: within the client's share only.
        let (fresh, withheld): (Vec<_>, Vec<_>) = std::mem::take(&mut mine.entries)
            .into_iter()
            .partition(|(id, _)| allowance.permit(id));
        mine.entries = withheld;
        mine.settle(|_| ApiOutcome::NotAsked, |_| None);
        // New calls, 20 ids each, while the client's queue has room; ids past it are not asked.
        let client = allowance.client();
        for chunk in fresh.chunks(MAX_IDS_PER_CALL) {
            let mut marks = Marks {
                resolver: self.clone(),
                country,
                entries: chunk.to_vec(),
            };
            let n = chunk.len();
            if !self.queue_ids(client, n) {
                marks.settle(|_| ApiOutcome::NotAsked, |_| None);
                continue;
            }
            let this = self.clone();
            let api = api.clone();
            tokio::spawn(async move { this.call_api(api, marks, country, client, deadline).await });
        }
        let mut abandoned = Vec::new();
        for (id, mut rx) in waits {
            let outcome =
                match tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await {
                    Ok(Ok(v)) => v.clone().unwrap_or(ApiOutcome::Failed),
                    // The call under way was abandoned: ask again.
                    Ok(Err(_)) => {
                        abandoned.push(id);
                        continue;
                    }
                    Err(_) => ApiOutcome::Failed,
                };
            out.insert(id, outcome);
        }
        abandoned
    }

    /// One API call for up to 20 ids. The slot is waited for within the asking check's time;
    /// without one, the ids are answered `NotAsked` at once. The call itself runs to its end even
    /// if the check has gone, so its answer is cached for the next one.
    pub(super) async fn call_api(
        self: Arc<Self>,
        api: OpenPlatform,
        mut marks: Marks,
        country: Country,
        client: Client,
        deadline: Instant,
    ) {
        struct Queued<'a>(&'a Resolver, Client, usize);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                self.0.unqueue_ids(self.1, self.2);
            }
        }
        let _queued = Queued(&self, client, marks.entries.len());
        let ids: Vec<String> = marks.entries.iter().map(|(id, _)| id.clone()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        // The client's turn under the API's ceiling and its calls at once, within the check's
        // time; held while the call is under way.
        let turn = self.api_gate.turn(client, deadline).await;
        let answer = match turn {
            Some(_turn) if self.api_breaker.allow() => {
                Some(api.product_details(&ids, country, Lang::En).await)
            }
            Some(_) => None,
            None => {
                tracing::debug!(
                    ids = ids.len(),
                    "no API turn within the check's time; not asked"
                );
                None
            }
        };
        let now = self.config.clock.unix();
        let outcome_of = |id: &str| -> ApiOutcome {
            match &answer {
                Some(Ok(ApiAnswer::Products(ps))) => match ps.iter().find(|p| p.product_id == id) {
                    Some(p) => ApiOutcome::Found(p.clone(), now),
                    None => ApiOutcome::NotInProgramme(now),
                },
                Some(Ok(ApiAnswer::Empty)) => ApiOutcome::NotInProgramme(now),
                Some(Err(_)) => ApiOutcome::Failed,
                None => ApiOutcome::NotAsked,
            }
        };
        match &answer {
            Some(Ok(_)) => self.api_breaker.success(),
            Some(Err(e)) => {
                tracing::warn!(error = %e, ids = ids.len(), "Open Platform call failed; the check goes on without it");
                // A refusal about these products is an answer about them, not a fault.
                if e.is_source_fault() {
                    self.api_breaker.failure();
                } else {
                    self.api_breaker.success();
                }
            }
            None => {}
        }
        // Remember what the platform said (not failures) in the store.
        let learnt: Vec<(String, Option<ApiProduct>)> = ids
            .iter()
            .filter_map(|id| match outcome_of(id) {
                ApiOutcome::Found(p, _) => Some((id.to_string(), Some(p))),
                ApiOutcome::NotInProgramme(_) => Some((id.to_string(), None)),
                ApiOutcome::Failed | ApiOutcome::NotAsked => None,
            })
            .collect();
        if !learnt.is_empty() {
            // Kept before the waiting checks are answered, so that another instance asked next
            // finds the answer in the store; a store slower than that finishes in the background.
            let catalog = self.catalog.clone();
            let code = country.code().to_string();
            let saving = tokio::spawn(async move {
                if let Err(e) = catalog.store_api_answers(&code, &learnt, now).await {
                    tracing::warn!(error = %e, "could not remember the API's answers");
                }
            });
            let _ = tokio::time::timeout(STORE_WRITE_WAIT, saving).await;
        }
        let (found, failed) = (self.config.ttl_found, self.config.ttl_failed);
        marks.settle(outcome_of, |o| match o {
            ApiOutcome::Found(..) | ApiOutcome::NotInProgramme(_) => Some(found),
            ApiOutcome::Failed => Some(failed),
            ApiOutcome::NotAsked => None,
        });
    }

    /// Counts `n` ids into the client's queue; false (nothing counted) when the client's queue or
    /// every client's together would pass its bound.
    pub(super) fn queue_ids(&self, client: Client, n: usize) -> bool {
        let mut guard = lock(&self.pending_ids);
        let (pending, all) = &mut *guard;
        let mine = pending.get(&client).copied().unwrap_or(0);
        if mine + n > self.config.max_pending_ids
            || *all + n > self.config.max_pending_ids.saturating_mul(10)
        {
            return false;
        }
        *pending.entry(client).or_insert(0) += n;
        *all += n;
        true
    }

    pub(super) fn unqueue_ids(&self, client: Client, n: usize) {
        let mut guard = lock(&self.pending_ids);
        let (pending, all) = &mut *guard;
        if let Some(count) = pending.get_mut(&client) {
            let taken = n.min(*count);
            *count -= taken;
            *all = all.saturating_sub(taken);
            if *count == 0 {
                pending.remove(&client);
            }
        }
    }
}
