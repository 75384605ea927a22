//! The page's server functions: what the server's configuration means for the page, and the
//! check itself (the same service, limit and answers as the JSON API).

use leptos::prelude::*;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::{
    check::{Outcome, Problem},
    rates::{Lang, Programme},
};

/// What the page needs to know about the server's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSetup {
    pub programme: Programme,
    /// The API is configured or the catalogue holds something.
    pub status_source: bool,
    /// A link template is configured.
    pub tracking: bool,
    pub default_country: String,
    pub max_batch: usize,
}

/// How long the page's set-up waits for the store.
#[cfg(feature = "ssr")]
const SETUP_STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The set-up as JSON text: the page takes it as a string while it hydrates and reads it
/// ([`PageSetup::read`]) when a part that needs it is drawn, in a later task (app::deferred).
#[server]
pub async fn check_setup() -> Result<String, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    let resolver = state.resolver.clone();
    // A page never waits long on a slow or locked store (it then shows no notice).
    let status_source = tokio::time::timeout(SETUP_STORE_TIMEOUT, resolver.has_status_source())
        .await
        .unwrap_or(true);
    let setup = PageSetup {
        programme: (*state.config.programme).clone(),
        status_source,
        tracking: state.config.template.is_some(),
        default_country: state.config.default_country.code().to_string(),
        max_batch: state.config.max_batch,
    };
    serde_json::to_string(&setup).map_err(|e| ServerFnError::ServerError(e.to_string()))
}

impl PageSetup {
    /// The set-up from [`check_setup`]'s text; `None` if it is not one (a page and a server of
    /// different versions), and the page then works as without a set-up.
    pub fn read(text: &str) -> Option<PageSetup> {
        serde_json::from_str(text).ok()
    }
}

/// The answer to one request of the page: the outcomes in input order, or why none was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckAnswer {
    pub outcomes: Vec<Outcome>,
    pub problem: Option<Problem>,
}

/// Why a request of the page got no answer: the server refused it (rate limited: HTTP 429, the
/// wait in its message) or the server function failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum CheckLinksError {
    #[error("{}", .0.message)]
    Refused(Problem),
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for CheckLinksError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        CheckLinksError::ServerFn(value)
    }
}

/// Links a shared address (`GET /?url=...`) has checked while the server renders it; the page
/// checks the rest once its script runs.
pub const SERVER_RENDERED_LINKS: usize = 20;

/// Checks links for the page through the same service function as `/api/v1/check/batch`, counted
/// against the same per-client limit. Called by the page's script (`POST /api/check_links...`) or
/// while the server renders a shared address (then at most [`SERVER_RENDERED_LINKS`] are checked).
#[server(input = server_fn::codec::Json)]
pub async fn check_links(
    inputs: Vec<String>,
    country: String,
    amount: String,
    sub: String,
    // Absent from older pages' requests: the server's template then.
    #[server(default)] template: String,
    lang: Lang,
) -> Result<CheckAnswer, CheckLinksError> {
    use crate::server::{AmountInput, RawOptions, Refusal};
    use axum::{
        extract::ConnectInfo,
        http::{header, request::Parts, HeaderValue, StatusCode},
    };
    let mut inputs = inputs;
    let state = expect_context::<crate::server::AppState>();
    let parts = use_context::<Parts>();
    // The page's own request for its script is a server function call; anything else is the
    // server rendering a page.
    let rendering = parts
        .as_ref()
        .is_none_or(|p| !p.uri.path().starts_with("/api/"));
    if rendering && inputs.len() <= state.max_batch() {
        inputs.truncate(SERVER_RENDERED_LINKS);
    }
    let client = match &parts {
        Some(p) => {
            let peer = p
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0);
            state.client_of(peer, &p.headers)
        }
        None => state.client_of(None, &axum::http::HeaderMap::default()),
    };
    let raw = RawOptions {
        country: Some(country),
        amount: Some(AmountInput::Text(amount)),
        sub: Some(sub),
        // The webmaster's own template, from the browser (never in an address, never logged).
        template: Some(template),
    };
    match state.check_request(client, &inputs, &raw, lang).await {
        Ok(outcomes) => Ok(CheckAnswer {
            outcomes,
            problem: None,
        }),
        Err(Refusal::RateLimited(limited)) => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(StatusCode::TOO_MANY_REQUESTS);
                res.insert_header(header::RETRY_AFTER, HeaderValue::from(limited.retry_after));
            }
            let problem = limited.problem;
            if rendering {
                Ok(CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(problem),
                })
            } else {
                Err(CheckLinksError::Refused(problem))
            }
        }
        Err(refusal) => Ok(CheckAnswer {
            outcomes: Vec::new(),
            problem: Some(refusal.problem().clone()),
        }),
    }
}
