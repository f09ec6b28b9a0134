//! Where each value of one manifest file is written, looked up by its key path
//! (`["applications", "hello-web", "web", "redirectUris", "0"]`), with the scalar's spelling in
//! the source (before `${var.…}` interpolation, so a caller that quotes it shows no variable's
//! value).
//!
//! For tools that check a loaded manifest and must point at the place a value comes from
//! (`registrar lint`): the desired state keeps origins only where plan-time errors need them.
//! The text is parsed by the same bounded parser as a load; this module reads nothing itself.

use std::collections::HashMap;

use registrar_model::Origin;

use crate::node::{self, Node, Value};

/// The positions of one file's values by key path.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Where the key of a mapping entry is written; a list item's is its value's.
    key: Origin,
    /// Where the value is written.
    value: Origin,
    /// The scalar's source spelling, for a scalar.
    text: Option<String>,
}

/// Joins path segments; the separator cannot occur in YAML keys a manifest accepts.
const SEPARATOR: char = '\u{1f}';

fn joined(path: &[&str]) -> String {
    let mut key = String::new();
    for (index, segment) in path.iter().enumerate() {
        if index > 0 {
            key.push(SEPARATOR);
        }
        key.push_str(segment);
    }
    key
}

impl Positions {
    /// Parses `text`, shown as `file` in origins. `None` when it is not YAML the loader
    /// accepts (a loaded manifest always is).
    pub fn parse(text: &str, file: &str) -> Option<Self> {
        let root = node::parse(text, file).ok()?;
        let mut positions = Self::default();
        let mut path = Vec::new();
        positions.walk(&root, file, &mut path);
        Some(positions)
    }

    fn walk(&mut self, node: &Node, file: &str, path: &mut Vec<String>) {
        match &node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(index.to_string());
                    self.insert(path, item.origin(file), item, file);
                    self.walk(item, file, path);
                    path.pop();
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries {
                    let Some(name) = key.scalar_text() else {
                        continue;
                    };
                    path.push(name.to_owned());
                    self.insert(path, key.origin(file), value, file);
                    self.walk(value, file, path);
                    path.pop();
                }
            }
        }
    }

    fn insert(&mut self, path: &[String], key: Origin, value: &Node, file: &str) {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        // The first of duplicate keys wins, as the loader reports the second.
        self.entries.entry(joined(&segments)).or_insert(Entry {
            key,
            value: value.origin(file),
            text: value.scalar_text().map(str::to_owned),
        });
    }

    /// Where the value at `path` is written.
    pub fn value(&self, path: &[&str]) -> Option<&Origin> {
        self.entries.get(&joined(path)).map(|entry| &entry.value)
    }

    /// Where the key at `path` is written (for a list item, its value).
    pub fn key(&self, path: &[&str]) -> Option<&Origin> {
        self.entries.get(&joined(path)).map(|entry| &entry.key)
    }

    /// The source spelling of the scalar at `path`.
    pub fn text(&self, path: &[&str]) -> Option<&str> {
        self.entries
            .get(&joined(path))
            .and_then(|entry| entry.text.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keys_and_spellings_by_path() {
        let text = "version: 1\nnamespace: demo\napplications:\n  web:\n    web:\n      redirectUris:\n        - https://a.example/cb\n        - ${var.URI}\n";
        let positions = Positions::parse(text, "m.yaml").expect("parses");
        let second = ["applications", "web", "web", "redirectUris", "1"];
        assert_eq!(positions.text(&second), Some("${var.URI}"));
        assert_eq!(
            positions.value(&second).map(ToString::to_string),
            Some("m.yaml:8:11".to_owned())
        );
        assert_eq!(
            positions
                .key(&["applications", "web"])
                .map(ToString::to_string),
            Some("m.yaml:4:3".to_owned())
        );
        assert!(positions.value(&["applications", "nope"]).is_none());
        assert!(Positions::parse("a: [", "m.yaml").is_none());
    }
}
