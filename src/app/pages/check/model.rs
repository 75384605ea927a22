//! What the page holds while it works: the links found as the user types, and the results of a
//! check as they arrive, filled chunk by chunk by requests to the server.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
    sync::Arc,
};

use leptos::{lazy, prelude::*};
use serde::{Deserialize, Serialize};

use super::server::{check_links, CheckAnswer, CheckLinksError};
use crate::domain::{
    check::{Outcome, Problem, SubId},
    codes::ErrorCode,
    link::{scan, PageKind, Reading},
    messages::Explain,
    rates::Lang,
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
}

impl Run {
    /// A run with every slot waiting.
    pub fn pending(text: &str, total: usize) -> Run {
        Run::from(Results {
            text: text.to_string(),
            slots: vec![None; total],
            problem: None,
        })
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
        }
    }
}

/// What a check is asked with: country, amount, sub-id, template (as typed), language.
pub type Options = (String, String, String, String, Lang);

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

/// The check of a shared address (`/?url=...`), made while the server renders the page: the first
/// links only ([`super::SERVER_RENDERED_LINKS`]); the rest stay pending until the page's script
/// checks them. A shared address never carries a template: the server's makes these links. The
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
    let inputs = crate::domain::link::inputs_of(&url);
    if inputs.is_empty() {
        return None;
    }
    let total = inputs.len();
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
    serde_json::to_string(&Results {
        text: url,
        slots,
        problem: answer.problem,
    })
    .ok()
}

/// In the browser, after a shared address was rendered: its links are made with the reader's own
/// template (the address carries none), and the links the server left pending are checked.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[lazy]
pub fn continue_shared(
    json: String,
    options: Options,
    live: RwSignal<Option<Run>>,
    running: RwSignal<bool>,
) {
    let Ok(mut r) = crate::domain::json::from_str::<Results>(&json) else {
        return;
    };
    let mine = super::settings::checked(&options.3, options.4);
    if let Ok(Some(mine)) = &mine {
        let sub = SubId::parse(&options.2).ok().flatten();
        for slot in r.slots.iter_mut().flatten() {
            if let Outcome::Checked(result) = slot {
                crate::domain::check::apply_template(result, mine, sub.as_ref());
            }
        }
    }
    let from = r.done();
    if r.problem.is_some() || from >= r.slots.len() {
        if matches!(mine, Ok(Some(_))) {
            live.set(Some(Run::from(r)));
        }
        return;
    }
    let inputs = crate::domain::link::inputs_of(&r.text);
    let checking = Run::from(r);
    live.set(Some(checking.clone()));
    check_from(checking, running, inputs, from, options);
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
                let (country, amount, sub, template, lang) = &*options;
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
}
