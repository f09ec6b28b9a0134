//! [`Spanned<T>`]: a manifest value with the file, line and column it was written at, and
//! [`NamedMap<T>`]: a mapping keyed by name that keeps document order and each key's place.
//!
//! Both deserialize through this crate's located-tree deserializer (`de`), which recognises
//! [`Spanned`] by a private newtype name and hands over the position. Through any other
//! deserializer a `Spanned` gets a default (empty) origin. Their JSON Schema is their
//! content's: the wrapper is invisible to editors.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use registrar_model::{Located, Origin};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The newtype name by which the located-tree deserializer recognises [`Spanned`].
pub(crate) const SPANNED_MARKER: &str = "$__registrar_manifest_spanned";

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written (for a mapping key, the key; for a value, the value).
    pub origin: Origin,
}

impl<T> Spanned<T> {
    /// The value, located, as `registrar-model` carries it.
    pub fn located(&self) -> Located<T>
    where
        T: Clone,
    {
        Located::new(self.value.clone(), self.origin.clone())
    }
}

impl Spanned<String> {
    /// The string.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(SPANNED_MARKER, SpannedVisitor(PhantomData))
    }
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a located value")
    }

    /// The located-tree deserializer sends `(file, line, column, value)`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let missing = || de::Error::custom("internal: incomplete located value");
        let file: String = seq.next_element()?.ok_or_else(missing)?;
        let line: usize = seq.next_element()?.ok_or_else(missing)?;
        let column: usize = seq.next_element()?.ok_or_else(missing)?;
        let value: T = seq.next_element()?.ok_or_else(missing)?;
        Ok(Spanned {
            value,
            origin: Origin { file, line, column },
        })
    }

    /// Any other deserializer: the value without a position.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        Ok(Spanned {
            value: T::deserialize(deserializer)?,
            origin: Origin::default(),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A mapping keyed by name (applications, scopes, secrets, ...), in document order, each key
/// with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMap<T>(pub Vec<(Spanned<String>, T)>);

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> NamedMap<T> {
    /// The entries in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &T)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0
            .iter()
            .find(|(key, _)| key.value == name)
            .map(|(_, value)| value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NamedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(NamedMapVisitor(PhantomData))
    }
}

struct NamedMapVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for NamedMapVisitor<T> {
    type Value = NamedMap<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping keyed by name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(NamedMap(entries))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(NamedMap::default())
    }
}

impl<T: JsonSchema> JsonSchema for NamedMap<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("NamedMap_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<T>();
        json_schema!({
            "type": "object",
            "additionalProperties": values,
        })
    }
}
