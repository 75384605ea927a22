//! The store's connections to PostgreSQL (issue #33): TLS as `sslmode` asks (`verify-full`
//! against the test cluster's own certificate authority, a wrong authority refused with a
//! sentence, `prefer` refused at start), TCP keepalives on every connection, and the connection
//! that listens for imports coming back after the database restarts.
//!
//! scripts/test-pg.sh makes the cluster's certificates with openssl and turns `ssl` on; it names
//! the authority in `LINKSMITH_TEST_PG_CA` and one that signed nothing in
//! `LINKSMITH_TEST_PG_OTHER_CA`.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use linksmith::server::store::{
    postgres::{
        connection_settings, parse_url, PgStore, PoolSettings, SslMode, KEEPALIVE_IDLE,
        KEEPALIVE_INTERVAL, KEEPALIVE_RETRIES, TCP_USER_TIMEOUT,
    },
    Kind, Store, StoreError,
};

use crate::common::{
    eventually, eventually_some,
    pg::{self, fresh_database, pg_base},
};

const POOL: PoolSettings = PoolSettings {
    max_connections: 4,
    timeout: Duration::from_secs(5),
};

/// The test cluster's certificate authority and one that signed nothing.
fn authorities() -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(ca), Some(other)) = (
        var("LINKSMITH_TEST_PG_CA"),
        var("LINKSMITH_TEST_PG_OTHER_CA"),
    ) {
        return Some((ca, other));
    }
    assert!(
        std::env::var("LINKSMITH_TEST_PG").as_deref() != Ok("required"),
        "LINKSMITH_TEST_PG_CA is not set: start the tests' PostgreSQL with scripts/test-pg.sh start (it makes the TLS certificates)"
    );
    eprintln!("LINKSMITH_TEST_PG_CA is not set: the TLS tests are skipped");
    None
}

async fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    eventually(what, within, async || done()).await;
}

/// (connections of Linksmith to `database`, of which over TLS), as the server sees them.
async fn sessions(plain_url: &str, database: &str) -> (i64, i64) {
    let client = pg::session(plain_url).await;
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl)
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.datname = $1 AND a.application_name = 'linksmith'",
            &[&database],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

fn database_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

/// `verify-full` with the cluster's authority: the store opens, by address and by name, and
/// every one of its connections (the pool's and the listening one) is encrypted. `require`
/// without a root file encrypts too (libpq's meaning: the certificate is not checked).
#[tokio::test]
async fn verify_full_with_the_right_authority_connects_over_tls() {
    let (Some(base), Some((ca, _))) = (pg_base(), authorities()) else {
        return;
    };
    let url = fresh_database(&base, "tls_full").await;
    let database = database_of(&url);
    for address in [
        format!("{url}?sslmode=verify-full&sslrootcert={ca}"),
        format!(
            "{}?sslmode=verify-full&sslrootcert={ca}",
            url.replace("127.0.0.1", "localhost")
        ),
        format!("{url}?sslmode=require"),
    ] {
        let store = PgStore::open(&address, POOL)
            .await
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_ne!(
            parse_url(&address).unwrap().tls.mode(),
            SslMode::Disable,
            "{address}"
        );
        wait_for("the store listens", Duration::from_secs(10), || {
            store.remembers()
        })
        .await;
        store.ping().await.unwrap();
        let (all, tls) = sessions(&url, &database).await;
        assert!(
            all >= 2,
            "{address}: the pool's and the listening connection: {all}"
        );
        assert_eq!(tls, all, "{address}: every connection is encrypted");
        drop(store);
        // The next address's count must not include this store's connections.
        eventually(
            "the dropped store's connections closed",
            Duration::from_secs(10),
            async || sessions(&url, &database).await.0 == 0,
        )
        .await;
    }
    // sslmode=disable: plain, as a loopback database may be.
    let store = PgStore::open(&format!("{url}?sslmode=disable"), POOL)
        .await
        .unwrap();
    store.ping().await.unwrap();
    let (all, tls) = sessions(&url, &database).await;
    assert!(all >= 1 && tls == 0, "plain when asked: {all} {tls}");
}

/// `verify-full` with an authority that did not sign the server's certificate: refused at once
/// (not retried for the start's ten seconds) with a sentence that says what to fix and never the
/// password. A name the certificate does not hold is refused by `verify-full` and accepted by
/// `verify-ca` (which checks the chain only).
#[tokio::test]
async fn a_wrong_authority_or_name_is_refused_with_a_clear_sentence() {
    let (Some(base), Some((ca, other))) = (pg_base(), authorities()) else {
        return;
    };
    let url = fresh_database(&base, "tls_wrong").await;
    let with_password = url.replacen("linksmith@", "linksmith:hunter2@", 1);
    let started = Instant::now();
    let err = PgStore::open(
        &format!("{with_password}?sslmode=verify-full&sslrootcert={other}"),
        POOL,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let said = err.to_string();
    assert!(
        said.contains("the database's certificate was not accepted"),
        "{said}"
    );
    assert!(
        said.contains("sslrootcert must name the authority that signed it"),
        "{said}"
    );
    assert!(!said.contains("hunter2"), "{said}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused certificate is not retried: {:?}",
        started.elapsed()
    );

    // Connected to 127.0.0.1 but expecting another name (key=value settings: host is the name
    // checked, hostaddr the address dialled).
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_string();
    let database = database_of(&url);
    let named = |mode: &str| {
        format!(
            "host=db.wrong-name.test hostaddr=127.0.0.1 port={port} user=linksmith dbname={database} sslmode={mode} sslrootcert='{ca}'"
        )
    };
    let err = PgStore::open(&named("verify-full"), POOL)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the database's certificate does not name the host connected to"),
        "{err}"
    );
    let store = PgStore::open(&named("verify-ca"), POOL)
        .await
        .expect("verify-ca checks the chain, not the name");
    store.ping().await.unwrap();
}

/// `sslmode=prefer` (and `allow`) fall back to plain text without saying so: refused at start,
/// by the store, by the configuration, and by the real binary, with the sentence.
#[test]
fn prefer_and_allow_are_refused_at_start_with_a_sentence() {
    for mode in ["prefer", "allow"] {
        let address = format!("postgres://ls:hunter2@127.0.0.1:9/x?sslmode={mode}");
        let err = parse_url(&address).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "asks for sslmode={mode}, which falls back to plain text without saying so"
            )),
            "{err}"
        );
        let vars: std::collections::HashMap<String, String> =
            [("LINKSMITH_DATABASE_URL".to_string(), address.clone())].into();
        let err = linksmith::server::ServerConfig::with_leptos(crate::common::leptos_options(
            &crate::common::temp_site(),
            false,
        ))
        .with_settings(|name| vars.get(name).cloned())
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("LINKSMITH_DATABASE_URL"), "{err}");
        assert!(err.contains("falls back to plain text"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "LINKSMITH_DATABASE_URL",
            "postgres://ls:hunter2@127.0.0.1:9/x?sslmode=prefer",
        )
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("LINKSMITH_DATABASE_URL is not usable: asks for sslmode=prefer"),
        "{said}"
    );
    assert!(!said.contains("hunter2"), "{said}");
}

/// Every connection the store makes carries TCP keepalives that notice a silent peer within
/// about a minute (the listening connection is made from the same settings), unless the address
/// sets its own.
#[test]
fn keepalives_reach_every_connection_s_settings() {
    let db = connection_settings("postgres://u@127.0.0.1/x", PoolSettings::default()).unwrap();
    let c = &db.config;
    assert!(c.get_keepalives());
    assert_eq!(c.get_keepalives_idle(), KEEPALIVE_IDLE);
    assert_eq!(c.get_keepalives_interval(), Some(KEEPALIVE_INTERVAL));
    assert_eq!(c.get_keepalives_retries(), Some(KEEPALIVE_RETRIES));
    assert_eq!(c.get_tcp_user_timeout(), Some(&TCP_USER_TIMEOUT));
    let noticed = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_RETRIES;
    assert!(noticed <= Duration::from_secs(75), "{noticed:?}");
    assert_eq!(c.get_application_name(), Some("linksmith"));
    let own = connection_settings(
        "postgres://u@127.0.0.1/x?keepalives_idle=5&keepalives_interval=2&keepalives_retries=7&tcp_user_timeout=9",
        PoolSettings::default(),
    )
    .unwrap();
    let c = &own.config;
    assert_eq!(
        (
            c.get_keepalives_idle(),
            c.get_keepalives_interval(),
            c.get_keepalives_retries(),
            c.get_tcp_user_timeout()
        ),
        (
            Duration::from_secs(5),
            Some(Duration::from_secs(2)),
            Some(7),
            Some(&Duration::from_secs(9))
        )
    );
}

/// A throwaway cluster of this test's own (scripts/test-pg.sh), so that stopping its server
/// does not disturb the other tests; destroyed when dropped.
struct OwnCluster {
    url: String,
    data: String,
}

impl OwnCluster {
    fn script() -> String {
        format!("{}/scripts/test-pg.sh", env!("CARGO_MANIFEST_DIR"))
    }

    fn start() -> OwnCluster {
        let out = Command::new(Self::script()).arg("start").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exports = String::from_utf8(out.stdout).unwrap();
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .map_or_else(
                    || panic!("{name} in {exports}"),
                    |v| v.trim_matches('\'').to_string(),
                )
        };
        OwnCluster {
            url: value("LINKSMITH_TEST_DATABASE_URL"),
            data: value("LINKSMITH_TEST_PGDATA"),
        }
    }

    async fn run(&self, what: &'static str) {
        let data = self.data.clone();
        let status = tokio::task::spawn_blocking(move || {
            Command::new(Self::script())
                .arg(what)
                .env("LINKSMITH_TEST_PGDATA", data)
                .status()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(status.success(), "test-pg.sh {what}");
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new(Self::script())
            .arg("destroy")
            .env("LINKSMITH_TEST_PGDATA", &self.data)
            .status();
    }
}

/// The database restarts: the listening connection is lost (the catalogue's memory is not
/// trusted meanwhile), comes back by itself once the server is up, and hears imports again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listening_connection_comes_back_after_the_database_restarts() {
    if pg_base().is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let url = format!("{}/postgres", cluster.url);
    let reader = PgStore::open(&url, POOL).await.unwrap();
    let importer = PgStore::open(&url, POOL).await.unwrap();
    wait_for("the store listens", Duration::from_secs(10), || {
        reader.remembers()
    })
    .await;
    cluster.run("stop-server").await;
    wait_for(
        "the lost connection is noticed",
        Duration::from_secs(10),
        || !reader.remembers(),
    )
    .await;
    cluster.run("start-server").await;
    wait_for(
        "the listening connection is back",
        Duration::from_secs(20),
        || reader.remembers(),
    )
    .await;
    // It hears imports again: remembered as absent, then forgotten when the import commits.
    let id = "1005006295880104".to_string();
    let lookup = async || {
        // The pool's connections died with the server; a look-up may need a retry or two.
        eventually_some(
            "the store answers after the restart",
            Duration::from_secs(5),
            async || {
                reader
                    .lookup_many(Kind::Product, std::slice::from_ref(&id))
                    .await
                    .ok()
            },
        )
        .await
    };
    assert!(lookup().await.is_empty());
    let report = eventually_some("the import runs", Duration::from_secs(5), async || {
        importer
            .import(
                Box::new("kind,id,status\nproduct,1005006295880104,affiliate\n".as_bytes()),
                1,
            )
            .await
            .ok()
    })
    .await;
    assert_eq!(report.products, 1);
    eventually(
        "the import was heard after the restart",
        Duration::from_secs(5),
        async || !lookup().await.is_empty(),
    )
    .await;
}
