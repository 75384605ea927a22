//! The server shell: configuration, HTTP routing and middleware. Server only.

mod api;
mod config;
pub mod fetch;
mod http;
pub mod open_platform;
pub mod share;

pub use config::{load_programme, ServerConfig, StartupError};
pub use http::router;

use std::net::SocketAddr;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: ServerConfig,
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
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::domain::date::Date::from_unix_days((secs / 86_400) as i64)
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
    let addr = config.leptos.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    tracing::info!(
        %addr,
        site_root = %config.leptos.site_root,
        rules = %std::env::var("LINKSMITH_RULES").unwrap_or_else(|_| "embedded".into()),
        "linksmith listening on http://{addr}"
    );
    serve(listener, AppState { config }, shutdown_signal()).await?;
    tracing::info!("linksmith stopped");
    Ok(())
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartupError::Serve)
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
