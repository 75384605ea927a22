//! The sub-id a webmaster tags a link with (a channel, a post): checked once, carried by every
//! affiliate link made with it.

use serde::{Deserialize, Serialize};

use crate::domain::codes::ErrorCode;

/// The longest sub-id.
pub const MAX_SUB_LEN: usize = 64;

/// A sub-id: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubId(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubIdError {
    TooLong { len: usize },
    BadCharacter { sub: String, bad: String },
}

impl SubIdError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidSub
    }
}

impl SubId {
    /// Parses a sub-id; white space around it is ignored and an empty one is none.
    pub fn parse(text: &str) -> Result<Option<SubId>, SubIdError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let len = t.chars().count();
        if len > MAX_SUB_LEN {
            return Err(SubIdError::TooLong { len });
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            let bad = match c {
                ' ' => "a space".to_string(),
                c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
                c => format!("'{c}'"),
            };
            return Err(SubIdError::BadCharacter {
                sub: t.to_string(),
                bad,
            });
        }
        Ok(Some(SubId(t.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
