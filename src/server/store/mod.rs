//! Everything the server keeps, behind one interface: the catalogue, the sources' remembered
//! answers with their times, the networks' tokens, the schema's version, and named locks that
//! hold across instances. Two implementations: the embedded SQLite store ([`Catalog`], the
//! default, `LINKSMITH_DB`, in [`sqlite`]) and PostgreSQL ([`postgres::PgStore`],
//! `LINKSMITH_DATABASE_URL`), so that several instances share what any of them learnt. Both
//! import a CSV catalogue through the one reader in [`import`], and remember catalogue look-ups
//! in the same way ([`remembered`]).

use std::{collections::HashMap, io::Read, sync::Arc};

use async_trait::async_trait;

pub use chats::{ChatSettings, Watch, Watched};
pub use import::{
    printable, read_feed, ImportError, ImportReport, Row, SkipReason, COLUMNS, MAX_LINE_BYTES,
    SKIPPED_SAMPLE,
};
pub use sqlite::Catalog;

use crate::domain::sources::ApiProduct;
use crate::domain::{
    country::Country,
    rates::Status,
    sources::{CatalogFacts, NetworkFacts, Said},
};

pub mod chats;
pub mod import;
pub mod postgres;
pub mod remembered;
pub mod sqlite;

/// Why the store failed: the same for both stores (their own errors are kept as text or as the
/// SQLite error).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the store {path}: {reason}. Set LINKSMITH_DB to a writable file path")]
    Open { path: String, reason: String },
    #[error(
        "the store was written by a newer Linksmith (schema version {found}; this one knows up to {known}). \
         Run the newer version, or point LINKSMITH_DB at another file"
    )]
    NewerSchema { found: usize, known: usize },
    #[error("the store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("LINKSMITH_DATABASE_URL {0}")]
    BadUrl(String),
    #[error("could not reach PostgreSQL at {target}: {reason}. Check LINKSMITH_DATABASE_URL and that the database server is running")]
    Connect { target: String, reason: String },
    #[error("the database failed: {0}")]
    Postgres(String),
    #[error("the database did not answer in time ({0})")]
    Timeout(&'static str),
    #[error("the store's task stopped: {0}")]
    Task(String),
    #[error("the store holds a row Linksmith cannot read ({row}): {problem}. Import the feed again, or remove the row")]
    BadRow { row: String, problem: String },
    #[error("a key named \"{0}\" is in use already: choose another name, or revoke it first (linksmith keys revoke {0})")]
    KeyExists(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Product,
    Store,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Store => "store",
        }
    }
}

/// A catalogue entry: the domain's catalogue facts and when the import learnt them.
pub type Entry = Said<CatalogFacts>;

/// A status as the store keeps it: `no_commission` is the store's word for zero commission.
pub(crate) fn status_to_db(status: Status) -> &'static str {
    match status {
        Status::ZeroCommission => "no_commission",
        other => other.as_str(),
    }
}

/// Reads a stored status into the domain's type; a value the schema's check would have refused
/// is a broken store, named by its row.
pub(crate) fn status_from_db(kind: Kind, id: &str, s: &str) -> Result<Status, StoreError> {
    match s {
        "hot_sale" => Ok(Status::HotSale),
        "affiliate" => Ok(Status::Affiliate),
        "non_affiliate" => Ok(Status::NonAffiliate),
        "no_commission" => Ok(Status::ZeroCommission),
        other => Err(StoreError::BadRow {
            row: format!("catalog {} {id}", kind.as_str()),
            problem: format!("unknown status \"{}\"", printable(other)),
        }),
    }
}

/// Reads a stored country code into the domain's type; one the schema's check would have refused
/// is a broken store, named by its row.
pub(crate) fn country_of(
    kind: Kind,
    id: &str,
    column: &str,
    code: Option<String>,
) -> Result<Option<Country>, StoreError> {
    code.map(|c| {
        Country::parse(&c).map_err(|_| StoreError::BadRow {
            row: format!("catalog {} {id}", kind.as_str()),
            problem: format!("{column} \"{}\" is not a country code", printable(&c)),
        })
    })
    .transpose()
}

/// The store every part of the server uses.
pub type SharedStore = Arc<dyn Store>;

/// A store shows where it is ([`Store::describe`]: never a password), so that what holds one
/// may derive `Debug`.
impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A network's kept session tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    /// Unix seconds, where the network said.
    pub expires_at: Option<i64>,
}

/// A source's answer for one product as the store remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered<T> {
    pub id: String,
    /// `None`: the source said it does not know the product (or it is not in the programme).
    pub facts: Option<T>,
    /// When it was learnt, unix seconds.
    pub at: i64,
}

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

    /// Keeps a network's session tokens (replacing the ones kept), saved at `saved_at` (unix
    /// seconds, the server's clock).
    async fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
        saved_at: i64,
    ) -> Result<(), StoreError>;

    /// A network's kept session tokens.
    async fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError>;

    /// Holds the lock `name` until the guard is released or dropped, waiting at most `wait` for
    /// it: across every instance on the store (PostgreSQL's advisory locks), or within this
    /// process (SQLite, which one process owns).
    async fn lock(&self, name: &str, wait: std::time::Duration) -> Result<StoreLock, StoreError>;

    /// Imports a CSV feed in one transaction (see [`import::read_feed`]).
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

    /// A Telegram chat's settings (all `None` when it has none).
    async fn chat_settings(&self, chat: i64) -> Result<ChatSettings, StoreError>;

    /// Keeps a chat's settings (replacing them; settings with nothing set are no row).
    async fn save_chat_settings(
        &self,
        chat: i64,
        settings: &ChatSettings,
        at: i64,
    ) -> Result<(), StoreError>;

    /// Removes everything kept for a chat: its settings and its watches.
    async fn forget_chat(&self, chat: i64) -> Result<(), StoreError>;

    /// Watches a product for a chat, unless it does already or watches `limit` products.
    async fn add_watch(&self, watch: &Watch, limit: usize) -> Result<Watched, StoreError>;

    /// A chat's watches, oldest first.
    async fn watches(&self, chat: i64) -> Result<Vec<Watch>, StoreError>;

    /// Stops watching a product (every country), or every product (`None`); how many were removed.
    async fn unwatch(&self, chat: i64, product_id: Option<&str>) -> Result<usize, StoreError>;

    /// At most `limit` watches last checked at or before `checked_before`, the longest unchecked
    /// first.
    async fn due_watches(
        &self,
        checked_before: i64,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError>;

    /// Keeps each watch's last answer and check time (watches removed meanwhile stay removed).
    async fn save_watch_checks(&self, watches: &[Watch]) -> Result<(), StoreError>;
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
    pub(crate) inner: LockInner,
}

pub(crate) enum LockInner {
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
