//! Inline mode (`@bot <text with links>`: one article per AliExpress link, its message the
//! affiliate link) and the "Watch" button's callback.

use teloxide_core::{
    payloads::{AnswerCallbackQuerySetters, AnswerInlineQuerySetters},
    requests::{Request, Requester},
    types::{
        CallbackQuery, InlineQuery, InlineQueryResult, InlineQueryResultArticle,
        InputMessageContent, InputMessageContentText,
    },
};

use super::{
    settings::Chat,
    watching::{self, WatchAnswer},
    Telegram,
};
use crate::domain::{check::Outcome, country::Country, post};

/// What the "Watch" button's `callback_data` starts with: `watch:<product id>:<country>`.
pub const WATCH_PREFIX: &str = "watch:";
/// How long Telegram may keep an inline answer (the contract: at most 60 s).
const INLINE_CACHE_SECONDS: u32 = 30;
/// Articles in one inline answer, at most (the Bot API's limit).
const MAX_ARTICLES: usize = 50;

/// Answers an inline query: the query's links checked with the user's settings (their private
/// chat's), one article per AliExpress link.
pub(super) async fn answer(tg: &Telegram, query: &InlineQuery) {
    let user = i64::try_from(query.from.id.0).unwrap_or(i64::MAX);
    // A user's settings are those of their private chat with the bot, whose id is theirs.
    let chat = Chat::of(tg, user, Some(&query.from)).await;
    let w = chat.words();
    let links = post::links::<teloxide_core::types::MessageEntityKind>(&query.query, &[])
        .unwrap_or_default();
    let mut articles = Vec::new();
    if !links.is_empty() {
        let inputs: Vec<String> = links.iter().map(|l| l.input.clone()).collect();
        if let Ok(outcomes) = tg
            .state
            .check_request(&chat.caller(), &inputs, &chat.options(), chat.lang)
            .await
        {
            for outcome in outcomes.iter().take(MAX_ARTICLES) {
                match outcome {
                    Outcome::Checked(r) => {
                        let title = r
                            .product
                            .as_ref()
                            .and_then(|p| p.title.clone())
                            .unwrap_or_else(|| r.link.canonical_url.clone());
                        let rate = match r.rate.exact_percent {
                            Some(exact) => format!("{}%", crate::domain::rates::percent(exact)),
                            None => r.rate.label.clone(),
                        };
                        let description = format!("{}, {rate}", r.status.word(chat.lang));
                        articles.push(InlineQueryResult::Article(
                            InlineQueryResultArticle::new(
                                articles.len().to_string(),
                                title,
                                InputMessageContent::Text(InputMessageContentText::new(
                                    r.affiliate_link.clone(),
                                )),
                            )
                            .description(description),
                        ));
                    }
                    // Other sites' links are not AliExpress links; refused ones (s.click,
                    // networks' short links) have no link to give.
                    Outcome::Failed(_) => {}
                }
            }
        }
    }
    if articles.is_empty() {
        articles.push(InlineQueryResult::Article(
            InlineQueryResultArticle::new(
                "none",
                w.inline_none,
                InputMessageContent::Text(InputMessageContentText::new(w.inline_none_text)),
            )
            .description(w.inline_none_text),
        ));
    }
    let answered = tg
        .bot
        .answer_inline_query(query.id.clone(), articles)
        .is_personal(true)
        .cache_time(INLINE_CACHE_SECONDS)
        .send()
        .await;
    if let Err(error) = answered {
        tracing::warn!(error = %super::described(&error), "an inline query was not answered");
    }
}

/// A "Watch" button's product and country, if the data is one the bot wrote.
fn watch_data(data: &str) -> Option<(&str, Country)> {
    let (id, country) = data.strip_prefix(WATCH_PREFIX)?.split_once(':')?;
    let id_ok = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
    let country = Country::parse(country).ok()?;
    id_ok.then_some((id, country))
}

/// Answers a button's callback: a "Watch" button watches its product for the chat it was
/// pressed in; data the bot did not write gets a short error.
pub(super) async fn callback(tg: &Telegram, query: &CallbackQuery) {
    let chat_id = query.message.as_ref().map_or_else(
        || i64::try_from(query.from.id.0).unwrap_or(i64::MAX),
        |m| m.chat().id.0,
    );
    let chat = Chat::of(tg, chat_id, Some(&query.from)).await;
    let w = chat.words();
    let (text, alert) = match query.data.as_deref().and_then(watch_data) {
        None => (w.callback_unknown.to_string(), true),
        Some((id, country)) => {
            let link = format!("https://aliexpress.com/item/{id}.html");
            match watching::watch_link(tg, &chat, &link, Some(country.code().to_string())).await {
                WatchAnswer::Watching(_) => (w.callback_watching.to_string(), false),
                WatchAnswer::Already(_) => (w.callback_already.to_string(), false),
                WatchAnswer::Full => (w.callback_full.to_string(), true),
                WatchAnswer::Refused(why) => (why, true),
            }
        }
    };
    // A callback's answer is short: at most 200 characters.
    let text: String = text.chars().take(200).collect();
    let answered = tg
        .bot
        .answer_callback_query(query.id.clone())
        .text(text)
        .show_alert(alert)
        .send()
        .await;
    if let Err(error) = answered {
        tracing::warn!(error = %super::described(&error), "a button's callback was not answered");
    }
}
