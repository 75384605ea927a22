//! Property tests of the link engine: no input panics, canonical URLs are fixed points,
//! normalising is idempotent, extraction positions are exact.

use linksmith::domain::link::{extract, read, Reading};
use proptest::prelude::*;

/// Link-shaped text: a scheme (or none), a host (real, look-alike or hostile), a path form and
/// parameters, decorated the way pastes are.
fn link_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just(""),
        Just("https://"),
        Just("http://"),
        Just("HTTPS://"),
        Just("//"),
        Just("javascript:"),
        Just("ftp://"),
    ];
    let host = prop_oneof![
        Just("aliexpress.com"),
        Just("www.aliexpress.com"),
        Just("m.aliexpress.com"),
        Just("pt.aliexpress.com"),
        Just("aliexpress.ru"),
        Just("m.aliexpress.ru"),
        Just("aliexpress.us"),
        Just("best.aliexpress.com"),
        Just("sale.aliexpress.com"),
        Just("tmall.aliexpress.com"),
        Just("star.aliexpress.com"),
        Just("s.click.aliexpress.com"),
        Just("a.aliexpress.com"),
        Just("xiaomi.aliexpress.com"),
        Just("aliexpress.com.evil.test"),
        Just("аliexpress.com"),
        Just("alipromo.com"),
        Just("127.0.0.1"),
        Just("aliexpress.com:443"),
        Just("aliexpress.com:8080"),
        Just("user@aliexpress.com"),
        Just("aliexpress.com@evil.test"),
    ];
    let id = prop_oneof![
        "[0-9]{10,16}".prop_map(|s| s),
        "[0-9]{1,20}".prop_map(|s| s),
        Just("1005006295880104".to_string()),
    ];
    let path =
        (id.clone(), "[0-9]{5,10}", "[a-zA-Z0-9-]{0,20}").prop_flat_map(|(id, store, slug)| {
            prop_oneof![
                Just(format!("/item/{id}.html")),
                Just(format!("/item/0_{id}.html")),
                Just(format!("/item/{slug}/{id}.html")),
                Just(format!("/i/{id}.html")),
                Just(format!("/s/item/{id}.html")),
                Just(format!("/store/product/{slug}/{store}_{id}.html")),
                Just(format!("/store/{store}")),
                Just(format!("/store/{store}/search")),
                Just(format!("/store/group/{slug}/{store}_1.html")),
                Just(format!("/category/{store}/{slug}.html")),
                Just(format!("/w/wholesale-{slug}x.html")),
                Just("/wholesale".to_string()),
                Just(format!("/ssr/300000512/{slug}x")),
                Just("/".to_string()),
                Just(String::new()),
                Just(format!("/_{slug}x")),
                Just("/share/share.htm".to_string()),
                Just(format!("/{slug}")),
            ]
        });
    let param = prop_oneof![
        Just("spm=a2g0o.detail.1000013".to_string()),
        Just("aff_fcid=abc-123".to_string()),
        Just("tt=CPS_NORMAL".to_string()),
        Just("sk=_Dk43yId".to_string()),
        Just("sku_id=12000036726845785".to_string()),
        Just("SearchText=phone+case".to_string()),
        Just("productIds=1005006003833419:12000035337625337".to_string()),
        Just("productIds=1,2".to_string()),
        Just("pdp_ext_f=%7B%22sku_id%22%3A%2212000036726845785%22%7D".to_string()),
        Just("redirectUrl=https%3A%2F%2Faliexpress.com%2Fitem%2F1005009561948552.html".to_string()),
        Just("productId=1005009561948552".to_string()),
        Just("utm_medium=cpa".to_string()),
        "[a-zA-Z_]{1,8}=[a-zA-Z0-9%]{0,12}".prop_map(|s| s),
        // Names and values with multi-byte characters, raw and percent-encoded.
        "[a-zй_ф%D0B9]{1,8}=[йя✓a-z%]{0,8}".prop_map(|s| s),
    ];
    let params = prop::collection::vec(param, 0..5).prop_map(|ps| {
        if ps.is_empty() {
            String::new()
        } else {
            format!("?{}", ps.join("&"))
        }
    });
    let fragment = prop_oneof![Just(""), Just("#reviews"), Just("#")];
    let wrap = prop_oneof![
        Just(("", "")),
        Just(("  ", "\n")),
        Just(("\"", "\"")),
        Just(("(", ").")),
        Just(("\u{200b}", "")),
        Just(("<", ">"))
    ];
    (scheme, host, path, params, fragment, wrap)
        .prop_map(|(s, h, p, q, f, (l, r))| format!("{l}{s}{h}{p}{q}{f}{r}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = read(&s);
        let _ = extract(&s);
    }

    #[test]
    fn link_like_text_never_panics_and_errors_have_codes_and_sentences(s in link_like()) {
        match read(&s) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(!e.code().as_str().is_empty());
                let msg = e.to_string();
                prop_assert!(msg.ends_with('.'), "message is not a sentence: {msg}");
            }
        }
    }

    #[test]
    fn canonical_urls_are_fixed_points_and_normalising_is_idempotent(s in link_like()) {
        if let Ok(Reading::Link(link)) = read(&s) {
            prop_assert!(link.canonical_url.starts_with("https://"));
            prop_assert!(!link.canonical_url.contains('#'));
            let again = match read(&link.canonical_url) {
                Ok(Reading::Link(again)) => again,
                other => return Err(TestCaseError::fail(format!("{} reads as {other:?}", link.canonical_url))),
            };
            prop_assert_eq!(&again.canonical_url, &link.canonical_url);
            prop_assert!(again.removed_params.is_empty());
            prop_assert!(!again.foreign_affiliate);
            prop_assert_eq!(again.kind, link.kind);
            prop_assert_eq!(&again.product_id, &link.product_id);
            prop_assert_eq!(&again.sku_id, &link.sku_id);
            // A home link's canonical is the terms' home page, https://aliexpress.com.
            if link.kind == linksmith::domain::link::PageKind::Home {
                prop_assert_eq!(&again.canonical_url, "https://aliexpress.com/");
            } else {
                prop_assert_eq!(again.site, link.site);
            }
        }
    }

    #[test]
    fn extraction_positions_are_exact_and_ordered(
        parts in prop::collection::vec(prop_oneof![link_like(), "[^\\s]{0,12}".prop_map(|s| s), Just("\n".to_string()), Just(" 🔥 ".to_string())], 0..12)
    ) {
        let text = parts.join(" ");
        let found = extract(&text).unwrap();
        let mut last_end = 0;
        for c in &found {
            prop_assert!(c.start >= last_end && c.start < c.end && c.end <= text.len());
            prop_assert_eq!(&text[c.start..c.end], c.text);
            last_end = c.end;
        }
    }
}
