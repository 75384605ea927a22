//! The API's answers in memory: per product and delivery country, each until its own time (hours
//! when the platform answered, minutes after a failure), the least recently used dropped past the
//! capacity. Time is tokio's clock (tests run it paused).

use std::{num::NonZeroUsize, sync::Mutex};

use tokio::time::Instant;

use super::{ApiOutcome, Key};

pub struct AnswerCache(Mutex<lru::LruCache<Key, (ApiOutcome, Instant)>>);

/// The cache, locked: taken together with the in-flight marks where both must change at once.
pub struct Locked<'a>(std::sync::MutexGuard<'a, lru::LruCache<Key, (ApiOutcome, Instant)>>);

impl AnswerCache {
    pub fn new(capacity: usize) -> AnswerCache {
        let capacity = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        AnswerCache(Mutex::new(lru::LruCache::new(capacity)))
    }

    pub fn lock(&self) -> Locked<'_> {
        Locked(
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Answers held (at most the capacity).
    pub fn len(&self) -> usize {
        self.lock().0.len()
    }
}

impl Locked<'_> {
    /// The answer for `key` if it is still good at `now` (a stale one is dropped).
    pub fn fresh(&mut self, key: &Key, now: Instant) -> Option<ApiOutcome> {
        match self.0.get(key) {
            Some((outcome, until)) if *until > now => Some(outcome.clone()),
            Some(_) => {
                self.0.pop(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&mut self, key: Key, outcome: ApiOutcome, until: Instant) {
        self.0.put(key, (outcome, until));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::country::Country;

    fn key(id: &str) -> Key {
        (id.to_string(), Country::parse("US").unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn answers_live_until_their_time() {
        let cache = AnswerCache::new(10);
        let now = Instant::now();
        cache.lock().put(
            key("1"),
            ApiOutcome::NotInProgramme(0),
            now + Duration::from_secs(60),
        );
        cache
            .lock()
            .put(key("2"), ApiOutcome::Failed, now + Duration::from_secs(60));
        assert_eq!(
            cache.lock().fresh(&key("1"), Instant::now()),
            Some(ApiOutcome::NotInProgramme(0))
        );
        assert_eq!(
            cache.lock().fresh(&key("2"), Instant::now()),
            Some(ApiOutcome::Failed)
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(cache.lock().fresh(&key("1"), Instant::now()), None);
        assert_eq!(cache.len(), 1, "the stale answer was dropped");
    }

    #[test]
    fn the_least_recently_used_go_first() {
        let cache = AnswerCache::new(2);
        let later = Instant::now() + Duration::from_secs(60);
        for id in ["1", "2"] {
            cache
                .lock()
                .put(key(id), ApiOutcome::NotInProgramme(0), later);
        }
        assert!(cache.lock().fresh(&key("1"), Instant::now()).is_some());
        cache
            .lock()
            .put(key("3"), ApiOutcome::NotInProgramme(0), later);
        assert_eq!(cache.len(), 2);
        assert!(cache.lock().fresh(&key("2"), Instant::now()).is_none());
        assert!(cache.lock().fresh(&key("1"), Instant::now()).is_some());
    }
}
