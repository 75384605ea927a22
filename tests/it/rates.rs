//! Data-driven tests of the rates engine (tests/data/rates-cases.json) and of the rules file's
//! validation (tests/data/rules-invalid.json).

use linksmith::domain::{
    country::Country,
    date::Date,
    lang::Lang,
    link::{PageKind, Site},
    rates::{load::EMBEDDED, Amount, Order, Programme, RegionId, Status},
};
use serde_json::Value;

fn data(file: &str) -> Value {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn from_json<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

fn sorted_codes(list: &[linksmith::domain::rates::Notice]) -> Vec<String> {
    let mut codes: Vec<String> = list.iter().map(|n| n.code.as_str().to_string()).collect();
    codes.sort();
    codes
}

#[test]
fn rates_cases() {
    let programme = Programme::embedded().unwrap();
    let doc = data("rates-cases.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 90);
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let category = c["category"].as_str().map(str::to_string);
        let order = Order {
            country: Country::parse(c["country"].as_str().unwrap()).unwrap(),
            status: from_json::<Status>(&c["status"]),
            exact_percent: c["exact_percent"].as_f64(),
            hot_percent: c["hot_percent"].as_f64(),
            kind: from_json::<PageKind>(&c["kind"]),
            site: from_json::<Site>(&c["site"]),
            // null or absent: no source says.
            tmall: c["tmall"].as_bool(),
            category: category.as_deref(),
            ships_from: c["ships_from"].as_str().map(|s| Country::parse(s).unwrap()),
            store_country: c["store_country"]
                .as_str()
                .map(|s| Country::parse(s).unwrap()),
            amount: c["amount"].as_f64().map(|a| Amount::from_usd(a).unwrap()),
            date: Date::parse(c["date"].as_str().unwrap()).unwrap(),
        };
        let got = programme.assess(&order, Lang::En);
        let want = &c["expect"];
        let got_json = serde_json::to_value(&got).unwrap();
        let mut check = |what: &str, g: Value, w: &Value| {
            if g != *w {
                failures.push(format!(
                    "case {i} {}: {what} = {g}, expected {w}",
                    c["about"].as_str().unwrap_or("")
                ));
            }
        };
        check(
            "region",
            serde_json::to_value(got.delivery.region).unwrap(),
            &want["region"],
        );
        check(
            "min_percent",
            got_json["rate"]["min_percent"].clone(),
            &want["min_percent"],
        );
        check(
            "max_percent",
            got_json["rate"]["max_percent"].clone(),
            &want["max_percent"],
        );
        check(
            "exact_percent",
            got_json["rate"]["exact_percent"].clone(),
            &want["exact_percent"],
        );
        check("estimate", got_json["estimate"].clone(), &want["estimate"]);
        check(
            "cookie_days",
            got_json["cookie_days"].clone(),
            &want["cookie_days"],
        );
        check(
            "warnings",
            serde_json::to_value(sorted_codes(&got.warnings)).unwrap(),
            &want["warnings"],
        );
        check(
            "notes",
            serde_json::to_value(sorted_codes(&got.notes)).unwrap(),
            &want["notes"],
        );
        if let Some(label) = want.get("label") {
            check("label", Value::String(got.rate.label.clone()), label);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_warning_and_note_has_its_sentence_in_both_languages() {
    let programme = Programme::embedded().unwrap();
    let order = Order {
        country: Country::parse("RU").unwrap(),
        status: Status::Unknown,
        exact_percent: Some(5.0),
        hot_percent: Some(40.0),
        kind: PageKind::Category,
        site: Site::Ru,
        tmall: Some(true),
        category: None,
        ships_from: Some(Country::parse("RU").unwrap()),
        store_country: None,
        amount: Some(Amount::from_usd(1000.0).unwrap()),
        date: Date::parse("2026-01-01").unwrap(),
    };
    for lang in [Lang::En, Lang::Ru] {
        let a = programme.assess(&order, lang);
        for n in a.warnings.iter().chain(&a.notes) {
            assert!(
                !n.message.is_empty() && n.message != n.code.as_str(),
                "{lang:?} {}",
                n.code
            );
            assert!(
                !n.message.contains('{'),
                "unfilled placeholder: {}",
                n.message
            );
        }
    }
    let capped = Order {
        status: Status::HotSale,
        tmall: Some(false),
        kind: PageKind::Product,
        ..order.clone()
    };
    let a = programme.assess(&capped, Lang::En);
    let cap = a
        .warnings
        .iter()
        .find(|n| n.code.as_str() == "order_cap")
        .expect("the estimate is capped");
    assert!(cap.message.contains("38.5 USD"), "{}", cap.message);
    assert!(a.estimate.unwrap().capped);
    assert_eq!(programme.assess(&order, Lang::Ru).rate.label, "0%");
}

#[test]
fn labels_in_both_languages() {
    assert_eq!(Programme::label(None, Some(70.0), Lang::En), "up to 70%");
    assert_eq!(Programme::label(None, Some(70.0), Lang::Ru), "до 70%");
    assert_eq!(Programme::label(Some(0.0), None, Lang::Ru), "от 0%");
    assert_eq!(Programme::label(Some(0.72), Some(7.0), Lang::En), "0.72–7%");
}

#[test]
fn regions_follow_the_terms() {
    let programme = Programme::embedded().unwrap();
    for c in [
        "RU", "AZ", "AM", "BY", "KZ", "KG", "MD", "TJ", "TM", "UZ", "GE",
    ] {
        assert_eq!(
            programme.region_of(Country::parse(c).unwrap()).id,
            RegionId::Cis,
            "{c}"
        );
    }
    let cis = Country::all()
        .filter(|(c, _)| programme.region_of(*c).id == RegionId::Cis)
        .count();
    assert_eq!(cis, 11);
    assert_eq!(
        programme.region_of(Country::parse("UA").unwrap()).id,
        RegionId::NonCis
    );
}

#[test]
fn the_programme_travels_to_the_browser_as_json() {
    let programme = Programme::embedded().unwrap();
    let json = serde_json::to_string(&programme).unwrap();
    let back: Programme = serde_json::from_str(&json).unwrap();
    assert_eq!(back, programme);
}

#[test]
fn invalid_rules_files_are_refused_with_file_line_and_problem() {
    let doc = data("rules-invalid.json");
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let find = case["find"].as_str().unwrap();
        assert!(
            EMBEDDED.contains(find),
            "{name}: the text to change is not in rules/programme.toml"
        );
        let changed = EMBEDDED.replacen(find, case["replace"].as_str().unwrap(), 1);
        let Err(err) = Programme::from_toml(&changed, "edited.toml") else {
            panic!("{name}: accepted")
        };
        let shown = err.to_string();
        assert!(shown.starts_with("edited.toml"), "{name}: {shown}");
        assert!(
            shown.contains(case["contains"].as_str().unwrap()),
            "{name}: {shown}"
        );
        if case.get("no_line").is_none() {
            // The line named is the change's, or the header of the table that holds it.
            let change_line = EMBEDDED[..EMBEDDED.find(find).unwrap()]
                .matches('\n')
                .count()
                + 1;
            let header_line = EMBEDDED[..EMBEDDED.find(find).unwrap()]
                .rfind("\n[")
                .map_or(1, |i| EMBEDDED[..i].matches('\n').count() + 2);
            let line = err
                .line
                .unwrap_or_else(|| panic!("{name}: no line in {shown}"));
            let last = change_line + case["replace"].as_str().unwrap().matches('\n').count();
            assert!(
                line >= header_line.min(change_line) && line <= last,
                "{name}: line {line}, change at {change_line} (table from {header_line}): {shown}"
            );
            assert!(
                shown.starts_with(&format!("edited.toml:{line}: ")),
                "{name}: {shown}"
            );
        }
    }
}

/// The programme terms as published (rules/aliexpress-affiliate-terms.txt, a copy of the terms the
/// rules file quotes; the same text as the project's shared copy where that is at hand).
fn terms() -> String {
    let ours = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/aliexpress-affiliate-terms.txt"
    ))
    .unwrap();
    if let Ok(shared) = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/seed/aliexpress-affiliate-terms.txt"
    )) {
        assert_eq!(
            ours, shared,
            "rules/aliexpress-affiliate-terms.txt differs from the shared terms"
        );
    }
    ours
}

/// The traffic and placement list says what the terms say, no stronger and no less: every rule of
/// the terms' list is there with the sentence it comes from, and contextual brand ads are not
/// called the one type of traffic not allowed outside the CIS.
#[test]
fn the_traffic_rules_say_what_the_terms_say() {
    let programme = Programme::embedded().unwrap();
    let entry = |id: &str| {
        programme
            .conduct
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no conduct entry {id}"))
    };
    for (id, words) in [
        ("willing_clicks", "willing and conscious desire of the user"),
        ("refund_content", "should not contain refund"),
        ("cookie_stuffing", "Cookie-stuffing is totally prohibited"),
        (
            "links_on_aliexpress",
            "affiliate and referral links on the Aliexpress website",
        ),
        ("pirate_sites", "illegal websites"),
        (
            "third_party_clear",
            "logotypes of the communities in social networks",
        ),
        (
            "brand_in_ads",
            "all types of arbitrage traffic are allowed except",
        ),
    ] {
        let c = entry(id);
        assert!(c.source.contains(words), "{id}: {}", c.source);
    }
    let third = entry("third_party_clear");
    assert!(third.rule.en.contains("social-network communities"));
    let ads = entry("brand_in_ads");
    assert!(!ads.consequence.en.contains("one traffic type"));
    assert!(ads.consequence.en.contains("cookie stuffing"));
    assert!(ads.consequence.ru.contains("cookie-stuffing"));
}

/// The pieces of a `source` that are not the terms' own words: a source quotes whole sentences,
/// joined by ". " or, where it skips text, by " ... ". Compared without white space and bullets:
/// the published text lays its tables out with them.
fn not_in_terms(source: &str) -> Vec<String> {
    let squeeze = |s: &str| -> String {
        s.replace(['\u{201c}', '\u{201d}'], "\"")
            .replace('\u{2019}', "'")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{2022}')
            .collect()
    };
    let flat = squeeze(&terms());
    let mut missing = Vec::new();
    for piece in source.split(" ... ") {
        let piece = piece.trim().trim_start_matches("...").trim();
        for sentence in piece.split(". ") {
            let s = sentence.trim().trim_end_matches(['.', ',']);
            if s.len() > 12 && !flat.contains(&squeeze(s)) {
                missing.push(s.to_string());
            }
        }
    }
    missing
}

/// The rules that decide a band or a warning, each with the sentence it comes from in the terms.
#[test]
fn every_rule_quotes_the_terms() {
    let programme = Programme::embedded().unwrap();
    let missing: Vec<String> = programme
        .rules
        .iter()
        .flat_map(|r| {
            not_in_terms(&r.source)
                .into_iter()
                .map(|s| format!("{}: {s:?}", r.id))
        })
        .chain(programme.conduct.iter().flat_map(|c| {
            not_in_terms(&c.source)
                .into_iter()
                .map(|s| format!("{}: {s:?}", c.id))
        }))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the terms:\n{}",
        missing.join("\n")
    );
}
