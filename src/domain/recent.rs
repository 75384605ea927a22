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

/// The list as JSON, as the browser keeps it: the text `serde_json` writes for it, written without
/// it (the page's first bundle carries no general JSON encoder).
pub fn list_to_json(list: &[Recent]) -> String {
    use crate::domain::json::{write_list, write_text};
    use std::fmt::Write as _;
    let mut out = String::new();
    write_list(&mut out, list, |out, e| {
        out.push_str("{\"link\":");
        write_text(out, &e.link);
        out.push_str(",\"status\":");
        write_text(out, e.status.as_str());
        out.push_str(",\"band\":");
        write_text(out, &e.band);
        let _ = write!(out, ",\"at\":{},\"was\":", e.at);
        match &e.was {
            Some((status, band)) => write_list(out, &[status.as_str(), band.as_str()], |out, s| {
                write_text(out, s);
            }),
            None => out.push_str("null"),
        }
        out.push('}');
    });
    out
}

/// The list from the browser's JSON ([`list_to_json`], or what `serde_json` wrote before it);
/// `None` if it is not one, and the page then starts with an empty list.
pub fn list_from_json(text: &str) -> Option<Vec<Recent>> {
    use crate::domain::json::{parse, Value};
    let status = |v: &Value| {
        let name = v.as_text()?;
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    };
    let Value::List(items) = parse(text)? else {
        return None;
    };
    items
        .iter()
        .map(|item| {
            let was = match item.get("was") {
                None | Some(Value::Null) => None,
                Some(Value::List(pair)) if pair.len() == 2 => {
                    Some((status(&pair[0])?, pair[1].as_text()?.to_string()))
                }
                Some(_) => return None,
            };
            Some(Recent {
                link: item.get("link")?.as_text()?.to_string(),
                status: status(item.get("status")?)?,
                band: item.get("band")?.as_text()?.to_string(),
                at: item.get("at")?.as_i64()?,
                was,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn recent() -> impl Strategy<Value = Recent> {
        let status = prop::sample::select(Status::ALL.to_vec());
        (
            "https://aliexpress\\.com/item/[0-9]{16}\\.html",
            status.clone(),
            "[0-9.–%\"\\\\ a-zé]{0,12}",
            any::<i64>(),
            prop::option::of((status, "[0-9.–%a-z]{0,8}")),
        )
            .prop_map(|(link, status, band, at, was)| Recent {
                link,
                status,
                band,
                at,
                was,
            })
    }

    proptest! {
        /// The page's own JSON is `serde_json`'s, and reads back; so does what `serde_json` wrote.
        #[test]
        fn the_list_is_kept_as_serde_json_keeps_it(list in prop::collection::vec(recent(), 0..5)) {
            let text = list_to_json(&list);
            prop_assert_eq!(&text, &serde_json::to_string(&list).unwrap());
            prop_assert_eq!(list_from_json(&text), Some(list.clone()));
        }
    }

    #[test]
    fn a_list_it_cannot_read_is_none() {
        let good = r#"[{"link":"l","status":"affiliate","band":"5%","at":1}]"#;
        assert_eq!(list_from_json(good).unwrap()[0].was, None);
        for bad in [
            "",
            "{}",
            r#"[{"link":"l","status":"affiliate","band":"5%"}]"#,
            r#"[{"link":"l","status":"gold","band":"5%","at":1}]"#,
            r#"[{"link":"l","status":"affiliate","band":"5%","at":1.5}]"#,
            r#"[{"link":"l","status":"affiliate","band":"5%","at":1,"was":["affiliate"]}]"#,
            r#"[{"link":1,"status":"affiliate","band":"5%","at":1}]"#,
        ] {
            assert_eq!(list_from_json(bad), None, "{bad}");
            assert!(serde_json::from_str::<Vec<Recent>>(bad).is_err(), "{bad}");
        }
    }
    use crate::domain::{
        check::Context,
        date::{Date, Timestamp},
        lang::Lang,
        link::normalize,
        rates::Programme,
        sources::Detection,
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
