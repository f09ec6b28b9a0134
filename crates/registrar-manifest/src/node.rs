//! The located YAML tree: one file's text parsed into [`Node`]s that each know their line and
//! column, before anything is known about the manifest's shape.
//!
//! Parsing goes through serde-saphyr with a tight [`serde_saphyr::Budget`], so hostile input
//! (alias bombs, deep nesting, huge scalars, many documents) fails in bounded time and memory
//! with an error instead of a panic or an exhausted machine. The file size is capped before
//! parsing ([`MAX_FILE_BYTES`]). Duplicate mapping keys reach this tree (the parser's policy is
//! pass-through) so [`check_duplicate_keys`] can name both places.
//!
//! Scalars keep their source spelling: `version: 1.10` read into a string field stays `1.10`.

use std::collections::HashMap;

use registrar_model::Origin;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostics::Diagnostic;

/// The largest manifest file accepted, in bytes (8 MiB). A manifest of hundreds of applications
/// is a few hundred KiB; anything near this is a mistake or an attack.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The deepest nesting of mappings and sequences accepted. The manifest itself needs 8 levels.
pub(crate) const MAX_DEPTH: usize = 32;

/// The most nodes (scalars, mappings, sequences), counting those replayed by aliases.
pub(crate) const MAX_NODES: usize = 200_000;

/// One YAML node with its position (1-based line and column of where it is written; for an
/// alias, of the alias).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Whether `${…}` interpolation produced this scalar's text.
    pub(crate) interpolated: bool,
}

/// The kinds of YAML node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in document order.
    Map(Vec<(Node, Node)>),
}

/// A scalar: its text as the source spells it (for strings: the string), and what YAML's core
/// schema resolved it to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar {
    pub(crate) text: String,
    pub(crate) kind: ScalarKind,
}

/// What a scalar resolved to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ScalarKind {
    Str,
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
}

impl Node {
    pub(crate) fn origin(&self, file: &str) -> Origin {
        Origin {
            file: file.to_owned(),
            line: self.line,
            column: self.column,
        }
    }

    /// The text of a string scalar.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar {
                text,
                kind: ScalarKind::Str,
            }) => Some(text),
            _ => None,
        }
    }

    /// The text of any scalar (keys are compared by their spelling).
    pub(crate) fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub(crate) fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short description of the node's kind for messages: `a mapping`, `a string`, ...
    pub(crate) fn describe(&self) -> String {
        match &self.value {
            Value::Map(_) => "a mapping".to_owned(),
            Value::Seq(_) => "a list".to_owned(),
            Value::Scalar(scalar) => match scalar.kind {
                ScalarKind::Str => format!("the string `{}`", shorten(&scalar.text)),
                ScalarKind::Null => "null".to_owned(),
                ScalarKind::Bool(_) => format!("the boolean `{}`", scalar.text),
                ScalarKind::Int(_) => format!("the integer `{}`", scalar.text),
                ScalarKind::Float(_) => format!("the number `{}`", scalar.text),
            },
        }
    }
}

/// At most 40 characters of `text`, with `…` when cut.
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(39).collect();
        short.push('…');
        short
    }
}

/// Parses one file's text (one YAML document) into a located tree.
///
/// An empty document (nothing but comments or whitespace) is an error: every manifest file
/// declares at least `version` and `namespace`.
pub(crate) fn parse(text: &str, file: &str) -> Result<Node, Diagnostic> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: 4 * MAX_NODES,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_documents: 1,
            max_total_scalar_bytes: MAX_FILE_BYTES as usize,
            max_recorded_anchor_events: MAX_NODES,
            max_recorded_anchor_bytes: MAX_FILE_BYTES as usize,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_NODES,
            max_replay_stack_depth: MAX_DEPTH,
        },
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        with_snippet: false,
    };
    let whole_file = Origin {
        file: file.to_owned(),
        line: 0,
        column: 0,
    };
    if text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    }) {
        return Err(
            Diagnostic::error(whole_file, "the file is empty").with_hint(
                "a manifest declares at least `version: 1`, `namespace` and `applications`",
            ),
        );
    }
    let raw: Spanned<Raw> =
        serde_saphyr::from_str_with_options(text, options).map_err(|error| {
            let message = limit_message(&error).unwrap_or_else(|| {
                let message = serde_saphyr::MessageFormatter::format_message(
                    &serde_saphyr::UserMessageFormatter,
                    &error,
                );
                format!(
                    "invalid YAML: {}",
                    lower_first(message.trim_end_matches('.'))
                )
            });
            let origin = match error.location() {
                Some(location) if location.line() > 0 => Origin {
                    file: file.to_owned(),
                    line: location.line() as usize,
                    column: location.column() as usize,
                },
                _ => whole_file.clone(),
            };
            let line_text = text
                .lines()
                .nth(origin.line.saturating_sub(1))
                .unwrap_or_default();
            let hint = (line_text.contains('[') && line_text.contains('{')).then(|| {
                "inside `[…]`, quote values that contain `{` or `}`, e.g. `[\"api://{appId}\"]`"
                    .to_owned()
            });
            Diagnostic::error(origin, message).with_hint_opt(hint)
        })?;
    Ok(convert(raw, text))
}

/// Our words for the parser's limits, which its own messages describe in its terms.
fn limit_message(mut error: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach;
    while let serde_saphyr::Error::AliasError { error: inner, .. }
    | serde_saphyr::Error::WithSnippet { error: inner, .. } = error
    {
        error = inner;
    }
    let message = match error {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Documents { .. } => {
                "a manifest file holds one YAML document, and this one has more (`---`)".to_owned()
            }
            BudgetBreach::Depth { .. } => {
                format!("the YAML is nested deeper than {MAX_DEPTH} levels")
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => {
                "the YAML uses too many aliases (`*name`) for a manifest; is it an alias bomb?"
                    .to_owned()
            }
            _ => format!(
                "the YAML is too large or too complex for a manifest (at most {MAX_NODES} nodes)"
            ),
        },
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => {
            "the YAML's aliases (`*name`) expand to too much data; is it an alias bomb?".to_owned()
        }
        other if other.to_string().contains("recursion limit") => {
            format!("the YAML is nested deeper than {MAX_DEPTH} levels")
        }
        _ => return None,
    };
    Some(message)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !chars.as_str().starts_with(|c: char| c.is_uppercase()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// The value serde-saphyr hands over, before scalars get their source spelling back.
enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(i128::from(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Ok(i128::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

fn convert(raw: Spanned<Raw>, source: &str) -> Node {
    let line = raw.referenced.line() as usize;
    let column = raw.referenced.column() as usize;
    let spelled = || {
        let span = raw.defined.span();
        let start = span.byte_offset()? as usize;
        let len = span.byte_len()? as usize;
        source
            .get(start..start.checked_add(len)?)
            .map(str::to_owned)
    };
    let scalar = |kind: ScalarKind, fallback: String| {
        let text = spelled()
            .filter(|text| !text.is_empty())
            .unwrap_or(fallback);
        Value::Scalar(Scalar { text, kind })
    };
    let value = match raw.value {
        Raw::Null => Value::Scalar(Scalar {
            text: spelled().unwrap_or_default(),
            kind: ScalarKind::Null,
        }),
        Raw::Bool(v) => scalar(ScalarKind::Bool(v), v.to_string()),
        Raw::Int(v) => scalar(ScalarKind::Int(v), v.to_string()),
        Raw::Float(v) => scalar(ScalarKind::Float(v), v.to_string()),
        Raw::Str(text) => Value::Scalar(Scalar {
            text,
            kind: ScalarKind::Str,
        }),
        Raw::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| convert(item, source))
                .collect(),
        ),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (convert(key, source), convert(value, source)))
                .collect(),
        ),
    };
    Node {
        value,
        line,
        column,
        interpolated: false,
    }
}

/// Reports every mapping key written twice (naming the first place) and keeps only the first.
pub(crate) fn check_duplicate_keys(node: &mut Node, file: &str, errors: &mut Vec<Diagnostic>) {
    match &mut node.value {
        Value::Scalar(_) => {}
        Value::Seq(items) => {
            for item in items {
                check_duplicate_keys(item, file, errors);
            }
        }
        Value::Map(entries) => {
            let mut kept: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
            let mut first_seen: HashMap<String, (usize, usize)> =
                HashMap::with_capacity(entries.len());
            for (key, mut value) in std::mem::take(entries) {
                if let Some(text) = key.scalar_text() {
                    if let Some((line, column)) = first_seen.get(text) {
                        errors.push(
                            Diagnostic::error(
                                key.origin(file),
                                format!("duplicate key `{}`", shorten(text)),
                            )
                            .with_hint(format!("it is first defined at {line}:{column}")),
                        );
                        continue;
                    }
                    first_seen.insert(text.to_owned(), (key.line, key.column));
                }
                check_duplicate_keys(&mut value, file, errors);
                kept.push((key, value));
            }
            *entries = kept;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        parse(text, "m.yaml").expect("parses")
    }

    #[test]
    fn locations_and_spellings_are_kept() {
        let node = parse_ok("a: 1.10\nb:\n  - 'x'\n  - ~\nc: true\n");
        let entries = node.as_map().expect("map");
        assert_eq!(entries[0].1.scalar_text(), Some("1.10"));
        assert_eq!((entries[0].1.line, entries[0].1.column), (1, 4));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("seq")
        };
        assert_eq!(items[0].as_str(), Some("x"));
        assert_eq!((items[0].line, items[0].column), (3, 5));
        assert!(matches!(
            items[1].value,
            Value::Scalar(Scalar {
                kind: ScalarKind::Null,
                ..
            })
        ));
        assert!(matches!(
            entries[2].1.value,
            Value::Scalar(Scalar {
                kind: ScalarKind::Bool(true),
                ..
            })
        ));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let mut node = parse_ok("a: 1\nb: 2\na: 3\n");
        let mut errors = Vec::new();
        check_duplicate_keys(&mut node, "m.yaml", &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "error: m.yaml:3:1: duplicate key `a`\n  hint: it is first defined at 1:1"
        );
        assert_eq!(node.as_map().map(<[_]>::len), Some(2));
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("a: [1, 2\nb: 3\n", "m.yaml").expect_err("bad yaml");
        assert!(error.message.starts_with("invalid YAML"), "{error}");
        assert!(error.origin.line > 0, "{error}");
    }
}
