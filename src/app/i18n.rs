//! The pages' words in English and Russian, and the language they are shown in.
//!
//! The words are `domain::words` (`locales/en.json`, `locales/ru.json`, compiled by `build.rs`).
//! The language is a signal in the context ([`I18nContext`], provided by
//! [`I18nContextProvider`]): on the server it comes from the cookie the language switch writes,
//! else `Accept-Language`, else English; in the browser from `<html lang>`, which the server
//! wrote. The macros read words: `t!(i18n, section.key)` as a view that follows the language,
//! `t_string!(i18n, section.key)` as text (tracking the language), `tu_string!` without following
//! it, `td_string!(locale, section.key)` for a given language; a text with `{{ name }}` holes
//! takes the values after the key (`t_string!(i18n, check.scan_one, usable, refused)`).
//!
//! Linksmith's own small runtime (a signal and two static tables) replaced leptos_i18n, whose
//! language negotiation (ICU4X locale matching, leptos-use) weighed on the page's first download.

use leptos::prelude::*;

pub use crate::domain::lang::Lang;

pub use crate::domain::words::{fill, Words};

/// The name of the cookie that remembers the language chosen (`?lang=`), kept a year.
pub const COOKIE: &str = "i18n_pref_locale";

/// The language of the pages, in the context.
#[derive(Debug, Clone, Copy)]
pub struct I18nContext(RwSignal<Lang>);

impl I18nContext {
    /// The language, followed by the caller.
    pub fn lang(self) -> Lang {
        self.0.get()
    }

    pub fn lang_untracked(self) -> Lang {
        self.0.get_untracked()
    }

    pub fn set_lang(self, locale: Lang) {
        self.0.set(locale);
    }

    /// The words of the language, followed by the caller.
    pub fn words(self) -> &'static Words {
        self.lang().words()
    }
}

/// The language context of the page (see [`I18nContextProvider`]).
pub fn use_i18n() -> I18nContext {
    expect_context()
}

/// The language the page starts in. On the server: the address's `?lang=`, else the cookie, else
/// `Accept-Language`, else English.
#[cfg(feature = "ssr")]
pub fn initial_locale() -> Lang {
    use axum::http::{header, request::Parts};
    let Some(parts) = use_context::<Parts>() else {
        return Lang::default();
    };
    let header = |name| {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let query = parts.uri.query().unwrap_or_default();
    if let Some(locale) = crate::app::query_locale(query) {
        return locale;
    }
    let cookies = header(header::COOKIE);
    cookies
        .split([';', ','])
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Lang::of_tag(value))
        .or_else(|| Lang::of_accept_language(&header(header::ACCEPT_LANGUAGE)))
        .unwrap_or_default()
}

/// The language the page starts in. In the browser: `<html lang>`, as the server wrote it.
#[cfg(not(feature = "ssr"))]
fn initial_locale() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|lang| Lang::of_tag(&lang))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Lang::default()
}

/// Provides the language to `children`. The server writes it in `<html lang>` (`app::shell`); in
/// the browser, a change of language is written there too.
#[component]
pub fn I18nContextProvider(children: Children) -> impl IntoView {
    let i18n = I18nContext(RwSignal::new(initial_locale()));
    provide_context(i18n);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let lang = i18n.lang().as_str();
        if let Some(html) = document().document_element() {
            if html.get_attribute("lang").as_deref() != Some(lang) {
                let _ = html.set_attribute("lang", lang);
            }
        }
    });
    children()
}

/// A word as a view that follows the language: `t!(i18n, section.key)`.
macro_rules! t {
    ($i18n:expr, $($key:ident).+) => {{
        let i18n: $crate::app::i18n::I18nContext = $i18n;
        move || i18n.words().$($key).+
    }};
}

/// A word as text in the current language (followed by the caller): `t_string!(i18n, section.key)`;
/// values after the key fill its `{{ name }}` holes.
macro_rules! t_string {
    ($i18n:expr, $($key:ident).+) => {
        $crate::app::i18n::I18nContext::words($i18n).$($key).+
    };
    ($i18n:expr, $($key:ident).+, $($value:ident),+) => {
        $crate::app::i18n::fill(
            $crate::app::i18n::I18nContext::words($i18n).$($key).+,
            &[$((stringify!($value), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

/// A word as text in the current language, not followed: `tu_string!(i18n, section.key)`.
macro_rules! tu_string {
    ($i18n:expr, $($key:ident).+) => {
        $crate::app::i18n::Lang::words($crate::app::i18n::I18nContext::lang_untracked($i18n)).$($key).+
    };
}

/// A word as text in a given language: `td_string!(locale, section.key)`.
macro_rules! td_string {
    ($locale:expr, $($key:ident).+) => {
        $crate::app::i18n::Lang::words($locale).$($key).+
    };
}

pub(crate) use {t, t_string, td_string, tu_string};
