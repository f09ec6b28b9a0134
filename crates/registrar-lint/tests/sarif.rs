//! The SARIF log validates against the SARIF 2.1.0 JSON Schema (vendored in
//! `tests/fixtures/sarif/`, see its README), with every rule described and suppressed findings
//! carried as `inSource` suppressions; the JSON document keeps its documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use registrar_lint::render::SarifOptions;
use registrar_lint::{LintOptions, Rule, Source};
use serde_json::Value;

const MANIFEST: &str = "\
version: 1
namespace: sarif
applications:
  api:
    owners: [a@contoso.com] # registrar:allow too-few-owners owned through the platform group
    web:
      redirectUris: [https://app.contoso.com/signin]
      implicitGrant: { accessTokens: true }
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [Application.ReadWrite.All]
";

fn report() -> registrar_lint::LintReport {
    let loaded =
        registrar_manifest::load_str(Path::new("platform/apps.yaml"), MANIFEST, &|_| None).unwrap();
    let sources = [Source {
        file: "platform/apps.yaml".to_owned(),
        text: MANIFEST.to_owned(),
    }];
    registrar_lint::lint(&loaded.desired, &sources, &LintOptions::default())
}

fn schema() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/sarif/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let validator = jsonschema::draft4::new(&schema()).expect("the SARIF schema compiles");
    let options = SarifOptions {
        version: "0.1.0".to_owned(),
    };
    let log = registrar_lint::render::sarif(&report(), &options);
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let empty = registrar_lint::render::sarif(&registrar_lint::LintReport::default(), &options);
    assert!(validator.is_valid(&empty));
    // The schema does reject what is not SARIF 2.1.0.
    let mut broken = log.clone();
    broken["version"] = Value::from("2.0.0");
    assert!(!validator.is_valid(&broken));

    let run = &log["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().map(Vec::len),
        Some(Rule::ALL.len())
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|result| result.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "RL011");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "owned through the platform group"
    );
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "platform/apps.yaml");
    assert_eq!(location["region"]["startLine"], 5);
}

#[test]
fn the_json_document_has_its_documented_shape() {
    let document = registrar_lint::render::json(&report());
    insta::assert_json_snapshot!("json_document", document);
}
