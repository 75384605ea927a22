//! The check service: the one function behind the check page's server functions and the REST
//! routes. Reads every input with the link engine, follows app share links, asks the resolver for
//! the statuses of the whole batch at once, and assembles each answer with the rates engine.

use futures::{stream, StreamExt};

use super::{share::resolve_app_share, AppState};
use crate::domain::{
    check::{CheckFailure, CheckOptions, Context, Detection, Outcome, Problem, SubId},
    codes::ErrorCode,
    country::Country,
    link::{read, Link, Reading},
    rates::{Amount, Lang},
};

/// App share links followed at once.
const SHARE_CONCURRENCY: usize = 8;

/// An order amount as a request gives it: a JSON number, or text (a query string, a form).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum AmountInput {
    Number(f64),
    Text(String),
}

/// A request's options before validation.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct RawOptions {
    pub country: Option<String>,
    pub amount: Option<AmountInput>,
    pub sub: Option<String>,
}

impl AppState {
    /// Validates a request's options; the first problem found is the answer.
    pub fn check_options(&self, raw: &RawOptions) -> Result<CheckOptions, Problem> {
        let country = match raw.country.as_deref().map(str::trim) {
            None | Some("") => self.config.default_country,
            Some(c) => Country::parse(c).map_err(|e| Problem::new(e.code(), e.to_string()))?,
        };
        let amount = match &raw.amount {
            None => None,
            Some(AmountInput::Text(t)) if t.trim().is_empty() => None,
            Some(AmountInput::Text(t)) => Some(Amount::parse(t)),
            Some(AmountInput::Number(n)) => Some(Amount::from_usd(*n)),
        }
        .transpose()
        .map_err(|e| Problem::new(e.code(), e.to_string()))?;
        let sub = match raw.sub.as_deref() {
            None => None,
            Some(s) => SubId::parse(s).map_err(|e| Problem::new(e.code(), e.to_string()))?,
        };
        Ok(CheckOptions {
            country,
            amount,
            sub,
        })
    }

    /// The largest batch (`LINKSMITH_MAX_BATCH`).
    pub fn max_batch(&self) -> usize {
        self.config.max_batch
    }

    /// Refuses a batch over the limit with the contract's `too_many_links`.
    pub fn check_batch_size(&self, count: usize) -> Result<(), Problem> {
        if count > self.config.max_batch {
            return Err(Problem::new(
                ErrorCode::TooManyLinks,
                format!(
                    "The batch holds {count} links; at most {} are checked at once. Split it into smaller batches.",
                    self.config.max_batch
                ),
            ));
        }
        Ok(())
    }

    /// Checks every input, answering one outcome per input, in input order. Never fails as a whole:
    /// a bad input is an error outcome, an upstream that breaks leaves the status unknown.
    pub async fn check(
        &self,
        inputs: &[String],
        options: &CheckOptions,
        lang: Lang,
    ) -> Vec<Outcome> {
        // 1. Read every input; app share links are followed (bounded, in parallel).
        let mut readings: Vec<Result<Link, Problem>> = Vec::with_capacity(inputs.len());
        let mut shares: Vec<(usize, String)> = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            readings.push(match read(input) {
                Ok(Reading::Link(link)) => Ok(link),
                Ok(Reading::AppShare { url }) => {
                    shares.push((i, url));
                    Err(Problem::new(ErrorCode::ShortLinkUnresolved, String::new()))
                }
                Err(e) => Err(Problem::from(&e)),
            });
        }
        let fetcher = &self.shares;
        let resolved: Vec<(usize, Result<Link, Problem>)> = stream::iter(shares)
            .map(|(i, url)| async move {
                let link = resolve_app_share(fetcher, &url)
                    .await
                    .map_err(|e| Problem::from(&e));
                (i, link)
            })
            .buffer_unordered(SHARE_CONCURRENCY)
            .collect()
            .await;
        for (i, link) in resolved {
            readings[i] = link;
        }

        // 2. The statuses of all readable links at once (one budget, batched API calls).
        let links: Vec<Link> = readings
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        let mut found = self
            .resolver
            .detect_many(&links, options.country, lang)
            .await
            .into_iter();

        // 3. Assemble, in input order.
        let context = Context {
            programme: &self.config.programme,
            template: self.config.template.as_ref(),
            date: super::today(),
            lang,
        };
        inputs
            .iter()
            .zip(readings)
            .map(|(input, link)| match link {
                Ok(link) => {
                    let detection = found.next().unwrap_or_else(Detection::unknown);
                    Outcome::Checked(Box::new(context.assemble(input, link, detection, options)))
                }
                Err(error) => Outcome::Failed(CheckFailure {
                    input: input.clone(),
                    error,
                }),
            })
            .collect()
    }
}
