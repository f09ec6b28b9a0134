//! The emulator's own request/response types, between axum and the service handlers, the
//! error bodies of Graph and Key Vault, and the plain conversion to an HTTP response.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Map, Value, json};

use crate::auth::Claims;

/// One API request, already read whole.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path as sent (still percent-encoded).
    pub(crate) path: String,
    /// Decoded query pairs.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// `https://host[:port]` as the client addressed the emulator.
    pub(crate) base: String,
    /// The validated token, set after authentication.
    pub(crate) claims: Option<Claims>,
}

impl ApiRequest {
    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// A query parameter (OData names are matched with or without `$`, case-insensitively).
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether `Prefer` contains `create-if-missing`.
    pub(crate) fn prefers_create_if_missing(&self) -> bool {
        self.headers
            .get_all("prefer")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| {
                value
                    .split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case("create-if-missing"))
            })
    }

    /// The body as a JSON object, or Graph's 400 for anything else.
    pub(crate) fn json_object(&self) -> Result<Map<String, Value>, ApiResponse> {
        if self.body.is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Empty Payload. JSON content expected.",
            )),
            Err(_) => Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            )),
        }
    }
}

/// One API response before the common headers are added (boxed: it travels in `Err`s).
#[derive(Debug, Clone)]
pub(crate) struct ApiResponse(Box<ResponseParts>);

/// The parts of an [`ApiResponse`].
#[derive(Debug, Clone)]
pub(crate) struct ResponseParts {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// A text/plain body (`/$count`).
    pub(crate) text: Option<String>,
    /// Whether the request changed state (then the state file is written).
    pub(crate) mutated: bool,
}

/// What handlers return: `Err` carries an error response so `?` works.
pub(crate) type Reply = Result<ApiResponse, ApiResponse>;

impl std::ops::Deref for ApiResponse {
    type Target = ResponseParts;

    fn deref(&self) -> &ResponseParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiResponse {
    fn deref_mut(&mut self) -> &mut ResponseParts {
        &mut self.0
    }
}

impl ApiResponse {
    /// A JSON response.
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self(Box::new(ResponseParts {
            status,
            headers: Vec::new(),
            body: Some(body),
            text: None,
            mutated: false,
        }))
    }

    /// 200 with JSON.
    pub(crate) fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body)
    }

    /// A response without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self(Box::new(ResponseParts {
            status,
            headers: Vec::new(),
            body: None,
            text: None,
            mutated: false,
        }))
    }

    /// 204 No Content.
    pub(crate) fn no_content() -> Self {
        Self::empty(StatusCode::NO_CONTENT)
    }

    /// Marks the response as the result of a state change.
    pub(crate) fn changed(mut self) -> Self {
        self.0.mutated = true;
        self
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A Graph error body; `innerError` is filled in when the response is finished.
pub(crate) fn graph_error(status: StatusCode, code: &str, message: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

/// A Graph error with one `details` entry (e.g. `NoBackingApplicationObject`).
pub(crate) fn graph_error_detail(
    status: StatusCode,
    code: &str,
    message: &str,
    detail_code: &str,
    target: &str,
) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({ "error": {
            "code": code,
            "message": message,
            "details": [{ "code": detail_code, "message": message, "target": target }],
        } }),
    )
}

/// Graph's 404 for a missing object.
pub(crate) fn not_found(id: &str) -> ApiResponse {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// Graph's 400 `Request_BadRequest`.
pub(crate) fn bad_request(message: &str) -> ApiResponse {
    graph_error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// Graph's 400 `Request_UnsupportedQuery`.
pub(crate) fn unsupported_query(message: &str) -> ApiResponse {
    graph_error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
}

/// Graph's 405.
pub(crate) fn method_not_allowed() -> ApiResponse {
    graph_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
}

/// A Key Vault error body (lower-case `innererror`).
pub(crate) fn kv_error(
    status: StatusCode,
    code: &str,
    message: &str,
    inner: Option<&str>,
) -> ApiResponse {
    let mut error = json!({ "code": code, "message": message });
    if let Some(inner) = inner {
        error["innererror"] = json!({ "code": inner });
    }
    ApiResponse::json(status, json!({ "error": error }))
}

/// A JSON body with `Content-Type: application/json; charset=utf-8`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// An [`ApiResponse`] as it is, with no service's headers added (token endpoint, ARM and Key
/// Vault start from it).
pub(crate) fn finish_plain(mut response: ApiResponse) -> Response {
    let mut out = match &response.body {
        Some(body) => json_response(response.status, body),
        None => response.status.into_response(),
    };
    for (name, value) in std::mem::take(&mut response.headers) {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name),
            HeaderValue::try_from(value),
        ) {
            out.headers_mut().append(name, value);
        }
    }
    out
}
