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
    /// A malformed request (body, query string, headers).
    InvalidRequest,
    /// The client checked more links than its limit allows for now; the message says how long to wait.
    RateLimited,
    /// The server failed; nothing the client sent is at fault.
    Internal,
    /// The server could not be reached, or is too busy to answer now.
    Unavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
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
        ErrorCode::InvalidRequest,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
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
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
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
