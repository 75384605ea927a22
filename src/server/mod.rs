//! The server shell: configuration, HTTP routing and middleware. Server only.

mod api;
pub mod auth;
pub mod body;
pub mod check;
pub mod client;
mod config;
pub mod error;
pub mod fair;
mod http;
pub mod limit;
pub mod origin;
pub mod resolver;
pub mod sources;
pub mod store;

pub use check::{AmountInput, RateLimited, RawOptions, Refusal};
pub use config::{
    load_programme, Calendar, ConnectionLimits, RateLimit, ServerConfig, StartupError,
    TrustedProxies,
};
pub use http::router;
use sources::{fetch, networks, open_platform, page_reader, share};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

/// The upstream status sources a server asks (each off when `None`).
#[derive(Default)]
pub struct Sources {
    pub api: Option<open_platform::OpenPlatform>,
    pub epn: Option<networks::epn::Epn>,
    pub admitad: Option<networks::admitad::Admitad>,
}

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Shared, not copied: axum clones the state for every extractor of every request.
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
        let keys = std::sync::Arc::new(auth::Keys::new(store.clone()));
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
        AppState {
            config: std::sync::Arc::new(config),
            store,
            resolver,
            share_links,
            lookups,
            share_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(share::SHARE_SLOTS)),
            limiter,
            keys,
        }
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
        });
        let pages = page_reader::PageReader::new(
            fetch::GuardedFetcher::new(fetch::FetchPolicy::default()),
            None,
            page_reader::PAGE_BUDGET,
        );
        let epn = config
            .epn
            .clone()
            .map(|c| networks::epn::Epn::new(c, store.clone(), networks::CALL_TIMEOUT));
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
        let resolver_config = resolver::ResolverConfig {
            authority: config.source_order.clone(),
            ..resolver::ResolverConfig::default()
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

/// An upstream API's base URL: https, or plain http on a loopback address (tests). The API
/// clients talk to this address only (they follow no redirect).
pub fn api_base_url(text: &str) -> Result<url::Url, String> {
    let shown: String = text.chars().take(100).collect();
    let url =
        url::Url::parse(text.trim()).map_err(|e| format!("\"{shown}\" is not an address ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(format!(
            "\"{shown}\" is not an https address (plain http is allowed on loopback only, for tests)"
        )),
    }
}

/// `linksmith import <file.csv>`: loads a feed into the store the configuration names
/// (PostgreSQL at `LINKSMITH_DATABASE_URL`, else the SQLite file at `LINKSMITH_DB`) in one
/// transaction, reports the rows it skipped (counted by reason, the first 100 with their line),
/// exits non-zero when the import failed (nothing is imported then).
pub async fn import_cli(file: &str) -> std::process::ExitCode {
    use std::process::ExitCode;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let path = config::db_path(env);
    let url = env("LINKSMITH_DATABASE_URL");
    let store = match store::open(
        url.as_deref(),
        store::postgres::PoolSettings::default(),
        &path,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("linksmith import: {e}");
            return ExitCode::FAILURE;
        }
    };
    let feed = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            eprintln!("linksmith import: cannot open {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let started = std::time::Instant::now();
    match store.import(Box::new(feed), now).await {
        Ok(report) => {
            let place = match store.backend() {
                "sqlite" => path.display().to_string(),
                _ => store.describe(),
            };
            println!(
                "Imported {} products and {} stores from {file} into {place} in {:.1} s.",
                report.products,
                report.stores,
                started.elapsed().as_secs_f64()
            );
            // The counts by reason, then the first rows skipped with their line (the import
            // keeps no more than these, whatever the feed's size).
            let skipped = report.skipped_rows();
            if skipped > 0 {
                let counts: Vec<String> = report
                    .skipped_by_reason
                    .iter()
                    .map(|(reason, n)| format!("{} {n}", reason.label()))
                    .collect();
                println!("Skipped {skipped} rows ({}).", counts.join(", "));
                println!("The first {} skipped:", report.skipped.len());
                for (line, reason) in &report.skipped {
                    println!("  line {line}: {reason}");
                }
                if skipped > report.skipped.len() as u64 {
                    println!("  ... and {} more", skipped - report.skipped.len() as u64);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("linksmith import: {file}: {e}. Nothing was imported.");
            ExitCode::FAILURE
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}

/// Today's date (UTC): the date of a check, against which dated rules apply.
pub fn today() -> crate::domain::date::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::domain::date::Date::from_unix_days((secs / 86_400) as i64)
}

/// The server's runtime: one worker per core, each with an 8 MiB stack (rendering a page nests
/// deep futures; the default 2 MiB is close in debug builds). A busy worker looks for ready
/// connections every 8 tasks rather than tokio's 61, so that a flood of large bodies does not
/// delay others' small requests (docs/PERFORMANCE.md, "Bodies under a flood").
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .event_interval(8)
        .build()
}

/// Structured logs on stderr; `RUST_LOG` chooses what (default: `info`).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Reads the configuration from `Leptos.toml` and the environment, then serves until SIGINT/SIGTERM.
pub async fn run_from_env() -> Result<(), StartupError> {
    let config = ServerConfig::from_env()?;
    let state = AppState::from_env(config).await?;
    let config = &state.config;
    let addr = config.leptos.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    tracing::info!(
        %addr,
        site_root = %config.leptos.site_root,
        rules = config.rules_file.as_deref().unwrap_or("embedded"),
        "linksmith listening on http://{addr}"
    );
    // Hourly: the store forgets API answers too old to be used.
    let resolver = state.resolver.clone();
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            resolver.forget_stale_answers().await;
        }
    });
    serve(listener, state.clone(), shutdown_signal()).await?;
    tracing::info!("linksmith stopped");
    Ok(())
}

/// How long requests in flight may take to finish once shutdown starts.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the app on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// A hyper HTTP/1.1 loop rather than `axum::serve`, for the limits it lacks: a client must send
/// its request headers within the configured time (slowloris clients are dropped); a connection
/// that sends nothing for the idle time, or does not take what it is sent within the write time,
/// is dropped; the connections held at once are capped in all and per client address (trusted
/// proxies exempt, since every client behind them shares their address). Bodies are bounded by
/// the router's size limit and request time-out.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    use axum::extract::ConnectInfo;
    use hyper_util::{
        rt::{TokioIo, TokioTimer},
        server::graceful::GracefulShutdown,
    };
    use tower::ServiceExt;

    let limits = state.config.connections;
    let trusted = state.config.trusted_proxies.clone();
    let keys = state.keys.clone();
    let app = router(state);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_client = std::sync::Arc::new(ConnectionCounts::default());
    let mut refusals = RefusalLog::default();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors or a connection reset before accept: not fatal.
                    tracing::warn!(%error, "accepting a connection failed; retrying shortly");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            let _ = refusals.note(
                peer,
                "too many connections; closing new ones",
                limits.max_connections,
            );
            drop(stream);
            continue;
        };
        let client = if trusted.contains(peer.ip()) {
            None
        } else {
            let key = limit::ClientKey::of(peer.ip());
            if let Some(()) = per_client.open(key, limits.max_per_client) {
                Some(key)
            } else {
                let _ = refusals.note(
                    peer,
                    "too many connections from one client; closing its new ones",
                    limits.max_per_client,
                );
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_read_timeout(Some(limits.idle_timeout));
        stream.set_write_timeout(Some(limits.write_timeout));
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(request)
            },
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(Box::pin(stream)), service);
        let connection = graceful.watch(connection);
        let per_client = per_client.clone();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection closed with an error");
            }
            if let Some(key) = client {
                per_client.close(key);
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_TIME) => {
            tracing::warn!("requests still in flight after {DRAIN_TIME:?}; stopping anyway");
        }
    }
    // The API keys' usage counted since the last write.
    keys.flush().await;
    Ok(())
}

/// Open connections per client.
#[derive(Default)]
struct ConnectionCounts(std::sync::Mutex<std::collections::HashMap<limit::ClientKey, usize>>);

impl ConnectionCounts {
    fn open(&self, key: limit::ClientKey, max: usize) -> Option<()> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(())
    }

    fn close(&self, key: limit::ClientKey) {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let std::collections::hash_map::Entry::Occupied(mut e) = counts.entry(key) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
    }
}

/// Says that connections are being refused at most once every ten seconds, with how many were
/// refused since it last said so: a flood of refusals must not become a flood of log lines.
#[derive(Default)]
struct RefusalLog {
    last: Option<tokio::time::Instant>,
    since: u64,
}

impl RefusalLog {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(10);

    /// Counts a refusal; says so (and returns true) at most once every ten seconds.
    fn note(&mut self, peer: std::net::SocketAddr, what: &'static str, max: usize) -> bool {
        self.since += 1;
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Self::EVERY)
        {
            return false;
        }
        tracing::warn!(%peer, max, refused = self.since, "{what}");
        self.last = Some(now);
        self.since = 0;
        true
    }
}

/// Completes on Ctrl+C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::RefusalLog;

    #[tokio::test(start_paused = true)]
    async fn refused_connections_are_logged_at_most_every_ten_seconds() {
        let peer = "192.0.2.1:4000".parse().unwrap();
        let mut log = RefusalLog::default();
        let said: Vec<bool> = (0..1000).map(|_| log.note(peer, "refused", 1)).collect();
        assert_eq!(
            said.iter().filter(|s| **s).count(),
            1,
            "a flood is one line"
        );
        tokio::time::advance(std::time::Duration::from_secs(10)).await;
        assert!(log.note(peer, "refused", 1));
        assert_eq!(log.since, 0);
        assert!(!log.note(peer, "refused", 1));
        assert_eq!(log.since, 1, "the next line will count it");
    }
}
