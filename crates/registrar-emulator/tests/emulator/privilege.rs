//! Least privilege in the local tenant: limited clients, the `roles` their tokens carry, Graph's
//! and ARM's 403s for what those roles do not allow (including `Application.ReadWrite.OwnedBy`'s
//! owned-only rule), ARM's permissions list, and `/organization`.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use registrar_emulator::{ClientRoleAssignment, ClientSpec, CreatedClient};
use serde_json::{Value, json};

use crate::support::{
    ARM_SCOPE, GRAPH_SCOPE, Harness, app_body, assert_arm_error, assert_graph_error,
};

const SUBSCRIPTION: &str = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
const OTHER_SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

async fn token_of(harness: &Harness, client: &CreatedClient, scope: &str) -> String {
    let reply = harness
        .token_request(
            &client.tenant_id,
            &client.client_id,
            &client.client_secret,
            scope,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

fn owned_by_client() -> ClientSpec {
    ClientSpec {
        display_name: "Pipeline (owned only)".to_owned(),
        graph_roles: vec!["Application.ReadWrite.OwnedBy".to_owned()],
        role_assignments: vec![ClientRoleAssignment {
            role: "Reader".to_owned(),
            scope: format!("/subscriptions/{SUBSCRIPTION}"),
        }],
    }
}

#[tokio::test]
async fn a_limited_clients_token_carries_the_roles_its_service_principal_holds() {
    let harness = Harness::new().await;
    let client = harness.emulator.create_client(&owned_by_client()).unwrap();
    let token = token_of(&harness, &client, GRAPH_SCOPE).await;
    let claims = claims(&token);
    assert_eq!(claims["roles"], json!(["Application.ReadWrite.OwnedBy"]));
    assert_eq!(claims["oid"], client.service_principal_id);
    assert_eq!(claims["appid"], client.client_id);
    assert_eq!(claims["app_displayname"], "Pipeline (owned only)");

    // The automation client keeps its full rights.
    let automation = claims_of_automation(&harness);
    assert_eq!(
        automation["roles"],
        json!([
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
            "Directory.Read.All"
        ])
    );
    assert_eq!(automation["app_displayname"], "Registrar local automation");

    // Unknown names are refused and create nothing.
    let bad = harness.emulator.create_client(&ClientSpec {
        graph_roles: vec!["Application.ReadWrite.Everything".to_owned()],
        ..ClientSpec::default()
    });
    assert!(
        bad.unwrap_err()
            .contains("Application.ReadWrite.Everything")
    );
}

fn claims_of_automation(harness: &Harness) -> Value {
    claims(&harness.graph_token)
}

#[tokio::test]
async fn the_control_route_creates_a_limited_client() {
    let harness = Harness::new().await;
    let reply = harness
        .call(
            Method::POST,
            "/_emulator/clients",
            None,
            &[],
            Some(json!({ "displayName": "ci", "graphRoles": ["Application.Read.All"] })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let client: CreatedClient = serde_json::from_value(reply.body).unwrap();
    let token = token_of(&harness, &client, GRAPH_SCOPE).await;
    assert_eq!(claims(&token)["roles"], json!(["Application.Read.All"]));
    let bad = harness
        .call(
            Method::POST,
            "/_emulator/clients",
            None,
            &[],
            Some(json!({ "roleAssignments": [{ "role": "No Such Role", "scope": "/" }] })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn owned_by_changes_only_what_the_client_owns() {
    let harness = Harness::new().await;
    let client = harness.emulator.create_client(&owned_by_client()).unwrap();
    let token = token_of(&harness, &client, GRAPH_SCOPE).await;
    let as_client = |method: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let harness = &harness;
        async move {
            harness
                .call(method, &format!("/v1.0{path}"), Some(&token), &[], body)
                .await
        }
    };

    // An application the client did not create (nor own) cannot be changed.
    let stranger = harness.create_app(app_body("stranger")).await;
    let stranger_id = stranger["id"].as_str().unwrap().to_owned();
    let refused = as_client(
        Method::PATCH,
        format!("/applications/{stranger_id}"),
        Some(json!({ "notes": "mine now" })),
    )
    .await;
    assert_graph_error(
        &refused,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
    assert_eq!(
        refused.body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    let refused = as_client(
        Method::POST,
        format!("/applications/{stranger_id}/addPassword"),
        Some(json!({})),
    )
    .await;
    assert_graph_error(
        &refused,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
    // But it can be read.
    let read = as_client(Method::GET, format!("/applications/{stranger_id}"), None).await;
    assert_eq!(read.status, StatusCode::OK);

    // One it creates, it owns, and can change, with its service principal.
    let created = as_client(
        Method::POST,
        "/applications".to_owned(),
        Some(app_body("own")),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let own_id = created.body["id"].as_str().unwrap().to_owned();
    let owners = harness
        .graph(Method::GET, &format!("/applications/{own_id}/owners"), None)
        .await;
    assert_eq!(owners.body["value"][0]["id"], client.service_principal_id);
    let changed = as_client(
        Method::PATCH,
        format!("/applications/{own_id}"),
        Some(json!({ "notes": "fine" })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let sp = as_client(
        Method::POST,
        "/servicePrincipals".to_owned(),
        Some(json!({ "appId": created.body["appId"] })),
    )
    .await;
    assert_eq!(sp.status, StatusCode::CREATED, "{}", sp.body);
    let sp_id = sp.body["id"].as_str().unwrap().to_owned();
    let patched = as_client(
        Method::PATCH,
        format!("/servicePrincipals/{sp_id}"),
        Some(json!({ "notes": "fine" })),
    )
    .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);

    // OwnedBy cannot add owners, grant app roles or delegated permissions.
    let admin = harness.emulator.tenant().automation_service_principal_id;
    let add_owner = as_client(
        Method::POST,
        format!("/applications/{own_id}/owners/$ref"),
        Some(json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{admin}") })),
    )
    .await;
    assert_graph_error(
        &add_owner,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
    let graph_sp = harness
        .graph(
            Method::GET,
            "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id",
            None,
        )
        .await;
    let graph_sp_id = graph_sp.body["id"].as_str().unwrap().to_owned();
    let grant = as_client(
        Method::POST,
        format!("/servicePrincipals/{graph_sp_id}/appRoleAssignedTo"),
        Some(json!({
            "principalId": sp_id,
            "resourceId": graph_sp_id,
            "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
        })),
    )
    .await;
    assert_graph_error(&grant, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let scopes = as_client(
        Method::POST,
        "/oauth2PermissionGrants".to_owned(),
        Some(json!({
            "clientId": sp_id,
            "consentType": "AllPrincipals",
            "resourceId": graph_sp_id,
            "scope": "User.Read",
        })),
    )
    .await;
    assert_graph_error(
        &scopes,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
    // Users need a directory read permission.
    let users = as_client(Method::GET, "/users".to_owned(), None).await;
    assert_graph_error(&users, StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    // The same refusals inside a batch.
    let batch = as_client(
        Method::POST,
        "/$batch".to_owned(),
        Some(json!({ "requests": [
            { "id": "1", "method": "PATCH", "url": format!("/applications/{stranger_id}"),
              "headers": { "Content-Type": "application/json" }, "body": { "notes": "x" } },
        ] })),
    )
    .await;
    assert_eq!(batch.body["responses"][0]["status"], 403, "{}", batch.body);
}

#[tokio::test]
async fn arm_refuses_role_assignment_writes_without_the_action_and_lists_permissions() {
    let harness = Harness::new().await;
    let client = harness
        .emulator
        .create_client(&ClientSpec {
            display_name: "rbac".to_owned(),
            graph_roles: vec![],
            role_assignments: vec![
                ClientRoleAssignment {
                    role: "Reader".to_owned(),
                    scope: format!("/subscriptions/{SUBSCRIPTION}"),
                },
                ClientRoleAssignment {
                    role: "User Access Administrator".to_owned(),
                    scope: format!("/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg"),
                },
            ],
        })
        .unwrap();
    let token = token_of(&harness, &client, ARM_SCOPE).await;
    let principal = harness.emulator.tenant().automation_service_principal_id;
    let body = json!({ "properties": {
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": principal,
        "principalType": "ServicePrincipal",
    } });
    let name = "3f3b3a2e-9c61-4c55-9f3e-2b8b2c9a1d01";
    let put = harness
        .call(
            Method::PUT,
            &format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
            Some(&token),
            &[],
            Some(body.clone()),
        )
        .await;
    assert_arm_error(&put, StatusCode::FORBIDDEN, "AuthorizationFailed");
    assert_eq!(
        put.body["error"]["message"],
        format!(
            "The client '{sp}' with object id '{sp}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/{name}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            sp = client.service_principal_id
        )
    );

    // Where it is User Access Administrator, it may.
    let mut body_rg = body.clone();
    body_rg["properties"]["roleDefinitionId"] = json!(format!(
        "/subscriptions/{OTHER_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    ));
    let put = harness
        .call(
            Method::PUT,
            &format!("/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
            Some(&token),
            &[],
            Some(body_rg),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);

    // The permissions list, per assignment, at each scope.
    let permissions = |scope: String| {
        let token = token.clone();
        let harness = &harness;
        async move {
            harness
                .call(
                    Method::GET,
                    &format!("{scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"),
                    Some(&token),
                    &[],
                    None,
                )
                .await
        }
    };
    let at_sub = permissions(format!("/subscriptions/{SUBSCRIPTION}")).await;
    assert_eq!(at_sub.status, StatusCode::OK, "{}", at_sub.body);
    assert_eq!(
        at_sub.body,
        json!({ "value": [{ "actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": [] }] })
    );
    let at_rg = permissions(format!(
        "/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg"
    ))
    .await;
    assert_eq!(
        at_rg.body["value"][0]["actions"],
        json!(["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"])
    );
    let above = permissions(format!("/subscriptions/{OTHER_SUBSCRIPTION}")).await;
    assert_eq!(above.body, json!({ "value": [] }));
    // The automation client is Owner everywhere.
    let automation = harness
        .arm(
            Method::GET,
            &format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"),
            None,
        )
        .await;
    assert_eq!(automation.body["value"][0]["actions"], json!(["*"]));
}

#[tokio::test]
async fn organization_lists_one_default_onmicrosoft_domain() {
    let harness = Harness::new().await;
    let reply = harness
        .graph(
            Method::GET,
            "/organization?$select=id,verifiedDomains",
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let organization = &reply.body["value"][0];
    assert_eq!(organization["id"], harness.emulator.tenant().tenant_id);
    assert!(organization.get("displayName").is_none());
    let domains = organization["verifiedDomains"].as_array().unwrap();
    let defaults: Vec<&Value> = domains
        .iter()
        .filter(|domain| domain["isDefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["name"], "contoso.onmicrosoft.com");
    assert_eq!(defaults[0]["isInitial"], true);
    assert!(
        reply.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#organization(id,verifiedDomains)")
    );

    // A client without a directory or organization read permission is refused.
    let client = harness.emulator.create_client(&owned_by_client()).unwrap();
    let token = token_of(&harness, &client, GRAPH_SCOPE).await;
    let refused = harness
        .call(Method::GET, "/v1.0/organization", Some(&token), &[], None)
        .await;
    assert_graph_error(
        &refused,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
}
