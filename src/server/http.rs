//! The HTTP surface: routes, static assets and the middleware every response goes through.

use axum::{
    extract::{Request, State},
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use leptos::{nonce::Nonce, prelude::*};
use leptos_axum::{AxumRouteListing, LeptosRoutes};
use tower_http::{
    compression::{
        predicate::{DefaultPredicate, Predicate},
        CompressionLayer,
    },
    services::ServeDir,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use super::error::MAX_BODY_BYTES;
use super::{
    body::{self, BodyBudget, BODY_BUDGET_BYTES},
    error::{lang_of, ApiError},
    origin, AppState,
};
use crate::app::{shell, Page};

/// Builds the whole application: pages, API, static assets and middleware.
pub fn router(state: AppState) -> Router {
    let options = state.config.leptos.clone();
    // The site's pages (app::Page), rendered whole before they are sent: the check page waits for
    // a shared address's answers, the rates and campaign pages for their code's own bundle.
    let routes = Page::PATHS
        .iter()
        .map(|(path, _)| {
            AxumRouteListing::new(
                path.to_string(),
                leptos_router::SsrMode::Async,
                [leptos_router::Method::Get],
                Vec::new(),
            )
        })
        .collect();

    // Files of the built site (the WASM bundle, CSS, favicon); anything else is rendered by the app,
    // which answers 404 for unknown paths.
    let not_found = leptos_axum::render_app_to_stream_with_context(provide_request_nonce, {
        let options = options.clone();
        move || shell(options.clone())
    });
    let site_files = ServeDir::new(options.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip()
        .fallback(axum::handler::HandlerWithoutStateExt::into_service(
            not_found,
        ));

    let request_timeout = state.config.connections.request_timeout;
    let hashed = options.hash_files;
    let pkg_prefix = format!("/{}/", options.site_pkg_dir);
    let guard_state = state.clone();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/telegram/webhook",
            axum::routing::post(super::telegram::webhook),
        )
        .merge(super::api::routes())
        .leptos_routes_with_context(&state, routes, provide_request_nonce, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback_service(site_files)
        .with_state(state)
        // Router::layer re-boxes bodies, so each layer composes freely. The last one is outermost.
        // Every body is read whole (at most MAX_BODY_BYTES, a large one within the budget of
        // bytes all bodies may hold at once) before a handler sees it; axum's extractors have
        // their own 2 MB default: one limit, stated once, for both.
        .layer(middleware::from_fn_with_state(
            BodyBudget::new(BODY_BUDGET_BYTES, guard_state.clone()),
            body::buffer,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Other sites' checks and server functions sent what the page never sends are refused
        // before their bodies are read.
        .layer(middleware::from_fn_with_state(guard_state, origin::guard))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::from_fn(api_errors_as_json))
        // Fastest: pages and answers are a few KB, compressed per request; brotli's default level
        // halved the API's throughput. Built assets are precompressed at the highest levels.
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(NotSmallJson)),
        )
        .layer(middleware::from_fn_with_state(
            CachePolicy { hashed, pkg_prefix },
            cache_policy,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
}

/// Liveness: the process serves requests.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// Readiness: 200 while checks can be answered (`degraded` included: a check then says `unknown`
/// where a source is missing), without calling any upstream; the store is asked one indexed
/// question, in time. `status` is for everyone; each source's state (on, off, breaker open) and
/// the store's only for the machine itself and the operator's proxies
/// ([`origin::sees_details`]): they would help time an attack on the sources.
async fn readyz(State(state): State<AppState>, req: Request) -> impl IntoResponse {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let details = origin::sees_details(peer, req.headers(), &state.config.trusted_proxies);
    let store_ok = tokio::time::timeout(std::time::Duration::from_secs(1), state.store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let states = state.resolver.source_states();
    let degraded = !store_ok
        || states
            .iter()
            .any(|(_, s)| *s == super::resolver::SourceState::Open);
    let readiness = if degraded { "degraded" } else { "ready" };
    if !details {
        return Json(serde_json::json!({ "status": readiness }));
    }
    let sources: serde_json::Map<String, serde_json::Value> = states
        .iter()
        .map(|(name, s)| ((*name).to_string(), serde_json::Value::from(s.as_str())))
        .collect();
    Json(serde_json::json!({
        "status": readiness,
        "sources": sources,
        "store": if store_ok { "ok" } else { "down" },
    }))
}

/// JSON answers smaller than this are sent as they are.
pub const SMALL_JSON_BYTES: u64 = 4096;

/// Leaves small JSON answers uncompressed: a one-link check answer is about 2 KB, which
/// compression shrinks by 1 KB at the cost of a third of the server's throughput (setting up an
/// encoder per answer; docs/PERFORMANCE.md). Pages, batches and assets are still compressed.
#[derive(Clone, Copy)]
struct NotSmallJson;

impl Predicate for NotSmallJson {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &Response<B>) -> bool {
        let json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let small = response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|n| n < SMALL_JSON_BYTES);
        !(json && small)
    }
}

/// The API answers in JSON even when a layer in front of it refuses the request: a body over the
/// size limit (413) or a request over the time limit (408).
async fn api_errors_as_json(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let lang = lang_of(req.headers());
    let res = next.run(req).await;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || is_json {
        return res;
    }
    match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::body_too_large(lang).into_response(),
        StatusCode::REQUEST_TIMEOUT => ApiError::timed_out(lang).into_response(),
        _ => res,
    }
}

/// Makes the request's CSP nonce the one Leptos puts on its inline scripts.
fn provide_request_nonce() {
    if let Some(nonce) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned())
    {
        provide_context(nonce);
    }
}

/// The Content-Security-Policy of every response: the app's own scripts (the inline hydration
/// script by nonce) and WebAssembly; images from the site and the hosts AliExpress serves product
/// images from (`*.alicdn.com`, and `*.aliexpress-media.com`, as in `ae-pic-a1.aliexpress-media.com`,
/// which real Open Platform answers carry); nothing else.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: https://*.alicdn.com https://*.aliexpress-media.com; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Strict security headers on every response, with a fresh CSP nonce per request.
async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[derive(Clone)]
struct CachePolicy {
    /// Build outputs carry a content hash in their names (cargo-leptos `hash-files`).
    hashed: bool,
    /// `/pkg/`: where the build outputs are served.
    pkg_prefix: String,
}

/// Hashed build outputs never change: cached for a year. Pages are always revalidated.
/// Other static files (the favicon) are cached for a day.
async fn cache_policy(State(policy): State<CachePolicy>, req: Request, next: Next) -> Response {
    let immutable = policy.hashed && req.uri().path().starts_with(&policy.pkg_prefix);
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    let value = if is_html || !res.status().is_success() {
        "no-cache"
    } else if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}
