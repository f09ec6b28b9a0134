//! Authentication through azure_identity 1.0: the selectable [`CredentialKind`], our own
//! credential chain (azure_identity 1.0 has no DefaultAzureCredential), and a token cache per
//! audience ([`Service`]).
//!
//! Every credential that talks HTTP (client secret, workload identity, managed identity) sends
//! its requests through our reqwest client (which trusts the local tenant's CA), wrapped so each
//! token request is counted. The authority host comes from [`Endpoints`]. Tokens are never
//! logged; they leave this module only as a sensitive `Authorization` header value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::{
    AsyncRawResponse, ClientOptions, HttpClient, Request, RetryOptions, Transport,
};
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use base64::Engine;
use reqwest::header::HeaderValue;
use time::OffsetDateTime;

use crate::endpoints::{Endpoints, Service};
use crate::error::AzureError;
use crate::http::RequestCounter;
use crate::secret::SecretValue;

/// Refresh a cached token when it expires sooner than this.
const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

/// Which credential to authenticate with.
pub enum CredentialKind {
    /// A service principal secret from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_CLIENT_SECRET` (azure_identity's `ClientSecretCredential`).
    Environment,
    /// Workload identity federation (GitHub Actions, AKS): `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`
    /// and `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity,
    /// The managed identity of the Azure host (IMDS or App Service).
    ManagedIdentity {
        /// The client id of a user-assigned identity; `None` for the system-assigned one.
        client_id: Option<String>,
    },
    /// The developer's Azure CLI (`az`) or Azure Developer CLI (`azd`) login.
    DeveloperTools,
    /// The standard order: environment secret, workload identity, managed identity (user-assigned
    /// when `AZURE_CLIENT_ID` is set), developer tools. The first credential that yields a token
    /// is used from then on; if none does, the error lists what each one said.
    Chain,
    /// An explicit service principal secret (the local tenant's bootstrap credential).
    ClientSecret {
        /// Tenant id.
        tenant_id: String,
        /// The client (application) id.
        client_id: String,
        /// The secret.
        secret: SecretValue,
    },
}

impl fmt::Debug for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialKind::Environment => f.write_str("Environment"),
            CredentialKind::WorkloadIdentity => f.write_str("WorkloadIdentity"),
            CredentialKind::ManagedIdentity { client_id } => f
                .debug_struct("ManagedIdentity")
                .field("client_id", client_id)
                .finish(),
            CredentialKind::DeveloperTools => f.write_str("DeveloperTools"),
            CredentialKind::Chain => f.write_str("Chain"),
            CredentialKind::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("secret", secret)
                .finish(),
        }
    }
}

impl CredentialKind {
    /// The tenant this credential is configured for, when it says (explicit secret, or
    /// `AZURE_TENANT_ID` for the environment-based kinds).
    pub(crate) fn configured_tenant(&self) -> Option<String> {
        match self {
            CredentialKind::ClientSecret { tenant_id, .. } => Some(tenant_id.clone()),
            CredentialKind::Environment
            | CredentialKind::WorkloadIdentity
            | CredentialKind::Chain => std::env::var("AZURE_TENANT_ID")
                .ok()
                .filter(|tenant| !tenant.is_empty()),
            _ => None,
        }
    }
}

/// Counts every request an azure_identity credential sends, then hands it to the real client.
#[derive(Debug)]
struct CountingTransport {
    inner: Arc<dyn HttpClient>,
    counter: Arc<RequestCounter>,
}

#[async_trait::async_trait]
impl HttpClient for CountingTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.counter.count_token();
        self.inner.execute_request(request).await
    }
}

/// Builds azure_identity credentials that share one transport and authority host.
pub(crate) struct CredentialFactory {
    client_options: ClientOptions,
}

impl CredentialFactory {
    /// `transport` is our reqwest client (or a test override); `retry_delays` false turns off
    /// azure_core's own retries of token requests (tests).
    pub(crate) fn new(
        endpoints: &Endpoints,
        transport: Arc<dyn HttpClient>,
        counter: Arc<RequestCounter>,
        retry_delays: bool,
    ) -> Self {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = endpoints.authority_host.clone();
        let counting: Arc<dyn HttpClient> = Arc::new(CountingTransport {
            inner: transport,
            counter,
        });
        let client_options = ClientOptions {
            transport: Some(Transport::new(counting)),
            cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
            retry: if retry_delays {
                RetryOptions::default()
            } else {
                RetryOptions::none()
            },
            ..Default::default()
        };
        Self { client_options }
    }

    pub(crate) fn build(
        &self,
        kind: &CredentialKind,
    ) -> Result<Arc<dyn TokenCredential>, AzureError> {
        let config_error = |what: &str, source: azure_core::Error| AzureError::Config {
            message: format!("could not set up the {what} credential"),
            source: Some(Box::new(source)),
        };
        match kind {
            CredentialKind::Environment => self
                .environment()
                .map_err(|source| config_error("environment", source)),
            CredentialKind::WorkloadIdentity => self
                .workload_identity()
                .map_err(|source| config_error("workload identity", source)),
            CredentialKind::ManagedIdentity { client_id } => self
                .managed_identity(client_id.clone())
                .map_err(|source| config_error("managed identity", source)),
            CredentialKind::DeveloperTools => {
                let credential: Arc<dyn TokenCredential> = DeveloperToolsCredential::new(None)
                    .map_err(|source| config_error("developer tools", source))?;
                Ok(credential)
            }
            CredentialKind::Chain => Ok(Arc::new(self.chain())),
            CredentialKind::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => self
                .client_secret(tenant_id, client_id, secret.expose_secret())
                .map_err(|source| config_error("client secret", source)),
        }
    }

    fn client_secret(
        &self,
        tenant_id: &str,
        client_id: &str,
        secret: &str,
    ) -> azure_core::Result<Arc<dyn TokenCredential>> {
        let credential = ClientSecretCredential::new(
            tenant_id,
            client_id.to_owned(),
            Secret::new(secret.to_owned()),
            Some(ClientSecretCredentialOptions {
                client_options: self.client_options.clone(),
            }),
        )?;
        Ok(credential)
    }

    fn environment(&self) -> azure_core::Result<Arc<dyn TokenCredential>> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.is_empty())
                .ok_or_else(|| {
                    azure_core::Error::with_message(
                        ErrorKind::Credential,
                        format!("{name} is not set"),
                    )
                })
        };
        let tenant_id = var("AZURE_TENANT_ID")?;
        let client_id = var("AZURE_CLIENT_ID")?;
        let secret = SecretValue::new(var("AZURE_CLIENT_SECRET")?);
        self.client_secret(&tenant_id, &client_id, secret.expose_secret())
    }

    fn workload_identity(&self) -> azure_core::Result<Arc<dyn TokenCredential>> {
        let options = WorkloadIdentityCredentialOptions {
            credential_options: ClientAssertionCredentialOptions {
                client_options: self.client_options.clone(),
            },
            ..Default::default()
        };
        let credential = WorkloadIdentityCredential::new(Some(options))?;
        Ok(credential)
    }

    fn managed_identity(
        &self,
        client_id: Option<String>,
    ) -> azure_core::Result<Arc<dyn TokenCredential>> {
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: client_id.map(UserAssignedId::ClientId),
            client_options: self.client_options.clone(),
        };
        let credential = ManagedIdentityCredential::new(Some(options))?;
        Ok(credential)
    }

    fn chain(&self) -> ChainCredential {
        let managed_identity_client = std::env::var("AZURE_CLIENT_ID")
            .ok()
            .filter(|id| !id.is_empty());
        let source = |name: &'static str,
                      credential: azure_core::Result<Arc<dyn TokenCredential>>,
                      probe| ChainSource {
            name,
            credential: credential.map_err(|error| error.to_string()),
            probe,
        };
        let sources = vec![
            source("environment", self.environment(), None),
            source("workload identity", self.workload_identity(), None),
            // Off Azure, nothing answers at the IMDS address and the request would hang through
            // azure_core's retries; while the chain is still choosing, give it a few seconds.
            source(
                "managed identity",
                self.managed_identity(managed_identity_client),
                Some(MANAGED_IDENTITY_PROBE),
            ),
            source(
                "developer tools",
                DeveloperToolsCredential::new(None)
                    .map(|credential| credential as Arc<dyn TokenCredential>),
                None,
            ),
        ];
        ChainCredential {
            sources,
            chosen: AtomicUsize::new(usize::MAX),
        }
    }
}

/// Tries credentials in order; the first that yields a token is used from then on.
/// How long the chain waits for a managed identity token before moving on, while choosing.
const MANAGED_IDENTITY_PROBE: Duration = Duration::from_secs(5);

/// A credential of the chain.
struct ChainSource {
    name: &'static str,
    /// The credential, or why it could not be set up.
    credential: Result<Arc<dyn TokenCredential>, String>,
    /// A time limit for the first token while the chain is choosing.
    probe: Option<Duration>,
}

struct ChainCredential {
    /// Each credential, or why it could not be set up.
    sources: Vec<ChainSource>,
    chosen: AtomicUsize,
}

impl fmt::Debug for ChainCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainCredential")
            .field(
                "sources",
                &self
                    .sources
                    .iter()
                    .map(|source| source.name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for ChainCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let chosen = self.chosen.load(Ordering::Relaxed);
        if let Some(ChainSource {
            credential: Ok(credential),
            ..
        }) = self.sources.get(chosen)
        {
            return credential.get_token(scopes, options).await;
        }
        let mut failures = Vec::new();
        for (index, source) in self.sources.iter().enumerate() {
            let credential = match &source.credential {
                Ok(credential) => credential,
                Err(reason) => {
                    failures.push(format!("{}: {}", source.name, first_line(reason)));
                    continue;
                }
            };
            let attempt = credential.get_token(scopes, options.clone());
            let result = match source.probe {
                Some(limit) => match tokio::time::timeout(limit, attempt).await {
                    Ok(result) => result,
                    Err(_) => {
                        failures.push(format!(
                            "{}: no answer within {} s",
                            source.name,
                            limit.as_secs()
                        ));
                        continue;
                    }
                },
                None => attempt.await,
            };
            match result {
                Ok(token) => {
                    tracing::debug!(
                        credential = source.name,
                        "credential chain: using this credential"
                    );
                    self.chosen.store(index, Ordering::Relaxed);
                    return Ok(token);
                }
                Err(error) => failures.push(format!(
                    "{}: {}",
                    source.name,
                    first_line(&error.to_string())
                )),
            }
        }
        Err(azure_core::Error::with_message(
            ErrorKind::Credential,
            format!(
                "no credential in the chain produced a token ({})",
                failures.join("; ")
            ),
        ))
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Hands out tokens per audience, cached until [`REFRESH_MARGIN`] before they expire.
pub(crate) struct TokenProvider {
    credential: Arc<dyn TokenCredential>,
    endpoints: Endpoints,
    cache: HashMap<Service, tokio::sync::Mutex<Option<AccessToken>>>,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProvider").finish_non_exhaustive()
    }
}

impl TokenProvider {
    pub(crate) fn new(credential: Arc<dyn TokenCredential>, endpoints: Endpoints) -> Self {
        let cache = [Service::Graph, Service::Arm, Service::KeyVault]
            .into_iter()
            .map(|audience| (audience, tokio::sync::Mutex::new(None)))
            .collect();
        Self {
            credential,
            endpoints,
            cache,
        }
    }

    /// The `Authorization: Bearer …` header value for `audience`, marked sensitive.
    pub(crate) async fn authorization(&self, audience: Service) -> Result<HeaderValue, AzureError> {
        let token = self.token(audience).await?;
        let mut value =
            HeaderValue::try_from(format!("Bearer {}", token.token.secret())).map_err(|_| {
                AzureError::Auth {
                    audience,
                    source: azure_core::Error::with_message(
                        ErrorKind::Credential,
                        "the token is not a valid header value",
                    ),
                }
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    async fn token(&self, audience: Service) -> Result<AccessToken, AzureError> {
        let Some(slot) = self.cache.get(&audience) else {
            return Err(AzureError::InvalidRequest(format!(
                "no token cache for {audience}"
            )));
        };
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref()
            && token.expires_on - REFRESH_MARGIN > OffsetDateTime::now_utc()
        {
            return Ok(token.clone());
        }
        let scope = self.endpoints.scopes.for_audience(audience);
        let token = self
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|source| AzureError::Auth { audience, source })?;
        tracing::debug!(%audience, expires_on = %token.expires_on, "obtained a token");
        *cached = Some(token.clone());
        Ok(token)
    }

    /// The tenant id (`tid` claim) of the Graph token, when it is a JWT.
    pub(crate) async fn token_tenant(&self) -> Option<String> {
        let token = self.token(Service::Graph).await.ok()?;
        jwt_claim(token.token.secret(), "tid")
    }

    /// The decoded payload of the token for `audience`, when it is a JWT (not verified: only
    /// read for our own claims).
    pub(crate) async fn token_payload(&self, audience: Service) -> Option<serde_json::Value> {
        let token = self.token(audience).await.ok()?;
        jwt_payload(token.token.secret())
    }

    /// A string claim of the Graph token (e.g. `oid`, `idtyp`), when it is a JWT.
    pub(crate) async fn token_claim(&self, claim: &str) -> Option<String> {
        let token = self.token(Service::Graph).await.ok()?;
        jwt_claim(token.token.secret(), claim)
    }
}

/// A JWT's payload, decoded without verifying it (only for display, ids and our own roles).
fn jwt_payload(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Reads a string claim from a JWT's payload without verifying it (only for display/ids).
fn jwt_claim(jwt: &str, claim: &str) -> Option<String> {
    jwt_payload(jwt)?.get(claim)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_claim_reads_tid() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"tid":"t-1","aud":"x"}"#);
        assert_eq!(
            jwt_claim(&format!("h.{payload}.s"), "tid").as_deref(),
            Some("t-1")
        );
        assert_eq!(jwt_claim("opaque", "tid"), None);
    }

    #[test]
    fn credential_kind_debug_hides_secret() {
        let kind = CredentialKind::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: SecretValue::new("s3cr3t-value".into()),
        };
        let printed = format!("{kind:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("***"));
    }
}
