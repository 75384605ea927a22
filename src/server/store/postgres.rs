//! The PostgreSQL store (`LINKSMITH_DATABASE_URL`): the same tables as the embedded store, shared
//! by every instance. tokio-postgres with a deadpool pool: every wait is bounded (a connection from
//! the pool, a new connection, a statement), so a database that is down or slow costs a check at
//! most its budget, never an error. Migrations (migrations/postgres/) are applied at start by one
//! instance at a time under an advisory lock.
//!
//! Catalogue look-ups are remembered per instance while it listens on the channel
//! `linksmith_catalog`; an import notifies it in its transaction, so every instance forgets what it
//! remembered the moment the import commits. Without the listening connection (the database is
//! down, or was), nothing is remembered and every look-up asks the database.

use std::{
    collections::HashMap,
    io::Read,
    sync::{Arc, Weak},
    time::Duration,
};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::{
    tls::{MakeTlsConnect, TlsConnect},
    Config, NoTls, Socket,
};

pub mod tls;

use super::remembered::CatalogCache;
pub use tls::{Mode as SslMode, Tls};

use super::{
    country_of, read_feed, status_from_db, status_to_db, Entry, ImportError, ImportReport,
    KeyLimits, KeyListing, KeyRecord, KeyUsage, Kind, NewKey, Remembered, Row, Store, StoreError,
    StoreLock, Tokens,
};
use crate::{
    domain::{country::Country, sources::NetworkFacts},
    server::open_platform::ApiProduct,
};

/// Schema migrations, one file per version; `linksmith_schema.version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_initial.sql"),
    include_str!("../../../migrations/postgres/0002_api_keys.sql"),
];

/// The advisory lock key of migrations ("LNKS" and 1).
const MIGRATION_LOCK: i64 = 0x4C4E_4B53_0000_0001;

/// How long a start waits for the database before giving up (a restart by systemd tries again).
const START_WAIT: Duration = Duration::from_secs(10);

/// TCP keepalives on every connection of the store (the pool's and the one listening for
/// imports): after 30 s of silence a probe every 10 s, and the connection is dropped after 3
/// unanswered, so a peer gone silent (a partition, a database host powered off) is noticed within
/// about a minute rather than the system's two hours. The listening connection then reconnects
/// and the catalogue's memory is not trusted meanwhile.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
pub const KEEPALIVE_RETRIES: u32 = 3;
/// Data sent and not acknowledged for this long drops the connection too (a statement sent into
/// a partition: keepalives only probe an idle connection).
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

/// The pool's limits (`LINKSMITH_DATABASE_POOL`, `LINKSMITH_DATABASE_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections this instance holds at most.
    pub max_connections: usize,
    /// The longest wait for a connection, a new connection or one statement.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            timeout: Duration::from_secs(2),
        }
    }
}

pub struct PgStore {
    pool: Pool,
    target: String,
    timeout: Duration,
    cache: Arc<CatalogCache>,
    /// Dropped with the store: stops the listening task.
    _stop_listening: tokio::sync::oneshot::Sender<()>,
}

/// The channel an import notifies.
const CHANNEL: &str = "linksmith_catalog";

/// Listens on [`CHANNEL`] for as long as the store lives: every notification (an import
/// committed, by any instance) forgets the remembered catalogue; a lost connection (a restart,
/// or a silent peer found out by the keepalives) forgets it and stops remembering until
/// listening again (tried every second).
async fn listen<T>(
    config: Config,
    tls: T,
    cache: Weak<CatalogCache>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    use futures::StreamExt;
    let mut lost = false;
    loop {
        let session = async {
            let (client, mut connection) = config.connect(tls.clone()).await.ok()?;
            let (tx, heard) = tokio::sync::mpsc::unbounded_channel::<()>();
            let drive = tokio::spawn(async move {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if matches!(message, tokio_postgres::AsyncMessage::Notification(_))
                        && tx.send(()).is_err()
                    {
                        break;
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_err()
            {
                drive.abort();
                return None;
            }
            Some((client, drive, heard))
        };
        let Some((client, drive, mut heard)) = session.await else {
            tokio::select! {
                _ = &mut stop => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => continue,
            }
        };
        {
            let Some(cache) = cache.upgrade() else { return };
            cache.set_valid(true);
        }
        if lost {
            tracing::info!("the database's import notifications are heard again");
        }
        lost = true;
        loop {
            tokio::select! {
                _ = &mut stop => {
                    drive.abort();
                    return;
                }
                got = heard.recv() => {
                    let Some(cache) = cache.upgrade() else { return };
                    if got.is_none() {
                        // The connection ended: remember nothing until listening again.
                        cache.set_valid(false);
                        break;
                    }
                    cache.forget();
                }
            }
        }
        drop(client);
        tracing::warn!("the database's import notifications stopped; catalogue look-ups are not remembered until they are back");
    }
}

fn pg(e: &tokio_postgres::Error) -> StoreError {
    StoreError::Postgres(match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => tls::explain(e),
    })
}

fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Timeout(_) => StoreError::Timeout("waiting for a database connection"),
        PoolError::Backend(e) => pg(&e),
        other => StoreError::Postgres(other.to_string()),
    }
}

/// Where a configuration points, without its password: `host:port/database as user`.
fn target_of(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}:{port}/{} as {}",
        if hosts.is_empty() {
            "localhost".into()
        } else {
            hosts.join(",")
        },
        config.get_dbname().unwrap_or("(default)"),
        config.get_user().unwrap_or("(default)")
    )
}

/// A database address as Linksmith reads it: tokio-postgres's settings, and how its connections
/// are protected (`sslmode`, `sslrootcert`: [`tls`]).
#[derive(Clone, Debug)]
pub struct Database {
    pub config: Config,
    pub tls: Tls,
}

/// Reads `LINKSMITH_DATABASE_URL`: a `postgres://` or `postgresql://` address (or key=value
/// settings) with its `sslmode` (`disable`, `require`, `verify-ca`, `verify-full`; `allow` and
/// `prefer` are refused: they fall back to plain text unsaid) and `sslrootcert`. Errors never
/// repeat the password.
pub fn parse_url(url: &str) -> Result<Database, StoreError> {
    let split = tls::split(url);
    let mut config: Config = split.rest.parse().map_err(|e: tokio_postgres::Error| {
        StoreError::BadUrl(format!(
            "is not a PostgreSQL address ({e}): write postgres://user:password@host:5432/database"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(StoreError::BadUrl(
            "names no host: write postgres://user:password@host:5432/database".into(),
        ));
    }
    let tls = tls::settle(&split, &mut config)?;
    Ok(Database { config, tls })
}

/// The settings every connection of the store is made with: the address's, plus what Linksmith
/// adds where the address says nothing: a connect time-out, the application name, server-side
/// statement and lock time-outs, TCP keepalives ([`KEEPALIVE_IDLE`], [`KEEPALIVE_INTERVAL`],
/// [`KEEPALIVE_RETRIES`]) and [`TCP_USER_TIMEOUT`].
pub fn connection_settings(url: &str, settings: PoolSettings) -> Result<Database, StoreError> {
    let Database { mut config, tls } = parse_url(url)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(settings.timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("linksmith");
    }
    // Every statement is bounded on the server too (a statement the client gave up on must
    // not hold a connection).
    let statement_ms = settings.timeout.as_millis().max(1);
    let options = format!(
        "{} -c statement_timeout={statement_ms} -c lock_timeout={statement_ms}",
        config.get_options().unwrap_or("")
    );
    config.options(options.trim());
    // tokio-postgres's defaults (on, 2 hours idle, the system's interval and count) are left to
    // what the address says only where it says something.
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(KEEPALIVE_IDLE);
    }
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(KEEPALIVE_INTERVAL);
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(KEEPALIVE_RETRIES);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    Ok(Database { config, tls })
}

impl PgStore {
    /// Connects, applies the migrations this binary knows (one instance at a time), and makes
    /// the pool. A database newer than the binary is refused.
    pub async fn open(url: &str, settings: PoolSettings) -> Result<PgStore, StoreError> {
        let Database { config, tls } = connection_settings(url, settings)?;
        let target = target_of(&config);
        let cache = Arc::new(CatalogCache::default());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let manager_config = || ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Tls::Plain => {
                migrate(&config, NoTls, &target).await?;
                tokio::spawn(listen(
                    config.clone(),
                    NoTls,
                    Arc::downgrade(&cache),
                    stopped,
                ));
                Manager::from_config(config, NoTls, manager_config())
            }
            Tls::Rustls { connector, .. } => {
                migrate(&config, connector.clone(), &target).await?;
                tokio::spawn(listen(
                    config.clone(),
                    connector.clone(),
                    Arc::downgrade(&cache),
                    stopped,
                ));
                Manager::from_config(config, connector, manager_config())
            }
        };
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections.max(1))
            .wait_timeout(Some(settings.timeout))
            .create_timeout(Some(settings.timeout))
            .recycle_timeout(Some(settings.timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        Ok(PgStore {
            pool,
            target,
            timeout: settings.timeout,
            cache,
            _stop_listening: stop,
        })
    }

    /// Whether catalogue look-ups are remembered now (the import notifications are heard).
    pub fn remembers(&self) -> bool {
        self.cache.is_valid()
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// Connects once, retrying while the database is starting, for at most [`START_WAIT`]; a
/// certificate that is refused is not tried again (it will not change in ten seconds).
async fn connect_at_start<T>(
    config: &Config,
    tls: T,
    target: &str,
) -> Result<tokio_postgres::Client, StoreError>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let until = tokio::time::Instant::now() + START_WAIT;
    loop {
        match config.connect(tls.clone()).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "migration connection ended");
                    }
                });
                return Ok(client);
            }
            Err(e) if tokio::time::Instant::now() >= until || tls::refused_by_tls(&e) => {
                return Err(StoreError::Connect {
                    target: target.to_string(),
                    reason: tls::explain(&e),
                })
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Applies the migrations not yet applied, holding the migration lock so that instances started
/// together take turns; each version in its own transaction.
async fn migrate<T>(config: &Config, tls: T, target: &str) -> Result<(), StoreError>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let mut client = connect_at_start(config, tls, target).await?;
    // A migration may take longer than one check's statement.
    client
        .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
        .await
        .map_err(|e| pg(&e))?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| pg(&e))?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS linksmith_schema (
                    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                    version INTEGER NOT NULL
                );
                INSERT INTO linksmith_schema (version) VALUES (0) ON CONFLICT DO NOTHING;",
            )
            .await
            .map_err(|e| pg(&e))?;
        let applied: i32 = client
            .query_one("SELECT version FROM linksmith_schema", &[])
            .await
            .map_err(|e| pg(&e))?
            .get(0);
        let applied = usize::try_from(applied).unwrap_or(0);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::NewerSchema {
                found: applied,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = client.transaction().await.map_err(|e| pg(&e))?;
            tx.batch_execute(sql).await.map_err(|e| pg(&e))?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("UPDATE linksmith_schema SET version = $1", &[&version])
                .await
                .map_err(|e| pg(&e))?;
            tx.commit().await.map_err(|e| pg(&e))?;
            tracing::info!(version, "database migrated");
        }
        Ok(())
    }
    .await;
    // Closing the connection releases the lock in any case; unlocking first is polite.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result
}

/// A lock's key: the FNV-1a hash of its name, in Linksmith's own range of keys.
fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "linksmith:".bytes().chain(name.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// A session-level advisory lock on a connection taken out of the pool's hands until released.
pub struct AdvisoryLock {
    client: Option<deadpool_postgres::Object>,
    key: i64,
}

impl AdvisoryLock {
    pub(super) async fn release(mut self) {
        if let Some(client) = self.client.take() {
            match client
                .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
                .await
            {
                // Unlocked: the connection goes back to the pool.
                Ok(_) => drop(client),
                // Unknown: closing the connection releases the lock.
                Err(_) => drop(deadpool_postgres::Object::take(client)),
            }
        }
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // Dropped while held or while being taken (a cancelled task): the session must end, or
        // the pool would hand out a connection that holds the lock.
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

/// Keeps the last of each key: one upsert statement may not touch a row twice.
fn last_of_each<T, K: std::hash::Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut at: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<Option<T>> = Vec::with_capacity(items.len());
    for item in items {
        let k = key(&item);
        if let Some(&i) = at.get(&k) {
            out[i] = None;
        }
        at.insert(k, out.len());
        out.push(Some(item));
    }
    out.into_iter().flatten().collect()
}

const UPSERT_CATALOG: &str = "INSERT INTO catalog (kind, id, status, rate, category, learnt_at, tmall, ships_from, store_country)
    SELECT kind, id, status, rate, category, $9, tmall, ships_from, store_country
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::bool[], $7::text[], $8::text[])
      AS t(kind, id, status, rate, category, tmall, ships_from, store_country)
    ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, rate = excluded.rate,
      category = excluded.category, learnt_at = excluded.learnt_at, tmall = excluded.tmall,
      ships_from = excluded.ships_from, store_country = excluded.store_country";

/// Rows read from a feed go to the database in batches of this many.
const IMPORT_BATCH: usize = 1000;

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn describe(&self) -> String {
        format!("postgres {}", self.target)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("SELECT 1", &[]).await.map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let v: i32 = client
            .query_one("SELECT version FROM linksmith_schema", &[])
            .await
            .map_err(|e| pg(&e))?
            .get(0);
        Ok(usize::try_from(v).unwrap_or(0))
    }

    async fn has_entries(&self) -> Result<bool, StoreError> {
        if let Some(known) = self.cache.has_entries() {
            return Ok(known);
        }
        let generation = self.cache.usable();
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM catalog)")
            .await
            .map_err(|e| pg(&e))?;
        let any: bool = client
            .query_one(&stmt, &[])
            .await
            .map_err(|e| pg(&e))?
            .get(0);
        self.cache.remember_has_entries(generation, any);
        Ok(any)
    }

    async fn counts(&self) -> Result<(u64, u64), StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE kind = 'product'), count(*) FILTER (WHERE kind = 'store') FROM catalog",
                &[],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
    }

    async fn lookup_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Entry>, StoreError> {
        let generation = self.cache.usable();
        let mut out = HashMap::new();
        let ask = self.cache.split(generation, kind, ids, &mut out);
        if ask.is_empty() {
            return Ok(out);
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, status, rate, category, learnt_at, tmall, ships_from, store_country
                 FROM catalog WHERE kind = $1 AND id = ANY($2)",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&kind.as_str(), &ask])
            .await
            .map_err(|e| pg(&e))?;
        let mut found = HashMap::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let status: String = r.get(1);
            let entry = Entry {
                status: status_from_db(kind, &id, &status)?,
                rate: r.get(2),
                category: r.get(3),
                learnt_at: r.get(4),
                tmall: r.get(5),
                ships_from: country_of(kind, &id, "ships_from", r.get(6))?,
                store_country: country_of(kind, &id, "store_country", r.get(7))?,
            };
            found.insert(id, entry);
        }
        self.cache.remember(generation, kind, &ask, &found);
        out.extend(found);
        Ok(out)
    }

    async fn store_api_answers(
        &self,
        country: &str,
        answers: &[(String, Option<ApiProduct>)],
        now: i64,
    ) -> Result<(), StoreError> {
        let answers = last_of_each(answers.to_vec(), |(id, _)| id.clone());
        if answers.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        let found: Vec<bool> = answers.iter().map(|(_, a)| a.is_some()).collect();
        let field = |f: fn(&ApiProduct) -> Option<f64>| -> Vec<Option<f64>> {
            answers
                .iter()
                .map(|(_, a)| a.as_ref().and_then(f))
                .collect()
        };
        let text = |f: fn(&ApiProduct) -> Option<&str>| -> Vec<Option<&str>> {
            answers
                .iter()
                .map(|(_, a)| a.as_ref().and_then(f))
                .collect()
        };
        let commission = field(|p| p.commission_rate);
        let hot = field(|p| p.hot_commission_rate);
        let title = text(|p| p.title.as_deref());
        let image = text(|p| p.image_url.as_deref());
        let category = text(|p| p.category.as_deref());
        let shop = text(|p| p.shop_id.as_deref());
        let tmall: Vec<Option<bool>> = answers
            .iter()
            .map(|(_, a)| a.as_ref().and_then(|p| p.tmall))
            .collect();
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO api_cache (product_id, country, found, commission, hot, title, image_url, category, shop_id, tmall, fetched_at)
                 SELECT id, $2, found, commission, hot, title, image_url, category, shop_id, tmall, $3
                 FROM UNNEST($1::text[], $4::bool[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[])
                   AS t(id, found, commission, hot, title, image_url, category, shop_id, tmall)
                 ON CONFLICT (product_id, country) DO UPDATE SET found = excluded.found,
                   commission = excluded.commission, hot = excluded.hot, title = excluded.title,
                   image_url = excluded.image_url, category = excluded.category,
                   shop_id = excluded.shop_id, tmall = excluded.tmall, fetched_at = excluded.fetched_at",
            )
            .await
            .map_err(|e| pg(&e))?;
        client
            .execute(
                &stmt,
                &[
                    &ids,
                    &country,
                    &now,
                    &found,
                    &commission,
                    &hot,
                    &title,
                    &image,
                    &category,
                    &shop,
                    &tmall,
                ],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn api_answers(
        &self,
        country: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<ApiProduct>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT product_id, found, commission, hot, title, image_url, category, shop_id, tmall, fetched_at
                 FROM api_cache WHERE country = $1 AND product_id = ANY($2) AND fetched_at > $3",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&country, &ids, &not_before])
            .await
            .map_err(|e| pg(&e))?;
        let mut by_id: HashMap<String, (Option<ApiProduct>, i64)> = rows
            .into_iter()
            .map(|r| {
                let id: String = r.get(0);
                let found: bool = r.get(1);
                let answer = found.then(|| ApiProduct {
                    product_id: id.clone(),
                    commission_rate: r.get(2),
                    hot_commission_rate: r.get(3),
                    title: r.get(4),
                    image_url: r.get(5),
                    category: r.get(6),
                    shop_id: r.get(7),
                    tmall: r.get(8),
                });
                (id, (answer, r.get(9)))
            })
            .collect();
        // In the order asked, as the embedded store answers.
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id).map(|(a, at)| (id.clone(), a, at)))
            .collect())
    }

    async fn forget_answers_before(&self, before: i64) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let api = client
            .execute("DELETE FROM api_cache WHERE fetched_at < $1", &[&before])
            .await
            .map_err(|e| pg(&e))?;
        let networks = client
            .execute(
                "DELETE FROM network_answers WHERE learnt_at < $1",
                &[&before],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok((api + networks) as usize)
    }

    async fn store_network_answers(
        &self,
        source: &str,
        answers: &[(String, Option<NetworkFacts>)],
        at: i64,
    ) -> Result<(), StoreError> {
        let answers = last_of_each(answers.to_vec(), |(id, _)| id.clone());
        if answers.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        let known: Vec<bool> = answers.iter().map(|(_, f)| f.is_some()).collect();
        let status: Vec<Option<&str>> = answers
            .iter()
            .map(|(_, f)| f.as_ref().map(|f| status_to_db(f.status)))
            .collect();
        let exact: Vec<Option<f64>> = answers
            .iter()
            .map(|(_, f)| f.as_ref().and_then(|f| f.exact_percent))
            .collect();
        let hot: Vec<Option<f64>> = answers
            .iter()
            .map(|(_, f)| f.as_ref().and_then(|f| f.hot_percent))
            .collect();
        let title: Vec<Option<&str>> = answers
            .iter()
            .map(|(_, f)| f.as_ref().and_then(|f| f.title.as_deref()))
            .collect();
        let image: Vec<Option<&str>> = answers
            .iter()
            .map(|(_, f)| f.as_ref().and_then(|f| f.image_url.as_deref()))
            .collect();
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO network_answers (source, product_id, known, status, exact, hot, title, image_url, learnt_at)
                 SELECT $1, id, known, status, exact, hot, title, image_url, $3
                 FROM UNNEST($2::text[], $4::bool[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::text[])
                   AS t(id, known, status, exact, hot, title, image_url)
                 ON CONFLICT (source, product_id) DO UPDATE SET known = excluded.known,
                   status = excluded.status, exact = excluded.exact, hot = excluded.hot,
                   title = excluded.title, image_url = excluded.image_url, learnt_at = excluded.learnt_at",
            )
            .await
            .map_err(|e| pg(&e))?;
        client
            .execute(
                &stmt,
                &[
                    &source, &ids, &at, &known, &status, &exact, &hot, &title, &image,
                ],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<NetworkFacts>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT product_id, known, status, exact, hot, title, image_url, learnt_at
                 FROM network_answers WHERE source = $1 AND product_id = ANY($2) AND learnt_at > $3",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&source, &ids, &not_before])
            .await
            .map_err(|e| pg(&e))?;
        let mut by_id: HashMap<String, (Option<NetworkFacts>, i64)> = HashMap::new();
        for r in rows {
            let id: String = r.get(0);
            let known: bool = r.get(1);
            let facts = if known {
                let status: Option<String> = r.get(2);
                Some(NetworkFacts {
                    status: status_from_db(Kind::Product, &id, status.as_deref().unwrap_or(""))?,
                    exact_percent: r.get(3),
                    hot_percent: r.get(4),
                    title: r.get(5),
                    image_url: r.get(6),
                })
            } else {
                None
            };
            by_id.insert(id, (facts, r.get(7)));
        }
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id).map(|(f, at)| (id.clone(), f, at)))
            .collect())
    }

    async fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO tokens (source, access, refresh, expires_at, saved_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source) DO UPDATE SET access = excluded.access, refresh = excluded.refresh,
                   expires_at = excluded.expires_at, saved_at = excluded.saved_at",
                &[&source, &access, &refresh, &expires_at, &now],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT access, refresh, expires_at FROM tokens WHERE source = $1",
                &[&source],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    async fn lock(&self, name: &str, wait: Duration) -> Result<StoreLock, StoreError> {
        let key = lock_key(name);
        let until = tokio::time::Instant::now() + wait;
        loop {
            // The guard owns the connection before the lock is asked for: if this task is
            // cancelled at any point, the connection is closed rather than returned holding it.
            let mut lock = AdvisoryLock {
                client: Some(self.client().await?),
                key,
            };
            let got: bool = match lock.client.as_ref() {
                Some(client) => client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                    .await
                    .map_err(|e| pg(&e))?
                    .get(0),
                None => false,
            };
            if got {
                return Ok(StoreLock {
                    inner: super::LockInner::Postgres(Box::new(lock)),
                });
            }
            // Not held by us: the connection may go back to the pool as it is.
            drop(lock.client.take());
            if tokio::time::Instant::now() >= until {
                return Err(StoreError::Timeout(
                    "waiting for a lock held by another instance",
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn import(
        &self,
        feed: Box<dyn Read + Send>,
        now: i64,
    ) -> Result<ImportReport, ImportError> {
        let (send, mut batches) = tokio::sync::mpsc::channel::<Vec<Row>>(4);
        // The feed is read on the blocking pool and handed over in batches.
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            let stopped = || StoreError::Postgres("the import stopped".into());
            let report = read_feed(feed, |row| {
                batch.push(row);
                if batch.len() >= IMPORT_BATCH {
                    send.blocking_send(std::mem::take(&mut batch))
                        .map_err(|_| stopped())?;
                }
                Ok(())
            })?;
            if !batch.is_empty() {
                send.blocking_send(batch).map_err(|_| stopped())?;
            }
            Ok::<_, ImportError>(report)
        });
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg(&e))?;
        // A large feed may take longer than one check's statement.
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(|e| pg(&e))?;
        let stmt = tx.prepare(UPSERT_CATALOG).await.map_err(|e| pg(&e))?;
        while let Some(batch) = batches.recv().await {
            let rows = last_of_each(batch, |r| (r.kind, r.id.clone()));
            let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let status: Vec<&str> = rows.iter().map(|r| status_to_db(r.status)).collect();
            let rate: Vec<Option<f64>> = rows.iter().map(|r| r.rate).collect();
            let category: Vec<Option<&str>> = rows.iter().map(|r| r.category.as_deref()).collect();
            let tmall: Vec<Option<bool>> = rows.iter().map(|r| r.tmall).collect();
            let ships: Vec<Option<&str>> = rows
                .iter()
                .map(|r| r.ships_from.as_ref().map(Country::code))
                .collect();
            let seller: Vec<Option<&str>> = rows
                .iter()
                .map(|r| r.store_country.as_ref().map(Country::code))
                .collect();
            tx.execute(
                &stmt,
                &[
                    &kinds, &ids, &status, &rate, &category, &tmall, &ships, &seller, &now,
                ],
            )
            .await
            .map_err(|e| pg(&e))?;
        }
        let report = reader
            .await
            .map_err(|e| ImportError::Unreadable(format!("the import's task failed: {e}")))??;
        // Every instance listening forgets its remembered catalogue when this commits.
        tx.batch_execute(&format!("NOTIFY {CHANNEL}"))
            .await
            .map_err(|e| pg(&e))?;
        tx.commit().await.map_err(|e| pg(&e))?;
        self.cache.forget();
        Ok(report)
    }

    async fn add_key(&self, key: &NewKey) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let limit = |n: Option<u32>| n.map(i64::from);
        let row = client
            .query_one(
                "INSERT INTO api_keys (name, hash, links_per_second, burst, lookups_per_hour, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &key.name,
                    &key.hash,
                    &limit(key.limits.links_per_second),
                    &limit(key.limits.burst),
                    &limit(key.limits.lookups_per_hour),
                    &key.created_at,
                ],
            )
            .await
            .map_err(|e| {
                if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                    StoreError::KeyExists(key.name.clone())
                } else {
                    pg(&e)
                }
            })?;
        Ok(row.get(0))
    }

    async fn find_key(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, name, links_per_second, burst, lookups_per_hour, revoked_at
                 FROM api_keys WHERE hash = $1",
            )
            .await
            .map_err(|e| pg(&e))?;
        let row = client
            .query_opt(&stmt, &[&hash])
            .await
            .map_err(|e| pg(&e))?;
        Ok(row.map(|r| KeyRecord {
            id: r.get(0),
            name: r.get(1),
            limits: KeyLimits {
                links_per_second: key_limit(r.get(2)),
                burst: key_limit(r.get(3)),
                lookups_per_hour: key_limit(r.get(4)),
            },
            revoked: r.get::<_, Option<i64>>(5).is_some(),
        }))
    }

    async fn list_keys(&self, day: i64) -> Result<Vec<KeyListing>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT k.id, k.name, k.links_per_second, k.burst, k.lookups_per_hour, k.created_at,
                        k.last_used_at, k.revoked_at, COALESCE(u.links, 0), COALESCE(u.lookups, 0)
                 FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = $1
                 ORDER BY k.id",
                &[&day],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(rows
            .into_iter()
            .map(|r| KeyListing {
                id: r.get(0),
                name: r.get(1),
                limits: KeyLimits {
                    links_per_second: key_limit(r.get(2)),
                    burst: key_limit(r.get(3)),
                    lookups_per_hour: key_limit(r.get(4)),
                },
                created_at: r.get(5),
                last_used_at: r.get(6),
                revoked_at: r.get(7),
                links: r.get::<_, i64>(8).max(0) as u64,
                lookups: r.get::<_, i64>(9).max(0) as u64,
            })
            .collect())
    }

    async fn revoke_key(&self, name: &str, at: i64) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &at],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(changed > 0)
    }

    async fn add_key_usage(&self, usage: &KeyUsage) -> Result<(), StoreError> {
        let links = i64::try_from(usage.links).unwrap_or(i64::MAX);
        let lookups = i64::try_from(usage.lookups).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg(&e))?;
        tx.execute(
            "INSERT INTO api_key_usage (key_id, day, links, lookups) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key_id, day) DO UPDATE SET links = api_key_usage.links + excluded.links,
               lookups = api_key_usage.lookups + excluded.lookups",
            &[&usage.key_id, &usage.day, &links, &lookups],
        )
        .await
        .map_err(|e| pg(&e))?;
        tx.execute(
            "UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), $2) WHERE id = $1",
            &[&usage.key_id, &usage.last_used],
        )
        .await
        .map_err(|e| pg(&e))?;
        tx.commit().await.map_err(|e| pg(&e))?;
        Ok(())
    }
}

/// A stored limit: a positive number that fits a `u32`, else none (the server's).
fn key_limit(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
