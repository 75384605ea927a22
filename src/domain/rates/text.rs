//! The rates engine's two small writers, on every check's path: a category name as rules compare
//! it, and a percentage as answers show it. Each has a quick path for the common input (ASCII
//! names; rates with at most three decimals) and the general one for the rest; tests hold the two
//! alike.

/// A category name as [`super::same_category`] compares it: lower case, `&` and `и` as `and`, `ё`
/// as `е`, every run of other characters that are not letters or digits one space.
pub fn category_key(s: &str) -> String {
    if s.is_ascii() {
        ascii_category_key(s)
    } else {
        general_category_key(s)
    }
}

/// [`category_key`] of any name.
fn general_category_key(s: &str) -> String {
    let s = crate::domain::case::lower_str(s)
        .replace('&', " and ")
        .replace('ё', "е");
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| if w == "и" { "and" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`category_key`] of an ASCII name, in one pass.
fn ascii_category_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut in_word = false;
    for b in s.bytes() {
        let starts = b.is_ascii_alphanumeric() && !in_word || b == b'&';
        if starts && !out.is_empty() {
            out.push(' ');
        }
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b.to_ascii_lowercase()));
            in_word = true;
        } else {
            if b == b'&' {
                out.push_str("and");
            }
            in_word = false;
        }
    }
    out
}

/// Formats a percentage without trailing zeros: 0.8, 7, 0.72, 12.5 (at most three decimals,
/// rounded as `format!("{p:.3}")` rounds the float's exact value).
pub fn percent(p: f64) -> String {
    let mut out = String::with_capacity(8);
    push_percent(&mut out, p);
    out
}

/// [`percent`] written at the end of `out`.
pub fn push_percent(out: &mut String, p: f64) {
    use std::fmt::Write;
    let Some(t) = thousandths(p) else {
        push_general_percent(out, p);
        return;
    };
    let (whole, mut frac) = (t / 1000, t % 1000);
    // Writing to a String cannot fail.
    let _ = write!(out, "{whole}");
    if frac != 0 {
        let mut digits = 3;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0digits$}");
    }
}

/// [`push_percent`] of any float.
fn push_general_percent(out: &mut String, p: f64) {
    let s = crate::domain::number::fixed(p, 3);
    out.push_str(s.trim_end_matches('0').trim_end_matches('.'));
}

/// `p` × 1000 rounded to a whole number, where the float product rounds as the exact value
/// does: `p` positive and under a million (the product's error is then under 10⁻⁷) and not
/// within 10⁻⁶ of a tie (the general path rounds ties by the exact value).
fn thousandths(p: f64) -> Option<u64> {
    if !(0.0..1e6).contains(&p) || p.is_sign_negative() {
        return None;
    }
    let scaled = p * 1000.0;
    let fraction = scaled - scaled.floor();
    if (fraction - 0.5).abs() < 1e-6 {
        return None;
    }
    // In range: under 10⁹, not negative.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(scaled.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general paths alone.
    fn general_key(s: &str) -> String {
        general_category_key(s)
    }

    fn general_percent(p: f64) -> String {
        let mut out = String::new();
        push_general_percent(&mut out, p);
        out
    }

    #[test]
    fn keys_of_the_rules_categories() {
        for (name, key) in [
            (
                "Phones & Telecommunications",
                "phones and telecommunications",
            ),
            ("  Home&Garden ", "home and garden"),
            ("&", "and"),
            ("a&&b", "a and and b"),
            ("Toys, Kids & Babies!", "toys kids and babies"),
            ("", ""),
            ("--", ""),
            ("Телефоны и связь", "телефоны and связь"),
            ("Ёлки", "елки"),
        ] {
            assert_eq!(category_key(name), key, "{name:?}");
            assert_eq!(general_key(name), key, "{name:?}");
        }
    }

    #[test]
    fn percentages_as_answers_show_them() {
        for (p, shown) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (0.8, "0.8"),
            (7.0, "7"),
            (0.72, "0.72"),
            (12.5, "12.5"),
            (70.0, "70"),
            (100.0, "100"),
            (0.001, "0.001"),
            (0.0004, "0"),
            (0.0006, "0.001"),
            (99.9999, "100"),
            (1e7, "10000000"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(percent(p), shown, "{p}");
            assert_eq!(general_percent(p), shown, "{p}");
        }
    }

    #[test]
    fn every_rate_in_thousandths_up_to_a_hundred_reads_as_before() {
        for k in 0..=100_000u32 {
            let p = f64::from(k) / 1000.0;
            assert_eq!(percent(p), general_percent(p), "{p}");
            let q = f64::from(k) / 10_000.0;
            assert_eq!(percent(q), general_percent(q), "{q}");
        }
    }

    proptest! {
        #[test]
        fn any_rate_reads_as_before(p in proptest::num::f64::ANY) {
            prop_assert_eq!(percent(p), general_percent(p));
        }

        #[test]
        fn any_small_rate_reads_as_before(p in 0.0f64..1e7) {
            prop_assert_eq!(percent(p), general_percent(p));
        }

        #[test]
        fn any_ascii_name_keys_as_before(s in "[ -~]{0,40}") {
            prop_assert_eq!(category_key(&s), general_key(&s));
        }

        #[test]
        fn any_name_keys_as_before(s in "\\PC{0,24}") {
            prop_assert_eq!(category_key(&s), general_key(&s));
        }
    }
}
