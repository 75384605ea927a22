//! A character's lower case, as `char::to_lowercase` gives it (its first character), from a table
//! of 1.5 KB instead of the standard library's case tables (17.6 KB of the page's first module,
//! where every table lies whichever bundle uses it). The tests hold it to the standard library for
//! every character; `print_table` writes the table again should a Rust update change Unicode's
//! version (`cargo test --lib case::tests::print_table -- --ignored --nocapture`).

/// Runs of upper-case characters `(packed, delta)`: `packed` is `first | count << 21 | (stride -
/// 1) << 28`; the characters `first + i * stride` for `i` in `0..=count` lower-case to themselves
/// plus `delta`.
#[rustfmt::skip]
const RUNS: &[(u32, i32)] = &[
    (0x3200041, 32), (0x2C000C0, 32), (0xC000D8, 32), (0x12E00100, 1), (0x130, -199), (0x10400132, 1),
    (0x10E00139, 1), (0x12C0014A, 1), (0x178, -121), (0x10400179, 1), (0x181, 210), (0x10200182, 1),
    (0x186, 206), (0x187, 1), (0x200189, 205), (0x18B, 1), (0x18E, 79), (0x18F, 202),
    (0x190, 203), (0x191, 1), (0x193, 205), (0x194, 207), (0x196, 211), (0x197, 209),
    (0x198, 1), (0x19C, 211), (0x19D, 213), (0x19F, 214), (0x104001A0, 1), (0x1A6, 218),
    (0x1A7, 1), (0x1A9, 218), (0x1AC, 1), (0x1AE, 218), (0x1AF, 1), (0x2001B1, 217),
    (0x102001B3, 1), (0x1B7, 219), (0x1B8, 1), (0x1BC, 1), (0x1C4, 2), (0x1C5, 1),
    (0x1C7, 2), (0x1C8, 1), (0x1CA, 2), (0x110001CB, 1), (0x110001DE, 1), (0x1F1, 2),
    (0x102001F2, 1), (0x1F6, -97), (0x1F7, -56), (0x126001F8, 1), (0x220, -130), (0x11000222, 1),
    (0x23A, 10795), (0x23B, 1), (0x23D, -163), (0x23E, 10792), (0x241, 1), (0x243, -195),
    (0x244, 69), (0x245, 71), (0x10800246, 1), (0x10200370, 1), (0x376, 1), (0x37F, 116),
    (0x386, 38), (0x400388, 37), (0x38C, 64), (0x20038E, 63), (0x2000391, 32), (0x10003A3, 32),
    (0x3CF, 8), (0x116003D8, 1), (0x3F4, -60), (0x3F7, 1), (0x3F9, -7), (0x3FA, 1),
    (0x4003FD, -130), (0x1E00400, 80), (0x3E00410, 32), (0x12000460, 1), (0x1340048A, 1), (0x4C0, 15),
    (0x10C004C1, 1), (0x15E004D0, 1), (0x4A00531, 48), (0x4A010A0, 7264), (0x10C7, 7264), (0x10CD, 7264),
    (0x9E013A0, 38864), (0xA013F0, 8), (0x1C89, 1), (0x5401C90, -3008), (0x401CBD, -3008), (0x19401E00, 1),
    (0x1E9E, -7615), (0x15E01EA0, 1), (0xE01F08, -8), (0xA01F18, -8), (0xE01F28, -8), (0xE01F38, -8),
    (0xA01F48, -8), (0x10601F59, -8), (0xE01F68, -8), (0xE01F88, -8), (0xE01F98, -8), (0xE01FA8, -8),
    (0x201FB8, -8), (0x201FBA, -74), (0x1FBC, -9), (0x601FC8, -86), (0x1FCC, -9), (0x201FD8, -8),
    (0x201FDA, -100), (0x201FE8, -8), (0x201FEA, -112), (0x1FEC, -7), (0x201FF8, -128), (0x201FFA, -126),
    (0x1FFC, -9), (0x2126, -7517), (0x212A, -8383), (0x212B, -8262), (0x2132, 28), (0x1E02160, 16),
    (0x2183, 1), (0x32024B6, 26), (0x5E02C00, 48), (0x2C60, 1), (0x2C62, -10743), (0x2C63, -3814),
    (0x2C64, -10727), (0x10402C67, 1), (0x2C6D, -10780), (0x2C6E, -10749), (0x2C6F, -10783), (0x2C70, -10782),
    (0x2C72, 1), (0x2C75, 1), (0x202C7E, -10815), (0x16202C80, 1), (0x10202CEB, 1), (0x2CF2, 1),
    (0x12C0A640, 1), (0x11A0A680, 1), (0x10C0A722, 1), (0x13C0A732, 1), (0x1020A779, 1), (0xA77D, -35332),
    (0x1080A77E, 1), (0xA78B, 1), (0xA78D, -42280), (0x1020A790, 1), (0x1120A796, 1), (0xA7AA, -42308),
    (0xA7AB, -42319), (0xA7AC, -42315), (0xA7AD, -42305), (0xA7AE, -42308), (0xA7B0, -42258), (0xA7B1, -42282),
    (0xA7B2, -42261), (0xA7B3, 928), (0x10E0A7B4, 1), (0xA7C4, -48), (0xA7C5, -42307), (0xA7C6, -35384),
    (0x1020A7C7, 1), (0xA7CB, -42343), (0x10E0A7CC, 1), (0xA7DC, -42561), (0xA7F5, 1), (0x320FF21, 32),
    (0x4E10400, 40), (0x46104B0, 40), (0x1410570, 39), (0x1C1057C, 39), (0xC1058C, 39), (0x210594, 39),
    (0x6410C80, 64), (0x2A10D50, 32), (0x3E118A0, 32), (0x3E16E40, 32), (0x3016EA0, 27), (0x421E900, 34),
];

/// `c` in lower case: the first character of `c.to_lowercase()`.
pub fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let cp = u32::from(c);
    let i = RUNS.partition_point(|&(packed, _)| packed & 0x1F_FFFF <= cp);
    let Some(&(packed, delta)) = i.checked_sub(1).and_then(|i| RUNS.get(i)) else {
        return c;
    };
    let (first, count, stride) = (packed & 0x1F_FFFF, packed >> 21 & 0x7F, (packed >> 28) + 1);
    let offset = cp - first;
    if offset % stride != 0 || offset / stride > count {
        return c;
    }
    cp.checked_add_signed(delta)
        .and_then(char::from_u32)
        .unwrap_or(c)
}

/// `text` in lower case, character by character (as [`lower`]).
pub fn lower_str(text: &str) -> String {
    text.chars().map(lower).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_lower(c: char) -> char {
        c.to_lowercase().next().unwrap_or(c)
    }

    #[test]
    fn agrees_with_the_standard_library_for_every_character() {
        let differ: Vec<char> = (0..=0x10_FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| lower(c) != std_lower(c))
            .take(10)
            .collect();
        assert!(
            differ.is_empty(),
            "differs from std for {differ:?}: run print_table"
        );
        assert_eq!(
            lower_str("АлиЭкспресс ALIEXPRESS Ǆ İ"),
            "алиэкспресс aliexpress ǆ i"
        );
    }

    /// Writes `RUNS` from the standard library's case mapping.
    #[test]
    #[ignore = "writes the table; run by hand after a Rust update"]
    fn print_table() {
        let mut runs: Vec<(u32, u32, i32, u32)> = Vec::new();
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let l = std_lower(c);
            if l == c {
                continue;
            }
            let (cp, delta) = (
                u32::from(c),
                i32::try_from(u32::from(l)).unwrap() - i32::try_from(u32::from(c)).unwrap(),
            );
            if let Some(r) = runs.last_mut().filter(|r| r.2 == delta) {
                if r.0 == r.1 && (cp == r.1 + 1 || cp == r.1 + 2) {
                    (r.3, r.1) = (cp - r.1, cp);
                    continue;
                }
                if r.0 != r.1 && cp == r.1 + r.3 {
                    r.1 = cp;
                    continue;
                }
            }
            runs.push((cp, cp, delta, 1));
        }
        let items: Vec<String> = runs
            .iter()
            .map(|&(first, last, delta, stride)| {
                let count = (last - first) / stride;
                assert!(count < 128 && first < 1 << 21);
                format!(
                    "(0x{:X}, {delta})",
                    first | count << 21 | (stride - 1) << 28
                )
            })
            .collect();
        for line in items.chunks(6) {
            println!("    {},", line.join(", "));
        }
    }
}
