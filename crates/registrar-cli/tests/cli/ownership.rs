//! Only what Registrar created or was told to adopt is managed, and nothing is destroyed by
//! surprise: an application someone else made with this namespace's unique name is refused
//! (and gains no consent or role), the signed-in principal stays an owner, a protected
//! application is not pruned, and `apply` lists the destructive changes on their own before it
//! carries them out.

use serde_json::{Value, json};

use crate::harness::TestTenant;
use crate::snapshot::{assert_cli_snapshot, sorted_stderr};

/// Creates an application through Graph as any client could, holding `unique_name`, without a
/// marker tag, owned by Alice. Returns its appId.
fn create_stranger(tenant: &TestTenant, unique_name: &str) -> String {
    let (status, app) = tenant.graph(
        "POST",
        "/applications",
        Some(json!({
            "displayName": "Team portal",
            "uniqueName": unique_name,
            "signInAudience": "AzureADMyOrg",
            "tags": ["team:portal"]
        })),
    );
    assert_eq!(status, 201, "{app}");
    let (status, alice) = tenant.graph("GET", "/users/alice@contoso.com", None);
    assert_eq!(status, 200, "{alice}");
    let id = app["id"].as_str().unwrap();
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{id}/owners/$ref"),
        Some(json!({
            "@odata.id": format!(
                "https://graph.microsoft.com/v1.0/directoryObjects/{}",
                alice["id"].as_str().unwrap()
            )
        })),
    );
    assert_eq!(status, 204, "{body}");
    app["appId"].as_str().unwrap().to_owned()
}

const PORTAL: &str = "\
version: 1
namespace: team
applications:
  portal:
    displayName: Team portal
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [Directory.Read.All]
        adminConsent: true
    roleAssignments:
      - role: Reader
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e
";

#[test]
fn an_application_registrar_did_not_create_is_refused_and_gains_nothing() {
    let tenant = TestTenant::new();
    let app_id = create_stranger(&tenant, "team.portal");
    let manifest = tenant.write("team.yaml", PORTAL);

    let plan = tenant.run(&["plan", &manifest]);
    plan.expect_code(1);
    assert_cli_snapshot!("stranger_application_refused", plan);
    assert!(plan.stderr.contains("alice@contoso.com"), "{}", plan.stderr);
    assert!(
        plan.stderr.contains(&format!("appId: \"{app_id}\"")),
        "{}",
        plan.stderr
    );

    let apply = tenant.run(&["apply", "--auto-approve", &manifest]);
    apply.expect_code(1);
    // Nothing was written: no service principal (so no admin consent and no role assignment,
    // which both need one) and no tag.
    let (status, body) = tenant.graph(
        "GET",
        &format!("/servicePrincipals(appId='{app_id}')"),
        None,
    );
    assert_eq!(status, 404, "{body}");
    let app = tenant.application("team.portal");
    assert_eq!(app["tags"], json!(["team:portal"]));
    // Pinning its appId adopts it on purpose: then it is managed, without Registrar's tag.
    let adopted = tenant.write(
        "adopted.yaml",
        &PORTAL.replace(
            "  portal:\n",
            &format!("  portal:\n    appId: \"{app_id}\"\n    tags: [\"team:portal\"]\n"),
        ),
    );
    tenant.apply(&adopted);
    tenant.assert_converged(&adopted);
    let app = tenant.application("team.portal");
    assert_eq!(app["tags"], json!(["team:portal"]));
    let (status, sp) = tenant.graph(
        "GET",
        &format!("/servicePrincipals(appId='{app_id}')"),
        None,
    );
    assert_eq!(status, 200, "{sp}");
}

const PROTECTED: &str = "\
version: 1
namespace: vault
applications:
  reader:
    displayName: Vault reader
    protect: true
  scratch:
    displayName: Scratch
";

#[test]
fn a_protected_application_is_not_pruned_once_removed_from_the_manifest() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("vault.yaml", PROTECTED);
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    let reader = tenant.application("vault.reader");
    assert!(
        reader["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("registrar:vault:protect")),
        "{reader}"
    );

    let empty = tenant.write(
        "empty.yaml",
        "version: 1\nnamespace: vault\napplications: {}\n",
    );
    let pruned = tenant.run(&["apply", "--auto-approve", "--prune", &empty]);
    pruned.expect_code(1);
    assert_cli_snapshot!("protected_application_not_pruned", sorted_stderr(pruned));
    // Nothing was deleted, not even the unprotected application.
    tenant.application("vault.reader");
    tenant.application("vault.scratch");

    // Unprotected in a change of its own, then pruned.
    let unprotected = tenant.write(
        "unprotected.yaml",
        &PROTECTED.replace("    protect: true\n", ""),
    );
    tenant.apply(&unprotected);
    let pruned = tenant.run(&["apply", "--auto-approve", "--prune", &empty]);
    pruned.expect_code(0);
    let (status, _) = tenant.graph("GET", "/applications(uniqueName='vault.reader')", None);
    assert_eq!(status, 404);
}

#[test]
fn apply_lists_the_destructive_changes_before_carrying_them_out() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: review
applications:
  api:
    displayName: Review API
    owners: [alice@contoso.com, bob@contoso.com]
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [Directory.Read.All]
        adminConsent: true
    federatedCredentials:
      github-main:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/api:ref:refs/heads/main
  old:
    displayName: Old thing
",
    );
    tenant.apply(&manifest);
    let smaller = tenant.write(
        "smaller.yaml",
        "\
version: 1
namespace: review
applications:
  api:
    displayName: Review API
    notes: kept
    owners: [alice@contoso.com]
",
    );
    let apply = tenant.run(&["apply", "--auto-approve", "--prune", &smaller]);
    apply.expect_code(0);
    assert_cli_snapshot!("apply_lists_destructive_changes", sorted_stderr(apply));
    tenant.assert_converged(&smaller);
}

/// The local tenant's own automation client, which every `--local` run signs in as.
const AUTOMATION_APP_ID: &str = "7d3c2a1b-0e9f-4a8b-8c7d-6e5f4a3b2c1d";

const OWNED_BY_ALICE: &str = "\
version: 1
namespace: lock
applications:
  api:
    displayName: Locked API
    owners: [alice@contoso.com]
";

#[test]
fn the_signed_in_principal_is_never_planned_out_of_the_owners() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("lock.yaml", OWNED_BY_ALICE);
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    // The run's own service principal becomes an owner (as an OwnedBy client that creates an
    // application does); the manifest does not list it.
    let (status, automation) = tenant.graph(
        "GET",
        &format!("/servicePrincipals(appId='{AUTOMATION_APP_ID}')"),
        None,
    );
    assert_eq!(status, 200, "{automation}");
    let automation_id = automation["id"].as_str().unwrap().to_owned();
    let app = tenant.application("lock.api");
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{}/owners/$ref", app["id"].as_str().unwrap()),
        Some(json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{automation_id}")
        })),
    );
    assert_eq!(status, 204, "{body}");

    let plan = tenant.run(&["plan", "--detailed-exitcode", &manifest]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        plan.stderr.contains(&automation_id) && plan.stderr.contains("signed in as"),
        "the plan warns that it keeps the signed-in owner:\n{}",
        plan.stderr
    );
    tenant.apply(&manifest);
    let (status, owners) = tenant.graph(
        "GET",
        &format!("/applications/{}/owners", app["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(status, 200, "{owners}");
    assert!(
        owners["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|owner| owner["id"] == automation_id.as_str()),
        "the signed-in principal is still an owner: {owners}"
    );
}
