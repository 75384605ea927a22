//! The JSON API (`/api/v1`): thin handlers over the domain's service functions.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde::Serialize;
use serde_json::json;

use super::AppState;
use crate::domain::{
    campaign::{self, CampaignInput},
    rates::Lang,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/campaign/check", post(campaign_check))
}

/// An error answer: `{"error": {"code", "message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// JSON bodies whose rejections are clear 400 answers instead of axum's plain text.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let message = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "The request body must be JSON, sent with Content-Type: application/json."
                            .to_string()
                    }
                    JsonRejection::JsonSyntaxError(e) => {
                        format!("The request body is not valid JSON: {}.", e.body_text())
                    }
                    JsonRejection::JsonDataError(e) => {
                        format!(
                            "The request body does not have the expected fields: {}.",
                            e.body_text()
                        )
                    }
                    other => format!("The request body could not be read: {}.", other.body_text()),
                };
                let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                Err(error(status, "invalid_request", message))
            }
        }
    }
}

/// The language of messages: Russian when the client prefers it, else English.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The first language named decides (q-values in practice follow the order).
    match accept
        .split(',')
        .next()
        .map(|l| l.trim().to_ascii_lowercase())
    {
        Some(l) if l.starts_with("ru") => Lang::Ru,
        _ => Lang::En,
    }
}

fn ok<T: Serialize>(value: T) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

async fn campaign_check(headers: HeaderMap, ApiJson(input): ApiJson<CampaignInput>) -> Response {
    match campaign::check(&input, lang_of(&headers)) {
        Ok(report) => ok(report),
        Err(e) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            e.code().as_str(),
            e.to_string(),
        ),
    }
}
