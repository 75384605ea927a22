//! The campaign matcher against its measured table (tests/data/campaign-cases.json): zero false
//! positives, zero misses; and the check's report.

use linksmith::domain::{
    campaign::{check, negative_keywords, CampaignInput, Field, FindingCode},
    lang::Lang,
};
use serde_json::Value;

#[test]
fn campaign_cases_zero_false_positives_zero_misses() {
    let path = format!(
        "{}/tests/data/campaign-cases.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    let (mut false_positives, mut misses, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for c in cases {
        let text = c["text"].as_str().unwrap().to_string();
        let input = match c["field"].as_str().unwrap() {
            "domain" => CampaignInput {
                domain: Some(text.clone()),
                ..Default::default()
            },
            "title" => CampaignInput {
                title: Some(text.clone()),
                ..Default::default()
            },
            "text" => CampaignInput {
                text: Some(text.clone()),
                ..Default::default()
            },
            _ => CampaignInput {
                keywords: vec![text.clone()],
                ..Default::default()
            },
        };
        let got: Vec<(String, String)> = check(&input, Lang::En)
            .unwrap()
            .findings
            .into_iter()
            .map(|f| (f.matched, f.term))
            .collect();
        let want: Vec<(String, String)> = c["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["match"].as_str().unwrap().to_string(),
                    e["term"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if want.is_empty() && !got.is_empty() {
            false_positives.push(format!("{text:?}: {got:?}"));
        } else if got.len() < want.len() {
            misses.push(format!("{text:?}: got {got:?}, expected {want:?}"));
        } else if got != want {
            wrong.push(format!("{text:?}: got {got:?}, expected {want:?}"));
        }
    }
    assert!(
        false_positives.is_empty() && misses.is_empty() && wrong.is_empty(),
        "false positives:\n{}\nmisses:\n{}\nwrong match or term:\n{}",
        false_positives.join("\n"),
        misses.join("\n"),
        wrong.join("\n")
    );
}

#[test]
fn findings_say_where_what_and_which_rule_in_both_languages() {
    let input = CampaignInput {
        domain: Some("deals-aliexpres.com".into()),
        title: Some("Great finds".into()),
        text: Some("Всё с Алиэкспресс!".into()),
        keywords: vec!["usb cable".into(), "ali express case".into()],
    };
    let report = check(&input, Lang::En).unwrap();
    let f = &report.findings;
    assert_eq!(f.len(), 3);
    assert_eq!(
        (
            f[0].field,
            f[0].code,
            f[0].matched.as_str(),
            f[0].start,
            f[0].end
        ),
        (
            Field::Domain,
            FindingCode::BrandInDomain,
            "aliexpres",
            6,
            15
        )
    );
    assert_eq!(
        (
            f[1].field,
            f[1].code,
            f[1].matched.as_str(),
            f[1].start,
            f[1].end
        ),
        (Field::Text, FindingCode::BrandInAd, "Алиэкспресс", 6, 17)
    );
    assert_eq!(
        (
            f[2].field,
            f[2].code,
            f[2].keyword_index,
            f[2].matched.as_str()
        ),
        (
            Field::Keywords,
            FindingCode::BrandKeyword,
            Some(1),
            "ali express"
        )
    );
    assert!(f[0].message.contains("domain") && f[0].rule.contains("domain name"));
    assert!(f[2].message.contains("negative keywords"));
    let ru = check(&input, Lang::Ru).unwrap();
    assert!(
        ru.findings[0].message.contains("домене"),
        "{}",
        ru.findings[0].message
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["findings"][0]["match"], "aliexpres");
    assert_eq!(json["findings"][0]["code"], "brand_in_domain");
    assert_eq!(json["findings"][0]["field"], "domain");
}

#[test]
fn negative_keywords_cover_brands_misspellings_and_cyrillic_with_and_without_spaces() {
    let list = negative_keywords();
    for k in [
        "aliexpress",
        "alibaba",
        "ali express",
        "aliexpres",
        "alliexpress",
        "алиэкспресс",
        "али экспресс",
        "алиэкспрес",
        "алибаба",
        "али баба",
    ] {
        assert!(list.iter().any(|x| x == k), "missing {k}");
    }
    assert_eq!(
        check(&CampaignInput::default(), Lang::En)
            .unwrap()
            .negative_keywords,
        list
    );
}

#[test]
fn oversized_input_is_refused_with_a_message() {
    let input = CampaignInput {
        text: Some("a".repeat(20_001)),
        ..Default::default()
    };
    let err = check(&input, Lang::En).unwrap_err();
    assert_eq!(err.code().as_str(), "too_long");
    assert!(err.to_string().contains("over the limit"));
}
