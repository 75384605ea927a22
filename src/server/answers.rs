//! One-link answers already written: the API's JSON of a check, kept for the same question asked
//! again while nothing it depends on changed.
//!
//! A question is the input as given, the reader's language, the delivery country, the amount, the
//! sub-id and the day (the programme's dated rules). Its answer depends besides only on the link
//! the input led to (an app share link is followed again once what it led to is forgotten, and may
//! land elsewhere) and on what the sources said of it (the [`Detection`]: a source's new answer, a
//! refreshed one or an import make another), both compared whole, rates bit for bit; and on the
//! moment of the check, which is the answer's last field (`checked_at`) and is written afresh
//! every time. The rules and the server's template do not change while the server runs. What is
//! sent is byte for byte what writing the result anew would send (`tests/it/api_check.rs`).
//!
//! Bounds: at most [`ANSWERS_WRITTEN`] answers and [`BYTES_WRITTEN`] bytes of them, the least
//! recently used dropped; an answer over [`LARGEST_KEPT`] bytes (an upstream's very long title)
//! and an input over [`LONGEST_KEPT_INPUT`] are answered without being kept.

use std::{hash::BuildHasher, num::NonZeroUsize, sync::Mutex};

use axum::body::Bytes;
use serde::Serialize;

use crate::domain::{
    check::CheckResult, country::Country, date::Date, date::Timestamp, lang::Lang, link::Link,
    rates::Amount, sources::Detection, template::SubId,
};

/// Answers kept (each about 3 KiB: the question, the link, what the sources said, the JSON).
pub const ANSWERS_WRITTEN: usize = 4096;

/// Bytes all kept answers may hold together (as [`Kept::size`] counts them).
pub const BYTES_WRITTEN: usize = 16 * 1024 * 1024;

/// Answers whose JSON is larger than this are not kept.
pub const LARGEST_KEPT: usize = 16 * 1024;

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

/// What a one-link answer depends on besides the link, the sources and the moment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question<'a> {
    pub input: &'a str,
    pub lang: Lang,
    pub date: Date,
    pub country: Country,
    pub amount: Option<Amount>,
    pub sub: Option<&'a SubId>,
}

/// A kept answer: its question (owned), the link, what the sources said, the JSON up to
/// `"checked_at":`.
struct Kept {
    input: Box<str>,
    lang: Lang,
    date: Date,
    country: Country,
    amount: Option<Amount>,
    sub: Option<SubId>,
    link: Link,
    detection: Detection,
    head: Bytes,
}

impl Kept {
    fn answers(&self, q: &Question<'_>, link: &Link, detection: &Detection) -> bool {
        *self.input == *q.input
            && self.lang == q.lang
            && self.date == q.date
            && self.country == q.country
            && self.amount == q.amount
            && self.sub.as_ref() == q.sub
            && self.link == *link
            && same_detection(&self.detection, detection)
    }

    /// About what the answer holds in memory: its JSON, its strings, its parts.
    fn size(&self) -> usize {
        let strings = |d: &Detection| {
            d.product.as_ref().map_or(0, |p| {
                [&p.title, &p.image_url, &p.category]
                    .iter()
                    .map(|s| s.as_ref().map_or(0, String::len))
                    .sum()
            })
        };
        let link = &self.link;
        let link_strings = link.canonical_url.len()
            + [&link.product_id, &link.store_id, &link.sku_id]
                .iter()
                .map(|s| s.as_ref().map_or(0, String::len))
                .sum::<usize>()
            + link
                .removed_params
                .iter()
                .map(|p| p.len() + std::mem::size_of_val(p))
                .sum::<usize>();
        std::mem::size_of::<Kept>()
            + self.head.len()
            + self.input.len()
            + link_strings
            + strings(&self.detection)
            + self.detection.sources.len()
                * std::mem::size_of::<crate::domain::sources::SourceAnswer>()
    }
}

/// Equal detections, their rates compared bit for bit (`0.0` and `-0.0` are written apart).
fn same_detection(a: &Detection, b: &Detection) -> bool {
    fn rates(d: &Detection) -> impl Iterator<Item = Option<u64>> + '_ {
        [d.exact_percent, d.hot_percent]
            .into_iter()
            .chain(
                d.sources
                    .iter()
                    .flat_map(|s| [s.exact_percent, s.hot_percent]),
            )
            .map(|p| p.map(f64::to_bits))
    }
    a == b && rates(a).eq(rates(b))
}

/// The kept answers and the bytes they hold.
struct Shelf {
    answers: lru::LruCache<u64, Kept>,
    bytes: usize,
}

/// The written answers, by the hash of their question.
pub struct WrittenAnswers {
    shelf: Mutex<Shelf>,
    budget: usize,
    hasher: std::hash::RandomState,
}

impl Default for WrittenAnswers {
    fn default() -> Self {
        WrittenAnswers::new(ANSWERS_WRITTEN, BYTES_WRITTEN)
    }
}

impl WrittenAnswers {
    /// Keeps at most `count` answers and `bytes` bytes of them.
    pub fn new(count: usize, bytes: usize) -> WrittenAnswers {
        let count = NonZeroUsize::new(count).unwrap_or(NonZeroUsize::MIN);
        WrittenAnswers {
            shelf: Mutex::new(Shelf {
                answers: lru::LruCache::new(count),
                bytes: 0,
            }),
            budget: bytes,
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Answers kept (at most the capacity).
    pub fn len(&self) -> usize {
        self.lock().answers.len()
    }

    /// True when no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the kept answers hold (at most the budget).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shelf> {
        self.shelf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The JSON answer to `question`, whose input led to `link`, given what the sources said
    /// (`detection`) at `now`: the one kept, with the moment written in, else `result()` written
    /// and kept.
    pub fn answer(
        &self,
        question: &Question<'_>,
        link: &Link,
        detection: &Detection,
        now: Timestamp,
        result: impl FnOnce() -> CheckResult,
    ) -> serde_json::Result<Vec<u8>> {
        let hash = self.hasher.hash_one(question);
        let head = self
            .lock()
            .answers
            .get(&hash)
            .filter(|kept| kept.answers(question, link, detection))
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
        if question.input.len() <= LONGEST_KEPT_INPUT && body.len() <= LARGEST_KEPT {
            if let Some(head) = head_of(&body, now) {
                self.keep(
                    hash,
                    Kept {
                        input: question.input.into(),
                        lang: question.lang,
                        date: question.date,
                        country: question.country,
                        amount: question.amount,
                        sub: question.sub.cloned(),
                        link: link.clone(),
                        detection: detection.clone(),
                        head: Bytes::copy_from_slice(head),
                    },
                );
            }
        }
        Ok(body)
    }

    /// Keeps an answer, dropping the least recently used past either bound.
    fn keep(&self, hash: u64, answer: Kept) {
        let bytes = answer.size();
        if bytes > self.budget {
            return;
        }
        let mut held = self.lock();
        held.bytes += bytes;
        // The answer it replaces (the same hash), or the one the count bound drops.
        if let Some((_, gone)) = held.answers.push(hash, answer) {
            held.bytes -= gone.size();
        }
        while held.bytes > self.budget {
            match held.answers.pop_lru() {
                Some((_, gone)) => held.bytes -= gone.size(),
                None => break,
            }
        }
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
        sources::{ProductInfo, StatusSource},
    };

    fn result_at(
        programme: &Programme,
        input: &str,
        link: &Link,
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
        context.assemble(input, link.clone(), detection.clone(), &options)
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

    /// Asks `written` and checks the answer against one written anew; true when it was written.
    fn ask(
        written: &WrittenAnswers,
        q: &Question<'_>,
        link: &Link,
        d: &Detection,
        now: Timestamp,
    ) -> bool {
        let programme = Programme::embedded().unwrap();
        let mut built = false;
        let answer = written
            .answer(q, link, d, now, || {
                built = true;
                result_at(&programme, q.input, link, d, now)
            })
            .unwrap();
        let fresh = json_bytes(&result_at(&programme, q.input, link, d, now)).unwrap();
        assert_eq!(
            String::from_utf8(answer).unwrap(),
            String::from_utf8(fresh).unwrap()
        );
        built
    }

    fn affiliate(rate: f64) -> Detection {
        Detection {
            status: Status::Affiliate,
            source: StatusSource::Api,
            exact_percent: Some(rate),
            ..Detection::unknown()
        }
    }

    #[test]
    fn a_kept_answer_is_what_writing_it_anew_gives_at_every_moment() {
        let written = WrittenAnswers::default();
        let input = "https://aliexpress.com/item/1005006295880104.html?spm=a2g0o";
        let link = normalize(input).unwrap();
        let q = question(input);
        let built: Vec<bool> = [1_765_000_000, 1_765_000_001, 4_102_444_800, 0]
            .into_iter()
            .map(|now| ask(&written, &q, &link, &affiliate(7.0), Timestamp(now)))
            .collect();
        assert_eq!(
            built,
            [true, false, false, false],
            "written once, then kept"
        );
        assert_eq!(written.len(), 1);
    }

    #[test]
    fn another_question_link_or_source_answer_is_written_anew() {
        let written = WrittenAnswers::default();
        let input = "https://aliexpress.com/item/1005006295880104.html";
        let link = normalize(input).unwrap();
        let now = Timestamp(1_765_000_000);
        let hot = Detection {
            status: Status::HotSale,
            hot_percent: Some(12.5),
            ..affiliate(5.0)
        };
        let q = question(input);
        assert!(ask(&written, &q, &link, &Detection::unknown(), now));
        assert!(ask(&written, &q, &link, &hot, now));
        assert!(!ask(&written, &q, &link, &hot, now));
        for other in [
            Question {
                lang: Lang::Ru,
                ..q.clone()
            },
            Question {
                date: Date::new(2026, 12, 8).unwrap(),
                ..q.clone()
            },
            Question {
                amount: None,
                ..q.clone()
            },
        ] {
            assert!(ask(&written, &other, &link, &hot, now));
            assert!(!ask(&written, &other, &link, &hot, now));
        }
        // The same input landing elsewhere (an app share link followed again).
        let elsewhere = normalize("https://aliexpress.com/item/1005005248414510.html").unwrap();
        assert!(ask(&written, &q, &elsewhere, &hot, now));
        assert!(!ask(&written, &q, &elsewhere, &hot, now));
        // A rate equal as a number but written otherwise.
        assert!(ask(&written, &q, &link, &affiliate(0.0), now));
        assert!(ask(&written, &q, &link, &affiliate(-0.0), now));
        assert!(!ask(&written, &q, &link, &affiliate(-0.0), now));
    }

    #[test]
    fn the_least_recently_used_answer_goes_past_either_bound() {
        let now = Timestamp(1_765_000_000);
        let d = Detection::unknown();
        let inputs: Vec<String> = (0..6)
            .map(|i| format!("https://aliexpress.com/item/100500629588010{i}.html"))
            .collect();
        let keep_all = |written: &WrittenAnswers| {
            for input in &inputs {
                ask(
                    written,
                    &question(input),
                    &normalize(input).unwrap(),
                    &d,
                    now,
                );
            }
        };
        let by_count = WrittenAnswers::new(2, BYTES_WRITTEN);
        keep_all(&by_count);
        assert_eq!(by_count.len(), 2);

        let one = WrittenAnswers::default();
        ask(
            &one,
            &question(&inputs[0]),
            &normalize(&inputs[0]).unwrap(),
            &d,
            now,
        );
        let size = one.bytes();
        assert!((2_000..8_000).contains(&size), "{size} bytes");
        let by_bytes = WrittenAnswers::new(ANSWERS_WRITTEN, size * 3 + size / 2);
        keep_all(&by_bytes);
        assert_eq!(by_bytes.len(), 3);
        assert!(by_bytes.bytes() <= size * 3 + size / 2);
        // The most recent are the ones kept.
        assert!(!ask(
            &by_bytes,
            &question(&inputs[5]),
            &normalize(&inputs[5]).unwrap(),
            &d,
            now
        ));
        assert!(ask(
            &by_bytes,
            &question(&inputs[0]),
            &normalize(&inputs[0]).unwrap(),
            &d,
            now
        ));
    }

    #[test]
    fn an_answer_with_a_very_long_title_is_not_kept() {
        let written = WrittenAnswers::default();
        let input = "https://aliexpress.com/item/1005006295880104.html";
        let long = Detection {
            product: Some(ProductInfo {
                title: Some("lamp ".repeat(5_000)),
                image_url: None,
                category: None,
                available: true,
            }),
            ..affiliate(7.0)
        };
        let now = Timestamp(1_765_000_000);
        let link = normalize(input).unwrap();
        assert!(ask(&written, &question(input), &link, &long, now));
        assert!(ask(&written, &question(input), &link, &long, now));
        assert!(written.is_empty());
    }
}
