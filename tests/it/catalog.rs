//! The catalogue (embedded SQLite store) and `linksmith import`.

use std::process::Command;

use linksmith::{
    domain::rates::Status,
    server::store::{Catalog, ImportError, Kind},
};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "linksmith-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const GOOD: &str = "kind,id,status,rate,category
product,1005006295880104,affiliate,7.0%,Phones & Telecommunications
product,1005005248414510,hot_sale,12.5,Lights & Lighting
store,1101343461,no_commission,,
product,32701818048,non_affiliate,,Computer & Office
";

#[test]
fn a_good_feed_is_imported_and_read_back() {
    let catalog = Catalog::in_memory().unwrap();
    let report = catalog.import(GOOD.as_bytes(), 1_700_000_000).unwrap();
    assert_eq!((report.products, report.stores), (3, 1));
    assert!(report.skipped.is_empty());
    let e = catalog
        .lookup(Kind::Product, "1005006295880104")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            e.facts.status,
            e.facts.rate,
            e.facts.category.as_deref(),
            e.at.0
        ),
        (
            Status::Affiliate,
            Some(7.0),
            Some("Phones & Telecommunications"),
            1_700_000_000
        )
    );
    assert_eq!(
        catalog
            .lookup(Kind::Product, "1005005248414510")
            .unwrap()
            .unwrap()
            .facts
            .status,
        Status::HotSale
    );
    let store = catalog.lookup(Kind::Store, "1101343461").unwrap().unwrap();
    assert_eq!(
        (store.facts.status, store.facts.rate, store.facts.category),
        (Status::ZeroCommission, None, None)
    );
    assert_eq!(
        catalog.lookup(Kind::Product, "1101343461").unwrap(),
        None,
        "kinds are apart"
    );
    assert_eq!(catalog.counts().unwrap(), (3, 1));
}

#[test]
fn bad_rows_are_reported_with_their_line_and_skipped() {
    let feed = "kind,id,status,rate,category
product,1005006295880104,affiliate,7,
gadget,1005006295880104,affiliate,7,
product,123,affiliate,7,
product,1005005248414510,maybe,7,

store,1101343461,affiliate,170,
product,1005000000000001,affiliate,7,Too,many,fields
product,32701818048,HOT-SALE,,
";
    let catalog = Catalog::in_memory().unwrap();
    let report = catalog.import(feed.as_bytes(), 1).unwrap();
    let lines: Vec<u64> = report.skipped.iter().map(|(l, _)| *l).collect();
    let all = format!("{:?}", report.skipped);
    assert_eq!(lines, [3, 4, 5, 7, 8], "{all}");
    assert!(
        all.contains("kind \\\"gadget\\\" is not product or store"),
        "{all}"
    );
    assert!(
        all.contains("is not a product id (10 to 16 digits)"),
        "{all}"
    );
    assert!(all.contains("status \\\"maybe\\\" is not one of"), "{all}");
    assert!(
        all.contains("rate \\\"170\\\" is not a percentage"),
        "{all}"
    );
    assert!(
        all.contains("the row has 7 fields, the header names 5"),
        "{all}"
    );
    assert_eq!(report.products, 2, "{all}");
    assert_eq!(
        catalog
            .lookup(Kind::Product, "32701818048")
            .unwrap()
            .unwrap()
            .facts
            .status,
        Status::HotSale
    );
    // Windows line ends and blank lines count the same.
    let crlf = feed.replace('\n', "\r\n");
    let report = Catalog::in_memory()
        .unwrap()
        .import(crlf.as_bytes(), 1)
        .unwrap();
    assert_eq!(
        report.skipped.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [3, 4, 5, 7, 8]
    );
}

#[test]
fn importing_again_updates() {
    let catalog = Catalog::in_memory().unwrap();
    catalog.import(GOOD.as_bytes(), 100).unwrap();
    let update = "id,kind,status\n1005006295880104,product,non_affiliate\n";
    let report = catalog.import(update.as_bytes(), 200).unwrap();
    assert_eq!(report.products, 1);
    let e = catalog
        .lookup(Kind::Product, "1005006295880104")
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.facts.status, e.facts.rate, e.at.0),
        (Status::NonAffiliate, None, 200)
    );
    assert_eq!(catalog.counts().unwrap(), (3, 1));
}

#[test]
fn a_feed_without_the_header_row_is_refused_as_a_whole() {
    let catalog = Catalog::in_memory().unwrap();
    let err = catalog
        .import("product,1005006295880104,affiliate\n".as_bytes(), 1)
        .unwrap_err();
    assert!(matches!(err, ImportError::Header(_)));
    assert!(
        err.to_string().contains("unknown column \"product\""),
        "{err}"
    );
    let err = catalog
        .import("kind,status\nproduct,affiliate\n".as_bytes(), 1)
        .unwrap_err();
    assert!(err.to_string().contains("has no \"id\" column"), "{err}");
    assert_eq!(catalog.counts().unwrap(), (0, 0));
}

#[test]
fn the_store_is_created_and_migrated_once() {
    let dir = temp_dir("store");
    let path = dir.join("nested/linksmith.db");
    {
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), 7);
        catalog.import(GOOD.as_bytes(), 1).unwrap();
    }
    let again = Catalog::open(&path).unwrap();
    assert_eq!(again.schema_version().unwrap(), 7);
    assert_eq!(again.counts().unwrap(), (3, 1), "data survives a restart");
}

#[test]
fn the_import_command_reports_what_it_did() {
    let dir = temp_dir("cli");
    let feed = dir.join("feed.csv");
    std::fs::write(&feed, format!("{GOOD}product,42,affiliate,,\n")).unwrap();
    let db = dir.join("cli.db");
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .args(["import", feed.to_str().unwrap()])
        .env("LINKSMITH_DB", &db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Imported 3 products and 1 stores"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 6: id \"42\" is not a product id"),
        "{stdout}"
    );
    assert_eq!(Catalog::open(&db).unwrap().counts().unwrap(), (3, 1));

    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .args(["import", "/no/such/file.csv"])
        .env("LINKSMITH_DB", &db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /no/such/file.csv"));
    let out = Command::new(env!("CARGO_BIN_EXE_linksmith"))
        .args(["bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: linksmith"));
}

#[test]
fn stale_api_answers_are_forgotten_and_fresh_ones_kept() {
    use linksmith::domain::sources::ApiProduct;
    let catalog = Catalog::in_memory().unwrap();
    let product = |id: &str| ApiProduct {
        tmall: None,
        product_id: id.into(),
        commission_rate: Some(7.0),
        hot_commission_rate: None,
        title: Some("Cable".into()),
        image_url: None,
        category: None,
        shop_id: None,
    };
    let old = [
        ("1".to_string(), Some(product("1"))),
        ("2".to_string(), None),
    ];
    catalog.store_api_answers("US", &old, 1_000).unwrap();
    catalog
        .store_api_answers("US", &[("3".to_string(), Some(product("3")))], 5_000)
        .unwrap();
    assert_eq!(catalog.forget_api_answers_before(2_000).unwrap(), 2);
    let ids = ["1".to_string(), "2".to_string(), "3".to_string()];
    let left = catalog.api_answers("US", &ids, 0).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "3");
    assert_eq!(catalog.forget_api_answers_before(2_000).unwrap(), 0);
}

/// `zero_commission` (the contract's word) and `no_commission` (the store's) are one status; a
/// value in the store that no status names is an error naming the row, never a silent status.
#[test]
fn statuses_are_the_domains_and_a_broken_row_is_named() {
    use linksmith::domain::rates::Status;
    let dir = temp_dir("statuses");
    let path = dir.join("s.db");
    let catalog = Catalog::open(&path).unwrap();
    let report = catalog
        .import(
            "kind,id,status\nproduct,1005006295880104,zero_commission\nproduct,1005006295880105,No-Commission\nstore,1101343461,maybe\n"
                .as_bytes(),
            1,
        )
        .unwrap();
    assert_eq!(report.products, 2);
    assert!(
        report.skipped[0].1.contains("status \"maybe\""),
        "{:?}",
        report.skipped
    );
    for id in ["1005006295880104", "1005006295880105"] {
        let entry = catalog.lookup(Kind::Product, id).unwrap().unwrap();
        assert_eq!(entry.facts.status, Status::ZeroCommission);
    }
    drop(catalog);
    // A row written past the schema's check (another tool, a broken file).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "ignore_check_constraints", true)
        .unwrap();
    conn.execute(
        "UPDATE catalog SET status = 'pending' WHERE id = '1005006295880105'",
        [],
    )
    .unwrap();
    drop(conn);
    let catalog = Catalog::open(&path).unwrap();
    let err = catalog
        .lookup(Kind::Product, "1005006295880105")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("catalog product 1005006295880105") && err.contains("\"pending\""),
        "{err}"
    );
}
