//! Typed errors of the Azure clients.
//!
//! Each error's Display carries only this layer's context (which request, what the service
//! said); a cause from a lower layer (reqwest, azure_identity, std::io) sits in `#[source]`.
//! An error answer from Graph, ARM or Key Vault is one [`ServiceError`], whichever service sent
//! it: callers branch on its [`Service`], [`ServiceError::status`] and [`ServiceError::code`]
//! (or [`AzureError::has_code`]), never on messages.

use std::fmt;
use std::time::Duration;

use crate::endpoints::Service;

/// Any failure of a request to Graph, ARM, Key Vault or a file secret store.
#[derive(Debug, thiserror::Error)]
pub enum AzureError {
    /// Graph, ARM or Key Vault answered with an error status.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// A service broke one of the client's bounds (repeated nextLink, too many pages, an
    /// oversized body, a read that took too long): see [`crate::ReadLimits`].
    #[error(transparent)]
    Limit(Box<LimitExceeded>),
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
        audience: Service,
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
        /// What was being done, e.g. `write it`, `remove the file`.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Which bound a service broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// A nextLink that this read had already followed (the server would loop forever).
    RepeatedNextLink,
    /// More pages than the cap (the figure).
    Pages(usize),
    /// A response body larger than the cap, in bytes.
    ResponseBytes(usize),
    /// A paged read that took longer than the cap.
    ReadTime(Duration),
}

/// A service broke one of the client's bounds on `method path` (no host, no query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// Which service.
    pub service: Service,
    /// HTTP method.
    pub method: String,
    /// URL path of the request (of the collection's first page, for a paged read).
    pub path: String,
    /// The bound.
    pub limit: Limit,
}

/// `Microsoft Graph: GET /v1.0/applications: the service sent a nextLink it had already sent in
/// this read (a paging loop); stopped`
impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}: ", self.service, self.method, self.path)?;
        match &self.limit {
            Limit::RepeatedNextLink => f.write_str(
                "the service sent a nextLink it had already sent in this read (a paging loop); stopped",
            ),
            Limit::Pages(cap) => write!(
                f,
                "the service sent more than {cap} pages, the page cap of one read; stopped"
            ),
            Limit::ResponseBytes(cap) => write!(
                f,
                "the response body is larger than {} MiB, the response-size cap; not read",
                cap / (1024 * 1024)
            ),
            Limit::ReadTime(cap) => write!(
                f,
                "the read took longer than {}, the time cap of one read; stopped",
                humanize(*cap)
            ),
        }
    }
}

impl std::error::Error for LimitExceeded {}

/// `10 minutes`, `2 seconds`, `250 ms`.
fn humanize(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{} minutes", seconds / 60)
    } else if seconds >= 1 {
        format!("{seconds} seconds")
    } else {
        format!("{} ms", duration.as_millis())
    }
}

impl From<ServiceError> for AzureError {
    fn from(error: ServiceError) -> Self {
        AzureError::Service(Box::new(error))
    }
}

impl AzureError {
    /// The service's error answer, if this is one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            AzureError::Service(error) => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The service's error answer, if `service` sent it.
    fn answer_of(&self, service: Service) -> Option<&ServiceError> {
        self.service_error()
            .filter(|error| error.service == service)
    }

    /// The bound a service broke, if that is what this is.
    pub fn limit_exceeded(&self) -> Option<&LimitExceeded> {
        match self {
            AzureError::Limit(error) => Some(error.as_ref()),
            _ => None,
        }
    }

    /// Whether a write that failed this way may still have been carried out by the service: the
    /// answer was lost after the request was sent (reset, timeout), or a 5xx without a service
    /// error body, or a 500/502/504 (a gateway may have timed out on a completed write). A 429
    /// or 503 with a service error body means the throttling layer refused it unprocessed.
    pub fn may_have_been_processed(&self) -> bool {
        match self {
            AzureError::Transport { connect, .. } => !connect,
            AzureError::Service(error) => {
                error.status >= 500 && !(error.status == 503 && error.code.is_some())
            }
            // The service answered 2xx (the body was unexpected or too large): it was done.
            AzureError::Decode { .. } | AzureError::Limit(_) => true,
            _ => false,
        }
    }

    /// The HTTP status the service answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AzureError::Service(error) => Some(error.status),
            AzureError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's error code (`error.code`), if the service answered with one.
    pub fn code(&self) -> Option<&str> {
        self.service_error().and_then(|error| error.code.as_deref())
    }

    /// Whether this is a service error with `code` (see [`ServiceError::has_code`]).
    pub fn has_code(&self, code: &str) -> bool {
        self.service_error()
            .is_some_and(|error| error.has_code(code))
    }

    /// Whether ARM refused a role assignment create because the same scope, role and principal
    /// are already assigned under another name (`409 RoleAssignmentExists`, docs/azure-behaviour.md, "ARM role definitions and role assignments").
    pub fn is_role_assignment_exists(&self) -> bool {
        self.answer_of(Service::Arm)
            .is_some_and(|error| error.status == 409 && error.has_code("RoleAssignmentExists"))
    }

    /// Whether ARM does not know the principal of a role assignment yet
    /// (`PrincipalNotFound`: replication lag after the service principal was created).
    pub fn is_principal_not_found(&self) -> bool {
        self.answer_of(Service::Arm).is_some_and(|error| {
            (error.status == 400 || error.status == 404) && error.has_code("PrincipalNotFound")
        })
    }

    /// Whether Graph may still be replicating an object this run wrote: 404
    /// `Request_ResourceNotFound` (or a 404 without a Graph body), or 400
    /// `NoBackingApplicationObject` (docs/azure-behaviour.md, "Replication delay").
    pub(crate) fn is_graph_replication_lag(&self) -> bool {
        self.answer_of(Service::Graph).is_some_and(|error| {
            (error.status == 404
                && (error.code.is_none() || error.has_code("Request_ResourceNotFound")))
                || (error.status == 400 && error.has_code("NoBackingApplicationObject"))
        })
    }

    /// Whether the service says the object does not exist (any 404 answer).
    pub fn is_not_found(&self) -> bool {
        self.service_error()
            .is_some_and(|error| error.status == 404)
    }
}

/// An error answer from Microsoft Graph, Azure Resource Manager or Key Vault. All three send
/// `{"error": {"code", "message", ...}}`; what differs is kept in the optional fields:
/// Graph's `innerError.request-id` and `details[].code`, ARM's `details[].code` and correlation
/// id, Key Vault's `innererror.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// Which service answered.
    pub service: Service,
    /// HTTP method of the request.
    pub method: String,
    /// URL path of the request, e.g. `/v1.0/applications` or `/secrets/app-secret` (no host, no
    /// query).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// `error.code`, e.g. `Request_ResourceNotFound`, `RoleAssignmentExists`, `SecretNotFound`;
    /// `None` when the body was not a service error (a proxy's HTML page, an empty 503).
    pub code: Option<String>,
    /// `error.message`.
    pub message: String,
    /// The service's request id, for support cases: Graph's `request-id` header (or
    /// `innerError.request-id`), ARM's and Key Vault's `x-ms-request-id` header.
    pub request_id: Option<String>,
    /// ARM's `x-ms-correlation-request-id` header.
    pub correlation_id: Option<String>,
    /// `error.details[].code` (Graph, ARM), e.g. `NoBackingApplicationObject`.
    pub details: Vec<String>,
    /// `error.innererror.code` (Key Vault), e.g. `ObjectIsDeletedButRecoverable`.
    pub inner_code: Option<String>,
    /// The `Retry-After` header, parsed (not capped).
    pub retry_after: Option<Duration>,
}

impl ServiceError {
    /// An answer of `service` to `method path` with `status` and nothing else known yet.
    pub(crate) fn new(service: Service, method: &str, path: &str, status: u16) -> Self {
        Self {
            service,
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code: None,
            message: String::new(),
            request_id: None,
            correlation_id: None,
            details: Vec::new(),
            inner_code: None,
            retry_after: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `error.code`, or `""`.
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }

    /// Whether `code` is the top-level code, one of the details' codes or the inner error's
    /// code.
    pub fn has_code(&self, code: &str) -> bool {
        self.code() == code
            || self.details.iter().any(|detail| detail == code)
            || self.inner_code.as_deref() == Some(code)
    }

    /// What the service calls its request id header.
    fn request_id_name(&self) -> &'static str {
        match self.service {
            Service::Graph => "request-id",
            Service::Arm | Service::KeyVault => "x-ms-request-id",
        }
    }
}

/// `Microsoft Graph: POST /v1.0/applications returned 403 Authorization_RequestDenied:
/// Insufficient privileges to complete the operation. (request-id 7c1f…) [details: …]`
impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} returned {}",
            self.service, self.method, self.path, self.status
        )?;
        if let Some(code) = self.code.as_deref().filter(|code| !code.is_empty()) {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        let ids: Vec<String> = [
            self.request_id
                .as_deref()
                .map(|id| format!("{} {id}", self.request_id_name())),
            self.correlation_id
                .as_deref()
                .map(|id| format!("x-ms-correlation-request-id {id}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        let extra: Vec<&str> = self
            .details
            .iter()
            .map(String::as_str)
            .filter(|detail| Some(*detail) != self.code.as_deref())
            .collect();
        if !extra.is_empty() {
            write!(f, " [details: {}]", extra.join(", "))?;
        }
        if let Some(inner) = &self.inner_code {
            write!(f, " [{inner}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_error_display_names_the_service_and_keeps_code_and_request_id() {
        let error = ServiceError {
            code: Some("Authorization_RequestDenied".into()),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("7c1f0000-aaaa".into()),
            ..ServiceError::new(Service::Graph, "POST", "/v1.0/applications", 403)
        };
        assert_eq!(
            error.to_string(),
            "Microsoft Graph: POST /v1.0/applications returned 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id 7c1f0000-aaaa)"
        );
        let wrapped = AzureError::from(error);
        assert!(wrapped.to_string().contains("Authorization_RequestDenied"));
        assert_eq!(wrapped.code(), Some("Authorization_RequestDenied"));
        assert_eq!(wrapped.status(), Some(403));
    }

    #[test]
    fn service_error_display_lists_detail_codes() {
        let error = ServiceError {
            code: Some("Request_BadRequest".into()),
            message: "The appId 'x' of the service principal does not reference a valid application object.".into(),
            details: vec!["NoBackingApplicationObject".into()],
            ..ServiceError::new(Service::Graph, "POST", "/v1.0/servicePrincipals", 400)
        };
        assert!(error.has_code("NoBackingApplicationObject"));
        assert!(
            error
                .to_string()
                .ends_with("[details: NoBackingApplicationObject]")
        );
    }

    #[test]
    fn writes_that_may_have_been_processed() {
        let answer = |status: u16, code: Option<&str>| {
            AzureError::from(ServiceError {
                code: code.map(str::to_owned),
                ..ServiceError::new(Service::Graph, "POST", "/x", status)
            })
        };
        assert!(!answer(400, Some("Request_BadRequest")).may_have_been_processed());
        assert!(!answer(429, Some("TooManyRequests")).may_have_been_processed());
        assert!(!answer(503, Some("ServiceUnavailable")).may_have_been_processed());
        assert!(answer(503, None).may_have_been_processed());
        assert!(answer(504, None).may_have_been_processed());
        assert!(answer(500, Some("InternalServerError")).may_have_been_processed());
    }

    #[test]
    fn service_error_display_names_arm_ids() {
        let error = ServiceError {
            code: Some("RoleAssignmentExists".into()),
            message: "The role assignment already exists.".into(),
            request_id: Some("arm-rid".into()),
            correlation_id: Some("arm-cid".into()),
            ..ServiceError::new(Service::Arm, "PUT", "/x", 409)
        };
        assert_eq!(
            error.to_string(),
            "Azure Resource Manager: PUT /x returned 409 RoleAssignmentExists: The role assignment already exists. (x-ms-request-id arm-rid, x-ms-correlation-request-id arm-cid)"
        );
        let error = AzureError::from(error);
        assert!(error.is_role_assignment_exists());
        assert!(!error.is_principal_not_found());
    }
}
