//! Query parameters: which carry meaning for the page, which are other webmasters' affiliate ids,
//! and which are tracking junk. Everything that is not kept is removed and reported.

use std::borrow::Cow;

/// The `name=value` pairs of a raw query, undecoded (most values are never needed decoded): the
/// non-empty pieces between `&`, each split at its first `=`.
pub fn raw_pairs(query: &str) -> RawPairs<'_> {
    RawPairs { query, at: 0 }
}

/// The iterator of [`raw_pairs`]. `split('&')` then `split_once('=')` cost a memchr's start-up for
/// each short name and value, on every parameter of every link: here the end of a pair is found
/// eight bytes at a time, and its `=` byte by byte in its (short) name.
pub struct RawPairs<'a> {
    query: &'a str,
    at: usize,
}

impl<'a> Iterator for RawPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let bytes = self.query.as_bytes();
        while self.at < bytes.len() {
            let start = self.at;
            let end = find_byte(&bytes[start..], b'&').map_or(bytes.len(), |i| start + i);
            self.at = end + 1;
            if end > start {
                let piece = &self.query[start..end];
                // `&` and `=` are ASCII: every index here is a character boundary.
                return Some(match piece.bytes().position(|b| b == b'=') {
                    Some(i) => (&piece[..i], &piece[i + 1..]),
                    None => (piece, ""),
                });
            }
        }
        None
    }
}

/// The position of the first `byte` in `bytes`: eight bytes at a time (a word XOR-ed with `byte` in
/// every byte has a zero byte where it is; the lowest flagged byte of the classic zero-byte test is
/// always a true zero, and the word is read little-endian, so it is the first), then byte by byte.
/// Without memchr's start-up, which costs more than the search in a link's short parts.
pub(super) fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let wanted = u64::from_le_bytes([byte; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default()) ^ wanted;
        let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == byte)
        .map(|i| at + i)
}

/// Decodes one form-encoded component (`+` is a space); borrows when there is nothing to decode.
#[inline]
pub fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    decode_escaped(raw)
}

fn decode_escaped(raw: &str) -> Cow<'_, str> {
    let spaced = raw.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// A parameter name for `removed_params`: a static string for the names seen on most pasted links.
pub fn intern(name: &str) -> Cow<'static, str> {
    Cow::Borrowed(match name {
        "spm" => "spm",
        "scm" => "scm",
        "algo_pvid" => "algo_pvid",
        "algo_exp_id" => "algo_exp_id",
        "pdp_npi" => "pdp_npi",
        "pdp_ext_f" => "pdp_ext_f",
        "pdp_perf" => "pdp_perf",
        "curPageLogUid" => "curPageLogUid",
        "utparam-url" => "utparam-url",
        "aff_fcid" => "aff_fcid",
        "aff_fsk" => "aff_fsk",
        "aff_platform" => "aff_platform",
        "aff_trace_key" => "aff_trace_key",
        "aff_short_key" => "aff_short_key",
        "aff_request_id" => "aff_request_id",
        "tt" => "tt",
        "sk" => "sk",
        "terminal_id" => "terminal_id",
        "afSmartRedirect" => "afSmartRedirect",
        "af" => "af",
        "cn" => "cn",
        "cv" => "cv",
        "dp" => "dp",
        "mall_affr" => "mall_affr",
        "gatewayAdapt" => "gatewayAdapt",
        "_randl_shipto" => "_randl_shipto",
        "_randl_currency" => "_randl_currency",
        "srcSns" => "srcSns",
        "spreadType" => "spreadType",
        "bizType" => "bizType",
        "social_params" => "social_params",
        "businessType" => "businessType",
        "platform" => "platform",
        "shareId" => "shareId",
        "src" => "src",
        "utm_source" => "utm_source",
        "utm_medium" => "utm_medium",
        "utm_campaign" => "utm_campaign",
        "gclid" => "gclid",
        "sku_id" => "sku_id",
        "skuId" => "skuId",
        "SearchText" => "SearchText",
        "productIds" => "productIds",
        "initiative_id" => "initiative_id",
        "catId" => "catId",
        _ => return Cow::Owned(name.to_string()),
    })
}

/// Parameters that mark a link as somebody's affiliate link, by name (compared case-insensitively).
const AFFILIATE_NAMES: &[&str] = &[
    "sk",
    "terminal_id",
    "af",
    "cn",
    "cv",
    "dp",
    "mall_affr",
    "afsmartredirect",
    "admitad_uid",
    "dl_target_url",
];

/// True when the parameter is an affiliate network's tracking (another webmaster's id). `value` may
/// be raw (form-encoded): it is decoded where it matters.
pub fn is_affiliate(name: &str, value: &str) -> bool {
    // The common names, as the site writes them, decided without case folding.
    match name {
        "spm" | "scm" | "algo_pvid" | "algo_exp_id" | "pdp_npi" | "pdp_ext_f" | "gatewayAdapt"
        | "src" | "srcSns" | "spreadType" | "bizType" | "social_params" | "businessType"
        | "platform" | "shareId" | "curPageLogUid" | "utparam-url" | "_randl_shipto"
        | "_randl_currency" | "utm_source" | "utm_campaign" | "initiative_id" => return false,
        "aff_fcid" | "aff_fsk" | "aff_platform" | "aff_trace_key" | "aff_short_key"
        | "aff_request_id" | "sk" | "terminal_id" | "afSmartRedirect" => return true,
        _ => {}
    }
    let lower_prefix = |p: &str| {
        name.len() >= p.len() && name.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    if lower_prefix("aff_") {
        return true;
    }
    if AFFILIATE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return true;
    }
    // tt=CPS_NORMAL and its kin: the affiliate channel's traffic type.
    if name.eq_ignore_ascii_case("tt") {
        let value = decode(value);
        return value.len() >= 3 && value.as_bytes()[..3].eq_ignore_ascii_case(b"cps");
    }
    if name.eq_ignore_ascii_case("utm_medium") {
        let value = decode(value);
        return value.eq_ignore_ascii_case("cpa") || value.eq_ignore_ascii_case("affiliate");
    }
    false
}

/// A SKU id: digits only, of a plausible length.
pub fn valid_sku(value: &str) -> bool {
    (5..=24).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// `pdp_ext_f` is a JSON object the site adds to product links; it may carry the chosen SKU.
pub fn sku_from_pdp_ext(value: &str) -> Option<String> {
    if !value.contains("sku_id") {
        return None;
    }
    let sku = sku_id_member(value)?;
    valid_sku(&sku).then_some(sku)
}

/// The object's `sku_id` (the last where the key is repeated), as text or as a whole number. On
/// the server `serde_json` reads it; in the browser the page's own reader (`domain::json`, which
/// reads the same texts into the same values: its tests and the `json_reader` fuzz target compare
/// them), so that the first bundle carries no general JSON decoder.
#[cfg(not(target_arch = "wasm32"))]
fn sku_id_member(value: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(value)
        .ok()?
        .get("sku_id")?
    {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

#[cfg(target_arch = "wasm32")]
fn sku_id_member(value: &str) -> Option<String> {
    let json = crate::domain::json::parse(value)?;
    let sku = json.get("sku_id")?;
    Some(sku.as_text().or_else(|| sku.as_u64_text())?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's reading (serde_json) and the browser's (the page's reader) of `pdp_ext_f`
    /// agree, on real and odd objects.
    #[test]
    fn pdp_ext_is_read_alike_on_both_sides() {
        let browser = |value: &str| {
            let json = crate::domain::json::parse(value)?;
            let sku = json.get("sku_id")?;
            Some(sku.as_text().or_else(|| sku.as_u64_text())?.to_string())
        };
        for value in [
            r#"{"sku_id":"12000028762257776","ship_from":"CN"}"#,
            r#" { "sku_id" : 12000028762257776 } "#,
            r#"{"sku_id":"1","sku_id":"2"}"#,
            r#"{"sku\u005fid":"\u0031"}"#,
            r#"{"sku_id":1.5}"#,
            r#"{"sku_id":-12}"#,
            r#"{"sku_id":1e3}"#,
            r#"{"sku_id":null}"#,
            r#"{"sku_id":"1",}"#,
            r#"["sku_id"]"#,
            r#"{"sku_id":18446744073709551616}"#,
            "sku_id",
        ] {
            assert_eq!(sku_id_member(value), browser(value), "{value}");
        }
    }

    fn split_pairs(q: &str) -> Vec<(&str, &str)> {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect()
    }

    proptest::proptest! {
        /// Any text of the characters that matter, and others (long enough for several words).
        #[test]
        fn raw_pairs_as_split_any(q in "[a=&%+ä.\u{26}\u{a6}\u{2626}]{0,40}") {
            proptest::prop_assert_eq!(raw_pairs(&q).collect::<Vec<_>>(), split_pairs(&q));
        }

        #[test]
        fn byte_found_as_position(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), at in proptest::collection::vec(0usize..40, 0..3), byte in proptest::prelude::any::<u8>()) {
            let mut bytes = bytes;
            for i in at {
                if i < bytes.len() {
                    bytes[i] = byte;
                }
            }
            proptest::prop_assert_eq!(find_byte(&bytes, byte), bytes.iter().position(|&b| b == byte));
        }
    }

    /// The same pairs as `split('&')`, empty pieces dropped, each `split_once('=')`.
    #[test]
    fn raw_pairs_as_split() {
        for q in [
            "",
            "&",
            "&&a",
            "a",
            "a=",
            "=a",
            "=",
            "a=1&b=2",
            "a=1=2&&b&c=&=d&",
            "spm=a.b&pdp_npi=4%40dis%21USD&x",
            "ä=ö&ü",
        ] {
            assert_eq!(raw_pairs(q).collect::<Vec<_>>(), split_pairs(q), "{q:?}");
        }
    }

    #[test]
    fn affiliate_params() {
        assert!(is_affiliate("aff_fcid", "x"));
        assert!(is_affiliate("AFF_TRACE_KEY", "x"));
        assert!(is_affiliate("tt", "CPS_NORMAL"));
        assert!(!is_affiliate("tt", "MG"));
        assert!(is_affiliate("utm_medium", "cpa"));
        assert!(!is_affiliate("utm_medium", "email"));
        assert!(!is_affiliate("spm", "a2g0o.productlist"));
        assert!(!is_affiliate("affirm", "x"));
    }

    #[test]
    fn sku_from_json() {
        assert_eq!(
            sku_from_pdp_ext(r#"{"sku_id":"12000028762257776","ship_from":"CN"}"#).as_deref(),
            Some("12000028762257776")
        );
        assert_eq!(
            sku_from_pdp_ext(r#"{"sku_id":12000028762257776}"#).as_deref(),
            Some("12000028762257776")
        );
        assert_eq!(sku_from_pdp_ext(r#"{"sku_id":"x"}"#), None);
        assert_eq!(sku_from_pdp_ext("sku_id:{"), None);
    }
}
