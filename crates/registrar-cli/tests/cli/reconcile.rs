//! Applications, service principals and owners: create, converge, drift, prune, restore, and
//! resilience to throttling and replication lag.

use registrar_emulator::Faults;
use serde_json::json;

use crate::harness::TestTenant;

/// One application exposing a scope and an app role.
macro_rules! api_only {
    () => {
        "\
version: 1
namespace: it
defaults:
  owners: [alice@contoso.com]
applications:
  api:
    displayName: Test API
    identifierUris: [\"api://{appId}\"]
    api:
      scopes:
        Things.Read:
          type: User
          adminConsentDisplayName: Read things
          adminConsentDescription: Allows reading things.
    appRoles:
      Things.Read.All:
        displayName: Read all things
        description: Read all things
        allowedMemberTypes: [Application]
"
    };
}

const API_ONLY: &str = api_only!();

/// The API and a web client calling it.
const TWO_APPS: &str = concat!(
    api_only!(),
    // No line continuation here: it would eat the indentation of `web:`.
    "  web:
    displayName: Test web
    notes: |
      Owned by the integration tests.
      Second line.
    web:
      redirectUris: [https://web.contoso.com/auth]
    requiredResourceAccess:
      - resource: Microsoft Graph
        scopes: [User.Read]
      - resource: api
        scopes: [Things.Read]
    tags: [team:it]
    owners: [bob@contoso.com]
"
);

#[test]
fn plan_apply_creates_then_converges() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", TWO_APPS);

    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("# application.api will be created"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("(known after apply)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );

    let apply = tenant.apply(&manifest);
    assert!(
        apply.stdout.contains("Apply complete! Resources:"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains("application.api: Creation complete"),
        "{}",
        apply.stderr
    );

    tenant.assert_converged(&manifest);

    let api = tenant.application("it.api");
    let app_id = api["appId"].as_str().unwrap();
    assert_eq!(api["identifierUris"], json!([format!("api://{app_id}")]));
    assert!(
        api["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("registrar:it")),
        "{api}"
    );
    let web = tenant.application("it.web");
    assert_eq!(
        web["web"]["redirectUris"],
        json!(["https://web.contoso.com/auth"])
    );
    let resources: Vec<_> = web["requiredResourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| resource["resourceAppId"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        resources.contains(&"00000003-0000-0000-c000-000000000000".to_owned()),
        "{web}"
    );
    assert!(resources.contains(&app_id.to_owned()), "{web}");

    // The service principal and the owners exist.
    let web_id = web["id"].as_str().unwrap();
    let (status, owners) = tenant.graph("GET", &format!("/applications/{web_id}/owners"), None);
    assert_eq!(status, 200);
    assert_eq!(owners["value"].as_array().unwrap().len(), 2, "{owners}");
    let web_app_id = web["appId"].as_str().unwrap();
    let (_, sps) = tenant.graph(
        "GET",
        &format!("/servicePrincipals?$filter=appId eq '{web_app_id}'"),
        None,
    );
    assert_eq!(sps["value"].as_array().unwrap().len(), 1, "{sps}");
}

#[test]
fn drift_is_planned_as_update_and_fixed_by_apply() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", TWO_APPS);
    tenant.apply(&manifest);

    let web = tenant.application("it.web");
    let id = web["id"].as_str().unwrap();
    let (status, _) = tenant.graph(
        "PATCH",
        &format!("/applications/{id}"),
        Some(json!({
            "displayName": "Renamed by hand",
            "web": { "redirectUris": ["https://web.contoso.com/auth", "https://evil.example.com/"] },
        })),
    );
    assert_eq!(status, 204);

    let plan = tenant.plan(&manifest);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("# application.web will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("\"Renamed by hand\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("- \"https://evil.example.com/\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );

    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    assert_eq!(tenant.application("it.web")["displayName"], "Test web");
}

#[test]
fn undeclared_application_is_reported_and_deleted_only_with_prune_then_restored() {
    let tenant = TestTenant::new();
    let both = tenant.write("apps.yaml", TWO_APPS);
    tenant.apply(&both);
    let api_only = tenant.write("api.yaml", API_ONLY);

    let plan = tenant.run(&["plan", "--detailed-exitcode", &api_only]);
    plan.expect_code(0);
    assert!(
        plan.all_output().contains("--prune"),
        "{}",
        plan.all_output()
    );
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='it.web')", None)
            .0,
        200
    );

    let prune = tenant.run(&["plan", "--detailed-exitcode", "--prune", &api_only]);
    prune.expect_code(2);
    assert!(
        prune.stdout.contains("will be destroyed"),
        "{}",
        prune.stdout
    );
    tenant
        .run(&["apply", "--auto-approve", "--prune", &api_only])
        .expect_code(0);
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='it.web')", None)
            .0,
        404
    );
    tenant.assert_converged(&api_only);

    // Declared again: the soft-deleted application still holds its unique name, so it is
    // restored rather than failing to be created.
    let plan = tenant.plan(&both);
    plan.expect_code(2);
    assert!(plan.stdout.contains("restored"), "{}", plan.stdout);
    tenant.apply(&both);
    tenant.assert_converged(&both);
}

#[test]
fn apply_converges_under_throttling_and_outages() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", TWO_APPS);
    tenant.set_faults(Faults {
        throttle_rate: 0.2,
        unavailable_rate: 0.05,
        retry_after_seconds: 0.01,
        ..Faults::default()
    });
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
    tenant.set_faults(Faults::default());
    tenant.assert_converged(&manifest);
}

#[test]
fn apply_converges_under_replication_lag() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", TWO_APPS);
    tenant.set_faults(Faults {
        replication_lag_ms: 2000,
        ..Faults::default()
    });
    tenant.apply(&manifest);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    tenant.assert_converged(&manifest);
}

#[test]
fn apply_without_a_terminal_or_auto_approve_refuses() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", API_ONLY);
    let run = tenant.run(&["apply", &manifest]);
    run.expect_code(1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='it.api')", None)
            .0,
        404
    );
}

#[test]
fn plan_formats_json_and_markdown() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", API_ONLY);
    let json_run = tenant.run(&["plan", "--format", "json", &manifest]);
    json_run.expect_code(0);
    let document = crate::plan_json::valid_plan_json(&json_run.stdout);
    assert!(document["format_version"].is_string(), "{document}");
    assert_eq!(document["registrar_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(document["applyable"], true);
    let at = tenant.run(&[
        "--now",
        "2026-11-24T12:00:00Z",
        "plan",
        "--format",
        "json",
        &manifest,
    ]);
    at.expect_code(0);
    let timestamp = crate::plan_json::valid_plan_json(&at.stdout)["timestamp"].clone();
    assert_eq!(timestamp, "2026-11-24T12:00:00Z", "the planner's now");
    assert!(
        document["resource_changes"]
            .as_array()
            .is_some_and(|changes| !changes.is_empty())
    );
    let markdown = tenant.run(&["plan", "--format", "markdown", &manifest]);
    markdown.expect_code(0);
    assert!(markdown.stdout.contains("<details>"), "{}", markdown.stdout);
}

#[test]
fn manifest_for_another_tenant_is_refused() {
    let tenant = TestTenant::new();
    let ours = tenant.write(
        "ours.yaml",
        "version: 1\nnamespace: it\ntenant: contoso.onmicrosoft.com\napplications:\n  one: {}\n",
    );
    tenant.plan(&ours).expect_code(2);
    let theirs = tenant.write(
        "theirs.yaml",
        "version: 1\nnamespace: it\ntenant: 11111111-2222-3333-4444-555555555555\napplications:\n  one: {}\n",
    );
    let run = tenant.run(&["apply", "--auto-approve", &theirs]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("the manifest is for tenant"),
        "{}",
        run.stderr
    );
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='it.one')", None)
            .0,
        404
    );
    let unknown = tenant.write(
        "unknown.yaml",
        "version: 1\nnamespace: it\ntenant: fabrikam.example\napplications:\n  one: {}\n",
    );
    let run = tenant.run(&["plan", &unknown]);
    run.expect_code(1);
    assert!(run.stderr.contains("fabrikam.example"), "{}", run.stderr);
}

#[test]
fn role_assignments_and_admin_consent_are_planned() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: it
applications:
  daemon:
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [Directory.Read.All]
        adminConsent: true
    roleAssignments:
      - role: Reader
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001
",
    );
    let run = tenant.plan(&manifest);
    run.expect_code(2);
    assert!(
        run.stdout.contains("role_assignment.daemon[\"Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001\"] will be created"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("consent[\"Microsoft Graph/Directory.Read.All\"] will be created"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
}

/// Runs `registrar --local ARGS` on a pseudo-terminal (util-linux `script`), typing `answer`
/// once the prompt is up.
fn run_on_terminal(tenant: &TestTenant, args: &str, answer: &str) -> (i32, String) {
    use std::io::Write;
    let command = format!("{} --local {args}", crate::harness::binary());
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(tenant.dir.path())
        .env("REGISTRAR_LOCAL_URL", tenant.base_url())
        .env(
            "REGISTRAR_LOCAL_CA",
            tenant.dir.path().join("emulator-ca.pem"),
        )
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the command on a pseudo-terminal");
    // The prompt comes after the plan; the answer waits in the terminal's input until read.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn apply_on_a_terminal_asks_and_only_yes_approves() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", API_ONLY);
    let (code, screen) = run_on_terminal(&tenant, &format!("apply {manifest}"), "no");
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("Do you want to perform these actions?"),
        "{screen}"
    );
    assert!(screen.contains("apply cancelled"), "{screen}");
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='it.api')", None)
            .0,
        404
    );

    let (code, screen) = run_on_terminal(&tenant, &format!("apply {manifest}"), "yes");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Apply complete!"), "{screen}");
    tenant.assert_converged(&manifest);
}
