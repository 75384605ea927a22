//! The resolver: asks the status sources in order of authority (the Open Platform API, then the
//! catalogue, then the product page) and merges their answers. It never fails a check: any source
//! that breaks, hangs or is off is skipped, and a product nobody knows is `unknown`.
//!
//! - API answers are cached per product and delivery country (hours when found, minutes after a
//!   failure); concurrent checks of one product make one call; a batch groups ids 20 per call.
//! - Calls to each upstream are bounded in number; a circuit breaker stops calling an upstream
//!   that keeps failing, for a while, and says so in the log.
//! - One time budget bounds the whole check.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::{watch, Semaphore};

use super::{
    catalog::{Catalog, Kind},
    open_platform::{ApiAnswer, ApiProduct, OpenPlatform, MAX_IDS_PER_CALL},
    page_reader::{PageFacts, PageReader},
};
use crate::domain::{
    country::Country,
    link::{Link, PageKind},
    rates::{Lang, Programme, Status},
};

pub use crate::domain::check::{Detection, ProductInfo, StatusSource};

#[derive(Debug, Clone)]
pub struct ResolverConfig {
    /// The whole check, every source included.
    pub budget: Duration,
    pub ttl_found: Duration,
    pub ttl_failed: Duration,
    /// API calls under way at once.
    pub api_concurrency: usize,
    /// Page fetches under way at once.
    pub page_concurrency: usize,
    /// API answers kept in memory (product and country pairs); the least recently used go first.
    pub cache_capacity: usize,
    /// Consecutive failures that open a breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker stops calls before one is tried again.
    pub breaker_cooldown: Duration,
}

impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            budget: Duration::from_millis(2800),
            ttl_found: Duration::from_secs(6 * 3600),
            ttl_failed: Duration::from_secs(5 * 60),
            api_concurrency: 4,
            page_concurrency: 4,
            cache_capacity: 50_000,
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
        }
    }
}

/// What the API said of one product.
#[derive(Debug, Clone, PartialEq)]
enum ApiOutcome {
    Found(ApiProduct),
    NotInProgramme,
    Failed,
}

/// A circuit breaker: closed, open after `threshold` failures in a row, half-open after the
/// cool-down (one call goes through; its result closes or reopens it).
struct Breaker {
    name: &'static str,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<(u32, Option<Instant>)>,
}

impl Breaker {
    fn new(name: &'static str, threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            name,
            threshold,
            cooldown,
            state: Mutex::new((0, None)),
        }
    }

    fn allow(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.1 {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                // Half-open: let this call through; hold the others back until it reports.
                s.1 = Some(Instant::now() + self.cooldown);
                true
            }
            None => true,
        }
    }

    fn success(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.1.is_some() {
            tracing::info!(
                upstream = self.name,
                "circuit breaker closed: the upstream answers again"
            );
        }
        *s = (0, None);
    }

    fn failure(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 += 1;
        if s.0 >= self.threshold {
            if s.1.is_none() {
                tracing::warn!(
                    upstream = self.name,
                    failures = s.0,
                    cooldown_s = self.cooldown.as_secs_f64(),
                    "circuit breaker opened: not calling the upstream for a while"
                );
            }
            s.1 = Some(Instant::now() + self.cooldown);
        }
    }

    fn is_open(&self) -> bool {
        self.state.lock().unwrap().1.is_some()
    }
}

type Key = (String, Country);

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub struct Resolver {
    api: Option<OpenPlatform>,
    catalog: Arc<Catalog>,
    pages: Option<PageReader>,
    programme: Arc<Programme>,
    config: ResolverConfig,
    /// The API's answers, the least recently used dropped past `cache_capacity`.
    cache: Mutex<lru::LruCache<Key, (ApiOutcome, Instant)>>,
    inflight: Mutex<HashMap<Key, watch::Receiver<Option<ApiOutcome>>>>,
    api_slots: Arc<Semaphore>,
    page_slots: Semaphore,
    api_breaker: Breaker,
    page_breaker: Breaker,
}

impl Resolver {
    pub fn new(
        api: Option<OpenPlatform>,
        catalog: Arc<Catalog>,
        pages: Option<PageReader>,
        programme: Arc<Programme>,
        config: ResolverConfig,
    ) -> Arc<Resolver> {
        let capacity = std::num::NonZeroUsize::new(config.cache_capacity.max(1))
            .unwrap_or(std::num::NonZeroUsize::MIN);
        Arc::new(Resolver {
            api,
            catalog,
            pages,
            programme,
            api_slots: Arc::new(Semaphore::new(config.api_concurrency.max(1))),
            page_slots: Semaphore::new(config.page_concurrency.max(1)),
            api_breaker: Breaker::new(
                "open_platform",
                config.breaker_threshold,
                config.breaker_cooldown,
            ),
            page_breaker: Breaker::new(
                "product_pages",
                config.breaker_threshold,
                config.breaker_cooldown,
            ),
            config,
            cache: Mutex::new(lru::LruCache::new(capacity)),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    /// True when the API is configured or the catalogue holds anything.
    pub fn has_status_source(&self) -> bool {
        self.api.is_some()
            || self
                .catalog
                .counts()
                .map(|(p, s)| p + s > 0)
                .unwrap_or(false)
    }

    pub async fn detect(self: &Arc<Self>, link: &Link, country: Country, lang: Lang) -> Detection {
        self.detect_many(std::slice::from_ref(link), country, lang)
            .await
            .pop()
            .unwrap_or_else(Detection::unknown)
    }

    /// Detects the status of every link, in order, within the time budget.
    pub async fn detect_many(
        self: &Arc<Self>,
        links: &[Link],
        country: Country,
        lang: Lang,
    ) -> Vec<Detection> {
        let deadline = Instant::now() + self.config.budget;
        // The API outranks the catalogue: a product whose answer is in memory needs no lookup.
        let settled = self.settled_in_memory(links, country);
        // 1. The catalogue, for the rest (local, one blocking call for the whole batch), and
        // 2. the API for every product id, batched and coalesced, both at once.
        let wanted: Vec<(usize, Option<String>, Option<String>)> = links
            .iter()
            .enumerate()
            .filter(|(i, _)| !settled[*i])
            .map(|(i, l)| (i, l.product_id.clone(), l.store_id.clone()))
            .collect();
        let catalog = self.catalog.clone();
        let lookups = async move {
            if wanted.is_empty() {
                return Vec::new();
            }
            tokio::task::spawn_blocking(move || {
                wanted
                    .into_iter()
                    .map(|(i, product, store)| {
                        let p = product
                            .and_then(|id| catalog.lookup(Kind::Product, &id).ok().flatten());
                        let entry = p.or_else(|| {
                            store.and_then(|id| catalog.lookup(Kind::Store, &id).ok().flatten())
                        });
                        (i, entry)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default()
        };
        let ids: Vec<String> = links.iter().filter_map(|l| l.product_id.clone()).collect();
        let (found, api) = tokio::join!(lookups, self.api_outcomes(&ids, country, lang, deadline));
        let mut known = vec![None; links.len()];
        for (i, entry) in found {
            known[i] = entry;
        }

        // 3. Merge by authority.
        let mut out: Vec<Detection> = links
            .iter()
            .zip(known)
            .map(|(link, entry)| {
                let from_api = link.product_id.as_ref().and_then(|id| api.get(id));
                match (from_api, entry) {
                    (Some(ApiOutcome::Found(p)), _) => {
                        let region = self.programme.region_of(country).id;
                        let (status, exact) = self.programme.status_from_api(
                            region,
                            p.commission_rate,
                            p.hot_commission_rate,
                        );
                        let product = ProductInfo {
                            title: p.title.clone(),
                            image_url: p.image_url.clone(),
                            category: p.category.clone(),
                            available: true,
                        };
                        Detection {
                            status,
                            source: StatusSource::Api,
                            exact_percent: exact,
                            product: Some(product),
                        }
                    }
                    (Some(ApiOutcome::NotInProgramme), _) => Detection {
                        status: Status::NonAffiliate,
                        source: StatusSource::Api,
                        exact_percent: None,
                        product: None,
                    },
                    (_, Some(e)) => Detection {
                        status: e.status,
                        source: StatusSource::Catalog,
                        exact_percent: e.rate,
                        product: e.category.map(|c| ProductInfo {
                            title: None,
                            image_url: None,
                            category: Some(c),
                            available: true,
                        }),
                    },
                    _ => Detection::unknown(),
                }
            })
            .collect();

        // 4. Product pages fill in what is missing (title, image, category, availability).
        if let Some(pages) = &self.pages {
            let wanted: Vec<usize> = links
                .iter()
                .enumerate()
                .filter(|(i, l)| {
                    l.kind == PageKind::Product
                        && out[*i].product.as_ref().is_none_or(|p| p.title.is_none())
                })
                .map(|(i, _)| i)
                .collect();
            let reads = wanted
                .iter()
                .map(|&i| self.read_page(pages, &links[i].canonical_url, deadline));
            let facts = futures::future::join_all(reads).await;
            for (i, facts) in wanted.into_iter().zip(facts) {
                if let Some(f) = facts {
                    let d = &mut out[i];
                    let p = d.product.get_or_insert(ProductInfo {
                        title: None,
                        image_url: None,
                        category: None,
                        available: true,
                    });
                    p.title = p.title.take().or(f.title);
                    p.image_url = p.image_url.take().or(f.image_url);
                    p.category = p.category.take().or(f.category);
                    p.available &= f.available;
                }
            }
        }
        out
    }

    async fn read_page(
        &self,
        pages: &PageReader,
        url: &str,
        deadline: Instant,
    ) -> Option<PageFacts> {
        let left = deadline.checked_duration_since(Instant::now())?;
        let _slot = tokio::time::timeout(left, self.page_slots.acquire())
            .await
            .ok()?
            .ok()?;
        if !self.page_breaker.allow() {
            return None;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, pages.read(url)).await {
            Ok(Ok(facts)) => {
                self.page_breaker.success();
                Some(facts)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "product page not read");
                self.page_breaker.failure();
                None
            }
            Err(_) => None,
        }
    }

    /// What the API says of each id: from the cache, from a call under way, or from new calls
    /// (spawned, so that a check that runs out of time still fills the cache for the next one).
    async fn api_outcomes(
        self: &Arc<Self>,
        ids: &[String],
        country: Country,
        lang: Lang,
        deadline: Instant,
    ) -> HashMap<String, ApiOutcome> {
        let mut out = HashMap::new();
        let Some(api) = self.api.clone() else {
            return out;
        };
        let mut waits = Vec::new();
        let mut mine: Vec<(String, watch::Sender<Option<ApiOutcome>>)> = Vec::new();
        {
            let now = Instant::now();
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                if out.contains_key(id)
                    || mine.iter().any(|(m, _)| m == id)
                    || waits.iter().any(|(w, _)| w == id)
                {
                    continue;
                }
                let key = (id.clone(), country);
                match cache.get(&key) {
                    Some((outcome, until)) if *until > now => {
                        out.insert(id.clone(), outcome.clone());
                        continue;
                    }
                    Some(_) => {
                        cache.pop(&key);
                    }
                    None => {}
                }
                if let Some(rx) = inflight.get(&key) {
                    waits.push((id.clone(), rx.clone()));
                    continue;
                }
                let (tx, rx) = watch::channel(None);
                inflight.insert(key, rx.clone());
                waits.push((id.clone(), rx));
                mine.push((id.clone(), tx));
            }
        }
        // Answers remembered in the store (a restart does not forget them) settle some ids at once.
        if !mine.is_empty() {
            let catalog = self.catalog.clone();
            let ids: Vec<String> = mine.iter().map(|(id, _)| id.clone()).collect();
            let fresh_since = unix_now() - self.config.ttl_found.as_secs() as i64;
            let code = country.code().to_string();
            let stored =
                tokio::task::spawn_blocking(move || catalog.api_answers(&code, &ids, fresh_since))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
            if !stored.is_empty() {
                let now = Instant::now();
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
                for (id, answer) in stored {
                    let outcome = answer
                        .map(ApiOutcome::Found)
                        .unwrap_or(ApiOutcome::NotInProgramme);
                    if let Some(pos) = mine.iter().position(|(m, _)| *m == id) {
                        let (id, tx) = mine.swap_remove(pos);
                        let key = (id, country);
                        inflight.remove(&key);
                        cache.put(key, (outcome.clone(), now + self.config.ttl_found));
                        let _ = tx.send(Some(outcome));
                    }
                }
            }
        }
        for chunk in mine.chunks(MAX_IDS_PER_CALL).map(<[_]>::to_vec) {
            let this = self.clone();
            let api = api.clone();
            tokio::spawn(async move { this.call_api(api, chunk, country, lang).await });
        }
        for (id, mut rx) in waits {
            let left = deadline.saturating_duration_since(Instant::now());
            let outcome = match tokio::time::timeout(left, rx.wait_for(Option::is_some)).await {
                Ok(Ok(v)) => v.clone().unwrap_or(ApiOutcome::Failed),
                _ => ApiOutcome::Failed,
            };
            out.insert(id, outcome);
        }
        out
    }

    async fn call_api(
        self: Arc<Self>,
        api: OpenPlatform,
        chunk: Vec<(String, watch::Sender<Option<ApiOutcome>>)>,
        country: Country,
        lang: Lang,
    ) {
        let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
        let answer = match self.api_slots.acquire().await {
            Ok(_slot) if self.api_breaker.allow() => {
                Some(api.product_details(&ids, country, lang).await)
            }
            _ => None,
        };
        let outcome_of = |id: &str| -> ApiOutcome {
            match &answer {
                Some(Ok(ApiAnswer::Products(ps))) => match ps.iter().find(|p| p.product_id == id) {
                    Some(p) => ApiOutcome::Found(p.clone()),
                    None => ApiOutcome::NotInProgramme,
                },
                Some(Ok(ApiAnswer::Empty)) => ApiOutcome::NotInProgramme,
                _ => ApiOutcome::Failed,
            }
        };
        match &answer {
            Some(Ok(_)) => self.api_breaker.success(),
            Some(Err(e)) => {
                tracing::warn!(error = %e, ids = ids.len(), "Open Platform call failed; the check goes on without it");
                self.api_breaker.failure();
            }
            None => {}
        }
        // Remember what the platform said (not failures) in the store.
        let learnt: Vec<(String, Option<ApiProduct>)> = chunk
            .iter()
            .filter_map(|(id, _)| match outcome_of(id) {
                ApiOutcome::Found(p) => Some((id.clone(), Some(p))),
                ApiOutcome::NotInProgramme => Some((id.clone(), None)),
                ApiOutcome::Failed => None,
            })
            .collect();
        if !learnt.is_empty() {
            let catalog = self.catalog.clone();
            let code = country.code().to_string();
            let saved = tokio::task::spawn_blocking(move || {
                catalog.store_api_answers(&code, &learnt, unix_now())
            })
            .await;
            if let Ok(Err(e)) = saved {
                tracing::warn!(error = %e, "could not remember the API's answers");
            }
        }
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        for (id, tx) in chunk {
            let outcome = outcome_of(&id);
            let ttl = if outcome == ApiOutcome::Failed {
                self.config.ttl_failed
            } else {
                self.config.ttl_found
            };
            let key = (id, country);
            inflight.remove(&key);
            cache.put(key, (outcome.clone(), now + ttl));
            let _ = tx.send(Some(outcome));
        }
    }

    /// For each link: whether the API's answer for its product is in memory and fresh (found or
    /// not in the programme), so that the catalogue need not be asked.
    fn settled_in_memory(&self, links: &[Link], country: Country) -> Vec<bool> {
        let now = Instant::now();
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        links
            .iter()
            .map(|l| {
                l.product_id.as_ref().is_some_and(|id| {
                    matches!(
                        cache.peek(&(id.clone(), country)),
                        Some((ApiOutcome::Found(_) | ApiOutcome::NotInProgramme, until)) if *until > now
                    )
                })
            })
            .collect()
    }

    /// How many API answers are held in memory (at most the configured capacity).
    pub fn cached(&self) -> usize {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Drops the API answers the store holds that are older than the answers' lifetime.
    pub fn forget_stale_answers(&self) {
        let before = unix_now() - self.config.ttl_found.as_secs() as i64;
        match self.catalog.forget_api_answers_before(before) {
            Ok(0) => {}
            Ok(n) => tracing::info!(dropped = n, "forgot stale API answers"),
            Err(error) => tracing::warn!(%error, "could not forget stale API answers"),
        }
    }

    /// True while the API's breaker stops calls.
    pub fn api_breaker_open(&self) -> bool {
        self.api_breaker.is_open()
    }
}
