//! Idempotent Graph writes of independent changes gathered into `$batch` requests of up to
//! [`crate::batch::MAX_BATCH`]: apply runs changes concurrently, and the writes they send
//! at about the same moment (a federated credential of one application, an update of another)
//! go together in one HTTP request instead of one each.
//!
//! Only writes whose repetition is harmless are gathered (PATCH, PUT, DELETE, an upsert by
//! name): an inner 429, 503 or 504 is resent in a new batch as [`crate::retry`] decides, and an
//! outer failure is retried like a GET, so a write applied twice changes nothing. Non-idempotent
//! POSTs (addPassword, service principal creates, owners `$ref`, app role assignments, grants)
//! are never gathered: they keep their direct requests and their callers' read-back after an
//! ambiguous failure.
//!
//! The first write to arrive starts a task that waits [`GATHER_WINDOW`] for others, then sends what has gathered
//! (alone, as a direct request, when nothing joined it); writes arriving meanwhile go in the
//! next batch. The result each caller gets is the one a direct request would give: the 2xx body
//! or the typed error of its inner answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::batch::{BatchRequest, MAX_BATCH};
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, HttpCore};

/// How long the first write waits for others to join its batch: a fraction of one round trip
/// to Graph, so a lone write is barely delayed.
pub(crate) const GATHER_WINDOW: Duration = Duration::from_millis(3);

struct Queued {
    request: BatchRequest,
    answer: oneshot::Sender<Result<Value, AzureError>>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    /// Whether a caller is gathering and sending (it sends until the queue is empty).
    sending: bool,
}

/// The gathering point of one [`crate::Clients`] (shared by its clones).
#[derive(Default)]
pub(crate) struct WriteBatcher {
    queue: Mutex<Queue>,
}

impl std::fmt::Debug for WriteBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBatcher").finish_non_exhaustive()
    }
}

impl WriteBatcher {
    /// Sends the idempotent write `request` (in a `$batch` with others when they come together)
    /// and returns its 2xx body (`null` without one) or its typed error.
    pub(crate) async fn send(
        &self,
        core: &Arc<HttpCore>,
        request: BatchRequest,
    ) -> Result<Value, AzureError> {
        let (answer, answered) = oneshot::channel();
        let leads = match self.queue.lock() {
            Ok(mut queue) => {
                queue.waiting.push(Queued { request, answer });
                !std::mem::replace(&mut queue.sending, true)
            }
            Err(_) => {
                return Err(AzureError::InvalidRequest(
                    "the write batch queue is unusable".to_owned(),
                ));
            }
        };
        if leads {
            // A task of its own, so the batch goes out even if this caller stops waiting.
            let core = Arc::clone(core);
            tokio::spawn(async move {
                tokio::time::sleep(GATHER_WINDOW).await;
                core.writes.send_until_empty(&core).await;
            });
        }
        answered.await.unwrap_or_else(|_| {
            Err(AzureError::InvalidRequest(
                "a batched write got no answer".to_owned(),
            ))
        })
    }

    async fn send_until_empty(&self, core: &HttpCore) {
        loop {
            let batch: Vec<Queued> = match self.queue.lock() {
                Ok(mut queue) => {
                    if queue.waiting.is_empty() {
                        queue.sending = false;
                        return;
                    }
                    let take = queue.waiting.len().min(MAX_BATCH);
                    queue.waiting.drain(..take).collect()
                }
                Err(_) => return,
            };
            let (requests, answers): (Vec<BatchRequest>, Vec<_>) = batch
                .into_iter()
                .map(|queued| (queued.request, queued.answer))
                .unzip();
            let results = send_gathered(core, &requests).await;
            for (answer, result) in answers.into_iter().zip(results) {
                // A caller that went away no longer needs its answer.
                let _ = answer.send(result);
            }
        }
    }
}

/// Sends gathered writes: one alone as a direct request, more as one `$batch`. One result per
/// request. When the `$batch` itself fails after its retries, each write is sent again on its
/// own (harmless: each is idempotent), so every caller gets the typed error of its own request.
async fn send_gathered(
    core: &HttpCore,
    requests: &[BatchRequest],
) -> Vec<Result<Value, AzureError>> {
    if requests.len() > 1 {
        match core.batch_send(requests, 1).await {
            Ok(results) => return results,
            Err(error) => {
                tracing::debug!(error = %error, writes = requests.len(), "write batch failed: sending each alone");
            }
        }
    }
    futures::future::join_all(requests.iter().map(|request| send_direct(core, request))).await
}

async fn send_direct(core: &HttpCore, request: &BatchRequest) -> Result<Value, AzureError> {
    let url = format!("{}{}", core.endpoints.graph_base, request.path);
    let mut call = Call::new(request.method.clone(), url, Service::Graph)
        .fresh(request.fresh_object)
        .headers(&request.headers);
    if let Some(body) = &request.body {
        call = call.body(body.clone());
    }
    let reply = core.send(&call).await?;
    if reply.body.is_empty() {
        Ok(Value::Null)
    } else {
        reply.json()
    }
}

/// Whether a write may be gathered: repeating it is harmless.
pub(crate) fn gatherable(method: &Method) -> bool {
    matches!(*method, Method::PATCH | Method::PUT | Method::DELETE)
}
