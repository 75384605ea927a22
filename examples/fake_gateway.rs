//! The test suite's fake AliExpress Open Platform gateway as a program, for the end-to-end tests:
//! the release server is pointed at it with ALIEXPRESS_API_URL. Loopback only; it verifies every
//! request's signature like the platform and answers in the platform's shapes.
//!
//!     FAKE_GATEWAY_ADDR=127.0.0.1:3198 FAKE_GATEWAY_KEY=500123 FAKE_GATEWAY_SECRET=... \
//!         target/debug/examples/fake_gateway
//!
//! For load and benchmark runs: `FAKE_GATEWAY_MODE` (`delay:50` answers in 50 ms, `flaky:10` fails
//! one call in ten, also `hang`, `500`, `garbage`, `truncated`, `reset`, `limit`) and
//! `FAKE_GATEWAY_ANY_ID=1` (every product id is in the programme). `FAKE_GATEWAY_CASES=<file>` adds
//! the products of the live-path table (tests/data/live-cases.json).

#[path = "../tests/it/common/fake_gateway.rs"]
#[allow(dead_code)]
mod fake_gateway;

use fake_gateway::{FakeProduct, Mode};

#[tokio::main]
async fn main() {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let addr = var("FAKE_GATEWAY_ADDR", "127.0.0.1:3198");
    if !addr.starts_with("127.0.0.1:") {
        eprintln!("fake_gateway: FAKE_GATEWAY_ADDR must be on 127.0.0.1 (loopback only)");
        std::process::exit(2);
    }
    let key = var("FAKE_GATEWAY_KEY", "500123");
    let secret = var("FAKE_GATEWAY_SECRET", "fake-gateway-secret");
    let gw = fake_gateway::start_at(&addr, &key, &secret).await;
    gw.add_standard_products();
    // A non-affiliate Computer & Office product (0% to Brazil) and a run of ordinary products.
    gw.add(
        "1005004444444444",
        FakeProduct {
            commission: "2.0%",
            hot: None,
            title: "Mechanical keyboard",
            category: "Computer & Office",
        },
    );
    for i in 0..2000u64 {
        gw.add(
            &format!("{}", 1005007000000000u64 + i),
            FakeProduct {
                commission: "4.5%",
                hot: None,
                title: "Phone case",
                category: "Phones & Telecommunications",
            },
        );
    }
    // The live-path table's products, answered as the table gives them (the end-to-end test that
    // walks a sample of its rows through the page).
    if let Ok(path) = std::env::var("FAKE_GATEWAY_CASES") {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            eprintln!("fake_gateway: FAKE_GATEWAY_CASES={path}: {e}");
            std::process::exit(2);
        });
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            eprintln!("fake_gateway: {path} is not JSON: {e}");
            std::process::exit(2);
        });
        for row in doc["cases"].as_array().into_iter().flatten() {
            if let (Some(id), product @ serde_json::Value::Object(_)) =
                (row["product_id"].as_str(), &row["source"]["api"])
            {
                gw.add_raw(id, product.clone());
            }
        }
    }
    if let Ok(mode) = std::env::var("FAKE_GATEWAY_MODE") {
        if let Some(m) = Mode::parse(&mode) {
            gw.set_mode(m);
        } else {
            eprintln!("fake_gateway: FAKE_GATEWAY_MODE={mode:?} is not a mode (wrapped, flat, hang, 500, garbage, truncated, reset, limit, delay:<ms>, flaky:<n>)");
            std::process::exit(2);
        }
    }
    if std::env::var("FAKE_GATEWAY_ANY_ID").is_ok_and(|v| v == "1") {
        gw.answer_any_id_with(FakeProduct {
            commission: "6.0%",
            hot: None,
            title: "Generic product",
            category: "Home & Garden",
        });
    }
    eprintln!("fake gateway on http://{}/sync", gw.addr);
    std::future::pending::<()>().await;
}
