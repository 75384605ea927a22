//! The Telegram bot's chats in PostgreSQL (the [`crate::server::store::Store`] chat and watch
//! methods), as the embedded store's.

use super::{pg, PgStore};
use crate::server::store::{
    chats::{snapshot_from_db, snapshot_to_db},
    ChatSettings, StoreError, Watch, Watched,
};

const WATCH_COLUMNS: &str = "chat_id, product_id, country, link, last, created_at, checked_at";

/// Locks a chat's watches for the rest of a transaction (two instances adding at once count
/// alike); the two-number key space is not the named locks'.
const CHAT_LOCK: &str = "SELECT pg_advisory_xact_lock(1952, hashtext($1::bigint::text))";

fn read(rows: Vec<tokio_postgres::Row>) -> Result<Vec<Watch>, StoreError> {
    rows.into_iter()
        .map(|r| {
            let (chat, product_id): (i64, String) = (r.get(0), r.get(1));
            let last = snapshot_from_db(chat, &product_id, r.get(4))?;
            Ok(Watch {
                chat,
                product_id,
                country: r.get(2),
                link: r.get(3),
                last,
                created_at: r.get(5),
                checked_at: r.get(6),
            })
        })
        .collect()
}

pub(super) async fn chat_settings(store: &PgStore, chat: i64) -> Result<ChatSettings, StoreError> {
    let client = store.client().await?;
    let row = client
        .query_opt(
            "SELECT template, sub, country, lang FROM bot_chats WHERE chat_id = $1",
            &[&chat],
        )
        .await
        .map_err(|e| pg(&e))?;
    Ok(row
        .map(|r| ChatSettings {
            template: r.get(0),
            sub: r.get(1),
            country: r.get(2),
            lang: r.get(3),
        })
        .unwrap_or_default())
}

pub(super) async fn save_chat_settings(
    store: &PgStore,
    chat: i64,
    settings: &ChatSettings,
    at: i64,
) -> Result<(), StoreError> {
    let client = store.client().await?;
    if settings.is_empty() {
        client
            .execute("DELETE FROM bot_chats WHERE chat_id = $1", &[&chat])
            .await
            .map_err(|e| pg(&e))?;
        return Ok(());
    }
    client
        .execute(
            "INSERT INTO bot_chats (chat_id, template, sub, country, lang, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (chat_id) DO UPDATE SET template = excluded.template, sub = excluded.sub,
               country = excluded.country, lang = excluded.lang, updated_at = excluded.updated_at",
            &[
                &chat,
                &settings.template,
                &settings.sub,
                &settings.country,
                &settings.lang,
                &at,
            ],
        )
        .await
        .map_err(|e| pg(&e))?;
    Ok(())
}

pub(super) async fn forget_chat(store: &PgStore, chat: i64) -> Result<(), StoreError> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(|e| pg(&e))?;
    tx.execute("DELETE FROM bot_chats WHERE chat_id = $1", &[&chat])
        .await
        .map_err(|e| pg(&e))?;
    tx.execute("DELETE FROM bot_watches WHERE chat_id = $1", &[&chat])
        .await
        .map_err(|e| pg(&e))?;
    tx.commit().await.map_err(|e| pg(&e))
}

pub(super) async fn add_watch(
    store: &PgStore,
    watch: &Watch,
    limit: usize,
) -> Result<Watched, StoreError> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(|e| pg(&e))?;
    tx.execute(CHAT_LOCK, &[&watch.chat])
        .await
        .map_err(|e| pg(&e))?;
    let known: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM bot_watches
               WHERE chat_id = $1 AND product_id = $2 AND country = $3)",
            &[&watch.chat, &watch.product_id, &watch.country],
        )
        .await
        .map_err(|e| pg(&e))?
        .get(0);
    if known {
        return Ok(Watched::Already);
    }
    let count: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM bot_watches WHERE chat_id = $1",
            &[&watch.chat],
        )
        .await
        .map_err(|e| pg(&e))?
        .get(0);
    if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
        return Ok(Watched::Full);
    }
    tx.execute(
        &format!("INSERT INTO bot_watches ({WATCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &watch.chat,
            &watch.product_id,
            &watch.country,
            &watch.link,
            &snapshot_to_db(watch.last.as_ref()),
            &watch.created_at,
            &watch.checked_at,
        ],
    )
    .await
    .map_err(|e| pg(&e))?;
    tx.commit().await.map_err(|e| pg(&e))?;
    Ok(Watched::Added)
}

pub(super) async fn watches(store: &PgStore, chat: i64) -> Result<Vec<Watch>, StoreError> {
    let client = store.client().await?;
    let rows = client
        .query(
            &format!(
                "SELECT {WATCH_COLUMNS} FROM bot_watches WHERE chat_id = $1
                 ORDER BY created_at, product_id, country"
            ),
            &[&chat],
        )
        .await
        .map_err(|e| pg(&e))?;
    read(rows)
}

pub(super) async fn unwatch(
    store: &PgStore,
    chat: i64,
    product_id: Option<&str>,
) -> Result<usize, StoreError> {
    let client = store.client().await?;
    let removed = match product_id {
        Some(id) => {
            client
                .execute(
                    "DELETE FROM bot_watches WHERE chat_id = $1 AND product_id = $2",
                    &[&chat, &id],
                )
                .await
        }
        None => {
            client
                .execute("DELETE FROM bot_watches WHERE chat_id = $1", &[&chat])
                .await
        }
    }
    .map_err(|e| pg(&e))?;
    Ok(usize::try_from(removed).unwrap_or(usize::MAX))
}

pub(super) async fn due_watches(
    store: &PgStore,
    checked_before: i64,
    limit: usize,
) -> Result<Vec<Watch>, StoreError> {
    let client = store.client().await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client
        .query(
            &format!(
                "SELECT {WATCH_COLUMNS} FROM bot_watches WHERE checked_at <= $1
                 ORDER BY checked_at, chat_id, product_id, country LIMIT $2"
            ),
            &[&checked_before, &limit],
        )
        .await
        .map_err(|e| pg(&e))?;
    read(rows)
}

pub(super) async fn save_watch_checks(
    store: &PgStore,
    watches: &[Watch],
) -> Result<(), StoreError> {
    if watches.is_empty() {
        return Ok(());
    }
    let chats: Vec<i64> = watches.iter().map(|w| w.chat).collect();
    let products: Vec<&str> = watches.iter().map(|w| w.product_id.as_str()).collect();
    let countries: Vec<&str> = watches.iter().map(|w| w.country.as_str()).collect();
    let lasts: Vec<Option<String>> = watches
        .iter()
        .map(|w| snapshot_to_db(w.last.as_ref()))
        .collect();
    let times: Vec<i64> = watches.iter().map(|w| w.checked_at).collect();
    let client = store.client().await?;
    client
        .execute(
            "UPDATE bot_watches w SET last = v.last, checked_at = v.checked_at
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
               AS v(chat_id, product_id, country, last, checked_at)
             WHERE w.chat_id = v.chat_id AND w.product_id = v.product_id AND w.country = v.country",
            &[&chats, &products, &countries, &lasts, &times],
        )
        .await
        .map_err(|e| pg(&e))?;
    Ok(())
}
