use super::*;
use crate::domain::{codes::ErrorCode, link::normalize};

proptest::proptest! {
    /// The page's own JSON for the channels is `serde_json`'s, and reads back.
    #[test]
    fn channels_are_kept_as_serde_json_keeps_them(
        list in proptest::collection::vec(("[a-zé \"\\\\]{0,8}", "[a-z0-9_-]{0,8}"), 0..4)
    ) {
        let list: Vec<Channel> = list.into_iter().map(|(name, sub)| Channel { name, sub }).collect();
        let text = channels_to_json(&list);
        proptest::prop_assert_eq!(&text, &serde_json::to_string(&list).unwrap());
        proptest::prop_assert_eq!(channels_from_json(&text), Some(list));
    }
}

#[test]
fn channels_it_cannot_read_are_none() {
    for bad in [
        "",
        "{}",
        r#"[{"name":"a"}]"#,
        r#"[{"name":"a","sub":1}]"#,
        "[1]",
    ] {
        assert_eq!(channels_from_json(bad), None, "{bad}");
    }
    assert_eq!(channels_from_json("[]"), Some(Vec::new()));
}

/// What a row expects: (template, network, sub parameter, dropped), or the refusal's start.
type Want = Result<
    (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Vec<&'static str>,
    ),
    &'static str,
>;

/// Deep link -> what it teaches.
#[test]
fn templates_are_learnt_from_deep_links() {
    let dest = "https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html";
    let rows: Vec<(String, Want)> = vec![
        (
            format!("https://shopnow.pub/redirect/cpa/o/abc123/?to={dest}&sub=tg"),
            Ok((
                "https://shopnow.pub/redirect/cpa/o/abc123/?to={url}&sub={sub}",
                Some("ePN"),
                Some("sub"),
                vec![],
            )),
        ),
        (
            format!("https://shopnow.pub/redirect/cpa/o/abc123/?erid=2VtzqwX&sub=vk&to={dest}"),
            Ok((
                "https://shopnow.pub/redirect/cpa/o/abc123/?sub={sub}&to={url}",
                Some("ePN"),
                Some("sub"),
                vec!["erid"],
            )),
        ),
        (
            format!("https://ad.admitad.com/g/1e8d114494b7e1/?ulp={dest}&subid=site&i=5"),
            Ok((
                "https://ad.admitad.com/g/1e8d114494b7e1/?ulp={url}&subid={sub}&i=5",
                Some("Admitad"),
                Some("subid"),
                vec![],
            )),
        ),
        (
            format!("https://ad.admitad.com/g/1e8d114494b7e1/?subid1=a&ulp={dest}"),
            Ok((
                "https://ad.admitad.com/g/1e8d114494b7e1/?subid1=a&ulp={url}",
                Some("Admitad"),
                None,
                vec![],
            )),
        ),
        (
            format!("https://go.othernetwork.example/deeplink?code=77&dest={dest}&sub1=x&sub=y"),
            Ok((
                "https://go.othernetwork.example/deeplink?code=77&dest={url}&sub1=x&sub={sub}",
                None,
                Some("sub"),
                vec![],
            )),
        ),
        (
            format!("https://go.othernetwork.example/deeplink?code=77&u={dest}&sub1=x"),
            Ok((
                "https://go.othernetwork.example/deeplink?code=77&u={url}&sub1={sub}",
                None,
                Some("sub1"),
                vec![],
            )),
        ),
        (
            "https://ali.pub/5abcde".into(),
            Err("ali.pub is a short link"),
        ),
        ("https://fas.st/aBcD1".into(), Err("fas.st is a short link")),
        (
            "https://shopnow.pub/redirect/cpa/o/abc/?sub=tg".into(),
            Err("None of this link's parameters"),
        ),
        (
            format!(
                "https://n.example/?to={}",
                "https%3A%2F%2Fevil.test%2Fitem%2F1.html"
            ),
            Err("None of this link's parameters"),
        ),
        (
            format!("http://shopnow.pub/redirect/cpa/o/abc/?to={dest}"),
            Err("The template made from it is refused: it is not an absolute https"),
        ),
        (
            format!("https://n.example/?to={dest}&x={{oops}}"),
            Err("The template made from it is refused"),
        ),
        ("not a link".into(), Err("This is not a link")),
        (String::new(), Err("This is not a link")),
    ];
    for (input, want) in rows {
        match (derive(&input), want) {
            (Ok(d), Ok((template, network, sub, dropped))) => {
                assert_eq!(d.template.as_str(), template, "{input}");
                assert_eq!((d.network, d.sub.as_deref()), (network, sub), "{input}");
                assert_eq!(d.dropped, dropped, "{input}");
            }
            (Err(e), Err(start)) => assert!(e.to_string().starts_with(start), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn settings_files_round_trip_and_bad_ones_are_refused() {
    let s = Settings {
        linksmith_settings: 0,
        template: "https://n.example/r?to={url}&sub={sub}".into(),
        channels: vec![
            Channel::check("telegram", "tg").unwrap(),
            Channel::check("vk", "vk-1").unwrap(),
        ],
    };
    let back = Settings::parse(&s.to_json()).unwrap();
    assert_eq!(
        (back.template, back.channels),
        (s.template.clone(), s.channels.clone())
    );
    assert!(Settings::parse("{}")
        .unwrap_err()
        .starts_with("This is not a Linksmith settings file"));
    assert!(Settings::parse("not json").is_err());
    let bad = s.to_json().replace("https://n.example", "http://n.example");
    assert!(Settings::parse(&bad)
        .unwrap_err()
        .starts_with("Its template is refused"));
    let bad_sub = s.to_json().replace("\"vk-1\"", "\"v k\"");
    assert!(Settings::parse(&bad_sub).unwrap_err().contains("a space"));
    assert!(Channel::check("", "tg").is_err());
    assert!(Channel::check("x", "").is_err());
}

/// A template learnt from a link makes that same link again for its product.
#[test]
fn a_learnt_template_makes_the_link_it_was_learnt_from() {
    let link = crate::domain::link::normalize("https://aliexpress.com/item/1005006295880104.html")
        .unwrap();
    let d = derive("https://shopnow.pub/redirect/cpa/o/abc123/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg").unwrap();
    let sub = crate::domain::template::SubId::parse("tg").unwrap();
    assert_eq!(
            d.template.render(&link, sub.as_ref()),
            "https://shopnow.pub/redirect/cpa/o/abc123/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg"
        );
}

#[test]
fn sub_ids() {
    assert_eq!(SubId::parse("  ").unwrap(), None);
    assert_eq!(
        SubId::parse(" tg-channel_2.a ").unwrap().unwrap().as_str(),
        "tg-channel_2.a"
    );
    assert!(matches!(
        SubId::parse(&"a".repeat(65)),
        Err(SubIdError::TooLong { len: 65 })
    ));
    assert!(SubId::parse(&"a".repeat(64)).is_ok());
    let e = SubId::parse("a b").unwrap_err();
    assert!(e.to_string().contains("a space"), "{e}");
    assert!(SubId::parse("a&b=c").is_err());
    assert!(SubId::parse("канал").is_err());
    assert_eq!(e.code(), ErrorCode::InvalidSub);
}

#[test]
fn templates_are_checked() {
    use TemplateError::*;
    assert_eq!(LinkTemplate::parse(""), Err(Empty));
    assert_eq!(
        LinkTemplate::parse("https://n.example/?p={product_id}"),
        Err(NoDestination)
    );
    assert!(matches!(
        LinkTemplate::parse("https://n.example/?to={url}&x={oops}"),
        Err(UnknownPlaceholder(p)) if p == "{oops}"
    ));
    assert!(matches!(
        LinkTemplate::parse("http://n.example/?to={url}"),
        Err(NotHttps(_))
    ));
    assert!(matches!(
        LinkTemplate::parse("/relative?to={url}"),
        Err(NotHttps(_))
    ));
    // The canonical https address itself is a valid (if trackless) template.
    assert!(LinkTemplate::parse("{raw_url}").is_ok());
    assert!(matches!(
        LinkTemplate::parse("https://s.click.aliexpress.com/deep_link.htm?dl_target_url={url}"),
        Err(ShortLinkHost(_))
    ));
}

#[test]
fn templates_encode_where_told() {
    let link =
        normalize("https://aliexpress.com/item/1005005248414510.html?sku_id=12000032").unwrap();
    let sub = SubId::parse("tg.ch-1").unwrap();
    let t =
        LinkTemplate::parse("https://epn.example/r?to={url}&sub={sub}&id={product_id}").unwrap();
    assert_eq!(
            t.render(&link, sub.as_ref()),
            "https://epn.example/r?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005005248414510.html%3Fsku_id%3D12000032&sub=tg.ch-1&id=1005005248414510"
        );
    let raw = LinkTemplate::parse("https://ad.example/g/x/?ulp={raw_url}&subid={sub}").unwrap();
    assert_eq!(
            raw.render(&link, None),
            "https://ad.example/g/x/?ulp=https://aliexpress.com/item/1005005248414510.html?sku_id=12000032&subid="
        );
}

/// `{raw_url}` is put in as it is, but never adds a parameter or a fragment to the deep link.
#[test]
fn raw_url_cannot_inject_query_parameters() {
    let link = match crate::domain::link::read(
            "https://aliexpress.com/wholesale?SearchText=lamp%26subid%3Dthief%23x&productIds=1005005248414510,1005006295880104",
        )
        .unwrap()
        {
            crate::domain::link::Reading::Link(l) => l,
            other @ crate::domain::link::Reading::AppShare { .. } => panic!("{other:?}"),
        };
    assert!(link.canonical_url.contains('&'), "{}", link.canonical_url);
    let raw = LinkTemplate::parse("https://ad.example/g/x/?ulp={raw_url}&subid={sub}").unwrap();
    let sub = SubId::parse("mine").unwrap();
    let made = raw.render(&link, sub.as_ref());
    let parsed = url::Url::parse(&made).unwrap();
    let names: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(names, ["ulp", "subid"], "{made}");
    assert_eq!(parsed.fragment(), None, "{made}");
    let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(pairs["subid"], "mine");
    assert!(pairs["ulp"].starts_with("https://aliexpress.com/wholesale?SearchText=lamp"));
    // In a path, `?` and `#` are escaped instead.
    let in_path = LinkTemplate::parse("https://go.example/to/{raw_url}").unwrap();
    let made = in_path.render(&link, None);
    let parsed = url::Url::parse(&made).unwrap();
    assert_eq!(parsed.query(), None, "{made}");
}
