//! Fetches and calls shared fairly (issue #33): a product page or an app share link is fetched
//! once however many checks ask for it (joined while under way, then remembered); a request
//! follows at most 50 share links; a refusal about one product never opens a source's breaker;
//! a navigation from another site to a shared address asks no upstream.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use linksmith::server::{
    resolver::{ResolverConfig, SourceState},
    sources::fetch::{FetchPolicy, GuardedFetcher},
    sources::networks::epn::{Epn, EpnConfig},
    sources::page_reader::PageReader,
    sources::share::{ShareLinks, MAX_SHARES_PER_REQUEST},
    sources::Secret,
    store::Catalog,
    AppState, Sources,
};
use serde_json::{json, Value};

use crate::common::{self, fake_networks::start_epn};

/// A server that plays AliExpress's product pages and share links, counting each fetch by path.
struct Site {
    addr: SocketAddr,
    fetches: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    all: Arc<AtomicUsize>,
}

/// The site's port, its fetches by path, and every fetch.
type SiteState = (
    u16,
    Arc<std::sync::Mutex<HashMap<String, usize>>>,
    Arc<AtomicUsize>,
);

async fn serve_site(
    State((port, fetches, all)): State<SiteState>,
    Path(path): Path<String>,
) -> Response {
    all.fetch_add(1, Ordering::SeqCst);
    *fetches.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
    // A little latency, so that checks asking at once find the fetch under way.
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Some(code) = path.strip_prefix('_') {
        let to = format!("http://aliexpress.com:{port}/item/10050062958801{code}.html?aff_fcid=x");
        return (StatusCode::FOUND, [(header::LOCATION, to)]).into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html")],
        r#"<html><head><title>Cable - AliExpress</title><meta property="og:image" content="https://ae01.alicdn.com/kf/S1.jpg"></head><body></body></html>"#,
    )
        .into_response()
}

async fn site() -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fetches = Arc::new(std::sync::Mutex::new(HashMap::new()));
    let all = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/{*path}", get(serve_site))
        .with_state((addr.port(), fetches.clone(), all.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Site { addr, fetches, all }
}

fn fetcher() -> GuardedFetcher {
    let loopback = "127.0.0.1".parse().unwrap();
    let pinned: HashMap<String, std::net::IpAddr> = [
        ("aliexpress.com".to_string(), loopback),
        ("a.aliexpress.com".to_string(), loopback),
    ]
    .into();
    GuardedFetcher::new(FetchPolicy {
        allow_loopback: true,
        pinned,
        ..FetchPolicy::default()
    })
}

fn state_over(site: &Site) -> AppState {
    let base = url::Url::parse(&format!("http://aliexpress.com:{}/", site.addr.port())).unwrap();
    let pages = PageReader::new(fetcher(), Some(base), Duration::from_secs(2));
    let mut state = AppState::with_sources(
        common::api_config(None),
        None,
        Arc::new(Catalog::in_memory().unwrap()),
        Some(pages),
        ResolverConfig::default(),
    );
    let share_base =
        url::Url::parse(&format!("http://a.aliexpress.com:{}/", site.addr.port())).unwrap();
    state.share_links = ShareLinks::with_base(
        fetcher(),
        state.resolver.page_gate().clone(),
        Some(share_base),
    );
    state
}

async fn batch(server: &common::TestServer, urls: &[String]) -> Vec<Value> {
    let answer: Value = common::client()
        .post(server.url("/api/v1/check/batch"))
        .json(&json!({ "urls": urls }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["results"].as_array().cloned().unwrap()
}

#[tokio::test]
async fn a_product_page_is_fetched_once_however_many_checks_ask() {
    let site = site().await;
    let server = common::start_state(state_over(&site)).await;
    let page = "https://aliexpress.com/item/1005006295880104.html".to_string();
    // A thousand copies in one batch, and four more checks of it at the same time.
    let copies = vec![page.clone(); 1000];
    let (first, ..) = tokio::join!(
        batch(&server, &copies),
        batch(&server, &copies[..10]),
        batch(&server, &copies[..10]),
        batch(&server, &copies[..10]),
        batch(&server, &copies[..10]),
    );
    assert_eq!(first.len(), 1000);
    assert!(
        first.iter().all(|r| r["product"]["title"] == "Cable"),
        "{}",
        first[0]
    );
    assert_eq!(
        site.all.load(Ordering::SeqCst),
        1,
        "{:?}",
        site.fetches.lock().unwrap()
    );
    // Remembered: checked again, not fetched again.
    let again = batch(&server, &copies[..5]).await;
    assert!(again.iter().all(|r| r["product"]["title"] == "Cable"));
    assert_eq!(site.all.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_share_link_is_followed_once_and_a_request_follows_at_most_fifty() {
    let site = site().await;
    let server = common::start_state(state_over(&site)).await;
    let share = |code: &str| format!("https://a.aliexpress.com/_{code}");
    // Sixty copies of one share link and three others.
    let mut urls = vec![share("04"); 60];
    urls.extend(["05", "06", "07"].map(share));
    let results = batch(&server, &urls).await;
    let fetched = site.fetches.lock().unwrap().clone();
    assert_eq!(fetched.get("_04"), Some(&1), "{fetched:?}");
    for (i, r) in results.iter().enumerate() {
        if i < MAX_SHARES_PER_REQUEST {
            assert_eq!(
                r["link"]["canonical_url"], "https://aliexpress.com/item/1005006295880104.html",
                "{i}: {r}"
            );
        } else {
            assert_eq!(r["error"]["code"], "short_link_unresolved", "{i}: {r}");
            assert!(
                r["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("first 50 app share links"),
                "{r}"
            );
        }
    }
    // Where it led is remembered.
    let again = batch(&server, &[share("04")]).await;
    assert_eq!(
        again[0]["link"]["canonical_url"],
        "https://aliexpress.com/item/1005006295880104.html"
    );
    assert_eq!(site.fetches.lock().unwrap().get("_04"), Some(&1));
    server.stop().await;
}

#[tokio::test]
async fn twenty_products_epn_refuses_leave_its_breaker_closed() {
    let epn = start_epn("epn-client", "epn-secret").await;
    let store = Arc::new(Catalog::in_memory().unwrap());
    let sources = Sources {
        epn: Some(Epn::new(
            EpnConfig {
                api: epn.api_url(),
                oauth: epn.oauth_url(),
                client_id: "epn-client".into(),
                client_secret: Secret::new("epn-secret"),
            },
            store.clone(),
            Duration::from_millis(1500),
        )),
        ..Sources::default()
    };
    let state = AppState::with_all_sources(
        common::api_config(None),
        sources,
        store,
        None,
        ResolverConfig::default(),
    );
    let resolver = state.resolver.clone();
    let server = common::start_state(state).await;
    let refused: Vec<String> = (0..20)
        .map(|i| (1_005_008_300_000_000u64 + i).to_string())
        .collect();
    epn.state
        .refused
        .lock()
        .unwrap()
        .extend(refused.iter().cloned());
    epn.add(
        "1005008300000100",
        json!({"isHotsale": false, "affiliateType": 1, "maxRate": 7.0}),
    );
    for id in &refused {
        batch(&server, &[format!("https://aliexpress.com/item/{id}.html")]).await;
    }
    assert_eq!(resolver.source_states()[1], ("epn", SourceState::On));
    let good = batch(
        &server,
        &["https://aliexpress.com/item/1005008300000100.html".into()],
    )
    .await;
    assert_eq!(good[0]["status_source"], "epn", "{}", good[0]);
    assert_eq!(good[0]["status"], "affiliate");
    server.stop().await;
}

#[tokio::test]
async fn a_navigation_from_another_site_to_a_shared_address_asks_no_upstream() {
    let (server, gateway) =
        common::api_server(common::api_config(None), Duration::from_secs(2)).await;
    let client = common::client();
    let shared = |id: &str| {
        server.url(&format!(
            "/?url=https%3A%2F%2Faliexpress.com%2Fitem%2F{id}.html"
        ))
    };
    let page = client
        .get(shared("1005006295880104"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(gateway.calls(), 0, "answered from memory only");
    // The link that needed a look-up is left for the page to check once it is loaded.
    assert_eq!(html.matches("data-testid=\"result-card\"").count(), 0);
    // The same address opened by the reader (typed, a bookmark) is checked fresh.
    let page = client
        .get(shared("1005006295880104"))
        .header("sec-fetch-site", "none")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(gateway.calls(), 1);
    assert_eq!(html.matches("data-testid=\"result-card\"").count(), 1);
    server.stop().await;
}
