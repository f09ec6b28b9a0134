//! Least privilege: apply checks what the plan needs against what a limited client holds
//! before its first write, the local tenant refuses what the client's roles do not allow, and
//! `--tenant` must name the tenant the credential signs in to.

use registrar_emulator::{ClientSpec, CreatedClient};
use serde_json::{Value, json};

use crate::harness::{Run, TestTenant};

const SUBSCRIPTION: &str = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";

const CONSENT_AND_RBAC: &str = "\
version: 1
namespace: least
applications:
  daemon:
    displayName: Daemon
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [User.Read.All]
        adminConsent: true
    roleAssignments:
      - role: Reader
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e
";

fn plain(display_name: &str) -> String {
    format!(
        "version: 1\nnamespace: least\napplications:\n  worker:\n    displayName: {display_name}\n"
    )
}

fn owned_by_only(tenant: &TestTenant) -> CreatedClient {
    tenant
        .emulator
        .create_client(&ClientSpec {
            display_name: "Pipeline (OwnedBy)".to_owned(),
            graph_roles: vec!["Application.ReadWrite.OwnedBy".to_owned()],
            role_assignments: Vec::new(),
        })
        .unwrap()
}

fn run_as(tenant: &TestTenant, client: &CreatedClient, args: &[&str]) -> Run {
    tenant.run_with_env(
        args,
        &[
            ("REGISTRAR_LOCAL_CLIENT_ID", &client.client_id),
            ("REGISTRAR_LOCAL_CLIENT_SECRET", &client.client_secret),
        ],
    )
}

/// How many applications, service principals, app role assignments and role assignments the
/// tenant holds.
fn object_counts(tenant: &TestTenant) -> (usize, usize, usize, usize) {
    let count = |path: &str| {
        let (status, body) = tenant.graph("GET", path, None);
        assert_eq!(status, 200, "{body}");
        body["value"].as_array().unwrap().len()
    };
    let (status, graph_sp) = tenant.graph(
        "GET",
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id",
        None,
    );
    assert_eq!(status, 200);
    let graph_sp = graph_sp["id"].as_str().unwrap();
    let (status, rbac) = tenant.arm(
        "GET",
        &format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
        ),
        None,
    );
    assert_eq!(status, 200, "{rbac}");
    (
        count("/applications"),
        count("/servicePrincipals"),
        count(&format!("/servicePrincipals/{graph_sp}/appRoleAssignedTo")),
        rbac["value"].as_array().unwrap().len(),
    )
}

/// Requests other than reads since the counters were reset (`$batch` carries reads).
fn writes(tenant: &TestTenant) -> Vec<String> {
    tenant
        .emulator
        .request_counts()
        .into_keys()
        .filter(|route| !route.starts_with("GET ") && !route.contains("$batch"))
        .collect()
}

#[test]
fn missing_permissions_are_one_error_before_any_write() {
    let tenant = TestTenant::new();
    let client = owned_by_only(&tenant);
    let manifest = tenant.write("apps.yaml", CONSENT_AND_RBAC);
    let before = object_counts(&tenant);
    tenant.emulator.reset_request_counts();

    let run = run_as(&tenant, &client, &["apply", "--auto-approve", &manifest]);
    run.expect_code(1);
    let error = &run.stderr;
    assert!(
        error.contains("the credential lacks 2 permissions this plan needs; nothing was changed"),
        "{error}"
    );
    assert!(
        error.contains("Microsoft Graph application permission AppRoleAssignment.ReadWrite.All, to grant or revoke admin consent for application permissions: application.daemon.consent["),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "Microsoft.Authorization/roleAssignments/write at scope /subscriptions/{SUBSCRIPTION}, to create Azure role assignments: role_assignment.daemon"
        )),
        "{error}"
    );
    assert_eq!(error.matches("error:").count(), 1, "{error}");
    assert_eq!(writes(&tenant), Vec::<String>::new());
    assert_eq!(object_counts(&tenant), before);
    // The header named the client it checked.
    assert!(
        run.stdout.contains(&format!(
            "Signed in: Pipeline (OwnedBy) (appId {})",
            client.client_id
        )),
        "{}",
        run.stdout
    );

    // A saved plan is checked the same way.
    run_as(&tenant, &client, &["plan", "-o", "plan.json", &manifest]).expect_code(0);
    tenant.emulator.reset_request_counts();
    let saved = run_as(&tenant, &client, &["apply", "plan.json"]);
    saved.expect_code(1);
    assert!(
        saved.stderr.contains("AppRoleAssignment.ReadWrite.All"),
        "{}",
        saved.stderr
    );
    assert_eq!(writes(&tenant), Vec::<String>::new());
    assert_eq!(object_counts(&tenant), before);

    // The default client holds them all.
    tenant.apply(&manifest);
    tenant.assert_converged(&manifest);
}

#[test]
fn owned_by_manages_what_it_created() {
    let tenant = TestTenant::new();
    let client = owned_by_only(&tenant);
    let manifest = tenant.write("apps.yaml", &plain("Worker"));
    let created = run_as(
        &tenant,
        &client,
        &["-vv", "apply", "--auto-approve", &manifest],
    );
    created.expect_code(0);
    // The client's secret and its tokens never reach the output, even at debug level.
    assert!(
        !created.all_output().contains(&client.client_secret),
        "{}",
        created.all_output()
    );
    assert!(!created.all_output().contains("eyJ"), "a token was printed");
    // It owns what it created, so it may change it.
    let app = tenant.application("least.worker");
    let id = app["id"].as_str().unwrap();
    let (_, owners) = tenant.graph("GET", &format!("/applications/{id}/owners"), None);
    assert_eq!(owners["value"][0]["id"], client.service_principal_id);
    let renamed = tenant.write("apps.yaml", &plain("Worker renamed"));
    run_as(&tenant, &client, &["apply", "--auto-approve", &renamed]).expect_code(0);
    assert_eq!(
        tenant.application("least.worker")["displayName"],
        "Worker renamed"
    );
    let converged = run_as(&tenant, &client, &["plan", "--detailed-exitcode", &renamed]);
    converged.expect_code(0);
}

#[test]
fn owned_by_cannot_change_an_application_it_does_not_own() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &plain("Worker"));
    tenant.apply(&manifest);
    let client = owned_by_only(&tenant);
    let renamed = tenant.write("apps.yaml", &plain("Worker renamed"));
    tenant.emulator.reset_request_counts();

    // The client-side check sees the owners in the snapshot and refuses first.
    let run = run_as(&tenant, &client, &["apply", "--auto-approve", &renamed]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("Microsoft Graph application permission Application.ReadWrite.All, to change applications and service principals the client does not own"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("application.worker"), "{}", run.stderr);
    assert_eq!(writes(&tenant), Vec::<String>::new());

    // The tenant itself refuses the write with Graph's 403.
    let app = tenant.application("least.worker");
    let (status, body) = graph_as(
        &tenant,
        &client,
        "PATCH",
        &format!("/applications/{}", app["id"].as_str().unwrap()),
        json!({ "displayName": "Worker renamed" }),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    assert_eq!(tenant.application("least.worker")["displayName"], "Worker");
}

#[test]
fn the_tenant_flag_must_name_the_signed_in_tenant() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &plain("Worker"));
    let wrong = "11111111-2222-3333-4444-555555555555";
    let run = tenant.run(&["apply", "--auto-approve", "--tenant", wrong, &manifest]);
    run.expect_code(1);
    let tenant_id = tenant.emulator.tenant().tenant_id;
    assert!(
        run.stderr.contains(&format!(
            "`--tenant {wrong}` ({wrong}) is not the tenant the credential signs in to ({tenant_id})"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    let (_, apps) = tenant.graph(
        "GET",
        "/applications?$filter=uniqueName eq 'least.worker'",
        None,
    );
    assert_eq!(apps["value"], json!([]));
    // Its id or a verified domain is accepted.
    tenant
        .run(&["apply", "--auto-approve", "--tenant", &tenant_id, &manifest])
        .expect_code(0);
    let renamed = tenant.write("apps.yaml", &plain("Worker renamed"));
    tenant
        .run(&[
            "apply",
            "--auto-approve",
            "--tenant",
            "contoso.onmicrosoft.com",
            &renamed,
        ])
        .expect_code(0);
}

#[test]
fn every_header_names_the_tenant_and_the_client() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", &plain("Worker"));
    let info = tenant.emulator.tenant();
    let text = tenant.plan(&manifest);
    text.expect_code(2);
    assert!(
        text.stdout.starts_with(&format!(
            "Tenant:    {} (contoso.onmicrosoft.com)\nSigned in: Registrar local automation (appId {})\n\n",
            info.tenant_id, info.client_id
        )),
        "{}",
        text.stdout
    );
    let markdown = tenant.run(&["plan", "--format", "markdown", &manifest]);
    markdown.expect_code(0);
    assert!(
        markdown.stdout.starts_with(&format!(
            "**Tenant:** `{}` (contoso.onmicrosoft.com) · **Signed in as:** Registrar local automation (appId `{}`)\n\n",
            info.tenant_id, info.client_id
        )),
        "{}",
        markdown.stdout
    );
    let json = tenant.run(&["plan", "--format", "json", &manifest]);
    json.expect_code(0);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["target"],
        json!({
            "tenant_id": info.tenant_id,
            "default_domain": "contoso.onmicrosoft.com",
            "signed_in": {
                "app_id": info.client_id,
                "object_id": info.automation_service_principal_id,
                "display_name": "Registrar local automation",
            },
        })
    );
    let apply = tenant.apply(&manifest);
    assert!(apply.stdout.starts_with("Tenant:    "), "{}", apply.stdout);
    // A client that may not read the organization: the domain is unknown, the rest is shown.
    let client = owned_by_only(&tenant);
    let limited = run_as(&tenant, &client, &["plan", &manifest]);
    limited.expect_code(0);
    assert!(
        limited.stdout.starts_with(&format!(
            "Tenant:    {} (default domain unknown)\nSigned in: Pipeline (OwnedBy) (appId {})\n",
            info.tenant_id, client.client_id
        )),
        "{}",
        limited.stdout
    );
}

/// A Graph request as `client` (not through Registrar).
fn graph_as(
    tenant: &TestTenant,
    client: &CreatedClient,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let pem = std::fs::read(tenant.dir.path().join("emulator-ca.pem")).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .build()
        .unwrap();
    let base = tenant.base_url().to_owned();
    tenant.runtime.block_on(async {
        let token: Value = http
            .post(format!("{base}/{}/oauth2/v2.0/token", client.tenant_id))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.client_id.as_str()),
                ("client_secret", client.client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let response = http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}/v1.0{path}"),
            )
            .bearer_auth(token["access_token"].as_str().unwrap())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}
