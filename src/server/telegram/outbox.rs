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

/// Between two messages to any chats: a thirtieth of a second (rounded up, so that no second
/// holds a 31st), 30 messages a second in all.
const GAP: Duration = Duration::from_nanos(1_000_000_000 / 30 + 1);
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

/// The messages' times: a grid of [`GAP`]-long places from `epoch`, one message a place, so
/// that no second holds more than 30 whichever chats they go to; and each chat's next time.
struct Pace {
    epoch: Instant,
    /// Places taken (those past are forgotten).
    taken: std::collections::BTreeSet<u64>,
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
                epoch: Instant::now(),
                taken: std::collections::BTreeSet::new(),
                chats: HashMap::new(),
            }),
        }
    }

    /// When a message to `chat` may go: the first free place at or after its chat's next time
    /// (a chat's later messages hold no other chat's).
    fn slot(&self, chat: i64) -> Instant {
        let mut pace = self
            .pace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if pace.chats.len() > 10_000 {
            pace.chats.retain(|_, at| *at > now);
        }
        let place_of = |at: Instant, epoch: Instant| {
            let nanos = at.saturating_duration_since(epoch).as_nanos();
            u64::try_from(nanos.div_ceil(GAP.as_nanos())).unwrap_or(u64::MAX)
        };
        let past = place_of(now, pace.epoch);
        pace.taken = pace.taken.split_off(&past);
        let chat_next = pace.chats.get(&chat).copied().unwrap_or(now).max(now);
        let mut place = place_of(chat_next, pace.epoch);
        while pace.taken.contains(&place) {
            place += 1;
        }
        pace.taken.insert(place);
        let nanos = u64::try_from(GAP.as_nanos()).unwrap_or(u64::MAX);
        let at = pace.epoch + Duration::from_nanos(place.saturating_mul(nanos));
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
        // 90 messages to 90 chats: three seconds' worth.
        let slots: Vec<Duration> = (0..90).map(|chat| outbox.slot(chat) - start).collect();
        for (i, at) in slots.iter().enumerate() {
            let within = slots[i..]
                .iter()
                .take_while(|t| **t < *at + Duration::from_secs(1))
                .count();
            assert!(within <= 30, "{within} messages in the second from {at:?}");
        }
        assert!(slots[89] < Duration::from_secs(3), "{:?}", slots[89]);
        // One chat: a message a second.
        let one: Vec<Duration> = (0..3).map(|_| outbox.slot(7) - start).collect();
        assert!(
            one[1] - one[0] >= PER_CHAT && one[2] - one[1] >= PER_CHAT,
            "{one:?}"
        );
        // Another chat is not held behind it.
        assert!(
            outbox.slot(1000) - start < one[1],
            "a chat waits for no other chat's pace"
        );
    }
}
