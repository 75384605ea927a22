//! What an attacker would try (issue "Hardening"), each against the real server on loopback or
//! the pure engine: adversarial pastes in linear time, the rate limit on every path that checks
//! links (counted in links, keyed by client, proxies believed only when trusted), share-link
//! slots, the store, the import command, the upstream settings. The connection slots and
//! deadlines, on real sockets and real time, are in `resilience.rs` (`connections`).

use std::{
    net::IpAddr,
    time::{Duration, Instant},
};

use leptos::server_fn::ServerFn;
use linksmith::{
    app::{CheckLinks, SERVER_RENDERED_LINKS},
    domain::link::{self, MAX_PASTE_BYTES},
    server::{
        api_base_url,
        store::{printable, Catalog, ImportError, StoreError},
        RateLimit, ServerConfig, TrustedProxies,
    },
};
use serde_json::{json, Value};

use crate::common::{self, adversarial::shapes, client};

// --- Adversarial pastes: every step of reading is linear -------------------------------------

/// The engine's whole work on one paste (read it as one link, scan it as a post), in the CPU
/// time of this thread: what other tests and processes do on the machine does not count.
fn engine_time(input: &str) -> Duration {
    let started = cpu_time::ThreadTime::now();
    let _ = std::hint::black_box(link::read(input));
    let _ = std::hint::black_box(link::scan(input).map(|v| v.len()));
    started.elapsed()
}

/// The fastest of `n` runs of each input, interleaved so that a burst of load from other tests
/// falls on both sizes alike.
fn best_of_pair(n: usize, half: &str, full: &str) -> (Duration, Duration) {
    let (mut h, mut f) = (Duration::MAX, Duration::MAX);
    for _ in 0..n {
        h = h.min(engine_time(half));
        f = f.min(engine_time(full));
    }
    (h, f)
}

#[test]
fn adversarial_pastes_are_read_in_linear_time() {
    // Debug build, shared machine: the bound is generous; the ratio is what proves linearity.
    for ((name, half), (_, full)) in shapes(MAX_PASTE_BYTES / 2)
        .into_iter()
        .zip(shapes(MAX_PASTE_BYTES))
    {
        assert!(full.len() <= MAX_PASTE_BYTES && full.len() > MAX_PASTE_BYTES - 8192);
        // Doubling the input at most ~2.5x its CPU time (quadratic work is 4x, every time); a
        // measurement spoilt anyway (caches, the scheduler) is taken again, up to three times.
        // Below two milliseconds the clock's grain decides, not the algorithm.
        let mut tries = Vec::new();
        let linear = (0..3).any(|_| {
            let (t_half, t_full) = best_of_pair(3, &half, &full);
            assert!(
                t_full < Duration::from_secs(3),
                "{name}: {t_full:?} for 1 MiB"
            );
            let ratio = t_full.as_secs_f64() / t_half.as_secs_f64().max(1e-9);
            tries.push(format!("{t_half:?} -> {t_full:?} ({ratio:.2}x)"));
            ratio <= 2.5 || t_full < Duration::from_millis(2)
        });
        assert!(linear, "{name}: 512 KiB -> 1 MiB: {}", tries.join(", "));
    }
}

#[tokio::test]
async fn a_megabyte_of_brackets_is_answered_at_once_by_the_api_and_the_page() {
    let server = common::start(common::api_config(None)).await;
    let started = Instant::now();
    // A megabyte in one string is refused as the body is read (413 `too_long`: one string is at
    // most 64 KiB), on every path; the same brackets within the bound are read, linearly.
    for (len, refused) in [(MAX_PASTE_BYTES - 40, true), (60 * 1024, false)] {
        let body = format!("https://aliexpress.com/item/1.html{}", ")".repeat(len));
        let res = client()
            .post(server.url("/api/v1/check"))
            .json(&json!({ "url": body }))
            .send()
            .await
            .unwrap();
        let r: Value = res.json().await.unwrap();
        if refused {
            assert_eq!(r["error"]["code"], "too_long");
        } else {
            // The brackets close nothing in the link, so they are prose around it (linear to
            // strip); what is left names no product ("1").
            assert_eq!(r["error"]["code"], "unsupported_page");
        }
        let res = client()
            .post(server.url("/api/v1/check/batch"))
            .json(&json!({ "urls": [body, "https://aliexpress.com/item/1005006295880104.html"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), if refused { 413 } else { 200 });
        let r: Value = res.json().await.unwrap();
        if !refused {
            assert_eq!(r["results"][0]["error"]["code"], "unsupported_page");
            assert_eq!(r["results"][1]["status"], "unknown");
        }
        // The page's server function reads the same text.
        let res = client()
            .post(server.url(CheckLinks::PATH))
            .json(&json!({"inputs": [body], "country": "", "amount": "", "sub": "", "lang": "en"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), if refused { 413 } else { 200 });
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

// --- One limit, counted in links, on every path -------------------------------------------------

fn limited(per_second: u32, burst: u32) -> ServerConfig {
    let mut config = common::api_config(None);
    config.rate_limit = Some(RateLimit { per_second, burst });
    config
}

fn page_check(links: usize) -> Value {
    let inputs: Vec<String> = (0..links)
        .map(|i| {
            format!(
                "https://aliexpress.com/item/{}.html",
                1005006000000000u64 + i as u64
            )
        })
        .collect();
    json!({"inputs": inputs, "country": "US", "amount": "", "sub": "", "lang": "en"})
}

fn post_links(links: usize) -> String {
    (0..links)
        .map(|i| {
            format!(
                "https://aliexpress.com/item/{}.html",
                1005006000000000u64 + i as u64
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn one_full_paste_passes_and_a_second_right_after_is_refused_on_every_path() {
    // One link a second: the campaign check at the end still finds the bucket empty on a loaded
    // machine (at five a second, a fifth of a second late was enough to refill one link).
    let server = common::start(limited(1, 40)).await;
    // The page's server function: 40 links at once pass.
    let res = client()
        .post(server.url(CheckLinks::PATH))
        .json(&page_check(40))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["outcomes"].as_array().unwrap().len(), 40);
    // A second full paste right after: 429, Retry-After, and a sentence saying how long to wait.
    let res = client()
        .post(server.url(CheckLinks::PATH))
        .json(&page_check(40))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((39..=40).contains(&wait), "{wait}");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["Refused"]["code"], "rate_limited", "{r}");
    let message = r["Refused"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("Wait {wait} s")), "{message}");
    // The same bucket: the API is refused too, and so is a shared address.
    let res = client()
        .get(server.url("/api/v1/check?url=aliexpress.com/item/1005006295880104.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let res = client()
        .get(server.url("/"))
        .query(&[("url", post_links(3))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-code=\"rate_limited\""), "{html}");
    assert!(html.contains("Wait "), "{html}");
    // The campaign check counts one.
    let res = client()
        .post(server.url("/api/v1/campaign/check"))
        .json(&json!({"title": "deals"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    server.stop().await;
}

#[tokio::test]
async fn a_shared_address_renders_at_most_twenty_links_on_the_server() {
    let server = common::start(limited(5, 1000)).await;
    let res = client()
        .get(server.url("/"))
        .query(&[("url", post_links(25))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let checked = html.matches("data-testid=\"result-card\"").count();
    let pending = html.matches("data-testid=\"pending-card\"").count();
    assert_eq!((checked, pending), (SERVER_RENDERED_LINKS, 5), "{html}");
    // Those 20 were counted: 980 are left of the burst, so 980 more pass and one more does not.
    let res = client()
        .post(server.url("/api/v1/check/batch"))
        .json(&json!({"urls": vec!["https://aliexpress.com/item/1005006295880104.html"; 980]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client()
        .post(server.url("/api/v1/check/batch"))
        .json(&json!({"urls": vec!["https://aliexpress.com/item/1005006295880104.html"; 10]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    server.stop().await;
}

/// The status of one GET of `url` per `X-Forwarded-For` value, in order.
async fn statuses(c: &reqwest::Client, url: &str, xff: &[&str]) -> Vec<u16> {
    let mut out = Vec::new();
    for x in xff {
        let res = c
            .get(url)
            .header("x-forwarded-for", *x)
            .send()
            .await
            .unwrap();
        out.push(res.status().as_u16());
    }
    out
}

/// A client from another address, with a request bound to it.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_limit_is_per_client_and_forwarded_for_is_believed_from_trusted_proxies_only() {
    // No trusted proxy: X-Forwarded-For changes nothing; another address has its own bucket.
    let server = common::start(limited(1, 3)).await;
    let url = server.url("/api/v1/check?url=aliexpress.com/item/1005006295880104.html");
    assert_eq!(
        statuses(
            &client(),
            &url,
            &["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]
        )
        .await,
        [200, 200, 200, 429]
    );
    assert_eq!(
        statuses(&client_from("127.0.0.2"), &url, &["9.9.9.9"]).await,
        [200]
    );
    server.stop().await;

    // 127.0.0.1 is a trusted proxy: each forwarded client has its own bucket, and a forged
    // left-hand entry does not help.
    let mut config = limited(1, 3);
    config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    let server = common::start(config).await;
    let url = server.url("/api/v1/check?url=aliexpress.com/item/1005006295880104.html");
    assert_eq!(
        statuses(
            &client(),
            &url,
            &[
                "203.0.113.1",
                "6.6.6.6, 203.0.113.1",
                "7.7.7.7, 203.0.113.1",
                "8.8.8.8, 203.0.113.1"
            ]
        )
        .await,
        [200, 200, 200, 429]
    );
    assert_eq!(statuses(&client(), &url, &["203.0.113.2"]).await, [200]);
    // IPv6 clients are one client per /64.
    assert_eq!(
        statuses(
            &client(),
            &url,
            &[
                "2001:db8:1:2::1",
                "2001:db8:1:2::2",
                "2001:db8:1:2:ffff::3",
                "2001:db8:1:2::4"
            ]
        )
        .await,
        [200, 200, 200, 429]
    );
    assert_eq!(statuses(&client(), &url, &["2001:db8:1:3::1"]).await, [200]);
    server.stop().await;
}

// --- The store, the import command, the upstream settings ---------------------------------------

#[test]
fn a_store_written_by_a_newer_version_is_refused() {
    let path = std::env::temp_dir().join(format!(
        "linksmith-newer-{}-{:?}.db",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&path);
    drop(Catalog::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let Err(err) = Catalog::open(&path) else {
        panic!("a newer store was opened")
    };
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer Linksmith"), "{err}");
    let _ = std::fs::remove_file(&path);
}

/// A feed whose reading fails part-way (a disk error).
struct Failing {
    sent: bool,
}

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.sent {
            return Err(std::io::Error::other("the disk failed"));
        }
        self.sent = true;
        let head = b"kind,id,status\nproduct,1005006295880104,affiliate\n";
        buf[..head.len()].copy_from_slice(head);
        Ok(head.len())
    }
}

#[test]
fn the_import_stops_on_a_read_error_and_passes_over_an_endless_line() {
    let catalog = Catalog::in_memory().unwrap();
    let started = Instant::now();
    let err = catalog.import(Failing { sent: false }, 1).unwrap_err();
    assert!(matches!(err, ImportError::Unreadable(_)), "{err}");
    assert!(err.to_string().contains("the disk failed"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A line of 10 MiB is not read whole: it is a skipped row, and the rows after it are read.
    let mut feed = b"kind,id,status\nproduct,".to_vec();
    feed.extend(std::iter::repeat_n(b'1', 10 * 1024 * 1024));
    feed.extend_from_slice(b"\nproduct,1005006295880104,affiliate\n");
    let report = catalog.import(&feed[..], 1).unwrap();
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].0, 2);
    assert!(report.skipped[0].1.contains("over 64 KiB"), "{report:?}");
    assert_eq!(
        catalog.counts().unwrap(),
        (1, 0),
        "the row after it is imported"
    );
    // A quote left open does not swallow the rest of the feed into one row.
    let mut feed = b"kind,id,status,category\nproduct,1005006295880105,affiliate,\"open\n".to_vec();
    for _ in 0..20_000 {
        feed.extend_from_slice(b"product,1005006295880106,affiliate,\n");
    }
    let report = Catalog::in_memory().unwrap().import(&feed[..], 1).unwrap();
    assert_eq!(report.skipped[0].0, 2, "{:?}", report.skipped);
    assert!(
        report.skipped[0].1.contains("a quote left open"),
        "{:?}",
        report.skipped
    );
    assert!(
        report.products > 0,
        "rows after the open quote are read: {report:?}"
    );
    // A header over 64 KiB is not a catalogue.
    let mut feed = b"kind,id,status,".to_vec();
    feed.extend(std::iter::repeat_n(b'x', 100 * 1024));
    let err = catalog.import(&feed[..], 1).unwrap_err();
    assert!(err.to_string().contains("over 64 KiB"), "{err}");
}

#[test]
fn feed_text_is_printed_without_control_characters() {
    let catalog = Catalog::in_memory().unwrap();
    let feed = "kind,id,status\nproduct\u{1b}[2J\u{1b}]0;pwned\u{7},1005006295880104,affiliate\n";
    let report = catalog.import(feed.as_bytes(), 1).unwrap();
    let (_, reason) = &report.skipped[0];
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    assert!(reason.contains("\\u{1b}[2j"), "{reason}");
    assert_eq!(printable(&"x".repeat(500)).chars().count(), 81);
}

#[test]
fn upstream_api_addresses_must_be_https_except_on_loopback() {
    for ok in [
        "https://api-sg.aliexpress.com/sync",
        "http://127.0.0.1:9/sync",
        "http://[::1]:8080/sync",
        "http://localhost:1234/",
    ] {
        assert!(api_base_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api-sg.aliexpress.com/sync",
        "http://10.0.0.1/sync",
        "ftp://gateway",
        "gateway",
        "https://",
    ] {
        let err = api_base_url(bad).unwrap_err();
        assert!(err.contains("not an"), "{bad}: {err}");
    }
}

/// App share links are followed by at most `SHARE_SLOTS` at once for the whole server: a check
/// that finds none free within the share budget answers at once that the server is busy.
#[tokio::test(start_paused = true)]
async fn share_links_wait_for_a_server_wide_slot_within_the_budget() {
    use linksmith::{
        domain::{check::Outcome, codes::ErrorCode, lang::Lang},
        server::{AppState, RawOptions},
    };
    let mut state = AppState::in_memory(common::api_config(None));
    // Every slot taken (by other checks).
    state.share_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let options = state
        .check_options(&RawOptions::default(), Lang::En)
        .unwrap();
    let started = tokio::time::Instant::now();
    let outcomes = state
        .check(
            &["https://a.aliexpress.com/_mK1abc".to_string()],
            &options,
            Lang::En,
        )
        .await;
    let Outcome::Failed(f) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(f.error.code, ErrorCode::ShortLinkUnresolved);
    assert!(
        f.error.message.contains("following many app share links"),
        "{}",
        f.error.message
    );
    assert_eq!(
        started.elapsed(),
        linksmith::server::sources::share::SHARE_BUDGET,
        "waited the share budget, on the paused clock"
    );
}
