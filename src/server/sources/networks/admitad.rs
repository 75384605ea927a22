//! Admitad: a client-credentials token kept until it expires, then
//! `POST /aliexpress/commission_rates/` with many links in one call. An entry whose values are
//! all null means Admitad does not know the product.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;
use url::Url;

use super::{
    endpoint, flag_of, http_client, percent_of, read_json, text_of, token_of, transport,
    SourceError,
};
use crate::{
    domain::{rates::Status, sources::NetworkFacts},
    server::sources::Secret,
};

pub const NAME: &str = "Admitad";
pub const DEFAULT_API: &str = "https://api.admitad.com";
/// Links in one call (the documentation's example sends several; 50 keeps a call small).
pub const MAX_LINKS_PER_CALL: usize = 50;
/// A token is renewed this long before the expiry it was given.
const MARGIN: Duration = Duration::from_secs(60);

/// `ADMITAD_CLIENT_ID`, `ADMITAD_CLIENT_SECRET`, `ADMITAD_API_URL`.
#[derive(Clone, Debug)]
pub struct AdmitadConfig {
    pub api: Url,
    pub client_id: String,
    pub client_secret: Secret,
}

/// One entry of a rates answer, as the programme's facts; `None`: Admitad does not know it.
///
/// `is_hot` true: hot sale at `hot_commission_rate`; `commission_rate` 0 with `is_hot` false: not
/// in the programme; a positive `commission_rate`: affiliate at it.
pub fn facts_of(entry: &Value) -> Option<NetworkFacts> {
    let regular = percent_of(&entry["commission_rate"]);
    let hot_rate = percent_of(&entry["hot_commission_rate"]);
    let hot = flag_of(&entry["is_hot"]);
    let status = match (hot, regular) {
        (Some(true), _) => Status::HotSale,
        (Some(false), Some(0.0)) => Status::NonAffiliate,
        (_, Some(r)) if r > 0.0 => Status::Affiliate,
        _ => return None,
    };
    Some(NetworkFacts {
        status,
        exact_percent: regular.filter(|_| status != Status::NonAffiliate),
        hot_percent: hot_rate.filter(|_| status == Status::HotSale),
        title: text_of(&entry["product_name"]),
        image_url: None,
    })
}

#[derive(Debug)]
pub struct Admitad {
    http: reqwest::Client,
    config: AdmitadConfig,
    timeout: Duration,
    token: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl Admitad {
    pub fn new(config: AdmitadConfig, timeout: Duration) -> Admitad {
        Admitad {
            http: http_client(timeout),
            config,
            timeout,
            token: tokio::sync::Mutex::new(None),
        }
    }

    async fn new_token(&self) -> Result<(Secret, Instant), SourceError> {
        let response = self
            .http
            .post(endpoint(&self.config.api, "token/"))
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose()),
            )
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config.client_id.as_str()),
                ("scope", "aliexpress_commission"),
            ])
            .send()
            .await
            .map_err(|e| transport(NAME, &e, self.timeout))?;
        let status = response.status();
        let answer = read_json(NAME, response, self.timeout).await?;
        let token = token_of(NAME, "access_token", &answer["access_token"])?.ok_or_else(|| {
            SourceError::Auth {
                upstream: NAME,
                problem: format!(
                    "no token (HTTP {status}: {})",
                    text_of(&answer["error_description"])
                        .or_else(|| text_of(&answer["error"]))
                        .unwrap_or_else(|| "no reason given".into())
                ),
            }
        })?;
        let lifetime = Duration::from_secs(answer["expires_in"].as_u64().unwrap_or(3600));
        Ok((
            Secret::new(token),
            Instant::now() + lifetime.saturating_sub(MARGIN),
        ))
    }

    /// The token, renewed when it expired or `stale` (refused) is the one held.
    async fn token(&self, stale: Option<&Secret>) -> Result<Secret, SourceError> {
        let mut held = self.token.lock().await;
        if let Some((t, until)) = held.as_ref() {
            if Instant::now() < *until && stale != Some(t) {
                return Ok(t.clone());
            }
        }
        let (t, until) = self.new_token().await?;
        *held = Some((t.clone(), until));
        Ok(t)
    }

    async fn call(&self, urls: &[&str], token: &Secret) -> Result<Option<Value>, SourceError> {
        let response = self
            .http
            .post(endpoint(&self.config.api, "aliexpress/commission_rates/"))
            .bearer_auth(token.expose())
            .json(&json!({ "urls": urls }))
            .send()
            .await
            .map_err(|e| transport(NAME, &e, self.timeout))?;
        match response.status().as_u16() {
            401 => Ok(None),
            s if !(200..300).contains(&s) => Err(SourceError::Http {
                upstream: NAME,
                status: s,
            }),
            _ => Ok(Some(read_json(NAME, response, self.timeout).await?)),
        }
    }

    /// What Admitad says of each link (at most [`MAX_LINKS_PER_CALL`]), in order; `None` where
    /// it does not know the product or left the link out.
    pub async fn rates(&self, urls: &[&str]) -> Result<Vec<Option<NetworkFacts>>, SourceError> {
        debug_assert!(urls.len() <= MAX_LINKS_PER_CALL);
        let token = self.token(None).await?;
        let answer = if let Some(a) = self.call(urls, &token).await? {
            a
        } else {
            let renewed = self.token(Some(&token)).await?;
            self.call(urls, &renewed).await?.ok_or(SourceError::Auth {
                upstream: NAME,
                problem: "a new token was refused too".into(),
            })?
        };
        let entries =
            answer["commission_rates"]
                .as_array()
                .ok_or_else(|| SourceError::Malformed {
                    upstream: NAME,
                    problem: "no commission_rates list".into(),
                })?;
        Ok(urls
            .iter()
            .map(|u| {
                entries
                    .iter()
                    .find(|e| e["url"].as_str() == Some(*u))
                    .and_then(facts_of)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mapping, as a table: an entry -> (status, regular rate, hot rate), or unknown.
    type Row = (Value, Option<(Status, Option<f64>, Option<f64>)>);

    #[test]
    fn rate_entries_map_onto_the_programme() {
        let rows: Vec<Row> = vec![
            (
                json!({"commission_rate": 7.0, "hot_commission_rate": 40.0, "is_hot": true}),
                Some((Status::HotSale, Some(7.0), Some(40.0))),
            ),
            (
                json!({"commission_rate": 5.0, "hot_commission_rate": null, "is_hot": false}),
                Some((Status::Affiliate, Some(5.0), None)),
            ),
            (
                json!({"commission_rate": "4.5", "is_hot": null}),
                Some((Status::Affiliate, Some(4.5), None)),
            ),
            (
                json!({"commission_rate": 0, "is_hot": false}),
                Some((Status::NonAffiliate, None, None)),
            ),
            (json!({"commission_rate": 0, "is_hot": null}), None),
            (
                json!({"commission_rate": null, "hot_commission_rate": null, "is_hot": null}),
                None,
            ),
            (
                json!({"commission_rate": null, "hot_commission_rate": 30, "is_hot": "true"}),
                Some((Status::HotSale, None, Some(30.0))),
            ),
            (json!({"commission_rate": "n/a", "is_hot": false}), None),
            (json!({"commission_rate": {"value": 7}}), None),
            (json!({}), None),
        ];
        for (entry, want) in rows {
            let got = facts_of(&entry).map(|f| (f.status, f.exact_percent, f.hot_percent));
            assert_eq!(got, want, "{entry}");
        }
    }
}
