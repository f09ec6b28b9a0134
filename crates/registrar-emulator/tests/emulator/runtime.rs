//! Tokens, faults, counters, state persistence, the control surface and HTTPS.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use registrar_emulator::{Emulator, EmulatorConfig, Faults};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn token_endpoint_accepts_and_rejects_like_entra() {
    let harness = Harness::new().await;
    let tenant = harness.emulator.tenant();
    let good = harness
        .token_request(
            &tenant.tenant_id,
            &tenant.client_id,
            &tenant.client_secret,
            GRAPH_SCOPE,
        )
        .await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(good.body["token_type"], "Bearer");
    assert_eq!(good.body["expires_in"], 3599);
    assert_eq!(good.body["ext_expires_in"], 3599);
    let token = good.body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    use base64::Engine as _;
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["aud"], "https://graph.microsoft.com");
    assert_eq!(payload["tid"], tenant.tenant_id.as_str());
    assert_eq!(payload["appid"], tenant.client_id.as_str());
    assert_eq!(
        payload["oid"],
        tenant.automation_service_principal_id.as_str()
    );
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        3600
    );

    for scope in [
        "00000003-0000-0000-c000-000000000000/.default",
        "https://management.azure.com/.default",
        "https://management.core.windows.net//.default",
    ] {
        let reply = harness
            .token_request(
                "contoso.onmicrosoft.com",
                &tenant.client_id,
                &tenant.client_secret,
                scope,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{scope}: {}", reply.body);
    }

    let wrong = harness
        .token_request(&tenant.tenant_id, &tenant.client_id, "nope", GRAPH_SCOPE)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"], "invalid_client");
    assert_eq!(wrong.body["error_codes"], json!([7000215]));
    assert!(
        wrong.body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(wrong.body[field].is_string(), "{field}");
    }
    let unknown_client = harness
        .token_request(
            &tenant.tenant_id,
            "00000000-0000-0000-0000-000000000009",
            "x",
            GRAPH_SCOPE,
        )
        .await;
    assert_eq!(unknown_client.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_client.body["error"], "unauthorized_client");
    assert_eq!(unknown_client.body["error_codes"], json!([700016]));
    let unknown_tenant = harness
        .token_request(
            "fabrikam.onmicrosoft.com",
            &tenant.client_id,
            &tenant.client_secret,
            GRAPH_SCOPE,
        )
        .await;
    assert_eq!(unknown_tenant.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_tenant.body["error"], "invalid_request");
    assert_eq!(unknown_tenant.body["error_codes"], json!([90002]));
    let bad_scope = harness
        .token_request(
            &tenant.tenant_id,
            &tenant.client_id,
            &tenant.client_secret,
            "User.Read",
        )
        .await;
    assert_eq!(bad_scope.body["error"], "invalid_scope");

    // A token for the wrong audience, a missing one and a forged one are refused.
    let arm = harness.token("https://management.azure.com/.default").await;
    for token in [
        Some(arm.as_str()),
        None,
        Some("a.b.c"),
        Some(&harness.vault_token),
    ] {
        let reply = harness
            .call(Method::GET, "/v1.0/applications", token, &[], None)
            .await;
        assert_graph_error(
            &reply,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
        );
        assert!(reply.header("www-authenticate").is_some());
    }
}

#[tokio::test]
async fn openid_configuration_points_at_the_emulator() {
    let harness = Harness::new().await;
    let tenant_id = harness.emulator.tenant().tenant_id;
    let reply = harness
        .call(
            Method::GET,
            &format!("/{tenant_id}/v2.0/.well-known/openid-configuration"),
            None,
            &[("host", "127.0.0.1:8443")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["token_endpoint"],
        format!("https://127.0.0.1:8443/{tenant_id}/oauth2/v2.0/token")
    );
    assert_eq!(
        reply.body["issuer"],
        format!("https://127.0.0.1:8443/{tenant_id}/v2.0")
    );
    assert!(
        reply.body["authorization_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:8443/")
    );
    let discovery = harness
        .call(
            Method::GET,
            "/common/discovery/instance?api-version=1.1",
            None,
            &[("host", "127.0.0.1:8443")],
            None,
        )
        .await;
    assert_eq!(
        discovery.body["metadata"][0]["aliases"],
        json!(["127.0.0.1:8443"])
    );
}

#[tokio::test]
async fn throttling_and_unavailability_send_retry_after() {
    let harness = Harness::new().await;
    harness.set_faults(Faults {
        throttle_rate: 1.0,
        retry_after_seconds: 0.01,
        ..Default::default()
    });
    let throttled = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.header("retry-after"), Some("0.01"));
    assert_shape(&throttled.body, &fixture("error-throttled.json"));
    assert_eq!(throttled.error_code(), "TooManyRequests");
    let vault = harness
        .vault(Method::GET, "/vaults/kv/secrets?api-version=7.4", None)
        .await;
    assert_eq!(vault.status, StatusCode::TOO_MANY_REQUESTS);
    // Token and control routes are never throttled.
    harness.token(GRAPH_SCOPE).await;
    harness.set_faults(Faults {
        unavailable_rate: 1.0,
        retry_after_seconds: 2.0,
        ..Default::default()
    });
    let unavailable = harness.graph(Method::GET, "/applications", None).await;
    assert_graph_error(
        &unavailable,
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
    );
    assert_eq!(unavailable.header("retry-after"), Some("2"));
    harness.set_faults(Faults::default());
    assert_eq!(
        harness
            .graph(Method::GET, "/applications", None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn throttling_is_reproducible_with_a_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let harness = Harness::with_config(EmulatorConfig {
            seed,
            ..Default::default()
        })
        .await;
        harness.set_faults(Faults {
            throttle_rate: 0.5,
            retry_after_seconds: 1.0,
            ..Default::default()
        });
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(
                harness
                    .graph(Method::GET, "/users", None)
                    .await
                    .status
                    .as_u16(),
            );
        }
        statuses
    }
    let first = pattern(7).await;
    assert_eq!(first, pattern(7).await);
    assert!(first.contains(&429) && first.contains(&200), "{first:?}");
}

#[tokio::test]
async fn replication_lag_hides_then_reveals() {
    let harness = Harness::new().await;
    harness.set_faults(Faults {
        replication_lag_ms: 300,
        ..Default::default()
    });
    let app = harness.create_app(app_body("Lagging")).await;
    let id = app["id"].as_str().unwrap();
    let hidden = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_graph_error(&hidden, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let listed = harness
        .graph(
            Method::GET,
            "/applications?$filter=displayName%20eq%20'Lagging'",
            None,
        )
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 0);
    let no_backing = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(
        no_backing.body["error"]["details"][0]["code"],
        "NoBackingApplicationObject"
    );
    let password = harness
        .graph(
            Method::POST,
            &format!("/applications/{id}/addPassword"),
            Some(json!({})),
        )
        .await;
    assert_eq!(password.status, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let visible = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_eq!(visible.status, StatusCode::OK);
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED);
    assert_eq!(
        harness
            .graph(
                Method::GET,
                &format!("/servicePrincipals/{}", sp.body["id"].as_str().unwrap()),
                None
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn latency_is_added_to_api_requests() {
    let harness = Harness::new().await;
    harness.set_faults(Faults {
        latency_ms: 50,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    harness.graph(Method::GET, "/users", None).await;
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn request_counters_and_control_surface() {
    let harness = Harness::new().await;
    harness.emulator.reset_request_counts();
    let app = harness.create_app(app_body("Counted")).await;
    harness
        .graph(
            Method::GET,
            &format!("/applications/{}", app["id"].as_str().unwrap()),
            None,
        )
        .await;
    harness
        .graph(
            Method::GET,
            &format!("/applications(appId='{}')", app["appId"].as_str().unwrap()),
            None,
        )
        .await;
    harness.graph(Method::GET, "/applications", None).await;
    harness
        .vault(
            Method::PUT,
            "/vaults/kv/secrets/s?api-version=7.4",
            Some(json!({"value": "v"})),
        )
        .await;
    harness.token(GRAPH_SCOPE).await;
    let counts = harness.emulator.request_counts();
    assert_eq!(harness.emulator.request_count(), 5);
    assert_eq!(counts["POST /v1.0/applications"], 1);
    assert_eq!(counts["GET /v1.0/applications/{id}"], 1);
    assert_eq!(counts["GET /v1.0/applications(appId='{appId}')"], 1);
    assert_eq!(counts["GET /v1.0/applications"], 1);
    assert_eq!(counts["PUT /vaults/{vault}/secrets/{name}"], 1);

    let health = harness
        .call(Method::GET, "/_emulator/health", None, &[], None)
        .await;
    assert_eq!(health.body["status"], "ok");
    let requests = harness
        .call(Method::GET, "/_emulator/requests", None, &[], None)
        .await;
    assert_eq!(requests.body["total"], 5);
    assert_eq!(requests.body["counts"]["GET /v1.0/applications"], 1);
    let faults = json!({"throttle_rate": 1.0, "retry_after_seconds": 3});
    let put = harness
        .call(Method::PUT, "/_emulator/faults", None, &[], Some(faults))
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(harness.emulator.faults().throttle_rate, 1.0);
    let got = harness
        .call(Method::GET, "/_emulator/faults", None, &[], None)
        .await;
    assert_eq!(got.body["retry_after_seconds"], 3.0);
    let reset = harness
        .call(Method::POST, "/_emulator/requests/reset", None, &[], None)
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(harness.emulator.request_count(), 0);
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("tenant.json");
    let config = || EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..Default::default()
    };
    let (app_id, secret, token) = {
        let harness = Harness::with_config(config()).await;
        let app = harness.create_app(app_body("Persistent")).await;
        let secret = harness
            .graph(
                Method::POST,
                &format!("/applications/{}/addPassword", app["id"].as_str().unwrap()),
                Some(json!({})),
            )
            .await
            .body["secretText"]
            .as_str()
            .unwrap()
            .to_owned();
        harness
            .graph(
                Method::POST,
                "/servicePrincipals",
                Some(json!({"appId": app["appId"]})),
            )
            .await;
        harness
            .vault(
                Method::PUT,
                "/vaults/kv/secrets/kept?api-version=7.4",
                Some(json!({"value": "vault data"})),
            )
            .await;
        (
            app["appId"].as_str().unwrap().to_owned(),
            secret,
            harness.graph_token.clone(),
        )
    };
    let text = std::fs::read_to_string(&state_file).unwrap();
    assert!(
        !text.contains(&secret),
        "client secrets are stored only as hashes"
    );
    assert!(text.contains("\"schema_version\":1"));
    assert!(
        text.len() < 200_000,
        "first-party service principals are not written: {} bytes",
        text.len()
    );

    let harness = Harness::with_config(config()).await;
    let found = harness
        .graph(
            Method::GET,
            &format!("/applications(appId='{app_id}')"),
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    let tenant = harness.emulator.tenant();
    let login = harness
        .token_request(&tenant.tenant_id, &app_id, &secret, GRAPH_SCOPE)
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let old_token = harness
        .call(Method::GET, "/v1.0/users", Some(&token), &[], None)
        .await;
    assert_eq!(old_token.status, StatusCode::OK, "tokens survive a restart");
    assert_eq!(
        harness.emulator.vault_secret("kv", "kept").unwrap().value,
        "vault data"
    );
    let graph = harness
        .graph(
            Method::GET,
            "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
            None,
        )
        .await;
    assert_eq!(graph.status, StatusCode::OK);

    std::fs::write(&state_file, "{\"schema_version\": 99}").unwrap();
    assert!(Emulator::new(config()).is_err());
}

/// The state file holds the token signing key and the vault's secret values: it is written
/// owner-only, and a symlink planted at its path is replaced rather than written through.
#[cfg(unix)]
#[tokio::test]
async fn state_file_is_owner_only_and_replaces_a_symlink() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("tenant.json");
    let config = || EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..Default::default()
    };
    drop(Emulator::new(config()).unwrap());
    let fresh = std::fs::metadata(&state_file).unwrap();
    assert_eq!(fresh.permissions().mode() & 0o777, 0o600);

    // A symlink at the state path to another (valid) state file: read through, never written.
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::rename(&state_file, &elsewhere).unwrap();
    let before = std::fs::read(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &state_file).unwrap();
    let harness = Harness::with_config(config()).await;
    harness
        .vault(
            Method::PUT,
            "/vaults/kv/secrets/kept?api-version=7.4",
            Some(json!({"value": "vault data"})),
        )
        .await;

    let metadata = std::fs::symlink_metadata(&state_file).unwrap();
    assert!(metadata.file_type().is_file(), "the symlink was replaced");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read(&elsewhere).unwrap(),
        before,
        "the symlink's target is untouched"
    );
    let text = std::fs::read_to_string(&state_file).unwrap();
    assert!(text.contains("\"signing_key\""));
    assert!(text.contains("vault data"));
}

#[tokio::test]
async fn serves_https_with_a_generated_ca() {
    let emulator = Emulator::new(EmulatorConfig::default()).unwrap();
    let running = emulator
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(running.base_url.scheme(), "https");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    running.write_ca_certificate(&ca_file).unwrap();
    assert!(
        std::fs::read_to_string(&ca_file)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(running.ca_certificate_pem.as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let tenant = emulator.tenant();
    let base = running.base_url.as_str().trim_end_matches('/').to_owned();
    let token: serde_json::Value = client
        .post(format!("{base}/{}/oauth2/v2.0/token", tenant.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &tenant.client_id)
                .append_pair("client_secret", &tenant.client_secret)
                .append_pair("scope", GRAPH_SCOPE)
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap();
    let response = client
        .get(format!("{base}/v1.0/users?$top=2"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    let next = body["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&base), "{next}");
    let page = client
        .get(next)
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    running.shutdown().await;
    assert!(
        client
            .get(format!("{base}/_emulator/health"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn vault_host_requests_get_ids_and_a_challenge_like_key_vault() {
    let emulator = Emulator::new(EmulatorConfig::default()).unwrap();
    let running = emulator
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = running.local_addr.port();
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(running.ca_certificate_pem.as_bytes()).unwrap(),
        )
        .resolve("kv-test.vault.azure.net", running.local_addr)
        .build()
        .unwrap();
    let vault = format!("https://kv-test.vault.azure.net:{port}");
    let tenant = emulator.tenant();

    // The challenge names the emulator's token authority, not the vault host.
    let challenge = client
        .get(format!("{vault}/secrets/a?api-version=7.4"))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status(), 401);
    let base = running.base_url.as_str().trim_end_matches('/').to_owned();
    assert_eq!(
        challenge.headers()["www-authenticate"].to_str().unwrap(),
        format!(
            "Bearer authorization=\"{base}/{}\", resource=\"https://vault.azure.net\"",
            tenant.tenant_id
        )
    );

    let token: serde_json::Value = client
        .post(format!("{base}/{}/oauth2/v2.0/token", tenant.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &tenant.client_id)
                .append_pair("client_secret", &tenant.client_secret)
                .append_pair("scope", VAULT_SCOPE)
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap();
    let set: serde_json::Value = client
        .put(format!("{vault}/secrets/a?api-version=7.4"))
        .bearer_auth(access_token)
        .json(&json!({ "value": "v" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = set["id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{vault}/secrets/a/")), "{id}");
    running.shutdown().await;
}
