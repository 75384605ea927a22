//! Request bodies bounded before they become anything (check-api.md, "Clients and fair use"):
//! over the batch limit of links or 64 KiB of one string, a body is refused with a sentence (413)
//! before it is read further; bodies are read by `serde_json` into their types, never into a tree;
//! large bodies wait for their share of the bytes all requests may hold at once. The flood: 64
//! connections each sending a 4 MiB array to the page's server function, against the real binary,
//! whose resident memory is read from /proc while `/healthz` is polled.

use std::{
    net::{IpAddr, SocketAddr},
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use crate::common::{self, client};
use leptos::server_fn::ServerFn;
use linksmith::{
    app::{CheckLinks, CheckLinksError},
    domain::json,
    server::body::{BODY_BUDGET_BYTES, MAX_STRING_BYTES},
};
use serde_json::{json as j, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpSocket,
};

const MIB: usize = 1024 * 1024;

fn links(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "https://aliexpress.com/item/{}.html",
                1005009000000000u64 + i as u64
            )
        })
        .collect()
}

fn page_args(inputs: &[String]) -> Value {
    j!({"inputs": inputs, "country": "US", "amount": "", "sub": "", "lang": "en"})
}

async fn post(url: String, body: &Value, lang: &str) -> (u16, String) {
    let res = client()
        .post(url)
        .header("accept-language", lang)
        .json(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The code and message of a refusal: the API's `{"error": …}` or the page's `{"Refused": …}`
/// (read as the page reads it).
fn refusal(text: &str) -> (String, String) {
    if text.starts_with("{\"Refused\"") {
        let Ok(CheckLinksError::Refused(p)) = json::from_str::<CheckLinksError>(text) else {
            panic!("not the page's refusal: {text}")
        };
        return (p.code.as_str().to_string(), p.message);
    }
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (
        v["error"]["code"].as_str().unwrap_or_default().to_string(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn a_full_batch_passes_and_one_link_more_is_413_on_the_api_and_the_page() {
    let server = common::start(common::api_config(None)).await;
    let full = links(1000);
    let over = links(1001);
    for (path, body_of) in [
        (
            "/api/v1/check/batch",
            (|urls: &[String]| j!({ "urls": urls })) as fn(&[String]) -> Value,
        ),
        (CheckLinks::PATH, |urls: &[String]| page_args(urls)),
    ] {
        let (status, text) = post(server.url(path), &body_of(&full), "en").await;
        assert_eq!(status, 200, "{path}: {}", &text[..text.len().min(300)]);
        for (lang, says) in [
            ("en", "at least 1001 links"),
            ("ru", "не меньше 1001 ссылок"),
        ] {
            let (status, text) = post(server.url(path), &body_of(&over), lang).await;
            assert_eq!(status, 413, "{path}: {text}");
            let (code, message) = refusal(&text);
            assert_eq!(code, "too_many_links", "{path}");
            assert!(message.contains(says), "{path}: {message}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_string_over_64_kib_is_413_too_long_and_one_at_64_kib_is_read() {
    let server = common::start(common::api_config(None)).await;
    let text_of = |len: usize| "x".repeat(len);
    for (path, body_of) in [
        (
            "/api/v1/check",
            (|s: String| j!({ "url": s })) as fn(String) -> Value,
        ),
        (
            "/api/v1/check/batch",
            |s: String| j!({ "urls": ["https://aliexpress.com/item/1.html", s] }),
        ),
        (CheckLinks::PATH, |s: String| page_args(&[s])),
        // A sub-id or a country is a string too.
        (
            "/api/v1/check",
            |s: String| j!({ "url": "https://aliexpress.com/item/1.html", "sub": s }),
        ),
    ] {
        let (status, text) = post(
            server.url(path),
            &body_of(text_of(MAX_STRING_BYTES + 1)),
            "en",
        )
        .await;
        assert_eq!(status, 413, "{path}: {text}");
        let (code, message) = refusal(&text);
        assert_eq!(code, "too_long", "{path}: {text}");
        assert!(message.contains("65537 bytes"), "{path}: {message}");
        // At the bound, read and answered as a link (too long for one: a failure, never a 413).
        let (status, text) =
            post(server.url(path), &body_of(text_of(MAX_STRING_BYTES)), "ru").await;
        assert!(
            [200, 400, 422].contains(&status),
            "{path}: {status} {}",
            &text[..text.len().min(300)]
        );
    }
    // A megabyte in one string, as a page once sent a paste with no link in it.
    let (status, text) = post(
        server.url(CheckLinks::PATH),
        &page_args(&[")".repeat(MIB - 40)]),
        "ru",
    )
    .await;
    assert_eq!(status, 413, "{text}");
    let (code, message) = refusal(&text);
    assert_eq!(code, "too_long");
    assert!(message.contains("64 КиБ"), "{message}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_the_request_is_400_never_500() {
    let server = common::start(common::api_config(None)).await;
    for body in ["[", "[0,0,0]", "{\"inputs\": \"x\"}", "{}", "null"] {
        let res = client()
            .post(server.url(CheckLinks::PATH))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let text = res.text().await.unwrap();
        // The server function's own error, as the page reads it.
        let error: CheckLinksError = json::from_str(&text).unwrap();
        assert!(
            matches!(error, CheckLinksError::ServerFn(_)),
            "{body}: {text}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn one_clients_large_bodies_wait_for_its_own_not_for_everyone() {
    let server = common::start(common::api_config(None)).await;
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    // About 100 KB: a body that takes its part of the budget.
    let large: Vec<String> = links(1000)
        .into_iter()
        .map(|l| format!("{l}?spm=a2g0o.productlist.main.{}", "1".repeat(50)))
        .collect();
    let large = j!({ "urls": large });
    assert!(serde_json::to_vec(&large).unwrap().len() > 64 * 1024);
    // One client sends a 4 MiB body slowly: its first megabyte is taken (the server reads it, so
    // the body holds its bytes), the rest never comes.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    socket.bind(SocketAddr::from(([127, 0, 0, 7], 0))).unwrap();
    let mut slow = socket.connect(server.addr).await.unwrap();
    let mut start = format!(
        "POST /api/v1/check/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"urls\": [",
        4 * MIB
    )
    .into_bytes();
    while start.len() < MIB {
        start.extend_from_slice(b"\"x\",");
    }
    tokio::time::timeout(Duration::from_secs(20), slow.write_all(&start))
        .await
        .expect("the server reads the slow body")
        .unwrap();
    // That client's next large body waits for its own part; another client's passes meanwhile,
    // and so do the first client's small requests.
    let waiting = tokio::spawn({
        let (client, url, large) = (from(7), server.url("/api/v1/check/batch"), large.clone());
        async move { client.post(url).json(&large).send().await.unwrap().status() }
    });
    let res = from(8)
        .post(server.url("/api/v1/check/batch"))
        .json(&large)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = from(7)
        .post(server.url("/api/v1/check"))
        .json(&j!({ "url": links(1)[0] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        !waiting.is_finished(),
        "the client's second large body waits while its first holds its part"
    );
    // The slow body gone, the waiting one is read and answered.
    drop(slow);
    let status = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the waiting body is read once the slow one is gone")
        .unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

// --- The flood ----------------------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// CPU time a process has used, in seconds.
fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, fields 14 and 15 of the line (11 and 12 after the command), in 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

/// The real binary on a free loopback port; killed when dropped.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    db: std::path::PathBuf,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.db);
    }
}

async fn start_binary() -> Binary {
    let port = free_port();
    let db =
        std::env::temp_dir().join(format!("linksmith-bodies-{}-{port}.db", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("LINKSMITH_DB", &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut binary = Binary {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        db,
    };
    crate::common::eventually(
        "the server becomes healthy",
        Duration::from_secs(60),
        async || {
            if let Ok(Some(status)) = binary.child.try_wait() {
                panic!("the server exited early: {status}");
            }
            client()
                .get(format!("http://{}/healthz", binary.addr))
                .send()
                .await
                .is_ok_and(|res| res.status() == 200)
        },
    )
    .await;
    binary
}

/// Sends one request from `from` (a loopback address) and returns the status line.
async fn send_from(from: IpAddr, to: SocketAddr, head: Arc<Vec<u8>>, body: Arc<Vec<u8>>) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let Ok(mut stream) = socket.connect(to).await else {
        return "connect failed".into();
    };
    if stream.write_all(&head).await.is_err() || stream.write_all(&body).await.is_err() {
        return "write failed".into();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().unwrap_or_default().to_string()
}

/// `[0,0,…,0]`, exactly 4 MiB (the most a body may be): once two million values in a tree.
fn flood_body() -> Vec<u8> {
    let mut body = Vec::with_capacity(4 * MIB);
    body.push(b'[');
    while body.len() + 4 <= 4 * MIB {
        body.extend_from_slice(b"0,");
    }
    body.push(b'0');
    // White space makes up the rest.
    body.resize(4 * MIB - 1, b' ');
    body.push(b']');
    body
}

/// Polls `/healthz` until `stop`, from a thread of its own (blocking I/O on one kept-alive
/// connection: the flood's tasks cannot delay the poller itself); the latency of each answer.
fn poll_healthz(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Duration>> {
    use std::io::{BufRead, BufReader, Read, Write};
    std::thread::spawn(move || {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut took = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            writer
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = n.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            took.push(started.elapsed());
            std::thread::sleep(Duration::from_millis(1));
        }
        took
    })
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// What one flood did to the server.
struct Flood {
    took: Duration,
    cpu: f64,
    /// The most the server's resident memory grew above `before`.
    grew: u64,
    healthz: Vec<Duration>,
    /// The p99 of the server beside it, polled at the same time.
    control_p99: Duration,
}

/// 64 connections at once, each from an address of its own (`127.<net>.0.<n>`: one client may
/// hold only a quarter of the bodies' budget, 64 clients can want it all), each sending a 4 MiB
/// array to the page's check, while `/healthz` is polled on the server and on `control`, and the
/// server's resident memory is sampled every 2 ms.
async fn flood(server: &Binary, control: &Binary, net: u8, before: u64) -> Flood {
    let pid = server.child.id();
    let addr = server.addr;
    let peak = Arc::new(AtomicU64::new(before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    let healthz = poll_healthz(addr, stop.clone());
    let control_healthz = poll_healthz(control.addr, stop.clone());
    let cpu_before = cpu(pid);
    let started = Instant::now();
    let body = Arc::new(flood_body());
    assert_eq!(body.len(), 4 * MIB);
    let head = Arc::new(
        format!(
            "POST {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            CheckLinks::PATH,
            body.len()
        )
        .into_bytes(),
    );
    let senders: Vec<_> = (1..=64)
        .map(|n| {
            let from = IpAddr::from([127, net, 0, n]);
            tokio::spawn(send_from(from, addr, head.clone(), body.clone()))
        })
        .collect();
    let answers = tokio::time::timeout(Duration::from_secs(90), futures::future::join_all(senders))
        .await
        .expect("the flood is answered within its time");
    let took = started.elapsed();
    let cpu = cpu(pid) - cpu_before;
    stop.store(true, Ordering::Relaxed);
    let healthz = healthz.join().unwrap();
    let control_p99 = p99(control_healthz.join().unwrap());
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    // Every body was read and refused: numbers are not the check's arguments (400).
    for status in answers {
        let status = status.unwrap();
        assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    }
    Flood {
        took,
        cpu,
        grew: peak.load(Ordering::Relaxed).saturating_sub(before),
        healthz,
        control_p99,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_connections_of_4_mib_arrays_take_less_than_64_mib_and_healthz_stays_fast() {
    let server = start_binary().await;
    // A second server, not flooded, polled at the same time: what the machine itself (other
    // tests, other work) adds to a /healthz answer in this run.
    let control = start_binary().await;
    for _ in 0..20 {
        client()
            .get(format!("http://{}/healthz", server.addr))
            .send()
            .await
            .unwrap();
    }
    let before = rss(server.child.id());
    // The memory bound holds on every flood (measured from before the first). The latency bound
    // must hold on one of three: a machine shared with other work stalls a busy process now and
    // then by itself, while a server that stalls on large bodies fails all three.
    let mut attempts = Vec::new();
    for attempt in 0..3u8 {
        let f = flood(&server, &control, 1 + attempt, before).await;
        let worst = p99(f.healthz.clone());
        let bound = Duration::from_millis(50) + f.control_p99;
        eprintln!(
            "flood {}: 64 bodies of 4 MiB from 64 addresses in {:?} ({:.2} s of the server's CPU); resident memory {} MiB before, grew by {:.1} MiB at most (bodies' budget {} MiB); /healthz p99 {worst:?}, slowest {:?} over {} polls (the server beside it: p99 {:?})",
            attempt + 1,
            f.took,
            f.cpu,
            before / MIB as u64,
            f.grew as f64 / MIB as f64,
            BODY_BUDGET_BYTES / MIB,
            f.healthz.iter().max().copied().unwrap_or_default(),
            f.healthz.len(),
            f.control_p99,
        );
        assert!(
            f.grew < 64 * MIB as u64,
            "resident memory grew by {} MiB",
            f.grew / MIB as u64
        );
        assert!(
            f.healthz.len() >= 10,
            "healthz was polled throughout ({})",
            f.healthz.len()
        );
        // 50 ms on an idle machine; a machine so loaded that the server beside it is slow adds
        // that much.
        attempts.push((worst, bound));
        if worst < bound {
            return;
        }
    }
    panic!("/healthz p99 during each flood, and its bound: {attempts:?}");
}
