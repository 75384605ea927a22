//! The page's server functions: what the server's configuration means for the page, and the
//! check itself (the same service, limit and answers as the JSON API).

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::{lazy, prelude::*};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::domain::{
    check::Outcome, country::Country, lang::Lang, messages::Problem, rates::Programme,
};

/// What the page needs to know about the server's configuration. It travels as text
/// ([`PageSetup::write`]): a few `key value` lines the first bundle reads without a JSON parser
/// (the notices, the country select), then the programme as JSON, read only by the results' code
/// (a bundle of its own), which carries the decoder.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSetup {
    /// The API is configured or the catalogue holds something.
    pub status_source: bool,
    /// A link template is configured.
    pub tracking: bool,
    pub default_country: String,
    /// The countries of the CIS band, first in the country select.
    pub cis: Vec<Country>,
    /// The programme (rates and rules) as JSON: [`read_programme`].
    pub programme: Arc<str>,
}

/// The first line of the set-up's text: a page of another version reads no set-up rather than a
/// wrong one.
const SETUP_HEADER: &str = "linksmith-setup 1";

/// How long the page's set-up waits for the store.
#[cfg(feature = "ssr")]
const SETUP_STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The set-up as text: the page takes it as a string while it hydrates and reads it
/// ([`PageSetup::read`]) when a part that needs it is drawn, in a later task (app::deferred).
#[server(output = crate::app::codec::Json)]
pub async fn check_setup() -> Result<String, ServerFnError> {
    use crate::domain::rates::RegionId;
    let state = expect_context::<crate::server::AppState>();
    let resolver = state.resolver.clone();
    // A page never waits long on a slow or locked store (it then shows no notice).
    let status_source = tokio::time::timeout(SETUP_STORE_TIMEOUT, resolver.has_status_source())
        .await
        .unwrap_or(true);
    let programme = &state.config.programme;
    let json: Result<String, ServerFnError> =
        serde_json::to_string(&**programme).map_err(|e| ServerFnError::ServerError(e.to_string()));
    let setup = PageSetup {
        status_source,
        tracking: state.config.template.is_some(),
        default_country: state.config.default_country.code().to_string(),
        cis: programme.region(RegionId::Cis).countries.clone(),
        programme: json?.into(),
    };
    Ok(setup.write())
}

/// The set-up's text, empty if the server could not give it. Its own bundle in the browser (asked
/// only after a move within the site; a page the server rendered carries it), so that the server
/// function's answer decoder (JSON) stays out of the page's first bundle.
#[lazy]
pub async fn fetch_setup() -> String {
    check_setup().await.unwrap_or_default()
}

impl PageSetup {
    #[cfg(any(feature = "ssr", test))]
    /// The set-up as text: a header line, `key value` lines, an empty line, the programme's JSON.
    pub fn write(&self) -> String {
        let flag = |b: bool| if b { "1" } else { "0" };
        let cis: Vec<&str> = self.cis.iter().map(Country::code).collect();
        format!(
            "{SETUP_HEADER}\nstatus_source {}\ntracking {}\ndefault_country {}\ncis {}\n\n{}",
            flag(self.status_source),
            flag(self.tracking),
            self.default_country,
            cis.join(","),
            self.programme
        )
    }

    /// The set-up from [`check_setup`]'s text; `None` if it is not one (a page and a server of
    /// different versions), and the page then works as without a set-up.
    pub fn read(text: &str) -> Option<PageSetup> {
        let (head, programme) = text.split_once("\n\n")?;
        let mut lines = head.lines();
        if lines.next()? != SETUP_HEADER {
            return None;
        }
        let mut fields = lines.filter_map(|l| l.split_once(' '));
        let mut field = |key: &str| fields.next().filter(|(k, _)| *k == key).map(|(_, v)| v);
        let flag = |v: &str| match v {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        };
        let status_source = flag(field("status_source")?)?;
        let tracking = flag(field("tracking")?)?;
        let default_country = field("default_country")?.to_string();
        let cis = field("cis")?
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| Country::parse(c).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(PageSetup {
            status_source,
            tracking,
            default_country,
            cis,
            programme: programme.into(),
        })
    }
}

/// The programme from the set-up's JSON; `None` if it is not one (a page and a server of
/// different versions). Called by the results' code only, so the first bundle carries no JSON
/// decoder for it.
pub fn read_programme(json: &str) -> Option<Programme> {
    crate::domain::json::from_str(json).ok()
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
    type Encoder = crate::app::codec::PageJsonEncoding;

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
#[server(input = crate::app::codec::Json, output = crate::app::codec::Json)]
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
    let identified = match &parts {
        Some(p) => {
            let peer = p
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0);
            state.identify(peer, &p.headers).await
        }
        None => {
            state
                .identify(None, &axum::http::HeaderMap::default())
                .await
        }
    };
    // A key not in use is refused as on the API (401 `invalid_key`, or 503 when the store does
    // not answer), never counted by the address instead.
    let caller = match identified {
        // A navigation from another site to a shared address is answered from what is
        // remembered only: a hidden frame or a link on another site spends nothing.
        Ok(mut caller) => {
            caller.fresh = !(rendering
                && parts
                    .as_ref()
                    .is_some_and(|p| crate::server::origin::cross_site_navigation(&p.headers)));
            caller
        }
        Err(refused) => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(refused.status);
                if refused.status == StatusCode::UNAUTHORIZED {
                    res.insert_header(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static(crate::server::error::WWW_AUTHENTICATE_BEARER),
                    );
                }
                if let Some(wait) = refused.retry_after {
                    res.insert_header(header::RETRY_AFTER, HeaderValue::from(wait));
                }
            }
            return if rendering {
                Ok(CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(refused.problem),
                })
            } else {
                Err(CheckLinksError::Refused(refused.problem))
            };
        }
    };
    let raw = RawOptions {
        country: Some(country),
        amount: Some(AmountInput::Text(amount)),
        sub: Some(sub),
        // The webmaster's own template, from the browser (never in an address, never logged).
        template: Some(template),
    };
    match state.check_request(&caller, &inputs, &raw, lang).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> PageSetup {
        PageSetup {
            status_source: true,
            tracking: false,
            default_country: "US".into(),
            cis: vec![Country::parse("KZ").unwrap(), Country::parse("AM").unwrap()],
            programme: r#"{"a":"two\n\nlines"}"#.into(),
        }
    }

    #[test]
    fn the_setup_reads_back_as_written() {
        let text = setup().write();
        assert!(
            text.starts_with("linksmith-setup 1\nstatus_source 1\ntracking 0\n"),
            "{text}"
        );
        assert_eq!(PageSetup::read(&text), Some(setup()));
        let none = PageSetup {
            cis: Vec::new(),
            default_country: String::new(),
            ..setup()
        };
        assert_eq!(PageSetup::read(&none.write()), Some(none));
    }

    #[test]
    fn another_versions_setup_is_not_read() {
        let text = setup().write();
        for other in [
            text.replace("linksmith-setup 1", "linksmith-setup 2"),
            text.replace("tracking 0\n", ""),
            text.replace("tracking 0", "tracking yes"),
            text.replace("KZ,AM", "KZ,XX"),
            text.replace("\n\n", "\n"),
            r#"{"programme":{}}"#.to_string(),
            String::new(),
        ] {
            assert_eq!(PageSetup::read(&other), None, "{other}");
        }
    }

    #[test]
    fn the_programme_is_read_from_its_json() {
        let programme = crate::domain::rates::Programme::embedded().unwrap();
        let json = serde_json::to_string(&programme).unwrap();
        assert_eq!(read_programme(&json), Some(programme));
        assert_eq!(read_programme("{}"), None);
    }
}
