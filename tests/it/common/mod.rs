//! Helpers shared by the integration tests: a real server on an ephemeral loopback port.

pub mod pg;

use std::{net::SocketAddr, path::PathBuf};

use leptos::config::LeptosOptions;
use linksmith::server::{serve, AppState, ServerConfig};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A running server; dropping it stops it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the server and waits until it has finished (graceful shutdown).
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task panicked");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A site root with the files a build would produce, in a fresh temporary directory.
pub fn temp_site() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "linksmith-site-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(
        dir.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(dir.join("pkg/linksmith.css"), "body{}").unwrap();
    std::fs::write(dir.join("pkg/linksmith.js"), "export default function(){}").unwrap();
    dir
}

pub fn leptos_options(site_root: &std::path::Path, hash_files: bool) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("linksmith")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .hash_files(hash_files)
        .build()
}

/// Starts the real application router on 127.0.0.1:0.
pub async fn start(config: ServerConfig) -> TestServer {
    start_state(AppState::in_memory(config)).await
}

/// Starts the real application router over a given state (status sources of the test's choosing).
pub async fn start_state(state: AppState) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .expect("server failed");
    });
    TestServer {
        addr,
        base: format!("http://{addr}"),
        stop: Some(tx),
        handle: Some(handle),
    }
}

pub async fn start_default() -> TestServer {
    let site = temp_site();
    start(ServerConfig::with_leptos(leptos_options(&site, false))).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
pub mod adversarial;
pub mod bot_instance;
pub mod eventually;
pub mod fake_gateway;
pub mod fake_networks;
pub mod fake_telegram;

pub use eventually::{eventually, eventually_blocking, eventually_some};

/// The Open Platform credentials the API tests' fake gateway expects.
pub const GATEWAY_KEY: &str = "880011";
pub const GATEWAY_SECRET: &str = "api-check-secret-3c3c";

/// A configuration for API tests: a temporary site, the given template, no rate limit.
pub fn api_config(template: Option<&str>) -> ServerConfig {
    let mut config = ServerConfig::with_leptos(leptos_options(&temp_site(), false));
    config.template = template
        .map(|t| linksmith::domain::template::LinkTemplate::parse(t).expect("a valid template"));
    config.rate_limit = None;
    config
}

/// A real server whose status source is a fresh fake gateway (with its standard products), the
/// whole check bounded by `budget`.
pub async fn api_server(
    config: ServerConfig,
    budget: std::time::Duration,
) -> (TestServer, fake_gateway::FakeGateway) {
    api_server_with(
        config,
        linksmith::server::resolver::ResolverConfig {
            budget,
            ..Default::default()
        },
    )
    .await
}

/// The Open Platform client of a fake gateway started with [`GATEWAY_KEY`] and [`GATEWAY_SECRET`]
/// (tracking id `trk`), each call within `timeout`.
pub fn gateway_client(
    gateway: url::Url,
    timeout: std::time::Duration,
) -> linksmith::server::sources::open_platform::OpenPlatform {
    use linksmith::server::sources::{
        open_platform::{Credentials, OpenPlatform},
        Secret,
    };
    OpenPlatform::new(
        gateway,
        Credentials {
            app_key: GATEWAY_KEY.into(),
            app_secret: Secret::new(GATEWAY_SECRET),
            tracking_id: "trk".into(),
        },
        timeout,
    )
}

/// As `api_server`, with every resolver setting of the test's choosing.
pub async fn api_server_with(
    config: ServerConfig,
    resolver: linksmith::server::resolver::ResolverConfig,
) -> (TestServer, fake_gateway::FakeGateway) {
    use linksmith::server::store::Catalog;
    let gateway = fake_gateway::start(GATEWAY_KEY, GATEWAY_SECRET).await;
    gateway.add_standard_products();
    let api = gateway_client(gateway.url(), std::time::Duration::from_millis(1500));
    let state = AppState::with_sources(
        config,
        Some(api),
        std::sync::Arc::new(Catalog::in_memory().expect("an in-memory store")),
        None,
        resolver,
    );
    (start_state(state).await, gateway)
}

/// Collects log lines in memory (a `tracing_subscriber` writer).
#[derive(Clone, Default)]
pub struct Logs(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs `body` on a one-thread runtime with every log line at `level` and above collected (the
/// server's tasks run where the collecting subscriber is the default): the body's output and the
/// lines.
pub fn with_logs<F: std::future::Future>(level: tracing::Level, body: F) -> (F::Output, Logs) {
    with_logs_seen(level, |_| body)
}

/// As [`with_logs`], the body seeing the lines as they come (to wait for one).
pub fn with_logs_seen<F: std::future::Future>(
    level: tracing::Level,
    body: impl FnOnce(Logs) -> F,
) -> (F::Output, Logs) {
    let logs = Logs::default();
    let writer = logs.clone();
    let body = body(logs.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(body)
    });
    (out, logs)
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
