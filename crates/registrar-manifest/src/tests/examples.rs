//! The worked examples load, and the JSON Schema accepts them.

use super::*;

// ---------------------------------------------------------------------------------------------
// examples and schema

fn example_manifests() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut paths = vec![root.join("manifests/quickstart.yaml")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("manifest.yaml"))
        .filter(|path| path.is_file())
        .collect();
    examples.sort();
    paths.extend(examples);
    paths
}

#[test]
fn examples_load() {
    let paths = example_manifests();
    assert!(paths.len() >= 6, "{paths:?}");
    for path in paths {
        match load(std::slice::from_ref(&path), &env) {
            Ok(loaded) => assert!(
                loaded.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                loaded.warnings
            ),
            Err(diagnostics) => panic!("{} does not load:\n{diagnostics}", path.display()),
        }
        let first_line = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            first_line.starts_with("# yaml-language-server: $schema="),
            "{}: {first_line}",
            path.display()
        );
    }
}

/// The examples as JSON, as an editor sees them (no interpolation, plain YAML).
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_saphyr::from_str::<serde_json::Value>(&text).expect("yaml")
}

#[test]
fn schema_accepts_every_example_and_rejects_unknown_keys() {
    let schema = crate::json_schema();
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    for path in example_manifests() {
        let document = as_json(&path);
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    let full = serde_saphyr::from_str::<serde_json::Value>(
        &desired::FULL.replace("${var.PUBLIC}", "true"),
    )
    .expect("yaml");
    let errors: Vec<String> = validator
        .iter_errors(&full)
        .map(|error| error.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let bad = serde_json::json!({"version": 1, "namespace": "t", "applications": {"a": {"web": {"redirectUri": []}}}});
    assert!(!validator.is_valid(&bad));
    let bad_version = serde_json::json!({"version": 2, "namespace": "t"});
    assert!(!validator.is_valid(&bad_version));
    let no_sp = serde_json::json!({"version": 1, "namespace": "t", "applications": {"a": {"servicePrincipal": false}}});
    assert!(validator.is_valid(&no_sp));
}

#[test]
fn schema_has_descriptions_and_is_draft_07() {
    let schema = crate::json_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["title"], "Registrar manifest");
    let application = &schema["definitions"]["Application"];
    let description = application["properties"]["allowPublicClientFlows"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.contains("isFallbackPublicClient"),
        "{description}"
    );
    let tenant = schema["properties"]["tenant"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(!tenant.contains('\n'), "{tenant}");
}
