//! The token endpoint (client credentials), the OpenID metadata MSAL reads, and the validation of
//! bearer tokens on every API request.
//!
//! Tokens are JWT-shaped and signed with HS256 under a per-tenant key kept in the state file, so
//! tokens survive a restart of the same tenant.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::ApiResponse;
use crate::state::{Tenant, VERIFIED_DOMAINS};
use crate::util::{hmac_sha256, new_guid, now, now_secs, parse_time, secure_eq, sha256_hex, unhex};

/// Token audience of Microsoft Graph.
pub(crate) const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Token audience of Azure Resource Manager.
pub(crate) const ARM_AUDIENCE: &str = "https://management.azure.com/";
/// Token audience of Key Vault.
pub(crate) const VAULT_AUDIENCE: &str = "https://vault.azure.net";
/// Token lifetime in seconds.
const LIFETIME_SECS: i64 = 3600;

/// The claims the emulator puts into and reads from its tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) aud: String,
    pub(crate) iss: String,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
    pub(crate) appid: String,
    pub(crate) azp: String,
    pub(crate) appidacr: String,
    pub(crate) idtyp: String,
    pub(crate) oid: String,
    pub(crate) sub: String,
    pub(crate) tid: String,
    pub(crate) roles: Vec<String>,
    pub(crate) uti: String,
    pub(crate) ver: String,
    /// The client's display name, as Entra's v1.0 access tokens carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) app_displayname: Option<String>,
}

/// The audience a `scope` asks for, `None` when the resource is unknown. `own_base` is the
/// emulator's URL as the client addressed it: the local cloud's Microsoft Graph resource id
/// (`cloud`), so a token for it is a Graph token.
fn audience_of_scope(scope: &str, own_base: &str) -> Option<&'static str> {
    let resource = scope.strip_suffix("/.default")?;
    let resource = resource.trim_end_matches('/');
    if resource.eq_ignore_ascii_case(own_base.trim_end_matches('/')) {
        return Some(GRAPH_AUDIENCE);
    }
    match resource.to_ascii_lowercase().as_str() {
        "https://graph.microsoft.com" | "00000003-0000-0000-c000-000000000000" => {
            Some(GRAPH_AUDIENCE)
        }
        "https://management.azure.com"
        | "https://management.core.windows.net"
        | "797f4846-ba00-4fd7-ba43-dac1f8f63013" => Some(ARM_AUDIENCE),
        "https://vault.azure.net" | "cfa8b339-82a2-471a-a3c9-0fc0be7a4093" => Some(VAULT_AUDIENCE),
        _ => None,
    }
}

/// Whether `tenant` names the local tenant (its id or a verified domain).
pub(crate) fn is_local_tenant(tenant: &Tenant, name: &str) -> bool {
    name.eq_ignore_ascii_case(&tenant.tenant_id)
        || VERIFIED_DOMAINS
            .iter()
            .any(|domain| domain.eq_ignore_ascii_case(name))
}

/// An AADSTS error body.
fn aadsts(status: StatusCode, error: &str, code: u32, description: &str) -> ApiResponse {
    let trace_id = new_guid();
    let correlation_id = new_guid();
    let timestamp = crate::util::graph_date_short(now()).replace('T', " ") + "Z";
    ApiResponse::json(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`; `own_base` is the emulator's URL as addressed.
pub(crate) fn token(
    tenant: &Tenant,
    own_base: &str,
    tenant_in_path: &str,
    body: &[u8],
    basic: Option<(String, String)>,
) -> ApiResponse {
    if !is_local_tenant(tenant, tenant_in_path) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant_in_path}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        );
    }
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let grant_type = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    if grant_type != "client_credentials" {
        if grant_type.is_empty() {
            return aadsts(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            );
        }
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant_type}'."),
        );
    }
    let (client_id, client_secret) = match (form.get("client_id"), form.get("client_secret"), basic)
    {
        (Some(id), Some(secret), _) => (id.clone(), secret.clone()),
        (_, _, Some((id, secret))) => (id, secret),
        (None, _, None) => {
            return aadsts(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            );
        }
        (Some(_), None, None) => {
            return aadsts(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
    };
    let Some(scope) = form.get("scope") else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    };
    if !scope.ends_with("/.default")
        || scope.contains(' ')
            && !scope
                .split(' ')
                .all(|part| part.ends_with("/.default") || part == "offline_access")
    {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    }
    let first_scope = scope.split(' ').next().unwrap_or_default();
    let Some(audience) = audience_of_scope(first_scope, own_base) else {
        let resource = first_scope.trim_end_matches("/.default");
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                tenant.tenant_id
            ),
        );
    };
    let now_ms = crate::util::now_ms();
    let Some(app) = tenant.applications.values().find(|record| {
        record.visible(now_ms)
            && record
                .str_field("appId")
                .is_some_and(|id| id.eq_ignore_ascii_case(&client_id))
    }) else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.tenant_id
            ),
        );
    };
    let app_id = app.str_field("appId").unwrap_or_default().to_owned();
    let presented = sha256_hex(client_secret.as_bytes());
    let matching_key = app
        .secret_hashes
        .iter()
        .find(|(_, hash)| secure_eq(hash.as_bytes(), presented.as_bytes()))
        .map(|(key_id, _)| key_id.clone());
    let Some(key_id) = matching_key else {
        return aadsts(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
            ),
        );
    };
    let credential = app.object["passwordCredentials"]
        .as_array()
        .and_then(|credentials| {
            credentials
                .iter()
                .find(|credential| credential["keyId"].as_str() == Some(key_id.as_str()))
        });
    let now_dt = now();
    if let Some(credential) = credential {
        let expired = credential["endDateTime"]
            .as_str()
            .and_then(parse_time)
            .is_some_and(|end| end < now_dt);
        let not_yet = credential["startDateTime"]
            .as_str()
            .and_then(parse_time)
            .is_some_and(|start| start > now_dt);
        if expired || not_yet {
            return aadsts(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000222,
                &format!(
                    "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                ),
            );
        }
    }
    let Some(sp) = tenant.all_service_principals().find(|record| {
        record.visible(now_ms)
            && record
                .str_field("appId")
                .is_some_and(|id| id.eq_ignore_ascii_case(&app_id))
    }) else {
        return aadsts(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000229,
            &format!(
                "The client application {app_id} is missing service principal in the tenant {}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
                tenant.tenant_id
            ),
        );
    };
    let roles = if app_id == crate::state::AUTOMATION_CLIENT_ID {
        crate::authorize::AUTOMATION_GRAPH_ROLES
            .iter()
            .map(|role| (*role).to_owned())
            .collect()
    } else {
        // Application permissions granted by admin consent (app role assignments).
        let resource_app_id = match audience {
            GRAPH_AUDIENCE => "00000003-0000-0000-c000-000000000000",
            ARM_AUDIENCE => "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            _ => "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
        };
        tenant.granted_roles(sp.id(), resource_app_id, now_ms)
    };
    let issued = now_secs();
    let claims = Claims {
        aud: audience.to_owned(),
        iss: format!("https://sts.windows.net/{}/", tenant.tenant_id),
        iat: issued,
        nbf: issued,
        exp: issued + LIFETIME_SECS,
        appid: app_id.clone(),
        azp: app_id,
        appidacr: "1".to_owned(),
        idtyp: "app".to_owned(),
        oid: sp.id().to_owned(),
        sub: sp.id().to_owned(),
        tid: tenant.tenant_id.clone(),
        roles,
        uti: new_guid().replace('-', ""),
        ver: "1.0".to_owned(),
        app_displayname: app.str_field("displayName").map(str::to_owned),
    };
    let access_token = sign(&tenant.signing_key, &claims);
    ApiResponse::ok(json!({
        "token_type": "Bearer",
        "expires_in": LIFETIME_SECS - 1,
        "ext_expires_in": LIFETIME_SECS - 1,
        "access_token": access_token,
    }))
}

/// Signs `claims` as an HS256 JWT.
pub(crate) fn sign(key_hex: &str, claims: &Claims) -> String {
    let header = json!({ "typ": "JWT", "alg": "HS256", "kid": "registrar-emulator" });
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let key = unhex(key_hex).unwrap_or_default();
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&key, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    NotYetValid,
    WrongAudience(String),
    WrongTenant,
}

/// Validates the `Authorization` header value for `audience`.
pub(crate) fn validate(
    tenant: &Tenant,
    authorization: Option<&str>,
    audience: &str,
) -> Result<Claims, TokenProblem> {
    let Some(value) = authorization else {
        return Err(TokenProblem::Missing);
    };
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(TokenProblem::Missing),
    };
    if token.is_empty() {
        return Err(TokenProblem::Missing);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenProblem::Malformed);
    };
    let key = unhex(&tenant.signing_key).unwrap_or_default();
    let expected = hmac_sha256(&key, format!("{header}.{payload}").as_bytes());
    let presented = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenProblem::Malformed)?;
    if !secure_eq(&expected, &presented) {
        return Err(TokenProblem::BadSignature);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenProblem::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenProblem::Malformed)?;
    let now = now_secs();
    if claims.exp <= now {
        return Err(TokenProblem::Expired);
    }
    if claims.nbf > now + 300 {
        return Err(TokenProblem::NotYetValid);
    }
    if claims.tid != tenant.tenant_id {
        return Err(TokenProblem::WrongTenant);
    }
    if claims.aud.trim_end_matches('/') != audience.trim_end_matches('/') {
        return Err(TokenProblem::WrongAudience(claims.aud));
    }
    Ok(claims)
}

/// The OpenID configuration MSAL and azure-identity fetch before asking for a token.
pub(crate) fn openid_configuration(base: &str, tenant_id: &str, v2: bool) -> Value {
    let version = if v2 { "/v2.0" } else { "" };
    json!({
        "token_endpoint": format!("{base}/{tenant_id}/oauth2{version}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant_id}/discovery{version}/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": if v2 { format!("{base}/{tenant_id}/v2.0") } else { format!("https://sts.windows.net/{tenant_id}/") },
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/{tenant_id}/oauth2{version}/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant_id}/oauth2{version}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant_id}/oauth2{version}/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "ver", "oid"],
        "kerberos_endpoint": format!("{base}/{tenant_id}/kerberos"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net"
    })
}

/// `GET /common/discovery/instance`: the instance metadata MSAL asks for.
pub(crate) fn discovery_instance(base: &str, tenant_id: &str) -> Value {
    let host = base
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    json!({
        "tenant_discovery_endpoint": format!("{base}/{tenant_id}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }],
    })
}
