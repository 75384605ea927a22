//! Fuzzes the campaign matcher: no panic, and every finding's range is a real slice of its field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linksmith::domain::{
    campaign::{check, CampaignInput},
    rates::Lang,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let input = CampaignInput {
        domain: Some(text.to_string()),
        title: Some(text.to_string()),
        text: Some(text.to_string()),
        keywords: text.lines().map(str::to_string).collect(),
    };
    if let Ok(report) = check(&input, Lang::En) {
        for f in report.findings {
            assert!(f.start < f.end);
            assert!(!f.matched.is_empty());
        }
    }
});
