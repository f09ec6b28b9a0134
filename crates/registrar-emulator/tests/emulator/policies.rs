//! App management policies and the instance lock: the routes, and their enforcement with
//! Graph's error codes when called directly.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::*;

fn in_days(days: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::days(days))
        .format(&Rfc3339)
        .unwrap_or_default()
}

async fn set_default_policy(harness: &Harness, application_restrictions: Value) {
    let reply = harness
        .graph(
            Method::PATCH,
            "/policies/defaultAppManagementPolicy",
            Some(json!({ "isEnabled": true, "applicationRestrictions": application_restrictions })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
}

async fn add_password(harness: &Harness, parent: &str, days: i64) -> Reply {
    harness
        .graph(
            Method::POST,
            &format!("{parent}/addPassword"),
            Some(json!({ "passwordCredential": { "displayName": "ci", "endDateTime": in_days(days) } })),
        )
        .await
}

#[tokio::test]
async fn the_default_policy_is_seeded_off_and_restricts_nothing() {
    let harness = Harness::new().await;
    let policy = harness
        .graph(Method::GET, "/policies/defaultAppManagementPolicy", None)
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.body);
    assert_eq!(policy.body["id"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(policy.body["isEnabled"], false);
    assert!(policy.body["applicationRestrictions"]["passwordCredentials"].is_array());
    let app = harness.create_app(app_body("Free")).await;
    let id = app["id"].as_str().unwrap();
    assert_eq!(app["servicePrincipalLockConfiguration"], Value::Null);
    let added = add_password(&harness, &format!("/applications/{id}"), 3650).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
}

#[tokio::test]
async fn a_secret_longer_than_the_policy_allows_is_refused() {
    let harness = Harness::new().await;
    set_default_policy(
        &harness,
        json!({ "passwordCredentials": [
            { "restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P90D" }
        ]}),
    )
    .await;
    let app = harness.create_app(app_body("Limited")).await;
    let parent = format!("/applications/{}", app["id"].as_str().unwrap());
    let refused = add_password(&harness, &parent, 365).await;
    assert_graph_error(
        &refused,
        StatusCode::BAD_REQUEST,
        "CredentialInvalidLifetimeAsPerAppPolicy",
    );
    let accepted = add_password(&harness, &parent, 30).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    // Without an end date the secret lives two years: refused as well.
    let default_end = harness
        .graph(
            Method::POST,
            &format!("{parent}/addPassword"),
            Some(json!({ "passwordCredential": {} })),
        )
        .await;
    assert_graph_error(
        &default_end,
        StatusCode::BAD_REQUEST,
        "CredentialInvalidLifetimeAsPerAppPolicy",
    );
}

#[tokio::test]
async fn password_addition_is_refused_unless_an_assigned_policy_exempts_the_app() {
    let harness = Harness::new().await;
    set_default_policy(
        &harness,
        json!({ "passwordCredentials": [
            { "restrictionType": "passwordAddition", "maxLifetime": null }
        ]}),
    )
    .await;
    let app = harness.create_app(app_body("NoSecrets")).await;
    let id = app["id"].as_str().unwrap();
    let parent = format!("/applications/{id}");
    let refused = add_password(&harness, &parent, 30).await;
    assert_graph_error(
        &refused,
        StatusCode::BAD_REQUEST,
        "CredentialTypeNotAllowedAsPerAppPolicy",
    );

    let created = harness
        .graph(
            Method::POST,
            "/policies/appManagementPolicies",
            Some(json!({
                "displayName": "Secrets allowed",
                "description": "exemption",
                "isEnabled": true,
                "restrictions": { "passwordCredentials": [], "keyCredentials": [] }
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let policy_id = created.body["id"].as_str().unwrap();
    let assigned = harness
        .graph(
            Method::POST,
            &format!("{parent}/appManagementPolicies/$ref"),
            Some(json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/policies/appManagementPolicies/{policy_id}") })),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{}", assigned.body);
    let listed = harness
        .graph(
            Method::GET,
            &format!("{parent}/appManagementPolicies"),
            None,
        )
        .await;
    assert_eq!(listed.body["value"][0]["displayName"], "Secrets allowed");
    let accepted = add_password(&harness, &parent, 30).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

    let all = harness
        .graph(Method::GET, "/policies/appManagementPolicies", None)
        .await;
    assert_eq!(all.body["value"].as_array().unwrap().len(), 1);
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/policies/appManagementPolicies/{policy_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let refused_again = add_password(&harness, &parent, 30).await;
    assert_graph_error(
        &refused_again,
        StatusCode::BAD_REQUEST,
        "CredentialTypeNotAllowedAsPerAppPolicy",
    );
}

#[tokio::test]
async fn a_restriction_dated_later_spares_older_applications() {
    let harness = Harness::new().await;
    set_default_policy(
        &harness,
        json!({ "passwordCredentials": [
            { "restrictionType": "passwordAddition", "restrictForAppsCreatedAfterDateTime": in_days(30) }
        ]}),
    )
    .await;
    let app = harness.create_app(app_body("Old")).await;
    let parent = format!("/applications/{}", app["id"].as_str().unwrap());
    let accepted = add_password(&harness, &parent, 30).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
}

#[tokio::test]
async fn certificates_and_identifier_uris_are_checked_on_patch() {
    let harness = Harness::new().await;
    set_default_policy(
        &harness,
        json!({
            "keyCredentials": [{ "restrictionType": "asymmetricKeyLifetime", "maxLifetime": "P1D" }],
            "identifierUris": { "nonDefaultUriAddition": {
                "state": "enabled", "excludeAppsReceivingV2Tokens": false, "excludeSaml": false
            }}
        }),
    )
    .await;
    let app = harness.create_app(app_body("Strict")).await;
    let id = app["id"].as_str().unwrap();
    let app_id = app["appId"].as_str().unwrap();
    let certificate = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({ "keyCredentials": [{ "type": "AsymmetricX509Cert", "usage": "Verify", "key": sample_certificate() }] })),
        )
        .await;
    assert_graph_error(
        &certificate,
        StatusCode::BAD_REQUEST,
        "CredentialInvalidLifetimeAsPerAppPolicy",
    );
    let custom_uri = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({ "identifierUris": ["api://my-api"] })),
        )
        .await;
    assert_graph_error(&custom_uri, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(
        custom_uri.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api://my-api")
    );
    let default_uri = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({ "identifierUris": [format!("api://{app_id}")] })),
        )
        .await;
    assert_eq!(
        default_uri.status,
        StatusCode::NO_CONTENT,
        "{}",
        default_uri.body
    );
}

#[tokio::test]
async fn the_instance_lock_refuses_changes_to_the_service_principals_credentials() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Locked")).await;
    let id = app["id"].as_str().unwrap();
    let app_id = app["appId"].as_str().unwrap();
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({ "appId": app_id })),
        )
        .await;
    let sp_id = sp.body["id"].as_str().unwrap().to_owned();
    let before_lock = add_password(&harness, &format!("/servicePrincipals/{sp_id}"), 30).await;
    assert_eq!(before_lock.status, StatusCode::OK, "{}", before_lock.body);

    let locked = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({ "servicePrincipalLockConfiguration": { "isEnabled": true, "allProperties": true } })),
        )
        .await;
    assert_eq!(locked.status, StatusCode::NO_CONTENT, "{}", locked.body);
    let read = harness
        .graph(
            Method::GET,
            &format!("/applications/{id}?$select=servicePrincipalLockConfiguration"),
            None,
        )
        .await;
    assert_eq!(
        read.body["servicePrincipalLockConfiguration"],
        json!({
            "isEnabled": true, "allProperties": true, "credentialsWithUsageVerify": false,
            "credentialsWithUsageSign": false, "identifierUris": false, "tokenEncryptionKeyId": false
        })
    );

    let add = add_password(&harness, &format!("/servicePrincipals/{sp_id}"), 30).await;
    assert_graph_error(
        &add,
        StatusCode::BAD_REQUEST,
        "CannotUpdateLockedServicePrincipalProperty",
    );
    let remove = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp_id}/removePassword"),
            Some(json!({ "keyId": before_lock.body["keyId"] })),
        )
        .await;
    assert_graph_error(
        &remove,
        StatusCode::BAD_REQUEST,
        "CannotUpdateLockedServicePrincipalProperty",
    );
    let key = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{sp_id}"),
            Some(json!({ "keyCredentials": [{ "type": "AsymmetricX509Cert", "usage": "Verify", "key": sample_certificate() }] })),
        )
        .await;
    assert_graph_error(
        &key,
        StatusCode::BAD_REQUEST,
        "CannotUpdateLockedServicePrincipalProperty",
    );
    // The application's own credentials are not locked.
    let on_app = add_password(&harness, &format!("/applications/{id}"), 30).await;
    assert_eq!(on_app.status, StatusCode::OK, "{}", on_app.body);
    // Unlocked, the change goes through.
    harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({ "servicePrincipalLockConfiguration": { "isEnabled": false } })),
        )
        .await;
    let unlocked = harness
        .graph(
            Method::POST,
            &format!("/servicePrincipals/{sp_id}/removePassword"),
            Some(json!({ "keyId": before_lock.body["keyId"] })),
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.body);
}

#[tokio::test]
async fn policy_bodies_are_validated() {
    let harness = Harness::new().await;
    let missing_lifetime = harness
        .graph(
            Method::PATCH,
            "/policies/defaultAppManagementPolicy",
            Some(
                json!({ "applicationRestrictions": { "passwordCredentials": [
                    { "restrictionType": "passwordLifetime" }
                ]}}),
            ),
        )
        .await;
    assert_graph_error(
        &missing_lifetime,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
    );
    let unknown = harness
        .graph(
            Method::POST,
            "/policies/appManagementPolicies",
            Some(
                json!({ "displayName": "x", "description": "y", "restrictions": {
                    "passwordCredentials": [{ "restrictionType": "noSuchThing" }]
                }}),
            ),
        )
        .await;
    assert_graph_error(&unknown, StatusCode::BAD_REQUEST, "Request_BadRequest");
}
