//! The affiliate networks as status sources: ePN and Admitad (../shared/docs/status-sources.md).
//! Each is an API client like the Open Platform one: it talks only to its configured base URLs
//! (https, or http on loopback for tests), with time-outs, an answer size cap and its secret in a
//! type that never prints. Their answers are read defensively: an unknown field is ignored, a
//! missing or null one means "this source does not say", never a guess.

use std::time::Duration;

use url::Url;

use super::SourceError;

pub mod admitad;
pub mod epn;

pub use crate::domain::sources::NetworkFacts;

/// One call's time-out: a check has 2.8 s in all.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// The largest answer read (a token or a page of rates is a few KB).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The HTTP client of a network: time-outs, no redirects (an API that redirects is not followed
/// off its base URL), no proxy from the environment.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("the HTTP client's fixed configuration is valid")
}

/// `base` joined with `path` (`path` relative, the base's own path kept).
pub fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// Maps a transport error.
pub fn transport(network: &'static str, e: &reqwest::Error, timeout: Duration) -> SourceError {
    if e.is_timeout() {
        SourceError::Timeout {
            upstream: network,
            ms: timeout.as_millis(),
        }
    } else {
        SourceError::Network { upstream: network }
    }
}

/// Reads an answer's body as JSON, refusing one over [`MAX_ANSWER_BYTES`].
pub async fn read_json(
    network: &'static str,
    response: reqwest::Response,
    timeout: Duration,
) -> Result<serde_json::Value, SourceError> {
    use super::open_platform::{read_capped, Capped};
    let body = read_capped(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| match e {
            Capped::TooLarge => SourceError::Malformed {
                upstream: network,
                problem: format!("the answer is over {} KiB", MAX_ANSWER_BYTES / 1024),
            },
            Capped::Failed(e) => transport(network, &e, timeout),
        })?;
    serde_json::from_str(&body).map_err(|e| SourceError::Malformed {
        upstream: network,
        problem: e.to_string(),
    })
}

pub use super::open_platform::percent_of;

/// A boolean as a network writes it: `true`, `"true"`, `1`; anything else does not say.
pub fn flag_of(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A non-empty text, trimmed, at most 300 characters.
pub fn text_of(v: &serde_json::Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(300).collect())
}

/// The longest token or secret Linksmith keeps (access and refresh tokens, ssids, client and app
/// secrets): a JWT signed with RS256 is about 800 bytes, one with many claims a few KB. A longer
/// one is refused with a sentence, never cut (a cut token is refused by the network on every call).
pub const MAX_SECRET_BYTES: usize = 8 * 1024;

/// A token from a network's answer, kept byte for byte: `Ok(None)` when the answer has none (not
/// a string, or empty), an error when it is over [`MAX_SECRET_BYTES`]. The error names the field
/// and the length, never the value.
pub fn token_of(
    network: &'static str,
    field: &str,
    v: &serde_json::Value,
) -> Result<Option<String>, SourceError> {
    let Some(text) = v.as_str().filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    if text.len() > MAX_SECRET_BYTES {
        return Err(SourceError::Malformed {
            upstream: network,
            problem: format!(
                "its {field} is {} bytes, over the {} KiB Linksmith keeps; it was not used",
                text.len(),
                MAX_SECRET_BYTES / 1024
            ),
        });
    }
    Ok(Some(text.to_string()))
}

/// Seconds from a `Retry-After` header (seconds only; a date is not trusted), at most an hour.
pub fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| s.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_keep_the_base_path() {
        let base = Url::parse("http://127.0.0.1:9000/epn/").unwrap();
        assert_eq!(
            endpoint(&base, "affiliate/checkLink").as_str(),
            "http://127.0.0.1:9000/epn/affiliate/checkLink"
        );
        let root = Url::parse("https://app.epn.bz").unwrap();
        assert_eq!(endpoint(&root, "ssid").as_str(), "https://app.epn.bz/ssid");
    }

    #[test]
    fn values_are_read_defensively() {
        assert_eq!(percent_of(&json!(7)), Some(7.0));
        assert_eq!(percent_of(&json!("7.5%")), Some(7.5));
        assert_eq!(percent_of(&json!(-1)), None);
        assert_eq!(percent_of(&json!(150)), None);
        assert_eq!(percent_of(&json!(null)), None);
        assert_eq!(percent_of(&json!([7])), None);
        assert_eq!(flag_of(&json!("true")), Some(true));
        assert_eq!(flag_of(&json!(0)), Some(false));
        assert_eq!(flag_of(&json!("yes please")), None);
        assert_eq!(text_of(&json!("  ")), None);
        assert_eq!(text_of(&json!(5)), None);
    }

    #[test]
    fn tokens_are_kept_byte_for_byte_up_to_8_kib_and_refused_past_it() {
        let long = format!(" eyJ{}.sig= ", "a".repeat(1_200));
        assert_eq!(
            token_of("ePN", "access_token", &json!(long)),
            Ok(Some(long.clone()))
        );
        let limit = "t".repeat(MAX_SECRET_BYTES);
        assert_eq!(
            token_of("ePN", "access_token", &json!(limit)),
            Ok(Some(limit.clone()))
        );
        let over = format!("{limit}x");
        let err = token_of("ePN", "access_token", &json!(over)).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains("access_token is 8193 bytes, over the 8 KiB"),
            "{said}"
        );
        assert!(!said.contains("ttt"), "the value is never said: {said}");
        assert_eq!(token_of("ePN", "access_token", &json!("  ")), Ok(None));
        assert_eq!(token_of("ePN", "access_token", &json!(7)), Ok(None));
        assert_eq!(token_of("ePN", "access_token", &json!(null)), Ok(None));
    }
}
