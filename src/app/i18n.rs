//! The pages' words in English and Russian, and the language they are shown in.
//!
//! `build.rs` compiles `locales/en.json` and `locales/ru.json` into [`Words`], one value per
//! language (a key missing from one locale is a build error). The language is a signal in the
//! context ([`I18nContext`], provided by [`I18nContextProvider`]): on the server it comes from the
//! cookie the language switch writes, else `Accept-Language`, else English; in the browser from
//! `<html lang>`, which the server wrote. The macros read words: `t!(i18n, section.key)` as a view
//! that follows the language, `t_string!(i18n, section.key)` as text (tracking the language),
//! `tu_string!` without following it, `td_string!(locale, section.key)` for a given language; a text with `{{ name }}` holes takes
//! the values after the key (`t_string!(i18n, check.scan_one, usable, refused)`).
//!
//! Linksmith's own small runtime (a signal and two static tables) replaced leptos_i18n, whose
//! language negotiation (ICU4X locale matching, leptos-use) weighed on the page's first download.

use std::fmt::Display;

use leptos::prelude::*;

include!(concat!(env!("OUT_DIR"), "/words.rs"));

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(non_camel_case_types)] // as written in `<html lang>` and `?lang=`
pub enum Locale {
    #[default]
    en,
    ru,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::en => "en",
            Locale::ru => "ru",
        }
    }

    /// The words of this language.
    pub fn words(self) -> &'static Words {
        match self {
            Locale::en => &EN,
            Locale::ru => &RU,
        }
    }

    /// The language of a language tag (`ru`, `ru-RU`, `EN-gb`), if the pages have it.
    pub fn of_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("ru") {
            Some(Locale::ru)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Locale::en)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header prefers among the pages' (highest `q` first, in
    /// the order written among equals; `q=0` refuses), if any.
    pub fn of_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(u16, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(locale) = parts.next().and_then(Locale::of_tag) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(quality)
                .unwrap_or(1000);
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A `q` value in thousandths (`0.8` → 800); `None` when it is not one.
fn quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The name of the cookie that remembers the language chosen (`?lang=`), kept a year.
pub const COOKIE: &str = "i18n_pref_locale";

/// The language of the pages, in the context.
#[derive(Debug, Clone, Copy)]
pub struct I18nContext(RwSignal<Locale>);

impl I18nContext {
    /// The language, followed by the caller.
    pub fn get_locale(self) -> Locale {
        self.0.get()
    }

    pub fn get_locale_untracked(self) -> Locale {
        self.0.get_untracked()
    }

    pub fn set_locale(self, locale: Locale) {
        self.0.set(locale);
    }

    /// The words of the language, followed by the caller.
    pub fn words(self) -> &'static Words {
        self.get_locale().words()
    }
}

/// The language context of the page (see [`I18nContextProvider`]).
pub fn use_i18n() -> I18nContext {
    expect_context()
}

/// The language the page starts in. On the server: the address's `?lang=`, else the cookie, else
/// `Accept-Language`, else English.
#[cfg(feature = "ssr")]
pub fn initial_locale() -> Locale {
    use axum::http::{header, request::Parts};
    let Some(parts) = use_context::<Parts>() else {
        return Locale::default();
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
        .and_then(|(_, value)| Locale::of_tag(value))
        .or_else(|| Locale::of_accept_language(&header(header::ACCEPT_LANGUAGE)))
        .unwrap_or_default()
}

/// The language the page starts in. In the browser: `<html lang>`, as the server wrote it.
#[cfg(not(feature = "ssr"))]
fn initial_locale() -> Locale {
    #[cfg(feature = "hydrate")]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|lang| Locale::of_tag(&lang))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Locale::default()
}

/// Provides the language to `children`. The server writes it in `<html lang>` (`app::shell`); in
/// the browser, a change of language is written there too.
#[component]
pub fn I18nContextProvider(children: Children) -> impl IntoView {
    let i18n = I18nContext(RwSignal::new(initial_locale()));
    provide_context(i18n);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let lang = i18n.get_locale().as_str();
        if let Some(html) = document().document_element() {
            if html.get_attribute("lang").as_deref() != Some(lang) {
                let _ = html.set_attribute("lang", lang);
            }
        }
    });
    children()
}

/// `text` with each `{{ name }}` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = rest[start + 2..start + len].trim();
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(&value.to_string()),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
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
        $crate::app::i18n::Locale::words($crate::app::i18n::I18nContext::get_locale_untracked($i18n)).$($key).+
    };
}

/// A word as text in a given language: `td_string!(locale, section.key)`.
macro_rules! td_string {
    ($locale:expr, $($key:ident).+) => {
        $crate::app::i18n::Locale::words($locale).$($key).+
    };
}

pub(crate) use {t, t_string, td_string, tu_string};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_quality() {
        let of = Locale::of_accept_language;
        assert_eq!(of("ru-RU,ru;q=0.9,en;q=0.5"), Some(Locale::ru));
        assert_eq!(of("de-DE,de;q=0.9,en-US;q=0.8,ru;q=0.7"), Some(Locale::en));
        assert_eq!(of("en;q=0.5, ru;q=0.8"), Some(Locale::ru));
        assert_eq!(of("ru;q=0, en;q=0.1"), Some(Locale::en));
        assert_eq!(of("uk, be"), None);
        assert_eq!(of(""), None);
        assert_eq!(
            of("ru;q=2, en;q=x"),
            Some(Locale::ru),
            "a q that is not one counts as 1"
        );
        assert_eq!(Locale::of_tag("EN_gb"), Some(Locale::en));
    }

    #[test]
    fn holes_are_filled_by_name() {
        let (count, usable) = (3, "2");
        assert_eq!(
            fill(
                "{{ count }} links, {{usable}} usable, {{ other }}",
                &[("count", &count), ("usable", &usable)]
            ),
            "3 links, 2 usable, {{ other }}"
        );
        assert_eq!(fill("{{ open", &[]), "{{ open");
    }

    #[test]
    fn both_languages_have_every_word() {
        assert!(!td_string!(Locale::en, common.nav_rates).is_empty());
        assert_ne!(
            td_string!(Locale::ru, common.nav_rates),
            td_string!(Locale::en, common.nav_rates)
        );
    }
}
