//! API keys in the embedded store (the [`super::super::Store`] key methods; `linksmith keys`).

use rusqlite::{params, OptionalExtension};

use super::Catalog;
use crate::server::store::{KeyLimits, KeyListing, KeyRecord, KeyUsage, NewKey, StoreError};

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
