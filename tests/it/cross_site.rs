//! Requests from other sites (check-api.md, "Clients and fair use"), over the real server: a
//! checking route asked by another site's page is 403 `cross_site_refused` and costs nothing
//! upstream; the page's server functions take only the content type the page sends (415); a
//! navigation from another site still renders; `/readyz` shows its details to loopback and
//! trusted proxies only.

use std::time::Duration;

use crate::common::{self, client};
use leptos::server_fn::ServerFn;
use linksmith::{
    app::{CheckLinks, CheckLinksError, CheckSetup},
    domain::json,
    server::{ServerConfig, TrustedProxies},
};
use reqwest::{Method, RequestBuilder};
use serde_json::{json as j, Value};

const CABLE: &str = "1005006295880104";

fn link() -> String {
    format!("https://aliexpress.com/item/{CABLE}.html")
}

/// Every checking route, as the page or a program asks it.
fn checking_requests(base: &str) -> Vec<(&'static str, RequestBuilder)> {
    let c = client();
    let url = |p: &str| format!("{base}{p}");
    vec![
        (
            "GET /api/v1/check",
            c.get(url("/api/v1/check")).query(&[("url", link())]),
        ),
        (
            "POST /api/v1/check",
            c.post(url("/api/v1/check")).json(&j!({ "url": link() })),
        ),
        (
            "POST /api/v1/check/batch",
            c.post(url("/api/v1/check/batch"))
                .json(&j!({ "urls": [link()] })),
        ),
        (
            "POST /api/v1/campaign/check",
            c.post(url("/api/v1/campaign/check"))
                .json(&j!({ "text": "Buy on Ali Express" })),
        ),
        (
            "POST check_links (server function)",
            c.post(url(CheckLinks::PATH)).json(&j!({
                "inputs": [link()], "country": "US", "amount": "", "sub": "", "lang": "en"
            })),
        ),
        (
            "POST check_setup (server function)",
            c.post(url(CheckSetup::PATH))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(""),
        ),
    ]
}

/// The refusal's code and message, in the API's shape or the page's check's own
/// (`{"Refused": {...}}`, read as the page reads it).
fn refusal(text: &str) -> (String, String) {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    if let Some(p) = v.get("Refused") {
        let ours: CheckLinksError = json::from_str(text).unwrap();
        assert!(matches!(ours, CheckLinksError::Refused(_)), "{text}");
        return (
            p["code"].as_str().unwrap().to_string(),
            p["message"].as_str().unwrap().to_string(),
        );
    }
    (
        v["error"]["code"].as_str().unwrap_or_default().to_string(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn fetch_headers(r: RequestBuilder, site: &str, mode: &str, dest: &str) -> RequestBuilder {
    r.header("sec-fetch-site", site)
        .header("sec-fetch-mode", mode)
        .header("sec-fetch-dest", dest)
}

#[tokio::test]
async fn another_sites_checks_are_refused_on_every_checking_route_and_cost_nothing() {
    let (server, gateway) =
        common::api_server(common::api_config(None), Duration::from_millis(2800)).await;
    // Another site's `fetch` (no-cors or cors) or `<img>`: 403, in both languages, no upstream
    // call, no body read.
    for (site, mode, dest) in [
        ("cross-site", "no-cors", "empty"),
        ("cross-site", "cors", "empty"),
        ("cross-site", "no-cors", "image"),
        ("cross-site", "navigate", "iframe"),
    ] {
        for (name, req) in checking_requests(&server.base) {
            let res = fetch_headers(req, site, mode, dest)
                .header("accept-language", "ru")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert_eq!(status, 403, "{name} {mode} {dest}: {text}");
            let (code, message) = refusal(&text);
            assert_eq!(code, "cross_site_refused", "{name}: {text}");
            assert!(message.contains("других сайтов"), "{name}: {message}");
        }
    }
    assert_eq!(gateway.calls(), 0, "nothing refused reached the gateway");
    // The page itself (same-origin), a site of the operator's (same-site), the reader's own
    // address bar (none) and programs (no header) are answered.
    for site in [Some("same-origin"), Some("same-site"), Some("none"), None] {
        for (name, req) in checking_requests(&server.base) {
            let req = match site {
                Some(site) => fetch_headers(req, site, "cors", "empty"),
                None => req,
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert_eq!(status, 200, "{name} from {site:?}: {text}");
        }
    }
    assert!(gateway.calls() > 0, "the answered checks asked the gateway");
    // A link on another site to the API's check, followed by the reader: a navigation, answered.
    let res = fetch_headers(
        client()
            .get(server.url("/api/v1/check"))
            .query(&[("url", link())]),
        "cross-site",
        "navigate",
        "document",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    // A form of another site posting to a check (a navigation): no form sends JSON.
    for path in ["/api/v1/check/batch", CheckLinks::PATH] {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let res = fetch_headers(
                client().post(server.url(path)),
                "cross-site",
                "navigate",
                "document",
            )
            .header("content-type", content_type)
            .body(r#"{"urls":["x"],"inputs":["x"],"country":"","amount":"","sub":"","lang":"en"}"#)
            .send()
            .await
            .unwrap();
            let status = res.status().as_u16();
            assert!(
                status == 400 || status == 415,
                "{path} {content_type}: {status}"
            );
        }
    }
    // The API's document says so.
    let doc: Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/check", "get"),
        ("/api/v1/check", "post"),
        ("/api/v1/check/batch", "post"),
        ("/api/v1/campaign/check", "post"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"].get("403").is_some(),
            "{method} {path}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_server_function_takes_only_the_content_type_its_page_sends() {
    let server = common::start(common::api_config(None)).await;
    let body = r#"{"inputs": ["https://aliexpress.com/item/1005006295880104.html"], "country": "US", "amount": "", "sub": "", "lang": "en"}"#;
    // What a third-party page can send without a preflight: text/plain, a form, nothing.
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut req = client().post(server.url(CheckLinks::PATH)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 415, "{content_type:?}: {text}");
        let (code, message) = refusal(&text);
        assert_eq!(code, "invalid_request");
        assert!(message.contains("application/json"), "{message}");
    }
    // The set-up's function takes the form type its page sends, and nothing else.
    let res = client()
        .post(server.url(CheckSetup::PATH))
        .header("content-type", "text/plain")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // The page's own request passes.
    let res = client()
        .post(server.url(CheckLinks::PATH))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_navigation_from_another_site_to_a_shared_address_still_renders() {
    let server = common::start(common::api_config(None)).await;
    let shared = || {
        client()
            .request(Method::GET, server.url("/"))
            .query(&[("url", link())])
    };
    for (mode, dest) in [("navigate", "document"), ("navigate", "iframe")] {
        let res = fetch_headers(shared(), "cross-site", mode, dest)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{mode} {dest}");
        let text = res.text().await.unwrap();
        assert!(text.contains("<html"), "{dest}");
        assert!(
            text.contains(CABLE),
            "the shared link is on the page ({dest})"
        );
    }
    // `<img src="/?url=…">` on another site: no navigation, refused before anything is checked.
    let res = fetch_headers(shared(), "cross-site", "no-cors", "image")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (code, _) = refusal(&res.text().await.unwrap());
    assert_eq!(code, "cross_site_refused");
    // The site's own pages without a shared address are for anyone.
    let res = fetch_headers(
        client().get(server.url("/rates")),
        "cross-site",
        "no-cors",
        "empty",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn readyz_shows_its_details_to_loopback_and_trusted_proxies_only() {
    // Directly from this machine: every detail.
    let server = common::start(common::api_config(None)).await;
    let ready = |req: RequestBuilder| async move {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let body = ready(client().get(server.url("/readyz"))).await;
    assert_eq!(body["status"], "ready", "{body}");
    assert!(body["sources"].is_object(), "{body}");
    assert_eq!(body["store"], "ok", "{body}");
    // Through a proxy on this machine that was not declared: an unknown client's request.
    let body = ready(
        client()
            .get(server.url("/readyz"))
            .header("x-forwarded-for", "203.0.113.7"),
    )
    .await;
    assert_eq!(body, j!({"status": "ready"}));
    server.stop().await;

    // Behind a trusted proxy: its own probe sees the details, the clients it forwards do not.
    let mut config: ServerConfig = common::api_config(None);
    config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    let server = common::start(config).await;
    let body = ready(client().get(server.url("/readyz"))).await;
    assert!(body["sources"].is_object(), "{body}");
    for forwarded in ["203.0.113.7", "198.51.100.1, 203.0.113.7", "2001:db8::1"] {
        let body = ready(
            client()
                .get(server.url("/readyz"))
                .header("x-forwarded-for", forwarded),
        )
        .await;
        assert_eq!(body, j!({"status": "ready"}), "{forwarded}");
    }
    // A client on the proxy's own machine is the operator.
    let body = ready(
        client()
            .get(server.url("/readyz"))
            .header("x-forwarded-for", "127.0.0.1"),
    )
    .await;
    assert!(body["sources"].is_object(), "{body}");
    server.stop().await;
}
