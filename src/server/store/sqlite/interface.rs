//! The [`Store`] interface over the embedded store: each call runs on the blocking pool, and the
//! catalogue's look-ups are remembered while no other process commits.

use std::{collections::HashMap, io::Read};

use async_trait::async_trait;

use super::Catalog;
use crate::domain::sources::ApiProduct;
use crate::domain::sources::NetworkFacts;
use crate::server::store::{
    ChatSettings, Entry, ImportError, ImportReport, KeyListing, KeyRecord, KeyUsage, Kind,
    LockInner, NewKey, Remembered, Store, StoreError, StoreLock, Tokens, Watch, Watched,
};

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
        saved_at: i64,
    ) -> Result<(), StoreError> {
        let (source, access, refresh) =
            (source.to_string(), access.to_string(), refresh.to_string());
        blocking(self, move |c| {
            c.save_tokens(&source, &access, &refresh, expires_at, saved_at)
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

    async fn chat_settings(&self, chat: i64) -> Result<ChatSettings, StoreError> {
        blocking(self, move |c| c.chat_settings(chat)).await
    }

    async fn save_chat_settings(
        &self,
        chat: i64,
        settings: &ChatSettings,
        at: i64,
    ) -> Result<(), StoreError> {
        let settings = settings.clone();
        blocking(self, move |c| c.save_chat_settings(chat, &settings, at)).await
    }

    async fn forget_chat(&self, chat: i64) -> Result<(), StoreError> {
        blocking(self, move |c| c.forget_chat(chat)).await
    }

    async fn add_watch(&self, watch: &Watch, limit: usize) -> Result<Watched, StoreError> {
        let watch = watch.clone();
        blocking(self, move |c| c.add_watch(&watch, limit)).await
    }

    async fn watches(&self, chat: i64) -> Result<Vec<Watch>, StoreError> {
        blocking(self, move |c| c.watches(chat)).await
    }

    async fn unwatch(&self, chat: i64, product_id: Option<&str>) -> Result<usize, StoreError> {
        let id = product_id.map(str::to_string);
        blocking(self, move |c| c.unwatch(chat, id.as_deref())).await
    }

    async fn due_watches(
        &self,
        checked_before: i64,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError> {
        blocking(self, move |c| c.due_watches(checked_before, limit)).await
    }

    async fn save_watch_checks(&self, watches: &[Watch]) -> Result<(), StoreError> {
        let watches = watches.to_vec();
        blocking(self, move |c| c.save_watch_checks(&watches)).await
    }
}
