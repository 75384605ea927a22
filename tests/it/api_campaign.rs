//! `POST /api/v1/campaign/check` against the real server: the contract's shape, clear 400s.

use crate::common::{client, start_default};
use serde_json::{json, Value};

#[tokio::test]
async fn campaign_check_answers_as_the_contract_says() {
    let server = start_default().await;
    let res = client()
        .post(server.url("/api/v1/campaign/check"))
        .json(&json!({"domain": "deals-aliexpres.com", "title": "Gadgets", "text": "Buy on Ali Express", "keywords": ["usb", "алиэкспресс купоны"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let f = body["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(
        f[0],
        json!({"field": "domain", "keyword_index": null, "start": 6, "end": 15, "match": "aliexpres", "term": "aliexpress", "code": "brand_in_domain", "message": f[0]["message"], "rule": f[0]["rule"]})
    );
    assert_eq!(
        (
            f[1]["field"].as_str(),
            f[1]["code"].as_str(),
            f[1]["match"].as_str()
        ),
        (Some("text"), Some("brand_in_ad"), Some("Ali Express"))
    );
    assert_eq!(
        (
            f[2]["field"].as_str(),
            f[2]["code"].as_str(),
            f[2]["keyword_index"].as_u64()
        ),
        (Some("keywords"), Some("brand_keyword"), Some(1))
    );
    let negatives = body["negative_keywords"].as_array().unwrap();
    assert!(
        negatives.contains(&json!("aliexpress"))
            && negatives.contains(&json!("алиэкспресс"))
            && negatives.contains(&json!("alibaba"))
    );
    // Every field is optional.
    let res = client()
        .post(server.url("/api/v1/campaign/check"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["findings"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let server = start_default().await;
    let res = client()
        .post(server.url("/api/v1/campaign/check"))
        .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.8")
        .json(&json!({"domain": "aliexpress-shop.ru"}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("домене"));
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_clear_message() {
    let server = start_default().await;
    let url = server.url("/api/v1/campaign/check");
    let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (
            client()
                .post(&url)
                .header("content-type", "application/json")
                .body("{not json"),
            "not valid JSON",
        ),
        (
            client().post(&url).body("domain=x"),
            "Content-Type: application/json",
        ),
        (
            client().post(&url).json(&json!({"domain": 5})),
            "expected fields",
        ),
        (
            client().post(&url).json(&json!({"colour": "red"})),
            "unknown field `colour`",
        ),
    ];
    for (req, says) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    let res = client()
        .post(&url)
        .json(&json!({"text": "x".repeat(20_001)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "too_long"
    );
    server.stop().await;
}
