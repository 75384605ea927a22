//! API keys (issue #33, check-api.md "Clients and fair use"): `linksmith keys add|list|revoke`
//! run as the real binary on both stores, the real server identifying requests by their key
//! (the key's own limits, not the address's), today's usage in `keys list`, a revoked or unknown
//! key refused with 401 `invalid_key` (never counted by the address instead), a store that does
//! not answer refused with 503, and no key in any log line.

use std::{
    io::Read,
    process::{Child, Command, Output, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use leptos::server_fn::ServerFn;
use linksmith::{
    app::CheckLinks,
    server::{
        auth::{hash_key, new_key, Keys, NEW_KEYS_PER_ADDRESS},
        resolver::ResolverConfig,
        store::Catalog,
        store::{
            postgres::{PgStore, PoolSettings},
            KeyLimits, NewKey, SharedStore,
        },
        AppState, RateLimit, ServerConfig,
    },
};
use serde_json::{json, Value};

use crate::common::{self, client, pg};

// --- The real binary: CLI and server ------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `linksmith keys …` on the store `store` names (`LINKSMITH_DB` or `LINKSMITH_DATABASE_URL`).
fn cli(store: &(&str, String), args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(store.0, &store.1)
        .env("RUST_LOG", "trace")
        .arg("keys")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A server binary on `store`: every address may check 5 links at once, then 1 a second.
struct Server {
    child: Child,
    port: u16,
    logs: Vec<std::thread::JoinHandle<String>>,
}

impl Server {
    fn start(store: &(&str, String)) -> Server {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_linksmith"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "trace")
            .env(store.0, &store.1)
            .env("LINKSMITH_API_RATE", "1")
            .env("LINKSMITH_API_BURST", "5")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Drain the logs while the server runs: a full pipe would block it.
        let drain = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = r.read_to_string(&mut s);
                s
            })
        };
        let logs = vec![
            drain(Box::new(child.stderr.take().unwrap())),
            drain(Box::new(child.stdout.take().unwrap())),
        ];
        common::eventually_blocking("the server starts", Duration::from_secs(30), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server exited early: {status}");
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Server { child, port, logs }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then its logs once it has stopped (it writes the keys' usage as it stops).
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let mut exit = None;
        common::eventually_blocking(
            "the server stops on SIGTERM",
            Duration::from_secs(40),
            || {
                exit = self.child.try_wait().unwrap();
                exit.is_some()
            },
        );
        let exit = exit.unwrap();
        let logs: String = self.logs.drain(..).map(|h| h.join().unwrap()).collect();
        assert!(exit.success(), "exit {exit}: {logs}");
        logs
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn links(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "https://aliexpress.com/item/{}.html",
                1005006000000000u64 + i as u64
            )
        })
        .collect()
}

/// `POST /api/v1/check/batch` with `n` links, with a key or none: the status and the body.
async fn batch(server: &Server, key: Option<&str>, n: usize) -> (u16, Value) {
    let mut req = client()
        .post(server.url("/api/v1/check/batch"))
        .json(&json!({ "urls": links(n) }));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The page's server function with `n` links, with a key or none.
async fn page(server: &Server, key: Option<&str>, n: usize) -> (u16, Value) {
    let mut req = client()
        .post(server.url(CheckLinks::PATH))
        .json(&json!({"inputs": links(n), "country": "US", "amount": "", "sub": "", "lang": "en"}));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The `keys list` row of `name`'s key in use: its columns.
fn row(list: &str, name: &str) -> Vec<String> {
    list.lines()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|cols| cols.first().map(String::as_str) == Some(name) && cols[8] == "active")
        .unwrap_or_else(|| panic!("no active row for {name} in:\n{list}"))
}

/// The whole life of keys on one store, through the binary: add (bad arguments: exit 2; a name
/// in use: exit 1), use (the key's limits, not the address's, on the API and the page), list
/// (today's links), revoke (then 401 after a restart), and no key in a log line or an answer.
async fn keys_through_the_binary(store: (&str, String)) {
    let what = store.0;
    // Bad arguments: a sentence and exit 2.
    for args in [
        &["add"][..],
        &["add", "wide", "--burst", "many"],
        &["add", "a b"],
        &["drop", "wide"],
    ] {
        let out = cli(&store, args);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{what} {args:?}: {err}");
        assert!(
            err.contains("linksmith keys: ") && err.contains("usage:"),
            "{err}"
        );
    }
    // Two keys: one wider than an address (100 at once), one narrower (2 at once, 1 a second).
    let add = |args: &[&str]| {
        let out = cli(&store, args);
        let (key, err) = text(&out);
        assert!(out.status.success(), "{what} {args:?}: {err}");
        assert!(err.contains("shown only this once"), "{err}");
        let key = key.trim().to_string();
        assert!(key.starts_with("lsk_") && key.len() == 68, "{key}");
        key
    };
    let wide = add(&["add", "wide", "--links-per-second", "50", "--burst", "100"]);
    let narrow = add(&["add", "narrow", "--burst=2", "--links-per-second=1"]);
    assert_ne!(wide, narrow);
    // A name in use: a sentence, exit 1.
    let out = cli(&store, &["add", "wide"]);
    let (dup_out, dup_err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{what}: {dup_err}");
    assert!(dup_err.contains("\"wide\" is in use already"), "{dup_err}");
    assert!(dup_out.is_empty(), "no key is printed: {dup_out}");

    let server = Server::start(&store);
    let unknown = new_key().unwrap();
    // The address may check 5 at once: 20 is refused; the wide key checks 20.
    let (status, body) = batch(&server, None, 20).await;
    assert_eq!(status, 429, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from one address"),
        "{body}"
    );
    let (status, body) = batch(&server, Some(&wide), 20).await;
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(body["summary"]["total"], 20);
    // The narrow key may check 2 at once, whatever the address may.
    let (status, body) = batch(&server, Some(&narrow), 3).await;
    assert_eq!(status, 429, "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("with this API key"), "{message}");
    let (status, _) = batch(&server, Some(&narrow), 2).await;
    assert_eq!(status, 200, "{what}");
    let (status, body) = batch(&server, Some(&narrow), 2).await;
    assert_eq!(status, 429, "{what}: the key's bucket is empty: {body}");
    // The address's own bucket was never touched by the keys: 3 pass.
    let (status, _) = batch(&server, None, 3).await;
    assert_eq!(status, 200, "{what}");
    // One link by GET and a campaign check count for the key too.
    let res = client()
        .get(server.url("/api/v1/check"))
        .query(&[("url", "https://aliexpress.com/item/1005006295880104.html")])
        .bearer_auth(&wide)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{what}");
    let res = client()
        .post(server.url("/api/v1/campaign/check"))
        .bearer_auth(&wide)
        .json(&json!({"domain": "example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{what}");
    // The page's server function: the key's limits too (20 more at once), and a bad key refused.
    let (status, body) = page(&server, Some(&wide), 20).await;
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(body["outcomes"].as_array().unwrap().len(), 20);
    let (status, body) = page(&server, Some(&unknown), 1).await;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(body["Refused"]["code"], "invalid_key", "{body}");
    // Unknown and malformed keys: 401 invalid_key with WWW-Authenticate, never the address.
    for auth in [
        format!("Bearer {unknown}"),
        "Bearer not-a-key".to_string(),
        "Basic d2lkZTp3aWRl".to_string(),
    ] {
        let res = client()
            .get(server.url("/api/v1/check"))
            .query(&[("url", "https://aliexpress.com/item/1005006295880104.html")])
            .header("authorization", &auth)
            .header("accept-language", "ru")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{what} {auth}");
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{auth}"
        );
        let body = res.text().await.unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "invalid_key", "{body}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("Ключ API"),
            "Russian when asked: {body}"
        );
        assert!(
            !body.contains(&unknown) && !body.contains("not-a-key"),
            "{body}"
        );
    }
    let logs = server.stop();

    // Today's usage, written by the server (every few seconds, and as it stopped).
    let out = cli(&store, &["list"]);
    let (list, err) = text(&out);
    assert!(out.status.success(), "{what}: {err}");
    let w = row(&list, "wide");
    assert_eq!(
        (w[1].as_str(), w[2].as_str(), w[3].as_str()),
        ("50", "100", "server"),
        "{list}"
    );
    assert_eq!(
        w[6], "42",
        "wide: 20 + 1 + 1 campaign + 20 on the page:\n{list}"
    );
    assert!(w[5].ends_with('Z'), "last used is a time:\n{list}");
    let n = row(&list, "narrow");
    assert_eq!(
        n[6], "2",
        "narrow: the refused requests do not count:\n{list}"
    );

    // Revoked: the next server refuses it; the other key still works.
    let out = cli(&store, &["revoke", "narrow"]);
    let (revoked, err) = text(&out);
    assert!(out.status.success(), "{what}: {err}");
    assert!(revoked.contains("Revoked the key \"narrow\""), "{revoked}");
    let out = cli(&store, &["revoke", "narrow"]);
    assert_eq!(out.status.code(), Some(1), "{what}: revoked already");
    let server = Server::start(&store);
    let (status, body) = batch(&server, Some(&narrow), 1).await;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(body["error"]["code"], "invalid_key");
    let (status, _) = batch(&server, Some(&wide), 1).await;
    assert_eq!(status, 200, "{what}");
    let logs = logs + &server.stop();
    let out = cli(&store, &["list"]);
    let (list_after, _) = text(&out);
    assert!(list_after.contains("revoked 20"), "{list_after}");

    // No key in any log line (at trace), nor in what list and revoke print.
    assert!(logs.contains("linksmith listening"), "{logs}");
    for key in [&wide, &narrow, &unknown] {
        assert!(
            !logs.contains(key.as_str()),
            "{what}: a log line shows a key"
        );
        let secret_part = &key[4..];
        assert!(
            !logs.contains(secret_part),
            "{what}: a log line shows a key"
        );
        for printed in [&list, &list_after, &revoked, &dup_out, &dup_err] {
            assert!(!printed.contains(secret_part), "{printed}");
        }
    }
    assert!(
        !logs.contains("not-a-key"),
        "{what}: a log line shows what was sent"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn keys_added_used_listed_and_revoked_through_the_binary_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "linksmith-keys-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let path = dir.join("store.db");
    keys_through_the_binary(("LINKSMITH_DB", path.display().to_string())).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[tokio::test]
async fn keys_added_used_listed_and_revoked_through_the_binary_on_postgres() {
    let Some(base) = pg::pg_base() else { return };
    let url = pg::fresh_database(&base, "keys_bin").await;
    keys_through_the_binary(("LINKSMITH_DATABASE_URL", url)).await;
}

// --- In process: memory, revocation, the store's time, random keys ------------------------------

/// The stores under test: SQLite, and PostgreSQL when the test server is there.
async fn backends(name: &str, pool: PoolSettings) -> Vec<SharedStore> {
    let mut out: Vec<SharedStore> = vec![Arc::new(Catalog::in_memory().unwrap())];
    if let Some(base) = pg::pg_base() {
        let url = pg::fresh_database(&base, name).await;
        out.push(Arc::new(PgStore::open(&url, pool).await.unwrap()));
    }
    out
}

fn config(per_second: u32, burst: u32) -> ServerConfig {
    let mut config = common::api_config(None);
    config.rate_limit = Some(RateLimit { per_second, burst });
    config
}

/// A state on `store` whose keys are remembered for `memory`.
fn state(store: SharedStore, memory: Duration) -> AppState {
    let mut state = AppState::with_sources(
        config(1, 5),
        None,
        store.clone(),
        None,
        ResolverConfig::default(),
    );
    state.keys = Arc::new(Keys::remembering_for(store, memory));
    Keys::start_flushing(&state.keys);
    state
}

async fn add(store: &SharedStore, name: &str, limits: KeyLimits) -> (i64, String) {
    let key = new_key().unwrap();
    let id = store
        .add_key(&NewKey {
            name: name.into(),
            hash: hash_key(&key),
            limits,
            created_at: 1_700_000_000,
        })
        .await
        .unwrap();
    (id, key)
}

async fn get_with(base: &str, key: &str) -> reqwest::Response {
    client()
        .get(format!("{base}/api/v1/check"))
        .query(&[("url", "https://aliexpress.com/item/1005006295880104.html")])
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap()
}

fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 86_400
}

/// A revoked key is refused once the instance's memory of it has passed (or at once where the
/// process forgets), and the usage counted in memory reaches the store in the background.
#[tokio::test]
async fn a_revoked_key_is_refused_once_remembered_no_longer_and_usage_is_written_in_the_background()
{
    for store in backends("keys_revoke", PoolSettings::default()).await {
        let what = store.describe();
        let state = state(store.clone(), Duration::from_millis(300));
        let keys = state.keys.clone();
        let server = common::start_state(state).await;
        let (id, key) = add(&store, "partner", KeyLimits::default()).await;
        assert_eq!(get_with(&server.base, &key).await.status(), 200, "{what}");
        assert_eq!(get_with(&server.base, &key).await.status(), 200, "{what}");
        // Written within a few seconds, with no shutdown.
        let k = common::eventually_some(
            format!("{what}: the usage is written"),
            Duration::from_secs(15),
            async || {
                let list = store.list_keys(today()).await.unwrap();
                list.into_iter().find(|k| k.id == id && k.links == 2)
            },
        )
        .await;
        assert!(k.last_used_at.is_some(), "{what}");
        // Revoked in the store (as `linksmith keys revoke` does): refused within the memory time.
        assert!(store.revoke_key("partner", 1_700_000_100).await.unwrap());
        let refused = common::eventually_some(
            format!("{what}: a revoked key is refused"),
            Duration::from_secs(5),
            async || {
                let res = get_with(&server.base, &key).await;
                if res.status() == 401 {
                    return Some(res);
                }
                assert_eq!(res.status(), 200, "{what}");
                None
            },
        )
        .await;
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_key", "{what}");
        // Forgetting (a revocation in this process) takes effect at once.
        let (_, other) = add(&store, "other", KeyLimits::default()).await;
        assert_eq!(get_with(&server.base, &other).await.status(), 200, "{what}");
        assert!(store.revoke_key("other", 1_700_000_200).await.unwrap());
        keys.forget();
        assert_eq!(get_with(&server.base, &other).await.status(), 401, "{what}");
        server.stop().await;
    }
}

/// PostgreSQL only: a store that does not say in time whether a key is valid answers 503
/// `unavailable` (never the address's answer instead); requests without a key go on.
#[tokio::test]
async fn a_store_that_does_not_answer_in_time_is_503_never_the_address() {
    let Some(base) = pg::pg_base() else { return };
    let url = pg::fresh_database(&base, "keys_slow").await;
    let store: SharedStore = Arc::new(
        PgStore::open(
            &url,
            PoolSettings {
                max_connections: 4,
                timeout: Duration::from_secs(10),
            },
        )
        .await
        .unwrap(),
    );
    let (_, key) = add(&store, "partner", KeyLimits::default()).await;
    let server = common::start_state(state(store, Duration::from_secs(30))).await;
    let locker = pg::session(&url).await;
    locker
        .batch_execute("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let res = get_with(&server.base, &key).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let res = client()
        .get(server.url("/api/v1/check"))
        .query(&[("url", "https://aliexpress.com/item/1005006295880104.html")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no key: the address, as always");
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(get_with(&server.base, &key).await.status(), 200);
    server.stop().await;
}

/// Random bearer strings: each is 401, an address makes the store look up at most
/// NEW_KEYS_PER_ADDRESS keys it has not used lately (then 429), and one it sent before is
/// answered from memory (401 again, not counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bearer_strings_cannot_hammer_the_store() {
    let store: SharedStore = Arc::new(Catalog::in_memory().unwrap());
    let server = common::start_state(state(store, Duration::from_secs(30))).await;
    let burst = NEW_KEYS_PER_ADDRESS.burst as usize;
    let tried: Vec<String> = (0..burst).map(|_| new_key().unwrap()).collect();
    for key in &tried {
        assert_eq!(get_with(&server.base, key).await.status(), 401);
    }
    let mut refused = None;
    for _ in 0..5 {
        let res = get_with(&server.base, &new_key().unwrap()).await;
        if res.status() == 429 {
            refused = Some(res);
            break;
        }
        assert_eq!(res.status(), 401);
    }
    let res = refused.expect("an address cannot make the store look up keys without end");
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // Remembered: the same unknown key again is 401 at once, not 429.
    assert_eq!(get_with(&server.base, &tried[0]).await.status(), 401);
    // Not written as a key: 401 without asking the store at all.
    assert_eq!(get_with(&server.base, "lsk_short").await.status(), 401);
    server.stop().await;
}

/// No log line carries a key, at the most detailed level, whatever happens to it.
#[test]
fn no_log_line_carries_a_key() {
    let secret_prefix = "lsk_";
    let ((good, revoked, unknown), logs) = common::with_logs(tracing::Level::TRACE, async {
        let store: SharedStore = Arc::new(Catalog::in_memory().unwrap());
        let state = state(store.clone(), Duration::from_millis(1));
        let keys = state.keys.clone();
        let server = common::start_state(state).await;
        let (_, good) = add(
            &store,
            "good",
            KeyLimits {
                links_per_second: Some(1),
                burst: Some(1),
                lookups_per_hour: None,
            },
        )
        .await;
        let (_, revoked) = add(&store, "revoked", KeyLimits::default()).await;
        let unknown = new_key().unwrap();
        assert_eq!(get_with(&server.base, &good).await.status(), 200);
        // Over the key's limit.
        assert_eq!(get_with(&server.base, &good).await.status(), 429);
        assert_eq!(get_with(&server.base, &revoked).await.status(), 200);
        store.revoke_key("revoked", 1).await.unwrap();
        keys.forget();
        assert_eq!(get_with(&server.base, &revoked).await.status(), 401);
        assert_eq!(get_with(&server.base, &unknown).await.status(), 401);
        keys.flush().await;
        server.stop().await;
        (good, revoked, unknown)
    });
    let text = logs.text();
    assert!(text.contains("GET"), "the requests were logged: {text}");
    for key in [&good, &revoked, &unknown] {
        assert!(key.starts_with(secret_prefix));
        assert!(!text.contains(&key[4..]), "a log line shows a key:\n{text}");
    }
}

/// A key's own share of fresh look-ups applies (not the server's), the links past it carry
/// `lookups_spent`, and the look-ups it spent are counted in `keys list`, on both stores.
#[tokio::test]
async fn a_keys_fresh_look_ups_follow_its_own_share_and_are_counted() {
    for store in backends("keys_lookups", PoolSettings::default()).await {
        let what = store.describe();
        let gateway =
            common::fake_gateway::start(common::GATEWAY_KEY, common::GATEWAY_SECRET).await;
        gateway.answer_any_id_with(common::fake_gateway::FakeProduct {
            commission: "7.0%",
            hot: None,
            title: "Cable",
            category: "Phones & Telecommunications",
        });
        let api = common::gateway_client(gateway.url(), Duration::from_millis(1500));
        let mut state = AppState::with_sources(
            common::api_config(None),
            Some(api),
            store.clone(),
            None,
            ResolverConfig::default(),
        );
        state.keys = Arc::new(Keys::remembering_for(
            store.clone(),
            Duration::from_secs(30),
        ));
        Keys::start_flushing(&state.keys);
        let server = common::start_state(state).await;
        let (id, key) = add(
            &store,
            "sparing",
            KeyLimits {
                lookups_per_hour: Some(2),
                ..KeyLimits::default()
            },
        )
        .await;
        let urls: Vec<String> = (0..3)
            .map(|i| {
                format!(
                    "https://aliexpress.com/item/{}.html",
                    1_005_008_400_000_000u64 + i
                )
            })
            .collect();
        let answer: Value = client()
            .post(server.url("/api/v1/check/batch"))
            .header("authorization", format!("Bearer {key}"))
            .json(&json!({ "urls": urls }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let spent: Vec<bool> = answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| w["code"] == "lookups_spent")
            })
            .collect();
        assert_eq!(spent, [false, false, true], "{what}: {answer}");
        let message = answer["results"][2]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "lookups_spent")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("renews in 30 min"), "{what}: {message}");
        assert_eq!(answer["results"][0]["status_source"], "api", "{what}");
        // Counted: three links, two fresh look-ups.
        common::eventually(
            format!("{what}: the usage (three links, two look-ups) is written"),
            Duration::from_secs(15),
            async || {
                let list = store.list_keys(today()).await.unwrap();
                let k = list.iter().find(|k| k.id == id).unwrap();
                k.links == 3 && k.lookups == 2
            },
        )
        .await;
        server.stop().await;
    }
}
