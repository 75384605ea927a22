//! How the status sources' answers become one detection: the policy, pure. The server shell asks
//! the sources (the Open Platform, the catalogue, the product page) and hands their facts here.
//!
//! Authority: the Open Platform (AliExpress itself) decides when it answered; then the catalogue;
//! a product page never decides a status, it only fills in the product's details.

use crate::domain::{
    check::{Detection, ProductInfo, StatusSource},
    country::Country,
    rates::{Programme, Status},
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
    },
    /// The platform does not return it: not in the programme.
    NotInProgramme,
}

/// What the imported catalogue says of a product or its store.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFacts {
    pub status: Status,
    pub rate: Option<f64>,
    pub category: Option<String>,
}

/// What a product page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageFacts {
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub available: bool,
}

/// The detection for one link from what the sources said (none said anything: `unknown`).
pub fn merge(
    programme: &Programme,
    country: Country,
    api: Option<&ApiFacts>,
    catalog: Option<CatalogFacts>,
) -> Detection {
    match (api, catalog) {
        (
            Some(ApiFacts::Found {
                commission,
                hot_commission,
                title,
                image_url,
                category,
            }),
            _,
        ) => {
            let region = programme.region_of(country).id;
            let (status, exact) = programme.status_from_api(region, *commission, *hot_commission);
            Detection {
                status,
                source: StatusSource::Api,
                exact_percent: exact,
                product: Some(ProductInfo {
                    title: title.clone(),
                    image_url: image_url.clone(),
                    category: category.clone(),
                    available: true,
                }),
            }
        }
        (Some(ApiFacts::NotInProgramme), _) => Detection {
            status: Status::NonAffiliate,
            source: StatusSource::Api,
            exact_percent: None,
            product: None,
        },
        (None, Some(c)) => Detection {
            status: c.status,
            source: StatusSource::Catalog,
            exact_percent: c.rate,
            product: c.category.map(|category| ProductInfo {
                title: None,
                image_url: None,
                category: Some(category),
                available: true,
            }),
        },
        (None, None) => Detection::unknown(),
    }
}

/// Whether a product page should be read for this detection: its details are missing.
pub fn wants_page(detection: &Detection) -> bool {
    detection.product.as_ref().is_none_or(|p| p.title.is_none())
}

/// Fills what the detection lacks from a product page: title, image and category where no
/// higher source gave them; a page that says the product is gone makes it unavailable.
pub fn fill_from_page(detection: &mut Detection, page: PageFacts) {
    let p = detection.product.get_or_insert(ProductInfo {
        title: None,
        image_url: None,
        category: None,
        available: true,
    });
    p.title = p.title.take().or(page.title);
    p.image_url = p.image_url.take().or(page.image_url);
    p.category = p.category.take().or(page.category);
    p.available &= page.available;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme() -> Programme {
        Programme::embedded().unwrap()
    }

    fn us() -> Country {
        Country::parse("US").unwrap()
    }

    #[test]
    fn the_platform_outranks_the_catalogue() {
        let p = programme();
        let api = ApiFacts::Found {
            commission: Some(7.0),
            hot_commission: None,
            title: Some("Cable".into()),
            image_url: None,
            category: None,
        };
        let catalog = CatalogFacts {
            status: Status::HotSale,
            rate: Some(20.0),
            category: Some("Computer & Office".into()),
        };
        let d = merge(&p, us(), Some(&api), Some(catalog.clone()));
        assert_eq!(
            (d.status, d.source, d.exact_percent),
            (Status::Affiliate, StatusSource::Api, Some(7.0))
        );
        let d = merge(
            &p,
            us(),
            Some(&ApiFacts::NotInProgramme),
            Some(catalog.clone()),
        );
        assert_eq!(
            (d.status, d.source),
            (Status::NonAffiliate, StatusSource::Api)
        );
        let d = merge(&p, us(), None, Some(catalog));
        assert_eq!(
            (d.status, d.source, d.exact_percent),
            (Status::HotSale, StatusSource::Catalog, Some(20.0))
        );
        assert_eq!(merge(&p, us(), None, None), Detection::unknown());
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
