//! Key Vault secrets.

use axum::http::{Method, StatusCode};
use registrar_emulator::{EmulatorConfig, Faults};
use serde_json::json;

use crate::support::*;

const API: &str = "api-version=7.4";

#[tokio::test]
async fn secrets_set_get_versions_list_update() {
    let harness = Harness::new().await;
    let set = harness
        .vault(
            Method::PUT,
            &format!("/vaults/kv1/secrets/crpsecret?{API}"),
            Some(fixture("keyvault-setsecret-response.request.json")),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_shape(&set.body, &fixture("keyvault-setsecret-response.json"));
    assert_eq!(set.body["attributes"]["recoverableDays"], 90);
    let id = set.body["id"].as_str().unwrap();
    let version = id.rsplit('/').next().unwrap();
    assert_eq!(version.len(), 32);
    assert!(id.starts_with("https://localhost/vaults/kv1/secrets/crpsecret/"));

    let second = harness
        .vault(Method::PUT, "/vaults/kv1/secrets/crpsecret?api-version=2025-07-01", Some(json!({"value": "v2", "contentType": "text/plain", "tags": {"owner": "registrar"}, "attributes": {"exp": 4102444800i64}})))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    let latest = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv1/secrets/crpsecret/?{API}"),
            None,
        )
        .await;
    assert_eq!(latest.body["value"], "v2");
    assert_eq!(latest.body["tags"]["owner"], "registrar");
    let old = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv1/secrets/crpsecret/{version}?{API}"),
            None,
        )
        .await;
    assert_eq!(old.body["value"], "mysecretvalue");
    let view = harness.emulator.vault_secret("kv1", "CRPSECRET").unwrap();
    assert_eq!(view.value, "v2");
    assert_eq!(view.content_type.as_deref(), Some("text/plain"));
    assert_eq!(view.exp, Some(4102444800));
    assert_eq!(view.versions, 2);

    let versions = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv1/secrets/crpsecret/versions?{API}&maxresults=1"),
            None,
        )
        .await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 1);
    assert!(versions.body["value"][0].get("value").is_none());
    let next = versions.body["nextLink"]
        .as_str()
        .unwrap()
        .strip_prefix("https://localhost")
        .unwrap()
        .to_owned();
    let page2 = harness.vault(Method::GET, &next, None).await;
    assert_eq!(page2.body["value"].as_array().unwrap().len(), 1);
    assert!(page2.body["nextLink"].is_null());

    harness
        .vault(
            Method::PUT,
            &format!("/vaults/kv1/secrets/other?{API}"),
            Some(json!({"value": "x"})),
        )
        .await;
    let listed = harness
        .vault(Method::GET, &format!("/vaults/kv1/secrets?{API}"), None)
        .await;
    let ids: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "https://localhost/vaults/kv1/secrets/crpsecret",
            "https://localhost/vaults/kv1/secrets/other"
        ]
    );

    let updated = harness
        .vault(
            Method::PATCH,
            &format!("/vaults/kv1/secrets/crpsecret/{version}?{API}"),
            Some(json!({"attributes": {"enabled": false}, "tags": {"a": "b"}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert!(updated.body.get("value").is_none());
    let disabled = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv1/secrets/crpsecret/{version}?{API}"),
            None,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::FORBIDDEN);
    let value_change = harness
        .vault(
            Method::PATCH,
            &format!("/vaults/kv1/secrets/crpsecret/{version}?{API}"),
            Some(json!({"value": "no"})),
        )
        .await;
    assert_eq!(value_change.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn secrets_delete_recover_purge() {
    let harness = Harness::new().await;
    harness
        .vault(
            Method::PUT,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            Some(json!({"value": "s1"})),
        )
        .await;
    let deleted = harness
        .vault(
            Method::DELETE,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body["recoveryId"],
        "https://localhost/vaults/kv/deletedsecrets/app-secret"
    );
    assert!(deleted.body["scheduledPurgeDate"].is_i64());
    let gone = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "SecretNotFound");
    let conflict = harness
        .vault(
            Method::PUT,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            Some(json!({"value": "s2"})),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.error_code(), "Conflict");
    assert_eq!(
        conflict.body["error"]["innererror"]["code"],
        "ObjectIsDeletedButRecoverable"
    );
    let in_bin = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv/deletedsecrets/app-secret?{API}"),
            None,
        )
        .await;
    assert_eq!(in_bin.status, StatusCode::OK);
    let bin = harness
        .vault(
            Method::GET,
            &format!("/vaults/kv/deletedsecrets?{API}"),
            None,
        )
        .await;
    assert_eq!(bin.body["value"].as_array().unwrap().len(), 1);
    let recovered = harness
        .vault(
            Method::POST,
            &format!("/vaults/kv/deletedsecrets/app-secret/recover?{API}"),
            None,
        )
        .await;
    assert_eq!(recovered.status, StatusCode::OK);
    assert_eq!(
        harness
            .vault(
                Method::GET,
                &format!("/vaults/kv/secrets/app-secret?{API}"),
                None
            )
            .await
            .body["value"],
        "s1"
    );
    harness
        .vault(
            Method::DELETE,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            None,
        )
        .await;
    let purged = harness
        .vault(
            Method::DELETE,
            &format!("/vaults/kv/deletedsecrets/app-secret?{API}"),
            None,
        )
        .await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT);
    let reused = harness
        .vault(
            Method::PUT,
            &format!("/vaults/kv/secrets/app-secret?{API}"),
            Some(json!({"value": "s3"})),
        )
        .await;
    assert_eq!(reused.status, StatusCode::OK);
}

#[tokio::test]
async fn secrets_errors_auth_strict_and_denied_vaults() {
    let harness = Harness::with_config(EmulatorConfig {
        strict_vaults: true,
        vaults: vec!["known".into()],
        ..Default::default()
    })
    .await;
    let no_version = harness
        .vault(
            Method::PUT,
            "/vaults/known/secrets/a",
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!(no_version.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_version.error_code(), "BadParameter");
    let bad_name = harness
        .vault(
            Method::PUT,
            &format!("/vaults/known/secrets/bad_name?{API}"),
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_name.error_code(), "BadParameter");
    let unknown_vault = harness
        .vault(
            Method::PUT,
            &format!("/vaults/unknown/secrets/a?{API}"),
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!(unknown_vault.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_vault.error_code(), "VaultNotFound");

    let challenge = harness
        .call(
            Method::GET,
            &format!("/vaults/known/secrets/a?{API}"),
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(challenge.status, StatusCode::UNAUTHORIZED);
    let tenant_id = harness.emulator.tenant().tenant_id;
    assert_eq!(
        challenge.header("www-authenticate").unwrap(),
        format!(
            "Bearer authorization=\"https://localhost/{tenant_id}\", resource=\"https://vault.azure.net\""
        )
    );
    let graph_token = harness
        .call(
            Method::GET,
            &format!("/vaults/known/secrets/a?{API}"),
            Some(&harness.graph_token),
            &[],
            None,
        )
        .await;
    assert_eq!(graph_token.status, StatusCode::UNAUTHORIZED);
    assert!(
        graph_token.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AKV10022")
    );

    harness.set_faults(Faults {
        deny_vaults: vec!["known".into()],
        ..Default::default()
    });
    let denied = harness
        .vault(
            Method::PUT,
            &format!("/vaults/known/secrets/a?{API}"),
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.error_code(), "Forbidden");
    assert_eq!(denied.body["error"]["innererror"]["code"], "AccessDenied");
    let message = denied.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("does not have secrets set permission on key vault 'known"),
        "{message}"
    );
    assert!(message.contains(&format!("appid={}", harness.emulator.tenant().client_id)));
}

#[tokio::test]
async fn secrets_routed_by_vault_host() {
    let harness = Harness::new().await;
    let set = harness
        .call(
            Method::PUT,
            &format!("/secrets/hosted?{API}"),
            Some(&harness.vault_token),
            &[("host", "myvault.vault.azure.net")],
            Some(json!({"value": "h"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert!(
        set.body["id"]
            .as_str()
            .unwrap()
            .starts_with("https://myvault.vault.azure.net/secrets/hosted/")
    );
    assert_eq!(
        harness
            .emulator
            .vault_secret("myvault", "hosted")
            .unwrap()
            .value,
        "h"
    );
}
