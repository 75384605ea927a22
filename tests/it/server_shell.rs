//! The server shell: pages, health, static files, security and cache headers, shutdown.

use crate::common::{client, leptos_options, start, start_default, temp_site};
use linksmith::server::ServerConfig;

#[tokio::test]
async fn healthz_answers_ok_json() {
    let server = start_default().await;
    let res = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

#[tokio::test]
async fn home_page_renders_shell_with_paste_box_and_independence_notice() {
    let server = start_default().await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<header class=\"site-header\""));
    assert!(html.contains("<textarea id=\"paste\" name=\"url\""));
    assert!(html.contains("data-testid=\"check\""), "{html}");
    assert!(
        html.contains("not affiliated with, endorsed by or related to AliExpress or Alibaba Group")
    );
    assert!(
        html.contains("<title>Check links · Linksmith</title>"),
        "{html}"
    );
    server.stop().await;
}

/// A shared address is checked on the server: the result is in the HTML, before any script runs.
#[tokio::test]
async fn a_shared_address_is_rendered_with_its_result() {
    let server = start_default().await;
    let url = "https://aliexpress.com/item/1005006295880104.html?aff_fcid=x\nhttps://s.click.aliexpress.com/e/_x";
    let res = client()
        .get(server.url("/"))
        .query(&[("url", url), ("country", "kz"), ("amount", "100")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-status=\"unknown\""), "{html}");
    assert!(html.contains("data-code=\"short_link_rejected\""), "{html}");
    assert!(html.contains("0–70%"), "{html}");
    assert!(html.contains("$0.00–$38.50"), "{html}");
    assert!(html.contains("15 days"), "{html}");
    assert!(html.contains("<option value=\"KZ\" selected"), "{html}");
    server.stop().await;
}

#[tokio::test]
async fn every_response_carries_strict_security_headers() {
    let server = start_default().await;
    for path in ["/", "/healthz", "/favicon.svg", "/no-such-page"] {
        let res = client().get(server.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("'unsafe-eval'"), "{path}: {csp}");
        // Images: the site and AliExpress's image hosts only (real answers carry both
        // ae01.alicdn.com and ae-pic-a1.aliexpress-media.com), never any https host.
        let img = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("img-src"))
            .unwrap_or_default();
        assert_eq!(
            img, "img-src 'self' data: https://*.alicdn.com https://*.aliexpress-media.com",
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn inline_hydration_script_carries_the_nonce_of_the_csp_header() {
    let server = start_default().await;
    let res = client().get(server.url("/")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap()
        .to_string();
    assert!(nonce.len() >= 16, "nonce too short: {nonce}");
    let html = res.text().await.unwrap();
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..])
        .collect();
    assert!(!scripts.is_empty(), "the page has no hydration script");
    for script in scripts {
        let tag = &script[..script.find('>').unwrap()];
        // An empty inline script (leptos_i18n's placeholder) never runs: the HTML spec's "prepare
        // the script element" returns before any CSP check when the source text is empty.
        let empty = script[tag.len()..].starts_with("></script>");
        if !tag.contains(" src=") && !empty {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "inline script without the nonce: {}",
                &script[..script.len().min(300)]
            );
        }
    }
    // A fresh nonce per response.
    let again = client().get(server.url("/")).send().await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_path_is_a_404_page_not_a_500() {
    let server = start_default().await;
    let res = client()
        .get(server.url("/definitely/not/here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("not affiliated with"));
    server.stop().await;
}

#[tokio::test]
async fn static_files_are_served_with_cache_headers() {
    let site = crate::common::temp_site();
    let server = crate::common::start(linksmith::server::ServerConfig::with_leptos(
        crate::common::leptos_options(&site, true),
    ))
    .await;
    let res = client()
        .get(server.url("/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");
    // With hashed file names, build outputs are immutable.
    let res = client()
        .get(server.url("/pkg/linksmith.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // Pages are always revalidated.
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-cache");
    server.stop().await;
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let server = start_default().await;
    let res = client()
        .get(server.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    let res = client()
        .get(server.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    // A one-link answer (about 2 KB) is sent as it is; a batch's answer is compressed.
    let link = "https://aliexpress.com/item/1005006295880104.html";
    let res = client()
        .post(server.url("/api/v1/check"))
        .header("accept-encoding", "br")
        .json(&serde_json::json!({ "url": link }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_none());
    let res = client()
        .post(server.url("/api/v1/check/batch"))
        .header("accept-encoding", "br")
        .json(&serde_json::json!({ "urls": vec![link; 20] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    server.stop().await;
}

/// Build outputs precompressed at the highest levels (tools/precompress.mjs) are sent as they are.
#[tokio::test]
async fn precompressed_assets_are_sent_as_built() {
    let site = temp_site();
    let wasm = b"\0asm\x01\0\0\0 the bundle".to_vec();
    std::fs::write(site.join("pkg/app.abc.wasm"), &wasm).unwrap();
    std::fs::write(site.join("pkg/app.abc.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(site.join("pkg/app.abc.wasm.gz"), b"gzip bytes").unwrap();
    let server = start(ServerConfig::with_leptos(leptos_options(&site, true))).await;
    for (encoding, body) in [("br", &b"brotli bytes"[..]), ("gzip", &b"gzip bytes"[..])] {
        let res = client()
            .get(server.url("/pkg/app.abc.wasm"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], encoding);
        assert_eq!(res.headers()["content-type"], "application/wasm");
        assert_eq!(res.bytes().await.unwrap().as_ref(), body);
    }
    // A client that accepts neither gets the file itself.
    let res = client()
        .get(server.url("/pkg/app.abc.wasm"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.bytes().await.unwrap().as_ref(), &wasm[..]);
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_frees_the_port() {
    let server = start_default().await;
    let addr = server.addr;
    assert_eq!(
        client()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn a_shared_address_renders_the_reading_on_the_server() {
    let server = start_default().await;
    let res = client()
        .get(server.url("/"))
        .query(&[("url", "https://s.click.aliexpress.com/e/_c3vkSW1v\nhttps://www.aliexpress.com/item/1005006295880104.html?aff_fcid=1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("2 links: 1 usable, 1 refused"), "{html}");
    assert!(html.contains("https://aliexpress.com/item/1005006295880104.html"));
    assert!(html.contains("a commission through s.click links may not count"));
    server.stop().await;
}

#[tokio::test]
async fn pasted_markup_is_escaped() {
    let server = start_default().await;
    let res = client()
        .get(server.url("/"))
        .query(&[(
            "url",
            "https://evil.test/<script>alert(1)</script> \"><img src=x onerror=alert(1)>",
        )])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    // The paste box is the one place the paste is echoed: it must not be able to close it.
    let res = client()
        .get(server.url("/"))
        .query(&[("url", "a</textarea><b id=pwn>x</b>")])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(!html.contains("<b id=pwn>"), "{html}");
    assert!(
        html.contains("a&lt;/textarea&gt;&lt;b id=pwn&gt;x&lt;/b&gt;</textarea>"),
        "{html}"
    );
    server.stop().await;
}

#[tokio::test]
async fn rates_page_renders_the_rules_data_in_both_languages() {
    let server = start_default().await;
    let html = client()
        .get(server.url("/rates"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<title>Commission rates · Linksmith</title>"),
        "{html}"
    );
    for text in [
        "0.72–7%",
        "0.8–7%",
        "up to 70%",
        "from 0%",
        "15 days",
        "3 days",
        "since 2022-10-20",
        "Computer &amp; Office category shipped to Brazil",
        "38.5 USD",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    let html = client()
        .get(server.url("/rates?lang=ru"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [
        "Ставки комиссии",
        "до 70%",
        "от 0%",
        "с 2022-10-20",
        "Бразилию",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    server.stop().await;
}

/// The page's language: `?lang=` chooses it and the response remembers it in a cookie; else the
/// cookie; else the language `Accept-Language` prefers among English and Russian; else English.
#[tokio::test]
async fn the_language_comes_from_the_address_the_cookie_or_accept_language() {
    let server = start_default().await;
    let get = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let mut req = client().get(server.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        async move {
            let res = req.send().await.unwrap();
            let cookie = res
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().to_string());
            let html = res.text().await.unwrap();
            let lang = html
                .split_once("<html lang=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(lang, _)| lang.to_string());
            (lang, cookie)
        }
    };
    let (lang, cookie) = get("/?lang=ru", &[("accept-language", "en")]).await;
    assert_eq!(lang.as_deref(), Some("ru"));
    let cookie = cookie.expect("the choice is remembered");
    assert!(
        cookie.starts_with("i18n_pref_locale=ru; path=/;"),
        "{cookie}"
    );
    let (lang, cookie) = get("/rates?lang=en", &[("cookie", "i18n_pref_locale=ru")]).await;
    assert_eq!(lang.as_deref(), Some("en"));
    assert!(cookie.is_some_and(|c| c.starts_with("i18n_pref_locale=en;")));
    for (path, headers, want) in [
        (
            "/campaign",
            &[("cookie", "x=1; i18n_pref_locale=ru")][..],
            "ru",
        ),
        (
            "/",
            &[("cookie", "i18n_pref_locale=en"), ("accept-language", "ru")][..],
            "en",
        ),
        (
            "/rates",
            &[("accept-language", "de-DE,ru;q=0.8,en;q=0.5")][..],
            "ru",
        ),
        ("/", &[("accept-language", "uk, be;q=0.9")][..], "en"),
        ("/", &[][..], "en"),
    ] {
        let (lang, cookie) = get(path, headers).await;
        assert_eq!(lang.as_deref(), Some(want), "{path} {headers:?}");
        assert_eq!(cookie, None, "only a choice in the address is written");
    }
    server.stop().await;
}

/// Many pages rendered at once on several threads: the `<title>`, which the server reads after
/// the page's first part, never reaches for a request's reactive arena that is no longer current
/// (it did: 5 connections in 900 closed by a panic, `no Arena is active`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_rendered_at_once_all_get_their_title() {
    let server = start_default().await;
    let client = client();
    // In waves of 32: the server holds at most 64 connections from one address.
    for wave in 0..8 {
        let mut tasks = Vec::new();
        for i in 0..32 {
            let path = ["/campaign", "/rates", "/", "/nowhere"][(wave + i) % 4];
            let req = client.get(server.url(path));
            tasks.push(tokio::spawn(async move {
                let res = req.send().await.expect("the connection is answered");
                let status = res.status().as_u16();
                let html = res.text().await.expect("the page is read whole");
                (path, status, html.contains("Linksmith</title>"))
            }));
        }
        for task in tasks {
            let (path, status, titled) = task.await.unwrap();
            let want = if path == "/nowhere" { 404 } else { 200 };
            assert_eq!(status, want, "{path}");
            assert!(titled, "{path} has its title");
        }
    }
    server.stop().await;
}
