//! One link's full answer (the contract's result object), assembled from the link engine, what a
//! status source found, and the rates engine; and the affiliate link built from the operator's
//! template. Pure: the page recomputes estimates with it in the browser.

use serde::{Deserialize, Serialize};

use crate::domain::{
    codes::{ErrorCode, NoticeCode},
    country::Country,
    date::Date,
    lang::Lang,
    link::Link,
    messages::Problem,
    rates::{Amount, Delivery, Estimate, Notice, Order, Programme, Rate, Status},
    sources::{Detection, ProductInfo, StatusSource},
    template::{LinkTemplate, SubId},
};

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
                    crate::domain::messages::refused_template(&e, lang),
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
}
