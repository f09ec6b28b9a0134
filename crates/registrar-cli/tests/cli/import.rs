//! `registrar import` round trips: what Registrar applied, and an application made directly
//! through Graph, import into a manifest whose plan is "No changes." apart from the client
//! secrets (their values cannot be read back, so their entries are commented out until a store
//! is filled in).

use std::path::Path;

use serde_json::json;

use crate::harness::{TestTenant, workspace_root};

/// The subscription the examples' role assignments lie in.
const SUBSCRIPTION: &str = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The `namespace:` of a manifest file.
fn namespace_of(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("namespace:"))
        .map(|rest| rest.split('#').next().unwrap_or_default().trim().to_owned())
        .expect("a namespace line")
}

/// The addresses the text plan lists as changing (`# <address> will be ...` lines).
fn changed_addresses(plan: &str) -> Vec<String> {
    plan.lines()
        .filter_map(|line| line.trim_start().strip_prefix("# "))
        .filter(|line| line.contains(" will be ") || line.contains(" must be "))
        .map(|line| line.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

/// Applies `relative_dir/manifest`, imports its namespace by tag into `imported-…/`, checks
/// that plan on the import changes nothing but (undeclared) client secrets, and returns the
/// imported manifests' text.
fn apply_import_plan(tenant: &TestTenant, relative_dir: &str, manifest: &str) -> String {
    copy_dir(
        &workspace_root().join(relative_dir),
        &tenant.dir.path().join(relative_dir),
    );
    let manifest = format!("{relative_dir}/{manifest}");
    tenant.apply(&manifest);
    let namespace = namespace_of(&tenant.dir.path().join(&manifest));
    let out = format!("imported-{}", relative_dir.replace('/', "-"));
    let import = tenant.run(&[
        "import",
        "--tag",
        &format!("registrar:{namespace}"),
        "--scope",
        SUBSCRIPTION,
        "-o",
        &out,
    ]);
    import.expect_code(0);
    let plan = tenant.plan(&out);
    let imported: String = std::fs::read_dir(tenant.dir.path().join(&out))
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().is_file())
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let changes = changed_addresses(&plan.stdout);
    let not_secrets: Vec<&String> = changes
        .iter()
        .filter(|address| !address.contains(".secret.") && !address.contains(".secret["))
        .collect();
    assert!(
        not_secrets.is_empty() && (plan.stdout.contains("No changes.") || !changes.is_empty()),
        "{manifest}: the plan on the import changes more than secrets: {not_secrets:?}\n{}\n{}",
        plan.all_output(),
        imported
    );
    imported
}

#[test]
fn quickstart_imports_back_to_no_changes() {
    let tenant = TestTenant::new();
    let imported = apply_import_plan(&tenant, "manifests", "quickstart.yaml");
    assert!(imported.contains("# secrets:"), "{imported}");
}

#[test]
fn examples_import_back_to_no_changes() {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().join("manifest.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5);
    let mut imported = String::new();
    for name in names {
        let tenant = TestTenant::new();
        imported.push_str(&apply_import_plan(
            &tenant,
            &format!("examples/{name}"),
            "manifest.yaml",
        ));
    }
    // Every kind of object the examples declare came back.
    for kind in [
        "adminConsent: true",
        "roleAssignments:",
        "certificates:",
        "federatedCredentials:",
        "preAuthorizedApplications:",
        "optionalClaims:",
        "publicClient:",
        "# secrets:",
    ] {
        assert!(imported.contains(kind), "no {kind} in\n{imported}");
    }
}

/// An application made directly through Graph (not by Registrar), with every kind of property
/// Registrar manages, imports into a manifest whose plan is "No changes.": the import pins its
/// appId, which adopts it without adding Registrar's marker tag.
#[test]
fn an_application_made_through_graph_imports_back_to_no_changes() {
    let tenant = TestTenant::new();
    let graph_app_id = "00000003-0000-0000-c000-000000000000";
    let (status, graph_sp) = tenant.graph(
        "GET",
        &format!("/servicePrincipals(appId='{graph_app_id}')"),
        None,
    );
    assert_eq!(status, 200, "{graph_sp}");
    let graph_sp_id = graph_sp["id"].as_str().unwrap().to_owned();
    let role_id = |value: &str| {
        graph_sp["appRoles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|role| role["value"] == value)
            .map(|role| role["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let scope_id = |value: &str| {
        graph_sp["oauth2PermissionScopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|scope| scope["value"] == value)
            .map(|scope| scope["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let directory_read_all = role_id("Directory.Read.All");
    let user_read = scope_id("User.Read");
    let own_scope = "7f6e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    let (status, app) = tenant.graph(
        "POST",
        "/applications",
        Some(json!({
            "displayName": "Made by hand",
            "description": "Created through Graph, not by Registrar",
            "notes": "costs ${NOT_A_VARIABLE}",
            "signInAudience": "AzureADMyOrg",
            "tags": ["team:imaging"],
            "serviceManagementReference": "INC-42",
            "groupMembershipClaims": "SecurityGroup",
            "isFallbackPublicClient": true,
            "info": { "marketingUrl": "https://contoso.com/hand", "supportUrl": "https://contoso.com/support" },
            "web": {
                "homePageUrl": "https://hand.contoso.com",
                "logoutUrl": "https://hand.contoso.com/logout",
                "redirectUris": ["https://hand.contoso.com/auth"],
                "implicitGrantSettings": { "enableAccessTokenIssuance": false, "enableIdTokenIssuance": true }
            },
            "spa": { "redirectUris": ["https://hand.contoso.com/spa"] },
            "publicClient": { "redirectUris": ["http://localhost"] },
            "optionalClaims": {
                "idToken": [{ "name": "email", "essential": false, "additionalProperties": [] }],
                "accessToken": [{ "name": "groups", "essential": true, "additionalProperties": ["sam_account_name"] }],
                "saml2Token": []
            },
            "api": {
                "requestedAccessTokenVersion": 2,
                "oauth2PermissionScopes": [{
                    "id": own_scope,
                    "value": "Hand.Read",
                    "type": "User",
                    "isEnabled": true,
                    "adminConsentDisplayName": "Read hand-made data",
                    "adminConsentDescription": "Allows reading hand-made data.",
                    "userConsentDisplayName": "Read your hand-made data",
                    "userConsentDescription": "Allows reading your hand-made data."
                }]
            },
            "appRoles": [{
                "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                "value": "Hand.Read.All",
                "displayName": "Read all hand-made data",
                "description": "Read every hand-made record",
                "allowedMemberTypes": ["Application"],
                "isEnabled": true
            }],
            "requiredResourceAccess": [{
                "resourceAppId": graph_app_id,
                "resourceAccess": [
                    { "id": user_read, "type": "Scope" },
                    { "id": directory_read_all, "type": "Role" }
                ]
            }]
        })),
    );
    assert_eq!(status, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let app_id = app["appId"].as_str().unwrap().to_owned();
    let (status, body) = tenant.graph(
        "PATCH",
        &format!("/applications/{id}"),
        Some(json!({ "identifierUris": [format!("api://{app_id}")] })),
    );
    assert_eq!(status, 204, "{body}");
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{id}/federatedIdentityCredentials"),
        Some(json!({
            "name": "github-main",
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/hand:ref:refs/heads/main",
            "audiences": ["api://AzureADTokenExchange"],
            "description": "Deploys from main"
        })),
    );
    assert_eq!(status, 201, "{body}");
    let (status, alice) = tenant.graph("GET", "/users/alice@contoso.com", None);
    assert_eq!(status, 200, "{alice}");
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{id}/owners/$ref"),
        Some(json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", alice["id"].as_str().unwrap())
        })),
    );
    assert_eq!(status, 204, "{body}");
    let (status, sp) = tenant.graph(
        "POST",
        "/servicePrincipals",
        Some(json!({ "appId": app_id, "appRoleAssignmentRequired": true, "notes": "by hand" })),
    );
    assert_eq!(status, 201, "{sp}");
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let (status, body) = tenant.graph(
        "POST",
        &format!("/servicePrincipals/{sp_id}/appRoleAssignments"),
        Some(json!({ "principalId": sp_id, "resourceId": graph_sp_id, "appRoleId": directory_read_all })),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = tenant.graph(
        "POST",
        "/oauth2PermissionGrants",
        Some(json!({ "clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_sp_id, "scope": "User.Read" })),
    );
    assert_eq!(status, 201, "{body}");

    let import = tenant.run(&["import", "--app-id", &app_id, "--namespace", "byhand"]);
    import.expect_code(0);
    let manifest = tenant.write("byhand.yaml", &import.stdout);
    for expected in [
        "adminConsent: true",
        "roles: [\"Directory.Read.All\"]",
        "scopes: [\"User.Read\"]",
        "owners: [\"alice@contoso.com\"]",
        "\"github-main\":",
        "$${NOT_A_VARIABLE}",
    ] {
        assert!(
            import.stdout.contains(expected),
            "{expected}:\n{}",
            import.stdout
        );
    }
    // Pinned by appId and without the marker tag, it is adopted: managed, never tagged.
    let plan = tenant.plan(&manifest);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all_output());
    let (status, app) = tenant.graph("GET", &format!("/applications/{id}"), None);
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["tags"], json!(["team:imaging"]), "{app}");
    // Imported again: the same manifest.
    let again = tenant.run(&["import", "--app-id", &app_id, "--namespace", "byhand"]);
    again.expect_code(0);
    assert_eq!(again.stdout, import.stdout);
}

/// A secret's store filled in (as the commented-out entry suggests) makes the plan on the
/// import "No changes." too.
#[test]
fn a_secret_with_its_store_filled_in_plans_no_changes() {
    let tenant = TestTenant::new();
    copy_dir(
        &workspace_root().join("manifests"),
        &tenant.dir.path().join("manifests"),
    );
    tenant.apply("manifests/quickstart.yaml");
    let import = tenant.run(&["import", "--tag", "registrar:quickstart"]);
    import.expect_code(0);
    let filled = import
        .stdout
        .replace("    # secrets:", "    secrets:")
        .replace("    #   \"local\":", "      \"local\":   #")
        .replace("    #     store:", "        store:")
        .replace(
            "    #       keyVault: { vault: VAULT, name: \"hello-web-local\" }",
            "          file: { path: .registrar/secrets/hello-web.json }",
        );
    // Beside the quick start, so the secret file path means the same file.
    let manifest = tenant.write("manifests/filled.yaml", &filled);
    let plan = tenant.plan(&manifest);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("No changes."),
        "{}\n{filled}",
        plan.all_output()
    );
}

/// An application another namespace manages is refused, and imported with `--force`; `-o DIR`
/// does not overwrite files without `--force`.
#[test]
fn another_namespace_is_refused_unless_forced() {
    let tenant = TestTenant::new();
    copy_dir(
        &workspace_root().join("manifests"),
        &tenant.dir.path().join("manifests"),
    );
    tenant.apply("manifests/quickstart.yaml");
    let refused = tenant.run(&["import", "--all", "--namespace", "mine"]);
    refused.expect_code(1);
    assert!(
        refused
            .stderr
            .contains("is managed by namespace `quickstart`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    let forced = tenant.run(&[
        "import",
        "--all",
        "--namespace",
        "mine",
        "--force",
        "-o",
        "out",
    ]);
    forced.expect_code(0);
    assert!(tenant.dir.path().join("out/hello-web.yaml").is_file());
    let again = tenant.run(&[
        "import",
        "--all",
        "--namespace",
        "mine",
        "--force",
        "-o",
        "out",
    ]);
    again.expect_code(0);
    let kept = tenant.run(&["import", "--tag", "registrar:quickstart", "-o", "out"]);
    kept.expect_code(1);
    assert!(kept.stderr.contains("already exists"), "{}", kept.stderr);
}

/// `--owned-by-me` with an application sign-in reads the service principal's ownedObjects.
#[test]
fn owned_by_me_reads_the_signed_in_service_principals_owned_objects() {
    let tenant = TestTenant::new();
    let client_id = tenant.emulator.tenant().client_id.clone();
    let (status, me) = tenant.graph(
        "GET",
        &format!("/servicePrincipals(appId='{client_id}')"),
        None,
    );
    assert_eq!(status, 200, "{me}");
    let sign_in = me["id"].as_str().unwrap().to_owned();
    let (status, app) = tenant.graph(
        "POST",
        "/applications",
        Some(json!({ "displayName": "Mine" })),
    );
    assert_eq!(status, 201, "{app}");
    let (status, _) = tenant.graph(
        "POST",
        "/applications",
        Some(json!({ "displayName": "Not mine" })),
    );
    assert_eq!(status, 201);
    let (status, body) = tenant.graph(
        "POST",
        &format!("/applications/{}/owners/$ref", app["id"].as_str().unwrap()),
        Some(json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{sign_in}") })),
    );
    assert_eq!(status, 204, "{body}");
    let import = tenant.run(&["import", "--owned-by-me"]);
    import.expect_code(0);
    assert!(
        import.stdout.contains("displayName: \"Mine\""),
        "{}",
        import.stdout
    );
    assert!(!import.stdout.contains("Not mine"), "{}", import.stdout);
    let by_name = tenant.run(&["import", "--display-name", "Not mine"]);
    by_name.expect_code(0);
    assert!(
        by_name.stdout.contains("\"not-mine\":"),
        "{}",
        by_name.stdout
    );
    let none = tenant.run(&["import", "--app-id", "00000000-0000-0000-0000-000000000001"]);
    none.expect_code(1);
    assert!(
        none.stderr.contains("no application matches"),
        "{}",
        none.stderr
    );
}
