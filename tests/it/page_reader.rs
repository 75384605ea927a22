//! The product page reader against a local page server playing aliexpress.com, and over the saved
//! pages of tests/data/pages (one per shape AliExpress serves, with what each should give in
//! expected.json).

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use linksmith::{
    domain::country::Country,
    server::{
        sources::fetch::{FetchError, FetchPolicy, GuardedFetcher},
        sources::page_reader::{read, read_page, PageReader},
    },
};
use proptest::prelude::*;
use serde_json::Value;

const FULL: &str = r#"<!doctype html><html><head>
<title>USB-C Cable 3A Fast Charge - AliExpress 44</title>
<meta property="og:title" content="USB-C Cable 3A Fast Charge - AliExpress 44">
<meta property="og:image" content="https://ae01.alicdn.com/kf/S1234.jpg">
<script type="application/ld+json">[{"@context":"https://schema.org","@type":"Product","name":"USB-C Cable 3A Fast Charge","image":["https://ae01.alicdn.com/kf/S1234.jpg"],"offers":{"@type":"Offer","availability":"https://schema.org/InStock","price":"2.99"}},
{"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","position":2,"name":"Computer & Office"},{"@type":"ListItem","position":1,"name":"Home"},{"@type":"ListItem","position":3,"name":"Cables"}]}]</script>
</head><body><h1>USB-C Cable 3A Fast Charge</h1></body></html>"#;

const GONE: &str = r#"<html><head><title>AliExpress</title></head><body><div class="not-found">Sorry, this item is no longer available!</div></body></html>"#;

const EMBEDDED: &str = r#"<html><head><title>AliExpress</title></head><body><script>
window.runParams = {"data":{"titleModule":{"subject":"Mechanical keyboard 87 keys"},"imageModule":{"imagePathList":["https://ae01.alicdn.com/kf/Hkb.jpg"]},"crossLinkModule":{"breadCrumbPathList":[{"name":"Home"},{"name":"All Categories"},{"name":"Computer & Office"},{"name":"Keyboards"}]}}};
var other = 1;</script></body></html>"#;

const HTML_CRUMBS: &str = r#"<html><head><title>Garden hose 15m | AliExpress</title></head><body>
<nav class="product-breadcrumb"><a href="/">Home</a> <a href="/category/1">Home &amp; Garden</a></nav></body></html>"#;

async fn page(State(port): State<u16>, Path(file): Path<String>) -> Response {
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match file.as_str() {
        "1005006295880104.html" => html(FULL.to_string()),
        "1005000000000001.html" => html(GONE.to_string()),
        "1005000000000002.html" => html(EMBEDDED.to_string()),
        "1005000000000003.html" => html(format!(
            "<html><body>{}</body></html>",
            "x".repeat(3 * 1024 * 1024)
        )),
        "1005000000000004.html" => (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                format!("http://evil.test:{port}/item/1.html"),
            )],
        )
            .into_response(),
        "1005000000000005.html" => html(HTML_CRUMBS.to_string()),
        "1005000000000006.html" => (
            StatusCode::FOUND,
            [(header::LOCATION, "/item/1005006295880104.html".to_string())],
        )
            .into_response(),
        "1005002724686123.html" => html(fixture("runparams-components.html")),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn reader() -> PageReader {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route("/item/{file}", get(page))
        .with_state(port);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let loopback = "127.0.0.1".parse().unwrap();
    let pinned: HashMap<String, std::net::IpAddr> = [
        ("aliexpress.com".to_string(), loopback),
        ("evil.test".to_string(), loopback),
    ]
    .into();
    let fetcher = GuardedFetcher::new(FetchPolicy {
        allow_loopback: true,
        pinned,
        ..FetchPolicy::default()
    });
    let base = url::Url::parse(&format!("http://aliexpress.com:{port}/")).unwrap();
    PageReader::new(fetcher, Some(base), std::time::Duration::from_secs(2))
}

fn item(id: &str) -> String {
    format!("https://aliexpress.com/item/{id}.html")
}

#[tokio::test]
async fn a_product_page_gives_title_image_category_and_availability() {
    let facts = reader()
        .await
        .read(&item("1005006295880104"))
        .await
        .unwrap();
    assert_eq!(facts.title.as_deref(), Some("USB-C Cable 3A Fast Charge"));
    assert_eq!(
        facts.image_url.as_deref(),
        Some("https://ae01.alicdn.com/kf/S1234.jpg")
    );
    assert_eq!(facts.category.as_deref(), Some("Computer & Office"));
    assert!(facts.available);
    // Redirects inside the site are followed.
    let facts = reader()
        .await
        .read(&item("1005000000000006"))
        .await
        .unwrap();
    assert_eq!(facts.category.as_deref(), Some("Computer & Office"));
}

#[tokio::test]
async fn gone_pages_are_unavailable() {
    let r = reader().await;
    assert!(!r.read(&item("1005000000000001")).await.unwrap().available);
    let missing = r.read(&item("1005000000000404")).await.unwrap();
    assert!(!missing.available && missing.title.is_none());
}

#[tokio::test]
async fn embedded_data_and_html_breadcrumbs_are_read_when_meta_tags_are_missing() {
    let r = reader().await;
    let facts = r.read(&item("1005000000000002")).await.unwrap();
    assert_eq!(facts.title.as_deref(), Some("Mechanical keyboard 87 keys"));
    assert_eq!(
        facts.image_url.as_deref(),
        Some("https://ae01.alicdn.com/kf/Hkb.jpg")
    );
    assert_eq!(facts.category.as_deref(), Some("Computer & Office"));
    let facts = r.read(&item("1005000000000005")).await.unwrap();
    assert_eq!(facts.title.as_deref(), Some("Garden hose 15m"));
    assert_eq!(facts.category.as_deref(), Some("Home & Garden"));
}

#[tokio::test]
async fn a_huge_page_and_a_foreign_redirect_are_refused() {
    let r = reader().await;
    assert_eq!(
        r.read(&item("1005000000000003")).await.unwrap_err(),
        FetchError::TooLarge {
            max: 2 * 1024 * 1024
        }
    );
    assert_eq!(
        r.read(&item("1005000000000004")).await.unwrap_err(),
        FetchError::HostNotAllowed {
            host: "evil.test".into()
        }
    );
}

#[test]
fn hostile_markup_never_panics_and_gives_nothing_unsafe() {
    for html in [
        "",
        "<",
        "<script type=\"application/ld+json\">{broken",
        "<meta property=\"og:image\" content=\"javascript:alert(1)\">",
        "<script>runParams = {</script>",
    ] {
        let facts = read_page(html, 200);
        assert!(facts.image_url.is_none(), "{html}");
    }
}

const PAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pages");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{PAGES}/{name}")).unwrap()
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(PAGES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("html"))
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_saved_page_gives_the_facts_and_origins_expected_json_lists() {
    let expected: Value = serde_json::from_str(&fixture("expected.json")).unwrap();
    let expected = expected.as_object().unwrap();
    let names = fixture_names();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let html = fixture(name);
        assert!(
            html.starts_with("<!-- Shaped after "),
            "{name} says on its first line what it was shaped after"
        );
        let want = expected
            .get(name)
            .unwrap_or_else(|| panic!("expected.json has no entry for {name}"));
        let got = read(&html, 200).to_json();
        assert_eq!(&got, want, "{name}:\n{got:#}");
        // The server's facts are the reading's.
        assert_eq!(read_page(&html, 200), read(&html, 200).facts, "{name}");
    }
    for name in expected.keys().filter(|k| !k.starts_with('_')) {
        assert!(
            names.contains(name),
            "expected.json names a missing page {name}"
        );
    }
}

#[tokio::test]
async fn the_server_reads_a_fetched_page_as_the_saved_one_reads() {
    let facts = reader()
        .await
        .read(&item("1005002724686123"))
        .await
        .unwrap();
    assert_eq!(
        facts,
        read(&fixture("runparams-components.html"), 200).facts
    );
    assert_eq!(facts.store_id.as_deref(), Some("911061014"));
    assert_eq!(facts.ships_from, Country::parse("CN").ok());
}

#[test]
fn lists_written_as_objects_are_read_in_key_order() {
    let html = r#"<script>window.runParams = {"data":{"imageComponent":{"imagePathList":{"1":"https://ae01.alicdn.com/kf/second.jpg","0":"https://ae01.alicdn.com/kf/first.jpg"}},"breadcrumbComponent":{"pathList":{"10":{"cateId":7,"name":"Later"},"2":{"cateId":0,"name":"Home"},"3":{"cateId":44,"name":"Consumer Electronics"}}}}};</script>"#;
    let facts = read_page(html, 200);
    assert_eq!(
        facts.image_url.as_deref(),
        Some("https://ae01.alicdn.com/kf/first.jpg")
    );
    assert_eq!(facts.category.as_deref(), Some("Consumer Electronics"));
}

#[test]
fn the_ship_from_country_is_the_selected_one_when_the_item_ships_from_several() {
    let page = |selected: &str| {
        format!(
            r#"<script>window.runParams = {{ data: {{"skuComponent":{{"selectedSkuAttr":"{selected}","productSKUPropertyList":[{{"skuPropertyId":200007763,"skuPropertyValues":[{{"propertyValueIdLong":201336100,"skuPropertySendGoodsCountryCode":"CN"}},{{"propertyValueIdLong":201336103,"skuPropertySendGoodsCountryCode":"RU"}}]}}]}}}} }};</script>"#
        )
    };
    let ships = |html: String| {
        read_page(&html, 200)
            .ships_from
            .map(|c| c.code().to_string())
    };
    assert_eq!(
        ships(page("200007763:201336103;14:29")).as_deref(),
        Some("RU")
    );
    assert_eq!(
        ships(page("14:29;200007763:201336100#China")).as_deref(),
        Some("CN")
    );
    assert_eq!(ships(page("")), None, "several countries, none selected");
}

#[test]
fn tmall_is_read_only_where_the_page_says_it() {
    let page = |seller: &str| {
        format!(r#"<script>window.runParams = {{"data":{{"sellerComponent":{seller}}}}};</script>"#)
    };
    let reading = read(&page(r#"{"storeNum":1,"isTmall":true}"#), 200);
    assert_eq!(reading.facts.tmall, Some(true));
    assert_eq!(reading.origins.tmall, Some("runParams.sellerComponent"));
    assert_eq!(
        read_page(&page(r#"{"platformProductType":"PLAZA"}"#), 200).tmall,
        Some(false)
    );
    assert_eq!(
        read_page(&page(r#"{"storeNum":911061014}"#), 200).tmall,
        None
    );
}

#[test]
fn sentences_in_scripts_do_not_make_a_page_gone_but_visible_ones_do() {
    let script = r#"<body><script>var i18n = {"NO_LONGER_AVAILABLE":"Sorry, this item is no longer available!"};</script><h1>Lamp</h1></body>"#;
    assert!(read_page(script, 200).available);
    let visible = "<body><p>Sorry, this item is no longer available!</p></body>";
    let reading = read(visible, 200);
    assert!(!reading.facts.available);
    assert_eq!(reading.origins.available, Some("page text"));
    let reading = read("<body><h1>Lamp</h1></body>", 503);
    assert_eq!(
        (reading.facts.available, reading.origins.available),
        (false, Some("http status"))
    );
}

/// A char boundary at or below `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any saved page cut anywhere, or spliced with noise, reads without a panic and never gives
    /// an image that is not https.
    #[test]
    fn truncated_and_spliced_pages_never_panic(
        which in 0usize..16,
        cut in 0usize..8192,
        at in 0usize..8192,
        noise in "[{}\\[\\]\":,0-9a-zA-Z<>/ =;\\\\-]{0,64}",
    ) {
        let names = fixture_names();
        let html = fixture(&names[which % names.len()]);
        let cut = boundary(&html, cut * html.len() / 8192);
        for page in [
            html[..cut].to_string(),
            html[cut..].to_string(),
            format!("{}{noise}{}", &html[..boundary(&html, at * html.len() / 8192)], &html[boundary(&html, at * html.len() / 8192)..]),
        ] {
            let reading = read(&page, 200);
            if let Some(url) = &reading.facts.image_url {
                prop_assert!(url.starts_with("https://"), "{url}");
            }
            let _ = reading.to_json();
        }
    }

    #[test]
    fn any_text_reads_without_a_panic(page in "\\PC{0,400}") {
        let _ = read(&page, 200).to_json();
    }
}

#[test]
fn deep_and_wide_embedded_data_is_read_within_bounds() {
    // Nesting past serde_json's recursion limit is refused, not recursed into.
    let deep = format!(
        r#"<script id="__AER_DATA__" type="application/json">{}{}</script>"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(read_page(&deep, 200).title, None);
    // A wide tree is walked up to its bound.
    let wide = format!(
        r#"<script id="__AER_DATA__" type="application/json">{{"widgets":[{}{{"props":{{"name":"Late","gallery":[]}}}}]}}</script>"#,
        r#"{"a":1},"#.repeat(300_000)
    );
    let started = std::time::Instant::now();
    let _ = read_page(&wide, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
