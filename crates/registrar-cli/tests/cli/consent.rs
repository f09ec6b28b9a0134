//! Admin consent: application permissions become app role assignments, delegated permissions
//! one tenant-wide (AllPrincipals) grant per API; undeclared consent is drift.

use serde_json::{Value, json};

use crate::harness::TestTenant;

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const DIRECTORY_READ_ALL_ROLE: &str = "7ab1d382-f21e-4acd-a863-ba3e13f7da61";
const USER_READ_ALL_ROLE: &str = "df021288-bdef-4463-88db-98f22de89214";

fn daemon(roles: &str, scopes: &str, consent: bool) -> String {
    format!(
        "\
version: 1
namespace: consent
applications:
  daemon:
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [{roles}]
        scopes: [{scopes}]
        adminConsent: {consent}
"
    )
}

fn service_principal_id(tenant: &TestTenant, unique_name: &str) -> String {
    let app = tenant.application(unique_name);
    let app_id = app["appId"].as_str().unwrap();
    let (_, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId eq '{app_id}'"),
        None,
    );
    list["value"][0]["id"].as_str().unwrap().to_owned()
}

fn graph_service_principal_id(tenant: &TestTenant) -> String {
    let (_, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'"),
        None,
    );
    list["value"][0]["id"].as_str().unwrap().to_owned()
}

fn assigned_roles(tenant: &TestTenant, sp: &str) -> Vec<String> {
    let (status, list) = tenant.graph(
        "GET",
        &format!("/servicePrincipals/{sp}/appRoleAssignments"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let mut roles: Vec<String> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment| assignment["appRoleId"].as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    roles
}

fn grants(tenant: &TestTenant, sp: &str) -> Vec<Value> {
    let (status, list) = tenant.graph(
        "GET",
        &format!("/oauth2PermissionGrants?$filter=clientId eq '{sp}'"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    list["value"].as_array().unwrap().clone()
}

#[test]
fn admin_consent_is_granted_changed_and_revoked() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        &daemon("Directory.Read.All", "User.Read", true),
    );
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("Directory.Read.All"),
        "{}",
        plan.stdout
    );
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);

    let sp = service_principal_id(&tenant, "consent.daemon");
    assert_eq!(
        assigned_roles(&tenant, &sp),
        vec![DIRECTORY_READ_ALL_ROLE.to_owned()]
    );
    let granted = grants(&tenant, &sp);
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(granted[0]["consentType"], "AllPrincipals");
    assert_eq!(
        granted[0]["resourceId"],
        json!(graph_service_principal_id(&tenant))
    );
    assert_eq!(granted[0]["scope"], "User.Read");

    // More permissions: one more assignment, and the grant's scope string updated in place.
    let more = tenant.write(
        "apps.yaml",
        &daemon(
            "Directory.Read.All, User.Read.All",
            "User.Read, openid",
            true,
        ),
    );
    tenant.plan(&more).expect_code(2);
    tenant.apply(&more);
    tenant.assert_converged(&more);
    let mut expected = vec![
        DIRECTORY_READ_ALL_ROLE.to_owned(),
        USER_READ_ALL_ROLE.to_owned(),
    ];
    expected.sort();
    assert_eq!(assigned_roles(&tenant, &sp), expected);
    let granted = grants(&tenant, &sp);
    assert_eq!(granted.len(), 1, "{granted:?}");
    let mut scopes: Vec<&str> = granted[0]["scope"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    scopes.sort_unstable();
    assert_eq!(scopes, vec!["User.Read", "openid"]);

    // Consent withdrawn: the permissions stay requested, the grants go.
    let withdrawn = tenant.write(
        "apps.yaml",
        &daemon(
            "Directory.Read.All, User.Read.All",
            "User.Read, openid",
            false,
        ),
    );
    let plan = tenant.plan(&withdrawn);
    plan.expect_code(2);
    assert!(plan.stdout.contains("will be destroyed"), "{}", plan.stdout);
    tenant.apply(&withdrawn);
    tenant.assert_converged(&withdrawn);
    assert!(assigned_roles(&tenant, &sp).is_empty());
    assert!(grants(&tenant, &sp).is_empty());
}

#[test]
fn consent_granted_by_hand_is_drift() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        &daemon("Directory.Read.All", "User.Read", true),
    );
    tenant.apply(&manifest);
    let sp = service_principal_id(&tenant, "consent.daemon");
    let graph = graph_service_principal_id(&tenant);
    let (status, body) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{graph}/appRoleAssignedTo"),
        Some(json!({ "principalId": sp, "resourceId": graph, "appRoleId": USER_READ_ALL_ROLE })),
    );
    assert_eq!(status, 201, "{body}");
    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(plan.stdout.contains("User.Read.All"), "{}", plan.stdout);
    assert!(plan.stdout.contains("will be destroyed"), "{}", plan.stdout);
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    assert_eq!(
        assigned_roles(&tenant, &sp),
        vec![DIRECTORY_READ_ALL_ROLE.to_owned()]
    );
}

#[test]
fn consent_on_an_api_created_in_the_same_apply() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: consent
applications:
  api:
    api:
      scopes:
        Data.Read: { type: Admin }
    appRoles:
      Data.Read.All:
        allowedMemberTypes: [Application]
  worker:
    requiredResourceAccess:
      - resource: api
        roles: [Data.Read.All]
        scopes: [Data.Read]
        adminConsent: true
",
    );
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    let worker = service_principal_id(&tenant, "consent.worker");
    let api = service_principal_id(&tenant, "consent.api");
    let (_, assignments) = tenant.graph(
        "GET",
        &format!("/servicePrincipals/{worker}/appRoleAssignments"),
        None,
    );
    assert_eq!(
        assignments["value"][0]["resourceId"],
        json!(api),
        "{assignments}"
    );
    let granted = grants(&tenant, &worker);
    assert_eq!(granted[0]["resourceId"], json!(api));
    assert_eq!(granted[0]["scope"], "Data.Read");
}
