//! What the page holds while it works: the links found as the user types, and the results of a
//! check as they arrive, filled chunk by chunk by requests to the server.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    ops::Range,
    rc::Rc,
    sync::Arc,
};

use leptos::{lazy, prelude::*};
use serde::{Deserialize, Serialize};

use super::server::{check_links, CheckAnswer, CheckLinksError, SERVER_RENDERED_LINKS};
use crate::domain::{
    check::Outcome,
    codes::ErrorCode,
    lang::Lang,
    link::{scan, PageKind, Reading},
    messages::Explain,
    messages::Problem,
    template::SubId,
};

/// Links sent per request: the first requests are small so the first cards come at once, the
/// rest large so a full paste costs few round trips; [`IN_FLIGHT`] requests at a time.
pub const CHUNKS: [usize; 3] = [10, 40, 100];

/// Requests under way at once while a check runs (the server answers each in parallel, and asks
/// its upstreams in batches of its own).
pub const IN_FLIGHT: usize = 3;

/// The ranges of `from..total`, in the order they are asked: sizes as [`CHUNKS`] says, the last
/// size repeated.
pub fn chunk_ranges(from: usize, total: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = from;
    let mut sizes = CHUNKS
        .iter()
        .copied()
        .chain(std::iter::repeat(CHUNKS[CHUNKS.len() - 1]));
    while start < total {
        let end = (start + sizes.next().unwrap_or(1)).min(total);
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// How one found link reads as the user types.
#[derive(Clone, PartialEq)]
pub struct Row {
    pub text: String,
    pub usable: bool,
    /// The error code of a refused link.
    pub code: Option<ErrorCode>,
    pub kind: Option<PageKind>,
    pub share: bool,
    pub detail: String,
}

pub fn rows(text: &str, lang: Lang) -> Result<Vec<Row>, String> {
    let found = scan(text).map_err(|e| e.message(lang))?;
    Ok(found
        .into_iter()
        .map(|s| {
            let text = s.candidate.text.to_string();
            match s.reading {
                Ok(Reading::Link(link)) => Row {
                    text,
                    usable: true,
                    code: None,
                    kind: Some(link.kind),
                    share: false,
                    detail: link.canonical_url,
                },
                Ok(Reading::AppShare { .. }) => Row {
                    text,
                    usable: true,
                    code: None,
                    kind: None,
                    share: true,
                    detail: String::new(),
                },
                Err(err) => Row {
                    text,
                    usable: false,
                    code: Some(err.code()),
                    kind: None,
                    share: false,
                    detail: err.message(lang),
                },
            }
        })
        .collect())
}

/// The results of a check, shown as they arrive.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Results {
    /// The text that was checked (for rewriting the post).
    pub text: String,
    /// One slot per input; `None` until its answer arrives.
    pub slots: Vec<Option<Outcome>>,
    pub problem: Option<Problem>,
}

impl Results {
    pub fn done(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

/// A check as the page shows it while answers arrive: one signal per input, so an answer redraws
/// its own card and nothing else, and a count for the progress bar.
#[derive(Clone)]
pub struct Run {
    /// The text that was checked (for rewriting the post).
    pub text: Arc<str>,
    /// One slot per input; `None` until its answer arrives.
    pub slots: Arc<[ArcRwSignal<Option<Outcome>>]>,
    pub done: ArcRwSignal<usize>,
    pub problem: ArcRwSignal<Option<Problem>>,
    /// The links of a shared address left for the reader to ask for ([`continuation`]): checked only
    /// on the reader's click, with these options (`None` once asked, or when nothing waits).
    pub rest: ArcRwSignal<Option<Rest>>,
    /// Started here by the reader (not a shared address's): its results are brought into view.
    pub reveal: bool,
}

/// Links of a shared address that wait for the reader's click: `inputs[from..]` of the run's text,
/// to be checked with `options` (the address's country, amount and sub-id, the reader's template).
#[derive(Clone, Debug, PartialEq)]
pub struct Rest {
    pub from: usize,
    pub options: Options,
}

/// What the page checks of a shared address's results once its script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// Checked at once: links among the first [`SERVER_RENDERED_LINKS`] the server left
    /// unanswered (it may render from memory only).
    pub now: Range<usize>,
    /// Checked only when the reader asks ("Check N more links"): the links past those.
    pub ask: Range<usize>,
}

/// Opening a shared address costs the reader at most [`SERVER_RENDERED_LINKS`] links: the rest
/// waits for their click. Nothing is checked when the server refused the check (its problem is
/// shown). The server answers a prefix of the links; the first unanswered one starts the rest.
pub fn continuation(results: &Results) -> Continuation {
    let total = results.slots.len();
    if results.problem.is_some() {
        return Continuation {
            now: total..total,
            ask: total..total,
        };
    }
    let from = results
        .slots
        .iter()
        .position(Option::is_none)
        .unwrap_or(total);
    let first = SERVER_RENDERED_LINKS.min(total).max(from);
    Continuation {
        now: from..first,
        ask: first..total,
    }
}

impl Run {
    /// A run the reader starts, every slot waiting.
    pub fn pending(text: &str, total: usize) -> Run {
        Run {
            reveal: true,
            ..Run::from(Results {
                text: text.to_string(),
                slots: vec![None; total],
                problem: None,
            })
        }
    }

    /// The answered outcomes in input order, as they stand (untracked).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn complete(&self) -> Vec<Outcome> {
        self.slots
            .iter()
            .filter_map(ArcRwSignal::get_untracked)
            .collect()
    }

    fn answer(&self, first: usize, outcomes: Vec<Outcome>) {
        let count = outcomes.len();
        for (slot, outcome) in self.slots.iter().skip(first).zip(outcomes) {
            slot.set(Some(outcome));
        }
        self.done.update(|d| *d += count);
    }
}

impl From<Results> for Run {
    fn from(r: Results) -> Run {
        let done = r.done();
        Run {
            text: r.text.into(),
            slots: r.slots.into_iter().map(ArcRwSignal::new).collect(),
            done: ArcRwSignal::new(done),
            problem: ArcRwSignal::new(r.problem),
            rest: ArcRwSignal::new(None),
            reveal: false,
        }
    }
}

/// What a check is asked with, as the reader typed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub country: String,
    pub amount: String,
    pub sub: String,
    /// The reader's own link template (empty: the server's).
    pub template: String,
    pub lang: Lang,
}

/// Starts a check in the browser (the code that asks the server and reads its answers comes in a
/// bundle of its own, loaded on the first check).
#[lazy]
pub fn start_check(
    run: Run,
    running: RwSignal<bool>,
    inputs: Vec<String>,
    from: usize,
    options: Options,
) {
    check_from(run, running, inputs, from, options);
}

/// The check of a shared address (`/?url=...`), made while the server renders the page (or in the
/// browser after a move within the site): the first links only ([`SERVER_RENDERED_LINKS`]); the
/// rest stay pending until the reader asks for them ([`continuation`]). A shared address never carries a template: the server's makes these links. The
/// answer is the JSON of [`Results`] (`None` when the address names no link, or the server
/// function failed).
#[lazy]
pub async fn shared_check(
    url: String,
    country: String,
    amount: String,
    sub: String,
    lang: Lang,
) -> Option<String> {
    let mut inputs = crate::domain::link::inputs_of(&url);
    if inputs.is_empty() {
        return None;
    }
    let total = inputs.len();
    // In the browser (a move within the site, or back, to a shared address) the same first links
    // as the server renders: the rest wait for the reader's click there too.
    if cfg!(not(feature = "ssr")) {
        inputs.truncate(SERVER_RENDERED_LINKS);
    }
    let answer = match check_links(inputs, country, amount, sub, String::new(), lang).await {
        Ok(answer) => answer,
        Err(CheckLinksError::Refused(problem)) => CheckAnswer {
            outcomes: Vec::new(),
            problem: Some(problem),
        },
        Err(CheckLinksError::ServerFn(_)) => return None,
    };
    let mut slots: Vec<Option<Outcome>> = Vec::with_capacity(total);
    if answer.problem.is_none() {
        slots.extend(answer.outcomes.into_iter().map(Some));
        slots.resize(total, None);
    }
    let results = Results {
        text: url,
        slots,
        problem: answer.problem,
    };
    // The server writes the answer into the page as JSON; the browser (after a move within the
    // site) hands it over in memory: no JSON round trip, and no JSON writer for the results (and
    // its float formatting) in the page's bundles.
    #[cfg(feature = "ssr")]
    return serde_json::to_string(&results).ok();
    #[cfg(not(feature = "ssr"))]
    {
        HANDED_OVER.with(|h| *h.borrow_mut() = Some(results));
        Some(IN_MEMORY.to_string())
    }
}

/// What a shared address's answer is called when the browser made it ([`shared_check`]).
#[cfg(not(feature = "ssr"))]
const IN_MEMORY: &str = "in-memory";

#[cfg(not(feature = "ssr"))]
thread_local! {
    /// The last shared address's answer made in the browser.
    static HANDED_OVER: RefCell<Option<Results>> = const { RefCell::new(None) };
}

/// A shared address's answer: the JSON the server wrote into the page, or the one the browser
/// made ([`shared_check`]).
pub fn read_results(answer: &str) -> Option<Results> {
    #[cfg(not(feature = "ssr"))]
    if answer == IN_MEMORY {
        return HANDED_OVER.with(|h| h.borrow().clone());
    }
    crate::domain::json::from_str::<Results>(answer).ok()
}

/// In the browser, after a shared address was rendered: its links are made with the reader's own
/// template (the address carries none); links among the first [`SERVER_RENDERED_LINKS`] the server
/// left unanswered are checked, and those past them wait for the reader's click ([`continuation`],
/// [`Run::rest`]): an address someone else wrote never spends more of the reader's limit on its own.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[lazy]
pub fn continue_shared(
    json: String,
    options: Options,
    live: RwSignal<Option<Run>>,
    running: RwSignal<bool>,
) {
    let Some(mut r) = read_results(&json) else {
        return;
    };
    let mine = super::settings::checked(&options.template, options.lang);
    if let Ok(Some(mine)) = &mine {
        let sub = SubId::parse(&options.sub).ok().flatten();
        for slot in r.slots.iter_mut().flatten() {
            if let Outcome::Checked(result) = slot {
                crate::domain::check::apply_template(result, mine, sub.as_ref());
            }
        }
    }
    let next = continuation(&r);
    if next.now.is_empty() && next.ask.is_empty() && !matches!(mine, Ok(Some(_))) {
        return;
    }
    let run = Run::from(r);
    if !next.ask.is_empty() {
        run.rest.set(Some(Rest {
            from: next.ask.start,
            options: options.clone(),
        }));
    }
    live.set(Some(run.clone()));
    if !next.now.is_empty() {
        let mut inputs = crate::domain::link::inputs_of(&run.text);
        inputs.truncate(next.now.end);
        check_from(run, running, inputs, next.now.start, options);
    }
}

/// Checks `inputs[from..]` in chunks ([`chunk_ranges`]), [`IN_FLIGHT`] requests at a time, filling
/// the slots of `run` as answers come; stops asking at the first request the server refuses (its
/// problem is shown: a rate limit says how long to wait). `running` is true until every request
/// under way has ended.
pub fn check_from(
    run: Run,
    running: RwSignal<bool>,
    inputs: Vec<String>,
    from: usize,
    options: Options,
) {
    let queue = Rc::new(RefCell::new(
        chunk_ranges(from, inputs.len())
            .into_iter()
            .collect::<VecDeque<_>>(),
    ));
    let inputs: Rc<[String]> = inputs.into();
    let options = Rc::new(options);
    let workers = Rc::new(Cell::new(IN_FLIGHT));
    running.set(true);
    for _ in 0..IN_FLIGHT {
        let (run, queue, inputs, options, workers) = (
            run.clone(),
            queue.clone(),
            inputs.clone(),
            options.clone(),
            workers.clone(),
        );
        leptos::task::spawn_local(async move {
            loop {
                let Some(range) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let Options {
                    country,
                    amount,
                    sub,
                    template,
                    lang,
                } = &*options;
                let answer = check_links(
                    inputs[range.clone()].to_vec(),
                    country.clone(),
                    amount.clone(),
                    sub.clone(),
                    template.clone(),
                    *lang,
                )
                .await
                .unwrap_or_else(|e| CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(match e {
                        CheckLinksError::Refused(problem) => problem,
                        CheckLinksError::ServerFn(e) => Problem {
                            code: ErrorCode::Unavailable,
                            message: format!("The server could not be reached ({e}). Try again."),
                        },
                    }),
                });
                if let Some(problem) = answer.problem {
                    queue.borrow_mut().clear();
                    if run.problem.with_untracked(Option::is_none) {
                        run.problem.set(Some(problem));
                    }
                    break;
                }
                run.answer(range.start, answer.outcomes);
            }
            workers.set(workers.get() - 1);
            if workers.get() == 0 {
                running.set(false);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_small_then_grow_and_cover_every_input_once() {
        assert_eq!(chunk_ranges(0, 0), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(chunk_ranges(0, 5), vec![0..5]);
        assert_eq!(chunk_ranges(0, 30), vec![0..10, 10..30]);
        assert_eq!(chunk_ranges(5, 30), vec![5..15, 15..30]);
        let full = chunk_ranges(0, 1000);
        assert_eq!(full[..3], [0..10, 10..50, 50..150]);
        assert_eq!(full.len(), 3 + 8 + 1);
        assert_eq!(full.last(), Some(&(950..1000)));
        assert!(full.windows(2).all(|w| w[0].end == w[1].start));
    }

    fn results(total: usize, done: usize, problem: bool) -> Results {
        let outcome = Outcome::Failed(crate::domain::check::CheckFailure {
            input: "x".into(),
            error: Problem {
                code: ErrorCode::InvalidUrl,
                message: "x".into(),
            },
        });
        let mut slots = vec![Some(outcome); done];
        slots.resize(total, None);
        Results {
            text: String::new(),
            slots,
            problem: problem.then(|| Problem {
                code: ErrorCode::RateLimited,
                message: "wait".into(),
            }),
        }
    }

    #[test]
    fn a_shared_address_checks_at_most_the_servers_links_without_a_click() {
        let first = SERVER_RENDERED_LINKS;
        let plan = |total, done, problem| {
            let c = continuation(&results(total, done, problem));
            (c.now, c.ask)
        };
        // 25 links, the server checked 20: 5 wait for a click.
        assert_eq!(
            plan(first + 5, first, false),
            (first..first, first..first + 5)
        );
        assert_eq!(plan(1000, first, false), (first..first, first..1000));
        // The server answered none (from memory only): the first 20 at once, the rest on a click.
        assert_eq!(plan(first + 5, 0, false), (0..first, first..first + 5));
        assert_eq!(plan(first + 5, 7, false), (7..first, first..first + 5));
        assert_eq!(plan(3, 0, false), (0..3, 3..3));
        // Every link checked, none at all, or a refusal shown: nothing more is asked.
        assert_eq!(plan(first, first, false), (first..first, first..first));
        assert_eq!(plan(3, 3, false), (3..3, 3..3));
        assert_eq!(plan(0, 0, false), (0..0, 0..0));
        assert_eq!(
            plan(first + 5, 0, true),
            (first + 5..first + 5, first + 5..first + 5)
        );
    }
}
