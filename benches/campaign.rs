//! The campaign check on the longest fields the API accepts (20,000 characters): a realistic ad
//! text, and an adversarial one (a single word made of near-brand fragments, the matcher's worst
//! case), against a plain scan of the same text (tokenising only) in the same run.
//!
//!     cargo bench --bench campaign

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linksmith::domain::campaign::{check, CampaignInput, MAX_FIELD_CHARS};
use linksmith::domain::lang::Lang;

fn fill(unit: &str) -> String {
    let mut s = String::with_capacity(MAX_FIELD_CHARS * 2);
    while s.chars().count() + unit.chars().count() <= MAX_FIELD_CHARS {
        s.push_str(unit);
    }
    s
}

fn bench(c: &mut Criterion) {
    let ad = fill("Wireless earbuds with noise cancelling, 30 h battery, free delivery to Kazakhstan. Best price on ali-ekspress this week! ");
    let hostile = fill("aliexpresalibabalixpressaliekspresalbab4");
    let mut g = c.benchmark_group("campaign");
    for (name, text) in [("ad_text", &ad), ("adversarial_word", &hostile)] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        let input = CampaignInput {
            text: Some(text.clone()),
            ..Default::default()
        };
        g.bench_function(format!("{name}/check"), |b| {
            b.iter(|| check(black_box(&input), Lang::En).unwrap());
        });
        g.bench_function(format!("{name}/baseline_char_scan"), |b| {
            b.iter(|| {
                black_box(text)
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .count()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
