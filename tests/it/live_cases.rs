//! The live-path table (tests/data/live-cases.json): each row's sources answer as the row says (the
//! fake Open Platform gateway with the row's product object, a catalogue with its CSV, a local
//! page server with its product page), the real server checks the row's link on the row's date,
//! and the whole answer is compared with what the row worked out by hand from the terms.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use linksmith::{
    domain::date::Date,
    server::{
        resolver::ResolverConfig,
        sources::fetch::{FetchPolicy, GuardedFetcher},
        sources::page_reader::PageReader,
        sources::{
            open_platform::{Credentials, OpenPlatform},
            Secret,
        },
        store::Catalog,
        AppState, Calendar, Sources,
    },
};
use serde_json::{json, Value};

use crate::common::{
    self, fake_gateway,
    fake_networks::{
        start_admitad, start_epn, FakeAdmitad, FakeEpn, ADMITAD_ID, ADMITAD_SECRET, EPN_ID,
        EPN_SECRET,
    },
    GATEWAY_KEY, GATEWAY_SECRET,
};

const TEMPLATE: &str = "https://network.example/deeplink?to={url}&sub={sub}";

type Pages = Arc<Mutex<HashMap<String, Value>>>;

/// A product page in the shape real pages carry their data (`window.runParams = {data: ...}`).
fn page_html(spec: &Value) -> String {
    let mut data = json!({
        "titleModule": {"subject": spec["title"]},
        "crossLinkModule": {"breadCrumbPathList": [{"name": "Home"}, {"name": "All Categories"}]},
    });
    if let Some(category) = spec["category"].as_str() {
        data["crossLinkModule"]["breadCrumbPathList"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": category}));
    }
    if !spec["seller"].is_null() {
        data["sellerComponent"] = spec["seller"].clone();
    }
    format!(
        "<!doctype html><html><head><title>{} - AliExpress</title></head><body><script>\nwindow.runParams = {};\n</script></body></html>",
        spec["title"].as_str().unwrap_or("Product"),
        json!({ "data": data })
    )
}

async fn page(State(pages): State<Pages>, Path(file): Path<String>) -> Response {
    let id = file.trim_end_matches(".html");
    let spec = pages.lock().unwrap().get(id).cloned();
    match spec {
        Some(spec) if spec["gone"] == true => StatusCode::NOT_FOUND.into_response(),
        Some(spec) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page_html(&spec),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A page server playing aliexpress.com (and .ru: the reader keeps only the path).
async fn page_server() -> (Pages, PageReader) {
    let pages: Pages = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route("/item/{file}", get(page))
        .with_state(pages.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let fetcher = GuardedFetcher::new(FetchPolicy {
        allow_loopback: true,
        pinned: [("aliexpress.com".to_string(), "127.0.0.1".parse().unwrap())].into(),
        ..FetchPolicy::default()
    });
    let base = url::Url::parse(&format!("http://aliexpress.com:{port}/")).unwrap();
    (
        pages,
        PageReader::new(fetcher, Some(base), Duration::from_secs(2)),
    )
}

fn platform(url: url::Url) -> OpenPlatform {
    OpenPlatform::new(
        url,
        Credentials {
            app_key: GATEWAY_KEY.into(),
            app_secret: Secret::new(GATEWAY_SECRET),
            tracking_id: "trk".into(),
        },
        Duration::from_millis(1500),
    )
}

/// The standing notes of the programme on `date`, from the terms' dates (by hand, not from the
/// rules file).
fn standing_notes(date: Date) -> Vec<&'static str> {
    let mut notes = vec![
        "coupons_and_coins",
        "assistant_plugin",
        "yes_express_app",
        "commission_rounded_down",
        "dispute_deducts",
        "order_confirmation_time",
    ];
    if date >= Date::new(2021, 10, 15).unwrap() {
        notes.push("geo_must_match");
    }
    if date >= Date::new(2022, 3, 1).unwrap() {
        notes.push("commission_changed");
    }
    if date >= Date::new(2022, 10, 20).unwrap() {
        notes.push("dropshipping_seller_rate");
    }
    notes
}

fn codes(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The upstreams every row's sources are served from.
struct Upstreams {
    gateway: fake_gateway::FakeGateway,
    epn: FakeEpn,
    admitad: FakeAdmitad,
    pages: (Pages, PageReader),
}

/// Runs one row through the real server; returns the differences from what it expects.
async fn run(row: &Value, up: &Upstreams) -> Vec<String> {
    let (gateway, pages) = (&up.gateway, &up.pages);
    let source = &row["source"];
    let id = row["product_id"].as_str().unwrap_or("");
    let date = Date::parse(row["date"].as_str().unwrap()).unwrap();

    let catalog = Catalog::in_memory().unwrap();
    if let Some(csv) = source["catalog"].as_str() {
        let report = catalog.import(csv.as_bytes(), 1).unwrap();
        assert!(
            report.skipped.is_empty(),
            "{}: {:?}",
            row["name"],
            report.skipped
        );
    }
    let api = match &source["api"] {
        Value::Null => None,
        Value::String(s) if s == "down" => {
            // Nothing listens there: the connection is refused at once.
            Some(platform(
                url::Url::parse("http://127.0.0.1:9/sync").unwrap(),
            ))
        }
        Value::String(s) if s == "not_in_programme" => Some(platform(gateway.url())),
        product @ Value::Object(_) => {
            gateway.add_raw(id, product.clone());
            Some(platform(gateway.url()))
        }
        other => panic!("{}: source.api {other}", row["name"]),
    };
    let reader = if source["page"].is_null() {
        None
    } else {
        pages
            .0
            .lock()
            .unwrap()
            .insert(id.to_string(), source["page"].clone());
        Some(pages.1.clone())
    };
    // ePN's attributes and Admitad's entry, as their APIs return them (status-sources.md).
    let catalog = Arc::new(catalog);
    let epn = source["epn"].is_object().then(|| {
        up.epn.add(id, source["epn"].clone());
        up.epn.client(catalog.clone(), Duration::from_millis(1500))
    });
    let admitad = source["admitad"].is_object().then(|| {
        up.admitad.add(id, source["admitad"].clone());
        up.admitad.client(Duration::from_millis(1500))
    });
    let template = row["template"].as_str().unwrap_or(TEMPLATE);
    let mut config = common::api_config(Some(template));
    config.calendar = Calendar::Fixed(date);
    let state = AppState::with_all_sources(
        config,
        Sources { api, epn, admitad },
        catalog,
        reader,
        ResolverConfig::default(),
    );
    let server = common::start_state(state).await;
    let mut body = json!({"url": row["link"], "country": row["country"]});
    if !row["amount"].is_null() {
        body["amount"] = row["amount"].clone();
    }
    let answer = common::client()
        .post(server.url("/api/v1/check"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let got: Value = answer.json().await.unwrap();
    server.stop().await;

    let want = &row["expect"];
    let mut diffs = Vec::new();
    let mut check = |what: &str, g: &Value, w: &Value| {
        if g != w {
            diffs.push(format!("{what}: got {g}, expected {w}"));
        }
    };
    // Words a sentence must hold (a code's sentence for this case, an error's reason).
    let mut unsaid = Vec::new();
    let mut said = |what: &str, message: &Value, words: &Value| {
        let message = message.as_str().unwrap_or("");
        for w in words.as_array().into_iter().flatten() {
            let w = w.as_str().unwrap_or("");
            if !message.contains(w) {
                unsaid.push(format!("{what}: {message:?} does not say {w:?}"));
            }
        }
    };
    if let Some(code) = want["error"].as_str() {
        said("error message", &got["error"]["message"], &want["says"]);
        check("HTTP status", &json!(status), &want["http"]);
        check("error code", &got["error"]["code"], &json!(code));
        diffs.extend(unsaid);
        return diffs;
    }
    for (code, words) in want["says"].as_object().into_iter().flatten() {
        let message = got["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(got["notes"].as_array().into_iter().flatten())
            .find(|n| n["code"] == code.as_str())
            .map_or(Value::Null, |n| n["message"].clone());
        said(code, &message, words);
    }
    check("HTTP status", &json!(status), &json!(200));
    check("status", &got["status"], &want["status"]);
    check(
        "status_source",
        &got["status_source"],
        &want["status_source"],
    );
    check("link.kind", &got["link"]["kind"], &want["kind"]);
    for field in ["canonical_url", "site"] {
        if !want[field].is_null() {
            check(field, &got["link"][field], &want[field]);
        }
    }
    if !want["affiliate_link"].is_null() {
        check(
            "affiliate_link",
            &got["affiliate_link"],
            &want["affiliate_link"],
        );
    }
    check(
        "delivery.region",
        &got["delivery"]["region"],
        &want["region"],
    );
    check("cookie_days", &got["cookie_days"], &want["cookie_days"]);
    check("rate", &got["rate"], &want["rate"]);
    check("estimate", &got["estimate"], &want["estimate"]);
    check(
        "warnings",
        &json!(codes(&got["warnings"])),
        &json!(want["warnings"]),
    );
    let mut notes: Vec<String> = want["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .chain(standing_notes(date).into_iter().map(String::from))
        .collect();
    notes.sort();
    check("notes", &json!(codes(&got["notes"])), &json!(notes));
    if !want["category"].is_null() {
        check(
            "product.category",
            &got["product"]["category"],
            &want["category"],
        );
    }
    // Every sentence is filled in: no placeholder reaches the user.
    for n in got["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(got["notes"].as_array().into_iter().flatten())
    {
        let message = n["message"].as_str().unwrap_or("");
        if message.is_empty() || message.contains('{') {
            diffs.push(format!("{}: sentence {message:?}", n["code"]));
        }
    }
    diffs.extend(unsaid);
    diffs
}

fn table() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/live-cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn every_live_case_is_answered_as_the_terms_say() {
    let doc = table();
    let rows = doc["cases"].as_array().unwrap();
    assert!(rows.len() >= 60, "{} rows", rows.len());
    let up = Upstreams {
        gateway: fake_gateway::start(GATEWAY_KEY, GATEWAY_SECRET).await,
        epn: start_epn(EPN_ID, EPN_SECRET).await,
        admitad: start_admitad(ADMITAD_ID, ADMITAD_SECRET).await,
        pages: page_server().await,
    };
    let mut failures = Vec::new();
    for row in rows {
        let diffs = run(row, &up).await;
        if !diffs.is_empty() {
            failures.push(format!(
                "{} ({}):\n  {}",
                row["name"],
                row["link"],
                diffs.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Each point of the terms the table covers: a row for every status, link kind, region and both
/// sides of every dated rule.
#[test]
fn the_table_covers_every_status_kind_region_and_date() {
    let doc = table();
    let rows = doc["cases"].as_array().unwrap();
    let has = |f: &dyn Fn(&Value) -> bool| rows.iter().any(f);
    for status in [
        "hot_sale",
        "affiliate",
        "non_affiliate",
        "zero_commission",
        "unknown",
    ] {
        assert!(has(&|r| r["expect"]["status"] == status), "{status}");
    }
    for kind in ["product", "store", "category", "home"] {
        assert!(has(&|r| r["expect"]["kind"] == kind), "{kind}");
    }
    for region in ["cis", "non_cis"] {
        assert!(has(&|r| r["expect"]["region"] == region), "{region}");
    }
    for date in [
        "2021-10-14",
        "2021-10-15",
        "2022-02-28",
        "2022-03-01",
        "2022-10-19",
        "2022-10-20",
    ] {
        assert!(has(&|r| r["date"] == date), "{date}");
    }
    // Every warning and note of the terms that a link can earn, in some row.
    let expects = |code: &str| {
        has(&|r| {
            ["warnings", "notes"].iter().any(|list| {
                r["expect"][list]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|c| c == code))
            })
        })
    };
    for code in [
        "hot_sale_needs_product_link",
        "foreign_affiliate_params_removed",
        "brazil_computer_office_zero",
        "zero_commission_category",
        "tmall_russia_excluded",
        "tmall_ship_from_unknown",
        "russian_store_direct_link",
        "russian_store_unknown",
        "product_unavailable",
        "status_unknown",
        "order_cap",
        "redirect_to_similar",
        "rate_approximate",
        "rate_outside_terms",
        "attribution_priority",
        "sources_disagree",
    ] {
        assert!(expects(code), "no row expects {code}");
    }
    // The rate authority follows the link's network: a row for each.
    for source in ["api", "epn", "admitad"] {
        assert!(
            has(&|r| !r["template"].is_null() && r["expect"]["status_source"] == source),
            "no row with a template decided by {source}"
        );
    }
    // A home link on every site; the refusals of short links, each saying why.
    for site in ["aliexpress.com", "aliexpress.ru", "aliexpress.us"] {
        assert!(
            has(&|r| r["expect"]["kind"] == "home"
                && r["expect"]["site"] == site
                && r["expect"]["canonical_url"] == "https://aliexpress.com/"),
            "no home row on {site}"
        );
    }
    for host in ["s.click.aliexpress.com", "ali.pub", "fas.st"] {
        assert!(
            has(&|r| r["expect"]["error"] == "short_link_rejected"
                && r["link"].as_str().is_some_and(|l| l.contains(host))
                && r["expect"]["says"].is_array()),
            "no refusal row for {host}"
        );
    }
    for row in rows {
        assert!(
            !row["terms"].as_str().unwrap_or("").is_empty(),
            "{}: names no sentence of the terms",
            row["name"]
        );
    }
}
