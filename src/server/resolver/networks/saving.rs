//! What the networks said, kept in the store in the background: answers that come together are
//! written together.

use std::{collections::HashMap, sync::Arc, time::Duration};

use super::{lock, Answered, Net, Networks};
use crate::domain::sources::NetworkFacts;

/// What one network said of some products at one time, waiting for the store.
pub(super) struct Waiting {
    net: Net,
    answers: Answered,
    at: i64,
}

/// Answers waiting for the store, and whether a writer is at work on them.
#[derive(Default)]
pub(super) struct Unsaved {
    waiting: Vec<Waiting>,
    writing: bool,
}

impl Networks {
    /// Keeps what a network said in the store, in the background (a check never waits for it):
    /// answers that come together are written together, so that a burst of a thousand answers
    /// is a few writes, not a thousand queued in front of every other check's questions.
    pub(super) fn keep(
        self: &Arc<Self>,
        net: Net,
        answers: Vec<(String, Option<NetworkFacts>)>,
        at: i64,
    ) {
        if self.store.is_none() || answers.is_empty() {
            return;
        }
        let start = {
            let mut unsaved = lock(&self.unsaved);
            unsaved.waiting.push(Waiting { net, answers, at });
            !std::mem::replace(&mut unsaved.writing, true)
        };
        if start {
            let this = self.clone();
            tokio::spawn(async move { this.write_unsaved().await });
        }
    }

    /// Writes what [`Self::keep`] gathered, a batch a network and second, until none is left.
    async fn write_unsaved(self: Arc<Self>) {
        let Some(store) = self.store.clone() else {
            return;
        };
        loop {
            // Answers arriving meanwhile join this batch.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let batch = {
                let mut unsaved = lock(&self.unsaved);
                if unsaved.waiting.is_empty() {
                    unsaved.writing = false;
                    return;
                }
                std::mem::take(&mut unsaved.waiting)
            };
            let mut groups: HashMap<(Net, i64), Answered> = HashMap::new();
            for Waiting { net, answers, at } in batch {
                groups.entry((net, at)).or_default().extend(answers);
            }
            for ((net, at), answers) in groups {
                if let Err(error) = store.store_network_answers(net.key(), &answers, at).await {
                    tracing::warn!(%error, "network answers not kept in the store");
                }
            }
        }
    }
}
