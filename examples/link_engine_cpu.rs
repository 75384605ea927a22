//! The link engine against a bare `url::Url::parse` of the same 1,000 links (the mix of
//! `benches/link_engine.rs`), measured in the thread's CPU time, so that other processes on the
//! shared machine do not count: passes of each alternate, and the least, the 10th percentile and
//! the median of each are printed with their ratio.
//!
//!     cargo run --release --example link_engine_cpu [passes, default 300]
//!
//! `cargo bench --bench link_engine` (wall-clock time) stays the measure of the goal; this is its
//! check on a busy machine (docs/PERFORMANCE.md, Link engine).

use std::{hint::black_box, time::Duration};

use linksmith::domain::link::read;

/// The benchmark itself, for its mix of links (its `main` is not this one's).
#[allow(dead_code)]
#[path = "../benches/link_engine.rs"]
mod bench;

fn main() {
    let inputs = bench::realistic_mix(1000);
    let passes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let mut parse = Vec::with_capacity(passes);
    let mut engine = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = cpu_time::ThreadTime::now();
        for s in &inputs {
            let _ = black_box(url::Url::parse(black_box(s)));
        }
        parse.push(start.elapsed());
        let start = cpu_time::ThreadTime::now();
        for s in &inputs {
            let _ = black_box(read(black_box(s)));
        }
        engine.push(start.elapsed());
    }
    parse.sort();
    engine.sort();
    let at = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    for (name, q) in [("least", 0.0), ("p10", 0.1), ("median", 0.5)] {
        let (p, e) = (at(&parse, q), at(&engine, q));
        println!(
            "{name:>6}: url::Url::parse {:.3} ms, read {:.3} ms ({:.0} links/s), ratio {:.2}x",
            p.as_secs_f64() * 1e3,
            e.as_secs_f64() * 1e3,
            inputs.len() as f64 / e.as_secs_f64(),
            e.as_secs_f64() / p.as_secs_f64()
        );
    }
}
