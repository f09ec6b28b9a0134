//! The three services behind the one port, and what differs between them: which requests are
//! theirs ([`Service::classify`]), the token audience they accept, and how their answers look
//! (the 401 challenge, the throttling and unavailability errors, and the headers every response
//! carries). What a request is charged against the service limits is in `throttle`; the request
//! flow itself, the same for all three, is in `dispatch`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::{ApiResponse, finish_plain, graph_error, kv_error};
use crate::auth::{ARM_AUDIENCE, GRAPH_AUDIENCE, TokenProblem, VAULT_AUDIENCE};
use crate::throttle::ServiceName;
use crate::util::{graph_date_short, new_guid, now, percent_decode};
use crate::{arm, graph, keyvault};

/// Which service an API request is for.
pub(crate) enum Service {
    /// Microsoft Graph v1.0 (`/v1.0/…`).
    Graph(graph::Route),
    /// Azure Resource Manager `Microsoft.Authorization` (`/subscriptions/…`, `/providers/…`).
    Arm(arm::Route),
    /// Key Vault secrets, by path (`/vaults/{vault}/…`) or by host (`{vault}.vault.azure.net`).
    Vault {
        route: keyvault::KvRoute,
        /// The vault name, lower-cased.
        vault: String,
        /// The vault's URL as the client addressed it (the prefix of secret ids).
        vault_url: String,
    },
}

impl Service {
    /// The service a request is for and its route template (for request counting), `None` when
    /// the path belongs to none of them.
    pub(crate) fn classify(path: &str, host: Option<&str>, base: &str) -> Option<(Self, String)> {
        if let Some(rest) = path.strip_prefix("/v1.0/") {
            let (route, template) = graph::parse(rest);
            return Some((Self::Graph(route), template));
        }
        let segments: Vec<String> = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(percent_decode)
            .collect();
        let strs: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let ["vaults", vault, rest @ ..] = strs.as_slice() {
            let (route, template) = keyvault::parse(rest);
            let vault = vault.to_ascii_lowercase();
            let vault_url = format!("{base}/vaults/{vault}");
            return Some((
                Self::Vault {
                    route,
                    vault,
                    vault_url,
                },
                template,
            ));
        }
        let host = host
            .and_then(|host| host.split(':').next())
            .map(str::to_ascii_lowercase);
        if let Some(host) = &host
            && let Some(vault) = host.strip_suffix(".vault.azure.net")
        {
            let (route, template) = keyvault::parse(&strs);
            let vault_url = format!("https://{}", host_with_port(base, host));
            return Some((
                Self::Vault {
                    route,
                    vault: vault.to_owned(),
                    vault_url,
                },
                template,
            ));
        }
        if arm::is_arm_path(&strs) {
            let (route, template) = arm::parse(&strs);
            return Some((Self::Arm(route), template));
        }
        None
    }

    /// The service's name in the usage counters.
    pub(crate) fn name(&self) -> ServiceName {
        match self {
            Self::Graph(_) => ServiceName::Graph,
            Self::Arm(_) => ServiceName::Arm,
            Self::Vault { .. } => ServiceName::KeyVault,
        }
    }

    /// The audience a bearer token must have for this service.
    pub(crate) fn audience(&self) -> &'static str {
        match self {
            Self::Graph(_) => GRAPH_AUDIENCE,
            Self::Arm(_) => ARM_AUDIENCE,
            Self::Vault { .. } => VAULT_AUDIENCE,
        }
    }

    /// The service's 401 for a refused token. `login_base` is the emulator's URL the challenge
    /// points at (where its token endpoint is).
    pub(crate) fn unauthorized(
        &self,
        problem: &TokenProblem,
        login_base: &str,
        tenant_id: &str,
    ) -> ApiResponse {
        match self {
            Self::Graph(_) => graph_unauthorized(problem),
            Self::Arm(_) => arm_unauthorized(problem, login_base, tenant_id),
            Self::Vault { .. } => vault_unauthorized(problem, login_base, tenant_id),
        }
    }

    /// The service's 429, for an injected throttling fault or an exceeded limit.
    pub(crate) fn throttled(&self, retry_after: &str) -> ApiResponse {
        let response = match self {
            Self::Arm(_) => arm::arm_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits",
            ),
            Self::Graph(_) => ApiResponse::json(
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "error": {
                    "code": "TooManyRequests",
                    "innerError": {
                        "code": "429",
                        "date": graph_date_short(now()),
                        "message": "Please retry after",
                        "request-id": new_guid(),
                        "status": "429",
                    },
                    "message": "Please retry again later.",
                } }),
            ),
            Self::Vault { .. } => kv_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Throttled",
                "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
                None,
            ),
        };
        response.with_header("Retry-After", retry_after)
    }

    /// The service's 503 for an injected unavailability fault.
    pub(crate) fn unavailable(&self, retry_after: &str) -> ApiResponse {
        const MESSAGE: &str = "The service is temporarily unavailable. Please retry later.";
        let response = match self {
            Self::Arm(_) => arm::arm_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                MESSAGE,
            ),
            Self::Graph(_) => graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                MESSAGE,
            ),
            Self::Vault { .. } => kv_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                MESSAGE,
                None,
            ),
        };
        response.with_header("Retry-After", retry_after)
    }

    /// The HTTP response with the headers this service sends on every answer, and the
    /// `charged` ones of its limits (Graph's `x-ms-resource-unit` and `x-ms-throttle-…`, ARM's
    /// `x-ms-ratelimit-remaining-…`).
    pub(crate) fn finish(
        &self,
        response: ApiResponse,
        request_headers: &HeaderMap,
        charged: &[(String, String)],
    ) -> Response {
        let mut out = match self {
            Self::Graph(_) => finish_graph(response, request_headers),
            Self::Arm(_) => finish_arm(response, request_headers),
            Self::Vault { .. } => finish_vault(response),
        };
        let headers = out.headers_mut();
        for (name, value) in charged {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                headers.insert(name, value);
            }
        }
        out
    }
}

/// The answer to a path no service serves: Graph's 400, as `graph.microsoft.com` answers an
/// unknown version.
pub(crate) fn unknown_path(path: &str, request_headers: &HeaderMap) -> Response {
    let response = graph_error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!(
            "Invalid version or resource: '{path}'. The emulator serves /v1.0/…, /vaults/{{vault}}/…, ARM's /subscriptions/… and /providers/… and /{{tenant}}/oauth2/v2.0/token."
        ),
    );
    let mut out = finish_graph(response, request_headers);
    out.headers_mut()
        .insert("x-ms-resource-unit", HeaderValue::from_static("1"));
    out
}

/// `host` with the port of `base` (the port the client connected to), if it has one.
fn host_with_port(base: &str, host: &str) -> String {
    let port = base
        .rsplit_once(':')
        .map(|(_, port)| port)
        .filter(|port| port.chars().all(|ch| ch.is_ascii_digit()));
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn graph_unauthorized(problem: &TokenProblem) -> ApiResponse {
    let message = match problem {
        TokenProblem::Missing => "Access token is empty.",
        TokenProblem::Malformed => "Access token validation failure. Invalid token format.",
        TokenProblem::BadSignature => "Access token validation failure. Invalid signature.",
        TokenProblem::Expired => "Lifetime validation failed, the token is expired.",
        TokenProblem::NotYetValid => "Lifetime validation failed, the token is not yet valid.",
        TokenProblem::WrongAudience(_) => "Access token validation failure. Invalid audience.",
        TokenProblem::WrongTenant => "Access token validation failure. Invalid issuer.",
    };
    graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message).with_header(
        "WWW-Authenticate",
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    )
}

fn vault_unauthorized(problem: &TokenProblem, base: &str, tenant_id: &str) -> ApiResponse {
    let message = match problem {
        TokenProblem::Missing => "AKV10000: Request is missing a Bearer or PoP token.".to_owned(),
        TokenProblem::WrongAudience(found) => {
            format!("AKV10022: Invalid audience. Expected {VAULT_AUDIENCE}, found: {found}.")
        }
        TokenProblem::Expired => "AKV10020: Invalid token, the token is expired.".to_owned(),
        _ => "AKV10020: Invalid token.".to_owned(),
    };
    kv_error(StatusCode::UNAUTHORIZED, "Unauthorized", &message, None).with_header(
        "WWW-Authenticate",
        format!("Bearer authorization=\"{base}/{tenant_id}\", resource=\"{VAULT_AUDIENCE}\""),
    )
}

/// Adds Graph's headers (`request-id`, `client-request-id`) and fills `innerError` into error
/// bodies.
fn finish_graph(mut response: ApiResponse, request_headers: &HeaderMap) -> Response {
    let request_id = new_guid();
    let client_request_id = request_headers
        .get("client-request-id")
        .and_then(|value| value.to_str().ok())
        .map_or_else(|| request_id.clone(), str::to_owned);
    if let Some(error) = response
        .body
        .as_mut()
        .and_then(|body| body.get_mut("error"))
        .and_then(Value::as_object_mut)
        && !error.contains_key("innerError")
    {
        error.insert(
            "innerError".to_owned(),
            json!({ "date": graph_date_short(now()), "request-id": request_id, "client-request-id": client_request_id }),
        );
    }
    let mut out = match (&response.body, &response.text) {
        (Some(body), _) => {
            let mut out = (response.status, body.to_string()).into_response();
            out.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
            );
            out.headers_mut()
                .insert("odata-version", HeaderValue::from_static("4.0"));
            out
        }
        (None, Some(text)) => {
            let mut out = (response.status, text.clone()).into_response();
            out.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            out
        }
        (None, None) => Response::builder()
            .status(response.status)
            .body(Body::empty())
            .unwrap_or_default(),
    };
    let headers = out.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::try_from(request_id) {
        headers.insert("request-id", value);
    }
    if let Ok(value) = HeaderValue::try_from(client_request_id) {
        headers.insert("client-request-id", value);
    }
    for (name, value) in std::mem::take(&mut response.headers) {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name),
            HeaderValue::try_from(value),
        ) {
            headers.append(name, value);
        }
    }
    out
}

/// ARM's 401: `AuthenticationFailed` without a token, `InvalidAuthenticationTokenAudience` for a
/// token of another resource (Graph, Key Vault), `InvalidAuthenticationToken` for a bad one.
fn arm_unauthorized(problem: &TokenProblem, base: &str, tenant_id: &str) -> ApiResponse {
    let (code, message) = match problem {
        TokenProblem::Missing => (
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".to_owned(),
        ),
        TokenProblem::Malformed | TokenProblem::BadSignature | TokenProblem::NotYetValid => (
            "InvalidAuthenticationToken",
            "The access token is invalid.".to_owned(),
        ),
        TokenProblem::Expired => (
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.".to_owned(),
        ),
        TokenProblem::WrongAudience(found) => (
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{found}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."
            ),
        ),
        TokenProblem::WrongTenant => (
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer. It must match the tenant '{base}/{tenant_id}/' associated with this subscription."
            ),
        ),
    };
    arm::arm_error(StatusCode::UNAUTHORIZED, code, &message).with_header(
        "WWW-Authenticate",
        format!(
            "Bearer authorization_uri=\"{base}/{tenant_id}\", error=\"invalid_token\", error_description=\"{}\"",
            message.replace('"', "'")
        ),
    )
}

/// Adds ARM's headers: `x-ms-request-id`, `x-ms-correlation-request-id` (the client's, else new),
/// `x-ms-routing-request-id`.
fn finish_arm(response: ApiResponse, request_headers: &HeaderMap) -> Response {
    let mut out = finish_plain(response);
    let request_id = new_guid();
    let correlation_id = request_headers
        .get("x-ms-correlation-request-id")
        .and_then(|value| value.to_str().ok())
        .map_or_else(|| request_id.clone(), str::to_owned);
    let headers = out.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::EXPIRES, HeaderValue::from_static("-1"));
    let routing = format!("LOCAL:{}:{request_id}", arm_routing_time());
    for (name, value) in [
        ("x-ms-request-id", request_id.clone()),
        ("x-ms-correlation-request-id", correlation_id),
        ("x-ms-routing-request-id", routing),
    ] {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
    if let Some(client_request_id) = request_headers.get("x-ms-client-request-id") {
        headers.insert("x-ms-client-request-id", client_request_id.clone());
    }
    out
}

/// `20240101T120000Z`, as in ARM's `x-ms-routing-request-id`.
fn arm_routing_time() -> String {
    graph_date_short(now()).replace(['-', ':'], "") + "Z"
}

/// Adds Key Vault's headers.
fn finish_vault(response: ApiResponse) -> Response {
    let mut out = finish_plain(response);
    let headers = out.headers_mut();
    if let Ok(value) = HeaderValue::try_from(new_guid()) {
        headers.insert("x-ms-request-id", value);
    }
    headers.insert(
        "x-ms-keyvault-service-version",
        HeaderValue::from_static("1.9.0.0"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out
}
