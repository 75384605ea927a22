//! Watching products (docs/telegram-bot.md, "Watching"): a product's answer changes at the
//! stand-in Open Platform and, with a 2-second interval, the chat hears of it once; nothing is
//! sent when nothing changed; a restart keeps the watch; a 429 or a failed call never loses an
//! alert; a chat that blocked the bot loses its watches; two instances on one PostgreSQL send
//! an alert once. Every instance runs as a process would (`common::bot_instance`).

use std::time::Duration;

use crate::common::{
    bot_instance::{command, world, Instance, Keep},
    eventually::eventually_some,
    fake_gateway::{FakeGateway, FakeProduct},
    fake_telegram::FakeTelegram,
    pg,
};

/// The hot-sale lamp of the standard products.
const LAMP: &str = "1005005248414510";
const CHAT: i64 = 4242;
const INTERVAL: &[(&str, &str)] = &[("LINKSMITH_WATCH_INTERVAL", "2")];

/// A folder of its own and the SQLite file in it.
fn store_file(line: u32) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("linksmith-watch-{}-{line}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bot.db");
    (dir, db)
}

/// The texts sent to the chat so far.
fn texts(fake: &FakeTelegram) -> Vec<String> {
    fake.sent()
        .iter()
        .filter(|m| m["chat_id"] == CHAT)
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits until a sent text matches, and returns every text so far.
async fn until_sent(fake: &FakeTelegram, what: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    eventually_some(what, Duration::from_secs(20), async || {
        let t = texts(fake);
        t.iter().any(|t| pred(t)).then_some(t)
    })
    .await
}

/// Watches the lamp (a hot sale at 12.5%) from the chat.
async fn watch_lamp(fake: &FakeTelegram) {
    fake.push_message(command(
        &format!("/watch https://aliexpress.com/item/{LAMP}.html?spm=x"),
        "en",
    ));
    until_sent(fake, "the watch is taken", |t| {
        t.starts_with("Watching Desk lamp")
    })
    .await;
}

/// The hot sale of the lamp ends: it is an affiliate product at 5%.
fn end_hot_sale(gateway: &FakeGateway) {
    gateway.add(
        LAMP,
        FakeProduct {
            commission: "5.0%",
            hot: None,
            title: "Desk lamp",
            category: "Lights & Lighting",
        },
    );
}

fn alerts(fake: &FakeTelegram) -> Vec<String> {
    texts(fake)
        .into_iter()
        .filter(|t| t.starts_with("Changes to the products you watch:"))
        .collect()
}

#[tokio::test]
async fn a_hot_sale_ending_is_told_once_and_a_product_leaving_the_programme_too() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, INTERVAL);
    watch_lamp(&fake).await;
    // Rounds with nothing changed say nothing.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(alerts(&fake).is_empty(), "{:?}", texts(&fake));
    end_hot_sale(&gateway);
    let sent = until_sent(&fake, "the change is told", |t| {
        t.contains("Hot sale ended")
    })
    .await;
    let alert = sent.iter().find(|t| t.contains("Hot sale ended")).unwrap();
    assert_eq!(
        alert,
        &format!(
            "Changes to the products you watch:\nHot sale ended: Desk lamp, 12.5% → 5%\nhttps://aliexpress.com/item/{LAMP}.html"
        )
    );
    // Told once: later rounds find nothing new.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(alerts(&fake).len(), 1, "{:?}", texts(&fake));
    // Out of the programme.
    gateway.remove(LAMP);
    until_sent(&fake, "the product's leaving is told", |t| {
        t.contains("Left the programme: Desk lamp")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(alerts(&fake).len(), 2, "{:?}", texts(&fake));
    // /watching shows the last known answer.
    fake.push_message(command("/watching", "en"));
    let sent = until_sent(&fake, "the list", |t| {
        t.starts_with("You watch 1 products:")
    })
    .await;
    let list = sent.iter().find(|t| t.starts_with("You watch")).unwrap();
    assert!(
        list.contains("Desk lamp — not in the programme") || list.contains("Desk lamp — "),
        "{list}"
    );
}

#[tokio::test]
async fn a_restart_keeps_the_watch_and_the_alert_comes_in_the_chats_language() {
    let (fake, gateway) = world().await;
    let (dir, db) = store_file(line!());
    let first = Instance::start(Keep::Sqlite(db.clone()), &fake.base, &gateway, INTERVAL);
    fake.push_message(command(
        &format!("/watch https://aliexpress.ru/item/{LAMP}.html"),
        "ru",
    ));
    until_sent(&fake, "the watch is taken", |t| {
        t.starts_with("Отслеживаю Desk lamp")
    })
    .await;
    first.stop();
    end_hot_sale(&gateway);
    let _second = Instance::start(Keep::Sqlite(db), &fake.base, &gateway, INTERVAL);
    let sent = until_sent(&fake, "the restarted instance tells the change", |t| {
        t.contains("Hot sale закончился")
    })
    .await;
    let alert = sent
        .iter()
        .find(|t| t.contains("Hot sale закончился"))
        .unwrap();
    assert!(
        alert.starts_with("Изменения в отслеживаемых товарах:"),
        "{alert}"
    );
    assert!(alert.contains("12.5% → 5%"), "{alert}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_429_or_a_failed_call_never_loses_an_alert_nor_sends_it_twice() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, INTERVAL);
    watch_lamp(&fake).await;
    // The alert's first call is refused 429 (waited out), then the next round's call fails 500:
    // the change is told again until it is sent, once.
    fake.refuse_next(1);
    end_hot_sale(&gateway);
    until_sent(&fake, "the alert after a 429", |t| {
        t.contains("Hot sale ended")
    })
    .await;
    assert_eq!(fake.refused(), 1);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(alerts(&fake).len(), 1, "{:?}", texts(&fake));
    // A 5xx: teloxide waits 10 s before it reports it, as it does with the real Bot API.
    fake.fail_next(1);
    gateway.remove(LAMP);
    eventually_some(
        "the alert after a failed call",
        Duration::from_secs(40),
        async || {
            texts(&fake)
                .iter()
                .any(|t| t.contains("Left the programme"))
                .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(alerts(&fake).len(), 2, "{:?}", texts(&fake));
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_loses_its_watches() {
    let (fake, gateway) = world().await;
    let (dir, db) = store_file(line!());
    let bot = Instance::start(Keep::Sqlite(db.clone()), &fake.base, &gateway, INTERVAL);
    watch_lamp(&fake).await;
    fake.block(CHAT);
    end_hot_sale(&gateway);
    let kept = linksmith::server::store::Catalog::open(&db).unwrap();
    eventually_some(
        "the watches are removed",
        Duration::from_secs(20),
        async || kept.watches(CHAT).unwrap().is_empty().then_some(()),
    )
    .await;
    bot.stop();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn two_instances_on_one_postgresql_poll_one_at_a_time_and_send_an_alert_once() {
    let Some(base) = pg::pg_base() else { return };
    let url = pg::fresh_database(&base, "bot_watch").await;
    let (fake, gateway) = world().await;
    let a = Instance::start(Keep::Postgres(url.clone()), &fake.base, &gateway, INTERVAL);
    let b = Instance::start(Keep::Postgres(url.clone()), &fake.base, &gateway, INTERVAL);
    watch_lamp(&fake).await;
    end_hot_sale(&gateway);
    until_sent(&fake, "the change is told", |t| {
        t.contains("Hot sale ended")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(alerts(&fake).len(), 1, "{:?}", texts(&fake));
    assert_eq!(fake.conflicts(), 0, "never two getUpdates at once");
    // The polling instance stops: the other takes over within a minute (its lock wait).
    a.stop();
    fake.push_message(command("/watching", "en"));
    eventually_some(
        "the other instance answers",
        Duration::from_secs(60),
        async || {
            texts(&fake)
                .iter()
                .any(|t| t.starts_with("You watch 1 products:"))
                .then_some(())
        },
    )
    .await;
    drop(b);
}
