//! `linksmith import`: a catalogue feed into the configured store, from the command line.

use super::*;

/// `linksmith import <file.csv>`: loads a feed into the store the configuration names
/// (PostgreSQL at `LINKSMITH_DATABASE_URL`, else the SQLite file at `LINKSMITH_DB`) in one
/// transaction, reports the rows it skipped (counted by reason, the first 100 with their line),
/// exits non-zero when the import failed (nothing is imported then).
pub async fn import_cli(file: &str) -> std::process::ExitCode {
    use std::process::ExitCode;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let path = config::db_path(env);
    let url = env("LINKSMITH_DATABASE_URL");
    let store = match store::open(
        url.as_deref(),
        store::postgres::PoolSettings::default(),
        &path,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("linksmith import: {e}");
            return ExitCode::FAILURE;
        }
    };
    let feed = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            eprintln!("linksmith import: cannot open {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A command run by the operator: the system's clock.
    let now = super::clock::Clock::system().unix();
    let started = std::time::Instant::now();
    match store.import(Box::new(feed), now).await {
        Ok(report) => {
            let place = match store.backend() {
                "sqlite" => path.display().to_string(),
                _ => store.describe(),
            };
            println!(
                "Imported {} products and {} stores from {file} into {place} in {:.1} s.",
                report.products,
                report.stores,
                started.elapsed().as_secs_f64()
            );
            // The counts by reason, then the first rows skipped with their line (the import
            // keeps no more than these, whatever the feed's size).
            let skipped = report.skipped_rows();
            if skipped > 0 {
                let counts: Vec<String> = report
                    .skipped_by_reason
                    .iter()
                    .map(|(reason, n)| format!("{} {n}", reason.label()))
                    .collect();
                println!("Skipped {skipped} rows ({}).", counts.join(", "));
                println!("The first {} skipped:", report.skipped.len());
                for (line, reason) in &report.skipped {
                    println!("  line {line}: {reason}");
                }
                if skipped > report.skipped.len() as u64 {
                    println!("  ... and {} more", skipped - report.skipped.len() as u64);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("linksmith import: {file}: {e}. Nothing was imported.");
            ExitCode::FAILURE
        }
    }
}
