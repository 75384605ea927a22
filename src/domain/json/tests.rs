use super::*;
use proptest::prelude::*;

/// What this module stands in for: `serde_json`'s reading, in the same terms.
fn by_serde(text: &str) -> Option<Value> {
    fn convert(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.to_string()),
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(convert).collect()),
            serde_json::Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
            }
        }
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .as_ref()
        .map(convert)
}

/// Compares what both make of `text`: the same document or none, the same strings, and the
/// same whole numbers (`serde_json` writes other numbers its own way).
fn agree(text: &str) -> Result<(), String> {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(_), Value::Number(_)) => {
                a.as_i64() == b.as_i64() && a.as_u64_text() == b.as_u64_text()
            }
            (Value::List(x), Value::List(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (Value::Object(x), Value::Object(_)) => {
                // serde_json keeps one member per key, the last.
                x.iter()
                    .all(|(k, v)| same(a.get(k).unwrap_or(v), b.get(k).unwrap_or(&Value::Null)))
            }
            _ => a == b,
        }
    }
    match (parse(text), by_serde(text)) {
        (None, None) => Ok(()),
        (Some(a), Some(b)) if same(&a, &b) => Ok(()),
        (a, b) => Err(format!("{text}: {a:?} against serde_json's {b:?}")),
    }
}

#[test]
fn reads_documents_as_serde_json_does() {
    for text in [
        r#"{"sku_id":"12000028762257776","ship_from":"CN"}"#,
        r#" { "sku_id" : 12000028762257776 } "#,
        r#"{"sku_id":"1","sku_id":"2"}"#,
        r#"{"sku\u005fid":"\u0031\ud83d\ude00"}"#,
        "[-5, 1.0, 1e3, 18446744073709551616, true, false, null, {}, []]",
        r#"{"sku_id":"1",}"#,
        r#"{"sku_id":"1"} x"#,
        r#"{"sku_id":01}"#,
        r#"{"sku_id":"\ud83d"}"#,
        r#"{"sku_id":"\ude00"}"#,
        "{\"sku_id\":\"a\tb\"}",
        r#"{"sku_id":tru}"#,
        "\"text\"",
        "",
        "  ",
    ] {
        agree(text).unwrap();
    }
    assert_eq!(
        parse(r#"{"a":"1","a":"2"}"#).unwrap().get("a"),
        Some(&Value::Text("2".into()))
    );
}

#[test]
fn refuses_numbers_too_large_for_a_float_as_serde_json_does() {
    for number in [
        "1e308", "1.7976931348623157e308", "1.7976931348623158e308", "1.79769313486231580793e308",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977919e308",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977920e308",
        "2e308", "1e309", "-1e309", "0e99999999999999999999", "1e-99999999999999999999",
        "0.00000000000000000001e328", "0.00000000000000000001e329", "17976931348623158e292",
        "18446744073709551616", "99999999999999999999999",
    ] {
        agree(&format!("[{number}]")).unwrap();
    }
    assert_eq!(parse(&format!("1{}", "0".repeat(309))), None);
}

#[test]
fn nests_as_deep_as_serde_json() {
    for depth in 120..135 {
        agree(&format!(
            r#"{{"a":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        ))
        .unwrap();
        agree(&format!("{}1{}", "[".repeat(depth), "]".repeat(depth))).unwrap();
    }
}

#[test]
fn writes_strings_as_serde_json_does() {
    let all: String = (0u32..0x80)
        .filter_map(char::from_u32)
        .chain("é\u{2028}😀/".chars())
        .collect();
    for s in ["", "plain", "quote \" and \\ back", all.as_str()] {
        let mut out = String::new();
        write_text(&mut out, s);
        assert_eq!(out, serde_json::to_string(s).unwrap());
        assert_eq!(parse(&out), Some(Value::Text(s.to_string())));
    }
}

/// JSON values as text: scalars, escapes, nesting; the generator writes valid JSON, the test
/// then also cuts and alters it.
fn json_value() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        "[0-9]{1,22}",
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
        Just("true".to_string()),
        Just("null".to_string()),
        "\"([a-z0-9_ ]|\\\\[\"\\\\/bfnrt]|\\\\u00[0-7][0-9a-f]|\\\\ud83d\\\\ude00|é){0,12}\"",
    ];
    scalar.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("(sku_id|a|sku\\\\u005fid)", inner), 0..4).prop_map(|v| {
                let fields: Vec<String> = v
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\" : {v}"))
                    .collect();
                format!("{{ {} }}", fields.join(","))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn agrees_with_serde_json(value in json_value(), cut in 0usize..200, swap in any::<(usize, char)>()) {
        let text = format!(r#"{{"x":1,"sku_id":{value}}}"#);
        prop_assert!(agree(&text).is_ok(), "{}", agree(&text).unwrap_err());
        // Cut short, or one character changed: both refuse or both read the same.
        let cut_text: String = text.chars().take(cut).collect();
        prop_assert!(agree(&cut_text).is_ok(), "{}", agree(&cut_text).unwrap_err());
        let mut chars: Vec<char> = text.chars().collect();
        let at = swap.0 % chars.len();
        chars[at] = swap.1;
        let changed: String = chars.into_iter().collect();
        prop_assert!(agree(&changed).is_ok(), "{}", agree(&changed).unwrap_err());
    }
}
