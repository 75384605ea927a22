//! Answers one message: in a private chat, the commands, and any other text (or a photo's
//! caption) with its AliExpress links rewritten into the chat's affiliate links and a summary
//! line per link, split into messages of at most 4,096 characters; in a group, only commands
//! addressed to the bot.

use teloxide_core::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, MessageEntityKind,
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
    server::words,
};

use super::{
    outbox::Outgoing,
    settings::{self, Chat},
    watching, Telegram, MAX_MESSAGE,
};

/// A message's text and entities.
type Part = (String, Vec<Span<MessageEntityKind>>);

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
pub(super) async fn to_message(tg: &Telegram, message: &Message) {
    let Some(text) = message.text().or_else(|| message.caption()) else {
        return;
    };
    let entities = message
        .entities()
        .or_else(|| message.caption_entities())
        .unwrap_or_default();
    // "/name" or "/name@bot", up to the first white space.
    let addressed = text.strip_prefix('/').map(|c| {
        let word = c.split(char::is_whitespace).next().unwrap_or("");
        match word.split_once('@') {
            Some((name, to)) => (name, Some(to)),
            None => (word, None),
        }
    });
    let to_me = |to: Option<&str>| to.is_none_or(|to| to.eq_ignore_ascii_case(&tg.username));
    let command = match addressed {
        Some((_, to)) if !to_me(to) => return,
        Some((name, Some(_))) => Some(name),
        Some((name, None)) if message.chat.is_private() => Some(name),
        _ if !message.chat.is_private() => return,
        Some((name, None)) => Some(name),
        None => None,
    };
    let chat = Chat::of(tg, message.chat.id.0, message.from.as_ref()).await;
    // The command's argument: the rest of the text, trimmed.
    let arg = text
        .split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest)
        .trim();
    let w = chat.words();
    let one = |text: String| vec![(text, Vec::new())];
    let mut buttons = None;
    let parts: Vec<Part> = match command.map(str::to_ascii_lowercase).as_deref() {
        Some("start" | "help") => one(say!(w.help, bot = tg.username)),
        Some("check") => {
            let (text, product) = checked_in_detail(tg, &chat, arg).await;
            buttons = product.map(|(id, country)| watch_button(&chat, &id, &country));
            one(text)
        }
        Some("template") => one(settings::template(tg, &chat, arg).await),
        Some("sub") => one(settings::sub(tg, &chat, arg).await),
        Some("country") => one(settings::country(tg, &chat, arg).await),
        Some("lang") => one(settings::lang(tg, &chat, arg).await),
        Some("settings") => one(settings::show(tg, &chat).await),
        Some("forget") => one(settings::forget(tg, &chat).await),
        Some("watch") => one(watching::watch(tg, &chat, arg).await),
        Some("watching") => one(watching::watching(tg, &chat).await),
        Some("unwatch") => one(watching::unwatch(tg, &chat, arg).await),
        Some(_) => one(w.unknown_command.to_string()),
        None => {
            let (parts, product) = rewritten(tg, &chat, text, entities).await;
            buttons = product.map(|(id, country)| watch_button(&chat, &id, &country));
            parts
        }
    };
    let count = parts.len();
    let messages: Vec<Outgoing> = parts
        .into_iter()
        .enumerate()
        .map(|(i, (text, spans))| Outgoing {
            chat: chat.id,
            text,
            spans,
            // The button goes with the last part.
            buttons: if i + 1 == count {
                buttons.clone()
            } else {
                None
            },
        })
        .collect();
    tg.outbox.send_all(&messages).await;
}

/// The "Watch" button of a reply about one product (`watch:<product id>:<country>`, well under
/// the Bot API's 64 bytes).
fn watch_button(chat: &Chat, product_id: &str, country: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        chat.words().watch_button,
        format!("{}{product_id}:{country}", super::inline::WATCH_PREFIX),
    )]])
}

/// A product a reply is about, for its "Watch" button: its id and the delivery country.
type Product = Option<(String, String)>;

/// The product of a check's result, if the link is a product's.
fn product_of(result: &crate::domain::check::CheckResult) -> Product {
    result
        .link
        .product_id
        .clone()
        .map(|id| (id, result.delivery.country.code().to_string()))
}

/// `/check <link> [amount]`: one link in detail, as the page's card shows it, with the chat's
/// template, sub-id and country.
async fn checked_in_detail(tg: &Telegram, chat: &Chat, arg: &str) -> (String, Product) {
    let (w, lang) = (chat.words(), chat.lang);
    let args: Vec<&str> = arg.split_whitespace().collect();
    let [link, rest @ ..] = args.as_slice() else {
        return (w.check_usage.to_string(), None);
    };
    let raw = RawOptions {
        amount: rest
            .first()
            .map(|a| crate::domain::check::AmountInput::Text((*a).to_string())),
        ..chat.options()
    };
    let inputs = [(*link).to_string()];
    let outcome = match tg
        .state
        .check_request(&chat.caller(), &inputs, &raw, lang)
        .await
    {
        Ok(mut outcomes) => outcomes.pop(),
        Err(refusal) => return (refusal.problem().message.clone(), None),
    };
    let result = match outcome {
        Some(Outcome::Checked(result)) => result,
        Some(Outcome::Failed(failure)) => return (failure.error.message, None),
        None => return (w.no_links.to_string(), None),
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
    (lines.join("\n"), product_of(&result))
}

/// The post with its links rewritten (the chat's template, sub-id and country) and the summary,
/// in messages of at most 4,096 characters; the product, when the post has exactly one.
async fn rewritten(
    tg: &Telegram,
    chat: &Chat,
    text: &str,
    entities: &[MessageEntity],
) -> (Vec<Part>, Product) {
    let (w, lang) = (chat.words(), chat.lang);
    let one = |text: String| (vec![(text, Vec::new())], None);
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
            return one(too_large.message(lang));
        }
    };
    if links.is_empty() {
        return one(w.no_links.to_string());
    }
    let inputs: Vec<String> = links.iter().map(|l| l.input.clone()).collect();
    let outcomes = match tg
        .state
        .check_request(&chat.caller(), &inputs, &chat.options(), lang)
        .await
    {
        Ok(outcomes) => outcomes,
        Err(refusal) => return one(refusal.problem().message.clone()),
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
        return one(w.no_links.to_string());
    }
    let product = match listed.as_slice() {
        [Outcome::Checked(result)] => product_of(result),
        _ => None,
    };
    let (mut out, spans) = post::rewrite(text, &spans, &links, &with);
    out.push_str("\n\n");
    out.push_str(&summary(&listed, lang));
    (split(&out, &spans, MAX_MESSAGE), product)
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
