//! The rates engine: interprets the programme's terms (data: `rules/programme.toml`) for one link
//! and one order. Pure: the page runs it in the browser to recompute estimates as the user types.

#[cfg(feature = "ssr")]
pub mod load;
mod money;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use money::{Amount, AmountError, MAX_AMOUNT_USD};

pub use crate::domain::codes::NoticeCode;
use crate::domain::{
    country::Country,
    date::Date,
    link::{PageKind, Site},
};

/// A product's status in the programme (the contract's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Status {
    HotSale,
    Affiliate,
    NonAffiliate,
    ZeroCommission,
    Unknown,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::HotSale,
        Status::Affiliate,
        Status::NonAffiliate,
        Status::ZeroCommission,
        Status::Unknown,
    ];

    /// The status in a sentence.
    pub fn word(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::HotSale, _) => "hot sale",
            (Status::Affiliate, Lang::En) => "affiliate",
            (Status::Affiliate, Lang::Ru) => "партнёрский",
            (Status::NonAffiliate, Lang::En) => "non-affiliate",
            (Status::NonAffiliate, Lang::Ru) => "непартнёрский",
            (Status::ZeroCommission, Lang::En) => "without commission",
            (Status::ZeroCommission, Lang::Ru) => "без комиссии",
            (Status::Unknown, Lang::En) => "unknown",
            (Status::Unknown, Lang::Ru) => "неизвестен",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::HotSale => "hot_sale",
            Status::Affiliate => "affiliate",
            Status::NonAffiliate => "non_affiliate",
            Status::ZeroCommission => "zero_commission",
            Status::Unknown => "unknown",
        }
    }
}

/// The contract's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RegionId {
    Cis,
    NonCis,
}

/// The languages of the texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ru,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub en: String,
    pub ru: String,
}

impl Texts {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub order_cap_usd: f64,
    pub confirmation_days: [u32; 2],
    pub scale_max_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: RegionId,
    #[serde(default)]
    pub countries: Vec<Country>,
    #[serde(default)]
    pub default: bool,
    pub cookie_days: u32,
    pub name: Texts,
    pub source: String,
}

/// A rate band in percent; `None` where the terms give no bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub region: RegionId,
    pub status: Status,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The band becomes 0% and the rule's code is a warning.
    ZeroRate,
    /// The hot-sale rate is not paid through this link: a hot-sale product earns the region's
    /// standard (affiliate) band and its regular rate, and no band reaches above the standard
    /// maximum. The rule's code is a warning; `{direct}` in its sentence is what a direct link to
    /// the product would earn.
    StandardRate,
    /// The band reaches down to 0% (the item may be excluded); the code is a warning.
    ReachZero,
    Warning,
    Note,
}

/// A rule of the terms: conditions (all must hold; an empty list holds always), dates, effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub code: NoticeCode,
    #[serde(default)]
    pub from: Option<Date>,
    #[serde(default)]
    pub until: Option<Date>,
    #[serde(default)]
    pub regions: Vec<RegionId>,
    #[serde(default)]
    pub countries: Vec<Country>,
    /// Delivery countries where the rule does not hold.
    #[serde(default)]
    pub not_countries: Vec<Country>,
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<PageKind>,
    #[serde(default)]
    pub sites: Vec<Site>,
    /// Holds only when a source says whether the item is Tmall's, and it says this.
    #[serde(default)]
    pub tmall: Option<bool>,
    #[serde(default)]
    pub ships_from: Vec<Country>,
    /// `true`: a source knows the ship-from country; `false`: none does.
    #[serde(default)]
    pub ships_from_known: Option<bool>,
    /// The seller's country (a Russian store: `["RU"]`).
    #[serde(default)]
    pub store_countries: Vec<Country>,
    #[serde(default)]
    pub store_country_known: Option<bool>,
    /// `true`: a source reported a rate for this product (regular or hot).
    #[serde(default)]
    pub rate_known: Option<bool>,
    pub source: String,
    /// `categories` as [`same_category`] compares them, worked out once (on the first check).
    #[serde(skip)]
    pub categories_compared: Derived<Vec<String>>,
}

/// A value worked out once from the others, kept beside them: never part of a comparison or of
/// the JSON (the browser works it out again).
#[derive(Clone, Default)]
pub struct Derived<T>(std::sync::OnceLock<T>);

impl<T> Derived<T> {
    pub fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(make)
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for Derived<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
}

/// A rule of the programme about traffic and placement: what is not allowed, and only the
/// consequence the terms state for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conduct {
    pub id: String,
    pub rule: Texts,
    pub consequence: Texts,
    /// The sentences of the terms it comes from.
    pub source: String,
}

/// The validated programme. Built by [`load`] on the server, sent as JSON to the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub programme: Header,
    pub regions: Vec<Region>,
    pub bands: Vec<Band>,
    pub rules: Vec<Rule>,
    pub messages: BTreeMap<NoticeCode, Texts>,
    /// Second sentences of a code for another case (see [`load::VARIANTS`]): `order_cap_band`.
    #[serde(default)]
    pub variants: BTreeMap<String, Texts>,
    #[serde(default)]
    pub conduct: Vec<Conduct>,
}

/// What the rates engine needs to know about one link and one order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order<'a> {
    pub country: Country,
    pub status: Status,
    /// The regular rate a data source reported for this product, in percent.
    pub exact_percent: Option<f64>,
    /// The hot-sale rate a data source reported (paid only through a direct product link).
    pub hot_percent: Option<f64>,
    pub kind: PageKind,
    pub site: Site,
    /// Whether the item is in the Tmall section, where a source (or the link) says.
    pub tmall: Option<bool>,
    /// The product's first-level category, where known.
    pub category: Option<&'a str>,
    /// The country the item ships from, where known.
    pub ships_from: Option<Country>,
    /// The seller's country, where known.
    pub store_country: Option<Country>,
    pub amount: Option<Amount>,
    /// The date of the check: rules apply from their date on.
    pub date: Date,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "KZ"))]
    pub country: Country,
    pub region: RegionId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rate {
    pub min_percent: Option<f64>,
    pub max_percent: Option<f64>,
    /// The rate this link earns as a source reported it: on a direct link to a hot-sale product
    /// the hot rate, otherwise the regular rate.
    pub exact_percent: Option<f64>,
    /// The hot-sale rate a source reported for this product (earned only through a direct
    /// product link).
    #[serde(default)]
    pub hot_percent: Option<f64>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Estimate {
    pub order_amount_usd: f64,
    pub commission_usd_min: Option<f64>,
    pub commission_usd_max: Option<f64>,
    pub commission_usd_exact: Option<f64>,
    pub capped: bool,
}

/// A warning or a note: a code and its sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notice {
    pub code: NoticeCode,
    pub message: String,
}

/// The rates engine's answer for one link and one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub delivery: Delivery,
    pub rate: Rate,
    pub estimate: Option<Estimate>,
    pub cookie_days: u32,
    pub warnings: Vec<Notice>,
    pub notes: Vec<Notice>,
    /// A rule set the rate to 0% (Brazil, 0% categories, Tmall from Russia).
    pub zeroed: bool,
}

/// Compares category names loosely: case, `&`/`and`, punctuation and spacing do not matter.
pub fn same_category(a: &str, b: &str) -> bool {
    category_key(a) == category_key(b)
}

/// A category name as [`same_category`] compares it.
pub fn category_key(s: &str) -> String {
    let s = crate::domain::case::lower_str(s)
        .replace('&', " and ")
        .replace('ё', "е");
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| if w == "и" { "and" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Formats a percentage without trailing zeros: 0.8, 7, 0.72, 12.5.
pub fn percent(p: f64) -> String {
    let s = crate::domain::number::fixed(p, 3);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Rule {
    /// True when the rule is in force on `date` and its conditions hold for `order`.
    pub fn applies(&self, order: &Order<'_>, region: RegionId) -> bool {
        let category = order.category.map(category_key);
        self.applies_to(order, region, category.as_deref())
    }

    /// [`Self::applies`] with the order's category already as [`category_key`] makes it.
    fn applies_to(&self, order: &Order<'_>, region: RegionId, category: Option<&str>) -> bool {
        let dated =
            self.from.is_none_or(|d| order.date >= d) && self.until.is_none_or(|d| order.date <= d);
        let any = |list_empty: bool, hit: bool| list_empty || hit;
        dated
            && any(self.regions.is_empty(), self.regions.contains(&region))
            && any(
                self.countries.is_empty(),
                self.countries.contains(&order.country),
            )
            && !self.not_countries.contains(&order.country)
            && any(
                self.statuses.is_empty(),
                self.statuses.contains(&order.status),
            )
            && any(
                self.categories.is_empty(),
                category.is_some_and(|c| {
                    self.categories_compared
                        .get_or_init(|| self.categories.iter().map(|k| category_key(k)).collect())
                        .iter()
                        .any(|k| k == c)
                }),
            )
            && any(self.kinds.is_empty(), self.kinds.contains(&order.kind))
            && any(self.sites.is_empty(), self.sites.contains(&order.site))
            && self.tmall.is_none_or(|t| order.tmall == Some(t))
            && any(
                self.ships_from.is_empty(),
                order
                    .ships_from
                    .is_some_and(|c| self.ships_from.contains(&c)),
            )
            && self
                .ships_from_known
                .is_none_or(|k| k == order.ships_from.is_some())
            && any(
                self.store_countries.is_empty(),
                order
                    .store_country
                    .is_some_and(|c| self.store_countries.contains(&c)),
            )
            && self
                .store_country_known
                .is_none_or(|k| k == order.store_country.is_some())
            && self
                .rate_known
                .is_none_or(|k| k == (order.exact_percent.is_some() || order.hot_percent.is_some()))
    }
}

impl Programme {
    pub fn region(&self, id: RegionId) -> &Region {
        self.regions
            .iter()
            .find(|r| r.id == id)
            .expect("validated: every region id has a region")
    }

    /// The region of a delivery country (the default region holds every unlisted country).
    pub fn region_of(&self, country: Country) -> &Region {
        self.regions
            .iter()
            .find(|r| r.countries.contains(&country))
            .or_else(|| self.regions.iter().find(|r| r.default))
            .expect("validated: exactly one default region")
    }

    pub fn band(&self, region: RegionId, status: Status) -> &Band {
        self.bands
            .iter()
            .find(|b| b.region == region && b.status == status)
            .expect("validated: a band for every region and status")
    }

    /// The per-order cap in cents.
    pub fn cap_cents(&self) -> u64 {
        (self.programme.order_cap_usd * 100.0).round() as u64
    }

    /// The sentence for a code, with `{cap}` and `{days}` filled in.
    pub fn message(&self, code: NoticeCode, lang: Lang) -> String {
        let text = self
            .messages
            .get(&code)
            .map_or(code.as_str(), |t| t.get(lang));
        self.fill(text)
    }

    /// `{cap}` and `{days}` filled in (most sentences have neither: copied as they are).
    fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        let [lo, hi] = self.programme.confirmation_days;
        text.replace("{cap}", &percent(self.programme.order_cap_usd))
            .replace("{days}", &format!("{lo}–{hi}"))
    }

    pub fn notice(&self, code: NoticeCode, lang: Lang) -> Notice {
        Notice {
            code,
            message: self.message(code, lang),
        }
    }

    /// A code's sentence for another case (`order_cap_band`), with `{cap}` and `{days}` filled
    /// in; the code's own sentence where the file gives none.
    pub fn variant(&self, code: NoticeCode, variant: &str, lang: Lang) -> Notice {
        match self.variants.get(variant) {
            Some(t) => Notice {
                code,
                message: self.fill(t.get(lang)),
            },
            None => self.notice(code, lang),
        }
    }

    /// The per-order cap's warning for an estimate: the commission shown (the exact one where a
    /// source gave a rate) was capped, or, with no exact rate, the top of the band would be.
    pub fn cap_notice(&self, rate: &Rate, estimate: &Estimate, lang: Lang) -> Option<Notice> {
        if !estimate.capped {
            return None;
        }
        Some(if rate.exact_percent.is_some() {
            self.notice(NoticeCode::OrderCap, lang)
        } else {
            self.variant(NoticeCode::OrderCap, "order_cap_band", lang)
        })
    }

    /// The highest rate a link that does not lead straight to the product can earn for a product
    /// of `status`: the standard (affiliate) band's top for a hot-sale product; for an unknown
    /// status, the top of every status but hot sale (none where one of them has no upper bound,
    /// as CIS non-affiliate goods: "from 0%").
    fn standard_ceiling(&self, region: RegionId, status: Status) -> Option<f64> {
        if status != Status::Unknown {
            return self.band(region, Status::Affiliate).max;
        }
        let mut top: Option<f64> = Some(0.0);
        for s in [
            Status::Affiliate,
            Status::NonAffiliate,
            Status::ZeroCommission,
        ] {
            top = match (top, self.band(region, s).max) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        top
    }

    /// The band's label: `0.8–7%`, `up to 70%`, `from 0%`, `0%`.
    #[allow(clippy::float_cmp)] // equal bounds are the same number of the rules file, not a computation
    pub fn label(min: Option<f64>, max: Option<f64>, lang: Lang) -> String {
        match (min, max, lang) {
            (Some(a), Some(b), _) if a == b => format!("{}%", percent(a)),
            (Some(a), Some(b), _) => format!("{}–{}%", percent(a), percent(b)),
            (None, Some(b), Lang::En) => format!("up to {}%", percent(b)),
            (None, Some(b), Lang::Ru) => format!("до {}%", percent(b)),
            (Some(a), None, Lang::En) => format!("from {}%", percent(a)),
            (Some(a), None, Lang::Ru) => format!("от {}%", percent(a)),
            (None, None, Lang::En) => "no bound given".to_string(),
            (None, None, Lang::Ru) => "без границ".to_string(),
        }
    }

    /// Everything the terms say about one link and one order.
    pub fn assess(&self, order: &Order<'_>, lang: Lang) -> Assessment {
        let region = self.region_of(order.country);
        let category = order.category.map(category_key);
        let applying: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.applies_to(order, region.id, category.as_deref()))
            .collect();
        // Through a link that does not lead straight to the product, the hot-sale rate is not
        // paid: the standard commission applies.
        let standard = applying.iter().any(|r| r.kind == RuleKind::StandardRate);
        let hot_paid = order.status == Status::HotSale && !standard;
        let band_status = if order.status == Status::HotSale && standard {
            Status::Affiliate
        } else {
            order.status
        };
        let band = self.band(region.id, band_status);
        let (mut min, mut max) = (band.min, band.max);
        if standard {
            let ceiling = self.standard_ceiling(region.id, order.status);
            max = match (max, ceiling) {
                (Some(m), Some(c)) => Some(m.min(c)),
                // No upper bound in the terms for some status this link may earn: none.
                (_, None) => None,
                (None, c) => c,
            };
        }
        let mut exact = if hot_paid {
            order.hot_percent
        } else {
            order.exact_percent
        };
        let mut hot = order.hot_percent;
        let mut warnings: Vec<Notice> = Vec::new();
        let mut notes: Vec<Notice> = Vec::new();
        let mut zeroed = false;
        let push = |list: &mut Vec<Notice>, notice: Notice| {
            if !list.iter().any(|n| n.code == notice.code) {
                list.push(notice);
            }
        };
        for rule in applying {
            match rule.kind {
                RuleKind::ZeroRate => {
                    zeroed = true;
                    push(&mut warnings, self.notice(rule.code, lang));
                }
                RuleKind::StandardRate => {
                    let direct = order.hot_percent.map_or_else(
                        || {
                            let b = self.band(region.id, Status::HotSale);
                            Self::label(b.min, b.max, lang)
                        },
                        |h| format!("{}%", percent(h)),
                    );
                    let mut notice = self.notice(rule.code, lang);
                    notice.message = notice.message.replace("{direct}", &direct);
                    push(&mut warnings, notice);
                }
                RuleKind::ReachZero => {
                    min = Some(0.0);
                    push(&mut warnings, self.notice(rule.code, lang));
                }
                RuleKind::Warning => push(&mut warnings, self.notice(rule.code, lang)),
                RuleKind::Note => push(&mut notes, self.notice(rule.code, lang)),
            }
        }
        if zeroed {
            (min, max) = (Some(0.0), Some(0.0));
            exact = exact.map(|_| 0.0);
            hot = hot.map(|_| 0.0);
        }
        let rate = Rate {
            min_percent: min,
            max_percent: max,
            exact_percent: exact,
            hot_percent: hot,
            label: Self::label(min, max, lang),
        };
        if !zeroed {
            if let Some(note) = self.outside_terms(&rate, band_status, hot_paid, region.id, lang) {
                push(&mut notes, note);
            }
        }
        let estimate = order.amount.map(|amount| self.estimate(&rate, amount));
        if let Some(notice) = estimate
            .as_ref()
            .and_then(|e| self.cap_notice(&rate, e, lang))
        {
            push(&mut warnings, notice);
        }
        Assessment {
            delivery: Delivery {
                country: order.country,
                region: region.id,
            },
            rate,
            estimate,
            cookie_days: region.cookie_days,
            warnings,
            notes,
            zeroed,
        }
    }

    /// The note `rate_outside_terms` when the rate a source reported for this link (or the
    /// hot-sale rate it reported) lies outside the terms' band for the status and region: the band
    /// stays the terms', the exact rate and the estimate are the source's.
    fn outside_terms(
        &self,
        rate: &Rate,
        band_status: Status,
        hot_paid: bool,
        region: RegionId,
        lang: Lang,
    ) -> Option<Notice> {
        let outside = |p: f64, min: Option<f64>, max: Option<f64>| {
            min.is_some_and(|m| p < m) || max.is_some_and(|m| p > m)
        };
        let (reported, status, min, max) = match rate.exact_percent {
            Some(p) if outside(p, rate.min_percent, rate.max_percent) => {
                (p, band_status, rate.min_percent, rate.max_percent)
            }
            _ => {
                // A hot-sale rate that is not the one this link earns, against the hot band.
                let hot = self.band(region, Status::HotSale);
                match rate.hot_percent {
                    Some(h) if !hot_paid && outside(h, hot.min, hot.max) => {
                        (h, Status::HotSale, hot.min, hot.max)
                    }
                    _ => return None,
                }
            }
        };
        let mut notice = self.notice(NoticeCode::RateOutsideTerms, lang);
        notice.message = notice
            .message
            .replace("{rate}", &format!("{}%", percent(reported)))
            .replace("{band}", &Self::label(min, max, lang))
            .replace("{status}", status.word(lang));
        Some(notice)
    }

    /// The commission on `amount` at the band's bounds and the exact rate: floored to the cent,
    /// capped per order. Pure integer arithmetic: no float rounding error reaches a cent.
    /// `capped` says the cap cut the commission shown: the exact one where a source gave a rate,
    /// else the top of the band.
    pub fn estimate(&self, rate: &Rate, amount: Amount) -> Estimate {
        let cap = self.cap_cents();
        let commission = |percent: Option<f64>| {
            percent.map(|p| money::usd(money::commission_cents(amount, p).min(cap)))
        };
        // Capped whenever the commission before the cap is over it, by any fraction of a cent
        // (70% of 55.01 is 38.507: capped at 38.50).
        let capped = rate
            .exact_percent
            .or(rate.max_percent)
            .is_some_and(|p| money::exceeds_cents(amount, p, cap));
        Estimate {
            order_amount_usd: amount.usd(),
            commission_usd_min: commission(rate.min_percent),
            commission_usd_max: commission(rate.max_percent),
            commission_usd_exact: commission(rate.exact_percent),
            capped,
        }
    }
}
