use super::*;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Plain,
    Wrapped(u32),
    Pair(i8, String),
    Named { x: f64 },
}

#[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(untagged)]
enum Either {
    Number { n: f64 },
    Text { text: String, kind: Kind },
}

#[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "type")]
enum Tagged {
    A { a: u8 },
    B,
}

#[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
struct Doc {
    id: u64,
    delta: i64,
    rate: Option<f64>,
    name: String,
    kinds: Vec<Kind>,
    either: Vec<Either>,
    tagged: Vec<Tagged>,
    map: BTreeMap<String, bool>,
    #[serde(default)]
    missing: Vec<u8>,
    unit: (),
    tuple: (u8, String),
    ch: char,
}

/// What this reader stands in for: serde_json's, on the same text.
fn both<T: DeserializeOwned + PartialEq + fmt::Debug>(text: &str) {
    let ours = from_str::<T>(text).ok();
    let theirs = serde_json::from_str::<T>(text).ok();
    assert_eq!(ours, theirs, "{text}");
}

#[test]
fn reads_what_serde_json_reads() {
    let text = r#"{"id":18446744073709551615,"delta":-9223372036854775808,"rate":12.5,
        "name":"a\"b\u00e9","kinds":["plain",{"wrapped":7},{"pair":[-1,"x"]},{"named":{"x":0.1}}],
        "either":[{"n":3},{"text":"t","kind":"plain"},{"n":-0}],
        "tagged":[{"type":"A","a":1},{"type":"B"}],
        "map":{"b":true,"a":false},"unit":null,"tuple":[1,"y"],"ch":"é","extra":[1,{"z":null}]}"#;
    let doc: Doc = from_str(text).unwrap();
    assert_eq!(doc.kinds[3], Kind::Named { x: 0.1 });
    assert!(matches!(doc.either[2], Either::Number { n } if n == 0.0 && n.is_sign_negative()));
    both::<Doc>(text);
}

#[test]
fn refuses_what_serde_json_refuses() {
    for text in [
        r#"{"id":-1}"#,
        r#"{"id":1.5}"#,
        r#"{"id":1,"id":2}"#,
        r#"{"kinds":["other"]}"#,
        r#"{"kinds":[{"plain":1,"wrapped":2}]}"#,
        "[1,2",
        r#"{"tuple":[1,"y",3]}"#,
        r#"{"ch":"ab"}"#,
        "",
        "nul",
    ] {
        both::<Doc>(text);
        assert_eq!(from_str::<Doc>(text), Err(NotTheValue), "{text}");
    }
    both::<u8>("256");
    both::<i8>("-129");
    both::<Option<u8>>("null");
    both::<Vec<f64>>("[1,-2,3.5,1e2,-0,18446744073709551616,-9223372036854775809]");
    both::<(u8,)>("[1]");
    both::<Kind>(r#""plain""#);
    both::<Kind>(r#"{"plain":null}"#);
}

use crate::domain::{
    check::{CheckFailure, CheckOptions, Context, Outcome},
    country::Country,
    date::{Date, Timestamp},
    lang::Lang,
    link::normalize,
    messages::Explain,
    rates::{Amount, Programme, Status},
    sources::{Detection, StatusSource},
};
use proptest::prelude::*;

/// The answers the server gives for the sample links: every field a check fills in.
fn outcomes(
    status: Status,
    exact: Option<f64>,
    hot: Option<f64>,
    cents: Option<u64>,
) -> Vec<Outcome> {
    let programme = Programme::embedded().unwrap();
    let sample: serde_json::Value =
        serde_json::from_str(include_str!("../../../../tests/data/links-sample.json")).unwrap();
    let context = Context {
        programme: &programme,
        template: None,
        date: Date::new(2026, 11, 30).unwrap(),
        now: Timestamp::default(),
        lang: Lang::Ru,
    };
    let options = CheckOptions {
        country: Country::parse("BR").unwrap(),
        amount: cents.map(Amount::from_cents),
        sub: None,
        template: None,
    };
    sample["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let input = row["input"].as_str().unwrap();
            match normalize(input) {
                Ok(link) => {
                    let found = Detection {
                        status,
                        source: StatusSource::None,
                        exact_percent: exact,
                        hot_percent: hot,
                        ..Detection::unknown()
                    };
                    Outcome::Checked(Box::new(context.assemble(input, link, found, &options)))
                }
                Err(e) => Outcome::Failed(CheckFailure {
                    input: input.to_string(),
                    error: e.problem(Lang::Ru),
                }),
            }
        })
        .collect()
}

#[test]
fn reads_the_programme_as_written() {
    let programme = Programme::embedded().unwrap();
    let text = serde_json::to_string(&programme).unwrap();
    assert_eq!(from_str::<Programme>(&text), Ok(programme));
}

#[test]
fn reads_the_answers_as_written() {
    let list = outcomes(Status::Affiliate, Some(7.0), None, Some(12_345));
    assert!(list.iter().any(|o| matches!(o, Outcome::Failed(_))));
    assert!(list.iter().any(|o| matches!(o, Outcome::Checked(_))));
    let text = serde_json::to_string(&list).unwrap();
    assert_eq!(from_str::<Vec<Outcome>>(&text), Ok(list));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Any rate a source reports and any amount: the answers read back as they were.
    #[test]
    fn answers_read_back(
        status in prop::sample::select(Status::ALL.to_vec()),
        exact in prop::option::of(0.0f64..100.0),
        hot in prop::option::of(0.0f64..100.0),
        cents in prop::option::of(0u64..100_000_000),
    ) {
        let list = outcomes(status, exact, hot, cents);
        let text = serde_json::to_string(&list).unwrap();
        prop_assert_eq!(from_str::<Vec<Outcome>>(&text), Ok(list));
    }
}

#[test]
fn its_message_says_what_happened() {
    assert!(NotTheValue.to_string().contains("not the JSON expected"));
    assert_eq!(from_slice::<u8>(b"\xff"), Err(NotTheValue));
}
