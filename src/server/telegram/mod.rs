//! Linksmith in Telegram (the contract: `shared/docs/telegram-bot.md`): the same server runs the
//! bot when `TELEGRAM_BOT_TOKEN` is set, with the same check entry, limiter and words as the page
//! and the API. This first part reads updates by long polling and answers private messages (in
//! groups, only commands addressed to it, `/check@bot`): a
//! post's AliExpress links rewritten into the user's affiliate links (every formatting entity kept
//! on its characters, in UTF-16 units) with a summary line per link, and `/start`, `/help`.
//! Not yet: settings, `/check`, watches, inline mode, the webhook, the polling lock.
//!
//! The token is a secret: it is never logged (reqwest's errors name the request's address, which
//! holds it: they are logged without it), and no message text is stored or logged.

mod reply;

use std::time::Duration;

use teloxide_core::{
    payloads::GetUpdatesSetters,
    requests::{Request, Requester},
    types::{UpdateKind, User},
    Bot, RequestError,
};

use super::{sources::Secret, AppState, StartupError};

/// The Bot API's default address.
const TELEGRAM_API: &str = "https://api.telegram.org";
/// How long one `getUpdates` waits for an update (long polling).
const POLL_SECONDS: u32 = 30;

/// The bot's settings: its token and the Bot API's base URL.
#[derive(Debug, Clone)]
pub struct BotSettings {
    token: Secret,
    pub api_url: url::Url,
}

impl BotSettings {
    /// `TELEGRAM_BOT_TOKEN` (none: no bot) and `TELEGRAM_API_URL` (https, or http on loopback).
    pub fn from_settings(
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<BotSettings>, StartupError> {
        let Some(token) = env("TELEGRAM_BOT_TOKEN") else {
            return Ok(None);
        };
        let token = token.trim();
        let well_formed = token.split_once(':').is_some_and(|(id, rest)| {
            !id.is_empty()
                && id.len() <= 20
                && id.bytes().all(|b| b.is_ascii_digit())
                && (1..=100).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !well_formed {
            // Never repeats the value: it is a secret.
            return Err(StartupError::Setting {
                name: "TELEGRAM_BOT_TOKEN",
                problem: "it is not a bot token as @BotFather gives them (digits, a colon, then letters, digits, '_' and '-')".into(),
            });
        }
        let api_url = match env("TELEGRAM_API_URL") {
            Some(url) => super::api_base_url(&url).map_err(|problem| StartupError::Setting {
                name: "TELEGRAM_API_URL",
                problem,
            })?,
            None => url::Url::parse(TELEGRAM_API).expect("the Bot API's address"),
        };
        Ok(Some(BotSettings {
            token: Secret::new(token),
            api_url,
        }))
    }

    /// A client of the Bot API.
    fn bot(&self) -> Bot {
        Bot::new(self.token.expose()).set_api_url(self.api_url.clone())
    }
}

/// What a failed Bot API call says, without the request's address (it holds the token).
fn described(error: &RequestError) -> String {
    match error {
        RequestError::Network(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else if e.is_decode() || e.is_body() {
                "the answer could not be read"
            } else {
                "failed"
            };
            format!("network: {kind}")
        }
        other => other.to_string(),
    }
}

/// Runs the bot until the process stops: asks who it is, then reads updates by long polling and
/// answers each in turn. A failing Bot API is retried, never fatal to the server.
pub async fn run(state: AppState, settings: BotSettings) {
    let bot = settings.bot();
    let me = loop {
        match bot.get_me().send().await {
            Ok(me) => break me,
            Err(error) => {
                tracing::warn!(error = %described(&error), "the Bot API did not say who the bot is; trying again");
                tokio::time::sleep(wait_after(&error)).await;
            }
        }
    };
    let username: std::sync::Arc<str> = me.username().into();
    tracing::info!(bot = %username, "Telegram bot polling for updates");
    let mut offset: i32 = 0;
    loop {
        let updates = bot
            .get_updates()
            .offset(offset)
            .timeout(POLL_SECONDS)
            .send()
            .await;
        match updates {
            Ok(updates) => {
                for update in updates {
                    offset = i32::try_from(update.id.0)
                        .unwrap_or(i32::MAX)
                        .saturating_add(1);
                    if let UpdateKind::Message(message) = update.kind {
                        // Each in a task of its own: a check waiting on a slow source does not
                        // hold other chats' answers.
                        let (state, bot, me) = (state.clone(), bot.clone(), username.clone());
                        tokio::spawn(async move {
                            reply::to_message(&state, &bot, &me, &message).await;
                        });
                    }
                }
            }
            Err(error) => {
                tracing::warn!(error = %described(&error), "getUpdates failed; polling again");
                tokio::time::sleep(wait_after(&error)).await;
            }
        }
    }
}

/// How long to wait after a failed call: what a 429 says, else two seconds.
fn wait_after(error: &RequestError) -> Duration {
    match error {
        RequestError::RetryAfter(seconds) => seconds.duration(),
        _ => Duration::from_secs(2),
    }
}

/// The user's language: the one their Telegram app names (`ru`, `ru-RU`: Russian), read by the
/// same tag reader as the pages' and the API's; English otherwise.
fn lang_of(user: Option<&User>) -> crate::domain::lang::Lang {
    user.and_then(|u| u.language_code.as_deref())
        .and_then(crate::domain::lang::Lang::of_tag)
        .unwrap_or_default()
}
