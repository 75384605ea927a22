//! The error codes fixed by the API contract (`docs/check-api.md`).

use serde::{Deserialize, Serialize};

/// Every user-facing error has one of these codes; programs outside the project rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    EmptyInput,
    TooLong,
    InvalidUrl,
    NotAliexpress,
    ShortLinkRejected,
    ShortLinkUnresolved,
    UnsupportedPage,
    InvalidCountry,
    InvalidAmount,
    TooManyLinks,
    /// Not in the contract's list (an addition it allows): a sub-id links cannot carry.
    InvalidSub,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::EmptyInput,
        ErrorCode::TooLong,
        ErrorCode::InvalidUrl,
        ErrorCode::NotAliexpress,
        ErrorCode::ShortLinkRejected,
        ErrorCode::ShortLinkUnresolved,
        ErrorCode::UnsupportedPage,
        ErrorCode::InvalidCountry,
        ErrorCode::InvalidAmount,
        ErrorCode::TooManyLinks,
        ErrorCode::InvalidSub,
    ];

    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::EmptyInput => "empty_input",
            ErrorCode::TooLong => "too_long",
            ErrorCode::InvalidUrl => "invalid_url",
            ErrorCode::NotAliexpress => "not_aliexpress",
            ErrorCode::ShortLinkRejected => "short_link_rejected",
            ErrorCode::ShortLinkUnresolved => "short_link_unresolved",
            ErrorCode::UnsupportedPage => "unsupported_page",
            ErrorCode::InvalidCountry => "invalid_country",
            ErrorCode::InvalidAmount => "invalid_amount",
            ErrorCode::TooManyLinks => "too_many_links",
            ErrorCode::InvalidSub => "invalid_sub",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_match_as_str() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
