//! Everything the server keeps, behind one interface: the catalogue, the sources' remembered
//! answers with their times, the networks' tokens, the schema's version, and named locks that
//! hold across instances. Two implementations: the embedded SQLite store ([`Catalog`], the
//! default, `LINKSMITH_DB`) and PostgreSQL ([`postgres::PgStore`], `LINKSMITH_DATABASE_URL`), so
//! that several instances share what any of them learnt.

use std::{collections::HashMap, io::Read, sync::Arc};

use async_trait::async_trait;

pub use super::catalog::{
    Catalog, Entry, ImportError, ImportReport, Kind, Row, StoreError, MAX_LINE_BYTES,
};
use super::open_platform::ApiProduct;
use crate::domain::sources::NetworkFacts;

pub mod postgres;
pub mod remembered;

/// The store every part of the server uses.
pub type SharedStore = Arc<dyn Store>;

/// A network's kept session tokens: (access, refresh, expires at in unix seconds).
pub type Tokens = (String, String, Option<i64>);

/// An answer remembered with when it was learnt (unix seconds); `None`: the source said it does
/// not know the product (or it is not in the programme).
pub type Remembered<T> = (String, Option<T>, i64);

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Where the store is, for the logs: a file, or host, port and database (never a password).
    fn describe(&self) -> String;

    /// One cheap round trip: is the store answering?
    async fn ping(&self) -> Result<(), StoreError>;

    /// The schema version applied (the count of migrations).
    async fn schema_version(&self) -> Result<usize, StoreError>;

    /// Whether the catalogue holds any product or store (stops at the first row).
    async fn has_entries(&self) -> Result<bool, StoreError>;

    /// How many products and stores the catalogue holds.
    async fn counts(&self) -> Result<(u64, u64), StoreError>;

    /// The catalogue's entries for ids of one kind (ids it does not hold are left out).
    async fn lookup_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Entry>, StoreError>;

    /// Remembers what the API said of products for a delivery country (`None`: not in the programme).
    async fn store_api_answers(
        &self,
        country: &str,
        answers: &[(String, Option<ApiProduct>)],
        now: i64,
    ) -> Result<(), StoreError>;

    /// The API's remembered answers learnt after `not_before`.
    async fn api_answers(
        &self,
        country: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<ApiProduct>>, StoreError>;

    /// Forgets the sources' answers learnt before `before`; returns how many were dropped.
    async fn forget_answers_before(&self, before: i64) -> Result<usize, StoreError>;

    /// Remembers what a network (`epn`, `admitad`) said of products (`None`: it does not know it).
    async fn store_network_answers(
        &self,
        source: &str,
        answers: &[(String, Option<NetworkFacts>)],
        at: i64,
    ) -> Result<(), StoreError>;

    /// A network's remembered answers learnt after `not_before`.
    async fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<NetworkFacts>>, StoreError>;

    /// Keeps a network's session tokens (replacing the ones kept).
    async fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
    ) -> Result<(), StoreError>;

    /// A network's kept session tokens.
    async fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError>;

    /// Holds the lock `name` until the guard is released or dropped, waiting at most `wait` for
    /// it: across every instance on the store (PostgreSQL's advisory locks), or within this
    /// process (SQLite, which one process owns).
    async fn lock(&self, name: &str, wait: std::time::Duration) -> Result<StoreLock, StoreError>;

    /// Imports a CSV feed in one transaction (see [`super::catalog::read_feed`]).
    async fn import(
        &self,
        feed: Box<dyn Read + Send>,
        now: i64,
    ) -> Result<ImportReport, ImportError>;

    /// Keeps a new API key (its hash only); its id. A name in use by a key that is not revoked
    /// is [`StoreError::KeyExists`].
    async fn add_key(&self, key: &NewKey) -> Result<i64, StoreError>;

    /// The key with this hash (revoked or not), if any.
    async fn find_key(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError>;

    /// Every key (revoked ones too, marked), oldest first, with what it used on `day` (unix days,
    /// UTC).
    async fn list_keys(&self, day: i64) -> Result<Vec<KeyListing>, StoreError>;

    /// Revokes the key in use named `name`; false when there is none.
    async fn revoke_key(&self, name: &str, at: i64) -> Result<bool, StoreError>;

    /// Adds to a key's usage on `day` (unix days, UTC), and moves its last use to `last_used`
    /// (unix seconds) if later.
    async fn add_key_usage(&self, usage: &KeyUsage) -> Result<(), StoreError>;
}

/// A key's own limits; `None`: the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyLimits {
    pub links_per_second: Option<u32>,
    pub burst: Option<u32>,
    pub lookups_per_hour: Option<u32>,
}

/// A key to keep: its name, the SHA-256 of the key (hex), its limits, when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub name: String,
    pub hash: String,
    pub limits: KeyLimits,
    pub created_at: i64,
}

/// A key as a request is identified by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: i64,
    pub name: String,
    pub limits: KeyLimits,
    pub revoked: bool,
}

/// A key as `linksmith keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    pub id: i64,
    pub name: String,
    pub limits: KeyLimits,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Links checked on the day asked.
    pub links: u64,
    /// Fresh look-ups spent on the day asked.
    pub lookups: u64,
}

/// What a key used on one day, to add to what the store has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    pub key_id: i64,
    /// Unix days (UTC).
    pub day: i64,
    pub links: u64,
    pub lookups: u64,
    /// Unix seconds.
    pub last_used: i64,
}

/// A held lock ([`Store::lock`]). Released by [`StoreLock::release`]; when dropped instead (a
/// cancelled task), a PostgreSQL lock's connection is closed, which releases it too.
pub struct StoreLock {
    inner: LockInner,
}

enum LockInner {
    Local(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>),
    Postgres(Box<postgres::AdvisoryLock>),
}

impl StoreLock {
    pub async fn release(self) {
        match self.inner {
            LockInner::Local(guard) => drop(guard),
            LockInner::Postgres(lock) => lock.release().await,
        }
    }
}

/// Opens the store the configuration names: PostgreSQL when `database_url` is set (migrated
/// under an advisory lock, pooled), else the SQLite file at `db_path`.
pub async fn open(
    database_url: Option<&str>,
    pool: postgres::PoolSettings,
    db_path: &std::path::Path,
) -> Result<SharedStore, StoreError> {
    if let Some(url) = database_url {
        return Ok(Arc::new(postgres::PgStore::open(url, pool).await?));
    }
    let path = db_path.to_path_buf();
    let catalog = tokio::task::spawn_blocking(move || Catalog::open(&path))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
    Ok(Arc::new(catalog))
}

/// Runs a SQLite call on the blocking pool.
async fn blocking<T: Send + 'static>(
    catalog: &Catalog,
    call: impl FnOnce(&Catalog) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let catalog = catalog.clone();
    tokio::task::spawn_blocking(move || call(&catalog))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

/// How often the embedded store asks whether another process committed (`PRAGMA data_version`):
/// an import run beside the server is seen within this time; in between, a remembered catalogue
/// answer costs no round trip.
pub const SQLITE_CHANGES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Catalog {
    /// Keeps what this process remembers of the catalogue true: at most every
    /// [`SQLITE_CHANGES_EVERY`], one `PRAGMA data_version` on the blocking pool; a change by
    /// another process forgets it all. Until the first read (or after a failed one) nothing is
    /// remembered.
    async fn watch_changes(&self) {
        let due = {
            let seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            seen.is_none_or(|(at, _)| at.elapsed() >= SQLITE_CHANGES_EVERY)
        };
        if !due {
            return;
        }
        match blocking(self, Catalog::data_version).await {
            Ok(version) => {
                let mut seen = self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let changed = seen.is_none_or(|(_, before)| before != version);
                *seen = Some((tokio::time::Instant::now(), version));
                drop(seen);
                if changed || !self.remembered.is_valid() {
                    self.remembered.set_valid(true);
                }
            }
            Err(_) => self.remembered.set_valid(false),
        }
    }
}

#[async_trait]
impl Store for Catalog {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.place)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        blocking(self, |c| c.has_entries().map(drop)).await
    }

    async fn schema_version(&self) -> Result<usize, StoreError> {
        blocking(self, Catalog::schema_version).await
    }

    async fn has_entries(&self) -> Result<bool, StoreError> {
        self.watch_changes().await;
        if let Some(known) = self.remembered.has_entries() {
            return Ok(known);
        }
        let generation = self.remembered.usable();
        let any = blocking(self, Catalog::has_entries).await?;
        self.remembered.remember_has_entries(generation, any);
        Ok(any)
    }

    async fn counts(&self) -> Result<(u64, u64), StoreError> {
        blocking(self, Catalog::counts).await
    }

    async fn lookup_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Entry>, StoreError> {
        self.watch_changes().await;
        let generation = self.remembered.usable();
        let mut out = HashMap::new();
        let ask = self.remembered.split(generation, kind, ids, &mut out);
        if ask.is_empty() {
            return Ok(out);
        }
        let wanted: Vec<String> = ask.iter().map(|id| (*id).clone()).collect();
        let found = blocking(self, move |c| c.lookup_many(kind, &wanted)).await?;
        self.remembered.remember(generation, kind, &ask, &found);
        out.extend(found);
        Ok(out)
    }

    async fn store_api_answers(
        &self,
        country: &str,
        answers: &[(String, Option<ApiProduct>)],
        now: i64,
    ) -> Result<(), StoreError> {
        let (country, answers) = (country.to_string(), answers.to_vec());
        blocking(self, move |c| c.store_api_answers(&country, &answers, now)).await
    }

    async fn api_answers(
        &self,
        country: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<ApiProduct>>, StoreError> {
        let (country, ids) = (country.to_string(), ids.to_vec());
        blocking(self, move |c| c.api_answers(&country, &ids, not_before)).await
    }

    async fn forget_answers_before(&self, before: i64) -> Result<usize, StoreError> {
        blocking(self, move |c| c.forget_api_answers_before(before)).await
    }

    async fn store_network_answers(
        &self,
        source: &str,
        answers: &[(String, Option<NetworkFacts>)],
        at: i64,
    ) -> Result<(), StoreError> {
        let (source, answers) = (source.to_string(), answers.to_vec());
        blocking(self, move |c| {
            c.store_network_answers(&source, &answers, at)
        })
        .await
    }

    async fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<NetworkFacts>>, StoreError> {
        let (source, ids) = (source.to_string(), ids.to_vec());
        blocking(self, move |c| c.network_answers(&source, &ids, not_before)).await
    }

    async fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let (source, access, refresh) =
            (source.to_string(), access.to_string(), refresh.to_string());
        blocking(self, move |c| {
            c.save_tokens(&source, &access, &refresh, expires_at)
        })
        .await
    }

    async fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError> {
        let source = source.to_string();
        blocking(self, move |c| c.load_tokens(&source)).await
    }

    async fn lock(&self, name: &str, wait: std::time::Duration) -> Result<StoreLock, StoreError> {
        let mutex = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name.to_string())
            .or_default()
            .clone();
        let guard = tokio::time::timeout(wait, mutex.lock_owned())
            .await
            .map_err(|_| StoreError::Timeout("waiting for a lock"))?;
        Ok(StoreLock {
            inner: LockInner::Local(guard),
        })
    }

    async fn import(
        &self,
        feed: Box<dyn Read + Send>,
        now: i64,
    ) -> Result<ImportReport, ImportError> {
        let catalog = self.clone();
        tokio::task::spawn_blocking(move || catalog.import(feed, now))
            .await
            .map_err(|e| ImportError::Unreadable(format!("the import's task failed: {e}")))?
    }

    async fn add_key(&self, key: &NewKey) -> Result<i64, StoreError> {
        let key = key.clone();
        blocking(self, move |c| c.add_key(&key)).await
    }

    async fn find_key(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        let hash = hash.to_string();
        blocking(self, move |c| c.find_key(&hash)).await
    }

    async fn list_keys(&self, day: i64) -> Result<Vec<KeyListing>, StoreError> {
        blocking(self, move |c| c.list_keys(day)).await
    }

    async fn revoke_key(&self, name: &str, at: i64) -> Result<bool, StoreError> {
        let name = name.to_string();
        blocking(self, move |c| c.revoke_key(&name, at)).await
    }

    async fn add_key_usage(&self, usage: &KeyUsage) -> Result<(), StoreError> {
        let usage = *usage;
        blocking(self, move |c| c.add_key_usage(&usage)).await
    }
}
