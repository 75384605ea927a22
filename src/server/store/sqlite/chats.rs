//! The Telegram bot's chats in the embedded store (the [`super::super::Store`] chat and watch
//! methods).

use rusqlite::{params, OptionalExtension};

use super::Catalog;
use crate::server::store::{
    chats::{snapshot_from_db, snapshot_to_db},
    ChatSettings, StoreError, Watch, Watched,
};

const WATCH_COLUMNS: &str = "chat_id, product_id, country, link, last, created_at, checked_at";

fn watch_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Watch, Option<String>)> {
    Ok((
        Watch {
            chat: r.get(0)?,
            product_id: r.get(1)?,
            country: r.get(2)?,
            link: r.get(3)?,
            last: None,
            created_at: r.get(5)?,
            checked_at: r.get(6)?,
        },
        r.get(4)?,
    ))
}

/// Reads the rows' last answers.
fn read(rows: Vec<(Watch, Option<String>)>) -> Result<Vec<Watch>, StoreError> {
    rows.into_iter()
        .map(|(mut w, last)| {
            w.last = snapshot_from_db(w.chat, &w.product_id, last)?;
            Ok(w)
        })
        .collect()
}

impl Catalog {
    pub fn chat_settings(&self, chat: i64) -> Result<ChatSettings, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT template, sub, country, lang FROM bot_chats WHERE chat_id = ?1",
        )?;
        Ok(stmt
            .query_row([chat], |r| {
                Ok(ChatSettings {
                    template: r.get(0)?,
                    sub: r.get(1)?,
                    country: r.get(2)?,
                    lang: r.get(3)?,
                })
            })
            .optional()?
            .unwrap_or_default())
    }

    pub fn save_chat_settings(
        &self,
        chat: i64,
        settings: &ChatSettings,
        at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        if settings.is_empty() {
            conn.execute("DELETE FROM bot_chats WHERE chat_id = ?1", [chat])?;
            return Ok(());
        }
        conn.execute(
            "INSERT INTO bot_chats (chat_id, template, sub, country, lang, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (chat_id) DO UPDATE SET template = excluded.template, sub = excluded.sub,
               country = excluded.country, lang = excluded.lang, updated_at = excluded.updated_at",
            params![
                chat,
                settings.template,
                settings.sub,
                settings.country,
                settings.lang,
                at
            ],
        )?;
        Ok(())
    }

    pub fn forget_chat(&self, chat: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM bot_chats WHERE chat_id = ?1", [chat])?;
        tx.execute("DELETE FROM bot_watches WHERE chat_id = ?1", [chat])?;
        tx.commit()?;
        Ok(())
    }

    pub fn add_watch(&self, watch: &Watch, limit: usize) -> Result<Watched, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM bot_watches
               WHERE chat_id = ?1 AND product_id = ?2 AND country = ?3)",
            params![watch.chat, watch.product_id, watch.country],
            |r| r.get(0),
        )?;
        if known {
            return Ok(Watched::Already);
        }
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM bot_watches WHERE chat_id = ?1",
            [watch.chat],
            |r| r.get(0),
        )?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
            return Ok(Watched::Full);
        }
        tx.execute(
            &format!(
                "INSERT INTO bot_watches ({WATCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ),
            params![
                watch.chat,
                watch.product_id,
                watch.country,
                watch.link,
                snapshot_to_db(watch.last.as_ref()),
                watch.created_at,
                watch.checked_at
            ],
        )?;
        tx.commit()?;
        Ok(Watched::Added)
    }

    pub fn watches(&self, chat: i64) -> Result<Vec<Watch>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {WATCH_COLUMNS} FROM bot_watches WHERE chat_id = ?1
             ORDER BY created_at, product_id, country"
        ))?;
        let rows = stmt
            .query_map([chat], watch_of)?
            .collect::<Result<Vec<_>, _>>()?;
        read(rows)
    }

    pub fn unwatch(&self, chat: i64, product_id: Option<&str>) -> Result<usize, StoreError> {
        let conn = self.conn();
        Ok(match product_id {
            Some(id) => conn.execute(
                "DELETE FROM bot_watches WHERE chat_id = ?1 AND product_id = ?2",
                params![chat, id],
            )?,
            None => conn.execute("DELETE FROM bot_watches WHERE chat_id = ?1", [chat])?,
        })
    }

    pub fn due_watches(&self, checked_before: i64, limit: usize) -> Result<Vec<Watch>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {WATCH_COLUMNS} FROM bot_watches WHERE checked_at <= ?1
             ORDER BY checked_at, chat_id, product_id, country LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![checked_before, limit], watch_of)?
            .collect::<Result<Vec<_>, _>>()?;
        read(rows)
    }

    pub fn save_watch_checks(&self, watches: &[Watch]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE bot_watches SET last = ?4, checked_at = ?5
                 WHERE chat_id = ?1 AND product_id = ?2 AND country = ?3",
            )?;
            for w in watches {
                stmt.execute(params![
                    w.chat,
                    w.product_id,
                    w.country,
                    snapshot_to_db(w.last.as_ref()),
                    w.checked_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
