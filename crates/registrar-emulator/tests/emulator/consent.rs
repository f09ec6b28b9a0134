//! Admin consent: app role assignments (`appRoleAssignedTo` / `appRoleAssignments`) and
//! delegated permission grants (`oauth2PermissionGrants`): shapes against the documented
//! payloads, validation errors, the cascade on service principal delete, replication lag,
//! `$batch` and persistence.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use registrar_emulator::{EmulatorConfig, Faults};
use serde_json::{Value, json};

use crate::support::*;

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Microsoft Graph's `User.Read.All` app role (serviceprincipal-list.json).
const USER_READ_ALL_ROLE: &str = "df021288-bdef-4463-88db-98f22de89214";
const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

/// Microsoft Graph's service principal (id, appRoles).
async fn graph_sp(harness: &Harness) -> Value {
    let reply = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id,displayName,appRoles"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

fn role_id(sp: &Value, value: &str) -> String {
    sp["appRoles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|role| role["value"] == value)
        .unwrap_or_else(|| panic!("no app role {value}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An application and its service principal; returns (application, service principal).
async fn client(harness: &Harness, name: &str, extra: Value) -> (Value, Value) {
    let mut body = app_body(name);
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let app = harness.create_app(body).await;
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED, "{}", sp.body);
    (app, sp.body)
}

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value: {}", reply.body))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_opaque_id(value: &str, length: usize) {
    assert_eq!(value.len(), length, "{value}");
    assert!(
        value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
        "{value}"
    );
    assert!(uuid::Uuid::parse_str(value).is_err(), "not a GUID: {value}");
}

fn assert_graph_time(value: &Value) {
    let text = value.as_str().unwrap();
    assert_eq!(text.len(), 28, "{text}");
    assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
}

fn assignment_request(fixture_name: &str, principal: &str, resource: &str, role: &str) -> Value {
    let mut body = fixture(fixture_name);
    body["principalId"] = json!(principal);
    body["resourceId"] = json!(resource);
    body["appRoleId"] = json!(role);
    body
}

fn path_without_base(link: &str) -> String {
    let start = link.find("/v1.0/").unwrap() + "/v1.0".len();
    link[start..].to_owned()
}

#[tokio::test]
async fn app_role_assignments_through_both_routes() {
    let harness = Harness::new().await;
    let graph = graph_sp(&harness).await;
    let graph_id = id(&graph).to_owned();
    let (app, sp) = client(&harness, "Consenting", json!({})).await;
    let sp_id = id(&sp).to_owned();

    // appRoleAssignedTo on the resource (the documented Microsoft Graph example).
    let created = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
            Some(assignment_request(
                "serviceprincipal-post-approleassignedto-msgraph.request.json",
                &sp_id,
                &graph_id,
                USER_READ_ALL_ROLE,
            )),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_shape(
        &created.body,
        &fixture("serviceprincipal-post-approleassignedto-msgraph.json"),
    );
    let first = id(&created.body).to_owned();
    assert_opaque_id(&first, 43);
    assert!(
        created.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "/v1.0/$metadata#servicePrincipals('{graph_id}')/appRoleAssignedTo/$entity"
            ))
    );
    assert_eq!(created.body["deletedDateTime"], Value::Null);
    assert_eq!(created.body["appRoleId"], USER_READ_ALL_ROLE);
    assert_eq!(created.body["principalId"], sp_id.as_str());
    assert_eq!(created.body["principalType"], "ServicePrincipal");
    assert_eq!(created.body["principalDisplayName"], "Consenting");
    assert_eq!(created.body["resourceId"], graph_id.as_str());
    assert_eq!(created.body["resourceDisplayName"], "Microsoft Graph");
    assert_graph_time(&created.body["createdDateTime"]);

    // appRoleAssignments on the client.
    let application_read_all = role_id(&graph, "Application.Read.All");
    let second = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments"),
            Some(assignment_request(
                "serviceprincipal-post-approleassignments.request.json",
                &sp_id,
                &graph_id,
                &application_read_all,
            )),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_shape(
        &second.body,
        &fixture("serviceprincipal-post-approleassignments.json"),
    );
    assert!(
        second.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#appRoleAssignments/$entity")
    );
    let second_id = id(&second.body).to_owned();
    assert_opaque_id(&second_id, 43);
    // Graph's ids start with the principal's id (base64url, .NET byte order).
    assert_eq!(first[..21], second_id[..21]);

    // Lists from both sides, with $filter, $select and paging.
    let assigned_to = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals/{graph_id}/appRoleAssignedTo?$filter=principalId%20eq%20{sp_id}"
            ),
            None,
        )
        .await;
    assert_eq!(assigned_to.status, StatusCode::OK, "{}", assigned_to.body);
    assert_shape(
        &assigned_to.body,
        &fixture("serviceprincipal-list-approleassignedto-msgraph.json"),
    );
    assert!(
        assigned_to.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "/v1.0/$metadata#servicePrincipals('{graph_id}')/appRoleAssignedTo"
            ))
    );
    let mut expected = vec![first.clone(), second_id.clone()];
    expected.sort();
    assert_eq!(ids(&assigned_to), expected);
    let held = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments?$filter=resourceId%20eq%20'{graph_id}'%20and%20appRoleId%20eq%20'{USER_READ_ALL_ROLE}'"),
            None,
        )
        .await;
    assert_eq!(ids(&held), vec![first.clone()]);
    let selected = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments?$select=id,appRoleId"),
            None,
        )
        .await;
    let mut keys: Vec<&String> = selected.body["value"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    keys.sort();
    assert_eq!(keys, vec!["appRoleId", "id"]);
    let page = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments?$top=1"),
            None,
        )
        .await;
    assert_eq!(ids(&page).len(), 1);
    let next = page.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("/appRoleAssignments?$top=1&$skiptoken="),
        "{next}"
    );
    let rest = harness
        .graph(Method::GET, &path_without_base(next), None)
        .await;
    assert_eq!(ids(&rest).len(), 1);
    assert!(rest.body.get("@odata.nextLink").is_none());
    assert_ne!(ids(&page), ids(&rest));
    let unfilterable = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals/{sp_id}/appRoleAssignments?$filter=createdDateTime%20eq%20'x'"
            ),
            None,
        )
        .await;
    assert_graph_error(
        &unfilterable,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );

    // Get one; ids are case-sensitive.
    let single = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments/{first}"),
            None,
        )
        .await;
    assert_eq!(single.status, StatusCode::OK);
    assert_eq!(single.body["appRoleId"], USER_READ_ALL_ROLE);
    let other_case = if first.to_lowercase() == first {
        first.to_uppercase()
    } else {
        first.to_lowercase()
    };
    let missing = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments/{other_case}"),
            None,
        )
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    // A client-credentials token for Graph carries the assigned roles.
    let secret = harness
        .graph(
            Method::POST,
            &format!("/applications/{}/addPassword", id(&app)),
            Some(json!({})),
        )
        .await
        .body["secretText"]
        .as_str()
        .unwrap()
        .to_owned();
    let tenant = harness.emulator.tenant();
    let token = harness
        .token_request(
            &tenant.tenant_id,
            app["appId"].as_str().unwrap(),
            &secret,
            GRAPH_SCOPE,
        )
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(
                token.body["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .nth(1)
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["roles"],
        json!(["Application.Read.All", "User.Read.All"])
    );

    // Delete through either route; the wrong side does not find it.
    let wrong_side = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignments/{first}"),
            None,
        )
        .await;
    assert_graph_error(
        &wrong_side,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo/{first}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    let again = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo/{first}"),
            None,
        )
        .await;
    assert_graph_error(&again, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{sp_id}/appRoleAssignments/{second_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let empty = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals(appId='{}')/appRoleAssignments",
                app["appId"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(ids(&empty), Vec::<String>::new());
    let counts = harness.emulator.request_counts();
    assert_eq!(
        counts["POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo"],
        1
    );
    assert_eq!(
        counts["DELETE /v1.0/servicePrincipals/{id}/appRoleAssignments/{id}"],
        2
    );
}

#[tokio::test]
async fn app_role_assignment_validation() {
    let harness = Harness::new().await;
    let graph = graph_sp(&harness).await;
    let graph_id = id(&graph).to_owned();
    let (_, sp) = client(&harness, "Validated", json!({})).await;
    let sp_id = id(&sp).to_owned();
    let unknown = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
    let post = |path: String, body: Value| {
        let harness = &harness;
        async move { harness.graph(Method::POST, &path, Some(body)).await }
    };
    let assigned_to = format!("/servicePrincipals/{graph_id}/appRoleAssignedTo");

    // The resource (in the URL) and the principal must exist: 404.
    let reply = post(
        format!("/servicePrincipals/{unknown}/appRoleAssignedTo"),
        json!({"principalId": sp_id, "resourceId": unknown, "appRoleId": USER_READ_ALL_ROLE}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let reply = post(
        format!("/servicePrincipals/{sp_id}/appRoleAssignments"),
        json!({"principalId": sp_id, "resourceId": unknown, "appRoleId": USER_READ_ALL_ROLE}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let reply = post(
        assigned_to.clone(),
        json!({"principalId": unknown, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    // The role must be one of the resource's, allowed for the principal's kind: 400.
    let reply = post(
        assigned_to.clone(),
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": unknown}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let reply = post(
        assigned_to.clone(),
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": DEFAULT_ACCESS}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let user_role = "6c2a8a0e-1b54-4c43-9a64-2f0d3c6b9e11";
    let (_, resource) = client(
        &harness,
        "Users only",
        json!({"appRoles": [{
            "allowedMemberTypes": ["User"], "description": "Readers", "displayName": "Readers",
            "id": user_role, "isEnabled": true, "value": "Readers"
        }]}),
    )
    .await;
    let resource_id = id(&resource).to_owned();
    let reply = post(
        format!("/servicePrincipals/{resource_id}/appRoleAssignedTo"),
        json!({"principalId": sp_id, "resourceId": resource_id, "appRoleId": user_role}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    // … but a user may hold it (principalType User, serviceprincipal-list-approleassignedto.json).
    let alice = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body;
    let reply = post(
        format!("/servicePrincipals/{resource_id}/appRoleAssignedTo"),
        assignment_request(
            "serviceprincipal-post-approleassignedto.request.json",
            id(&alice),
            &resource_id,
            user_role,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_shape(
        &reply.body,
        &fixture("serviceprincipal-post-approleassignedto.json"),
    );
    assert_eq!(reply.body["principalType"], "User");
    assert_eq!(reply.body["principalDisplayName"], "Alice Anderson");
    let listed = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{resource_id}/appRoleAssignedTo?$filter=principalType%20eq%20'User'"),
            None,
        )
        .await;
    assert_shape(
        &listed.body,
        &fixture("serviceprincipal-list-approleassignedto.json"),
    );
    assert_eq!(ids(&listed).len(), 1);

    // Default access on a resource without roles.
    let (_, plain) = client(&harness, "No roles", json!({})).await;
    let plain_id = id(&plain).to_owned();
    let reply = post(
        format!("/servicePrincipals/{plain_id}/appRoleAssignedTo"),
        json!({"principalId": sp_id, "resourceId": plain_id, "appRoleId": DEFAULT_ACCESS}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["appRoleId"], DEFAULT_ACCESS);

    // The same (principal, resource, role) twice, through either route.
    let body =
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE});
    let reply = post(assigned_to.clone(), body.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    for path in [
        assigned_to.clone(),
        format!("/servicePrincipals/{sp_id}/appRoleAssignments"),
    ] {
        let reply = post(path, body.clone()).await;
        assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
        assert_eq!(
            reply.body["error"]["message"],
            "Permission being assigned already exists on the object"
        );
    }

    // Malformed bodies.
    for body in [
        json!({"principalId": sp_id, "resourceId": graph_id}),
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": "not-a-guid"}),
        json!({"resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE}),
        json!({"principalId": sp_id, "resourceId": plain_id, "appRoleId": USER_READ_ALL_ROLE}),
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE, "colour": "red"}),
    ] {
        let reply = post(assigned_to.clone(), body.clone()).await;
        assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let reply = post(
        format!("/servicePrincipals/{sp_id}/appRoleAssignments"),
        json!({"principalId": graph_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE}),
    )
    .await;
    assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let reply = harness
        .graph(Method::PATCH, &assigned_to, Some(json!({})))
        .await;
    assert_graph_error(&reply, StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
    let reply = harness
        .graph(
            Method::DELETE,
            &format!("{assigned_to}/47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M"),
            None,
        )
        .await;
    assert_graph_error(&reply, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

fn grant_request(
    fixture_name: &str,
    client: &str,
    resource: &str,
    principal: Option<&str>,
) -> Value {
    let mut body = fixture(fixture_name);
    body["clientId"] = json!(client);
    body["resourceId"] = json!(resource);
    if let Some(principal) = principal {
        body["principalId"] = json!(principal);
    }
    body
}

#[tokio::test]
async fn oauth2_permission_grants_lifecycle() {
    let harness = Harness::new().await;
    let graph_id = id(&graph_sp(&harness).await).to_owned();
    let (_, sp) = client(&harness, "Delegating", json!({})).await;
    let sp_id = id(&sp).to_owned();
    let alice_id = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let all = harness
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            Some(grant_request(
                "oauth2permissiongrant-post-allprincipals.request.json",
                &sp_id,
                &graph_id,
                None,
            )),
        )
        .await;
    assert_eq!(all.status, StatusCode::CREATED, "{}", all.body);
    assert_shape(&all.body, &fixture("oauth2permissiongrant-post.json"));
    assert!(
        all.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#oauth2PermissionGrants/$entity")
    );
    assert_eq!(all.body["consentType"], "AllPrincipals");
    assert_eq!(all.body["principalId"], Value::Null);
    assert_eq!(all.body["clientId"], sp_id.as_str());
    assert_eq!(all.body["resourceId"], graph_id.as_str());
    assert_eq!(all.body["scope"], "User.Read.All Group.Read.All");
    let all_id = id(&all.body).to_owned();
    assert_opaque_id(&all_id, 43);

    let mine = harness
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            Some(grant_request(
                "oauth2permissiongrant-post-principal.request.json",
                &sp_id,
                &graph_id,
                Some(&alice_id),
            )),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
    assert_shape(
        &mine.body,
        &fixture("oauth2permissiongrant-post-principal.json"),
    );
    assert_eq!(mine.body["principalId"], alice_id.as_str());
    let mine_id = id(&mine.body).to_owned();
    assert_opaque_id(&mine_id, 64);
    assert!(mine_id.starts_with(&all_id[..42]));

    // One AllPrincipals grant per (client, resource); one Principal grant per user.
    for body in [
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "Principal", "principalId": alice_id, "resourceId": graph_id, "scope": "User.Read"}),
    ] {
        let duplicate = harness
            .graph(Method::POST, "/oauth2PermissionGrants", Some(body))
            .await;
        assert_graph_error(
            &duplicate,
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
        );
    }

    // Lists with $filter.
    let filtered = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'%20and%20principalId%20eq%20'{alice_id}'%20and%20consentType%20eq%20'Principal'"),
            None,
        )
        .await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.body);
    assert_shape(
        &filtered.body,
        &fixture("oauth2permissiongrant-list-filter.json"),
    );
    assert_eq!(ids(&filtered), vec![mine_id.clone()]);
    let by_client = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'%20and%20consentType%20eq%20'AllPrincipals'"),
            None,
        )
        .await;
    assert_eq!(ids(&by_client), vec![all_id.clone()]);
    let by_resource = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants?$filter=resourceId%20eq%20'{graph_id}'"),
            None,
        )
        .await;
    assert_eq!(ids(&by_resource).len(), 2);
    let listed = harness
        .graph(Method::GET, "/oauth2PermissionGrants?$top=1", None)
        .await;
    assert_shape(&listed.body, &fixture("oauth2permissiongrant-list.json"));
    assert!(listed.body["@odata.nextLink"].as_str().is_some());
    let unfilterable = harness
        .graph(
            Method::GET,
            "/oauth2PermissionGrants?$filter=scope%20eq%20'x'",
            None,
        )
        .await;
    assert_graph_error(
        &unfilterable,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
    let of_client = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp_id}/oauth2PermissionGrants"),
            None,
        )
        .await;
    assert_eq!(of_client.status, StatusCode::OK);
    let mut expected = vec![all_id.clone(), mine_id.clone()];
    expected.sort();
    assert_eq!(ids(&of_client), expected);
    assert!(
        of_client.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "$metadata#servicePrincipals('{sp_id}')/oauth2PermissionGrants"
            ))
    );
    let of_graph = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{graph_id}/oauth2PermissionGrants"),
            None,
        )
        .await;
    assert_eq!(ids(&of_graph), Vec::<String>::new());

    // Get, update (the scope string is replaced), delete.
    let got = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{all_id}"),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_shape(&got.body, &fixture("oauth2permissiongrant-post.json"));
    let updated = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{all_id}"),
            Some(fixture("oauth2permissiongrant-update.request.json")),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT, "{}", updated.body);
    assert!(updated.text.is_empty());
    let got = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{all_id}"),
            None,
        )
        .await;
    assert_eq!(got.body["scope"], "User.ReadBasic.All Group.ReadWrite.All");
    let revoked = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{mine_id}"),
            Some(fixture("oauth2permissiongrant-update-revoke.request.json")),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let got = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{mine_id}?$select=scope"),
            None,
        )
        .await;
    assert_eq!(got.body["scope"], "User.Read.All");
    assert!(got.body.get("clientId").is_none());
    let read_only = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{mine_id}"),
            Some(json!({"clientId": graph_id})),
        )
        .await;
    assert_graph_error(&read_only, StatusCode::BAD_REQUEST, "Request_BadRequest");

    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/oauth2PermissionGrants/{all_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE, Method::PATCH] {
        let body = (method == Method::PATCH).then(|| json!({"scope": "x"}));
        let gone = harness
            .graph(method, &format!("/oauth2PermissionGrants/{all_id}"), body)
            .await;
        assert_graph_error(&gone, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
    // The Principal grant is independent of the AllPrincipals one.
    let kept = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{mine_id}"),
            None,
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    // After a delete, the same (client, resource) may be granted again.
    let again = harness
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            Some(json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    let counts = harness.emulator.request_counts();
    assert_eq!(counts["GET /v1.0/oauth2PermissionGrants/{id}"], 5);
    assert_eq!(
        counts["GET /v1.0/servicePrincipals/{id}/oauth2PermissionGrants"],
        2
    );
}

#[tokio::test]
async fn oauth2_permission_grant_validation() {
    let harness = Harness::new().await;
    let graph_id = id(&graph_sp(&harness).await).to_owned();
    let (_, sp) = client(&harness, "Checked", json!({})).await;
    let sp_id = id(&sp).to_owned();
    let (_, other) = client(&harness, "Other", json!({})).await;
    let other_id = id(&other).to_owned();
    let alice_id = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
    let post = |body: Value| {
        let harness = &harness;
        async move {
            harness
                .graph(Method::POST, "/oauth2PermissionGrants", Some(body))
                .await
        }
    };
    for body in [
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "principalId": alice_id, "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "Principal", "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "Everyone", "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "resourceId": graph_id, "scope": "User.Read"}),
        json!({"consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "scope": "User.Read"}),
        json!({"clientId": "nope", "consentType": "AllPrincipals", "resourceId": graph_id}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": 7}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "x ".repeat(1926)}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "startTime": "2020-01-01T00:00:00Z"}),
        json!({"clientId": sp_id, "consentType": "Principal", "principalId": other_id, "resourceId": graph_id, "scope": "User.Read"}),
    ] {
        let reply = post(body.clone()).await;
        assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    for body in [
        json!({"clientId": unknown, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": unknown, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "Principal", "principalId": unknown, "resourceId": graph_id, "scope": "User.Read"}),
    ] {
        let reply = post(body.clone()).await;
        assert_graph_error(&reply, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
    // 3,850 characters are allowed; values Graph does not know are kept as sent.
    let long = format!("{} Not.A.Scope", "x ".repeat(1918));
    assert_eq!(long.len(), 3848);
    let reply = post(json!({"clientId": sp_id, "consentType": "allprincipals", "resourceId": graph_id, "scope": long})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["scope"], long.as_str());
    assert_eq!(reply.body["consentType"], "AllPrincipals");
    let grant_id = id(&reply.body).to_owned();
    let too_long = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{grant_id}"),
            Some(json!({"scope": "y".repeat(3851)})),
        )
        .await;
    assert_graph_error(&too_long, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let exactly = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{grant_id}"),
            Some(json!({"scope": "y".repeat(3850)})),
        )
        .await;
    assert_eq!(exactly.status, StatusCode::NO_CONTENT);
    let wrong_method = harness
        .graph(Method::PUT, "/oauth2PermissionGrants", Some(json!({})))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn deleting_a_service_principal_removes_its_consent() {
    let harness = Harness::new().await;
    let graph_id = id(&graph_sp(&harness).await).to_owned();
    let role = "3a1f0a54-8c5b-4b0e-9a5e-5d7c3f2b1a01";
    let (_, api) = client(
        &harness,
        "Api",
        json!({"appRoles": [{
            "allowedMemberTypes": ["Application"], "description": "Jobs", "displayName": "Jobs",
            "id": role, "isEnabled": true, "value": "Jobs.Run"
        }]}),
    )
    .await;
    let api_id = id(&api).to_owned();
    let (client_app, sp) = client(&harness, "Consumer", json!({})).await;
    let sp_id = id(&sp).to_owned();
    let (_, bystander) = client(&harness, "Bystander", json!({})).await;
    let bystander_id = id(&bystander).to_owned();
    for (resource, principal, app_role) in [
        (&graph_id, &sp_id, USER_READ_ALL_ROLE),
        (&api_id, &sp_id, role),
        (&api_id, &bystander_id, role),
        (&graph_id, &bystander_id, USER_READ_ALL_ROLE),
    ] {
        let reply = harness
            .graph(
                Method::POST,
                &format!("/servicePrincipals/{resource}/appRoleAssignedTo"),
                Some(json!({"principalId": principal, "resourceId": resource, "appRoleId": app_role})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    for (client_id, resource) in [
        (&sp_id, &graph_id),
        (&sp_id, &api_id),
        (&bystander_id, &api_id),
    ] {
        let reply = harness
            .graph(
                Method::POST,
                "/oauth2PermissionGrants",
                Some(json!({"clientId": client_id, "consentType": "AllPrincipals", "resourceId": resource, "scope": "User.Read"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let count = |path: String| {
        let harness = &harness;
        async move { ids(&harness.graph(Method::GET, &path, None).await).len() }
    };
    // Deleting the resource API removes the assignments and grants on it.
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{api_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        count(format!(
            "/servicePrincipals/{bystander_id}/appRoleAssignments"
        ))
        .await,
        1
    );
    assert_eq!(
        count(format!(
            "/oauth2PermissionGrants?$filter=resourceId%20eq%20'{api_id}'"
        ))
        .await,
        0
    );
    // Deleting the client (here: through its application) removes what it holds.
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/applications/{}", id(&client_app)),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let holders = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
            None,
        )
        .await;
    assert_eq!(
        holders.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["principalId"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![bystander_id.as_str()]
    );
    assert_eq!(
        count(format!(
            "/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'"
        ))
        .await,
        0
    );
    assert_eq!(count("/oauth2PermissionGrants".to_owned()).await, 0);
    // Deleting the (first-party) Microsoft Graph service principal removes the rest.
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{graph_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        count(format!(
            "/servicePrincipals/{bystander_id}/appRoleAssignments"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn replication_lag_applies_to_consent() {
    let harness = Harness::new().await;
    let graph_id = id(&graph_sp(&harness).await).to_owned();
    let app = harness.create_app(app_body("Fresh")).await;
    harness.set_faults(Faults {
        replication_lag_ms: 300,
        ..Default::default()
    });
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED);
    let sp_id = id(&sp.body).to_owned();
    let assignment =
        json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE});
    let grant = json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"});
    let assigned_to = format!("/servicePrincipals/{graph_id}/appRoleAssignedTo");
    // The new service principal is not yet known as principal or client.
    let early = harness
        .graph(Method::POST, &assigned_to, Some(assignment.clone()))
        .await;
    assert_graph_error(&early, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let early = harness
        .graph(Method::POST, "/oauth2PermissionGrants", Some(grant.clone()))
        .await;
    assert_graph_error(&early, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let created = harness
        .graph(Method::POST, &assigned_to, Some(assignment.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let granted = harness
        .graph(Method::POST, "/oauth2PermissionGrants", Some(grant.clone()))
        .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
    let grant_id = id(&granted.body).to_owned();
    // Fresh consent is missing from lists and gets for the lag window …
    let filter = format!("?$filter=principalId%20eq%20'{sp_id}'");
    let listed = harness
        .graph(Method::GET, &format!("{assigned_to}{filter}"), None)
        .await;
    assert_eq!(ids(&listed).len(), 0);
    let grants = format!("/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'");
    assert_eq!(
        ids(&harness.graph(Method::GET, &grants, None).await).len(),
        0
    );
    let hidden = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{grant_id}"),
            None,
        )
        .await;
    assert_graph_error(&hidden, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    // … but a second create already conflicts (the write was accepted).
    let duplicate = harness
        .graph(Method::POST, &assigned_to, Some(assignment.clone()))
        .await;
    assert_graph_error(&duplicate, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let duplicate = harness
        .graph(Method::POST, "/oauth2PermissionGrants", Some(grant.clone()))
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let listed = harness
        .graph(Method::GET, &format!("{assigned_to}{filter}"), None)
        .await;
    assert_eq!(ids(&listed), vec![id(&created.body).to_owned()]);
    assert_eq!(
        ids(&harness.graph(Method::GET, &grants, None).await),
        vec![grant_id.clone()]
    );
    // An update is stale for the lag window too.
    let updated = harness
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{grant_id}"),
            Some(json!({"scope": "User.Read Mail.Read"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT);
    assert_eq!(
        ids(&harness.graph(Method::GET, &grants, None).await).len(),
        0
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let got = harness
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants/{grant_id}"),
            None,
        )
        .await;
    assert_eq!(got.body["scope"], "User.Read Mail.Read");
}

#[tokio::test]
async fn consent_requests_inside_a_batch() {
    let harness = Harness::new().await;
    let graph_id = id(&graph_sp(&harness).await).to_owned();
    let (_, sp) = client(&harness, "Batched", json!({})).await;
    let sp_id = id(&sp).to_owned();
    harness.emulator.reset_request_counts();
    let json_headers = json!({"Content-Type": "application/json"});
    let batch = json!({"requests": [
        {"id": "assign", "method": "POST", "url": format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"), "headers": json_headers,
         "body": {"principalId": sp_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE}},
        {"id": "grant", "method": "POST", "url": "/oauth2PermissionGrants", "headers": json_headers,
         "body": {"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"}},
        {"id": "roles", "method": "GET", "url": format!("/servicePrincipals/{sp_id}/appRoleAssignments"), "dependsOn": ["assign"]},
        {"id": "grants", "method": "GET", "url": format!("/oauth2PermissionGrants?$filter=clientId eq '{sp_id}'"), "dependsOn": ["grant"]},
        {"id": "bad", "method": "POST", "url": "/oauth2PermissionGrants", "headers": json_headers,
         "body": {"clientId": sp_id, "consentType": "Principal", "resourceId": graph_id}},
    ]});
    let reply = harness.graph(Method::POST, "/$batch", Some(batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let responses = reply.body["responses"].as_array().unwrap();
    let by_id = |name: &str| {
        responses
            .iter()
            .find(|response| response["id"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("assign")["status"], 201);
    assert_shape(
        &by_id("assign")["body"],
        &fixture("serviceprincipal-post-approleassignedto-msgraph.json"),
    );
    assert_eq!(by_id("grant")["status"], 201);
    assert_shape(
        &by_id("grant")["body"],
        &fixture("oauth2permissiongrant-post.json"),
    );
    assert_eq!(by_id("roles")["status"], 200);
    assert_eq!(
        by_id("roles")["body"]["value"][0]["appRoleId"],
        USER_READ_ALL_ROLE
    );
    assert_eq!(by_id("grants")["status"], 200);
    assert_shape(
        &by_id("grants")["body"],
        &fixture("oauth2permissiongrant-list.json"),
    );
    assert_eq!(by_id("bad")["status"], 400);
    assert_eq!(by_id("bad")["body"]["error"]["code"], "Request_BadRequest");
    let counts = harness.emulator.request_counts();
    assert_eq!(
        counts["POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo"],
        1
    );
    assert_eq!(counts["POST /v1.0/oauth2PermissionGrants"], 2);
    assert_eq!(counts["GET /v1.0/oauth2PermissionGrants"], 1);
}

#[tokio::test]
async fn consent_survives_a_restart_and_old_state_files_load() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("tenant.json");
    let config = || EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..Default::default()
    };
    let (graph_id, sp_id, assignment_id, grant_id) = {
        let harness = Harness::with_config(config()).await;
        let graph_id = id(&graph_sp(&harness).await).to_owned();
        let (_, sp) = client(&harness, "Kept", json!({})).await;
        let sp_id = id(&sp).to_owned();
        let assignment = harness
            .graph(
                Method::POST,
                &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
                Some(json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": USER_READ_ALL_ROLE})),
            )
            .await;
        let grant = harness
            .graph(
                Method::POST,
                "/oauth2PermissionGrants",
                Some(json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_id, "scope": "User.Read"})),
            )
            .await;
        (
            graph_id,
            sp_id,
            id(&assignment.body).to_owned(),
            id(&grant.body).to_owned(),
        )
    };
    {
        let harness = Harness::with_config(config()).await;
        let listed = harness
            .graph(
                Method::GET,
                &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
                None,
            )
            .await;
        assert_eq!(ids(&listed), vec![assignment_id.clone()]);
        let grant = harness
            .graph(
                Method::GET,
                &format!("/oauth2PermissionGrants/{grant_id}"),
                None,
            )
            .await;
        assert_eq!(grant.status, StatusCode::OK);
        assert_eq!(grant.body["clientId"], sp_id.as_str());
    }
    // A file written before consent existed (same schema version, no consent maps) loads.
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    assert_eq!(state["schema_version"], 1);
    let object = state.as_object_mut().unwrap();
    assert!(object.remove("app_role_assignments").is_some());
    assert!(object.remove("oauth2_permission_grants").is_some());
    std::fs::write(&state_file, state.to_string()).unwrap();
    let harness = Harness::with_config(config()).await;
    let listed = harness
        .graph(Method::GET, "/oauth2PermissionGrants", None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(ids(&listed), Vec::<String>::new());
}
