//! The rounds over watched products: every `LINKSMITH_WATCH_INTERVAL` each watched product is
//! checked again and each chat is told, in one message, what changed. A round runs on one
//! instance at a time (a lock in the store), checks through the service as the rounds' own client
//! (at most half of each source's calls, after every waiting client), and keeps a product's new
//! answer only once its chat has been told: an alert that could not be sent is sent again by the
//! next round.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use futures::{stream, StreamExt};

use super::{
    outbox::{Delivery, Outgoing},
    watching::rate,
    Telegram,
};
use crate::{
    domain::{
        check::{Outcome, RawOptions},
        lang::Lang,
        rates::Status,
        watch::{Change, Snapshot},
        words::say,
    },
    server::{fair::Allowance, limit::Caller, store::Watch, words},
};

/// Watches read from the store at once in a round.
const PAGE: usize = 2000;
/// Products checked at once in a round: three Open Platform calls, which the rounds' half of
/// the default ceiling gives within a check's time budget (a larger batch would wait past it
/// and answer `unknown`).
const ROUND_BATCH: usize = 60;
/// Chats told at once in a round (the outbox paces their messages).
const TELLING_AT_ONCE: usize = 64;
/// The lock one instance holds while it runs a round.
const ROUND_LOCK: &str = "telegram-watch-round";

/// What a reader is told of a product's rate: the hot-sale rate during a hot sale, else the
/// exact rate, else the status word.
fn shown(lang: Lang, s: &Snapshot) -> String {
    let milli = match s.status {
        Status::HotSale => s.hot_milli.or(s.exact_milli),
        _ => s.exact_milli,
    };
    milli.map_or_else(|| s.status.word(lang).to_string(), |m| rate(Some(m)))
}

/// One change as a line of an alert.
fn change_line(
    lang: Lang,
    title: &str,
    before: &Snapshot,
    after: &Snapshot,
    change: &Change,
) -> String {
    let w = &words::of(lang).bot;
    match *change {
        Change::Status {
            to: Status::NonAffiliate | Status::ZeroCommission,
            ..
        } => {
            say!(w.alert_left, title, status = after.status.word(lang))
        }
        Change::Status {
            from: Status::HotSale,
            ..
        } => {
            say!(
                w.alert_hot_ended,
                title,
                from = shown(lang, before),
                to = shown(lang, after)
            )
        }
        Change::Status {
            to: Status::HotSale,
            ..
        } => {
            say!(
                w.alert_hot_started,
                title,
                from = shown(lang, before),
                to = shown(lang, after)
            )
        }
        Change::Status { from, to } => {
            say!(
                w.alert_status,
                title,
                from = from.word(lang),
                to = to.word(lang)
            )
        }
        Change::Exact { from, to } => say!(w.alert_exact, title, from = rate(from), to = rate(to)),
        Change::Hot { from, to } => say!(w.alert_hot, title, from = rate(from), to = rate(to)),
        Change::Available { now: false } => say!(w.alert_gone, title),
        Change::Available { now: true } => say!(w.alert_back, title),
    }
}

/// A watch after this round's check: its new answer to keep, and what changed.
struct Checked {
    watch: Watch,
    changes: Vec<Change>,
    now: Snapshot,
}

/// Runs the rounds while the bot runs: every tick (half the interval, between 1 s and a minute)
/// the instance that takes the round's lock checks the watches that are due.
pub async fn rounds(tg: Arc<Telegram>) {
    let tick =
        (tg.settings.watch_interval / 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        tokio::time::sleep(tick).await;
        let Ok(lock) = tg.state.store.lock(ROUND_LOCK, Duration::ZERO).await else {
            // Another instance runs this round.
            continue;
        };
        let report = round(&tg).await;
        lock.release().await;
        if report.checked > 0 {
            tracing::info!(
                checked = report.checked,
                alerts = report.alerts,
                unsent = report.unsent,
                "watch round"
            );
        }
    }
}

/// A round run now, waiting for the lock of a round under way (tests, measurements).
pub async fn locked_round(tg: &Telegram) -> RoundReport {
    let lock = tg
        .state
        .store
        .lock(ROUND_LOCK, Duration::from_secs(3600))
        .await;
    let report = round(tg).await;
    if let Ok(lock) = lock {
        lock.release().await;
    }
    report
}

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Watched products checked.
    pub checked: usize,
    /// Alerts sent (one message, or a few, per chat).
    pub alerts: usize,
    /// Alerts not sent (to be sent again by the next round).
    pub unsent: usize,
    /// Time spent checking, and telling the chats and keeping the answers.
    pub checking: Duration,
    pub telling: Duration,
}

/// One round: every watch due (checked an interval ago or more) is checked again, and each chat
/// whose products changed gets one message naming every change.
pub async fn round(tg: &Telegram) -> RoundReport {
    let mut report = RoundReport::default();
    let now = tg.state.config.clock.unix();
    let due_before = now - i64::try_from(tg.settings.watch_interval.as_secs()).unwrap_or(i64::MAX);
    let mut seen = std::collections::HashSet::new();
    loop {
        let due = match tg.state.store.due_watches(due_before, PAGE).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "the watches could not be read; the next round tries again");
                break;
            }
        };
        // Watches whose alert was not sent stay due: each is checked once a round.
        let fresh: Vec<Watch> = due
            .into_iter()
            .filter(|w| seen.insert((w.chat, w.product_id.clone(), w.country.clone())))
            .collect();
        if fresh.is_empty() {
            break;
        }
        report.checked += fresh.len();
        let started = tokio::time::Instant::now();
        let checked = check_again(tg, fresh).await;
        let halfway = tokio::time::Instant::now();
        report.checking += halfway - started;
        let (sent, unsent) = tell(tg, checked, now).await;
        report.telling += halfway.elapsed();
        report.alerts += sent;
        report.unsent += unsent;
    }
    report
}

/// Checks watches again through the service (as the rounds' client), by delivery country, in
/// batches of the server's size.
async fn check_again(tg: &Telegram, watches: Vec<Watch>) -> Vec<Checked> {
    let mut by_country: BTreeMap<String, Vec<Watch>> = BTreeMap::new();
    for w in watches {
        by_country.entry(w.country.clone()).or_default().push(w);
    }
    let allowance = Allowance::new(Caller::rounds(), None);
    let batch = tg.state.max_batch().clamp(1, ROUND_BATCH);
    let mut out = Vec::new();
    for (country, watches) in by_country {
        let raw = RawOptions {
            country: Some(country),
            ..RawOptions::default()
        };
        let options = match tg.state.check_options(&raw, Lang::En) {
            Ok(options) => options,
            // A country the rules no longer know: checked for the server's.
            Err(_) => match tg.state.check_options(&RawOptions::default(), Lang::En) {
                Ok(options) => options,
                Err(_) => continue,
            },
        };
        for chunk in watches.chunks(batch) {
            let inputs: Vec<String> = chunk.iter().map(|w| w.link.clone()).collect();
            let outcomes =
                Box::pin(tg.state.check_as(&inputs, &options, Lang::En, &allowance)).await;
            for (watch, outcome) in chunk.iter().zip(outcomes) {
                let now = match &outcome {
                    Outcome::Checked(result) => Snapshot::of(result),
                    Outcome::Failed(_) => Snapshot::unknown(),
                };
                let changes = watch
                    .last
                    .as_ref()
                    .map(|last| last.changes(&now))
                    .unwrap_or_default();
                out.push(Checked {
                    watch: watch.clone(),
                    changes,
                    now,
                });
            }
        }
    }
    out
}

/// Tells each chat what changed, and keeps every watch's new answer, but for the watches of a
/// chat that could not be told (they are checked and told again next round). Alerts sent and
/// not sent.
async fn tell(tg: &Telegram, checked: Vec<Checked>, now: i64) -> (usize, usize) {
    let mut by_chat: BTreeMap<i64, Vec<Checked>> = BTreeMap::new();
    for c in checked {
        by_chat.entry(c.watch.chat).or_default().push(c);
    }
    // Every chat's alert at once: the outbox paces them (30 a second in all, one a second per
    // chat), so a chat's long alert holds no other chat's.
    let told: Vec<(Vec<Checked>, Delivery)> = stream::iter(by_chat)
        .map(|(chat, checked)| async move {
            if checked.iter().all(|c| c.changes.is_empty()) {
                return (checked, Delivery::Sent);
            }
            let lang = chat_lang(tg, chat).await;
            let messages = alert(lang, chat, &checked);
            let delivery = tg.outbox.send_all(&messages).await;
            (checked, delivery)
        })
        .buffer_unordered(TELLING_AT_ONCE)
        .collect()
        .await;
    let (mut sent, mut unsent) = (0, 0);
    let mut keep = Vec::new();
    for (checked, delivery) in told {
        let changed = checked.iter().any(|c| !c.changes.is_empty());
        match delivery {
            Delivery::Sent if changed => sent += 1,
            Delivery::Failed => unsent += 1,
            Delivery::Sent | Delivery::Blocked => {}
        }
        if delivery == Delivery::Sent {
            keep.extend(checked.into_iter().map(|c| {
                let last = match &c.watch.last {
                    Some(last) => last.merged(&c.now),
                    None => c.now.clone(),
                };
                Watch {
                    last: (last.status != Status::Unknown).then_some(last),
                    checked_at: now,
                    ..c.watch
                }
            }));
        }
    }
    if let Err(error) = tg.state.store.save_watch_checks(&keep).await {
        tracing::warn!(%error, "a round's answers were not kept; the next round checks again");
    }
    (sent, unsent)
}

/// The language a round speaks to a chat in: its kept one, else English.
async fn chat_lang(tg: &Telegram, chat: i64) -> Lang {
    tg.state
        .store
        .chat_settings(chat)
        .await
        .ok()
        .and_then(|s| s.lang)
        .as_deref()
        .and_then(Lang::of_tag)
        .unwrap_or_default()
}

/// A chat's alert: a heading, then each changed product's changes and its link, in messages of
/// at most 4,096 characters.
fn alert(lang: Lang, chat: i64, checked: &[Checked]) -> Vec<Outgoing> {
    let w = &words::of(lang).bot;
    let mut text = w.alert_header.to_string();
    for c in checked.iter().filter(|c| !c.changes.is_empty()) {
        let Some(before) = &c.watch.last else {
            continue;
        };
        let after = before.merged(&c.now);
        let title = after.title.clone().unwrap_or_else(|| c.watch.link.clone());
        for change in &c.changes {
            text.push('\n');
            text.push_str(&change_line(lang, &title, before, &after, change));
        }
        text.push('\n');
        text.push_str(&c.watch.link);
    }
    crate::domain::formatted::split::<()>(&text, &[], super::MAX_MESSAGE)
        .into_iter()
        .map(|(text, _)| Outgoing::plain(chat, text))
        .collect()
}
