//! One-link answers already written: the API's JSON of a check, kept for the same question asked
//! again while nothing it depends on changed.
//!
//! A question is the input as given, the reader's language, the delivery country, the amount, the
//! sub-id and the day (the programme's dated rules); its answer depends besides only on what the
//! sources said of the link (the [`Detection`], compared whole: a source's new answer, a refreshed
//! one or an import make another) and on the moment of the check, which is the answer's last
//! field (`checked_at`) and is written afresh every time. The rules and the server's template do
//! not change while the server runs. What is sent is byte for byte what writing the result anew
//! would send (`tests/it/api_check.rs`); at most [`ANSWERS_WRITTEN`] answers are kept, the least
//! recently used dropped.

use std::{hash::BuildHasher, num::NonZeroUsize, sync::Mutex};

use axum::body::Bytes;
use serde::Serialize;

use crate::domain::{
    check::CheckResult, country::Country, date::Date, date::Timestamp, lang::Lang, rates::Amount,
    sources::Detection, template::SubId,
};

/// Answers kept (each about 3 KiB: the question, what the sources said, the JSON).
pub const ANSWERS_WRITTEN: usize = 4096;

/// Inputs longer than this are answered without being kept (a question is kept whole).
pub const LONGEST_KEPT_INPUT: usize = 1024;

/// The field the written answer ends with, its value left out.
const CHECKED_AT: &[u8] = b"\"checked_at\":";

/// A value as JSON, into a buffer the size of a one-link answer (a `Vec` grown from nothing
/// would be grown five times for one check's 2.5 KiB).
pub fn json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(4096);
    serde_json::to_writer(&mut body, value)?;
    Ok(body)
}

/// A one-link check's answer as the API sends it.
pub enum Written {
    /// The result, as JSON.
    Json(serde_json::Result<Vec<u8>>),
    /// The link cannot be used.
    Failed(crate::domain::check::CheckFailure),
}

/// What a one-link answer depends on besides the sources and the moment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question<'a> {
    pub input: &'a str,
    pub lang: Lang,
    pub date: Date,
    pub country: Country,
    pub amount: Option<Amount>,
    pub sub: Option<&'a SubId>,
}

/// A kept answer: its question (owned), what the sources said, the JSON up to `"checked_at":`.
struct Kept {
    input: Box<str>,
    lang: Lang,
    date: Date,
    country: Country,
    amount: Option<Amount>,
    sub: Option<SubId>,
    detection: Detection,
    head: Bytes,
}

impl Kept {
    fn answers(&self, q: &Question<'_>, detection: &Detection) -> bool {
        *self.input == *q.input
            && self.lang == q.lang
            && self.date == q.date
            && self.country == q.country
            && self.amount == q.amount
            && self.sub.as_ref() == q.sub
            && self.detection == *detection
    }
}

/// The written answers, by the hash of their question.
pub struct WrittenAnswers {
    kept: Mutex<lru::LruCache<u64, Kept>>,
    hasher: std::hash::RandomState,
}

impl Default for WrittenAnswers {
    fn default() -> Self {
        WrittenAnswers::new(ANSWERS_WRITTEN)
    }
}

impl WrittenAnswers {
    pub fn new(capacity: usize) -> WrittenAnswers {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        WrittenAnswers {
            kept: Mutex::new(lru::LruCache::new(capacity)),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Answers kept (at most the capacity).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<u64, Kept>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The JSON answer to `question` given what the sources said (`detection`) at `now`: the one
    /// kept, with the moment written in, else `result()` written and kept.
    pub fn answer(
        &self,
        question: &Question<'_>,
        detection: &Detection,
        now: Timestamp,
        result: impl FnOnce() -> CheckResult,
    ) -> serde_json::Result<Vec<u8>> {
        let hash = self.hasher.hash_one(question);
        let head = self
            .lock()
            .get(&hash)
            .filter(|kept| kept.answers(question, detection))
            .map(|kept| kept.head.clone());
        if let Some(head) = head {
            let mut body = Vec::with_capacity(head.len() + 24);
            body.extend_from_slice(&head);
            serde_json::to_writer(&mut body, &now)?;
            body.push(b'}');
            return Ok(body);
        }
        let result = result();
        debug_assert_eq!(result.checked_at, now);
        let body = json_bytes(&result)?;
        if question.input.len() <= LONGEST_KEPT_INPUT {
            if let Some(head) = head_of(&body, now) {
                let kept = Kept {
                    input: question.input.into(),
                    lang: question.lang,
                    date: question.date,
                    country: question.country,
                    amount: question.amount,
                    sub: question.sub.cloned(),
                    detection: detection.clone(),
                    head: Bytes::copy_from_slice(head),
                };
                self.lock().put(hash, kept);
            }
        }
        Ok(body)
    }
}

/// The answer without its moment: everything up to `"checked_at":`, when the answer ends with
/// that field holding `now` (else `None`: such an answer is not kept).
fn head_of(body: &[u8], now: Timestamp) -> Option<&[u8]> {
    let mut tail = CHECKED_AT.to_vec();
    serde_json::to_writer(&mut tail, &now).ok()?;
    tail.push(b'}');
    body.ends_with(&tail)
        .then(|| &body[..body.len() - tail.len() + CHECKED_AT.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        check::{CheckOptions, Context},
        link::normalize,
        rates::{Programme, Status},
        sources::StatusSource,
    };

    fn result_at(
        programme: &Programme,
        input: &str,
        detection: &Detection,
        now: Timestamp,
    ) -> CheckResult {
        let context = Context {
            programme,
            template: None,
            date: Date::new(2026, 12, 7).unwrap(),
            now,
            lang: Lang::En,
        };
        let options = CheckOptions {
            country: Country::parse("US").unwrap(),
            amount: Some(Amount::parse("50").unwrap()),
            sub: None,
            template: None,
        };
        context.assemble(
            input,
            normalize(input).unwrap(),
            detection.clone(),
            &options,
        )
    }

    fn question(input: &str) -> Question<'_> {
        Question {
            input,
            lang: Lang::En,
            date: Date::new(2026, 12, 7).unwrap(),
            country: Country::parse("US").unwrap(),
            amount: Some(Amount::parse("50").unwrap()),
            sub: None,
        }
    }

    #[test]
    fn a_kept_answer_is_what_writing_it_anew_gives_at_every_moment() {
        let programme = Programme::embedded().unwrap();
        let written = WrittenAnswers::new(8);
        let input = "https://aliexpress.com/item/1005006295880104.html?spm=a2g0o";
        let detection = Detection {
            status: Status::Affiliate,
            source: StatusSource::Api,
            exact_percent: Some(7.0),
            ..Detection::unknown()
        };
        let q = question(input);
        let mut built = 0;
        for now in [1_765_000_000, 1_765_000_001, 4_102_444_800, 0] {
            let now = Timestamp(now);
            let fresh = json_bytes(&result_at(&programme, input, &detection, now)).unwrap();
            let answer = written
                .answer(&q, &detection, now, || {
                    built += 1;
                    result_at(&programme, input, &detection, now)
                })
                .unwrap();
            assert_eq!(
                String::from_utf8(answer).unwrap(),
                String::from_utf8(fresh).unwrap()
            );
        }
        assert_eq!(built, 1, "written once, then kept");
        assert_eq!(written.len(), 1);
    }

    #[test]
    fn another_question_or_another_source_answer_is_written_anew() {
        let programme = Programme::embedded().unwrap();
        let written = WrittenAnswers::new(8);
        let input = "https://aliexpress.com/item/1005006295880104.html";
        let now = Timestamp(1_765_000_000);
        let unknown = Detection::unknown();
        let hot = Detection {
            status: Status::HotSale,
            source: StatusSource::Api,
            hot_percent: Some(12.5),
            ..Detection::unknown()
        };
        let mut built = 0;
        let mut ask = |q: &Question<'_>, d: &Detection| {
            let answer = written
                .answer(q, d, now, || {
                    built += 1;
                    result_at(&programme, input, d, now)
                })
                .unwrap();
            assert_eq!(
                answer,
                json_bytes(&result_at(&programme, input, d, now)).unwrap()
            );
        };
        let q = question(input);
        ask(&q, &unknown);
        ask(&q, &hot);
        ask(&q, &hot);
        ask(
            &Question {
                lang: Lang::Ru,
                ..q.clone()
            },
            &hot,
        );
        ask(
            &Question {
                date: Date::new(2026, 12, 8).unwrap(),
                ..q.clone()
            },
            &hot,
        );
        ask(
            &Question {
                amount: None,
                ..q.clone()
            },
            &hot,
        );
        assert_eq!(built, 5);
    }

    #[test]
    fn the_least_recently_used_answer_goes_past_the_bound() {
        let programme = Programme::embedded().unwrap();
        let written = WrittenAnswers::new(2);
        let now = Timestamp(1_765_000_000);
        let d = Detection::unknown();
        let inputs: Vec<String> = (0..5)
            .map(|i| format!("https://aliexpress.com/item/100500629588010{i}.html"))
            .collect();
        for input in &inputs {
            written
                .answer(&question(input), &d, now, || {
                    result_at(&programme, input, &d, now)
                })
                .unwrap();
        }
        assert_eq!(written.len(), 2);
    }
}
