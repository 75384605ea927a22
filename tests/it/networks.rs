//! ePN and Admitad as status sources, against local fakes speaking their documented shapes:
//! sessions (kept, refreshed once, kept across a restart), slow-down, failures, batching,
//! coalescing, the merge by authority with every answer dated, and `/readyz`.

use std::{sync::Arc, time::Duration};

use linksmith::domain::rates::Status;
use linksmith::server::{
    resolver::ResolverConfig,
    sources::networks::{
        admitad::{Admitad, AdmitadConfig},
        epn::Epn,
    },
    sources::{Secret, SourceError},
    store::Catalog,
    AppState, Sources,
};
use serde_json::{json, Value};

use crate::common::{
    self,
    fake_gateway::{self, Mode},
    fake_networks::{
        start_admitad, start_epn, FakeAdmitad, FakeEpn, Misbehave, ADMITAD_ID, ADMITAD_SECRET,
        EPN_ID, EPN_SECRET,
    },
    GATEWAY_KEY, GATEWAY_SECRET,
};

fn epn_client(
    fake: &FakeEpn,
    store: linksmith::server::store::SharedStore,
    timeout: Duration,
) -> Epn {
    fake.client(store, timeout)
}

fn admitad_client(fake: &FakeAdmitad, timeout: Duration) -> Admitad {
    fake.client(timeout)
}

/// A network's reading of one link: status, regular rate, hot rate.
type Read = Option<(Status, Option<f64>, Option<f64>)>;

fn item(id: &str) -> String {
    format!("https://aliexpress.com/item/{id}.html")
}

fn calls(c: &std::sync::atomic::AtomicUsize) -> usize {
    FakeEpn::count(c)
}

/// Two instances on one store (SQLite in one process; PostgreSQL as two pools on one database)
/// log in once and renew an expired token once: the store's lock lets one do it and the other
/// then uses the tokens it kept.
#[tokio::test]
async fn two_instances_on_one_store_log_in_once_and_renew_once() {
    for (a, b) in crate::store::two_instances("epn_tokens").await {
        let what = a.describe();
        let fake = start_epn(EPN_ID, EPN_SECRET).await;
        fake.add(
            "1005008000000001",
            json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0}),
        );
        let first = epn_client(&fake, a, Duration::from_secs(2));
        let second = epn_client(&fake, b, Duration::from_secs(2));
        let link = item("1005008000000001");
        let (x, y) = tokio::join!(first.check_link(&link), second.check_link(&link));
        assert!(x.unwrap().is_some() && y.unwrap().is_some(), "{what}");
        let s = &fake.state;
        assert_eq!(
            (calls(&s.ssid_calls), calls(&s.token_calls)),
            (1, 1),
            "{what}: one login for two instances starting together"
        );
        fake.expire_access_tokens();
        let (x, y) = tokio::join!(first.check_link(&link), second.check_link(&link));
        assert!(x.unwrap().is_some() && y.unwrap().is_some(), "{what}");
        assert_eq!(
            (calls(&s.ssid_calls), calls(&s.refresh_calls)),
            (1, 1),
            "{what}: one refresh for two instances that met the expired token together"
        );
    }
}

#[tokio::test]
async fn epn_keeps_its_session_refreshes_once_and_reuses_it_after_a_restart() {
    let fake = start_epn(EPN_ID, EPN_SECRET).await;
    fake.add(
        "1005008000000001",
        json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0, "productName": "Lamp"}),
    );
    let dir = std::env::temp_dir().join(format!("linksmith-epn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("store.db");
    let store = Arc::new(Catalog::open(&path).unwrap());
    let epn = epn_client(&fake, store.clone(), Duration::from_secs(2));
    let facts = epn
        .check_link(&item("1005008000000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (facts.status, facts.hot_percent),
        (Status::HotSale, Some(40.0))
    );
    assert_eq!(
        epn.check_link(&item("1005008000000999")).await.unwrap(),
        None,
        "affiliateType 0: ePN does not know it"
    );
    let s = &fake.state;
    assert_eq!(
        (calls(&s.ssid_calls), calls(&s.token_calls)),
        (1, 1),
        "one login for both checks"
    );

    // The token expires: one refresh, no new ssid (ePN allows about one a day).
    fake.expire_access_tokens();
    assert!(epn
        .check_link(&item("1005008000000001"))
        .await
        .unwrap()
        .is_some());
    assert_eq!((calls(&s.ssid_calls), calls(&s.refresh_calls)), (1, 1));

    // A restart: the kept tokens are used, no login.
    let restarted = epn_client(
        &fake,
        Arc::new(Catalog::open(&path).unwrap()),
        Duration::from_secs(2),
    );
    assert!(restarted
        .check_link(&item("1005008000000001"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        calls(&s.ssid_calls),
        1,
        "the kept session survives a restart"
    );

    // Everything revoked: the refresh is refused, one new login, then it works.
    fake.revoke_all();
    assert!(restarted
        .check_link(&item("1005008000000001"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(calls(&s.ssid_calls), 2);

    // No secret or token in what an error or the client prints.
    let shown = format!("{restarted:?}");
    assert!(
        !shown.contains(EPN_SECRET) && !shown.contains("epn-access"),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_epn_captcha_stops_the_source_for_five_minutes_without_asking() {
    let fake = start_epn(EPN_ID, EPN_SECRET).await;
    let epn = epn_client(
        &fake,
        Arc::new(Catalog::in_memory().unwrap()),
        Duration::from_secs(2),
    );
    fake.set_mode(Misbehave::Captcha);
    let first = epn.check_link(&item("1005008000000001")).await.unwrap_err();
    assert_eq!(
        first,
        SourceError::Paused {
            upstream: "ePN",
            secs: 300
        }
    );
    assert!(epn.paused());
    let before = calls(&fake.state.check_calls);
    for _ in 0..5 {
        assert!(matches!(
            epn.check_link(&item("1005008000000001")).await,
            Err(SourceError::Paused { .. })
        ));
    }
    assert_eq!(
        calls(&fake.state.check_calls),
        before,
        "paused: ePN is not asked"
    );
}

#[tokio::test]
async fn epn_failures_are_errors_in_time_never_a_guess() {
    let fake = start_epn(EPN_ID, EPN_SECRET).await;
    let epn = epn_client(
        &fake,
        Arc::new(Catalog::in_memory().unwrap()),
        Duration::from_millis(600),
    );
    // A session first, then the failures on the link check itself.
    assert_eq!(
        epn.check_link(&item("1005008000000002")).await.unwrap(),
        None
    );
    for (mode, want) in [
        (Misbehave::Http500, "HTTP 500"),
        (Misbehave::Garbage, "could not be read"),
        (Misbehave::Hang, "did not answer within"),
    ] {
        fake.set_mode(mode);
        let started = std::time::Instant::now();
        let e = epn.check_link(&item("1005008000000002")).await.unwrap_err();
        assert!(e.to_string().contains(want), "{mode:?}: {e}");
        assert!(started.elapsed() < Duration::from_secs(2), "{mode:?}");
    }
    // Wrong credentials: a clear refusal, the secret never in it.
    let fake2 = start_epn(EPN_ID, "another-secret").await;
    let wrong = epn_client(
        &fake2,
        Arc::new(Catalog::in_memory().unwrap()),
        Duration::from_secs(2),
    );
    let e = wrong
        .check_link(&item("1005008000000002"))
        .await
        .unwrap_err();
    assert!(matches!(e, SourceError::Auth { .. }), "{e}");
    assert!(!e.to_string().contains(EPN_SECRET));
}

#[tokio::test]
async fn admitad_takes_many_links_per_call_keeps_its_token_and_null_means_unknown() {
    let fake = start_admitad(ADMITAD_ID, ADMITAD_SECRET).await;
    fake.add("1005008000000011", json!({"product_name": "Cable", "commission_rate": 7.0, "hot_commission_rate": null, "is_hot": false}));
    fake.add("1005008000000012", json!({"product_name": "Lamp", "commission_rate": 5.0, "hot_commission_rate": 35.0, "is_hot": true}));
    fake.add(
        "1005008000000013",
        json!({"commission_rate": 0, "is_hot": false}),
    );
    fake.add(
        "1005008000000014",
        json!({"commission_rate": "seven", "is_hot": "maybe"}),
    );
    let admitad = admitad_client(&fake, Duration::from_secs(2));
    let links: Vec<String> = (11..=15)
        .map(|n| item(&format!("10050080000000{n}")))
        .collect();
    let links: Vec<&str> = links.iter().map(String::as_str).collect();
    let got: Vec<Read> = admitad
        .rates(&links)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.map(|f| (f.status, f.exact_percent, f.hot_percent)))
        .collect();
    assert_eq!(
        got,
        vec![
            Some((Status::Affiliate, Some(7.0), None)),
            Some((Status::HotSale, Some(5.0), Some(35.0))),
            Some((Status::NonAffiliate, None, None)),
            None,
            None,
        ]
    );
    assert_eq!(
        *fake.state.batch_sizes.lock().unwrap(),
        vec![5],
        "one call for five links"
    );
    admitad.rates(&links[..1]).await.unwrap();
    assert_eq!(
        calls(&fake.state.token_calls),
        1,
        "the token is kept until it expires"
    );
    // A revoked token: one new token, the call goes through.
    fake.revoke_tokens();
    assert!(admitad.rates(&links[..1]).await.unwrap()[0].is_some());
    assert_eq!(calls(&fake.state.token_calls), 2);
    // A token that expires at once (within the renewal margin) is not reused.
    *fake.state.token_lifetime.lock().unwrap() = 30;
    fake.revoke_tokens();
    admitad.rates(&links[..1]).await.unwrap();
    admitad.rates(&links[..1]).await.unwrap();
    // The first call finds its token revoked (one new token); the second finds that one expired
    // (another): two more in all.
    assert_eq!(calls(&fake.state.token_calls), 4);
    // Failures are errors, not answers.
    for mode in [Misbehave::Http500, Misbehave::Garbage] {
        fake.set_mode(mode);
        assert!(admitad.rates(&links[..1]).await.is_err(), "{mode:?}");
    }
    // Wrong credentials.
    let wrong = Admitad::new(
        AdmitadConfig {
            api: fake.url(),
            client_id: ADMITAD_ID.into(),
            client_secret: Secret::new("nope"),
        },
        Duration::from_secs(2),
    );
    fake.set_mode(Misbehave::None);
    let e = wrong.rates(&links[..1]).await.unwrap_err();
    assert!(matches!(e, SourceError::Auth { .. }), "{e}");
}

struct Upstreams {
    gateway: fake_gateway::FakeGateway,
    epn: FakeEpn,
    admitad: FakeAdmitad,
}

impl Upstreams {
    /// A product both networks call a hot sale (ePN up to 40%, Admitad 6%, hot 35%).
    fn hot_on_both_networks(&self, id: &str) {
        self.epn.add(
            id,
            json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0}),
        );
        self.admitad.add(
            id,
            json!({"commission_rate": 6.0, "hot_commission_rate": 35.0, "is_hot": true}),
        );
    }
}

async fn upstreams() -> Upstreams {
    Upstreams {
        gateway: fake_gateway::start(GATEWAY_KEY, GATEWAY_SECRET).await,
        epn: start_epn(EPN_ID, EPN_SECRET).await,
        admitad: start_admitad(ADMITAD_ID, ADMITAD_SECRET).await,
    }
}

async fn server(up: &Upstreams, api: bool, budget: Duration) -> common::TestServer {
    let store = Arc::new(Catalog::in_memory().unwrap());
    let sources = Sources {
        api: api.then(|| common::gateway_client(up.gateway.url(), Duration::from_millis(1500))),
        epn: Some(epn_client(
            &up.epn,
            store.clone(),
            Duration::from_millis(1500),
        )),
        admitad: Some(admitad_client(&up.admitad, Duration::from_millis(1500))),
    };
    let state = AppState::with_all_sources(
        common::api_config(Some("https://network.example/deeplink?to={url}&sub={sub}")),
        sources,
        store,
        None,
        ResolverConfig {
            budget,
            ..ResolverConfig::default()
        },
    );
    common::start_state(state).await
}

async fn check(server: &common::TestServer, id: &str) -> Value {
    common::client()
        .post(server.url("/api/v1/check"))
        .json(&json!({"url": item(id), "amount": 100}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn names(r: &Value) -> Vec<String> {
    r["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

fn warning_codes(r: &Value) -> Vec<String> {
    r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn answers_merge_by_authority_each_dated_and_disagreement_is_named() {
    let up = upstreams().await;
    // Known to all three, and they disagree.
    up.gateway.add_raw("1005008000000101", json!({"commission_rate": "5.0%", "product_title": "Desk lamp", "first_level_category_name": "Lights & Lighting"}));
    up.epn.add(
        "1005008000000101",
        json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0}),
    );
    up.admitad.add(
        "1005008000000101",
        json!({"commission_rate": 5.0, "is_hot": false}),
    );
    // Known to the networks only, agreeing.
    up.hot_on_both_networks("1005008000000102");
    // Known to Admitad only.
    up.admitad.add(
        "1005008000000103",
        json!({"commission_rate": 3.5, "is_hot": false, "product_name": "Cable"}),
    );

    let with_api = server(&up, true, Duration::from_millis(2800)).await;
    let r = check(&with_api, "1005008000000101").await;
    assert_eq!(
        (r["status"].as_str(), r["status_source"].as_str()),
        (Some("affiliate"), Some("api"))
    );
    assert_eq!(names(&r), ["api", "epn", "admitad"]);
    assert_eq!(r["rate"]["exact_percent"], 5.0);
    assert_eq!(r["sources"][1]["status"], "hot_sale");
    assert_eq!(r["sources"][1]["hot_percent"], 40.0);
    assert!(
        warning_codes(&r).contains(&"sources_disagree".to_string()),
        "{:?}",
        warning_codes(&r)
    );
    let sentence = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "sources_disagree")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sentence.contains("ePN: hot sale")
            && sentence.contains("AliExpress Open Platform: affiliate"),
        "{sentence}"
    );
    let checked_at = r["sources"][1]["checked_at"].as_str().unwrap().to_string();
    assert!(
        checked_at.ends_with('Z') && checked_at.len() == 20,
        "{checked_at}"
    );

    let networks_only = server(&up, false, Duration::from_millis(2800)).await;
    let r = check(&networks_only, "1005008000000102").await;
    assert_eq!(
        (r["status"].as_str(), r["status_source"].as_str()),
        (Some("hot_sale"), Some("epn"))
    );
    assert_eq!(names(&r), ["epn", "admitad"]);
    assert_eq!(
        (
            r["rate"]["exact_percent"].as_f64(),
            r["rate"]["hot_percent"].as_f64()
        ),
        (Some(40.0), Some(40.0))
    );
    assert!(!warning_codes(&r).contains(&"sources_disagree".to_string()));
    let r = check(&networks_only, "1005008000000103").await;
    assert_eq!(
        (r["status"].as_str(), r["status_source"].as_str()),
        (Some("affiliate"), Some("admitad"))
    );
    assert_eq!(r["product"]["title"], "Cable");
    let r = check(&networks_only, "1005008000000104").await;
    assert_eq!(
        (r["status"].as_str(), r["status_source"].as_str()),
        (Some("unknown"), Some("none"))
    );
    assert_eq!(names(&r), Vec::<String>::new());

    // Freshness: a second check is answered from memory, with the first answer's time.
    let epn_calls = calls(&up.epn.state.check_calls);
    let again = check(&networks_only, "1005008000000103").await;
    assert_eq!(
        calls(&up.epn.state.check_calls),
        epn_calls,
        "remembered: ePN not asked again"
    );
    let first = check(&networks_only, "1005008000000103").await;
    assert_eq!(
        again["sources"][0]["checked_at"],
        first["sources"][0]["checked_at"]
    );
}

#[tokio::test]
async fn network_answers_are_kept_in_the_store_across_a_restart() {
    let up = upstreams().await;
    up.hot_on_both_networks("1005008000000601");
    let dir = std::env::temp_dir().join(format!("linksmith-net-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("store.db");
    let start = |store: Arc<Catalog>| {
        let sources = Sources {
            api: None,
            epn: Some(epn_client(
                &up.epn,
                store.clone(),
                Duration::from_millis(1500),
            )),
            admitad: Some(admitad_client(&up.admitad, Duration::from_millis(1500))),
        };
        common::start_state(AppState::with_all_sources(
            common::api_config(None),
            sources,
            store,
            None,
            ResolverConfig::default(),
        ))
    };
    let first = start(Arc::new(Catalog::open(&path).unwrap())).await;
    let r1 = check(&first, "1005008000000601").await;
    assert_eq!(names(&r1), ["epn", "admitad"]);
    first.stop().await;
    // Written in the background: wait until the store holds both answers.
    common::eventually(
        "the store holds both networks' answers",
        Duration::from_secs(5),
        async || {
            let kept = Catalog::open(&path).unwrap();
            let ids = ["1005008000000601".to_string()];
            kept.network_answers("epn", &ids, 0).unwrap().len() == 1
                && kept.network_answers("admitad", &ids, 0).unwrap().len() == 1
        },
    )
    .await;
    let calls_before = (
        calls(&up.epn.state.check_calls),
        calls(&up.admitad.state.rate_calls),
    );
    let second = start(Arc::new(Catalog::open(&path).unwrap())).await;
    let r2 = check(&second, "1005008000000601").await;
    assert_eq!(
        (
            calls(&up.epn.state.check_calls),
            calls(&up.admitad.state.rate_calls)
        ),
        calls_before,
        "a restarted server answers from the store"
    );
    assert_eq!(r2["status"], "hot_sale");
    assert_eq!(
        r2["sources"], r1["sources"],
        "the same answers, with their first times"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_operator_may_put_a_network_first() {
    let up = upstreams().await;
    up.gateway
        .add_raw("1005008000000501", json!({"commission_rate": "5.0%"}));
    up.admitad.add(
        "1005008000000501",
        json!({"commission_rate": 6.0, "hot_commission_rate": 30.0, "is_hot": true}),
    );
    let store = Arc::new(Catalog::in_memory().unwrap());
    let sources = Sources {
        api: Some(common::gateway_client(
            up.gateway.url(),
            Duration::from_millis(1500),
        )),
        epn: None,
        admitad: Some(admitad_client(&up.admitad, Duration::from_millis(1500))),
    };
    let state = AppState::with_all_sources(
        common::api_config(None),
        sources,
        store,
        None,
        ResolverConfig {
            authority: linksmith::domain::sources::parse_order("admitad").unwrap(),
            ..ResolverConfig::default()
        },
    );
    let s = common::start_state(state).await;
    let r = check(&s, "1005008000000501").await;
    assert_eq!(
        (r["status"].as_str(), r["status_source"].as_str()),
        (Some("hot_sale"), Some("admitad"))
    );
    assert_eq!(names(&r), ["admitad", "api"]);
}

/// The rate authority follows the network the affiliate link goes through (check-api.md, "The
/// terms, to the letter"): the terms are ePN's, and what the Open Platform reports is what
/// AliExpress pays its Portals affiliates. The same product, three answers, four templates.
#[tokio::test]
async fn the_network_of_the_link_decides_its_rate() {
    let up = upstreams().await;
    let id = "1005008000000601";
    up.gateway.add_raw(id, json!({"commission_rate": "5.0%"}));
    up.epn.add(
        id,
        json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0}),
    );
    up.admitad
        .add(id, json!({"commission_rate": 3.0, "is_hot": false}));
    let s = server(&up, true, Duration::from_millis(2800)).await;
    let through = |template: &'static str| {
        let url = s.url("/api/v1/check");
        async move {
            common::client()
                .post(url)
                .json(&json!({"url": item(id), "template": template, "amount": 100}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let cases = [
        (
            "https://alipromo.com/redirect/cpa/o/abc123/?to={url}&sub={sub}",
            "epn",
            "hot_sale",
            json!(40.0),
        ),
        (
            "https://alitems.site/g/1e8d114494/?ulp={url}&subid={sub}",
            "admitad",
            "affiliate",
            json!(3.0),
        ),
        (
            "{raw_url}?aff_fcid=mine&aff_platform=portals-tool",
            "api",
            "affiliate",
            json!(5.0),
        ),
        // Any other host: the configured order (the Open Platform first by default).
        (
            "https://go.example/r?to={url}",
            "api",
            "affiliate",
            json!(5.0),
        ),
    ];
    for (template, source, status, exact) in cases {
        let r = through(template).await;
        assert_eq!(r["status_source"], source, "{template}: {r}");
        assert_eq!(r["status"], status, "{template}");
        assert_eq!(r["rate"]["exact_percent"], exact, "{template}");
        assert_eq!(
            r["sources"][0]["name"], source,
            "{template}: the decider listed first"
        );
        assert_eq!(
            names(&r).len(),
            3,
            "{template}: every answer is still listed"
        );
    }
    // Without a template of the caller's, the server's (none here): the configured order.
    let r = check(&s, id).await;
    assert_eq!(r["status_source"], "api");
}

#[tokio::test]
async fn concurrent_checks_make_one_call_and_a_batch_groups_admitad_links() {
    let up = upstreams().await;
    up.epn.add(
        "1005008000000201",
        json!({"isHotsale": false, "affiliateType": 1, "maxRate": 7.0}),
    );
    let s = server(&up, false, Duration::from_millis(2800)).await;
    let checks = (0..10).map(|_| check(&s, "1005008000000201"));
    for r in futures::future::join_all(checks).await {
        assert_eq!(r["status_source"], "epn");
    }
    assert_eq!(
        calls(&up.epn.state.check_calls),
        1,
        "ten checks, one ePN call"
    );
    assert_eq!(
        calls(&up.admitad.state.rate_calls),
        1,
        "ten checks, one Admitad call"
    );

    let urls: Vec<String> = (0..120)
        .map(|i| item(&format!("{}", 1005008100000000u64 + i)))
        .collect();
    let r: Value = common::client()
        .post(s.url("/api/v1/check/batch"))
        .json(&json!({"urls": urls}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["summary"]["checked"], 120);
    // Three calls (they run at once, in any order): 50, 50 and 20 links.
    let mut sizes = up.admitad.state.batch_sizes.lock().unwrap()[1..].to_vec();
    sizes.sort_unstable();
    assert_eq!(sizes, [20, 50, 50]);
}

#[tokio::test]
async fn every_source_down_at_once_still_answers_unknown_within_the_budget() {
    let up = upstreams().await;
    up.gateway.set_mode(Mode::Hang);
    up.epn.set_mode(Misbehave::Hang);
    up.admitad.set_mode(Misbehave::Hang);
    let s = server(&up, true, Duration::from_millis(1500)).await;
    let started = std::time::Instant::now();
    let answer = common::client()
        .post(s.url("/api/v1/check"))
        .json(&json!({"url": item("1005008000000301")}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let r: Value = answer.json().await.unwrap();
    assert_eq!(
        (r["status"].as_str(), r["rate"]["label"].as_str()),
        (Some("unknown"), Some("0–70%"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    for mode in [Misbehave::Http500, Misbehave::Garbage] {
        up.epn.set_mode(mode);
        up.admitad.set_mode(mode);
        up.gateway.set_mode(Mode::Http500);
        let r = check(&s, "1005008000000302").await;
        assert_eq!(r["status"], "unknown", "{mode:?}");
    }
}

#[tokio::test]
async fn readyz_reports_each_source_without_calling_it() {
    let up = upstreams().await;
    let s = server(&up, false, Duration::from_millis(2800)).await;
    let ready = |s: &common::TestServer| {
        let url = s.url("/readyz");
        async move {
            let r = common::client().get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let before = (
        calls(&up.epn.state.check_calls),
        calls(&up.admitad.state.rate_calls),
    );
    let (code, body) = ready(&s).await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        json!({"status": "ready", "sources": {"api": "off", "epn": "on", "admitad": "on"}, "store": "ok"})
    );
    assert_eq!(
        (
            calls(&up.epn.state.check_calls),
            calls(&up.admitad.state.rate_calls)
        ),
        before,
        "no upstream called"
    );
    // ePN asks to slow down: open, degraded, still 200 (checks are answered).
    up.epn.set_mode(Misbehave::Captcha);
    check(&s, "1005008000000401").await;
    let (code, body) = ready(&s).await;
    assert_eq!(code, 200);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["sources"]["epn"], "open");
    // /healthz stays trivial.
    let h: Value = common::client()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
}

#[test]
fn network_base_urls_must_be_https_except_on_loopback() {
    use linksmith::server::ServerConfig;
    let base = || ServerConfig::with_leptos(common::leptos_options(&common::temp_site(), false));
    let settings = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let on = base()
        .with_settings(settings(&[
            ("EPN_CLIENT_ID", "a"),
            ("EPN_CLIENT_SECRET", "b"),
            ("ADMITAD_CLIENT_ID", "c"),
            ("ADMITAD_CLIENT_SECRET", "d"),
        ]))
        .unwrap();
    assert_eq!(on.epn.unwrap().api.as_str(), "https://app.epn.bz/");
    assert_eq!(on.admitad.unwrap().api.as_str(), "https://api.admitad.com/");
    let off = base()
        .with_settings(settings(&[("EPN_CLIENT_ID", "a")]))
        .unwrap();
    assert!(off.epn.is_none(), "both credentials or none");
    let Err(e) = base().with_settings(settings(&[
        ("EPN_CLIENT_ID", "a"),
        ("EPN_CLIENT_SECRET", "b"),
        ("EPN_API_URL", "http://epn.example"),
    ])) else {
        panic!("plain http to a remote host accepted")
    };
    assert!(e.to_string().contains("EPN_API_URL"), "{e}");
    let ordered = base()
        .with_settings(settings(&[("LINKSMITH_SOURCE_ORDER", "admitad, epn")]))
        .unwrap();
    assert_eq!(
        ordered.source_order,
        [
            linksmith::domain::sources::StatusSource::Admitad,
            linksmith::domain::sources::StatusSource::Epn,
            linksmith::domain::sources::StatusSource::Api,
            linksmith::domain::sources::StatusSource::Catalog
        ]
    );
    let Err(e) = base().with_settings(settings(&[("LINKSMITH_SOURCE_ORDER", "api,page")])) else {
        panic!("an unknown source accepted")
    };
    assert!(
        e.to_string().contains("LINKSMITH_SOURCE_ORDER") && e.to_string().contains("\"page\""),
        "{e}"
    );
    let local = base()
        .with_settings(settings(&[
            ("ADMITAD_CLIENT_ID", "c"),
            ("ADMITAD_CLIENT_SECRET", "d"),
            ("ADMITAD_API_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
    assert!(local.admitad.is_some());
}
