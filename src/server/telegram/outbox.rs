//! Every message the bot sends goes through the outbox: it keeps the Bot API's limits (at most 30
//! messages a second in all, about one a second per chat), waits out a 429's `retry_after` and
//! sends the message again, and when a chat has blocked the bot (403) removes its watches.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use teloxide_core::{
    payloads::SendMessageSetters,
    requests::{Request, Requester},
    types::{ChatId, InlineKeyboardMarkup, MessageEntity, MessageEntityKind},
    ApiError, Bot, RequestError,
};
use tokio::time::Instant;

use crate::domain::formatted::Span;
use crate::server::store::SharedStore;

/// Messages a second, to every chat together.
const PER_SECOND: u32 = 30;
/// Between two messages to one chat.
const PER_CHAT: Duration = Duration::from_secs(1);
/// Times a message refused with a 429 is sent again.
const RETRIES: usize = 5;
/// A `retry_after` longer than this is not waited out here: the message is not sent (an alert
/// is sent again by the next round).
const LONGEST_WAIT: Duration = Duration::from_secs(120);

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// The chat blocked the bot, or is gone (403): its watches are removed.
    Blocked,
    /// Not sent (the Bot API failed, or kept asking to wait).
    Failed,
}

/// One message: its text, its entities (UTF-16 offsets), and buttons.
pub struct Outgoing {
    pub chat: i64,
    pub text: String,
    pub spans: Vec<Span<MessageEntityKind>>,
    pub buttons: Option<InlineKeyboardMarkup>,
}

impl Outgoing {
    pub fn plain(chat: i64, text: impl Into<String>) -> Outgoing {
        Outgoing {
            chat,
            text: text.into(),
            spans: Vec::new(),
            buttons: None,
        }
    }
}

struct Pace {
    /// When the next message may go, to any chat.
    next: Instant,
    /// When the next message may go to each chat (chats whose time has passed are forgotten).
    chats: HashMap<i64, Instant>,
}

pub struct Outbox {
    bot: Bot,
    store: SharedStore,
    pace: Mutex<Pace>,
}

impl Outbox {
    pub fn new(bot: Bot, store: SharedStore) -> Outbox {
        Outbox {
            bot,
            store,
            pace: Mutex::new(Pace {
                next: Instant::now(),
                chats: HashMap::new(),
            }),
        }
    }

    /// When a message to `chat` may go: its chat's next time and the next time of all, each
    /// moved on by this message.
    fn slot(&self, chat: i64) -> Instant {
        let mut pace = self
            .pace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if pace.chats.len() > 10_000 {
            pace.chats.retain(|_, at| *at > now);
        }
        let chat_next = pace.chats.get(&chat).copied().unwrap_or(now).max(now);
        let at = chat_next.max(pace.next);
        pace.next = at + Duration::from_secs(1) / PER_SECOND;
        pace.chats.insert(chat, at + PER_CHAT);
        at
    }

    /// Sends one message in its turn; a 429 is waited out and the message sent again.
    pub async fn send(&self, message: &Outgoing) -> Delivery {
        let entities: Vec<MessageEntity> = message
            .spans
            .iter()
            .map(|s| MessageEntity {
                kind: s.kind.clone(),
                offset: s.offset,
                length: s.length,
            })
            .collect();
        for _ in 0..=RETRIES {
            tokio::time::sleep_until(self.slot(message.chat)).await;
            let mut request = self
                .bot
                .send_message(ChatId(message.chat), message.text.clone());
            if !entities.is_empty() {
                request = request.entities(entities.clone());
            }
            if let Some(buttons) = &message.buttons {
                request = request.reply_markup(buttons.clone());
            }
            match request.send().await {
                Ok(_) => return Delivery::Sent,
                Err(RequestError::RetryAfter(seconds)) if seconds.duration() <= LONGEST_WAIT => {
                    tokio::time::sleep(seconds.duration()).await;
                }
                Err(RequestError::Api(
                    ApiError::BotBlocked
                    | ApiError::UserDeactivated
                    | ApiError::BotKicked
                    | ApiError::BotKickedFromSupergroup
                    | ApiError::BotKickedFromChannel
                    | ApiError::CantInitiateConversation,
                )) => {
                    self.blocked(message.chat).await;
                    return Delivery::Blocked;
                }
                Err(error) => {
                    tracing::warn!(error = %super::described(&error), "a message was not sent");
                    return Delivery::Failed;
                }
            }
        }
        tracing::warn!("a message was not sent: the Bot API kept asking to wait");
        Delivery::Failed
    }

    /// Sends messages to one chat in order, stopping at the first not sent; what became of them.
    pub async fn send_all(&self, messages: &[Outgoing]) -> Delivery {
        for message in messages {
            let delivery = self.send(message).await;
            if delivery != Delivery::Sent {
                return delivery;
            }
        }
        Delivery::Sent
    }

    /// A chat that blocked the bot (or is gone) is watched for no more.
    async fn blocked(&self, chat: i64) {
        match self.store.unwatch(chat, None).await {
            Ok(removed) => {
                tracing::info!(removed, "a chat blocked the bot: its watches are removed");
            }
            Err(error) => tracing::warn!(%error, "the watches of a chat that blocked the bot stay"),
        }
    }
}
