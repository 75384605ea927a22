//! The languages Linksmith speaks, and the one a client asks for.
//!
//! One type for the API, the pages and the bot: the rules' sentences are data in both languages
//! (`rates::Texts`), every other sentence is in `locales/*.json` or an error's explanation
//! (`messages`). One reader of `Accept-Language` ([`Lang::of_accept_language`]), honouring
//! q-values, so that the API and the page answer the same header in the same language.

use serde::{Deserialize, Serialize};

/// A language of the texts, written as in `<html lang>`, `?lang=` and the API's `lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// The language's tag: `en`, `ru`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The language named exactly (`?lang=ru`, a language switch): `en` or `ru`.
    pub fn named(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The language of a language tag (`ru`, `ru-RU`, `EN-gb`), if Linksmith speaks it.
    pub fn of_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|l| primary.eq_ignore_ascii_case(l.as_str()))
    }

    /// The language an `Accept-Language` header prefers among Linksmith's (highest `q` first, in
    /// the order written among equals; `q=0` refuses; a `q` that is not one counts as 1), if any.
    pub fn of_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::of_tag) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(quality)
                .unwrap_or(1000);
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_quality() {
        let of = Lang::of_accept_language;
        assert_eq!(of("ru-RU,ru;q=0.9,en;q=0.5"), Some(Lang::Ru));
        assert_eq!(of("de-DE,de;q=0.9,en-US;q=0.8,ru;q=0.7"), Some(Lang::En));
        assert_eq!(of("en;q=0.5, ru;q=0.8"), Some(Lang::Ru));
        assert_eq!(of("ru;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(of("uk, be"), None);
        assert_eq!(of(""), None);
        assert_eq!(
            of("ru;q=2, en;q=x"),
            Some(Lang::Ru),
            "a q that is not one counts as 1"
        );
        assert_eq!(Lang::of_tag("EN_gb"), Some(Lang::En));
    }

    #[test]
    fn names_are_exact_and_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::named(lang.as_str()), Some(lang));
            assert_eq!(
                serde_json::to_string(&lang).unwrap(),
                format!("\"{}\"", lang.as_str())
            );
        }
        assert_eq!(Lang::named("RU"), None);
        assert_eq!(Lang::named("ru-RU"), None);
    }
}
