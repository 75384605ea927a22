//! serde's `Deserialize` read from this module's [`Value`]: what the page decodes (the server's
//! answers, the programme, shared results) without `serde_json`'s deserializer, whose number
//! parsing brings the standard library's float tables into the page's first bundle.
//!
//! It reads what `serde_json` reads, into the same values: numbers as unsigned, signed or float as
//! `serde_json` gives them to a visitor (floats by [`crate::domain::number::read_float`]), strings,
//! lists and objects in order, enums as a string or a one-member object, `null` as `None`. Its
//! error says only that the text was not the value expected: the page has nothing to tell a reader
//! about a server's answer it cannot read, and writing serde's messages would bring their
//! formatting into the bundle.

use serde::de::{
    self, value::StringDeserializer, DeserializeOwned, DeserializeSeed, EnumAccess, Expected,
    IntoDeserializer, MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use std::fmt;

use super::{parse, Value};
use crate::domain::number::read_float;

/// `text` as a `T`: the JSON document read by [`parse`], then `T`'s `Deserialize`.
///
/// # Errors
/// [`NotTheValue`] when `text` is not one JSON document, or not one of a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, NotTheValue> {
    T::deserialize(parse(text).ok_or(NotTheValue)?)
}

/// [`from_str`] on bytes, which must be UTF-8.
///
/// # Errors
/// [`NotTheValue`] when `bytes` are not UTF-8, or [`from_str`] refuses them.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, NotTheValue> {
    from_str(std::str::from_utf8(bytes).map_err(|_| NotTheValue)?)
}

/// A JSON text that is not the value expected (not JSON, or another shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotTheValue;

impl fmt::Display for NotTheValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the answer is not the JSON expected (a page and a server of different versions?)",
        )
    }
}

impl std::error::Error for NotTheValue {}

// Every constructor drops its details: none of serde's messages is ever formatted.
impl de::Error for NotTheValue {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotTheValue
    }
    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        NotTheValue
    }
    fn invalid_value(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        NotTheValue
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        NotTheValue
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        NotTheValue
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        NotTheValue
    }
    fn missing_field(_: &'static str) -> Self {
        NotTheValue
    }
    fn duplicate_field(_: &'static str) -> Self {
        NotTheValue
    }
}

/// A number's text given to `visitor` as `serde_json` gives it: a whole number as `u64` or `i64`
/// where it fits (`-0` excepted, a float), anything else as the nearest float.
fn visit_number<'de, V: Visitor<'de>>(text: &str, visitor: V) -> Result<V::Value, NotTheValue> {
    let whole = !text.contains(['.', 'e', 'E']);
    if whole {
        if let Some(digits) = text.strip_prefix('-') {
            if digits != "0" {
                if let Ok(n) = text.parse::<i64>() {
                    return visitor.visit_i64(n);
                }
            }
        } else if let Ok(n) = text.parse::<u64>() {
            return visitor.visit_u64(n);
        }
    }
    visitor.visit_f64(read_float(text).ok_or(NotTheValue)?)
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = NotTheValue;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTheValue> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(&n, visitor),
            Value::Text(s) => visitor.visit_string(s),
            Value::List(items) => {
                let mut seq = Items(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                match seq.0.next() {
                    None => Ok(value),
                    Some(_) => Err(NotTheValue),
                }
            }
            Value::Object(members) => {
                let mut map = Members {
                    members: members.into_iter(),
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                match map.members.next() {
                    None => Ok(value),
                    Some(_) => Err(NotTheValue),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTheValue> {
        match self {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(value),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTheValue> {
        match self {
            Value::Null => visitor.visit_unit(),
            _ => Err(NotTheValue),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotTheValue> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotTheValue> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotTheValue> {
        match self {
            Value::Text(variant) => visitor.visit_enum(Variant {
                name: variant,
                value: None,
            }),
            Value::Object(members) if members.len() == 1 => {
                let (name, value) = members.into_iter().next().ok_or(NotTheValue)?;
                visitor.visit_enum(Variant {
                    name,
                    value: Some(value),
                })
            }
            _ => Err(NotTheValue),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTheValue> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf seq tuple tuple_struct map struct identifier
    }
}

impl IntoDeserializer<'_, NotTheValue> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

/// A list's items, one at a time.
struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = NotTheValue;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, NotTheValue> {
        self.0.next().map(|v| seed.deserialize(v)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// An object's members in order.
struct Members {
    members: std::vec::IntoIter<(String, Value)>,
    /// The value of the key just given.
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Members {
    type Error = NotTheValue;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, NotTheValue> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: StringDeserializer<NotTheValue> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, NotTheValue> {
        seed.deserialize(self.value.take().ok_or(NotTheValue)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// An enum's variant: its name, and its content when written as `{"name": content}`.
struct Variant {
    name: String,
    value: Option<Value>,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = NotTheValue;
    type Variant = Content;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Content), NotTheValue> {
        let name: StringDeserializer<NotTheValue> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, Content(self.value)))
    }
}

/// A variant's content, if it has one.
struct Content(Option<Value>);

impl<'de> VariantAccess<'de> for Content {
    type Error = NotTheValue;

    fn unit_variant(self) -> Result<(), NotTheValue> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(NotTheValue),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, NotTheValue> {
        seed.deserialize(self.0.ok_or(NotTheValue)?)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, NotTheValue> {
        match self.0 {
            Some(value @ Value::List(_)) => de::Deserializer::deserialize_any(value, visitor),
            _ => Err(NotTheValue),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotTheValue> {
        match self.0 {
            Some(value @ Value::Object(_)) => de::Deserializer::deserialize_any(value, visitor),
            _ => Err(NotTheValue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(u32),
        Pair(i8, String),
        Named { x: f64 },
    }

    #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
    #[serde(untagged)]
    enum Either {
        Number { n: f64 },
        Text { text: String, kind: Kind },
    }

    #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
    #[serde(tag = "type")]
    enum Tagged {
        A { a: u8 },
        B,
    }

    #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
    struct Doc {
        id: u64,
        delta: i64,
        rate: Option<f64>,
        name: String,
        kinds: Vec<Kind>,
        either: Vec<Either>,
        tagged: Vec<Tagged>,
        map: BTreeMap<String, bool>,
        #[serde(default)]
        missing: Vec<u8>,
        unit: (),
        tuple: (u8, String),
        ch: char,
    }

    /// What this reader stands in for: serde_json's, on the same text.
    fn both<T: DeserializeOwned + PartialEq + fmt::Debug>(text: &str) {
        let ours = from_str::<T>(text).ok();
        let theirs = serde_json::from_str::<T>(text).ok();
        assert_eq!(ours, theirs, "{text}");
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"id":18446744073709551615,"delta":-9223372036854775808,"rate":12.5,
            "name":"a\"b\u00e9","kinds":["plain",{"wrapped":7},{"pair":[-1,"x"]},{"named":{"x":0.1}}],
            "either":[{"n":3},{"text":"t","kind":"plain"},{"n":-0}],
            "tagged":[{"type":"A","a":1},{"type":"B"}],
            "map":{"b":true,"a":false},"unit":null,"tuple":[1,"y"],"ch":"é","extra":[1,{"z":null}]}"#;
        let doc: Doc = from_str(text).unwrap();
        assert_eq!(doc.kinds[3], Kind::Named { x: 0.1 });
        assert!(matches!(doc.either[2], Either::Number { n } if n == 0.0 && n.is_sign_negative()));
        both::<Doc>(text);
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            r#"{"id":-1}"#,
            r#"{"id":1.5}"#,
            r#"{"id":1,"id":2}"#,
            r#"{"kinds":["other"]}"#,
            r#"{"kinds":[{"plain":1,"wrapped":2}]}"#,
            "[1,2",
            r#"{"tuple":[1,"y",3]}"#,
            r#"{"ch":"ab"}"#,
            "",
            "nul",
        ] {
            both::<Doc>(text);
            assert_eq!(from_str::<Doc>(text), Err(NotTheValue), "{text}");
        }
        both::<u8>("256");
        both::<i8>("-129");
        both::<Option<u8>>("null");
        both::<Vec<f64>>("[1,-2,3.5,1e2,-0,18446744073709551616,-9223372036854775809]");
        both::<(u8,)>("[1]");
        both::<Kind>(r#""plain""#);
        both::<Kind>(r#"{"plain":null}"#);
    }

    use crate::domain::{
        check::{CheckFailure, CheckOptions, Context, Detection, Outcome, StatusSource},
        country::Country,
        date::{Date, Timestamp},
        link::normalize,
        messages::Explain,
        rates::{Amount, Lang, Programme, Status},
    };
    use proptest::prelude::*;

    /// The answers the server gives for the sample links: every field a check fills in.
    fn outcomes(
        status: Status,
        exact: Option<f64>,
        hot: Option<f64>,
        cents: Option<u64>,
    ) -> Vec<Outcome> {
        let programme = Programme::embedded().unwrap();
        let sample: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/data/links-sample.json")).unwrap();
        let context = Context {
            programme: &programme,
            template: None,
            date: Date::new(2026, 11, 30).unwrap(),
            now: Timestamp::default(),
            lang: Lang::Ru,
        };
        let options = CheckOptions {
            country: Country::parse("BR").unwrap(),
            amount: cents.map(Amount::from_cents),
            sub: None,
            template: None,
        };
        sample["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let input = row["input"].as_str().unwrap();
                match normalize(input) {
                    Ok(link) => {
                        let found = Detection {
                            status,
                            source: StatusSource::None,
                            exact_percent: exact,
                            hot_percent: hot,
                            ..Detection::unknown()
                        };
                        Outcome::Checked(Box::new(context.assemble(input, link, found, &options)))
                    }
                    Err(e) => Outcome::Failed(CheckFailure {
                        input: input.to_string(),
                        error: e.problem(Lang::Ru),
                    }),
                }
            })
            .collect()
    }

    #[test]
    fn reads_the_programme_as_written() {
        let programme = Programme::embedded().unwrap();
        let text = serde_json::to_string(&programme).unwrap();
        assert_eq!(from_str::<Programme>(&text), Ok(programme));
    }

    #[test]
    fn reads_the_answers_as_written() {
        let list = outcomes(Status::Affiliate, Some(7.0), None, Some(12_345));
        assert!(list.iter().any(|o| matches!(o, Outcome::Failed(_))));
        assert!(list.iter().any(|o| matches!(o, Outcome::Checked(_))));
        let text = serde_json::to_string(&list).unwrap();
        assert_eq!(from_str::<Vec<Outcome>>(&text), Ok(list));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any rate a source reports and any amount: the answers read back as they were.
        #[test]
        fn answers_read_back(
            status in prop::sample::select(Status::ALL.to_vec()),
            exact in prop::option::of(0.0f64..100.0),
            hot in prop::option::of(0.0f64..100.0),
            cents in prop::option::of(0u64..100_000_000),
        ) {
            let list = outcomes(status, exact, hot, cents);
            let text = serde_json::to_string(&list).unwrap();
            prop_assert_eq!(from_str::<Vec<Outcome>>(&text), Ok(list));
        }
    }

    #[test]
    fn its_message_says_what_happened() {
        assert!(NotTheValue.to_string().contains("not the JSON expected"));
        assert_eq!(from_slice::<u8>(b"\xff"), Err(NotTheValue));
    }
}
