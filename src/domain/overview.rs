//! A run at a glance: how many links of a check fall in each status (and how many were refused),
//! which earn nothing or may be redirected, what the whole run may earn, and the order the page
//! shows them in when filtered or sorted. Pure, so the page and its tests read the same answer.

use std::cmp::Ordering;

use crate::domain::{
    check::Outcome,
    codes::NoticeCode,
    rates::{Estimate, Status},
};

/// What a result is counted and filtered as: its status, or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    HotSale,
    Affiliate,
    NonAffiliate,
    ZeroCommission,
    Unknown,
    Refused,
}

impl Group {
    /// In the order the page lists them: from what earns most to what earns nothing.
    pub const ALL: [Group; 6] = [
        Group::HotSale,
        Group::Affiliate,
        Group::NonAffiliate,
        Group::Unknown,
        Group::ZeroCommission,
        Group::Refused,
    ];

    pub fn of(outcome: &Outcome) -> Group {
        match outcome {
            Outcome::Checked(r) => Group::from(r.status),
            Outcome::Failed(_) => Group::Refused,
        }
    }

    /// Its name in the page's markup: the status's code, or `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::HotSale => Status::HotSale.as_str(),
            Group::Affiliate => Status::Affiliate.as_str(),
            Group::NonAffiliate => Status::NonAffiliate.as_str(),
            Group::ZeroCommission => Status::ZeroCommission.as_str(),
            Group::Unknown => Status::Unknown.as_str(),
            Group::Refused => "refused",
        }
    }

    /// The status it stands for (none for refused inputs).
    pub fn status(self) -> Option<Status> {
        match self {
            Group::HotSale => Some(Status::HotSale),
            Group::Affiliate => Some(Status::Affiliate),
            Group::NonAffiliate => Some(Status::NonAffiliate),
            Group::ZeroCommission => Some(Status::ZeroCommission),
            Group::Unknown => Some(Status::Unknown),
            Group::Refused => None,
        }
    }

    /// Its place in [`Group::ALL`] (a sort by status follows it).
    fn rank(self) -> usize {
        Group::ALL.iter().position(|g| *g == self).unwrap_or(0)
    }
}

impl From<Status> for Group {
    fn from(status: Status) -> Group {
        match status {
            Status::HotSale => Group::HotSale,
            Status::Affiliate => Group::Affiliate,
            Status::NonAffiliate => Group::NonAffiliate,
            Status::ZeroCommission => Group::ZeroCommission,
            Status::Unknown => Group::Unknown,
        }
    }
}

/// What the overview and the order need of one answer, read once per answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Facts {
    pub group: Group,
    /// The rate this link earns as far as it is known: the exact rate, else the top of its band
    /// (`None`: the band has no top, or the input was refused).
    pub rate: Option<f64>,
    /// The link earns 0% whatever is bought: no commission, or a band whose top is 0%.
    pub earns_nothing: bool,
    /// The terms say AliExpress may send the buyer to a similar product instead.
    pub may_redirect: bool,
}

impl Facts {
    pub fn of(outcome: &Outcome) -> Facts {
        match outcome {
            Outcome::Checked(r) => {
                let rate = r.rate.exact_percent.or(r.rate.max_percent);
                Facts {
                    group: Group::from(r.status),
                    rate,
                    earns_nothing: r.status == Status::ZeroCommission
                        || rate.is_some_and(|p| p <= 0.0),
                    may_redirect: r.warnings.iter().any(|w| {
                        matches!(
                            w.code,
                            NoticeCode::RedirectToSimilar | NoticeCode::ProductUnavailable
                        )
                    }),
                }
            }
            Outcome::Failed(_) => Facts {
                group: Group::Refused,
                rate: None,
                earns_nothing: false,
                may_redirect: false,
            },
        }
    }
}

/// The run at a glance: counts per group (in [`Group::ALL`]'s order) and the inputs (their
/// indexes) to look at first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub answered: usize,
    pub counts: [usize; 6],
    pub earn_nothing: Vec<usize>,
    pub may_redirect: Vec<usize>,
}

impl Overview {
    /// Over the answers so far: `facts[i]` is input `i`'s, `None` while it waits.
    pub fn of(facts: &[Option<Facts>]) -> Overview {
        let mut o = Overview::default();
        for (i, f) in facts.iter().enumerate() {
            let Some(f) = f else { continue };
            o.answered += 1;
            o.counts[f.group.rank()] += 1;
            if f.earns_nothing {
                o.earn_nothing.push(i);
            }
            if f.may_redirect {
                o.may_redirect.push(i);
            }
        }
        o
    }

    pub fn count(&self, group: Group) -> usize {
        self.counts[group.rank()]
    }
}

/// What the whole run may earn with one order of the amount per checked link: the sums of each
/// link's estimate, as one estimate (`commission_usd_max` is `None` when some band has no top;
/// `commission_usd_exact` only when every link's exact commission is known). `None` when no link
/// has an estimate (no amount given, or nothing checked).
pub fn total(outcomes: &[Outcome]) -> Option<Estimate> {
    let estimates: Vec<&Estimate> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Checked(r) => r.estimate.as_ref(),
            Outcome::Failed(_) => None,
        })
        .collect();
    if estimates.is_empty() {
        return None;
    }
    let cents = |v: f64| (v * 100.0).round();
    let sum = |f: fn(&Estimate) -> Option<f64>| -> Option<f64> {
        estimates
            .iter()
            .map(|e| f(e).map(cents))
            .sum::<Option<f64>>()
            .map(|c| c / 100.0)
    };
    let exact = sum(|e| e.commission_usd_exact);
    Some(Estimate {
        order_amount_usd: sum(|e| Some(e.order_amount_usd)).unwrap_or(0.0),
        commission_usd_min: Some(sum(|e| Some(e.commission_usd_min.unwrap_or(0.0))).unwrap_or(0.0)),
        commission_usd_max: sum(|e| e.commission_usd_max.or(e.commission_usd_exact)),
        commission_usd_exact: exact,
        capped: estimates.iter().any(|e| e.capped),
    })
}

/// What a sort orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// From hot sale to refused ([`Group::ALL`]).
    Status,
    /// The rate as far as it is known ([`Facts::rate`]).
    Rate,
    /// The estimate for the amount (its exact figure, else the top of its range).
    Estimate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    /// Largest first (for status: refused first).
    pub descending: bool,
}

/// The order the page shows a run in: the inputs (indexes) of `facts` in `filter`'s group (all
/// when `None`; inputs still waiting only then), sorted by `sort` (input order when `None`, and
/// among equals). An input whose key is unknown (no top, no estimate, waiting) comes last either
/// way. `estimate[i]` is input `i`'s estimate figure, read only by a sort by estimate.
pub fn arrange(
    facts: &[Option<Facts>],
    estimate: &dyn Fn(usize) -> Option<f64>,
    filter: Option<Group>,
    sort: Option<Sort>,
) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..facts.len())
        .filter(|&i| match (filter, facts[i]) {
            (None, _) => true,
            (Some(g), Some(f)) => f.group == g,
            (Some(_), None) => false,
        })
        .collect();
    let Some(sort) = sort else {
        return shown;
    };
    let key = |i: usize| -> Option<f64> {
        let f = facts[i]?;
        match sort.key {
            // Ranked so that "largest first" puts hot sales first.
            SortKey::Status => Some((Group::ALL.len() - f.group.rank()) as f64),
            SortKey::Rate => f.rate,
            SortKey::Estimate => estimate(i),
        }
    };
    let keys: Vec<Option<f64>> = (0..facts.len()).map(key).collect();
    shown.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (Some(x), Some(y)) => {
            let order = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
    shown
}

/// The figure a sort by estimate orders by: the exact commission, else the top of the range,
/// else its bottom.
pub fn estimate_figure(e: &Estimate) -> Option<f64> {
    e.commission_usd_exact
        .or(e.commission_usd_max)
        .or(e.commission_usd_min)
}

/// An address as the table shows it in one line: the scheme and `www.` dropped, at most `max`
/// characters, the middle replaced by `…` (the whole stays in the cell's title and in copies).
pub fn shorten(address: &str, max: usize) -> String {
    let bare = address
        .strip_prefix("https://")
        .or_else(|| address.strip_prefix("http://"))
        .unwrap_or(address);
    let bare = bare.strip_prefix("www.").unwrap_or(bare);
    let count = bare.chars().count();
    if count <= max || max < 3 {
        return bare.to_string();
    }
    let head = (max - 1) * 2 / 3;
    let tail = max - 1 - head;
    let mut out: String = bare.chars().take(head).collect();
    out.push('…');
    out.extend(bare.chars().skip(count - tail));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        check::{CheckFailure, CheckOptions, Context},
        codes::ErrorCode,
        country::Country,
        date::{Date, Timestamp},
        lang::Lang,
        link::normalize,
        messages::Problem,
        rates::{Amount, Programme},
        sources::{Detection, StatusSource},
    };

    /// A checked product link with the status and regular rate a source gave, for `country`.
    fn checked(
        programme: &Programme,
        id: u64,
        status: Status,
        rate: Option<f64>,
        country: &str,
        amount: Option<&str>,
    ) -> Outcome {
        let context = Context {
            programme,
            template: None,
            date: Date::new(2026, 12, 7).unwrap(),
            now: Timestamp::default(),
            lang: Lang::En,
        };
        let options = CheckOptions {
            country: Country::parse(country).unwrap(),
            amount: amount.map(|a| Amount::parse(a).unwrap()),
            sub: None,
            template: None,
        };
        let input = format!(
            "https://aliexpress.com/item/{}.html",
            1_005_007_000_000_000 + id
        );
        let detection = Detection {
            status,
            source: if status == Status::Unknown {
                StatusSource::None
            } else {
                StatusSource::Catalog
            },
            exact_percent: rate,
            hot_percent: (status == Status::HotSale).then_some(rate).flatten(),
            ..Detection::unknown()
        };
        let link = normalize(&input).unwrap();
        Outcome::Checked(Box::new(
            context.assemble(&input, link, detection, &options),
        ))
    }

    fn refused(input: &str) -> Outcome {
        Outcome::Failed(CheckFailure {
            input: input.into(),
            error: Problem::new(ErrorCode::ShortLinkRejected, "no"),
        })
    }

    #[cfg(feature = "ssr")] // the embedded rules are read by the server's loader
    fn run(amount: Option<&str>) -> Vec<Outcome> {
        let p = Programme::embedded().unwrap();
        vec![
            checked(&p, 1, Status::Affiliate, Some(7.0), "US", amount),
            checked(&p, 2, Status::HotSale, Some(9.0), "US", amount),
            refused("https://s.click.aliexpress.com/e/_x"),
            checked(&p, 4, Status::ZeroCommission, None, "US", amount),
            checked(&p, 5, Status::NonAffiliate, Some(3.0), "US", amount),
            checked(&p, 6, Status::Unknown, None, "US", amount),
            checked(&p, 7, Status::Affiliate, Some(4.5), "US", amount),
        ]
    }

    fn facts(outcomes: &[Outcome]) -> Vec<Option<Facts>> {
        outcomes.iter().map(|o| Some(Facts::of(o))).collect()
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_run_is_counted_by_status_and_names_what_earns_nothing() {
        let outcomes = run(None);
        let mut f = facts(&outcomes);
        f.push(None); // one still waiting
        let o = Overview::of(&f);
        assert_eq!(o.answered, 7);
        let counts: Vec<(&str, usize)> = Group::ALL
            .iter()
            .map(|g| (g.as_str(), o.count(*g)))
            .collect();
        assert_eq!(
            counts,
            [
                ("hot_sale", 1),
                ("affiliate", 2),
                ("non_affiliate", 1),
                ("unknown", 1),
                ("zero_commission", 1),
                ("refused", 1)
            ]
        );
        assert_eq!(o.counts.iter().sum::<usize>(), o.answered);
        // The product without commission earns nothing; the non-affiliate one may be redirected
        // (the terms' redirect_to_similar warning).
        assert_eq!(o.earn_nothing, [3]);
        assert_eq!(o.may_redirect, [4]);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn filters_keep_their_group_and_sorts_put_unknowns_last() {
        let outcomes = run(Some("100"));
        let mut f = facts(&outcomes);
        f.push(None);
        let none = |_: usize| None;
        // No filter, no sort: input order, the waiting input included.
        assert_eq!(arrange(&f, &none, None, None), (0..8).collect::<Vec<_>>());
        assert_eq!(arrange(&f, &none, Some(Group::Affiliate), None), [0, 6]);
        assert_eq!(arrange(&f, &none, Some(Group::Refused), None), [2]);
        assert!(arrange(&f, &none, Some(Group::HotSale), None) == [1]);
        let by = |key, descending| Some(Sort { key, descending });
        // Status: hot sale first; refused and waiting last.
        assert_eq!(
            arrange(&f, &none, None, by(SortKey::Status, true)),
            [1, 0, 6, 4, 5, 3, 2, 7]
        );
        assert_eq!(
            arrange(&f, &none, None, by(SortKey::Status, false)),
            [2, 3, 5, 4, 0, 6, 1, 7]
        );
        // Rate: the exact rate, else the band's top; the unknown status's band in the US has a
        // top, a refused or waiting input has none.
        let rates: Vec<Option<f64>> = f.iter().map(|f| f.and_then(|f| f.rate)).collect();
        assert_eq!(rates[..3], [Some(7.0), Some(9.0), None]);
        let order = arrange(&f, &none, None, by(SortKey::Rate, true));
        let sorted: Vec<Option<f64>> = order.iter().map(|&i| rates[i]).collect();
        let known = sorted.iter().take_while(|r| r.is_some()).count();
        assert!(
            sorted[..known].windows(2).all(|w| w[0] >= w[1]),
            "{sorted:?}"
        );
        assert!(sorted[known..].iter().all(Option::is_none));
        assert_eq!(order[..known].len(), 6);
        // Estimate: the figure given by the caller (the page re-estimates for its amount field).
        let figures: Vec<Option<f64>> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Checked(r) => r.estimate.as_ref().and_then(estimate_figure),
                Outcome::Failed(_) => None,
            })
            .collect();
        let figure = |i: usize| figures.get(i).copied().flatten();
        let order = arrange(&f, &figure, None, by(SortKey::Estimate, false));
        assert_eq!(order[0], 3, "earns nothing: $0 first");
        assert_eq!(order[order.len() - 1], 7, "waiting last");
        // Filter and sort together.
        assert_eq!(
            arrange(&f, &none, Some(Group::Affiliate), by(SortKey::Rate, false)),
            [6, 0]
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_runs_total_adds_each_links_estimate() {
        assert_eq!(total(&run(None)), None);
        let outcomes = run(Some("100"));
        let t = total(&outcomes).unwrap();
        let each: Vec<&Estimate> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Checked(r) => r.estimate.as_ref(),
                Outcome::Failed(_) => None,
            })
            .collect();
        assert_eq!(each.len(), 6);
        assert!((t.order_amount_usd - 600.0).abs() < 1e-9);
        let min: f64 = each
            .iter()
            .map(|e| e.commission_usd_min.unwrap_or(0.0))
            .sum();
        assert!((t.commission_usd_min.unwrap() - min).abs() < 0.005);
        // Not every link has an exact rate: no exact total.
        assert_eq!(t.commission_usd_exact, None);
        // $7 + $9 + $3 + $4.50 exact where known.
        let only_exact = [0, 1, 4, 6].map(|i| outcomes[i].clone());
        let t = total(&only_exact).unwrap();
        assert_eq!(t.commission_usd_exact, Some(23.5));
    }

    #[test]
    fn addresses_are_shortened_in_the_middle() {
        let long =
            "https://www.aliexpress.com/item/1005006295880104.html?spm=a2g0o.productlist.main.1";
        assert_eq!(
            shorten("https://aliexpress.com/item/1.html", 40),
            "aliexpress.com/item/1.html"
        );
        let short = shorten(long, 40);
        assert_eq!(short.chars().count(), 40);
        assert!(short.starts_with("aliexpress.com/item/100500"), "{short}");
        assert!(short.ends_with("main.1"), "{short}");
        assert!(short.contains('…'));
        assert_eq!(shorten("ab", 1), "ab");
        // Never splits a character.
        assert_eq!(shorten("ааааааааааbbbbbbbbbb", 7).chars().count(), 7);
    }
}
