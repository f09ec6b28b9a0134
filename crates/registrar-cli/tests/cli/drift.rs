//! `registrar drift`: exit 0 in sync, 2 on drift (changes by hand through Graph, expiring
//! credentials with `--now` time travel), 1 on error; snapshots of the text and Markdown.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::harness::TestTenant;
use crate::snapshot::assert_cli_snapshot;

const MANIFEST: &str = "\
version: 1
namespace: drift
applications:
  api:
    displayName: Drift API
    secrets:
      ci:
        lifetime: 180d
        rotateBefore: 30d
        store:
          keyVault: { vault: kv-drift, name: api-ci }
    federatedCredentials:
      github-main:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/api:ref:refs/heads/main
  web:
    displayName: Drift web
";

/// A tenant with `MANIFEST` applied; returns it and the manifest's file name.
fn applied() -> (TestTenant, String) {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", MANIFEST);
    tenant.apply(&manifest);
    (tenant, manifest)
}

fn object_id(tenant: &TestTenant, unique_name: &str) -> String {
    tenant.application(unique_name)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rename_web_by_hand(tenant: &TestTenant) {
    let id = object_id(tenant, "drift.web");
    let (status, body) = tenant.graph(
        "PATCH",
        &format!("/applications/{id}"),
        Some(json!({ "displayName": "Renamed by hand" })),
    );
    assert_eq!(status, 204, "{body}");
}

/// Adds a client secret to `api` through Graph directly; returns Graph's answer.
fn add_password_by_hand(tenant: &TestTenant) -> Value {
    let id = object_id(tenant, "drift.api");
    let (status, added) = tenant.graph(
        "POST",
        &format!("/applications/{id}/addPassword"),
        Some(json!({ "passwordCredential": { "displayName": "pasted-in-chat" } })),
    );
    assert_eq!(status, 200, "{added}");
    added
}

/// The end of `api`'s secret `ci`.
fn secret_end(tenant: &TestTenant) -> OffsetDateTime {
    let app = tenant.application("drift.api");
    let credentials = app["passwordCredentials"].as_array().unwrap();
    let ci = credentials
        .iter()
        .find(|credential| credential["displayName"] == "ci")
        .unwrap();
    OffsetDateTime::parse(ci["endDateTime"].as_str().unwrap(), &Rfc3339).unwrap()
}

#[test]
fn in_sync_after_apply_exits_0_quietly() {
    let (tenant, manifest) = applied();
    let run = tenant.run(&["drift", &manifest]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "No drift. The tenant matches the manifest, and no credential expires within 30d.\n"
    );
    let json = tenant.run(&["drift", "--format", "json", &manifest]);
    json.expect_code(0);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["format_version"], "1.0");
    assert_eq!(document["drift"], false);
    let types: Vec<&str> = document["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| credential["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["secret", "federated_credential"], "{document}");
}

#[test]
fn a_setting_changed_by_hand_exits_2() {
    let (tenant, manifest) = applied();
    rename_web_by_hand(&tenant);
    let run = tenant.run(&["drift", &manifest]);
    run.expect_code(2);
    assert!(
        run.stdout
            .contains("display_name: manifest \"Drift web\", tenant \"Renamed by hand\""),
        "{}",
        run.stdout
    );
    // Drift reports; it does not change the tenant.
    assert_eq!(
        tenant.application("drift.web")["displayName"],
        "Renamed by hand"
    );
    tenant.apply(&manifest);
    tenant.run(&["drift", &manifest]).expect_code(0);
}

#[test]
fn a_credential_added_by_hand_exits_2() {
    let (tenant, manifest) = applied();
    let added = add_password_by_hand(&tenant);
    let run = tenant.run(&["drift", &manifest]);
    run.expect_code(2);
    assert!(
        run.stdout
            .contains("- application.api.secret.pasted-in-chat: secret \"pasted-in-chat\""),
        "{}",
        run.stdout
    );
    let secret_text = added["secretText"].as_str().unwrap();
    assert!(
        !run.all_output().contains(secret_text),
        "secret value leaked"
    );
    let json = tenant.run(&["drift", "--format", "json", &manifest]);
    json.expect_code(2);
    assert!(
        !json.all_output().contains(secret_text),
        "secret value leaked"
    );
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["summary"]["not_in_manifest"], 1, "{document}");
}

#[test]
fn an_expiring_credential_is_reported_with_time_travel() {
    let (mut tenant, manifest) = applied();
    let end = secret_end(&tenant);
    // 40 days left: outside the default window and before rotateBefore: in sync.
    tenant.now = Some((end - time::Duration::days(40)).format(&Rfc3339).unwrap());
    tenant.run(&["drift", &manifest]).expect_code(0);
    // ... but within a 6-week window.
    let wide = tenant.run(&["drift", "--expiring-within", "6w", &manifest]);
    wide.expect_code(2);
    assert!(
        wide.stdout
            .contains("! application.api.secret.ci expires in 40 days"),
        "{}",
        wide.stdout
    );
    // 10 days left: the next apply rotates it.
    tenant.now = Some((end - time::Duration::days(10)).format(&Rfc3339).unwrap());
    let run = tenant.run(&["drift", "--expiring-within", "P30D", &manifest]);
    run.expect_code(2);
    assert!(
        run.stdout
            .contains("! application.api.secret.ci expires in 10 days"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("will be rotated by the next apply"),
        "{}",
        run.stdout
    );
    // After the rotation, in sync again.
    tenant.apply(&manifest);
    tenant.run(&["drift", &manifest]).expect_code(0);
}

#[test]
fn errors_exit_1() {
    let tenant = TestTenant::new();
    let invalid = tenant.write(
        "invalid.yaml",
        "version: 1\nnamespace: drift\napplications:\n  api:\n    secrets:\n      ci:\n        lifetime: 3mo\n",
    );
    let run = tenant.run(&["drift", &invalid]);
    run.expect_code(1);
    assert!(run.stderr.contains("error"), "{}", run.stderr);

    let bad_window = tenant.write("apps.yaml", MANIFEST);
    let run = tenant.run(&["drift", "--expiring-within", "1y", &bad_window]);
    run.expect_code(1);
    assert!(run.stderr.contains("write days"), "{}", run.stderr);

    let run = tenant.run_with_env(
        &["drift", &bad_window],
        &[
            ("REGISTRAR_LOCAL_URL", "https://127.0.0.1:9"),
            ("REGISTRAR_TEST_NO_RETRY_DELAY", "1"),
        ],
    );
    run.expect_code(1);
    assert!(run.stderr.contains("error:"), "{}", run.stderr);
}

/// The tenant after a change by hand of each kind, ten days before the secret expires.
fn drifted() -> (TestTenant, String) {
    let (mut tenant, manifest) = applied();
    rename_web_by_hand(&tenant);
    add_password_by_hand(&tenant);
    let end = secret_end(&tenant);
    tenant.now = Some((end - time::Duration::days(10)).format(&Rfc3339).unwrap());
    (tenant, manifest)
}

#[test]
fn drift_text_snapshot() {
    let (tenant, manifest) = drifted();
    let run = tenant.run(&["drift", &manifest]);
    run.expect_code(2);
    assert_cli_snapshot!("drift_text", run);
}

#[test]
fn drift_markdown_snapshot() {
    let (tenant, manifest) = drifted();
    let run = tenant.run(&["drift", "--format", "markdown", &manifest]);
    run.expect_code(2);
    assert_cli_snapshot!("drift_markdown", run);
}
