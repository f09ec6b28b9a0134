//! Every JSON plan a CLI test prints is checked against `schema/plan.schema.json`, the schema
//! docs/plan-json.md documents.

use std::sync::OnceLock;

use serde_json::Value;

use crate::harness::workspace_root;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = workspace_root().join("schema/plan.schema.json");
        let text = std::fs::read_to_string(&path).expect("schema/plan.schema.json is readable");
        let schema: Value = serde_json::from_str(&text).expect("the plan schema is JSON");
        jsonschema::draft202012::new(&schema).expect("the plan schema compiles")
    })
}

/// Parses `stdout` as one JSON plan, checks it against the schema and returns it.
#[track_caller]
pub(crate) fn valid_plan_json(stdout: &str) -> Value {
    let document: Value = serde_json::from_str(stdout).expect("only a JSON plan on stdout");
    let errors: Vec<String> = validator()
        .iter_errors(&document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON plan does not match schema/plan.schema.json:\n{}\n{stdout}",
        errors.join("\n")
    );
    document
}
