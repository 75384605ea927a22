//! A stand-in for Telegram's Bot API on loopback, written from its documentation
//! (core.telegram.org/bots/api): requests go to `/bot<token>/<method>` (method names in any case) with a JSON body, answers
//! are `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"[,
//! "parameters": {"retry_after"}]}`. It refuses what Telegram refuses: a wrong token (401), a
//! message text empty or over 4,096 characters, an entity outside the text in UTF-16 code units,
//! `callback_data` over 64 bytes; and answers 429 with `retry_after` when told to.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, State},
    routing::post,
    Json, Router,
};
use serde_json::{json, Value};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456:test-token_ABCdef";

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update: i64,
    sent: Vec<Value>,
    /// sendMessage calls to answer 429 before taking one.
    refuse_next: usize,
    refused: usize,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    arrived: Arc<Notify>,
}

impl FakeTelegram {
    /// Queues an update holding `message` (its `update_id` is given here).
    pub fn push_message(&self, message: Value) {
        let mut inner = self.inner.lock().unwrap();
        inner.next_update += 1;
        let id = inner.next_update;
        inner
            .updates
            .push_back(json!({"update_id": id, "message": message}));
        drop(inner);
        self.arrived.notify_waiters();
    }

    /// The messages sent so far (`sendMessage` bodies accepted).
    pub fn sent(&self) -> Vec<Value> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// The next `n` sendMessage calls are answered 429 with `retry_after: 1`.
    pub fn refuse_next(&self, n: usize) {
        self.inner.lock().unwrap().refuse_next = n;
    }

    pub fn refused(&self) -> usize {
        self.inner.lock().unwrap().refused
    }
}

fn ok(result: Value) -> Json<Value> {
    Json(json!({"ok": true, "result": result}))
}

fn error(code: u16, description: &str) -> (axum::http::StatusCode, Json<Value>) {
    (
        axum::http::StatusCode::from_u16(code).unwrap(),
        Json(json!({"ok": false, "error_code": code, "description": description})),
    )
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Why Telegram would refuse this sendMessage, if it would.
fn refusal(body: &Value) -> Option<String> {
    let text = body["text"].as_str().unwrap_or("");
    let len = utf16_len(text);
    if text.trim().is_empty() {
        return Some("Bad Request: message text is empty".into());
    }
    if len > 4096 {
        return Some("Bad Request: message is too long".into());
    }
    if body.get("parse_mode").is_some() && body.get("entities").is_some() {
        return Some("Bad Request: entities and parse_mode together".into());
    }
    for e in body["entities"].as_array().into_iter().flatten() {
        let (Some(offset), Some(length)) = (e["offset"].as_u64(), e["length"].as_u64()) else {
            return Some("Bad Request: can't parse entities".into());
        };
        if length == 0 || (offset + length) as usize > len {
            return Some(format!(
                "Bad Request: can't parse entities: entity beyond the end of the text at {offset}+{length} of {len}"
            ));
        }
        if e["type"] == "text_link" && !e["url"].as_str().is_some_and(|u| u.starts_with("http")) {
            return Some("Bad Request: can't parse entities: wrong text_link URL".into());
        }
    }
    for row in body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for button in row.as_array().into_iter().flatten() {
            if button["callback_data"]
                .as_str()
                .is_some_and(|d| d.len() > 64)
            {
                return Some("Bad Request: BUTTON_DATA_INVALID".into());
            }
        }
    }
    None
}

async fn method(
    State(fake): State<FakeTelegram>,
    Path((bot, name)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if bot.strip_prefix("bot") != Some(TOKEN) {
        return error(401, "Unauthorized").into_response();
    }
    let body = body.map_or(Value::Null, |Json(b)| b);
    // The Bot API's method names are case-insensitive (teloxide writes `GetMe`).
    match name.to_ascii_lowercase().as_str() {
        "getme" => ok(json!({
            "id": 123456, "is_bot": true, "first_name": "Linksmith test",
            "username": "linksmith_test_bot", "can_join_groups": true,
            "can_read_all_group_messages": false, "supports_inline_queries": true,
            "can_connect_to_business": false, "has_main_web_app": false
        }))
        .into_response(),
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let timeout = body["timeout"].as_u64().unwrap_or(0).min(50);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
            loop {
                let notified = fake.arrived.notified();
                {
                    let mut inner = fake.inner.lock().unwrap();
                    // Updates before the offset are confirmed: forgotten.
                    inner
                        .updates
                        .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    if !inner.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                        return ok(Value::Array(inner.updates.iter().cloned().collect()))
                            .into_response();
                    }
                }
                let _ = tokio::time::timeout_at(deadline, notified).await;
            }
        }
        "sendmessage" => {
            let mut inner = fake.inner.lock().unwrap();
            if inner.refuse_next > 0 {
                inner.refuse_next -= 1;
                inner.refused += 1;
                return (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"ok": false, "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1}})),
                )
                    .into_response();
            }
            if let Some(why) = refusal(&body) {
                return error(400, &why).into_response();
            }
            inner.sent.push(body.clone());
            let id = inner.sent.len();
            ok(json!({
                "message_id": id, "date": 1_765_000_000,
                "chat": {"id": body["chat_id"], "type": "private", "first_name": "Test"},
                "from": {"id": 123456, "is_bot": true, "first_name": "Linksmith test"},
                "text": body["text"], "entities": body.get("entities").cloned().unwrap_or(json!([]))
            }))
            .into_response()
        }
        _ => error(404, "Not Found: method not found").into_response(),
    }
}

/// Starts the stand-in on an ephemeral loopback port.
pub async fn start() -> FakeTelegram {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = FakeTelegram {
        base: format!("http://{}", listener.local_addr().unwrap()),
        inner: Arc::default(),
        arrived: Arc::new(Notify::new()),
    };
    let app = Router::new()
        .route("/{bot}/{method}", post(method))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake
}
