//! The bot against a stand-in Bot API on loopback (`common::fake_telegram`): long polling, a post's
//! links rewritten with every entity kept on its words (UTF-16 offsets, emoji before the links),
//! the summary, a 429 waited out, the language, and settings refused at start.

use std::time::Duration;

use linksmith::server::{telegram, AppState};
use serde_json::{json, Value};

use crate::common::{self, eventually::eventually_some, fake_telegram};

const TEMPLATE: &str = "https://aff.example/r?to={url}&sub={sub}";

/// The bot of a server with a link template, polling the stand-in.
async fn bot() -> fake_telegram::FakeTelegram {
    let fake = fake_telegram::start().await;
    let base = fake.base.clone();
    let settings = telegram::BotSettings::from_settings(&|name: &str| match name {
        "TELEGRAM_BOT_TOKEN" => Some(fake_telegram::TOKEN.to_string()),
        "TELEGRAM_API_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap()
    .expect("a token is set");
    let state = AppState::in_memory(common::api_config(Some(TEMPLATE)));
    tokio::spawn(telegram::run(state, settings));
    fake
}

pub fn message(text: &str, entities: Value, language: &str) -> Value {
    json!({
        "message_id": 7, "date": 1_765_000_000,
        "chat": {"id": 4242, "type": "private", "first_name": "Webmaster"},
        "from": {"id": 4242, "is_bot": false, "first_name": "Webmaster", "language_code": language},
        "text": text, "entities": entities
    })
}

pub fn units(text: &str, part: &str) -> usize {
    text[..text.find(part).unwrap()].encode_utf16().count()
}

pub fn len16(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The words an entity of `sent` covers, read through UTF-16 as Telegram does.
pub fn covered(sent: &Value, entity: &Value) -> String {
    let text: Vec<u16> = sent["text"].as_str().unwrap().encode_utf16().collect();
    let (o, l) = (
        entity["offset"].as_u64().unwrap() as usize,
        entity["length"].as_u64().unwrap() as usize,
    );
    String::from_utf16(&text[o..o + l]).unwrap()
}

pub async fn sent_after(fake: &fake_telegram::FakeTelegram, n: usize) -> Vec<Value> {
    eventually_some("the bot answers", Duration::from_secs(20), async || {
        let sent = fake.sent();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

#[tokio::test]
async fn a_post_with_emoji_comes_back_with_affiliate_links_and_its_formatting() {
    let fake = bot().await;
    let link = "https://aliexpress.ru/item/1005006295880104.html?spm=a2g0o&aff_fcid=someone";
    let text = format!(
        "🔥🔥 Hot: cable here and {link} 👍🏽 s.click https://s.click.aliexpress.com/e/_abc done"
    );
    let entities = json!([
        {"type": "bold", "offset": units(&text, "Hot"), "length": 3},
        {"type": "text_link", "offset": units(&text, "cable"), "length": 10,
         "url": "https://aliexpress.com/item/1005001234567890.html"},
        {"type": "spoiler", "offset": units(&text, "and"), "length": 4 + len16(link)},
        {"type": "url", "offset": units(&text, link), "length": len16(link)},
        {"type": "italic", "offset": units(&text, "done"), "length": 4}
    ]);
    fake.push_message(message(&text, entities, "en"));
    let sent = sent_after(&fake, 1).await;
    let reply = &sent[0];
    assert_eq!(reply["chat_id"], 4242);
    assert!(
        reply.get("parse_mode").is_none(),
        "entities, never a parse mode"
    );
    let out = reply["text"].as_str().unwrap();
    let written =
        "https://aff.example/r?to=https%3A%2F%2Faliexpress.ru%2Fitem%2F1005006295880104.html&sub=";
    assert!(
        out.starts_with(&format!("🔥🔥 Hot: cable here and {written}")),
        "{out}"
    );
    assert!(!out.contains("aff_fcid"), "{out}");
    // The refused short link stays as it was.
    assert!(
        out.contains("s.click https://s.click.aliexpress.com/e/_abc done"),
        "{out}"
    );
    let entities = reply["entities"].as_array().unwrap();
    let words: Vec<String> = entities.iter().map(|e| covered(reply, e)).collect();
    assert_eq!(
        words,
        [
            "Hot",
            "cable here",
            &format!("and {written}"),
            written,
            "done"
        ]
    );
    assert_eq!(
        entities[1]["url"],
        "https://aff.example/r?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005001234567890.html&sub="
    );
    // The summary: a line per AliExpress link, in the order of the text.
    let summary = out.split("\n\n").last().unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 3, "{summary}");
    assert!(
        lines[0].starts_with("https://aliexpress.com/item/1005001234567890.html — unknown"),
        "{summary}"
    );
    assert!(
        lines[1].starts_with("https://aliexpress.ru/item/1005006295880104.html — unknown"),
        "{summary}"
    );
    assert!(
        lines[2].starts_with("https://s.click.aliexpress.com/e/_abc — "),
        "{summary}"
    );
    assert!(lines[2].contains("s.click"), "{summary}");
}

#[tokio::test]
async fn a_long_post_is_split_at_line_ends_within_4096_characters_and_a_429_is_waited_out() {
    let fake = bot().await;
    fake.refuse_next(1);
    let line = "🔥 Great cable https://aliexpress.com/item/1005006295880104.html\n";
    let text = line.repeat(60); // grows past 4,096 UTF-16 units once rewritten
    let entities: Vec<Value> = (0..60)
        .map(|i| json!({"type": "bold", "offset": i * len16(line) + 3, "length": 5}))
        .collect();
    fake.push_message(message(&text, json!(entities), "en"));
    let sent = sent_after(&fake, 2).await;
    assert_eq!(fake.refused(), 1, "the 429 was answered");
    // Every part within the limit, at line ends, entities on "Great" wherever they landed.
    let mut bold = 0;
    for part in &sent {
        let t = part["text"].as_str().unwrap();
        assert!(len16(t) <= 4096);
        for e in part["entities"].as_array().into_iter().flatten() {
            assert_eq!(covered(part, e), "Great");
            bold += 1;
        }
    }
    assert_eq!(bold, 60);
    assert!(sent[0]["text"].as_str().unwrap().ends_with('\n'));
}

#[tokio::test]
async fn russian_users_are_answered_in_russian_and_a_post_without_links_gets_a_hint() {
    let fake = bot().await;
    fake.push_message(message("Просто текст без ссылок 🔥", json!([]), "ru"));
    let sent = sent_after(&fake, 1).await;
    assert!(sent[0]["text"]
        .as_str()
        .unwrap()
        .contains("нет ссылок AliExpress"));
    fake.push_message(message(
        "/help",
        json!([{"type": "bot_command", "offset": 0, "length": 5}]),
        "en",
    ));
    let sent = sent_after(&fake, 2).await;
    let help = sent[1]["text"].as_str().unwrap();
    assert!(
        help.contains("not related to AliExpress or Alibaba Group"),
        "{help}"
    );
}

#[test]
fn a_bad_token_or_address_stops_the_server_at_start_without_repeating_the_token() {
    let with = |token: &'static str, url: &'static str| {
        telegram::BotSettings::from_settings(&move |name: &str| match name {
            "TELEGRAM_BOT_TOKEN" => Some(token.to_string()),
            "TELEGRAM_API_URL" if !url.is_empty() => Some(url.to_string()),
            _ => None,
        })
    };
    let err = with("not a token secret-part", "").unwrap_err().to_string();
    assert!(
        err.contains("TELEGRAM_BOT_TOKEN") && !err.contains("secret-part"),
        "{err}"
    );
    let err = with("123:abc", "http://api.example")
        .unwrap_err()
        .to_string();
    assert!(err.contains("TELEGRAM_API_URL"), "{err}");
    assert!(with("123:abc", "").unwrap().is_some());
    let none = telegram::BotSettings::from_settings(&|_: &str| None).unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn check_shows_one_link_in_detail_with_an_estimate_and_refuses_a_bad_amount() {
    let fake = bot().await;
    let command = |text: &str| {
        let first = text.split_whitespace().next().unwrap();
        message(
            text,
            json!([{"type": "bot_command", "offset": 0, "length": len16(first)}]),
            "en",
        )
    };
    fake.push_message(command(
        "/check https://aliexpress.com/item/1005006295880104.html?aff_fcid=x 25",
    ));
    let sent = sent_after(&fake, 1).await;
    let detail = sent[0]["text"].as_str().unwrap();
    let lines: Vec<&str> = detail.lines().collect();
    assert_eq!(
        lines[0], "https://aliexpress.com/item/1005006295880104.html",
        "{detail}"
    );
    assert!(lines[1].starts_with("Status: unknown ("), "{detail}");
    assert!(lines[2].starts_with("Rate band: "), "{detail}");
    assert!(detail.contains("\nEstimate for $25.00: "), "{detail}");
    assert!(detail.contains("\nCookie: "), "{detail}");
    assert!(
        lines.last().unwrap().starts_with(
            "Your link: https://aff.example/r?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html"
        ),
        "{detail}"
    );
    fake.push_message(command(
        "/check https://aliexpress.com/item/1005006295880104.html twelve",
    ));
    let sent = sent_after(&fake, 2).await;
    assert!(
        sent[1]["text"]
            .as_str()
            .unwrap()
            .contains("\"twelve\" is not an amount"),
        "{sent:?}"
    );
    fake.push_message(command("/check"));
    let sent = sent_after(&fake, 3).await;
    assert!(sent[2]["text"]
        .as_str()
        .unwrap()
        .starts_with("Send /check with a product link"));
}

#[tokio::test]
async fn in_a_group_only_commands_addressed_to_the_bot_are_answered() {
    let fake = bot().await;
    let group = |text: &str| {
        json!({
            "message_id": 9, "date": 1_765_000_000,
            "chat": {"id": -100_777, "type": "group", "title": "Team"},
            "from": {"id": 4242, "is_bot": false, "first_name": "Webmaster", "language_code": "en"},
            "text": text
        })
    };
    // The group's own talk, a command without an address and one to another bot: not the bot's.
    fake.push_message(group(
        "look https://aliexpress.com/item/1005006295880104.html",
    ));
    fake.push_message(group("/help"));
    fake.push_message(group(
        "/check@other_bot https://aliexpress.com/item/1005006295880104.html",
    ));
    fake.push_message(group(
        "/check@linksmith_test_bot https://aliexpress.com/item/1005006295880104.html",
    ));
    let sent = sent_after(&fake, 1).await;
    assert_eq!(sent[0]["chat_id"], -100_777);
    assert!(sent[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("https://aliexpress.com/item/1005006295880104.html\nStatus:"));
    // A private message after them: its answer comes second, nothing else was sent.
    fake.push_message(message("/help", json!([]), "en"));
    let sent = sent_after(&fake, 2).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["chat_id"], 4242);
}
