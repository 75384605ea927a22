//! `POST /telegram/webhook`: with `TELEGRAM_WEBHOOK_URL` set, Telegram sends the bot's updates
//! here (to every instance behind the proxy). An update whose `X-Telegram-Bot-Api-Secret-Token`
//! header is not the secret is answered 401 and not read; one with it is answered at once and
//! handled in a task of its own.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};

use crate::server::AppState;

/// The header Telegram sends the webhook's secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Compares two secrets in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(settings) = state.config.telegram.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let Some(hook) = settings.webhook.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map_or(&[][..], axum::http::HeaderValue::as_bytes);
    if !same(given, hook.secret.expose().as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Some(tg) = state.bot.get().cloned() else {
        // Not started yet (it is asking the Bot API who it is): Telegram sends it again.
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    match serde_json::from_slice::<teloxide_core::types::Update>(&body) {
        Ok(update) => {
            tg.handle(update);
            StatusCode::OK
        }
        // An update the bot cannot read would come back forever: it is dropped.
        Err(error) => {
            tracing::warn!(%error, "a webhook update could not be read");
            StatusCode::OK
        }
    }
}
