//! The JSON API (`/api/v1`): thin handlers over the service functions, the contract in
//! `docs/check-api.md` (shared with programs outside the project), an OpenAPI document generated
//! from the same types, and a per-IP rate limit.

use crate::{domain::words::say, server::words};
use std::{net::SocketAddr, sync::LazyLock};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{
    answers::Written,
    body::{self, Bounds, Items},
    check::{AmountInput, Refusal},
    error::{lang_of, ApiError, ErrorBody},
    limit::Caller,
    AppState, RawOptions,
};
use crate::domain::{
    campaign::{self, CampaignInput, CampaignReport},
    check::{CheckFailure, CheckResult, Outcome},
    lang::Lang,
    messages::Explain,
};

/// The API routes. Every route that checks links counts them against the client's rate limit
/// (one per input, one per campaign check), like the page does.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/check", get(check_get).post(check_post))
        .route("/api/v1/check/batch", post(check_batch))
        .route("/api/v1/campaign/check", post(campaign_check))
        .route("/api/v1/openapi.json", get(openapi_json))
}

/// The client of a request, as the limits count it: the API key its `Authorization: Bearer`
/// names, else its address (the TCP peer, or the client a trusted proxy names in
/// `X-Forwarded-For`). A key not in use is refused here: 401 `invalid_key` (503 `unavailable`
/// when the store does not answer in time).
pub struct Client(pub Caller);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(Client(state.identify(peer, &parts.headers).await?))
    }
}

/// JSON bodies whose rejections are clear answers instead of axum's plain text: read by
/// `serde_json` straight into the request's type within its bounds (`server::body`: the batch
/// limit, 64 KiB a string; 413 `too_many_links` or `too_long` with a sentence), never into a tree
/// first.
pub struct ApiJson<T>(pub T);

/// What one list and one string of a request body may hold.
pub trait BodyBounds {
    fn bounds(state: &AppState) -> Bounds;
}

impl BodyBounds for CheckRequest {
    fn bounds(state: &AppState) -> Bounds {
        Bounds::links(state.max_batch())
    }
}

impl BodyBounds for BatchRequest {
    fn bounds(state: &AppState) -> Bounds {
        Bounds::links(state.max_batch())
    }
}

impl BodyBounds for CampaignInput {
    /// The campaign check's own limits: a field of 20,000 characters (4 bytes each at most), 5,000
    /// keywords; past them its own sentences say so.
    fn bounds(_: &AppState) -> Bounds {
        Bounds {
            max_items: campaign::MAX_KEYWORDS,
            max_string: campaign::MAX_FIELD_CHARS * 4,
            items: Items::Keywords,
        }
    }
}

impl<T: DeserializeOwned + BodyBounds> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = lang_of(req.headers());
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| {
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::invalid_request(words::of(lang).request.not_json));
        }
        // The body is already in memory, whole and within its size (`body::buffer`).
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::body_too_large(lang))
            }
            Err(rejection) => {
                let detail = rejection.body_text();
                return Err(ApiError::invalid_request(say!(
                    words::of(lang).request.body_unreadable,
                    detail
                )));
            }
        };
        body::from_slice(&bytes, T::bounds(state))
            .map(ApiJson)
            .map_err(|problem| problem.api_error(lang))
    }
}

fn ok<T: Serialize>(value: T) -> Response {
    json(StatusCode::OK, &value)
}

/// A JSON answer.
fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    json_written(status, super::answers::json_bytes(value))
}

/// An answer already written as JSON.
fn json_written(status: StatusCode, written: serde_json::Result<Vec<u8>>) -> Response {
    match written {
        Ok(body) => (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(error) => {
            ApiError::internal(format!("The answer could not be written: {error}.")).into_response()
        }
    }
}

/// Checks a campaign's domain, ad texts and keywords for the brand names the terms forbid.
#[utoipa::path(
    post,
    path = "/api/v1/campaign/check",
    request_body = CampaignInput,
    responses(
        (status = 200, description = "The findings and the negative keyword list", body = CampaignReport),
        (status = 400, description = "A malformed body (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "Asked by another site's page (`cross_site_refused`)", body = ErrorBody),
        (status = 413, description = "A field or the keywords over their limits (`too_long`)", body = ErrorBody),
        (status = 429, description = "Rate limited (`rate_limited`), with Retry-After", body = ErrorBody),
        (status = 401, description = "An `Authorization` header that is not an API key in use (`invalid_key`), with WWW-Authenticate", body = ErrorBody),
        (status = 503, description = "The store did not say in time whether the API key is valid (`unavailable`), with Retry-After", body = ErrorBody),
    ),
    tag = "campaign"
)]
async fn campaign_check(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CampaignInput>,
) -> Response {
    let lang = lang_of(&headers);
    if let Err(refusal) = state.admit_caller(&client, 1, lang) {
        return ApiError::from(refusal).into_response();
    }
    // Matching 20,000 characters per field is a millisecond of CPU: off the async workers.
    let checked = tokio::task::spawn_blocking(move || campaign::check(&input, lang)).await;
    let Ok(checked) = checked else {
        return ApiError::internal("The campaign check failed on the server. Try again.")
            .into_response();
    };
    match checked {
        Ok(report) => ok(report),
        Err(e) => ApiError::too_large(e.problem(lang)).into_response(),
    }
}

/// `GET /api/v1/check`: the query string.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// What the user pasted.
    pub url: Option<String>,
    /// The buyer's delivery country (ISO 3166-1 alpha-2, any case); default `LINKSMITH_DEFAULT_COUNTRY`.
    pub country: Option<String>,
    /// The order value in USD (goods only).
    pub amount: Option<String>,
    /// The sub-id placed in the generated link.
    pub sub: Option<String>,
    /// Not taken here: a template travels in POST bodies only (proxies and logs keep addresses).
    #[param(value_type = Option<String>)]
    pub template: Option<String>,
}

impl CheckQuery {
    /// Reads the query string as `application/x-www-form-urlencoded` (as serde's reader does:
    /// undecodable bytes become U+FFFD, other names are ignored, a name given twice is refused),
    /// without a deserializer's bookkeeping on every check.
    fn read(query: &str) -> Result<CheckQuery, String> {
        let mut q = CheckQuery {
            url: None,
            country: None,
            amount: None,
            sub: None,
            template: None,
        };
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let field = match name.as_ref() {
                "url" => &mut q.url,
                "country" => &mut q.country,
                "amount" => &mut q.amount,
                "sub" => &mut q.sub,
                "template" => &mut q.template,
                _ => continue,
            };
            if field.is_some() {
                return Err(format!("duplicate field `{name}`"));
            }
            *field = Some(value.into_owned());
        }
        Ok(q)
    }
}

/// `POST /api/v1/check`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// What the user pasted.
    pub url: String,
    /// The buyer's delivery country (ISO 3166-1 alpha-2, any case).
    #[serde(default)]
    pub country: Option<String>,
    /// The order value in USD (goods only): a number (or a numeric string).
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub amount: Option<AmountInput>,
    /// The sub-id placed in the generated link: letters, digits, `-`, `_`, `.`, at most 64.
    #[serde(default)]
    pub sub: Option<String>,
    /// The caller's own affiliate link template for this request (the placeholders and rules of
    /// `LINKSMITH_LINK_TEMPLATE`); the server's is the default. Never stored or logged.
    #[serde(default)]
    pub template: Option<String>,
}

/// `POST /api/v1/check/batch`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    pub urls: Vec<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub amount: Option<AmountInput>,
    #[serde(default)]
    pub sub: Option<String>,
    /// As in `POST /api/v1/check`.
    #[serde(default)]
    pub template: Option<String>,
}

/// The batch answer: one outcome per input, in input order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    pub results: Vec<Outcome>,
    pub summary: BatchSummary,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchSummary {
    pub total: usize,
    pub checked: usize,
    pub failed: usize,
}

/// One link: 200 with the result, 422 for a link that cannot be used, 400 for bad options.
async fn check_one(
    state: &AppState,
    client: &Caller,
    lang: Lang,
    input: String,
    raw: RawOptions,
) -> Response {
    match state.check_written(client, &input, &raw, lang).await {
        Ok(Some(Written::Json(answer))) => json_written(StatusCode::OK, answer),
        Ok(Some(Written::Failed(failure))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(failure)).into_response()
        }
        Ok(None) => ApiError::internal("The check gave no answer.").into_response(),
        // A bad option answers with the input, like a refused link.
        Err(Refusal::BadOption(error)) => {
            (StatusCode::BAD_REQUEST, Json(CheckFailure { input, error })).into_response()
        }
        Err(refusal) => ApiError::from(refusal).into_response(),
    }
}

/// The answers of a one-link check (GET and POST alike).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, clippy::large_enum_variant)] // describes the answers; never built
enum CheckResponses {
    /// The link's reading, status, rate band, estimate and affiliate link
    #[response(status = 200)]
    Checked(CheckResult),
    /// The link cannot be used: the code says why
    #[response(status = 422)]
    Refused(CheckFailure),
    /// A bad country, amount or sub-id (`invalid_country`, `invalid_amount`, `invalid_sub`), or a
    /// malformed request (`invalid_request`)
    #[response(status = 400)]
    BadRequest(CheckFailure),
    /// Asked by another site's page (`cross_site_refused`)
    #[response(status = 403)]
    CrossSite(ErrorBody),
    /// A string over 64 KiB (`too_long`), or a body over 4 MiB (`invalid_request`)
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Rate limited (`rate_limited`), with Retry-After
    #[response(status = 429)]
    RateLimited(ErrorBody),
    /// An `Authorization` header that is not an API key in use (`invalid_key`), with WWW-Authenticate
    #[response(status = 401)]
    InvalidKey(ErrorBody),
    /// The store did not say in time whether the API key is valid (`unavailable`), with Retry-After
    #[response(status = 503)]
    KeysUnavailable(ErrorBody),
}

/// Checks one pasted link.
#[utoipa::path(
    get,
    path = "/api/v1/check",
    params(CheckQuery),
    responses(CheckResponses),
    tag = "check"
)]
async fn check_get(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let q = match CheckQuery::read(query.as_deref().unwrap_or_default()) {
        Ok(q) => q,
        Err(detail) => {
            let message = say!(
                words::of(lang_of(&headers)).request.query_unreadable,
                detail
            );
            return ApiError::invalid_request(message).into_response();
        }
    };
    if q.template.is_some() {
        let message = words::of(lang_of(&headers)).request.template_in_address;
        return ApiError::invalid_request(message).into_response();
    }
    let raw = RawOptions {
        country: q.country,
        amount: q.amount.map(AmountInput::Text),
        sub: q.sub,
        template: None,
    };
    check_one(
        &state,
        &client,
        lang_of(&headers),
        q.url.unwrap_or_default(),
        raw,
    )
    .await
}

/// Checks one pasted link (JSON body).
#[utoipa::path(
    post,
    path = "/api/v1/check",
    request_body = CheckRequest,
    responses(CheckResponses),
    tag = "check"
)]
async fn check_post(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Response {
    let raw = RawOptions {
        country: req.country,
        amount: req.amount,
        sub: req.sub,
        template: req.template,
    };
    check_one(&state, &client, lang_of(&headers), req.url, raw).await
}

/// Checks many links at once: one outcome per input, in input order; a bad line never fails the batch.
#[utoipa::path(
    post,
    path = "/api/v1/check/batch",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One result or error object per input, in input order", body = BatchResponse),
        (status = 400, description = "A malformed body (`invalid_request`), or a bad country, amount or sub-id", body = ErrorBody),
        (status = 403, description = "Asked by another site's page (`cross_site_refused`)", body = ErrorBody),
        (status = 413, description = "More links than the configured limit (`too_many_links`), or a string over 64 KiB (`too_long`)", body = ErrorBody),
        (status = 429, description = "Rate limited (`rate_limited`), with Retry-After", body = ErrorBody),
        (status = 401, description = "An `Authorization` header that is not an API key in use (`invalid_key`), with WWW-Authenticate", body = ErrorBody),
        (status = 503, description = "The store did not say in time whether the API key is valid (`unavailable`), with Retry-After", body = ErrorBody),
    ),
    tag = "check"
)]
async fn check_batch(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Response {
    let lang = lang_of(&headers);
    let raw = RawOptions {
        country: req.country,
        amount: req.amount,
        sub: req.sub,
        template: req.template,
    };
    let results = match state.check_request(&client, &req.urls, &raw, lang).await {
        Ok(results) => results,
        Err(refusal) => return ApiError::from(refusal).into_response(),
    };
    let failed = results
        .iter()
        .filter(|o| matches!(o, Outcome::Failed(_)))
        .count();
    ok(BatchResponse {
        summary: BatchSummary {
            total: results.len(),
            checked: results.len() - failed,
            failed,
        },
        results,
    })
}

/// The OpenAPI document of this API, generated from the handlers' and the domain's types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Linksmith API",
        description = "Checks AliExpress affiliate links: canonical link, programme status, rate band, earnings estimate and the affiliate link. Linksmith is an independent third-party tool, not related to AliExpress or Alibaba Group.",
    ),
    paths(check_get, check_post, check_batch, campaign_check),
    components(schemas(
        crate::domain::codes::ErrorCode,
        crate::domain::codes::NoticeCode,
        CheckResult,
        CheckFailure,
        Outcome,
        ErrorBody,
        BatchResponse,
        CampaignReport
    ))
)]
pub struct ApiDoc;

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
});

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
        .into_response()
}
