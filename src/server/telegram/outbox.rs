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

/// Messages in any second, to every chat together.
const PER_SECOND: usize = 30;
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

/// The pace of the messages: when each of the last 30 went (any second holds at most 30), and
/// when the next may go to each chat.
struct Pace {
    sent: std::collections::VecDeque<Instant>,
    /// Chats whose time has passed are forgotten.
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
                sent: std::collections::VecDeque::with_capacity(PER_SECOND),
                chats: HashMap::new(),
            }),
        }
    }

    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When the next message to `chat` may go: a second after the one before it (a chat's later
    /// messages hold no other chat's).
    fn chat_turn(&self, chat: i64) -> Instant {
        let mut pace = self.pace();
        let now = Instant::now();
        if pace.chats.len() > 10_000 {
            pace.chats.retain(|_, at| *at > now);
        }
        let at = pace.chats.get(&chat).copied().unwrap_or(now).max(now);
        pace.chats.insert(chat, at + PER_CHAT);
        at
    }

    /// Waits until a message may go without a second holding more than 30, and counts it.
    async fn global_turn(&self) {
        loop {
            let wait = {
                let mut pace = self.pace();
                let now = Instant::now();
                while pace
                    .sent
                    .front()
                    .is_some_and(|at| *at + Duration::from_secs(1) <= now)
                {
                    pace.sent.pop_front();
                }
                if pace.sent.len() < PER_SECOND {
                    pace.sent.push_back(now);
                    return;
                }
                pace.sent
                    .front()
                    .copied()
                    .map(|at| at + Duration::from_secs(1))
            };
            if let Some(at) = wait {
                tokio::time::sleep_until(at).await;
            }
        }
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
            let at = self.chat_turn(message.chat);
            // Not even a timer when the chat's turn is now (a timer waits a millisecond).
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            self.global_turn().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> Outbox {
        let store: SharedStore =
            std::sync::Arc::new(crate::server::store::Catalog::in_memory().unwrap());
        Outbox::new(Bot::new("1:unused"), store)
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_30_messages_and_a_chat_gets_one_a_second() {
        let outbox = outbox();
        let start = Instant::now();
        // 90 messages: three seconds' worth, the first 30 at once.
        let mut sent = Vec::new();
        for _ in 0..90 {
            outbox.global_turn().await;
            sent.push(Instant::now() - start);
        }
        for (i, at) in sent.iter().enumerate() {
            let within = sent[i..]
                .iter()
                .take_while(|t| **t < *at + Duration::from_secs(1))
                .count();
            assert!(within <= 30, "{within} messages in the second from {at:?}");
        }
        assert_eq!(sent[29], Duration::ZERO, "30 go at once");
        assert!(sent[89] <= Duration::from_secs(2), "{:?}", sent[89]);
        // One chat: a message a second; another chat is not held behind it.
        let one: Vec<Instant> = (0..3).map(|_| outbox.chat_turn(7)).collect();
        assert!(
            one[1] - one[0] >= PER_CHAT && one[2] - one[1] >= PER_CHAT,
            "{one:?}"
        );
        assert_eq!(outbox.chat_turn(8), Instant::now());
    }
}
