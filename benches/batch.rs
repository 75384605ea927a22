//! A 1,000-link batch through `/api/v1/check/batch` against a slow upstream: the fake Open
//! Platform gateway (signatures verified) answering every call in 50 ms, the real server on
//! loopback. Compared with the ideal, ceil(1000 / ids per call / concurrency) x 50 ms, and with
//! one bare gateway call measured in the same run (the baseline).
//!
//!     cargo bench --bench batch --features ssr

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use std::time::{Duration, Instant};

use common::fake_gateway::{FakeProduct, Mode};
use linksmith::{
    domain::{country::Country, lang::Lang},
    server::{resolver::ResolverConfig, sources::open_platform::MAX_IDS_PER_CALL},
};
use serde_json::{json, Value};

const DELAY_MS: u64 = 50;
const LINKS: usize = 1000;
const RUNS: usize = 5;

fn urls(first: u64, distinct: usize, total: usize) -> Vec<String> {
    (0..total)
        .map(|i| {
            format!(
                "https://www.aliexpress.com/item/{}.html?spm=a2g0o.x&aff_fcid=junk",
                first + (i % distinct) as u64
            )
        })
        .collect()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let resolver = ResolverConfig::default();
    let (server, gateway) =
        common::api_server_with(common::api_config(None), resolver.clone()).await;
    gateway.answer_any_id_with(FakeProduct {
        commission: "6.0%",
        hot: None,
        title: "Benchmark product",
        category: "Home & Garden",
    });
    gateway.set_mode(Mode::Delay(DELAY_MS));
    let client = common::client();
    let batch = |urls: Vec<String>| {
        let client = client.clone();
        let endpoint = server.url("/api/v1/check/batch");
        async move {
            let started = Instant::now();
            let res = client
                .post(endpoint)
                .json(&json!({ "urls": urls, "country": "US" }))
                .send()
                .await
                .expect("the server answers");
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.expect("JSON");
            let took = started.elapsed();
            let results = body["results"].as_array().expect("results");
            assert_eq!(results.len(), urls.len());
            let affiliate = results
                .iter()
                .filter(|r| r["status"] == "affiliate")
                .count();
            (took, affiliate)
        }
    };

    // Baseline: one bare gateway call of 20 ids, from this process.
    let api = common::gateway_client(gateway.url(), Duration::from_secs(5));
    let ids: Vec<String> = (0..MAX_IDS_PER_CALL)
        .map(|i| (1005008000000000u64 + i as u64).to_string())
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut calls = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        api.product_details(&ids, Country::parse("US").unwrap(), Lang::En)
            .await
            .expect("the fake gateway answers");
        calls.push(started.elapsed());
    }
    let one_call = median(calls);

    let per_call = MAX_IDS_PER_CALL;
    let concurrency = resolver.api_concurrency;
    let rounds = LINKS.div_ceil(per_call).div_ceil(concurrency);
    let ideal = Duration::from_millis(rounds as u64 * DELAY_MS);
    let ideal_measured = one_call * rounds as u32;

    // 1,000 distinct products, fresh each run (nothing cached).
    let mut fresh = Vec::new();
    let mut fresh_calls = Vec::new();
    for run in 0..RUNS {
        let before = gateway.calls();
        let (took, affiliate) =
            batch(urls(1005009000000000 + run as u64 * 10_000, LINKS, LINKS)).await;
        assert_eq!(affiliate, LINKS, "every product read from the gateway");
        fresh.push(took);
        fresh_calls.push(gateway.calls() - before);
    }
    // The last batch again: every id cached.
    let before = gateway.calls();
    let (again, _) = batch(urls(
        1005009000000000 + (RUNS as u64 - 1) * 10_000,
        LINKS,
        LINKS,
    ))
    .await;
    let again_calls = gateway.calls() - before;
    // 1,000 lines naming 100 products, ten times each.
    let before = gateway.calls();
    let (repeated, _) = batch(urls(1005009900000000, 100, LINKS)).await;
    let repeated_calls = gateway.calls() - before;

    let fresh_median = median(fresh.clone());
    println!("Batch of {LINKS} links, gateway answering in {DELAY_MS} ms, {per_call} ids per call, {concurrency} calls at once ({RUNS} runs, median)\n");
    println!("| | time | gateway calls |");
    println!("| --- | --- | --- |");
    println!(
        "| baseline: one bare gateway call (20 ids) | {} | 1 |",
        ms(one_call)
    );
    println!(
        "| ideal: {rounds} rounds x {DELAY_MS} ms (x measured call: {}) | {} | {} |",
        ms(ideal_measured),
        ms(ideal),
        LINKS.div_ceil(per_call)
    );
    println!(
        "| 1,000 distinct products | {} (runs: {}) | {:?} |",
        ms(fresh_median),
        fresh.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
        fresh_calls
    );
    println!(
        "| the same 1,000 again (cached) | {} | {again_calls} |",
        ms(again)
    );
    println!(
        "| 1,000 lines, 100 distinct products | {} | {repeated_calls} |",
        ms(repeated)
    );
    println!(
        "\nratio to ideal: {:.2}x (goal <= 1.3x); to {rounds} measured calls: {:.2}x",
        fresh_median.as_secs_f64() / ideal.as_secs_f64(),
        fresh_median.as_secs_f64() / ideal_measured.as_secs_f64()
    );
    server.stop().await;
}
