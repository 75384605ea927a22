//! Money in whole cents: order amounts, commissions floored to the cent.

use serde::{Deserialize, Serialize};

use crate::domain::codes::ErrorCode;

/// Larger orders are refused as a mistake (`invalid_amount`).
pub const MAX_AMOUNT_USD: f64 = 1_000_000.0;

/// An order amount in USD, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Amount(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error(
        "\"{0}\" is not an amount. Give the order's value in USD as a number, such as 25 or 19.99."
    )]
    NotANumber(String),
    #[error(
        "The amount {0} is negative. Give the order's value in USD, goods only, shipping excluded."
    )]
    Negative(String),
    #[error(
        "The amount {0} USD is beyond any order (the limit is 1,000,000 USD). Check the number."
    )]
    Absurd(String),
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

    /// Parses what a person types: `25`, `19.99`, `19,99`, ` 7 `, `$12`.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let t = text.trim().trim_start_matches('$').trim().replace(',', ".");
        let short: String = text.chars().take(40).collect();
        if t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        {
            return Err(AmountError::NotANumber(short));
        }
        let usd: f64 = t.parse().map_err(|_| AmountError::NotANumber(short))?;
        Amount::from_usd(usd)
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
        assert!(matches!(
            Amount::from_usd(f64::NAN),
            Err(AmountError::NotANumber(_))
        ));
    }
}
