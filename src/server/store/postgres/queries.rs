//! The [`Store`] interface over PostgreSQL: the catalogue's look-ups (remembered while the
//! import notifications are heard), the sources' answers, the networks' tokens; locks, imports and
//! keys are in their own files.

use std::{collections::HashMap, io::Read, time::Duration};

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::{chats, import, keys, locks, pg, PgStore};
use crate::{
    domain::{
        date::Timestamp,
        sources::{ApiProduct, CatalogFacts, NetworkFacts},
    },
    server::store::{
        country_of, status_from_db, status_to_db, ChatSettings, Entry, ImportError, ImportReport,
        KeyListing, KeyRecord, KeyUsage, Kind, NewKey, Remembered, Store, StoreError, StoreLock,
        Tokens, Watch, Watched,
    },
};

/// Keeps the last of each key: one upsert statement may not touch a row twice.
pub(super) fn last_of_each<T, K: std::hash::Hash + Eq>(
    items: Vec<T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut at: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<Option<T>> = Vec::with_capacity(items.len());
    for item in items {
        let k = key(&item);
        if let Some(&i) = at.get(&k) {
            out[i] = None;
        }
        at.insert(k, out.len());
        out.push(Some(item));
    }
    out.into_iter().flatten().collect()
}

/// One column of the answers' values (`None` where the source did not know the product).
fn column<'a, A, T>(
    answers: &[Option<&'a A>],
    value: impl Fn(&'a A) -> Option<T>,
) -> Vec<Option<T>> {
    answers.iter().map(|a| a.and_then(&value)).collect()
}

/// The values of one answers' statement beyond the four every one takes.
type Columns<'a> = Vec<Box<dyn ToSql + Sync + Send + 'a>>;

impl PgStore {
    /// Keeps a source's answers about products (`None`: the source does not know the product),
    /// the last of each id, in one upsert: every source's answers are kept so. `sql` takes the
    /// ids ($1), whose answers they are (a delivery country or a network, $2), when they were
    /// learnt ($3), whether each product was known ($4), then the `columns` made of the answers.
    async fn save_answers<A: Clone + Send + Sync>(
        &self,
        sql: &str,
        whose: &str,
        at: i64,
        answers: &[(String, Option<A>)],
        columns: impl for<'a> FnOnce(&[Option<&'a A>]) -> Columns<'a>,
    ) -> Result<(), StoreError> {
        let answers = last_of_each(answers.to_vec(), |(id, _)| id.clone());
        if answers.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        let known: Vec<bool> = answers.iter().map(|(_, a)| a.is_some()).collect();
        let values: Vec<Option<&A>> = answers.iter().map(|(_, a)| a.as_ref()).collect();
        let columns = columns(&values);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ids, &whose, &at, &known];
        params.extend(columns.iter().map(|c| &**c as &(dyn ToSql + Sync)));
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(|e| pg(&e))?;
        client.execute(&stmt, &params).await.map_err(|e| pg(&e))?;
        Ok(())
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn describe(&self) -> String {
        format!("postgres {}", self.target)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("SELECT 1", &[]).await.map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let v: i32 = client
            .query_one("SELECT version FROM linksmith_schema", &[])
            .await
            .map_err(|e| pg(&e))?
            .get(0);
        Ok(usize::try_from(v).unwrap_or(0))
    }

    async fn has_entries(&self) -> Result<bool, StoreError> {
        if let Some(known) = self.cache.has_entries() {
            return Ok(known);
        }
        let generation = self.cache.usable();
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM catalog)")
            .await
            .map_err(|e| pg(&e))?;
        let any: bool = client
            .query_one(&stmt, &[])
            .await
            .map_err(|e| pg(&e))?
            .get(0);
        self.cache.remember_has_entries(generation, any);
        Ok(any)
    }

    async fn counts(&self) -> Result<(u64, u64), StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE kind = 'product'), count(*) FILTER (WHERE kind = 'store') FROM catalog",
                &[],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
    }

    async fn lookup_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Entry>, StoreError> {
        let generation = self.cache.usable();
        let mut out = HashMap::new();
        let ask = self.cache.split(generation, kind, ids, &mut out);
        if ask.is_empty() {
            return Ok(out);
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, status, rate, category, learnt_at, tmall, ships_from, store_country
                 FROM catalog WHERE kind = $1 AND id = ANY($2)",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&kind.as_str(), &ask])
            .await
            .map_err(|e| pg(&e))?;
        let mut found = HashMap::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let status: String = r.get(1);
            let entry = Entry::new(
                CatalogFacts {
                    status: status_from_db(kind, &id, &status)?,
                    rate: r.get(2),
                    category: r.get(3),
                    tmall: r.get(5),
                    ships_from: country_of(kind, &id, "ships_from", r.get(6))?,
                    store_country: country_of(kind, &id, "store_country", r.get(7))?,
                },
                Timestamp(r.get(4)),
            );
            found.insert(id, entry);
        }
        self.cache.remember(generation, kind, &ask, &found);
        out.extend(found);
        Ok(out)
    }

    async fn store_api_answers(
        &self,
        country: &str,
        answers: &[(String, Option<ApiProduct>)],
        now: i64,
    ) -> Result<(), StoreError> {
        self.save_answers(
            "INSERT INTO api_cache (product_id, country, found, commission, hot, title, image_url, category, shop_id, tmall, fetched_at)
             SELECT id, $2, found, commission, hot, title, image_url, category, shop_id, tmall, $3
             FROM UNNEST($1::text[], $4::bool[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[])
               AS t(id, found, commission, hot, title, image_url, category, shop_id, tmall)
             ON CONFLICT (product_id, country) DO UPDATE SET found = excluded.found,
               commission = excluded.commission, hot = excluded.hot, title = excluded.title,
               image_url = excluded.image_url, category = excluded.category,
               shop_id = excluded.shop_id, tmall = excluded.tmall, fetched_at = excluded.fetched_at",
            country,
            now,
            answers,
            |a| {
                vec![
                    Box::new(column(a, |p| p.commission_rate)),
                    Box::new(column(a, |p| p.hot_commission_rate)),
                    Box::new(column(a, |p| p.title.as_deref())),
                    Box::new(column(a, |p| p.image_url.as_deref())),
                    Box::new(column(a, |p| p.category.as_deref())),
                    Box::new(column(a, |p| p.shop_id.as_deref())),
                    Box::new(column(a, |p| p.tmall)),
                ]
            },
        )
        .await
    }

    async fn api_answers(
        &self,
        country: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<ApiProduct>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT product_id, found, commission, hot, title, image_url, category, shop_id, tmall, fetched_at
                 FROM api_cache WHERE country = $1 AND product_id = ANY($2) AND fetched_at > $3",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&country, &ids, &not_before])
            .await
            .map_err(|e| pg(&e))?;
        let mut by_id: HashMap<String, (Option<ApiProduct>, i64)> = rows
            .into_iter()
            .map(|r| {
                let id: String = r.get(0);
                let found: bool = r.get(1);
                let answer = found.then(|| ApiProduct {
                    product_id: id.clone(),
                    commission_rate: r.get(2),
                    hot_commission_rate: r.get(3),
                    title: r.get(4),
                    image_url: r.get(5),
                    category: r.get(6),
                    shop_id: r.get(7),
                    tmall: r.get(8),
                });
                (id, (answer, r.get(9)))
            })
            .collect();
        // In the order asked, as the embedded store answers.
        Ok(ids
            .iter()
            .filter_map(|id| {
                by_id.remove(id).map(|(facts, at)| Remembered {
                    id: id.clone(),
                    facts,
                    at,
                })
            })
            .collect())
    }

    async fn forget_answers_before(&self, before: i64) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let api = client
            .execute("DELETE FROM api_cache WHERE fetched_at < $1", &[&before])
            .await
            .map_err(|e| pg(&e))?;
        let networks = client
            .execute(
                "DELETE FROM network_answers WHERE learnt_at < $1",
                &[&before],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok((api + networks) as usize)
    }

    async fn store_network_answers(
        &self,
        source: &str,
        answers: &[(String, Option<NetworkFacts>)],
        at: i64,
    ) -> Result<(), StoreError> {
        self.save_answers(
            "INSERT INTO network_answers (source, product_id, known, status, exact, hot, title, image_url, learnt_at)
             SELECT $2, id, known, status, exact, hot, title, image_url, $3
             FROM UNNEST($1::text[], $4::bool[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::text[])
               AS t(id, known, status, exact, hot, title, image_url)
             ON CONFLICT (source, product_id) DO UPDATE SET known = excluded.known,
               status = excluded.status, exact = excluded.exact, hot = excluded.hot,
               title = excluded.title, image_url = excluded.image_url, learnt_at = excluded.learnt_at",
            source,
            at,
            answers,
            |a| {
                vec![
                    Box::new(column(a, |f| Some(status_to_db(f.status)))),
                    Box::new(column(a, |f| f.exact_percent)),
                    Box::new(column(a, |f| f.hot_percent)),
                    Box::new(column(a, |f| f.title.as_deref())),
                    Box::new(column(a, |f| f.image_url.as_deref())),
                ]
            },
        )
        .await
    }

    async fn network_answers(
        &self,
        source: &str,
        ids: &[String],
        not_before: i64,
    ) -> Result<Vec<Remembered<NetworkFacts>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT product_id, known, status, exact, hot, title, image_url, learnt_at
                 FROM network_answers WHERE source = $1 AND product_id = ANY($2) AND learnt_at > $3",
            )
            .await
            .map_err(|e| pg(&e))?;
        let rows = client
            .query(&stmt, &[&source, &ids, &not_before])
            .await
            .map_err(|e| pg(&e))?;
        let mut by_id: HashMap<String, (Option<NetworkFacts>, i64)> = HashMap::new();
        for r in rows {
            let id: String = r.get(0);
            let known: bool = r.get(1);
            let facts = if known {
                let status: Option<String> = r.get(2);
                Some(NetworkFacts {
                    status: status_from_db(Kind::Product, &id, status.as_deref().unwrap_or(""))?,
                    exact_percent: r.get(3),
                    hot_percent: r.get(4),
                    title: r.get(5),
                    image_url: r.get(6),
                })
            } else {
                None
            };
            by_id.insert(id, (facts, r.get(7)));
        }
        Ok(ids
            .iter()
            .filter_map(|id| {
                by_id.remove(id).map(|(facts, at)| Remembered {
                    id: id.clone(),
                    facts,
                    at,
                })
            })
            .collect())
    }

    async fn save_tokens(
        &self,
        source: &str,
        access: &str,
        refresh: &str,
        expires_at: Option<i64>,
        saved_at: i64,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO tokens (source, access, refresh, expires_at, saved_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source) DO UPDATE SET access = excluded.access, refresh = excluded.refresh,
                   expires_at = excluded.expires_at, saved_at = excluded.saved_at",
                &[&source, &access, &refresh, &expires_at, &saved_at],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(())
    }

    async fn load_tokens(&self, source: &str) -> Result<Option<Tokens>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT access, refresh, expires_at FROM tokens WHERE source = $1",
                &[&source],
            )
            .await
            .map_err(|e| pg(&e))?;
        Ok(row.map(|r| Tokens {
            access: r.get(0),
            refresh: r.get(1),
            expires_at: r.get(2),
        }))
    }

    async fn lock(&self, name: &str, wait: Duration) -> Result<StoreLock, StoreError> {
        locks::lock(self, name, wait).await
    }

    async fn import(
        &self,
        feed: Box<dyn Read + Send>,
        now: i64,
    ) -> Result<ImportReport, ImportError> {
        import::import(self, feed, now).await
    }

    async fn add_key(&self, key: &NewKey) -> Result<i64, StoreError> {
        keys::add_key(self, key).await
    }

    async fn find_key(&self, hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        keys::find_key(self, hash).await
    }

    async fn list_keys(&self, day: i64) -> Result<Vec<KeyListing>, StoreError> {
        keys::list_keys(self, day).await
    }

    async fn revoke_key(&self, name: &str, at: i64) -> Result<bool, StoreError> {
        keys::revoke_key(self, name, at).await
    }

    async fn add_key_usage(&self, usage: &KeyUsage) -> Result<(), StoreError> {
        keys::add_key_usage(self, usage).await
    }

    async fn chat_settings(&self, chat: i64) -> Result<ChatSettings, StoreError> {
        chats::chat_settings(self, chat).await
    }

    async fn save_chat_settings(
        &self,
        chat: i64,
        settings: &ChatSettings,
        at: i64,
    ) -> Result<(), StoreError> {
        chats::save_chat_settings(self, chat, settings, at).await
    }

    async fn forget_chat(&self, chat: i64) -> Result<(), StoreError> {
        chats::forget_chat(self, chat).await
    }

    async fn add_watch(&self, watch: &Watch, limit: usize) -> Result<Watched, StoreError> {
        chats::add_watch(self, watch, limit).await
    }

    async fn watches(&self, chat: i64) -> Result<Vec<Watch>, StoreError> {
        chats::watches(self, chat).await
    }

    async fn unwatch(&self, chat: i64, product_id: Option<&str>) -> Result<usize, StoreError> {
        chats::unwatch(self, chat, product_id).await
    }

    async fn due_watches(
        &self,
        checked_before: i64,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError> {
        chats::due_watches(self, checked_before, limit).await
    }

    async fn save_watch_checks(&self, watches: &[Watch]) -> Result<(), StoreError> {
        chats::save_watch_checks(self, watches).await
    }
}
