//! A webmaster's own link template in a request (`template`, POST bodies only), and other
//! networks' deep links read as what they point to with whose tracking was removed.

use serde_json::{json, Value};

use crate::common;

const MINE: &str = "https://shopnow.pub/redirect/cpa/o/MYCODE/?to={url}&sub={sub}";

async fn post(server: &common::TestServer, path: &str, body: Value, lang: &str) -> (u16, Value) {
    let r = common::client()
        .post(server.url(path))
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_request_template_is_used_for_that_request_only_and_never_logged() {
    let ((), logs) = common::with_logs(tracing::Level::DEBUG, async {
        // A server with no template of its own.
        let server = common::start(common::api_config(None)).await;
        let url = "https://aliexpress.com/item/1005006295880104.html";
        let (code, r) = post(
            &server,
            "/api/v1/check",
            json!({"url": url, "sub": "tg", "template": MINE}),
            "en",
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(
            r["affiliate_link"],
            "https://shopnow.pub/redirect/cpa/o/MYCODE/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg"
        );
        assert!(!codes(&r["warnings"]).contains(&"tracking_not_configured".to_string()));
        // The next request without one: the server's default (none: a direct link).
        let (_, r) = post(&server, "/api/v1/check", json!({"url": url}), "en").await;
        assert_eq!(
            r["affiliate_link"],
            "https://aliexpress.com/item/1005006295880104.html"
        );
        assert!(codes(&r["warnings"]).contains(&"tracking_not_configured".to_string()));
        // A batch takes one too.
        let (code, r) = post(
            &server,
            "/api/v1/check/batch",
            json!({"urls": [url, url], "template": MINE}),
            "en",
        )
        .await;
        assert_eq!(code, 200);
        for result in r["results"].as_array().unwrap() {
            assert!(result["affiliate_link"]
                .as_str()
                .unwrap()
                .starts_with("https://shopnow.pub/redirect/cpa/o/MYCODE/"));
        }
        server.stop().await;
    });
    assert!(
        !logs.text().contains("MYCODE"),
        "a user's template reached the log:\n{}",
        logs.text()
    );
}

#[tokio::test]
async fn a_bad_template_is_refused_with_a_sentence_and_never_in_an_address() {
    let server = common::start(common::api_config(Some(
        "https://network.example/deeplink?to={url}&sub={sub}",
    )))
    .await;
    let url = "https://aliexpress.com/item/1005006295880104.html";
    for (template, says) in [
        ("https://n.example/?p={product_id}", "{url}"),
        ("http://n.example/?to={url}", "https"),
        ("https://n.example/?to={url}&x={oops}", "{oops}"),
        (
            "https://s.click.aliexpress.com/deep_link.htm?dl_target_url={url}",
            "short-link",
        ),
    ] {
        let (code, r) = post(
            &server,
            "/api/v1/check",
            json!({"url": url, "template": template}),
            "en",
        )
        .await;
        assert_eq!(code, 400, "{template}");
        assert_eq!(r["error"]["code"], "invalid_template", "{template}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("The link template is refused") && message.contains(says),
            "{message}"
        );
        let (_, r) = post(
            &server,
            "/api/v1/check/batch",
            json!({"urls": [url], "template": template}),
            "ru",
        )
        .await;
        assert_eq!(r["error"]["code"], "invalid_template");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Шаблон ссылки отклонён"),
            "{r}"
        );
    }
    // In an address: refused, whatever it holds.
    let r = common::client()
        .get(server.url(&format!(
            "/api/v1/check?url={url}&template=https%3A%2F%2Fn.example%2F%3Fto%3D%7Burl%7D"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("POST bodies only"));
}

#[tokio::test]
async fn network_deep_links_name_whose_tracking_was_removed() {
    let server = common::start(common::api_config(Some(MINE))).await;
    let cases = [
        ("https://shopnow.pub/redirect/cpa/o/THEIRS/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=them&erid=2Vtz", "ePN"),
        ("https://ad.admitad.com/g/THEIRS/?ulp=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&subid=them", "Admitad"),
    ];
    for (input, network) in cases {
        let (code, r) = post(
            &server,
            "/api/v1/check",
            json!({"url": input, "sub": "mine"}),
            "en",
        )
        .await;
        assert_eq!(code, 200, "{r}");
        assert_eq!(r["link"]["foreign_affiliate"], true);
        assert_eq!(r["link"]["via_network"], network);
        let warning = r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "foreign_network_link")
            .expect("the warning");
        assert!(
            warning["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{network} affiliate link")),
            "{warning}"
        );
        let made = r["affiliate_link"].as_str().unwrap();
        assert!(
            !made.contains("THEIRS") && !made.contains("them") && !made.contains("erid"),
            "{made}"
        );
        assert!(made.ends_with("&sub=mine"), "{made}");
    }
    for short in [
        "https://ali.pub/5abcde",
        "https://fas.st/aBcD1",
        "https://ali.click/abc",
        "https://ad.admitad.com/goto/1e8d11/",
    ] {
        let (code, r) = post(&server, "/api/v1/check", json!({"url": short}), "en").await;
        assert_eq!(
            (code, r["error"]["code"].as_str()),
            (422, Some("short_link_rejected")),
            "{short}"
        );
        let host = url::Url::parse(short)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        assert!(
            r["error"]["message"].as_str().unwrap().contains(&host),
            "{r}"
        );
    }
}
