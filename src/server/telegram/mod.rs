//! Linksmith in Telegram (the contract: `shared/docs/telegram-bot.md`): the same server runs the
//! bot when `TELEGRAM_BOT_TOKEN` is set, with the same check entry, limiter, store and words as
//! the page and the API. Updates come by long polling (one instance at a time, under a lock in
//! the store) or, with `TELEGRAM_WEBHOOK_URL`, to `POST /telegram/webhook` on every instance.
//! Private messages get their links rewritten ([`reply`]), settings are kept per chat
//! ([`settings`]), inline queries and the "Watch" button are answered ([`inline`]), watched
//! products are checked again every `LINKSMITH_WATCH_INTERVAL` ([`watching`], [`rounds`]), and every
//! message goes out within the Bot API's limits ([`outbox`]).
//!
//! The token is a secret: it is never logged (reqwest's errors name the request's address, which
//! holds it: they are logged without it), and no message text is stored or logged.

mod inline;
mod outbox;
mod reply;
mod rounds;
mod settings;
mod watching;
mod webhook;

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use teloxide_core::{
    payloads::{GetUpdatesSetters, SetMyCommandsSetters, SetWebhookSetters},
    requests::{Request, Requester},
    types::{AllowedUpdate, BotCommand, Update, UpdateKind, User},
    Bot, RequestError,
};

pub use rounds::RoundReport;
pub use webhook::{webhook, SECRET_HEADER};

use super::{sources::Secret, AppState, StartupError};
use crate::domain::lang::Lang;

/// The Bot API's default address.
const TELEGRAM_API: &str = "https://api.telegram.org";
/// How long one `getUpdates` waits for an update (long polling).
const POLL_SECONDS: u32 = 30;
/// The Bot API's longest message, in UTF-16 code units (its "characters").
pub(crate) const MAX_MESSAGE: usize = 4096;
/// The lock of the instance that polls.
const POLL_LOCK: &str = "telegram-polling";
/// How long an instance waits for the polling lock before asking again (another takes over
/// within a minute of the polling one stopping).
const POLL_LOCK_WAIT: Duration = Duration::from_secs(20);
/// Defaults of the watch settings.
const WATCH_INTERVAL: Duration = Duration::from_secs(21_600);
const WATCH_LIMIT: usize = 100;

/// The webhook's public address and the secret Telegram sends with each update.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: url::Url,
    secret: Secret,
}

/// The bot's settings.
#[derive(Debug, Clone)]
pub struct BotSettings {
    token: Secret,
    pub api_url: url::Url,
    /// `TELEGRAM_WEBHOOK_URL` and `TELEGRAM_WEBHOOK_SECRET`; none: long polling.
    pub webhook: Option<Webhook>,
    /// `LINKSMITH_WATCH_INTERVAL`.
    pub watch_interval: Duration,
    /// `LINKSMITH_WATCH_LIMIT`.
    pub watch_limit: usize,
}

impl BotSettings {
    /// `TELEGRAM_BOT_TOKEN` (none: no bot), `TELEGRAM_API_URL` (https, or http on loopback),
    /// `TELEGRAM_WEBHOOK_URL` with `TELEGRAM_WEBHOOK_SECRET`, `LINKSMITH_WATCH_INTERVAL`,
    /// `LINKSMITH_WATCH_LIMIT`. A bad value stops the server at start with a sentence.
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
        let webhook = match (env("TELEGRAM_WEBHOOK_URL"), env("TELEGRAM_WEBHOOK_SECRET")) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(StartupError::Setting {
                    name: "TELEGRAM_WEBHOOK_SECRET",
                    problem: "it is set without TELEGRAM_WEBHOOK_URL: set both for a webhook, or neither for long polling".into(),
                })
            }
            (Some(_), None) => {
                return Err(StartupError::Setting {
                    name: "TELEGRAM_WEBHOOK_SECRET",
                    problem: "a webhook needs it: 1 to 256 characters of A-Z, a-z, 0-9, '_' and '-', the same on every instance".into(),
                })
            }
            (Some(url), Some(secret)) => {
                // Telegram sends updates to https addresses only.
                let url = url::Url::parse(url.trim())
                    .ok()
                    .filter(|u| u.scheme() == "https" && u.host().is_some())
                    .ok_or_else(|| StartupError::Setting {
                        name: "TELEGRAM_WEBHOOK_URL",
                        problem: format!(
                            "\"{}\" is not an https address (Telegram sends updates to https only)",
                            url.chars().take(100).collect::<String>()
                        ),
                    })?;
                let secret = secret.trim();
                if !(1..=256).contains(&secret.len())
                    || !secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return Err(StartupError::Setting {
                        name: "TELEGRAM_WEBHOOK_SECRET",
                        problem: "it must be 1 to 256 characters of A-Z, a-z, 0-9, '_' and '-'"
                            .into(),
                    });
                }
                Some(Webhook {
                    url,
                    secret: Secret::new(secret),
                })
            }
        };
        // At most a year between two checks, and 100,000 products a chat.
        let interval = super::whole_number(env, "LINKSMITH_WATCH_INTERVAL", 1, 31_536_000)?
            .unwrap_or(WATCH_INTERVAL.as_secs());
        let limit = super::whole_number(env, "LINKSMITH_WATCH_LIMIT", 1, 100_000)?
            .unwrap_or(WATCH_LIMIT as u64);
        Ok(Some(BotSettings {
            token: Secret::new(token),
            api_url,
            webhook,
            watch_interval: Duration::from_secs(interval),
            watch_limit: usize::try_from(limit).unwrap_or(usize::MAX),
        }))
    }

    /// A client of the Bot API.
    fn bot(&self) -> Bot {
        Bot::new(self.token.expose()).set_api_url(self.api_url.clone())
    }
}

/// The running bot: shared by the updates' tasks, the rounds and the webhook route.
pub struct Telegram {
    state: AppState,
    bot: Bot,
    /// The bot's @username, without the @.
    username: String,
    settings: BotSettings,
    outbox: outbox::Outbox,
}

/// Where the webhook route finds the running bot (empty until it knows who it is).
pub type Handle = Arc<OnceLock<Arc<Telegram>>>;

impl Telegram {
    /// Handles one update in a task of its own (a check waiting on a slow source does not hold
    /// other chats' answers). Messages, inline queries and button callbacks are answered;
    /// edited messages, channel posts and every other kind are left alone.
    pub fn handle(self: &Arc<Self>, update: Update) {
        let tg = self.clone();
        match update.kind {
            UpdateKind::Message(message) => {
                tokio::spawn(async move { reply::to_message(&tg, &message).await });
            }
            UpdateKind::InlineQuery(query) => {
                tokio::spawn(async move { inline::answer(&tg, &query).await });
            }
            UpdateKind::CallbackQuery(query) => {
                tokio::spawn(async move { inline::callback(&tg, &query).await });
            }
            _ => {}
        }
    }

    /// Runs one watch round now (tests, measurements), under the rounds' lock as they run on
    /// their own.
    pub async fn round_now(&self) -> RoundReport {
        rounds::locked_round(self).await
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

/// Runs the bot until the process stops: asks who it is, registers its commands, starts the
/// watch rounds, then takes updates (the webhook, or long polling under the store's lock). A
/// failing Bot API is retried, never fatal to the server.
pub async fn run(state: AppState, settings: BotSettings) {
    let tg = start(state, settings).await;
    take_updates(&tg).await;
}

/// Takes updates until the process stops: registers the webhook (updates then arrive on the
/// route), or polls under the store's lock.
pub async fn take_updates(tg: &Arc<Telegram>) {
    match tg.settings.webhook.clone() {
        Some(hook) => {
            register_webhook(tg, &hook).await;
            std::future::pending::<()>().await;
        }
        None => poll(tg).await,
    }
}

/// The running bot, once the Bot API said who it is; its rounds started.
pub async fn start(state: AppState, settings: BotSettings) -> Arc<Telegram> {
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
    let tg = Arc::new(Telegram {
        outbox: outbox::Outbox::new(bot.clone(), state.store.clone()),
        username: me.username().to_string(),
        state,
        bot,
        settings,
    });
    set_commands(&tg).await;
    let _ = tg.state.bot.set(tg.clone());
    tokio::spawn(rounds::rounds(tg.clone()));
    tg
}

/// The commands Telegram's apps offer, in English and Russian.
async fn set_commands(tg: &Telegram) {
    for lang in [Lang::En, Lang::Ru] {
        let w = &super::words::of(lang).bot;
        let commands = [
            ("check", w.cmd_check),
            ("watch", w.cmd_watch),
            ("watching", w.cmd_watching),
            ("unwatch", w.cmd_unwatch),
            ("template", w.cmd_template),
            ("sub", w.cmd_sub),
            ("country", w.cmd_country),
            ("lang", w.cmd_lang),
            ("settings", w.cmd_settings),
            ("forget", w.cmd_forget),
            ("help", w.cmd_help),
        ]
        .map(|(name, about)| BotCommand::new(name, about));
        let mut request = tg.bot.set_my_commands(commands);
        if lang == Lang::Ru {
            request = request.language_code("ru");
        }
        if let Err(error) = request.send().await {
            tracing::warn!(error = %described(&error), "the bot's commands were not registered");
        }
    }
}

/// The updates the bot reads.
const UPDATES: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::InlineQuery,
    AllowedUpdate::CallbackQuery,
];

/// Registers the webhook with its secret, until the Bot API takes it.
async fn register_webhook(tg: &Telegram, hook: &Webhook) {
    loop {
        let registered = tg
            .bot
            .set_webhook(hook.url.clone())
            .secret_token(hook.secret.expose())
            .allowed_updates(UPDATES)
            .send()
            .await;
        match registered {
            Ok(_) => {
                tracing::info!(bot = %tg.username, url = %hook.url, "Telegram bot taking updates at its webhook");
                return;
            }
            Err(error) => {
                tracing::warn!(error = %described(&error), "the webhook was not registered; trying again");
                tokio::time::sleep(wait_after(&error)).await;
            }
        }
    }
}

/// Long polling, by one instance at a time: the one holding the store's lock (released when
/// its process stops, PostgreSQL closing its session).
async fn poll(tg: &Arc<Telegram>) {
    let _lock = loop {
        match tg.state.store.lock(POLL_LOCK, POLL_LOCK_WAIT).await {
            Ok(lock) => break lock,
            Err(crate::server::store::StoreError::Timeout(_)) => {}
            Err(error) => {
                tracing::warn!(%error, "the polling lock could not be asked for; trying again");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    // A webhook left registered would refuse getUpdates.
    if let Err(error) = tg.bot.delete_webhook().send().await {
        tracing::warn!(error = %described(&error), "deleteWebhook failed; polling anyway");
    }
    tracing::info!(bot = %tg.username, "Telegram bot polling for updates");
    let mut offset: i32 = 0;
    loop {
        let updates = tg
            .bot
            .get_updates()
            .offset(offset)
            .timeout(POLL_SECONDS)
            .allowed_updates(UPDATES)
            .send()
            .await;
        match updates {
            Ok(updates) => {
                for update in updates {
                    offset = i32::try_from(update.id.0)
                        .unwrap_or(i32::MAX)
                        .saturating_add(1);
                    tg.handle(update);
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
