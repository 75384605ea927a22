//! Watching a product: what of a check's answer is remembered between two rounds, and what changed.
//! A webmaster's posted links stop earning when a product leaves the hot sale or the programme, or
//! disappears; those are the changes a round reports. An answer that says nothing (`unknown`,
//! a source down) is not a change: the last known answer stays until a source speaks again.

use serde::{Deserialize, Serialize};

use crate::domain::{check::CheckResult, rates::Status};

/// What a watch remembers of a product's last answer (rates in thousandths of a percent, so that
/// a float's last digit never reads as a change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub status: Status,
    pub exact_milli: Option<u32>,
    pub hot_milli: Option<u32>,
    /// `None`: no source said.
    pub available: Option<bool>,
    pub title: Option<String>,
}

/// One difference between two answers about a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The status moved (hot sale ended, left the programme, joined it...).
    Status { from: Status, to: Status },
    /// The exact rate moved, status unchanged.
    Exact { from: Option<u32>, to: Option<u32> },
    /// The hot-sale rate moved, status unchanged.
    Hot { from: Option<u32>, to: Option<u32> },
    /// The product went away, or came back.
    Available { now: bool },
}

/// A percentage in thousandths, rounded (`None` for a negative, absurd or missing rate).
fn milli(percent: Option<f64>) -> Option<u32> {
    let p = percent?;
    if !(0.0..=100.0).contains(&p) {
        return None;
    }
    // Within 0..=100_000: the cast cannot truncate or lose the sign.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((p * 1000.0).round() as u32)
}

impl Snapshot {
    /// An answer that says nothing (the check failed): it changes nothing.
    pub fn unknown() -> Snapshot {
        Snapshot {
            status: Status::Unknown,
            exact_milli: None,
            hot_milli: None,
            available: None,
            title: None,
        }
    }

    /// What a watch keeps of a check's result.
    pub fn of(result: &CheckResult) -> Snapshot {
        Snapshot {
            status: result.status,
            exact_milli: milli(result.rate.exact_percent),
            hot_milli: milli(result.rate.hot_percent),
            available: result.product.as_ref().map(|p| p.available),
            title: result.product.as_ref().and_then(|p| p.title.clone()),
        }
    }

    /// What changed from `self` (the last known answer) to `now`, in a reader's order: status
    /// first, then the rates, then availability. An `unknown` answer changes nothing, and rates
    /// are compared only when both answers name one.
    pub fn changes(&self, now: &Snapshot) -> Vec<Change> {
        let mut out = Vec::new();
        if now.status == Status::Unknown {
            return out;
        }
        if self.status != now.status && self.status != Status::Unknown {
            out.push(Change::Status {
                from: self.status,
                to: now.status,
            });
        } else {
            if self.exact_milli.is_some()
                && now.exact_milli.is_some()
                && self.exact_milli != now.exact_milli
            {
                out.push(Change::Exact {
                    from: self.exact_milli,
                    to: now.exact_milli,
                });
            }
            if self.hot_milli.is_some()
                && now.hot_milli.is_some()
                && self.hot_milli != now.hot_milli
            {
                out.push(Change::Hot {
                    from: self.hot_milli,
                    to: now.hot_milli,
                });
            }
        }
        if let (Some(before), Some(after)) = (self.available, now.available) {
            if before != after {
                out.push(Change::Available { now: after });
            }
        }
        out
    }

    /// The answer to keep after a round: `now`, except that what `now` does not say (an
    /// `unknown` status, no rate, no availability, no title) keeps the last known value.
    #[must_use]
    pub fn merged(&self, now: &Snapshot) -> Snapshot {
        if now.status == Status::Unknown {
            return self.clone();
        }
        Snapshot {
            status: now.status,
            exact_milli: now.exact_milli.or(self.exact_milli),
            hot_milli: now.hot_milli.or(self.hot_milli),
            available: now.available.or(self.available),
            title: now.title.clone().or_else(|| self.title.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(
        status: Status,
        exact: Option<u32>,
        hot: Option<u32>,
        available: Option<bool>,
    ) -> Snapshot {
        Snapshot {
            status,
            exact_milli: exact,
            hot_milli: hot,
            available,
            title: Some("Cable".into()),
        }
    }

    #[test]
    fn a_hot_sale_ending_is_one_status_change() {
        let before = snap(Status::HotSale, Some(40_000), Some(40_000), Some(true));
        let after = snap(Status::Affiliate, Some(7_000), None, Some(true));
        assert_eq!(
            before.changes(&after),
            [Change::Status {
                from: Status::HotSale,
                to: Status::Affiliate
            }]
        );
    }

    #[test]
    fn rates_and_availability_change_under_the_same_status() {
        let before = snap(Status::Affiliate, Some(5_000), Some(20_000), Some(true));
        let after = snap(Status::Affiliate, Some(7_000), Some(20_000), Some(false));
        assert_eq!(
            before.changes(&after),
            [
                Change::Exact {
                    from: Some(5_000),
                    to: Some(7_000)
                },
                Change::Available { now: false }
            ]
        );
    }

    #[test]
    fn nothing_changes_when_nothing_changed_or_nothing_is_known() {
        let before = snap(Status::Affiliate, Some(5_000), None, Some(true));
        assert!(before.changes(&before.clone()).is_empty());
        let unknown = snap(Status::Unknown, None, None, None);
        assert!(before.changes(&unknown).is_empty());
        assert_eq!(before.merged(&unknown), before);
        // A source that names no rate this time is not a rate change.
        let quiet = snap(Status::Affiliate, None, None, None);
        assert!(before.changes(&quiet).is_empty());
        assert_eq!(before.merged(&quiet), before);
        // A first answer after unknown ones is not a change either.
        assert!(unknown.changes(&before).is_empty());
    }

    #[test]
    fn rates_are_thousandths_rounded() {
        assert_eq!(milli(Some(7.0)), Some(7_000));
        assert_eq!(milli(Some(0.1 + 0.2)), Some(300));
        assert_eq!(milli(Some(-1.0)), None);
        assert_eq!(milli(Some(f64::NAN)), None);
        assert_eq!(milli(None), None);
    }
}
