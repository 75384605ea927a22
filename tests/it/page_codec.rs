//! The page's server functions over a real server (its status source the signature-checking
//! gateway): what they answer is read by the domain's JSON reader, as the page's bundle reads it,
//! into the same values `serde_json` reads; the arguments the page sends are read the same way.

use std::time::Duration;

use crate::api_check::{setup_with, CABLE, TEMPLATE};
use crate::common::client;
use leptos::server_fn::ServerFn;
use linksmith::{
    app::{CheckAnswer, CheckLinks, CheckLinksError, CheckSetup, LoadRates, PageSetup, RatesData},
    domain::{check::Outcome, json, rates::Programme},
    server::{RateLimit, ServerConfig},
};
use serde_json::json;

const LAMP: &str = "1005005248414510";

async fn post(server_url: String, body: serde_json::Value) -> (u16, String) {
    let res = client().post(server_url).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_check_answer_reads_as_serde_json_reads_it() {
    let s = setup_with(
        crate::api_check::config(Some(TEMPLATE)),
        Duration::from_millis(2800),
    )
    .await;
    let inputs = [
        format!("https://aliexpress.com/item/{LAMP}.html"),
        format!("https://pt.aliexpress.com/item/{CABLE}.html?aff_fcid=x&sk=_Dk43yId"),
        "https://s.click.aliexpress.com/e/_DlVh2Lx".to_string(),
        "https://example.com/item/1.html".to_string(),
        "not a link".to_string(),
    ];
    for (country, amount) in [("RU", "123.45"), ("BR", ""), ("US", "0.07")] {
        let (status, text) = post(
            s.server.url(CheckLinks::PATH),
            json!({"inputs": inputs, "country": country, "amount": amount, "sub": "tg_1",
                   "template": "", "lang": "ru"}),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let ours: CheckAnswer = json::from_str(&text).unwrap();
        let theirs: CheckAnswer = serde_json::from_str(&text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.outcomes.len(), inputs.len());
        assert!(ours.problem.is_none());
        // Rates, estimates and products came back, not only failures.
        let Outcome::Checked(lamp) = &ours.outcomes[0] else {
            panic!("{text}")
        };
        assert!(lamp.product.is_some(), "{text}");
        assert!(matches!(ours.outcomes[2], Outcome::Failed(_)));
    }
    // A request the server refuses reads as the page's error.
    let (status, text) = post(
        s.server.url(CheckLinks::PATH),
        json!({"inputs": inputs, "country": "XX", "amount": "", "sub": "", "lang": "en"}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let ours: CheckAnswer = json::from_str(&text).unwrap();
    assert_eq!(
        ours.problem.as_ref().map(|p| p.code.as_str()),
        Some("invalid_country")
    );
    assert_eq!(ours, serde_json::from_str::<CheckAnswer>(&text).unwrap());
    s.server.stop().await;
}

#[tokio::test]
async fn a_refusal_and_bad_arguments_read_as_errors() {
    let mut config = crate::api_check::config(None);
    config.rate_limit = Some(RateLimit {
        per_second: 1,
        burst: 2,
    });
    let s = setup_with(config, Duration::from_millis(2800)).await;
    let body =
        json!({"inputs": ["a", "b", "c"], "country": "", "amount": "", "sub": "", "lang": "en"});
    let (status, text) = post(s.server.url(CheckLinks::PATH), body).await;
    assert_eq!(status, 429, "{text}");
    let ours: CheckLinksError = json::from_str(&text).unwrap();
    assert!(matches!(&ours, CheckLinksError::Refused(p) if p.code.as_str() == "rate_limited"));
    assert_eq!(
        ours,
        serde_json::from_str::<CheckLinksError>(&text).unwrap()
    );
    // Arguments the page would never send: the server function's error, read as the page reads
    // it (Leptos answers unreadable arguments with status 500 and that error), never a panic.
    for body in [
        "{}",
        "[",
        r#"{"inputs": "x", "country": "", "amount": "", "sub": "", "lang": "en"}"#,
        r#"{"inputs": [], "country": "", "amount": "", "sub": "", "lang": "xx"}"#,
    ] {
        let res = client()
            .post(s.server.url(CheckLinks::PATH))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(
            (400..500).contains(&status) || status == 500,
            "{body}: {status}"
        );
        let error: CheckLinksError = json::from_str(&text).unwrap();
        assert!(
            matches!(error, CheckLinksError::ServerFn(_)),
            "{body}: {text}"
        );
    }
    s.server.stop().await;
}

#[tokio::test]
async fn the_set_up_carries_the_programme_as_the_server_has_it() {
    let config = ServerConfig {
        ..crate::api_check::config(Some(TEMPLATE))
    };
    let s = setup_with(config, Duration::from_millis(2800)).await;
    let res = client()
        .post(s.server.url(CheckSetup::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let setup_text: String = json::from_str(&text).unwrap();
    assert_eq!(setup_text, serde_json::from_str::<String>(&text).unwrap());
    let setup = PageSetup::read(&setup_text).unwrap();
    assert!(setup.tracking);
    let programme: Programme = json::from_str(&setup.programme).unwrap();
    assert_eq!(programme, Programme::embedded().unwrap());
    s.server.stop().await;
}

#[tokio::test]
async fn the_rates_page_reads_the_programme_as_the_server_has_it() {
    let s = setup_with(crate::api_check::config(None), Duration::from_millis(2800)).await;
    let res = client()
        .post(s.server.url(LoadRates::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let data_text: String = json::from_str(&text).unwrap();
    assert_eq!(data_text, serde_json::from_str::<String>(&text).unwrap());
    let ours: RatesData = json::from_str(&data_text).unwrap();
    assert_eq!(ours, serde_json::from_str::<RatesData>(&data_text).unwrap());
    assert_eq!(ours.programme, Programme::embedded().unwrap());
    assert_eq!(ours.default_country.len(), 2, "{data_text}");
    s.server.stop().await;
}
