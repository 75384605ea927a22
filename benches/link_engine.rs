//! Link engine throughput on a realistic mix of pasted links, against a bare `url::Url::parse` of
//! the same inputs in the same run (the baseline).
//!
//!     cargo bench --bench link_engine
//!
//! Criterion reports throughput in links per second (one core); the ratio read/parse is the goal's
//! measure (<= 2x since issue #35; it was 3x), links/s the other (>= 1,000,000). On a busy machine,
//! `cargo run --release --example link_engine_cpu` measures the same links in CPU time.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linksmith::domain::link::read;

/// A deterministic mix shaped like real pastes: mostly product links carrying tracking junk and
/// other webmasters' affiliate ids, some clean links, stores, searches, wrappers and refusals.
pub fn realistic_mix(n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let locales = ["www", "pt", "fr", "de", "es", "m", "ja", "nl"];
    for i in 0..n {
        let r = next();
        let id = 1_005_000_000_000_000u64 + (r % 9_999_999_999);
        let loc = locales[(r >> 20) as usize % locales.len()];
        let link = match i % 20 {
            0..=7 => format!(
                "https://{loc}.aliexpress.com/item/{id}.html?spm=a2g0o.productlist.main.{}.5e3a3c1b&algo_pvid=9a3b{:x}&algo_exp_id=9a3b-0&pdp_npi=4%40dis%21USD%2112.34%219.87%21%21%21&aff_fcid={:x}-1692495696092-00551-_Dk43yId&tt=CPS_NORMAL&aff_fsk=_Dk43yId&aff_platform=portals-tool&sk=_Dk43yId&aff_trace_key={:x}-1692495696092&terminal_id=e2c6b5b6f4a24c0c",
                r % 60, r, r >> 3, r >> 5
            ),
            8..=10 => format!("https://www.aliexpress.com/item/{id}.html"),
            11 => format!("https://aliexpress.ru/item/0_{id}.html?sku_id=12000028762257776&spm=a2g2w.detail.0.0"),
            12 => format!("https://m.aliexpress.ru/item/{id}.html?pdp_ext_f=%7B%22sku_id%22%3A%2212000028762257776%22%7D&gatewayAdapt=glo2rus"),
            13 => format!("https://www.aliexpress.com/store/{}?spm=a2g0o.detail.100005.1", 1_100_000_000 + r % 99_999_999),
            14 => "https://www.aliexpress.com/w/wholesale-adjustable-dumbbell.html?spm=a2g0o.home.1000002.0&initiative_id=SB_20240101".to_string(),
            15 => format!("https://www.aliexpress.com/item/Original-Phone-Case-Cover/{}.html", 32_000_000_000u64 + r % 999_999_999),
            16 => format!("https://star.aliexpress.com/share/share.htm?platform=AE&businessType=ProductDetail&redirectUrl=https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F{id}.html%3Fsrc%3Dshare"),
            17 => "https://s.click.aliexpress.com/e/_c3vkSW1v".to_string(),
            18 => format!("https://www.aliexpress.us/item/3256{}.html?gatewayAdapt=glo2usa&_randl_shipto=US", 800_000_000_000u64 + r % 99_999_999_999),
            _ => format!("https://aliexpress.com.evil.test/item/{id}.html"),
        };
        out.push(link);
    }
    out
}

fn bench(c: &mut Criterion) {
    let inputs = realistic_mix(1000);
    let mut group = c.benchmark_group("link_engine");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("baseline_url_parse", |b| {
        b.iter(|| {
            for s in &inputs {
                let _ = black_box(url::Url::parse(black_box(s)));
            }
        });
    });
    group.bench_function("read_and_normalise", |b| {
        b.iter(|| {
            for s in &inputs {
                let _ = black_box(read(black_box(s)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
