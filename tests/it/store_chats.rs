//! What the bot keeps of a chat, on both stores alike: settings, watches with their limit, the
//! watches due for a round, a round's answers, and `/forget`.

use linksmith::{
    domain::{rates::Status, watch::Snapshot},
    server::store::{ChatSettings, Watch, Watched},
};

use crate::store::backends;

fn watch(chat: i64, id: &str, country: &str, at: i64) -> Watch {
    Watch {
        chat,
        product_id: id.into(),
        country: country.into(),
        link: format!("https://aliexpress.com/item/{id}.html"),
        last: None,
        created_at: at,
        checked_at: at,
    }
}

#[tokio::test]
async fn a_chats_settings_and_watches_are_kept_and_forgotten_on_both_stores() {
    for store in backends("chats").await {
        let what = store.describe();
        assert_eq!(
            store.chat_settings(7).await.unwrap(),
            ChatSettings::default()
        );
        let settings = ChatSettings {
            template: Some("https://aff.example/r?to={url}".into()),
            sub: Some("tg".into()),
            country: Some("KZ".into()),
            lang: Some("ru".into()),
        };
        store.save_chat_settings(7, &settings, 100).await.unwrap();
        assert_eq!(store.chat_settings(7).await.unwrap(), settings, "{what}");
        assert_eq!(
            store.chat_settings(8).await.unwrap(),
            ChatSettings::default()
        );
        // Watches: the limit counts the chat's own, the same product twice is one watch.
        assert_eq!(
            store.add_watch(&watch(7, "1", "US", 100), 2).await.unwrap(),
            Watched::Added
        );
        assert_eq!(
            store.add_watch(&watch(7, "1", "US", 101), 2).await.unwrap(),
            Watched::Already
        );
        assert_eq!(
            store.add_watch(&watch(7, "2", "KZ", 102), 2).await.unwrap(),
            Watched::Added
        );
        assert_eq!(
            store.add_watch(&watch(7, "3", "US", 103), 2).await.unwrap(),
            Watched::Full
        );
        assert_eq!(
            store.add_watch(&watch(8, "3", "US", 50), 2).await.unwrap(),
            Watched::Added
        );
        let mine: Vec<String> = store
            .watches(7)
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.product_id)
            .collect();
        assert_eq!(mine, ["1", "2"], "{what}");
        // Due: checked at or before the time, the longest unchecked first.
        let due = store.due_watches(100, 10).await.unwrap();
        let due: Vec<(i64, String)> = due.into_iter().map(|w| (w.chat, w.product_id)).collect();
        assert_eq!(due, [(8, "3".to_string()), (7, "1".to_string())], "{what}");
        // A round's answer is kept; a watch removed meanwhile stays removed.
        let answer = Snapshot {
            status: Status::HotSale,
            exact_milli: Some(5_000),
            hot_milli: Some(12_500),
            available: Some(true),
            title: Some("Desk lamp".into()),
        };
        let mut checked = watch(7, "1", "US", 100);
        checked.last = Some(answer.clone());
        checked.checked_at = 200;
        let mut gone = watch(9, "4", "US", 100);
        gone.checked_at = 200;
        store.save_watch_checks(&[checked, gone]).await.unwrap();
        let mine = store.watches(7).await.unwrap();
        assert_eq!(mine[0].last.as_ref(), Some(&answer), "{what}");
        assert_eq!(mine[0].checked_at, 200);
        assert!(store.watches(9).await.unwrap().is_empty(), "{what}");
        assert_eq!(store.due_watches(150, 10).await.unwrap().len(), 2, "{what}");
        // Unwatch one, then forget the chat: its settings and watches go, another chat's stay.
        assert_eq!(store.unwatch(7, Some("2")).await.unwrap(), 1);
        assert_eq!(store.unwatch(7, Some("2")).await.unwrap(), 0);
        store.forget_chat(7).await.unwrap();
        assert_eq!(
            store.chat_settings(7).await.unwrap(),
            ChatSettings::default()
        );
        assert!(store.watches(7).await.unwrap().is_empty(), "{what}");
        assert_eq!(store.watches(8).await.unwrap().len(), 1, "{what}");
        // Settings with nothing set are no row.
        store.save_chat_settings(8, &settings, 1).await.unwrap();
        store
            .save_chat_settings(8, &ChatSettings::default(), 2)
            .await
            .unwrap();
        assert_eq!(
            store.chat_settings(8).await.unwrap(),
            ChatSettings::default()
        );
    }
}
