//! Recent checks kept in the browser: the last links checked, newest first, a status or band that
//! moved since marked. Pure: the page keeps the list in local storage.

use serde::{Deserialize, Serialize};

use crate::domain::{check::Outcome, rates::Status};

/// Links kept.
pub const KEPT: usize = 50;

/// One remembered check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recent {
    /// The canonical address checked.
    pub link: String,
    pub status: Status,
    pub band: String,
    /// Unix seconds (the browser's clock).
    pub at: i64,
    /// What it was before, when the last check found it different.
    #[serde(default)]
    pub was: Option<(Status, String)>,
}

/// Adds a run's answers to the list: newest first, one entry per link, at most [`KEPT`]; an entry
/// whose status or band changed keeps what it was.
pub fn record(list: &mut Vec<Recent>, outcomes: &[Outcome], now: i64) {
    for o in outcomes {
        let Outcome::Checked(r) = o else { continue };
        let link = r.link.canonical_url.clone();
        let before = list
            .iter()
            .position(|e| e.link == link)
            .map(|i| list.remove(i));
        let was = before.and_then(|b| {
            if b.status != r.status || b.band != r.rate.label {
                Some((b.status, b.band))
            } else {
                b.was
            }
        });
        list.insert(
            0,
            Recent {
                link,
                status: r.status,
                band: r.rate.label.clone(),
                at: now,
                was,
            },
        );
    }
    list.truncate(KEPT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        check::{Context, Detection},
        date::{Date, Timestamp},
        link::normalize,
        rates::{Lang, Programme},
    };

    fn checked(url: &str, status: Status) -> Outcome {
        let programme = Programme::embedded().unwrap();
        let context = Context {
            programme: &programme,
            template: None,
            date: Date::new(2026, 11, 30).unwrap(),
            now: Timestamp::default(),
            lang: Lang::En,
        };
        let options = crate::domain::check::CheckOptions {
            country: crate::domain::country::Country::parse("US").unwrap(),
            amount: None,
            sub: None,
            template: None,
        };
        let found = Detection {
            status,
            ..Detection::unknown()
        };
        Outcome::Checked(Box::new(context.assemble(
            url,
            normalize(url).unwrap(),
            found,
            &options,
        )))
    }

    #[test]
    fn newest_first_one_per_link_changes_marked_at_most_fifty() {
        let a = "https://aliexpress.com/item/1005006295880104.html";
        let b = "https://aliexpress.com/item/1005005248414510.html";
        let mut list = Vec::new();
        record(
            &mut list,
            &[checked(a, Status::Affiliate), checked(b, Status::HotSale)],
            100,
        );
        assert_eq!(
            list.iter().map(|e| e.link.as_str()).collect::<Vec<_>>(),
            [b, a]
        );
        record(&mut list, &[checked(a, Status::Affiliate)], 200);
        assert_eq!(
            (list[0].link.as_str(), list[0].at, list[0].was.clone()),
            (a, 200, None)
        );
        record(&mut list, &[checked(a, Status::NonAffiliate)], 300);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].was.as_ref().map(|w| w.0), Some(Status::Affiliate));
        // Still marked after an unchanged check.
        record(&mut list, &[checked(a, Status::NonAffiliate)], 400);
        assert!(list[0].was.is_some());
        let many: Vec<Outcome> = (0..60)
            .map(|i| {
                checked(
                    &format!(
                        "https://aliexpress.com/item/{}.html",
                        1005007000000000u64 + i
                    ),
                    Status::Affiliate,
                )
            })
            .collect();
        record(&mut list, &many, 500);
        assert_eq!(list.len(), KEPT);
    }
}
