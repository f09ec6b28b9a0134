//! Test support: a harness that talks to the router with `oneshot`, fixtures, and the recursive
//! shape comparison against the documented payloads.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use registrar_emulator::{Emulator, EmulatorConfig, Faults};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub(crate) const VAULT_SCOPE: &str = "https://vault.azure.net/.default";
pub(crate) const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// A JSON-decoded response.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub(crate) fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

pub(crate) struct Harness {
    pub(crate) emulator: Emulator,
    pub(crate) router: Router,
    pub(crate) graph_token: String,
    pub(crate) vault_token: String,
    pub(crate) arm_token: String,
}

impl Harness {
    pub(crate) async fn new() -> Self {
        Self::with_config(EmulatorConfig::default()).await
    }

    pub(crate) async fn with_config(config: EmulatorConfig) -> Self {
        let emulator = Emulator::new(config).unwrap();
        let router = emulator.router();
        let mut harness = Self {
            emulator,
            router,
            graph_token: String::new(),
            vault_token: String::new(),
            arm_token: String::new(),
        };
        harness.graph_token = harness.token(GRAPH_SCOPE).await;
        harness.vault_token = harness.token(VAULT_SCOPE).await;
        harness.arm_token = harness.token(ARM_SCOPE).await;
        harness
    }

    pub(crate) async fn token(&self, scope: &str) -> String {
        let tenant = self.emulator.tenant();
        let reply = self
            .token_request(
                &tenant.tenant_id,
                &tenant.client_id,
                &tenant.client_secret,
                scope,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn token_request(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> Reply {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("client_secret", secret)
            .append_pair("scope", scope)
            .finish();
        let request = Request::post(format!("/{tenant}/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        self.send(request).await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// A Graph call with the automation client's Graph token.
    pub(crate) async fn graph(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(
            method,
            &format!("/v1.0{path}"),
            Some(&self.graph_token),
            &[],
            body,
        )
        .await
    }

    pub(crate) async fn graph_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        self.call(
            method,
            &format!("/v1.0{path}"),
            Some(&self.graph_token),
            headers,
            body,
        )
        .await
    }

    /// A Key Vault call with the automation client's vault token.
    pub(crate) async fn vault(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some(&self.vault_token), &[], body)
            .await
    }

    /// An ARM call with the automation client's ARM token (`path` includes the query).
    pub(crate) async fn arm(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some(&self.arm_token), &[], body)
            .await
    }

    /// Creates an application and its service principal; returns the service principal's id.
    pub(crate) async fn create_service_principal(&self, name: &str) -> String {
        let app = self.create_app(app_body(name)).await;
        let sp = self
            .graph(
                Method::POST,
                "/servicePrincipals",
                Some(json!({ "appId": app["appId"] })),
            )
            .await;
        assert_eq!(sp.status, StatusCode::CREATED, "{}", sp.body);
        sp.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates an application and returns its body.
    pub(crate) async fn create_app(&self, body: Value) -> Value {
        let reply = self.graph(Method::POST, "/applications", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.emulator.set_faults(faults);
    }
}

/// A documented payload from the repository's `tests/fixtures` (shared with registrar-azure).
pub(crate) fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `expected` (recursively, arrays by their first element) exists in `actual` with
/// the same JSON type; a `null` on either side matches any type (Graph's nullable properties).
#[track_caller]
pub(crate) fn assert_shape(actual: &Value, expected: &Value) {
    let mut problems = Vec::new();
    compare(actual, expected, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "shape differs from the fixture:\n{}\nactual: {actual:#}",
        problems.join("\n")
    );
}

fn compare(actual: &Value, expected: &Value, path: &str, problems: &mut Vec<String>) {
    if actual.is_null() || expected.is_null() {
        return;
    }
    if kind(actual) != kind(expected) {
        problems.push(format!(
            "{path}: expected {}, found {}",
            kind(expected),
            kind(actual)
        ));
        return;
    }
    match (actual, expected) {
        (Value::Object(actual_fields), Value::Object(expected_fields)) => {
            for (key, expected_value) in expected_fields {
                match actual_fields.get(key) {
                    None => problems.push(format!("{path}.{key}: missing")),
                    Some(actual_value) => compare(
                        actual_value,
                        expected_value,
                        &format!("{path}.{key}"),
                        problems,
                    ),
                }
            }
        }
        (Value::Array(actual_items), Value::Array(expected_items)) => {
            if let (Some(actual_first), Some(expected_first)) =
                (actual_items.first(), expected_items.first())
            {
                compare(
                    actual_first,
                    expected_first,
                    &format!("{path}[0]"),
                    problems,
                );
            }
        }
        _ => {}
    }
}

/// Graph's error body shape, with `innerError`.
#[track_caller]
pub(crate) fn assert_graph_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.error_code(), code, "{}", reply.body);
    assert_shape(&reply.body, &fixture("error-unsupported-query.json"));
    assert!(reply.header("request-id").is_some());
}

/// ARM's error body (`{"error": {"code", "message"}}`, no Graph `innerError`) and headers.
#[track_caller]
pub(crate) fn assert_arm_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.error_code(), code, "{}", reply.body);
    assert!(reply.body["error"]["message"].is_string(), "{}", reply.body);
    assert!(reply.body["error"].get("innerError").is_none());
    assert!(reply.header("x-ms-request-id").is_some());
    assert!(reply.header("x-ms-correlation-request-id").is_some());
}

/// The certificate from `application-update-keycredentials.request.json`.
pub(crate) fn sample_certificate() -> String {
    fixture("application-update-keycredentials.request.json")["keyCredentials"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn app_body(name: &str) -> Value {
    json!({ "displayName": name, "signInAudience": "AzureADMyOrg" })
}
