//! Adversarial pastes against the link engine, release build: each shape at 1 MiB (the paste
//! limit) must be read within 100 ms, and doubling it must cost at most ~2.5x (linear work).
//! The baseline of the same run is one pass over the bytes (`str::len` of `chars()`).
//!
//!     cargo bench --bench adversarial
//!
//! Besides criterion's figures it prints one line per shape: the time at 512 KiB and at 1 MiB,
//! their ratio, and the ratio to the baseline; and it fails (exits non-zero) when a goal is missed.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linksmith::domain::link::{read, scan, MAX_PASTE_BYTES};

#[path = "../tests/it/common/adversarial.rs"]
mod adversarial;
use adversarial::shapes;

fn engine(input: &str) {
    let _ = black_box(read(black_box(input)));
    let _ = black_box(scan(black_box(input)).map(|v| v.len()));
}

fn best(input: &str, f: impl Fn(&str)) -> Duration {
    (0..7)
        .map(|_| {
            let t = Instant::now();
            f(input);
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn goals() {
    let mut missed = Vec::new();
    println!("shape                  512 KiB      1 MiB   x2 ratio  vs one pass");
    for ((name, half), (_, full)) in shapes(MAX_PASTE_BYTES / 2)
        .into_iter()
        .zip(shapes(MAX_PASTE_BYTES))
    {
        let baseline = best(&full, |s| {
            black_box(s.chars().count());
        });
        let (h, f) = (best(&half, engine), best(&full, engine));
        let ratio = f.as_secs_f64() / h.as_secs_f64();
        println!(
            "{name:<20} {h:>10.2?} {f:>10.2?} {ratio:>9.2} {:>11.1}",
            f.as_secs_f64() / baseline.as_secs_f64()
        );
        if f > Duration::from_millis(100) {
            missed.push(format!("{name}: {f:?} for 1 MiB (goal 100 ms)"));
        }
        if ratio > 2.5 && f > Duration::from_millis(2) {
            missed.push(format!("{name}: doubling cost {ratio:.2}x (goal <= 2.5x)"));
        }
    }
    assert!(missed.is_empty(), "goals missed:\n{}", missed.join("\n"));
}

fn bench(c: &mut Criterion) {
    goals();
    let mut group = c.benchmark_group("adversarial_1MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(MAX_PASTE_BYTES as u64));
    for (name, input) in shapes(MAX_PASTE_BYTES) {
        group.bench_function(name, |b| b.iter(|| engine(&input)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
