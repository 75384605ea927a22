//! What every request handler may need: the configuration, the store, the sources behind one
//! resolver, the limits and the keys ([`AppState`]), made from the settings or for tests.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::sources::{fetch, networks, open_platform, page_reader, share};
use super::*;

/// The upstream status sources a server asks (each off when `None`).
#[derive(Default)]
pub struct Sources {
    pub api: Option<open_platform::OpenPlatform>,
    pub epn: Option<networks::epn::Epn>,
    pub admitad: Option<networks::admitad::Admitad>,
}

/// Everything a request handler may need, behind one `Arc`: axum clones the state for every
/// layer and extractor of every request, and one reference count is what a clone costs (eight
/// counts, each touched by both cores, were 5% of a cached check's time).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Changes a part before the state is shared (tests, start-up); a state already shared is
/// copied first (its parts are `Arc`s).
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub config: std::sync::Arc<ServerConfig>,
    /// Everything the server keeps (SQLite or PostgreSQL): the catalogue, remembered answers,
    /// tokens.
    pub store: store::SharedStore,
    /// The status sources behind one resolver.
    pub resolver: std::sync::Arc<resolver::Resolver>,
    /// Follows app share links (AliExpress hosts only, guarded at every hop), once per link,
    /// remembering where they led.
    pub share_links: std::sync::Arc<share::ShareLinks>,
    /// Fresh look-ups per client (`LINKSMITH_LOOKUPS_PER_HOUR`); none when turned off.
    pub lookups: Option<std::sync::Arc<fair::LookupBudget>>,
    /// App share links followed at once, by every check together.
    pub share_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Links per client (`LINKSMITH_API_RATE`, `LINKSMITH_API_BURST`); none when turned off.
    pub limiter: Option<std::sync::Arc<limit::LinkLimiter>>,
    /// API keys: who a request with `Authorization: Bearer` is, and each key's usage.
    pub keys: std::sync::Arc<auth::Keys>,
    /// The Telegram bot once it runs (the webhook route hands it updates).
    pub bot: telegram::Handle,
    /// One-link answers already written as JSON, for the same question asked again.
    pub answers: std::sync::Arc<answers::WrittenAnswers>,
}

impl AppState {
    /// A state with an empty catalogue in memory and no network source (tests, tools).
    pub fn in_memory(config: ServerConfig) -> AppState {
        let store: store::SharedStore =
            std::sync::Arc::new(store::Catalog::in_memory().expect("an in-memory store opens"));
        AppState::with_sources(
            config,
            None,
            store,
            None,
            resolver::ResolverConfig::default(),
        )
    }

    /// A state over the given status sources (no network).
    pub fn with_sources(
        config: ServerConfig,
        api: Option<open_platform::OpenPlatform>,
        store: store::SharedStore,
        pages: Option<page_reader::PageReader>,
        resolver_config: resolver::ResolverConfig,
    ) -> AppState {
        AppState::with_all_sources(
            config,
            Sources {
                api,
                ..Sources::default()
            },
            store,
            pages,
            resolver_config,
        )
    }

    /// A state over every given status source.
    pub fn with_all_sources(
        config: ServerConfig,
        sources: Sources,
        store: store::SharedStore,
        pages: Option<page_reader::PageReader>,
        resolver_config: resolver::ResolverConfig,
    ) -> AppState {
        // The sources' ceilings are the server's settings.
        let resolver_config = resolver::ResolverConfig {
            ceilings: config.ceilings,
            clock: config.clock.clone(),
            ..resolver_config
        };
        let resolver = resolver::Resolver::with_networks(
            sources.api,
            sources.epn,
            sources.admitad,
            store.clone(),
            pages,
            resolver_config,
        );
        let limiter = config
            .rate_limit
            .map(|l| std::sync::Arc::new(limit::LinkLimiter::new(l)));
        if let (Some(limiter), Ok(runtime)) = (&limiter, tokio::runtime::Handle::try_current()) {
            // Clients whose bucket is full again are forgotten every minute (while the state lives).
            let limiter = std::sync::Arc::downgrade(limiter);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let Some(limiter) = limiter.upgrade() else {
                        return;
                    };
                    limiter.sweep();
                }
            });
        }
        let keys = std::sync::Arc::new(auth::Keys::new(store.clone(), config.clock.clone()));
        auth::Keys::start_flushing(&keys);
        let share_links = share::ShareLinks::new(
            fetch::GuardedFetcher::new(fetch::FetchPolicy::default()),
            resolver.page_gate().clone(),
        );
        let lookups = config.lookups_per_hour.map(|per_hour| {
            std::sync::Arc::new(fair::LookupBudget::new(
                per_hour,
                u32::try_from(config.max_batch).unwrap_or(u32::MAX),
            ))
        });
        AppState(std::sync::Arc::new(Shared {
            config: std::sync::Arc::new(config),
            store,
            resolver,
            share_links,
            lookups,
            share_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(share::SHARE_SLOTS)),
            limiter,
            keys,
            bot: telegram::Handle::default(),
            answers: std::sync::Arc::default(),
        }))
    }

    /// The state of a running server, from its configuration: the store (PostgreSQL at
    /// `database_url`, else SQLite at `db_path`), the API when credentials are set, and the
    /// product page reader.
    pub async fn from_env(config: ServerConfig) -> Result<AppState, StartupError> {
        let store = store::open(
            config.database_url.as_deref(),
            config.database_pool,
            &config.db_path,
        )
        .await?;
        let (products, stores) = store.counts().await?;
        let gateway = config.api_url.clone();
        let api = config.credentials.clone().map(|creds| {
            open_platform::OpenPlatform::new(gateway.clone(), creds, open_platform::CALL_TIMEOUT)
                .with_clock(config.clock.clone())
        });
        let pages = page_reader::PageReader::new(
            fetch::GuardedFetcher::new(fetch::FetchPolicy::default()),
            None,
            page_reader::PAGE_BUDGET,
        );
        let epn = config.epn.clone().map(|c| {
            networks::epn::Epn::new(c, store.clone(), networks::CALL_TIMEOUT)
                .with_clock(config.clock.clone())
        });
        let admitad = config
            .admitad
            .clone()
            .map(|c| networks::admitad::Admitad::new(c, networks::CALL_TIMEOUT));
        tracing::info!(
            store = %store.describe(),
            products,
            stores,
            api = if api.is_some() { gateway.as_str() } else { "off (no ALIEXPRESS_APP_KEY, ALIEXPRESS_APP_SECRET and ALIEXPRESS_TRACKING_ID)" },
            epn = config.epn.as_ref().map_or("off (no EPN_CLIENT_ID and EPN_CLIENT_SECRET)", |c| c.api.as_str()),
            admitad = config.admitad.as_ref().map_or("off (no ADMITAD_CLIENT_ID and ADMITAD_CLIENT_SECRET)", |c| c.api.as_str()),
            "status sources ready"
        );
        if api.is_none() && epn.is_none() && admitad.is_none() && products + stores == 0 {
            tracing::warn!("no status source: set the Open Platform, ePN or Admitad credentials, or import a catalogue (linksmith import <file.csv>); every status will be unknown");
        }
        let defaults = resolver::ResolverConfig::default();
        // The bot's rounds may use answers remembered for less than the watch interval.
        let ttl_found = config.telegram.as_ref().map_or(defaults.ttl_found, |t| {
            t.watch_interval.min(defaults.ttl_found)
        });
        let resolver_config = resolver::ResolverConfig {
            authority: config.source_order.clone(),
            ttl_found,
            ..defaults
        };
        Ok(AppState::with_all_sources(
            config,
            Sources { api, epn, admitad },
            store,
            Some(pages),
            resolver_config,
        ))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
