//! Decimal numbers read and written with integer arithmetic: a JSON number read as the float
//! nearest to it, and a float written with a fixed number of decimals, each giving what the
//! standard library gives (`str::parse::<f64>`, `format!("{x:.2}")`).
//!
//! Written out because the standard library's float reading and writing carry tables (128-bit
//! powers of ten, about 7 KB compressed) into the page's first bundle, where data used only by
//! lazily loaded code still has to be downloaded first.

/// The float nearest to `text`, a number by JSON's grammar (`-12.5`, `1e-7`, `0.30000000000000004`);
/// `None` if it is not one.
///
/// On the server (every target but WebAssembly) the standard library reads it, exact everywhere;
/// in the browser [`by_hand`] does, without the standard library's tables.
pub fn read_float(text: &str) -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    {
        by_hand(text)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        // The grammar is JSON's, narrower than `str::parse`'s (`inf`, `+1`, `.5`, `1.` are not
        // numbers here).
        by_hand(text)?;
        text.parse().ok()
    }
}

/// The page's reading of a JSON number, with integer arithmetic.
///
/// Exact (the float `str::parse` gives) for the numbers JSON answers hold: up to 19 significant
/// digits (the shortest text of any float has at most 17) with a decimal exponent that leaves a
/// whole number below 10^38 or a quotient by at most 10^21. Outside that (a number like `1e-300`
/// or `1.7976931348623157e308`, never written by this server) the result may differ from the
/// nearest float in its last bits, or overflow to infinity near the largest float.
fn by_hand(text: &str) -> Option<f64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], read_exponent(&rest[i + 1..])?),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty()
        || (whole.len() > 1 && whole.starts_with('0'))
        || mantissa.ends_with('.')
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = whole.bytes().chain(fraction.bytes());
    // The power of ten of the last digit.
    let mut exp10 = exponent.saturating_sub(i64::try_from(fraction.len()).ok()?);
    let mut significand: u64 = 0;
    let mut kept = 0;
    // Digits beyond the 19 kept make the number a little larger than `significand`.
    let mut sticky = false;
    for d in digits.skip_while(|d| *d == b'0') {
        if kept < 19 {
            significand = significand * 10 + u64::from(d - b'0');
            kept += 1;
        } else {
            exp10 = exp10.saturating_add(1);
            sticky |= d != b'0';
        }
    }
    let magnitude = if significand == 0 {
        0.0
    } else {
        nearest(significand, exp10, sticky)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `e`'s digits with an optional sign; large exponents are clamped (they give zero or infinity).
fn read_exponent(text: &str) -> Option<i64> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits
        .bytes()
        .fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
    Some(sign * value)
}

/// The float nearest `significand` × 10^`exp10` (plus a little when `sticky`).
#[allow(clippy::cast_precision_loss)] // the conversions below round as intended (see each case)
fn nearest(significand: u64, exp10: i64, sticky: bool) -> f64 {
    // Both factors exact in a float, and one correctly rounded operation (Clinger's fast path).
    if !sticky && significand < 1 << 53 && (-22..=22).contains(&exp10) {
        let power = power_of_ten(exp10.unsigned_abs());
        let m = significand as f64;
        return if exp10 < 0 { m / power } else { m * power };
    }
    let wide = u128::from(significand);
    match exp10 {
        // A whole number below 10^19 × 10^19 < 2^128: the conversion rounds to nearest, even on a
        // tie. With `sticky`, `significand` has 19 digits (over 2^59), so its lowest bit lies far
        // below the last bit a float keeps and stands for the digits dropped.
        0..=19 => {
            let n = wide * 10u128.pow(u32::try_from(exp10).unwrap_or(0));
            (n | u128::from(sticky)) as f64
        }
        // A quotient: the significand shifted to the top of 128 bits, divided by 10^k < 2^70,
        // leaves at least 57 bits; a remainder (or dropped digits) sets the lowest, below the
        // rounding position, and the power of two applied after is exact.
        -21..=-1 => {
            let shift = wide.leading_zeros();
            let divisor = 10u128.pow(u32::try_from(-exp10).unwrap_or(0));
            let top = wide << shift;
            let q = top / divisor;
            let inexact = top % divisor != 0 || sticky;
            let scale = f64::from_bits(u64::from(1023 - shift) << 52);
            (q | u128::from(inexact)) as f64 * scale
        }
        // Outside every number the server writes: close, not always nearest.
        _ => {
            let mut value = significand as f64;
            let ten = power_of_ten(exp10.unsigned_abs().min(400));
            if exp10 < 0 {
                value /= ten;
            } else {
                value *= ten;
            }
            value
        }
    }
}

/// 10^`n` as a float: exact up to 10^22, rounded (possibly infinite) above.
fn power_of_ten(n: u64) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= 10.0;
    }
    p
}

/// `value` with `decimals` digits after the point, rounded to nearest with ties to even on the
/// float's exact value, as `format!("{value:.decimals$}")` writes it (`0.125` → `0.12`, `1.005` →
/// `1.00`, `-0.001` → `-0.00`, `NaN`, `inf`).
///
/// On the server the standard library writes it; in the browser [`fixed_by_hand`] does, without
/// the standard library's tables (the two agree: a property test holds them alike).
pub fn fixed(value: f64, decimals: u32) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        fixed_by_hand(value, decimals)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        format!("{value:.prec$}", prec = decimals as usize)
    }
}

/// [`fixed`] with integer arithmetic (the page's).
pub fn fixed_by_hand(value: f64, decimals: u32) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    let mut out = String::new();
    if value.is_sign_negative() {
        out.push('-');
    }
    if value.is_infinite() {
        out.push_str("inf");
        return out;
    }
    let bits = value.to_bits();
    let exponent_bits = i64::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let fraction = bits & ((1 << 52) - 1);
    // value = m × 2^e exactly.
    let (m, e) = if exponent_bits == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, exponent_bits - 1075)
    };
    // m × 10^decimals as decimal digits (least significant first), then × or ÷ 2^|e|.
    let mut digits = Decimal::from(u128::from(m));
    for _ in 0..decimals {
        digits.times(10);
    }
    if e >= 0 {
        for _ in 0..e {
            digits.times(2);
        }
    } else {
        digits.halve_rounding(e.unsigned_abs());
    }
    let text = digits.text();
    let decimals = decimals as usize;
    if decimals == 0 {
        out.push_str(&text);
    } else {
        let padded = format!("{text:0>width$}", width = decimals + 1);
        let (int, frac) = padded.split_at(padded.len() - decimals);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A whole number as base-10^9 limbs, least significant first.
struct Decimal(Vec<u32>);

const LIMB: u64 = 1_000_000_000;

impl Decimal {
    fn from(mut n: u128) -> Decimal {
        let mut limbs = Vec::new();
        while n > 0 {
            limbs.push(u32::try_from(n % u128::from(LIMB)).unwrap_or(0));
            n /= u128::from(LIMB);
        }
        Decimal(limbs)
    }

    fn times(&mut self, k: u64) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * k + carry;
            *limb = u32::try_from(v % LIMB).unwrap_or(0);
            carry = v / LIMB;
        }
        while carry > 0 {
            self.0.push(u32::try_from(carry % LIMB).unwrap_or(0));
            carry /= LIMB;
        }
    }

    /// Divides by 2, returning the remainder.
    fn halve(&mut self) -> u64 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = rem * LIMB + u64::from(*limb);
            *limb = u32::try_from(v / 2).unwrap_or(0);
            rem = v % 2;
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem
    }

    /// Divides by 2^`n`, rounding to nearest, ties to even.
    fn halve_rounding(&mut self, n: u64) {
        // The bits shifted out: the last one (the half) and whether any before it was set.
        let (mut half, mut below) = (0, false);
        for _ in 0..n {
            if self.0.is_empty() {
                below |= half != 0;
                half = 0;
                break;
            }
            below |= half != 0;
            half = self.halve();
        }
        let odd = self.0.first().is_some_and(|l| l % 2 == 1);
        if half == 1 && (below || odd) {
            self.add_one();
        }
    }

    fn add_one(&mut self) {
        for limb in &mut self.0 {
            if u64::from(*limb) + 1 < LIMB {
                *limb += 1;
                return;
            }
            *limb = 0;
        }
        self.0.push(1);
    }

    fn text(&self) -> String {
        let mut out = String::new();
        match self.0.split_last() {
            None => out.push('0'),
            Some((top, rest)) => {
                write_u64(&mut out, u64::from(*top), 0);
                for limb in rest.iter().rev() {
                    write_u64(&mut out, u64::from(*limb), 9);
                }
            }
        }
        out
    }
}

/// Appends `n` in decimal, padded with zeros to `width` digits.
fn write_u64(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.extend(buf[start..].iter().map(|b| char::from(*b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(text: &str) {
        let want: f64 = text.parse().unwrap();
        let got = by_hand(text).unwrap();
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{text}: {got} against {want}"
        );
    }

    #[test]
    fn the_server_reads_every_number_as_the_standard_library() {
        for text in [
            "1.7976931348623157e308",
            "-2.2250738585072014e-308",
            "5e-324",
            "1e-300",
            "1e40",
            "123456789012345678901234567890e-12",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                read_float(text).map(f64::to_bits),
                Some(want.to_bits()),
                "{text}"
            );
        }
        for text in ["inf", "NaN", "+1", ".5", "1.", "01", "1e", "-"] {
            assert_eq!(read_float(text), None, "{text:?}");
        }
    }

    #[test]
    fn reads_what_a_json_answer_holds() {
        for text in [
            "0",
            "-0",
            "0.0",
            "7",
            "12.5",
            "0.8",
            "0.1",
            "0.30000000000000004",
            "1e-7",
            "1E+3",
            "2.5e2",
            "1000000",
            "999999.99",
            "0.8610000000000001",
            "9007199254740993",
            "1.2345678901234567890123",
            "0.000123456789012345678",
            "123456789012345678901234567890",
        ] {
            same(text);
        }
        // Outside the numbers the server writes: read, close.
        assert_eq!(by_hand("1e-400"), Some(0.0));
        assert_eq!(by_hand("-1e400"), Some(f64::NEG_INFINITY));
        let far = by_hand("1.7976931348623e300").unwrap();
        assert!((far / 1.797_693_134_862_3e300 - 1.0).abs() < 1e-12, "{far}");
    }

    #[test]
    fn refuses_what_is_not_a_json_number() {
        for text in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.5.2", "0x10", "1 ",
        ] {
            assert_eq!(by_hand(text), None, "{text:?}");
        }
    }

    #[test]
    fn writes_fixed_decimals_as_the_standard_library() {
        for (value, decimals) in [
            (0.125, 2),
            (0.375, 2),
            (1.005, 2),
            (2.675, 2),
            (-0.001, 2),
            (0.0, 3),
            (-0.0, 2),
            (7.0, 3),
            (0.72, 3),
            (12.5, 0),
            (0.5, 0),
            (1.5, 0),
            (1e21, 2),
            (f64::MAX, 1),
            (f64::MIN_POSITIVE, 3),
            (5e-324, 2),
            (999.9995, 3),
            (f64::NAN, 2),
            (f64::INFINITY, 2),
            (f64::NEG_INFINITY, 0),
        ] {
            let d = decimals as usize;
            assert_eq!(
                fixed_by_hand(value, decimals),
                format!("{value:.d$}"),
                "{value}"
            );
        }
    }

    proptest! {
        /// The shortest text of any float (what serde_json writes) reads back as that float.
        #[test]
        fn shortest_texts_read_back(fraction in any::<u64>(), exponent in -17i64..70, negative in any::<bool>()) {
            // Every float from 2^-17 (about 7.6e-6) to 2^70 (about 1.2e21), either sign.
            let bits = (u64::try_from(1023 + exponent).unwrap() << 52)
                | (fraction & ((1 << 52) - 1))
                | (u64::from(negative) << 63);
            let x = f64::from_bits(bits);
            let text = serde_json::to_string(&x).unwrap();
            prop_assert_eq!(by_hand(&text).map(f64::to_bits), Some(x.to_bits()), "{}", text);
        }

        /// Decimals of up to 19 significant digits read as the standard library reads them.
        #[test]
        fn decimals_read_as_the_standard_library(
            whole in 0u64..10_000_000,
            fraction in "[0-9]{0,12}",
            exponent in -8i32..8,
        ) {
            let text = if fraction.is_empty() {
                format!("{whole}e{exponent}")
            } else {
                format!("{whole}.{fraction}e{exponent}")
            };
            same(&text);
        }

        /// Fixed decimals are the standard library's for every float.
        #[test]
        fn fixed_is_the_standard_librarys(bits in any::<u64>(), decimals in 0u32..4) {
            let x = f64::from_bits(bits);
            let d = decimals as usize;
            prop_assert_eq!(fixed_by_hand(x, decimals), format!("{x:.d$}"));
        }

        /// Amounts and percentages as the page has them.
        #[test]
        fn fixed_on_amounts(cents in 0u64..100_000_000, decimals in 0u32..4) {
            #[allow(clippy::cast_precision_loss)]
            let x = cents as f64 / 100.0;
            let d = decimals as usize;
            prop_assert_eq!(fixed_by_hand(x, decimals), format!("{x:.d$}"));
        }
    }
}
