//! The server shell: configuration, HTTP routing and middleware. Server only.

mod answers;
mod api;
pub mod auth;
pub mod body;
pub mod check;
pub mod clock;
mod config;
mod connections;
pub mod error;
pub mod fair;
mod http;
mod import_command;
pub mod limit;
pub mod origin;
pub mod resolver;
mod serve;
pub mod sources;
mod state;
pub mod store;
pub mod telegram;
pub mod words;

pub use check::{AmountInput, RateLimited, RawOptions, Refusal};
pub use config::{
    load_programme, Calendar, ConnectionLimits, RateLimit, ServerConfig, StartupError,
    TrustedProxies,
};
pub use http::router;
pub use import_command::import_cli;
pub use serve::{serve, shutdown_signal};
pub use state::{AppState, Sources};

use tokio::net::TcpListener;

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

/// A whole-number setting within `min..=max`, or a sentence naming it.
pub(crate) fn whole_number(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, StartupError> {
    env(name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| StartupError::Setting {
                    name,
                    problem: format!("\"{v}\" is not a whole number from {min} to {max}"),
                })
        })
        .transpose()
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
    if let Some(bot) = state.config.telegram.clone() {
        tokio::spawn(telegram::run(state.clone(), bot));
    }
    serve(listener, state.clone(), shutdown_signal()).await?;
    tracing::info!("linksmith stopped");
    Ok(())
}
