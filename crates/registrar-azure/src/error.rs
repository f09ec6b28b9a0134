//! Typed errors of the Azure clients.
//!
//! Each error's Display carries only this layer's context (which request, what the service
//! said); a cause from a lower layer (reqwest, azure_identity, std::io) sits in `#[source]`.
//! Callers branch on [`GraphError::code`] and [`KeyVaultError::code`], never on messages.

use std::fmt;
use std::time::Duration;

use crate::endpoints::Audience;

/// Any failure of a request to Graph, ARM, Key Vault or a file secret store.
#[derive(Debug, thiserror::Error)]
pub enum AzureError {
    /// Graph (or ARM, whose error body has the same shape) answered with an error status.
    #[error(transparent)]
    Graph(Box<GraphError>),
    /// Key Vault answered with an error status.
    #[error(transparent)]
    KeyVault(Box<KeyVaultError>),
    /// The request could not be completed: connection refused, TLS failure, timeout, reset.
    #[error("{method} {path} failed: {}", if *.connect { "could not connect" } else { "no complete response" })]
    Transport {
        /// HTTP method.
        method: String,
        /// URL path (no host, no query).
        path: String,
        /// Whether the connection was never established, so the server certainly did not see
        /// the request.
        connect: bool,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A success response whose body is not what the API documents.
    #[error("{method} {path} returned {status} with an unexpected body")]
    Decode {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// HTTP status.
        status: u16,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// No token could be obtained.
    #[error("could not get a token for {audience}")]
    Auth {
        /// Which service the token was for.
        audience: Audience,
        /// What azure_identity said (for a chain: what each credential said).
        #[source]
        source: azure_core::Error,
    },
    /// The configuration is unusable (bad URL, unreadable CA, credential missing settings).
    #[error("invalid Azure client configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A caller passed something this crate cannot send, e.g. an unknown settings field name.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The identity platform does not know this tenant id or domain.
    #[error("the identity platform at {authority} does not know the tenant `{tenant}`")]
    UnknownTenant {
        /// The tenant id or domain asked for.
        tenant: String,
        /// The authority host asked.
        authority: String,
    },
    /// A file secret store could not be written or read.
    #[error("secret file `{path}`: could not {action}")]
    File {
        /// The file.
        path: String,
        /// What was being done, e.g. `rename the temporary file into place`.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl From<GraphError> for AzureError {
    fn from(error: GraphError) -> Self {
        AzureError::Graph(Box::new(error))
    }
}

impl From<KeyVaultError> for AzureError {
    fn from(error: KeyVaultError) -> Self {
        AzureError::KeyVault(Box::new(error))
    }
}

impl AzureError {
    /// The Graph error, if this is one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            AzureError::Graph(error) => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The HTTP status the service answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AzureError::Graph(error) => Some(error.status),
            AzureError::KeyVault(error) => Some(error.status),
            AzureError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is a Graph error with `code` (top-level or in `details`).
    pub fn is_graph_code(&self, code: &str) -> bool {
        self.graph().is_some_and(|error| error.has_code(code))
    }

    /// Whether ARM refused a role assignment create because the same scope, role and principal
    /// are already assigned under another name (`409 RoleAssignmentExists`, reference §13).
    pub fn is_role_assignment_exists(&self) -> bool {
        self.graph()
            .is_some_and(|error| error.status == 409 && error.has_code("RoleAssignmentExists"))
    }

    /// Whether ARM does not know the principal of a role assignment yet
    /// (`PrincipalNotFound`: replication lag after the service principal was created).
    pub fn is_principal_not_found(&self) -> bool {
        self.graph().is_some_and(|error| {
            (error.status == 400 || error.status == 404) && error.has_code("PrincipalNotFound")
        })
    }

    /// Whether Graph says the object does not exist (404 `Request_ResourceNotFound`, or a 404
    /// without a body).
    pub fn is_not_found(&self) -> bool {
        match self {
            AzureError::Graph(error) => error.status == 404,
            AzureError::KeyVault(error) => error.status == 404,
            _ => false,
        }
    }
}

/// An error answer from Microsoft Graph:
/// `{"error": {"code", "message", "innerError": {"request-id"}, "details": [{"code"}]}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// HTTP method of the request.
    pub method: String,
    /// URL path of the request, e.g. `/v1.0/applications` (no host, no query).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// `error.code`, e.g. `Request_ResourceNotFound`; `None` when the body was not a Graph
    /// error (a proxy's HTML page, an empty 503).
    pub code: Option<String>,
    /// `error.message`.
    pub message: String,
    /// `request-id` header or `innerError.request-id`, for support cases.
    pub request_id: Option<String>,
    /// `error.details[].code`, e.g. `NoBackingApplicationObject`.
    pub details: Vec<String>,
    /// The `Retry-After` header, parsed (not capped).
    pub retry_after: Option<Duration>,
}

impl GraphError {
    /// `error.code`, or `""`.
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }

    /// Whether `code` is the top-level code or one of the details' codes.
    pub fn has_code(&self, code: &str) -> bool {
        self.code() == code || self.details.iter().any(|detail| detail == code)
    }
}

fn write_service_error(
    f: &mut fmt::Formatter<'_>,
    method: &str,
    path: &str,
    status: u16,
    code: Option<&str>,
    message: &str,
    request_id: Option<&str>,
) -> fmt::Result {
    write!(f, "{method} {path} returned {status}")?;
    if let Some(code) = code.filter(|code| !code.is_empty()) {
        write!(f, " {code}")?;
    }
    if !message.is_empty() {
        write!(f, ": {message}")?;
    }
    if let Some(request_id) = request_id {
        write!(f, " (request-id {request_id})")?;
    }
    Ok(())
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_service_error(
            f,
            &self.method,
            &self.path,
            self.status,
            self.code.as_deref(),
            &self.message,
            self.request_id.as_deref(),
        )?;
        let extra: Vec<&str> = self
            .details
            .iter()
            .map(String::as_str)
            .filter(|detail| Some(*detail) != self.code.as_deref())
            .collect();
        if !extra.is_empty() {
            write!(f, " [details: {}]", extra.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

/// An error answer from Key Vault: `{"error": {"code", "message", "innererror"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVaultError {
    /// HTTP method.
    pub method: String,
    /// URL path, e.g. `/secrets/app-secret`.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// `error.code`, e.g. `SecretNotFound`, `Forbidden`.
    pub code: Option<String>,
    /// `error.message`.
    pub message: String,
    /// `x-ms-request-id` header.
    pub request_id: Option<String>,
    /// `innererror.code`, e.g. `ObjectIsDeletedButRecoverable`, `AccessDenied`.
    pub inner_code: Option<String>,
    /// The `Retry-After` header, parsed.
    pub retry_after: Option<Duration>,
}

impl KeyVaultError {
    /// `error.code`, or `""`.
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }
}

impl fmt::Display for KeyVaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_service_error(
            f,
            &self.method,
            &self.path,
            self.status,
            self.code.as_deref(),
            &self.message,
            self.request_id.as_deref(),
        )?;
        if let Some(inner) = &self.inner_code {
            write!(f, " [{inner}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for KeyVaultError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_error_display_keeps_code_and_request_id() {
        let error = GraphError {
            method: "POST".into(),
            path: "/v1.0/applications".into(),
            status: 403,
            code: Some("Authorization_RequestDenied".into()),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("7c1f0000-aaaa".into()),
            details: vec![],
            retry_after: None,
        };
        assert_eq!(
            error.to_string(),
            "POST /v1.0/applications returned 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id 7c1f0000-aaaa)"
        );
        let wrapped = AzureError::from(error);
        assert!(wrapped.to_string().contains("Authorization_RequestDenied"));
    }

    #[test]
    fn graph_error_display_lists_detail_codes() {
        let error = GraphError {
            method: "POST".into(),
            path: "/v1.0/servicePrincipals".into(),
            status: 400,
            code: Some("Request_BadRequest".into()),
            message: "The appId 'x' of the service principal does not reference a valid application object.".into(),
            request_id: None,
            details: vec!["NoBackingApplicationObject".into()],
            retry_after: None,
        };
        assert!(error.has_code("NoBackingApplicationObject"));
        assert!(
            error
                .to_string()
                .ends_with("[details: NoBackingApplicationObject]")
        );
    }
}
