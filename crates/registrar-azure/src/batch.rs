//! Graph JSON batching (docs/azure-behaviour.md, "JSON batching"): many GETs sent as `POST /$batch` requests of at most
//! [`MAX_BATCH`] inner requests each, and idempotent writes of independent changes gathered the
//! same way ([`crate::write_batch`]).
//!
//! # How a batch is sent and retried
//! - Inner URLs are relative to the Graph version root (`/applications/{id}/owners?$select=id`).
//!   Each inner request's `id` is its position in the caller's list; answers are matched by id,
//!   whatever their order.
//! - An outer `POST /$batch` that carries only GETs or idempotent writes (PATCH, PUT, DELETE,
//!   an upsert by name) is sent as an idempotent request through the shared retry loop: an
//!   outer 429, 503, 504 or connection error is retried like a GET. When it still fails, the
//!   whole call fails. Non-idempotent POSTs are never batched: they keep their direct requests
//!   and the ambiguity handling of their callers.
//! - Graph answers 200 even when inner requests fail. An inner non-2xx is parsed into the same
//!   typed [`crate::ServiceError`] a direct request would get (code, message, request-id and
//!   `Retry-After` from the inner headers and body; the path is the inner URL's path under the
//!   version root), then handed to [`retry_policy`] with that inner request's own attempt number,
//!   waiting so far, idempotence and read-your-writes flag: the same rules and limits as a
//!   direct request.
//! - Inner requests the policy wants retried are resent together in a new `$batch` after the
//!   **longest** of their delays; the others are not resent.
//! - A 2xx inner collection page with `@odata.nextLink` is completed with normal GETs (same
//!   origin only, never the same page twice), its pages' `value`s joined into one.
//! - Counting: each outer POST counts as one Graph request (retries and resends included, a
//!   resend counts as a retry); [`crate::RequestStats::batched`] counts the inner requests.

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::budget::{Cost, graph_cost};
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, HttpCore, service_error};
use crate::retry::{Attempt, Retry, retry_policy};

/// Graph's limit of inner requests in one `$batch`.
pub(crate) const MAX_BATCH: usize = 20;

/// One GET to send inside a `$batch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchGet {
    /// Relative to the Graph version root, starting with `/`, query included:
    /// `/applications/{id}/owners?$select=id`.
    pub(crate) path: String,
    /// The request reads an object this run created or restored, so a "not found" is retried
    /// as replication lag (see the retry rules, [`crate::RetryConfig`]).
    pub(crate) fresh_object: bool,
}

impl BatchGet {
    /// A GET of `path` (relative, e.g. `/applications/{id}`).
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            fresh_object: false,
        }
    }

    /// Marks the request as reading an object this run created.
    pub fn fresh(mut self, fresh_object: bool) -> Self {
        self.fresh_object = fresh_object;
        self
    }
}

impl From<String> for BatchGet {
    fn from(path: String) -> Self {
        Self::new(path)
    }
}

impl From<&str> for BatchGet {
    fn from(path: &str) -> Self {
        Self::new(path)
    }
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    responses: Vec<InnerAnswer>,
}

#[derive(Deserialize)]
struct InnerAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
}

/// One inner request of a `$batch`: a GET or an idempotent write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchRequest {
    pub(crate) method: Method,
    /// Relative to the Graph version root, query included.
    pub(crate) path: String,
    pub(crate) body: Option<Value>,
    pub(crate) headers: Vec<(&'static str, &'static str)>,
    pub(crate) fresh_object: bool,
    /// Whether repeating it is harmless (every batched request so far is).
    pub(crate) idempotent: bool,
}

impl From<&BatchGet> for BatchRequest {
    fn from(get: &BatchGet) -> Self {
        Self {
            method: Method::GET,
            path: get.path.clone(),
            body: None,
            headers: Vec::new(),
            fresh_object: get.fresh_object,
            idempotent: true,
        }
    }
}

impl BatchRequest {
    /// The entry of a `$batch` body, with id `id`.
    fn entry(&self, id: usize) -> Value {
        let mut entry =
            json!({"id": id.to_string(), "method": self.method.as_str(), "url": self.path});
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            headers.insert((*name).to_owned(), json!(value));
        }
        if let Some(body) = &self.body {
            headers.insert("Content-Type".to_owned(), json!("application/json"));
            entry["body"] = body.clone();
        }
        if !headers.is_empty() {
            entry["headers"] = Value::Object(headers);
        }
        entry
    }
}

/// An inner request still to be answered.
struct Pending<'r> {
    index: usize,
    request: &'r BatchRequest,
    /// 1 for the first try.
    attempt: u32,
    waited: Duration,
}

type Answered = (usize, Result<Value, AzureError>);

impl HttpCore {
    /// Sends `requests` as GETs in `$batch` requests of at most [`MAX_BATCH`], `concurrency`
    /// batches in flight. Returns one result per request, in the order given: the 2xx body (a
    /// collection with every page's `value`; `null` when the answer had no body) or the typed
    /// error. `Err` when a `$batch` request itself failed after its retries.
    pub(crate) async fn batch_get(
        &self,
        requests: &[BatchGet],
        concurrency: usize,
    ) -> Result<Vec<Result<Value, AzureError>>, AzureError> {
        let requests: Vec<BatchRequest> = requests.iter().map(BatchRequest::from).collect();
        self.batch_send(&requests, concurrency).await
    }

    /// Sends `requests` (GETs or idempotent writes) in `$batch` requests of at most
    /// [`MAX_BATCH`], as [`HttpCore::batch_get`] does: one result per request, in order.
    pub(crate) async fn batch_send(
        &self,
        requests: &[BatchRequest],
        concurrency: usize,
    ) -> Result<Vec<Result<Value, AzureError>>, AzureError> {
        let mut results: Vec<Option<Result<Value, AzureError>>> =
            requests.iter().map(|_| None).collect();
        let mut valid = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            if request.path.starts_with('/') && !request.path.contains("://") {
                valid.push((index, request));
            } else {
                results[index] = Some(Err(AzureError::InvalidRequest(format!(
                    "a $batch URL must be relative to the version root: `{}`",
                    request.path
                ))));
            }
        }
        // The futures are collected first (see `snapshot`): a closure inside the stream would
        // make the future lose `Send`.
        let chunks: Vec<_> = valid
            .chunks(MAX_BATCH)
            .map(|chunk| self.send_chunk(chunk))
            .collect();
        let answered: Vec<Vec<Answered>> = stream::iter(chunks)
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
        for (index, result) in answered.into_iter().flatten() {
            results[index] = Some(result);
        }
        Ok(results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(AzureError::InvalidRequest(
                        "a $batch request got no result".to_owned(),
                    ))
                })
            })
            .collect())
    }

    /// One chunk of at most [`MAX_BATCH`]: sent, then its retryable failures resent until each
    /// inner request has an answer the policy accepts.
    async fn send_chunk(
        &self,
        chunk: &[(usize, &BatchRequest)],
    ) -> Result<Vec<Answered>, AzureError> {
        let batch_url = format!("{}/$batch", self.endpoints.graph_base);
        let mut pending: Vec<Pending<'_>> = chunk
            .iter()
            .map(|(index, request)| Pending {
                index: *index,
                request,
                attempt: 1,
                waited: Duration::ZERO,
            })
            .collect();
        let mut answered: Vec<Answered> = Vec::with_capacity(chunk.len());
        let mut completed: Vec<(usize, Value, &BatchRequest)> = Vec::new();
        while !pending.is_empty() {
            let entries: Vec<Value> = pending
                .iter()
                .map(|item| item.request.entry(item.index))
                .collect();
            let cost: Cost = pending
                .iter()
                .map(|item| graph_cost(&item.request.method, &item.request.path))
                .sum();
            let idempotent = pending.iter().all(|item| item.request.idempotent);
            let call = Call::new(Method::POST, batch_url.clone(), Service::Graph)
                .body(json!({ "requests": entries }))
                .idempotent(idempotent)
                .cost(cost);
            let reply = self.send(&call).await?;
            self.counter.count_batched(pending.len());
            let answer: BatchAnswer = reply.json()?;
            let mut by_id: HashMap<String, InnerAnswer> = answer
                .responses
                .into_iter()
                .map(|inner| (inner.id.to_ascii_lowercase(), inner))
                .collect();
            let mut again = Vec::new();
            let mut wait = Duration::ZERO;
            for item in pending {
                let Some(inner) = by_id.remove(&item.index.to_string()) else {
                    answered.push((item.index, Err(self.missing_answer(&item))));
                    continue;
                };
                self.observe(
                    Service::Graph,
                    graph_cost(&item.request.method, &item.request.path),
                    inner.status,
                    &inner_headers(&inner),
                    true,
                );
                if (200..300).contains(&inner.status) {
                    completed.push((item.index, inner.body.unwrap_or(Value::Null), item.request));
                    continue;
                }
                let error = self.inner_error(item.request, &inner);
                let attempt = Attempt {
                    number: item.attempt,
                    idempotent: item.request.idempotent,
                    fresh_object: item.request.fresh_object,
                    waited: item.waited,
                    config: &self.retry,
                };
                match retry_policy(&error, &attempt) {
                    Retry::No => {
                        tracing::debug!(path = %item.request.path, attempt = item.attempt, error = %error, "batched request failed");
                        answered.push((item.index, Err(error)));
                    }
                    Retry::After(delay) => {
                        tracing::debug!(
                            path = %item.request.path, attempt = item.attempt,
                            delay_ms = delay.as_millis() as u64, error = %error, "resending batched request"
                        );
                        wait = wait.max(delay);
                        again.push(item);
                    }
                }
            }
            if !again.is_empty() {
                for item in &mut again {
                    item.attempt += 1;
                    item.waited += wait;
                }
                self.counter.count_retry();
                let sleep = self.retry.scaled(wait);
                if !sleep.is_zero() {
                    tokio::time::sleep(sleep).await;
                }
            }
            pending = again;
        }
        for (index, body, request) in completed {
            if request.method != Method::GET {
                answered.push((index, Ok(body)));
                continue;
            }
            let url = format!("{}{}", self.endpoints.graph_base, request.path);
            let result = self
                .complete_pages(body, &url, Service::Graph, request.fresh_object)
                .await;
            answered.push((index, result));
        }
        Ok(answered)
    }

    /// The typed error of a failed inner request, as a direct GET of it would get.
    fn inner_error(&self, request: &BatchRequest, inner: &InnerAnswer) -> AzureError {
        let headers = inner_headers(inner);
        let body = match &inner.body {
            Some(Value::String(text)) => text.clone().into_bytes(),
            Some(body) => serde_json::to_vec(body).unwrap_or_default(),
            None => Vec::new(),
        };
        service_error(
            Service::Graph,
            request.method.as_str(),
            &self.inner_path(&request.path),
            inner.status,
            &headers,
            &body,
        )
    }

    /// A `$batch` answer that leaves an inner request out (Graph answers every one).
    fn missing_answer(&self, item: &Pending<'_>) -> AzureError {
        AzureError::Decode {
            method: "POST".to_owned(),
            path: self.inner_path("/$batch"),
            status: 200,
            source: serde::de::Error::custom(format!(
                "no answer for inner request {} ({} {})",
                item.index, item.request.method, item.request.path
            )),
        }
    }

    /// The URL path a direct request would have (`/v1.0/applications/x/owners`, no query).
    fn inner_path(&self, relative: &str) -> String {
        let url = format!("{}{relative}", self.endpoints.graph_base);
        match reqwest::Url::parse(&url) {
            Ok(url) => url.path().to_owned(),
            Err(_) => relative.split('?').next().unwrap_or(relative).to_owned(),
        }
    }
}

/// An inner answer's headers as a header map (names lowercased; numbers as text).
fn inner_headers(inner: &InnerAnswer) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in &inner.headers {
        let value = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => continue,
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_get_from_paths() {
        let request = BatchGet::from("/applications/a").fresh(true);
        assert_eq!(request.path, "/applications/a");
        assert!(request.fresh_object);
        assert!(!BatchGet::from("/x".to_owned()).fresh_object);
    }
}
