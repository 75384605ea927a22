//! The embedded store (SQLite at `LINKSMITH_DB`, the default): the catalogue (what webmasters know
//! from their network: products and stores with a status, rate and category, and when it was
//! learnt), the sources' remembered answers and the networks' tokens. It implements
//! [`super::store::Store`]; the feed reader here serves both stores' imports.

use std::{
    collections::HashMap,
    io::Read,
    path::Path,
    sync::{Arc, Mutex},
};

use rusqlite::{params, Connection, OptionalExtension};

use super::open_platform::ApiProduct;
use super::store::{KeyLimits, KeyListing, KeyRecord, KeyUsage, NewKey};
use crate::domain::{country::Country, link::path, rates::Status, sources::NetworkFacts};

/// Schema migrations (migrations/sqlite/, one file per version), applied in order;
/// `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_catalog.sql"),
    include_str!("../../migrations/sqlite/0002_api_cache.sql"),
    include_str!("../../migrations/sqlite/0003_network_facts.sql"),
    include_str!("../../migrations/sqlite/0004_tokens.sql"),
    include_str!("../../migrations/sqlite/0005_network_answers.sql"),
    include_str!("../../migrations/sqlite/0006_api_keys.sql"),
];

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

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub status: Status,
    pub rate: Option<f64>,
    pub category: Option<String>,
    pub tmall: Option<bool>,
    pub ships_from: Option<Country>,
    pub store_country: Option<Country>,
    /// Unix seconds.
    pub learnt_at: i64,
}

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

/// A catalogue status as a feed writes it: the contract's names, `zero_commission` and
/// `no_commission` alike, `hot` for short; case, `-` and spaces do not matter.
fn status_from_feed(text: &str) -> Option<Status> {
    match text.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
        "hot_sale" | "hot" => Some(Status::HotSale),
        "affiliate" => Some(Status::Affiliate),
        "non_affiliate" => Some(Status::NonAffiliate),
        "no_commission" | "zero_commission" => Some(Status::ZeroCommission),
        _ => None,
    }
}

/// The embedded store. SQLite calls are short; on the async runtime the [`super::store::Store`]
/// methods run them on the blocking pool. Clones share the one connection.
#[derive(Clone)]
pub struct Catalog {
    conn: Arc<Mutex<Connection>>,
    /// Where it lives (for the logs): a path, or `memory`.
    pub(crate) place: Arc<str>,
    /// Named locks ([`super::store::Store::lock`]): one process owns an embedded store.
    pub(crate) locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// What this process remembers of the catalogue ([`super::store::remembered`]).
    pub(crate) remembered: Arc<super::store::remembered::CatalogCache>,
    /// Other processes' commits, as `PRAGMA data_version` last showed them, and when it was read.
    pub(crate) seen: Arc<Mutex<Option<(tokio::time::Instant, i64)>>>,
}

impl Catalog {
    /// Opens (creating the file and its folder) and migrates the store.
    pub fn open(path: &Path) -> Result<Catalog, StoreError> {
        let fail = |reason: String| StoreError::Open {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        Catalog::init(conn, &path.display().to_string()).map_err(|e| match e {
            StoreError::Sqlite(e) => fail(e.to_string()),
            other => other,
        })
    }

    /// A store in memory (tests, tools).
    pub fn in_memory() -> Result<Catalog, StoreError> {
        Catalog::init(Connection::open_in_memory()?, "memory")
    }

    fn init(mut conn: Connection, place: &str) -> Result<Catalog, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(2))?;
        let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        // A newer binary's tables may mean something this one would misread or overwrite.
        if applied > MIGRATIONS.len() {
            return Err(StoreError::NewerSchema {
                found: applied,
                known: MIGRATIONS.len(),
            });
        }
        let tx = conn.transaction()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
        }
        tx.commit()?;
        Ok(Catalog {
            conn: Arc::new(Mutex::new(conn)),
            place: place.into(),
            locks: Arc::default(),
            remembered: Arc::default(),
            seen: Arc::default(),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub fn lookup(&self, kind: Kind, id: &str) -> Result<Option<Entry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT status, rate, category, learnt_at, tmall, ships_from, store_country
             FROM catalog WHERE kind = ?1 AND id = ?2",
        )?;
        let row = stmt
            .query_row(params![kind.as_str(), id], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<f64>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ),
                    (
                        r.get::<_, Option<bool>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ),
                ))
            })
            .optional()?;
        let country = |column: &str, code: Option<String>| country_of(kind, id, column, code);
        row.map(
            |((status, rate, category, learnt_at), (tmall, ships_from, store_country))| {
                Ok(Entry {
                    status: status_from_db(kind, id, &status)?,
                    rate,
                    category,
                    tmall,
                    ships_from: country("ships_from", ships_from)?,
                    store_country: country("store_country", store_country)?,
                    learnt_at,
                })
            },
        )
        .transpose()
    }

    /// The entries of many ids of one kind (the ids not in the catalogue are left out).
    pub fn lookup_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Entry>, StoreError> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            if let Some(entry) = self.lookup(kind, id)? {
                out.insert(id.clone(), entry);
            }
        }
        Ok(out)
    }

    /// Remembers what the API said of products for a delivery country (`None`: not in the programme).
    pub fn store_api_answers(
        &self,
        country: &str,
        answers: &[(String, Option<ApiProduct>)],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO api_cache (product_id, country, found, commission, hot, title, image_url, category, shop_id, fetched_at, tmall)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for (id, answer) in answers {
                match answer {
                    Some(p) => put.execute(params![
                        id,
                        country,
                        1,
                        p.commission_rate,
                        p.hot_commission_rate,
                        p.title,
                        p.image_url,
                        p.category,
                        p.shop_id,
                        now,
                        p.tmall
                    ])?,
                    None => put.execute(params![
                        id,
                        country,
                        0,
                        None::<f64>,
                        None::<f64>,
                        None::<String>,
                        None::<String>,
                        None::<String>,
                        None::<String>,
                        now,
                        None::<bool>
                    ])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The API's remembered answers learnt after `not_before`, by product id.
    pub fn api_answers(
        &self,
        country: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<(String, Option<ApiProduct>, i64)>, StoreError> {
        let conn = self.conn();
        let mut get = conn.prepare_cached(
            "SELECT found, commission, hot, title, image_url, category, shop_id, tmall, fetched_at FROM api_cache
             WHERE product_id = ?1 AND country = ?2 AND fetched_at > ?3",
        )?;
        let mut out = Vec::new();
        for id in ids {
            let row = get
                .query_row(params![id, country, not_before], |r| {
                    let found: bool = r.get(0)?;
                    let at: i64 = r.get(8)?;
                    Ok((
                        found.then(|| -> rusqlite::Result<ApiProduct> {
                            Ok(ApiProduct {
                                product_id: id.clone(),
                                commission_rate: r.get(1)?,
                                hot_commission_rate: r.get(2)?,
                                title: r.get(3)?,
                                image_url: r.get(4)?,
                                category: r.get(5)?,
                                shop_id: r.get(6)?,
                                tmall: r.get(7)?,
                            })
                        }),
                        at,
                    ))
                })
                .optional()?;
            if let Some((answer, at)) = row {
                out.push((id.clone(), answer.transpose()?, at));
            }
        }
        Ok(out)
    }

    /// Forgets the API's answers learnt before `before` (they are no longer used); returns how
    /// many were dropped. Keeps the store from growing without bound under many distinct ids.
    pub fn forget_api_answers_before(&self, before: i64) -> Result<usize, StoreError> {
        let conn = self.conn();
        let api = conn.execute("DELETE FROM api_cache WHERE fetched_at < ?1", [before])?;
        let networks =
            conn.execute("DELETE FROM network_answers WHERE learnt_at < ?1", [before])?;
        Ok(api + networks)
    }

    /// Remembers what a network (`epn`, `admitad`) said of products (`None`: it does not know it).
    pub fn store_network_answers(
        &self,
        source: &str,
        answers: &[(String, Option<NetworkFacts>)],
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO network_answers (source, product_id, known, status, exact, hot, title, image_url, learnt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (id, facts) in answers {
                match facts {
                    Some(f) => put.execute(params![
                        source,
                        id,
                        1,
                        status_to_db(f.status),
                        f.exact_percent,
                        f.hot_percent,
                        f.title,
                        f.image_url,
                        at
                    ])?,
                    None => put.execute(params![
                        source,
                        id,
                        0,
                        None::<String>,
                        None::<f64>,
                        None::<f64>,
                        None::<String>,
                        None::<String>,
                        at
                    ])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A network's remembered answers learnt after `not_before`: (id, facts or unknown, when).
    pub fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<(String, Option<NetworkFacts>, i64)>, StoreError> {
        let conn = self.conn();
        let mut get = conn.prepare_cached(
            "SELECT known, status, exact, hot, title, image_url, learnt_at FROM network_answers
             WHERE source = ?1 AND product_id = ?2 AND learnt_at > ?3",
        )?;
        let mut out = Vec::new();
        for id in ids {
            let row = get
                .query_row(params![source, id, not_before], |r| {
                    Ok((
                        r.get::<_, bool>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                })
                .optional()?;
            let Some((known, status, exact, hot, title, image_url, at)) = row else {
                continue;
            };
            let facts = if known {
                let status = status_from_db(Kind::Product, id, status.as_deref().unwrap_or(""))?;
                Some(NetworkFacts {
                    status,
                    exact_percent: exact,
                    hot_percent: hot,
                    title,
                    image_url,
                })
            } else {
                None
            };
            out.push((id.clone(), facts, at));
        }
        Ok(out)
    }

    /// Keeps a network's session tokens (replacing the ones kept).
    pub fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        conn.execute(
            "INSERT OR REPLACE INTO tokens (source, access, refresh, expires_at, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![source, access, refresh, expires_at, now],
        )?;
        Ok(())
    }

    /// A network's kept session tokens: (access, refresh, expires_at).
    pub fn load_tokens(
        &self,
        source: &str,
    ) -> Result<Option<(String, String, Option<i64>)>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT access, refresh, expires_at FROM tokens WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// Whether the catalogue holds any product or store (stops at the first row).
    pub fn has_entries(&self) -> Result<bool, StoreError> {
        let conn = self.conn();
        Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM catalog)", [], |r| r.get(0))?)
    }

    /// How many products and stores the catalogue holds.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        let conn = self.conn();
        let count = |kind: &str| {
            conn.query_row(
                "SELECT COUNT(*) FROM catalog WHERE kind = ?1",
                [kind],
                |r| r.get::<_, u64>(0),
            )
        };
        Ok((count("product")?, count("store")?))
    }

    /// Imports a CSV feed in one transaction; bad rows are reported with their line and skipped;
    /// a row for a known product or store updates it.
    pub fn import(&self, feed: impl Read, now: i64) -> Result<ImportReport, ImportError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let report = {
            let mut insert = tx
                .prepare(
                    "INSERT INTO catalog (kind, id, status, rate, category, learnt_at, tmall, ships_from, store_country)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, rate = excluded.rate,
                     category = excluded.category, learnt_at = excluded.learnt_at, tmall = excluded.tmall,
                     ships_from = excluded.ships_from, store_country = excluded.store_country",
                )
                .map_err(StoreError::from)?;
            read_feed(feed, |row| {
                insert.execute(params![
                    row.kind.as_str(),
                    row.id,
                    status_to_db(row.status),
                    row.rate,
                    row.category,
                    now,
                    row.tmall,
                    row.ships_from.as_ref().map(Country::code),
                    row.store_country.as_ref().map(Country::code)
                ])?;
                Ok(())
            })?
        };
        tx.commit().map_err(StoreError::from)?;
        // This connection's own commits do not move `data_version`: forget here.
        self.remembered.forget();
        Ok(report)
    }

    /// `PRAGMA data_version`: changes when another connection (another process: an import run
    /// beside the server) commits to the database.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        let conn = self.conn();
        Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }
}

/// A stored limit: a positive number that fits a `u32`, else none (the server's).
fn limit_from_db(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
}

/// API keys (the [`super::store::Store`] key methods; `linksmith keys`).
impl Catalog {
    pub fn add_key(&self, key: &NewKey) -> Result<i64, StoreError> {
        let conn = self.conn();
        let limits = key.limits;
        let inserted = conn.execute(
            "INSERT INTO api_keys (name, hash, links_per_second, burst, lookups_per_hour, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                key.name,
                key.hash,
                limits.links_per_second,
                limits.burst,
                limits.lookups_per_hour,
                key.created_at
            ],
        );
        match inserted {
            Ok(_) => Ok(conn.last_insert_rowid()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::KeyExists(key.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn find_key(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, links_per_second, burst, lookups_per_hour, revoked_at
             FROM api_keys WHERE hash = ?1",
        )?;
        Ok(stmt
            .query_row([hash], |r| {
                Ok(KeyRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    limits: KeyLimits {
                        links_per_second: limit_from_db(r.get(2)?),
                        burst: limit_from_db(r.get(3)?),
                        lookups_per_hour: limit_from_db(r.get(4)?),
                    },
                    revoked: r.get::<_, Option<i64>>(5)?.is_some(),
                })
            })
            .optional()?)
    }

    pub fn list_keys(&self, day: i64) -> Result<Vec<KeyListing>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT k.id, k.name, k.links_per_second, k.burst, k.lookups_per_hour, k.created_at,
                    k.last_used_at, k.revoked_at, COALESCE(u.links, 0), COALESCE(u.lookups, 0)
             FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = ?1
             ORDER BY k.id",
        )?;
        let rows = stmt.query_map([day], |r| {
            Ok(KeyListing {
                id: r.get(0)?,
                name: r.get(1)?,
                limits: KeyLimits {
                    links_per_second: limit_from_db(r.get(2)?),
                    burst: limit_from_db(r.get(3)?),
                    lookups_per_hour: limit_from_db(r.get(4)?),
                },
                created_at: r.get(5)?,
                last_used_at: r.get(6)?,
                revoked_at: r.get(7)?,
                links: r.get::<_, i64>(8)?.max(0) as u64,
                lookups: r.get::<_, i64>(9)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn revoke_key(&self, name: &str, at: i64) -> Result<bool, StoreError> {
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )?;
        Ok(changed > 0)
    }

    pub fn add_key_usage(&self, usage: &KeyUsage) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let links = i64::try_from(usage.links).unwrap_or(i64::MAX);
        let lookups = i64::try_from(usage.lookups).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO api_key_usage (key_id, day, links, lookups) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key_id, day) DO UPDATE SET links = links + excluded.links,
               lookups = lookups + excluded.lookups",
            params![usage.key_id, usage.day, links, lookups],
        )?;
        tx.execute(
            "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), ?2) WHERE id = ?1",
            params![usage.key_id, usage.last_used],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Reads a CSV feed, handing each good row to `put` (a store's insert) and reporting each bad
/// row with its line; stops at the first error of `put` or of the file itself.
///
/// Memory is bounded whatever the feed: it is read one line at a time (a line over
/// [`MAX_LINE_BYTES`] is passed over and reported as a skipped row, never held whole), no state
/// is kept per line, and of the rows skipped only the first [`SKIPPED_SAMPLE`] are kept with
/// their line and reason; the others are counted by reason.
pub fn read_feed(
    feed: impl Read,
    mut put: impl FnMut(Row) -> Result<(), StoreError>,
) -> Result<ImportReport, ImportError> {
    let mut records = Records::new(feed);
    // The header: the first record that is not blank.
    let header: Vec<String> = loop {
        match records.next()? {
            None => break Vec::new(),
            Some(Record::TooLong { line }) => {
                return Err(ImportError::Unreadable(format!(
                "line {line} is over {} KiB: this is not a catalogue (a header row is required)",
                MAX_LINE_BYTES / 1024
            )))
            }
            Some(Record::NotUtf8 { line }) => {
                return Err(ImportError::Unreadable(format!(
                    "the header row (line {line}) is not UTF-8 text"
                )))
            }
            Some(Record::Fields { fields, .. }) => {
                if fields.blank() {
                    continue;
                }
                break fields.iter().map(str::to_string).collect();
            }
        }
    };
    let columns = Columns::from_header(&header)?;
    let mut report = ImportReport::default();
    loop {
        let record = records.next()?;
        let (line, fields) = match record {
            None => break,
            Some(Record::TooLong { line }) => {
                report.skip(line, SkipReason::TooLong, || {
                    format!(
                        "the row is over {} KiB (a quote left open?): not a catalogue row",
                        MAX_LINE_BYTES / 1024
                    )
                });
                continue;
            }
            Some(Record::NotUtf8 { line }) => {
                report.skip(line, SkipReason::NotUtf8, || {
                    "the row is not UTF-8 text".into()
                });
                continue;
            }
            Some(Record::Fields { line, fields }) => (line, fields),
        };
        if fields.blank() {
            continue;
        }
        if fields.len() > header.len() {
            report.skip(line, SkipReason::Fields, || {
                format!(
                    "the row has {} fields, the header names {}",
                    fields.len(),
                    header.len()
                )
            });
            continue;
        }
        match columns.row(&fields) {
            Ok(row) => {
                let kind = row.kind;
                put(row)?;
                match kind {
                    Kind::Product => report.products += 1,
                    Kind::Store => report.stores += 1,
                }
            }
            Err(bad) => report.skip(line, bad.reason, || bad.sentence()),
        }
    }
    Ok(report)
}

/// The longest line a feed may have: a row is a few hundred bytes; a longer line is not a
/// catalogue row (and reading it whole would hold it all in memory). A row whose quoted field
/// runs over several lines is held to the same length in all.
pub const MAX_LINE_BYTES: u64 = 64 * 1024;

/// How many skipped rows an import keeps with their line and reason (the rest are counted).
pub const SKIPPED_SAMPLE: usize = 100;

/// What [`Records`] read.
enum Record<'a> {
    /// A record and the line it starts on.
    Fields { line: u64, fields: Fields<'a> },
    /// A line (or a record over several lines) over [`MAX_LINE_BYTES`], passed over.
    TooLong { line: u64 },
    /// A record whose bytes are not UTF-8.
    NotUtf8 { line: u64 },
}

/// One record's fields, trimmed.
struct Fields<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end).map(str::trim)
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Every field empty (a line of spaces or commas): not a row.
    fn blank(&self) -> bool {
        self.iter().all(str::is_empty)
    }
}

/// Reads a feed's CSV records with the line each starts on, one physical line at a time: csv-core
/// parses what it is given (quotes, doubled quotes, CRLF, a UTF-8 BOM, blank lines), and nothing
/// is held beyond the current line and the current record (each at most [`MAX_LINE_BYTES`]).
struct Records<R> {
    lines: Lines<R>,
    core: csv_core::Reader,
    /// Bytes of the current line already given to the parser.
    at: usize,
    end_of_feed: bool,
    /// The current record's fields as written and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: Read> Records<R> {
    fn new(feed: R) -> Self {
        Records {
            lines: Lines::new(feed),
            core: csv_core::Reader::new(),
            at: 0,
            end_of_feed: false,
            out: vec![0; 1024],
            ends: vec![0; 16],
        }
    }

    /// The next record; an error when the feed itself cannot be read (a disk error): reading on
    /// would fail the same way.
    fn next(&mut self) -> Result<Option<Record<'_>>, ImportError> {
        use csv_core::ReadRecordResult as R;
        let (mut out_len, mut ends_len) = (0, 0);
        // Whether a byte of this record was read (blank lines before it are not), where it
        // started, and how many bytes it has taken so far.
        let (mut started, mut start_line, mut taken) = (false, 0, 0usize);
        loop {
            if self.at >= self.lines.buf.len() && !self.end_of_feed {
                self.at = 0;
                let read = self.lines.next().map_err(|e| {
                    ImportError::Unreadable(format!("near line {}: {e}", self.lines.number + 1))
                })?;
                match read {
                    Line::End => self.end_of_feed = true,
                    Line::Text => {}
                    Line::TooLong => {
                        // The line is passed over, and a record begun on earlier lines with it.
                        let line = if started {
                            start_line
                        } else {
                            self.lines.number
                        };
                        self.core.reset();
                        return Ok(Some(Record::TooLong { line }));
                    }
                }
            }
            let input: &[u8] = if self.end_of_feed {
                &[]
            } else {
                &self.lines.buf[self.at..]
            };
            if !started {
                start_line = self.lines.number;
            }
            let (result, read, written, ended) =
                self.core
                    .read_record(input, &mut self.out[out_len..], &mut self.ends[ends_len..]);
            if !started && input[..read].iter().any(|b| !matches!(b, b'\r' | b'\n')) {
                started = true;
            }
            self.at += read;
            out_len += written;
            ends_len += ended;
            if started {
                taken += read;
            }
            match result {
                R::InputEmpty => {
                    if taken as u64 > MAX_LINE_BYTES {
                        // A quoted field left open runs on: pass the record over, start afresh.
                        self.core.reset();
                        self.at = self.lines.buf.len();
                        return Ok(Some(Record::TooLong { line: start_line }));
                    }
                }
                R::OutputFull => {
                    let grown = self.out.len() * 2;
                    self.out.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                R::Record => {
                    let ends = &self.ends[..ends_len];
                    return Ok(Some(match std::str::from_utf8(&self.out[..out_len]) {
                        Ok(text) if ends.iter().all(|&e| text.is_char_boundary(e)) => {
                            Record::Fields {
                                line: start_line,
                                fields: Fields { text, ends },
                            }
                        }
                        _ => Record::NotUtf8 { line: start_line },
                    }));
                }
                R::End => return Ok(None),
            }
        }
    }
}

/// What [`Lines::next`] read.
enum Line {
    /// A line, in `buf` with its line end.
    Text,
    /// A line over [`MAX_LINE_BYTES`]: read through to its end and dropped.
    TooLong,
    End,
}

/// A feed's physical lines, one at a time, each held only up to [`MAX_LINE_BYTES`].
struct Lines<R> {
    inner: std::io::BufReader<R>,
    buf: Vec<u8>,
    /// The number of the line in `buf` (1 for the first).
    number: u64,
}

impl<R: Read> Lines<R> {
    fn new(feed: R) -> Self {
        Lines {
            inner: std::io::BufReader::with_capacity(64 * 1024, feed),
            buf: Vec::new(),
            number: 0,
        }
    }

    fn next(&mut self) -> std::io::Result<Line> {
        use std::io::BufRead;
        self.buf.clear();
        let (mut any, mut too_long) = (false, false);
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if (self.buf.len() + take) as u64 > MAX_LINE_BYTES {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(Line::End);
        }
        self.number += 1;
        Ok(if too_long { Line::TooLong } else { Line::Text })
    }
}

/// Text from a feed made safe to print on a terminal: control characters (escape sequences
/// among them) shown escaped, and at most 80 characters.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub products: u64,
    pub stores: u64,
    /// (line, reason) of the first [`SKIPPED_SAMPLE`] rows skipped.
    pub skipped: Vec<(u64, String)>,
    /// Every row skipped, counted by what was wrong with it.
    pub skipped_by_reason: std::collections::BTreeMap<SkipReason, u64>,
}

impl ImportReport {
    /// Counts a skipped row; keeps it with its line and sentence (made by `text`) while fewer
    /// than [`SKIPPED_SAMPLE`] are kept.
    fn skip(&mut self, line: u64, reason: SkipReason, text: impl FnOnce() -> String) {
        if self.skipped.len() < SKIPPED_SAMPLE {
            self.skipped.push((line, text()));
        }
        *self.skipped_by_reason.entry(reason).or_default() += 1;
    }

    /// How many rows were skipped in all.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped_by_reason.values().sum()
    }
}

/// What was wrong with a skipped row: a fixed set, so that counting them takes fixed memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// The line (or a record over several lines) is over [`MAX_LINE_BYTES`].
    TooLong,
    NotUtf8,
    /// More fields than the header names.
    Fields,
    Kind,
    Id,
    Status,
    Rate,
    Tmall,
    ShipsFrom,
    StoreCountry,
}

impl SkipReason {
    /// A few words for the report's counts.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::TooLong => "line over 64 KiB",
            SkipReason::NotUtf8 => "not UTF-8",
            SkipReason::Fields => "too many fields",
            SkipReason::Kind => "bad kind",
            SkipReason::Id => "bad id",
            SkipReason::Status => "bad status",
            SkipReason::Rate => "bad rate",
            SkipReason::Tmall => "bad tmall",
            SkipReason::ShipsFrom => "bad ships_from",
            SkipReason::StoreCountry => "bad store_country",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("the header row {0}")]
    Header(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The columns of a feed, found by name in the header row.
struct Columns {
    kind: usize,
    id: usize,
    status: usize,
    rate: Option<usize>,
    category: Option<usize>,
    tmall: Option<usize>,
    ships_from: Option<usize>,
    store_country: Option<usize>,
}

/// A good row of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: Kind,
    pub id: String,
    pub status: Status,
    pub rate: Option<f64>,
    pub category: Option<String>,
    pub tmall: Option<bool>,
    pub ships_from: Option<Country>,
    pub store_country: Option<Country>,
}

/// The feed's columns: the first three are required, the others optional.
pub const COLUMNS: &[&str] = &[
    "kind",
    "id",
    "status",
    "rate",
    "category",
    "tmall",
    "ships_from",
    "store_country",
];

impl Columns {
    fn from_header(header: &[String]) -> Result<Columns, ImportError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        for h in header {
            if !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h.trim())) {
                return Err(ImportError::Header(format!(
                    "has an unknown column \"{}\": the columns are {} (a header row is required)",
                    printable(h),
                    COLUMNS.join(", ")
                )));
            }
        }
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                ImportError::Header(format!(
                    "has no \"{name}\" column: the first row must name the columns {}",
                    COLUMNS.join(", ")
                ))
            })
        };
        Ok(Columns {
            kind: need("kind")?,
            id: need("id")?,
            status: need("status")?,
            rate: find("rate"),
            category: find("category"),
            tmall: find("tmall"),
            ships_from: find("ships_from"),
            store_country: find("store_country"),
        })
    }

    fn row<'a>(&self, r: &Fields<'a>) -> Result<Row, Bad<'a>> {
        let get = |i: usize| r.get(i).unwrap_or("");
        let bad = |reason, value, kind| Bad {
            reason,
            value,
            kind,
        };
        let kind = match get(self.kind).to_ascii_lowercase().as_str() {
            "product" => Kind::Product,
            "store" => Kind::Store,
            _ => return Err(bad(SkipReason::Kind, get(self.kind), Kind::Product)),
        };
        let id = get(self.id);
        // The link engine's id rules: a catalogue row matches exactly the links that name it.
        let fits = match kind {
            Kind::Product => path::valid_product_id(id),
            Kind::Store => path::valid_store_id(id),
        };
        if !fits {
            return Err(bad(SkipReason::Id, id, kind));
        }
        let raw_status = get(self.status);
        let Some(status) = status_from_feed(raw_status) else {
            return Err(bad(SkipReason::Status, raw_status, kind));
        };
        let rate = match self.rate.map(get).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => match text
                .trim_end_matches('%')
                .trim()
                .replace(',', ".")
                .parse::<f64>()
            {
                Ok(v) if v.is_finite() && (0.0..=100.0).contains(&v) => Some(v),
                _ => return Err(bad(SkipReason::Rate, text, kind)),
            },
        };
        let category = self.category.map(get).filter(|s| !s.is_empty());
        let tmall = match self.tmall.map(get) {
            None | Some("") => None,
            Some(t)
                if ["true", "1", "yes"]
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w)) =>
            {
                Some(true)
            }
            Some(t)
                if ["false", "0", "no"]
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w)) =>
            {
                Some(false)
            }
            Some(t) => return Err(bad(SkipReason::Tmall, t, kind)),
        };
        let country = |reason: SkipReason, at: Option<usize>| -> Result<Option<Country>, Bad<'a>> {
            match at.map(get).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(code) => Country::parse(code)
                    .map(Some)
                    .map_err(|_| bad(reason, code, kind)),
            }
        };
        Ok(Row {
            kind,
            id: id.to_string(),
            status,
            rate,
            category: category.map(str::to_string),
            tmall,
            ships_from: country(SkipReason::ShipsFrom, self.ships_from)?,
            store_country: country(SkipReason::StoreCountry, self.store_country)?,
        })
    }
}

/// A bad row: what was wrong and the text at fault. Its sentence is made only when the report
/// keeps it (the first [`SKIPPED_SAMPLE`]), not for every bad row of a large feed.
struct Bad<'a> {
    reason: SkipReason,
    value: &'a str,
    kind: Kind,
}

impl Bad<'_> {
    fn sentence(&self) -> String {
        let shown = printable(self.value);
        match self.reason {
            SkipReason::Kind => format!(
                "kind \"{}\" is not product or store",
                printable(&self.value.to_ascii_lowercase())
            ),
            SkipReason::Id => format!(
                "id \"{shown}\" is not a {} id ({})",
                self.kind.as_str(),
                match self.kind {
                    Kind::Product => "10 to 16 digits",
                    Kind::Store => "3 to 12 digits",
                }
            ),
            SkipReason::Status => format!(
                "status \"{shown}\" is not one of hot_sale, affiliate, non_affiliate, zero_commission (or no_commission)"
            ),
            SkipReason::Rate => format!("rate \"{shown}\" is not a percentage from 0 to 100"),
            SkipReason::Tmall => format!(
                "tmall \"{}\" is not true or false (leave it empty when unknown)",
                printable(&self.value.to_ascii_lowercase())
            ),
            SkipReason::ShipsFrom | SkipReason::StoreCountry => format!(
                "{} \"{shown}\" is not a two-letter ISO country code, such as RU or CN",
                if self.reason == SkipReason::ShipsFrom {
                    "ships_from"
                } else {
                    "store_country"
                }
            ),
            SkipReason::TooLong | SkipReason::NotUtf8 | SkipReason::Fields => {
                self.reason.label().to_string()
            }
        }
    }
}
