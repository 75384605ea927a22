//! Every sentence Linksmith says, in English and Russian side by side: the pages' words and the
//! domain's (why a link or an option was refused, statuses, sources, bands, the campaign
//! check's findings), shared by the page, the API and the bot. The rules' own sentences live with
//! the rules (`rules/*.toml`); the server's own sentences in `server::words`.
//!
//! `build.rs` compiles `locales/en.json` and `locales/ru.json` into [`Words`], one value per
//! language; a key missing from one locale, or a `{{ name }}` hole only one fills in, is a build
//! error.

use std::fmt::Display;

use crate::domain::lang::Lang;

include!(concat!(env!("OUT_DIR"), "/words.rs"));

impl Lang {
    /// The words of this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Ru => &RU,
        }
    }
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
            Some((_, value)) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{value}");
            }
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// A sentence of the words with its holes filled by the named values:
/// `say!(lang.words().problems.link_too_long, len, max = MAX_LINK_BYTES)`.
macro_rules! say {
    ($text:expr $(, $name:ident $(= $value:expr)?)* $(,)?) => {
        $crate::domain::words::fill(
            $text,
            &[$((stringify!($name), &$crate::domain::words::say!(@value $name $(= $value)?) as &dyn ::std::fmt::Display)),*],
        )
    };
    (@value $name:ident) => { $name };
    (@value $name:ident = $value:expr) => { $value };
}

pub(crate) use say;

#[cfg(test)]
mod tests {
    use super::*;

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
        let host = "evil.test";
        assert_eq!(
            say!("{{ host }} on {{ port }}", host, port = 8080),
            "evil.test on 8080"
        );
    }

    #[test]
    fn both_languages_have_every_word() {
        assert!(!Lang::En.words().common.nav_rates.is_empty());
        assert_ne!(
            Lang::Ru.words().common.nav_rates,
            Lang::En.words().common.nav_rates
        );
    }
}
