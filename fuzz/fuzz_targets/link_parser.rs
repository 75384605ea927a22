//! Fuzzes the link engine: reading any text never panics, extraction positions are exact, and a
//! canonical URL reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linksmith::domain::link::{read, scan, Reading};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(found) = scan(text) {
        for item in found {
            assert_eq!(&text[item.candidate.start..item.candidate.end], item.candidate.text);
        }
    }
    if let Ok(Reading::Link(link)) = read(text) {
        match read(&link.canonical_url) {
            Ok(Reading::Link(again)) => {
                assert_eq!(again.canonical_url, link.canonical_url);
                assert!(again.removed_params.is_empty());
            }
            other => panic!("{} reads as {other:?}", link.canonical_url),
        }
    }
});
