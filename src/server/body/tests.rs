use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Batch {
    urls: Vec<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    lang: Option<crate::domain::lang::Lang>,
}

fn bounds(items: usize, string: usize) -> Bounds {
    Bounds {
        max_items: items,
        max_string: string,
        items: Items::Links,
    }
}

fn urls(n: usize) -> String {
    let list: Vec<String> = (0..n).map(|i| format!("\"u{i}\"")).collect();
    format!("{{\"urls\": [{}], \"sub\": \"s\"}}", list.join(","))
}

#[test]
fn a_list_at_its_bound_is_read_and_one_more_is_refused() {
    let read: Batch = from_slice(urls(3).as_bytes(), bounds(3, 100)).unwrap();
    assert_eq!(read.urls, vec!["u0", "u1", "u2"]);
    assert_eq!(read.sub.as_deref(), Some("s"));
    assert_eq!(
        from_slice::<Batch>(urls(4).as_bytes(), bounds(3, 100)),
        Err(BodyProblem::TooManyItems {
            max: 3,
            items: Items::Links
        })
    );
    // Empty lists too.
    let read: Batch = from_slice(b"{\"urls\": []}", bounds(0, 100)).unwrap();
    assert!(read.urls.is_empty());
}

#[test]
fn a_string_at_its_bound_is_read_and_one_byte_more_is_refused() {
    let at = format!("{{\"urls\": [\"{}\"]}}", "é".repeat(5)); // 10 bytes
    let read: Batch = from_slice(at.as_bytes(), bounds(10, 10)).unwrap();
    assert_eq!(read.urls[0].len(), 10);
    assert_eq!(
        from_slice::<Batch>(at.as_bytes(), bounds(10, 9)),
        Err(BodyProblem::TooLong { max: 9, len: 10 })
    );
    // Escaped strings are measured as read; keys are strings too.
    let escaped = format!("{{\"urls\": [\"{}\"]}}", "\\n".repeat(11));
    assert!(matches!(
        from_slice::<Batch>(escaped.as_bytes(), bounds(10, 10)),
        Err(BodyProblem::TooLong { len: 11, .. })
    ));
    let key = format!("{{\"{}\": 1, \"urls\": []}}", "k".repeat(11));
    assert!(matches!(
        from_slice::<Batch>(key.as_bytes(), bounds(10, 10)),
        Err(BodyProblem::TooLong { .. })
    ));
}

#[test]
fn nested_values_are_bounded_wherever_they_are() {
    // A list inside an unknown field of an object is skipped, never kept; a list of lists is
    // bounded at each level; enums and options pass through.
    let read: Batch = from_slice(
        br#"{"urls": ["a"], "lang": "ru", "x": [[1,2,3,4,5]]}"#,
        bounds(2, 10),
    )
    .unwrap();
    assert_eq!(read.lang, Some(crate::domain::lang::Lang::Ru));
    let nested: Result<Vec<Vec<u8>>, _> = from_slice(b"[[1,2],[1,2,3]]", bounds(2, 10));
    assert!(matches!(
        nested,
        Err(BodyProblem::TooManyItems { max: 2, .. })
    ));
    let shaped: Result<IgnoredAny, _> = from_slice(b"[1,2,3]", bounds(2, 10));
    assert!(shaped.is_ok(), "skipped values are not counted: {shaped:?}");
}

#[test]
fn a_body_that_is_not_the_request_is_malformed_with_serde_jsons_words() {
    for (body, syntax) in [
        ("{\"urls\": ", true),
        ("{\"urls\": [] } x", true),
        ("{\"urls\": 5}", false),
        ("[0,0,0]", false),
        ("{}", false),
    ] {
        match from_slice::<Batch>(body.as_bytes(), bounds(10, 10)) {
            Err(BodyProblem::Malformed { syntax: s, detail }) => {
                assert_eq!(s, syntax, "{body}: {detail}");
                assert!(!detail.is_empty());
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn a_huge_array_of_numbers_stops_at_its_first_wrong_item() {
    // The shape that became two million values in a tree: refused at once.
    let mut body = String::from("[");
    body.push_str(&"0,".repeat(1_000_000));
    body.push_str("0]");
    let read = from_slice::<Batch>(body.as_bytes(), Bounds::default());
    assert!(
        matches!(read, Err(BodyProblem::Malformed { syntax: false, .. })),
        "{read:?}"
    );
    let read = from_slice::<Vec<u8>>(body.as_bytes(), Bounds::default());
    assert_eq!(
        read,
        Err(BodyProblem::TooManyItems {
            max: 1000,
            items: Items::Links
        })
    );
}

#[test]
fn refusals_are_413_with_their_codes_and_sentences_in_both_languages() {
    let cases = [
        (
            BodyProblem::TooManyItems {
                max: 1000,
                items: Items::Links,
            },
            413,
            "too_many_links",
            "1001",
        ),
        (
            BodyProblem::TooManyItems {
                max: 5000,
                items: Items::Keywords,
            },
            413,
            "too_long",
            "5000",
        ),
        (
            BodyProblem::TooLong {
                max: MAX_STRING_BYTES,
                len: 70_000,
            },
            413,
            "too_long",
            "70000",
        ),
        (
            BodyProblem::Malformed {
                syntax: true,
                detail: "EOF".into(),
            },
            400,
            "invalid_request",
            "EOF",
        ),
    ];
    for (problem, status, code, says) in cases {
        for lang in [Lang::En, Lang::Ru] {
            let e = problem.api_error(lang);
            assert_eq!(e.status.as_u16(), status);
            assert_eq!(e.problem.code.as_str(), code);
            assert!(e.problem.message.contains(says), "{}", e.problem.message);
        }
        assert_ne!(
            problem.api_error(Lang::En).problem.message,
            problem.api_error(Lang::Ru).problem.message
        );
        assert_eq!(problem.is_bound(), status == 413);
    }
}
