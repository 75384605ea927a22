//! What every user-facing error says, in each language: one place for (code, parameters,
//! language) -> sentence, so that the API, the page and the bot say the same thing in the same
//! language. The sentences are `domain::words` (`locales/*.json`); English is also each error's
//! `Display`.

use serde::{Deserialize, Serialize};

use crate::domain::{
    campaign::{CampaignError, MAX_FIELD_CHARS, MAX_KEYWORDS},
    codes::ErrorCode,
    country::CountryError,
    lang::Lang,
    link::{is_s_click, LinkError, PasteTooLarge, MAX_LINK_BYTES, MAX_PASTE_BYTES},
    rates::AmountError,
    template::{DeriveError, SubIdError, TemplateError, MAX_SUB_LEN},
    words::say,
};

/// The contract's error object: a code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

/// An error a user can read: its contract code and its sentence in a language (from
/// `domain::words`; English is also its `Display`).
pub trait Explain {
    fn code(&self) -> ErrorCode;

    /// The sentence in `lang`: what happened and what to do.
    fn message(&self, lang: Lang) -> String;

    /// The contract's error object in `lang`.
    fn problem(&self, lang: Lang) -> Problem {
        Problem::new(self.code(), self.message(lang))
    }
}

/// `Display` (the English sentence) and `Error` for the errors that explain themselves.
macro_rules! explained {
    ($($error:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.message(Lang::En))
            }
        }

        impl std::error::Error for $error {}
    )+};
}

explained!(
    PasteTooLarge,
    LinkError,
    CountryError,
    AmountError,
    SubIdError,
    TemplateError,
    DeriveError,
    CampaignError,
);

impl Explain for PasteTooLarge {
    fn code(&self) -> ErrorCode {
        ErrorCode::TooLong
    }

    fn message(&self, lang: Lang) -> String {
        say!(
            lang.words().problems.paste_too_large,
            len = self.len,
            max = MAX_PASTE_BYTES
        )
    }
}

impl Explain for LinkError {
    fn code(&self) -> ErrorCode {
        LinkError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            LinkError::EmptyInput => w.empty_input.to_string(),
            LinkError::TooLong { len } => say!(w.link_too_long, len, max = MAX_LINK_BYTES),
            LinkError::PasteTooLarge(p) => p.message(lang),
            LinkError::UnsupportedScheme { scheme } => say!(w.unsupported_scheme, scheme),
            LinkError::Unparsable { detail } => say!(w.unparsable, detail),
            LinkError::SeveralLinks { count } => say!(w.several_links, count),
            LinkError::NonStandardPort { port } => say!(w.non_standard_port, port),
            LinkError::NotAliexpress { host } => say!(w.not_aliexpress, host),
            LinkError::OtherNetwork { host, network } => say!(w.other_network, host, network),
            LinkError::ShortLinkRejected { host } if is_s_click(host) => {
                say!(w.s_click_rejected, host)
            }
            LinkError::ShortLinkRejected { host } => say!(w.short_link_rejected, host),
            LinkError::ShortLinkUnresolved { reason } => say!(w.short_link_unresolved, reason),
            LinkError::BadProductId { id } => say!(w.bad_product_id, id),
            LinkError::AccountPage { host } => say!(w.account_page, host),
            LinkError::VanityStore { host } => say!(w.vanity_store, host),
            LinkError::EmptyShare => w.empty_share.to_string(),
            LinkError::UnknownPage { page } => say!(w.unknown_page, page),
        }
    }
}

impl Explain for CountryError {
    fn code(&self) -> ErrorCode {
        CountryError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        say!(lang.words().problems.bad_country, input = self.input)
    }
}

impl Explain for AmountError {
    fn code(&self) -> ErrorCode {
        AmountError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            AmountError::NotANumber(text) => say!(w.amount_not_a_number, text),
            AmountError::Negative(text) => say!(w.amount_negative, text),
            AmountError::Absurd(text) => say!(w.amount_absurd, text),
            AmountError::Ambiguous(text) => say!(w.amount_ambiguous, text),
            AmountError::BadGrouping(text) => say!(w.amount_bad_grouping, text),
        }
    }
}

impl Explain for SubIdError {
    fn code(&self) -> ErrorCode {
        SubIdError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            SubIdError::TooLong { len } => say!(w.sub_too_long, len, max = MAX_SUB_LEN),
            SubIdError::BadCharacter { sub, bad } => say!(w.sub_bad_character, sub, bad),
        }
    }
}

/// A refused template's reason is a clause ("it has no {url} ..."), said after
/// [`refused_template`]'s or [`DeriveError::Invalid`]'s opening.
impl Explain for TemplateError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTemplate
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            TemplateError::Empty => w.template_empty.to_string(),
            TemplateError::NoDestination => w.template_no_destination.to_string(),
            TemplateError::UnknownPlaceholder(placeholder) => {
                say!(w.template_unknown_placeholder, placeholder)
            }
            TemplateError::NotHttps(detail) => say!(w.template_not_https, detail),
            TemplateError::ShortLinkHost(host) => say!(w.template_short_link_host, host),
        }
    }
}

/// "The link template is refused: <why>." in `lang`.
pub fn refused_template(e: &TemplateError, lang: Lang) -> String {
    say!(
        lang.words().problems.template_refused,
        why = e.message(lang)
    )
}

impl Explain for DeriveError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTemplate
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            DeriveError::NotALink => w.derive_not_a_link.to_string(),
            DeriveError::ShortLink { host } => say!(w.derive_short_link, host),
            DeriveError::NoDestination => w.derive_no_destination.to_string(),
            DeriveError::Invalid(e) => say!(w.derive_invalid, why = e.message(lang)),
        }
    }
}

impl Explain for CampaignError {
    fn code(&self) -> ErrorCode {
        CampaignError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        let w = &lang.words().problems;
        match self {
            CampaignError::TooLong { field, len } => {
                say!(w.campaign_too_long, field, len, max = MAX_FIELD_CHARS)
            }
            CampaignError::TooManyKeywords { count } => {
                say!(w.campaign_too_many_keywords, count, max = MAX_KEYWORDS)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_error_has_a_russian_sentence_with_its_parameters() {
        let errors = [
            LinkError::EmptyInput,
            LinkError::TooLong { len: 5000 },
            LinkError::NotAliexpress {
                host: "evil.test".into(),
            },
            LinkError::ShortLinkRejected {
                host: "s.click.aliexpress.com".into(),
            },
            LinkError::BadProductId { id: "12".into() },
        ];
        for e in errors {
            let en = e.message(Lang::En);
            let ru = e.message(Lang::Ru);
            assert_ne!(en, ru);
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c)), "{ru}");
            assert_eq!(e.problem(Lang::Ru).code, e.code());
        }
        assert!(LinkError::NotAliexpress {
            host: "evil.test".into()
        }
        .message(Lang::Ru)
        .contains("evil.test"));
    }

    /// Every refusal of every kind, each variant once.
    fn every_refusal() -> Vec<Box<dyn Explain>> {
        let host = || "evil.test".to_string();
        vec![
            Box::new(PasteTooLarge { len: 2_000_000 }),
            Box::new(LinkError::EmptyInput),
            Box::new(LinkError::TooLong { len: 5000 }),
            Box::new(LinkError::PasteTooLarge(PasteTooLarge { len: 2_000_000 })),
            Box::new(LinkError::UnsupportedScheme {
                scheme: "ftp".into(),
            }),
            Box::new(LinkError::Unparsable {
                detail: "empty host".into(),
            }),
            Box::new(LinkError::SeveralLinks { count: 3 }),
            Box::new(LinkError::NonStandardPort { port: 8080 }),
            Box::new(LinkError::NotAliexpress { host: host() }),
            Box::new(LinkError::OtherNetwork {
                host: host(),
                network: "ePN",
            }),
            Box::new(LinkError::ShortLinkRejected {
                host: "s.click.aliexpress.com".into(),
            }),
            Box::new(LinkError::ShortLinkRejected {
                host: "ali.click".into(),
            }),
            Box::new(LinkError::ShortLinkUnresolved {
                reason: "time-out".into(),
            }),
            Box::new(LinkError::BadProductId { id: "12".into() }),
            Box::new(LinkError::AccountPage { host: host() }),
            Box::new(LinkError::VanityStore { host: host() }),
            Box::new(LinkError::EmptyShare),
            Box::new(LinkError::UnknownPage { page: "/x".into() }),
            Box::new(CountryError { input: "XX".into() }),
            Box::new(AmountError::NotANumber("abc".into())),
            Box::new(AmountError::Negative("-1".into())),
            Box::new(AmountError::Absurd("1e9".into())),
            Box::new(AmountError::Ambiguous("1,000".into())),
            Box::new(AmountError::BadGrouping("1,00,0".into())),
            Box::new(SubIdError::TooLong { len: 99 }),
            Box::new(SubIdError::BadCharacter {
                sub: "a b".into(),
                bad: "a space".into(),
            }),
            Box::new(TemplateError::Empty),
            Box::new(TemplateError::NoDestination),
            Box::new(TemplateError::UnknownPlaceholder("{x}".into())),
            Box::new(TemplateError::NotHttps("http://a".into())),
            Box::new(TemplateError::ShortLinkHost(
                "s.click.aliexpress.com".into(),
            )),
            Box::new(DeriveError::NotALink),
            Box::new(DeriveError::ShortLink { host: host() }),
            Box::new(DeriveError::NoDestination),
            Box::new(DeriveError::Invalid(TemplateError::Empty)),
            Box::new(CampaignError::TooLong {
                field: "title",
                len: 9999,
            }),
            Box::new(CampaignError::TooManyKeywords { count: 9999 }),
        ]
    }

    #[test]
    fn every_refusal_fills_every_hole_in_both_languages() {
        for e in every_refusal() {
            for lang in Lang::ALL {
                let said = e.message(lang);
                assert!(!said.is_empty() && !said.contains("{{"), "{lang:?}: {said}");
            }
            assert_ne!(e.message(Lang::En), e.message(Lang::Ru));
        }
        assert_eq!(
            LinkError::TooLong { len: 5000 }.to_string(),
            format!(
                "This link is 5000 bytes long, over the limit of {MAX_LINK_BYTES} for one link. \
                 Paste the product page address (aliexpress.com/item/<id>.html) without the extra parameters."
            )
        );
        assert!(LinkError::ShortLinkRejected {
            host: "s.click.aliexpress.com".into()
        }
        .to_string()
        .contains("the terms say a commission through s.click links may not count"));
        assert_eq!(
            refused_template(&TemplateError::Empty, Lang::Ru),
            "Шаблон ссылки отклонён: шаблон пуст."
        );
    }
}
