//! Fuzzes the campaign matcher: no panic, and every finding's range is a real slice of its field.
//! The input's first line is the domain, its second the ad title, the whole the ad text and its
//! lines the keywords.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linksmith::domain::{
    campaign::{check, CampaignInput, Field},
    lang::Lang,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let input = CampaignInput {
        domain: lines.next().map(str::to_string),
        title: lines.next().map(str::to_string),
        text: Some(text.to_string()),
        keywords: text.lines().map(str::to_string).collect(),
    };
    if let Ok(report) = check(&input, Lang::En) {
        for f in report.findings {
            assert!(f.start < f.end);
            assert!(!f.matched.is_empty());
            let field = match (f.field, f.keyword_index) {
                (Field::Title, _) => input.title.as_deref(),
                (Field::Text, _) => input.text.as_deref(),
                (Field::Keywords, Some(i)) => input.keywords.get(i).map(String::as_str),
                // The domain field is read as its decoded host: not a slice of the input.
                _ => None,
            };
            if let Some(field) = field {
                let slice: String = field.chars().skip(f.start).take(f.end - f.start).collect();
                assert_eq!(slice, f.matched);
            }
        }
    }
});
