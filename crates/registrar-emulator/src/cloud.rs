//! ARM's cloud metadata, `GET /metadata/endpoints?api-version=…`: where a client finds the login
//! endpoint, the token audiences, Microsoft Graph and the DNS suffixes of a cloud. The Azure CLI
//! reads it on `az cloud register --endpoint-resource-manager {emulator}/` (api-version
//! 2022-09-01: one cloud) and from `ARM_CLOUD_METADATA_URL` (older api-versions: a list of
//! clouds, here the one).
//!
//! The local cloud points everything back at the emulator: its URL is the login endpoint, the
//! resource manager and the Microsoft Graph resource (Graph is served at `/v1.0`, and a token for
//! the emulator's own URL is a Graph token, as a sovereign cloud's Graph has its own resource id).
//! The ARM audiences are the public cloud's, so ARM tokens are the same as Azure's. Key Vault
//! keeps `vault.azure.net`: vaults are addressed as `{name}.vault.azure.net`, which must resolve
//! to the emulator (docs/emulator.md). Like ARM's, the route needs no token.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use crate::Emulator;
use crate::api::json_response;

/// The cloud's name in the metadata (`az cloud register --name` names it on the client side).
const CLOUD_NAME: &str = "RegistrarLocal";
/// The first api-version that answers one cloud instead of a list.
const SINGLE_CLOUD_API_VERSION: &str = "2022-09-01";

/// The metadata route, also under `//` (what `az cloud register` asks for when the resource
/// manager URL given ends with `/`, as ARM's own does).
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/metadata/endpoints", get(endpoints))
        .route("//metadata/endpoints", get(endpoints))
}

/// The local cloud's metadata, every URL under `base` (`https://127.0.0.1:PORT`).
pub(crate) fn metadata(base: &str) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "name": CLOUD_NAME,
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": [
                "https://management.core.windows.net/",
                "https://management.azure.com/",
            ],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": format!("{base}/"),
        "microsoftGraphResourceId": format!("{base}/"),
        "suffixes": {
            "keyVaultDns": "vault.azure.net",
        },
    })
}

async fn endpoints(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let Some(version) = query
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("api-version"))
        .map(|(_, value)| value.as_str())
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": {
                "code": "MissingApiVersionParameter",
                "message": "The api-version query parameter (?api-version=) is required for all requests.",
            } }),
        );
    };
    let cloud = metadata(&emulator.base_for(&headers));
    let body = if version.get(..10).unwrap_or(version) < SINGLE_CLOUD_API_VERSION {
        json!([cloud])
    } else {
        cloud
    };
    json_response(StatusCode::OK, &body)
}
