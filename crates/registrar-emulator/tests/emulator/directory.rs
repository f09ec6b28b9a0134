//! Owners, users and directoryObjects.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn owners_add_list_remove() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Owned")).await;
    let id = app["id"].as_str().unwrap();
    let alice = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body;
    let alice_id = alice["id"].as_str().unwrap();
    let mut reference = fixture("application-post-owners.request.json");
    reference["@odata.id"] = json!(format!(
        "https://graph.microsoft.com/v1.0/directoryObjects/{alice_id}"
    ));
    let added = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/owners/$ref"),
            Some(reference.clone()),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let again = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/owners/$ref"),
            Some(reference),
        )
        .await;
    assert_graph_error(&again, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(
        again.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("One or more added object references already exist")
    );
    let unknown = harness
        .graph(Method::POST, &format!("/applications/{id}/owners/$ref"), Some(json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-0000-0000-00000000abcd"})))
        .await;
    assert_graph_error(&unknown, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let automation_sp = harness.emulator.tenant().automation_service_principal_id;
    let sp_owner = harness
        .graph(Method::POST, &format!("/applications(appId='{}')/owners/$ref", app["appId"].as_str().unwrap()), Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{automation_sp}")})))
        .await;
    assert_eq!(sp_owner.status, StatusCode::NO_CONTENT);

    let listed = harness
        .graph(Method::GET, &format!("/applications/{id}/owners"), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_shape(&listed.body, &fixture("application-list-owners.json"));
    let types: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|owner| owner["@odata.type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"#microsoft.graph.user")
            && types.contains(&"#microsoft.graph.servicePrincipal")
    );

    let without_ref = harness
        .graph(
            Method::DELETE,
            &format!("/applications/{id}/owners/{alice_id}"),
            None,
        )
        .await;
    assert_graph_error(
        &without_ref,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
    );
    let removed = harness
        .graph(
            Method::DELETE,
            &format!("/applications/{id}/owners/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let not_owner = harness
        .graph(
            Method::DELETE,
            &format!("/applications/{id}/owners/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_graph_error(
        &not_owner,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );
    let listed = harness
        .graph(Method::GET, &format!("/applications/{id}/owners"), None)
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);

    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await
        .body;
    let sp_owners = harness
        .graph(
            Method::POST,
            &format!(
                "/servicePrincipals/{}/owners/$ref",
                sp["id"].as_str().unwrap()
            ),
            Some(
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{alice_id}")}),
            ),
        )
        .await;
    assert_eq!(sp_owners.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn users_and_directory_objects() {
    let harness = Harness::new().await;
    let users = harness.graph(Method::GET, "/users", None).await;
    assert_eq!(users.status, StatusCode::OK);
    let upns: Vec<&str> = users.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["userPrincipalName"].as_str().unwrap())
        .collect();
    for upn in [
        "alice@contoso.com",
        "bob@contoso.com",
        "carol@contoso.com",
        "admin@contoso.onmicrosoft.com",
    ] {
        assert!(upns.contains(&upn), "{upn}");
    }
    let filtered = harness
        .graph(
            Method::GET,
            "/users?$filter=userPrincipalName%20eq%20'bob@contoso.com'",
            None,
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    let by_mail = harness
        .graph(
            Method::GET,
            "/users?$filter=mail%20eq%20'CAROL@contoso.com'",
            None,
        )
        .await;
    assert_eq!(
        by_mail.body["value"][0]["userPrincipalName"],
        "carol@contoso.com"
    );
    let bob = filtered.body["value"][0].clone();
    let by_id = harness
        .graph(
            Method::GET,
            &format!("/users/{}", bob["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(by_id.body["userPrincipalName"], "bob@contoso.com");
    let by_upn = harness
        .graph(Method::GET, "/users/bob%40contoso.com", None)
        .await;
    assert_eq!(by_upn.body["id"], bob["id"]);
    let object = harness
        .graph(
            Method::GET,
            &format!("/directoryObjects/{}", bob["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(object.body["@odata.type"], "#microsoft.graph.user");
    let missing = harness
        .graph(Method::GET, "/users/nobody@contoso.com", None)
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    // Deterministic ids: a second emulator seeds the same users.
    let other = Harness::new().await;
    let other_bob = other
        .graph(Method::GET, "/users/bob@contoso.com", None)
        .await;
    assert_eq!(other_bob.body["id"], bob["id"]);
    let unknown = harness.graph(Method::GET, "/groups", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let not_allowed = harness
        .graph(Method::PUT, "/applications", Some(json!({})))
        .await;
    assert_graph_error(
        &not_allowed,
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
    );
}

/// `$expand=owners` on the application and service principal lists, with Graph's limits for
/// directory objects: at most 20 objects per expanded relationship and no nextLink for the
/// rest, the nested `$select` honoured, one level only, pages of at most 100; and an `in` of at
/// most 15 values.
#[tokio::test]
async fn expand_owners_keeps_graph_limits() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Crowded")).await;
    let id = app["id"].as_str().unwrap();
    for index in 0..25 {
        let owner = harness
            .create_service_principal(&format!("Owner {index}"))
            .await;
        let added = harness
            .graph(
                Method::POST,
                &format!("/applications/{id}/owners/$ref"),
                Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{owner}")})),
            )
            .await;
        assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    }
    let listed = harness
        .graph(
            Method::GET,
            &format!(
                "/applications?$filter=id%20eq%20'{id}'&$select=id,appId&$expand=owners($select=id)"
            ),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let found = &listed.body["value"][0];
    let owners = found["owners"].as_array().unwrap();
    assert_eq!(
        owners.len(),
        20,
        "an expanded relationship holds at most 20"
    );
    assert!(found.get("owners@odata.nextLink").is_none());
    assert!(owners.iter().all(|owner| owner.get("displayName").is_none()
        && owner["id"].is_string()
        && owner["@odata.type"] == "#microsoft.graph.servicePrincipal"));
    assert!(
        found.get("displayName").is_none(),
        "the top-level $select applies"
    );
    let all = harness
        .graph(Method::GET, &format!("/applications/{id}/owners"), None)
        .await;
    assert_eq!(all.body["value"].as_array().unwrap().len(), 25);

    // Pages of at most 100 with `$expand`, whatever `$top` asks.
    let plain = harness
        .graph(Method::GET, "/servicePrincipals?$top=999&$select=id", None)
        .await;
    let total = plain.body["value"].as_array().unwrap().len();
    let expanded = harness
        .graph(
            Method::GET,
            "/servicePrincipals?$top=999&$select=id&$expand=owners",
            None,
        )
        .await;
    assert_eq!(expanded.status, StatusCode::OK, "{}", expanded.body);
    assert_eq!(
        expanded.body["value"].as_array().unwrap().len(),
        total.min(100)
    );
    assert_eq!(
        expanded.body.get("@odata.nextLink").is_some(),
        total > 100,
        "{total} service principals"
    );

    for (query, status) in [
        ("$expand=owners($expand=owners)", StatusCode::BAD_REQUEST),
        ("$expand=members", StatusCode::BAD_REQUEST),
    ] {
        let refused = harness
            .graph(Method::GET, &format!("/applications?{query}"), None)
            .await;
        assert_eq!(refused.status, status, "{query}: {}", refused.body);
    }
    let sixteen: Vec<String> = (0..16).map(|n| format!("'{n}'")).collect();
    let too_many = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals?$filter=appId%20in%20({})",
                sixteen.join(",")
            ),
            None,
        )
        .await;
    assert_graph_error(&too_many, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let fifteen = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals?$filter=appId%20in%20({})",
                sixteen[..15].join(",")
            ),
            None,
        )
        .await;
    assert_eq!(fifteen.status, StatusCode::OK, "{}", fifteen.body);
}

/// `$expand=appRoleAssignments` on the service principal list: the assignments each holds
/// (none here; the CLI's consent tests read granted ones this way).
#[tokio::test]
async fn expand_app_role_assignments_on_service_principals() {
    let harness = Harness::new().await;
    let client = harness.create_service_principal("Client").await;
    let none = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals?$filter=id%20eq%20'{client}'&$select=id,appId&$expand=appRoleAssignments($select=id,resourceId,appRoleId)"),
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.body);
    assert_eq!(none.body["value"][0]["appRoleAssignments"], json!([]));
}

/// The owners a listing shows, as lowercase ids.
async fn owner_ids(harness: &Harness, path: &str) -> Vec<String> {
    let listed = harness.graph(Method::GET, path, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|owner| {
            owner["id"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
        .collect()
}

#[tokio::test]
async fn owners_bound_at_create() {
    let harness = Harness::new().await;
    let alice = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body;
    let alice_id = alice["id"].as_str().unwrap().to_ascii_lowercase();
    let bind = json!([format!(
        "https://graph.microsoft.com/v1.0/directoryObjects/{alice_id}"
    )]);
    // POST /applications
    let mut body = app_body("Bound");
    body["owners@odata.bind"] = bind.clone();
    let app = harness.create_app(body).await;
    let id = app["id"].as_str().unwrap();
    assert_eq!(
        owner_ids(&harness, &format!("/applications/{id}/owners")).await,
        vec![alice_id.clone()]
    );
    // The uniqueName upsert's create binds them too; an update binding the same owner again
    // is refused as a second add is.
    let mut body = app_body("Upserted");
    body["owners@odata.bind"] = bind.clone();
    let upserted = harness
        .graph_with(
            Method::PATCH,
            "/applications(uniqueName='bound-upsert')",
            &[("Prefer", "create-if-missing")],
            Some(body.clone()),
        )
        .await;
    assert_eq!(upserted.status, StatusCode::CREATED, "{}", upserted.body);
    let upserted_id = upserted.body["id"].as_str().unwrap();
    assert_eq!(
        owner_ids(&harness, &format!("/applications/{upserted_id}/owners")).await,
        vec![alice_id.clone()]
    );
    let again = harness
        .graph_with(
            Method::PATCH,
            "/applications(uniqueName='bound-upsert')",
            &[("Prefer", "create-if-missing")],
            Some(body),
        )
        .await;
    assert_graph_error(&again, StatusCode::BAD_REQUEST, "Request_BadRequest");
    // An unknown owner fails the create, which then creates nothing.
    let mut body = app_body("Unknown owner");
    body["owners@odata.bind"] = json!([
        "https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-0000-0000-00000000abcd"
    ]);
    let refused = harness
        .graph(Method::POST, "/applications", Some(body))
        .await;
    assert_graph_error(&refused, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let mut body = app_body("Not a list");
    body["owners@odata.bind"] = json!("x");
    let refused = harness
        .graph(Method::POST, "/applications", Some(body))
        .await;
    assert_graph_error(&refused, StatusCode::BAD_REQUEST, "Request_BadRequest");
    // POST /servicePrincipals
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({ "appId": app["appId"], "owners@odata.bind": bind })),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED, "{}", sp.body);
    let sp_id = sp.body["id"].as_str().unwrap();
    assert_eq!(
        owner_ids(&harness, &format!("/servicePrincipals/{sp_id}/owners")).await,
        vec![alice_id]
    );
}
