//! Loads and validates the programme's rules from TOML text (pure: the caller reads the file).
//! Every problem names the file, the line and what is wrong.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Band, Conduct, Derived, Header, NoticeCode, Programme, Region, RegionId, Rule, Status, Texts,
};

/// The rules compiled into the binary: the default when `LINKSMITH_RULES` is not set.
pub const EMBEDDED: &str = include_str!("../../../rules/programme.toml");
pub const EMBEDDED_NAME: &str = "rules/programme.toml (embedded)";

/// Warning codes the API contract requires; each needs its sentences in `[messages]`.
pub const REQUIRED_CODES: &[NoticeCode] = &[
    NoticeCode::HotSaleNeedsProductLink,
    NoticeCode::ForeignAffiliateParamsRemoved,
    NoticeCode::BrazilComputerOfficeZero,
    NoticeCode::ZeroCommissionCategory,
    NoticeCode::TmallRussiaExcluded,
    NoticeCode::RussianStoreDirectLink,
    NoticeCode::ProductUnavailable,
    NoticeCode::StatusUnknown,
    NoticeCode::OrderCap,
    NoticeCode::TrackingNotConfigured,
    NoticeCode::TmallShipFromUnknown,
    NoticeCode::RedirectToSimilar,
    NoticeCode::RateApproximate,
    NoticeCode::AttributionPriority,
    NoticeCode::RussianStoreUnknown,
    NoticeCode::SourcesDisagree,
    NoticeCode::ForeignNetworkLink,
    NoticeCode::LookupsSpent,
    NoticeCode::RateOutsideTerms,
];

/// Second sentences a code may have for another case, each `[messages.<key>]` in the file:
/// `order_cap_band` (no exact rate: the top of the band would pass the cap).
pub const VARIANTS: &[(&str, NoticeCode)] = &[("order_cap_band", NoticeCode::OrderCap)];

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RulesError {
    pub file: String,
    pub line: Option<usize>,
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    programme: Spanned<Header>,
    regions: Vec<Spanned<Region>>,
    bands: Vec<Spanned<Band>>,
    #[serde(default)]
    rules: Vec<Spanned<Rule>>,
    messages: BTreeMap<String, Spanned<Texts>>,
    #[serde(default)]
    conduct: Vec<Spanned<Conduct>>,
}

impl Programme {
    /// Parses and validates a rules file. `file` names it in error messages.
    pub fn from_toml(text: &str, file: &str) -> Result<Programme, RulesError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let fail = |offset: Option<usize>, problem: String| RulesError {
            file: file.to_string(),
            line: offset.map(line_of),
            problem,
        };
        let raw: Raw = toml::from_str(text)
            .map_err(|e| fail(e.span().map(|s| s.start), e.message().trim().to_string()))?;
        let at = |s: &std::ops::Range<usize>| Some(s.start);

        // The programme.
        let header = &raw.programme;
        let h = header.get_ref();
        if !(h.order_cap_usd.is_finite() && h.order_cap_usd > 0.0) {
            return Err(fail(
                at(&header.span()),
                format!(
                    "order_cap_usd must be a positive amount, not {}",
                    h.order_cap_usd
                ),
            ));
        }
        if h.confirmation_days[0] > h.confirmation_days[1] {
            return Err(fail(
                at(&header.span()),
                "confirmation_days: the first number is over the second".into(),
            ));
        }
        if !(h.scale_max_percent.is_finite()
            && h.scale_max_percent > 0.0
            && h.scale_max_percent <= 100.0)
        {
            return Err(fail(
                at(&header.span()),
                "scale_max_percent must be over 0 and at most 100".into(),
            ));
        }

        // Regions: each id once, one default, no country in two regions.
        let mut seen_regions: Vec<(RegionId, usize)> = Vec::new();
        let mut country_region: BTreeMap<String, (RegionId, usize)> = BTreeMap::new();
        for r in &raw.regions {
            let (region, start) = (r.get_ref(), r.span().start);
            if let Some((_, first)) = seen_regions.iter().find(|(id, _)| *id == region.id) {
                return Err(fail(
                    Some(start),
                    format!(
                        "region {:?} is defined twice (first at line {})",
                        region.id,
                        line_of(*first)
                    ),
                ));
            }
            seen_regions.push((region.id, start));
            if region.cookie_days == 0 {
                return Err(fail(Some(start), "cookie_days must be at least 1".into()));
            }
            for c in &region.countries {
                if let Some((other, line)) =
                    country_region.insert(c.code().to_string(), (region.id, start))
                {
                    return Err(fail(
                        Some(start),
                        format!(
                            "overlapping regions: {c} is in {:?} and in {other:?} (line {})",
                            region.id,
                            line_of(line)
                        ),
                    ));
                }
            }
        }
        for id in [RegionId::Cis, RegionId::NonCis] {
            if !seen_regions.iter().any(|(r, _)| *r == id) {
                return Err(fail(
                    None,
                    format!("no region {id:?}: the file must define both cis and non_cis"),
                ));
            }
        }
        let defaults: Vec<&Spanned<Region>> =
            raw.regions.iter().filter(|r| r.get_ref().default).collect();
        match defaults.as_slice() {
            [_] => {}
            [] => return Err(fail(
                None,
                "no default region: mark the region of every unlisted country with default = true"
                    .into(),
            )),
            [first, second, ..] => {
                return Err(fail(
                    at(&first.span()),
                    format!(
                        "contradictory: two regions are marked default (lines {} and {})",
                        line_of(first.span().start),
                        line_of(second.span().start)
                    ),
                ))
            }
        }

        // Bands: sane numbers, min <= max, one per region and status, none missing.
        let mut seen_bands: Vec<((RegionId, Status), usize)> = Vec::new();
        for b in &raw.bands {
            let (band, start) = (b.get_ref(), b.span().start);
            for (name, v) in [("min", band.min), ("max", band.max)] {
                if let Some(v) = v {
                    if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                        return Err(fail(
                            Some(start),
                            format!("band {name} = {v} is not a percentage from 0 to 100"),
                        ));
                    }
                }
            }
            if let (Some(lo), Some(hi)) = (band.min, band.max) {
                if lo > hi {
                    return Err(fail(Some(start), format!("band min {lo} is over max {hi}")));
                }
            }
            let key = (band.region, band.status);
            if let Some((_, first)) = seen_bands.iter().find(|(k, _)| *k == key) {
                return Err(fail(
                    Some(start),
                    format!(
                        "overlapping bands: {:?}/{} is already given at line {}",
                        band.region,
                        band.status.as_str(),
                        line_of(*first)
                    ),
                ));
            }
            seen_bands.push((key, start));
        }
        for (id, _) in &seen_regions {
            for status in Status::ALL {
                if !seen_bands.iter().any(|(k, _)| *k == (*id, status)) {
                    return Err(fail(
                        None,
                        format!("no band for status {} in region {id:?}", status.as_str()),
                    ));
                }
            }
        }

        // Rules: unique ids, sane dates, sentences for every code, no contradictions.
        let mut messages = BTreeMap::new();
        let mut variants = BTreeMap::new();
        for (code, t) in &raw.messages {
            if VARIANTS.iter().any(|(key, _)| key == code) {
                let texts = t.get_ref();
                if texts.en.trim().is_empty() || texts.ru.trim().is_empty() {
                    return Err(fail(
                        at(&t.span()),
                        format!("[messages.{code}] needs both an English and a Russian sentence"),
                    ));
                }
                variants.insert(code.clone(), texts.clone());
                continue;
            }
            // The set of codes is closed: programs outside the project rely on it.
            let Some(known) = NoticeCode::parse(code) else {
                return Err(fail(
                    at(&t.span()),
                    format!(
                        "[messages.{code}]: \"{code}\" is not a code Linksmith knows; the codes are {}",
                        NoticeCode::ALL
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            messages.insert(known, t.get_ref().clone());
            let texts = t.get_ref();
            if texts.en.trim().is_empty() || texts.ru.trim().is_empty() {
                return Err(fail(
                    at(&t.span()),
                    format!("[messages.{code}] needs both an English and a Russian sentence"),
                ));
            }
        }

        for (i, r) in raw.rules.iter().enumerate() {
            let (rule, start) = (r.get_ref(), r.span().start);
            if let Some(first) = raw.rules[..i].iter().find(|o| o.get_ref().id == rule.id) {
                return Err(fail(
                    Some(start),
                    format!(
                        "rule id \"{}\" is used twice (first at line {})",
                        rule.id,
                        line_of(first.span().start)
                    ),
                ));
            }
            if let (Some(from), Some(until)) = (rule.from, rule.until) {
                if from > until {
                    return Err(fail(
                        Some(start),
                        format!(
                            "rule \"{}\" ends ({until}) before it starts ({from})",
                            rule.id
                        ),
                    ));
                }
            }
            if !messages.contains_key(&rule.code) {
                return Err(fail(
                    Some(start),
                    format!(
                        "rule \"{}\" has code \"{}\", which has no [messages.{}]",
                        rule.id, rule.code, rule.code
                    ),
                ));
            }
            for other in &raw.rules[..i] {
                let o = other.get_ref();
                if same_conditions(o, rule)
                    && dates_overlap(o, rule)
                    && o.code == rule.code
                    && o.kind != rule.kind
                {
                    return Err(fail(
                        Some(start),
                        format!(
                            "contradictory rules: \"{}\" and \"{}\" (line {}) have the same conditions and dates but different kinds",
                            rule.id,
                            o.id,
                            line_of(other.span().start)
                        ),
                    ));
                }
            }
        }
        for (i, c) in raw.conduct.iter().enumerate() {
            let (entry, start) = (c.get_ref(), c.span().start);
            if raw.conduct[..i].iter().any(|o| o.get_ref().id == entry.id) {
                return Err(fail(
                    Some(start),
                    format!("conduct id \"{}\" is used twice", entry.id),
                ));
            }
            let texts = [&entry.rule, &entry.consequence];
            if texts
                .iter()
                .any(|t| t.en.trim().is_empty() || t.ru.trim().is_empty())
                || entry.source.trim().is_empty()
            {
                return Err(fail(
                    Some(start),
                    format!(
                        "conduct \"{}\" needs its rule and consequence in English and Russian, and its source",
                        entry.id
                    ),
                ));
            }
        }
        for code in REQUIRED_CODES {
            if !messages.contains_key(code) {
                return Err(fail(
                    None,
                    format!("[messages.{code}] is missing: the API contract needs its sentence"),
                ));
            }
        }
        Ok(Programme {
            programme: raw.programme.into_inner(),
            regions: raw.regions.into_iter().map(Spanned::into_inner).collect(),
            bands: raw.bands.into_iter().map(Spanned::into_inner).collect(),
            rules: raw.rules.into_iter().map(Spanned::into_inner).collect(),
            messages,
            variants,
            conduct: raw.conduct.into_iter().map(Spanned::into_inner).collect(),
            filled: Derived::default(),
        })
    }

    /// The rules compiled into the binary.
    pub fn embedded() -> Result<Programme, RulesError> {
        Programme::from_toml(EMBEDDED, EMBEDDED_NAME)
    }
}

fn same_conditions(a: &Rule, b: &Rule) -> bool {
    a.regions == b.regions
        && a.countries == b.countries
        && a.not_countries == b.not_countries
        && a.statuses == b.statuses
        && a.categories == b.categories
        && a.kinds == b.kinds
        && a.sites == b.sites
        && a.tmall == b.tmall
        && a.ships_from == b.ships_from
        && a.ships_from_known == b.ships_from_known
        && a.store_countries == b.store_countries
        && a.store_country_known == b.store_country_known
        && a.rate_known == b.rate_known
}

fn dates_overlap(a: &Rule, b: &Rule) -> bool {
    let starts_before_end = |x: &Rule, y: &Rule| match (x.from, y.until) {
        (Some(f), Some(u)) => f <= u,
        _ => true,
    };
    starts_before_end(a, b) && starts_before_end(b, a)
}
