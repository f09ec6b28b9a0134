//! The service principal's own credentials and owners: a password added to it by hand is drift
//! that the plan removes (and whose value never appears in Registrar's output or plan files),
//! declared owners are added and undeclared ones removed, and a saved plan goes stale when the
//! service principal's credentials change.

use serde_json::{Value, json};

use crate::harness::TestTenant;

fn manifest(owners: &str) -> String {
    format!(
        "\
version: 1
namespace: spx
applications:
  api:
    displayName: Service principal test
    servicePrincipal:
      tags: [WindowsAzureActiveDirectoryIntegratedApp]
{owners}"
    )
}

fn service_principal_id(tenant: &TestTenant) -> String {
    let app_id = tenant.application("spx.api")["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId%20eq%20'{app_id}'"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    list["value"][0]["id"].as_str().unwrap().to_owned()
}

fn service_principal(tenant: &TestTenant, id: &str) -> Value {
    let (status, body) = tenant.graph(
        "GET",
        &format!("/servicePrincipals/{id}?$select=id,passwordCredentials,keyCredentials"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body
}

fn owner_ids(tenant: &TestTenant, id: &str) -> Vec<String> {
    let (status, body) = tenant.graph("GET", &format!("/servicePrincipals/{id}/owners"), None);
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|owner| owner["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn user_id(tenant: &TestTenant, upn: &str) -> String {
    let (status, body) = tenant.graph("GET", &format!("/users/{upn}"), None);
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_password_added_to_the_service_principal_by_hand_is_removed_and_never_shown() {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest(""));
    tenant.apply(&path);
    tenant.assert_converged(&path);
    let sp = service_principal_id(&tenant);

    let (status, added) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{sp}/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "backdoor"}})),
    );
    assert_eq!(status, 200, "{added}");
    let secret = added["secretText"].as_str().unwrap().to_owned();
    let key_id = added["keyId"].as_str().unwrap().to_owned();

    let plan = tenant.plan(&path);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("# application.api.service_principal.secret.backdoor will be destroyed"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains(&key_id), "{}", plan.stdout);
    let json_plan = tenant.run(&["plan", "--format", "json", &path]);
    crate::plan_json::valid_plan_json(&json_plan.stdout);
    assert!(
        json_plan
            .stdout
            .contains("registrar_service_principal_secret"),
        "{}",
        json_plan.stdout
    );
    let markdown = tenant.run(&["plan", "--format", "markdown", &path]);
    let drift = tenant.run(&["drift", &path]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("backdoor"), "{}", drift.stdout);
    let drift_json = tenant.run(&["drift", "--format", "json", &path]);
    assert!(
        drift_json.stdout.contains("service_principal_secret"),
        "{}",
        drift_json.stdout
    );
    tenant
        .run(&["plan", "-o", "plan.json", &path])
        .expect_code(0);
    let saved = std::fs::read_to_string(tenant.dir.path().join("plan.json")).unwrap();

    let apply = tenant.run(&["apply", "--auto-approve", &path]);
    apply.expect_code(0);
    assert!(
        service_principal(&tenant, &sp)["passwordCredentials"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    tenant.assert_converged(&path);

    // The secret scan: the value addPassword returned reaches none of Registrar's output.
    for (what, text) in [
        ("plan", plan.all_output()),
        ("json plan", json_plan.all_output()),
        ("markdown plan", markdown.all_output()),
        ("drift", drift.all_output()),
        ("drift json", drift_json.all_output()),
        ("saved plan", saved),
        ("apply", apply.all_output()),
    ] {
        assert!(!text.contains(&secret), "the secret leaked into the {what}");
    }
}

#[test]
fn a_saved_plan_is_stale_when_the_service_principal_gets_a_credential() {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest(""));
    tenant.apply(&path);
    let sp = service_principal_id(&tenant);
    tenant.write("apps.yaml", &manifest("      notes: changed\n"));
    tenant
        .run(&["plan", "-o", "plan.json", &path])
        .expect_code(0);
    let (status, added) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{sp}/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "late"}})),
    );
    assert_eq!(status, 200, "{added}");
    let run = tenant.run(&["apply", "plan.json"]);
    run.expect_code(1);
    assert!(run.stderr.contains("Saved plan is stale"), "{}", run.stderr);
    assert!(
        run.stderr.contains("service principal client secret"),
        "{}",
        run.stderr
    );
}

#[test]
fn service_principal_owners_are_declared_and_converge() {
    let tenant = TestTenant::new();
    let path = tenant.write(
        "apps.yaml",
        &manifest("      owners: [alice@contoso.com]\n"),
    );
    let plan = tenant.plan(&path);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains(
            "# application.api.service_principal.owner[\"alice@contoso.com\"] will be created"
        ),
        "{}",
        plan.stdout
    );
    tenant.apply(&path);
    tenant.assert_converged(&path);
    let sp = service_principal_id(&tenant);
    let alice = user_id(&tenant, "alice@contoso.com");
    assert_eq!(owner_ids(&tenant, &sp), vec![alice.clone()]);

    // An owner added by hand is removed; a change of the declared list moves the owners.
    let bob = user_id(&tenant, "bob@contoso.com");
    let (status, body) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{sp}/owners/$ref"),
        Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{bob}")})),
    );
    assert_eq!(status, 204, "{body}");
    let plan = tenant.plan(&path);
    plan.expect_code(2);
    // An undeclared owner is named by its object id (only declared owners are looked up).
    assert!(
        plan.stdout.contains(&format!(
            "# application.api.service_principal.owner[\"{bob}\"] will be destroyed"
        )),
        "{}",
        plan.stdout
    );
    tenant.apply(&path);
    tenant.assert_converged(&path);
    assert_eq!(owner_ids(&tenant, &sp), vec![alice]);

    tenant.write("apps.yaml", &manifest("      owners: [bob@contoso.com]\n"));
    tenant.apply(&path);
    tenant.assert_converged(&path);
    assert_eq!(owner_ids(&tenant, &sp), vec![bob]);

    // No list is an empty list: every owner goes.
    tenant.write("apps.yaml", &manifest(""));
    tenant.apply(&path);
    tenant.assert_converged(&path);
    assert_eq!(owner_ids(&tenant, &sp), Vec::<String>::new());
}
