//! A circuit breaker per upstream: it stops calling an upstream that keeps failing, for a while,
//! and says so in the log. Time is tokio's clock (tests run it paused).

use std::{sync::Mutex, time::Duration};

use tokio::time::Instant;

/// A circuit breaker: closed, open after `threshold` failures in a row, half-open after the
/// cool-down (one call goes through; its result closes or reopens it).
pub struct Breaker {
    name: &'static str,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<(u32, Option<Instant>)>,
}

impl Breaker {
    pub fn new(name: &'static str, threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            name,
            threshold,
            cooldown,
            state: Mutex::new((0, None)),
        }
    }

    /// Whether a call may go now.
    pub fn allow(&self) -> bool {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match s.1 {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                // Half-open: let this call through; hold the others back until it reports.
                s.1 = Some(Instant::now() + self.cooldown);
                true
            }
            None => true,
        }
    }

    pub fn success(&self) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.1.is_some() {
            tracing::info!(
                upstream = self.name,
                "circuit breaker closed: the upstream answers again"
            );
        }
        *s = (0, None);
    }

    pub fn failure(&self) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.0 += 1;
        if s.0 >= self.threshold {
            if s.1.is_none() {
                tracing::warn!(
                    upstream = self.name,
                    failures = s.0,
                    cooldown_s = self.cooldown.as_secs_f64(),
                    "circuit breaker opened: not calling the upstream for a while"
                );
            }
            s.1 = Some(Instant::now() + self.cooldown);
        }
    }

    pub fn is_open(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_half_opens_after_the_cooldown_and_closes_on_success() {
        let b = Breaker::new("test", 3, Duration::from_secs(30));
        for _ in 0..2 {
            b.failure();
        }
        assert!(
            b.allow() && !b.is_open(),
            "below the threshold it stays closed"
        );
        b.failure();
        assert!(
            b.is_open() && !b.allow(),
            "the third failure in a row opens it"
        );
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(!b.allow());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(b.allow(), "after the cool-down one call goes through");
        assert!(!b.allow(), "and only one, until it reports");
        b.failure();
        assert!(!b.allow(), "a failed trial reopens it");
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(b.allow());
        b.success();
        assert!(
            !b.is_open() && b.allow() && b.allow(),
            "a good trial closes it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let b = Breaker::new("test", 2, Duration::from_secs(5));
        b.failure();
        b.success();
        b.failure();
        assert!(!b.is_open());
        b.failure();
        assert!(b.is_open());
    }
}
