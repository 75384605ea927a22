//! Data-driven tests of the link engine: every row of tests/data/*.json, input -> expected reading.

use linksmith::domain::link::{read, Reading};
use serde_json::Value;

fn rows(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["links"].as_array().unwrap().clone()
}

/// Checks one row; returns a description of each mismatch.
fn check(row: &Value) -> Vec<String> {
    let input = row["input"].as_str().unwrap();
    let mut problems = Vec::new();
    let got = read(input);
    let obj = row.as_object().unwrap();
    match (&got, obj.get("error"), obj.get("app_share")) {
        (Err(e), Some(code), _) => {
            if e.code().as_str() != code {
                problems.push(format!("error {} (\"{e}\"), expected {code}", e.code()));
            }
        }
        (Err(e), None, _) => problems.push(format!("refused with {}: {e}", e.code())),
        (Ok(r), Some(code), _) => problems.push(format!("expected error {code}, got {r:?}")),
        (Ok(Reading::AppShare { url }), None, Some(want)) => {
            if url != want {
                problems.push(format!("app share url {url}, expected {want}"));
            }
        }
        (Ok(Reading::AppShare { url }), None, None) => {
            problems.push(format!("unexpected app share {url}"));
        }
        (Ok(Reading::Link(link)), None, Some(_)) => {
            problems.push(format!("expected app share, got {link:?}"));
        }
        (Ok(Reading::Link(link)), None, None) => {
            let got = serde_json::to_value(link).unwrap();
            for key in [
                "kind",
                "product_id",
                "store_id",
                "sku_id",
                "site",
                "canonical_url",
                "removed_params",
                "foreign_affiliate",
                "via_network",
            ] {
                if let Some(want) = obj.get(key) {
                    if got[key] != *want {
                        problems.push(format!("{key}: got {}, expected {want}", got[key]));
                    }
                }
            }
        }
    }
    problems
}

fn run(file: &str, min_rows: usize) {
    let rows = rows(file);
    assert!(rows.len() >= min_rows, "{file} has {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        for p in check(row) {
            failures.push(format!("{:?}: {p}", row["input"].as_str().unwrap()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows of {file} fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn link_vectors() {
    run("link-vectors.json", 150);
}

#[test]
fn shared_sample_links() {
    run("links-sample.json", 20);
}

/// The repository keeps a copy of the shared sample so the tests run anywhere; where the shared
/// folder is beside the checkout (CI), the copy must be the same.
#[test]
fn shared_sample_copy_is_current() {
    let shared = format!(
        "{}/../shared/testdata/links-sample.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if let Ok(text) = std::fs::read_to_string(&shared) {
        let ours = std::fs::read_to_string(format!(
            "{}/tests/data/links-sample.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let a: Value = serde_json::from_str(&text).unwrap();
        let b: Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(a, b, "tests/data/links-sample.json differs from ../shared/testdata/links-sample.json: copy it again");
    }
}

/// Canonical URLs are fixed points: reading one gives itself back, with nothing removed.
#[test]
fn canonical_urls_of_vectors_are_fixed_points() {
    for file in ["link-vectors.json", "links-sample.json"] {
        for row in rows(file) {
            if let Ok(Reading::Link(link)) = read(row["input"].as_str().unwrap()) {
                match read(&link.canonical_url) {
                    Ok(Reading::Link(again)) => {
                        assert_eq!(again.canonical_url, link.canonical_url);
                        assert!(again.removed_params.is_empty(), "{}", link.canonical_url);
                        assert!(!again.foreign_affiliate);
                        assert_eq!(
                            (again.kind, again.product_id, again.sku_id, again.site),
                            (
                                link.kind,
                                link.product_id.clone(),
                                link.sku_id.clone(),
                                // A home link's canonical is the terms' home page,
                                // https://aliexpress.com, whatever site was pasted.
                                if link.kind == linksmith::domain::link::PageKind::Home {
                                    linksmith::domain::link::Site::Com
                                } else {
                                    link.site
                                }
                            )
                        );
                        // The canonical product address carries no store id (the old
                        // /store/product/<store>_<product>.html form did); a store's does.
                        if link.kind == linksmith::domain::link::PageKind::Store {
                            assert_eq!(again.store_id, link.store_id);
                        }
                    }
                    other => panic!("{} reads as {other:?}", link.canonical_url),
                }
            }
        }
    }
}
