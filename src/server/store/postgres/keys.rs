//! API keys in PostgreSQL (the [`crate::server::store::Store`] key methods; `linksmith keys`).

use super::{pg, PgStore};
use crate::server::store::{KeyLimits, KeyListing, KeyRecord, KeyUsage, NewKey, StoreError};

pub(super) async fn add_key(store: &PgStore, key: &NewKey) -> Result<i64, StoreError> {
    let client = store.client().await?;
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

pub(super) async fn find_key(store: &PgStore, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
    let client = store.client().await?;
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

pub(super) async fn list_keys(store: &PgStore, day: i64) -> Result<Vec<KeyListing>, StoreError> {
    let client = store.client().await?;
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

pub(super) async fn revoke_key(store: &PgStore, name: &str, at: i64) -> Result<bool, StoreError> {
    let client = store.client().await?;
    let changed = client
        .execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
            &[&name, &at],
        )
        .await
        .map_err(|e| pg(&e))?;
    Ok(changed > 0)
}

pub(super) async fn add_key_usage(store: &PgStore, usage: &KeyUsage) -> Result<(), StoreError> {
    let links = i64::try_from(usage.links).unwrap_or(i64::MAX);
    let lookups = i64::try_from(usage.lookups).unwrap_or(i64::MAX);
    let mut client = store.client().await?;
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

/// A stored limit: a positive number that fits a `u32`, else none (the server's).
fn key_limit(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
}
