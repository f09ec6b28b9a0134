//! The JSON Schema of the manifest, generated from the Rust types so it cannot drift.
//!
//! Draft-07, which the VS Code YAML extension (yaml-language-server) and most editors read.
//! Descriptions come from the types' doc comments. The schema describes shape only (keys,
//! types, enums, the `version` and `namespace` patterns); the rules that need more context
//! (GUIDs, URIs, catalog names, durations) are the validator's, so an editor may accept a file
//! that `registrar validate` rejects, never the reverse. One exception: `${var.NAME}` in a boolean or
//! number field is valid for Registrar but shows as a type mismatch in an editor.

use schemars::generate::SchemaSettings;

use crate::types::Manifest;

/// The JSON Schema (draft-07) of manifest format version 1.
///
/// Point an editor at it with `# yaml-language-server: $schema=<path>/manifest.schema.json` on
/// the first line of a manifest; `registrar schema` prints it.
pub fn json_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Manifest>().to_value();
    unwrap_descriptions(&mut schema);
    schema
}

/// Doc comments are hard-wrapped; editors show a description as one paragraph, so single line
/// breaks become spaces (blank lines stay paragraph breaks).
fn unwrap_descriptions(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    serde_json::Value::String(text) if key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|paragraph| paragraph.replace('\n', " "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_descriptions(child),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}
