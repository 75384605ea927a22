//! Query parameters: which carry meaning for the page, which are other webmasters' affiliate ids,
//! and which are tracking junk. Everything that is not kept is removed and reported.

use std::borrow::Cow;

/// The `name=value` pairs of a raw query, undecoded (most values are never needed decoded).
pub fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Decodes one form-encoded component (`+` is a space); borrows when there is nothing to decode.
pub fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
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
    let json = crate::domain::json::parse(value)?;
    let sku = json.get("sku_id")?;
    let sku = sku.as_text().or_else(|| sku.as_u64_text())?.to_string();
    valid_sku(&sku).then_some(sku)
}

#[cfg(test)]
mod tests {
    use super::*;

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
