//! `validate` and `schema`: offline, no tenant.

use crate::harness::{run_offline, workspace_root};

const BAD_MANIFEST: &str = "\
version: 1
namespace: platform
applications:
  api:
    appId: 0000-not-a-guid
    displayName: API
    web:
      redirectUri: [https://api.contoso.com/auth]
    secrets:
      ci:
        lifetime: 180 days
        store:
          file: { path: secret.json, format: json }
";

#[test]
fn validate_reports_every_error_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), BAD_MANIFEST).unwrap();
    let run = run_offline(dir.path(), &["validate", "bad.yaml"]);
    run.expect_code(1);
    assert!(
        run.stdout.is_empty(),
        "diagnostics go to stderr: {}",
        run.stdout
    );
    // The unknown key, the bad GUID and the bad duration, each with its location.
    assert!(run.stderr.contains("bad.yaml:5:12"), "{}", run.stderr);
    assert!(run.stderr.contains("bad.yaml:8:7"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `redirectUris`?"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bad.yaml:11:19"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
}

#[test]
fn validate_accepts_every_example_and_the_quickstart() {
    let root = workspace_root();
    let examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        // Manifest examples; `examples/policy/` holds policies, not a manifest.
        .filter(|path| path.join("manifest.yaml").is_file())
        .collect();
    assert!(examples.len() >= 5, "{examples:?}");
    for example in examples {
        let run = run_offline(&root, &["validate", example.to_str().unwrap()]);
        run.expect_code(0);
    }
    run_offline(&root, &["validate", "manifests/quickstart.yaml"]).expect_code(0);
    // The acceptance command: every example checked on its own.
    run_offline(&root, &["validate", "examples/"]).expect_code(0);
}

#[test]
fn validate_missing_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_offline(dir.path(), &["validate", "nope.yaml"]);
    run.expect_code(1);
    assert!(run.stderr.contains("nope.yaml"), "{}", run.stderr);
}

#[test]
fn schema_is_json_that_describes_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_offline(dir.path(), &["schema"]);
    run.expect_code(0);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema is JSON");
    let properties = &schema["properties"];
    for key in ["version", "namespace", "applications", "defaults"] {
        assert!(
            properties.get(key).is_some(),
            "schema lacks `{key}`: {schema}"
        );
    }
}

#[test]
fn help_lists_only_working_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_offline(dir.path(), &["--help"]);
    run.expect_code(0);
    for command in ["validate", "schema", "plan", "apply", "emulator"] {
        assert!(run.stdout.contains(command), "{}", run.stdout);
    }
}

#[test]
fn schema_committed_for_editors_is_current() {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let run = run_offline(dir.path(), &["schema"]);
    run.expect_code(0);
    let committed = std::fs::read_to_string(root.join("schema/manifest.schema.json"))
        .expect("schema/manifest.schema.json is committed for the yaml-language-server lines");
    assert!(
        committed == run.stdout,
        "schema/manifest.schema.json is stale: run `registrar schema -o schema/manifest.schema.json`"
    );
}

#[test]
fn plan_without_credentials_says_how_to_sign_in() {
    // `--credential environment` with no AZURE_* variables fails before any request is sent,
    // so this test never reaches a real Azure endpoint.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("apps.yaml"),
        "version: 1\nnamespace: x\napplications:\n  one: {}\n",
    )
    .unwrap();
    let output = std::process::Command::new(crate::harness::binary())
        .args(["--credential", "environment", "plan", "apps.yaml"])
        .current_dir(dir.path())
        .env_remove("AZURE_TENANT_ID")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("REGISTRAR_TARGET")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hint: sign in with `AZURE_TENANT_ID`"),
        "{stderr}"
    );
}
