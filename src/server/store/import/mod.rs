//! The catalogue's CSV import, for both stores: the feed is read one line at a time
//! ([`records`]), each good row handed to the store's insert, each bad one reported with its line.

use crate::domain::sources::CatalogFacts;
use std::io::Read;

use super::{Kind, StoreError};
use crate::domain::{country::Country, link::path, rates::Status};

mod records;

use records::{Fields, Record, Records};

/// A catalogue status as a feed writes it: the contract's names, `zero_commission` and
/// `no_commission` alike, `hot` for short; case, `-` and spaces do not matter.
fn status_from_feed(text: &str) -> Option<Status> {
    match text.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
        "hot_sale" | "hot" => Some(Status::HotSale),
        "affiliate" => Some(Status::Affiliate),
        "non_affiliate" => Some(Status::NonAffiliate),
        "no_commission" | "zero_commission" => Some(Status::ZeroCommission),
        _ => None,
    }
}

/// Reads a CSV feed, handing each good row to `put` (a store's insert) and reporting each bad
/// row with its line; stops at the first error of `put` or of the file itself.
///
/// Memory is bounded whatever the feed: it is read one line at a time (a line over
/// [`MAX_LINE_BYTES`] is passed over and reported as a skipped row, never held whole), no state
/// is kept per line, and of the rows skipped only the first [`SKIPPED_SAMPLE`] are kept with
/// their line and reason; the others are counted by reason.
pub fn read_feed(
    feed: impl Read,
    mut put: impl FnMut(Row) -> Result<(), StoreError>,
) -> Result<ImportReport, ImportError> {
    let mut records = Records::new(feed);
    // The header: the first record that is not blank.
    let header: Vec<String> = loop {
        match records.next()? {
            None => break Vec::new(),
            Some(Record::TooLong { line }) => {
                return Err(ImportError::Unreadable(format!(
                "line {line} is over {} KiB: this is not a catalogue (a header row is required)",
                MAX_LINE_BYTES / 1024
            )))
            }
            Some(Record::NotUtf8 { line }) => {
                return Err(ImportError::Unreadable(format!(
                    "the header row (line {line}) is not UTF-8 text"
                )))
            }
            Some(Record::Fields { fields, .. }) => {
                if fields.blank() {
                    continue;
                }
                break fields.iter().map(str::to_string).collect();
            }
        }
    };
    let columns = Columns::from_header(&header)?;
    let mut report = ImportReport::default();
    loop {
        let record = records.next()?;
        let (line, fields) = match record {
            None => break,
            Some(Record::TooLong { line }) => {
                report.skip(line, SkipReason::TooLong, || {
                    format!(
                        "the row is over {} KiB (a quote left open?): not a catalogue row",
                        MAX_LINE_BYTES / 1024
                    )
                });
                continue;
            }
            Some(Record::NotUtf8 { line }) => {
                report.skip(line, SkipReason::NotUtf8, || {
                    "the row is not UTF-8 text".into()
                });
                continue;
            }
            Some(Record::Fields { line, fields }) => (line, fields),
        };
        if fields.blank() {
            continue;
        }
        if fields.len() > header.len() {
            report.skip(line, SkipReason::Fields, || {
                format!(
                    "the row has {} fields, the header names {}",
                    fields.len(),
                    header.len()
                )
            });
            continue;
        }
        match columns.row(&fields) {
            Ok(row) => {
                let kind = row.kind;
                put(row)?;
                match kind {
                    Kind::Product => report.products += 1,
                    Kind::Store => report.stores += 1,
                }
            }
            Err(bad) => report.skip(line, bad.reason, || bad.sentence()),
        }
    }
    Ok(report)
}

/// The longest line a feed may have: a row is a few hundred bytes; a longer line is not a
/// catalogue row (and reading it whole would hold it all in memory). A row whose quoted field
/// runs over several lines is held to the same length in all.
pub const MAX_LINE_BYTES: u64 = 64 * 1024;

/// How many skipped rows an import keeps with their line and reason (the rest are counted).
pub const SKIPPED_SAMPLE: usize = 100;

/// Text from a feed made safe to print on a terminal: control characters (escape sequences
/// among them) shown escaped, and at most 80 characters.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub products: u64,
    pub stores: u64,
    /// (line, reason) of the first [`SKIPPED_SAMPLE`] rows skipped.
    pub skipped: Vec<(u64, String)>,
    /// Every row skipped, counted by what was wrong with it.
    pub skipped_by_reason: std::collections::BTreeMap<SkipReason, u64>,
}

impl ImportReport {
    /// Counts a skipped row; keeps it with its line and sentence (made by `text`) while fewer
    /// than [`SKIPPED_SAMPLE`] are kept.
    fn skip(&mut self, line: u64, reason: SkipReason, text: impl FnOnce() -> String) {
        if self.skipped.len() < SKIPPED_SAMPLE {
            self.skipped.push((line, text()));
        }
        *self.skipped_by_reason.entry(reason).or_default() += 1;
    }

    /// How many rows were skipped in all.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped_by_reason.values().sum()
    }
}

/// What was wrong with a skipped row: a fixed set, so that counting them takes fixed memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// The line (or a record over several lines) is over [`MAX_LINE_BYTES`].
    TooLong,
    NotUtf8,
    /// More fields than the header names.
    Fields,
    Kind,
    Id,
    Status,
    Rate,
    Tmall,
    ShipsFrom,
    StoreCountry,
}

impl SkipReason {
    /// A few words for the report's counts.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::TooLong => "line over 64 KiB",
            SkipReason::NotUtf8 => "not UTF-8",
            SkipReason::Fields => "too many fields",
            SkipReason::Kind => "bad kind",
            SkipReason::Id => "bad id",
            SkipReason::Status => "bad status",
            SkipReason::Rate => "bad rate",
            SkipReason::Tmall => "bad tmall",
            SkipReason::ShipsFrom => "bad ships_from",
            SkipReason::StoreCountry => "bad store_country",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("the header row {0}")]
    Header(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The columns of a feed, found by name in the header row.
struct Columns {
    kind: usize,
    id: usize,
    status: usize,
    rate: Option<usize>,
    category: Option<usize>,
    tmall: Option<usize>,
    ships_from: Option<usize>,
    store_country: Option<usize>,
}

/// A good row of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: Kind,
    pub id: String,
    /// What the row says of it: the same facts the catalogue answers with.
    pub facts: CatalogFacts,
}

/// The feed's columns: the first three are required, the others optional.
pub const COLUMNS: &[&str] = &[
    "kind",
    "id",
    "status",
    "rate",
    "category",
    "tmall",
    "ships_from",
    "store_country",
];

impl Columns {
    fn from_header(header: &[String]) -> Result<Columns, ImportError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        for h in header {
            if !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h.trim())) {
                return Err(ImportError::Header(format!(
                    "has an unknown column \"{}\": the columns are {} (a header row is required)",
                    printable(h),
                    COLUMNS.join(", ")
                )));
            }
        }
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                ImportError::Header(format!(
                    "has no \"{name}\" column: the first row must name the columns {}",
                    COLUMNS.join(", ")
                ))
            })
        };
        Ok(Columns {
            kind: need("kind")?,
            id: need("id")?,
            status: need("status")?,
            rate: find("rate"),
            category: find("category"),
            tmall: find("tmall"),
            ships_from: find("ships_from"),
            store_country: find("store_country"),
        })
    }

    fn row<'a>(&self, r: &Fields<'a>) -> Result<Row, Bad<'a>> {
        let get = |i: usize| r.get(i).unwrap_or("");
        let bad = |reason, value, kind| Bad {
            reason,
            value,
            kind,
        };
        let kind = match get(self.kind).to_ascii_lowercase().as_str() {
            "product" => Kind::Product,
            "store" => Kind::Store,
            _ => return Err(bad(SkipReason::Kind, get(self.kind), Kind::Product)),
        };
        let id = get(self.id);
        // The link engine's id rules: a catalogue row matches exactly the links that name it.
        let fits = match kind {
            Kind::Product => path::valid_product_id(id),
            Kind::Store => path::valid_store_id(id),
        };
        if !fits {
            return Err(bad(SkipReason::Id, id, kind));
        }
        let raw_status = get(self.status);
        let Some(status) = status_from_feed(raw_status) else {
            return Err(bad(SkipReason::Status, raw_status, kind));
        };
        let rate = match self.rate.map(get).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => match text
                .trim_end_matches('%')
                .trim()
                .replace(',', ".")
                .parse::<f64>()
            {
                Ok(v) if v.is_finite() && (0.0..=100.0).contains(&v) => Some(v),
                _ => return Err(bad(SkipReason::Rate, text, kind)),
            },
        };
        let category = self.category.map(get).filter(|s| !s.is_empty());
        let tmall = match self.tmall.map(get) {
            None | Some("") => None,
            Some(t)
                if ["true", "1", "yes"]
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w)) =>
            {
                Some(true)
            }
            Some(t)
                if ["false", "0", "no"]
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w)) =>
            {
                Some(false)
            }
            Some(t) => return Err(bad(SkipReason::Tmall, t, kind)),
        };
        let country = |reason: SkipReason, at: Option<usize>| -> Result<Option<Country>, Bad<'a>> {
            match at.map(get).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(code) => Country::parse(code)
                    .map(Some)
                    .map_err(|_| bad(reason, code, kind)),
            }
        };
        Ok(Row {
            kind,
            id: id.to_string(),
            facts: CatalogFacts {
                status,
                rate,
                category: category.map(str::to_string),
                tmall,
                ships_from: country(SkipReason::ShipsFrom, self.ships_from)?,
                store_country: country(SkipReason::StoreCountry, self.store_country)?,
            },
        })
    }
}

/// A bad row: what was wrong and the text at fault. Its sentence is made only when the report
/// keeps it (the first [`SKIPPED_SAMPLE`]), not for every bad row of a large feed.
struct Bad<'a> {
    reason: SkipReason,
    value: &'a str,
    kind: Kind,
}

impl Bad<'_> {
    fn sentence(&self) -> String {
        let shown = printable(self.value);
        match self.reason {
            SkipReason::Kind => format!(
                "kind \"{}\" is not product or store",
                printable(&self.value.to_ascii_lowercase())
            ),
            SkipReason::Id => format!(
                "id \"{shown}\" is not a {} id ({})",
                self.kind.as_str(),
                match self.kind {
                    Kind::Product => "10 to 16 digits",
                    Kind::Store => "3 to 12 digits",
                }
            ),
            SkipReason::Status => format!(
                "status \"{shown}\" is not one of hot_sale, affiliate, non_affiliate, zero_commission (or no_commission)"
            ),
            SkipReason::Rate => format!("rate \"{shown}\" is not a percentage from 0 to 100"),
            SkipReason::Tmall => format!(
                "tmall \"{}\" is not true or false (leave it empty when unknown)",
                printable(&self.value.to_ascii_lowercase())
            ),
            SkipReason::ShipsFrom | SkipReason::StoreCountry => format!(
                "{} \"{shown}\" is not a two-letter ISO country code, such as RU or CN",
                if self.reason == SkipReason::ShipsFrom {
                    "ships_from"
                } else {
                    "store_country"
                }
            ),
            SkipReason::TooLong | SkipReason::NotUtf8 | SkipReason::Fields => {
                self.reason.label().to_string()
            }
        }
    }
}
