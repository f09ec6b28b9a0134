//! Client secrets delivered to Key Vault and files, rotation with time travel, drift in
//! credentials, certificates and federated credentials.

use registrar_emulator::{EmulatorConfig, Faults};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::harness::TestTenant;

fn secret_manifest(extra: &str) -> String {
    format!(
        "\
version: 1
namespace: cred
applications:
  api:
    displayName: Credential test
    secrets:
      ci:
        lifetime: 180d
        rotateBefore: 30d
{extra}        store:
          keyVault: {{ vault: kv-it, name: api-ci }}
"
    )
}

fn password_credentials(tenant: &TestTenant) -> Vec<Value> {
    tenant.application("cred.api")["passwordCredentials"]
        .as_array()
        .unwrap()
        .clone()
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap()
}

#[test]
fn secret_is_delivered_to_key_vault_and_never_printed() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("application.api.secret.ci will be created"),
        "{}",
        plan.stdout
    );
    let apply = tenant.run(&["-vvv", "apply", "--auto-approve", &manifest]);
    apply.expect_code(0);
    let json_plan = tenant.run(&["plan", "--format", "json", &manifest]);
    crate::plan_json::valid_plan_json(&json_plan.stdout);

    let app = tenant.application("cred.api");
    let credentials = password_credentials(&tenant);
    assert_eq!(credentials.len(), 1, "{credentials:?}");
    let key_id = credentials[0]["keyId"].as_str().unwrap();
    assert_eq!(credentials[0]["displayName"], "ci");

    let stored = tenant
        .emulator
        .vault_secret("kv-it", "api-ci")
        .expect("secret in Key Vault");
    assert!(stored.value.len() >= 16);
    let tags: Value = serde_json::to_value(&stored.tags).unwrap();
    let tag_values: Vec<&str> = stored.tags.values().map(String::as_str).collect();
    assert!(tag_values.contains(&key_id), "keyId tag missing: {tags}");
    assert!(
        tag_values.contains(&app["appId"].as_str().unwrap()),
        "client id tag missing: {tags}"
    );
    assert!(
        tag_values.contains(&tenant.emulator.tenant().tenant_id.as_str()),
        "tenant tag missing: {tags}"
    );
    assert!(stored.exp.is_some(), "expiry not set");

    // The value appears nowhere: not in any output, not in the -vvv logs, not in JSON plans.
    for output in [
        plan.all_output(),
        apply.all_output(),
        json_plan.all_output(),
    ] {
        assert!(!output.contains(&stored.value), "secret value leaked");
    }
    for entry in walk(tenant.dir.path()) {
        let contents = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&contents).contains(&stored.value),
            "secret value in {}",
            entry.display()
        );
    }
    tenant.assert_converged(&manifest);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn key_vault_refusing_the_write_leaves_no_credential() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    tenant.set_faults(Faults {
        deny_vaults: vec!["kv-it".to_owned()],
        ..Faults::default()
    });
    let apply = tenant.run(&["apply", "--auto-approve", &manifest]);
    apply.expect_code(1);
    assert!(apply.stderr.contains("removed again"), "{}", apply.stderr);
    assert!(
        password_credentials(&tenant).is_empty(),
        "orphan credential left behind"
    );
    tenant.set_faults(Faults::default());
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("application.api.secret.ci will be created"),
        "{}",
        plan.stdout
    );
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
}

#[test]
fn secret_is_rotated_before_it_expires() {
    let mut tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    tenant.apply(&manifest);
    let first = password_credentials(&tenant);
    let old_key = first[0]["keyId"].as_str().unwrap().to_owned();
    let end = OffsetDateTime::parse(first[0]["endDateTime"].as_str().unwrap(), &Rfc3339).unwrap();

    tenant.now = Some(rfc3339(end - time::Duration::days(10)));
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("will be rotated (expires in 10 days)"),
        "{}",
        plan.stdout
    );
    tenant.apply(&manifest);
    let after = password_credentials(&tenant);
    assert_eq!(after.len(), 1, "old credential not removed: {after:?}");
    let new_key = after[0]["keyId"].as_str().unwrap();
    assert_ne!(new_key, old_key);
    let stored = tenant.emulator.vault_secret("kv-it", "api-ci").unwrap();
    assert!(stored.tags.values().any(|value| value == new_key));
    tenant.assert_converged(&manifest);
}

#[test]
fn rotation_with_overlap_keeps_the_old_secret_until_the_overlap_passed() {
    let mut tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest("        overlap: 7d\n"));
    tenant.apply(&manifest);
    let end = OffsetDateTime::parse(
        password_credentials(&tenant)[0]["endDateTime"]
            .as_str()
            .unwrap(),
        &Rfc3339,
    )
    .unwrap();
    let rotation_time = end - time::Duration::days(10);
    tenant.now = Some(rfc3339(rotation_time));
    tenant.apply(&manifest);
    assert_eq!(
        password_credentials(&tenant).len(),
        2,
        "old credential removed during overlap"
    );
    tenant.assert_converged(&manifest);

    tenant.now = Some(rfc3339(rotation_time + time::Duration::days(8)));
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    tenant.apply(&manifest);
    assert_eq!(password_credentials(&tenant).len(), 1);
    tenant.assert_converged(&manifest);
}

#[test]
fn credential_added_by_hand_is_planned_for_removal() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    tenant.apply(&manifest);
    let id = tenant.application("cred.api")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, added) = tenant.graph(
        "POST",
        &format!("/applications/{id}/addPassword"),
        Some(json!({ "passwordCredential": { "displayName": "pasted-in-chat" } })),
    );
    assert_eq!(status, 200, "{added}");
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(plan.stdout.contains("pasted-in-chat"), "{}", plan.stdout);
    assert!(plan.stdout.contains("will be destroyed"), "{}", plan.stdout);
    assert!(!plan.stdout.contains(added["secretText"].as_str().unwrap()));
    tenant.apply(&manifest);
    assert_eq!(password_credentials(&tenant).len(), 1);
    tenant.assert_converged(&manifest);
}

#[test]
fn vault_overwritten_by_hand_triggers_rotation() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    tenant.apply(&manifest);
    tenant.put_vault_secret("kv-it", "api-ci", "someone pasted another value here");
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(plan.stdout.contains("will be rotated"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("different credential"),
        "{}",
        plan.stdout
    );
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
}

#[test]
fn secret_written_to_a_file_with_mode_0600() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: cred
applications:
  api:
    secrets:
      local:
        store:
          file: { path: secrets/api.env, format: env }
",
    );
    let apply = tenant.apply(&manifest);
    let path = tenant.dir.path().join("secrets/api.env");
    let contents = std::fs::read_to_string(&path).expect("secret file written");
    assert!(contents.contains("AZURE_CLIENT_SECRET="), "{contents}");
    let value = contents
        .lines()
        .find_map(|line| line.strip_prefix("AZURE_CLIENT_SECRET="))
        .unwrap()
        .trim_matches('"');
    assert!(!apply.all_output().contains(value));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    tenant.assert_converged(&manifest);
}

#[test]
fn strict_vaults_reject_unknown_vaults() {
    let tenant = TestTenant::with_config(EmulatorConfig {
        strict_vaults: true,
        vaults: vec!["kv-known".to_owned()],
        ..EmulatorConfig::default()
    });
    let manifest = tenant.write("apps.yaml", &secret_manifest(""));
    tenant
        .run(&["apply", "--auto-approve", &manifest])
        .expect_code(1);
    assert!(password_credentials(&tenant).is_empty());
}

fn certificate_pem(name: &str) -> String {
    let certificate =
        rcgen::generate_simple_self_signed(vec![format!("{name}.contoso.com")]).unwrap();
    certificate.cert.pem()
}

#[test]
fn certificates_are_added_replaced_and_removed() {
    let tenant = TestTenant::new();
    tenant.write("certs/signing.pem", &certificate_pem("first"));
    let with_cert = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: cred
applications:
  api:
    certificates:
      signing: { file: certs/signing.pem }
",
    );
    tenant.apply(&with_cert);
    tenant.assert_converged(&with_cert);
    assert_eq!(
        tenant.application("cred.api")["keyCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    tenant.write("certs/signing.pem", &certificate_pem("second"));
    let plan = tenant.plan(&with_cert);
    plan.expect_code(2);
    assert!(plan.stdout.contains("certificate"), "{}", plan.stdout);
    tenant.apply(&with_cert);
    tenant.assert_converged(&with_cert);

    let without = tenant.write(
        "none.yaml",
        "version: 1\nnamespace: cred\napplications:\n  api: {}\n",
    );
    let plan = tenant.plan(&without);
    plan.expect_code(2);
    assert!(plan.stdout.contains("will be destroyed"), "{}", plan.stdout);
    tenant.apply(&without);
    tenant.assert_converged(&without);
    assert!(
        tenant.application("cred.api")["keyCredentials"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn fic_manifest(name: &str, subject: &str) -> String {
    format!(
        "\
version: 1
namespace: cred
applications:
  api:
    federatedCredentials:
      {name}:
        issuer: https://token.actions.githubusercontent.com
        subject: {subject}
        description: Deploys from CI
"
    )
}

#[test]
fn federated_credentials_are_created_updated_renamed_and_removed() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        &fic_manifest("github-main", "repo:contoso/api:ref:refs/heads/main"),
    );
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);

    let changed = tenant.write(
        "apps.yaml",
        &fic_manifest("github-main", "repo:contoso/api:environment:prod"),
    );
    let plan = tenant.plan(&changed);
    plan.expect_code(2);
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    tenant.apply(&changed);
    tenant.assert_converged(&changed);

    let renamed = tenant.write(
        "apps.yaml",
        &fic_manifest("github-prod", "repo:contoso/api:environment:prod"),
    );
    let plan = tenant.plan(&renamed);
    plan.expect_code(2);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to destroy"), "{}", plan.stdout);
    tenant.apply(&renamed);
    tenant.assert_converged(&renamed);

    let without = tenant.write(
        "apps.yaml",
        "version: 1\nnamespace: cred\napplications:\n  api: {}\n",
    );
    tenant.apply(&without);
    tenant.assert_converged(&without);
    let id = tenant.application("cred.api")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, list) = tenant.graph(
        "GET",
        &format!("/applications/{id}/federatedIdentityCredentials"),
        None,
    );
    assert!(list["value"].as_array().unwrap().is_empty(), "{list}");
}
