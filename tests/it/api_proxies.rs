//! The API clients (the Open Platform, ePN, Admitad) never go through a proxy from the
//! environment (issue #33): a proxy would see the signed calls and the tokens, and could answer
//! in the upstream's place. The real binary runs with every proxy variable pointing at a local
//! listener; a check reaches each fake upstream and the listener is never called.

use std::{
    process::{Command, Stdio},
    sync::atomic::Ordering,
    time::Duration,
};

use crate::common::{
    fake_gateway,
    fake_networks::{start_admitad, start_epn},
    GATEWAY_KEY, GATEWAY_SECRET,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_api_client_goes_through_a_proxy() {
    let gateway = fake_gateway::start(GATEWAY_KEY, GATEWAY_SECRET).await;
    gateway.add_standard_products();
    let epn = start_epn("proxy-epn", "proxy-epn-secret").await;
    let admitad = start_admitad("proxy-admitad", "proxy-admitad-secret").await;
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let port = free_port();
    let db = std::env::temp_dir().join(format!("linksmith-api-proxy-{}.db", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_linksmith"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LINKSMITH_API_RATE", "off")
        .env("LINKSMITH_DB", &db)
        .env_remove("LINKSMITH_DATABASE_URL")
        .env("ALIEXPRESS_API_URL", gateway.url().as_str())
        .env("ALIEXPRESS_APP_KEY", GATEWAY_KEY)
        .env("ALIEXPRESS_APP_SECRET", GATEWAY_SECRET)
        .env("ALIEXPRESS_TRACKING_ID", "trk")
        .env("EPN_API_URL", epn.api_url().as_str())
        .env("EPN_OAUTH_URL", epn.oauth_url().as_str())
        .env("EPN_CLIENT_ID", "proxy-epn")
        .env("EPN_CLIENT_SECRET", "proxy-epn-secret")
        .env("ADMITAD_API_URL", admitad.url().as_str())
        .env("ADMITAD_CLIENT_ID", "proxy-admitad")
        .env("ADMITAD_CLIENT_SECRET", "proxy-admitad-secret")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env(name, &proxy_url);
    }
    let mut child = command.spawn().unwrap();
    let client = crate::common::client();
    let base = format!("http://127.0.0.1:{port}");
    crate::common::eventually("the server starts", Duration::from_secs(30), async || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited early: {status}");
        }
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let answer: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/check?url=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_file(&db);
    assert_eq!(answer["status_source"], "api", "{answer}");
    assert!(
        gateway.calls() >= 1,
        "the Open Platform was called directly"
    );
    assert!(
        epn.state.check_calls.load(Ordering::SeqCst) >= 1,
        "ePN was called directly"
    );
    assert!(
        admitad.state.rate_calls.load(Ordering::SeqCst) >= 1,
        "Admitad was called directly"
    );
    assert!(
        matches!(proxy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "an API client connected to the proxy"
    );
}
