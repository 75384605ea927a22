//! Query parameters: which carry meaning for the page, which are other webmasters' affiliate ids,
//! and which are tracking junk. Everything that is not kept is removed and reported.

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

/// True when the parameter is an affiliate network's tracking (another webmaster's id).
pub fn is_affiliate(name: &str, value: &str) -> bool {
    let lower_prefix = |p: &str| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p);
    if lower_prefix("aff_") {
        return true;
    }
    if AFFILIATE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return true;
    }
    // tt=CPS_NORMAL and its kin: the affiliate channel's traffic type.
    if name.eq_ignore_ascii_case("tt") {
        return value.len() >= 3 && value[..3].eq_ignore_ascii_case("cps");
    }
    if name.eq_ignore_ascii_case("utm_medium") {
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
    let json: serde_json::Value = serde_json::from_str(value).ok()?;
    let sku = match json.get("sku_id")? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
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
