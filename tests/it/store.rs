//! The store's suite, one suite for both backends: every test runs against the embedded SQLite
//! store and against PostgreSQL (a real server: `scripts/dev test` starts one in a temporary
//! folder and names it in `LINKSMITH_TEST_DATABASE_URL`; each test gets a database of its own).

use std::{fmt::Write as _, sync::Arc, time::Duration};

use linksmith::{
    domain::{
        rates::Status,
        sources::{ApiProduct, NetworkFacts},
    },
    server::store::{
        postgres::{PgStore, PoolSettings},
        Catalog, ImportError, Kind, Remembered, SharedStore, Store, StoreError, Tokens,
    },
};

use crate::common::pg;
pub use crate::common::pg::{fresh_database, pg_base};

const POOL: PoolSettings = PoolSettings {
    max_connections: 8,
    timeout: Duration::from_secs(5),
};

/// The stores under test: SQLite, and PostgreSQL when the test server is there.
pub async fn backends(name: &str) -> Vec<SharedStore> {
    let mut out: Vec<SharedStore> = vec![Arc::new(Catalog::in_memory().unwrap())];
    if let Some(base) = pg_base() {
        let url = fresh_database(&base, name).await;
        out.push(Arc::new(
            PgStore::open(&url, POOL).await.expect("the store opens"),
        ));
    }
    out
}

/// Two instances' views of one store: the same SQLite store, and (when the test server is there)
/// two PostgreSQL pools on one database, as two processes would hold.
pub async fn two_instances(name: &str) -> Vec<(SharedStore, SharedStore)> {
    let sqlite: SharedStore = Arc::new(Catalog::in_memory().unwrap());
    let mut out = vec![(sqlite.clone(), sqlite)];
    if let Some(base) = pg_base() {
        let url = fresh_database(&base, name).await;
        let a: SharedStore = Arc::new(PgStore::open(&url, POOL).await.unwrap());
        let b: SharedStore = Arc::new(PgStore::open(&url, POOL).await.unwrap());
        out.push((a, b));
    }
    out
}

const FEED: &str = "kind,id,status,rate,category,tmall,ships_from,store_country
product,1005006295880104,affiliate,7.0%,Phones & Telecommunications,,,
product,1005005248414510,hot_sale,12.5,Lights & Lighting,true,RU,CN

store,1101343461,no_commission,,,,,
product,123,affiliate,,,,,
product,32701818048,weird,,,,,
product,32701818048,non_affiliate,,Computer & Office,false,,RU
product,1005006295880104,affiliate,8,Phones & Telecommunications,,,
";

#[tokio::test]
async fn a_feed_is_imported_with_the_same_report_and_read_back_on_both() {
    let mut reports = Vec::new();
    for store in backends("import").await {
        let what = store.describe();
        assert!(!store.has_entries().await.unwrap(), "{what}");
        let report = store
            .import(Box::new(FEED.as_bytes()), 1_700_000_000)
            .await
            .unwrap();
        assert_eq!(store.counts().await.unwrap(), (3, 1), "{what}");
        assert!(store.has_entries().await.unwrap(), "{what}");
        let ids = [
            "1005006295880104",
            "1005005248414510",
            "32701818048",
            "1005000000000000",
        ]
        .map(String::from);
        let found = store.lookup_many(Kind::Product, &ids).await.unwrap();
        assert_eq!(found.len(), 3, "{what}: an unknown id is left out");
        // The later row for the same product wins.
        let phone = &found["1005006295880104"];
        assert_eq!(
            (phone.facts.status, phone.facts.rate),
            (Status::Affiliate, Some(8.0)),
            "{what}"
        );
        let lamp = &found["1005005248414510"];
        assert_eq!(
            (
                lamp.facts.status,
                lamp.facts.tmall,
                lamp.facts.ships_from.as_ref().map(|c| c.code().to_string()),
                lamp.facts
                    .store_country
                    .as_ref()
                    .map(|c| c.code().to_string()),
                lamp.at.0
            ),
            (
                Status::HotSale,
                Some(true),
                Some("RU".into()),
                Some("CN".into()),
                1_700_000_000
            ),
            "{what}"
        );
        let stores = store
            .lookup_many(Kind::Store, &["1101343461".to_string()])
            .await
            .unwrap();
        assert_eq!(
            stores["1101343461"].facts.status,
            Status::ZeroCommission,
            "{what}"
        );
        // A product id is not a store id.
        assert!(store
            .lookup_many(Kind::Store, &["1005006295880104".to_string()])
            .await
            .unwrap()
            .is_empty());
        reports.push(report);
    }
    let first = &reports[0];
    assert_eq!((first.products, first.stores), (4, 1));
    assert_eq!(
        first.skipped.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![6, 7],
        "{:?}",
        first.skipped
    );
    for other in &reports[1..] {
        assert_eq!(other, first, "both stores give the same report");
    }
}

/// A file whose reading fails (a disk error).
struct DiskFails;

impl std::io::Read for DiskFails {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("the disk failed"))
    }
}

#[tokio::test]
async fn an_import_is_one_transaction_a_feed_that_breaks_leaves_nothing() {
    for store in backends("import_tx").await {
        let what = store.describe();
        store
            .import(Box::new(FEED.as_bytes()), 1_700_000_000)
            .await
            .unwrap();
        // Good rows (more than one batch), then the file fails (a disk error): unreadable.
        let mut feed = String::from("kind,id,status\n");
        for i in 0..2500u64 {
            writeln!(feed, "product,{},hot_sale", 1_005_009_000_000_000 + i).unwrap();
        }
        let broken = std::io::Read::chain(std::io::Cursor::new(feed.into_bytes()), DiskFails);
        let err = store
            .import(Box::new(broken), 1_800_000_000)
            .await
            .unwrap_err();
        assert!(matches!(err, ImportError::Unreadable(_)), "{what}: {err}");
        assert_eq!(
            store.counts().await.unwrap(),
            (3, 1),
            "{what}: nothing of the broken feed is kept"
        );
        // A bad header changes nothing either.
        let err = store
            .import(Box::new("sku,status\n1,hot\n".as_bytes()), 1_800_000_000)
            .await
            .unwrap_err();
        assert!(matches!(err, ImportError::Header(_)), "{what}: {err}");
        assert_eq!(store.counts().await.unwrap(), (3, 1), "{what}");
    }
}

#[tokio::test]
async fn a_large_feed_goes_in_batches_and_is_all_there() {
    for store in backends("import_large").await {
        let mut feed = String::from("kind,id,status,rate\n");
        for i in 0..5000u64 {
            writeln!(
                feed,
                "product,{},affiliate,{}",
                1_005_008_000_000_000 + i,
                i % 50
            )
            .unwrap();
        }
        let report = store
            .import(Box::new(std::io::Cursor::new(feed.into_bytes())), 1)
            .await
            .unwrap();
        assert_eq!(report.products, 5000);
        assert_eq!(
            store.counts().await.unwrap(),
            (5000, 0),
            "{}",
            store.describe()
        );
        let ids: Vec<String> = (0..5000u64)
            .step_by(7)
            .map(|i| (1_005_008_000_000_000 + i).to_string())
            .collect();
        let found = store.lookup_many(Kind::Product, &ids).await.unwrap();
        assert_eq!(found.len(), ids.len());
        assert_eq!(found[&ids[3]].facts.rate, Some(21.0));
    }
}

fn product(id: &str, rate: f64) -> ApiProduct {
    ApiProduct {
        product_id: id.into(),
        commission_rate: Some(rate),
        hot_commission_rate: Some(rate + 1.0),
        title: Some(format!("Product {id} «тест»")),
        image_url: Some("https://ae01.alicdn.com/kf/x.jpg".into()),
        category: Some("Computer & Office".into()),
        shop_id: Some("1101343461".into()),
        tmall: Some(false),
    }
}

#[tokio::test]
async fn api_answers_are_remembered_by_country_and_time_and_forgotten_when_stale() {
    for store in backends("api").await {
        let what = store.describe();
        let a = "1005006295880104".to_string();
        let b = "1005005248414510".to_string();
        store
            .store_api_answers(
                "US",
                &[(a.clone(), Some(product(&a, 5.0))), (b.clone(), None)],
                1000,
            )
            .await
            .unwrap();
        // The same id twice in one call: the last answer is kept.
        store
            .store_api_answers(
                "RU",
                &[
                    (a.clone(), Some(product(&a, 1.0))),
                    (a.clone(), Some(product(&a, 2.0))),
                ],
                2000,
            )
            .await
            .unwrap();
        let us = store
            .api_answers("US", &[b.clone(), a.clone(), "1".into()], 0)
            .await
            .unwrap();
        assert_eq!(us.len(), 2, "{what}");
        assert_eq!(
            (us[0].id.as_str(), us[0].facts.is_none(), us[0].at),
            (b.as_str(), true, 1000),
            "{what}: asked order"
        );
        assert_eq!(us[1].facts.as_ref(), Some(&product(&a, 5.0)), "{what}");
        let ru = store
            .api_answers("RU", std::slice::from_ref(&a), 0)
            .await
            .unwrap();
        assert_eq!(
            ru[0].facts.as_ref().and_then(|p| p.commission_rate),
            Some(2.0),
            "{what}"
        );
        // Only answers learnt after `not_before`.
        assert!(
            store
                .api_answers("US", std::slice::from_ref(&a), 1000)
                .await
                .unwrap()
                .is_empty(),
            "{what}"
        );
        // An update replaces.
        store
            .store_api_answers("US", &[(a.clone(), None)], 3000)
            .await
            .unwrap();
        let again = store
            .api_answers("US", std::slice::from_ref(&a), 0)
            .await
            .unwrap();
        assert_eq!(
            (again[0].facts.is_none(), again[0].at),
            (true, 3000),
            "{what}"
        );
        // Forgetting: the US answer for b (1000) and the RU one (2000) go; a's US one (3000) stays.
        assert_eq!(
            store.forget_answers_before(2500).await.unwrap(),
            2,
            "{what}"
        );
        assert_eq!(
            store
                .api_answers("US", &[a.clone(), b.clone()], 0)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn network_answers_and_tokens_are_kept() {
    for store in backends("networks").await {
        let what = store.describe();
        let facts = NetworkFacts {
            status: Status::HotSale,
            exact_percent: Some(9.5),
            hot_percent: Some(12.0),
            title: Some("Lamp".into()),
            image_url: None,
        };
        let a = "1005006295880104".to_string();
        let b = "1005005248414510".to_string();
        store
            .store_network_answers(
                "epn",
                &[(a.clone(), Some(facts.clone())), (b.clone(), None)],
                500,
            )
            .await
            .unwrap();
        store
            .store_network_answers("admitad", &[(a.clone(), None)], 600)
            .await
            .unwrap();
        let epn = store
            .network_answers("epn", &[a.clone(), b.clone()], 0)
            .await
            .unwrap();
        assert_eq!(
            epn,
            vec![
                Remembered {
                    id: a.clone(),
                    facts: Some(facts.clone()),
                    at: 500
                },
                Remembered {
                    id: b.clone(),
                    facts: None,
                    at: 500
                }
            ],
            "{what}"
        );
        let admitad = store
            .network_answers("admitad", std::slice::from_ref(&a), 0)
            .await
            .unwrap();
        assert_eq!(
            admitad,
            vec![Remembered {
                id: a.clone(),
                facts: None,
                at: 600
            }],
            "{what}"
        );
        assert!(store
            .network_answers("epn", std::slice::from_ref(&a), 500)
            .await
            .unwrap()
            .is_empty());

        assert_eq!(store.load_tokens("epn").await.unwrap(), None, "{what}");
        store
            .save_tokens("epn", "acc-1", "ref-1", Some(99), 50)
            .await
            .unwrap();
        store
            .save_tokens("epn", "acc-2", "ref-2", None, 60)
            .await
            .unwrap();
        assert_eq!(
            store.load_tokens("epn").await.unwrap(),
            Some(Tokens {
                access: "acc-2".into(),
                refresh: "ref-2".into(),
                expires_at: None
            }),
            "{what}"
        );
        assert_eq!(store.load_tokens("admitad").await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_lock_is_held_by_one_holder_at_a_time_and_freed_when_dropped() {
    for store in backends("lock").await {
        let what = store.describe();
        let held = store
            .lock("epn_tokens", Duration::from_secs(1))
            .await
            .unwrap();
        let err = store
            .lock("epn_tokens", Duration::from_millis(200))
            .await
            .err()
            .unwrap_or_else(|| panic!("{what}: the lock was taken twice"));
        assert!(matches!(err, StoreError::Timeout(_)), "{what}: {err}");
        // Another name is another lock.
        store
            .lock("other", Duration::from_millis(200))
            .await
            .unwrap()
            .release()
            .await;
        held.release().await;
        let again = store
            .lock("epn_tokens", Duration::from_millis(200))
            .await
            .unwrap();
        // Dropped without release (a cancelled task): freed all the same.
        drop(again);
        store
            .lock("epn_tokens", Duration::from_secs(2))
            .await
            .unwrap()
            .release()
            .await;
        // A waiter gets the lock as soon as the holder lets go, and not before.
        let first = store.lock("w", Duration::from_secs(1)).await.unwrap();
        let (asking, released) = (
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        );
        let s2 = store.clone();
        let waiter = tokio::spawn({
            let (asking, released) = (asking.clone(), released.clone());
            async move {
                asking.store(true, std::sync::atomic::Ordering::SeqCst);
                let got = s2.lock("w", Duration::from_secs(5)).await;
                (got, released.load(std::sync::atomic::Ordering::SeqCst))
            }
        });
        crate::common::eventually(
            format!("{what}: the waiter asks"),
            Duration::from_secs(5),
            async || asking.load(std::sync::atomic::Ordering::SeqCst),
        )
        .await;
        released.store(true, std::sync::atomic::Ordering::SeqCst);
        first.release().await;
        let (got, after_release) = waiter.await.unwrap();
        assert!(
            after_release,
            "{what}: the waiter got the lock while it was held"
        );
        got.unwrap().release().await;
        store.ping().await.unwrap();
    }
}

/// PostgreSQL only: what several instances on one database need.
#[tokio::test]
async fn instances_on_one_database_migrate_once_share_answers_and_locks() {
    let Some(base) = pg_base() else { return };
    let url = fresh_database(&base, "instances").await;
    // Four instances start at once: the advisory lock makes them take turns at the migrations.
    let opened = futures::future::join_all((0..4).map(|_| PgStore::open(&url, POOL))).await;
    let stores: Vec<SharedStore> = opened
        .into_iter()
        .map(|s| Arc::new(s.expect("every instance starts")) as SharedStore)
        .collect();
    for s in &stores {
        assert_eq!(s.schema_version().await.unwrap(), 3);
        assert_eq!(s.backend(), "postgres");
        assert!(!s.describe().contains("secret"), "{}", s.describe());
    }
    // What one learns, another reads.
    let id = "1005006295880104".to_string();
    stores[0]
        .store_api_answers("US", &[(id.clone(), Some(product(&id, 4.0)))], 10)
        .await
        .unwrap();
    let seen = stores[1]
        .api_answers("US", std::slice::from_ref(&id), 0)
        .await
        .unwrap();
    assert_eq!(
        seen[0].facts.as_ref().and_then(|p| p.commission_rate),
        Some(4.0)
    );
    stores[2]
        .import(Box::new(FEED.as_bytes()), 1)
        .await
        .unwrap();
    assert_eq!(stores[3].counts().await.unwrap(), (3, 1));
    // A lock held by one instance is held for all.
    let held = stores[0]
        .lock("epn_tokens", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(matches!(
        stores[1]
            .lock("epn_tokens", Duration::from_millis(300))
            .await,
        Err(StoreError::Timeout(_))
    ));
    held.release().await;
    stores[1]
        .lock("epn_tokens", Duration::from_secs(1))
        .await
        .unwrap()
        .release()
        .await;
}

/// PostgreSQL only: a database written by a newer Linksmith is refused, with a sentence.
#[tokio::test]
async fn a_newer_schema_is_refused() {
    let Some(base) = pg_base() else { return };
    let url = fresh_database(&base, "newer").await;
    drop(PgStore::open(&url, POOL).await.unwrap());
    let client = pg::session(&url).await;
    client
        .batch_execute("UPDATE linksmith_schema SET version = 99")
        .await
        .unwrap();
    let err = PgStore::open(&url, POOL).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                known: 3
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("newer Linksmith"), "{err}");
}

#[tokio::test]
async fn bad_database_addresses_are_refused_with_a_sentence_that_hides_the_password() {
    use linksmith::server::store::postgres::parse_url;
    for (url, says) in [
        ("mysql://u:hunter2@h/db", "not a PostgreSQL address"),
        (
            "postgres://u:hunter2@db.example/x?sslmode=prefer",
            "sslmode=prefer, which falls back to plain text",
        ),
        ("postgres://u:hunter2@db.example/x", "names no sslmode"),
    ] {
        let err = parse_url(url).unwrap_err().to_string();
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains("hunter2"), "{url}: {err}");
    }
    // A server that is not there: a clear sentence naming where, never the password, and in time.
    let started = std::time::Instant::now();
    let err = PgStore::open(
        "postgres://linksmith:hunter2@127.0.0.1:9/none?connect_timeout=1",
        PoolSettings::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("could not reach PostgreSQL at 127.0.0.1:9/none"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// PostgreSQL only: a database that is slow (its tables locked by another session, as a long
/// migration or a stuck transaction would) costs a check its budget at most, never an error, and
/// `/readyz` stays 200.
#[tokio::test]
async fn a_slow_database_never_fails_a_check() {
    use linksmith::server::{resolver::ResolverConfig, AppState};
    let Some(base) = pg_base() else { return };
    let url = fresh_database(&base, "slow").await;
    let store: SharedStore = Arc::new(
        PgStore::open(
            &url,
            PoolSettings {
                max_connections: 4,
                timeout: Duration::from_millis(500),
            },
        )
        .await
        .unwrap(),
    );
    store.import(Box::new(FEED.as_bytes()), 1).await.unwrap();
    let gateway = crate::common::fake_gateway::start(
        crate::common::GATEWAY_KEY,
        crate::common::GATEWAY_SECRET,
    )
    .await;
    gateway.add_standard_products();
    let api = crate::common::gateway_client(gateway.url(), Duration::from_millis(1500));
    let state = AppState::with_sources(
        crate::common::api_config(None),
        Some(api),
        store,
        None,
        ResolverConfig {
            budget: Duration::from_secs(2),
            ..ResolverConfig::default()
        },
    );
    let server = crate::common::start_state(state).await;

    // Another session takes every table and holds them.
    let locker = pg::session(&url).await;
    locker
        .batch_execute(
            "BEGIN; LOCK TABLE catalog, api_cache, network_answers, tokens IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .unwrap();

    let client = crate::common::client();
    for id in ["1005005248414510", "1005006295880104", "1005000000000001"] {
        let started = std::time::Instant::now();
        let r = client
            .get(server.url("/api/v1/check"))
            .query(&[("url", format!("https://aliexpress.com/item/{id}.html"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["status"].is_string(), "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{id} took {:?} with the database stuck",
            started.elapsed()
        );
    }
    let ready: serde_json::Value = client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready["store"], "ok",
        "a locked table does not stop SELECT 1: {ready}"
    );
    locker.batch_execute("ROLLBACK").await.unwrap();
    // While the tables were held, what the API said could not be kept (the write gave up at the
    // statement's time-out, logged); free again, a new answer is kept as usual.
    let body: serde_json::Value = client
        .get(server.url("/api/v1/check"))
        .query(&[("url", "https://aliexpress.com/item/1005005248414511.html")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["status"].is_string(), "{body}");
    // The background write may land just after the check's answer.
    let store = PgStore::open(&url, POOL).await.unwrap();
    crate::common::eventually(
        "the API's answer is kept once the tables are free",
        Duration::from_secs(5),
        async || {
            !linksmith::server::store::Store::api_answers(
                &store,
                "US",
                &["1005005248414511".to_string()],
                0,
            )
            .await
            .unwrap()
            .is_empty()
        },
    )
    .await;
}

#[test]
fn database_settings_are_read_and_bad_ones_stop_the_start_with_a_message() {
    use linksmith::server::ServerConfig;
    let read = |vars: &[(&str, &str)]| {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServerConfig::with_leptos(crate::common::leptos_options(
            &crate::common::temp_site(),
            false,
        ))
        .with_settings(|name| vars.get(name).cloned())
    };
    let c = read(&[]).unwrap();
    assert_eq!(c.database_url, None, "SQLite is the default");
    assert_eq!(c.database_pool, PoolSettings::default());
    let c = read(&[
        (
            "LINKSMITH_DATABASE_URL",
            " postgres://ls:pw@db.internal:5433/linksmith?sslmode=disable ",
        ),
        ("LINKSMITH_DATABASE_POOL", "40"),
        ("LINKSMITH_DATABASE_TIMEOUT_MS", "750"),
    ])
    .unwrap();
    assert_eq!(
        c.database_url.as_deref(),
        Some("postgres://ls:pw@db.internal:5433/linksmith?sslmode=disable")
    );
    assert_eq!(
        c.database_pool,
        PoolSettings {
            max_connections: 40,
            timeout: Duration::from_millis(750)
        }
    );
    for (name, value, says) in [
        (
            "LINKSMITH_DATABASE_URL",
            "mysql://ls:hunter2@db/x",
            "not a PostgreSQL address",
        ),
        (
            "LINKSMITH_DATABASE_URL",
            "postgres://ls:hunter2@db/x?sslmode=prefer",
            "falls back to plain text",
        ),
        (
            "LINKSMITH_DATABASE_URL",
            "postgres://ls:hunter2@db/x?sslmode=allow",
            "falls back to plain text",
        ),
        (
            "LINKSMITH_DATABASE_URL",
            "postgres://ls:hunter2@db/x",
            "names no sslmode",
        ),
        ("LINKSMITH_DATABASE_POOL", "0", "from 1 to 1000"),
        ("LINKSMITH_DATABASE_TIMEOUT_MS", "5", "from 50 to 60000"),
    ] {
        let err = read(&[(name, value)]).unwrap_err().to_string();
        assert!(err.starts_with(name), "{err}");
        assert!(err.contains(says), "{name}={value}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

/// PostgreSQL only: an instance remembers catalogue look-ups (a check then costs the database
/// nothing) and forgets them the moment another instance's import commits (LISTEN/NOTIFY).
#[tokio::test]
async fn an_import_by_one_instance_is_seen_by_another_that_remembered_the_catalogue() {
    let Some(base) = pg_base() else { return };
    let url = fresh_database(&base, "notify").await;
    let reader = PgStore::open(&url, POOL).await.unwrap();
    let importer = PgStore::open(&url, POOL).await.unwrap();
    let id = "1005006295880104".to_string();
    // Wait until the reader listens (its first connection), then look up: remembered as absent.
    crate::common::eventually("the reader listens", Duration::from_secs(10), async || {
        reader.remembers()
    })
    .await;
    assert!(!linksmith::server::store::Store::has_entries(&reader)
        .await
        .unwrap());
    assert!(lookup(&reader, &id).await.is_empty());
    // Another session changes the table behind the reader's back, without an import: the reader
    // still answers from memory (this is what it saves the database).
    let client = pg::session(&url).await;
    client
        .batch_execute(
            "INSERT INTO catalog (kind, id, status, learnt_at) VALUES ('product', '1005006295880104', 'affiliate', 1)",
        )
        .await
        .unwrap();
    assert!(
        lookup(&reader, &id).await.is_empty(),
        "remembered: the database was not asked"
    );
    // An import through the other instance: the reader forgets and reads the new rows.
    linksmith::server::store::Store::import(&importer, Box::new(FEED.as_bytes()), 2)
        .await
        .unwrap();
    let e = crate::common::eventually_some(
        "the import is seen by the other instance",
        Duration::from_secs(2),
        async || lookup(&reader, &id).await.remove(&id),
    )
    .await;
    assert_eq!(
        (e.facts.status, e.facts.rate),
        (Status::Affiliate, Some(8.0))
    );
    assert!(linksmith::server::store::Store::has_entries(&reader)
        .await
        .unwrap());
}

async fn lookup(
    store: &PgStore,
    id: &str,
) -> std::collections::HashMap<String, linksmith::server::store::Entry> {
    linksmith::server::store::Store::lookup_many(store, Kind::Product, &[id.to_string()])
        .await
        .unwrap()
}

/// API keys on both stores: kept by hash (a name in use is refused), found by hash, listed with
/// one day's usage (added up, the last use only moving forward), revoked by name (the name free
/// again); both stores answer alike.
#[tokio::test]
async fn api_keys_are_found_by_hash_listed_with_a_days_usage_and_revoked_on_both() {
    use linksmith::server::store::{KeyLimits, KeyRecord, KeyUsage, NewKey};
    let hash = |c: char| c.to_string().repeat(64);
    let key = |name: &str, h: String, limits: KeyLimits, at: i64| NewKey {
        name: name.into(),
        hash: h,
        limits,
        created_at: at,
    };
    let own = KeyLimits {
        links_per_second: Some(10),
        burst: Some(40),
        lookups_per_hour: None,
    };
    let day = 19_700;
    let mut seen = Vec::new();
    for store in backends("keys").await {
        let what = store.describe();
        assert!(store.list_keys(day).await.unwrap().is_empty(), "{what}");
        let a = store
            .add_key(&key("partner", hash('a'), own, 1_700_000_000))
            .await
            .unwrap();
        let b = store
            .add_key(&key(
                "other",
                hash('b'),
                KeyLimits::default(),
                1_700_000_100,
            ))
            .await
            .unwrap();
        assert_ne!(a, b, "{what}");
        let err = store
            .add_key(&key("partner", hash('c'), own, 1_700_000_200))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::KeyExists(n) if n == "partner"),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("in use already"), "{err}");
        assert_eq!(
            store.find_key(&hash('a')).await.unwrap(),
            Some(KeyRecord {
                id: a,
                name: "partner".into(),
                limits: own,
                revoked: false
            }),
            "{what}"
        );
        assert_eq!(store.find_key(&hash('d')).await.unwrap(), None, "{what}");

        for (d, links, lookups, last) in [
            (day, 3, 1, 1_700_000_500),
            // An earlier last use (another instance's older count) does not move it back.
            (day, 4, 0, 1_700_000_400),
            (day - 1, 100, 9, 1_600_000_000),
        ] {
            store
                .add_key_usage(&KeyUsage {
                    key_id: a,
                    day: d,
                    links,
                    lookups,
                    last_used: last,
                })
                .await
                .unwrap();
        }
        let list = store.list_keys(day).await.unwrap();
        let rows: Vec<_> = list
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    k.limits,
                    k.created_at,
                    k.last_used_at,
                    k.revoked_at,
                    k.links,
                    k.lookups,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "partner".to_string(),
                    own,
                    1_700_000_000,
                    Some(1_700_000_500),
                    None,
                    7,
                    1
                ),
                (
                    "other".to_string(),
                    KeyLimits::default(),
                    1_700_000_100,
                    None,
                    None,
                    0,
                    0
                ),
            ],
            "{what}"
        );
        let yesterday = store.list_keys(day - 1).await.unwrap();
        assert_eq!(
            (yesterday[0].links, yesterday[0].lookups),
            (100, 9),
            "{what}"
        );

        assert!(
            store.revoke_key("partner", 1_700_001_000).await.unwrap(),
            "{what}"
        );
        assert!(
            !store.revoke_key("partner", 1_700_001_001).await.unwrap(),
            "{what}"
        );
        assert!(
            !store.revoke_key("nobody", 1_700_001_001).await.unwrap(),
            "{what}"
        );
        assert!(
            store.find_key(&hash('a')).await.unwrap().unwrap().revoked,
            "{what}"
        );
        // The name is free again; the revoked key stays listed, marked.
        let c = store
            .add_key(&key(
                "partner",
                hash('c'),
                KeyLimits::default(),
                1_700_002_000,
            ))
            .await
            .unwrap();
        let list = store.list_keys(day).await.unwrap();
        assert_eq!(list.len(), 3, "{what}");
        assert_eq!(list[0].revoked_at, Some(1_700_001_000), "{what}");
        assert_eq!((list[2].id, list[2].revoked_at), (c, None), "{what}");
        let found = store.find_key(&hash('c')).await.unwrap().unwrap();
        assert!(!found.revoked && found.name == "partner", "{what}");
        seen.push(
            list.into_iter()
                .map(|k| (k.name, k.limits, k.revoked_at, k.links, k.lookups))
                .collect::<Vec<_>>(),
        );
    }
    for other in &seen[1..] {
        assert_eq!(other, &seen[0], "both stores answer alike");
    }
}

/// The embedded store remembers what it read of the catalogue: a check of a remembered product
/// asks SQLite nothing. Its own imports forget at once; another process's (an import run beside
/// the server, on the same file) are seen through `PRAGMA data_version` within a second. Time is
/// the test's (tokio's paused clock).
#[tokio::test(start_paused = true)]
async fn the_embedded_store_remembers_lookups_and_sees_another_process_import() {
    let dir = std::env::temp_dir().join(format!("linksmith-remembered-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("store.db");
    let server = Catalog::open(&path).unwrap();
    // Another process: its own connection to the same file.
    let importer = Catalog::open(&path).unwrap();
    let id = "1005006295880104".to_string();
    let ids = std::slice::from_ref(&id);

    assert!(!Store::has_entries(&server).await.unwrap());
    assert!(Store::lookup_many(&server, Kind::Product, ids)
        .await
        .unwrap()
        .is_empty());
    importer.import(FEED.as_bytes(), 1_700_000_000).unwrap();
    // Within the second, the remembered answers stand: no round trip was made.
    tokio::time::advance(Duration::from_millis(500)).await;
    assert!(!Store::has_entries(&server).await.unwrap());
    assert!(Store::lookup_many(&server, Kind::Product, ids)
        .await
        .unwrap()
        .is_empty());
    // A second on, the other process's commit is seen and everything remembered forgotten.
    tokio::time::advance(Duration::from_millis(600)).await;
    assert!(Store::has_entries(&server).await.unwrap());
    let found = Store::lookup_many(&server, Kind::Product, ids)
        .await
        .unwrap();
    assert_eq!(found[&id].facts.rate, Some(8.0));

    // Its own import is seen at once.
    Store::import(
        &server,
        Box::new(std::io::Cursor::new(
            format!("kind,id,status,rate\nproduct,{id},affiliate,3\n").into_bytes(),
        )),
        1_700_000_001,
    )
    .await
    .unwrap();
    let found = Store::lookup_many(&server, Kind::Product, ids)
        .await
        .unwrap();
    assert_eq!(found[&id].facts.rate, Some(3.0));
    let _ = std::fs::remove_dir_all(&dir);
}
