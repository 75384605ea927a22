//! How the status sources' answers become one detection: the policy, pure. The server shell asks
//! the sources (the Open Platform, the catalogue, the product page) and hands their facts here.
//!
//! Authority: the Open Platform (AliExpress itself) decides when it answered; then the catalogue;
//! a product page never decides a status, it only fills in the product's details. A product is
//! hot sale when its source says so, never by a threshold of ours.

use crate::domain::{
    check::{Detection, ProductInfo, StatusSource},
    country::Country,
    rates::Status,
};

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

/// The detection for one link from what the sources said (none said anything: `unknown`). The
/// status comes from the highest-authority source that answered; every other fact from the
/// highest-authority source that states it.
pub fn merge(api: Option<&ApiFacts>, catalog: Option<CatalogFacts>) -> Detection {
    let mut d = match api {
        Some(ApiFacts::Found {
            commission,
            hot_commission,
            title,
            image_url,
            category,
            tmall,
        }) => {
            let hot = hot_by_rates(*commission, *hot_commission);
            Detection {
                status: if hot {
                    Status::HotSale
                } else {
                    Status::Affiliate
                },
                source: StatusSource::Api,
                exact_percent: *commission,
                hot_percent: if hot { *hot_commission } else { None },
                product: Some(ProductInfo {
                    title: title.clone(),
                    image_url: image_url.clone(),
                    category: category.clone(),
                    available: true,
                }),
                tmall: *tmall,
                ..Detection::unknown()
            }
        }
        Some(ApiFacts::NotInProgramme) => Detection {
            status: Status::NonAffiliate,
            source: StatusSource::Api,
            ..Detection::unknown()
        },
        None => Detection::unknown(),
    };
    if let Some(c) = catalog {
        if d.source == StatusSource::None {
            d.status = c.status;
            d.source = StatusSource::Catalog;
            if c.status == Status::HotSale {
                d.hot_percent = c.rate;
            } else {
                d.exact_percent = c.rate;
            }
        }
        if let Some(category) = c.category {
            let p = d.product.get_or_insert_with(ProductInfo::blank);
            p.category = p.category.take().or(Some(category));
        }
        d.tmall = d.tmall.or(c.tmall);
        d.ships_from = d.ships_from.or(c.ships_from);
        d.store_country = d.store_country.or(c.store_country);
    }
    d
}

/// Whether a product page should be read for this detection: its details are missing.
pub fn wants_page(detection: &Detection) -> bool {
    detection.product.as_ref().is_none_or(|p| p.title.is_none())
}

/// Fills what the detection lacks from a product page: title, image, category and the seller's
/// country where no higher source gave them; a page that says the product is gone makes it
/// unavailable.
pub fn fill_from_page(detection: &mut Detection, page: PageFacts) {
    let p = detection.product.get_or_insert_with(ProductInfo::blank);
    p.title = p.title.take().or(page.title);
    p.image_url = p.image_url.take().or(page.image_url);
    p.category = p.category.take().or(page.category);
    p.available &= page.available;
    detection.store_country = detection.store_country.or(page.store_country);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_outranks_the_catalogue() {
        let api = ApiFacts::Found {
            commission: Some(7.0),
            hot_commission: None,
            title: Some("Cable".into()),
            image_url: None,
            category: None,
            tmall: None,
        };
        let ru = Country::parse("RU").ok();
        let catalog = CatalogFacts {
            status: Status::HotSale,
            rate: Some(20.0),
            category: Some("Computer & Office".into()),
            tmall: Some(true),
            ships_from: ru,
            store_country: None,
        };
        let d = merge(Some(&api), Some(catalog.clone()));
        assert_eq!(
            (d.status, d.source, d.exact_percent, d.hot_percent),
            (Status::Affiliate, StatusSource::Api, Some(7.0), None)
        );
        // What the platform does not state, the catalogue does.
        assert_eq!((d.tmall, d.ships_from), (Some(true), ru));
        assert_eq!(
            d.product.unwrap().category.as_deref(),
            Some("Computer & Office")
        );
        let d = merge(Some(&ApiFacts::NotInProgramme), Some(catalog.clone()));
        assert_eq!(
            (d.status, d.source),
            (Status::NonAffiliate, StatusSource::Api)
        );
        assert_eq!(
            d.product.unwrap().category.as_deref(),
            Some("Computer & Office"),
            "a non-affiliate product keeps its category (the Brazil rule needs it)"
        );
        let d = merge(None, Some(catalog));
        assert_eq!(
            (d.status, d.source, d.exact_percent, d.hot_percent),
            (Status::HotSale, StatusSource::Catalog, None, Some(20.0))
        );
        assert_eq!(merge(None, None), Detection::unknown());
    }

    #[test]
    fn hot_sale_is_what_the_rates_say_not_a_threshold() {
        assert!(hot_by_rates(Some(5.0), Some(6.0)), "6% hot over 5% regular");
        assert!(hot_by_rates(Some(3.0), Some(50.0)));
        assert!(hot_by_rates(None, Some(9.0)));
        assert!(
            !hot_by_rates(Some(7.0), Some(7.0)),
            "not above the regular rate"
        );
        assert!(!hot_by_rates(Some(7.0), None));
        assert!(!hot_by_rates(None, Some(0.0)));
    }

    #[test]
    fn a_page_fills_details_but_never_overrides_them() {
        let mut d = Detection::unknown();
        assert!(wants_page(&d));
        fill_from_page(
            &mut d,
            PageFacts {
                title: Some("Lamp".into()),
                image_url: None,
                category: Some("Lights".into()),
                available: false,
                store_country: None,
            },
        );
        let p = d.product.clone().unwrap();
        assert_eq!(
            (p.title.as_deref(), p.category.as_deref(), p.available),
            (Some("Lamp"), Some("Lights"), false)
        );
        assert!(!wants_page(&d));
        fill_from_page(
            &mut d,
            PageFacts {
                title: Some("Other".into()),
                ..PageFacts::default()
            },
        );
        assert_eq!(d.product.unwrap().title.as_deref(), Some("Lamp"));
        assert_eq!(d.status, Status::Unknown, "a page never decides a status");
    }
}
