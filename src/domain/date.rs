//! A calendar date (the date of a check), small enough for the WASM bundle.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A valid proleptic Gregorian date. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` exactly.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        Date::new(num(0..4)? as i32, num(5..7)? as u8, num(8..10)? as u8)
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    pub fn from_unix_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// Days from 1970-01-01 to this date (Howard Hinnant's days_from_civil).
    pub fn unix_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// A moment, to the second (unix seconds, UTC); written as RFC 3339 (`2026-11-30T15:04:05Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let (date, time) = s.split_once('T')?;
        let time = time.strip_suffix('Z')?;
        let date = Date::parse(date)?;
        let mut parts = time.split(':').map(|p| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<i64>().ok())
                .flatten()
        });
        let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        Some(Timestamp(
            date.unix_days() * 86_400 + h * 3600 + m * 60 + sec,
        ))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = Date::from_unix_days(self.0.div_euclid(86_400));
        let secs = self.0.rem_euclid(86_400);
        write!(
            f,
            "{day}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| de::Error::custom(format!("not an RFC 3339 time: {s}")))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Date, E> {
                Date::parse(s)
                    .ok_or_else(|| E::custom(format!("\"{s}\" is not a valid date (YYYY-MM-DD)")))
            }
            // TOML dates (`from = 2022-10-20`) arrive as a one-entry map holding their text.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(de::Error::custom("an empty date"));
                };
                self.visit_str(&text)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_796_051_045, "2026-11-30T15:04:05Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
        ] {
            assert_eq!(Timestamp(secs).to_string(), text);
            assert_eq!(Timestamp::parse(text), Some(Timestamp(secs)));
        }
        for bad in [
            "2026-11-30",
            "2026-11-30T25:00:00Z",
            "2026-11-30T15:04:05",
            "x",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
        for days in [-1000, 0, 19_000, 20_787] {
            assert_eq!(Date::from_unix_days(days).unix_days(), days);
        }
    }

    #[test]
    fn parse_and_order() {
        assert_eq!(Date::parse("2022-10-20").unwrap().to_string(), "2022-10-20");
        assert!(Date::parse("2022-10-19").unwrap() < Date::parse("2022-10-20").unwrap());
        assert!(Date::parse("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "2022-13-01",
            "2022-00-10",
            "2022-10-32",
            "22-10-20",
            "2022/10/20",
            "2022-1-020",
            "+202-10-20",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_days() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_285).to_string(), "2022-10-20");
        assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
        assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
    }
}
