//! The server's one clock of calendar time: when a check was made, how old a remembered answer
//! is, when a token expires, a key's day of use, the date dated rules apply from.
//!
//! Injected, not read from the system where it is needed: the state holds one [`Clock`] and hands
//! it to the resolver, the key registry and the sources, so a test can stand time still and move
//! it (`Clock::manual`) where tokio's paused clock cannot reach (it pauses `Instant`, not the
//! calendar). Durations inside a request (time-outs, budgets, breakers) stay on tokio's
//! `Instant`.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use crate::domain::date::{Date, Timestamp};

/// Calendar time: the system's, or a test's that moves only when told.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system's clock (UTC).
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `at` until [`Clock::advance`] or [`Clock::set`] moves it (tests).
    pub fn manual(at: Timestamp) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(at.0))))
    }

    /// Moves a manual clock forward by `secs` (a system clock is not moved).
    pub fn advance(&self, secs: i64) {
        if let Some(at) = &self.0 {
            at.fetch_add(secs, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `at` (a system clock is not moved).
    pub fn set(&self, at: Timestamp) {
        if let Some(now) = &self.0 {
            now.store(at.0, Ordering::SeqCst);
        }
    }

    /// Now, in whole seconds since the Unix epoch.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.unix())
    }

    /// Now, in seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        match &self.0 {
            Some(at) => at.load(Ordering::SeqCst),
            None => i64::try_from(self.unix_millis() / 1000).unwrap_or(i64::MAX),
        }
    }

    /// Now, in milliseconds since the Unix epoch (the Open Platform's signed `timestamp`).
    pub fn unix_millis(&self) -> u128 {
        match &self.0 {
            Some(at) => u128::try_from(at.load(Ordering::SeqCst)).unwrap_or(0) * 1000,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> Date {
        Date::from_unix_days(self.unix().div_euclid(86_400))
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system()"),
            Some(at) => write!(f, "Clock::manual({})", at.load(Ordering::SeqCst)),
        }
    }
}

/// Two clocks are the same when both are the system's or both are one manual clock.
impl PartialEq for Clock {
    fn eq(&self, other: &Clock) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_copies_follow() {
        let clock = Clock::manual(Timestamp::parse("2026-12-31T23:59:30Z").unwrap());
        let copy = clock.clone();
        assert_eq!(clock.today(), Date::parse("2026-12-31").unwrap());
        clock.advance(30);
        assert_eq!(
            copy.now(),
            Timestamp::parse("2027-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(copy.today(), Date::parse("2027-01-01").unwrap());
        assert_eq!(
            copy.unix_millis(),
            u128::try_from(copy.unix()).unwrap() * 1000
        );
        assert_eq!(clock, copy);
        assert_ne!(clock, Clock::system());
    }

    #[test]
    fn the_system_clock_is_the_systems() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = Clock::system().unix();
        assert!(now >= i64::try_from(before).unwrap());
        assert!(now > 1_780_000_000, "after 2026");
        Clock::system().advance(1_000_000);
        assert!(Clock::system().unix() < now + 1_000);
    }
}
