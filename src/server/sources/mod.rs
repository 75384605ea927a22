//! The upstream sources Linksmith asks, each a client of its own: the AliExpress Open Platform
//! ([`open_platform`]), product pages ([`page_reader`]) and app share links ([`share`]) read
//! through the guarded fetcher ([`fetch`]), and the affiliate networks ePN and Admitad
//! ([`networks`]). A secret any of them holds is a [`Secret`].

pub mod fetch;
pub mod networks;
pub mod open_platform;
pub mod page_reader;
pub mod share;

/// A secret a client holds (an app secret, a client secret, a session's token): `Debug` and
/// `Display` print `***`, so a client's derived `Debug` never shows one; [`Secret::expose`] gives
/// the value where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, to sign a call or send it to the source it belongs to.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::{
        networks::{
            admitad::{Admitad, AdmitadConfig},
            epn::{Epn, EpnConfig, Tokens},
        },
        open_platform::{Credentials, OpenPlatform},
        Secret,
    };
    use crate::server::store::{Catalog, SharedStore};

    const SECRET: &str = "s3cr3t-never-printed";

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    #[test]
    fn a_secret_prints_as_stars() {
        assert_eq!(format!("{:?}", Secret::new(SECRET)), "***");
        assert_eq!(Secret::new(SECRET).to_string(), "***");
        assert_eq!(Secret::new(SECRET).expose(), SECRET);
    }

    #[tokio::test]
    async fn no_client_shows_a_secret_in_its_debug() {
        let timeout = Duration::from_secs(1);
        let api = OpenPlatform::new(
            url("https://gateway.example/sync"),
            Credentials {
                app_key: "880011".into(),
                app_secret: Secret::new(SECRET),
                tracking_id: "trk".into(),
            },
            timeout,
        );
        let store: SharedStore = Arc::new(Catalog::in_memory().unwrap());
        let epn = Epn::new(
            EpnConfig {
                api: url("https://app.epn.example"),
                oauth: url("https://oauth2.epn.example"),
                client_id: "epn-id".into(),
                client_secret: Secret::new(SECRET),
            },
            store,
            timeout,
        );
        let admitad = Admitad::new(
            AdmitadConfig {
                api: url("https://api.admitad.example"),
                client_id: "admitad-id".into(),
                client_secret: Secret::new(SECRET),
            },
            timeout,
        );
        let tokens = Tokens {
            access: Secret::new(SECRET),
            refresh: Secret::new(SECRET),
            expires_at: Some(1),
        };
        for shown in [
            format!("{api:?}"),
            format!("{epn:?}"),
            format!("{admitad:?}"),
            format!("{tokens:?}"),
        ] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        // What the clients show is still useful: whose they are.
        assert!(format!("{api:?}").contains("880011"));
        assert!(format!("{epn:?}").contains("epn-id"));
    }
}

/// The name the Open Platform goes by in [`SourceError`]'s sentences.
pub const PLATFORM: &str = "the platform";

/// Why a status source's API (the Open Platform, ePN, Admitad) said nothing for this check: one
/// error for the API clients' layer. Never contains a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{upstream} answered HTTP {status}")]
    Http { upstream: &'static str, status: u16 },
    #[error("{upstream} did not answer within {ms} ms")]
    Timeout { upstream: &'static str, ms: u128 },
    #[error("the connection to {upstream} failed")]
    Network { upstream: &'static str },
    #[error("{upstream}'s answer could not be read: {problem}")]
    Malformed {
        upstream: &'static str,
        problem: String,
    },
    /// A refusal about the products asked (a network's `result: false`, a 4xx about the link).
    #[error("{upstream} refused the call: {problem}")]
    Refused {
        upstream: &'static str,
        problem: String,
    },
    /// The Open Platform's error answer, with its code.
    #[error("the platform refused the call: {code} ({message})")]
    Platform { code: String, message: String },
    #[error("{upstream} did not accept the credentials: {problem}")]
    Auth {
        upstream: &'static str,
        problem: String,
    },
    #[error("{upstream} asked to slow down; not asked again for {secs} s")]
    Paused { upstream: &'static str, secs: u64 },
}

impl SourceError {
    /// Whether the failure is the source's own (time-outs, connection errors, 5xx, an unreadable
    /// answer, refused credentials or signature, "too many requests"): only these count toward
    /// its breaker. A refusal about one product is an answer about that product, and a request to
    /// slow down pauses the source instead.
    pub fn is_source_fault(&self) -> bool {
        match self {
            SourceError::Timeout { .. }
            | SourceError::Network { .. }
            | SourceError::Malformed { .. }
            | SourceError::Auth { .. } => true,
            // The platform answers a bad signature or key with 401/403; a network's refused
            // credentials are `Auth`. "Too many requests" from a source without its own pause
            // (Admitad, the platform) counts too: a few in a row open the breaker.
            SourceError::Http { upstream, status } => {
                *status >= 500
                    || *status == 429
                    || (*upstream == PLATFORM && matches!(status, 401 | 403))
            }
            SourceError::Platform { code, .. } => {
                let code = code.to_ascii_lowercase();
                [
                    "sign",
                    "appkey",
                    "app_key",
                    "session",
                    "token",
                    "auth",
                    "permission",
                    "limit",
                    "frequency",
                    "isp.",
                    "system",
                ]
                .iter()
                .any(|word| code.contains(word))
                    || code.parse::<u16>().is_ok_and(|n| n >= 500)
            }
            SourceError::Refused { .. } | SourceError::Paused { .. } => false,
        }
    }
}
