//! What the page holds while it works: the links found as the user types, and the results of a
//! check as they arrive, filled chunk by chunk by requests to the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::server::{check_links, CheckAnswer, CheckLinksError};
use crate::domain::{
    check::{Outcome, Problem},
    codes::ErrorCode,
    link::{scan, PageKind, Reading},
    messages::Explain,
    rates::Lang,
};

/// Links sent to the server per request: results appear as each chunk finishes.
pub const CHUNK: usize = 10;

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
    pub fn complete(&self) -> Vec<Outcome> {
        self.slots.iter().flatten().cloned().collect()
    }
}

/// Checks `inputs[from..]` in chunks, in order, filling the slots of `live` as answers come; stops
/// at the first request the server refuses (its problem is shown: a rate limit says how long to wait).
pub fn check_from(
    live: RwSignal<Option<Results>>,
    running: RwSignal<bool>,
    inputs: Vec<String>,
    from: usize,
    (country, amount, sub, template, lang): (String, String, String, String, Lang),
) {
    running.set(true);
    leptos::task::spawn_local(async move {
        let rest = inputs.get(from..).unwrap_or_default();
        for (n, chunk) in rest.chunks(CHUNK).enumerate() {
            let first = from + n * CHUNK;
            let answer = check_links(
                chunk.to_vec(),
                country.clone(),
                amount.clone(),
                sub.clone(),
                template.clone(),
                lang,
            )
            .await;
            let answer = answer.unwrap_or_else(|e| CheckAnswer {
                outcomes: Vec::new(),
                problem: Some(match e {
                    CheckLinksError::Refused(problem) => problem,
                    CheckLinksError::ServerFn(e) => Problem {
                        code: ErrorCode::Unavailable,
                        message: format!("The server could not be reached ({e}). Try again."),
                    },
                }),
            });
            let stop = answer.problem.is_some();
            live.update(|r| {
                if let Some(r) = r {
                    for (i, o) in answer.outcomes.into_iter().enumerate() {
                        if let Some(slot) = r.slots.get_mut(first + i) {
                            *slot = Some(o);
                        }
                    }
                    if stop {
                        r.problem = answer.problem;
                    }
                }
            });
            if stop {
                break;
            }
        }
        running.set(false);
    });
}
