//! A webmaster's link template learnt from one deep link they made in their network's cabinet:
//! the parameter that carries the destination becomes `{url}`, the first of `sub`, `subid`,
//! `sub1` becomes `{sub}`, an `erid` ad-marking token (it marks one ad) is dropped. Pure: the page
//! derives it in the browser with the same code the server validates templates with.

use crate::domain::link::{hosts, params};

mod link_template;
mod sub_id;

pub use link_template::{LinkTemplate, TemplateError};
pub use sub_id::{SubId, SubIdError, MAX_SUB_LEN};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeriveError {
    NotALink,
    ShortLink { host: String },
    NoDestination,
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
        match SubId::parse(sub) {
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
mod tests;
