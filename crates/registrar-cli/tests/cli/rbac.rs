//! Azure RBAC role assignments for an application's service principal: created after the
//! service principal, replaced when the role changes, and assignments made by hand are drift.

use registrar_emulator::Faults;
use serde_json::{Value, json};

use crate::harness::TestTenant;

const SUBSCRIPTION: &str = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const API_VERSION: &str = "api-version=2022-04-01";

fn manifest(assignments: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "version: 1\nnamespace: rbac\napplications:\n  reader:\n    displayName: Reader\n",
    );
    if !assignments.is_empty() {
        text.push_str("    roleAssignments:\n");
        for (role, scope) in assignments {
            text.push_str(&format!("      - role: {role}\n        scope: {scope}\n"));
        }
    }
    text
}

fn resource_group(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}")
}

fn service_principal_id(tenant: &TestTenant) -> String {
    let app = tenant.application("rbac.reader");
    let app_id = app["appId"].as_str().unwrap();
    let (_, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId eq '{app_id}'"),
        None,
    );
    list["value"][0]["id"].as_str().unwrap().to_owned()
}

/// (scope, role definition GUID) of the principal's assignments in the subscription.
fn assignments(tenant: &TestTenant, principal: &str) -> Vec<(String, String)> {
    let (status, list) = tenant.arm(
        "GET",
        &format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId%20eq%20'{principal}'&{API_VERSION}"
        ),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let mut found: Vec<(String, String)> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment: &Value| {
            let properties = &assignment["properties"];
            let role = properties["roleDefinitionId"].as_str().unwrap();
            let role = role.rsplit('/').next().unwrap().to_owned();
            (properties["scope"].as_str().unwrap().to_lowercase(), role)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn role_assignments_are_created_replaced_and_removed() {
    let tenant = TestTenant::new();
    let rg = resource_group("rg-001");
    let manifest_text = manifest(&[("Reader", &rg)]);
    let path = tenant.write("apps.yaml", &manifest_text);
    let plan = tenant.plan(&path);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("Reader @ /subscriptions/"),
        "{}",
        plan.stdout
    );
    tenant.apply(&path);
    tenant.assert_converged(&path);
    let principal = service_principal_id(&tenant);
    assert_eq!(
        assignments(&tenant, &principal),
        vec![(rg.to_lowercase(), READER.to_owned())]
    );

    // Another role on the same scope: the old assignment goes, the new one comes.
    let changed = tenant.write("apps.yaml", &manifest(&[("Monitoring Reader", &rg)]));
    let plan = tenant.plan(&changed);
    plan.expect_code(2);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to destroy"), "{}", plan.stdout);
    tenant.apply(&changed);
    tenant.assert_converged(&changed);
    let found = assignments(&tenant, &principal);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_ne!(found[0].1, READER);

    // Moved to another resource group of the same subscription: removed here, created there.
    // (Registrar reads assignments under the subscriptions and management groups the manifest
    // names; with none declared at all there is nowhere to look, so those are left alone.)
    let other = resource_group("rg-002");
    let moved = tenant.write("apps.yaml", &manifest(&[("Reader", &other)]));
    tenant.plan(&moved).expect_code(2);
    tenant.apply(&moved);
    tenant.assert_converged(&moved);
    assert_eq!(
        assignments(&tenant, &principal),
        vec![(other.to_lowercase(), READER.to_owned())]
    );
}

#[test]
fn role_assignment_made_by_hand_is_drift() {
    let tenant = TestTenant::new();
    let rg = resource_group("rg-001");
    let path = tenant.write("apps.yaml", &manifest(&[("Reader", &rg)]));
    tenant.apply(&path);
    let principal = service_principal_id(&tenant);
    let other = resource_group("rg-002");
    let (status, body) = tenant.arm(
        "PUT",
        &format!(
            "{other}/providers/Microsoft.Authorization/roleAssignments/0f6f2b0e-1b6c-4f6e-9d1a-2d7b9f6a3c11?{API_VERSION}"
        ),
        Some(json!({ "properties": {
            "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }})),
    );
    assert_eq!(status, 201, "{body}");
    let plan = tenant.plan(&path);
    plan.expect_code(2);
    assert!(plan.stdout.contains("rg-002"), "{}", plan.stdout);
    assert!(plan.stdout.contains("will be destroyed"), "{}", plan.stdout);
    tenant.apply(&path);
    tenant.assert_converged(&path);
    assert_eq!(
        assignments(&tenant, &principal),
        vec![(rg.to_lowercase(), READER.to_owned())]
    );
}

#[test]
fn role_assignment_for_a_new_service_principal_survives_replication_lag() {
    let tenant = TestTenant::new();
    let path = tenant.write(
        "apps.yaml",
        &manifest(&[("Reader", &resource_group("rg-001"))]),
    );
    tenant.set_faults(Faults {
        replication_lag_ms: 2000,
        ..Faults::default()
    });
    tenant.apply(&path);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    tenant.assert_converged(&path);
}
