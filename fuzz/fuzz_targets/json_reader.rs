//! Fuzzes the page's JSON reader (`domain::json`), which reads what users paste and what the
//! browser keeps:
//!
//! - reading any bytes never panics (`parse`, `from_slice`, and the page's own readers of local
//!   storage, `recent::list_from_json` and `template::channels_from_json`);
//! - on UTF-8, `parse` accepts exactly the texts `serde_json` reads as a value, into the same value.
//!   Compared as the module's own test compares them: an object's members one per key (the last, as
//!   `serde_json` keeps it), and a number by its whole value where it has one; other numbers are kept
//!   as written and `serde_json` writes them its own way, so only "not a whole number" is compared
//!   (its float is `number::read_float`'s: off WebAssembly, the standard library's, exact);
//! - `from_slice` on any bytes gives a `serde_json::Value` where `serde_json::from_slice` gives one,
//!   the same in those terms, and decodes the page's real types (recent checks, channels, the
//!   settings file) as `serde_json` does wherever the bytes are JSON (others it refuses whole);
//! - a list that `list_from_json` or `channels_from_json` reads is written back as `serde_json`
//!   writes it and reads back as itself;
//! - the time it takes grows with the input's length only (run with `-max_len=65536`).
#![no_main]

use std::collections::BTreeMap;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use linksmith::domain::json::{self, Value};
use linksmith::domain::recent::{self, Recent};
use linksmith::domain::template::{self, Channel, Settings};

/// Time allowed per input: a fixed part and a part per byte far above what linear reading costs
/// (tens of nanoseconds a byte), far below quadratic.
fn allowed(len: usize) -> Duration {
    Duration::from_millis(50) + Duration::from_micros(2) * len as u32
}

/// A number in the terms both readers share: its whole value, or only that it has none.
fn number(whole: Option<String>) -> Value {
    Value::Number(whole.unwrap_or_else(|| "not whole".to_string()))
}

/// Our reading in the shared terms.
fn ours(v: Value) -> Value {
    match v {
        Value::Number(_) => number(
            v.as_u64_text()
                .map(str::to_string)
                .or_else(|| v.as_i64().map(|n| n.to_string())),
        ),
        Value::List(items) => Value::List(items.into_iter().map(ours).collect()),
        Value::Object(members) => {
            // One member per key, the last, in key order.
            let map: BTreeMap<String, Value> =
                members.into_iter().map(|(k, v)| (k, ours(v))).collect();
            Value::Object(map.into_iter().collect())
        }
        other => other,
    }
}

/// `serde_json`'s reading in the shared terms.
fn theirs(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => number(
            n.as_u64()
                .map(|n| n.to_string())
                .or_else(|| n.as_i64().map(|n| n.to_string())),
        ),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(theirs).collect()),
        serde_json::Value::Object(m) => {
            let map: BTreeMap<String, Value> =
                m.iter().map(|(k, v)| (k.clone(), theirs(v))).collect();
            Value::Object(map.into_iter().collect())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // CPU time of this thread: a stall of the machine is not the input's cost.
    let started = cpu_time::ThreadTime::now();
    let text = std::str::from_utf8(data).ok();
    let parsed = text.and_then(json::parse);
    let decoded = json::from_slice::<serde_json::Value>(data);
    let recent = text.and_then(recent::list_from_json);
    let channels = text.and_then(template::channels_from_json);
    let took = started.elapsed();
    assert!(
        took <= allowed(data.len()),
        "{} bytes took {took:?} (allowed {:?})",
        data.len(),
        allowed(data.len())
    );

    let reference = serde_json::from_slice::<serde_json::Value>(data).ok();
    if text.is_some() {
        assert_eq!(
            parsed.map(ours),
            reference.as_ref().map(theirs),
            "parse against serde_json"
        );
    }
    assert_eq!(
        decoded.ok().as_ref().map(theirs),
        reference.as_ref().map(theirs),
        "from_slice against serde_json"
    );

    // The page's types, through serde: as serde_json decodes them, for every text that is JSON.
    // Other bytes the reader refuses whole, where serde_json skips an ignored member's string
    // without looking at it (`{"unknown":"\xff"}`, `{"unknown":"\ude00"}` decode there): a JSON
    // text is UTF-8 with paired surrogates (RFC 8259, sections 8.1 and 8.2).
    if reference.is_some() {
        assert_eq!(
            json::from_slice::<Vec<Recent>>(data).ok(),
            serde_json::from_slice::<Vec<Recent>>(data).ok(),
            "recent checks"
        );
        assert_eq!(
            json::from_slice::<Vec<Channel>>(data).ok(),
            serde_json::from_slice::<Vec<Channel>>(data).ok(),
            "channels"
        );
        assert_eq!(
            json::from_slice::<Settings>(data).ok(),
            serde_json::from_slice::<Settings>(data).ok(),
            "settings"
        );
    } else {
        assert!(
            json::from_slice::<Vec<Recent>>(data).is_err(),
            "not JSON: recent"
        );
        assert!(
            json::from_slice::<Vec<Channel>>(data).is_err(),
            "not JSON: channels"
        );
        assert!(
            json::from_slice::<Settings>(data).is_err(),
            "not JSON: settings"
        );
    }

    // The page's own readers of local storage: what they read is written as serde_json writes it,
    // and reads back as itself.
    if let Some(list) = recent {
        let written = recent::list_to_json(&list);
        assert_eq!(written, serde_json::to_string(&list).unwrap());
        assert_eq!(recent::list_from_json(&written), Some(list));
    }
    if let Some(list) = channels {
        let written = template::channels_to_json(&list);
        assert_eq!(written, serde_json::to_string(&list).unwrap());
        assert_eq!(template::channels_from_json(&written), Some(list));
    }
});
