//! Why a link was refused: each variant's message says what happened and what to do.

use super::*;

/// Why a link was refused. Each variant's message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    EmptyInput,
    TooLong { len: usize },
    PasteTooLarge(PasteTooLarge),
    UnsupportedScheme { scheme: String },
    Unparsable { detail: String },
    SeveralLinks { count: usize },
    NonStandardPort { port: u16 },
    NotAliexpress { host: String },
    OtherNetwork { host: String, network: &'static str },
    ShortLinkRejected { host: String },
    ShortLinkUnresolved { reason: String },
    BadProductId { id: String },
    AccountPage { host: String },
    VanityStore { host: String },
    EmptyShare,
    UnknownPage { page: String },
}

impl From<PasteTooLarge> for LinkError {
    fn from(e: PasteTooLarge) -> LinkError {
        LinkError::PasteTooLarge(e)
    }
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
