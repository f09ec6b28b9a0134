//! The bench's own HTTP client for the local tenant, apart from Registrar's: it signs in as the
//! automation client with the token the emulator issues (one per audience: Graph, ARM, Key
//! Vault) and sends plain requests. The per-object baseline reads through it, and the harness
//! uses it to look the tenant up and to make the drift. A 429 or 503 is retried after its
//! `Retry-After` (as the terraform provider's client does); every request is counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// How often one request is retried after a 429 or 503 before the bench gives up.
const MAX_ATTEMPTS: u32 = 30;

/// The service a request goes to (each has its own token audience and counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Graph,
    Arm,
    KeyVault,
}

/// Requests sent, per service, and the 429s answered.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) graph: AtomicU64,
    pub(crate) arm: AtomicU64,
    pub(crate) key_vault: AtomicU64,
    pub(crate) throttled: AtomicU64,
}

impl Counts {
    fn count(&self, service: Service) {
        let counter = match service {
            Service::Graph => &self.graph,
            Service::Arm => &self.arm,
            Service::KeyVault => &self.key_vault,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A signed-in client of the local tenant. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Direct {
    client: reqwest::Client,
    base: String,
    graph_token: Arc<str>,
    arm_token: Arc<str>,
    vault_token: Arc<str>,
    pub(crate) counts: Arc<Counts>,
}

impl Direct {
    /// Builds the client and fetches the three tokens (not counted: they are not API requests).
    pub(crate) async fn connect(base: &str, ca_pem: &[u8]) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .tls_certs_only(
                reqwest::Certificate::from_pem_bundle(ca_pem)
                    .context("the local tenant's CA certificate is not PEM")?,
            )
            .build()
            .context("cannot build the HTTP client")?;
        let token = |scope: &'static str| {
            let client = client.clone();
            let base = base.to_owned();
            async move { fetch_token(&client, &base, scope).await }
        };
        Ok(Self {
            graph_token: token("https://graph.microsoft.com/.default").await?.into(),
            arm_token: token("https://management.azure.com/.default").await?.into(),
            vault_token: token("https://vault.azure.net/.default").await?.into(),
            client,
            base: base.trim_end_matches('/').to_owned(),
            counts: Arc::default(),
        })
    }

    /// Sends one request (`target` is a path below the base URL, or an absolute URL such as a
    /// `nextLink`), retrying 429 and 503 after their `Retry-After`. Returns the status and the
    /// JSON body (`Null` when there is none).
    pub(crate) async fn send(
        &self,
        service: Service,
        method: Method,
        target: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let url = if target.starts_with("https://") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        };
        let token = match service {
            Service::Graph => &self.graph_token,
            Service::Arm => &self.arm_token,
            Service::KeyVault => &self.vault_token,
        };
        for _ in 0..MAX_ATTEMPTS {
            let mut request = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(token.as_ref());
            if let Some(body) = body {
                request = request.json(body);
            }
            self.counts.count(service);
            let response = request
                .send()
                .await
                .with_context(|| format!("{method} {url}"))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    self.counts.throttled.fetch_add(1, Ordering::Relaxed);
                }
                let wait = retry_after(response.headers()).unwrap_or(Duration::from_secs(1));
                tokio::time::sleep(wait).await;
                continue;
            }
            let bytes = response
                .bytes()
                .await
                .with_context(|| format!("{method} {url}: reading the body"))?;
            let value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            return Ok((status, value));
        }
        bail!("{method} {url}: still throttled after {MAX_ATTEMPTS} attempts")
    }

    /// A GET that must succeed.
    pub(crate) async fn get(&self, service: Service, target: &str) -> anyhow::Result<Value> {
        let (status, body) = self.send(service, Method::GET, target, None).await?;
        if !status.is_success() {
            bail!("GET {target}: {status}: {body}");
        }
        Ok(body)
    }

    /// Every item of a paged list (`value`, following `@odata.nextLink` or ARM's `nextLink`).
    pub(crate) async fn list(&self, service: Service, target: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut next = Some(target.to_owned());
        while let Some(target) = next.take() {
            let mut page = self.get(service, &target).await?;
            if let Some(Value::Array(values)) = page.get_mut("value").map(Value::take) {
                items.extend(values);
            }
            next = ["@odata.nextLink", "nextLink"]
                .iter()
                .find_map(|field| page[field].as_str().map(str::to_owned));
        }
        Ok(items)
    }
}

/// A client-credentials token of the automation client for `scope`.
async fn fetch_token(client: &reqwest::Client, base: &str, scope: &str) -> anyhow::Result<String> {
    let tenant = registrar_emulator::well_known_tenant();
    let response = client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            base.trim_end_matches('/'),
            tenant.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", tenant.client_id.as_str()),
            ("client_secret", tenant.client_secret.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .context("cannot reach the token endpoint")?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .context("the token endpoint's answer is not JSON")?;
    match body["access_token"].as_str() {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        // The body of a refusal carries no secret (AADSTS code and text).
        _ => bail!("no token for {scope}: {status}: {}", body["error"]),
    }
}

/// The `Retry-After` of a response, in seconds (decimals accepted).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map(Duration::from_secs_f64)
}
