//! Serving: the connection loop with its limits, and the signals that stop it.

use tokio::net::TcpListener;

use super::connections::{ConnectionCounts, RefusalLog};
use super::*;

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
