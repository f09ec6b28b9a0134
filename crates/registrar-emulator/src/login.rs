//! The login endpoints Azure clients call before any API request: the token endpoint (client
//! credentials, secret in the body or as HTTP Basic), the OpenID metadata (v1 and v2) and the
//! instance discovery MSAL asks for. What a token holds and how it is checked is in `auth`.

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;

use crate::Emulator;
use crate::api::{finish_plain, json_response};
use crate::auth;
use crate::util::{lock, percent_decode};

/// The token, OpenID configuration and instance discovery routes.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/common/discovery/instance", get(discovery_instance))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_v2),
        )
        .route("/{tenant}/.well-known/openid-configuration", get(openid_v1))
}

async fn discovery_instance(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    let base = emulator.base_for(&headers);
    let tenant_id = lock(&emulator.inner.tenant).tenant_id.clone();
    json_response(StatusCode::OK, &auth::discovery_instance(&base, &tenant_id))
}

async fn openid(
    emulator: &Emulator,
    tenant_in_path: &str,
    headers: &HeaderMap,
    v2: bool,
) -> Response {
    let base = emulator.base_for(headers);
    let tenant = lock(&emulator.inner.tenant);
    let known = auth::is_local_tenant(&tenant, tenant_in_path)
        || ["common", "organizations"].contains(&tenant_in_path.to_ascii_lowercase().as_str());
    if !known {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "invalid_tenant", "error_description": format!("AADSTS90002: Tenant '{tenant_in_path}' not found.") }),
        );
    }
    json_response(
        StatusCode::OK,
        &auth::openid_configuration(&base, &tenant.tenant_id, v2),
    )
}

async fn openid_v2(
    State(emulator): State<Emulator>,
    UrlPath(tenant): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    openid(&emulator, &tenant, &headers, true).await
}

async fn openid_v1(
    State(emulator): State<Emulator>,
    UrlPath(tenant): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    openid(&emulator, &tenant, &headers, false).await
}

/// The client id and secret of an `Authorization: Basic` header (`client_secret_basic`), each
/// percent-decoded (RFC 6749 section 2.3.1 form-encodes them; a `+` is kept as it is).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

async fn token(
    State(emulator): State<Emulator>,
    UrlPath(tenant_in_path): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let base = emulator.base_for(&headers);
    let response = {
        let tenant = lock(&emulator.inner.tenant);
        auth::token(
            &tenant,
            &base,
            &tenant_in_path,
            &body,
            basic_credentials(&headers),
        )
    };
    let mut out = finish_plain(response);
    out.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    out
}
