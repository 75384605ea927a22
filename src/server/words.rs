//! The server's own sentences (the API's refusals of a request, limits, app share links), in
//! English and Russian side by side: `locales/server/en.json` and `locales/server/ru.json`, compiled
//! by `build.rs` into [`ServerWords`] (a key missing from one locale is a build error). They are
//! kept apart from `domain::words` so that the page's bundle does not carry them; both languages
//! fill holes with `domain::words::say!`.

use crate::domain::lang::Lang;

include!(concat!(env!("OUT_DIR"), "/server_words.rs"));

/// The server's words in `lang`.
pub fn of(lang: Lang) -> &'static ServerWords {
    match lang {
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_sentence() {
        assert_ne!(
            of(Lang::En).request.timed_out,
            of(Lang::Ru).request.timed_out
        );
        assert_eq!(of(Lang::Ru).units.seconds, "с");
    }
}
