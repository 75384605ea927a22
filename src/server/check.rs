//! The check service: the one function behind the check page's server functions and the REST
//! routes. Reads every input with the link engine, follows app share links, asks the resolver for
//! the statuses of the whole batch at once, and assembles each answer with the rates engine.

use crate::{domain::words::say, server::words};
use std::{net::SocketAddr, time::Duration};

use axum::http::HeaderMap;
use futures::{stream, StreamExt};

use super::{
    fair::{Allowance, Withheld},
    limit::{canonical, client_ip, retry_after_secs, Refused},
    limit::{Caller, Client},
    sources::share::{Followed, MAX_SHARES_PER_REQUEST, SHARE_BUDGET},
    AppState,
};
pub use crate::domain::check::{AmountInput, RawOptions};
use crate::domain::{
    check::{CheckFailure, CheckOptions, Context, Outcome},
    codes::{ErrorCode, NoticeCode},
    lang::Lang,
    link::{read, Link, Reading},
    messages::Explain,
    messages::Problem,
    sources::Detection,
};

/// App share links one check follows at once.
const SHARE_CONCURRENCY: usize = 8;
/// Inputs larger than this in all are read off the async workers.
const READ_INLINE_BYTES: usize = 64 * 1024;

/// Why a request's links were not checked at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// More links than one batch may hold (`too_many_links`).
    TooManyLinks(Problem),
    /// The client is over its rate limit.
    RateLimited(RateLimited),
    /// A bad country, amount or sub-id.
    BadOption(Problem),
}

impl Refusal {
    /// The problem the client is told of.
    pub fn problem(&self) -> &Problem {
        match self {
            Refusal::TooManyLinks(p) | Refusal::BadOption(p) => p,
            Refusal::RateLimited(r) => &r.problem,
        }
    }
}

impl From<Refusal> for super::error::ApiError {
    fn from(refusal: Refusal) -> Self {
        use super::error::ApiError;
        match refusal {
            Refusal::TooManyLinks(p) => ApiError::too_large(p),
            Refusal::RateLimited(r) => ApiError::from(r),
            Refusal::BadOption(p) => ApiError::bad_option(p),
        }
    }
}

/// A request refused before any link is checked because its client is over the rate limit.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimited {
    pub problem: Problem,
    /// Whole seconds to wait (the `Retry-After` value).
    pub retry_after: u64,
}

impl AppState {
    /// Validates a request's options (the domain's rules, the configured default country).
    pub fn check_options(&self, raw: &RawOptions, lang: Lang) -> Result<CheckOptions, Problem> {
        raw.validate(self.config.default_country, lang)
    }

    /// The client a request comes from: the TCP peer, or the client a trusted proxy names.
    /// Without a peer (a request handed to the router in-process) every request is one client.
    pub fn client_of(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Client {
        let peer = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.ip());
        Client::Address(canonical(client_ip(
            peer,
            headers,
            &self.config.trusted_proxies,
        )))
    }

    /// Counts `links` against the client's limit (every path that checks links calls this once
    /// per request: the API, the page's server function, the server rendering of `/?url=`).
    pub fn admit(&self, client: &Client, links: usize, lang: Lang) -> Result<(), RateLimited> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.take(client, links, None).map_err(|refused| {
            let limit = limiter.limit();
            let (wait, message) = match refused {
                Refused::Wait(wait) => {
                    let wait = retry_after_secs(wait);
                    let message = say!(
                        words::of(lang).limits.address_wait,
                        burst = limit.burst,
                        per_second = limit.per_second,
                        wait
                    );
                    (wait, message)
                }
                Refused::OverBurst { burst } => {
                    // Waiting would not help: the request must be smaller.
                    let wait = retry_after_secs(Duration::from_secs_f64(
                        f64::from(burst) / f64::from(limit.per_second),
                    ));
                    let message = say!(words::of(lang).limits.address_too_big, links, burst);
                    (wait, message)
                }
            };
            tracing::debug!(%client, links, wait, "rate limit: refused");
            RateLimited {
                problem: Problem::new(ErrorCode::RateLimited, message),
                retry_after: wait,
            }
        })
    }

    /// The one entry of every check request (the API's routes and the page's server function):
    /// the batch limit, the caller's rate limit (every input counts), the options, then the
    /// check of every input, in input order, spending the caller's share of fresh look-ups.
    pub async fn check_request(
        &self,
        caller: &Caller,
        inputs: &[String],
        raw: &RawOptions,
        lang: Lang,
    ) -> Result<Vec<Outcome>, Refusal> {
        let (options, allowance) = self.admit_request(caller, inputs.len(), raw, lang)?;
        // Boxed: the check's future is large, and every layer of the HTTP stack moves the
        // future it wraps (those copies were 4% of a cached check's time).
        let outcomes = Box::pin(self.check_as(inputs, &options, lang, &allowance)).await;
        self.keys.note_use(&caller.client, 0, allowance.spent());
        Ok(outcomes)
    }

    /// [`Self::check_request`] for one link, answered as the API sends it: the result as JSON
    /// (the same question asked again while the sources' answer stands is written once:
    /// [`super::answers`]), or why the link cannot be used.
    pub async fn check_written(
        &self,
        caller: &Caller,
        input: &str,
        raw: &RawOptions,
        lang: Lang,
    ) -> Result<Option<super::answers::Written>, Refusal> {
        use super::answers::Written;
        let (options, allowance) = self.admit_request(caller, 1, raw, lang)?;
        let inputs = [input.to_string()];
        let looked = Box::pin(self.look_up(&inputs, &options, lang, &allowance)).await;
        self.keys.note_use(&caller.client, 0, allowance.spent());
        let [input] = inputs;
        let Some(looked) = looked.into_iter().next() else {
            return Ok(None);
        };
        let context = self.context(&options, lang);
        Ok(Some(match looked {
            // Kept answers are for the same question and the same sources' answer only; one a
            // look-up was withheld from carries a sentence of its own.
            Looked::Found {
                link,
                detection,
                spent: None,
            } if options.template.is_none() => {
                let question = super::answers::Question {
                    input: &input,
                    lang,
                    date: context.date,
                    country: options.country,
                    amount: options.amount,
                    sub: options.sub.as_ref(),
                };
                let answer = self
                    .answers
                    .answer(&question, &link, &detection, context.now, || {
                        context.assemble(&input, link.clone(), detection.clone(), &options)
                    });
                Written::Json(answer)
            }
            looked => match answer(&context, input, looked, &options, lang) {
                Outcome::Checked(result) => Written::Json(super::answers::json_bytes(&result)),
                Outcome::Failed(failure) => Written::Failed(failure),
            },
        }))
    }

    /// What every check request passes first: the batch limit, the caller's rate limit, the
    /// options; then the caller's share of fresh look-ups for this request.
    fn admit_request(
        &self,
        caller: &Caller,
        count: usize,
        raw: &RawOptions,
        lang: Lang,
    ) -> Result<(CheckOptions, std::sync::Arc<Allowance>), Refusal> {
        self.check_batch_size(count, lang)
            .map_err(Refusal::TooManyLinks)?;
        self.admit_caller(caller, count, lang)
            .map_err(Refusal::RateLimited)?;
        let options = self.check_options(raw, lang).map_err(Refusal::BadOption)?;
        Ok((
            options,
            Allowance::new(caller.clone(), self.lookups.clone()),
        ))
    }

    /// The largest batch (`LINKSMITH_MAX_BATCH`).
    pub fn max_batch(&self) -> usize {
        self.config.max_batch
    }

    /// Refuses a batch over the limit with the contract's `too_many_links`.
    pub fn check_batch_size(&self, count: usize, lang: Lang) -> Result<(), Problem> {
        if count > self.config.max_batch {
            return Err(Problem::new(
                ErrorCode::TooManyLinks,
                say!(
                    words::of(lang).request.batch_too_big,
                    count,
                    max = self.config.max_batch
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
        self.check_as(inputs, options, lang, &Allowance::unlimited())
            .await
    }

    /// [`Self::check`] spending `allowance`'s fresh look-ups: a link that needed one the
    /// client's share no longer holds is answered from what is remembered, with `lookups_spent`.
    pub async fn check_as(
        &self,
        inputs: &[String],
        options: &CheckOptions,
        lang: Lang,
        allowance: &std::sync::Arc<Allowance>,
    ) -> Vec<Outcome> {
        let looked = self.look_up(inputs, options, lang, allowance).await;
        let context = self.context(options, lang);
        inputs
            .iter()
            .zip(looked)
            .map(|(input, looked)| answer(&context, input.clone(), looked, options, lang))
            .collect()
    }

    /// Everything a check's answers need besides the links: the rules, the template, the day.
    fn context<'a>(&'a self, options: &'a CheckOptions, lang: Lang) -> Context<'a> {
        Context {
            programme: &self.config.programme,
            template: options.template.as_ref().or(self.config.template.as_ref()),
            date: self.config.calendar.today(&self.config.clock),
            now: self.config.clock.now(),
            lang,
        }
    }

    /// Every input read and looked up, in input order: its link and what the sources said of it,
    /// or why it cannot be checked. A memory-only caller gets the inputs up to the first one
    /// that needed a fresh look-up (the page, once loaded, checks the rest itself, as for any
    /// shared address).
    async fn look_up(
        &self,
        inputs: &[String],
        options: &CheckOptions,
        lang: Lang,
        allowance: &std::sync::Arc<Allowance>,
    ) -> Vec<Looked> {
        // 1. Read every input (a large request off the async workers: reading is linear, but a
        // few MiB of text is still milliseconds of one core); app share links are followed
        // (bounded per check and for the whole server, in parallel).
        let bytes: usize = inputs.iter().map(String::len).sum();
        let Readings {
            links: mut readings,
            shares,
        } = if bytes > READ_INLINE_BYTES {
            let owned = inputs.to_vec();
            tokio::task::spawn_blocking(move || read_all(&owned, lang))
                .await
                .unwrap_or_else(|_| read_all(inputs, lang))
        } else {
            read_all(inputs, lang)
        };
        // Under one deadline for the whole check, at most MAX_SHARES_PER_REQUEST of them.
        let deadline = tokio::time::Instant::now() + SHARE_BUDGET;
        let (shares_seen, slots) = (&self.share_links, &self.share_slots);
        let resolved: Vec<(usize, Result<Link, Problem>)> =
            stream::iter(shares.into_iter().enumerate())
                .map(|(n, (i, url))| async move {
                    if n >= MAX_SHARES_PER_REQUEST {
                        return (i, Err(share_problem(ShareRefusal::TooMany, lang)));
                    }
                    let link = match shares_seen.follow(&url, allowance, slots, deadline).await {
                        Followed::Landed(link) => Ok(link),
                        Followed::Refused(error) => Err(error.problem(lang)),
                        Followed::NotAsked => Err(share_problem(
                            match allowance.withheld(&url) {
                                Some(Withheld::Spent(wait)) => ShareRefusal::Spent(wait),
                                Some(Withheld::MemoryOnly) => ShareRefusal::MemoryOnly,
                                None => ShareRefusal::Busy,
                            },
                            lang,
                        )),
                    };
                    (i, link)
                })
                .buffer_unordered(SHARE_CONCURRENCY)
                .collect()
                .await;
        // Inputs that needed a fresh look-up a memory-only caller may not spend.
        let mut from_memory_only = vec![false; inputs.len()];
        for (i, link) in resolved {
            if link.is_err() && shares_withheld(allowance, &inputs[i]) {
                from_memory_only[i] = true;
            }
            readings[i] = link;
        }

        // 2. The statuses of all readable links at once (one budget, batched API calls).
        let links: Vec<Link> = readings
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        // The rate authority follows the network the affiliate link goes through.
        let network = options
            .template
            .as_ref()
            .or(self.config.template.as_ref())
            .and_then(crate::domain::template::LinkTemplate::network);
        let mut found = self
            .resolver
            .detect_through(&links, options.country, allowance, network)
            .await
            .into_iter();

        // 3. Each link with what was found for it, in input order.
        let mut looked: Vec<Looked> = readings
            .into_iter()
            .enumerate()
            .map(|(i, link)| match link {
                Ok(link) => {
                    let detection = found.next().unwrap_or_else(Detection::unknown);
                    let spent = link
                        .product_id
                        .as_deref()
                        .and_then(|id| allowance.withheld(id));
                    if spent == Some(Withheld::MemoryOnly) {
                        from_memory_only[i] = true;
                    }
                    Looked::Found {
                        link,
                        detection,
                        spent,
                    }
                }
                Err(error) => Looked::Failed(error),
            })
            .collect();
        if let Some(first) = from_memory_only.iter().position(|m| *m) {
            looked.truncate(first);
        }
        looked
    }
}

/// One input after its look-up (a batch's are moved once, into their answers).
#[allow(clippy::large_enum_variant)]
enum Looked {
    /// A link, what the sources said of it, and the look-up the caller's share withheld.
    Found {
        link: Link,
        detection: Detection,
        spent: Option<Withheld>,
    },
    /// The input cannot be checked.
    Failed(Problem),
}

/// The answer for one input.
fn answer(
    context: &Context<'_>,
    input: String,
    looked: Looked,
    options: &CheckOptions,
    lang: Lang,
) -> Outcome {
    match looked {
        Looked::Found {
            link,
            detection,
            spent,
        } => {
            let mut result = context.assemble(&input, link, detection, options);
            if let Some(Withheld::Spent(wait)) = spent {
                let mut notice = context.programme.notice(NoticeCode::LookupsSpent, lang);
                notice.message = notice.message.replace("{renews}", &wait_words(wait, lang));
                result.warnings.push(notice);
            }
            Outcome::Checked(Box::new(result))
        }
        Looked::Failed(error) => Outcome::Failed(CheckFailure { input, error }),
    }
}

/// Whether the app share link in `input` went unfollowed because the caller may not spend look-ups.
fn shares_withheld(allowance: &Allowance, input: &str) -> bool {
    match read(input) {
        Ok(Reading::AppShare { url }) => allowance.withheld(&url) == Some(Withheld::MemoryOnly),
        _ => false,
    }
}

/// Every input read with the link engine.
struct Readings {
    /// In input order; an app share link stands as `short_link_unresolved` until followed.
    links: Vec<Result<Link, Problem>>,
    /// The app share links the server must follow: (the input's index, the address).
    shares: Vec<(usize, String)>,
}

fn read_all(inputs: &[String], lang: Lang) -> Readings {
    let mut readings = Vec::with_capacity(inputs.len());
    let mut shares = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        readings.push(match read(input) {
            Ok(Reading::Link(link)) => Ok(link),
            Ok(Reading::AppShare { url }) => {
                shares.push((i, url));
                Err(Problem::new(ErrorCode::ShortLinkUnresolved, String::new()))
            }
            Err(e) => Err(e.problem(lang)),
        });
    }
    Readings {
        links: readings,
        shares,
    }
}

/// Why an app share link was not followed.
enum ShareRefusal {
    /// More share links in one request than are followed.
    TooMany,
    /// The client's share of fresh look-ups is spent (it renews after this long).
    Spent(Duration),
    /// A navigation from another site: answered from memory only.
    MemoryOnly,
    /// No turn or slot within the check's time.
    Busy,
}

fn share_problem(why: ShareRefusal, lang: Lang) -> Problem {
    let w = &words::of(lang).shares;
    let message = match why {
        ShareRefusal::TooMany => say!(w.too_many, max = MAX_SHARES_PER_REQUEST),
        ShareRefusal::Spent(wait) => say!(w.spent, wait = wait_words(wait, lang)),
        ShareRefusal::MemoryOnly => w.memory_only.to_string(),
        ShareRefusal::Busy => w.busy.to_string(),
    };
    Problem::new(ErrorCode::ShortLinkUnresolved, message)
}

/// A wait as words: "40 s", "12 min", "2 h 5 min".
fn wait_words(wait: Duration, lang: Lang) -> String {
    let secs = retry_after_secs(wait);
    let units = &words::of(lang).units;
    let (s, m, h) = (units.seconds, units.minutes, units.hours);
    match secs {
        0..=59 => format!("{secs} {s}"),
        60..=3599 => format!("{} {m}", secs.div_ceil(60)),
        _ => {
            let minutes = secs.div_ceil(60);
            match minutes % 60 {
                0 => format!("{} {h}", minutes / 60),
                rest => format!("{} {h} {rest} {m}", minutes / 60),
            }
        }
    }
}
