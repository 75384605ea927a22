//! Money in whole cents: order amounts, commissions floored to the cent.

use serde::{Deserialize, Serialize};

use crate::domain::codes::ErrorCode;

/// Larger orders are refused as a mistake (`invalid_amount`).
pub const MAX_AMOUNT_USD: f64 = 1_000_000.0;
/// [`MAX_AMOUNT_USD`] in whole dollars, for amounts read from text.
const MAX_AMOUNT_WHOLE_USD: u64 = 1_000_000;

/// An order amount in USD, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Amount(u64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    NotANumber(String),
    Negative(String),
    Absurd(String),
    Ambiguous(String),
    BadGrouping(String),
}

impl AmountError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidAmount
    }
}

impl Amount {
    pub fn from_cents(cents: u64) -> Amount {
        Amount(cents)
    }

    /// An amount in USD: finite, not negative, at most [`MAX_AMOUNT_USD`]; rounded to the cent.
    pub fn from_usd(usd: f64) -> Result<Amount, AmountError> {
        if !usd.is_finite() {
            return Err(AmountError::NotANumber(usd.to_string()));
        }
        if usd < 0.0 {
            return Err(AmountError::Negative(usd.to_string()));
        }
        if usd > MAX_AMOUNT_USD {
            return Err(AmountError::Absurd(usd.to_string()));
        }
        Ok(Amount((usd * 100.0).round() as u64))
    }

    /// Parses what a person types, by the contract's amount rules: `25`, `19.99`, `19,99`, `$12`,
    /// `1 000` (a space or a no-break space groups thousands), `1.000,50` and `1,000.50` (with both
    /// marks, the last is the decimal one), `1,000,000`. A lone `,` or `.` followed by exactly three
    /// digits (`1,000`, `1.000`) could be a thousand or one: refused as ambiguous.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let short: String = text.chars().take(40).collect();
        let t = text.trim();
        let t = t.strip_prefix('$').map_or(t, str::trim_start);
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let is_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}');
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_space(c))
            || !body.chars().any(|c| c.is_ascii_digit())
        {
            return Err(AmountError::NotANumber(short));
        }
        let last_comma = body.rfind(',');
        let last_dot = body.rfind('.');
        let commas = body.matches(',').count();
        let dots = body.matches('.').count();
        // Where the decimal part starts, if there is one.
        let decimal_at = match (last_comma, last_dot) {
            (Some(c), Some(d)) => Some(c.max(d)),
            (Some(at), None) if commas == 1 => Some(at),
            (None, Some(at)) if dots == 1 => Some(at),
            _ => None,
        };
        let (whole, fraction) = match decimal_at {
            Some(at) => (&body[..at], &body[at + 1..]),
            None => (body, ""),
        };
        if decimal_at.is_some() && commas + dots == 1 && fraction.len() == 3 {
            return Err(AmountError::Ambiguous(short));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::BadGrouping(short));
        }
        // The whole part: groups of three after the first, split by the grouping marks.
        let groups: Vec<&str> = whole
            .split(|c: char| c == ',' || c == '.' || is_space(c))
            .collect();
        let grouped = groups.len() > 1;
        let even = groups.iter().enumerate().all(|(i, g)| {
            if i == 0 {
                !grouped || (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            }
        });
        if !even {
            return Err(AmountError::BadGrouping(short));
        }
        let digits: String = groups.concat();
        let digits = digits.trim_start_matches('0');
        if digits.len() > 9 {
            return Err(AmountError::Absurd(short));
        }
        if negative {
            return Err(AmountError::Negative(short));
        }
        // In whole numbers: the dollars, the first two decimals, the third rounding half up (no
        // float parsing or formatting, which weigh 28 KB in the page's bundle). At most nine
        // digits of dollars, so the sum cannot overflow.
        let dollars: u64 = digits.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0'));
        let mut decimals = fraction.bytes().map(|b| u64::from(b - b'0'));
        let cents = dollars * 100
            + decimals.next().unwrap_or(0) * 10
            + decimals.next().unwrap_or(0)
            + u64::from(decimals.next().unwrap_or(0) >= 5);
        let beyond = dollars > MAX_AMOUNT_WHOLE_USD
            || (dollars == MAX_AMOUNT_WHOLE_USD && fraction.bytes().any(|b| b != b'0'));
        if beyond {
            return Err(AmountError::Absurd(short));
        }
        Ok(Amount(cents))
    }

    pub fn cents(self) -> u64 {
        self.0
    }

    pub fn usd(self) -> f64 {
        usd(self.0)
    }
}

pub fn usd(cents: u64) -> f64 {
    cents as f64 / 100.0
}

/// `amount × percent / 100`, floored to the cent, in integers (the rate to a thousandth of a percent).
pub fn commission_cents(amount: Amount, percent: f64) -> u64 {
    let milli_percent = (percent.max(0.0) * 1000.0).round() as u128;
    (u128::from(amount.0) * milli_percent / 100_000) as u64
}

/// Whether `amount × percent / 100` is over `cap_cents` by any fraction of a cent.
pub fn exceeds_cents(amount: Amount, percent: f64, cap_cents: u64) -> bool {
    let milli_percent = (percent.max(0.0) * 1000.0).round() as u128;
    u128::from(amount.0) * milli_percent > u128::from(cap_cents) * 100_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_exactly() {
        // 0.8% of 12.50 is exactly 0.10 (a float product gives 0.09999...).
        assert_eq!(commission_cents(Amount::from_cents(1250), 0.8), 10);
        // 7% of 10.99 is 0.7693: floored to 0.76, where rounding would give 0.77.
        assert_eq!(commission_cents(Amount::from_cents(1099), 7.0), 76);
        assert_eq!(commission_cents(Amount::from_cents(0), 70.0), 0);
        // 70% of 55.01 is 38.507: over the 38.50 cap by a fraction of a cent.
        assert!(exceeds_cents(Amount::from_cents(5501), 70.0, 3850));
        assert!(!exceeds_cents(Amount::from_cents(5500), 70.0, 3850));
    }

    #[test]
    fn parses_amounts() {
        assert_eq!(Amount::parse("19,99").unwrap().cents(), 1999);
        assert_eq!(Amount::parse(" $25 ").unwrap().cents(), 2500);
        assert_eq!(Amount::parse("0.1").unwrap().cents(), 10);
        assert!(matches!(Amount::parse("-5"), Err(AmountError::Negative(_))));
        assert!(matches!(
            Amount::parse("abc"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("1e9"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("2000000"),
            Err(AmountError::Absurd(_))
        ));
        // The contract's amount rules.
        let cents = |t: &str| Amount::parse(t).map(Amount::cents);
        assert_eq!(cents("1 000"), Ok(100_000));
        assert_eq!(cents("1\u{a0}000,50"), Ok(100_050));
        assert_eq!(cents("1.000,50"), Ok(100_050));
        assert_eq!(cents("1,000.50"), Ok(100_050));
        assert_eq!(cents("1,5"), Ok(150));
        assert_eq!(cents("1.5"), Ok(150));
        assert_eq!(cents("1,000,000"), Ok(100_000_000));
        assert_eq!(cents("12.3456"), Ok(1235));
        // The third decimal rounds half up, as written (not as a float would hold it).
        assert_eq!(cents("1.0050"), Ok(101));
        assert_eq!(cents("1.0049"), Ok(100));
        assert_eq!(cents("0.9999"), Ok(100));
        assert_eq!(
            cents("999999999.99"),
            Err(AmountError::Absurd("999999999.99".into()))
        );
        assert_eq!(cents("1000000"), Ok(100_000_000));
        assert_eq!(cents("1000000.00"), Ok(100_000_000));
        assert!(matches!(
            Amount::parse("1000000.0001"),
            Err(AmountError::Absurd(_))
        ));
        assert_eq!(cents("0"), Ok(0));
        for ambiguous in ["1,000", "1.000", "$2,500", "12 345,678"] {
            assert!(
                matches!(Amount::parse(ambiguous), Err(AmountError::Ambiguous(_))),
                "{ambiguous}"
            );
        }
        for uneven in ["1 00", "10,00,000", "1.000,5.0", "1,0000,5"] {
            assert!(Amount::parse(uneven).is_err(), "{uneven}");
        }
        assert!(matches!(
            Amount::parse(","),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::from_usd(f64::NAN),
            Err(AmountError::NotANumber(_))
        ));
    }

    proptest::proptest! {
        /// With at most two decimals the reading in whole numbers agrees with the amount's
        /// value as a number (the API's `"amount": 19.99`).
        #[test]
        fn text_and_number_agree(whole in 0u64..=1_000_000, hundredths in 0u64..100) {
            let text = format!("{whole}.{hundredths:02}");
            let number: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(Amount::parse(&text), Amount::from_usd(number).map_err(|_| AmountError::Absurd(text.clone())));
        }
    }
}
