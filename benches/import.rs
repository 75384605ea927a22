//! How long `linksmith import` takes for a 1,000,000-row feed (goal: under a minute), against the
//! time to merely parse the same CSV (the baseline, same run).
//!
//!     cargo bench --bench import --features ssr

use std::fmt::Write as _;
use std::time::Instant;

use linksmith::server::store::Catalog;

fn feed(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 48);
    s.push_str("kind,id,status,rate,category\n");
    let statuses = ["hot_sale", "affiliate", "non_affiliate", "no_commission"];
    for i in 0..rows {
        if i % 10 == 9 {
            let _ = writeln!(s, "store,{},affiliate,,", 1_100_000_000u64 + i as u64);
        } else {
            let _ = writeln!(
                s,
                "product,{},{},{}.{},Computer & Office",
                1_005_000_000_000_000u64 + i as u64,
                statuses[i % 4],
                i % 8,
                i % 10
            );
        }
    }
    s
}

fn main() {
    let rows = 1_000_000;
    let text = feed(rows);
    let started = Instant::now();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let parsed = reader.records().flatten().count();
    let parse = started.elapsed();

    let dir = std::env::temp_dir().join(format!("linksmith-import-bench-{}", std::process::id()));
    let catalog = Catalog::open(&dir.join("bench.db")).expect("open the store");
    let started = Instant::now();
    let report = catalog
        .import(text.as_bytes(), 1_700_000_000)
        .expect("import");
    let import = started.elapsed();
    let started = Instant::now();
    let again = catalog
        .import(text.as_bytes(), 1_700_000_001)
        .expect("re-import");
    let reimport = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(parsed, rows);
    assert_eq!(report.products + report.stores, rows as u64);
    assert_eq!(again.products + again.stores, rows as u64);
    println!(
        "import of {rows} rows (fresh store): {:.2} s ({:.0} rows/s)",
        import.as_secs_f64(),
        rows as f64 / import.as_secs_f64()
    );
    println!(
        "re-import of the same rows (updates): {:.2} s",
        reimport.as_secs_f64()
    );
    println!(
        "baseline, parsing the CSV only: {:.2} s; import / parse = {:.1}x",
        parse.as_secs_f64(),
        import.as_secs_f64() / parse.as_secs_f64()
    );
}
