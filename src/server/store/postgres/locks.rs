//! Named locks across instances: PostgreSQL's session-level advisory locks, each on a connection
//! taken out of the pool's hands while held.

use std::time::Duration;

use super::{pg, PgStore};
use crate::server::store::{LockInner, StoreError, StoreLock};

/// A lock's key: the FNV-1a hash of its name, in Linksmith's own range of keys.
fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "linksmith:".bytes().chain(name.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// A session-level advisory lock on a connection taken out of the pool's hands until released.
pub struct AdvisoryLock {
    client: Option<deadpool_postgres::Object>,
    key: i64,
}

impl AdvisoryLock {
    pub(crate) async fn release(mut self) {
        if let Some(client) = self.client.take() {
            match client
                .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
                .await
            {
                // Unlocked: the connection goes back to the pool.
                Ok(_) => drop(client),
                // Unknown: closing the connection releases the lock.
                Err(_) => drop(deadpool_postgres::Object::take(client)),
            }
        }
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // Dropped while held or while being taken (a cancelled task): the session must end, or
        // the pool would hand out a connection that holds the lock.
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

pub(super) async fn lock(
    store: &PgStore,
    name: &str,
    wait: Duration,
) -> Result<StoreLock, StoreError> {
    let key = lock_key(name);
    let until = tokio::time::Instant::now() + wait;
    loop {
        // The guard owns the connection before the lock is asked for: if this task is
        // cancelled at any point, the connection is closed rather than returned holding it.
        let mut lock = AdvisoryLock {
            client: Some(store.client().await?),
            key,
        };
        let got: bool = match lock.client.as_ref() {
            Some(client) => client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(|e| pg(&e))?
                .get(0),
            None => false,
        };
        if got {
            return Ok(StoreLock {
                inner: LockInner::Postgres(Box::new(lock)),
            });
        }
        // Not held by us: the connection may go back to the pool as it is.
        drop(lock.client.take());
        if tokio::time::Instant::now() >= until {
            return Err(StoreError::Timeout(
                "waiting for a lock held by another instance",
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
