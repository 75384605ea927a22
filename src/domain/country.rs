//! Countries: ISO 3166-1 alpha-2 codes with their English names (data: rules/countries.tsv).

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::codes::ErrorCode;

const TABLE: &str = include_str!("../../rules/countries.tsv");

static COUNTRIES: LazyLock<Vec<(Country, &'static str)>> = LazyLock::new(|| {
    let mut all: Vec<(Country, &'static str)> = TABLE
        .lines()
        .filter_map(|line| {
            let (code, name) = line.split_once('\t')?;
            let b = code.as_bytes();
            (b.len() == 2).then(|| (Country([b[0], b[1]]), name))
        })
        .collect();
    all.sort_unstable_by_key(|(c, _)| *c);
    all
});

/// A country by its ISO 3166-1 alpha-2 code (stored upper-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

/// The text is not an ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{input}\" is not a country code. Give the buyer's delivery country as its two-letter \
     ISO 3166-1 code, such as US, BR or KZ."
)]
pub struct CountryError {
    pub input: String,
}

impl CountryError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidCountry
    }
}

impl Country {
    /// Parses a code in any case (`kz`, `KZ`); surrounding white space is ignored.
    pub fn parse(input: &str) -> Result<Country, CountryError> {
        let t = input.trim().as_bytes();
        let err = || CountryError {
            input: input.chars().take(40).collect(),
        };
        if t.len() != 2 || !t.iter().all(u8::is_ascii_alphabetic) {
            return Err(err());
        }
        let c = Country([t[0].to_ascii_uppercase(), t[1].to_ascii_uppercase()]);
        COUNTRIES
            .binary_search_by_key(&c, |(k, _)| *k)
            .map(|_| c)
            .map_err(|_| err())
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    pub fn name(&self) -> &'static str {
        COUNTRIES
            .binary_search_by_key(self, |(k, _)| *k)
            .map_or("", |i| COUNTRIES[i].1)
    }

    /// Every country, by code.
    pub fn all() -> impl Iterator<Item = (Country, &'static str)> {
        COUNTRIES.iter().copied()
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Country::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Country::parse("kz").unwrap().code(), "KZ");
        assert_eq!(Country::parse(" Us ").unwrap().name(), "United States");
        assert_eq!(Country::parse("UA").unwrap().name(), "Ukraine");
        for bad in ["", "U", "USA", "XX", "1A", "ZZ", "Ру", "u s"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Country::all().count(), 250);
    }
}
