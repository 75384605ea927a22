//! Waiting for a condition rather than for a fixed time: poll it until it holds, failing the test
//! when a deadline passes first. A test waits only as long as it must and asserts on what it
//! waited for; the deadline is a generous bound for a slow machine, never the expected time.

use std::{
    fmt::Display,
    time::{Duration, Instant},
};

/// The pause between two polls: short at first, then up to 50 ms.
fn pause(polls: u32) -> Duration {
    Duration::from_millis(u64::from(polls.min(6)).pow(2).clamp(1, 50))
}

/// Polls `cond` until it holds; panics with `what` if `within` passes first.
pub async fn eventually(what: impl Display, within: Duration, mut cond: impl AsyncFnMut() -> bool) {
    eventually_some(what, within, async || cond().await.then_some(())).await;
}

/// Polls `found` until it gives a value, and returns it; panics with `what` if `within` passes
/// first.
pub async fn eventually_some<T>(
    what: impl Display,
    within: Duration,
    mut found: impl AsyncFnMut() -> Option<T>,
) -> T {
    let until = Instant::now() + within;
    let mut polls = 0;
    loop {
        if let Some(value) = found().await {
            return value;
        }
        assert!(Instant::now() < until, "{what} (waited {within:?})");
        polls += 1;
        tokio::time::sleep(pause(polls)).await;
    }
}

/// [`eventually`] for a test without a runtime (a child process's start or exit): blocks the
/// thread between polls.
pub fn eventually_blocking(what: impl Display, within: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + within;
    let mut polls = 0;
    while !cond() {
        assert!(Instant::now() < until, "{what} (waited {within:?})");
        polls += 1;
        std::thread::sleep(pause(polls));
    }
}
