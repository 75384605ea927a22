//! A chat's settings: who is asking (the chat, the user, the language), what is kept for the
//! chat in the store, and the commands that change it: `/template`, `/sub`, `/country`, `/lang`,
//! `/settings`, `/forget`.

use teloxide_core::types::User;

use super::Telegram;
use crate::{
    domain::{
        check::RawOptions,
        country::Country,
        lang::Lang,
        link,
        messages::Explain,
        template::{derive, LinkTemplate, SubId},
        words::say,
    },
    server::{limit::Caller, store::ChatSettings, words},
};

/// A sample product for a template's sample link.
const SAMPLE: &str = "https://aliexpress.com/item/1005006295880104.html";

/// Who a message comes from and what is kept for their chat.
pub struct Chat {
    pub id: i64,
    /// The Telegram user (0 when Telegram names none).
    pub user: i64,
    pub lang: Lang,
    /// The language of the user's app (what `/lang off` goes back to).
    pub app_lang: Lang,
    pub settings: ChatSettings,
    /// False when the store could not be read: the server's settings are used, and nothing is
    /// written over the chat's.
    pub read: bool,
}

impl Chat {
    /// The chat's context: its kept settings, and its language (`/lang`, else the user's app's).
    pub async fn of(tg: &Telegram, id: i64, from: Option<&User>) -> Chat {
        let (settings, read) = match tg.state.store.chat_settings(id).await {
            Ok(settings) => (settings, true),
            Err(error) => {
                tracing::warn!(%error, "a chat's settings could not be read: the server's are used");
                (ChatSettings::default(), false)
            }
        };
        let app_lang = super::lang_of(from);
        let lang = settings
            .lang
            .as_deref()
            .and_then(Lang::of_tag)
            .unwrap_or(app_lang);
        Chat {
            id,
            user: from.map_or(0, |u| i64::try_from(u.id.0).unwrap_or(i64::MAX)),
            lang,
            app_lang,
            settings,
            read,
        }
    }

    /// The limiter's client: the user (a chat's id for a message with no sender).
    pub fn caller(&self) -> Caller {
        Caller::telegram(if self.user == 0 { self.id } else { self.user })
    }

    /// The chat's template, sub-id and country as a check's options.
    pub fn options(&self) -> RawOptions {
        RawOptions {
            country: self.settings.country.clone(),
            sub: self.settings.sub.clone(),
            template: self.settings.template.clone(),
            ..RawOptions::default()
        }
    }

    pub fn words(&self) -> &'static words::Bot {
        &words::of(self.lang).bot
    }
}

/// Keeps `settings` for the chat; the answer is `done`, or the store's failure.
async fn keep(tg: &Telegram, chat: &Chat, settings: ChatSettings, done: String) -> String {
    if !chat.read {
        return chat.words().store_failed.to_string();
    }
    let now = tg.state.config.clock.unix();
    match tg
        .state
        .store
        .save_chat_settings(chat.id, &settings, now)
        .await
    {
        Ok(()) => done,
        Err(error) => {
            tracing::warn!(%error, "a chat's settings were not kept");
            chat.words().store_failed.to_string()
        }
    }
}

/// Whether the argument turns a setting off.
fn is_off(arg: &str) -> bool {
    matches!(arg.to_ascii_lowercase().as_str(), "off" | "none" | "-")
}

/// `/template`: shows, learns (from a deep link, or a template written out) or removes the
/// chat's template.
pub async fn template(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    let w = chat.words();
    let lang = chat.lang;
    if arg.is_empty() {
        return match &chat.settings.template {
            Some(t) => say!(w.template_shown, template = t),
            None => w.template_none.to_string(),
        };
    }
    if is_off(arg) {
        let settings = ChatSettings {
            template: None,
            ..chat.settings.clone()
        };
        return keep(tg, chat, settings, w.template_removed.to_string()).await;
    }
    // Written out (it has placeholders), else learnt from a deep link as the page does.
    let learnt = if arg.contains('{') {
        LinkTemplate::parse(arg).map_err(|e| crate::domain::messages::refused_template(&e, lang))
    } else {
        derive(arg).map(|d| d.template).map_err(|e| e.message(lang))
    };
    let template = match learnt {
        Ok(t) => t,
        Err(why) => return why,
    };
    let sub = chat
        .settings
        .sub
        .as_deref()
        .and_then(|s| SubId::parse(s).ok().flatten());
    let sample = link::normalize(SAMPLE)
        .map(|l| template.render(&l, sub.as_ref()))
        .unwrap_or_default();
    let settings = ChatSettings {
        template: Some(template.as_str().to_string()),
        ..chat.settings.clone()
    };
    let done = say!(w.template_learnt, template = template.as_str(), sample);
    keep(tg, chat, settings, done).await
}

/// `/sub <sub-id>` or `/sub off`.
pub async fn sub(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    let w = chat.words();
    if arg.is_empty() {
        return w.sub_usage.to_string();
    }
    if is_off(arg) {
        let settings = ChatSettings {
            sub: None,
            ..chat.settings.clone()
        };
        return keep(tg, chat, settings, w.sub_removed.to_string()).await;
    }
    match SubId::parse(arg) {
        Ok(Some(sub)) => {
            let settings = ChatSettings {
                sub: Some(sub.as_str().to_string()),
                ..chat.settings.clone()
            };
            let done = say!(w.sub_set, sub = sub.as_str());
            keep(tg, chat, settings, done).await
        }
        Ok(None) => w.sub_usage.to_string(),
        Err(e) => e.message(chat.lang),
    }
}

/// `/country <XX>` or `/country off`.
pub async fn country(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    let w = chat.words();
    if arg.is_empty() {
        return w.country_usage.to_string();
    }
    if is_off(arg) {
        let settings = ChatSettings {
            country: None,
            ..chat.settings.clone()
        };
        let server = tg.state.config.default_country.name_in(chat.lang);
        let done = say!(w.country_removed, country = server);
        return keep(tg, chat, settings, done).await;
    }
    match Country::parse(arg) {
        Ok(country) => {
            let settings = ChatSettings {
                country: Some(country.code().to_string()),
                ..chat.settings.clone()
            };
            let done = say!(w.country_set, country = country.name_in(chat.lang));
            keep(tg, chat, settings, done).await
        }
        Err(e) => e.message(chat.lang),
    }
}

/// `/lang ru|en` or `/lang off`: answered in the language chosen.
pub async fn lang(tg: &Telegram, chat: &Chat, arg: &str) -> String {
    if is_off(arg) {
        let settings = ChatSettings {
            lang: None,
            ..chat.settings.clone()
        };
        let done = words::of(chat.app_lang).bot.lang_removed.to_string();
        return keep(tg, chat, settings, done).await;
    }
    let chosen = match arg.to_ascii_lowercase().as_str() {
        "ru" | "русский" => Lang::Ru,
        "en" | "english" => Lang::En,
        _ => return chat.words().lang_usage.to_string(),
    };
    let settings = ChatSettings {
        lang: Some(chosen.as_str().to_string()),
        ..chat.settings.clone()
    };
    keep(
        tg,
        chat,
        settings,
        words::of(chosen).bot.lang_set.to_string(),
    )
    .await
}

/// `/settings`: everything kept for the chat.
pub async fn show(tg: &Telegram, chat: &Chat) -> String {
    let w = chat.words();
    let s = &chat.settings;
    let watched = match tg.state.store.watches(chat.id).await {
        Ok(watches) => watches.len().to_string(),
        Err(_) => "?".into(),
    };
    let country = match s.country.as_deref().map(Country::parse) {
        Some(Ok(c)) => c.name_in(chat.lang).to_string(),
        _ => format!(
            "{} ({})",
            w.servers,
            tg.state.config.default_country.name_in(chat.lang)
        ),
    };
    say!(
        w.settings,
        template = s.template.as_deref().unwrap_or(w.servers),
        sub = s.sub.as_deref().unwrap_or(w.none),
        country,
        lang = chat.lang.as_str(),
        watched,
        limit = tg.settings.watch_limit
    )
}

/// `/forget`: removes the chat's settings and watches.
pub async fn forget(tg: &Telegram, chat: &Chat) -> String {
    let w = chat.words();
    let watches = tg.state.store.watches(chat.id).await.map_or(0, |w| w.len());
    match tg.state.store.forget_chat(chat.id).await {
        Ok(()) => say!(w.forgotten, watches),
        Err(error) => {
            tracing::warn!(%error, "a chat's settings were not removed");
            w.store_failed.to_string()
        }
    }
}
