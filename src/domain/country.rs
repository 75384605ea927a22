//! Countries: ISO 3166-1 alpha-2 codes with their English and Russian names (data:
//! rules/countries.tsv: code, English name, Russian name).

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::codes::ErrorCode;

const TABLE: &str = include_str!("../../rules/countries.tsv");

static COUNTRIES: LazyLock<Vec<(Country, &'static str)>> = LazyLock::new(|| {
    let mut all: Vec<(Country, &'static str)> = TABLE
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('\t');
            let (code, name) = (cells.next()?, cells.next()?);
            let b = code.as_bytes();
            (b.len() == 2).then(|| (Country([b[0], b[1]]), name))
        })
        .collect();
    all.sort_unstable_by_key(|(c, _)| *c);
    all
});

/// The Russian names, by the same order as [`COUNTRIES`].
static NAMES_RU: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut rows: Vec<(&'static str, &'static str)> = TABLE
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('\t');
            let code = cells.next()?;
            let english = cells.next()?;
            Some((code, cells.next().unwrap_or(english)))
        })
        .filter(|(code, _)| code.len() == 2)
        .collect();
    rows.sort_unstable_by_key(|(code, _)| *code);
    rows.into_iter().map(|(_, name)| name).collect()
});

/// A country by its ISO 3166-1 alpha-2 code (stored upper-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

/// The text is not an ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// The country's name in `lang`.
    pub fn name_in(&self, lang: crate::domain::lang::Lang) -> &'static str {
        match lang {
            crate::domain::lang::Lang::En => self.name(),
            crate::domain::lang::Lang::Ru => COUNTRIES
                .binary_search_by_key(self, |(k, _)| *k)
                .ok()
                .and_then(|i| NAMES_RU.get(i).copied())
                .unwrap_or(""),
        }
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

    use crate::domain::lang::Lang;

    #[test]
    fn codes() {
        assert_eq!(Country::parse("kz").unwrap().code(), "KZ");
        assert_eq!(Country::parse(" Us ").unwrap().name(), "United States");
        assert_eq!(Country::parse("UA").unwrap().name(), "Ukraine");
        for bad in ["", "U", "USA", "XX", "1A", "ZZ", "Ру", "u s"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Country::all().count(), 250);
        assert_eq!(Country::parse("KZ").unwrap().name_in(Lang::Ru), "Казахстан");
        assert_eq!(Country::parse("AD").unwrap().name_in(Lang::Ru), "Андорра");
        assert_eq!(Country::parse("ZW").unwrap().name_in(Lang::Ru), "Зимбабве");
        assert!(Country::all().all(|(c, _)| !c.name_in(Lang::Ru).is_empty()));
    }
}
