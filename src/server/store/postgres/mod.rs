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

//!
//! The parts: [`settings`] (the address and what every connection adds to it), [`locks`]
//! (advisory locks), [`queries`] (the [`Store`] interface: the catalogue, the sources' answers,
//! the tokens), [`import`] (a feed in one transaction), [`keys`] (API keys), [`tls`].

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::{
    tls::{MakeTlsConnect, TlsConnect},
    Config, NoTls, Socket,
};

mod chats;
mod import;
mod keys;
mod locks;
mod queries;
mod settings;
pub mod tls;

pub use locks::AdvisoryLock;
pub use settings::{
    connection_settings, parse_url, Database, PoolSettings, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL,
    KEEPALIVE_RETRIES, TCP_USER_TIMEOUT,
};
pub use tls::{Mode as SslMode, Tls};

use super::{remembered::CatalogCache, StoreError};
use settings::target_of;

/// Schema migrations, one file per version; `linksmith_schema.version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../../migrations/postgres/0001_initial.sql"),
    include_str!("../../../../migrations/postgres/0002_api_keys.sql"),
    include_str!("../../../../migrations/postgres/0003_telegram.sql"),
];

/// The advisory lock key of migrations ("LNKS" and 1).
const MIGRATION_LOCK: i64 = 0x4C4E_4B53_0000_0001;

/// How long a start waits for the database before giving up (a restart by systemd tries again).
const START_WAIT: Duration = Duration::from_secs(10);

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

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
