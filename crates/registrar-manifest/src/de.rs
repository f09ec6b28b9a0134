//! A serde deserializer over the located tree ([`crate::node::Node`]) that keeps going.
//!
//! It differs from a plain YAML deserializer in three ways, all for better diagnostics:
//! - **Unknown keys do not stop it.** `deserialize_struct` knows the struct's field names, so
//!   it records every unknown key (with a "did you mean" hint) in the [`Ctx`] and hands the
//!   struct only the known ones; the types still say `deny_unknown_fields` for the schema.
//! - **Type errors name what was expected in manifest words** ("expected a list, found the
//!   string `x`") and carry the position of the offending node.
//! - **It fills [`Located`](registrar_model::Located)** values with the node's file, line and
//!   column.
//!
//! Where a harmless stand-in exists, a type error does not stop it either: an unknown enum value
//! reads as the first variant, a non-boolean as `false`, a non-list as an empty list. The error
//! is recorded in the [`Ctx`] with the node's position (the loader drops validation findings at
//! that exact position, which would only be about the stand-in). Any other type error ends the
//! value being deserialized; the loader deserializes each application on its own, so one bad
//! application does not hide another's errors.
//!
//! Empty (null) values read as empty lists, mappings and structs, so `secrets:` with every entry
//! commented out means no secrets.

use std::cell::RefCell;
use std::fmt;

use registrar_model::LOCATED_MARKER;
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::node::{Node, Scalar, ScalarKind, Value, shorten};

/// Shared by every [`NodeDe`] of one file: the file name, the errors recorded so far (unknown
/// keys, type errors given a stand-in) and the positions of the stand-ins.
pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a str,
    pub(crate) errors: RefCell<Vec<Diagnostic>>,
    pub(crate) stand_ins: RefCell<Vec<registrar_model::Origin>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(file: &'a str) -> Self {
        Self {
            file,
            errors: RefCell::new(Vec::new()),
            stand_ins: RefCell::new(Vec::new()),
        }
    }

    /// Records `error` about `node`, whose value is replaced by a stand-in.
    fn stand_in(&self, node: &Node, error: DeError) {
        let origin = node.origin(self.file);
        self.errors
            .borrow_mut()
            .push(Diagnostic::error(origin.clone(), error.message).with_hint_opt(error.hint));
        self.stand_ins.borrow_mut().push(origin);
    }
}

/// Deserializes `T` from `node`: the value, or the diagnostic of the first type error. Unknown
/// keys land in `ctx` either way.
pub(crate) fn from_node<'de, T: serde::Deserialize<'de>>(
    node: &Node,
    ctx: &Ctx<'_>,
) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, ctx }).map_err(|error| {
        let origin = match error.at {
            Some((line, column)) => registrar_model::Origin {
                file: ctx.file.to_owned(),
                line,
                column,
            },
            None => node.origin(ctx.file),
        };
        Diagnostic::error(origin, error.message).with_hint_opt(error.hint)
    })
}

/// A deserialization error: message, hint, and the position of the node it is about.
#[derive(Debug)]
pub(crate) struct DeError {
    message: String,
    hint: Option<String>,
    at: Option<(usize, usize)>,
}

impl DeError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            at: None,
        }
    }

    fn hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Sets the position unless an inner node already did.
    fn at(mut self, node: &Node) -> Self {
        self.at.get_or_insert((node.line, node.column));
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!("expected {expected}, found {unexpected}"))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!("invalid value {unexpected}: expected {expected}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!("`{variant}` is not one of {}", list(expected)))
            .hint(did_you_mean(variant, expected.iter().copied()))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(format!("missing required key `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::new(format!("duplicate key `{field}`"))
    }
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The deserializer for one node.
#[derive(Clone, Copy)]
pub(crate) struct NodeDe<'a> {
    node: &'a Node,
    ctx: &'a Ctx<'a>,
}

impl<'a> NodeDe<'a> {
    fn mismatch(&self, expected: &str) -> DeError {
        DeError::new(format!(
            "expected {expected}, found {}",
            self.node.describe()
        ))
        .at(self.node)
    }

    fn scalar(&self) -> Option<&'a Scalar> {
        match &self.node.value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(
            self.scalar(),
            Some(Scalar {
                kind: ScalarKind::Null,
                ..
            })
        )
    }

    fn integer(&self) -> Option<i128> {
        match self.scalar()? {
            Scalar {
                kind: ScalarKind::Int(value),
                ..
            } => Some(*value),
            Scalar {
                kind: ScalarKind::Str,
                text,
            } if self.node.interpolated => text.trim().parse().ok(),
            _ => None,
        }
    }

    fn visit_integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self
            .integer()
            .ok_or_else(|| self.mismatch("a whole number"))?;
        let result = match (i64::try_from(value), u64::try_from(value)) {
            (Ok(value), _) => visitor.visit_i64::<DeError>(value),
            (_, Ok(value)) => visitor.visit_u64::<DeError>(value),
            _ => visitor.visit_i128::<DeError>(value),
        };
        result.map_err(|error| error.at(self.node))
    }

    fn visit_entries<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        keep: Option<&'static [&'static str]>,
    ) -> Result<V::Value, DeError> {
        let entries: &'a [(Node, Node)] = match &self.node.value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        let mut kept: Vec<&'a (Node, Node)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(fields) = keep else {
                kept.push(entry);
                continue;
            };
            let key = entry.0.scalar_text().unwrap_or_default();
            if fields.contains(&key) {
                kept.push(entry);
                continue;
            }
            let hint = did_you_mean(key, fields.iter().copied()).or_else(|| {
                (!fields.is_empty() && fields.len() <= 12)
                    .then(|| format!("the keys allowed here are {}", list(fields)))
            });
            self.ctx.errors.borrow_mut().push(
                Diagnostic::error(
                    entry.0.origin(self.ctx.file),
                    format!("unknown key `{}`", shorten(key)),
                )
                .with_hint_opt(hint),
            );
        }
        let access = MapDe {
            entries: kept.into_iter(),
            value: None,
            ctx: self.ctx,
        };
        visitor
            .visit_map(access)
            .map_err(|error| error.at(self.node))
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::Map(_) => return self.visit_entries(visitor, None),
            Value::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                ctx: self.ctx,
            }),
            Value::Scalar(scalar) => match scalar.kind {
                ScalarKind::Str => visitor.visit_str::<DeError>(&scalar.text),
                ScalarKind::Null => visitor.visit_unit::<DeError>(),
                ScalarKind::Bool(value) => visitor.visit_bool::<DeError>(value),
                ScalarKind::Int(_) => return self.visit_integer(visitor),
                ScalarKind::Float(value) => visitor.visit_f64::<DeError>(value),
            },
        };
        result.map_err(|error| error.at(self.node))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = match self.scalar() {
            Some(Scalar {
                kind: ScalarKind::Bool(value),
                ..
            }) => Some(*value),
            Some(Scalar {
                kind: ScalarKind::Str,
                text,
            }) if self.node.interpolated => match text.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        let value = value.unwrap_or_else(|| {
            self.ctx
                .stand_in(self.node, self.mismatch("`true` or `false`"));
            false
        });
        visitor
            .visit_bool::<DeError>(value)
            .map_err(|error| error.at(self.node))
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = match self.scalar() {
            Some(Scalar {
                kind: ScalarKind::Float(value),
                ..
            }) => Some(*value),
            Some(Scalar {
                kind: ScalarKind::Int(value),
                ..
            }) => Some(*value as f64),
            _ => None,
        };
        let value = value.ok_or_else(|| self.mismatch("a number"))?;
        visitor
            .visit_f64::<DeError>(value)
            .map_err(|error| error.at(self.node))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some(Scalar {
                kind: ScalarKind::Null,
                ..
            })
            | None => Err(self.mismatch("a string")),
            Some(scalar) => visitor
                .visit_str::<DeError>(&scalar.text)
                .map_err(|error| error.at(self.node)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.mismatch("nothing"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED_MARKER {
            let parts = LocatedParts {
                node: self.node,
                ctx: self.ctx,
                next: 0,
            };
            return visitor
                .visit_seq(parts)
                .map_err(|error| error.at(self.node));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items: &'a [Node] = match &self.node.value {
            Value::Seq(items) => items,
            _ if self.is_null() => &[],
            _ => {
                self.ctx.stand_in(self.node, self.mismatch("a list"));
                &[]
            }
        };
        visitor
            .visit_seq(SeqDe {
                items: items.iter(),
                ctx: self.ctx,
            })
            .map_err(|error| error.at(self.node))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if !matches!(self.node.value, Value::Map(_)) && !self.is_null() {
            return Err(self.mismatch("a mapping"));
        }
        self.visit_entries(visitor, None)
    }

    /// Also takes a boolean, for types that are `false` or a mapping (`servicePrincipal`): the
    /// visitor decides whether it accepts one.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(_) => self.visit_entries(visitor, Some(fields)),
            _ if self.is_null() => self.visit_entries(visitor, Some(fields)),
            Value::Scalar(Scalar {
                kind: ScalarKind::Bool(value),
                ..
            }) => visitor
                .visit_bool::<DeError>(*value)
                .map_err(|_| self.mismatch("a mapping")),
            _ => Err(self.mismatch("a mapping")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut text = match self.scalar() {
            Some(Scalar {
                kind: ScalarKind::Null,
                ..
            })
            | None => {
                self.ctx.stand_in(
                    self.node,
                    self.mismatch(&format!("one of {}", list(variants))),
                );
                variants.first().copied().unwrap_or_default()
            }
            Some(scalar) => scalar.text.as_str(),
        };
        if !variants.contains(&text) {
            let error = DeError::new(format!(
                "`{}` is not one of {}",
                shorten(text),
                list(variants)
            ))
            .hint(did_you_mean(text, variants.iter().copied()));
            self.ctx.stand_in(self.node, error);
            text = variants.first().copied().unwrap_or_default();
        }
        visitor
            .visit_enum(IntoDeserializer::<DeError>::into_deserializer(text))
            .map_err(|error| error.at(self.node))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    ctx: &'a Ctx<'a>,
}

impl<'de, 'a> SeqAccess<'de> for SeqDe<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDe {
                    node,
                    ctx: self.ctx,
                })
                .map(Some)
                .map_err(|error| error.at(node)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::vec::IntoIter<&'a (Node, Node)>,
    value: Option<&'a Node>,
    ctx: &'a Ctx<'a>,
}

impl<'de, 'a> MapAccess<'de> for MapDe<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(NodeDe {
                    node: key,
                    ctx: self.ctx,
                })
                .map(Some)
                .map_err(|error| error.at(key))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| DeError::new("internal: value before key"))?;
        seed.deserialize(NodeDe {
            node,
            ctx: self.ctx,
        })
        .map_err(|error| error.at(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// The `(file, line, column, value)` sequence a [`registrar_model::Located`] reads.
struct LocatedParts<'a> {
    node: &'a Node,
    ctx: &'a Ctx<'a>,
    next: u8,
}

impl<'de, 'a> SeqAccess<'de> for LocatedParts<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let part = self.next;
        self.next += 1;
        let value = match part {
            0 => seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(
                self.ctx.file,
            ))?,
            1 => seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(
                self.node.line as u64,
            ))?,
            2 => seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(
                self.node.column as u64,
            ))?,
            3 => seed.deserialize(NodeDe {
                node: self.node,
                ctx: self.ctx,
            })?,
            _ => return Ok(None),
        };
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use registrar_model::Located;

    use super::*;
    use crate::named_map::NamedMap;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)] // fields are read through Debug and deserialization only
    struct Web {
        #[serde(default)]
        redirect_uris: Vec<Located<String>>,
        #[serde(default)]
        home_page_url: Option<Located<String>>,
        #[serde(default)]
        enabled: bool,
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        apps: NamedMap<Option<String>>,
    }

    fn run(yaml: &str) -> (Result<Web, Diagnostic>, Vec<Diagnostic>) {
        let node = crate::node::parse(yaml, "m.yaml").expect("yaml");
        let ctx = Ctx::new("m.yaml");
        let result = from_node::<Web>(&node, &ctx);
        (result, ctx.errors.into_inner())
    }

    #[test]
    fn unknown_keys_are_collected_and_the_rest_deserializes() {
        let (web, unknown) = run("redirectUri: [x]\nhomePageUrl: https://a\nfoo: 1\n");
        let web = web.expect("deserializes");
        assert_eq!(
            web.home_page_url.expect("url").origin.to_string(),
            "m.yaml:2:14"
        );
        let unknown: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            unknown[0],
            "error: m.yaml:1:1: unknown key `redirectUri`\n  hint: did you mean `redirectUris`?"
        );
        assert!(unknown[1].starts_with(
            "error: m.yaml:3:1: unknown key `foo`\n  hint: the keys allowed here are `redirectUris`"
        ));
    }

    #[test]
    fn type_errors_are_located_and_worded() {
        let (web, errors) = run("redirectUris: https://a\nenabled: yes\n");
        assert!(web.is_ok(), "stand-ins keep going");
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "error: m.yaml:1:15: expected a list, found the string `https://a`",
                "error: m.yaml:2:10: expected `true` or `false`, found the string `yes`"
            ]
        );
        let (web, _) = run("count: -1\n");
        assert!(
            web.expect_err("range")
                .to_string()
                .starts_with("error: m.yaml:1:8: ")
        );
    }

    #[test]
    fn named_maps_keep_order_and_places() {
        let (web, _) = run("apps:\n  b: x\n  a:\n");
        let web = web.expect("ok");
        let keys: Vec<String> = web
            .apps
            .iter()
            .map(|(key, _)| format!("{}@{}", key.value, key.origin))
            .collect();
        assert_eq!(keys, ["b@m.yaml:2:3", "a@m.yaml:3:3"]);
    }
}
