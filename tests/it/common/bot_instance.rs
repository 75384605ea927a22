//! A server instance running the bot as a process would: in a runtime of its own on a thread of
//! its own, so that stopping it ends every task it started (its polling, its rounds, its store's
//! connections, which releases its PostgreSQL locks), as a process that stops does. It checks
//! statuses with the Open Platform stand-in and polls (or takes webhooks for) the Bot API
//! stand-in.

use std::{path::PathBuf, time::Duration};

use linksmith::server::{resolver::ResolverConfig, serve, store, telegram, AppState};

use super::{fake_gateway::FakeGateway, fake_telegram, GATEWAY_KEY, GATEWAY_SECRET};

/// The Bot API stand-in and the Open Platform's, with its standard products.
pub async fn world() -> (fake_telegram::FakeTelegram, FakeGateway) {
    let gateway = super::fake_gateway::start(GATEWAY_KEY, GATEWAY_SECRET).await;
    gateway.add_standard_products();
    (fake_telegram::start().await, gateway)
}

/// A private message from chat 4242 that is a command (its `bot_command` entity on the first
/// word).
pub fn command(text: &str, language: &str) -> serde_json::Value {
    let first = text.split_whitespace().next().unwrap_or_default();
    serde_json::json!({
        "message_id": 7, "date": 1_765_000_000,
        "chat": {"id": 4242, "type": "private", "first_name": "Webmaster"},
        "from": {"id": 4242, "is_bot": false, "first_name": "Webmaster", "language_code": language},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": first.encode_utf16().count()}]
    })
}

pub const TEMPLATE: &str = "https://aff.example/r?to={url}&sub={sub}";

/// Where an instance keeps what it keeps.
#[derive(Clone)]
pub enum Keep {
    Memory,
    Sqlite(PathBuf),
    Postgres(String),
}

pub struct Instance {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The instance's HTTP address (`http://127.0.0.1:port`).
    pub base: String,
}

impl Instance {
    /// Starts an instance: the bot (polling, or the webhook when `env` names one) with the
    /// watch settings of `env`, its status source the gateway, answers remembered for 1 s.
    pub fn start(
        keep: Keep,
        telegram: &str,
        gateway: &FakeGateway,
        env: &[(&str, &str)],
    ) -> Instance {
        let mut vars: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        vars.push(("TELEGRAM_BOT_TOKEN".into(), fake_telegram::TOKEN.into()));
        vars.push(("TELEGRAM_API_URL".into(), telegram.to_string()));
        let gateway = gateway.url();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let (ready, base) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let settings = telegram::BotSettings::from_settings(&|name: &str| {
                    vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
                })
                .unwrap()
                .expect("a token is set");
                let store: store::SharedStore = match keep {
                    Keep::Memory => std::sync::Arc::new(store::Catalog::in_memory().unwrap()),
                    Keep::Sqlite(path) => std::sync::Arc::new(store::Catalog::open(&path).unwrap()),
                    Keep::Postgres(url) => store::open(
                        Some(&url),
                        store::postgres::PoolSettings::default(),
                        std::path::Path::new("unused.db"),
                    )
                    .await
                    .unwrap(),
                };
                let api = super::gateway_client(gateway, Duration::from_millis(1500));
                let mut config = super::api_config(Some(TEMPLATE));
                config.telegram = Some(settings.clone());
                let state = AppState::with_sources(
                    config,
                    Some(api),
                    store,
                    None,
                    ResolverConfig {
                        ttl_found: Duration::from_secs(1),
                        ..ResolverConfig::default()
                    },
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let _ = ready.send(format!("http://{}", listener.local_addr().unwrap()));
                tokio::spawn(serve(listener, state.clone(), std::future::pending()));
                tokio::spawn(telegram::run(state, settings));
                let _ = stopped.await;
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        });
        Instance {
            stop: Some(stop),
            thread: Some(thread),
            base: base.recv().expect("the instance starts"),
        }
    }

    /// Stops the instance as a process stops: every task it started ends.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.halt();
    }
}
