use super::*;

fn said<T>(facts: T, at: i64) -> Said<T> {
    Said::new(facts, Timestamp(at))
}

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
    let both = |api: ApiFacts, catalog: CatalogFacts| Answers {
        api: Some(said(api, 100)),
        catalog: Some(said(catalog, 50)),
        ..Answers::default()
    };
    let d = merge(&both(api.clone(), catalog.clone()));
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
    let d = merge(&both(ApiFacts::NotInProgramme, catalog.clone()));
    assert_eq!(
        (d.status, d.source),
        (Status::NonAffiliate, StatusSource::Api)
    );
    assert_eq!(
        d.product.unwrap().category.as_deref(),
        Some("Computer & Office"),
        "a non-affiliate product keeps its category (the Brazil rule needs it)"
    );
    let d = merge(&Answers {
        catalog: Some(said(catalog, 50)),
        ..Answers::default()
    });
    assert_eq!(
        (d.status, d.source, d.exact_percent, d.hot_percent),
        (Status::HotSale, StatusSource::Catalog, None, Some(20.0))
    );
    assert_eq!(merge(&Answers::default()), Detection::unknown());
}

#[test]
fn networks_rank_between_the_platform_and_the_catalogue() {
    let net = |status, exact, hot| NetworkFacts {
        status,
        exact_percent: exact,
        hot_percent: hot,
        title: None,
        image_url: None,
    };
    let catalog = CatalogFacts {
        status: Status::Affiliate,
        rate: Some(3.0),
        category: Some("Lights".into()),
        tmall: None,
        ships_from: None,
        store_country: None,
    };
    let answers = Answers {
        api: None,
        epn: Some(said(net(Status::HotSale, None, Some(40.0)), 300)),
        admitad: Some(said(net(Status::HotSale, Some(6.0), Some(35.0)), 200)),
        catalog: Some(said(catalog, 100)),
    };
    let d = merge(&answers);
    assert_eq!((d.status, d.source), (Status::HotSale, StatusSource::Epn));
    // The hot rate from the first source of that status; the regular one from the next.
    assert_eq!((d.hot_percent, d.exact_percent), (Some(40.0), Some(6.0)));
    assert_eq!(
        d.product.unwrap().category.as_deref(),
        Some("Lights"),
        "a fact no network states comes from the catalogue"
    );
    let names: Vec<_> = d.sources.iter().map(|s| (s.name, s.checked_at.0)).collect();
    assert_eq!(
        names,
        [
            (StatusSource::Epn, 300),
            (StatusSource::Admitad, 200),
            (StatusSource::Catalog, 100)
        ]
    );
    assert!(
        disagreement(&d.sources).is_some(),
        "the catalogue says affiliate"
    );
    let agreeing = merge(&Answers {
        catalog: None,
        ..answers.clone()
    });
    assert!(disagreement(&agreeing.sources).is_none());
    // The platform outranks them all.
    let with_api = merge(&Answers {
        api: Some(said(ApiFacts::NotInProgramme, 400)),
        ..answers
    });
    assert_eq!(
        (with_api.status, with_api.source, with_api.hot_percent),
        (Status::NonAffiliate, StatusSource::Api, None)
    );
}

#[test]
fn the_authority_order_can_be_chosen() {
    assert_eq!(parse_order("").unwrap(), AUTHORITY);
    assert_eq!(
        parse_order(" catalog , EPN").unwrap(),
        [
            StatusSource::Catalog,
            StatusSource::Epn,
            StatusSource::Api,
            StatusSource::Admitad
        ]
    );
    assert!(parse_order("api,page")
        .unwrap_err()
        .contains("\"page\" is not a status source"));
    assert!(parse_order("api,api").unwrap_err().contains("named twice"));
    let answers = Answers {
        api: Some(said(ApiFacts::NotInProgramme, 2)),
        catalog: Some(said(
            CatalogFacts {
                status: Status::Affiliate,
                rate: Some(4.0),
                category: None,
                tmall: None,
                ships_from: None,
                store_country: None,
            },
            1,
        )),
        ..Answers::default()
    };
    assert_eq!(merge(&answers).source, StatusSource::Api);
    let catalog_first = merge_in(&parse_order("catalog").unwrap(), &answers);
    assert_eq!(
        (catalog_first.status, catalog_first.source),
        (Status::Affiliate, StatusSource::Catalog)
    );
    assert_eq!(catalog_first.sources[1].name, StatusSource::Api);
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
            ..PageFacts::default()
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

#[test]
fn a_page_fills_tmall_ship_from_and_the_sellers_country_only_where_missing() {
    let (cn, ru, es) = (
        Country::parse("CN").ok(),
        Country::parse("RU").ok(),
        Country::parse("ES").ok(),
    );
    let page = || PageFacts {
        tmall: Some(true),
        ships_from: cn,
        store_country: cn,
        store_id: Some("1357038".into()),
        available: true,
        ..PageFacts::default()
    };
    let mut d = Detection::unknown();
    fill_from_page(&mut d, page());
    assert_eq!(
        (d.tmall, d.ships_from, d.store_country),
        (Some(true), cn, cn)
    );
    // What a higher source said stays.
    let mut d = Detection {
        tmall: Some(false),
        ships_from: ru,
        store_country: es,
        ..Detection::unknown()
    };
    fill_from_page(&mut d, page());
    assert_eq!(
        (d.tmall, d.ships_from, d.store_country),
        (Some(false), ru, es)
    );
}
