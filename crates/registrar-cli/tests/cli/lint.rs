//! `registrar lint` (offline: every example and the quick start as snapshots, SARIF against the
//! schema) and the findings atop `plan` (`--lint warn`, and `--lint error` failing with nothing
//! changed).

use crate::harness::{TestTenant, run_offline, workspace_root};
use crate::snapshot::assert_cli_snapshot;

#[test]
fn lint_of_every_example_and_the_quickstart() {
    let root = workspace_root();
    let mut names: Vec<String> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        // Manifest examples; `examples/policy/` holds policies, not a manifest.
        .filter(|path| path.join("manifest.yaml").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        let run = run_offline(&root, &["lint", &format!("examples/{name}")]);
        assert_cli_snapshot!(format!("lint_example_{name}"), run);
    }
    let run = run_offline(&root, &["lint", "manifests/quickstart.yaml"]);
    assert_cli_snapshot!("lint_quickstart", run);
    // Every example, each on its own, and the quick start: warnings and suppressed findings
    // only, so the run succeeds.
    run_offline(&root, &["lint", "examples/", "manifests/quickstart.yaml"]).expect_code(0);
}

#[test]
fn lint_sarif_validates() {
    let root = workspace_root();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let run = run_offline(
        &root,
        &[
            "lint",
            "--format",
            "sarif",
            "examples/",
            "manifests/quickstart.yaml",
        ],
    );
    run.expect_code(0);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|result| result["suppressions"][0]["kind"] == "inSource"),
        "the CI example's suppressions are carried: {results:#?}"
    );
    assert!(results.iter().all(|result| {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|uri| uri.starts_with("examples/") || uri.starts_with("manifests/"))
    }));
}

#[test]
fn lint_exits_1_on_an_error_and_json_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), IMPLICIT_GRANT).unwrap();
    let run = run_offline(dir.path(), &["lint", "--format", "json", "apps.yaml"]);
    run.expect_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["format"], "registrar-lint");
    assert_eq!(document["summary"]["errors"], 1);
    assert_eq!(document["findings"][1]["rule"], "RL001");
    assert!(run.stderr.contains("1 error"), "{}", run.stderr);
    // A longer threshold is an option.
    let strict = run_offline(
        dir.path(),
        &["lint", "--max-secret-lifetime", "30d", "apps.yaml"],
    );
    assert!(strict.stdout.contains("RL009"), "{}", strict.stdout);
}

const IMPLICIT_GRANT: &str = "\
version: 1
namespace: lint
applications:
  web:
    owners: [alice@contoso.com]
    web:
      redirectUris: [https://app.contoso.com/signin]
      implicitGrant: { accessTokens: true }
    secrets:
      ci:
        lifetime: 90d
        store: { file: { path: .registrar/secrets/web.json } }
";

#[test]
fn plan_lint_error_fails_with_a_finding_and_nothing_changed() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", IMPLICIT_GRANT);
    let plan = tenant.run(&["plan", "--lint", "error", &manifest]);
    plan.expect_code(1);
    assert_cli_snapshot!("plan_lint_error", plan);
    let apply = tenant.run(&["apply", "--auto-approve", "--lint", "error", &manifest]);
    apply.expect_code(1);
    assert!(
        apply.stderr.contains("nothing was changed"),
        "{}",
        apply.stderr
    );
    let (status, _) = tenant.graph("GET", "/applications(uniqueName='lint.web')", None);
    assert_eq!(status, 404, "nothing was created");
    // Suppressed, the finding no longer fails the plan.
    let allowed = tenant.write(
        "allowed.yaml",
        &IMPLICIT_GRANT
            .replace(
                "accessTokens: true }",
                "accessTokens: true } # registrar:allow RL001 a legacy SPA, removed by June",
            )
            .replace(
                "    owners: [alice@contoso.com]",
                "    # registrar:allow too-few-owners a lint test\n    owners: [alice@contoso.com]",
            ),
    );
    let plan = tenant.run(&["plan", "--lint", "error", &allowed]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("suppressed[RL001"), "{}", plan.stdout);
}

#[test]
fn plan_shows_lint_findings_on_top() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", IMPLICIT_GRANT);
    let text = tenant.run(&["plan", "--lint", "warn", &manifest]);
    text.expect_code(0);
    assert_cli_snapshot!("plan_lint_warn", text);
    let markdown = tenant.run(&["plan", "--lint", "warn", "--format", "markdown", &manifest]);
    markdown.expect_code(0);
    assert!(
        markdown.stdout.contains("**Lint:** 1 error, 1 warning"),
        "{}",
        markdown.stdout
    );
    let off = tenant.run(&["plan", "--lint", "off", &manifest]);
    assert!(!off.stdout.contains("Lint:"), "{}", off.stdout);
    let json = tenant.run(&["plan", "--lint", "warn", "--format", "json", &manifest]);
    json.expect_code(0);
    serde_json::from_str::<serde_json::Value>(&json.stdout).expect("stdout is only the plan");
    assert!(json.stderr.contains("RL001"), "{}", json.stderr);
}
