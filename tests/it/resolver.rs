//! The resolver against local fakes: the signature-checking gateway, an in-memory catalogue and a
//! page server. Authority order, batching, coalescing, cache, breaker, time budget, no secret logged.

use std::{sync::Arc, time::Duration};

use crate::common::{
    self,
    fake_gateway::{self, FakeGateway, FakeProduct, Mode},
};
use linksmith::{
    domain::{
        country::Country,
        link::{normalize, Link},
        rates::Status,
    },
    server::{
        clock::Clock,
        resolver::{Resolver, ResolverConfig, StatusSource},
        sources::{
            open_platform::{Credentials, OpenPlatform},
            Secret,
        },
        store::Catalog,
    },
};

const KEY: &str = "777001";
const SECRET: &str = "resolver-secret-5a5a5a";

pub(crate) async fn gateway() -> FakeGateway {
    let gw = fake_gateway::start(KEY, SECRET).await;
    gw.add_standard_products();
    for i in 0..60u64 {
        gw.add(
            &format!("{}", 1005009000000000u64 + i),
            FakeProduct {
                commission: "3.0%",
                hot: None,
                title: "Bulk item",
                category: "Home & Garden",
            },
        );
    }
    gw
}

pub(crate) fn api(gw: &FakeGateway, timeout: Duration) -> OpenPlatform {
    OpenPlatform::new(
        gw.url(),
        Credentials {
            app_key: KEY.into(),
            app_secret: Secret::new(SECRET),
            tracking_id: "trk".into(),
        },
        timeout,
    )
}

pub(crate) fn resolver(
    api: Option<OpenPlatform>,
    catalog: Catalog,
    config: ResolverConfig,
) -> Arc<Resolver> {
    Resolver::new(api, Arc::new(catalog), None, config)
}

pub(crate) fn link(id: &str) -> Link {
    normalize(&format!("https://aliexpress.com/item/{id}.html")).unwrap()
}

pub(crate) fn us() -> Country {
    Country::parse("US").unwrap()
}

#[tokio::test]
async fn the_api_decides_first_and_details_come_with_it() {
    let gw = gateway().await;
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        ResolverConfig::default(),
    );
    let d = r.detect(&link("1005006295880104"), us()).await;
    assert_eq!(
        (d.status, d.source, d.exact_percent),
        (Status::Affiliate, StatusSource::Api, Some(7.0))
    );
    let p = d.product.unwrap();
    assert_eq!(
        (p.title.as_deref(), p.category.as_deref(), p.available),
        (
            Some("USB-C cable"),
            Some("Phones & Telecommunications"),
            true
        )
    );
    let hot = r.detect(&link("1005005248414510"), us()).await;
    assert_eq!(
        (hot.status, hot.exact_percent, hot.hot_percent),
        (Status::HotSale, Some(5.0), Some(12.5)),
        "both rates: the regular one and the hot one"
    );
    let outside = r.detect(&link("1005000000000077"), us()).await;
    assert_eq!(
        (outside.status, outside.source),
        (Status::NonAffiliate, StatusSource::Api)
    );
}

#[tokio::test]
async fn the_catalogue_answers_when_the_api_is_off_or_failing_and_unknown_is_the_last_word() {
    let catalog = Catalog::in_memory().unwrap();
    catalog.import("kind,id,status,rate,category\nproduct,1005006295880104,hot_sale,20,Computer & Office\nstore,1101343461,no_commission,,\n".as_bytes(), 1).unwrap();
    let r = resolver(None, catalog, ResolverConfig::default());
    let d = r.detect(&link("1005006295880104"), us()).await;
    assert_eq!(
        (d.status, d.source, d.hot_percent),
        (Status::HotSale, StatusSource::Catalog, Some(20.0)),
        "a hot_sale row's rate is the hot rate"
    );
    assert_eq!(
        d.product.unwrap().category.as_deref(),
        Some("Computer & Office")
    );
    let store = r
        .detect(
            &normalize("https://aliexpress.com/store/1101343461").unwrap(),
            us(),
        )
        .await;
    assert_eq!(
        (store.status, store.source),
        (Status::ZeroCommission, StatusSource::Catalog)
    );
    let nobody = r.detect(&link("1005000000000078"), us()).await;
    assert_eq!(
        (nobody.status, nobody.source),
        (Status::Unknown, StatusSource::None)
    );

    let gw = gateway().await;
    gw.set_mode(Mode::Http500);
    let catalog = Catalog::in_memory().unwrap();
    catalog
        .import(
            "kind,id,status\nproduct,1005006295880104,affiliate\n".as_bytes(),
            1,
        )
        .unwrap();
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        catalog,
        ResolverConfig::default(),
    );
    let d = r.detect(&link("1005006295880104"), us()).await;
    assert_eq!(
        (d.status, d.source),
        (Status::Affiliate, StatusSource::Catalog)
    );
}

#[tokio::test]
async fn a_batch_groups_ids_twenty_per_call_and_repeats_cost_nothing() {
    let gw = gateway().await;
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        ResolverConfig::default(),
    );
    let mut links: Vec<Link> = (0..45u64)
        .map(|i| link(&format!("{}", 1005009000000000u64 + i)))
        .collect();
    links.extend(links.clone()); // every id twice
    let out = r.detect_many(&links, us()).await;
    assert_eq!(out.len(), 90);
    assert!(out
        .iter()
        .all(|d| d.status == Status::Affiliate && d.source == StatusSource::Api));
    assert_eq!(gw.calls(), 3, "45 distinct ids: ceil(45 / 20) calls");
    r.detect_many(&links, us()).await;
    assert_eq!(gw.calls(), 3, "cached");
    // Another delivery country is another question.
    r.detect(&links[0], Country::parse("KZ").unwrap()).await;
    assert_eq!(gw.calls(), 4);
}

#[tokio::test]
async fn memory_holds_at_most_the_cache_capacity_and_the_store_answers_the_rest() {
    let gw = gateway().await;
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        ResolverConfig {
            cache_capacity: 10,
            ..ResolverConfig::default()
        },
    );
    let links: Vec<Link> = (0..45u64)
        .map(|i| link(&format!("{}", 1005009000000000u64 + i)))
        .collect();
    r.detect_many(&links, us()).await;
    assert_eq!(r.cached(), 10, "the least recently used went");
    assert_eq!(gw.calls(), 3);
    // The ones dropped from memory are still remembered by the store: no new call.
    let again = r.detect_many(&links, us()).await;
    assert!(again.iter().all(|d| d.status == Status::Affiliate));
    assert_eq!(gw.calls(), 3);
    assert_eq!(r.cached(), 10);
}

#[tokio::test]
async fn concurrent_checks_of_one_product_make_one_call() {
    let gw = gateway().await;
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        ResolverConfig::default(),
    );
    let l = link("1005006295880104");
    let checks = (0..50).map(|_| {
        let (r, l) = (r.clone(), l.clone());
        tokio::spawn(async move { r.detect(&l, us()).await })
    });
    for d in futures::future::join_all(checks).await {
        assert_eq!(d.unwrap().status, Status::Affiliate);
    }
    assert_eq!(gw.calls(), 1);
}

#[tokio::test]
async fn failures_are_cached_briefly_and_the_breaker_opens_and_closes() {
    let gw = gateway().await;
    gw.set_mode(Mode::Http500);
    let config = ResolverConfig {
        ttl_failed: Duration::ZERO,
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_millis(300),
        ..ResolverConfig::default()
    };
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        config,
    );
    for i in 0..3 {
        let d = r.detect(&link("1005006295880104"), us()).await;
        assert_eq!(d.status, Status::Unknown, "call {i}");
    }
    assert_eq!(gw.calls(), 3);
    assert!(r.api_breaker_open());
    // Open: no call reaches the upstream.
    for _ in 0..5 {
        assert_eq!(
            r.detect(&link("1005006295880104"), us()).await.status,
            Status::Unknown
        );
    }
    assert_eq!(gw.calls(), 3);
    // After the cool-down one call goes through; the upstream is back, so the breaker closes.
    gw.set_mode(Mode::Wrapped);
    // The breaker runs on tokio's clock: move it past the cool-down without waiting.
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(350)).await;
    tokio::time::resume();
    assert_eq!(
        r.detect(&link("1005006295880104"), us()).await.status,
        Status::Affiliate
    );
    assert!(!r.api_breaker_open());
    assert_eq!(gw.calls(), 4);
}

#[test]
fn no_log_line_carries_the_secret() {
    let ((), logs) = common::with_logs(tracing::Level::TRACE, async {
        let gw = gateway().await;
        let config = ResolverConfig {
            breaker_threshold: 2,
            ..ResolverConfig::default()
        };
        // A wrong secret (IncompleteSignature), then every kind of failure.
        let wrong = OpenPlatform::new(
            gw.url(),
            Credentials {
                app_key: KEY.into(),
                app_secret: Secret::new("wrong-secret-xyz"),
                tracking_id: "t".into(),
            },
            Duration::from_millis(300),
        );
        let r = resolver(Some(wrong), Catalog::in_memory().unwrap(), config.clone());
        r.detect(&link("1005006295880104"), us()).await;
        let r = resolver(
            Some(api(&gw, Duration::from_millis(300))),
            Catalog::in_memory().unwrap(),
            config,
        );
        for (i, mode) in [Mode::ApiCallLimit, Mode::Http500, Mode::Garbage, Mode::Hang]
            .into_iter()
            .enumerate()
        {
            gw.set_mode(mode);
            r.detect(&link(&format!("{}", 1005009000000000u64 + i as u64)), us())
                .await;
        }
    });
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("Open Platform call failed"), "{text}");
    assert!(text.contains("IncompleteSignature"), "{text}");
    assert!(text.contains("circuit breaker opened"), "{text}");
    assert!(
        !text.contains(SECRET) && !text.contains("wrong-secret-xyz"),
        "{text}"
    );
}

#[tokio::test]
async fn answers_survive_a_restart_through_the_store() {
    let gw = gateway().await;
    let dir = std::env::temp_dir().join(format!("linksmith-resolver-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("store.db");
    {
        let r = resolver(
            Some(api(&gw, Duration::from_secs(2))),
            Catalog::open(&path).unwrap(),
            ResolverConfig::default(),
        );
        assert_eq!(
            r.detect(&link("1005005248414510"), us()).await.status,
            Status::HotSale
        );
        assert_eq!(
            r.detect(&link("1005000000000079"), us()).await.status,
            Status::NonAffiliate
        );
    }
    assert_eq!(gw.calls(), 2);
    // A new resolver (a restarted server) on the same store: no call.
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::open(&path).unwrap(),
        ResolverConfig::default(),
    );
    let d = r.detect(&link("1005005248414510"), us()).await;
    assert_eq!(
        (d.status, d.source, d.exact_percent, d.hot_percent),
        (Status::HotSale, StatusSource::Api, Some(5.0), Some(12.5))
    );
    assert_eq!(d.product.unwrap().title.as_deref(), Some("Desk lamp"));
    assert_eq!(
        r.detect(&link("1005000000000079"), us()).await.status,
        Status::NonAffiliate
    );
    assert_eq!(gw.calls(), 2);
    // Old answers are not trusted: past the time-to-live, the platform is asked again.
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::open(&path).unwrap(),
        ResolverConfig {
            ttl_found: Duration::ZERO,
            ..ResolverConfig::default()
        },
    );
    r.detect(&link("1005005248414510"), us()).await;
    assert_eq!(gw.calls(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// How old a remembered answer is, is the server's clock's (issue #36: one clock, injected): with
/// a day's time-to-live, a restarted server on the same store asks nothing a second before the
/// day is over and asks again a second after, with no wall-clock wait.
#[tokio::test]
async fn a_remembered_answer_ages_by_the_servers_clock() {
    let gw = gateway().await;
    let dir = std::env::temp_dir().join(format!("linksmith-clock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("store.db");
    let clock = Clock::manual(Clock::system().now());
    let day = Duration::from_secs(86_400);
    let restarted = || {
        resolver(
            Some(api(&gw, Duration::from_secs(2))),
            Catalog::open(&path).unwrap(),
            ResolverConfig {
                ttl_found: day,
                clock: clock.clone(),
                ..ResolverConfig::default()
            },
        )
    };
    let lamp = link("1005005248414510");
    let d = restarted().detect(&lamp, us()).await;
    assert_eq!((d.status, gw.calls()), (Status::HotSale, 1));
    assert_eq!(d.sources[0].checked_at, clock.now(), "stamped by the clock");
    clock.advance(86_399);
    let d = restarted().detect(&lamp, us()).await;
    assert_eq!((d.status, gw.calls()), (Status::HotSale, 1), "still fresh");
    clock.advance(2);
    let d = restarted().detect(&lamp, us()).await;
    assert_eq!(
        (d.status, gw.calls()),
        (Status::HotSale, 2),
        "a day old: asked again"
    );
    assert_eq!(d.sources[0].checked_at, clock.now());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A check dropped while its ids are marked in flight (the client went away, the request timed
/// out) leaves no mark behind: the same product checks fine right after.
#[tokio::test]
async fn a_cancelled_check_does_not_poison_its_products() {
    let gw = gateway().await;
    let r = resolver(
        Some(api(&gw, Duration::from_secs(2))),
        Catalog::in_memory().unwrap(),
        ResolverConfig::default(),
    );
    let cable = link("1005006295880104");
    {
        // Polled once: the id is marked in flight and the check waits on the store; then dropped.
        let mut check = Box::pin(r.detect(&cable, us()));
        assert!(futures::poll!(check.as_mut()).is_pending());
    }
    let d = r.detect(&cable, us()).await;
    assert_eq!(
        (d.status, d.source),
        (Status::Affiliate, StatusSource::Api),
        "a later check of the same product must ask again, not wait on an abandoned call"
    );
}
