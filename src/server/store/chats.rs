//! What the Telegram bot keeps of a chat (`docs/telegram-bot.md`): its settings and the products
//! it watches with their last known answer. Never a message's text.

use crate::domain::watch::Snapshot;

/// A chat's own settings; `None`: the server's (or the user's app's, for the language).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatSettings {
    /// The chat's link template (`/template`), validated when it was set.
    pub template: Option<String>,
    /// The default sub-id (`/sub`).
    pub sub: Option<String>,
    /// The delivery country (`/country`), an ISO code.
    pub country: Option<String>,
    /// `en` or `ru` (`/lang`), over the app's language.
    pub lang: Option<String>,
}

impl ChatSettings {
    /// Whether nothing is set (the store keeps no row for such a chat).
    pub fn is_empty(&self) -> bool {
        *self == ChatSettings::default()
    }
}

/// A product a chat watches, for one delivery country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub chat: i64,
    pub product_id: String,
    /// The delivery country the product is checked for.
    pub country: String,
    /// The product's canonical link.
    pub link: String,
    /// The last known answer (`None` until a source said something).
    pub last: Option<Snapshot>,
    /// When the watch was made, unix seconds.
    pub created_at: i64,
    /// When it was last checked (or made), unix seconds.
    pub checked_at: i64,
}

/// What asking to watch a product did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    Added,
    /// The chat watches it already (for that country): nothing changed.
    Already,
    /// The chat watches as many products as it may.
    Full,
}

/// A watch's last answer as the store keeps it (JSON), and back: a row it cannot read is named.
pub(crate) fn snapshot_to_db(last: Option<&Snapshot>) -> Option<String> {
    last.map(|s| serde_json::to_string(s).expect("a snapshot serialises"))
}

pub(crate) fn snapshot_from_db(
    chat: i64,
    product: &str,
    text: Option<String>,
) -> Result<Option<Snapshot>, super::StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| super::StoreError::BadRow {
            row: format!("bot_watches {chat} {product}"),
            problem: e.to_string(),
        })
    })
    .transpose()
}
