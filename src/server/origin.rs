//! Requests from other sites (check-api.md, "Clients and fair use"), and who may read `/readyz`'s
//! details.
//!
//! A browser says where a request comes from in `Sec-Fetch-Site` (`same-origin`, `same-site`,
//! `cross-site`, `none`) and what it is for in `Sec-Fetch-Mode` (`navigate`, `cors`, `no-cors`,
//! ...) and `Sec-Fetch-Dest` (`document`, `iframe`, `image`, `empty`, ...); a page cannot set
//! these headers. What the server does with them:
//!
//! | `Sec-Fetch-Site` | a checking route (the API's checks, the page's server functions) | a shared address (`/?url=…`) |
//! | --- | --- | --- |
//! | `cross-site`, a top-level navigation | answered (a link the reader followed; a form can send no JSON) | rendered from memory only ([`cross_site_navigation`]) |
//! | `cross-site`, a navigation in a frame | 403 `cross_site_refused` | rendered from memory only |
//! | `cross-site`, anything else (`fetch`, `<img>`, `<script>`, a form's `no-cors`) | 403 `cross_site_refused` | 403 `cross_site_refused` |
//! | `same-site` (another host of the same registrable domain, which its operator controls) | answered | rendered, fresh |
//! | `same-origin`, `none` (typed, a bookmark) | answered | rendered, fresh |
//! | absent (an old browser, curl, a program) | answered | rendered, fresh |
//!
//! Old browsers send no `Sec-Fetch-*` headers; for them the page's check stays closed by its
//! content type: a server function takes only the type the page sends (`application/json` for the
//! check), which no other site can send without a CORS preflight, which this server never grants
//! (else 415).

use std::net::IpAddr;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::{ContentType, Http, ServerFn};

use super::{
    body::{Bounds, DecodeReport},
    error::{lang_of, ApiError},
    limit::{client_ip, TrustedProxies},
    AppState,
};
use crate::app::{CheckLinks, CheckLinksError, CheckSetup, LoadRates};

/// `Sec-Fetch-Site: cross-site`: the request was made by a page of another site.
pub fn cross_site(headers: &HeaderMap) -> bool {
    fetch_header(headers, "sec-fetch-site", "cross-site")
}

/// A navigation from another site: the reader followed a link (or a form, or a frame) of another
/// site to this one (`Sec-Fetch-Site: cross-site` and `Sec-Fetch-Mode: navigate`). A shared
/// address reached so is rendered from what is remembered only (no fresh look-up): a hidden frame
/// costs nothing, and the page, once loaded, checks the rest itself.
///
/// False for `same-site` (a host of the same registrable domain: the operator's own), `none`
/// (typed in the address bar, a bookmark: the reader's own wish, answered fresh) and for requests
/// without the header (old browsers, programs: nothing says they came from another site).
pub fn cross_site_navigation(headers: &HeaderMap) -> bool {
    cross_site(headers) && fetch_header(headers, "sec-fetch-mode", "navigate")
}

/// A navigation into a frame (`Sec-Fetch-Dest` other than `document`): never shown here
/// (`frame-ancestors 'none'`), so never a reader's wish.
fn nested(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("document"))
}

fn fetch_header(headers: &HeaderMap, name: &str, value: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
}

/// What a request asks for, as far as other sites are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/api/v1/check`, `/api/v1/check/…`, `/api/v1/campaign/check`.
    ApiCheck,
    /// One of the page's server functions, with the content type the page sends it.
    ServerFn { content_type: &'static str },
    /// A page with a `url` in its query: the server checks links while it renders it.
    SharedAddress,
    /// Anything else (pages without `url`, assets, `/healthz`, the OpenAPI document).
    Other,
}

/// The page's server functions and the content type each one's page sends: the encoding of its
/// arguments. A server function missing here is refused (415) whatever it is sent:
/// `server_functions_all_have_a_content_type` fails first.
fn server_functions() -> [(&'static str, &'static str); 3] {
    [
        (CheckLinks::PATH, input_type::<CheckLinks>()),
        (CheckSetup::PATH, input_type::<CheckSetup>()),
        (LoadRates::PATH, input_type::<LoadRates>()),
    ]
}

/// The content type of a server function's arguments, as its page sends them.
fn input_type<F: ServerFn>() -> &'static str
where
    F::Protocol: InputType,
{
    <F::Protocol as InputType>::CONTENT_TYPE
}

/// The content type of a protocol's input encoding.
trait InputType {
    const CONTENT_TYPE: &'static str;
}

impl<I: ContentType, O> InputType for Http<I, O> {
    const CONTENT_TYPE: &'static str = I::CONTENT_TYPE;
}

impl Route {
    /// The route of a path and query (pure).
    pub fn of(path: &str, query: Option<&str>) -> Route {
        if path == "/api/v1/check"
            || path.starts_with("/api/v1/check/")
            || path == "/api/v1/campaign/check"
        {
            return Route::ApiCheck;
        }
        if let Some((_, content_type)) = server_functions().iter().find(|(p, _)| *p == path) {
            return Route::ServerFn { content_type };
        }
        if path.starts_with("/api/") && !path.starts_with("/api/v1/") {
            // Leptos answers an unknown server function itself (400); nothing to check there,
            // but nothing is taken from another site either.
            return Route::ServerFn { content_type: "" };
        }
        let shares = query.is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.split('=').next() == Some("url"))
        });
        if shares && !path.starts_with("/pkg/") {
            return Route::SharedAddress;
        }
        Route::Other
    }
}

/// Why a request is refused before anything reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// 403 `cross_site_refused`.
    CrossSite,
    /// 415 `invalid_request`: a server function sent another content type than the page sends.
    ContentType { expected: &'static str },
}

/// The refusal of a request, if any (pure): another site's request to a checking route or a
/// shared address that is not a navigation the reader made (see the table above), or a server
/// function sent a content type its page never sends.
pub fn refusal(route: Route, method: &Method, headers: &HeaderMap) -> Option<Refused> {
    let navigation = fetch_header(headers, "sec-fetch-mode", "navigate");
    match route {
        Route::Other => return None,
        Route::SharedAddress => {
            if cross_site(headers) && !navigation {
                return Some(Refused::CrossSite);
            }
            return None;
        }
        Route::ApiCheck | Route::ServerFn { .. } => {
            if cross_site(headers) && (!navigation || nested(headers)) {
                return Some(Refused::CrossSite);
            }
        }
    }
    if let Route::ServerFn { content_type } = route {
        if method == Method::POST && !content_type.is_empty() {
            let sent = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::trim);
            if !sent.is_some_and(|s| s.eq_ignore_ascii_case(content_type)) {
                return Some(Refused::ContentType {
                    expected: content_type,
                });
            }
        }
    }
    None
}

/// The refusal as the client reads it: the API's error body, or, for the page's check, the
/// server function's own error (`{"Refused": {"code", "message"}}`), which the page shows.
pub fn refusal_response(route: Route, path: &str, error: ApiError) -> Response {
    if matches!(route, Route::ServerFn { .. }) && path == CheckLinks::PATH {
        let mut res = error.clone().into_response();
        if let Ok(body) = serde_json::to_vec(&CheckLinksError::Refused(error.problem)) {
            *res.body_mut() = axum::body::Body::from(body);
            res.headers_mut().remove(header::CONTENT_LENGTH);
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        return res;
    }
    error.into_response()
}

/// The middleware in front of every route: refuses other sites' checks and server functions
/// sent what the page never sends, then gives the page's server functions their body bounds and
/// answers a bound they overstep (413 with a sentence) or unreadable arguments (400).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let route = Route::of(&path, req.uri().query());
    if route == Route::Other {
        return next.run(req).await;
    }
    let lang = lang_of(req.headers());
    match refusal(route, req.method(), req.headers()) {
        Some(Refused::CrossSite) => {
            return refusal_response(route, &path, ApiError::cross_site_refused(lang))
        }
        Some(Refused::ContentType { expected }) => {
            return refusal_response(route, &path, ApiError::unsupported_type(expected, lang))
        }
        None => {}
    }
    let Route::ServerFn { .. } = route else {
        return next.run(req).await;
    };
    let report = DecodeReport::default();
    req.extensions_mut()
        .insert(Bounds::links(state.max_batch()));
    req.extensions_mut().insert(report.clone());
    let mut res = next.run(req).await;
    match report.take() {
        Some(problem) if problem.is_bound() => {
            refusal_response(route, &path, problem.api_error(lang))
        }
        // Arguments the page never sends: the server function's own error (Leptos's), as a 400
        // rather than its 500.
        Some(_) => {
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        None => res,
    }
}

/// Whether `/readyz` may show a request its details (each source's state, the store's): only to
/// the machine itself (loopback) and the operator's proxies (`LINKSMITH_TRUSTED_PROXIES`).
///
/// Decided on the client address the limits use: a trusted proxy's own request (its health
/// probe) sees them; a request it forwards for an outside client (`X-Forwarded-For`) is that
/// client's and does not. A forwarded request from a peer that is not a trusted proxy (a proxy on
/// this machine that was not declared) is an unknown client's: no details either, so a
/// forgotten `LINKSMITH_TRUSTED_PROXIES` does not show them to everyone. Without a peer (a request
/// handed to the router in-process), nothing is known: no details.
pub fn sees_details(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> bool {
    let Some(peer) = peer else {
        return false;
    };
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if forwarded && !trusted.contains(peer) {
        return false;
    }
    let client = client_ip(peer, headers, trusted);
    let client = match client {
        IpAddr::V6(v6) => v6.to_canonical(),
        v4 @ IpAddr::V4(_) => v4,
    };
    client.is_loopback() || trusted.contains(client)
}

#[cfg(test)]
mod tests;
