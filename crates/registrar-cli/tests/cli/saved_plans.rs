//! Saved plans: `plan -o FILE` then `apply FILE` carries out exactly that plan, or refuses
//! before any write when the tenant, the manifests, the tenant id or the format changed;
//! `show FILE` renders one.

use serde_json::{Value, json};

use crate::harness::TestTenant;
use crate::snapshot::assert_cli_snapshot;

const SUBSCRIPTION: &str = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const DIRECTORY_READ_ALL_ROLE: &str = "7ab1d382-f21e-4acd-a863-ba3e13f7da61";

/// One application with an owner, a secret delivered to a file, admin consent and a role
/// assignment; `notes` is what the saved plans change.
fn manifest(notes: &str) -> String {
    format!(
        "\
version: 1
namespace: saved
applications:
  hello-web:
    displayName: Hello web
    notes: {notes}
    owners: [alice@contoso.com]
    secrets:
      ci:
        store:
          file: {{ path: secrets/ci.json, format: json }}
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [User.Read.All]
        adminConsent: true
    roleAssignments:
      - role: Reader
        scope: /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-001
"
    )
}

/// A tenant where the manifest is applied, and the manifest changed so a plan has one change.
fn applied_then_changed() -> (TestTenant, String) {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest("first"));
    tenant.apply(&path);
    tenant.assert_converged(&path);
    tenant.write("apps.yaml", &manifest("second"));
    (tenant, path)
}

fn save(tenant: &TestTenant, path: &str) {
    tenant
        .run(&["plan", "-o", "plan.json", path])
        .expect_code(0);
}

fn app_object_id(tenant: &TestTenant) -> String {
    tenant.application("saved.hello-web")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn service_principal_id(tenant: &TestTenant, app_id: &str) -> String {
    let (_, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId eq '{app_id}'"),
        None,
    );
    list["value"][0]["id"].as_str().unwrap().to_owned()
}

/// Requests other than reads since the counters were reset (`$batch` carries reads here; its
/// inner requests are counted on their own).
fn writes(tenant: &TestTenant) -> Vec<String> {
    tenant
        .emulator
        .request_counts()
        .into_keys()
        .filter(|route| !route.starts_with("GET ") && !route.contains("$batch"))
        .collect()
}

/// `apply plan.json` refuses as stale, names `object`, and writes nothing; the pending change
/// is still pending.
#[track_caller]
fn assert_refused_as_stale(tenant: &TestTenant, path: &str, object: &str) {
    tenant.emulator.reset_request_counts();
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(run.stderr.contains("Saved plan is stale"), "{}", run.stderr);
    assert!(run.stderr.contains(object), "{object}\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("run `registrar plan -o plan.json` again"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(tenant), Vec::<String>::new());
    assert_eq!(tenant.application("saved.hello-web")["notes"], "first");
    tenant.plan(path).expect_code(2);
}

#[test]
fn a_fresh_saved_plan_applies_unchanged_and_converges() {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest("first"));
    // From nothing: every create, the secret delivered.
    save(&tenant, &path);
    let apply = tenant.run(&["apply", "plan.json"]);
    apply.expect_code(0);
    assert!(
        apply.stdout.contains("Apply complete! Resources:"),
        "{}",
        apply.stdout
    );
    tenant.assert_converged(&path);

    // A change on top, saved and applied; `--auto-approve` is accepted and changes nothing.
    tenant.write("apps.yaml", &manifest("second"));
    save(&tenant, &path);
    tenant
        .run(&["apply", "--auto-approve", "plan.json"])
        .expect_code(0);
    assert_eq!(tenant.application("saved.hello-web")["notes"], "second");
    tenant.assert_converged(&path);
}

#[test]
fn a_saved_plan_holds_no_secret_value() {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest("first"));
    tenant.apply(&path);
    let delivered: Value = serde_json::from_str(
        &std::fs::read_to_string(tenant.dir.path().join("secrets/ci.json")).unwrap(),
    )
    .unwrap();
    let value = delivered["clientSecret"].as_str().unwrap();
    assert!(value.len() > 8);
    // A rotation planned: the store no longer matches.
    std::fs::remove_file(tenant.dir.path().join("secrets/ci.json")).unwrap();
    save(&tenant, &path);
    let saved = std::fs::read_to_string(tenant.dir.path().join("plan.json")).unwrap();
    assert!(
        saved.contains("\"format\": \"registrar-saved-plan\""),
        "{saved}"
    );
    assert!(saved.contains("\"AddSecret\""), "{saved}");
    assert!(
        !saved.contains(value),
        "the saved plan holds the secret's value"
    );
    tenant.run(&["apply", "plan.json"]).expect_code(0);
    let saved = std::fs::read_to_string(tenant.dir.path().join("plan.json")).unwrap();
    let delivered = std::fs::read_to_string(tenant.dir.path().join("secrets/ci.json")).unwrap();
    let new_value: Value = serde_json::from_str(&delivered).unwrap();
    assert!(!saved.contains(new_value["clientSecret"].as_str().unwrap()));
    tenant.assert_converged(&path);
}

#[test]
fn stale_when_an_application_setting_changed() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let id = app_object_id(&tenant);
    let (status, _) = tenant.graph(
        "PATCH",
        &format!("/applications/{id}"),
        Some(json!({ "displayName": "Renamed by hand" })),
    );
    assert_eq!(status, 204);
    assert_refused_as_stale(&tenant, &path, "application hello-web (appId ");
    let run = tenant.run(&["apply", "plan.json"]);
    assert_cli_snapshot!("saved_plan_stale", run);
}

#[test]
fn stale_when_an_owner_changed() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let id = app_object_id(&tenant);
    let (_, owners) = tenant.graph("GET", &format!("/applications/{id}/owners"), None);
    let alice = owners["value"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = tenant.graph(
        "DELETE",
        &format!("/applications/{id}/owners/{alice}/$ref"),
        None,
    );
    assert_eq!(status, 204, "{body}");
    assert_refused_as_stale(&tenant, &path, "owner alice@contoso.com: removed");
}

#[test]
fn stale_when_a_credential_was_added() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let id = app_object_id(&tenant);
    let (status, added) = tenant.graph(
        "POST",
        &format!("/applications/{id}/addPassword"),
        Some(json!({ "passwordCredential": { "displayName": "pasted-in-chat" } })),
    );
    assert_eq!(status, 200, "{added}");
    assert_refused_as_stale(&tenant, &path, "client secret \"pasted-in-chat\"");
}

#[test]
fn stale_when_admin_consent_changed() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let app_id = tenant.application("saved.hello-web")["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sp = service_principal_id(&tenant, &app_id);
    let graph = service_principal_id(&tenant, GRAPH_APP_ID);
    let (status, body) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{graph}/appRoleAssignedTo"),
        Some(
            json!({ "principalId": sp, "resourceId": graph, "appRoleId": DIRECTORY_READ_ALL_ROLE }),
        ),
    );
    assert_eq!(status, 201, "{body}");
    assert_refused_as_stale(
        &tenant,
        &path,
        "admin consent Microsoft Graph/Directory.Read.All: added",
    );
}

#[test]
fn stale_when_a_role_assignment_changed() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let app_id = tenant.application("saved.hello-web")["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    let principal = service_principal_id(&tenant, &app_id);
    let (status, body) = tenant.arm(
        "PUT",
        &format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-002/providers/Microsoft.Authorization/roleAssignments/0f6f2b0e-1b6c-4f6e-9d1a-2d7b9f6a3c11?api-version=2022-04-01"
        ),
        Some(json!({ "properties": {
            "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }})),
    );
    assert_eq!(status, 201, "{body}");
    assert_refused_as_stale(&tenant, &path, "role assignment Reader @ /subscriptions/");
}

#[test]
fn refused_when_the_manifest_changed() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    tenant.write("apps.yaml", &manifest("third"));
    tenant.emulator.reset_request_counts();
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("the manifests changed since")
            && run.stderr.contains("`apps.yaml` changed"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&tenant), Vec::<String>::new());

    // A missing file counts as changed.
    std::fs::remove_file(tenant.dir.path().join("apps.yaml")).unwrap();
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("`apps.yaml` is missing"),
        "{}",
        run.stderr
    );
    assert_eq!(tenant.application("saved.hello-web")["notes"], "first");
}

/// Edits the saved plan's JSON.
fn edit_saved(tenant: &TestTenant, edit: impl FnOnce(&mut Value)) {
    let file = tenant.dir.path().join("plan.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    edit(&mut saved);
    std::fs::write(&file, serde_json::to_string_pretty(&saved).unwrap()).unwrap();
}

#[test]
fn refused_for_another_tenant_format_version_cloud_or_with_prune() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    let original = std::fs::read_to_string(tenant.dir.path().join("plan.json")).unwrap();

    let run = tenant.run(&["apply", "--prune", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("`--prune` cannot be used with a saved plan"),
        "{}",
        run.stderr
    );

    edit_saved(&tenant, |saved| {
        saved["target"]["tenant_id"] = json!("11111111-2222-3333-4444-555555555555");
    });
    tenant.emulator.reset_request_counts();
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("was planned for tenant 11111111-2222-3333-4444-555555555555"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&tenant), Vec::<String>::new());

    std::fs::write(tenant.dir.path().join("plan.json"), &original).unwrap();
    edit_saved(&tenant, |saved| saved["format_version"] = json!(99));
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(run.stderr.contains("format version 99"), "{}", run.stderr);

    std::fs::write(tenant.dir.path().join("plan.json"), &original).unwrap();
    edit_saved(&tenant, |saved| {
        saved["target"]["cloud"] = json!("public");
        saved["target"]["local"] = json!(false);
    });
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("was planned against Azure (public cloud)"),
        "{}",
        run.stderr
    );
    assert_eq!(tenant.application("saved.hello-web")["notes"], "first");

    // The untouched plan still applies.
    std::fs::write(tenant.dir.path().join("plan.json"), &original).unwrap();
    tenant.run(&["apply", "plan.json"]).expect_code(0);
    tenant.assert_converged(&path);
}

#[test]
fn show_renders_a_saved_plan_in_every_format() {
    let (tenant, path) = applied_then_changed();
    save(&tenant, &path);
    for format in ["text", "json", "markdown"] {
        let run = tenant.run(&["show", "--format", format, "plan.json"]);
        run.expect_code(0);
        assert_cli_snapshot!(format!("saved_plan_show_{format}"), run);
    }
    let run = tenant.run(&["show", "apps.yaml"]);
    run.expect_code(1);
    assert!(run.stderr.contains("is not a saved plan"), "{}", run.stderr);
}

#[test]
fn refused_when_a_certificate_file_changed() {
    let tenant = TestTenant::new();
    let pem = |name: &str| {
        rcgen::generate_simple_self_signed(vec![format!("{name}.contoso.com")])
            .unwrap()
            .cert
            .pem()
    };
    tenant.write("certs/signing.pem", &pem("first"));
    let path = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: saved
applications:
  signer:
    certificates:
      signing: { file: certs/signing.pem }
",
    );
    save(&tenant, &path);
    let saved = std::fs::read_to_string(tenant.dir.path().join("plan.json")).unwrap();
    assert!(saved.contains("\"path\": \"certs/signing.pem\""), "{saved}");
    tenant.write("certs/signing.pem", &pem("second"));
    tenant.emulator.reset_request_counts();
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("`certs/signing.pem` changed"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&tenant), Vec::<String>::new());
}
