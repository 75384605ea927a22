//! Counting connections: those open per client, and the refusals said in the log (at most one
//! line every ten seconds).

use super::limit;

/// Open connections per client.
#[derive(Default)]
pub(super) struct ConnectionCounts(
    std::sync::Mutex<std::collections::HashMap<limit::ClientKey, usize>>,
);

impl ConnectionCounts {
    pub(super) fn open(&self, key: limit::ClientKey, max: usize) -> Option<()> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(())
    }

    pub(super) fn close(&self, key: limit::ClientKey) {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let std::collections::hash_map::Entry::Occupied(mut e) = counts.entry(key) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
    }
}

/// Says that connections are being refused at most once every ten seconds, with how many were
/// refused since it last said so: a flood of refusals must not become a flood of log lines.
#[derive(Default)]
pub(super) struct RefusalLog {
    last: Option<tokio::time::Instant>,
    since: u64,
}

impl RefusalLog {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(10);

    /// Counts a refusal; says so (and returns true) at most once every ten seconds.
    pub(super) fn note(
        &mut self,
        peer: std::net::SocketAddr,
        what: &'static str,
        max: usize,
    ) -> bool {
        self.since += 1;
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Self::EVERY)
        {
            return false;
        }
        tracing::warn!(%peer, max, refused = self.since, "{what}");
        self.last = Some(now);
        self.since = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::RefusalLog;

    #[tokio::test(start_paused = true)]
    async fn refused_connections_are_logged_at_most_every_ten_seconds() {
        let peer = "192.0.2.1:4000".parse().unwrap();
        let mut log = RefusalLog::default();
        let said: Vec<bool> = (0..1000).map(|_| log.note(peer, "refused", 1)).collect();
        assert_eq!(
            said.iter().filter(|s| **s).count(),
            1,
            "a flood is one line"
        );
        tokio::time::advance(std::time::Duration::from_secs(10)).await;
        assert!(log.note(peer, "refused", 1));
        assert_eq!(log.since, 0);
        assert!(!log.note(peer, "refused", 1));
        assert_eq!(log.since, 1, "the next line will count it");
    }
}
