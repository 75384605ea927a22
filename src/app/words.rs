//! The words the pages use for the domain's values, in the page's language: one mapping for each,
//! shared by every page (a status is named the same on the check page and the rates page).

use crate::app::i18n::*;
use crate::domain::{codes::ErrorCode, link::PageKind, rates::Status};

pub fn status_name(locale: Lang, status: Status) -> &'static str {
    match status {
        Status::HotSale => td_string!(locale, statuses.hot_sale),
        Status::Affiliate => td_string!(locale, statuses.affiliate),
        Status::NonAffiliate => td_string!(locale, statuses.non_affiliate),
        Status::ZeroCommission => td_string!(locale, statuses.zero_commission),
        Status::Unknown => td_string!(locale, statuses.unknown),
    }
}

/// How long ago a source said it, counted from the check: "just now", "12 min ago", "3 h ago".
pub fn age(locale: Lang, secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => td_string!(locale, check.ago_now).to_string(),
        60..3600 => format!("{} {}", secs / 60, td_string!(locale, check.ago_min)),
        3600..86_400 => format!("{} {}", secs / 3600, td_string!(locale, check.ago_h)),
        _ => format!("{} {}", secs / 86_400, td_string!(locale, check.ago_d)),
    }
}

pub fn kind_name(locale: Lang, kind: PageKind) -> &'static str {
    match kind {
        PageKind::Product => td_string!(locale, check.kinds.product),
        PageKind::Store => td_string!(locale, check.kinds.store),
        PageKind::Category => td_string!(locale, check.kinds.category),
        PageKind::Home => td_string!(locale, check.kinds.home),
    }
}

/// A refusal in the page's language: the sentence made for it, else the translation of its code.
/// Every code has its translation here: a new code without one does not compile.
pub fn refusal(locale: Lang, code: ErrorCode, message: &str) -> String {
    // The engine's and the server's sentences are made in the page's language (they name the
    // host, the id, the wait); the translation of the code stands in for a missing one.
    if !message.is_empty() {
        return message.to_string();
    }
    match code {
        ErrorCode::EmptyInput => td_string!(locale, errors.empty_input),
        ErrorCode::TooLong => td_string!(locale, errors.too_long),
        ErrorCode::InvalidUrl => td_string!(locale, errors.invalid_url),
        ErrorCode::NotAliexpress => td_string!(locale, errors.not_aliexpress),
        ErrorCode::ShortLinkRejected => td_string!(locale, errors.short_link_rejected),
        ErrorCode::ShortLinkUnresolved => td_string!(locale, errors.short_link_unresolved),
        ErrorCode::UnsupportedPage => td_string!(locale, errors.unsupported_page),
        ErrorCode::InvalidCountry => td_string!(locale, errors.invalid_country),
        ErrorCode::InvalidAmount => td_string!(locale, errors.invalid_amount),
        ErrorCode::InvalidSub => td_string!(locale, errors.invalid_sub),
        ErrorCode::InvalidTemplate => td_string!(locale, errors.invalid_template),
        ErrorCode::TooManyLinks => td_string!(locale, errors.too_many_links),
        ErrorCode::InvalidRequest => td_string!(locale, errors.invalid_request),
        ErrorCode::RateLimited => td_string!(locale, errors.rate_limited),
        ErrorCode::Internal => td_string!(locale, errors.internal),
        ErrorCode::Unavailable => td_string!(locale, errors.unavailable),
        ErrorCode::InvalidKey => td_string!(locale, errors.invalid_key),
        ErrorCode::CrossSiteRefused => td_string!(locale, errors.cross_site_refused),
    }
    .to_string()
}
