//! Fuzzes the link engine: reading any text never panics, extraction positions are exact, a
//! canonical URL reads back as itself, and the time it takes grows with the input's length only
//! (run with `-max_len=65536`: a quadratic step would take seconds on 64 KiB).
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use linksmith::domain::link::{read, scan, Reading};

/// Time allowed per input: a fixed part (allocation, the first touch of tables) and a part per
/// byte far above what linear reading costs (tens of nanoseconds a byte), far below quadratic.
fn allowed(len: usize) -> Duration {
    Duration::from_millis(50) + Duration::from_micros(2) * len as u32
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // CPU time of this thread: a stall of the machine is not the input's cost.
    let started = cpu_time::ThreadTime::now();
    let _ = read(text);
    let _ = scan(text);
    let took = started.elapsed();
    assert!(
        took <= allowed(text.len()),
        "{} bytes took {took:?} (allowed {:?})",
        text.len(),
        allowed(text.len())
    );
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
