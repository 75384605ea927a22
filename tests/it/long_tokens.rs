//! Tokens and secrets up to 8 KiB, kept byte for byte (issue #33): a network that issues JWTs
//! (an RS256 signature alone is about 342 characters) must not see every call refused because
//! Linksmith cut its token; a longer one is refused with a sentence, never cut.

use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use linksmith::server::{
    sources::networks::{
        epn::{Epn, EpnConfig},
        MAX_SECRET_BYTES,
    },
    sources::{Secret, SourceError},
    store::Catalog,
    store::{SharedStore, Tokens},
    ServerConfig,
};
use serde_json::json;

use crate::common::fake_networks::{start_epn, FakeEpn};

const EPN_ID: &str = "epn-long-client";
const EPN_SECRET: &str = "epn-long-secret-never-printed";

fn epn(fake: &FakeEpn, store: SharedStore) -> Epn {
    Epn::new(
        EpnConfig {
            api: fake.api_url(),
            oauth: fake.oauth_url(),
            client_id: EPN_ID.into(),
            client_secret: Secret::new(EPN_SECRET),
        },
        store,
        Duration::from_secs(2),
    )
}

fn item(id: &str) -> String {
    format!("https://aliexpress.com/item/{id}.html")
}

fn calls(c: &std::sync::atomic::AtomicUsize) -> usize {
    FakeEpn::count(c)
}

/// ePN issues 1,200-character tokens: every check is answered with the first login's token (no
/// 401, no refresh, no second login), the token survives a round trip through the store whole
/// (a restarted client uses it and ePN accepts it), on SQLite and on PostgreSQL.
#[tokio::test]
async fn a_1200_character_epn_token_is_used_whole_and_survives_the_store_on_both_backends() {
    for (store, _) in crate::store::two_instances("long_token").await {
        let what = store.describe();
        let fake = start_epn(EPN_ID, EPN_SECRET).await;
        fake.state.token_length.store(1_200, Ordering::SeqCst);
        fake.add(
            "1005008000000001",
            json!({"isHotsale": false, "affiliateType": 1, "maxRate": 7.0}),
        );
        let client = epn(&fake, store.clone());
        for _ in 0..3 {
            let facts = client
                .check_link(&item("1005008000000001"))
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(facts.is_some(), "{what}");
        }
        let s = &fake.state;
        assert_eq!(
            (
                calls(&s.ssid_calls),
                calls(&s.token_calls),
                calls(&s.refresh_calls),
                calls(&s.check_calls)
            ),
            (1, 1, 0, 3),
            "{what}: one login, then every call accepted with its token"
        );
        let Tokens {
            access, refresh, ..
        } = store.load_tokens("epn").await.unwrap().unwrap();
        assert_eq!(
            (access.len(), refresh.len()),
            (1_200, 1_200),
            "{what}: kept whole"
        );
        assert!(
            fake.accepts_access(&access),
            "{what}: the kept token is the one ePN issued, byte for byte"
        );
        // A restart reads the kept token back from the store and ePN accepts it: no new login.
        let restarted = epn(&fake, store.clone());
        assert!(restarted
            .check_link(&item("1005008000000001"))
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            (
                calls(&s.ssid_calls),
                calls(&s.token_calls),
                calls(&s.refresh_calls)
            ),
            (1, 1, 0),
            "{what}: the restarted client used the kept 1,200-character token"
        );
        let shown = format!("{restarted:?}");
        assert!(!shown.contains(&access[..40]), "{shown}");
    }
}

/// The store keeps what it is given, byte for byte, up to 8 KiB (quotes, backslashes, non-ASCII,
/// a NUL-free JWT alphabet), on both backends.
#[tokio::test]
async fn the_store_keeps_tokens_of_8_kib_byte_for_byte_on_both_backends() {
    for (store, other) in crate::store::two_instances("token_bytes").await {
        let what = store.describe();
        let mut access = String::from("eyJ'\"\\ ключ ");
        while access.len() < MAX_SECRET_BYTES - 4 {
            access.push_str("Ab9-_.");
        }
        access.truncate(MAX_SECRET_BYTES - 4);
        access.push_str("ü=\t");
        assert!(access.len() <= MAX_SECRET_BYTES);
        let refresh = "r".repeat(1_200);
        store
            .save_tokens("epn", &access, &refresh, Some(1_900_000_000), 1_800_000_000)
            .await
            .unwrap();
        let kept = other.load_tokens("epn").await.unwrap().unwrap();
        assert_eq!(
            kept,
            Tokens {
                access,
                refresh,
                expires_at: Some(1_900_000_000)
            },
            "{what}"
        );
    }
}

/// ePN answering a token over 8 KiB: the check fails with a sentence naming the field and the
/// length (never the token), nothing is kept, and no cut token is ever sent.
#[tokio::test]
async fn a_token_over_8_kib_is_refused_with_a_sentence_not_cut() {
    let fake = start_epn(EPN_ID, EPN_SECRET).await;
    fake.state
        .token_length
        .store(MAX_SECRET_BYTES + 1, Ordering::SeqCst);
    let store: SharedStore = Arc::new(Catalog::in_memory().unwrap());
    let client = epn(&fake, store.clone());
    let err = client
        .check_link(&item("1005008000000001"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Malformed { .. }), "{err:?}");
    let said = err.to_string();
    assert!(
        said.contains("access_token is 8193 bytes, over the 8 KiB Linksmith keeps"),
        "{said}"
    );
    assert!(
        !said.contains("eyJhbGci"),
        "the token is never said: {said}"
    );
    assert_eq!(
        calls(&fake.state.check_calls),
        0,
        "no call with a cut token"
    );
    assert_eq!(store.load_tokens("epn").await.unwrap(), None);
}

/// Client and app secrets: kept whole up to 8 KiB; one over it stops the start with a sentence
/// naming the variable, never its value.
#[test]
fn secrets_up_to_8_kib_are_kept_whole_and_longer_ones_stop_the_start() {
    let read = |vars: &[(&str, String)]| {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        ServerConfig::with_leptos(crate::common::leptos_options(
            &crate::common::temp_site(),
            false,
        ))
        .with_settings(|name| vars.get(name).cloned())
    };
    let long = "S".repeat(1_200);
    let limit = "L".repeat(MAX_SECRET_BYTES);
    let c = read(&[
        ("EPN_CLIENT_ID", "id".into()),
        ("EPN_CLIENT_SECRET", long.clone()),
        ("ADMITAD_CLIENT_ID", "id".into()),
        ("ADMITAD_CLIENT_SECRET", limit.clone()),
        ("ALIEXPRESS_APP_KEY", "1".into()),
        ("ALIEXPRESS_APP_SECRET", long.clone()),
        ("ALIEXPRESS_TRACKING_ID", "t".into()),
    ])
    .unwrap();
    assert_eq!(c.epn.unwrap().client_secret.expose(), long);
    assert_eq!(c.admitad.unwrap().client_secret.expose(), limit);
    assert_eq!(c.credentials.unwrap().app_secret.expose(), long);
    for name in [
        "EPN_CLIENT_SECRET",
        "ADMITAD_CLIENT_SECRET",
        "ALIEXPRESS_APP_SECRET",
    ] {
        let over = format!("{limit}Z");
        let err = read(&[(name, over)]).unwrap_err().to_string();
        assert!(err.starts_with(name), "{err}");
        assert!(
            err.contains("8193 bytes long, over the 8 KiB Linksmith keeps"),
            "{err}"
        );
        assert!(!err.contains("LLLL"), "the value is never said: {err}");
    }
}
