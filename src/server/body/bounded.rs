//! The bounded deserializer: every value read passes through [`BoundedVisitor`], which stops a
//! list at its bound plus one and refuses a string over its bound before the string is made.

use super::*;

// --- The bounded deserializer -------------------------------------------------------------------

/// A deserializer that passes every value it reads through [`BoundedVisitor`].
pub(super) struct Bounded<'a, D> {
    pub(super) inner: D,
    pub(super) bounds: Bounds,
    pub(super) hit: &'a Cell<Option<BodyProblem>>,
}

impl<'a, D> Bounded<'a, D> {
    fn wrap<V>(&self, inner: V) -> BoundedVisitor<'a, V> {
        BoundedVisitor {
            inner,
            bounds: self.bounds,
            hit: self.hit,
        }
    }
}

macro_rules! forward {
    ($($method:ident),*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                let visitor = self.wrap(visitor);
                self.inner.$method(visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Bounded<'_, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.inner.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Checks each string against its bound and passes lists, maps, options and enums on through
/// the bounded wrappers.
pub(super) struct BoundedVisitor<'a, V> {
    inner: V,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<V> BoundedVisitor<'_, V> {
    fn check_len<E: de::Error>(&self, len: usize) -> Result<(), E> {
        if len > self.bounds.max_string {
            self.hit.set(Some(BodyProblem::TooLong {
                max: self.bounds.max_string,
                len,
            }));
            return Err(E::custom("a string over its bound"));
        }
        Ok(())
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for BoundedVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.inner.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.inner.visit_i64(v)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<V::Value, E> {
        self.inner.visit_i128(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.inner.visit_u64(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<V::Value, E> {
        self.inner.visit_u128(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.inner.visit_f64(v)
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<V::Value, E> {
        self.inner.visit_char(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_str(v)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_borrowed_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_string(v)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_bytes(v)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_borrowed_bytes(v)
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.check_len(v.len())?;
        self.inner.visit_byte_buf(v)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Bounded {
            inner: d,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Bounded {
            inner: d,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(BoundedSeq {
            inner: seq,
            count: 0,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(BoundedMap {
            inner: map,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(BoundedEnum {
            inner: data,
            bounds: self.bounds,
            hit: self.hit,
        })
    }
}

/// A seed whose value is read through the bounded deserializer.
pub(super) struct BoundedSeed<'a, S> {
    inner: S,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for BoundedSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Bounded {
            inner: d,
            bounds: self.bounds,
            hit: self.hit,
        })
    }
}

/// A list that ends in an error at its bound plus one item.
pub(super) struct BoundedSeq<'a, A> {
    inner: A,
    count: usize,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for BoundedSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        if self.count >= self.bounds.max_items {
            // One more item would be over the bound: is there one? (Skipped, never kept.)
            if self.inner.next_element::<IgnoredAny>()?.is_none() {
                return Ok(None);
            }
            self.hit.set(Some(BodyProblem::TooManyItems {
                max: self.bounds.max_items,
                items: self.bounds.items,
            }));
            return Err(de::Error::custom("a list over its bound"));
        }
        self.count += 1;
        self.inner.next_element_seed(BoundedSeed {
            inner: seed,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint().map(|n| n.min(self.bounds.max_items))
    }
}

/// A map (an object) whose keys and values are read through the bounded deserializer. Its
/// entries are not counted: objects are read into typed requests only, whose unknown fields are
/// skipped without being kept.
pub(super) struct BoundedMap<'a, A> {
    inner: A,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for BoundedMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(BoundedSeed {
            inner: seed,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(BoundedSeed {
            inner: seed,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

pub(super) struct BoundedEnum<'a, A> {
    inner: A,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<'a, 'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for BoundedEnum<'a, A> {
    type Error = A::Error;
    type Variant = BoundedVariant<'a, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(BoundedSeed {
            inner: seed,
            bounds: self.bounds,
            hit: self.hit,
        })?;
        Ok((
            value,
            BoundedVariant {
                inner: variant,
                bounds: self.bounds,
                hit: self.hit,
            },
        ))
    }
}

pub(super) struct BoundedVariant<'a, A> {
    inner: A,
    bounds: Bounds,
    hit: &'a Cell<Option<BodyProblem>>,
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for BoundedVariant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(BoundedSeed {
            inner: seed,
            bounds: self.bounds,
            hit: self.hit,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            BoundedVisitor {
                inner: visitor,
                bounds: self.bounds,
                hit: self.hit,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            BoundedVisitor {
                inner: visitor,
                bounds: self.bounds,
                hit: self.hit,
            },
        )
    }
}
