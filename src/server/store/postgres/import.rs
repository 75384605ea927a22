//! A catalogue feed into PostgreSQL: read on the blocking pool, written in batches in one
//! transaction that notifies every instance as it commits.

use std::io::Read;

use super::{pg, queries::last_of_each, PgStore, CHANNEL};
use crate::domain::country::Country;
use crate::server::store::{read_feed, status_to_db, ImportError, ImportReport, Row, StoreError};

const UPSERT_CATALOG: &str = "INSERT INTO catalog (kind, id, status, rate, category, learnt_at, tmall, ships_from, store_country)
    SELECT kind, id, status, rate, category, $9, tmall, ships_from, store_country
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::bool[], $7::text[], $8::text[])
      AS t(kind, id, status, rate, category, tmall, ships_from, store_country)
    ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, rate = excluded.rate,
      category = excluded.category, learnt_at = excluded.learnt_at, tmall = excluded.tmall,
      ships_from = excluded.ships_from, store_country = excluded.store_country";

/// Rows read from a feed go to the database in batches of this many.
const IMPORT_BATCH: usize = 1000;

pub(super) async fn import(
    store: &PgStore,
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
    let mut client = store.client().await?;
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
        let status: Vec<&str> = rows.iter().map(|r| status_to_db(r.facts.status)).collect();
        let rate: Vec<Option<f64>> = rows.iter().map(|r| r.facts.rate).collect();
        let category: Vec<Option<&str>> =
            rows.iter().map(|r| r.facts.category.as_deref()).collect();
        let tmall: Vec<Option<bool>> = rows.iter().map(|r| r.facts.tmall).collect();
        let ships: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.facts.ships_from.as_ref().map(Country::code))
            .collect();
        let seller: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.facts.store_country.as_ref().map(Country::code))
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
    store.cache.forget();
    Ok(report)
}
