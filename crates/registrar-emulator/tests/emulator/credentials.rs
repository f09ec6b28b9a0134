//! Client secrets, certificates and federated identity credentials.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn add_password_returns_secret_once_and_it_authenticates() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Secretive")).await;
    let id = app["id"].as_str().unwrap();
    let app_id = app["appId"].as_str().unwrap();
    let added = harness
        .graph(
            Method::POST,
            &format!("/applications(appId='{app_id}')/addPassword"),
            Some(fixture("application-addpassword.request.json")),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_shape(&added.body, &fixture("application-addpassword.json"));
    let secret = added.body["secretText"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 40);
    assert_eq!(added.body["hint"], &secret[..3]);
    assert_eq!(added.body["displayName"], "Password friendly name");
    let start = time::OffsetDateTime::parse(
        added.body["startDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let end = time::OffsetDateTime::parse(
        added.body["endDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((end - start).whole_days(), 730);

    let read = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_eq!(
        read.body["passwordCredentials"][0]["secretText"],
        serde_json::Value::Null
    );
    assert_eq!(
        read.body["passwordCredentials"][0]["keyId"],
        added.body["keyId"]
    );
    assert!(!serde_json::to_string(&read.body).unwrap().contains(&secret));

    // The new secret works only once the app has a service principal.
    let tenant = harness.emulator.tenant();
    let no_sp = harness
        .token_request(&tenant.tenant_id, app_id, &secret, GRAPH_SCOPE)
        .await;
    assert_eq!(no_sp.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_sp.body["error_codes"][0], 7000229);
    harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app_id})),
        )
        .await;
    let token = harness
        .token_request(&tenant.tenant_id, app_id, &secret, GRAPH_SCOPE)
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);

    let key_id = added.body["keyId"].as_str().unwrap();
    let removed = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/removePassword"),
            Some(json!({"keyId": key_id})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let again = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/removePassword"),
            Some(json!({"keyId": key_id})),
        )
        .await;
    assert_graph_error(&again, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let revoked = harness
        .token_request(&tenant.tenant_id, app_id, &secret, GRAPH_SCOPE)
        .await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.body["error"], "invalid_client");

    let custom_end = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/addPassword"),
            Some(json!({"passwordCredential": {"endDateTime": "2099-01-01T00:00:00Z"}})),
        )
        .await;
    assert_eq!(
        custom_end.body["endDateTime"],
        "2099-01-01T00:00:00.0000000Z"
    );
    let missing = harness
        .graph(
            Method::POST,
            "/applications/00000000-0000-0000-0000-000000000000/addPassword",
            Some(json!({})),
        )
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn key_credentials_through_patch() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Certified")).await;
    let id = app["id"].as_str().unwrap();
    let patched = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(fixture("application-update-keycredentials.request.json")),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
    let read = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await
        .body;
    let credential = &read["keyCredentials"][0];
    assert_eq!(
        credential["key"],
        serde_json::Value::Null,
        "key is not returned without $select"
    );
    assert_eq!(
        credential["customKeyIdentifier"],
        "BB5D1064437D8720A5C53078185E6A361A78B10A"
    );
    assert_eq!(credential["type"], "AsymmetricX509Cert");
    assert_eq!(credential["displayName"], "CN=20221220");
    let listed = harness
        .graph(
            Method::GET,
            "/applications?$filter=displayName%20eq%20'Certified'",
            None,
        )
        .await
        .body;
    assert_eq!(
        listed["value"][0]["keyCredentials"][0]["key"],
        serde_json::Value::Null
    );
    let selected = harness
        .graph(
            Method::GET,
            &format!("/applications/{id}?$select=keyCredentials"),
            None,
        )
        .await
        .body;
    assert_eq!(selected["keyCredentials"][0]["key"], sample_certificate());

    // Defaults from the certificate itself.
    let bare = json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": sample_certificate()}]});
    assert_eq!(
        harness
            .graph(Method::PATCH, &format!("/applications/{id}"), Some(bare))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let read = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await
        .body;
    let credential = &read["keyCredentials"][0];
    assert_eq!(credential["startDateTime"], "2022-12-20T15:27:20.0000000Z");
    assert_eq!(credential["endDateTime"], "2023-12-20T15:47:20.0000000Z");
    assert_eq!(
        credential["customKeyIdentifier"].as_str().unwrap().len(),
        40
    );

    let invalid = harness
        .graph(Method::PATCH, &format!("/applications/{id}"), Some(json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": "TUlJRFlEQ0NBa2k="}]})))
        .await;
    assert_graph_error(&invalid, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let cleared = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({"keyCredentials": []})),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(
        harness
            .graph(Method::GET, &format!("/applications/{id}"), None)
            .await
            .body["keyCredentials"],
        json!([])
    );
}

#[tokio::test]
async fn federated_identity_credentials_crud_and_upsert() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Federated")).await;
    let id = app["id"].as_str().unwrap();
    let base = format!("/applications/{id}/federatedIdentityCredentials");
    let created = harness
        .graph(
            Method::POST,
            &base,
            Some(fixture("federatedidentitycredential-post.request.json")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_shape(
        &created.body,
        &fixture("federatedidentitycredential-post.json"),
    );
    let fic_id = created.body["id"].as_str().unwrap().to_owned();

    let listed = harness.graph(Method::GET, &base, None).await;
    assert_shape(
        &listed.body,
        &fixture("federatedidentitycredential-list.json"),
    );
    let filtered = harness
        .graph(
            Method::GET,
            &format!("{base}?$filter=name%20eq%20'testing02'"),
            None,
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    let by_subject = harness
        .graph(
            Method::GET,
            &format!("{base}?$filter=subject%20eq%20'nobody'"),
            None,
        )
        .await;
    assert_eq!(by_subject.body["value"].as_array().unwrap().len(), 0);

    let update = harness
        .graph(
            Method::PATCH,
            &format!("{base}/{fic_id}"),
            Some(fixture("federatedidentitycredential-update.request.json")),
        )
        .await;
    assert_eq!(update.status, StatusCode::NO_CONTENT, "{}", update.body);
    let by_name = harness
        .graph(Method::GET, &format!("{base}/testing02"), None)
        .await;
    assert_eq!(by_name.body["description"], "Updated description");
    let rename = harness
        .graph(
            Method::PATCH,
            &format!("{base}/{fic_id}"),
            Some(json!({"name": "other"})),
        )
        .await;
    assert_graph_error(&rename, StatusCode::BAD_REQUEST, "Request_BadRequest");

    let duplicate_pair = harness
        .graph(Method::POST, &base, Some(json!({"name": "dup", "issuer": created.body["issuer"], "subject": created.body["subject"], "audiences": ["api://AzureADTokenExchange"]})))
        .await;
    assert_graph_error(
        &duplicate_pair,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
    );
    let two_audiences = harness
        .graph(Method::POST, &base, Some(json!({"name": "two", "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:x/y:ref:refs/heads/main", "audiences": ["a", "b"]})))
        .await;
    assert_graph_error(
        &two_audiences,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
    );
    let long_name = harness
        .graph(Method::POST, &base, Some(json!({"name": "n".repeat(121), "issuer": "https://i", "subject": "s", "audiences": ["api://AzureADTokenExchange"]})))
        .await;
    assert_graph_error(&long_name, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let same_name = harness
        .graph(Method::POST, &base, Some(json!({"name": "testing02", "issuer": "https://i", "subject": "s2", "audiences": ["api://AzureADTokenExchange"]})))
        .await;
    assert_eq!(same_name.status, StatusCode::CONFLICT);

    assert_eq!(
        harness
            .graph(Method::DELETE, &format!("{base}/testing02"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness
            .graph(Method::GET, &format!("{base}/{fic_id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let upsert_path = format!("{base}(name='fic01-app-65278')");
    let without_header = harness
        .graph(
            Method::PATCH,
            &upsert_path,
            Some(fixture("federatedidentitycredential-upsert.request.json")),
        )
        .await;
    assert_graph_error(
        &without_header,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );
    let prefer = [("Prefer", "create-if-missing")];
    let upserted = harness
        .graph_with(
            Method::PATCH,
            &upsert_path,
            &prefer,
            Some(fixture("federatedidentitycredential-upsert.request.json")),
        )
        .await;
    assert_eq!(upserted.status, StatusCode::CREATED, "{}", upserted.body);
    assert_shape(
        &upserted.body,
        &fixture("federatedidentitycredential-upsert.json"),
    );
    assert_eq!(upserted.body["name"], "fic01-app-65278");
    let mut changed = fixture("federatedidentitycredential-upsert.request.json");
    changed["subject"] = json!("another-subject");
    let again = harness
        .graph_with(Method::PATCH, &upsert_path, &prefer, Some(changed))
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);

    for index in 0..19 {
        let reply = harness
            .graph(Method::POST, &base, Some(json!({"name": format!("f{index}"), "issuer": "https://issuer", "subject": format!("s{index}"), "audiences": ["api://AzureADTokenExchange"]})))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{index}: {}", reply.body);
    }
    let over = harness
        .graph(Method::POST, &base, Some(json!({"name": "f20", "issuer": "https://issuer", "subject": "s20", "audiences": ["api://AzureADTokenExchange"]})))
        .await;
    assert_graph_error(&over, StatusCode::BAD_REQUEST, "Request_BadRequest");
}
