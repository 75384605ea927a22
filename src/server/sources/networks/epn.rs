//! ePN: OAuth 2 with an "ssid" step (the ssid is limited to about one a day per address, so the
//! tokens are kept in the store and refreshed instead), then `GET /affiliate/checkLink`.
//! A 401 refreshes the token once; a 429 (ePN's captcha) stops this source for five minutes, or as
//! long as `Retry-After` says, logged once: no captcha is ever shown to anyone.

use std::{sync::Mutex, time::Duration};

use serde_json::{json, Value};
use tokio::time::Instant;
use url::Url;

use super::{
    endpoint, flag_of, http_client, percent_of, read_json, retry_after, text_of, token_of,
    transport, SourceError,
};
use crate::{
    domain::{rates::Status, sources::NetworkFacts},
    server::{
        clock::Clock,
        sources::Secret,
        store::{self, SharedStore},
    },
};

pub const NAME: &str = "ePN";
pub const DEFAULT_API: &str = "https://app.epn.bz";
pub const DEFAULT_OAUTH: &str = "https://oauth2.epn.bz";
/// How long a 429 stops this source when the answer names no time.
pub const SLOW_DOWN: Duration = Duration::from_secs(5 * 60);
/// The store's key for this source's tokens.
const TOKENS: &str = "epn";

/// `EPN_CLIENT_ID`, `EPN_CLIENT_SECRET`, `EPN_API_URL`, `EPN_OAUTH_URL`.
#[derive(Clone, Debug)]
pub struct EpnConfig {
    pub api: Url,
    pub oauth: Url,
    pub client_id: String,
    pub client_secret: Secret,
}

/// The tokens of a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    pub access: Secret,
    pub refresh: Secret,
    /// Unix seconds, where the answer said.
    pub expires_at: Option<i64>,
}

/// What ePN's link check says, as the programme's facts; `None`: it does not know the product.
///
/// `affiliateType` 0 is unknown, 2 non-affiliate, any other value affiliate; `isHotsale` makes it
/// hot sale; `maxRate` is the hot rate when hot, else the regular one.
pub fn facts_of(answer: &Value) -> Option<NetworkFacts> {
    let a = &answer["data"]["attributes"];
    let kind = match &a["affiliateType"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    let rate = percent_of(&a["maxRate"]);
    let hot = flag_of(&a["isHotsale"]) == Some(true);
    let (status, exact, hot_rate) = match kind {
        0 => return None,
        2 => (Status::NonAffiliate, None, None),
        _ if hot => (Status::HotSale, None, rate),
        _ => (Status::Affiliate, rate, None),
    };
    Some(NetworkFacts {
        status,
        exact_percent: exact,
        hot_percent: hot_rate,
        title: text_of(&a["productName"]),
        image_url: text_of(&a["productImage"])
            .filter(|u| crate::server::sources::open_platform::https_url(u)),
    })
}

/// Reads tokens from an OAuth answer: `{"data": {"attributes": {access_token, refresh_token,
/// token_expired_at? | expires_in?}}}`. The tokens are kept as given (a JWT is several hundred
/// bytes); `Ok(None)`: the answer holds none; an error: one is over 8 KiB.
/// The session in a token answer; `expires_in` counts from `now` (unix seconds).
fn tokens_of(answer: &Value, now: i64) -> Result<Option<Tokens>, SourceError> {
    let a = &answer["data"]["attributes"];
    let Some(access) = token_of(NAME, "access_token", &a["access_token"])? else {
        return Ok(None);
    };
    let Some(refresh) = token_of(NAME, "refresh_token", &a["refresh_token"])? else {
        return Ok(None);
    };
    let expires_at = a["token_expired_at"]
        .as_i64()
        .or_else(|| a["expires_in"].as_i64().map(|s| now.saturating_add(s)));
    Ok(Some(Tokens {
        access: Secret::new(access),
        refresh: Secret::new(refresh),
        expires_at,
    }))
}

fn error_of(answer: &Value) -> String {
    let Some(e) = answer["errors"].as_array().and_then(|e| e.first()) else {
        return "no reason given".into();
    };
    let code = e["error"]
        .as_i64()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let description = e["error_description"].as_str().unwrap_or("");
    format!("{code} {description}")
        .trim()
        .chars()
        .take(200)
        .collect()
}

#[derive(Debug)]
pub struct Epn {
    http: reqwest::Client,
    config: EpnConfig,
    timeout: Duration,
    store: SharedStore,
    /// When a session given as `expires_in` ends is counted by it.
    clock: Clock,
    /// The session; one task at a time renews it.
    tokens: tokio::sync::Mutex<Option<Tokens>>,
    paused_until: Mutex<Option<Instant>>,
}

enum Call {
    Answer(Value),
    Expired,
}

impl Epn {
    pub fn new(config: EpnConfig, store: SharedStore, timeout: Duration) -> Epn {
        Epn {
            http: http_client(timeout),
            config,
            timeout,
            store,
            clock: Clock::system(),
            tokens: tokio::sync::Mutex::new(None),
            paused_until: Mutex::new(None),
        }
    }

    /// The same client, counting time by `clock` (the server's).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Epn {
        self.clock = clock;
        self
    }

    /// True while ePN asked this source to slow down.
    pub fn paused(&self) -> bool {
        self.paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until)
    }

    fn pause(&self, secs: u64) -> SourceError {
        let mut until = self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let was_paused = until.is_some_and(|u| Instant::now() < u);
        *until = Some(Instant::now() + Duration::from_secs(secs));
        if !was_paused {
            tracing::warn!(
                source = NAME,
                secs,
                "ePN asked to slow down (429, captcha): not asked for a while"
            );
        }
        SourceError::Paused {
            upstream: NAME,
            secs,
        }
    }

    fn request(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header("X-API-VERSION", "2")
            .header(reqwest::header::ACCEPT_LANGUAGE, "en")
    }

    /// A new session: an ssid, then tokens (the ssid is scarce: only when no tokens are kept).
    async fn login(&self) -> Result<Tokens, SourceError> {
        let mut ssid_url = endpoint(&self.config.oauth, "ssid");
        ssid_url
            .query_pairs_mut()
            .append_pair("client_id", &self.config.client_id);
        let response = Self::request(self.http.get(ssid_url))
            .send()
            .await
            .map_err(|e| transport(NAME, &e, self.timeout))?;
        let status = response.status();
        let answer = read_json(NAME, response, self.timeout).await?;
        let ssid = token_of(
            NAME,
            "ssid_token",
            &answer["data"]["attributes"]["ssid_token"],
        )?
        .ok_or_else(|| SourceError::Auth {
            upstream: NAME,
            problem: format!("no ssid (HTTP {status}: {})", error_of(&answer)),
        })?;
        let body = json!({
            "grant_type": "client_credential",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret.expose(),
            "ssid_token": ssid,
            "check_ip": false,
        });
        self.token_call("token", &body).await
    }

    async fn refresh(&self, tokens: &Tokens) -> Result<Tokens, SourceError> {
        let body = json!({
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh.expose(),
            "client_id": self.config.client_id,
        });
        self.token_call("token/refresh", &body).await
    }

    async fn token_call(&self, path: &str, body: &Value) -> Result<Tokens, SourceError> {
        let response = Self::request(self.http.post(endpoint(&self.config.oauth, path)))
            .json(body)
            .send()
            .await
            .map_err(|e| transport(NAME, &e, self.timeout))?;
        let status = response.status();
        if status.as_u16() == 429 {
            return Err(self.pause(retry_after(&response).unwrap_or(SLOW_DOWN.as_secs())));
        }
        let answer = read_json(NAME, response, self.timeout).await?;
        let tokens = tokens_of(&answer, self.clock.unix())?.ok_or_else(|| SourceError::Auth {
            upstream: NAME,
            problem: format!("no tokens (HTTP {status}: {})", error_of(&answer)),
        })?;
        if let Err(error) = self
            .store
            .save_tokens(
                TOKENS,
                tokens.access.expose(),
                tokens.refresh.expose(),
                tokens.expires_at,
                self.clock.unix(),
            )
            .await
        {
            tracing::warn!(%error, "could not keep ePN's tokens in the store");
        }
        Ok(tokens)
    }

    /// The tokens kept in the store (shared by every instance on it).
    async fn kept_tokens(&self) -> Option<Tokens> {
        match self.store.load_tokens(TOKENS).await {
            Ok(kept) => kept.map(
                |store::Tokens {
                     access,
                     refresh,
                     expires_at,
                 }| Tokens {
                    access: Secret::new(access),
                    refresh: Secret::new(refresh),
                    expires_at,
                },
            ),
            Err(error) => {
                tracing::warn!(%error, "could not read ePN's kept tokens");
                None
            }
        }
    }

    /// Holds the store's lock on the tokens: one instance at a time logs in or renews, and the
    /// others then use what it kept. Without the lock (the store is down) this instance goes on
    /// alone rather than not at all.
    async fn token_lock(&self) -> Option<crate::server::store::StoreLock> {
        match self.store.lock(TOKENS, self.timeout * 2).await {
            Ok(lock) => Some(lock),
            Err(error) => {
                tracing::warn!(%error, "ePN's tokens renewed without the store's lock");
                None
            }
        }
    }

    /// The session's tokens: in memory, else kept in the store, else a new login (under the
    /// store's lock, looking at the store again once it is held).
    async fn tokens(&self) -> Result<Tokens, SourceError> {
        let mut held = self.tokens.lock().await;
        if let Some(t) = held.as_ref() {
            return Ok(t.clone());
        }
        if let Some(kept) = self.kept_tokens().await {
            *held = Some(kept.clone());
            return Ok(kept);
        }
        let lock = self.token_lock().await;
        let tokens = match self.kept_tokens().await {
            Some(kept) => Ok(kept),
            None => self.login().await,
        };
        if let Some(lock) = lock {
            lock.release().await;
        }
        let tokens = tokens?;
        *held = Some(tokens.clone());
        Ok(tokens)
    }

    /// After a 401 with `stale`: refreshes once (another task, or another instance, may have
    /// done it already: the kept tokens are read again under the store's lock); a refused
    /// refresh means a new login.
    async fn renew(&self, stale: &Tokens) -> Result<Tokens, SourceError> {
        let mut held = self.tokens.lock().await;
        if let Some(t) = held.as_ref() {
            if t.access != stale.access {
                return Ok(t.clone());
            }
        }
        let lock = self.token_lock().await;
        let tokens = match self.kept_tokens().await {
            Some(kept) if kept.access != stale.access => Ok(kept),
            _ => match self.refresh(stale).await {
                Ok(t) => Ok(t),
                Err(SourceError::Auth { .. }) => self.login().await,
                Err(e) => Err(e),
            },
        };
        if let Some(lock) = lock {
            lock.release().await;
        }
        let tokens = tokens?;
        *held = Some(tokens.clone());
        Ok(tokens)
    }

    async fn check_link_once(&self, link: &str, tokens: &Tokens) -> Result<Call, SourceError> {
        let mut url = endpoint(&self.config.api, "affiliate/checkLink");
        url.query_pairs_mut().append_pair("link", link);
        let response = Self::request(self.http.get(url))
            .header("X-ACCESS-TOKEN", tokens.access.expose())
            .send()
            .await
            .map_err(|e| transport(NAME, &e, self.timeout))?;
        match response.status().as_u16() {
            401 => return Ok(Call::Expired),
            429 => return Err(self.pause(retry_after(&response).unwrap_or(SLOW_DOWN.as_secs()))),
            s if !(200..300).contains(&s) => {
                return Err(SourceError::Http {
                    upstream: NAME,
                    status: s,
                })
            }
            _ => {}
        }
        Ok(Call::Answer(read_json(NAME, response, self.timeout).await?))
    }

    /// What ePN says of one link; `Ok(None)`: it does not know the product.
    pub async fn check_link(&self, link: &str) -> Result<Option<NetworkFacts>, SourceError> {
        if self.paused() {
            return Err(SourceError::Paused {
                upstream: NAME,
                secs: 0,
            });
        }
        let tokens = self.tokens().await?;
        let answer = match self.check_link_once(link, &tokens).await? {
            Call::Answer(a) => a,
            Call::Expired => {
                let renewed = self.renew(&tokens).await?;
                match self.check_link_once(link, &renewed).await? {
                    Call::Answer(a) => a,
                    Call::Expired => {
                        return Err(SourceError::Auth {
                            upstream: NAME,
                            problem: "the renewed token was refused too".into(),
                        })
                    }
                }
            }
        };
        if answer["result"] == Value::Bool(false) {
            return Err(SourceError::Refused {
                upstream: NAME,
                problem: error_of(&answer),
            });
        }
        Ok(facts_of(&answer))
    }
}

#[cfg(test)]
mod tests;
