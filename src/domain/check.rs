//! One link's full answer (the contract's result object), assembled from the link engine, what a
//! status source found, and the rates engine; and the affiliate link built from the operator's
//! template. Pure: the page recomputes estimates with it in the browser.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use crate::domain::{
    codes::{ErrorCode, NoticeCode},
    country::Country,
    date::Date,
    link::{hosts, Link},
    rates::{Amount, Delivery, Estimate, Lang, Notice, Order, Programme, Rate, Status},
};

/// Which source decided the status (the contract's `status_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum StatusSource {
    Api,
    Epn,
    Admitad,
    Catalog,
    Page,
    Rules,
    None,
}

/// The contract's `product` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductInfo {
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub available: bool,
}

impl StatusSource {
    /// The source's name as a reader knows it.
    pub fn display(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (StatusSource::Api, _) => "AliExpress Open Platform",
            (StatusSource::Epn, _) => "ePN",
            (StatusSource::Admitad, _) => "Admitad",
            (StatusSource::Catalog, Lang::En) => "the catalogue",
            (StatusSource::Catalog, Lang::Ru) => "каталог",
            (StatusSource::Page, Lang::En) => "the product page",
            (StatusSource::Page, Lang::Ru) => "страница товара",
            (StatusSource::Rules, Lang::En) => "the programme's rules",
            (StatusSource::Rules, Lang::Ru) => "правила программы",
            (StatusSource::None, Lang::En) => "no source",
            (StatusSource::None, Lang::Ru) => "нет источника",
        }
    }
}

impl ProductInfo {
    /// Nothing known yet, available until a page says otherwise.
    pub fn blank() -> ProductInfo {
        ProductInfo {
            title: None,
            image_url: None,
            category: None,
            available: true,
        }
    }
}

/// What the status sources found out about one link.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub status: Status,
    pub source: StatusSource,
    /// The regular rate a source reported.
    pub exact_percent: Option<f64>,
    /// The hot-sale rate a source reported.
    pub hot_percent: Option<f64>,
    pub product: Option<ProductInfo>,
    /// Whether the item is Tmall's, where a source says.
    pub tmall: Option<bool>,
    pub ships_from: Option<Country>,
    /// The seller's country.
    pub store_country: Option<Country>,
    /// Every source that answered, in authority order, with when.
    pub sources: Vec<crate::domain::sources::SourceAnswer>,
}

impl Detection {
    /// Nobody knows: the whole band of the region applies.
    pub fn unknown() -> Detection {
        Detection {
            status: Status::Unknown,
            source: StatusSource::None,
            exact_percent: None,
            hot_percent: None,
            product: None,
            tmall: None,
            ships_from: None,
            store_country: None,
            sources: Vec::new(),
        }
    }
}

/// The answer for one link (HTTP 200): the contract's result object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckResult {
    pub input: String,
    pub link: Link,
    pub delivery: Delivery,
    pub status: Status,
    pub status_source: StatusSource,
    pub product: Option<ProductInfo>,
    pub rate: Rate,
    pub estimate: Option<Estimate>,
    pub cookie_days: u32,
    pub affiliate_link: String,
    pub warnings: Vec<Notice>,
    pub notes: Vec<Notice>,
    /// Every source that answered, in authority order, each with when it said it.
    #[serde(default)]
    pub sources: Vec<crate::domain::sources::SourceAnswer>,
    /// When the check was made (the age of each source's answer is counted from it).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "2026-11-30T15:04:05Z"))]
    pub checked_at: crate::domain::date::Timestamp,
}

/// The contract's error object: a code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

/// A refused input: `{"input", "error": {"code", "message"}}` (HTTP 422 alone, an item in a batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckFailure {
    pub input: String,
    pub error: Problem,
}

/// One line of a batch: a result or an error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Outcome {
    Checked(Box<CheckResult>),
    Failed(CheckFailure),
}

impl Outcome {
    pub fn input(&self) -> &str {
        match self {
            Outcome::Checked(r) => &r.input,
            Outcome::Failed(f) => &f.input,
        }
    }
}

/// The longest sub-id.
pub const MAX_SUB_LEN: usize = 64;

/// A sub-id: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubIdError {
    #[error(
        "The sub-id is {len} characters long; at most {MAX_SUB_LEN} fit. Use a shorter label, such as tg-channel."
    )]
    TooLong { len: usize },
    #[error(
        "The sub-id \"{sub}\" holds {bad}, which links cannot carry safely. Use letters, digits, '-', '_' and '.' only, such as tg-channel."
    )]
    BadCharacter { sub: String, bad: String },
}

impl SubIdError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidSub
    }
}

impl SubId {
    /// Parses a sub-id; white space around it is ignored and an empty one is none.
    pub fn parse(text: &str) -> Result<Option<SubId>, SubIdError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let len = t.chars().count();
        if len > MAX_SUB_LEN {
            return Err(SubIdError::TooLong { len });
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            let bad = match c {
                ' ' => "a space".to_string(),
                c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
                c => format!("'{c}'"),
            };
            return Err(SubIdError::BadCharacter {
                sub: t.to_string(),
                bad,
            });
        }
        Ok(Some(SubId(t.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters left as they are in an encoded `{url}` or `{sub}`: RFC 3986's unreserved set.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The placeholders a template may hold.
const PLACEHOLDERS: [&str; 4] = ["{url}", "{raw_url}", "{product_id}", "{sub}"];

/// The operator's affiliate (deep) link template, checked: an absolute https address that carries
/// the page's address (`{url}` or `{raw_url}`), with no placeholder it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTemplate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is empty")]
    Empty,
    #[error("it has no {{url}} or {{raw_url}}: the link would not lead to the checked page. Put {{url}} where your network expects the destination, as in https://example-network.com/deeplink?to={{url}}&sub={{sub}}")]
    NoDestination,
    #[error("it holds the unknown placeholder {0}; the placeholders are {{url}}, {{raw_url}}, {{product_id}} and {{sub}}")]
    UnknownPlaceholder(String),
    #[error(
        "it is not an absolute https address ({0}). Start it with https:// and your network's host"
    )]
    NotHttps(String),
    #[error("it points at {0}, an affiliate short-link host whose commissions may not count. Use your network's deep-link address")]
    ShortLinkHost(String),
}

impl LinkTemplate {
    pub fn parse(text: &str) -> Result<LinkTemplate, TemplateError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TemplateError::Empty);
        }
        // Every `{...}` must be a known placeholder.
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            let tail = &rest[open..];
            let end = tail.find('}').map_or(tail.len(), |e| e + 1);
            let token = &tail[..end];
            if !PLACEHOLDERS.contains(&token) {
                return Err(TemplateError::UnknownPlaceholder(
                    token.chars().take(40).collect(),
                ));
            }
            rest = &tail[end..];
        }
        if !t.contains("{url}") && !t.contains("{raw_url}") {
            return Err(TemplateError::NoDestination);
        }
        // Filled with a sample, the template must be an absolute https address with a host.
        let sample = fill(
            t,
            "https://aliexpress.com/item/1005005248414510.html",
            Some("1005005248414510"),
            Some("sample"),
        );
        let url = crate::domain::link::parse_url(&sample)
            .map_err(|e| TemplateError::NotHttps(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(TemplateError::NotHttps(format!(
                "the scheme is {}",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host.is_empty() {
            return Err(TemplateError::NotHttps("it names no host".into()));
        }
        if matches!(
            hosts::classify(&host),
            hosts::HostClass::Aliexpress {
                role: hosts::Role::ShortLink,
                ..
            }
        ) {
            return Err(TemplateError::ShortLinkHost(host));
        }
        Ok(LinkTemplate(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The network the affiliate links made with this template go through, by its host: ePN's
    /// or Admitad's deep-link hosts, or an AliExpress host (a Portals link). `None` for any other
    /// host (the operator's own redirect, say).
    pub fn network(&self) -> Option<StatusSource> {
        let sample = fill(
            &self.0,
            "https://aliexpress.com/item/1005005248414510.html",
            Some("1005005248414510"),
            None,
        );
        let url = crate::domain::link::parse_url(&sample).ok()?;
        match hosts::classify(&url.host_str()?.to_ascii_lowercase()) {
            hosts::HostClass::OtherNetwork { network: "ePN" } => Some(StatusSource::Epn),
            hosts::HostClass::OtherNetwork { network: "Admitad" } => Some(StatusSource::Admitad),
            hosts::HostClass::Aliexpress { .. } => Some(StatusSource::Api),
            hosts::HostClass::OtherNetwork { .. } | hosts::HostClass::Foreign => None,
        }
    }

    /// The affiliate link for a normalised link.
    pub fn render(&self, link: &Link, sub: Option<&SubId>) -> String {
        fill(
            &self.0,
            &link.canonical_url,
            link.product_id.as_deref(),
            sub.map(SubId::as_str),
        )
    }
}

/// What `{raw_url}` escapes where it stands in the template's query: `&` and `#` would end the
/// destination parameter there and add parameters (or a fragment) of their own to the deep link.
const RAW_IN_QUERY: &AsciiSet = &percent_encoding::CONTROLS.add(b'&').add(b'#').add(b' ');
/// What `{raw_url}` escapes in the template's path: `?` and `#` would start a query or fragment.
const RAW_IN_PATH: &AsciiSet = &percent_encoding::CONTROLS.add(b'?').add(b'#').add(b' ');

fn fill(template: &str, url: &str, product_id: Option<&str>, sub: Option<&str>) -> String {
    let encoded = utf8_percent_encode(url, COMPONENT).to_string();
    let raw_in_query = utf8_percent_encode(url, RAW_IN_QUERY).to_string();
    let raw_in_path = utf8_percent_encode(url, RAW_IN_PATH).to_string();
    let sub = sub
        .map(|s| utf8_percent_encode(s, COMPONENT).to_string())
        .unwrap_or_default();
    // One pass, so a value is never read again as a placeholder.
    let mut out = String::with_capacity(template.len() + encoded.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let (value, len) = if tail.starts_with("{url}") {
            (encoded.as_str(), 5)
        } else if tail.starts_with("{raw_url}") {
            // As it is, except what would break out of where the template puts it.
            if out.contains('?') {
                (raw_in_query.as_str(), 9)
            } else {
                (raw_in_path.as_str(), 9)
            }
        } else if tail.starts_with("{product_id}") {
            (product_id.unwrap_or(""), 12)
        } else if tail.starts_with("{sub}") {
            (sub.as_str(), 5)
        } else {
            ("{", 1)
        };
        out.push_str(value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// An order amount as a request gives it: a JSON number, or text (a query string, a form).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum AmountInput {
    Number(f64),
    Text(String),
}

/// A request's options before validation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct RawOptions {
    pub country: Option<String>,
    pub amount: Option<AmountInput>,
    pub sub: Option<String>,
    /// The caller's own link template (POST bodies only); the server's is the default.
    #[serde(default)]
    pub template: Option<String>,
}

impl RawOptions {
    /// Validates the options; the first problem found is the answer, in `lang`. A missing or
    /// blank country is `default_country`.
    pub fn validate(&self, default_country: Country, lang: Lang) -> Result<CheckOptions, Problem> {
        use crate::domain::messages::Explain;
        let country = match self.country.as_deref().map(str::trim) {
            None | Some("") => default_country,
            Some(c) => Country::parse(c).map_err(|e| e.problem(lang))?,
        };
        let amount = match &self.amount {
            None => None,
            Some(AmountInput::Text(t)) if t.trim().is_empty() => None,
            Some(AmountInput::Text(t)) => Some(Amount::parse(t)),
            Some(AmountInput::Number(n)) => Some(Amount::from_usd(*n)),
        }
        .transpose()
        .map_err(|e| e.problem(lang))?;
        let sub = match self.sub.as_deref() {
            None => None,
            Some(s) => SubId::parse(s).map_err(|e| e.problem(lang))?,
        };
        let template = match self.template.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(LinkTemplate::parse(t).map_err(|e| {
                Problem::new(
                    ErrorCode::InvalidTemplate,
                    match lang {
                        Lang::En => format!("The link template is refused: {e}."),
                        Lang::Ru => format!("Шаблон ссылки отклонён: {}.", e.russian()),
                    },
                )
            })?),
        };
        Ok(CheckOptions {
            country,
            amount,
            sub,
            template,
        })
    }
}

/// The options of a check, validated: delivery country, order amount, sub-id.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub country: Country,
    pub amount: Option<Amount>,
    pub sub: Option<SubId>,
    /// The caller's own template for this check, over the server's.
    pub template: Option<LinkTemplate>,
}

/// Everything a check needs besides the link and what the sources found.
pub struct Context<'a> {
    pub programme: &'a Programme,
    pub template: Option<&'a LinkTemplate>,
    pub date: Date,
    /// The moment of the check.
    pub now: crate::domain::date::Timestamp,
    pub lang: Lang,
}

impl Context<'_> {
    /// The affiliate link: the template filled in, else the canonical address itself.
    pub fn affiliate_link(&self, link: &Link, sub: Option<&SubId>) -> String {
        match self.template {
            Some(t) => t.render(link, sub),
            None => link.canonical_url.clone(),
        }
    }

    /// The full answer for one link.
    pub fn assemble(
        &self,
        input: &str,
        link: Link,
        found: Detection,
        options: &CheckOptions,
    ) -> CheckResult {
        let order = Order {
            country: options.country,
            status: found.status,
            exact_percent: found.exact_percent,
            hot_percent: found.hot_percent,
            kind: link.kind,
            site: link.site,
            // A source's word first; a link into the Tmall section says Tmall too.
            tmall: found.tmall.or(link.tmall.then_some(true)),
            category: found.product.as_ref().and_then(|p| p.category.as_deref()),
            ships_from: found.ships_from,
            store_country: found.store_country,
            amount: options.amount,
            date: self.date,
        };
        let assessment = self.programme.assess(&order, self.lang);
        let mut warnings = Vec::new();
        if let Some(network) = &link.via_network {
            let mut notice = self
                .programme
                .notice(NoticeCode::ForeignNetworkLink, self.lang);
            notice.message = notice.message.replace("{network}", network);
            warnings.push(notice);
        } else if link.foreign_affiliate {
            warnings.push(
                self.programme
                    .notice(NoticeCode::ForeignAffiliateParamsRemoved, self.lang),
            );
        }
        if let Some(disagreeing) = crate::domain::sources::disagreement(&found.sources) {
            let named = disagreeing
                .iter()
                .map(|s| {
                    format!(
                        "{}: {}",
                        s.name.display(self.lang),
                        s.status.word(self.lang)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let mut notice = self
                .programme
                .notice(NoticeCode::SourcesDisagree, self.lang);
            notice.message = notice.message.replace("{sources}", &named);
            warnings.push(notice);
        }
        if found.product.as_ref().is_some_and(|p| !p.available) {
            warnings.push(
                self.programme
                    .notice(NoticeCode::ProductUnavailable, self.lang),
            );
        }
        for w in assessment.warnings {
            if !warnings.iter().any(|n| n.code == w.code) {
                warnings.push(w);
            }
        }
        if self.template.is_none() {
            warnings.push(
                self.programme
                    .notice(NoticeCode::TrackingNotConfigured, self.lang),
            );
        }
        CheckResult {
            input: input.to_string(),
            affiliate_link: self.affiliate_link(&link, options.sub.as_ref()),
            link,
            delivery: assessment.delivery,
            status: found.status,
            status_source: found.source,
            product: found.product,
            rate: assessment.rate,
            estimate: assessment.estimate,
            cookie_days: assessment.cookie_days,
            warnings,
            notes: assessment.notes,
            sources: found.sources,
            checked_at: self.now,
        }
    }
}

/// Makes a result's affiliate link with the webmaster's own template (the page does this for
/// answers rendered on the server for a shared address, which never carries a template): the
/// link is the template filled in, and the "no tracking" warning goes.
pub fn apply_template(result: &mut CheckResult, template: &LinkTemplate, sub: Option<&SubId>) {
    result.affiliate_link = template.render(&result.link, sub);
    result
        .warnings
        .retain(|w| w.code != NoticeCode::TrackingNotConfigured);
}

/// Recomputes a result's estimate for another amount (the page does this as the user types, with
/// no request): the rate is the result's own, the cap the programme's.
pub fn re_estimate(
    programme: &Programme,
    result: &mut CheckResult,
    amount: Option<Amount>,
    lang: Lang,
) {
    result.estimate = amount.map(|a| programme.estimate(&result.rate, a));
    result.warnings.retain(|w| w.code != NoticeCode::OrderCap);
    if let Some(notice) = result
        .estimate
        .as_ref()
        .and_then(|e| programme.cap_notice(&result.rate, e, lang))
    {
        result.warnings.push(notice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::link::normalize;

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
        let t = LinkTemplate::parse("https://epn.example/r?to={url}&sub={sub}&id={product_id}")
            .unwrap();
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

    #[test]
    fn a_shared_answer_takes_the_readers_own_template() {
        let programme = Programme::embedded().unwrap();
        let context = Context {
            programme: &programme,
            template: None,
            date: Date::new(2026, 11, 30).unwrap(),
            now: crate::domain::date::Timestamp::default(),
            lang: Lang::En,
        };
        let link = normalize("https://aliexpress.com/item/1005005248414510.html").unwrap();
        let options = CheckOptions {
            country: Country::parse("US").unwrap(),
            amount: None,
            sub: None,
            template: None,
        };
        let mut r = context.assemble("x", link, Detection::unknown(), &options);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.code == NoticeCode::TrackingNotConfigured));
        let mine = LinkTemplate::parse("https://n.example/r?to={url}&sub={sub}").unwrap();
        apply_template(&mut r, &mine, SubId::parse("tg").unwrap().as_ref());
        assert_eq!(
            r.affiliate_link,
            "https://n.example/r?to=https%3A%2F%2Faliexpress.com%2Fitem%2F1005005248414510.html&sub=tg"
        );
        assert!(!r
            .warnings
            .iter()
            .any(|w| w.code == NoticeCode::TrackingNotConfigured));
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
}
