//! The AliExpress Open Platform affiliate API: `aliexpress.affiliate.productdetail.get`, signed
//! as the platform publishes it. Without credentials this source is off.

use std::{collections::BTreeMap, time::Duration};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use url::Url;

use super::{Secret, SourceError, PLATFORM};
use crate::domain::{country::Country, lang::Lang, sources::ApiProduct};
use crate::server::clock::Clock;

pub const METHOD: &str = "aliexpress.affiliate.productdetail.get";
/// The platform takes at most this many product ids per call.
pub const MAX_IDS_PER_CALL: usize = 20;
pub const DEFAULT_GATEWAY: &str = "https://api-sg.aliexpress.com/sync";
/// One call's time-out: the whole check has 2.8 s, so a call that takes longer is not waited for.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Connecting to the platform takes at most this long.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// The largest answer read (20 products are a few tens of KB).
pub const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Credentials {
    pub app_key: String,
    pub app_secret: Secret,
    pub tracking_id: String,
}

impl Credentials {
    /// `ALIEXPRESS_APP_KEY`, `ALIEXPRESS_APP_SECRET`, `ALIEXPRESS_TRACKING_ID`, read through
    /// `lookup` (a setting's value by name): all three, or none.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>) -> Option<Credentials> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Some(Credentials {
            app_key: get("ALIEXPRESS_APP_KEY")?,
            app_secret: Secret::new(get("ALIEXPRESS_APP_SECRET")?),
            tracking_id: get("ALIEXPRESS_TRACKING_ID")?,
        })
    }
}

/// The platform's signature: HMAC-SHA256 keyed with the app secret over every parameter but
/// `sign`, sorted by name in ASCII order and concatenated as name+value; upper-case hex.
pub fn sign(secret: &str, params: &BTreeMap<String, String>) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    for (name, value) in params.iter().filter(|(n, _)| n.as_str() != "sign") {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    hex::encode_upper(mac.finalize().into_bytes())
}

/// What one call answered.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiAnswer {
    /// The products the platform returned; a requested id it left out is not in the programme.
    Products(Vec<ApiProduct>),
    /// `resp_code` 405 "The result is empty": none of the ids is in the programme.
    Empty,
}

/// The platform's answer could not be read.
fn malformed(problem: String) -> SourceError {
    SourceError::Malformed {
        upstream: PLATFORM,
        problem,
    }
}

/// "7.0%", "7.0", 7 -> 7.0: a percentage from 0 to 100 (the networks read rates the same way).
pub fn percent_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
        _ => None,
    }
    .filter(|p: &f64| p.is_finite() && *p >= 0.0 && *p <= 100.0)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An absolute https address with a host.
pub fn https_url(text: &str) -> bool {
    Url::parse(text).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

fn product_of(p: &Value) -> Option<ApiProduct> {
    Some(ApiProduct {
        product_id: text_of(p.get("product_id")?)?,
        commission_rate: p.get("commission_rate").and_then(percent_of),
        hot_commission_rate: p.get("hot_product_commission_rate").and_then(percent_of),
        title: p.get("product_title").and_then(text_of),
        // Shown in the page: an https address or nothing (never http:, javascript: or data:).
        image_url: p
            .get("product_main_image_url")
            .and_then(text_of)
            .filter(|u| https_url(u)),
        category: p.get("first_level_category_name").and_then(text_of),
        shop_id: p.get("shop_id").and_then(text_of),
        tmall: p
            .get("platform_product_type")
            .and_then(text_of)
            .and_then(|t| match t.to_ascii_uppercase().as_str() {
                "TMALL" => Some(true),
                "PLAZA" => Some(false),
                _ => None,
            }),
    })
}

/// Reads the platform's answer: the wrapped and the flat product shapes, 405, `error_response`.
pub fn parse_answer(body: &str) -> Result<ApiAnswer, SourceError> {
    let json: Value = serde_json::from_str(body).map_err(|e| malformed(e.to_string()))?;
    if let Some(err) = json.get("error_response") {
        let field = |k: &str| err.get(k).and_then(text_of).unwrap_or_default();
        return Err(SourceError::Platform {
            code: field("code"),
            message: field("msg"),
        });
    }
    let response = json
        .get("aliexpress_affiliate_productdetail_get_response")
        .ok_or_else(|| malformed("no aliexpress_affiliate_productdetail_get_response".into()))?;
    let result = response.get("resp_result").unwrap_or(response);
    let code = result
        .get("resp_code")
        .and_then(Value::as_i64)
        .unwrap_or(200);
    if code == 405 {
        return Ok(ApiAnswer::Empty);
    }
    if code != 200 {
        let message = result.get("resp_msg").and_then(text_of).unwrap_or_default();
        return Err(SourceError::Platform {
            code: code.to_string(),
            message,
        });
    }
    let products = result
        .get("result")
        .and_then(|r| r.get("products"))
        .ok_or_else(|| malformed("no result.products".into()))?;
    // Wrapped: {"products": {"product": [...]}}; flat: {"products": [...]}.
    let list = products.get("product").unwrap_or(products);
    let list = list
        .as_array()
        .ok_or_else(|| malformed("products is not a list".into()))?;
    Ok(ApiAnswer::Products(
        list.iter().filter_map(product_of).collect(),
    ))
}

/// The client. Cheap to clone. Its `Debug` shows no secret (they are [`Secret`]s).
#[derive(Clone, Debug)]
pub struct OpenPlatform {
    http: reqwest::Client,
    gateway: Url,
    credentials: Credentials,
    timeout: Duration,
    /// The signed calls' `timestamp` is read from it.
    clock: Clock,
}

impl OpenPlatform {
    pub fn new(gateway: Url, credentials: Credentials, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            // Like the networks' clients and the fetcher: no proxy from the environment (a proxy
            // would see the signed calls and could answer in the gateway's place).
            .no_proxy()
            .build()
            .expect("the HTTP client's fixed configuration is valid");
        OpenPlatform {
            http,
            gateway,
            credentials,
            timeout,
            clock: Clock::system(),
        }
    }

    /// The same client, signing with the time of `clock` (the server's).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The signed parameters of one call.
    pub fn params(
        &self,
        ids: &[&str],
        country: Country,
        lang: Lang,
        timestamp_ms: u128,
    ) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("app_key".to_string(), self.credentials.app_key.clone());
        p.insert("method".to_string(), METHOD.to_string());
        p.insert("timestamp".to_string(), timestamp_ms.to_string());
        p.insert("sign_method".to_string(), "sha256".to_string());
        p.insert("format".to_string(), "json".to_string());
        p.insert("product_ids".to_string(), ids.join(","));
        p.insert("target_currency".to_string(), "USD".to_string());
        p.insert(
            "target_language".to_string(),
            match lang {
                Lang::En => "EN",
                Lang::Ru => "RU",
            }
            .to_string(),
        );
        p.insert(
            "tracking_id".to_string(),
            self.credentials.tracking_id.clone(),
        );
        p.insert("country".to_string(), country.code().to_string());
        let signature = sign(self.credentials.app_secret.expose(), &p);
        p.insert("sign".to_string(), signature);
        p
    }

    /// One call for up to [`MAX_IDS_PER_CALL`] ids.
    pub async fn product_details(
        &self,
        ids: &[&str],
        country: Country,
        lang: Lang,
    ) -> Result<ApiAnswer, SourceError> {
        debug_assert!(ids.len() <= MAX_IDS_PER_CALL);
        let now = self.clock.unix_millis();
        let params = self.params(ids, country, lang, now);
        let response = self
            .http
            .post(self.gateway.clone())
            .form(&params)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    SourceError::Timeout {
                        upstream: PLATFORM,
                        ms: self.timeout.as_millis(),
                    }
                } else {
                    SourceError::Network { upstream: PLATFORM }
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Http {
                upstream: PLATFORM,
                status: status.as_u16(),
            });
        }
        let body = read_capped(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| match e {
                Capped::TooLarge => malformed(format!(
                    "the answer is over {} MiB",
                    MAX_ANSWER_BYTES / (1024 * 1024)
                )),
                Capped::Failed(e) if e.is_timeout() => SourceError::Timeout {
                    upstream: PLATFORM,
                    ms: self.timeout.as_millis(),
                },
                Capped::Failed(_) => malformed("the answer was cut off".into()),
            })?;
        parse_answer(&body)
    }
}

/// Why a capped read stopped.
pub(crate) enum Capped {
    TooLarge,
    Failed(reqwest::Error),
}

/// Reads an answer's body, refusing one over `max` bytes (announced or as it arrives).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<String, Capped> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(Capped::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Capped::Failed)? {
        if body.len() + chunk.len() > max {
            return Err(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_addresses_are_https_or_dropped() {
        let answer = |image: &str| {
            let body = serde_json::json!({"aliexpress_affiliate_productdetail_get_response": {"resp_result": {
                "resp_code": 200,
                "result": {"products": {"product": [{"product_id": 1005006295880104u64, "product_main_image_url": image}]}}
            }}});
            match parse_answer(&body.to_string()).unwrap() {
                ApiAnswer::Products(p) => p[0].image_url.clone(),
                ApiAnswer::Empty => panic!("empty"),
            }
        };
        assert_eq!(
            answer("https://ae01.alicdn.com/kf/x.jpg").as_deref(),
            Some("https://ae01.alicdn.com/kf/x.jpg")
        );
        for bad in [
            "http://ae01.alicdn.com/kf/x.jpg",
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "//ae01.alicdn.com/x.jpg",
        ] {
            assert_eq!(answer(bad), None, "{bad}");
        }
    }
}
