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
    time::Duration,
};

use futures::FutureExt;
use tokio::{sync::watch, time::Instant};

mod api;
mod breaker;
mod cache;
mod coalesce;
mod networks;
mod pages;

pub use networks::{Net, SourceState};

use breaker::Breaker;
use coalesce::Marks;

use super::{
    clock::Clock,
    fair::{Allowance, Ceiling, Gate},
    limit::Client,
    sources::open_platform::{ApiAnswer, OpenPlatform, MAX_IDS_PER_CALL},
    sources::page_reader::{PageFacts, PageReader},
    store::{Entry, Kind, Remembered, SharedStore},
};
use crate::domain::{
    country::Country,
    date::Timestamp,
    lang::Lang,
    link::{Link, PageKind},
    sources::{self, Answers, ApiFacts, ApiProduct, Said},
};
use crate::server::sources::networks::{admitad::Admitad, epn::Epn};

pub use crate::domain::sources::{Detection, ProductInfo, StatusSource};

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
    /// Product ids one client may have waiting for an API turn or in a call: ids past this are
    /// not asked (their status is `unknown` at once), so one client's random ids cannot queue
    /// beyond what the API answers in time. Every client together: ten times this.
    pub max_pending_ids: usize,
    /// Each source's call ceiling (`ALIEXPRESS_API_CALLS_PER_MINUTE`, `EPN_CALLS_PER_MINUTE`,
    /// `ADMITAD_CALLS_PER_MINUTE`, `LINKSMITH_PAGE_FETCHES_PER_MINUTE`, and `..._PER_DAY`).
    pub ceilings: Ceilings,
    /// Which source decides first (`LINKSMITH_SOURCE_ORDER`); default: the Open Platform, ePN,
    /// Admitad, the catalogue.
    pub authority: Vec<StatusSource>,
    /// The server's clock: how old a remembered answer is, when a source answered.
    pub clock: Clock,
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
            max_pending_ids: 2000,
            ceilings: Ceilings::default(),
            authority: sources::AUTHORITY.to_vec(),
            clock: Clock::system(),
        }
    }
}

/// The call ceilings of the sources (check-api.md, "Clients and fair use").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceilings {
    pub api: Ceiling,
    pub epn: Ceiling,
    pub admitad: Ceiling,
    /// Product pages and app share links: fetches from the operator's address.
    pub pages: Ceiling,
}

impl Default for Ceilings {
    /// The contract's defaults: 300, 60, 60 and 60 calls a minute, no daily ceiling.
    fn default() -> Self {
        Ceilings {
            api: Ceiling::per_minute(300),
            epn: Ceiling::per_minute(60),
            admitad: Ceiling::per_minute(60),
            pages: Ceiling::per_minute(60),
        }
    }
}

/// Product pages remembered (canonical addresses).
const PAGES_REMEMBERED: usize = 20_000;
/// How long a product page's facts are remembered; a failed read, briefly.
const PAGE_TTL: Duration = Duration::from_secs(3600);
const PAGE_FAILED_TTL: Duration = Duration::from_secs(60);

type PageFlight = futures::future::Shared<futures::future::BoxFuture<'static, PageRead>>;

/// What reading a product page gave.
#[derive(Debug, Clone)]
enum PageRead {
    Read(PageFacts),
    /// The page could not be read (remembered briefly).
    Failed,
    /// Not asked: no turn within the check's time, or the breaker is open (not remembered).
    NotAsked,
}

/// What the API said of one product.
#[derive(Debug, Clone, PartialEq)]
enum ApiOutcome {
    /// Found, learnt at this time (unix seconds).
    Found(ApiProduct, i64),
    NotInProgramme(i64),
    Failed,
    /// Not asked: no API slot within the check's time, or too many ids already waiting. Not
    /// remembered: the next check asks again.
    NotAsked,
}

impl ApiOutcome {
    /// What the platform said, as the domain's facts, and when (nothing when it said nothing).
    fn facts(&self) -> Option<Said<ApiFacts>> {
        match self {
            ApiOutcome::Found(p, at) => Some(Said::new(
                ApiFacts::Found {
                    commission: p.commission_rate,
                    hot_commission: p.hot_commission_rate,
                    title: p.title.clone(),
                    image_url: p.image_url.clone(),
                    category: p.category.clone(),
                    tmall: p.tmall,
                },
                Timestamp(*at),
            )),
            ApiOutcome::NotInProgramme(at) => {
                Some(Said::new(ApiFacts::NotInProgramme, Timestamp(*at)))
            }
            ApiOutcome::Failed | ApiOutcome::NotAsked => None,
        }
    }
}

/// A product id and the delivery country it was asked for.
type Key = (String, Country);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct Resolver {
    api: Option<OpenPlatform>,
    catalog: SharedStore,
    pages: Option<PageReader>,
    config: ResolverConfig,
    /// The API's answers, the least recently used dropped past `cache_capacity`.
    cache: cache::AnswerCache,
    inflight: Mutex<coalesce::Inflight>,
    api_gate: Arc<Gate>,
    /// Ids waiting for an API turn or in a call, per client.
    pending_ids: Mutex<(HashMap<Client, usize>, usize)>,
    page_gate: Arc<Gate>,
    /// Product pages read (or failed, briefly), by canonical address, and reads under way.
    pages_read: Mutex<lru::LruCache<String, (PageRead, Instant)>>,
    pages_inflight: Mutex<HashMap<String, PageFlight>>,
    api_breaker: Breaker,
    page_breaker: Breaker,
    networks: Arc<networks::Networks>,
}

impl Resolver {
    pub fn new(
        api: Option<OpenPlatform>,
        catalog: SharedStore,
        pages: Option<PageReader>,
        config: ResolverConfig,
    ) -> Arc<Resolver> {
        Resolver::with_networks(api, None, None, catalog, pages, config)
    }

    /// A resolver with every source: the Open Platform, ePN, Admitad, the catalogue, pages.
    pub fn with_networks(
        api: Option<OpenPlatform>,
        epn: Option<Epn>,
        admitad: Option<Admitad>,
        catalog: SharedStore,
        pages: Option<PageReader>,
        config: ResolverConfig,
    ) -> Arc<Resolver> {
        let cache_capacity = config.cache_capacity;
        let networks = Arc::new(networks::Networks::new(
            epn,
            admitad,
            Some(catalog.clone()),
            config.ttl_found,
            config.budget,
            cache_capacity,
            config.api_concurrency,
            config.breaker_threshold,
            config.breaker_cooldown,
            config.ceilings,
            config.clock.clone(),
        ));
        Arc::new(Resolver {
            networks,
            api,
            catalog,
            pages,
            api_gate: Gate::with_clock(
                "open_platform",
                config.ceilings.api,
                config.api_concurrency,
                config.clock.clone(),
            ),
            pending_ids: Mutex::new((HashMap::new(), 0)),
            page_gate: Gate::with_clock(
                "product_pages",
                config.ceilings.pages,
                config.page_concurrency,
                config.clock.clone(),
            ),
            pages_read: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(PAGES_REMEMBERED)
                    .unwrap_or(std::num::NonZeroUsize::MIN),
            )),
            pages_inflight: Mutex::new(HashMap::new()),
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
            cache: cache::AnswerCache::new(cache_capacity),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    /// True when the API is configured or the catalogue holds anything (one indexed look-up,
    /// never a count of the rows).
    pub async fn has_status_source(&self) -> bool {
        self.api.is_some()
            || self.networks.any()
            || self.catalog.has_entries().await.unwrap_or(false)
    }

    /// Each upstream source's state (`/readyz`), without calling it.
    pub fn source_states(&self) -> [(&'static str, SourceState); 3] {
        let api = match &self.api {
            None => SourceState::Off,
            Some(_) if self.api_breaker.is_open() => SourceState::Open,
            Some(_) => SourceState::On,
        };
        [
            ("api", api),
            ("epn", self.networks.state(Net::Epn)),
            ("admitad", self.networks.state(Net::Admitad)),
        ]
    }

    pub async fn detect(self: &Arc<Self>, link: &Link, country: Country) -> Detection {
        self.detect_many(std::slice::from_ref(link), country)
            .await
            .pop()
            .unwrap_or_else(Detection::unknown)
    }

    /// The ceiling of fetches from the operator's address (product pages, app share links).
    pub fn page_gate(&self) -> &Arc<Gate> {
        &self.page_gate
    }

    /// Each source's gate: its ceiling, the calls it granted and those waiting (tests, details).
    pub fn gates(&self) -> [&Arc<Gate>; 4] {
        let [epn, admitad] = self.networks.gates();
        [&self.api_gate, epn, admitad, &self.page_gate]
    }

    /// [`Self::detect_for`] with unlimited fresh look-ups (tests, tools).
    pub async fn detect_many(self: &Arc<Self>, links: &[Link], country: Country) -> Vec<Detection> {
        self.detect_for(links, country, &Allowance::unlimited())
            .await
    }

    /// Detects the status of every link, in order, within the time budget, spending the
    /// check's allowance of fresh look-ups (one per product that nothing remembered answers).
    /// The API is asked in English whatever the reader's language: the category rules match
    /// its names, and one answer per product and country serves every reader.
    pub async fn detect_for(
        self: &Arc<Self>,
        links: &[Link],
        country: Country,
        allowance: &Arc<Allowance>,
    ) -> Vec<Detection> {
        self.detect_through(links, country, allowance, None).await
    }

    /// [`Self::detect_for`] for links that go through `network` (the template's): that
    /// network's answer decides the status and the rates where it gave one
    /// ([`sources::led_by`]); otherwise the configured order.
    pub async fn detect_through(
        self: &Arc<Self>,
        links: &[Link],
        country: Country,
        allowance: &Arc<Allowance>,
        network: Option<crate::domain::sources::StatusSource>,
    ) -> Vec<Detection> {
        let authority = sources::led_by(&self.config.authority, network);
        let deadline = Instant::now() + self.config.budget;
        // 1. The catalogue and 2. the API for every product id (batched and coalesced) and the
        // networks, all at once.
        let ids: Vec<String> = links.iter().filter_map(|l| l.product_id.clone()).collect();
        let (known, api, nets) = tokio::join!(
            self.catalogue_entries(links, deadline),
            self.api_outcomes(&ids, country, deadline, allowance),
            self.networks.ask(&ids, deadline, allowance)
        );

        // 3. Merge by authority (the domain's policy).
        let mut out: Vec<Detection> = links
            .iter()
            .zip(known)
            .map(|(link, entry)| {
                let id = link.product_id.as_ref();
                let answers = Answers {
                    api: id.and_then(|id| api.get(id)).and_then(ApiOutcome::facts),
                    epn: id.and_then(|id| nets.epn.get(id)).cloned(),
                    admitad: id.and_then(|id| nets.admitad.get(id)).cloned(),
                    catalog: entry,
                };
                sources::merge_in(&authority, &answers)
            })
            .collect();

        // 4. Product pages fill in what is missing (title, image, category, availability).
        if let Some(pages) = &self.pages {
            let wanted: Vec<usize> = links
                .iter()
                .enumerate()
                .filter(|(i, l)| l.kind == PageKind::Product && sources::wants_page(&out[*i]))
                .map(|(i, _)| i)
                .collect();
            let reads = wanted
                .iter()
                .map(|&i| self.read_page(pages, &links[i], deadline, allowance));
            let facts = futures::future::join_all(reads).await;
            for (i, facts) in wanted.into_iter().zip(facts) {
                if let Some(f) = facts {
                    sources::fill_from_page(&mut out[i], f);
                }
            }
        }
        out
    }

    /// What the catalogue holds for each link, in order (`None` where it holds nothing): a
    /// status where the API says nothing, and the facts the API does not carry (Tmall,
    /// ship-from, the seller's country). Two questions for the whole batch (products, then the
    /// stores of the links it does not hold as products), within the check's time: a slow,
    /// locked or failing store is skipped, not waited for.
    async fn catalogue_entries(&self, links: &[Link], deadline: Instant) -> Vec<Option<Entry>> {
        let mut known = vec![None; links.len()];
        if links.is_empty() {
            return known;
        }
        let catalog = &self.catalog;
        let lookups = async {
            // An empty catalogue (the common case without an import) costs one look-up.
            if !catalog.has_entries().await.unwrap_or(true) {
                return Ok(HashMap::new());
            }
            let products: Vec<String> = links.iter().filter_map(|l| l.product_id.clone()).collect();
            let found = catalog.lookup_many(Kind::Product, &products).await?;
            let stores: Vec<String> = links
                .iter()
                .filter(|l| !l.product_id.as_ref().is_some_and(|p| found.contains_key(p)))
                .filter_map(|l| l.store_id.clone())
                .collect();
            let found_stores = catalog.lookup_many(Kind::Store, &stores).await?;
            Ok::<_, crate::server::store::StoreError>(
                links
                    .iter()
                    .enumerate()
                    .filter_map(|(i, l)| {
                        let entry = l
                            .product_id
                            .as_ref()
                            .and_then(|id| found.get(id).cloned())
                            .or_else(|| {
                                l.store_id
                                    .as_ref()
                                    .and_then(|id| found_stores.get(id).cloned())
                            })?;
                        Some((i, entry))
                    })
                    .collect::<HashMap<usize, Entry>>(),
            )
        };
        match tokio::time::timeout_at(deadline, lookups).await {
            Ok(Ok(found)) => {
                for (i, entry) in found {
                    known[i] = Some(entry);
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "catalogue look-up failed; checked without it");
            }
            Err(_) => {
                tracing::warn!(
                    "the catalogue did not answer within the check's time; checked without it"
                );
            }
        }
        known
    }

    /// Ids waiting for an API call or in one, every client's together: zero once every call
    /// queued has ended (tests wait for it).
    pub fn queued_ids(&self) -> usize {
        lock(&self.pending_ids).1
    }

    /// How many API answers are held in memory (at most the configured capacity).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Drops the API answers the store holds that are older than the answers' lifetime.
    pub async fn forget_stale_answers(&self) {
        let before = self.config.clock.unix() - self.config.ttl_found.as_secs() as i64;
        match self.catalog.forget_answers_before(before).await {
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
