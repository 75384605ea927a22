//! The product page reader against a local page server playing aliexpress.com.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use linksmith::server::{
    fetch::{FetchError, FetchPolicy, GuardedFetcher},
    page_reader::{read_page, PageReader},
};

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
