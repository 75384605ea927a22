//! The test suite's fakes of ePN and Admitad as a program, for the end-to-end tests: the release
//! server is pointed at them with EPN_API_URL, EPN_OAUTH_URL and ADMITAD_API_URL. Loopback only;
//! they check credentials and tokens as the networks do and answer in their documented shapes.
//!
//!     FAKE_EPN_ADDR=127.0.0.1:3196 FAKE_ADMITAD_ADDR=127.0.0.1:3197 target/debug/examples/fake_networks
//!
//! Credentials: FAKE_EPN_ID / FAKE_EPN_SECRET, FAKE_ADMITAD_ID / FAKE_ADMITAD_SECRET.

#[path = "../tests/it/common/fake_networks.rs"]
#[allow(dead_code)]
mod fake_networks;

use serde_json::json;

#[tokio::main]
async fn main() {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let (epn_addr, admitad_addr) = (
        var("FAKE_EPN_ADDR", "127.0.0.1:3196"),
        var("FAKE_ADMITAD_ADDR", "127.0.0.1:3197"),
    );
    for addr in [&epn_addr, &admitad_addr] {
        if !addr.starts_with("127.0.0.1:") {
            eprintln!("fake_networks: {addr} is not on 127.0.0.1 (loopback only)");
            std::process::exit(2);
        }
    }
    let epn = fake_networks::start_epn_at(
        &epn_addr,
        &var("FAKE_EPN_ID", "e2e-epn"),
        &var("FAKE_EPN_SECRET", "e2e-epn-secret"),
    )
    .await;
    let admitad = fake_networks::start_admitad_at(
        &admitad_addr,
        &var("FAKE_ADMITAD_ID", "e2e-admitad"),
        &var("FAKE_ADMITAD_SECRET", "e2e-admitad-secret"),
    )
    .await;
    // Known to both networks, agreeing: hot sale.
    epn.add("1005008900000001", json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0, "productName": "Garden lamp"}));
    admitad.add("1005008900000001", json!({"product_name": "Garden lamp", "commission_rate": 6.0, "hot_commission_rate": 35.0, "is_hot": true}));
    // The networks disagree.
    epn.add(
        "1005008900000002",
        json!({"isHotsale": false, "affiliateType": 1, "maxRate": 7.0}),
    );
    admitad.add(
        "1005008900000002",
        json!({"commission_rate": 0, "is_hot": false}),
    );
    eprintln!(
        "fake ePN on http://{}/, fake Admitad on http://{}/",
        epn.addr, admitad.addr
    );
    std::future::pending::<()>().await;
}
