//! The tenant's own policies at plan time, end to end against the local tenant: a default app
//! management policy that limits secrets to 90 days makes `plan` of a 365-day secret fail with
//! the policy named and nothing changed; a locked service principal makes the plan (not the
//! apply) fail with the lock named; a declared instance lock is applied and converges.

use serde_json::json;

use crate::harness::TestTenant;

fn manifest(lifetime: &str, extra: &str) -> String {
    format!(
        "\
version: 1
namespace: pol
applications:
  api:
    displayName: Policy test
{extra}    secrets:
      ci:
        lifetime: {lifetime}
        rotateBefore: 10d
        store:
          file: {{ path: secrets/api.env, format: env }}
"
    )
}

fn limit_secrets_to_90_days(tenant: &TestTenant) {
    let (status, body) = tenant.graph(
        "PATCH",
        "/policies/defaultAppManagementPolicy",
        Some(json!({
            "isEnabled": true,
            "applicationRestrictions": { "passwordCredentials": [
                { "restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P90D" }
            ]}
        })),
    );
    assert_eq!(status, 204, "{body}");
}

fn service_principal_id(tenant: &TestTenant) -> String {
    let app_id = tenant.application("pol.api")["appId"]
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

#[test]
fn a_secret_longer_than_the_tenant_policy_allows_fails_the_plan_and_changes_nothing() {
    let tenant = TestTenant::new();
    limit_secrets_to_90_days(&tenant);
    let path = tenant.write("apps.yaml", &manifest("365d", ""));
    let plan = tenant.plan(&path);
    plan.expect_code(1);
    let output = plan.all_output();
    assert!(output.contains("apps.yaml:"), "{output}");
    assert!(
        output.contains("client secret `ci` of application `api` would live 365 days"),
        "{output}"
    );
    assert!(
        output.contains(
            "\"Default app management tenant policy\" (00000000-0000-0000-0000-000000000000)"
        ),
        "{output}"
    );
    assert!(
        output.contains("`passwordLifetime`: at most P90D"),
        "{output}"
    );
    assert!(output.contains("nothing was changed"), "{output}");
    // apply refuses the same way, before any write.
    let apply = tenant.run(&["apply", "--auto-approve", &path]);
    apply.expect_code(1);
    let (status, list) = tenant.graph(
        "GET",
        "/applications?$filter=displayName%20eq%20'Policy%20test'",
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["value"].as_array().unwrap().len(), 0, "{list}");

    // Within the limit, it applies and converges.
    let within = tenant.write("apps.yaml", &manifest("60d", ""));
    tenant.apply(&within);
    tenant.assert_converged(&within);
}

#[test]
fn a_locked_service_principal_fails_the_plan_not_the_apply() {
    let tenant = TestTenant::new();
    let path = tenant.write("apps.yaml", &manifest("60d", ""));
    tenant.apply(&path);
    let sp = service_principal_id(&tenant);
    let (status, added) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{sp}/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "by hand"}})),
    );
    assert_eq!(status, 200, "{added}");
    let key_id = added["keyId"].as_str().unwrap().to_owned();
    let app = tenant.application("pol.api");
    let (status, body) = tenant.graph(
        "PATCH",
        &format!("/applications/{}", app["id"].as_str().unwrap()),
        Some(json!({"servicePrincipalLockConfiguration": {"isEnabled": true, "allProperties": true}})),
    );
    assert_eq!(status, 204, "{body}");

    let plan = tenant.plan(&path);
    plan.expect_code(1);
    let output = plan.all_output();
    assert!(
        output.contains("servicePrincipalLockConfiguration.allProperties"),
        "{output}"
    );
    assert!(output.contains(&key_id), "{output}");
    let apply = tenant.run(&["apply", "--auto-approve", &path]);
    apply.expect_code(1);
    assert!(
        !apply
            .all_output()
            .contains("CannotUpdateLockedServicePrincipalProperty"),
        "refused by the plan, not by Graph: {}",
        apply.all_output()
    );
}

#[test]
fn a_declared_instance_lock_is_applied_and_converges() {
    let tenant = TestTenant::new();
    let path = tenant.write(
        "apps.yaml",
        &manifest("60d", "    instanceLock:\n      allProperties: true\n"),
    );
    tenant.apply(&path);
    let app = tenant.application("pol.api");
    let (status, body) = tenant.graph(
        "GET",
        &format!(
            "/applications/{}?$select=servicePrincipalLockConfiguration",
            app["id"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["servicePrincipalLockConfiguration"]["isEnabled"], true);
    assert_eq!(
        body["servicePrincipalLockConfiguration"]["allProperties"],
        true
    );
    tenant.assert_converged(&path);
}

#[test]
fn an_instance_lock_that_locks_nothing_is_a_located_error() {
    let tenant = TestTenant::new();
    let path = tenant.write(
        "apps.yaml",
        &manifest("60d", "    instanceLock:\n      enabled: true\n"),
    );
    let run = tenant.run(&["validate", &path]);
    run.expect_code(1);
    assert!(
        run.all_output().contains("apps.yaml:7:7"),
        "{}",
        run.all_output()
    );
    assert!(
        run.all_output().contains("locks nothing"),
        "{}",
        run.all_output()
    );
    let typo = tenant.write(
        "typo.yaml",
        &manifest("60d", "    instanceLock:\n      allProperty: true\n"),
    );
    let run = tenant.run(&["validate", &typo]);
    run.expect_code(1);
    assert!(
        run.all_output().contains("typo.yaml:7:"),
        "{}",
        run.all_output()
    );
}

/// A custom policy assigned to the application (read from the policy's `appliesTo`, not per
/// application) is the one in force: its 30-day limit fails the plan of a 60-day secret that
/// the default policy would allow, with the custom policy named.
#[test]
fn a_custom_policy_assigned_to_the_application_is_the_one_in_force() {
    let tenant = TestTenant::new();
    limit_secrets_to_90_days(&tenant);
    let path = tenant.write("apps.yaml", &manifest("60d", ""));
    tenant.apply(&path);
    let (status, policy) = tenant.graph(
        "POST",
        "/policies/appManagementPolicies",
        Some(json!({
            "displayName": "Thirty days",
            "description": "short-lived secrets",
            "isEnabled": true,
            "restrictions": { "passwordCredentials": [
                { "restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P30D" }
            ]}
        })),
    );
    assert_eq!(status, 201, "{policy}");
    let policy_id = policy["id"].as_str().unwrap();
    let app_object_id = tenant.application("pol.api")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{app_object_id}/appManagementPolicies/$ref"),
        Some(json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/policies/appManagementPolicies/{policy_id}")
        })),
    );
    assert_eq!(status, 204, "{body}");
    // In sync: the existing secret is not re-checked, so nothing to refuse.
    tenant.assert_converged(&path);
    // A new 60-day secret breaks the assigned 30-day policy.
    let more = manifest("60d", "").replace(
        "    secrets:\n",
        "    secrets:\n      deploy:\n        lifetime: 60d\n        rotateBefore: 10d\n        store:\n          file: { path: secrets/deploy.env, format: env }\n",
    );
    let path = tenant.write("apps.yaml", &more);
    let plan = tenant.plan(&path);
    plan.expect_code(1);
    let output = plan.all_output();
    assert!(output.contains("\"Thirty days\""), "{output}");
    assert!(output.contains("at most P30D"), "{output}");
}
