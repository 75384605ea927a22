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
mod tests;
