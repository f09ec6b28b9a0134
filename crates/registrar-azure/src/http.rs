//! The HTTP core every client shares: one reqwest client (rustls, plus the local tenant's CA),
//! bearer tokens per audience, a client request id per request, the retry loop driven by
//! [`retry_policy`], error bodies parsed into typed errors, OData paging, and the request
//! counter. JSON batching (`POST /$batch`) builds on it in [`crate::batch`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::auth::TokenProvider;
use crate::budget::{Cost, Observed, Pacer};
use crate::endpoints::{Endpoints, Service};
use crate::error::{AzureError, Limit, LimitExceeded, ServiceError};
use crate::limits::{PagedRead, ReadLimits};
use crate::retry::{Attempt, Retry, RetryConfig, parse_retry_after, retry_policy};
use crate::write_batch::WriteBatcher;

/// Counts the HTTP requests sent, retries and token requests included.
#[derive(Debug, Default)]
pub(crate) struct RequestCounter {
    graph: AtomicU64,
    key_vault: AtomicU64,
    arm: AtomicU64,
    token: AtomicU64,
    retries: AtomicU64,
    batched: AtomicU64,
}

/// How many requests the clients sent so far ([`crate::Clients::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestStats {
    /// Every request sent: Graph, Key Vault, ARM and token requests, retries included.
    pub total: u64,
    /// Requests to Graph.
    pub graph: u64,
    /// Requests to Key Vault.
    pub key_vault: u64,
    /// Requests to ARM.
    pub arm: u64,
    /// Requests credentials sent to the token endpoint (or IMDS).
    pub token: u64,
    /// How many of the requests were retries (a `$batch` resending throttled inner requests
    /// counts as one).
    pub retries: u64,
    /// Requests sent inside `$batch` requests, resent ones included. Not part of
    /// [`Self::total`] or [`Self::graph`], which count each `$batch` once.
    pub batched: u64,
}

impl RequestCounter {
    pub(crate) fn count_token(&self) {
        self.token.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_batched(&self, inner_requests: usize) {
        self.batched
            .fetch_add(inner_requests as u64, Ordering::Relaxed);
    }

    fn count(&self, service: Service) {
        let counter = match service {
            Service::Graph => &self.graph,
            Service::KeyVault => &self.key_vault,
            Service::Arm => &self.arm,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub(crate) fn stats(&self) -> RequestStats {
        let graph = self.graph.load(Ordering::Relaxed);
        let key_vault = self.key_vault.load(Ordering::Relaxed);
        let arm = self.arm.load(Ordering::Relaxed);
        let token = self.token.load(Ordering::Relaxed);
        RequestStats {
            total: graph + key_vault + arm + token,
            graph,
            key_vault,
            arm,
            token,
            retries: self.retries.load(Ordering::Relaxed),
            batched: self.batched.load(Ordering::Relaxed),
        }
    }
}

/// One logical request (retries reuse it). Its Debug leaves the body out.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) service: Service,
    /// The serialized body, zeroized when dropped (it may hold a secret value).
    pub(crate) body: Option<Zeroizing<Vec<u8>>>,
    pub(crate) headers: &'a [(&'static str, &'a str)],
    /// The request acts on an object this run created: retry replication-lag errors.
    pub(crate) fresh_object: bool,
    /// Repeating the request is harmless: every method but POST, unless overridden (a `$batch`
    /// of GETs is a POST that is safe to repeat).
    pub(crate) idempotent: bool,
    /// The cost to reserve when the caller knows it (a `$batch`: the sum of its inner
    /// requests, whose answers the caller settles); `None`: estimated from method and URL, and
    /// settled from the answer's headers.
    pub(crate) cost: Option<Cost>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(method: Method, url: String, service: Service) -> Self {
        Self {
            url,
            service,
            body: None,
            headers: &[],
            fresh_object: false,
            idempotent: method != Method::POST,
            cost: None,
            method,
        }
    }

    /// Reserves `cost` instead of the estimate, and leaves settling it to the caller.
    pub(crate) fn cost(mut self, cost: Cost) -> Self {
        self.cost = Some(cost);
        self
    }

    /// A JSON body.
    pub(crate) fn body(mut self, body: serde_json::Value) -> Self {
        // Serializing a `Value` cannot fail.
        self.body = Some(Zeroizing::new(
            serde_json::to_vec(&body).unwrap_or_default(),
        ));
        self
    }

    /// A JSON body already serialized (used for bodies that carry a secret value).
    pub(crate) fn raw_body(mut self, body: Zeroizing<Vec<u8>>) -> Self {
        self.body = Some(body);
        self
    }

    pub(crate) fn headers(mut self, headers: &'a [(&'static str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    pub(crate) fn fresh(mut self, fresh: bool) -> Self {
        self.fresh_object = fresh;
        self
    }

    /// Overrides whether repeating the request is harmless.
    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// A successful (2xx) response. Its Debug leaves the body out.
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Zeroized when dropped: a Key Vault GET carries the secret value.
    pub(crate) body: Zeroizing<Vec<u8>>,
    method: String,
    path: String,
}

impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("service", &self.service)
            .field("fresh_object", &self.fresh_object)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// A stand-in for a write that needed no response (a DELETE of something already gone).
    pub(crate) fn empty() -> Self {
        Self {
            status: 204,
            body: Zeroizing::new(Vec::new()),
            method: String::new(),
            path: String::new(),
        }
    }

    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, AzureError> {
        serde_json::from_slice(&self.body).map_err(|source| AzureError::Decode {
            method: self.method.clone(),
            path: self.path.clone(),
            status: self.status,
            source,
        })
    }
}

/// The shared HTTP machinery.
#[derive(Debug)]
pub(crate) struct HttpCore {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoints: Endpoints,
    pub(crate) retry: RetryConfig,
    /// Bounds on pages, body size and read time.
    pub(crate) limits: ReadLimits,
    pub(crate) tokens: TokenProvider,
    pub(crate) counter: Arc<RequestCounter>,
    /// The RU and write budget every request waits for ([`crate::budget`]).
    pub(crate) pacer: Pacer,
    /// Where idempotent Graph writes gather into `$batch` requests ([`crate::write_batch`]).
    pub(crate) writes: WriteBatcher,
    /// Whether they do (else each is sent alone).
    pub(crate) batch_writes: bool,
}

/// Builds the reqwest client: rustls, no redirects, timeouts, and the extra CA when given (for
/// the local tenant only that CA is trusted; elsewhere it is added to the platform roots).
/// `request_timeout` bounds one attempt ([`RetryConfig::request_timeout`]).
pub(crate) fn build_reqwest_client(
    endpoints: &Endpoints,
    request_timeout: Duration,
) -> Result<reqwest::Client, AzureError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(request_timeout))
        .timeout(request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("registrar/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &endpoints.extra_ca_pem {
        let certificates =
            reqwest::Certificate::from_pem_bundle(pem).map_err(|source| AzureError::Config {
                message: "the extra CA certificate is not valid PEM".to_owned(),
                source: Some(Box::new(source)),
            })?;
        if certificates.is_empty() {
            return Err(AzureError::Config {
                message: "the extra CA PEM holds no certificate".to_owned(),
                source: None,
            });
        }
        builder = if endpoints.is_local() {
            builder.tls_certs_only(certificates)
        } else {
            builder.tls_certs_merge(certificates)
        };
    }
    builder.build().map_err(|source| AzureError::Config {
        message: "could not build the HTTP client".to_owned(),
        source: Some(Box::new(source)),
    })
}

impl HttpCore {
    /// Sends `call`, retrying as [`retry_policy`] says. Returns the 2xx reply or the last error.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Reply, AzureError> {
        let url = Url::parse(&call.url).map_err(|source| AzureError::Config {
            message: format!("`{}` is not a valid URL", call.url),
            source: Some(Box::new(source)),
        })?;
        let method_name = call.method.as_str().to_owned();
        let path = url.path().to_owned();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let request_id_header = match call.service {
            Service::Graph => "client-request-id",
            Service::KeyVault | Service::Arm => "x-ms-client-request-id",
        };
        let idempotent = call.idempotent;
        let cost = call
            .cost
            .unwrap_or_else(|| Pacer::estimate(call.service, &call.method, &call.url));
        let mut number = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            number += 1;
            let authorization = self.tokens.authorization(call.service).await?;
            self.pace(call.service, cost).await;
            let mut request = self
                .client
                .request(call.method.clone(), url.clone())
                .header(AUTHORIZATION, authorization)
                .header(request_id_header, client_request_id.as_str());
            for (name, value) in call.headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = &call.body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_vec());
            }
            self.counter.count(call.service);
            let error = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    self.observe(call.service, cost, status, &headers, call.cost.is_none());
                    match read_body(response, self.limits.max_response_bytes).await {
                        Ok(None) => {
                            return Err(AzureError::Limit(Box::new(LimitExceeded {
                                service: call.service,
                                method: method_name,
                                path,
                                limit: Limit::ResponseBytes(self.limits.max_response_bytes),
                            })));
                        }
                        Ok(Some(bytes)) if (200..300).contains(&status) => {
                            tracing::debug!(method = %method_name, %path, status, attempt = number, "request done");
                            return Ok(Reply {
                                status,
                                body: bytes,
                                method: method_name,
                                path,
                            });
                        }
                        Ok(Some(bytes)) => service_error(
                            call.service,
                            &method_name,
                            &path,
                            status,
                            &headers,
                            &bytes,
                        ),
                        Err(source) => AzureError::Transport {
                            method: method_name.clone(),
                            path: path.clone(),
                            connect: false,
                            source,
                        },
                    }
                }
                Err(source) => AzureError::Transport {
                    method: method_name.clone(),
                    path: path.clone(),
                    connect: source.is_connect(),
                    source,
                },
            };
            let attempt = Attempt {
                number,
                idempotent,
                fresh_object: call.fresh_object,
                waited,
                config: &self.retry,
            };
            match retry_policy(&error, &attempt) {
                Retry::No => {
                    tracing::debug!(method = %method_name, %path, attempt = number, error = %error, "request failed");
                    return Err(error);
                }
                Retry::After(delay) => {
                    tracing::debug!(
                        method = %method_name, %path, attempt = number, delay_ms = delay.as_millis() as u64,
                        error = %error, "retrying request"
                    );
                    waited += delay;
                    self.counter.count_retry();
                    let sleep = self.retry.scaled(delay);
                    if !sleep.is_zero() {
                        tokio::time::sleep(sleep).await;
                    }
                }
            }
        }
    }

    /// Waits until the budget allows a request of `cost` to `service`.
    pub(crate) async fn pace(&self, service: Service, cost: Cost) {
        let wait = self.pacer.reserve(service, cost);
        if !wait.is_zero() {
            tracing::debug!(?service, wait_ms = wait.as_millis() as u64, "pacing");
            let sleep = self.retry.scaled(wait);
            if !sleep.is_zero() {
                tokio::time::sleep(sleep).await;
            }
        }
    }

    /// Tells the budget what an answer to a request of `cost` said; `charged` says whether its
    /// `x-ms-resource-unit` settles `cost` (a `$batch`'s inner answers settle their own).
    pub(crate) fn observe(
        &self,
        service: Service,
        cost: Cost,
        status: u16,
        headers: &HeaderMap,
        charged: bool,
    ) {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, OffsetDateTime::now_utc()))
            .map(|wait| wait.min(self.retry.max_retry_after));
        let mut observed = Observed::from_headers(status, headers, retry_after);
        if !charged {
            observed.resource_units = None;
        }
        self.pacer.observe(service, cost, &observed);
    }

    /// GETs `url` and every `@odata.nextLink` after it (as-is, until absent; pages may be
    /// empty), collecting `value`.
    pub(crate) async fn get_all_pages<T: DeserializeOwned>(
        &self,
        url: String,
        service: Service,
    ) -> Result<Vec<T>, AzureError> {
        self.get_all_pages_fresh(url, service, false).await
    }

    /// [`HttpCore::get_all_pages`] on a collection of an object this run created. Bounded by
    /// [`ReadLimits`]: no link twice, at most `max_pages` pages, `max_read_time` in all.
    pub(crate) async fn get_all_pages_fresh<T: DeserializeOwned>(
        &self,
        url: String,
        service: Service,
        fresh_object: bool,
    ) -> Result<Vec<T>, AzureError> {
        let mut read = PagedRead::new(&url, service, self.limits)?;
        let mut items = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let call = Call::new(Method::GET, url, service).fresh(fresh_object);
            let page: Page<T> = self.send_within(&call, &read).await?.json()?;
            items.extend(page.value);
            if let Some(link) = page.next_link {
                read.next(&link)?;
                next = Some(link);
            }
        }
        Ok(items)
    }

    /// Sends one page request of `read`, within the time the read has left.
    async fn send_within(&self, call: &Call<'_>, read: &PagedRead) -> Result<Reply, AzureError> {
        let remaining = read.remaining()?;
        tokio::time::timeout(remaining, self.send(call))
            .await
            .map_err(|_| read.timed_out())?
    }

    /// Completes a collection page that came without a request of its own (inside a `$batch`
    /// answer to `url`): follows its `@odata.nextLink` with normal GETs, as-is, until absent,
    /// appending each page's `value` to the first page's, and drops the link. A body without a
    /// nextLink is returned unchanged. Bounded like [`HttpCore::get_all_pages_fresh`].
    pub(crate) async fn complete_pages(
        &self,
        mut first: serde_json::Value,
        url: &str,
        service: Service,
        fresh_object: bool,
    ) -> Result<serde_json::Value, AzureError> {
        let Some(object) = first.as_object_mut() else {
            return Ok(first);
        };
        let Some(link) = object.remove("@odata.nextLink") else {
            return Ok(first);
        };
        let mut items = match object.remove("value") {
            Some(serde_json::Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let mut read = PagedRead::new(url, service, self.limits)?;
        let mut next = link.as_str().map(str::to_owned);
        while let Some(link) = next.take() {
            read.next(&link)?;
            let call = Call::new(Method::GET, link, service).fresh(fresh_object);
            let page: Page<serde_json::Value> = self.send_within(&call, &read).await?.json()?;
            items.extend(page.value);
            next = page.next_link;
        }
        object.insert("value".to_owned(), serde_json::Value::Array(items));
        Ok(first)
    }
}

/// Reads a response body of at most `limit` bytes, chunk by chunk: `None` as soon as it is
/// known to be larger (from `Content-Length`, or when the chunks pass the limit), so an
/// oversized body is never held whole. Zeroized when dropped, like [`Reply::body`].
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Zeroizing<Vec<u8>>>, reqwest::Error> {
    let announced = response.content_length().unwrap_or(0);
    if usize::try_from(announced).map_or(true, |announced| announced > limit) {
        return Ok(None);
    }
    let mut body = Zeroizing::new(Vec::with_capacity(usize::try_from(announced).unwrap_or(0)));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    /// Graph's `@odata.nextLink`, or ARM's `nextLink`.
    #[serde(rename = "@odata.nextLink", alias = "nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorEnvelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(rename = "innerError", default)]
    inner_error: Option<GraphInnerError>,
    #[serde(default)]
    innererror: Option<KeyVaultInnerError>,
    #[serde(default)]
    details: Option<Vec<ErrorDetail>>,
}

#[derive(Deserialize, Default)]
struct GraphInnerError {
    #[serde(rename = "request-id", default)]
    request_id: Option<String>,
}

#[derive(Deserialize, Default)]
struct KeyVaultInnerError {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Parses an error response into the service's typed error.
pub(crate) fn service_error(
    service: Service,
    method: &str,
    path: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> AzureError {
    let envelope: ErrorEnvelope = serde_json::from_slice(body).unwrap_or_default();
    let error = envelope.error.unwrap_or_default();
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, OffsetDateTime::now_utc()));
    let request_id = match service {
        Service::Graph | Service::Arm => header(headers, "request-id")
            .or_else(|| error.inner_error.and_then(|inner| inner.request_id))
            .or_else(|| header(headers, "x-ms-request-id")),
        Service::KeyVault => header(headers, "x-ms-request-id"),
    };
    let correlation_id = match service {
        Service::Arm => header(headers, "x-ms-correlation-request-id"),
        Service::Graph | Service::KeyVault => None,
    };
    AzureError::from(ServiceError {
        code: error.code,
        message: error.message.unwrap_or_default(),
        request_id,
        correlation_id,
        details: error
            .details
            .unwrap_or_default()
            .into_iter()
            .filter_map(|detail| detail.code)
            .collect(),
        inner_code: error.innererror.and_then(|inner| inner.code),
        retry_after,
        ..ServiceError::new(service, method, path, status)
    })
}

/// What a query value keeps unescaped: unreserved characters and the OData punctuation that is
/// safe in a query (`' ( ) , / : $ @ ! *`). Spaces become `%20`, not `+`.
const QUERY_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b'/')
    .remove(b':')
    .remove(b'$')
    .remove(b'@')
    .remove(b'!')
    .remove(b'*');

/// What one path segment keeps unescaped: unreserved characters and `@ ! $ ' ( ) * , ; = :`;
/// `/`, `?`, `#`, `&`, `+` and spaces are escaped.
const PATH_SEGMENT_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':');

/// Percent-encodes a query value (see [`QUERY_KEEPS`]).
pub(crate) fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY_KEEPS).to_string()
}

/// Percent-encodes one path segment (an id, a UPN with `#EXT#`, a name).
pub(crate) fn encode_path(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT_KEEPS).to_string()
}

/// Quotes a string literal for OData (`'` doubled).
pub(crate) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_query_and_path() {
        assert_eq!(
            encode_query("tags/any(t:t eq 'registrar:a b')"),
            "tags/any(t:t%20eq%20'registrar:a%20b')"
        );
        assert_eq!(encode_query("a&b=c+d#"), "a%26b%3Dc%2Bd%23");
        assert_eq!(
            encode_path("jo_x#EXT#@contoso.com"),
            "jo_x%23EXT%23@contoso.com"
        );
        assert_eq!(odata_string("o'neil"), "'o''neil'");
        assert_eq!(encode_path("a/b?c é"), "a%2Fb%3Fc%20%C3%A9");
        assert_eq!(encode_query("x y+é"), "x%20y%2B%C3%A9");
    }

    #[test]
    fn service_error_reads_graph_body() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"bad","innerError":{"request-id":"rid-1"},"details":[{"code":"NoBackingApplicationObject"}]}}"#;
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("3"));
        let error = service_error(
            Service::Graph,
            "POST",
            "/v1.0/servicePrincipals",
            400,
            &headers,
            body,
        );
        let graph = error.service_error().cloned();
        let graph = graph.as_ref();
        assert_eq!(graph.map(|g| g.service), Some(Service::Graph));
        assert_eq!(graph.map(ServiceError::code), Some("Request_BadRequest"));
        assert_eq!(graph.and_then(|g| g.request_id.as_deref()), Some("rid-1"));
        assert_eq!(
            graph.and_then(|g| g.retry_after),
            Some(Duration::from_secs(3))
        );
        assert!(error.has_code("NoBackingApplicationObject"));
    }

    #[test]
    fn service_error_reads_key_vault_body() {
        let body = br#"{"error":{"code":"Conflict","message":"deleted","innererror":{"code":"ObjectIsDeletedButRecoverable"}}}"#;
        let error = service_error(
            Service::KeyVault,
            "PUT",
            "/secrets/x",
            409,
            &HeaderMap::new(),
            body,
        );
        let Some(error) = error
            .service_error()
            .filter(|e| e.service == Service::KeyVault)
        else {
            panic!("not a Key Vault error")
        };
        assert_eq!(
            error.inner_code.as_deref(),
            Some("ObjectIsDeletedButRecoverable")
        );
        assert_eq!(
            error.to_string(),
            "Key Vault: PUT /secrets/x returned 409 Conflict: deleted [ObjectIsDeletedButRecoverable]"
        );
    }

    #[test]
    fn service_error_without_body() {
        let error = service_error(
            Service::Graph,
            "GET",
            "/v1.0/applications",
            503,
            &HeaderMap::new(),
            b"<html>",
        );
        assert_eq!(
            error.to_string(),
            "Microsoft Graph: GET /v1.0/applications returned 503"
        );
    }
}
