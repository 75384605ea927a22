//! Why a link was refused: each variant's message says what happened and what to do.

use super::*;

/// Why a link was refused. Each variant's message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("Nothing to check: the input is empty. Paste an AliExpress product, store or category link.")]
    EmptyInput,
    #[error(
        "This link is {len} bytes long, over the limit of {MAX_LINK_BYTES} for one link. \
         Paste the product page address (aliexpress.com/item/<id>.html) without the extra parameters."
    )]
    TooLong { len: usize },
    #[error("{0}")]
    PasteTooLarge(#[from] PasteTooLarge),
    #[error("\"{scheme}:\" is not a web link. Paste an https:// link to an AliExpress page.")]
    UnsupportedScheme { scheme: String },
    #[error("This is not a valid web address ({detail}). Copy the link again from the browser's address bar.")]
    Unparsable { detail: String },
    #[error(
        "The text holds {count} links; one is expected here. Check them as a batch, or paste one link."
    )]
    SeveralLinks { count: usize },
    #[error(
        "The link names port {port}, but AliExpress pages are served on the standard port. \
         Paste the address without \":{port}\"."
    )]
    NonStandardPort { port: u16 },
    #[error(
        "{host} is not an AliExpress site. Linksmith checks links to aliexpress.com, aliexpress.ru \
         and aliexpress.us pages: paste the product page address."
    )]
    NotAliexpress { host: String },
    #[error(
        "{host} is a {network} affiliate link: it already carries another webmaster's tracking. \
         Open it, then paste the address of the AliExpress page it leads to."
    )]
    OtherNetwork { host: String, network: &'static str },
    #[error("{}", short_link_sentence(host))]
    ShortLinkRejected { host: String },
    #[error(
        "This app share link could not be followed ({reason}). Open it on your phone or in a browser, \
         then paste the product page address it shows."
    )]
    ShortLinkUnresolved { reason: String },
    #[error(
        "\"{id}\" is not an AliExpress product id (they have 10 to 16 digits). \
         Copy the link again from the product page."
    )]
    BadProductId { id: String },
    #[error(
        "{host} is an account, cart or help page: no commission comes from a link to it. \
         Paste a product, store or category link."
    )]
    AccountPage { host: String },
    #[error(
        "{host} is a store's own address. Open the store and paste its address of the form \
         aliexpress.com/store/<id>, or a product link."
    )]
    VanityStore { host: String },
    #[error(
        "The share link does not say which page it shares. Open it, then paste the product page address."
    )]
    EmptyShare,
    #[error(
        "Linksmith does not know this AliExpress page ({page}). Paste a product, store, category, \
         search or campaign link."
    )]
    UnknownPage { page: String },
}

impl LinkError {
    /// The contract's error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            LinkError::EmptyInput => ErrorCode::EmptyInput,
            LinkError::TooLong { .. } | LinkError::PasteTooLarge(_) => ErrorCode::TooLong,
            LinkError::UnsupportedScheme { .. }
            | LinkError::Unparsable { .. }
            | LinkError::SeveralLinks { .. }
            | LinkError::NonStandardPort { .. } => ErrorCode::InvalidUrl,
            LinkError::NotAliexpress { .. } | LinkError::OtherNetwork { .. } => {
                ErrorCode::NotAliexpress
            }
            LinkError::ShortLinkRejected { .. } => ErrorCode::ShortLinkRejected,
            LinkError::ShortLinkUnresolved { .. } => ErrorCode::ShortLinkUnresolved,
            LinkError::BadProductId { .. }
            | LinkError::AccountPage { .. }
            | LinkError::VanityStore { .. }
            | LinkError::EmptyShare
            | LinkError::UnknownPage { .. } => ErrorCode::UnsupportedPage,
        }
    }
}

/// Whether a refused short link is AliExpress's own `s.click` link (of which the terms say a
/// commission may not count), rather than another network's or `ali.click` short link.
pub fn is_s_click(host: &str) -> bool {
    matches!(
        hosts::classify(&host.to_ascii_lowercase()),
        HostClass::Aliexpress {
            role: Role::ShortLink,
            ..
        }
    )
}

pub(super) fn short_link_sentence(host: &str) -> String {
    if is_s_click(host) {
        format!(
            "{host} links are refused: the terms say a commission through s.click links may not count. \
             Open the link in a browser, then paste the product page address it shows \
             (aliexpress.com/item/<id>.html)."
        )
    } else {
        format!(
            "{host} is a short affiliate link: it carries another webmaster's tracking, and reading it \
             would register a click for them, so Linksmith does not follow it. Open it in a browser, \
             then paste the address of the AliExpress page it shows."
        )
    }
}
