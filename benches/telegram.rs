//! The bot's throughput (docs/PERFORMANCE.md, "The bot"), on loopback against the stand-ins:
//!
//! 1. A 4,096-character post with 50 AliExpress links, rewritten by the bot (update in, the
//!    reply's first part accepted by the Bot API stand-in; its later parts wait the Bot API's
//!    per-chat pace of one message a second, by design), against the same 50 links through
//!    `POST /api/v1/check/batch`, the sources answering from memory; medians of the same run
//!    and their ratio (goal: within 1.2x).
//! 2. A round over 10,000 watched products (100 chats of 100), every product's hot sale ended
//!    at the Open Platform stand-in: the round's time, the Open Platform calls, the alerts sent,
//!    and the process's memory before and after.
//!
//!     cargo bench --bench telegram --features ssr

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{fake_gateway::FakeProduct, fake_telegram};
use linksmith::{
    domain::{rates::Status, watch::Snapshot},
    server::{
        fair::Ceiling,
        resolver::ResolverConfig,
        store::{self, Watch, Watched},
        telegram, AppState,
    },
};
use serde_json::{json, Value};

const RUNS: usize = 15;
const LINKS: usize = 50;
const CHATS: i64 = 100;
const PER_CHAT: usize = 100;
const FIRST_ID: u64 = 1_005_009_000_000_000;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The process's resident memory now and at its peak, in MiB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A post of exactly 4,096 UTF-16 units holding the 50 links, each on a line with words.
fn post(links: &[String]) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    for (i, link) in links.iter().enumerate() {
        let _ = writeln!(text, "🔥 Deal {i}: {link}");
    }
    let len = text.encode_utf16().count();
    assert!(len < 4096, "{len}");
    text.push_str(&"·".repeat(4096 - len));
    text
}

#[tokio::main]
async fn main() {
    let gateway = common::fake_gateway::start(common::GATEWAY_KEY, common::GATEWAY_SECRET).await;
    gateway.answer_any_id_with(FakeProduct {
        commission: "6.0%",
        hot: Some("12.5%"),
        title: "Benchmark lamp",
        category: "Lights & Lighting",
    });
    let fake = fake_telegram::start().await;
    let base = fake.base.clone();
    let settings = telegram::BotSettings::from_settings(&|name: &str| match name {
        "TELEGRAM_BOT_TOKEN" => Some(fake_telegram::TOKEN.into()),
        "TELEGRAM_API_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    let mut config = common::api_config(Some(common::bot_instance::TEMPLATE));
    config.telegram = Some(settings.clone());
    // The round's own cost, not the Open Platform's default ceiling (300 a minute, of which the
    // rounds take half: 10,000 products are 500 calls, about four minutes at that pace).
    config.ceilings.api = Ceiling::per_minute(600_000);
    let api = common::gateway_client(gateway.url(), Duration::from_millis(1500));
    let store: store::SharedStore = Arc::new(store::Catalog::in_memory().unwrap());
    let state = AppState::with_sources(
        config,
        Some(api),
        store.clone(),
        None,
        ResolverConfig::default(),
    );
    let server = common::start_state(state.clone()).await;
    let tg = telegram::start(state.clone(), settings).await;
    tokio::spawn({
        let tg = tg.clone();
        async move { telegram::take_updates(&tg).await }
    });

    // 1. A post of 50 links against the batch API.
    let links: Vec<String> = (0..LINKS as u64)
        .map(|i| format!("https://aliexpress.ru/item/{}.html", FIRST_ID + 50_000 + i))
        .collect();
    let text = post(&links);
    let client = common::client();
    let batch = || {
        let (client, url, links) = (
            client.clone(),
            server.url("/api/v1/check/batch"),
            links.clone(),
        );
        async move {
            let started = Instant::now();
            let res = client
                .post(url)
                .json(&json!({ "urls": links }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["results"].as_array().unwrap().len(), LINKS);
            started.elapsed()
        }
    };
    batch().await; // the sources answer from memory from now on
    let (mut batches, mut posts) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        batches.push(batch().await);
        let chat = 50_000 + run as i64;
        let mut message = json!({
            "message_id": 1, "date": 1_765_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Bench"},
            "from": {"id": chat, "is_bot": false, "first_name": "Bench", "language_code": "en"},
            "text": text
        });
        message["entities"] = json!([]);
        let started = Instant::now();
        fake.push_message(message);
        loop {
            if fake.sent().iter().any(|m| m["chat_id"] == chat) {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        posts.push(started.elapsed());
    }
    let (b, p) = (median(batches), median(posts));
    println!(
        "post of {LINKS} links, 4,096 characters (first part out): median {} over {RUNS} runs",
        ms(p)
    );
    println!(
        "the same {LINKS} links through /api/v1/check/batch:       median {}",
        ms(b)
    );
    println!(
        "ratio post / batch: {:.2}x (goal: within 1.2x)",
        p.as_secs_f64() / b.as_secs_f64()
    );

    // 2. A round over 10,000 watched products.
    let hot = Snapshot {
        status: Status::HotSale,
        exact_milli: Some(6_000),
        hot_milli: Some(12_500),
        available: Some(true),
        title: Some("Benchmark lamp".into()),
    };
    let mut n = 0u64;
    for chat in 1..=CHATS {
        for _ in 0..PER_CHAT {
            let id = FIRST_ID + n;
            n += 1;
            let watch = Watch {
                chat,
                product_id: id.to_string(),
                country: "US".into(),
                link: format!("https://aliexpress.com/item/{id}.html"),
                last: Some(hot.clone()),
                created_at: 0,
                checked_at: 0,
            };
            assert_eq!(
                store.add_watch(&watch, PER_CHAT).await.unwrap(),
                Watched::Added
            );
        }
    }
    gateway.answer_any_id_with(FakeProduct {
        commission: "6.0%",
        hot: None,
        title: "Benchmark lamp",
        category: "Lights & Lighting",
    });
    let sent_before = fake.sent().len();
    let calls_before = gateway.calls();
    let (rss_before, _) = memory();
    let started = Instant::now();
    let report = tg.round_now().await;
    let took = started.elapsed();
    let (rss_after, peak) = memory();
    let calls = gateway.calls() - calls_before;
    let sent = fake.sent().len() - sent_before;
    println!(
        "round over {} watched products ({CHATS} chats): {:.1} s ({:.1} s checking, {:.1} s telling), {} checked, {} alerts ({sent} messages, paced at 30 a second), {calls} Open Platform calls ({:.1} products a call), no other source configured",
        CHATS as usize * PER_CHAT,
        took.as_secs_f64(),
        report.checking.as_secs_f64(),
        report.telling.as_secs_f64(),
        report.checked,
        report.alerts,
        report.checked as f64 / calls.max(1) as f64,
    );
    println!("memory: {rss_before:.0} MiB before the round, {rss_after:.0} MiB after, peak {peak:.0} MiB");
    drop(server);
}
