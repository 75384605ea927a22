//! A stand-in for Telegram's Bot API on loopback, written from its documentation
//! (core.telegram.org/bots/api): requests go to `/bot<token>/<method>` (method names in any case) with a JSON body, answers
//! are `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"[,
//! "parameters": {"retry_after"}]}`. It refuses what Telegram refuses: a wrong token (401), a
//! message text empty or over 4,096 characters, an entity outside the text in UTF-16 code units,
//! `callback_data` over 64 bytes, an inline answer to a query it did not send or with bad
//! articles, a callback answer over 200 characters, a webhook that is not https or whose secret
//! has other characters, commands not written as the Bot API's, `getUpdates` while a webhook is
//! set or while another `getUpdates` waits (409); it answers 429 with `retry_after`, a 500, or
//! a 403 for a chat that blocked the bot, when told to.

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
    /// sendMessage calls to answer 500 before taking one.
    fail_next: usize,
    /// Chats that blocked the bot (sendMessage answers 403).
    blocked: Vec<i64>,
    /// Every call accepted: the method (lower case) and its body.
    calls: Vec<(String, Value)>,
    /// Inline queries and callback queries sent, not yet answered.
    open_queries: Vec<String>,
    webhook: Option<Value>,
    polling: usize,
    conflicts: usize,
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
        self.push_update("message", message);
    }

    /// Queues an update of any kind (`{"inline_query": ...}`, `{"callback_query": ...}`, ...)
    /// for `getUpdates`.
    pub fn push_update(&self, kind: &str, value: Value) {
        let update = self.webhook_update(kind, value);
        self.inner.lock().unwrap().updates.push_back(update);
        self.arrived.notify_waiters();
    }

    /// An update as Telegram would send it (to `getUpdates` or a webhook), with the next
    /// `update_id`; the ids of inline and callback queries are remembered, to be answered once.
    pub fn webhook_update(&self, kind: &str, value: Value) -> Value {
        let mut inner = self.inner.lock().unwrap();
        if matches!(kind, "inline_query" | "callback_query") {
            inner
                .open_queries
                .push(value["id"].as_str().unwrap_or_default().to_string());
        }
        inner.next_update += 1;
        json!({"update_id": inner.next_update, kind: value})
    }

    /// The calls of one method accepted so far (its name in lower case), in order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.inner
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// The registered webhook (`setWebhook`'s body), if any.
    pub fn webhook(&self) -> Option<Value> {
        self.inner.lock().unwrap().webhook.clone()
    }

    /// `getUpdates` calls refused because another one was waiting.
    pub fn conflicts(&self) -> usize {
        self.inner.lock().unwrap().conflicts
    }

    /// The next `n` sendMessage calls are answered 500.
    pub fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail_next = n;
    }

    /// The chat has blocked the bot: sendMessage to it is answered 403.
    pub fn block(&self, chat: i64) {
        self.inner.lock().unwrap().blocked.push(chat);
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

/// Why Telegram would refuse this inline or callback answer, if it would.
fn answer_refusal(method: &str, body: &Value) -> Option<String> {
    if method == "answercallbackquery" {
        let text = body["text"].as_str().unwrap_or_default();
        return (text.chars().count() > 200).then(|| "Bad Request: MESSAGE_TOO_LONG".into());
    }
    let results = body["results"].as_array()?;
    if results.len() > 50 {
        return Some("Bad Request: RESULTS_TOO_MUCH".into());
    }
    if body["cache_time"].as_u64().is_some_and(|t| t > 60) {
        return Some("the contract: cache_time at most 60".into());
    }
    let mut ids = std::collections::HashSet::new();
    for r in results {
        let id = r["id"].as_str().unwrap_or_default();
        if id.is_empty() || id.len() > 64 || !ids.insert(id.to_string()) {
            return Some("Bad Request: RESULT_ID_INVALID".into());
        }
        if r["type"] == "article" {
            let text = r["input_message_content"]["message_text"]
                .as_str()
                .unwrap_or_default();
            if r["title"].as_str().unwrap_or_default().is_empty() {
                return Some("Bad Request: RESULT_TITLE_EMPTY".into());
            }
            if text.is_empty() || utf16_len(text) > 4096 {
                return Some("Bad Request: MESSAGE_EMPTY".into());
            }
        }
    }
    None
}

/// A `getUpdates` waiting (it counts while it lives).
struct Polling(FakeTelegram);

impl Drop for Polling {
    fn drop(&mut self) {
        self.0.inner.lock().unwrap().polling -= 1;
    }
}

/// A call's parameters, sent as JSON or as multipart form data (both are the Bot API's): a form's
/// values that read as JSON (numbers, arrays, objects, booleans) are read so.
async fn parameters(request: axum::extract::Request) -> Value {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if multipart {
        let mut form = axum::extract::Multipart::from_request(request, &())
            .await
            .unwrap();
        let mut out = serde_json::Map::new();
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap_or_default().to_string();
            let text = field.text().await.unwrap();
            let value = serde_json::from_str::<Value>(&text)
                .ok()
                .filter(|v| !v.is_string())
                .unwrap_or(Value::String(text));
            out.insert(name, value);
        }
        return Value::Object(out);
    }
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn method(
    State(fake): State<FakeTelegram>,
    Path((bot, name)): Path<(String, String)>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if bot.strip_prefix("bot") != Some(TOKEN) {
        return error(401, "Unauthorized").into_response();
    }
    let body = parameters(request).await;
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
            {
                let mut inner = fake.inner.lock().unwrap();
                if inner.webhook.is_some() {
                    return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first").into_response();
                }
                if inner.polling > 0 {
                    inner.conflicts += 1;
                    return error(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running").into_response();
                }
                inner.polling += 1;
            }
            let _polling = Polling(fake.clone());
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
            if inner.fail_next > 0 {
                inner.fail_next -= 1;
                return error(500, "Internal Server Error").into_response();
            }
            if body["chat_id"]
                .as_i64()
                .is_some_and(|c| inner.blocked.contains(&c))
            {
                return error(403, "Forbidden: bot was blocked by the user").into_response();
            }
            if let Some(why) = refusal(&body) {
                return error(400, &why).into_response();
            }
            inner.calls.push((name.to_ascii_lowercase(), body.clone()));
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
        "answerinlinequery" | "answercallbackquery" => {
            let id_field = if name.eq_ignore_ascii_case("answerinlinequery") {
                "inline_query_id"
            } else {
                "callback_query_id"
            };
            let mut inner = fake.inner.lock().unwrap();
            let id = body[id_field].as_str().unwrap_or_default().to_string();
            let Some(at) = inner.open_queries.iter().position(|q| *q == id) else {
                return error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid").into_response();
            };
            if let Some(why) = answer_refusal(&name.to_ascii_lowercase(), &body) {
                return error(400, &why).into_response();
            }
            inner.open_queries.remove(at);
            inner.calls.push((name.to_ascii_lowercase(), body));
            ok(json!(true)).into_response()
        }
        "setwebhook" => {
            let url = body["url"].as_str().unwrap_or_default();
            if !url.starts_with("https://") {
                return error(
                    400,
                    "Bad Request: bad webhook: HTTPS url must be provided for webhook",
                )
                .into_response();
            }
            let secret = body["secret_token"].as_str().unwrap_or_default();
            if !secret.is_empty()
                && (secret.len() > 256
                    || !secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            {
                return error(
                    400,
                    "Bad Request: secret token contains unallowed characters",
                )
                .into_response();
            }
            let mut inner = fake.inner.lock().unwrap();
            inner.webhook = Some(body.clone());
            inner.calls.push(("setwebhook".into(), body));
            ok(json!(true)).into_response()
        }
        "deletewebhook" => {
            let mut inner = fake.inner.lock().unwrap();
            inner.webhook = None;
            inner.calls.push(("deletewebhook".into(), body));
            ok(json!(true)).into_response()
        }
        "setmycommands" => {
            for c in body["commands"].as_array().into_iter().flatten() {
                let command = c["command"].as_str().unwrap_or_default();
                let description = c["description"].as_str().unwrap_or_default();
                if command.is_empty()
                    || command.len() > 32
                    || !command
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return error(400, "Bad Request: BOT_COMMAND_INVALID").into_response();
                }
                if description.is_empty() || description.chars().count() > 256 {
                    return error(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
                        .into_response();
                }
            }
            fake.inner
                .lock()
                .unwrap()
                .calls
                .push(("setmycommands".into(), body));
            ok(json!(true)).into_response()
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
    // As Telegram's servers do, answers go out at once (no Nagle delay on small writes).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake
}
