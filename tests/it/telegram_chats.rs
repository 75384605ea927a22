//! A chat's settings, inline mode, the "Watch" button and the webhook, against the Bot API
//! stand-in (docs/telegram-bot.md): templates learnt from an ePN and an Admitad deep link make
//! the chat's links, `/forget` clears them, `/lang` and `language_code` choose the language;
//! inline queries get one article per AliExpress link; a button's callback watches its product
//! and one the bot did not write gets an error; an update without the webhook's secret is 401.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    common::{
        bot_instance::{command, world, Instance, Keep},
        client,
        eventually::eventually_some,
        fake_telegram::{self, FakeTelegram},
    },
    telegram::message,
};

const CHAT: i64 = 4242;
const CABLE: &str = "1005006295880104";
const EPN_DEEP_LINK: &str = "https://alipromo.com/redirect/cpa/o/sdf8dh3k/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg&erid=2SDnjd";
const ADMITAD_DEEP_LINK: &str = "https://ad.admitad.com/g/1e8d114494b7e165239416525dc3e8/?ulp=https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F1005006295880104.html&subid=tg";

/// Sends `update` and waits for the reply that makes `n` messages in all; its text.
async fn said(fake: &FakeTelegram, update: Value, n: usize) -> String {
    fake.push_message(update);
    let sent = eventually_some("the bot answers", Duration::from_secs(20), async || {
        let sent = fake.sent();
        (sent.len() >= n).then_some(sent)
    })
    .await;
    sent[n - 1]["text"].as_str().unwrap().to_string()
}

/// The first link of a rewritten post.
fn first_link(reply: &str) -> &str {
    reply
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap()
}

#[tokio::test]
async fn templates_learnt_from_epn_and_admitad_deep_links_make_the_chats_links_until_forget() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, &[]);
    let post = || {
        message(
            &format!("Cable https://aliexpress.com/item/{CABLE}.html?aff_fcid=x"),
            json!([]),
            "en",
        )
    };
    // The server's template first.
    let reply = said(&fake, post(), 1).await;
    assert!(
        first_link(&reply).starts_with("https://aff.example/r?to="),
        "{reply}"
    );
    // ePN: the destination becomes {url}, sub becomes {sub}, the ad marking is dropped.
    let reply = said(
        &fake,
        command(&format!("/template {EPN_DEEP_LINK}"), "en"),
        2,
    )
    .await;
    assert!(
        reply.starts_with(
            "Template kept: https://alipromo.com/redirect/cpa/o/sdf8dh3k/?to={url}&sub={sub}"
        ),
        "{reply}"
    );
    assert!(!reply.contains("erid"), "{reply}");
    let reply = said(&fake, command("/sub spring_sale", "en"), 3).await;
    assert_eq!(reply, "Sub-id kept: spring_sale");
    let reply = said(&fake, post(), 4).await;
    assert_eq!(
        first_link(&reply),
        "https://alipromo.com/redirect/cpa/o/sdf8dh3k/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=spring_sale"
    );
    // Admitad: ulp and subid.
    let reply = said(
        &fake,
        command(&format!("/template {ADMITAD_DEEP_LINK}"), "en"),
        5,
    )
    .await;
    assert!(reply.contains("?ulp={url}&subid={sub}"), "{reply}");
    let reply = said(&fake, post(), 6).await;
    assert_eq!(
        first_link(&reply),
        "https://ad.admitad.com/g/1e8d114494b7e165239416525dc3e8/?ulp=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&subid=spring_sale"
    );
    // A country, shown with the rest.
    let reply = said(&fake, command("/country kz", "en"), 7).await;
    assert_eq!(reply, "Delivery country: Kazakhstan");
    let reply = said(&fake, command("/settings", "en"), 8).await;
    assert!(
        reply.contains("Template: https://ad.admitad.com/g/"),
        "{reply}"
    );
    assert!(reply.contains("\nSub-id: spring_sale\n"), "{reply}");
    assert!(
        reply.contains("\nDelivery country: Kazakhstan\n"),
        "{reply}"
    );
    assert!(reply.contains("\nWatched products: 0 of 100"), "{reply}");
    // Refusals say why.
    let reply = said(
        &fake,
        command("/template https://s.click.aliexpress.com/e/_abc", "en"),
        9,
    )
    .await;
    assert!(!reply.starts_with("Template kept"), "{reply}");
    let reply = said(&fake, command("/country Atlantis", "en"), 10).await;
    assert!(!reply.starts_with("Delivery country"), "{reply}");
    // /forget: everything goes, the server's template is back.
    let reply = said(&fake, command("/forget", "en"), 11).await;
    assert!(
        reply.starts_with("Everything kept for this chat is removed"),
        "{reply}"
    );
    let reply = said(&fake, post(), 12).await;
    assert!(
        first_link(&reply).starts_with("https://aff.example/r?to="),
        "{reply}"
    );
    assert!(first_link(&reply).ends_with("&sub="), "{reply}");
    let reply = said(&fake, command("/settings", "en"), 13).await;
    assert!(reply.contains("Template: the server's"), "{reply}");
}

#[tokio::test]
async fn the_language_follows_the_app_until_lang_chooses_one() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, &[]);
    let reply = said(&fake, command("/help", "ru-RU"), 1).await;
    assert!(reply.starts_with("Linksmith заменяет"), "{reply}");
    let reply = said(&fake, command("/lang en", "ru"), 2).await;
    assert_eq!(reply, "Language: English.");
    let reply = said(&fake, command("/help", "ru"), 3).await;
    assert!(reply.starts_with("Linksmith rewrites"), "{reply}");
    assert!(reply.contains("@linksmith_test_bot"), "{reply}");
    let reply = said(&fake, command("/lang ru", "en"), 4).await;
    assert_eq!(reply, "Язык: русский.");
    let reply = said(&fake, command("/lang off", "en"), 5).await;
    assert_eq!(reply, "Language: your Telegram app's.");
    // The commands were registered in both languages, as the Bot API takes them.
    let registered = fake.calls("setmycommands");
    assert_eq!(registered.len(), 2, "{registered:?}");
    assert_eq!(registered[1]["language_code"], "ru");
}

fn inline_query(id: &str, query: &str) -> Value {
    json!({
        "id": id, "query": query, "offset": "",
        "from": {"id": CHAT, "is_bot": false, "first_name": "Webmaster", "language_code": "en"}
    })
}

#[tokio::test]
async fn inline_queries_get_one_article_per_aliexpress_link() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, &[]);
    fake.push_update(
        "inline_query",
        inline_query(
            "q1",
            &format!("https://aliexpress.ru/item/{CABLE}.html and https://aliexpress.com/item/1005005248414510.html https://s.click.aliexpress.com/e/_x https://example.com"),
        ),
    );
    let answer = eventually_some("the inline answer", Duration::from_secs(20), async || {
        fake.calls("answerinlinequery").pop()
    })
    .await;
    assert_eq!(answer["inline_query_id"], "q1");
    assert_eq!(answer["is_personal"], true);
    assert!(answer["cache_time"].as_u64().unwrap() <= 60);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0]["type"], "article");
    assert_eq!(results[0]["title"], "USB-C cable");
    assert_eq!(results[0]["description"], "affiliate, 7%");
    assert_eq!(
        results[0]["input_message_content"]["message_text"],
        format!("https://aff.example/r?to=https%3A%2F%2Faliexpress.ru%2Fitem%2F{CABLE}.html&sub=")
    );
    assert_eq!(results[1]["title"], "Desk lamp");
    // A query with no link gets one article that says so.
    fake.push_update("inline_query", inline_query("q2", "hello"));
    let answer = eventually_some("the second answer", Duration::from_secs(20), async || {
        fake.calls("answerinlinequery")
            .into_iter()
            .find(|a| a["inline_query_id"] == "q2")
    })
    .await;
    assert_eq!(answer["results"][0]["title"], "No AliExpress link");
}

fn callback(id: &str, data: &str) -> Value {
    json!({
        "id": id, "chat_instance": "ci", "data": data,
        "from": {"id": CHAT, "is_bot": false, "first_name": "Webmaster", "language_code": "en"},
        "message": {"message_id": 1, "date": 1_765_000_000,
            "chat": {"id": CHAT, "type": "private", "first_name": "Webmaster"}, "text": "..."}
    })
}

#[tokio::test]
async fn the_watch_button_watches_its_product_and_unknown_buttons_get_an_error() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, &[]);
    said(
        &fake,
        command(
            &format!("/check https://aliexpress.com/item/{CABLE}.html"),
            "en",
        ),
        1,
    )
    .await;
    let reply = &fake.sent()[0];
    let button = &reply["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["text"], "Watch");
    let data = button["callback_data"].as_str().unwrap();
    assert_eq!(data, format!("watch:{CABLE}:US"));
    // A post with one link carries it too; one with two does not.
    said(
        &fake,
        message(
            &format!("one https://aliexpress.com/item/{CABLE}.html"),
            json!([]),
            "en",
        ),
        2,
    )
    .await;
    assert_eq!(
        fake.sent()[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        data
    );
    said(
        &fake,
        message(&format!("https://aliexpress.com/item/{CABLE}.html https://aliexpress.com/item/1005005248414510.html"), json!([]), "en"),
        3,
    )
    .await;
    assert!(fake.sent()[2].get("reply_markup").is_none());
    fake.push_update("callback_query", callback("c1", data));
    let answer = eventually_some(
        "the callback's answer",
        Duration::from_secs(20),
        async || fake.calls("answercallbackquery").pop(),
    )
    .await;
    assert_eq!(answer["callback_query_id"], "c1");
    assert_eq!(answer["text"], "Watching this product.");
    let list = said(&fake, command("/watching", "en"), 4).await;
    assert!(
        list.starts_with("You watch 1 products:\nUSB-C cable — affiliate, 7%"),
        "{list}"
    );
    fake.push_update("callback_query", callback("c2", "delete:everything"));
    let answer = eventually_some("the error", Duration::from_secs(20), async || {
        fake.calls("answercallbackquery")
            .into_iter()
            .find(|a| a["callback_query_id"] == "c2")
    })
    .await;
    assert_eq!(answer["text"], "This button was not made by Linksmith.");
    // /unwatch by id, then nothing is watched.
    let reply = said(&fake, command(&format!("/unwatch {CABLE}"), "en"), 5).await;
    assert_eq!(reply, "Stopped watching 1 products.");
    let reply = said(&fake, command("/watching", "en"), 6).await;
    assert!(reply.starts_with("You watch no product."), "{reply}");
}

#[tokio::test]
async fn the_watch_limit_is_kept() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(
        Keep::Memory,
        &fake.base,
        &gateway,
        &[("LINKSMITH_WATCH_LIMIT", "1")],
    );
    let reply = said(
        &fake,
        command(
            &format!("/watch https://aliexpress.com/item/{CABLE}.html"),
            "en",
        ),
        1,
    )
    .await;
    assert!(reply.starts_with("Watching USB-C cable."), "{reply}");
    let reply = said(
        &fake,
        command(
            &format!("/watch https://aliexpress.com/item/{CABLE}.html"),
            "en",
        ),
        2,
    )
    .await;
    assert_eq!(reply, "You watch USB-C cable already.");
    let reply = said(
        &fake,
        command(
            "/watch https://aliexpress.com/item/1005005248414510.html",
            "en",
        ),
        3,
    )
    .await;
    assert!(
        reply.starts_with("This chat watches 1 products, as many as one chat may"),
        "{reply}"
    );
    let reply = said(
        &fake,
        command("/watch https://aliexpress.com/store/1234", "en"),
        4,
    )
    .await;
    assert!(
        reply.starts_with("Only a product's link can be watched"),
        "{reply}"
    );
}

const SECRET: &str = "s3cret_webhook-token";

#[tokio::test]
async fn a_webhook_update_without_the_secret_is_401_and_with_it_is_answered() {
    let (fake, gateway) = world().await;
    let bot = Instance::start(
        Keep::Memory,
        &fake.base,
        &gateway,
        &[
            (
                "TELEGRAM_WEBHOOK_URL",
                "https://bot.example/telegram/webhook",
            ),
            ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ],
    );
    let hook = eventually_some(
        "the webhook is registered",
        Duration::from_secs(20),
        async || fake.webhook(),
    )
    .await;
    assert_eq!(hook["url"], "https://bot.example/telegram/webhook");
    assert_eq!(hook["secret_token"], SECRET);
    let update = fake.webhook_update("message", command("/help", "en"));
    let url = format!("{}/telegram/webhook", bot.base);
    let http = client();
    for secret in [None, Some("wrong"), Some("s3cret_webhook-tokeN")] {
        let mut request = http.post(&url).json(&update);
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.sent().is_empty(),
        "an update without the secret is not read"
    );
    let answered = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let reply = eventually_some("the answer", Duration::from_secs(20), async || {
        fake.sent().pop()
    })
    .await;
    assert!(reply["text"]
        .as_str()
        .unwrap()
        .starts_with("Linksmith rewrites"));
    // No polling in webhook mode.
    assert!(fake.calls("getupdates").is_empty());
}

#[test]
fn webhook_settings_are_checked_at_start() {
    let with = |vars: &'static [(&'static str, &'static str)]| {
        linksmith::server::telegram::BotSettings::from_settings(&move |name: &str| {
            if name == "TELEGRAM_BOT_TOKEN" {
                return Some(fake_telegram::TOKEN.into());
            }
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_string())
        })
    };
    let err = with(&[(
        "TELEGRAM_WEBHOOK_URL",
        "https://bot.example/telegram/webhook",
    )])
    .unwrap_err()
    .to_string();
    assert!(err.contains("TELEGRAM_WEBHOOK_SECRET"), "{err}");
    let err = with(&[("TELEGRAM_WEBHOOK_SECRET", "abc")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("TELEGRAM_WEBHOOK_URL"), "{err}");
    let err = with(&[
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://bot.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces!"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("A-Z, a-z, 0-9") && !err.contains("has spaces"),
        "{err}"
    );
    let err = with(&[
        (
            "TELEGRAM_WEBHOOK_URL",
            "http://bot.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "abc"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("https"), "{err}");
    let err = with(&[("LINKSMITH_WATCH_INTERVAL", "0")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("LINKSMITH_WATCH_INTERVAL"), "{err}");
    let ok = with(&[
        ("LINKSMITH_WATCH_INTERVAL", "60"),
        ("LINKSMITH_WATCH_LIMIT", "5"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(ok.watch_interval, Duration::from_secs(60));
    assert_eq!(ok.watch_limit, 5);
}

#[tokio::test]
async fn network_short_links_stay_and_updates_the_bot_does_not_use_are_ignored() {
    let (fake, gateway) = world().await;
    let _bot = Instance::start(Keep::Memory, &fake.base, &gateway, &[]);
    // Kinds the bot does not use, and a message with no text (a sticker): nothing is sent.
    let edited = message(
        "edited https://aliexpress.com/item/1005006295880104.html",
        json!([]),
        "en",
    );
    fake.push_update("edited_message", edited);
    fake.push_update(
        "channel_post",
        json!({"message_id": 3, "date": 1_765_000_000, "chat": {"id": -1_001, "type": "channel", "title": "C"},
               "text": "https://aliexpress.com/item/1005006295880104.html"}),
    );
    fake.push_update(
        "message",
        json!({"message_id": 4, "date": 1_765_000_000,
               "chat": {"id": CHAT, "type": "private", "first_name": "Webmaster"},
               "from": {"id": CHAT, "is_bot": false, "first_name": "Webmaster"},
               "sticker": {"file_id": "x", "file_unique_id": "y", "type": "regular", "width": 512, "height": 512,
                           "is_animated": false, "is_video": false}}),
    );
    fake.push_update("my_chat_member_unknown_kind", json!({"anything": 1}));
    // A post with an Admitad link that names no destination: left as written, listed refused.
    let short = "https://alitems.site/g/1e8d114494b7e165239416525dc3e8/";
    let text = format!("Sale {short} and https://aliexpress.com/item/{CABLE}.html");
    let reply = said(&fake, message(&text, json!([]), "en"), 1).await;
    assert!(
        reply.starts_with(&format!("Sale {short} and https://aff.example/r?to=")),
        "{reply}"
    );
    let summary = reply.split("\n\n").last().unwrap();
    assert!(
        summary
            .lines()
            .next()
            .unwrap()
            .starts_with(&format!("{short} — ")),
        "{summary}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.sent().len(), 1, "{:?}", fake.sent());
}
