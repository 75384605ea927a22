//! Resilience against a real server on loopback: every upstream fault, the circuit breaker,
//! ten thousand hostile pastes, oversized bodies and slow clients. Each test is bounded in time
//! and stops by itself; the bounds are guarantees of the product (answers within the check's
//! budget, slow clients dropped at the header time-out), not speed measurements.

use std::time::{Duration, Instant};

use crate::common::{
    self, client,
    fake_gateway::{FakeProduct, Mode},
};
use futures::StreamExt;
use linksmith::server::resolver::ResolverConfig;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const STATUSES: [&str; 4] = ["hot_sale", "affiliate", "non_affiliate", "unknown"];
/// The contract's error codes (docs/check-api.md, "Fixed codes").
const ERROR_CODES: [&str; 10] = [
    "empty_input",
    "too_long",
    "invalid_url",
    "not_aliexpress",
    "short_link_rejected",
    "short_link_unresolved",
    "unsupported_page",
    "invalid_country",
    "invalid_amount",
    "too_many_links",
];

fn product_url(i: u64) -> String {
    format!(
        "https://aliexpress.com/item/{}.html",
        1005009100000000u64 + i
    )
}

fn warning_codes(result: &Value) -> Vec<&str> {
    result["warnings"]
        .as_array()
        .map(|list| list.iter().filter_map(|w| w["code"].as_str()).collect())
        .unwrap_or_default()
}

/// One batch line's answer is either a result with a status or an error with a contract code
/// and a sentence.
fn assert_answered(result: &Value, input: &str) {
    assert_eq!(
        result["input"].as_str(),
        Some(input),
        "input echoed in place"
    );
    if let Some(status) = result["status"].as_str() {
        assert!(STATUSES.contains(&status), "{status} for {input:?}");
        assert!(
            result["link"]["canonical_url"].is_string(),
            "{result} for {input:?}"
        );
    } else {
        let code = result["error"]["code"].as_str().unwrap_or_default();
        assert!(ERROR_CODES.contains(&code), "{result} for {input:?}");
        assert!(
            result["error"]["message"]
                .as_str()
                .is_some_and(|m| m.len() > 10),
            "{result}"
        );
    }
}

#[tokio::test]
async fn under_every_upstream_fault_a_200_line_batch_answers_every_line_in_time() {
    let bad = [
        (
            "https://s.click.aliexpress.com/e/_c3vkSW1v",
            "short_link_rejected",
        ),
        ("not a link at all", "invalid_url"),
        (
            "https://evil.test/item/1005001234567890.html",
            "not_aliexpress",
        ),
        ("   ", "empty_input"),
        (
            "https://www.aliexpress.com/item/123.html",
            "unsupported_page",
        ),
    ];
    let runs = [
        Mode::Hang,
        Mode::Http500,
        Mode::Garbage,
        Mode::Truncated,
        Mode::Reset,
        Mode::ApiCallLimit,
    ]
    .map(|mode| async move {
        let (server, gateway) =
            common::api_server(common::api_config(None), Duration::from_millis(1200)).await;
        gateway.set_mode(mode);
        let mut urls: Vec<String> = (0..190).map(product_url).collect();
        for (k, (line, _)) in bad.iter().chain(bad.iter()).enumerate() {
            urls.insert(k * 19, line.to_string());
        }
        let started = Instant::now();
        let res = client()
            .post(server.url("/api/v1/check/batch"))
            .json(&json!({ "urls": urls, "country": "US", "amount": 40 }))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        (mode, urls, status, body, started.elapsed(), gateway.calls())
    });
    for (mode, urls, status, body, took, calls) in futures::future::join_all(runs).await {
        assert_eq!(status, 200, "{mode:?}: {body}");
        assert!(took < Duration::from_secs(4), "{mode:?} took {took:?}");
        assert!(calls >= 1, "{mode:?}: the gateway was asked");
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), 200, "{mode:?}");
        assert_eq!(
            body["summary"],
            json!({"total": 200, "checked": 190, "failed": 10}),
            "{mode:?}"
        );
        for (result, input) in results.iter().zip(&urls) {
            assert_answered(result, input);
            if let Some((_, code)) = bad.iter().find(|(line, _)| line == input) {
                assert_eq!(result["error"]["code"], *code, "{mode:?}");
            } else {
                assert_eq!(result["status"], "unknown", "{mode:?}: {result}");
                assert!(
                    warning_codes(result).contains(&"status_unknown"),
                    "{mode:?}"
                );
                // The full band of the region: from 0% up to the programme's top rate.
                assert_eq!(result["rate"]["min_percent"], 0.0, "{mode:?}");
                assert!(result["rate"]["max_percent"].as_f64().unwrap() >= 50.0);
            }
        }
    }
}

#[test]
fn the_breaker_opens_under_failures_and_closes_when_the_upstream_recovers_logging_both() {
    let ((), logs) = common::with_logs(tracing::Level::INFO, async {
        let (server, gateway) = common::api_server_with(
            common::api_config(None),
            ResolverConfig {
                ttl_failed: Duration::ZERO,
                breaker_threshold: 3,
                breaker_cooldown: Duration::from_millis(400),
                ..ResolverConfig::default()
            },
        )
        .await;
        let check = |url: String| {
            let endpoint = server.url("/api/v1/check");
            async move {
                let res = client()
                    .post(endpoint)
                    .json(&json!({ "url": url }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                res.json::<Value>().await.unwrap()["status"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        };
        gateway.set_mode(Mode::Http500);
        for i in 0..3 {
            assert_eq!(check(product_url(i)).await, "unknown");
        }
        assert_eq!(gateway.calls(), 3);
        // Open: answered at once, the upstream left alone.
        for i in 3..10 {
            assert_eq!(check(product_url(i)).await, "unknown");
        }
        assert_eq!(gateway.calls(), 3, "no call while the breaker is open");
        gateway.set_mode(Mode::Wrapped);
        // Once the cool-down has passed, one call goes through and closes the breaker; until
        // then the check is answered without a call.
        common::eventually(
            "the breaker lets a call through after its cool-down",
            Duration::from_secs(10),
            async || {
                check("https://aliexpress.com/item/1005006295880104.html".into()).await
                    == "affiliate"
            },
        )
        .await;
        assert_eq!(
            gateway.calls(),
            4,
            "one call, once the breaker let it through"
        );
    });
    let text = logs.text();
    let opened = text.find("circuit breaker opened").expect(&text);
    let closed = text.find("circuit breaker closed").expect(&text);
    assert!(opened < closed, "{text}");
}

/// A small deterministic generator (xorshift64*): the same pastes on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const BASES: &[&str] = &[
    "https://www.aliexpress.com/item/1005006295880104.html",
    "https://aliexpress.ru/item/1005004325322975.html?sku_id=12000028762257776",
    "https://m.aliexpress.com/i/32857333905.html",
    "https://www.aliexpress.com/item/1005006295880104.html?aff_fcid=abc&tt=CPS_NORMAL&aff_fsk=_Dk43&sk=_Dk43&aff_trace_key=x",
    "https://www.aliexpress.com/store/1101343461",
    "https://www.aliexpress.com/category/6/home-appliances.html",
    "https://www.aliexpress.com/wholesale?SearchText=phone+case",
    "https://www.aliexpress.com/ssr/300000512/BundleDeals2?productIds=1005006003833419:12000035337625337",
    "https://star.aliexpress.com/share/share.htm?redirectUrl=https%3A%2F%2Ffr.aliexpress.com%2Fitem%2F1005009561948552.html",
    "https://a.aliexpress.com/_mK1abc",
    "https://s.click.aliexpress.com/e/_c3vkSW1v",
    "https://aliexpress.com@evil.test/item/1005001234567890.html",
    "https://xn--liexpress-t8g.com/item/1005001234567890.html",
    "http://2130706433/item/1005001234567890.html",
    "https://[::1]/item/1005001234567890.html",
    "javascript:alert(1)",
    "aliexpress.com/item/1005006295880104.html",
    "https://aliexpress.com/",
];

const INVISIBLE: &[char] = &[
    '\0', '\u{1}', '\u{7}', '\u{1b}', '\u{7f}', '\r', '\n', '\t', '\u{85}', '\u{a0}', '\u{ad}',
    '\u{200b}', '\u{200d}', '\u{202e}', '\u{2028}', '\u{2066}', '\u{feff}', '\u{fffd}',
];
/// Look-alike letters from other scripts, and text in several.
const CONFUSABLE: &[char] = &[
    'а', 'е', 'о', 'р', 'с', 'х', 'і', 'ο', 'α', 'ｅ', 'ꓲ', 'ı', 'ſ',
];
const SCRIPTS: &[&str] = &[
    "Скидка 50%! ",
    "خصم كبير ",
    "限时特价 ",
    "🔥🔥 ",
    "ส่วนลด ",
    "\u{1F1F7}\u{1F1FA} ",
    "e\u{301}\u{301}\u{301} ",
];
const PERCENT_TRICKS: &[&str] = &[
    "%2F",
    "%252F",
    "%00",
    "%C0%AF",
    "%zz",
    "%",
    "%E2%80%8B",
    "%ff%fe",
    "%25",
    "%2e%2e%2f",
    "%0d%0a",
];

fn percent_encode_all(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// One hostile paste: a real-looking base, then one to four distortions.
fn hostile(rng: &mut Rng) -> String {
    let mut s = rng.pick(BASES).to_string();
    for _ in 0..=rng.below(4) {
        let mut chars: Vec<char> = s.chars().collect();
        let at = rng.below(chars.len() + 1);
        s = match rng.below(11) {
            // Nested share wrappers, sometimes deeper than the engine unwraps.
            0 => format!(
                "https://star.aliexpress.com/share/share.htm?redirectUrl={}",
                percent_encode_all(&s)
            ),
            1 => {
                for _ in 0..=rng.below(5) {
                    let at = rng.below(chars.len() + 1);
                    chars.insert(at, *rng.pick(INVISIBLE));
                }
                chars.into_iter().collect()
            }
            // Huge lines: past the 4 KiB link limit, sometimes far past.
            2 => {
                let len = *rng.pick(&[4_000, 4_097, 20_000, 70_000]);
                format!("{s}?q={}", "A".repeat(len))
            }
            3 => {
                let last = chars.len().saturating_sub(1);
                if let Some(c) = chars.get_mut(at.min(last)) {
                    if c.is_ascii_alphabetic() {
                        *c = *rng.pick(CONFUSABLE);
                    }
                }
                let text: String = chars.into_iter().collect();
                format!("{}{text}", rng.pick(SCRIPTS))
            }
            4 => {
                let (head, tail) = chars.split_at(at);
                format!(
                    "{}{}{}",
                    head.iter().collect::<String>(),
                    rng.pick(PERCENT_TRICKS),
                    tail.iter().collect::<String>()
                )
            }
            5 => format!("🔥 Deal of the day!\n{s}\n✅ -50% with coupon"),
            6 => percent_encode_all(&s),
            7 => chars
                .into_iter()
                .map(|c| {
                    if rng.below(2) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
            8 => chars.into_iter().take(at).collect(),
            9 => format!(
                "{s}{}aff_fcid={}&sku_id={}&sku_id=&pdp_ext_f=%7B%22sku_id%22%3A{}",
                if s.contains('?') { '&' } else { '?' },
                rng.next(),
                rng.next(),
                rng.next()
            ),
            _ => format!("{s} {}", rng.pick(BASES)),
        };
    }
    s
}

#[tokio::test]
async fn ten_thousand_hostile_pastes_each_get_a_status_or_a_code() {
    let (server, gateway) =
        common::api_server(common::api_config(None), Duration::from_millis(1500)).await;
    gateway.answer_any_id_with(FakeProduct {
        commission: "6.0%",
        hot: None,
        title: "Any product <script>alert(1)</script>",
        category: "Home & Garden",
    });
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let pastes: Vec<String> = (0..10_000).map(|_| hostile(&mut rng)).collect();
    // A paste over 64 KiB in one string is refused as the body is read (413 `too_long`), alone.
    let (huge, pastes): (Vec<String>, Vec<String>) =
        pastes.into_iter().partition(|p| p.len() > 64 * 1024);
    for paste in &huge {
        let res = client()
            .post(server.url("/api/v1/check"))
            .json(&json!({ "url": paste }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            "too_long"
        );
    }
    // Batches of up to 500 pastes, each body kept under the server's 4 MiB limit.
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    let mut bytes = 0;
    for paste in &pastes {
        let size = serde_json::to_string(paste).unwrap().len() + 1;
        let last = chunks.last_mut().unwrap();
        if last.len() == 500 || bytes + size > 3 * 1024 * 1024 {
            chunks.push(Vec::new());
            bytes = 0;
        }
        chunks.last_mut().unwrap().push(paste.clone());
        bytes += size;
    }
    let batch_url = server.url("/api/v1/check/batch");
    let answered: Vec<(Vec<String>, u16, Value)> = futures::stream::iter(chunks)
        .map(|chunk| {
            let url = batch_url.clone();
            async move {
                let res = client()
                    .post(url)
                    .json(&json!({ "urls": chunk }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (chunk, status, res.json::<Value>().await.unwrap())
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let (mut checked, mut failed) = (0, 0);
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for (chunk, status, body) in &answered {
        assert_eq!(
            *status,
            200,
            "{body}: {} pastes, {} bytes",
            chunk.len(),
            serde_json::to_string(chunk).unwrap().len()
        );
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), chunk.len());
        for (result, input) in results.iter().zip(chunk) {
            assert_answered(result, input);
            let outcome = result["status"]
                .as_str()
                .or(result["error"]["code"].as_str())
                .unwrap_or_default();
            *tally.entry(outcome.to_string()).or_default() += 1;
            if result["status"].is_string() {
                checked += 1;
            } else {
                failed += 1;
            }
        }
    }
    eprintln!("hostile pastes, by outcome: {tally:?}");
    assert_eq!(checked + failed + huge.len(), 10_000);
    // The generator exercises both sides: links that survive the distortions and links that do not.
    assert!(
        checked > 1_000 && failed > 1_000,
        "{checked} checked, {failed} refused"
    );

    // One at a time through GET and POST: 200 or 422, always JSON with a code.
    let sample: Vec<&String> = pastes.iter().step_by(20).collect();
    let answers: Vec<(u16, Value)> = futures::stream::iter(sample)
        .enumerate()
        .map(|(i, paste)| {
            let endpoint = server.url("/api/v1/check");
            async move {
                // GET for what fits in an address; longer pastes are POSTed, as a client must.
                let request = if i % 2 == 0 && paste.len() < 4_000 {
                    client().get(endpoint).query(&[("url", paste.as_str())])
                } else {
                    client().post(endpoint).json(&json!({ "url": paste }))
                };
                let res = request.send().await.unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (status, body) in answers {
        match status {
            200 => assert!(body["status"].is_string(), "{body}"),
            422 => assert!(
                ERROR_CODES.contains(&body["error"]["code"].as_str().unwrap_or_default()),
                "{body}"
            ),
            other => panic!("HTTP {other}: {body}"),
        }
    }
}

/// Sends a raw request head, then the body in pieces until the server answers (or 10 MB are
/// sent); returns the server's whole answer and how long it took.
async fn raw_upload(addr: std::net::SocketAddr, head: &str, chunked: bool) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let piece = format!("\"{}\",", "x".repeat(64 * 1024 - 3));
    let mut sent = 0;
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while sent < 10 * 1024 * 1024 {
        let data = if chunked {
            format!("{:x}\r\n{piece}\r\n", piece.len())
        } else {
            piece.clone()
        };
        tokio::select! {
            n = reader.read(&mut buf) => {
                answer.extend_from_slice(&buf[..n.unwrap_or(0)]);
                break;
            }
            written = writer.write_all(data.as_bytes()) => {
                if written.is_err() { break; }
                sent += piece.len();
            }
        }
    }
    // Read the rest of the answer; the server closes the connection after refusing the body.
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_10_mb_body_is_refused_at_once_with_a_json_answer() {
    let server = common::start(common::api_config(None)).await;
    let declared = format!(
        "POST /api/v1/check/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"urls\":[",
        10 * 1024 * 1024
    );
    let streamed = "POST /api/v1/check/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"urls\":[\r\n";
    for (head, chunked) in [(declared.as_str(), false), (streamed, true)] {
        let (answer, took) = raw_upload(server.addr, head, chunked).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "chunked={chunked}: {answer}"
        );
        assert!(took < Duration::from_secs(3), "chunked={chunked}: {took:?}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let body =
            body.trim_start_matches(|c: char| c.is_ascii_hexdigit() || c == '\r' || c == '\n');
        assert!(body.contains("\"code\":\"invalid_request\""), "{answer}");
        assert!(body.contains("larger than 4 MiB"), "{answer}");
    }
    // The server is unharmed.
    let res = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn slow_clients_are_dropped_at_the_time_out_and_never_starve_others() {
    let mut config = common::api_config(None);
    config.connections.header_read_timeout = Duration::from_secs(2);
    config.connections.request_timeout = Duration::from_secs(2);
    // 220 connections from one address: above the per-client cap, which has its own test.
    config.connections.max_per_client = 1000;
    let server = common::start(config).await;
    let addr = server.addr;

    // 200 clients sending their headers a byte at a time (slowloris), 20 sending a body so.
    let started_sending = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let slow: Vec<_> = (0..220)
        .map(|i| {
            let started_sending = started_sending.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let head = if i < 200 {
                    "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".to_string()
                } else {
                    "POST /api/v1/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"url\":\"".to_string()
                };
                stream.write_all(head.as_bytes()).await.unwrap();
                started_sending.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (mut reader, mut writer) = stream.split();
                let mut buf = [0u8; 4096];
                let mut answer = Vec::new();
                loop {
                    tokio::select! {
                        n = reader.read(&mut buf) => match n {
                            Ok(0) | Err(_) => break,
                            Ok(n) => answer.extend_from_slice(&buf[..n]),
                        },
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {
                            if writer.write_all(b"a").await.is_err() { break; }
                        }
                    }
                    assert!(started.elapsed() <= Duration::from_secs(8), "client {i} was never dropped");
                }
                (i, started.elapsed(), String::from_utf8_lossy(&answer).into_owned())
            })
        })
        .collect();
    common::eventually(
        "every slow client is connected and sending",
        Duration::from_secs(10),
        async || started_sending.load(std::sync::atomic::Ordering::SeqCst) == 220,
    )
    .await;

    // Meanwhile everyone else is served, well before the slow ones are dropped.
    let started = Instant::now();
    for _ in 0..20 {
        let res = client().get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = client()
        .post(server.url("/api/v1/check"))
        .json(&json!({"url": "https://aliexpress.com/item/1005006295880104.html"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let served_in = started.elapsed();
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "the slow clients are still connected while others are served ({served_in:?})"
    );

    for task in slow {
        let (i, took, answer) = task.await.unwrap();
        assert!(
            took >= Duration::from_millis(1900),
            "client {i} dropped early: {took:?}"
        );
        if i >= 200 {
            // A body that never arrives: 408, in JSON on the API.
            assert!(answer.starts_with("HTTP/1.1 408"), "client {i}: {answer}");
            assert!(answer.contains("\"code\":\"invalid_request\""), "{answer}");
        } else {
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
                "client {i}: {answer}"
            );
        }
    }
}

// --- Answers within the check's budget, measured on the wall clock: these promise a time a user
// waits, so they stay here, with generous bounds (the logic behind them is tested on a paused
// clock: the breaker, the cache, the limiter) ---------------------------------------------------

mod in_time {
    use std::time::{Duration, Instant};

    use crate::{
        api_check::{codes, config, post, setup_with, CABLE, TEMPLATE},
        common::fake_gateway::{FakeProduct, Mode},
        resolver::{api, gateway, link, resolver, us},
        share_links::{resolve, unresolved_reason},
    };
    use linksmith::{
        domain::{link::Link, rates::Status},
        server::{
            resolver::{ResolverConfig, StatusSource},
            store::Catalog,
        },
    };
    use serde_json::json;

    #[tokio::test]
    async fn an_upstream_that_hangs_degrades_to_unknown_with_the_full_band_in_time() {
        let s = setup_with(config(Some(TEMPLATE)), Duration::from_millis(1200)).await;
        s.gateway.set_mode(Mode::Hang);
        let started = std::time::Instant::now();
        let (status, r) = post(
            &s,
            "/api/v1/check",
            json!({"url": format!("https://aliexpress.com/item/{CABLE}.html"), "country": "BR", "amount": 50}),
        )
        .await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{r}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert_eq!(r["status"], "unknown");
        assert_eq!(r["status_source"], "none");
        assert_eq!(r["rate"]["min_percent"], 0.0);
        assert_eq!(r["rate"]["max_percent"], 70.0);
        assert_eq!(r["estimate"]["commission_usd_max"], 35.0);
        assert!(codes(&r["warnings"]).contains(&"status_unknown"));
        for mode in [
            Mode::Http500,
            Mode::Garbage,
            Mode::Truncated,
            Mode::ApiCallLimit,
        ] {
            s.gateway.set_mode(mode);
            let (status, r) = post(
                &s,
                "/api/v1/check",
                json!({"url": format!("https://aliexpress.com/item/{}.html", 1005009000000777u64)}),
            )
            .await;
            assert_eq!(
                (status, r["status"].as_str()),
                (200, Some("unknown")),
                "{mode:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_hanging_upstream_costs_at_most_the_budget() {
        let gw = gateway().await;
        gw.set_mode(Mode::Hang);
        let config = ResolverConfig {
            budget: Duration::from_millis(800),
            ..ResolverConfig::default()
        };
        let r = resolver(
            Some(api(&gw, Duration::from_secs(10))),
            Catalog::in_memory().unwrap(),
            config,
        );
        let started = Instant::now();
        let links: Vec<Link> = (0..200u64)
            .map(|i| link(&format!("{}", 1005009000000000u64 + (i % 60))))
            .collect();
        let out = r.detect_many(&links, us()).await;
        let took = started.elapsed();
        assert_eq!(out.len(), 200);
        assert!(out.iter().all(|d| d.status == Status::Unknown));
        assert!(took < Duration::from_millis(1300), "took {took:?}");
    }

    /// Ids past the queue's bound, or without an API slot within the check's time, are not asked:
    /// `unknown` at once, no call spent on them, and not remembered as failures.
    #[tokio::test]
    async fn the_upstream_queue_is_bounded_and_waits_only_within_the_budget() {
        let gw = gateway().await;
        gw.set_mode(Mode::Delay(1500));
        let r = resolver(
            Some(api(&gw, Duration::from_secs(3))),
            Catalog::in_memory().unwrap(),
            ResolverConfig {
                budget: Duration::from_millis(400),
                api_concurrency: 1,
                max_pending_ids: 40,
                ..Default::default()
            },
        );
        // 200 random ids: 10 calls' worth. Only 40 may wait, and one call runs at a time.
        let links: Vec<Link> = (0..200u64)
            .map(|i| link(&format!("{}", 1005007000000000u64 + i)))
            .collect();
        let started = Instant::now();
        let found = r.detect_many(&links, us()).await;
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1200), "answered in {took:?}");
        assert!(found.iter().all(|d| d.status == Status::Unknown));
        // A second wave right after queues nothing more than the bound allows: once every call
        // queued has ended, two at most were made.
        let _ = r.detect_many(&links, us()).await;
        crate::common::eventually(
            "every queued call ends",
            Duration::from_secs(10),
            async || r.queued_ids() == 0,
        )
        .await;
        assert!(gw.calls() <= 2, "{} calls for a bound of 2", gw.calls());

        // What was not asked is asked by the next check once the upstream has room.
        gw.set_mode(Mode::Wrapped);
        gw.add(
            "1005007000000150",
            FakeProduct {
                commission: "5.0%",
                hot: None,
                title: "Lamp",
                category: "Home & Garden",
            },
        );
        let r2 = r.clone();
        let later = r2.detect(&link("1005007000000150"), us()).await;
        assert_eq!(
            (later.status, later.source),
            (Status::Affiliate, StatusSource::Api)
        );
    }

    #[tokio::test]
    async fn a_slow_hop_ends_within_the_three_second_budget() {
        let started = Instant::now();
        let reason = unresolved_reason(resolve("_slow").await);
        let took = started.elapsed();
        assert!(reason.contains("did not answer within 3000 ms"), "{reason}");
        assert!(took < Duration::from_secs(4), "took {took:?}");
    }
}

// --- Connection slots and deadlines (hardening): real sockets, real time ----------------------

mod connections {
    use std::{
        net::SocketAddr,
        time::{Duration, Instant},
    };

    use linksmith::server::TrustedProxies;
    use serde_json::json;
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::{TcpSocket, TcpStream},
    };

    use crate::common;

    async fn connect_from(ip: &str, to: SocketAddr) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(ip.parse().unwrap(), 0))
            .unwrap();
        socket.connect(to).await.unwrap()
    }

    /// True when the server closes the connection within `within` without answering.
    async fn closed_at_once(stream: &mut TcpStream, within: Duration) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(within, stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    async fn healthz_on(stream: &mut TcpStream) -> String {
        try_healthz_on(stream)
            .await
            .expect("the connection answers /healthz")
    }

    /// The start of the answer to `GET /healthz` on `stream`; `None` when the connection fails.
    async fn try_healthz_on(stream: &mut TcpStream) -> Option<String> {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .ok()?;
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    #[tokio::test]
    async fn one_client_cannot_hold_every_connection() {
        let mut config = common::api_config(None);
        config.connections.max_per_client = 8;
        config.trusted_proxies = TrustedProxies::parse("127.0.0.3").unwrap();
        let server = common::start(config).await;
        // Eight connections from 127.0.0.1 that send nothing (a slow reader holds its slots so).
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(connect_from("127.0.0.1", server.addr).await);
        }
        // The ninth is closed at once. (The server takes connections in the order they were
        // made, one at a time, and counts each before it takes the next: the eight are counted
        // by the time it takes the ninth, with no wait here.)
        let mut ninth = connect_from("127.0.0.1", server.addr).await;
        assert!(closed_at_once(&mut ninth, Duration::from_secs(2)).await);
        // Another client is served.
        let mut other = connect_from("127.0.0.2", server.addr).await;
        assert!(healthz_on(&mut other).await.starts_with("HTTP/1.1 200"));
        // A trusted proxy carries many clients: it is not capped.
        let mut proxy = Vec::new();
        for _ in 0..20 {
            proxy.push(connect_from("127.0.0.3", server.addr).await);
        }
        for s in &mut proxy {
            assert!(healthz_on(s).await.starts_with("HTTP/1.1 200"));
        }
        // Slots come back when connections end (as soon as the server sees them closed).
        drop(held);
        common::eventually(
            "a slot is free again once the held connections end",
            Duration::from_secs(10),
            async || {
                let mut again = connect_from("127.0.0.1", server.addr).await;
                try_healthz_on(&mut again)
                    .await
                    .is_some_and(|answer| answer.starts_with("HTTP/1.1 200"))
            },
        )
        .await;
        server.stop().await;
    }

    #[tokio::test]
    async fn an_idle_connection_is_dropped() {
        let mut config = common::api_config(None);
        config.connections.idle_timeout = Duration::from_millis(800);
        let server = common::start(config).await;
        let mut stream = connect_from("127.0.0.1", server.addr).await;
        assert!(healthz_on(&mut stream).await.starts_with("HTTP/1.1 200"));
        let started = Instant::now();
        // Keep-alive: the connection stays open, then the server drops it for sending nothing.
        assert!(closed_at_once(&mut stream, Duration::from_secs(5)).await);
        let idle = started.elapsed();
        assert!(
            idle >= Duration::from_millis(700) && idle < Duration::from_secs(4),
            "{idle:?}"
        );
        server.stop().await;
    }

    /// A client that asks for a large answer and then does not read it holds its connection only
    /// until the write deadline: the server drops it rather than wait on it for ever.
    #[test]
    fn a_client_that_does_not_read_its_answer_is_dropped_at_the_write_deadline() {
        common::with_logs_seen(tracing::Level::DEBUG, |logs| async move {
            let mut config = common::api_config(None);
            config.connections.write_timeout = Duration::from_millis(500);
            let server = common::start(config).await;
            let link = format!(
                "https://aliexpress.com/item/1005006295880104.html?a={}",
                "x".repeat(3900)
            );
            // About 6 MB of answer: more than the kernel buffers on both sides hold.
            let body = serde_json::to_vec(&json!({ "urls": vec![link; 1000] })).unwrap();
            let socket = TcpSocket::new_v4().unwrap();
            // A small window: the server's writes stall as soon as its own buffer is full.
            socket.set_recv_buffer_size(4096).unwrap();
            let mut stream = socket.connect(server.addr).await.unwrap();
            let head = format!(
            "POST /api/v1/check/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(&body).await.unwrap();
            // Read nothing until the server has given up on the connection.
            common::eventually(
                "the server drops the connection at the write deadline",
                Duration::from_secs(10),
                async || logs.text().contains("connection closed with an error"),
            )
            .await;
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(10), async {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    }
                }
            })
            .await;
            assert!(read.is_ok(), "the connection was never closed");
            let text = String::from_utf8_lossy(&answer);
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(usize::MAX);
            let body_start = text.find("\r\n\r\n").map_or(0, |i| i + 4);
            assert!(
                answer.len() - body_start < length,
                "the whole answer ({} bytes) was delivered: the server waited on the slow reader",
                answer.len()
            );
            server.stop().await;
        });
    }
}
