//! Every JSON error answer of the server: `{"error": {"code", "message"}}` with its HTTP status,
//! and `Retry-After` when the client should wait. Handlers, extractors and the middleware that
//! turns the request limits' plain answers (413, 408) into JSON all build it here.

use crate::{domain::words::say, server::words};
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RateLimited;
use crate::domain::{codes::ErrorCode, lang::Lang, messages::Problem};

/// The `WWW-Authenticate` value of a 401 (`invalid_key`).
pub const WWW_AUTHENTICATE_BEARER: &str = "Bearer error=\"invalid_token\"";

/// The largest request body accepted: a batch of the most links (1,000) of the longest a link may
/// be (4 KiB); a paste is at most 1 MiB. Bodies over 64 KiB also wait for their share of the
/// bytes all requests may hold at once (`server::body`).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The error body of a request-level failure: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: Problem,
}

/// A request refused as a whole, as the client will read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: Problem,
    /// Seconds to wait before asking again (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problem: Problem::new(code, message),
            retry_after: None,
        }
    }

    /// 400 `invalid_request`: the request could not be read.
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 400 with the problem of an option (country, amount, sub-id, template).
    pub fn bad_option(problem: Problem) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            problem,
            retry_after: None,
        }
    }

    /// 413: a batch over the limit (`too_many_links`) or a field too long (`too_long`).
    pub fn too_large(problem: Problem) -> ApiError {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            problem,
            retry_after: None,
        }
    }

    /// 413 `invalid_request`: the body is over [`MAX_BODY_BYTES`].
    pub fn body_too_large(lang: Lang) -> ApiError {
        let mib = MAX_BODY_BYTES / (1024 * 1024);
        let message = say!(words::of(lang).request.body_too_large, mib);
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::InvalidRequest,
            message,
        )
    }

    /// 408 `invalid_request`: the request arrived or was answered too late.
    pub fn timed_out(lang: Lang) -> ApiError {
        let message = words::of(lang).request.timed_out;
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::InvalidRequest,
            message,
        )
    }

    /// 401 `invalid_key` (with `WWW-Authenticate: Bearer`): the request carries an
    /// `Authorization` header that is not a key in use (unknown, revoked, or not written as a
    /// key). Never a silent fall back to the address. The message never repeats what was sent.
    pub fn invalid_key(lang: Lang) -> ApiError {
        let message = words::of(lang).keys.invalid;
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidKey, message)
    }

    /// 503 `unavailable`, `Retry-After`: the store did not say in time whether an API key is
    /// valid (the request is not counted by its address instead).
    pub fn keys_unavailable(lang: Lang) -> ApiError {
        let message = words::of(lang).keys.unavailable;
        ApiError {
            retry_after: Some(5),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                message,
            )
        }
    }

    /// 500 `internal`.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            message,
        )
    }
}

impl From<RateLimited> for ApiError {
    /// 429 `rate_limited`, with `Retry-After`.
    fn from(limited: RateLimited) -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            problem: limited.problem,
            retry_after: Some(limited.retry_after),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: self.problem,
            }),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: the scheme the client must use, and why its credential was refused.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE_BEARER),
            );
        }
        res
    }
}

/// The language of messages: the one `Accept-Language` prefers (q-values honoured, as the pages
/// read it), else English.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get_all(header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    Lang::of_accept_language(&accept).unwrap_or_default()
}

/// Refusals of requests from other sites and of bodies the page never sends
/// (`server::origin`).
impl ApiError {
    /// 403 `cross_site_refused`: another site's page asked for a check (`Sec-Fetch-Site:
    /// cross-site`, not a navigation the reader made).
    pub fn cross_site_refused(lang: Lang) -> ApiError {
        let message = words::of(lang).request.cross_site_refused;
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::CrossSiteRefused, message)
    }

    /// 415 `invalid_request`: a page's server function sent another content type than the page
    /// sends (`expected`).
    pub fn unsupported_type(expected: &str, lang: Lang) -> ApiError {
        let message = say!(words::of(lang).request.unsupported_type, expected);
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidRequest,
            message,
        )
    }
}
