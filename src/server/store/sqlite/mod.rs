//! The embedded store (SQLite at `LINKSMITH_DB`, the default): the catalogue (what webmasters know
//! from their network: products and stores with a status, rate and category, and when it was
//! learnt), the sources' remembered answers and the networks' tokens. Its calls are synchronous
//! and short; [`interface`] implements [`super::Store`] over them on the blocking pool.

use std::{
    collections::HashMap,
    io::Read,
    path::Path,
    sync::{Arc, Mutex},
};

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    country_of,
    import::{read_feed, ImportError, ImportReport},
    status_from_db, status_to_db, Entry, Kind, Remembered, StoreError, Tokens,
};
use crate::domain::{
    country::Country,
    date::Timestamp,
    sources::{ApiProduct, CatalogFacts, NetworkFacts},
};

mod chats;
mod interface;
mod keys;

pub use interface::SQLITE_CHANGES_EVERY;

/// `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../../migrations/sqlite/0001_catalog.sql"),
    include_str!("../../../../migrations/sqlite/0002_api_cache.sql"),
    include_str!("../../../../migrations/sqlite/0003_network_facts.sql"),
    include_str!("../../../../migrations/sqlite/0004_tokens.sql"),
    include_str!("../../../../migrations/sqlite/0005_network_answers.sql"),
    include_str!("../../../../migrations/sqlite/0006_api_keys.sql"),
    include_str!("../../../../migrations/sqlite/0007_telegram.sql"),
];

/// The embedded store. SQLite calls are short; on the async runtime the [`super::Store`]
/// methods run them on the blocking pool. Clones share the one connection.
#[derive(Clone)]
pub struct Catalog {
    conn: Arc<Mutex<Connection>>,
    /// Where it lives (for the logs): a path, or `memory`.
    pub(crate) place: Arc<str>,
    /// Named locks ([`super::Store::lock`]): one process owns an embedded store.
    pub(crate) locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// What this process remembers of the catalogue ([`super::remembered`]).
    pub(crate) remembered: Arc<super::remembered::CatalogCache>,
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
                Ok(Entry::new(
                    CatalogFacts {
                        status: status_from_db(kind, id, &status)?,
                        rate,
                        category,
                        tmall,
                        ships_from: country("ships_from", ships_from)?,
                        store_country: country("store_country", store_country)?,
                    },
                    Timestamp(learnt_at),
                ))
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
        self.save_answers(
            "INSERT OR REPLACE INTO api_cache (product_id, country, found, commission, hot, title, image_url, category, shop_id, fetched_at, tmall)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            answers,
            |put, id, p| {
                put.execute(params![
                    id,
                    country,
                    p.is_some(),
                    p.and_then(|p| p.commission_rate),
                    p.and_then(|p| p.hot_commission_rate),
                    p.and_then(|p| p.title.as_deref()),
                    p.and_then(|p| p.image_url.as_deref()),
                    p.and_then(|p| p.category.as_deref()),
                    p.and_then(|p| p.shop_id.as_deref()),
                    now,
                    p.and_then(|p| p.tmall)
                ])
            },
        )
    }

    /// Keeps a source's answers about products (`None`: the source does not know the product),
    /// a row each written by `put` with the statement `sql`, in one transaction: every source's
    /// answers are kept so.
    fn save_answers<A>(
        &self,
        sql: &str,
        answers: &[(String, Option<A>)],
        put: impl Fn(&mut rusqlite::CachedStatement<'_>, &str, Option<&A>) -> rusqlite::Result<usize>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut statement = tx.prepare_cached(sql)?;
            for (id, answer) in answers {
                put(&mut statement, id, answer.as_ref())?;
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
    ) -> Result<Vec<Remembered<ApiProduct>>, StoreError> {
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
                out.push(Remembered {
                    id: id.clone(),
                    facts: answer.transpose()?,
                    at,
                });
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
        self.save_answers(
            "INSERT OR REPLACE INTO network_answers (source, product_id, known, status, exact, hot, title, image_url, learnt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            answers,
            |put, id, f| {
                put.execute(params![
                    source,
                    id,
                    f.is_some(),
                    f.map(|f| status_to_db(f.status)),
                    f.and_then(|f| f.exact_percent),
                    f.and_then(|f| f.hot_percent),
                    f.and_then(|f| f.title.as_deref()),
                    f.and_then(|f| f.image_url.as_deref()),
                    at
                ])
            },
        )
    }

    /// A network's remembered answers learnt after `not_before`: (id, facts or unknown, when).
    pub fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<NetworkFacts>>, StoreError> {
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
            out.push(Remembered {
                id: id.clone(),
                facts,
                at,
            });
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
        saved_at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO tokens (source, access, refresh, expires_at, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![source, access, refresh, expires_at, saved_at],
        )?;
        Ok(())
    }

    /// A network's kept session tokens.
    pub fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT access, refresh, expires_at FROM tokens WHERE source = ?1",
                [source],
                |r| {
                    Ok(Tokens {
                        access: r.get(0)?,
                        refresh: r.get(1)?,
                        expires_at: r.get(2)?,
                    })
                },
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
                    status_to_db(row.facts.status),
                    row.facts.rate,
                    row.facts.category,
                    now,
                    row.facts.tmall,
                    row.facts.ships_from.as_ref().map(Country::code),
                    row.facts.store_country.as_ref().map(Country::code)
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
