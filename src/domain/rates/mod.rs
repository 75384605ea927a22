//! The rates engine: interprets the programme's terms (data: `rules/programme.toml`) for one link
//! and one order. Pure: the page runs it in the browser to recompute estimates as the user types.

mod assess;
#[cfg(feature = "ssr")]
pub mod load;
mod money;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use money::{Amount, AmountError, MAX_AMOUNT_USD};
pub use text::{category_key, percent, push_percent};

pub use crate::domain::codes::NoticeCode;
use crate::domain::{
    country::Country,
    date::Date,
    lang::Lang,
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
        let w = &lang.words().status_words;
        match self {
            Status::HotSale => w.hot_sale,
            Status::Affiliate => w.affiliate,
            Status::NonAffiliate => w.non_affiliate,
            Status::ZeroCommission => w.zero_commission,
            Status::Unknown => w.unknown,
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
    /// `messages` with `{cap}` and `{days}` filled in, worked out once (on the first check).
    #[serde(skip)]
    pub filled: Derived<BTreeMap<NoticeCode, Texts>>,
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
