//! Answers one private message: `/start` and `/help` with what the bot does; any other text (or a
//! photo's caption) with its AliExpress links rewritten into the user's affiliate links and a
//! summary line per link, split into messages of at most 4,096 characters.

use teloxide_core::{
    payloads::SendMessageSetters,
    requests::{Request, Requester},
    types::{Message, MessageEntity, MessageEntityKind},
    Bot, RequestError,
};

use crate::{
    domain::{
        check::{Outcome, RawOptions},
        codes::ErrorCode,
        formatted::{split, Span},
        lang::Lang,
        post::{self, LinkSpan},
        words::say,
    },
    server::{limit::Caller, words, AppState},
};

/// The Bot API's longest message, in UTF-16 code units (its "characters").
const MAX_MESSAGE: usize = 4096;
/// Times a message refused with a 429 is sent again.
const RETRIES: usize = 3;

impl LinkSpan for MessageEntityKind {
    fn hidden_link(&self) -> Option<&str> {
        match self {
            MessageEntityKind::TextLink { url } => Some(url.as_str()),
            _ => None,
        }
    }

    fn pointing_at(&self, url: String) -> Self {
        match (self, url::Url::parse(&url)) {
            (MessageEntityKind::TextLink { .. }, Ok(url)) => MessageEntityKind::TextLink { url },
            _ => self.clone(),
        }
    }
}

/// Answers `message`: in a private chat, any; in a group, only a command addressed to this bot
/// (`/check@<username> ...`), other messages being the group's own.
pub(super) async fn to_message(state: &AppState, bot: &Bot, username: &str, message: &Message) {
    let lang = super::lang_of(message.from.as_ref());
    let Some(text) = message.text().or_else(|| message.caption()) else {
        return;
    };
    let entities = message
        .entities()
        .or_else(|| message.caption_entities())
        .unwrap_or_default();
    let w = &words::of(lang).bot;
    // "/name" or "/name@bot", up to the first white space.
    let addressed = text.strip_prefix('/').map(|c| {
        let word = c.split(char::is_whitespace).next().unwrap_or("");
        match word.split_once('@') {
            Some((name, to)) => (name, Some(to)),
            None => (word, None),
        }
    });
    let to_me = |to: Option<&str>| to.is_none_or(|to| to.eq_ignore_ascii_case(username));
    let command = match addressed {
        Some((_, to)) if !to_me(to) => return,
        Some((name, Some(_))) => Some(name),
        Some((name, None)) if message.chat.is_private() => Some(name),
        _ if !message.chat.is_private() => return,
        Some((name, None)) => Some(name),
        None => None,
    };
    let parts: Vec<(String, Vec<Span<MessageEntityKind>>)> = match command {
        Some("start" | "help") => vec![(w.help.to_string(), Vec::new())],
        Some("check") => {
            let user = user_of(message);
            let args: Vec<&str> = text.split_whitespace().skip(1).collect();
            vec![(
                checked_in_detail(state, &args, user, lang).await,
                Vec::new(),
            )]
        }
        Some(_) => vec![(w.unknown_command.to_string(), Vec::new())],
        None => {
            let user = message
                .from
                .as_ref()
                .map_or(0, |u| i64::try_from(u.id.0).unwrap_or(i64::MAX));
            rewritten(state, text, entities, user, lang).await
        }
    };
    for (text, spans) in parts {
        send(bot, message.chat.id, text, &spans).await;
    }
}

/// The Telegram user a message comes from (0 when Telegram names none: a channel's post).
fn user_of(message: &Message) -> i64 {
    message
        .from
        .as_ref()
        .map_or(0, |u| i64::try_from(u.id.0).unwrap_or(i64::MAX))
}

/// `/check <link> [amount]`: one link in detail, as the page's card shows it.
async fn checked_in_detail(state: &AppState, args: &[&str], user: i64, lang: Lang) -> String {
    let w = &words::of(lang).bot;
    let [link, rest @ ..] = args else {
        return w.check_usage.to_string();
    };
    let raw = RawOptions {
        amount: rest
            .first()
            .map(|a| crate::domain::check::AmountInput::Text((*a).to_string())),
        ..RawOptions::default()
    };
    let inputs = [(*link).to_string()];
    let outcome = match state
        .check_request(&Caller::telegram(user), &inputs, &raw, lang)
        .await
    {
        Ok(mut outcomes) => outcomes.pop(),
        Err(refusal) => return refusal.problem().message.clone(),
    };
    let result = match outcome {
        Some(Outcome::Checked(result)) => result,
        Some(Outcome::Failed(failure)) => return failure.error.message,
        None => return w.no_links.to_string(),
    };
    let percent = |p: f64| format!("{}%", crate::domain::rates::percent(p));
    let mut lines = vec![
        result.link.canonical_url.clone(),
        say!(
            w.detail_status,
            status = result.status.word(lang),
            source = result.status_source.display(lang)
        ),
        say!(w.detail_band, band = result.rate.label),
    ];
    if let Some(exact) = result.rate.exact_percent {
        lines.push(say!(w.detail_exact, rate = percent(exact)));
    }
    if let Some(hot) = result.rate.hot_percent {
        lines.push(say!(w.detail_hot, rate = percent(hot)));
    }
    if let Some(estimate) = &result.estimate {
        lines.push(say!(
            w.detail_estimate,
            amount = crate::domain::report::usd(estimate.order_amount_usd),
            estimate = crate::domain::report::estimate_line(estimate, w.exact)
        ));
    }
    lines.push(say!(w.detail_cookie, days = result.cookie_days));
    lines.extend(result.warnings.iter().map(|n| format!("⚠ {}", n.message)));
    lines.extend(result.notes.iter().map(|n| format!("ℹ {}", n.message)));
    lines.push(say!(w.detail_link, link = result.affiliate_link));
    lines.join("\n")
}

/// The post with its links rewritten and the summary, in messages of at most 4,096 characters.
async fn rewritten(
    state: &AppState,
    text: &str,
    entities: &[MessageEntity],
    user: i64,
    lang: Lang,
) -> Vec<(String, Vec<Span<MessageEntityKind>>)> {
    let w = &words::of(lang).bot;
    let spans: Vec<Span<MessageEntityKind>> = entities
        .iter()
        .map(|e| Span {
            kind: e.kind.clone(),
            offset: e.offset,
            length: e.length,
        })
        .collect();
    let links = match post::links(text, &spans) {
        Ok(links) => links,
        Err(too_large) => {
            use crate::domain::messages::Explain;
            return vec![(too_large.message(lang), Vec::new())];
        }
    };
    if links.is_empty() {
        return vec![(w.no_links.to_string(), Vec::new())];
    }
    let inputs: Vec<String> = links.iter().map(|l| l.input.clone()).collect();
    let caller = Caller::telegram(user);
    let outcomes = match state
        .check_request(&caller, &inputs, &RawOptions::default(), lang)
        .await
    {
        Ok(outcomes) => outcomes,
        Err(refusal) => return vec![(refusal.problem().message.clone(), Vec::new())],
    };
    let with: Vec<Option<String>> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Checked(r) => Some(r.affiliate_link.clone()),
            Outcome::Failed(_) => None,
        })
        .collect();
    // Links to other sites are left alone and not listed.
    let listed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !matches!(o, Outcome::Failed(f) if f.error.code == ErrorCode::NotAliexpress))
        .collect();
    if listed.is_empty() {
        return vec![(w.no_links.to_string(), Vec::new())];
    }
    let (mut out, spans) = post::rewrite(text, &spans, &links, &with);
    out.push_str("\n\n");
    out.push_str(&summary(&listed, lang));
    split(&out, &spans, MAX_MESSAGE)
}

/// One line per link: the canonical link, its status, band or exact rate, and the first warning;
/// a refused link with the refusal's sentence.
fn summary(outcomes: &[&Outcome], lang: Lang) -> String {
    let w = &words::of(lang).bot;
    outcomes
        .iter()
        .map(|o| match o {
            Outcome::Checked(r) => {
                let rate = match r.rate.exact_percent {
                    Some(exact) => format!("{}%", crate::domain::rates::percent(exact)),
                    None => r.rate.label.clone(),
                };
                let mut line = say!(
                    w.summary_line,
                    link = r.link.canonical_url,
                    status = r.status.word(lang),
                    rate
                );
                if let Some(first) = r.warnings.first() {
                    line.push_str(" ⚠ ");
                    line.push_str(&first.message);
                }
                line
            }
            Outcome::Failed(f) => say!(w.refused_line, input = f.input, why = f.error.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sends one message with its entities; a 429 is waited out and the message sent again.
async fn send(
    bot: &Bot,
    chat: teloxide_core::types::ChatId,
    text: String,
    spans: &[Span<MessageEntityKind>],
) {
    let entities: Vec<MessageEntity> = spans
        .iter()
        .map(|s| MessageEntity {
            kind: s.kind.clone(),
            offset: s.offset,
            length: s.length,
        })
        .collect();
    for _ in 0..=RETRIES {
        let mut request = bot.send_message(chat, text.clone());
        if !entities.is_empty() {
            request = request.entities(entities.clone());
        }
        match request.send().await {
            Ok(_) => return,
            Err(RequestError::RetryAfter(seconds)) => {
                tokio::time::sleep(seconds.duration()).await;
            }
            Err(error) => {
                tracing::warn!(error = %super::described(&error), "a reply was not sent");
                return;
            }
        }
    }
    tracing::warn!("a reply was not sent: the Bot API kept asking to wait");
}
