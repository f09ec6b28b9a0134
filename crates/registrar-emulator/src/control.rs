//! The control surface `/_emulator/…`: health, the active faults, what was injected, the request
//! counters, the service limits and the usage counters (`throttle`), and limited clients
//! (`POST /_emulator/clients`, see `authorize`).
//! These routes need no token and are not counted; they exist for tests and the `--local`
//! quick start, not for any Azure client.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::api::json_response;
use crate::util::lock;
use crate::{Emulator, Faults, TenantClass, ThrottleConfig};

/// `/_emulator/{health,faults,faults/injected,requests,requests/reset,clients,throttle,usage}`.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .merge(injected_fault_routes())
        .route("/_emulator/health", get(health))
        .route("/_emulator/faults", get(get_faults).put(put_faults))
        .route("/_emulator/requests", get(get_requests))
        .route("/_emulator/requests/reset", post(reset_requests))
        .route("/_emulator/clients", post(create_client))
        .merge(throttle_routes())
}

/// `GET|POST /_emulator/throttle` (the limits, `{"class": "S"}` to switch them on, `{"class":
/// null}` off), `GET /_emulator/usage` and `POST /_emulator/usage/reset`.
fn throttle_routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/throttle", get(get_throttle).post(post_throttle))
        .route("/_emulator/usage", get(get_usage))
        .route("/_emulator/usage/reset", post(reset_usage))
}

/// The body of `POST /_emulator/throttle`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleSwitch {
    class: Option<TenantClass>,
}

fn throttle_json(emulator: &Emulator) -> Value {
    match emulator.throttle() {
        Some(config) => serde_json::to_value(config).unwrap_or(Value::Null),
        None => json!({ "class": null }),
    }
}

async fn get_throttle(State(emulator): State<Emulator>) -> Response {
    json_response(StatusCode::OK, &throttle_json(&emulator))
}

async fn post_throttle(State(emulator): State<Emulator>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ThrottleSwitch>(&body) {
        Ok(switch) => {
            emulator.set_throttle(switch.class.map(ThrottleConfig::graph_class));
            json_response(StatusCode::OK, &throttle_json(&emulator))
        }
        Err(error) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("invalid throttle switch (expected {{\"class\": \"S\"|\"M\"|\"L\"|null}}): {error}") }),
        ),
    }
}

async fn get_usage(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(emulator.usage()).unwrap_or(Value::Null),
    )
}

async fn reset_usage(State(emulator): State<Emulator>) -> Response {
    emulator.reset_usage();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_emulator/clients` with a [`crate::ClientSpec`]: 201 with the [`crate::CreatedClient`].
async fn create_client(State(emulator): State<Emulator>, body: axum::body::Bytes) -> Response {
    let spec = match serde_json::from_slice::<crate::ClientSpec>(&body) {
        Ok(spec) => spec,
        Err(error) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("invalid client: {error}") }),
            );
        }
    };
    match emulator.create_client(&spec) {
        Ok(created) => json_response(
            StatusCode::CREATED,
            &serde_json::to_value(created).unwrap_or(Value::Null),
        ),
        Err(error) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": error })),
    }
}

async fn health(State(emulator): State<Emulator>) -> Response {
    let tenant_id = lock(&emulator.inner.tenant).tenant_id.clone();
    json_response(
        StatusCode::OK,
        &json!({ "status": "ok", "tenant_id": tenant_id }),
    )
}

async fn get_faults(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(emulator.faults()).unwrap_or(Value::Null),
    )
}

async fn put_faults(State(emulator): State<Emulator>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            emulator.set_faults(faults.clone());
            json_response(
                StatusCode::OK,
                &serde_json::to_value(faults).unwrap_or(Value::Null),
            )
        }
        Err(error) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("invalid faults: {error}") }),
        ),
    }
}

/// `GET /_emulator/faults/injected`: the faults injected so far by kind, the requests that
/// changed the tenant, and whether requests are being held ([`crate::InjectedFaults`]).
fn injected_fault_routes() -> Router<Emulator> {
    Router::new().route("/_emulator/faults/injected", get(get_injected_faults))
}

async fn get_injected_faults(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(emulator.injected_faults()).unwrap_or(Value::Null),
    )
}

async fn get_requests(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "total": emulator.request_count(), "counts": emulator.request_counts() }),
    )
}

async fn reset_requests(State(emulator): State<Emulator>) -> Response {
    emulator.reset_request_counts();
    StatusCode::NO_CONTENT.into_response()
}
