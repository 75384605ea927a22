//! A webmaster's link template learnt from one deep link they made in their network's cabinet:
//! the parameter that carries the destination becomes `{url}`, the first of `sub`, `subid`,
//! `sub1` becomes `{sub}`, an `erid` ad-marking token (it marks one ad) is dropped. Pure: the page
//! derives it in the browser with the same code the server validates templates with.

use crate::domain::{
    check::{LinkTemplate, TemplateError},
    link::{hosts, params},
};

/// The names of the sub-id parameter, in the order they are looked for.
const SUB_NAMES: [&str; 3] = ["sub", "subid", "sub1"];
/// Parameters that are never reused: `erid` marks one ad (Russian ad-marking law).
const DROPPED: [&str; 1] = ["erid"];

/// What a deep link taught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub template: LinkTemplate,
    /// The network whose host it is (`ePN`, `Admitad`), where known.
    pub network: Option<&'static str>,
    /// The parameter that carried the destination.
    pub destination: String,
    /// The parameter that carries the sub-id, if the link had one.
    pub sub: Option<String>,
    /// Parameters dropped (`erid`).
    pub dropped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    #[error("This is not a link. Paste the deep link your network's cabinet made for one product, starting with https://.")]
    NotALink,
    #[error("{host} is a short link: it hides its parameters. Paste the full deep link from your network's cabinet (the one with the product's address in it).")]
    ShortLink { host: String },
    #[error("None of this link's parameters leads to an AliExpress page, so there is nothing to put the checked page in. Make a deep link for one product in your network's cabinet and paste it.")]
    NoDestination,
    #[error("The template made from it is refused: {0}.")]
    Invalid(TemplateError),
}

/// Whether a decoded parameter value is an AliExpress page address.
fn leads_to_aliexpress(value: &str) -> bool {
    crate::domain::link::parse_url(value.trim()).is_ok_and(|u| {
        matches!(u.scheme(), "https" | "http")
            && u.host_str().is_some_and(|h| {
                matches!(
                    hosts::classify(&h.to_ascii_lowercase()),
                    hosts::HostClass::Aliexpress { .. }
                )
            })
    })
}

/// Learns a template from a deep link.
pub fn derive(deep_link: &str) -> Result<Derived, DeriveError> {
    let text = deep_link.trim();
    let url = crate::domain::link::parse_url(text).map_err(|_| DeriveError::NotALink)?;
    let host = url
        .host_str()
        .ok_or(DeriveError::NotALink)?
        .to_ascii_lowercase();
    let network = match hosts::classify(&host) {
        hosts::HostClass::OtherNetwork { network } => Some(network),
        _ => None,
    };
    let short = matches!(url.query(), None | Some(""))
        && (network.is_some() || host.split('.').count() == 2 && url.path().len() < 16);
    let query = url.query().unwrap_or_default();
    let pairs: Vec<(&str, &str)> = params::raw_pairs(query).collect();
    let destination = pairs
        .iter()
        .map(|(name, value)| (params::decode(name), params::decode(value)))
        .find(|(_, value)| leads_to_aliexpress(value))
        .map(|(name, _)| name.into_owned());
    let Some(destination) = destination else {
        return Err(if short {
            DeriveError::ShortLink { host }
        } else {
            DeriveError::NoDestination
        });
    };
    let sub = SUB_NAMES
        .iter()
        .find(|s| {
            pairs
                .iter()
                .any(|(n, _)| params::decode(n).eq_ignore_ascii_case(s))
        })
        .map(|s| (*s).to_string());
    let mut dropped = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for (raw_name, raw_value) in &pairs {
        let name = params::decode(raw_name);
        if DROPPED.iter().any(|d| name.eq_ignore_ascii_case(d)) {
            dropped.push(name.into_owned());
        } else if name == destination.as_str() {
            kept.push(format!("{raw_name}={{url}}"));
        } else if sub.as_deref().is_some_and(|s| name.eq_ignore_ascii_case(s)) {
            kept.push(format!("{raw_name}={{sub}}"));
        } else if raw_value.contains('{') || raw_name.contains('{') {
            // A brace would read as a placeholder: keep the link's own text out of the template.
            return Err(DeriveError::Invalid(TemplateError::UnknownPlaceholder(
                format!("{raw_name}={raw_value}").chars().take(40).collect(),
            )));
        } else if raw_value.is_empty() {
            kept.push((*raw_name).to_string());
        } else {
            kept.push(format!("{raw_name}={raw_value}"));
        }
    }
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    let template = format!("{base}?{}", kept.join("&"));
    let template = LinkTemplate::parse(&template).map_err(DeriveError::Invalid)?;
    Ok(Derived {
        template,
        network,
        destination,
        sub,
        dropped,
    })
}

/// The longest channel name.
pub const MAX_CHANNEL_NAME: usize = 40;
/// The most channels kept.
pub const MAX_CHANNELS: usize = 50;

/// A named sub-id ("telegram" -> `tg`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    pub name: String,
    pub sub: String,
}

/// The named channels as JSON, as the browser keeps them: the text `serde_json` writes for them.
pub fn channels_to_json(list: &[Channel]) -> String {
    use crate::domain::json::{write_list, write_text};
    let mut out = String::new();
    write_list(&mut out, list, |out, c| {
        out.push_str("{\"name\":");
        write_text(out, &c.name);
        out.push_str(",\"sub\":");
        write_text(out, &c.sub);
        out.push('}');
    });
    out
}

/// The named channels from the browser's JSON; `None` if it is not such a list.
pub fn channels_from_json(text: &str) -> Option<Vec<Channel>> {
    let crate::domain::json::Value::List(items) = crate::domain::json::parse(text)? else {
        return None;
    };
    items
        .iter()
        .map(|c| {
            Some(Channel {
                name: c.get("name")?.as_text()?.to_string(),
                sub: c.get("sub")?.as_text()?.to_string(),
            })
        })
        .collect()
}

/// What a webmaster keeps in the browser, and moves to another one as a small JSON file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// The file's kind and version, so a wrong file is refused with a sentence.
    #[serde(default)]
    pub linksmith_settings: u32,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub channels: Vec<Channel>,
}

impl Settings {
    pub const VERSION: u32 = 1;

    /// Reads and checks a settings file: its kind, the template, every channel.
    pub fn parse(text: &str) -> Result<Settings, String> {
        let s: Settings = crate::domain::json::from_str(text)
            .map_err(|_| "This is not a Linksmith settings file (JSON from Export).".to_string())?;
        if s.linksmith_settings != Self::VERSION {
            return Err("This is not a Linksmith settings file (JSON from Export).".into());
        }
        if !s.template.trim().is_empty() {
            LinkTemplate::parse(&s.template)
                .map_err(|e| format!("Its template is refused: {e}."))?;
        }
        if s.channels.len() > MAX_CHANNELS {
            return Err(format!(
                "It holds {} channels; at most {MAX_CHANNELS} are kept.",
                s.channels.len()
            ));
        }
        for c in &s.channels {
            Channel::check(&c.name, &c.sub)?;
        }
        Ok(s)
    }

    /// The file Export writes.
    pub fn to_json(&self) -> String {
        let mut s = self.clone();
        s.linksmith_settings = Self::VERSION;
        serde_json::to_string_pretty(&s).unwrap_or_default()
    }
}

impl Channel {
    /// A channel's name (1 to 40 characters) and sub-id (the sub-id rules).
    pub fn check(name: &str, sub: &str) -> Result<Channel, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_CHANNEL_NAME {
            return Err(format!(
                "A channel needs a name of 1 to {MAX_CHANNEL_NAME} characters, such as telegram."
            ));
        }
        match crate::domain::check::SubId::parse(sub) {
            Ok(Some(s)) => Ok(Channel {
                name: name.to_string(),
                sub: s.as_str().to_string(),
            }),
            Ok(None) => Err(format!(
                "The channel \"{name}\" needs a sub-id, such as tg-channel."
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                format!(
                    "https://go.othernetwork.example/deeplink?code=77&dest={dest}&sub1=x&sub=y"
                ),
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
        let link =
            crate::domain::link::normalize("https://aliexpress.com/item/1005006295880104.html")
                .unwrap();
        let d = derive("https://shopnow.pub/redirect/cpa/o/abc123/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg").unwrap();
        let sub = crate::domain::check::SubId::parse("tg").unwrap();
        assert_eq!(
            d.template.render(&link, sub.as_ref()),
            "https://shopnow.pub/redirect/cpa/o/abc123/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&sub=tg"
        );
    }
}
