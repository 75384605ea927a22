//! The built `linksmith` binary: configuration from Leptos.toml, start-up errors, SIGTERM.

use std::{
    io::Read,
    process::{Command, Stdio},
    time::Duration,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_healthy(port: u16, child: &mut std::process::Child) {
    crate::common::eventually_blocking(
        "the server becomes healthy",
        Duration::from_secs(30),
        || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("server exited early: {status}");
            }
            let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            let _ = std::io::Write::write_all(
                &mut s,
                b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            );
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            buf.starts_with("HTTP/1.1 200")
        },
    );
}

#[cfg(unix)]
#[test]
fn binary_reads_leptos_toml_serves_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .env(
            "LINKSMITH_DB",
            std::env::temp_dir().join(format!("linksmith-bin-{}.db", std::process::id())),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exit = None;
    crate::common::eventually_blocking(
        "the server stops on SIGTERM",
        Duration::from_secs(10),
        || {
            exit = child.try_wait().unwrap();
            exit.is_some()
        },
    );
    let exit = exit.unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(exit.success(), "exit {exit}: {log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains(&format!("127.0.0.1:{port}")), "{log}");
}

#[test]
fn binary_without_leptos_toml_exits_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("linksmith-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(&dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Leptos.toml"), "{err}");
    assert!(err.contains("Start the server from the directory"), "{err}");
}

#[test]
fn binary_reports_a_busy_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not listen on"), "{err}");
    assert!(err.contains("LEPTOS_SITE_ADDR"), "{err}");
}

#[test]
fn binary_refuses_an_invalid_rules_file_naming_file_line_and_problem() {
    let dir = std::env::temp_dir().join(format!("linksmith-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("programme.toml");
    let good = std::fs::read_to_string(format!(
        "{}/rules/programme.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    std::fs::write(
        &path,
        good.replacen("min = 0.72\nmax = 7.0", "min = 9.0\nmax = 7.0", 1),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("LINKSMITH_RULES", &path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:", path.display())), "{err}");
    assert!(err.contains("band min 9 is over max 7"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("LINKSMITH_RULES", dir.join("missing.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not read the rules file"), "{err}");
}

#[test]
fn binary_refuses_a_bad_link_template_at_start() {
    for (template, says) in [
        (
            "http://network.example/deeplink?to={url}",
            "not an absolute https address",
        ),
        (
            "https://network.example/deeplink?id={product_id}",
            "no {url} or {raw_url}",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("LINKSMITH_LINK_TEMPLATE", template)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{template} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("LINKSMITH_LINK_TEMPLATE is not usable"),
            "{err}"
        );
        assert!(err.contains(says), "{err}");
    }
}

fn get(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn the_app_secret_is_in_no_page_no_log_line_and_no_file_of_the_site() {
    const SECRET: &str = "s3cr3t-never-shown-0b1f";
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "trace")
        .env(
            "LINKSMITH_DB",
            std::env::temp_dir().join(format!("linksmith-secret-{}.db", std::process::id())),
        )
        .env("ALIEXPRESS_API_URL", "http://127.0.0.1:9/sync")
        .env("ALIEXPRESS_APP_KEY", "500123")
        .env("ALIEXPRESS_APP_SECRET", SECRET)
        .env("ALIEXPRESS_TRACKING_ID", "trk")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the logs while the server runs: a full pipe would block it.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let err_log = drain(Box::new(child.stderr.take().unwrap()));
    let out_log = drain(Box::new(child.stdout.take().unwrap()));
    wait_healthy(port, &mut child);
    for path in [
        "/",
        "/rates",
        "/rates?lang=ru",
        "/campaign",
        "/healthz",
        "/no-such-page",
        "/?url=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html",
    ] {
        let page = get(port, path);
        assert!(page.starts_with("HTTP/1.1 "), "{path}");
        assert!(!page.contains(SECRET), "{path} shows the secret");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let log = err_log.join().unwrap() + &out_log.join().unwrap();
    assert!(
        log.contains("status sources ready") && log.contains("http://127.0.0.1:9/sync"),
        "{log}"
    );
    assert!(!log.contains(SECRET), "a log line shows the secret");
    // The built site (WASM, JS, CSS) never holds it: the credentials are read on the server only.
    let mut files = Vec::new();
    files_under(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site"),
        &mut files,
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            f.display()
        );
    }
}

#[test]
fn a_bad_gateway_address_stops_the_server_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env(
            "LINKSMITH_DB",
            std::env::temp_dir().join(format!("linksmith-badurl-{}.db", std::process::id())),
        )
        .env("ALIEXPRESS_API_URL", "ftp://gateway")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ALIEXPRESS_API_URL is not usable"), "{err}");
}

/// The guarded fetcher ignores proxy variables: a proxy would resolve names and connect where
/// the fetcher's address checks never look. The server runs with every proxy variable pointing
/// at a local listener, follows an app share link, and the listener is never called.
#[cfg(unix)]
#[test]
fn the_guarded_fetcher_never_goes_through_a_proxy() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LINKSMITH_API_RATE", "off")
        .env(
            "LINKSMITH_DB",
            std::env::temp_dir().join(format!("linksmith-proxy-{}.db", std::process::id())),
        )
        .env("HTTPS_PROXY", &proxy_url)
        .env("https_proxy", &proxy_url)
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env("all_proxy", &proxy_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    let answer = get(
        port,
        "/api/v1/check?url=https%3A%2F%2Fa.aliexpress.com%2F_mK1abc",
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    assert!(answer.contains("short_link_unresolved"), "{answer}");
    assert!(
        matches!(proxy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the fetcher connected to the proxy"
    );
}

#[test]
fn inspect_prints_what_the_page_reader_reads_and_exits_2_on_an_unreadable_file() {
    let pages = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pages");
    let inspect = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_linksmith"))
            .args(["inspect", file])
            .output()
            .unwrap()
    };
    let out = inspect(&format!("{pages}/runparams-components.html"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{pages}/expected.json")).unwrap())
            .unwrap();
    assert_eq!(json, expected["runparams-components.html"]);
    assert_eq!(json["store_id"]["from"], "runParams.sellerComponent");

    let dir = std::env::temp_dir().join(format!("linksmith-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Nothing found, and bytes that are not UTF-8: still read, exit 0.
    let empty = dir.join("empty.html");
    std::fs::write(&empty, b"<html><body>\xff\xfe nothing here</body></html>").unwrap();
    let out = inspect(empty.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["title"]["value"], serde_json::Value::Null);
    assert_eq!(json["available"]["value"], true);

    let missing = dir.join("missing.html");
    let out = inspect(missing.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read") && err.contains("missing.html"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let big = dir.join("big.html");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(8 * 1024 * 1024 + 1).unwrap();
    let out = inspect(big.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over 8 MiB"), "{err}");

    let out = inspect(dir.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2), "a directory is not a page");
    std::fs::remove_dir_all(&dir).unwrap();
}
