//! The Open Platform client against the fake gateway: signing (checked against vectors computed
//! with Python's hmac), both answer shapes, 405, platform errors, HTTP errors, bad JSON, a hang.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use crate::common::fake_gateway::{self, FakeProduct, Mode};
use linksmith::{
    domain::{country::Country, lang::Lang},
    server::sources::{
        open_platform::{sign, ApiAnswer, Credentials, OpenPlatform},
        Secret, SourceError, PLATFORM,
    },
};
use serde_json::Value;

const KEY: &str = "500123";
const SECRET: &str = "fake-app-secret-9f8e7d";

#[test]
fn signatures_match_independently_computed_vectors() {
    let path = format!(
        "{}/tests/data/sign-vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for v in doc["vectors"].as_array().unwrap() {
        let params: BTreeMap<String, String> = serde_json::from_value(v["params"].clone()).unwrap();
        assert_eq!(
            sign(v["secret"].as_str().unwrap(), &params),
            v["sign"].as_str().unwrap(),
            "{params:?}"
        );
        // `sign` itself is never part of what is signed.
        let mut with_sign = params.clone();
        with_sign.insert("sign".into(), "X".into());
        assert_eq!(
            sign(v["secret"].as_str().unwrap(), &with_sign),
            v["sign"].as_str().unwrap()
        );
    }
}

fn client(gw: &fake_gateway::FakeGateway, secret: &str, timeout: Duration) -> OpenPlatform {
    let creds = Credentials {
        app_key: KEY.into(),
        app_secret: Secret::new(secret),
        tracking_id: "my_tracking".into(),
    };
    OpenPlatform::new(gw.url(), creds, timeout)
}

async fn gateway() -> fake_gateway::FakeGateway {
    let gw = fake_gateway::start(KEY, SECRET).await;
    gw.add_standard_products();
    gw.add(
        "32701818048",
        FakeProduct {
            commission: "3.5%",
            hot: Some("6.0%"),
            title: "Regulator",
            category: "Computer & Office",
        },
    );
    gw
}

fn us() -> Country {
    Country::parse("US").unwrap()
}

#[tokio::test]
async fn a_signed_call_reads_products_in_the_wrapped_shape() {
    let gw = gateway().await;
    let api = client(&gw, SECRET, Duration::from_secs(2));
    let ids = ["1005006295880104", "1005005248414510", "1005000000000001"];
    let answer = api
        .product_details(&ids, Country::parse("kz").unwrap(), Lang::Ru)
        .await
        .unwrap();
    let ApiAnswer::Products(products) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(
        products.len(),
        2,
        "the id outside the programme is left out"
    );
    assert_eq!(products[0].product_id, "1005006295880104");
    assert_eq!(products[0].commission_rate, Some(7.0));
    assert_eq!(products[0].hot_commission_rate, None);
    assert_eq!(
        products[0].category.as_deref(),
        Some("Phones & Telecommunications")
    );
    assert_eq!(products[1].hot_commission_rate, Some(12.5));
    assert_eq!(
        products[1].image_url.as_deref(),
        Some("https://ae01.alicdn.com/kf/1005005248414510.jpg")
    );
    // What was sent: every parameter the platform needs, the delivery country, one call.
    let sent = gw.state.last_params.lock().unwrap().clone();
    for (k, v) in [
        ("method", "aliexpress.affiliate.productdetail.get"),
        ("sign_method", "sha256"),
        ("format", "json"),
        ("target_currency", "USD"),
        ("target_language", "RU"),
        ("tracking_id", "my_tracking"),
        ("country", "KZ"),
        ("app_key", KEY),
    ] {
        assert_eq!(sent.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(sent["product_ids"], ids.join(","));
    assert_eq!(gw.calls(), 1);
}

#[tokio::test]
async fn the_flat_shape_reads_the_same() {
    let gw = gateway().await;
    gw.set_mode(Mode::Flat);
    let answer = client(&gw, SECRET, Duration::from_secs(2))
        .product_details(&["32701818048"], us(), Lang::En)
        .await
        .unwrap();
    let ApiAnswer::Products(products) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(products[0].commission_rate, Some(3.5));
    assert_eq!(products[0].shop_id.as_deref(), Some("912345678"));
}

#[tokio::test]
async fn an_empty_result_means_not_in_the_programme() {
    let gw = gateway().await;
    let answer = client(&gw, SECRET, Duration::from_secs(2))
        .product_details(&["1005000000000009"], us(), Lang::En)
        .await
        .unwrap();
    assert_eq!(answer, ApiAnswer::Empty);
}

#[tokio::test]
async fn platform_and_transport_failures_are_errors_that_name_no_secret() {
    let gw = gateway().await;
    let wrong = client(&gw, "not-the-secret", Duration::from_secs(2))
        .product_details(&["32701818048"], us(), Lang::En)
        .await;
    assert!(
        matches!(&wrong, Err(SourceError::Platform { code, .. }) if code == "IncompleteSignature"),
        "{wrong:?}"
    );

    let api = client(&gw, SECRET, Duration::from_millis(500));
    let cases = [
        (Mode::ApiCallLimit, "ApiCallLimit"),
        (Mode::Http500, "HTTP 500"),
        (Mode::Garbage, "could not be read"),
        (Mode::Huge, "over 2 MiB"),
        (Mode::Truncated, "could not be read"),
    ];
    for (mode, says) in cases {
        gw.set_mode(mode);
        let err = api
            .product_details(&["32701818048"], us(), Lang::En)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains(says), "{mode:?}: {text}");
        assert!(!text.contains(SECRET) && !format!("{err:?}").contains(SECRET));
    }
    gw.set_mode(Mode::Hang);
    let started = Instant::now();
    let err = api
        .product_details(&["32701818048"], us(), Lang::En)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SourceError::Timeout {
            upstream: PLATFORM,
            ms: 500
        }
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(!format!("{api:?}").contains(SECRET), "{api:?}");
}

#[test]
fn credentials_need_all_three_variables_and_never_print_the_secret() {
    let creds = Credentials {
        app_key: "k".into(),
        app_secret: Secret::new("top-secret"),
        tracking_id: "t".into(),
    };
    assert!(!format!("{creds:?}").contains("top-secret"));
    assert_eq!(Secret::new("top-secret").to_string(), "***");
}
