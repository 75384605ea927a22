//! Watching products: `/watch`, the "Watch" button, `/watching`, `/unwatch`. The rounds that
//! check them again are in [`super::rounds`].

use super::{settings::Chat, Telegram};
use crate::{
    domain::{
        check::{Outcome, RawOptions},
        link,
        rates::{self, Status},
        watch::Snapshot,
        words::say,
    },
    server::store::{ChatSettings, Watch, Watched},
};

/// A rate in thousandths of a percent, as a reader sees it.
pub(super) fn rate(milli: Option<u32>) -> String {
    milli.map_or_else(
        || "?".to_string(),
        |m| format!("{}%", rates::percent(f64::from(m) / 1000.0)),
    )
}

/// What a watched product is called: its title, else its link.
pub(super) fn title_of(watch: &Watch) -> &str {
    watch
        .last
        .as_ref()
        .and_then(|s| s.title.as_deref())
        .unwrap_or(&watch.link)
}

/// What came of asking to watch a link.
pub enum WatchAnswer {
    Watching(String),
    Already(String),
    Full,
    /// Not a product link, or refused: the sentence.
    Refused(String),
}

/// Watches the product `input` links to, for the chat's delivery country (or `country`): the
/// link is checked as any other (the user's limits), and its answer is the watch's first.
pub async fn watch_link(
    tg: &Telegram,
    chat: &Chat,
    input: &str,
    country: Option<String>,
) -> WatchAnswer {
    let w = chat.words();
    let raw = RawOptions {
        country: country.or_else(|| chat.settings.country.clone()),
        ..RawOptions::default()
    };
    let inputs = [input.to_string()];
    let outcome = match tg
        .state
        .check_request(&chat.caller(), &inputs, &raw, chat.lang)
        .await
    {
        Ok(mut outcomes) => outcomes.pop(),
        Err(refusal) => return WatchAnswer::Refused(refusal.problem().message.clone()),
    };
    let result = match outcome {
        Some(Outcome::Checked(result)) => result,
        Some(Outcome::Failed(failure)) => return WatchAnswer::Refused(failure.error.message),
        None => return WatchAnswer::Refused(w.watch_usage.to_string()),
    };
    let Some(product_id) = result.link.product_id.clone() else {
        return WatchAnswer::Refused(say!(w.watch_not_product, link = result.link.canonical_url));
    };
    let now = tg.state.config.clock.unix();
    let first = Snapshot::of(&result);
    let watch = Watch {
        chat: chat.id,
        product_id,
        country: result.delivery.country.code().to_string(),
        link: result.link.canonical_url.clone(),
        last: (first.status != Status::Unknown).then_some(first),
        created_at: now,
        checked_at: now,
    };
    let title = title_of(&watch).to_string();
    match tg
        .state
        .store
        .add_watch(&watch, tg.settings.watch_limit)
        .await
    {
        Ok(Watched::Added) => {
            remember_language(tg, chat).await;
            WatchAnswer::Watching(title)
        }
        Ok(Watched::Already) => WatchAnswer::Already(title),
        Ok(Watched::Full) => WatchAnswer::Full,
        Err(error) => {
            tracing::warn!(%error, "a watch was not kept");
            WatchAnswer::Refused(w.store_failed.to_string())
        }
    }
}

/// The rounds speak to a chat in its language: a chat that never chose one keeps the language
/// its user's app named when it started watching.
async fn remember_language(tg: &Telegram, chat: &Chat) {
    if chat.settings.lang.is_some() || !chat.read {
        return;
    }
    let settings = ChatSettings {
        lang: Some(chat.lang.as_str().to_string()),
        ..chat.settings.clone()
    };
    let now = tg.state.config.clock.unix();
    if let Err(error) = tg
        .state
        .store
        .save_chat_settings(chat.id, &settings, now)
        .await
    {
        tracing::warn!(%error, "a chat's language was not kept");
    }
}

/// `/watch <link>`.
pub async fn watch(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    let w = chat.words();
    if arg.is_empty() {
        return w.watch_usage.to_string();
    }
    match watch_link(tg, chat, arg, None).await {
        WatchAnswer::Watching(title) => say!(
            w.watch_added,
            title,
            hours = rates::percent(tg.settings.watch_interval.as_secs_f64() / 3600.0)
        ),
        WatchAnswer::Already(title) => say!(w.watch_already, title),
        WatchAnswer::Full => say!(w.watch_full, limit = tg.settings.watch_limit),
        WatchAnswer::Refused(why) => why,
    }
}

/// `/watching`: the chat's watched products with their last known status and rate.
pub async fn watching(tg: &Telegram, chat: &Chat) -> String {
    let w = chat.words();
    let Ok(watches) = tg.state.store.watches(chat.id).await else {
        return w.store_failed.to_string();
    };
    if watches.is_empty() {
        return w.watching_none.to_string();
    }
    let mut lines = vec![say!(w.watching_header, count = watches.len())];
    for watch in &watches {
        let (status, rate) = match &watch.last {
            Some(s) => (
                s.status.word(chat.lang).to_string(),
                rate(s.hot_milli.or(s.exact_milli)),
            ),
            None => (w.not_checked.to_string(), "?".into()),
        };
        lines.push(say!(w.watching_line, title = title_of(watch), status, rate));
        lines.push(watch.link.clone());
    }
    lines.join("\n")
}

/// `/unwatch <link or product id>` or `/unwatch all`.
pub async fn unwatch(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    let w = chat.words();
    let product = if arg.eq_ignore_ascii_case("all") {
        None
    } else if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit()) {
        Some(arg.to_string())
    } else {
        match link::normalize(arg).ok().and_then(|l| l.product_id) {
            Some(id) => Some(id),
            None => return w.unwatch_usage.to_string(),
        }
    };
    match tg.state.store.unwatch(chat.id, product.as_deref()).await {
        Ok(0) if product.is_some() => w.unwatch_unknown.to_string(),
        Ok(count) => say!(w.unwatched, count),
        Err(_) => w.store_failed.to_string(),
    }
}
