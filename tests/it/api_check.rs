//! The check API against the contract (`docs/check-api.md`), field by field, over a real server
//! whose status source is the local signature-checking gateway; the rate limiter; the OpenAPI
//! document checked against real answers.

use std::{collections::HashMap, time::Duration};

use crate::common::{self, client, fake_gateway::FakeGateway, TestServer};
use linksmith::server::{RateLimit, ServerConfig};
use serde_json::{json, Value};

pub(crate) const TEMPLATE: &str = "https://epn.example/redirect?to={url}&sub={sub}";
const LAMP: &str = "1005005248414510"; // hot sale at 12.5% (affiliate 5%)
pub(crate) const CABLE: &str = "1005006295880104"; // affiliate at 7%

pub(crate) struct Setup {
    pub(crate) server: TestServer,
    pub(crate) gateway: FakeGateway,
}

pub(crate) fn config(template: Option<&str>) -> ServerConfig {
    common::api_config(template)
}

pub(crate) async fn setup_with(config: ServerConfig, budget: Duration) -> Setup {
    let (server, gateway) = common::api_server(config, budget).await;
    Setup { server, gateway }
}

async fn setup() -> Setup {
    setup_with(config(Some(TEMPLATE)), Duration::from_millis(2800)).await
}

pub(crate) async fn post(s: &Setup, path: &str, body: Value) -> (u16, Value) {
    post_to(&s.server, path, body).await
}

/// POSTs `body` as JSON to `path`: the status and the JSON answer.
pub(crate) async fn post_to(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn get(s: &Setup, path: &str) -> (u16, Value) {
    let res = client().get(s.server.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

pub(crate) fn codes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_result_has_every_field_of_the_contract() {
    let s = setup().await;
    let input = format!(
        "  https://pt.aliexpress.com/item/{LAMP}.html?aff_fcid=abc&tt=CPS_NORMAL&aff_fsk=xyz  "
    );
    let (status, r) = post(
        &s,
        "/api/v1/check",
        json!({"url": input, "country": "pt", "amount": 100.0, "sub": "tg-channel"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["input"], input);
    let link = &r["link"];
    assert_eq!(link["kind"], "product");
    assert_eq!(
        link["canonical_url"],
        format!("https://aliexpress.com/item/{LAMP}.html")
    );
    assert_eq!(link["product_id"], LAMP);
    assert_eq!(link["store_id"], Value::Null);
    assert_eq!(link["sku_id"], Value::Null);
    assert_eq!(link["site"], "aliexpress.com");
    assert_eq!(link["removed_params"], json!(["aff_fcid", "tt", "aff_fsk"]));
    assert_eq!(link["foreign_affiliate"], true);
    assert_eq!(r["delivery"], json!({"country": "PT", "region": "non_cis"}));
    assert_eq!(r["status"], "hot_sale");
    assert_eq!(r["status_source"], "api");
    assert_eq!(r["product"]["title"], "Desk lamp");
    assert_eq!(r["product"]["category"], "Lights & Lighting");
    assert_eq!(r["product"]["available"], true);
    assert!(r["product"]["image_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(
        r["rate"],
        json!({"min_percent": null, "max_percent": 70.0, "exact_percent": 12.5, "hot_percent": 12.5, "label": "up to 70%"})
    );
    // 70% of 100 is over the cap: 38.5; the exact 12.5% gives 12.5, which is not capped.
    assert_eq!(
        r["estimate"],
        json!({"order_amount_usd": 100.0, "commission_usd_min": null, "commission_usd_max": 38.5,
               "commission_usd_exact": 12.5, "capped": false})
    );
    assert_eq!(r["cookie_days"], 3);
    assert_eq!(
        r["affiliate_link"],
        format!("https://epn.example/redirect?to=https%3A%2F%2Faliexpress.com%2Fitem%2F{LAMP}.html&sub=tg-channel")
    );
    let warnings = codes(&r["warnings"]);
    assert_eq!(warnings, ["foreign_affiliate_params_removed"], "{r}");
    for w in r["warnings"].as_array().unwrap() {
        assert!(w["message"].as_str().unwrap().len() > 20, "{w}");
    }
    let notes = codes(&r["notes"]);
    assert!(notes.contains(&"geo_must_match"), "{notes:?}");
    assert!(notes.contains(&"coupons_and_coins"), "{notes:?}");
    // Keys beyond the contract's are allowed, but every contract key is there.
    for key in [
        "input",
        "link",
        "delivery",
        "status",
        "status_source",
        "product",
        "rate",
        "estimate",
        "cookie_days",
        "affiliate_link",
        "warnings",
        "notes",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
}

#[tokio::test]
async fn get_reads_the_query_and_cis_bands_apply() {
    let s = setup().await;
    let (status, r) = get(
        &s,
        &format!("/api/v1/check?url=ALIEXPRESS.RU/item/{CABLE}.html%3Fsku_id%3D12000037&country=kz&amount=19.99"),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["link"]["site"], "aliexpress.ru");
    assert_eq!(
        r["link"]["canonical_url"],
        format!("https://aliexpress.ru/item/{CABLE}.html?sku_id=12000037")
    );
    assert_eq!(r["link"]["sku_id"], "12000037");
    assert_eq!(r["link"]["foreign_affiliate"], false);
    assert_eq!(r["delivery"], json!({"country": "KZ", "region": "cis"}));
    assert_eq!(r["status"], "affiliate");
    assert_eq!(r["rate"]["min_percent"], 0.72);
    assert_eq!(r["rate"]["max_percent"], 7.0);
    assert_eq!(r["rate"]["exact_percent"], 7.0);
    assert_eq!(r["rate"]["label"], "0.72–7%");
    // Floored to the cent: 0.72% of 19.99 = 0.1439 -> 0.14; 7% = 1.3993 -> 1.39.
    assert_eq!(r["estimate"]["commission_usd_min"], 0.14);
    assert_eq!(r["estimate"]["commission_usd_max"], 1.39);
    assert_eq!(r["estimate"]["commission_usd_exact"], 1.39);
    assert_eq!(r["estimate"]["capped"], false);
    assert_eq!(r["cookie_days"], 15);
    // No sub-id: {sub} is empty.
    assert!(r["affiliate_link"].as_str().unwrap().ends_with("&sub="));
    assert_eq!(codes(&r["warnings"]), Vec::<&str>::new());
    // The default country is US; no amount, no estimate.
    let (_, r) = get(
        &s,
        &format!("/api/v1/check?url=aliexpress.com/item/{CABLE}.html"),
    )
    .await;
    assert_eq!(r["delivery"], json!({"country": "US", "region": "non_cis"}));
    assert_eq!(r["estimate"], Value::Null);
    // Form decoding: `+` is a space, names not in the contract are ignored, a name given twice
    // is refused with a sentence.
    let (status, r) = get(
        &s,
        &format!("/api/v1/check?utm=x&url=+aliexpress.com%2Fitem%2F{CABLE}.html+&sub=tg%2Dchannel"),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["input"], format!(" aliexpress.com/item/{CABLE}.html "));
    assert!(
        r["affiliate_link"]
            .as_str()
            .unwrap()
            .ends_with("&sub=tg-channel"),
        "{r}"
    );
    let (status, r) = get(&s, "/api/v1/check?url=a&url=b").await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["error"]["code"], "invalid_request");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate field `url`"),
        "{r}"
    );
}

#[tokio::test]
async fn bad_links_are_422_with_the_code_and_the_input() {
    let s = setup().await;
    let cases = [
        (
            "https://s.click.aliexpress.com/e/_c3vkSW1v",
            "short_link_rejected",
        ),
        ("", "empty_input"),
        ("   ", "empty_input"),
        (
            "https://example.com/item/1005005248414510.html",
            "not_aliexpress",
        ),
        ("https://aliexpress.com/item/12.html", "unsupported_page"),
        (
            "ftp://aliexpress.com/item/1005005248414510.html",
            "invalid_url",
        ),
    ];
    for (input, code) in cases {
        let (status, r) = post(&s, "/api/v1/check", json!({ "url": input })).await;
        assert_eq!(status, 422, "{input}: {r}");
        assert_eq!(r["input"], input);
        assert_eq!(r["error"]["code"], code, "{input}: {r}");
        assert!(
            r["error"]["message"].as_str().unwrap().len() > 30,
            "{input}: {r}"
        );
    }
    let long = format!(
        "https://aliexpress.com/item/{LAMP}.html?x={}",
        "a".repeat(5000)
    );
    let (status, r) = post(&s, "/api/v1/check", json!({ "url": long })).await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (422, Some("too_long"))
    );
    let (status, r) = get(&s, "/api/v1/check").await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (422, Some("empty_input"))
    );
}

#[tokio::test]
async fn bad_options_and_malformed_bodies_are_400_with_a_clear_message() {
    let s = setup().await;
    let url = format!("https://aliexpress.com/item/{CABLE}.html");
    for (body, code, says) in [
        (
            json!({"url": url, "country": "XX"}),
            "invalid_country",
            "two-letter",
        ),
        (
            json!({"url": url, "country": "Kazakhstan"}),
            "invalid_country",
            "ISO 3166-1",
        ),
        (
            json!({"url": url, "amount": -5}),
            "invalid_amount",
            "negative",
        ),
        (
            json!({"url": url, "amount": "ten"}),
            "invalid_amount",
            "not an amount",
        ),
        (
            json!({"url": url, "sub": "my channel"}),
            "invalid_sub",
            "a space",
        ),
        (
            json!({"url": url, "sub": "a".repeat(65)}),
            "invalid_sub",
            "at most 64",
        ),
    ] {
        let (status, r) = post(&s, "/api/v1/check", body.clone()).await;
        assert_eq!(status, 400, "{body}: {r}");
        assert_eq!(r["error"]["code"], code, "{body}: {r}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }
    // A numeric string is an amount too.
    let (status, r) = post(&s, "/api/v1/check", json!({"url": url, "amount": "12,50"})).await;
    assert_eq!(
        (status, r["estimate"]["order_amount_usd"].clone()),
        (200, json!(12.5))
    );

    for (raw, says) in [
        ("{\"url\": ", "not valid JSON"),
        ("{\"country\": \"US\"}", "missing field `url`"),
        ("{\"url\": 5}", "expected fields"),
        ("[]", "expected fields"),
    ] {
        let res = client()
            .post(s.server.url("/api/v1/check"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{raw}");
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["error"]["code"], "invalid_request", "{raw}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{raw}: {message}");
    }
    let res = client()
        .post(s.server.url("/api/v1/check"))
        .body("url=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let r: Value = res.json().await.unwrap();
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Content-Type: application/json"));
}

#[tokio::test]
async fn a_batch_keeps_input_order_and_one_bad_line_never_fails_it() {
    let s = setup().await;
    let urls = json!([
        format!("https://aliexpress.com/item/{CABLE}.html"),
        "https://s.click.aliexpress.com/e/_c3vkSW1v",
        format!("https://m.aliexpress.com/item/{LAMP}.html?spm=a2g0o"),
        "not a link",
        "https://aliexpress.com/store/1102345678",
        format!("https://aliexpress.com/item/{CABLE}.html"),
    ]);
    let (status, r) = post(
        &s,
        "/api/v1/check/batch",
        json!({"urls": urls, "country": "US", "amount": null, "sub": null}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for (i, item) in results.iter().enumerate() {
        assert_eq!(item["input"], urls[i], "order kept");
    }
    assert_eq!(results[0]["status"], "affiliate");
    assert_eq!(results[1]["error"]["code"], "short_link_rejected");
    assert_eq!(results[2]["status"], "hot_sale");
    assert_eq!(results[3]["error"]["code"], "invalid_url");
    assert_eq!(results[4]["link"]["kind"], "store");
    assert_eq!(results[4]["status"], "unknown");
    assert_eq!(results[4]["status_source"], "none");
    assert!(codes(&results[4]["warnings"]).contains(&"hot_sale_needs_product_link"));
    assert!(codes(&results[4]["warnings"]).contains(&"status_unknown"));
    assert_eq!(results[5]["status"], "affiliate");
    assert_eq!(r["summary"], json!({"total": 6, "checked": 4, "failed": 2}));
    // Two distinct product ids, one gateway call.
    assert_eq!(s.gateway.calls(), 1);

    let (status, r) = post(&s, "/api/v1/check/batch", json!({"urls": []})).await;
    assert_eq!((status, r["results"].clone()), (200, json!([])));
}

#[tokio::test]
async fn over_the_batch_limit_is_413_too_many_links() {
    let s = setup().await;
    let urls: Vec<String> = (0..1001)
        .map(|i| {
            format!(
                "https://aliexpress.com/item/{}.html",
                1005009000000000u64 + i
            )
        })
        .collect();
    let (status, r) = post(&s, "/api/v1/check/batch", json!({ "urls": urls })).await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(r["error"]["code"], "too_many_links");
    assert!(r["error"]["message"].as_str().unwrap().contains("1001"));
    assert_eq!(s.gateway.calls(), 0, "refused before any work");
    let (status, r) = post(
        &s,
        "/api/v1/check/batch",
        json!({ "urls": urls[..1000], "country": "nowhere" }),
    )
    .await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (400, Some("invalid_country"))
    );

    let mut small = config(None);
    small.max_batch = 2;
    let s = setup_with(small, Duration::from_millis(2800)).await;
    let (status, r) = post(&s, "/api/v1/check/batch", json!({ "urls": urls[..3] })).await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (413, Some("too_many_links"))
    );
}

#[tokio::test]
async fn without_a_template_the_link_is_direct_and_says_so() {
    let s = setup_with(config(None), Duration::from_millis(2800)).await;
    let (status, r) = post(
        &s,
        "/api/v1/check",
        json!({"url": format!("aliexpress.com/item/{CABLE}.html?aff_platform=x&sk=abc"), "sub": "ignored-here"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r["affiliate_link"],
        format!("https://aliexpress.com/item/{CABLE}.html")
    );
    let warnings = codes(&r["warnings"]);
    assert!(
        warnings.contains(&"tracking_not_configured"),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"foreign_affiliate_params_removed"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let s = setup().await;
    let res = client()
        .post(s.server.url("/api/v1/check"))
        .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")
        .json(&json!({"url": format!("https://aliexpress.com/item/{LAMP}.html?aff_fcid=1"), "country": "RU"}))
        .send()
        .await
        .unwrap();
    let r: Value = res.json().await.unwrap();
    let message = r["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("партнёрские параметры"), "{message}");
    assert_eq!(r["rate"]["label"], "до 70%");
}

/// One reader of `Accept-Language` for the API and the pages (issue #36): a header whose first
/// tag is not the one it prefers (`en;q=0.5, ru;q=0.8`) gets Russian from both, and a header that
/// refuses Russian (`ru;q=0`) gets English from both.
#[tokio::test]
async fn the_api_and_the_page_read_accept_language_alike() {
    let s = setup().await;
    for (header, russian) in [
        ("en;q=0.5, ru;q=0.8", true),
        ("ru;q=0, en;q=0.1", false),
        ("de-DE, ru;q=0.7", true),
        ("uk, be", false),
    ] {
        let r: Value = client()
            .post(s.server.url("/api/v1/check"))
            .header("accept-language", header)
            .json(&json!({"url": format!("https://aliexpress.com/item/{LAMP}.html?aff_fcid=1"), "country": "RU"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let message = r["warnings"][0]["message"].as_str().unwrap();
        assert_eq!(
            message.contains("партнёрские параметры"),
            russian,
            "API, {header:?}: {message}"
        );
        let html = client()
            .get(s.server.url("/"))
            .header("accept-language", header)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let want = if russian { "ru" } else { "en" };
        assert!(
            html.contains(&format!("<html lang=\"{want}\"")),
            "page, {header:?}"
        );
    }
}

#[tokio::test]
async fn the_rate_limiter_answers_429_with_retry_after_per_client() {
    let mut limited = config(None);
    limited.rate_limit = Some(RateLimit {
        per_second: 2,
        burst: 3,
    });
    let s = setup_with(limited, Duration::from_millis(2800)).await;
    let url = s.server.url(&format!(
        "/api/v1/check?url=aliexpress.com/item/{CABLE}.html"
    ));
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let res = client().get(&url).send().await.unwrap();
        statuses.push(res.status().as_u16());
        last = Some(res);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let res = last.unwrap();
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["error"]["code"], "rate_limited");
    assert!(r["error"]["message"].as_str().unwrap().contains("Wait"));
    // The document and the pages are not limited.
    let res = client()
        .get(s.server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    // The bucket's refill is tested on a paused clock (src/server/limit.rs).
}

#[test]
fn settings_are_read_and_bad_ones_stop_the_start_with_a_message() {
    let base = || ServerConfig::with_leptos(common::leptos_options(&common::temp_site(), false));
    let read = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        base().with_settings(|name| vars.get(name).cloned())
    };
    let c = read(&[]).unwrap();
    assert_eq!(c.default_country.code(), "US");
    assert_eq!(c.template, None);
    assert_eq!(c.max_batch, 1000);
    // Counted in links: one full paste (the batch limit) at once, then five a second.
    assert_eq!(
        c.rate_limit,
        Some(RateLimit {
            per_second: 5,
            burst: 1000
        })
    );
    assert!(c.trusted_proxies.is_empty());
    assert_eq!(c.db_path, std::path::PathBuf::from("data/linksmith.db"));
    assert_eq!(c.api_url.as_str(), "https://api-sg.aliexpress.com/sync");
    assert!(c.credentials.is_none());
    // Every setting comes through the one lookup: the store, the gateway, the credentials.
    let c = read(&[
        ("LINKSMITH_DB", "/tmp/x.db"),
        ("ALIEXPRESS_API_URL", "http://127.0.0.1:9/sync"),
        ("ALIEXPRESS_APP_KEY", "k"),
        ("ALIEXPRESS_APP_SECRET", "s"),
    ])
    .unwrap();
    assert_eq!(c.db_path, std::path::PathBuf::from("/tmp/x.db"));
    assert_eq!(c.api_url.as_str(), "http://127.0.0.1:9/sync");
    assert!(
        c.credentials.is_none(),
        "two of three credentials turn the source off"
    );
    let c = read(&[
        ("ALIEXPRESS_APP_KEY", "k"),
        ("ALIEXPRESS_APP_SECRET", "s"),
        ("ALIEXPRESS_TRACKING_ID", "t"),
    ])
    .unwrap();
    assert_eq!(c.credentials.map(|c| c.app_key), Some("k".to_string()));
    let c = read(&[("LINKSMITH_MAX_BATCH", "300")]).unwrap();
    assert_eq!(c.rate_limit.map(|l| l.burst), Some(300));
    let c = read(&[("LINKSMITH_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
    assert!(c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
    assert!(!c.trusted_proxies.contains("11.2.3.4".parse().unwrap()));
    let c = read(&[
        ("LINKSMITH_DEFAULT_COUNTRY", "kz"),
        (
            "LINKSMITH_LINK_TEMPLATE",
            "https://ad.example/g/1/?ulp={url}&subid={sub}",
        ),
        ("LINKSMITH_MAX_BATCH", "50"),
        ("LINKSMITH_API_RATE", "10"),
        ("LINKSMITH_API_BURST", "40"),
    ])
    .unwrap();
    assert_eq!(c.default_country.code(), "KZ");
    assert!(c.template.is_some());
    assert_eq!(c.max_batch, 50);
    assert_eq!(
        c.rate_limit,
        Some(RateLimit {
            per_second: 10,
            burst: 40
        })
    );
    assert_eq!(
        read(&[("LINKSMITH_API_RATE", "off")]).unwrap().rate_limit,
        None
    );
    for (vars, says) in [
        (
            vec![("LINKSMITH_LINK_TEMPLATE", "http://n.example/?to={url}")],
            "LINKSMITH_LINK_TEMPLATE is not usable: it is not an absolute https address",
        ),
        (
            vec![(
                "LINKSMITH_LINK_TEMPLATE",
                "https://n.example/?p={product_id}",
            )],
            "it has no {url} or {raw_url}",
        ),
        (
            vec![("LINKSMITH_LINK_TEMPLATE", "https://n.example/?to={link}")],
            "unknown placeholder {link}",
        ),
        (
            vec![("LINKSMITH_DEFAULT_COUNTRY", "USA")],
            "LINKSMITH_DEFAULT_COUNTRY",
        ),
        (vec![("LINKSMITH_MAX_BATCH", "0")], "from 1 to 100000"),
        (vec![("LINKSMITH_API_BURST", "lots")], "LINKSMITH_API_BURST"),
        (
            vec![("ALIEXPRESS_API_URL", "http://gateway.example/sync")],
            "ALIEXPRESS_API_URL is not usable",
        ),
        (
            vec![("LINKSMITH_RULES", "/nonexistent/rules.toml")],
            "could not read the rules file /nonexistent/rules.toml",
        ),
        (
            vec![("LINKSMITH_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")],
            "LINKSMITH_TRUSTED_PROXIES is not usable: \"proxy.local\" is not an IP address",
        ),
    ] {
        let err = read(&vars).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
}

/// The OpenAPI document lists every route, and real answers validate against its schemas.
#[tokio::test]
async fn the_openapi_document_describes_the_real_answers() {
    let s = setup().await;
    let (status, doc) = get(&s, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/check",
        "/api/v1/check/batch",
        "/api/v1/campaign/check",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    for method in ["get", "post"] {
        let responses = &doc["paths"]["/api/v1/check"][method]["responses"];
        for status in ["200", "400", "422", "429"] {
            assert!(
                responses.get(status).is_some(),
                "{method} {status}: {responses}"
            );
        }
        let ok = responses["200"]["content"]["application/json"]["schema"].to_string();
        assert!(ok.contains("CheckResult"), "{ok}");
    }
    let validator = |schema: &str| {
        let root = json!({
            "$ref": format!("#/components/schemas/{schema}"),
            "components": doc["components"].clone(),
        });
        jsonschema::validator_for(&root).unwrap()
    };
    let check_result = validator("CheckResult");
    let failure = validator("CheckFailure");
    let batch = validator("BatchResponse");
    let error_body = validator("ErrorBody");
    let campaign = validator("CampaignReport");

    let (_, r) = post(
        &s,
        "/api/v1/check",
        json!({"url": format!("https://aliexpress.com/item/{LAMP}.html?aff_fcid=1"), "amount": 10}),
    )
    .await;
    let errors: Vec<String> = check_result
        .iter_errors(&r)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{r}");
    // The schema has teeth: a wrong status value is refused.
    let mut wrong = r.clone();
    wrong["status"] = json!("great");
    assert!(check_result.validate(&wrong).is_err());
    let mut missing = r.clone();
    missing.as_object_mut().unwrap().remove("rate");
    assert!(check_result.validate(&missing).is_err());

    let (_, r) = get(
        &s,
        "/api/v1/check?url=https://aliexpress.com/store/1102345678&country=RU",
    )
    .await;
    assert!(check_result.validate(&r).is_ok(), "{r}");
    let (_, r) = post(
        &s,
        "/api/v1/check",
        json!({"url": "https://s.click.aliexpress.com/e/_x"}),
    )
    .await;
    assert!(failure.validate(&r).is_ok(), "{r}");
    let (_, r) = post(
        &s,
        "/api/v1/check/batch",
        json!({"urls": [format!("https://aliexpress.com/item/{CABLE}.html"), "nope"]}),
    )
    .await;
    assert!(batch.validate(&r).is_ok(), "{r}");
    let (_, r) = post(&s, "/api/v1/check/batch", json!({"urls": "x"})).await;
    assert!(error_body.validate(&r).is_ok(), "{r}");
    let (_, r) = post(
        &s,
        "/api/v1/campaign/check",
        json!({"domain": "ali-express-deals.com", "keywords": ["aliexpres"]}),
    )
    .await;
    assert!(campaign.validate(&r).is_ok(), "{r}");
}

/// The one-link answer the server keeps written (`server::answers`) is byte for byte the one it
/// would write anew: the same question asked again differs only in `checked_at`; an import that
/// changes what the sources say, another language or another amount is answered anew; and the
/// answer equals the same link's answer in a batch (which is always written anew).
#[tokio::test]
async fn a_question_asked_again_is_answered_as_if_written_anew() {
    use linksmith::server::{resolver::ResolverConfig, store::Catalog, AppState};
    let catalog = std::sync::Arc::new(Catalog::in_memory().unwrap());
    let state = AppState::with_sources(
        config(Some(TEMPLATE)),
        None,
        catalog.clone(),
        None,
        ResolverConfig::default(),
    );
    let kept = state.answers.clone();
    let server = common::start_state(state).await;
    let ask = |lang: &'static str, amount: &'static str| {
        let url = server.url(&format!(
            "/api/v1/check?url=https%3A%2F%2Faliexpress.com%2Fitem%2F{CABLE}.html%3Fspm%3Dx&country=US&sub=s1{amount}"
        ));
        async move {
            let res = client()
                .get(url)
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let mut v: Value = res.json().await.unwrap();
            assert!(v["checked_at"].as_str().unwrap().ends_with('Z'));
            v["checked_at"] = Value::Null;
            v
        }
    };
    let unknown = ask("en", "").await;
    assert_eq!(unknown["status"], "unknown");
    assert_eq!(ask("en", "").await, unknown, "asked again");

    // The catalogue now knows the product: the sources' answer changed, so does the check's.
    catalog
        .import(
            format!("kind,id,status,rate,category\nproduct,{CABLE},affiliate,7.0%,Phones & Telecommunications\n")
                .as_bytes(),
            1_700_000_000,
        )
        .unwrap();
    let known = ask("en", "").await;
    assert_eq!(known["status"], "affiliate");
    assert_eq!(known["rate"]["exact_percent"], 7.0);
    assert_eq!(ask("en", "").await, known, "asked again");

    let russian = ask("ru", "").await;
    assert_ne!(russian["notes"], known["notes"]);
    assert_eq!(ask("ru", "").await, russian);
    let priced = ask("en", "&amount=50").await;
    assert_eq!(priced["estimate"]["commission_usd_exact"], 3.5);
    assert_eq!(known["estimate"], Value::Null);
    // One kept per question (the import's answer in place of the first).
    assert_eq!(kept.len(), 3);

    // The same link in a batch, written anew.
    let input = format!("https://aliexpress.com/item/{CABLE}.html?spm=x");
    let (status, batch) = post_to(
        &server,
        "/api/v1/check/batch",
        json!({"urls": [input], "country": "US", "sub": "s1"}),
    )
    .await;
    assert_eq!(status, 200);
    let mut item = batch["results"][0].clone();
    item["checked_at"] = Value::Null;
    assert_eq!(item, known);
}
