//! What the check page hands back to the user: the CSV of a batch, the rewritten post, the list of
//! links to copy. Pure, so the browser builds them with no request and tests read them directly.

use crate::domain::{
    check::Outcome,
    link::Candidate,
    rates::{percent, Estimate},
};

/// The CSV's columns, one row per input.
pub const CSV_HEADER: [&str; 8] = [
    "input",
    "canonical_url",
    "status",
    "band",
    "exact_rate",
    "estimate",
    "affiliate_link",
    "warnings",
];

/// Money as the page shows it: `$1.39`.
pub fn usd(v: f64) -> String {
    format!("${}", crate::domain::number::fixed(v, 2))
}

/// An estimate in one line: `$0.14–$1.39 (exact $1.39)`, `≤ $38.50`, `$0.00`; `exact` is the
/// word for the exact figure in the reader's language.
#[allow(clippy::float_cmp)] // both ends come from one floored cent amount when they are equal
pub fn estimate_line(e: &Estimate, exact: &str) -> String {
    let range = match (e.commission_usd_min, e.commission_usd_max) {
        (Some(a), Some(b)) if a == b => usd(a),
        (Some(a), Some(b)) => format!("{}–{}", usd(a), usd(b)),
        (None, Some(b)) => format!("≤ {}", usd(b)),
        (Some(a), None) => format!("≥ {}", usd(a)),
        (None, None) => String::new(),
    };
    match e.commission_usd_exact {
        Some(x) if !range.is_empty() => format!("{range} ({exact} {})", usd(x)),
        Some(x) => usd(x),
        None => range,
    }
}

/// A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula: a pasted input
/// must never run as one, so such cells get a leading apostrophe.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The CSV of a batch (RFC 4180, header first), one row per input in input order.
pub fn csv(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    write_record(&mut out, &CSV_HEADER);
    for o in outcomes {
        let row: [String; 8] = match o {
            Outcome::Checked(r) => [
                cell(&r.input),
                r.link.canonical_url.clone(),
                r.status.as_str().to_string(),
                r.rate.label.clone(),
                r.rate
                    .exact_percent
                    .map(|p| format!("{}%", percent(p)))
                    .unwrap_or_default(),
                r.estimate
                    .as_ref()
                    .map(|e| estimate_line(e, "exact"))
                    .unwrap_or_default(),
                r.affiliate_link.clone(),
                r.warnings
                    .iter()
                    .map(|w| w.code.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
            Outcome::Failed(f) => [
                cell(&f.input),
                String::new(),
                "error".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                cell(&format!("{}: {}", f.error.code, f.error.message)),
            ],
        };
        write_record(&mut out, &row);
    }
    out
}

/// Appends one CSV record and its CRLF: a field holding a comma, a quote or a line break is
/// quoted, its quotes doubled (RFC 4180; what the `csv` crate writes by default). Written out
/// because the crate's writer carries a float parser (for a quoting style not used here) into the
/// page.
fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let field = field.as_ref();
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

/// The affiliate links of the usable results, one per line (for "Copy all links").
pub fn links(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Checked(r) => Some(r.affiliate_link.as_str()),
            Outcome::Failed(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The post with every usable link replaced by its affiliate link, at the positions the link
/// engine found; refused links stay as they were. `outcomes[i]` answers `candidates[i]`.
pub fn rewrite(text: &str, candidates: &[Candidate<'_>], outcomes: &[Outcome]) -> String {
    let mut out = String::with_capacity(text.len() + 64 * candidates.len());
    let mut at = 0;
    for (c, o) in candidates.iter().zip(outcomes) {
        if let (Outcome::Checked(r), true) = (o, c.start >= at && c.end <= text.len()) {
            out.push_str(&text[at..c.start]);
            out.push_str(&r.affiliate_link);
            at = c.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{check::CheckFailure, messages::Problem};
    use proptest::prelude::*;

    proptest! {
        /// Each record is what the `csv` crate writes for it (CRLF, quoting where necessary).
        #[test]
        fn records_are_what_the_csv_crate_writes(
            fields in prop::collection::vec("[a-z,\"\r\n =+@-]{0,6}|\\PC{0,4}", 8),
        ) {
            let mut ours = String::new();
            write_record(&mut ours, &fields);
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new());
            w.write_record(&fields).unwrap();
            let theirs = String::from_utf8(w.into_inner().unwrap()).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("https://a"), "https://a");
        let failed = Outcome::Failed(CheckFailure {
            input: "=1+1, \"quoted\"".into(),
            error: Problem {
                code: crate::domain::codes::ErrorCode::InvalidUrl,
                message: "bad".into(),
            },
        });
        let text = csv(&[failed]);
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "input,canonical_url,status,band,exact_rate,estimate,affiliate_link,warnings"
        );
        assert_eq!(
            lines.next().unwrap(),
            "\"'=1+1, \"\"quoted\"\"\",,error,,,,,invalid_url: bad"
        );
    }

    #[cfg(feature = "ssr")] // the embedded rules are read by the server's loader
    #[test]
    fn a_post_is_rewritten_at_the_engine_positions() {
        use crate::domain::link::{scan, Reading};
        use crate::domain::sources::Detection;
        let post = "Lamp: https://pt.aliexpress.com/item/1005005248414510.html?aff_fcid=x,\nold: https://s.click.aliexpress.com/e/_x";
        let found = scan(post).unwrap();
        let programme = crate::domain::rates::Programme::embedded().unwrap();
        let context = crate::domain::check::Context {
            programme: &programme,
            template: None,
            date: crate::domain::date::Date::new(2026, 11, 24).unwrap(),
            now: crate::domain::date::Timestamp::default(),
            lang: crate::domain::lang::Lang::En,
        };
        let options = crate::domain::check::CheckOptions {
            country: crate::domain::country::Country::parse("US").unwrap(),
            amount: None,
            sub: None,
            template: None,
        };
        let outcomes: Vec<Outcome> = found
            .iter()
            .map(|s| match &s.reading {
                Ok(Reading::Link(link)) => Outcome::Checked(Box::new(context.assemble(
                    s.candidate.text,
                    link.clone(),
                    Detection::unknown(),
                    &options,
                ))),
                _ => Outcome::Failed(CheckFailure {
                    input: s.candidate.text.to_string(),
                    error: Problem {
                        code: crate::domain::codes::ErrorCode::ShortLinkRejected,
                        message: String::new(),
                    },
                }),
            })
            .collect();
        let candidates: Vec<_> = found.iter().map(|s| s.candidate).collect();
        assert_eq!(
            rewrite(post, &candidates, &outcomes),
            "Lamp: https://aliexpress.com/item/1005005248414510.html,\nold: https://s.click.aliexpress.com/e/_x"
        );
    }

    #[test]
    fn estimates_read_in_one_line() {
        let e = |lo, hi, ex| Estimate {
            order_amount_usd: 10.0,
            commission_usd_min: lo,
            commission_usd_max: hi,
            commission_usd_exact: ex,
            capped: false,
        };
        assert_eq!(
            estimate_line(&e(Some(0.14), Some(1.39), Some(1.39)), "exact"),
            "$0.14–$1.39 (exact $1.39)"
        );
        assert_eq!(
            estimate_line(&e(None, Some(38.5), None), "exact"),
            "≤ $38.50"
        );
        assert_eq!(
            estimate_line(&e(Some(0.0), Some(0.0), None), "точно"),
            "$0.00"
        );
        assert_eq!(
            estimate_line(&e(Some(1.0), Some(2.0), Some(1.5)), "точно"),
            "$1.00–$2.00 (точно $1.50)"
        );
    }
}
