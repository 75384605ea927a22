//! How the status sources' answers become one detection: the policy, pure. The server shell asks
//! the sources (the Open Platform, the catalogue, the product page) and hands their facts here.
//!
//! Authority: the Open Platform (AliExpress itself) decides when it answered; then ePN, Admitad and
//! the catalogue; a product page never decides a status, it only fills in the product's details. A product is
//! hot sale when its source says so, never by a threshold of ours.

use serde::{Deserialize, Serialize};

use crate::domain::{country::Country, date::Timestamp, lang::Lang, rates::Status};

/// Which source decided the status (the contract's `status_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum StatusSource {
    Api,
    Epn,
    Admitad,
    Catalog,
    Page,
    Rules,
    None,
}

/// The contract's `product` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductInfo {
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub available: bool,
}

impl StatusSource {
    /// The source's name as a reader knows it.
    pub fn display(self, lang: Lang) -> &'static str {
        let w = &lang.words().sources;
        match self {
            StatusSource::Api => "AliExpress Open Platform",
            StatusSource::Epn => "ePN",
            StatusSource::Admitad => "Admitad",
            StatusSource::Catalog => w.catalog,
            StatusSource::Page => w.page,
            StatusSource::Rules => w.rules,
            StatusSource::None => w.none,
        }
    }
}

impl ProductInfo {
    /// Nothing known yet, available until a page says otherwise.
    pub fn blank() -> ProductInfo {
        ProductInfo {
            title: None,
            image_url: None,
            category: None,
            available: true,
        }
    }
}

/// What the status sources found out about one link.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub status: Status,
    pub source: StatusSource,
    /// The regular rate a source reported.
    pub exact_percent: Option<f64>,
    /// The hot-sale rate a source reported.
    pub hot_percent: Option<f64>,
    pub product: Option<ProductInfo>,
    /// Whether the item is Tmall's, where a source says.
    pub tmall: Option<bool>,
    pub ships_from: Option<Country>,
    /// The seller's country.
    pub store_country: Option<Country>,
    /// Every source that answered, in authority order, with when.
    pub sources: Vec<crate::domain::sources::SourceAnswer>,
}

impl Detection {
    /// Nobody knows: the whole band of the region applies.
    pub fn unknown() -> Detection {
        Detection {
            status: Status::Unknown,
            source: StatusSource::None,
            exact_percent: None,
            hot_percent: None,
            product: None,
            tmall: None,
            ships_from: None,
            store_country: None,
            sources: Vec::new(),
        }
    }
}

/// What the Open Platform said of one product.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFacts {
    /// In the programme, at these rates (percent), with these details.
    Found {
        commission: Option<f64>,
        hot_commission: Option<f64>,
        title: Option<String>,
        image_url: Option<String>,
        category: Option<String>,
        /// Whether the item is Tmall's, where the answer carries it.
        tmall: Option<bool>,
    },
    /// The platform does not return it: not in the programme.
    NotInProgramme,
}

/// What the imported catalogue says of a product or its store.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFacts {
    pub status: Status,
    /// The row's rate: for a `hot_sale` row the hot rate, otherwise the regular one.
    pub rate: Option<f64>,
    pub category: Option<String>,
    pub tmall: Option<bool>,
    pub ships_from: Option<Country>,
    pub store_country: Option<Country>,
}

/// What a product page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageFacts {
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub available: bool,
    /// The seller's country, from the page's seller data.
    pub store_country: Option<Country>,
    /// The store's id (the digits of its `/store/<id>` address).
    pub store_id: Option<String>,
    /// Whether the item is Tmall's, where the page says.
    pub tmall: Option<bool>,
    /// The country the item ships from, where the page shows it.
    pub ships_from: Option<Country>,
}

/// What the AliExpress Open Platform says of a product (`aliexpress.affiliate.productdetail.get`):
/// a product it returned is in the programme.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiProduct {
    pub product_id: String,
    /// `commission_rate`, in percent.
    pub commission_rate: Option<f64>,
    /// `hot_product_commission_rate`, in percent.
    pub hot_commission_rate: Option<f64>,
    pub title: Option<String>,
    pub image_url: Option<String>,
    /// `first_level_category_name`.
    pub category: Option<String>,
    pub shop_id: Option<String>,
    /// `platform_product_type` where the answer carries it: `TMALL` is the Tmall section,
    /// `PLAZA` the marketplace; absent or any other value says nothing.
    pub tmall: Option<bool>,
}

/// What an affiliate network (ePN, Admitad) says of a product it knows.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFacts {
    pub status: Status,
    pub exact_percent: Option<f64>,
    pub hot_percent: Option<f64>,
    pub title: Option<String>,
    pub image_url: Option<String>,
}

/// One source's answer as a result shows it (the contract's `sources[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SourceAnswer {
    pub name: StatusSource,
    pub status: Status,
    pub exact_percent: Option<f64>,
    pub hot_percent: Option<f64>,
    /// When the source said it (a remembered answer keeps its time).
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "2026-11-30T12:00:00Z"))]
    pub checked_at: Timestamp,
}

impl SourceAnswer {
    /// The source's name as the contract writes it (`api`, `epn`, ...).
    pub fn name_str(&self) -> &'static str {
        match self.name {
            StatusSource::Api => "api",
            StatusSource::Epn => "epn",
            StatusSource::Admitad => "admitad",
            StatusSource::Catalog => "catalog",
            StatusSource::Page => "page",
            StatusSource::Rules => "rules",
            StatusSource::None => "none",
        }
    }
}

/// Whether the Open Platform's rates make a product hot sale: a hot-product rate is present and
/// above the regular one (no threshold of our own: the source says it).
pub fn hot_by_rates(commission: Option<f64>, hot: Option<f64>) -> bool {
    match (commission, hot) {
        (_, None) => false,
        (Some(c), Some(h)) => h > c,
        (None, Some(h)) => h > 0.0,
    }
}

/// The authority order: the Open Platform (AliExpress itself), ePN, Admitad, the catalogue.
pub const AUTHORITY: [StatusSource; 4] = [
    StatusSource::Api,
    StatusSource::Epn,
    StatusSource::Admitad,
    StatusSource::Catalog,
];

/// Reads an authority order (`LINKSMITH_SOURCE_ORDER`): comma-separated names among `api`, `epn`,
/// `admitad`, `catalog`, each at most once; the ones left out follow in the default order.
pub fn parse_order(text: &str) -> Result<Vec<StatusSource>, String> {
    let mut order: Vec<StatusSource> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let source = match name.to_ascii_lowercase().as_str() {
            "api" => StatusSource::Api,
            "epn" => StatusSource::Epn,
            "admitad" => StatusSource::Admitad,
            "catalog" | "catalogue" => StatusSource::Catalog,
            _ => {
                return Err(format!(
                "\"{name}\" is not a status source; the sources are api, epn, admitad and catalog"
            ))
            }
        };
        if order.contains(&source) {
            return Err(format!("\"{name}\" is named twice"));
        }
        order.push(source);
    }
    for source in AUTHORITY {
        if !order.contains(&source) {
            order.push(source);
        }
    }
    Ok(order)
}

/// The authority order for links that go through `network` (the template's: a webmaster is paid
/// what the network their link goes through pays): that network's source first, then `order`.
/// Without a network, `order` itself (`LINKSMITH_SOURCE_ORDER`).
pub fn led_by(order: &[StatusSource], network: Option<StatusSource>) -> Vec<StatusSource> {
    let mut led: Vec<StatusSource> = network.into_iter().collect();
    led.extend(order.iter().copied().filter(|s| Some(*s) != network));
    led
}

/// What a source said, and when it said it (a remembered answer keeps its time).
#[derive(Debug, Clone, PartialEq)]
pub struct Said<T> {
    pub facts: T,
    pub at: Timestamp,
}

impl<T> Said<T> {
    pub fn new(facts: T, at: Timestamp) -> Said<T> {
        Said { facts, at }
    }
}

/// What each source answered for one link, each with its time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    pub api: Option<Said<ApiFacts>>,
    pub epn: Option<Said<NetworkFacts>>,
    pub admitad: Option<Said<NetworkFacts>>,
    pub catalog: Option<Said<CatalogFacts>>,
}

/// Every fact one source may state, none required.
#[derive(Default)]
struct Stated {
    status: Option<Status>,
    exact: Option<f64>,
    hot: Option<f64>,
    title: Option<String>,
    image_url: Option<String>,
    category: Option<String>,
    tmall: Option<bool>,
    ships_from: Option<Country>,
    store_country: Option<Country>,
}

impl Answers {
    fn stated(&self, source: StatusSource) -> Option<(Stated, Timestamp)> {
        match source {
            StatusSource::Api => self.api.as_ref().map(|Said { facts, at }| {
                let stated = match facts {
                    ApiFacts::Found {
                        commission,
                        hot_commission,
                        title,
                        image_url,
                        category,
                        tmall,
                    } => {
                        let hot = hot_by_rates(*commission, *hot_commission);
                        Stated {
                            status: Some(if hot {
                                Status::HotSale
                            } else {
                                Status::Affiliate
                            }),
                            exact: *commission,
                            hot: if hot { *hot_commission } else { None },
                            title: title.clone(),
                            image_url: image_url.clone(),
                            category: category.clone(),
                            tmall: *tmall,
                            ..Stated::default()
                        }
                    }
                    ApiFacts::NotInProgramme => Stated {
                        status: Some(Status::NonAffiliate),
                        ..Stated::default()
                    },
                };
                (stated, *at)
            }),
            StatusSource::Epn | StatusSource::Admitad => {
                let answer = if source == StatusSource::Epn {
                    &self.epn
                } else {
                    &self.admitad
                };
                answer.as_ref().map(|Said { facts: n, at }| {
                    (
                        Stated {
                            status: Some(n.status),
                            exact: n.exact_percent,
                            hot: n.hot_percent,
                            title: n.title.clone(),
                            image_url: n.image_url.clone(),
                            ..Stated::default()
                        },
                        *at,
                    )
                })
            }
            StatusSource::Catalog => self.catalog.as_ref().map(|Said { facts: c, at }| {
                let hot_row = c.status == Status::HotSale;
                (
                    Stated {
                        status: Some(c.status),
                        exact: if hot_row { None } else { c.rate },
                        hot: if hot_row { c.rate } else { None },
                        category: c.category.clone(),
                        tmall: c.tmall,
                        ships_from: c.ships_from,
                        store_country: c.store_country,
                        ..Stated::default()
                    },
                    *at,
                )
            }),
            StatusSource::Page | StatusSource::Rules | StatusSource::None => None,
        }
    }
}

/// The detection for one link from what the sources said (none said anything: `unknown`). The
/// status comes from the highest-authority source that answered, its rates from the
/// highest-authority source of that status that gives them; every other fact from the
/// highest-authority source that states it. Every answer is listed with its time.
pub fn merge(answers: &Answers) -> Detection {
    merge_in(&AUTHORITY, answers)
}

/// [`merge`] with an authority order of the operator's choosing (see [`parse_order`]).
pub fn merge_in(order: &[StatusSource], answers: &Answers) -> Detection {
    let stated: Vec<(StatusSource, Stated, Timestamp)> = order
        .iter()
        .filter_map(|&s| answers.stated(s).map(|(st, at)| (s, st, at)))
        .collect();
    let mut d = Detection::unknown();
    let Some((source, decided)) = stated
        .iter()
        .find_map(|(s, st, _)| st.status.map(|status| (*s, status)))
    else {
        return d;
    };
    d.status = decided;
    d.source = source;
    let same = || {
        stated
            .iter()
            .filter(|(_, st, _)| st.status == Some(decided))
    };
    d.exact_percent = same().find_map(|(_, st, _)| st.exact);
    d.hot_percent = same().find_map(|(_, st, _)| st.hot);
    let first = |f: &dyn Fn(&Stated) -> Option<String>| stated.iter().find_map(|(_, st, _)| f(st));
    let (title, image_url, category) = (
        first(&|st| st.title.clone()),
        first(&|st| st.image_url.clone()),
        first(&|st| st.category.clone()),
    );
    if title.is_some() || image_url.is_some() || category.is_some() {
        d.product = Some(ProductInfo {
            title,
            image_url,
            category,
            available: true,
        });
    }
    d.tmall = stated.iter().find_map(|(_, st, _)| st.tmall);
    d.ships_from = stated.iter().find_map(|(_, st, _)| st.ships_from);
    d.store_country = stated.iter().find_map(|(_, st, _)| st.store_country);
    d.sources = stated
        .iter()
        .filter_map(|(s, st, at)| {
            st.status.map(|status| SourceAnswer {
                name: *s,
                status,
                exact_percent: st.exact,
                hot_percent: st.hot,
                checked_at: *at,
            })
        })
        .collect();
    d
}

/// The sources that disagree on the status, when two or more do (for `sources_disagree`).
pub fn disagreement(sources: &[SourceAnswer]) -> Option<&[SourceAnswer]> {
    let first = sources.first()?.status;
    sources.iter().any(|s| s.status != first).then_some(sources)
}

/// Whether a product page should be read for this detection: its details are missing.
pub fn wants_page(detection: &Detection) -> bool {
    detection.product.as_ref().is_none_or(|p| p.title.is_none())
}

/// Fills what the detection lacks from a product page: title, image, category, the seller's
/// country, Tmall and the ship-from country where no higher source gave them; a page that says
/// the product is gone makes it unavailable.
pub fn fill_from_page(detection: &mut Detection, page: PageFacts) {
    let p = detection.product.get_or_insert_with(ProductInfo::blank);
    p.title = p.title.take().or(page.title);
    p.image_url = p.image_url.take().or(page.image_url);
    p.category = p.category.take().or(page.category);
    p.available &= page.available;
    detection.store_country = detection.store_country.or(page.store_country);
    detection.tmall = detection.tmall.or(page.tmall);
    detection.ships_from = detection.ships_from.or(page.ships_from);
}

#[cfg(test)]
mod tests;
