//! A service principal's own credentials and owners: `addPassword`/`removePassword`,
//! `keyCredentials` through PATCH (with `key` only on a single GET that selects it), `$select`
//! of both credential lists, and the `/owners` routes, with Graph's status codes.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

/// An application and its service principal; returns the service principal's object id.
async fn service_principal(harness: &Harness, name: &str) -> String {
    let app = harness.create_app(app_body(name)).await;
    let created = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn service_principal_passwords_are_added_selected_and_removed() {
    let harness = Harness::new().await;
    let sp = service_principal(&harness, "Holder").await;
    let added = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp}/addPassword"),
            Some(json!({"passwordCredential": {"displayName": "by hand"}})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let secret = added.body["secretText"].as_str().unwrap().to_owned();
    let key_id = added.body["keyId"].as_str().unwrap().to_owned();
    assert_eq!(added.body["hint"], &secret[..3]);

    let selected = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp}?$select=id,passwordCredentials,keyCredentials"),
            None,
        )
        .await;
    assert_eq!(selected.status, StatusCode::OK, "{}", selected.body);
    assert_eq!(
        selected.body["passwordCredentials"][0]["keyId"],
        key_id.as_str()
    );
    assert_eq!(
        selected.body["passwordCredentials"][0]["secretText"],
        serde_json::Value::Null
    );
    assert_eq!(selected.body["keyCredentials"], json!([]));
    assert!(!selected.body.to_string().contains(&secret));
    let app_id = harness
        .graph(Method::GET, &format!("/servicePrincipals/{sp}"), None)
        .await
        .body["appId"]
        .clone();
    let filtered = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals?$filter=appId%20eq%20'{}'&$select=id,passwordCredentials",
                app_id.as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        filtered.body["value"][0]["passwordCredentials"][0]["displayName"],
        "by hand"
    );

    let patched = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{sp}"),
            Some(json!({"passwordCredentials": []})),
        )
        .await;
    assert_graph_error(&patched, StatusCode::BAD_REQUEST, "Request_BadRequest");

    let removed = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp}/removePassword"),
            Some(json!({"keyId": key_id})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let again = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp}/removePassword"),
            Some(json!({"keyId": key_id})),
        )
        .await;
    assert_graph_error(&again, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let unknown = harness
        .graph(
            Method::POST,
            "/servicePrincipals/00000000-0000-0000-0000-00000000abcd/addPassword",
            Some(json!({})),
        )
        .await;
    assert_graph_error(&unknown, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn service_principal_certificates_are_patched_and_keys_shown_only_when_selected() {
    let harness = Harness::new().await;
    let sp = service_principal(&harness, "Certified").await;
    let patched = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{sp}"),
            Some(json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": sample_certificate(), "displayName": "by hand"}]})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
    let plain = harness
        .graph(Method::GET, &format!("/servicePrincipals/{sp}"), None)
        .await;
    assert_eq!(plain.body["keyCredentials"][0]["displayName"], "by hand");
    assert_eq!(
        plain.body["keyCredentials"][0]["key"],
        serde_json::Value::Null
    );
    let selected = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp}?$select=keyCredentials"),
            None,
        )
        .await;
    assert_eq!(
        selected.body["keyCredentials"][0]["key"],
        sample_certificate()
    );
    let invalid = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{sp}"),
            Some(json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": "bm90IGEgY2VydA=="}]})),
        )
        .await;
    assert_graph_error(&invalid, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let cleared = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{sp}"),
            Some(json!({"keyCredentials": []})),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    let read = harness
        .graph(Method::GET, &format!("/servicePrincipals/{sp}"), None)
        .await;
    assert_eq!(read.body["keyCredentials"], json!([]));
}

#[tokio::test]
async fn service_principal_owners_add_list_remove() {
    let harness = Harness::new().await;
    let sp = service_principal(&harness, "Owned SP").await;
    let alice = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await
        .body;
    let alice_id = alice["id"].as_str().unwrap();
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{alice_id}")});
    let added = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp}/owners/$ref"),
            Some(reference.clone()),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let again = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp}/owners/$ref"),
            Some(reference),
        )
        .await;
    assert_graph_error(&again, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let listed = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp}/owners?$select=id"),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["value"][0]["id"], alice_id);
    let removed = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{sp}/owners/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let gone = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{sp}/owners/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_graph_error(&gone, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let listed = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{sp}/owners"),
            None,
        )
        .await;
    assert_eq!(listed.body["value"], json!([]));
}
