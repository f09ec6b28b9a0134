//! Client tests against wiremock stubs: tokens through azure_identity's real
//! `ClientSecretCredential`, retries (request counts, never timings), paging, typed errors, wire
//! conversions, Key Vault, file stores and the snapshot reader.

// Test helpers outside `#[test]` functions panic on broken fixtures, which is what they are for.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use azure_core::http::{AsyncRawResponse, HttpClient, Request, Url};
use registrar_azure::wire;
use registrar_azure::{
    AzureConfig, AzureError, BatchGet, Clients, CredentialKind, DeliveredSecret, Endpoints,
    ImportSelection, ReadProgress, RetryConfig, SecretValue, Service, ServiceError,
    read_for_import, read_live_tenant, read_live_tenant_with,
};
use registrar_model::{
    ApplicationField, ApplicationSettings, DesiredApplication, DesiredResourceAccess,
    DesiredSecret, DesiredState, FileFormat, Located, PlainSettings, SecretStoreContents,
    SecretStoreLocation,
};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_partial_json, body_string_contains, header, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Keeps azure_identity's https authority URL and rewrites it to the plain-http stub at the
/// transport layer (wiremock has no TLS; azure_identity rejects http authorities).
#[derive(Debug)]
struct Redirect {
    base: Url,
    inner: Arc<dyn HttpClient>,
}

#[async_trait::async_trait]
impl HttpClient for Redirect {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut request = request.clone();
        let url = request.url_mut();
        url.set_scheme(self.base.scheme()).ok();
        url.set_host(self.base.host_str()).ok();
        url.set_port(self.base.port()).ok();
        self.inner.execute_request(&request).await
    }
}

async fn mount_token_endpoint(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "stub-access-token"
        })))
        .mount(server)
        .await;
}

fn clients_with(server: &MockServer, retry: RetryConfig) -> Clients {
    let mut endpoints = Endpoints::local(&server.uri());
    endpoints.authority_host = "https://login.registrar.test".to_owned();
    let credential = CredentialKind::ClientSecret {
        tenant_id: TENANT.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        secret: SecretValue::new("bootstrap-secret-value".to_owned()),
    };
    let transport = Arc::new(Redirect {
        base: Url::parse(&server.uri()).unwrap(),
        inner: Arc::new(reqwest::Client::new()),
    });
    let config = AzureConfig::new(endpoints, credential)
        .with_retry(retry)
        .with_token_transport(transport);
    Clients::new(config).unwrap()
}

/// The Graph error answer inside `error`; panics for anything else.
#[track_caller]
fn graph_answer(error: &AzureError) -> &ServiceError {
    let answer = error.service_error().expect("a service error");
    assert_eq!(answer.service, Service::Graph, "{error}");
    answer
}

async fn setup() -> (MockServer, Clients) {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(&server, RetryConfig::without_delays());
    (server, clients)
}

async fn requests_to(server: &MockServer, prefix: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path().starts_with(prefix))
        .count()
}

/// One inner answer of [`BatchStub`]: status, headers, body.
type Inner = (u16, Value, Value);

fn inner_ok(body: Value) -> Inner {
    (200, json!({"Content-Type": "application/json"}), body)
}

fn inner_error(status: u16, code: &str, message: &str) -> Inner {
    (
        status,
        json!({"Content-Type": "application/json", "request-id": "inner-header-rid"}),
        json!({"error": {"code": code, "message": message, "innerError": {"request-id": "inner-body-rid", "date": "2026-01-01T00:00:00"}}}),
    )
}

/// Answers `POST /v1.0/$batch` like Graph: each inner request is routed to the first route whose
/// key its URL (with `%20` decoded) contains; a route serves its answers in turn, repeating the
/// last. Answers come back in reverse order (Graph does not keep the order).
struct BatchStub {
    routes: Vec<(String, Vec<Inner>)>,
    served: Mutex<HashMap<String, usize>>,
}

impl BatchStub {
    fn new(routes: Vec<(String, Vec<Inner>)>) -> Self {
        Self {
            routes,
            served: Mutex::new(HashMap::new()),
        }
    }

    async fn mount(self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/v1.0/$batch"))
            .respond_with(self)
            .mount(server)
            .await;
    }
}

impl Respond for BatchStub {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let batch: Value = serde_json::from_slice(&request.body).unwrap();
        let entries = batch["requests"].as_array().unwrap();
        assert!(
            entries.len() <= 20,
            "{} requests in one batch",
            entries.len()
        );
        let mut responses: Vec<Value> = entries
            .iter()
            .map(|entry| {
                assert_eq!(entry["method"], "GET");
                let url = entry["url"].as_str().unwrap().replace("%20", " ");
                assert!(url.starts_with('/'), "{url} is not relative");
                let Some((key, answers)) = self.routes.iter().find(|(key, _)| url.contains(key))
                else {
                    return json!({"id": entry["id"], "status": 404, "headers": {}, "body": {"error": {"code": "NoRoute", "message": url}}});
                };
                let mut served = self.served.lock().unwrap();
                let count = served.entry(key.clone()).or_default();
                let (status, headers, body) = &answers[(*count).min(answers.len() - 1)];
                *count += 1;
                json!({"id": entry["id"], "status": status, "headers": headers, "body": body})
            })
            .collect();
        responses.reverse();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

/// The inner URLs of every `$batch` the server received, batch by batch.
async fn batched_urls(server: &MockServer) -> Vec<Vec<String>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path() == "/v1.0/$batch")
        .map(|request| {
            let batch: Value = serde_json::from_slice(&request.body).unwrap();
            batch["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["url"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn graph_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"code": code, "message": message, "innerError": {"request-id": "inner-rid", "date": "2026-01-01T00:00:00"}}
    }))
}

#[tokio::test]
async fn token_client_secret_credential_against_stub_endpoint() {
    let (server, clients) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directoryObjects/abc"))
        .and(header("authorization", "Bearer stub-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.type": "#microsoft.graph.servicePrincipal", "id": "abc", "displayName": "sp"
        })))
        .mount(&server)
        .await;
    let object = clients
        .graph
        .get_directory_object("abc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        object.kind.odata_type(),
        Some("#microsoft.graph.servicePrincipal")
    );
    // The token is cached per audience: a second call sends no token request.
    clients.graph.get_directory_object("abc").await.unwrap();
    let stats = clients.stats();
    assert_eq!((stats.token, stats.graph, stats.total), (1, 2, 3));

    let requests = server.received_requests().await.unwrap();
    let token_request = requests
        .iter()
        .find(|request| request.url.path().ends_with("/token"))
        .unwrap();
    let form = String::from_utf8_lossy(&token_request.body);
    assert!(form.contains(&format!("client_id={CLIENT_ID}")), "{form}");
    assert!(
        form.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
        "{form}"
    );
    let graph_request = requests
        .iter()
        .find(|request| request.url.path().starts_with("/v1.0"))
        .unwrap();
    assert!(graph_request.headers.contains_key("client-request-id"));
}

#[tokio::test]
async fn token_failure_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."
        })))
        .mount(&server)
        .await;
    let clients = clients_with(&server, RetryConfig::without_delays());
    let error = clients.graph.get_directory_object("abc").await.unwrap_err();
    assert!(matches!(error, AzureError::Auth { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "could not get a token for Microsoft Graph"
    );
    assert_eq!(requests_to(&server, "/v1.0").await, 0);
}

#[tokio::test]
async fn retry_honors_retry_after_then_succeeds() {
    let (server, clients) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directoryObjects/abc"))
        .respond_with(
            ResponseTemplate::new(429)
                .append_header("Retry-After", "2.128")
                .set_body_json(fixture("error-throttled.json")),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directoryObjects/abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "abc"})))
        .with_priority(2)
        .mount(&server)
        .await;
    let object = clients.graph.get_directory_object("abc").await.unwrap();
    assert_eq!(object.map(|object| object.id).as_deref(), Some("abc"));
    assert_eq!(requests_to(&server, "/v1.0").await, 3);
    assert_eq!(clients.stats().retries, 2);
}

#[tokio::test]
async fn retry_gives_up_after_max_attempts_with_typed_error() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(
        &server,
        RetryConfig {
            max_attempts: 4,
            ..RetryConfig::without_delays()
        },
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(
            graph_error(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable.",
            )
            .append_header("request-id", "rid-503"),
        )
        .mount(&server)
        .await;
    let error = clients.graph.list_applications(None).await.unwrap_err();
    let graph = graph_answer(&error);
    assert_eq!((graph.status, graph.code()), (503, "serviceNotAvailable"));
    assert_eq!(graph.request_id.as_deref(), Some("rid-503"));
    assert_eq!(requests_to(&server, "/v1.0").await, 4);
}

#[tokio::test]
async fn retry_post_not_repeated_when_it_may_have_run() {
    let (server, clients) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/app-1/addPassword"))
        .respond_with(ResponseTemplate::new(504))
        .mount(&server)
        .await;
    let error = clients
        .graph
        .add_password(
            "app-1",
            "ci",
            time::OffsetDateTime::now_utc(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(504));
    assert_eq!(
        requests_to(&server, "/v1.0").await,
        1,
        "a 504 may hide a created secret: never repeat"
    );
}

#[tokio::test]
async fn retry_timed_out_get_is_repeated_and_timed_out_post_is_not() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(
        &server,
        RetryConfig {
            request_timeout: std::time::Duration::from_millis(300),
            ..RetryConfig::without_delays()
        },
    );
    // The first GET is answered after the client's timeout; the retry is answered at once.
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": []}))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    clients.graph.list_applications(None).await.unwrap();
    assert_eq!(requests_to(&server, "/v1.0/applications").await, 2);
    // A POST that timed out may have created the secret: never repeated.
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/app-1/addPassword"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({}))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let error = clients
        .graph
        .add_password(
            "app-1",
            "ci",
            time::OffsetDateTime::now_utc(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "{error}");
    assert_eq!(requests_to(&server, "/v1.0/applications/app-1").await, 1);
}

#[tokio::test]
async fn retry_post_repeated_when_throttled_with_graph_body() {
    let (server, clients) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/app-1/addPassword"))
        .respond_with(
            ResponseTemplate::new(429)
                .append_header("Retry-After", "1")
                .set_body_json(fixture("error-throttled.json")),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/app-1/addPassword"))
        .and(body_partial_json(
            json!({"passwordCredential": {"displayName": "ci"}}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("application-addpassword.json")),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let added = clients
        .graph
        .add_password(
            "app-1",
            "ci",
            time::OffsetDateTime::now_utc(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        added.credential.key_id,
        "f0b0b335-1d71-4883-8f98-567911bfdca6"
    );
    assert_eq!(
        added.value.expose_secret(),
        "[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8"
    );
    assert_eq!(requests_to(&server, "/v1.0").await, 2);
    let printed = format!("{added:?} {added:#?}");
    assert!(!printed.contains("6gyXA5S20"), "{printed}");
}

#[tokio::test]
async fn read_your_writes_404_after_create_is_retried() {
    let (server, clients) = setup().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/applications(uniqueName='platform.api')"))
        .and(header("prefer", "create-if-missing"))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture("application-upsert.json")))
        .mount(&server)
        .await;
    let created_id = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
    Mock::given(method("PATCH"))
        .and(path(format!("/v1.0/applications/{created_id}")))
        .respond_with(graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource does not exist.",
        ))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1.0/applications/{created_id}")))
        .and(body_partial_json(
            json!({"identifierUris": ["api://631a96bc-a705-4eda-9f99-fdaf9f54f6a2"]}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&server)
        .await;
    let settings = ApplicationSettings {
        plain: PlainSettings {
            display_name: "API".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let upserted = clients
        .graph
        .upsert_application("platform.api", &settings)
        .await
        .unwrap();
    assert!(upserted.created);
    assert_eq!(upserted.app_id, "631a96bc-a705-4eda-9f99-fdaf9f54f6a2");
    let mut settings = settings;
    settings.plain.identifier_uris = vec![format!("api://{}", upserted.app_id)];
    clients
        .graph
        .update_application(&upserted.id, &settings, &[ApplicationField::IdentifierUris])
        .await
        .unwrap();
    assert_eq!(
        requests_to(&server, &format!("/v1.0/applications/{created_id}")).await,
        3
    );

    // An object this run did not create: a 404 is an answer, not lag.
    Mock::given(method("PATCH"))
        .and(path("/v1.0/applications/other"))
        .respond_with(graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource does not exist.",
        ))
        .mount(&server)
        .await;
    let error = clients
        .graph
        .update_application("other", &settings, &[ApplicationField::Tags])
        .await
        .unwrap_err();
    assert!(graph_answer(&error).has_code("Request_ResourceNotFound"));
    assert_eq!(requests_to(&server, "/v1.0/applications/other").await, 1);
}

#[tokio::test]
async fn upsert_204_reads_ids_back_by_unique_name() {
    let (server, clients) = setup().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/applications(uniqueName='platform.api')"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications(uniqueName='platform.api')"))
        .and(query_param("$select", "id,appId"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "obj-1", "appId": "app-1"})),
        )
        .mount(&server)
        .await;
    let upserted = clients
        .graph
        .upsert_application("platform.api", &ApplicationSettings::default())
        .await
        .unwrap();
    assert_eq!(
        (
            upserted.id.as_str(),
            upserted.app_id.as_str(),
            upserted.created
        ),
        ("obj-1", "app-1", false)
    );
}

#[tokio::test]
async fn service_principal_create_retries_no_backing_application_object() {
    let (server, clients) = setup().await;
    let no_backing = ResponseTemplate::new(400).set_body_json(json!({"error": {
        "code": "Request_BadRequest",
        "message": "The appId 'app-1' of the service principal does not reference a valid application object.",
        "details": [{"code": "NoBackingApplicationObject", "message": "...", "target": "appId"}],
    }}));
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals"))
        .respond_with(no_backing)
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals"))
        .and(body_partial_json(json!({"appId": "app-1", "appRoleAssignmentRequired": true})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "sp-1", "appId": "app-1", "appRoleAssignmentRequired": true, "tags": [], "notes": null
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    let settings = registrar_model::ServicePrincipalSettings {
        app_role_assignment_required: true,
        ..Default::default()
    };
    let sp = clients
        .graph
        .create_service_principal("app-1", &settings)
        .await
        .unwrap();
    assert_eq!(sp.id, "sp-1");
    assert_eq!(requests_to(&server, "/v1.0/servicePrincipals").await, 3);
}

#[tokio::test]
async fn paging_follows_next_link_across_an_empty_page() {
    let (server, clients) = setup().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param(
            "$filter",
            "tags/any(t:t eq 'registrar:platform')",
        ))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "a1", "appId": "x1"}, {"id": "a2", "appId": "x2"}],
            "@odata.nextLink": format!("{base}/v1.0/applications?$skiptoken=page2"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [],
            "@odata.nextLink": format!("{base}/v1.0/applications?$skiptoken=page3"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param("$skiptoken", "page3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"id": "a3", "appId": "x3"}]})),
        )
        .mount(&server)
        .await;
    let apps = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap();
    assert_eq!(
        apps.iter().map(|app| app.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a2", "a3"]
    );
    assert_eq!(requests_to(&server, "/v1.0").await, 3);
}

#[tokio::test]
async fn error_display_keeps_code_and_request_id() {
    let (server, clients) = setup().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/applications(uniqueName='platform.api')"))
        .respond_with(
            graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
            .append_header("request-id", "7c1f4f2e-0000-4000-8000-000000000001"),
        )
        .mount(&server)
        .await;
    let error = clients
        .graph
        .upsert_application("platform.api", &ApplicationSettings::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Microsoft Graph: PATCH /v1.0/applications(uniqueName='platform.api') returned 403 Authorization_RequestDenied: \
         Insufficient privileges to complete the operation. (request-id 7c1f4f2e-0000-4000-8000-000000000001)"
    );
    assert_eq!(requests_to(&server, "/v1.0").await, 1, "403 is not retried");
}

#[test]
fn settings_round_trip_with_the_documented_application() {
    let body = fixture("application-get.json");
    let settings = wire::settings_from_json(&body).unwrap();
    assert_eq!(settings.plain.display_name, "Display name");
    assert_eq!(
        settings.plain.sign_in_audience,
        "AzureADandPersonalMicrosoftAccount"
    );
    assert!(
        !settings.plain.is_fallback_public_client,
        "isFallbackPublicClient null reads as false"
    );
    assert_eq!(settings.api.requested_access_token_version, Some(2));
    assert_eq!(settings.plain.group_membership_claims, None);
    assert!(
        !settings.plain.web.implicit_grant_id_tokens
            && !settings.plain.web.implicit_grant_access_tokens
    );

    let written = wire::settings_to_json(&settings);
    assert_eq!(
        wire::settings_from_json(&written).unwrap(),
        settings,
        "settings -> JSON -> settings is exact"
    );
    // The managed properties we write are the ones Graph returned.
    for name in [
        "displayName",
        "signInAudience",
        "identifierUris",
        "tags",
        "web",
        "publicClient",
        "appRoles",
        "requiredResourceAccess",
        "groupMembershipClaims",
    ] {
        assert_eq!(written[name], body[name], "{name}");
    }
    let mut api = body["api"].clone();
    api.as_object_mut().unwrap().remove("acceptMappedClaims");
    assert_eq!(written["api"], api);
    let mut info = body["info"].clone();
    info.as_object_mut().unwrap().remove("logoUrl");
    assert_eq!(written["info"], info);
    // `optionalClaims: null` reads as no claims and is written as explicit empty lists.
    assert_eq!(
        written["optionalClaims"],
        json!({"idToken": [], "accessToken": [], "saml2Token": []})
    );
}

#[tokio::test]
async fn secret_value_never_in_debug_output() {
    let value = "Sup3r-S3cret~value";
    let delivered = DeliveredSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        key_id: "k".into(),
        expires_on: None,
        value: SecretValue::new(value.into()),
    };
    let kind = CredentialKind::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        secret: SecretValue::new(value.into()),
    };
    let config = AzureConfig::new(Endpoints::public(), kind);
    for printed in [
        format!("{delivered:?}"),
        format!("{delivered:#?}"),
        format!("{config:?}"),
        format!("{config:#?}"),
    ] {
        assert!(!printed.contains(value), "{printed}");
        assert!(printed.contains("***"), "{printed}");
    }
    let (_server, clients) = setup().await;
    assert!(!format!("{clients:?}").contains("bootstrap-secret-value"));
}

#[cfg(unix)]
#[test]
fn file_store_writes_0600_atomically_and_reads_back_the_key_id() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let secret = DeliveredSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        key_id: "f0b0b335-1d71-4883-8f98-567911bfdca6".into(),
        expires_on: Some(time::macros::datetime!(2027-01-01 00:00 UTC)),
        value: SecretValue::new("va'lue with spaces".into()),
    };
    for (format, file) in [
        (FileFormat::Json, "a/b/app.json"),
        (FileFormat::Env, "c/app.env"),
        (FileFormat::Raw, "d/raw"),
    ] {
        let path = dir.path().join(file);
        registrar_azure::write_secret_file(&path, format, &secret).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}");
        let expected = match format {
            FileFormat::Raw => None,
            _ => Some(secret.key_id.clone()),
        };
        assert_eq!(
            registrar_azure::read_secret_file(&path, format),
            SecretStoreContents::Present { key_id: expected },
            "{file}"
        );
        // Only the target is left in its directory: no temporary file.
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/b/app.json")).unwrap())
            .unwrap();
    assert_eq!(json["clientSecret"], "va'lue with spaces");
    assert_eq!(json["tenantId"], TENANT);
    assert_eq!(json["expiresOn"], "2027-01-01T00:00:00Z");
    let env = std::fs::read_to_string(dir.path().join("c/app.env")).unwrap();
    assert!(
        env.contains(&format!("AZURE_CLIENT_ID={CLIENT_ID}\n")),
        "{env}"
    );
    assert!(
        env.contains(r"AZURE_CLIENT_SECRET='va'\''lue with spaces'"),
        "{env}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d/raw")).unwrap(),
        "va'lue with spaces"
    );
    assert_eq!(
        registrar_azure::read_secret_file(&dir.path().join("missing.json"), FileFormat::Json),
        SecretStoreContents::Missing
    );
    // Overwriting keeps the mode and replaces the content.
    let rotated = DeliveredSecret {
        key_id: "new-key".into(),
        value: SecretValue::new("v2".into()),
        ..secret
    };
    registrar_azure::write_secret_file(
        &dir.path().join("a/b/app.json"),
        FileFormat::Json,
        &rotated,
    )
    .unwrap();
    assert_eq!(
        registrar_azure::read_secret_file(&dir.path().join("a/b/app.json"), FileFormat::Json),
        SecretStoreContents::Present {
            key_id: Some("new-key".into())
        }
    );
}

#[tokio::test]
async fn key_vault_set_read_and_errors() {
    let (server, clients) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/vaults/kv1/secrets/api-secret"))
        .and(query_param("api-version", "7.4"))
        .and(body_partial_json(json!({
            "value": "the-value",
            "contentType": "text/plain",
            "tags": {"registrar-key-id": "key-1", "registrar-client-id": CLIENT_ID},
            "attributes": {"exp": 1798761600},
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("keyvault-setsecret-response.json")),
        )
        .mount(&server)
        .await;
    let location = SecretStoreLocation::KeyVault {
        vault: "kv1".into(),
        name: "api-secret".into(),
    };
    let secret = DeliveredSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        key_id: "key-1".into(),
        expires_on: Some(time::macros::datetime!(2027-01-01 00:00 UTC)),
        value: SecretValue::new("the-value".into()),
    };
    clients.deliver_secret(&location, &secret).await.unwrap();

    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets/api-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": "the-value", "id": "https://kv1.vault.azure.net/secrets/api-secret/v1",
            "attributes": {"enabled": true, "exp": 1798761600}, "tags": {"registrar-key-id": "key-1"}
        })))
        .mount(&server)
        .await;
    assert_eq!(
        clients.read_secret_store(&location).await,
        SecretStoreContents::Present {
            key_id: Some("key-1".into())
        }
    );

    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "SecretNotFound", "message": "A secret with (name/id) gone was not found in this key vault."}
        })))
        .mount(&server)
        .await;
    let gone = SecretStoreLocation::KeyVault {
        vault: "kv1".into(),
        name: "gone".into(),
    };
    assert_eq!(
        clients.read_secret_store(&gone).await,
        SecretStoreContents::Missing
    );

    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets/locked"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": {"code": "Forbidden", "message": "The user does not have secrets get permission.", "innererror": {"code": "AccessDenied"}}
        })))
        .mount(&server)
        .await;
    let locked = SecretStoreLocation::KeyVault {
        vault: "kv1".into(),
        name: "locked".into(),
    };
    let SecretStoreContents::Unreadable { reason } = clients.read_secret_store(&locked).await
    else {
        panic!("403 must be unreadable")
    };
    assert!(
        reason.contains("403 Forbidden") && reason.contains("AccessDenied"),
        "{reason}"
    );

    // A Key Vault token was requested with the vault scope, once.
    let stats = clients.stats();
    assert_eq!((stats.token, stats.key_vault), (1, 4));
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().any(|request| {
        String::from_utf8_lossy(&request.body).contains("vault.azure.net%2F.default")
    }));
    assert!(
        requests
            .iter()
            .filter(|r| r.url.path().starts_with("/vaults"))
            .all(|r| r.headers.contains_key("x-ms-client-request-id"))
    );
}

/// A [`ReadProgress`] that counts what it is told, and checks that nothing is read before it
/// is planned.
#[derive(Default)]
struct CountedProgress {
    planned_and_read: Mutex<(u64, u64)>,
}

impl CountedProgress {
    fn counts(&self) -> (u64, u64) {
        *self.planned_and_read.lock().unwrap()
    }
}

impl ReadProgress for CountedProgress {
    fn planned(&self, objects: u64) {
        self.planned_and_read.lock().unwrap().0 += objects;
    }

    fn read(&self, objects: u64) {
        let mut counts = self.planned_and_read.lock().unwrap();
        counts.1 += objects;
        assert!(
            counts.1 <= counts.0,
            "read {} of {} planned",
            counts.1,
            counts.0
        );
    }
}

fn located(value: &str) -> Located<String> {
    Located::new(value.to_owned(), Default::default())
}

#[tokio::test]
async fn snapshot_reads_what_is_declared_with_proportional_requests() {
    let (server, clients) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join("web.json");
    let desired = DesiredState {
        namespace: "platform".into(),
        tenant: None,
        applications: vec![
            DesiredApplication {
                key: "api".into(),
                owners: vec![located("jo@contoso.com"), located("nobody@contoso.com")],
                required_resource_access: vec![DesiredResourceAccess {
                    resource: located("Microsoft Graph"),
                    ..Default::default()
                }],
                ..Default::default()
            },
            DesiredApplication {
                key: "web".into(),
                owners: vec![located("jo@contoso.com")],
                required_resource_access: vec![DesiredResourceAccess {
                    resource: located("api"),
                    ..Default::default()
                }],
                secrets: vec![DesiredSecret {
                    name: "ci".into(),
                    origin: Default::default(),
                    lifetime: time::Duration::days(90),
                    rotate_before: time::Duration::days(14),
                    overlap: None,
                    store: SecretStoreLocation::File {
                        path: secret_path.display().to_string(),
                        format: FileFormat::Json,
                    },
                }],
                ..Default::default()
            },
        ],
    };
    // `api` carries the marker tag; `web` lost it (drift) and is found by its unique name.
    let mut api = fixture("application-get.json");
    api["id"] = json!("obj-api");
    api["appId"] = json!("app-api");
    api["uniqueName"] = json!("platform.api");
    api["tags"] = json!(["registrar:platform"]);
    // The list expands each application's owners: `api`'s are not read again.
    api["owners"] = json!([{"@odata.type": "#microsoft.graph.user", "id": "user-jo"}]);
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param(
            "$filter",
            "tags/any(t:t eq 'registrar:platform')",
        ))
        .and(query_param("$expand", "owners($select=id)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [api]})))
        .mount(&server)
        .await;
    // Everything else goes in batches. `web`, found by its unique name, comes without expanded
    // owners (as if Graph had left them out): they are read on their own.
    let mut routes = vec![
        (
            "/applications(uniqueName='platform.web')".to_owned(),
            vec![inner_ok(json!({
                "id": "obj-web", "appId": "app-web", "uniqueName": "platform.web", "displayName": "web", "tags": []
            }))],
        ),
        (
            "/applications/obj-web/owners?$select=id".to_owned(),
            vec![inner_ok(
                json!({"value": [{"@odata.type": "#microsoft.graph.user", "id": "user-jo"}]}),
            )],
        ),
    ];
    for id in ["obj-api", "obj-web"] {
        routes.push((
            format!("/applications/{id}/federatedIdentityCredentials?$select="),
            vec![inner_ok(fixture("federatedidentitycredential-list.json"))],
        ));
    }
    // The app role assignments both service principals hold, in one list (expanded).
    routes.push((
        "/servicePrincipals?$filter=appId in ('app-api','app-web')&$select=id,appId&$expand=appRoleAssignments".to_owned(),
        vec![inner_ok(json!({"value": [{"id": "sp-api", "appId": "app-api", "appRoleAssignments": [{
            "id": "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M",
            "resourceId": "7ea9e944-71ce-443d-811c-71e8047b557a",
            "appRoleId": "df021288-bdef-4463-88db-98f22de89214"
        }]}]}))],
    ));
    // Both service principals in one list (only `api` has one), with its owners expanded.
    routes.push((
        "/servicePrincipals?$filter=appId in ('app-api','app-web')&$select=".to_owned(),
        vec![inner_ok(
            json!({"value": [{"id": "sp-api", "appId": "app-api", "appRoleAssignmentRequired": false, "tags": [], "notes": null,
                "passwordCredentials": [{"keyId": "sp-key-1", "displayName": "by hand", "hint": "Ab3", "secretText": null,
                    "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}],
                "keyCredentials": [],
                "owners": [{"@odata.type": "#microsoft.graph.user", "id": "user-jo"}]}]}),
        )],
    ));
    routes.push((
        "/servicePrincipals?$filter=appId in ('00000003-0000-0000-c000-000000000000')&$select="
            .to_owned(),
        vec![inner_ok(
            json!({"value": [fixture("serviceprincipal-get-msgraph-select.json")]}),
        )],
    ));
    // The second round: the grants of `api`'s service principal, over two pages.
    let next = format!(
        "{}/v1.0/oauth2PermissionGrants?$filter=clientId%20eq%20'sp-api'&$skiptoken=page2",
        server.uri()
    );
    let mut grants = fixture("oauth2permissiongrant-list.json");
    grants["@odata.nextLink"] = json!(next);
    routes.push((
        "/oauth2PermissionGrants?$filter=clientId eq 'sp-api'".to_owned(),
        vec![inner_ok(grants)],
    ));
    Mock::given(method("GET"))
        .and(path("/v1.0/oauth2PermissionGrants"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("oauth2permissiongrant-list-filter.json")),
        )
        .mount(&server)
        .await;
    // Both owners by UPN in one list; `nobody` does not exist.
    routes.push((
        "/users?$filter=userPrincipalName in ('jo@contoso.com','nobody@contoso.com')&$select=id,userPrincipalName,displayName".to_owned(),
        vec![inner_ok(
            json!({"value": [{"id": "user-jo", "userPrincipalName": "jo@contoso.com", "displayName": "Jo"}]}),
        )],
    ));
    BatchStub::new(routes).mount(&server).await;

    let progress = CountedProgress::default();
    let live = read_live_tenant_with(&clients, &desired, &progress)
        .await
        .unwrap();

    assert_eq!(
        live.applications
            .iter()
            .map(|app| app.id.as_str())
            .collect::<Vec<_>>(),
        ["obj-api", "obj-web"]
    );
    let api = live.application_by_unique_name("platform.api").unwrap();
    assert_eq!(api.owners, ["user-jo"]);
    assert_eq!(api.federated_credentials[0].name, "testing");
    let sp = api.service_principal.as_ref().unwrap();
    assert_eq!(sp.id, "sp-api");
    // The service principal's own credentials come with it; its owners in the second round.
    assert_eq!(sp.password_credentials[0].key_id, "sp-key-1");
    assert_eq!(sp.password_credentials[0].hint.as_deref(), Some("Ab3"));
    assert!(sp.key_credentials.is_empty());
    assert_eq!(sp.owners, ["user-jo"]);
    assert_eq!(
        sp.app_role_assignments,
        [registrar_model::AppRoleAssignment {
            id: "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M".into(),
            resource_id: "7ea9e944-71ce-443d-811c-71e8047b557a".into(),
            app_role_id: "df021288-bdef-4463-88db-98f22de89214".into(),
        }]
    );
    let grants: Vec<(&str, &str, Option<&str>, &str)> = sp
        .permission_grants
        .iter()
        .map(|grant| {
            (
                grant.consent_type.as_graph(),
                grant.resource_id.as_str(),
                grant.principal_id.as_deref(),
                grant.scope.split(' ').next().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            (
                "AllPrincipals",
                "1804a6f8-e623-4520-8f40-ba1b0c11c42d",
                None,
                "User.Read"
            ),
            (
                "AllPrincipals",
                "943603e4-e787-4fe9-93d1-e30f749aae39",
                None,
                "Tasks.ReadWrite"
            ),
            (
                "Principal",
                "7ea9e944-71ce-443d-811c-71e8047b557a",
                Some("3fbd929d-8c56-4462-851e-0eb9a7b3a2a5"),
                "User.Read.All"
            ),
        ]
    );
    assert!(
        live.application_by_unique_name("platform.web")
            .unwrap()
            .service_principal
            .is_none()
    );
    let graph = live
        .resource_service_principal("00000003-0000-0000-c000-000000000000")
        .unwrap();
    assert_eq!(graph.app_roles[0].value, "EduAssignments.ReadBasic.All");
    assert_eq!(graph.oauth2_permission_scopes[0].value, "profile");
    assert_eq!(live.directory_objects.len(), 1);
    assert_eq!(
        live.directory_object("jo@contoso.com")
            .map(|user| user.id.as_str()),
        Some("user-jo")
    );
    assert_eq!(live.secret_stores.len(), 1);
    assert_eq!(live.secret_stores[0].contents, SecretStoreContents::Missing);
    assert!(live.deleted_applications.is_empty());
    assert_eq!(
        live.tenant_id, TENANT,
        "stub token is no JWT: the configured tenant is used"
    );

    // 1 token + 1 tag list (owners expanded) + 1 batch (the unique-name lookup) + 1 batch
    // (`web`'s owners, 2 federated credential lists, 1 list of both service principals with
    // their owners, 1 list of the app roles they hold, 1 list of the resource SPs, 1 list of
    // the users: 7 inner requests) + 1 batch (the grants of the one service principal; its
    // owners and app roles came with it) + 1 GET (the grants' second page) + 1 batch alongside it (the default app management
    // policy and the list of custom policies: 2 inner requests, whatever the number of apps).
    // Before this read plan: 13 inner requests and 3 for the policies (one per app).
    let stats = clients.stats();
    assert_eq!(
        (stats.token, stats.graph, stats.total, stats.batched),
        (1, 6, 7, 11),
        "{stats:?}"
    );
    // Progress counts reads, not requests: the tag list, the lookup, the 7 details, the
    // secret store, the read of the second round and the policies (one step), each planned
    // before it is read.
    assert_eq!(progress.counts(), (12, 12));
    let (policy_batches, batches): (Vec<Vec<String>>, Vec<Vec<String>>) = batched_urls(&server)
        .await
        .into_iter()
        .partition(|batch| batch[0] == "/policies/defaultAppManagementPolicy");
    assert_eq!(policy_batches.len(), 1, "{policy_batches:?}");
    assert_eq!(
        policy_batches[0],
        [
            "/policies/defaultAppManagementPolicy",
            "/policies/appManagementPolicies"
        ],
        "no custom policy, so no appliesTo reads"
    );
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [1, 7, 1],
        "{batches:?}"
    );
    assert_eq!(
        batches[2],
        [
            "/oauth2PermissionGrants?$filter=clientId%20eq%20'sp-api'&$select=id,resourceId,consentType,principalId,scope"
        ]
    );
    // Every Graph read selects what it decodes.
    for url in batches.iter().flatten() {
        assert!(url.contains("$select="), "{url} selects nothing");
    }
}

/// A Key Vault SecretItem as a list shows it (no value).
fn secret_item(name: &str, key_id: &str) -> Value {
    json!({
        "id": format!("https://kv1.vault.azure.net/secrets/{name}"),
        "attributes": {"enabled": true, "exp": 1798761600},
        "tags": {"registrar-key-id": key_id},
        "contentType": "text/plain"
    })
}

/// 50 managed applications, each with a secret in the same vault: the applications come with
/// their owners in one list, the service principals in ⌈50/15⌉ lists, the vault in one list of
/// two pages (25 a page). Only the application whose expanded owners reached Graph's cap of 20
/// (the list may be truncated) has its owners read again. The per-object way reads the same
/// tenant in 1 list + 150 inner requests (owners, federated credentials and service principal
/// per app: 8 batches) and 50 Key Vault GETs.
#[tokio::test]
async fn snapshot_of_fifty_apps_expands_owners_and_lists_the_vault_once() {
    let (server, clients) = setup().await;
    let secret = |name: String| DesiredSecret {
        name: "ci".into(),
        origin: Default::default(),
        lifetime: time::Duration::days(90),
        rotate_before: time::Duration::days(14),
        overlap: None,
        store: SecretStoreLocation::KeyVault {
            vault: "kv1".into(),
            name,
        },
    };
    let desired = DesiredState {
        namespace: "bulk".into(),
        tenant: None,
        applications: (0..50)
            .map(|i| DesiredApplication {
                key: format!("app{i:02}"),
                secrets: vec![secret(format!("app{i:02}-secret"))],
                ..Default::default()
            })
            .collect(),
    };
    let user =
        |n: usize| json!({"@odata.type": "#microsoft.graph.user", "id": format!("user-{n:02}")});
    let apps: Vec<Value> = (0..50)
        .map(|i| {
            let owners: Vec<Value> = if i == 0 {
                (0..20).map(user).collect()
            } else {
                vec![user(0)]
            };
            json!({"id": format!("obj-{i:02}"), "appId": format!("app-{i:02}"),
                "uniqueName": format!("bulk.app{i:02}"), "tags": ["registrar:bulk"], "owners": owners})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param("$expand", "owners($select=id)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": apps })))
        .mount(&server)
        .await;
    let all_owners: Vec<Value> = (0..25).map(user).collect();
    BatchStub::new(vec![
        (
            "/applications/obj-00/owners?$select=id".to_owned(),
            vec![inner_ok(json!({ "value": all_owners }))],
        ),
        (
            "/federatedIdentityCredentials?$select=".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/servicePrincipals?$filter=appId in (".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
    ])
    .mount(&server)
    .await;
    // The vault: 25 secrets a page; `app49-secret` is not there, another secret is.
    let first: Vec<Value> = (0..25)
        .map(|i| secret_item(&format!("app{i:02}-secret"), &format!("key-{i:02}")))
        .collect();
    let mut second: Vec<Value> = (25..49)
        .map(|i| secret_item(&format!("app{i:02}-secret"), &format!("key-{i:02}")))
        .collect();
    second.push(secret_item("unrelated", "key-x"));
    let next = format!(
        "{}/vaults/kv1/secrets?api-version=7.4&$skiptoken=page2&maxresults=25",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets"))
        .and(query_param("maxresults", "25"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"value": first, "nextLink": next})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"value": second, "nextLink": null})),
        )
        .mount(&server)
        .await;

    let live = read_live_tenant(&clients, &desired).await.unwrap();

    assert_eq!(live.applications.len(), 50);
    let first_app = live.application_by_unique_name("bulk.app00").unwrap();
    assert_eq!(
        first_app.owners.len(),
        25,
        "read again: the expanded 20 may be cut short"
    );
    let other = live.application_by_unique_name("bulk.app01").unwrap();
    assert_eq!(other.owners, ["user-00"]);
    assert_eq!(live.secret_stores.len(), 50);
    let store = |name: &str| {
        live.secret_store(&SecretStoreLocation::KeyVault {
            vault: "kv1".into(),
            name: name.into(),
        })
        .map(|store| store.contents.clone())
    };
    assert_eq!(
        store("app07-secret"),
        Some(SecretStoreContents::Present {
            key_id: Some("key-07".into())
        })
    );
    assert_eq!(store("app49-secret"), Some(SecretStoreContents::Missing));

    // Graph: 1 list + 3 batches of 59 inner requests (1 owners read, 50 federated credential
    // lists, 4 service principal lists and 4 of the app roles they hold) + 1 batch of the app
    // management policies (the default and the list, not one read per app); Key Vault: 2 pages
    // of one list.
    let stats = clients.stats();
    assert_eq!(
        (stats.graph, stats.batched, stats.key_vault),
        (5, 61, 2),
        "{stats:?}"
    );
    let inner: Vec<String> = batched_urls(&server).await.into_iter().flatten().collect();
    let owner_reads: Vec<&String> = inner.iter().filter(|url| url.contains("/owners")).collect();
    assert_eq!(owner_reads, ["/applications/obj-00/owners?$select=id"]);
    let principal_lists: Vec<&String> = inner
        .iter()
        .filter(|url| url.starts_with("/servicePrincipals?"))
        .collect();
    assert_eq!(principal_lists.len(), 8, "{principal_lists:?}");
    for list in &principal_lists {
        let values = list.matches("'app-").count();
        assert!(values <= 15, "{values} values in one `in`: {list}");
    }
    let expanding = |what: &str| {
        principal_lists
            .iter()
            .filter(|list| list.contains(&format!("$expand={what}(")))
            .count()
    };
    assert_eq!(
        (expanding("owners"), expanding("appRoleAssignments")),
        (4, 4)
    );
}

/// A vault the caller may read secrets from but not list: each secret is read on its own, so
/// the snapshot says the same as before.
#[tokio::test]
async fn snapshot_reads_each_secret_when_the_vault_cannot_be_listed() {
    let (server, clients) = setup().await;
    let store = |name: &str| SecretStoreLocation::KeyVault {
        vault: "kv1".into(),
        name: name.into(),
    };
    let desired = DesiredState {
        namespace: "kv".into(),
        tenant: None,
        applications: vec![DesiredApplication {
            key: "api".into(),
            secrets: ["one", "two"]
                .iter()
                .map(|name| DesiredSecret {
                    name: (*name).into(),
                    origin: Default::default(),
                    lifetime: time::Duration::days(90),
                    rotate_before: time::Duration::days(14),
                    overlap: None,
                    store: store(name),
                })
                .collect(),
            ..Default::default()
        }],
    };
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    BatchStub::new(vec![(
        "/applications(uniqueName='kv.api')".to_owned(),
        vec![inner_error(404, "Request_ResourceNotFound", "gone")],
    )])
    .mount(&server)
    .await;
    Mock::given(method("GET"))
        .and(path(
            "/v1.0/directory/deletedItems/microsoft.graph.application",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": {"code": "Forbidden", "message": "The user does not have secrets list permission.", "innererror": {"code": "AccessDenied"}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets/one"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": "v", "id": "https://kv1.vault.azure.net/secrets/one/v1",
            "attributes": {"enabled": true}, "tags": {"registrar-key-id": "key-1"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vaults/kv1/secrets/two"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "SecretNotFound", "message": "A secret with (name/id) two was not found in this key vault."}
        })))
        .mount(&server)
        .await;

    let live = read_live_tenant(&clients, &desired).await.unwrap();
    assert_eq!(
        live.secret_store(&store("one")).map(|s| s.contents.clone()),
        Some(SecretStoreContents::Present {
            key_id: Some("key-1".into())
        })
    );
    assert_eq!(
        live.secret_store(&store("two")).map(|s| s.contents.clone()),
        Some(SecretStoreContents::Missing)
    );
    // The refused list, then one GET per secret.
    assert_eq!(clients.stats().key_vault, 3);
}

#[tokio::test]
async fn consent_writes_send_the_documented_requests() {
    let (server, clients) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals/graph-sp/appRoleAssignedTo"))
        .and(body_partial_json(
            json!({"principalId": "client-sp", "resourceId": "graph-sp", "appRoleId": "role-1"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture(
            "serviceprincipal-post-approleassignedto-msgraph.json",
        )))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(
            "/v1.0/servicePrincipals/graph-sp/appRoleAssignedTo/47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/oauth2PermissionGrants"))
        .and(body_partial_json(json!({
            "clientId": "client-sp", "consentType": "AllPrincipals", "resourceId": "graph-sp",
            "scope": "User.Read openid"
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("oauth2permissiongrant-post.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/oauth2PermissionGrants/grant-1"))
        .and(body_partial_json(json!({"scope": "User.Read profile"})))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/oauth2PermissionGrants/gone"))
        .respond_with(graph_error(404, "Request_ResourceNotFound", "gone"))
        .mount(&server)
        .await;

    let graph = &clients.graph;
    let assignment = graph
        .grant_app_role("client-sp", "graph-sp", "role-1")
        .await
        .unwrap();
    assert_eq!(assignment.id, "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M");
    graph
        .revoke_app_role("graph-sp", &assignment.id)
        .await
        .unwrap();
    let grant = graph
        .grant_scopes("client-sp", "graph-sp", "User.Read openid")
        .await
        .unwrap();
    assert_eq!(grant.id, "l5eW7x0ga0-WDOntXzHateQDNpSH5-lPk9HjD3Sarjk");
    assert_eq!(grant.consent_type.as_graph(), "AllPrincipals");
    graph
        .update_granted_scopes("grant-1", "User.Read profile")
        .await
        .unwrap();
    graph.revoke_grant("gone").await.unwrap();
    assert_eq!(requests_to(&server, "/v1.0").await, 5);
    // An AllPrincipals grant carries no principalId.
    let requests = server.received_requests().await.unwrap();
    let post = requests
        .iter()
        .find(|request| request.url.path() == "/v1.0/oauth2PermissionGrants")
        .unwrap();
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert!(body.get("principalId").is_none(), "{body}");
}

#[tokio::test]
async fn consent_for_a_fresh_service_principal_retries_replication_lag() {
    let (server, clients) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "new-sp", "appId": "app-1", "appRoleAssignmentRequired": false, "tags": [], "notes": null
        })))
        .mount(&server)
        .await;
    let not_found = graph_error(
        404,
        "Request_ResourceNotFound",
        "Resource 'new-sp' does not exist or one of its queried reference-property objects are not present.",
    );
    for route in [
        "/v1.0/servicePrincipals/graph-sp/appRoleAssignedTo",
        "/v1.0/oauth2PermissionGrants",
    ] {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(not_found.clone())
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals/graph-sp/appRoleAssignedTo"))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture(
            "serviceprincipal-post-approleassignedto-msgraph.json",
        )))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/oauth2PermissionGrants"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("oauth2permissiongrant-post.json")),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let graph = &clients.graph;
    let sp = graph
        .create_service_principal("app-1", &Default::default())
        .await
        .unwrap();
    graph
        .grant_app_role(&sp.id, "graph-sp", "role-1")
        .await
        .unwrap();
    graph
        .grant_scopes(&sp.id, "graph-sp", "User.Read")
        .await
        .unwrap();
    assert_eq!(
        requests_to(
            &server,
            "/v1.0/servicePrincipals/graph-sp/appRoleAssignedTo"
        )
        .await,
        3
    );
    assert_eq!(
        requests_to(&server, "/v1.0/oauth2PermissionGrants").await,
        3
    );

    // For service principals this run did not create, a 404 is an answer.
    let error = graph
        .grant_app_role("old-sp", "other-sp", "role-1")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(
        requests_to(
            &server,
            "/v1.0/servicePrincipals/other-sp/appRoleAssignedTo"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn writes_send_the_documented_requests() {
    let (server, clients) = setup().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/a1/owners/$ref"))
        .and(body_partial_json(
            json!({"@odata.id": format!("{base}/v1.0/directoryObjects/u1")}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/applications/a1/owners/u2/$ref"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(
            "/v1.0/applications/a1/federatedIdentityCredentials(name='github-main')",
        ))
        .and(header("prefer", "create-if-missing"))
        .and(body_partial_json(json!({
            "name": "github-main", "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:o/r:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]
        })))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(
            "/v1.0/applications/a1/federatedIdentityCredentials/old",
        ))
        .respond_with(graph_error(404, "Request_ResourceNotFound", "gone"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/a1/removePassword"))
        .and(body_partial_json(json!({"keyId": "k1"})))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/applications/a1"))
        .and(body_partial_json(json!({"keyCredentials": [
            {"keyId": "c1", "type": "AsymmetricX509Cert", "usage": "Verify", "key": "TUlJ", "endDateTime": "2027-01-01T00:00:00Z"},
            {"type": "AsymmetricX509Cert", "usage": "Verify", "key": "TkVX"}
        ]})))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications/a1"))
        .and(query_param("$select", "keyCredentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keyCredentials": [{
            "keyId": "c1", "type": "AsymmetricX509Cert", "usage": "Verify", "key": "TUlJ",
            "displayName": "CN=x", "customKeyIdentifier": "BB5D", "startDateTime": "2026-01-01T00:00:00Z",
            "endDateTime": "2027-01-01T00:00:00.1234567Z"
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/applications/gone"))
        .respond_with(graph_error(404, "Request_ResourceNotFound", "gone"))
        .mount(&server)
        .await;

    let graph = &clients.graph;
    graph.add_owner("a1", "u1").await.unwrap();
    graph.remove_owner("a1", "u2").await.unwrap();
    let credential = registrar_model::FederatedCredential {
        id: String::new(),
        name: "github-main".into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: "repo:o/r:ref:refs/heads/main".into(),
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    };
    graph
        .upsert_federated_credential("a1", &credential)
        .await
        .unwrap();
    graph
        .delete_federated_credential("a1", "old")
        .await
        .unwrap();
    graph.remove_password("a1", "k1").await.unwrap();
    let certificate = |key_id: &str, key: &str| registrar_model::KeyCredential {
        key_id: key_id.into(),
        display_name: None,
        key_type: "AsymmetricX509Cert".into(),
        usage: "Verify".into(),
        custom_key_identifier: None,
        start: None,
        end: (key_id == "c1").then_some(time::macros::datetime!(2027-01-01 00:00 UTC)),
        key: Some(key.into()),
    };
    graph
        .set_key_credentials("a1", &[certificate("c1", "TUlJ"), certificate("", "TkVX")])
        .await
        .unwrap();
    let certificates = graph.get_key_credentials("a1").await.unwrap();
    assert_eq!(certificates[0].key.as_deref(), Some("TUlJ"));
    assert_eq!(
        certificates[0].end.map(|end| end.nanosecond()),
        Some(123_456_700)
    );
    graph.delete_application("gone").await.unwrap();
    assert_eq!(requests_to(&server, "/v1.0").await, 8);

    // A URI that still names `{appId}` is never sent.
    let settings = ApplicationSettings {
        plain: PlainSettings {
            identifier_uris: vec!["api://{appId}".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let error = graph
        .update_application("a1", &settings, &[ApplicationField::IdentifierUris])
        .await
        .unwrap_err();
    assert!(matches!(error, AzureError::InvalidRequest(_)), "{error}");
    // An unknown field name no longer exists: `changed_fields` are `ApplicationField`s.
    assert_eq!(requests_to(&server, "/v1.0").await, 8);
}

#[tokio::test]
async fn snapshot_reads_deleted_items_and_certificates_only_when_needed() {
    let (server, clients) = setup().await;
    let certificate = registrar_model::DesiredCertificate {
        name: "signing".into(),
        origin: Default::default(),
        file: "signing.pem".into(),
        der_base64: "TUlJ".into(),
        thumbprint_base64: "BB5D".into(),
        not_before: time::macros::datetime!(2026-01-01 00:00 UTC),
        not_after: time::macros::datetime!(2027-01-01 00:00 UTC),
    };
    let desired = DesiredState {
        namespace: "ns".into(),
        tenant: None,
        applications: vec![
            DesiredApplication {
                key: "certs".into(),
                certificates: vec![certificate],
                ..Default::default()
            },
            DesiredApplication {
                key: "lost".into(),
                ..Default::default()
            },
            DesiredApplication {
                key: "adopted".into(),
                app_id: Some("aaaaaaaa-0000-0000-0000-000000000001".into()),
                ..Default::default()
            },
        ],
    };
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "o-certs", "appId": "x-certs", "uniqueName": "ns.certs", "tags": ["registrar:ns"], "keyCredentials": []}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/deletedItems/microsoft.graph.application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "d1", "appId": "x-lost", "uniqueName": "ns.lost", "displayName": "lost", "deletedDateTime": "2026-02-01T00:00:00Z"},
            {"id": "d2", "appId": "x-other", "uniqueName": "other.lost", "displayName": "other"}
        ]})))
        .mount(&server)
        .await;
    BatchStub::new(vec![
        (
            "/applications(uniqueName='ns.lost')".to_owned(),
            vec![inner_error(404, "Request_ResourceNotFound", "gone")],
        ),
        (
            "/applications(appId='aaaaaaaa-0000-0000-0000-000000000001')".to_owned(),
            vec![inner_ok(json!({
                "id": "o-adopted", "appId": "aaaaaaaa-0000-0000-0000-000000000001", "uniqueName": null, "tags": []
            }))],
        ),
        ("/owners".to_owned(), vec![inner_ok(json!({"value": []}))]),
        (
            "/federatedIdentityCredentials".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/servicePrincipals".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/applications/o-certs?$select=keyCredentials".to_owned(),
            vec![inner_ok(json!({"keyCredentials": []}))],
        ),
    ])
    .mount(&server)
    .await;

    let live = read_live_tenant(&clients, &desired).await.unwrap();
    assert_eq!(
        live.applications
            .iter()
            .map(|app| app.id.as_str())
            .collect::<Vec<_>>(),
        ["o-certs", "o-adopted"]
    );
    assert_eq!(live.deleted_applications.len(), 1);
    assert_eq!(
        live.deleted_application_by_unique_name("ns.lost")
            .map(|app| app.id.as_str()),
        Some("d1")
    );
    // 1 tag list + 1 batch (2 lookups) + 1 deleted list + 1 batch (owners and federated
    // credentials x 2 apps, whose answers came without expanded owners + 1 keyCredentials, only
    // `certs` + 1 list of both service principals + 1 of the app roles they hold: 7 inner
    // requests) + 1 batch (the default app management policy and the custom policies' list).
    // Before batching: 1 + 2 + 1 + 7 + 2 = 13.
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched), (5, 11), "{stats:?}");
    let adopted = batched_urls(&server)
        .await
        .into_iter()
        .flatten()
        .filter(|url| {
            url.starts_with("/applications/o-adopted") && !url.ends_with("/appManagementPolicies")
        })
        .count();
    assert_eq!(
        adopted, 2,
        "owners and federated credentials, no keyCredentials"
    );
}

#[test]
fn extra_ca_must_be_a_certificate() {
    let credential = CredentialKind::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        secret: SecretValue::new("x".into()),
    };
    let endpoints =
        Endpoints::local("https://127.0.0.1:1").with_extra_ca_pem(b"not a pem".to_vec());
    let error = Clients::new(AzureConfig::new(endpoints, credential)).unwrap_err();
    assert!(matches!(error, AzureError::Config { .. }), "{error}");
}

#[test]
fn clients_and_futures_are_send() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let credential = CredentialKind::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        secret: SecretValue::new("x".into()),
    };
    let clients = Clients::new(AzureConfig::new(Endpoints::public(), credential)).unwrap();
    assert_send_sync(&clients);
    let desired = DesiredState::default();
    let snapshot = read_live_tenant(&clients, &desired);
    assert_send(&snapshot);
    let settings = ApplicationSettings::default();
    let upsert = clients.graph.upsert_application("a.b", &settings);
    assert_send(&upsert);
}

// ----- JSON batching ---------------------------------------------------------------------------

fn batch_requests(paths: &[&str]) -> Vec<BatchGet> {
    paths.iter().map(|path| BatchGet::from(*path)).collect()
}

#[tokio::test]
async fn batch_matches_answers_out_of_order_by_id() {
    let (server, clients) = setup().await;
    // The stub answers in reverse order.
    BatchStub::new(
        ["a", "b", "c"]
            .into_iter()
            .map(|id| {
                (
                    format!("/directoryObjects/{id}"),
                    vec![inner_ok(json!({"id": id}))],
                )
            })
            .collect(),
    )
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(batch_requests(&[
            "/directoryObjects/a",
            "/directoryObjects/b",
            "/directoryObjects/c",
        ]))
        .await
        .unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|result| result.as_ref().unwrap()["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched, stats.retries), (1, 3, 0));
    // The batch is a POST with relative URLs and the ids the answers are matched by.
    let requests = server.received_requests().await.unwrap();
    let batch = requests
        .iter()
        .find(|request| request.url.path() == "/v1.0/$batch")
        .unwrap();
    let body: Value = serde_json::from_slice(&batch.body).unwrap();
    assert_eq!(
        body["requests"][1],
        json!({"id": "1", "method": "GET", "url": "/directoryObjects/b"})
    );
    assert!(batch.headers.contains_key("authorization"));
}

#[tokio::test]
async fn batch_resends_only_the_throttled_request_after_retry_after() {
    let (server, clients) = setup().await;
    let throttled = (
        429,
        json!({"Retry-After": "2", "Content-Type": "application/json"}),
        fixture("error-throttled.json"),
    );
    let unavailable = (
        503,
        json!({"Retry-After": "5"}),
        json!({"error": {"code": "serviceNotAvailable", "message": "later"}}),
    );
    BatchStub::new(vec![
        (
            "/directoryObjects/busy".to_owned(),
            vec![throttled, inner_ok(json!({"id": "busy"}))],
        ),
        (
            "/directoryObjects/down".to_owned(),
            vec![unavailable, inner_ok(json!({"id": "down"}))],
        ),
        (
            "/directoryObjects/".to_owned(),
            vec![inner_ok(json!({"id": "fine"}))],
        ),
    ])
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(batch_requests(&[
            "/directoryObjects/fine1",
            "/directoryObjects/busy",
            "/directoryObjects/fine2",
            "/directoryObjects/down",
        ]))
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(results[1].as_ref().unwrap()["id"], "busy");
    assert_eq!(results[3].as_ref().unwrap()["id"], "down");
    // The second batch carries only the two failed requests, not their siblings.
    assert_eq!(
        batched_urls(&server).await,
        [
            vec![
                "/directoryObjects/fine1",
                "/directoryObjects/busy",
                "/directoryObjects/fine2",
                "/directoryObjects/down"
            ],
            vec!["/directoryObjects/busy", "/directoryObjects/down"],
        ]
    );
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched, stats.retries), (2, 6, 1));
}

#[tokio::test]
async fn batch_inner_throttling_gives_up_after_max_attempts() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(
        &server,
        RetryConfig {
            max_attempts: 3,
            ..RetryConfig::without_delays()
        },
    );
    BatchStub::new(vec![
        (
            "/directoryObjects/busy".to_owned(),
            vec![(
                429,
                json!({"Retry-After": "1"}),
                fixture("error-throttled.json"),
            )],
        ),
        (
            "/directoryObjects/fine".to_owned(),
            vec![inner_ok(json!({"id": "fine"}))],
        ),
    ])
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(batch_requests(&[
            "/directoryObjects/busy",
            "/directoryObjects/fine",
        ]))
        .await
        .unwrap();
    assert!(results[1].is_ok());
    let error = results[0].as_ref().unwrap_err();
    let graph = graph_answer(error);
    assert_eq!((graph.status, graph.code()), (429, "TooManyRequests"));
    assert_eq!(graph.retry_after, Some(std::time::Duration::from_secs(1)));
    // 3 attempts of the throttled request, its sibling sent once.
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched, stats.retries), (3, 4, 2));
}

#[tokio::test]
async fn batch_inner_404_is_a_typed_graph_error_and_retried_only_when_fresh() {
    let (server, clients) = setup().await;
    BatchStub::new(vec![
        (
            "/applications/missing".to_owned(),
            vec![inner_error(
                404,
                "Request_ResourceNotFound",
                "Resource 'missing' does not exist.",
            )],
        ),
        (
            "/applications/new".to_owned(),
            vec![
                inner_error(404, "Request_ResourceNotFound", "not yet"),
                inner_ok(json!({"id": "new"})),
            ],
        ),
    ])
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(vec![
            BatchGet::new("/applications/missing?$select=id"),
            BatchGet::new("/applications/new?$select=id").fresh(true),
        ])
        .await
        .unwrap();
    let error = results[0].as_ref().unwrap_err();
    assert!(error.is_not_found());
    let graph = graph_answer(error);
    assert_eq!(graph.code(), "Request_ResourceNotFound");
    assert_eq!(graph.request_id.as_deref(), Some("inner-header-rid"));
    assert_eq!(
        error.to_string(),
        "Microsoft Graph: GET /v1.0/applications/missing returned 404 Request_ResourceNotFound: Resource 'missing' does not exist. (request-id inner-header-rid)"
    );
    // The object this run created is read again (replication lag); the other is not.
    assert_eq!(results[1].as_ref().unwrap()["id"], "new");
    assert_eq!(
        batched_urls(&server).await[1],
        ["/applications/new?$select=id"]
    );
}

#[tokio::test]
async fn batch_follows_next_link_of_an_inner_collection() {
    let (server, clients) = setup().await;
    let next = format!(
        "{}/v1.0/applications/a1/owners?$select=id&$skiptoken=page2",
        server.uri()
    );
    BatchStub::new(vec![(
        "/applications/a1/owners".to_owned(),
        vec![inner_ok(
            json!({"value": [{"id": "u1"}], "@odata.nextLink": next}),
        )],
    )])
    .mount(&server)
    .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications/a1/owners"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "u2"}]})))
        .mount(&server)
        .await;
    let results = clients
        .graph
        .batch_get(batch_requests(&["/applications/a1/owners?$select=id"]))
        .await
        .unwrap();
    assert_eq!(
        results[0].as_ref().unwrap(),
        &json!({"value": [{"id": "u1"}, {"id": "u2"}]})
    );
    // 1 batch + 1 GET of the second page.
    assert_eq!(clients.stats().graph, 2);
}

#[tokio::test]
async fn batch_splits_into_chunks_of_twenty() {
    let (server, clients) = setup().await;
    BatchStub::new(vec![(
        "/directoryObjects/".to_owned(),
        vec![inner_ok(json!({"id": "x"}))],
    )])
    .mount(&server)
    .await;
    let paths: Vec<BatchGet> = (0..45)
        .map(|index| BatchGet::new(format!("/directoryObjects/o{index}")))
        .collect();
    let results = clients.graph.batch_get(paths).await.unwrap();
    assert_eq!(results.len(), 45);
    assert!(results.iter().all(Result::is_ok));
    let mut sizes: Vec<usize> = batched_urls(&server).await.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 20, 20]);
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched), (3, 45));
    // A URL that is not relative is refused without being sent.
    let results = clients
        .graph
        .batch_get(batch_requests(&["https://graph.microsoft.com/v1.0/me"]))
        .await
        .unwrap();
    assert!(matches!(results[0], Err(AzureError::InvalidRequest(_))));
    assert_eq!(clients.stats().graph, 3);
}

#[tokio::test]
async fn batch_request_itself_is_retried_like_a_get() {
    let (server, clients) = setup().await;
    // A bare 504 on a POST is normally not retried (it may have run); a batch of GETs is.
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    BatchStub::new(vec![(
        "/directoryObjects/a".to_owned(),
        vec![inner_ok(json!({"id": "a"}))],
    )])
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(batch_requests(&["/directoryObjects/a"]))
        .await
        .unwrap();
    assert!(results[0].is_ok());
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.retries), (2, 1));
    // A batch that keeps failing is an error of the whole call.
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(&server, RetryConfig::without_delays());
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(graph_error(
            400,
            "BadRequest",
            "Invalid batch payload format.",
        ))
        .mount(&server)
        .await;
    let error = clients
        .graph
        .batch_get(batch_requests(&["/directoryObjects/a"]))
        .await
        .unwrap_err();
    assert_eq!(graph_answer(&error).status(), 400);
}

#[tokio::test]
async fn batch_resend_waits_for_the_longest_retry_after() {
    // No sleeping, but the waits are accounted: a read-your-writes retry in the same batch as a
    // 429 with `Retry-After: 30` has waited those 30 s, past its 10 s deadline, after one resend.
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with(
        &server,
        RetryConfig {
            consistency_deadline: std::time::Duration::from_secs(10),
            ..RetryConfig::without_delays()
        },
    );
    BatchStub::new(vec![
        (
            "/applications/new".to_owned(),
            vec![inner_error(404, "Request_ResourceNotFound", "not yet")],
        ),
        (
            "/directoryObjects/busy".to_owned(),
            vec![
                (
                    429,
                    json!({"Retry-After": "30"}),
                    fixture("error-throttled.json"),
                ),
                inner_ok(json!({"id": "busy"})),
            ],
        ),
    ])
    .mount(&server)
    .await;
    let results = clients
        .graph
        .batch_get(vec![
            BatchGet::new("/applications/new").fresh(true),
            BatchGet::new("/directoryObjects/busy"),
        ])
        .await
        .unwrap();
    assert!(results[0].as_ref().unwrap_err().is_not_found());
    assert!(results[1].is_ok());
    assert_eq!(
        batched_urls(&server).await,
        [
            vec!["/applications/new", "/directoryObjects/busy"],
            vec!["/applications/new", "/directoryObjects/busy"],
        ]
    );
}

// ----- Azure RBAC over ARM (docs/azure-behaviour.md, "ARM role definitions and role assignments") --------------------------------------------------

const SUBSCRIPTION: &str = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn arm_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-ms-request-id", "arm-rid")
        .set_body_json(json!({"error": {"code": code, "message": message, "target": null, "details": [], "additionalInfo": []}}))
}

fn arm_assignment(scope: &str, name: &str, role: &str, principal: &str) -> Value {
    json!({
        "properties": {
            "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"),
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    })
}

#[tokio::test]
async fn arm_role_assignment_writes_send_the_documented_requests() {
    let (server, clients) = setup().await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-001");
    let name = registrar_model::role_assignment_name(&scope, READER, "sp-1");
    let assignment_path =
        format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    // A new service principal: ARM does not know it for two attempts, then creates (201).
    Mock::given(method("PUT"))
        .and(path(assignment_path.clone()))
        .and(query_param("api-version", "2022-04-01"))
        .and(header("authorization", "Bearer stub-access-token"))
        .and(body_partial_json(json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
            "principalId": "sp-1",
            "principalType": "ServicePrincipal",
            "description": "Read monitoring data",
        }})))
        .respond_with(arm_error(
            400,
            "PrincipalNotFound",
            "Principal sp-1 does not exist in the directory.",
        ))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(assignment_path.clone()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(arm_assignment(&scope, &name, READER, "sp-1")),
        )
        .mount(&server)
        .await;
    let created = clients
        .arm
        .create_role_assignment(&scope, &name, READER, "sp-1", Some("Read monitoring data"))
        .await
        .unwrap();
    assert_eq!(
        (created.name.as_str(), created.scope.as_str()),
        (name.as_str(), scope.as_str())
    );
    assert_eq!(created.role_definition_id, READER);
    assert_eq!(requests_to(&server, &assignment_path).await, 3);
    assert_eq!(clients.stats().retries, 2);

    // The same scope, role and principal under another name: 409 RoleAssignmentExists.
    let other = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/other");
    Mock::given(method("PUT"))
        .and(path(other.clone()))
        .respond_with(arm_error(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ))
        .mount(&server)
        .await;
    let error = clients
        .arm
        .create_role_assignment(&scope, "other", READER, "sp-1", None)
        .await
        .unwrap_err();
    assert!(error.is_role_assignment_exists(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "Azure Resource Manager: PUT {other} returned 409 RoleAssignmentExists: The role assignment already exists. (x-ms-request-id arm-rid)"
        )
    );
    assert_eq!(
        requests_to(&server, &other).await,
        1,
        "a 409 is not retried"
    );

    // Delete: 200 with the body, 204 when already gone, 404 counts as gone too.
    for (name, status) in [("n200", 200), ("n204", 204), ("n404", 404)] {
        let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
        let response = match status {
            200 => ResponseTemplate::new(200)
                .set_body_json(arm_assignment(&scope, name, READER, "sp-1")),
            404 => arm_error(404, "RoleAssignmentNotFound", "gone"),
            _ => ResponseTemplate::new(204),
        };
        Mock::given(method("DELETE"))
            .and(path(id.clone()))
            .and(query_param("api-version", "2022-04-01"))
            .respond_with(response)
            .mount(&server)
            .await;
        clients.arm.delete_role_assignment(&id).await.unwrap();
    }
    let stats = clients.stats();
    assert_eq!((stats.arm, stats.graph), (7, 0), "{stats:?}");
}

#[tokio::test]
async fn arm_principal_not_found_gives_up_at_the_consistency_deadline() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let retry = RetryConfig {
        max_consistency_attempts: 4,
        ..RetryConfig::without_delays()
    };
    let clients = clients_with(&server, retry);
    Mock::given(method("PUT"))
        .respond_with(arm_error(
            400,
            "PrincipalNotFound",
            "Principal sp-1 does not exist",
        ))
        .mount(&server)
        .await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}");
    let error = clients
        .arm
        .create_role_assignment(&scope, "n", READER, "sp-1", None)
        .await
        .unwrap_err();
    assert!(error.is_principal_not_found(), "{error}");
    assert_eq!(clients.stats().arm, 4);
}

#[tokio::test]
async fn arm_lists_follow_next_link_and_escape_role_names() {
    let (server, clients) = setup().await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}");
    let list_path = format!("{scope}/providers/Microsoft.Authorization/roleAssignments");
    let next = format!(
        "{}{list_path}?api-version=2022-04-01&$filter=principalId%20eq%20'sp-1'&$skiptoken=2",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(list_path.clone()))
        .and(query_param("$skiptoken", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [arm_assignment(&format!("{scope}/resourceGroups/rg-2"), "n2", READER, "sp-1")]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path.clone()))
        .and(query_param("$filter", "principalId eq 'sp-1'"))
        .and(query_param("api-version", "2022-04-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [arm_assignment(&scope, "n1", READER, "sp-1")],
            "nextLink": next,
        })))
        .mount(&server)
        .await;
    let found = clients
        .arm
        .list_role_assignments_for_principal(&scope, "sp-1")
        .await
        .unwrap();
    assert_eq!(
        found
            .iter()
            .map(|assignment| assignment.name.as_str())
            .collect::<Vec<_>>(),
        ["n1", "n2"]
    );

    let mut definitions = fixture("arm-roledefinitions-list.json");
    definitions["value"][0]["name"] = json!("C0FFEE00-0000-4000-8000-000000000001");
    definitions["value"][0]["properties"]["roleName"] = json!("O'Brien Deployer");
    Mock::given(method("GET"))
        .and(path(format!(
            "{scope}/resourceGroups/rg-1/providers/Microsoft.Authorization/roleDefinitions"
        )))
        .and(query_param("$filter", "roleName eq 'O''Brien Deployer'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(definitions))
        .mount(&server)
        .await;
    let found = clients
        .arm
        .find_role_definitions(&format!("{scope}/resourceGroups/rg-1"), "O'Brien Deployer")
        .await
        .unwrap();
    assert_eq!(
        found,
        [registrar_model::RoleDefinition {
            id: "c0ffee00-0000-4000-8000-000000000001".into(),
            role_name: "O'Brien Deployer".into(),
            scope: format!("{scope}/resourceGroups/rg-1"),
        }]
    );
}

#[tokio::test]
async fn snapshot_reads_role_assignments_per_root_and_keeps_the_managed_ones() {
    let (server, clients) = setup().await;
    let rg = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-001");
    let mg = "/providers/Microsoft.Management/managementGroups/mg-1";
    let assignment = |role: &str, scope: &str| registrar_model::DesiredRoleAssignment {
        role: located(role),
        scope: located(scope),
        description: None,
    };
    let desired = DesiredState {
        namespace: "platform".into(),
        tenant: None,
        applications: vec![
            DesiredApplication {
                key: "api".into(),
                role_assignments: vec![
                    assignment("Reader", &rg),
                    assignment("Platform Deployer", &rg),
                    assignment(READER, mg),
                ],
                ..Default::default()
            },
            DesiredApplication {
                key: "web".into(),
                ..Default::default()
            },
        ],
    };
    let mut apps = Vec::new();
    for key in ["api", "web", "old"] {
        let mut app = fixture("application-get.json");
        app["id"] = json!(format!("obj-{key}"));
        app["appId"] = json!(format!("app-{key}"));
        app["uniqueName"] = json!(format!("platform.{key}"));
        app["tags"] = json!(["registrar:platform"]);
        apps.push(app);
    }
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": apps })))
        .mount(&server)
        .await;
    let principals: Vec<Value> = ["api", "web", "old"]
        .iter()
        .map(|key| json!({"id": format!("sp-{key}"), "appId": format!("app-{key}"), "tags": [], "owners": []}))
        .collect();
    let routes = vec![
        (
            "/servicePrincipals?$filter=appId in ('app-api','app-old','app-web')".to_owned(),
            vec![inner_ok(json!({ "value": principals }))],
        ),
        ("/".to_owned(), vec![inner_ok(json!({"value": []}))]),
    ];
    BatchStub::new(routes).mount(&server).await;

    // ARM, one list per root of every principal: `api` has Reader on rg-001 (kept), on another
    // subscription and on a management group above (both outside the roots), and Reader on
    // mg-1, which the management group's list returns again with rg-001's; `old` (not
    // declared) and a principal Registrar does not manage have assignments too.
    let assignments_path =
        |root: &str| format!("{root}/providers/Microsoft.Authorization/roleAssignments");
    let subscription = format!("/subscriptions/{SUBSCRIPTION}");
    let mut outside = fixture("arm-roleassignments-list.json");
    outside["value"][0]["properties"]["principalId"] = json!("sp-api");
    let mut subscription_list = json!({"value": [
        arm_assignment(&rg, "n-rg", READER, "sp-api"),
        arm_assignment(&rg, "n-old", READER, "sp-old"),
        arm_assignment(&rg, "n-someone", READER, "someone-else"),
        arm_assignment("/subscriptions/bbbb0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e", "n-other", READER, "sp-api"),
        arm_assignment("/providers/Microsoft.Management/managementGroups/mg-0", "n-above", READER, "sp-api"),
    ]});
    if let Some(list) = subscription_list["value"].as_array_mut() {
        list.push(outside["value"][0].clone());
    }
    Mock::given(method("GET"))
        .and(path(assignments_path(&subscription)))
        .and(query_param_is_missing("$filter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_list))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(assignments_path(mg)))
        .and(query_param_is_missing("$filter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            arm_assignment(mg, "n-mg", READER, "sp-api"),
            arm_assignment(&rg, "n-rg", READER, "sp-api"),
        ]})))
        .mount(&server)
        .await;
    let mut definitions = fixture("arm-roledefinitions-list.json");
    definitions["value"][0]["name"] = json!("c0ffee00-0000-4000-8000-000000000001");
    definitions["value"][0]["properties"]["roleName"] = json!("Platform Deployer");
    Mock::given(method("GET"))
        .and(path(format!(
            "{rg}/providers/Microsoft.Authorization/roleDefinitions"
        )))
        .and(query_param("$filter", "type eq 'CustomRole'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(definitions))
        .mount(&server)
        .await;

    let live = read_live_tenant(&clients, &desired).await.unwrap();

    let api = live.application_by_unique_name("platform.api").unwrap();
    let found: Vec<(&str, &str, &str)> = api
        .service_principal
        .as_ref()
        .unwrap()
        .role_assignments
        .iter()
        .map(|assignment| {
            (
                assignment.name.as_str(),
                assignment.scope.as_str(),
                assignment.role_definition_id.as_str(),
            )
        })
        .collect();
    assert_eq!(found, [("n-mg", mg, READER), ("n-rg", rg.as_str(), READER)]);
    assert_eq!(
        live.role_definition("platform deployer", &rg.to_uppercase())
            .map(|definition| definition.id.as_str()),
        Some("c0ffee00-0000-4000-8000-000000000001")
    );
    // `old` is not declared: its role assignments are not read.
    let old = live.application_by_unique_name("platform.old").unwrap();
    assert!(
        old.service_principal
            .as_ref()
            .unwrap()
            .role_assignments
            .is_empty()
    );
    // 1 list per root (not per principal) + 1 list of the custom roles at rg-001; one ARM token.
    let stats = clients.stats();
    assert_eq!((stats.arm, stats.token), (3, 2), "{stats:?}");
}

/// `read_for_import` shares the snapshot's two rounds of batches (details with the APIs
/// requested; then consent with the owners' directory objects), reads role assignments per
/// `--scope` root, and tells its progress everything it reads, each planned before read.
#[tokio::test]
async fn import_reads_in_two_rounds_of_batches_and_counts_progress() {
    let (server, clients) = setup().await;
    let graph_app_id = "00000003-0000-0000-c000-000000000000";
    let mut app = fixture("application-get.json");
    app["id"] = json!("obj-a");
    app["appId"] = json!("app-a");
    app["tags"] = json!(["team:x"]);
    app["requiredResourceAccess"] = json!([{"resourceAppId": graph_app_id, "resourceAccess": []}]);
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param("$filter", "tags/any(t:t eq 'team:x')"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [app]})))
        .mount(&server)
        .await;
    let routes = vec![
        (
            "/applications/obj-a/owners?$select=id".to_owned(),
            vec![inner_ok(
                json!({"value": [{"@odata.type": "#microsoft.graph.user", "id": "user-jo"}]}),
            )],
        ),
        (
            "/applications/obj-a/federatedIdentityCredentials".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/servicePrincipals?$filter=appId in ('app-a')".to_owned(),
            vec![inner_ok(
                json!({"value": [{"id": "sp-a", "appId": "app-a", "appRoleAssignmentRequired": false, "tags": [], "notes": null}]}),
            )],
        ),
        (
            format!("/servicePrincipals?$filter=appId eq '{graph_app_id}'"),
            vec![inner_ok(
                json!({"value": [fixture("serviceprincipal-get-msgraph-select.json")]}),
            )],
        ),
        (
            "/servicePrincipals/sp-a/appRoleAssignments".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/oauth2PermissionGrants?$filter=clientId eq 'sp-a'".to_owned(),
            vec![inner_ok(json!({"value": []}))],
        ),
        (
            "/servicePrincipals/sp-a/owners?$select=id".to_owned(),
            vec![inner_ok(
                json!({"value": [{"@odata.type": "#microsoft.graph.user", "id": "user-jo"}]}),
            )],
        ),
        (
            "/directoryObjects/user-jo".to_owned(),
            vec![inner_ok(
                json!({"@odata.type": "#microsoft.graph.user", "id": "user-jo", "userPrincipalName": "jo@contoso.com", "displayName": "Jo"}),
            )],
        ),
    ];
    BatchStub::new(routes).mount(&server).await;
    let subscription = format!("/subscriptions/{SUBSCRIPTION}");
    let rg = format!("{subscription}/resourceGroups/rg-001");
    Mock::given(method("GET"))
        .and(path(format!(
            "{subscription}/providers/Microsoft.Authorization/roleAssignments"
        )))
        .and(query_param("$filter", "principalId eq 'sp-a'"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [arm_assignment(&rg, "n-rg", READER, "sp-a")]})),
        )
        .mount(&server)
        .await;

    let progress = CountedProgress::default();
    let live = read_for_import(
        &clients,
        &ImportSelection::Tag("team:x".to_owned()),
        std::slice::from_ref(&rg),
        &progress,
    )
    .await
    .unwrap();

    let [app] = live.applications.as_slice() else {
        panic!("{:?}", live.applications);
    };
    assert_eq!(app.owners, ["user-jo"]);
    let sp = app.service_principal.as_ref().unwrap();
    assert_eq!(sp.id, "sp-a");
    assert_eq!(sp.role_assignments.len(), 1, "{:?}", sp.role_assignments);
    assert_eq!(live.resource_service_principals.len(), 1);
    assert_eq!(live.directory_objects.len(), 1);
    assert_eq!(sp.owners, ["user-jo"]);
    // The list, 3 details + the list of held app roles + the API, 2 consent reads (the held
    // app roles did not come expanded, so they are read again) + the service principal's
    // owners + the owner, 1 ARM list.
    assert_eq!(progress.counts(), (11, 11));
    let batches = batched_urls(&server).await;
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 4],
        "{batches:?}"
    );
}

// ----- hostile servers: paging loops, endless pages, oversized bodies, slow reads -------------

fn clients_with_limits(server: &MockServer, limits: registrar_azure::ReadLimits) -> Clients {
    let mut endpoints = Endpoints::local(&server.uri());
    endpoints.authority_host = "https://login.registrar.test".to_owned();
    let credential = CredentialKind::ClientSecret {
        tenant_id: TENANT.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        secret: SecretValue::new("bootstrap-secret-value".to_owned()),
    };
    let transport = Arc::new(Redirect {
        base: Url::parse(&server.uri()).unwrap(),
        inner: Arc::new(reqwest::Client::new()),
    });
    let config = AzureConfig::new(endpoints, credential)
        .with_retry(RetryConfig::without_delays())
        .with_read_limits(limits)
        .with_token_transport(transport);
    Clients::new(config).unwrap()
}

/// Answers every page of `/v1.0/applications` with one application and a nextLink to a page
/// never seen before (`$skiptoken=1`, `2`, …): a server that never stops paging.
struct EndlessPages {
    base: String,
    served: Mutex<u64>,
}

impl Respond for EndlessPages {
    fn respond(&self, _request: &wiremock::Request) -> ResponseTemplate {
        let mut served = self.served.lock().unwrap();
        *served += 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": format!("a{served}"), "appId": format!("x{served}")}],
            "@odata.nextLink": format!("{}/v1.0/applications?$skiptoken={served}", self.base),
        }))
    }
}

#[track_caller]
fn limit_of(error: &AzureError) -> &registrar_azure::LimitExceeded {
    error
        .limit_exceeded()
        .unwrap_or_else(|| panic!("not a limit error: {error}"))
}

#[tokio::test]
async fn paging_loop_a_b_a_is_an_error_naming_the_collection() {
    let (server, clients) = setup().await;
    let base = server.uri();
    let page = |token: &str, next: &str| {
        ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": format!("app-{token}"), "appId": format!("x-{token}")}],
            "@odata.nextLink": format!("{base}/v1.0/applications?$skiptoken={next}"),
        }))
    };
    for (token, next) in [("a", "b"), ("b", "a")] {
        Mock::given(method("GET"))
            .and(path("/v1.0/applications"))
            .and(query_param("$skiptoken", token))
            .respond_with(page(token, next))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .and(query_param("$top", "999"))
        .respond_with(page("first", "a"))
        .mount(&server)
        .await;
    let error = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap_err();
    let limit = limit_of(&error);
    assert_eq!(limit.limit, registrar_azure::Limit::RepeatedNextLink);
    assert_eq!(limit.path, "/v1.0/applications");
    let text = error.to_string();
    assert!(
        text.starts_with("Microsoft Graph: GET /v1.0/applications: "),
        "{text}"
    );
    assert!(text.contains("nextLink it had already sent"), "{text}");
    assert!(!text.contains("skiptoken"), "no query in the error: {text}");
    // first, A, B: A again is refused before it is requested.
    assert_eq!(requests_to(&server, "/v1.0").await, 3);
}

#[tokio::test]
async fn arm_paging_loop_is_an_error_too() {
    let (server, clients) = setup().await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}");
    let list_path = format!("{scope}/providers/Microsoft.Authorization/roleAssignments");
    let again = format!(
        "{}{list_path}?api-version=2022-04-01&$filter=principalId%20eq%20'sp-1'&$skiptoken=2",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(list_path.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [], "nextLink": again,
        })))
        .mount(&server)
        .await;
    let error = clients
        .arm
        .list_role_assignments_for_principal(&scope, "sp-1")
        .await
        .unwrap_err();
    let limit = limit_of(&error);
    assert_eq!(limit.service, Service::Arm);
    assert_eq!(limit.limit, registrar_azure::Limit::RepeatedNextLink);
    assert_eq!(requests_to(&server, "/subscriptions").await, 2);
}

#[tokio::test]
async fn endless_distinct_next_links_stop_at_the_page_cap() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with_limits(
        &server,
        registrar_azure::ReadLimits {
            max_pages: 7,
            ..Default::default()
        },
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(EndlessPages {
            base: server.uri(),
            served: Mutex::new(0),
        })
        .mount(&server)
        .await;
    let error = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap_err();
    assert_eq!(limit_of(&error).limit, registrar_azure::Limit::Pages(7));
    assert!(error.to_string().contains("more than 7 pages"), "{error}");
    assert_eq!(requests_to(&server, "/v1.0").await, 7);
    assert_eq!(registrar_azure::MAX_PAGES, 1_000);
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_reading_it_whole() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with_limits(
        &server,
        registrar_azure::ReadLimits {
            max_response_bytes: 4096,
            ..Default::default()
        },
    );
    let apps: Vec<Value> = (0..200)
        .map(|index| json!({"id": format!("a{index}"), "appId": format!("x{index}")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": apps })))
        .mount(&server)
        .await;
    let error = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap_err();
    assert_eq!(
        limit_of(&error).limit,
        registrar_azure::Limit::ResponseBytes(4096)
    );
    assert_eq!(requests_to(&server, "/v1.0").await, 1, "not retried");
    // A body under the cap still reads.
    let apps: Vec<Value> = (0..3)
        .map(|index| json!({"id": format!("b{index}"), "appId": format!("y{index}")}))
        .collect();
    server.reset().await;
    mount_token_endpoint(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": apps })))
        .mount(&server)
        .await;
    let found = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
}

#[tokio::test]
async fn a_slow_paged_read_stops_at_the_time_cap() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    let clients = clients_with_limits(
        &server,
        registrar_azure::ReadLimits {
            max_read_time: std::time::Duration::from_millis(600),
            ..Default::default()
        },
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(SlowPages(EndlessPages {
            base: server.uri(),
            served: Mutex::new(0),
        }))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let error = clients
        .graph
        .list_applications_with_tag("registrar:platform")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        limit_of(&error).limit,
        registrar_azure::Limit::ReadTime(std::time::Duration::from_millis(600))
    );
    assert!(error.to_string().contains("600 ms"), "{error}");
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
    let pages = requests_to(&server, "/v1.0").await;
    assert!(
        (2..=4).contains(&pages),
        "{pages} pages in 600 ms at 250 ms each"
    );
}

/// [`EndlessPages`], each page 250 ms late.
struct SlowPages(EndlessPages);

impl Respond for SlowPages {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.0
            .respond(request)
            .set_delay(std::time::Duration::from_millis(250))
    }
}

// ----- addPassword whose answer is lost after Graph created the credential ------------------

/// A minimal Graph over raw TCP for one application `app-1`: `addPassword` creates the
/// credential and then closes the connection without answering (the first `drops` times);
/// `GET …?$select=passwordCredentials` lists what exists; `removePassword` removes one.
async fn commit_then_drop_graph(drops: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let credentials: Arc<Mutex<Vec<String>>> = Arc::default();
    let state = credentials.clone();
    tokio::spawn(async move {
        let mut dropped = 0;
        let mut created = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Read the head and the body (Content-Length).
            while let Ok(read) = socket.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|value| value.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&request).to_string();
            let line = text.lines().next().unwrap_or_default().to_owned();
            let respond = |status: &str, body: String| {
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let answer = if line.contains("/oauth2/v2.0/token") {
                respond(
                    "200 OK",
                    json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "stub-access-token"}).to_string(),
                )
            } else if line.contains("/addPassword") {
                created += 1;
                let key_id = format!("00000000-0000-4000-8000-00000000000{created}");
                state.lock().unwrap().push(key_id.clone());
                if dropped < drops {
                    dropped += 1;
                    drop(socket);
                    continue;
                }
                respond(
                    "200 OK",
                    json!({"keyId": key_id, "displayName": "ci", "secretText": "s3cr3t-value", "hint": "s3c"}).to_string(),
                )
            } else if line.contains("/removePassword") {
                let body = &text[text.find("\r\n\r\n").unwrap_or(0) + 4..];
                let key: Value = serde_json::from_str(body).unwrap_or_default();
                state
                    .lock()
                    .unwrap()
                    .retain(|existing| Some(existing.as_str()) != key["keyId"].as_str());
                "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                let listed: Vec<Value> = state
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|key_id| json!({"keyId": key_id, "displayName": "ci", "hint": "s3c"}))
                    .collect();
                respond("200 OK", json!({"passwordCredentials": listed}).to_string())
            };
            socket.write_all(answer.as_bytes()).await.ok();
            socket.shutdown().await.ok();
        }
    });
    (format!("http://{address}"), credentials)
}

#[tokio::test]
async fn add_password_lost_answer_is_reported_as_maybe_processed_and_read_back() {
    let (base, credentials) = commit_then_drop_graph(1).await;
    let mut endpoints = Endpoints::local(&base);
    endpoints.authority_host = "https://login.registrar.test".to_owned();
    let credential = CredentialKind::ClientSecret {
        tenant_id: TENANT.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        secret: SecretValue::new("bootstrap-secret-value".to_owned()),
    };
    let transport = Arc::new(Redirect {
        base: Url::parse(&base).unwrap(),
        inner: Arc::new(reqwest::Client::new()),
    });
    let clients = Clients::new(
        AzureConfig::new(endpoints, credential)
            .with_retry(RetryConfig::without_delays())
            .with_token_transport(transport),
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let error = clients
        .graph
        .add_password("app-1", "ci", now, now)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AzureError::Transport { connect: false, .. }),
        "{error:?}"
    );
    assert!(error.may_have_been_processed(), "{error}");
    assert_eq!(clients.stats().graph, 1, "never resent by the HTTP layer");
    // The credential exists without its value: the read shows it, the removal takes it away.
    let listed = clients
        .graph
        .get_password_credentials("app-1")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(credentials.lock().unwrap().len(), 1);
    clients
        .graph
        .remove_password("app-1", &listed[0].key_id)
        .await
        .unwrap();
    assert!(credentials.lock().unwrap().is_empty());
    // The next attempt is answered.
    let added = clients
        .graph
        .add_password("app-1", "ci", now, now)
        .await
        .unwrap();
    assert_eq!(
        credentials.lock().unwrap().as_slice(),
        [added.credential.key_id]
    );
}

#[tokio::test]
async fn batch_inner_collection_paging_loop_is_an_error() {
    let (server, clients) = setup().await;
    let base = server.uri();
    let link =
        |token: &str| format!("{base}/v1.0/applications/a1/owners?$select=id&$skiptoken={token}");
    BatchStub::new(vec![(
        "/applications/a1/owners".to_owned(),
        vec![inner_ok(
            json!({"value": [{"id": "u1"}], "@odata.nextLink": link("a")}),
        )],
    )])
    .mount(&server)
    .await;
    for (token, next) in [("a", "b"), ("b", "a")] {
        Mock::given(method("GET"))
            .and(path("/v1.0/applications/a1/owners"))
            .and(query_param("$skiptoken", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"value": [{"id": format!("u-{token}")}], "@odata.nextLink": link(next)}),
            ))
            .mount(&server)
            .await;
    }
    let results = clients
        .graph
        .batch_get(batch_requests(&["/applications/a1/owners?$select=id"]))
        .await
        .unwrap();
    let error = results[0].as_ref().unwrap_err();
    assert_eq!(
        limit_of(error).limit,
        registrar_azure::Limit::RepeatedNextLink
    );
    assert_eq!(limit_of(error).path, "/v1.0/applications/a1/owners");
    // 1 batch + pages A and B; A again is not requested.
    assert_eq!(clients.stats().graph, 3);
}

/// Answers every inner write of a `$batch` with 204, except the first answer to each URL
/// containing `throttled`, which is a 429 with `Retry-After: 1`.
struct WriteBatchStub {
    throttled: &'static str,
    served: Mutex<HashMap<String, usize>>,
}

impl Respond for WriteBatchStub {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let batch: Value = serde_json::from_slice(&request.body).unwrap();
        let entries = batch["requests"].as_array().unwrap();
        assert!(
            entries.len() <= 20,
            "{} requests in one batch",
            entries.len()
        );
        let responses: Vec<Value> = entries
            .iter()
            .map(|entry| {
                let method = entry["method"].as_str().unwrap();
                assert!(matches!(method, "PATCH" | "DELETE"), "{method} was batched");
                if entry.get("body").is_some() {
                    assert_eq!(entry["headers"]["Content-Type"], "application/json");
                }
                let url = entry["url"].as_str().unwrap().to_owned();
                let mut served = self.served.lock().unwrap();
                let count = served.entry(url.clone()).or_default();
                *count += 1;
                if url.contains(self.throttled) && *count == 1 {
                    json!({"id": entry["id"], "status": 429, "headers": {"Retry-After": "1"},
                        "body": {"error": {"code": "TooManyRequests", "message": "slow down"}}})
                } else {
                    json!({"id": entry["id"], "status": 204, "headers": {"x-ms-resource-unit": "1"}})
                }
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

#[tokio::test]
async fn concurrent_idempotent_writes_go_in_batches_of_twenty() {
    let (server, clients) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(WriteBatchStub {
            throttled: "app-3/",
            served: Mutex::new(HashMap::new()),
        })
        .mount(&server)
        .await;
    let credential = |index: usize| registrar_model::FederatedCredential {
        id: String::new(),
        name: format!("gh-{index}"),
        issuer: "https://token.actions.githubusercontent.com".to_owned(),
        subject: format!("repo:contoso/app-{index}:ref:refs/heads/main"),
        audiences: vec!["api://AzureADTokenExchange".to_owned()],
        description: None,
    };
    let credentials: Vec<_> = (0..22).map(credential).collect();
    // 22 federated credentials of 22 applications and 3 deletes, all at once.
    let upserts = credentials.iter().enumerate().map(|(index, credential)| {
        let graph = clients.graph.clone();
        async move {
            graph
                .upsert_federated_credential(&format!("app-{index}"), credential)
                .await
        }
    });
    let deletes = (0..3).map(|index| {
        let graph = clients.graph.clone();
        async move { graph.delete_application(&format!("gone-{index}")).await }
    });
    let (upserted, deleted) = futures::future::join(
        futures::future::join_all(upserts),
        futures::future::join_all(deletes),
    )
    .await;
    assert!(
        upserted.iter().chain(&deleted).all(Result::is_ok),
        "{upserted:?} {deleted:?}"
    );
    // None was sent alone; 25 writes went in two batches (20 + 5), the throttled one again in
    // a batch of its own before the second.
    assert_eq!(requests_to(&server, "/v1.0/applications").await, 0);
    let batches = batched_urls(&server).await;
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![20, 1, 5], "{batches:#?}");
    assert!(batches[1][0].contains("app-3/"), "{batches:#?}");
    let stats = clients.stats();
    assert_eq!((stats.graph, stats.batched, stats.retries), (3, 26, 1));
}

#[tokio::test]
async fn a_lone_write_is_sent_as_a_direct_request() {
    let (server, clients) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/applications/lonely"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    clients.graph.delete_application("lonely").await.unwrap();
    assert_eq!(requests_to(&server, "/v1.0/$batch").await, 0);
    assert_eq!(clients.stats().batched, 0);
}
