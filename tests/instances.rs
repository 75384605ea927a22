//! Several instances, one answer: two release servers on one PostgreSQL behind a real nginx
//! (Debian's package, deploy/nginx/linksmith.conf), the Open Platform faked on loopback.
//!
//! Needs the release build, the tests' PostgreSQL (`scripts/test-pg.sh`, which can stop and
//! start it) and nginx, so it is ignored by a plain `cargo test`; `scripts/dev test` runs it after
//! the release build:
//!
//!     cargo test --features ssr --test instances -- --ignored

#![allow(dead_code)]

#[path = "it/common/eventually.rs"]
mod eventually;
#[path = "it/common/fake_gateway.rs"]
mod fake_gateway;
#[path = "it/common/fake_telegram.rs"]
mod fake_telegram;
#[path = "it/common/pg.rs"]
mod pg_test;

use std::{
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::Value;

const KEY: &str = "771100";
const SECRET: &str = "instances-secret-7a7a";
const DB_PASSWORD: &str = "db-password-never-logged";
const CABLE: &str = "1005006295880104";
const LAMP: &str = "1005005248414510";
/// Not in the gateway's programme; the imported catalogue says hot sale.
const IMPORTED: &str = "1005007777000001";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("linksmith-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pg(cmd: &str) {
    let status = Command::new(root().join("scripts/test-pg.sh"))
        .arg(cmd)
        .status()
        .expect("scripts/test-pg.sh runs");
    assert!(status.success(), "scripts/test-pg.sh {cmd} failed");
}

/// One release server.
struct Instance {
    port: u16,
    child: Child,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl Instance {
    fn start(port: u16, env: &[(String, String)], log: PathBuf) -> Instance {
        let bin = root().join("target/release/linksmith");
        assert!(
            bin.exists() && root().join("target/site/pkg").exists(),
            "build first: cargo leptos build --release --split (scripts/dev test does)"
        );
        let child = Command::new(&bin)
            .current_dir(root())
            .envs(env.iter().cloned())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Instance {
            port,
            child,
            env: env.to_vec(),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM: the server stops taking connections and finishes what is under way.
    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut status = None;
        eventually::eventually_blocking("the instance stops", within, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx with deploy/nginx/linksmith.conf, pointed at the instances' ports.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(dir: &Path, port: u16, upstreams: [u16; 2]) -> Nginx {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("nginx is installed (apt-get install nginx; scripts/dev test does)");
        let site = std::fs::read_to_string(root().join("deploy/nginx/linksmith.conf")).unwrap();
        assert!(site.contains("127.0.0.1:3000") && site.contains("127.0.0.1:3001"));
        let site = site
            .replace("127.0.0.1:3000", &format!("127.0.0.1:{}", upstreams[0]))
            .replace("127.0.0.1:3001", &format!("127.0.0.1:{}", upstreams[1]))
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
        std::fs::write(dir.join("linksmith.conf"), site).unwrap();
        let root_user = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let d = dir.display();
        let main = format!(
            "{user}daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/linksmith.conf;\n}}\n",
            user = if root_user { "user root root;\n" } else { "" }
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let child = Command::new(nginx)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("nginx.stderr")).unwrap())
            .spawn()
            .unwrap();
        Nginx {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_up(url: &str, what: &str, log: Option<&Path>) {
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if Instant::now() > until {
            let log = log
                .map(|p| std::fs::read_to_string(p).unwrap_or_default())
                .unwrap_or_default();
            panic!("{what} did not come up at {url}\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A client whose requests come from `ip` (any 127.0.0.0/8 address is this machine's).
/// Two instances with `env`, each answering, and nginx in front of them, answering.
async fn behind_nginx(dir: &Path, env: &[(String, String)]) -> (Instance, Instance, Nginx) {
    let ports = [free_port(), free_port()];
    let a = Instance::start(ports[0], env, dir.join("a.log"));
    let b = Instance::start(ports[1], env, dir.join("b.log"));
    wait_up(&a.url("/healthz"), "instance a", Some(&a.log)).await;
    wait_up(&b.url("/healthz"), "instance b", Some(&b.log)).await;
    let proxy = Nginx::start(dir, free_port(), ports);
    wait_up(
        &proxy.url("/healthz"),
        "nginx",
        Some(&dir.join("error.log")),
    )
    .await;
    (a, b, proxy)
}

fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn item(id: &str) -> String {
    format!("https://aliexpress.com/item/{id}.html")
}

async fn check(client: &reqwest::Client, base: &str, id: &str) -> (u16, Value) {
    let r = client
        .get(base)
        .query(&[("url", item(id)), ("country", "US".into())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{base}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

// The instances are `a` and `b`, as the proxy's configuration and the logs name them.
#[allow(clippy::many_single_char_names)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the release build, the tests' PostgreSQL and nginx: scripts/dev test runs it"]
async fn two_instances_on_one_postgres_behind_nginx_give_one_answer() {
    let base = pg_test::pg_base().expect(
        "LINKSMITH_TEST_DATABASE_URL: start the tests' PostgreSQL (scripts/test-pg.sh start)",
    );
    let url = pg_test::fresh_database(&base, "instances").await;
    // The tests' server trusts loopback and ignores passwords: one in the address shows it is
    // never printed or logged.
    let url = url.replacen("://linksmith@", &format!("://linksmith:{DB_PASSWORD}@"), 1);
    assert!(url.contains(DB_PASSWORD), "{url}");
    let dir = temp_dir("instances");

    let gateway = fake_gateway::start(KEY, SECRET).await;
    gateway.add_standard_products();

    let env: Vec<(String, String)> = [
        ("LINKSMITH_DATABASE_URL", url.as_str()),
        ("LINKSMITH_DATABASE_TIMEOUT_MS", "500"),
        ("ALIEXPRESS_API_URL", gateway.url().as_str()),
        ("ALIEXPRESS_APP_KEY", KEY),
        ("ALIEXPRESS_APP_SECRET", SECRET),
        ("ALIEXPRESS_TRACKING_ID", "instances"),
        ("LINKSMITH_TRUSTED_PROXIES", "127.0.0.1"),
        ("LINKSMITH_API_RATE", "5"),
        ("LINKSMITH_API_BURST", "40"),
        ("LINKSMITH_SOURCE_ORDER", "catalog,api"),
        ("LINKSMITH_DB", "/nonexistent/not-used.db"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (mut a, b, proxy) = behind_nginx(&dir, &env).await;

    let direct = client_from(Ipv4Addr::LOCALHOST);
    let api = |base: &str| format!("{base}/api/v1/check");

    // 1. A product asked upstream by one instance is answered by the other from the store.
    let before = gateway.calls();
    let (s, first) = check(&direct, &api(&a.url("")), LAMP).await;
    assert_eq!(
        (s, first["status"].as_str()),
        (200, Some("hot_sale")),
        "{first}"
    );
    assert_eq!(gateway.calls(), before + 1);
    let (s, second) = check(&direct, &api(&b.url("")), LAMP).await;
    assert_eq!(
        (s, second["status"].as_str()),
        (200, Some("hot_sale")),
        "{second}"
    );
    assert_eq!(second["status_source"], "api");
    for _ in 0..4 {
        let (s, via) = check(&direct, &api(&proxy.url("")), LAMP).await;
        assert_eq!((s, via["status"].as_str()), (200, Some("hot_sale")));
    }
    assert_eq!(
        gateway.calls(),
        before + 1,
        "one upstream call for a product checked through both instances"
    );

    // 2. An import through one binary is seen by both instances on their next check.
    let (_, not_yet) = check(&direct, &api(&a.url("")), IMPORTED).await;
    assert_ne!(not_yet["status"], "hot_sale", "{not_yet}");
    let feed = dir.join("feed.csv");
    std::fs::write(
        &feed,
        format!("kind,id,status,rate\nproduct,{IMPORTED},hot_sale,9\n"),
    )
    .unwrap();
    let out = Command::new(root().join("target/release/linksmith"))
        .current_dir(root())
        .arg("import")
        .arg(&feed)
        .env("LINKSMITH_DATABASE_URL", &url)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("Imported 1 products and 0 stores"), "{said}");
    assert!(
        !said.contains(&url),
        "the address (and any password) is not printed: {said}"
    );
    // Each instance remembers catalogue look-ups until an import's notification (LISTEN/NOTIFY)
    // makes it forget; it is sent as the import commits and heard within milliseconds.
    let imported = Instant::now();
    for inst in [&a, &b] {
        let r = eventually::eventually_some(
            format!("the import is seen by the instance on port {}", inst.port),
            Duration::from_secs(2).saturating_sub(imported.elapsed()),
            async || {
                let (s, r) = check(&direct, &api(&inst.url("")), IMPORTED).await;
                assert_eq!(s, 200, "{r}");
                (r["status"] == "hot_sale").then_some(r)
            },
        )
        .await;
        assert_eq!(r["status_source"], "catalog");
    }
    eprintln!(
        "the import was seen by both instances {:?} after it ended",
        imported.elapsed()
    );

    // 3. Per-client limits through the proxy: the instances believe nginx's X-Forwarded-For
    // (LINKSMITH_TRUSTED_PROXIES), so one client's limit does not fall on another, and a client
    // cannot name another address to escape its own.
    let greedy = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let mut limited_after = None;
    for n in 1..=200 {
        let (s, _) = check(&greedy, &api(&proxy.url("")), CABLE).await;
        if s == 429 {
            limited_after = Some(n);
            break;
        }
        assert_eq!(s, 200);
    }
    let limited_after = limited_after.expect("a client checking 200 links at once is limited");
    eprintln!("through nginx, one client was limited after {limited_after} links");
    // Each instance keeps its own buckets: two instances let a client through about twice the
    // burst (40 each) before it is limited.
    assert!(
        (41..=100).contains(&limited_after),
        "limited after {limited_after} links"
    );
    let spoofed = greedy
        .get(api(&proxy.url("")))
        .query(&[("url", item(CABLE))])
        .header("X-Forwarded-For", "10.9.8.7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        spoofed.status(),
        429,
        "a client's own X-Forwarded-For is not believed"
    );
    let other = client_from(Ipv4Addr::new(127, 0, 0, 3));
    let (s, _) = check(&other, &api(&proxy.url("")), CABLE).await;
    assert_eq!(s, 200, "another client is not limited by the first");

    // 4. A rolling restart: instance a gets SIGTERM in the middle of a load through the proxy;
    // the proxy's clients see no error.
    let stop = Arc::new(AtomicBool::new(false));
    // Checks answered so far, by every client together: each stage of the restart lasts until
    // the load has made 18 more (three per client), rather than a fixed time.
    let answered = Arc::new(AtomicUsize::new(0));
    let load_for = async |stage: &str| {
        let from = answered.load(Ordering::SeqCst);
        eventually::eventually(
            format!("18 checks through the proxy {stage}"),
            Duration::from_secs(30),
            async || answered.load(Ordering::SeqCst) >= from + 18,
        )
        .await;
    };
    let mut load = Vec::new();
    for c in 0..6u8 {
        let stop = stop.clone();
        let answered = answered.clone();
        let client = client_from(Ipv4Addr::new(127, 0, 1, 10 + c));
        let base = proxy.url("");
        load.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let id = if n.is_multiple_of(2) { CABLE } else { LAMP };
                let r = if n.is_multiple_of(3) {
                    client
                        .post(format!("{base}/api/v1/check"))
                        .json(&serde_json::json!({"url": item(id), "country": "US"}))
                        .send()
                        .await
                } else {
                    client
                        .get(format!("{base}/api/v1/check"))
                        .query(&[("url", item(id))])
                        .send()
                        .await
                };
                seen.push(r.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
                answered.fetch_add(1, Ordering::SeqCst);
                n += 1;
                // A steady load within each client's limit (5 links a second per instance, even
                // while one instance carries it all).
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            seen
        }));
    }
    load_for("before the restart").await;
    a.terminate();
    let exit = a.wait_exit(Duration::from_secs(40));
    assert!(exit.success(), "a stopped cleanly on SIGTERM: {exit:?}");
    load_for("while instance a is stopped").await;
    // ... and comes back (the same binary, the same port).
    let a = Instance::start(a.port, &a.env, dir.join("a2.log"));
    wait_up(&a.url("/healthz"), "instance a, restarted", Some(&a.log)).await;
    load_for("once instance a is back").await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for task in load {
        let seen = task.await.unwrap();
        total += seen.len();
        let bad: Vec<_> = seen
            .iter()
            .filter(|r| r.as_ref().ok() != Some(&200))
            .collect();
        assert!(bad.is_empty(), "errors during the restart: {bad:?}");
    }
    assert!(total >= 50, "the load ran ({total} checks)");
    eprintln!("{total} checks through nginx while instance a stopped and came back: all 200");

    // 5. The database stops, then starts again: checks answer throughout (the sources and the
    // memory answer), /readyz says degraded while it is down.
    pg("stop-server");
    let restarted_pg = scopeguard(|| pg("start-server"));
    let watch = client_from(Ipv4Addr::new(127, 0, 2, 1));
    for id in [LAMP, CABLE, IMPORTED, "1005009999000001"] {
        let started = Instant::now();
        let (s, r) = check(&watch, &api(&proxy.url("")), id).await;
        assert_eq!(s, 200, "{id} with the database down: {r}");
        assert!(r["status"].is_string(), "{r}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{id} answered in {:?}",
            started.elapsed()
        );
        eprintln!(
            "database down: {id} answered {} ({}) in {:?}",
            r["status"],
            r["status_source"],
            started.elapsed()
        );
    }
    for inst in [&a, &b] {
        let r = direct.get(inst.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            (body["status"].as_str(), body["store"].as_str()),
            (Some("degraded"), Some("down")),
            "{body}"
        );
    }
    drop(restarted_pg);
    // Back: the pools reconnect by themselves, the catalogue answers again.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let body: Value = direct
            .get(b.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["store"] == "ok" {
            break;
        }
        assert!(
            Instant::now() < until,
            "the store did not come back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for inst in [&a, &b] {
        let (s, r) = check(&watch, &api(&inst.url("")), IMPORTED).await;
        assert_eq!((s, r["status"].as_str()), (200, Some("hot_sale")), "{r}");
    }
    // Nothing secret in what the instances logged.
    for log in ["a.log", "a2.log", "b.log"] {
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        assert!(!text.contains(SECRET), "{log} holds the app secret");
        assert!(
            !text.contains(DB_PASSWORD),
            "{log} holds the database password"
        );
    }
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}

const WEBHOOK_SECRET: &str = "webhook-secret_9f9f";

/// The bot in webhook mode on two instances behind nginx (docs/telegram-bot.md): both register the
/// webhook with its secret, an update without the secret is 401 through the proxy, updates with
/// it are answered whichever instance nginx hands them to, and a watch kept through one is listed
/// through the other (one store). No token or secret in the logs.
#[tokio::test]
#[ignore = "needs the release build, the tests' PostgreSQL and nginx: scripts/dev test runs it"]
async fn the_bots_webhook_behind_nginx_is_answered_by_either_instance() {
    let base = pg_test::pg_base().expect(
        "LINKSMITH_TEST_DATABASE_URL: start the tests' PostgreSQL (scripts/test-pg.sh start)",
    );
    let url = pg_test::fresh_database(&base, "bot_instances").await;
    let dir = temp_dir("bot-instances");
    let gateway = fake_gateway::start(KEY, SECRET).await;
    gateway.add_standard_products();
    let telegram = fake_telegram::start().await;
    let env: Vec<(String, String)> = [
        ("LINKSMITH_DATABASE_URL", url.as_str()),
        ("ALIEXPRESS_API_URL", gateway.url().as_str()),
        ("ALIEXPRESS_APP_KEY", KEY),
        ("ALIEXPRESS_APP_SECRET", SECRET),
        ("ALIEXPRESS_TRACKING_ID", "instances"),
        ("LINKSMITH_TRUSTED_PROXIES", "127.0.0.1"),
        ("LINKSMITH_DB", "/nonexistent/not-used.db"),
        ("TELEGRAM_BOT_TOKEN", fake_telegram::TOKEN),
        ("TELEGRAM_API_URL", telegram.base.as_str()),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://bot.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET),
        // Requests are traced: each instance's log shows the updates it took.
        ("RUST_LOG", "info,tower_http=debug"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (a, b, proxy) = behind_nginx(&dir, &env).await;
    eventually::eventually_some(
        "both instances register the webhook",
        Duration::from_secs(20),
        async || (telegram.calls("setwebhook").len() >= 2).then_some(()),
    )
    .await;
    let hook = telegram.webhook().unwrap();
    assert_eq!(hook["secret_token"], WEBHOOK_SECRET);

    let http = client_from(Ipv4Addr::LOCALHOST);
    let webhook = proxy.url("/telegram/webhook");
    let message = |text: &str| {
        serde_json::json!({
            "message_id": 1, "date": 1_765_000_000,
            "chat": {"id": 4242, "type": "private", "first_name": "Webmaster"},
            "from": {"id": 4242, "is_bot": false, "first_name": "Webmaster", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.split(' ').next().unwrap().len()}]
        })
    };
    let unsigned = telegram.webhook_update("message", message("/help"));
    let r = http.post(&webhook).json(&unsigned).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Six updates through the proxy (it takes turns between the instances): six answers.
    let texts = [
        format!("/check https://aliexpress.com/item/{LAMP}.html"),
        format!("/watch https://aliexpress.com/item/{CABLE}.html"),
        "/settings".to_string(),
        "/watching".to_string(),
        "/sub autumn".to_string(),
        "/settings".to_string(),
    ];
    for (i, text) in texts.iter().enumerate() {
        let update = telegram.webhook_update("message", message(text));
        let r = http
            .post(&webhook)
            .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        eventually::eventually_some(
            format!("the answer to {text}"),
            Duration::from_secs(20),
            async || (telegram.sent().len() > i).then_some(()),
        )
        .await;
    }
    let sent: Vec<String> = telegram
        .sent()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent.len(), 6, "{sent:?}");
    assert!(sent[0].contains("Status: hot sale"), "{sent:?}");
    assert!(sent[1].starts_with("Watching USB-C cable"), "{sent:?}");
    assert!(sent[2].contains("Watched products: 1 of 100"), "{sent:?}");
    assert!(
        sent[3].starts_with("You watch 1 products:\nUSB-C cable"),
        "{sent:?}"
    );
    assert!(sent[5].contains("Sub-id: autumn"), "{sent:?}");
    assert!(
        telegram.calls("getupdates").is_empty(),
        "no polling in webhook mode"
    );
    drop(proxy);
    drop(a);
    drop(b);
    for log in ["a.log", "b.log"] {
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        assert!(
            text.contains("/telegram/webhook"),
            "{log}: this instance took no update"
        );
        assert!(
            !text.contains(fake_telegram::TOKEN),
            "{log} holds the bot's token"
        );
        assert!(
            !text.contains(WEBHOOK_SECRET),
            "{log} holds the webhook's secret"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs its function when dropped (the database is started again even when an assertion fails).
struct Guard<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for Guard<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

fn scopeguard<F: FnOnce()>(f: F) -> Guard<F> {
    Guard(Some(f))
}
