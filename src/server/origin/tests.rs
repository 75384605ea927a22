use super::*;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(*name, HeaderValue::from_static(value));
    }
    h
}

fn fetch(site: &'static str, mode: &'static str, dest: &'static str) -> HeaderMap {
    headers(&[
        ("sec-fetch-site", site),
        ("sec-fetch-mode", mode),
        ("sec-fetch-dest", dest),
    ])
}

#[test]
fn only_another_sites_navigation_is_a_cross_site_navigation() {
    assert!(cross_site_navigation(&fetch(
        "cross-site",
        "navigate",
        "document"
    )));
    assert!(cross_site_navigation(&fetch(
        "cross-site",
        "navigate",
        "iframe"
    )));
    assert!(cross_site_navigation(&headers(&[
        ("sec-fetch-site", " Cross-Site "),
        ("sec-fetch-mode", "NAVIGATE"),
    ])));
    for h in [
        fetch("cross-site", "no-cors", "image"),
        fetch("cross-site", "cors", "empty"),
        fetch("same-site", "navigate", "document"),
        fetch("same-origin", "navigate", "document"),
        fetch("none", "navigate", "document"),
        headers(&[("sec-fetch-mode", "navigate")]),
        HeaderMap::new(),
    ] {
        assert!(!cross_site_navigation(&h), "{h:?}");
    }
}

#[test]
fn routes_are_told_apart_by_path_and_query() {
    for path in [
        "/api/v1/check",
        "/api/v1/check/batch",
        "/api/v1/campaign/check",
    ] {
        assert_eq!(Route::of(path, None), Route::ApiCheck, "{path}");
    }
    assert_eq!(
        Route::of(CheckLinks::PATH, None),
        Route::ServerFn {
            content_type: "application/json"
        }
    );
    assert_eq!(
        Route::of(CheckSetup::PATH, None),
        Route::ServerFn {
            content_type: "application/x-www-form-urlencoded"
        }
    );
    assert_eq!(Route::of("/", Some("url=x&sub=1")), Route::SharedAddress);
    assert_eq!(Route::of("/", Some("lang=ru&url")), Route::SharedAddress);
    for (path, query) in [
        ("/", None),
        ("/", Some("lang=ru")),
        ("/", Some("urls=x")),
        ("/rates", Some("lang=ru")),
        ("/api/v1/openapi.json", None),
        ("/healthz", None),
        ("/readyz", None),
        ("/pkg/linksmith.js", Some("url=x")),
        ("/api/v1/checker", None),
    ] {
        assert_eq!(Route::of(path, query), Route::Other, "{path} {query:?}");
    }
}

#[test]
fn server_functions_all_have_a_content_type() {
    let known: Vec<&str> = server_functions().iter().map(|(p, _)| *p).collect();
    let registered: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(!registered.is_empty());
    for (path, method) in registered {
        assert!(
            known.contains(&path),
            "the server function {path} ({method}) has no content type in origin::server_functions"
        );
    }
}

#[test]
fn other_sites_checks_are_refused_unless_the_reader_navigates() {
    let post = Method::POST;
    let json = |mut h: HeaderMap| {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h
    };
    let page = Route::of(CheckLinks::PATH, None);
    for route in [Route::ApiCheck, page] {
        for (h, refused) in [
            (fetch("cross-site", "no-cors", "empty"), true),
            (fetch("cross-site", "cors", "empty"), true),
            (fetch("cross-site", "no-cors", "image"), true),
            (fetch("cross-site", "navigate", "iframe"), true),
            (headers(&[("sec-fetch-site", "cross-site")]), true),
            (fetch("cross-site", "navigate", "document"), false),
            (
                headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate"),
                ]),
                false,
            ),
            (fetch("same-origin", "cors", "empty"), false),
            (fetch("same-site", "cors", "empty"), false),
            (fetch("none", "navigate", "document"), false),
            (HeaderMap::new(), false),
        ] {
            let got = refusal(route, &post, &json(h.clone()));
            assert_eq!(
                got == Some(Refused::CrossSite),
                refused,
                "{route:?} {h:?}: {got:?}"
            );
        }
    }
    // A shared address: every navigation renders (from memory when from another site).
    let shared = Route::SharedAddress;
    let get = Method::GET;
    assert_eq!(
        refusal(shared, &get, &fetch("cross-site", "no-cors", "image")),
        Some(Refused::CrossSite)
    );
    for h in [
        fetch("cross-site", "navigate", "document"),
        fetch("cross-site", "navigate", "iframe"),
        fetch("same-origin", "navigate", "document"),
        HeaderMap::new(),
    ] {
        assert_eq!(refusal(shared, &get, &h), None, "{h:?}");
    }
    // Anything else is never refused here.
    assert_eq!(
        refusal(Route::Other, &get, &fetch("cross-site", "no-cors", "image")),
        None
    );
}

#[test]
fn a_server_function_takes_only_the_content_type_its_page_sends() {
    let page = Route::of(CheckLinks::PATH, None);
    let same = fetch("same-origin", "cors", "empty");
    for (ct, ok) in [
        (Some("application/json"), true),
        (Some("Application/JSON; charset=utf-8"), true),
        (Some("text/plain"), false),
        (Some("text/plain;charset=UTF-8"), false),
        (Some("application/x-www-form-urlencoded"), false),
        (Some("multipart/form-data; boundary=x"), false),
        (Some("application/jsonx"), false),
        (None, false),
    ] {
        let mut h = same.clone();
        if let Some(ct) = ct {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        let got = refusal(page, &Method::POST, &h);
        assert_eq!(got.is_none(), ok, "{ct:?}: {got:?}");
        if !ok {
            assert_eq!(
                got,
                Some(Refused::ContentType {
                    expected: "application/json"
                })
            );
        }
    }
    // The set-up's function takes the form type its page sends (no arguments).
    let setup = Route::of(CheckSetup::PATH, None);
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    assert_eq!(refusal(setup, &Method::POST, &h), None);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    assert!(refusal(setup, &Method::POST, &h).is_some());
}

#[test]
fn readyz_details_go_to_loopback_and_trusted_proxies_only() {
    let trusted = TrustedProxies::parse("10.0.0.5, 127.0.0.1").unwrap();
    let none = TrustedProxies::default();
    let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
    let xff = |v: &'static str| headers(&[("x-forwarded-for", v)]);
    let cases = [
        // The machine itself.
        (ip("127.0.0.1"), HeaderMap::new(), &none, true),
        (ip("::1"), HeaderMap::new(), &none, true),
        (ip("::ffff:127.0.0.1"), HeaderMap::new(), &none, true),
        // An outside client, directly, or claiming to be loopback.
        (ip("203.0.113.9"), HeaderMap::new(), &none, false),
        (ip("203.0.113.9"), xff("127.0.0.1"), &trusted, false),
        // A trusted proxy's own probe; a request it forwards for an outside client.
        (ip("10.0.0.5"), HeaderMap::new(), &trusted, true),
        (ip("10.0.0.5"), xff("203.0.113.9"), &trusted, false),
        (ip("127.0.0.1"), xff("203.0.113.9"), &trusted, false),
        // ... or for a client on the proxy's own machine.
        (ip("10.0.0.5"), xff("127.0.0.1"), &trusted, true),
        // A proxy on this machine that was not declared: its clients are unknown.
        (ip("127.0.0.1"), xff("203.0.113.9"), &none, false),
        (
            ip("127.0.0.1"),
            headers(&[("forwarded", "for=203.0.113.9")]),
            &none,
            false,
        ),
        (
            ip("127.0.0.1"),
            headers(&[("x-real-ip", "203.0.113.9")]),
            &none,
            false,
        ),
        // No peer: nothing known.
        (None, HeaderMap::new(), &none, false),
    ];
    for (peer, h, proxies, sees) in cases {
        assert_eq!(sees_details(peer, &h, proxies), sees, "{peer:?} {h:?}");
    }
}
