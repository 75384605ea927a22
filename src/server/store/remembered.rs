//! What an instance remembers of the catalogue, for both stores: a remembered answer is used only
//! while the store can tell this instance of every change (PostgreSQL: while it listens for import
//! notifications; SQLite: its own imports, and other processes' commits seen through
//! `PRAGMA data_version`). A check of a remembered product makes no store round trip.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex,
    },
};

use super::{Entry, Kind};

/// Catalogue look-ups remembered (the least recently used dropped past this many).
pub const CACHE_ENTRIES: usize = 100_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Remembered catalogue answers, valid only while the store can tell of every change.
pub struct CatalogCache {
    entries: Mutex<lru::LruCache<(Kind, String), Option<Entry>>>,
    has_entries: Mutex<Option<bool>>,
    /// Bumped by every forgetting: an answer read across a bump is not remembered.
    generation: AtomicU64,
    /// Whether changes are heard now; while not, nothing is remembered or used.
    valid: AtomicBool,
}

impl Default for CatalogCache {
    fn default() -> Self {
        CatalogCache {
            entries: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
            has_entries: Mutex::new(None),
            generation: AtomicU64::new(0),
            valid: AtomicBool::new(false),
        }
    }
}

impl CatalogCache {
    /// Forgets everything remembered (the catalogue changed, or may have).
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.entries).clear();
        *lock(&self.has_entries) = None;
    }

    /// Changes are heard from now on (`true`), or no longer (`false`: forgets too).
    pub fn set_valid(&self, valid: bool) {
        if !valid {
            self.valid.store(false, Ordering::SeqCst);
        }
        self.forget();
        if valid {
            self.valid.store(true, Ordering::SeqCst);
        }
    }

    pub fn is_valid(&self) -> bool {
        self.valid.load(Ordering::SeqCst)
    }

    /// The generation to remember an answer under, or `None` when nothing may be remembered.
    pub fn usable(&self) -> Option<u64> {
        self.is_valid()
            .then(|| self.generation.load(Ordering::SeqCst))
    }

    fn still(&self, generation: Option<u64>) -> bool {
        generation.is_some_and(|g| self.is_valid() && self.generation.load(Ordering::SeqCst) == g)
    }

    /// The remembered "is anything imported", when it may be used.
    pub fn has_entries(&self) -> Option<bool> {
        self.usable().and(*lock(&self.has_entries))
    }

    /// Remembers the store's "is anything imported" read under `generation`.
    pub fn remember_has_entries(&self, generation: Option<u64>, any: bool) {
        if self.still(generation) {
            *lock(&self.has_entries) = Some(any);
        }
    }

    /// Splits `ids` into the remembered entries (`out`) and the ids to ask the store about.
    pub fn split<'a>(
        &self,
        generation: Option<u64>,
        kind: Kind,
        ids: &'a [String],
        out: &mut HashMap<String, Entry>,
    ) -> Vec<&'a String> {
        if generation.is_none() {
            return ids.iter().collect();
        }
        let mut ask = Vec::new();
        let mut remembered = lock(&self.entries);
        for id in ids {
            match remembered.get(&(kind, id.clone())) {
                Some(Some(entry)) => {
                    out.insert(id.clone(), entry.clone());
                }
                Some(None) => {}
                None => ask.push(id),
            }
        }
        ask
    }

    /// Remembers the store's answers for `asked` (absent ones as "not held") read under
    /// `generation`.
    pub fn remember(
        &self,
        generation: Option<u64>,
        kind: Kind,
        asked: &[&String],
        found: &HashMap<String, Entry>,
    ) {
        if self.still(generation) {
            let mut remembered = lock(&self.entries);
            for id in asked {
                remembered.put((kind, (*id).clone()), found.get(*id).cloned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rates::Status;

    fn entry() -> Entry {
        Entry::new(
            crate::domain::sources::CatalogFacts {
                status: Status::Affiliate,
                rate: Some(4.0),
                category: None,
                tmall: None,
                ships_from: None,
                store_country: None,
            },
            crate::domain::date::Timestamp(1),
        )
    }

    #[test]
    fn nothing_is_remembered_while_changes_are_not_heard_nor_across_a_change() {
        let cache = CatalogCache::default();
        let ids = vec!["1".to_string(), "2".to_string()];
        let found: HashMap<String, Entry> = [("1".to_string(), entry())].into();
        // Not valid: nothing remembered.
        let g = cache.usable();
        assert_eq!(g, None);
        cache.remember(g, Kind::Product, &ids.iter().collect::<Vec<_>>(), &found);
        cache.remember_has_entries(g, true);
        assert_eq!(cache.has_entries(), None);
        cache.set_valid(true);
        let mut out = HashMap::new();
        assert_eq!(
            cache
                .split(cache.usable(), Kind::Product, &ids, &mut out)
                .len(),
            2
        );
        // Valid: remembered, "not held" too.
        let g = cache.usable();
        cache.remember(g, Kind::Product, &ids.iter().collect::<Vec<_>>(), &found);
        cache.remember_has_entries(g, true);
        let mut out = HashMap::new();
        assert!(cache
            .split(cache.usable(), Kind::Product, &ids, &mut out)
            .is_empty());
        assert_eq!(out.len(), 1);
        assert_eq!(cache.has_entries(), Some(true));
        // An answer read across a change is dropped; a change forgets.
        let g = cache.usable();
        cache.forget();
        cache.remember_has_entries(g, false);
        assert_eq!(cache.has_entries(), None);
        cache.set_valid(false);
        assert_eq!(cache.usable(), None);
    }
}
