//! [`AzureConfig`] and [`Clients`]: building the shared HTTP core, the credential and the
//! per-service clients from one configuration.

use std::fmt;
use std::sync::Arc;

use azure_core::http::HttpClient;

use crate::arm::ArmClient;
use crate::auth::{CredentialFactory, CredentialKind, TokenProvider};
use crate::budget::{Pacer, PacingConfig};
use crate::endpoints::Endpoints;
use crate::error::AzureError;
use crate::graph::GraphClient;
use crate::http::{HttpCore, RequestCounter, RequestStats, build_reqwest_client};
use crate::key_vault::KeyVaultClient;
use crate::limits::ReadLimits;
use crate::retry::RetryConfig;

/// Everything needed to talk to one tenant.
pub struct AzureConfig {
    /// Where the services are.
    pub(crate) endpoints: Endpoints,
    /// How to authenticate.
    pub(crate) credential: CredentialKind,
    /// Retry tunables ([`RetryConfig::default`] unless set with [`AzureConfig::with_retry`]).
    pub(crate) retry: RetryConfig,
    /// Bounds on pages, body size and read time ([`ReadLimits::default`] unless set with
    /// [`AzureConfig::with_read_limits`]).
    pub(crate) read_limits: ReadLimits,
    /// How many reads the snapshot keeps in flight.
    pub(crate) concurrency: usize,
    /// The Graph and ARM budgets every request waits for ([`PacingConfig::default`]: Graph as
    /// a class S tenant, unless set with [`AzureConfig::with_pacing`]).
    pub(crate) pacing: PacingConfig,
    /// Whether idempotent Graph writes of concurrent changes go together in `$batch` requests
    /// (on unless set with [`AzureConfig::with_write_batching`]).
    pub(crate) batch_writes: bool,
    /// Replaces the HTTP client azure_identity's credentials send token requests through
    /// (tests point an https authority at a plain-http stub this way). `None`: our reqwest
    /// client, which trusts the extra CA.
    pub(crate) token_transport: Option<Arc<dyn HttpClient>>,
}

impl fmt::Debug for AzureConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfig")
            .field("endpoints", &self.endpoints)
            .field("credential", &self.credential)
            .field("retry", &self.retry)
            .field("read_limits", &self.read_limits)
            .field("concurrency", &self.concurrency)
            .field("pacing", &self.pacing)
            .field("batch_writes", &self.batch_writes)
            .field("token_transport", &self.token_transport.is_some())
            .finish()
    }
}

impl AzureConfig {
    /// A configuration with the default retry tunables and 8 reads in flight.
    pub fn new(endpoints: Endpoints, credential: CredentialKind) -> Self {
        Self {
            endpoints,
            credential,
            retry: RetryConfig::default(),
            read_limits: ReadLimits::default(),
            concurrency: 8,
            pacing: PacingConfig::default(),
            batch_writes: true,
            token_transport: None,
        }
    }

    /// Whether idempotent Graph writes of concurrent changes are gathered into `$batch`
    /// requests of up to 20 (on by default).
    pub fn with_write_batching(mut self, batch_writes: bool) -> Self {
        self.batch_writes = batch_writes;
        self
    }

    /// Sets the Graph and ARM budgets (e.g. [`PacingConfig::for_class`] for a larger tenant).
    pub fn with_pacing(mut self, pacing: PacingConfig) -> Self {
        self.pacing = pacing;
        self
    }

    /// Sets the bounds on pages, body size and read time (tests set small ones).
    pub fn with_read_limits(mut self, read_limits: ReadLimits) -> Self {
        self.read_limits = read_limits;
        self
    }

    /// Sets the retry tunables.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Sends token requests through `transport` instead of our reqwest client.
    pub fn with_token_transport(mut self, transport: Arc<dyn HttpClient>) -> Self {
        self.token_transport = Some(transport);
        self
    }
}

/// The Graph, Key Vault and ARM clients of one tenant, sharing one HTTP client, token cache, retry
/// policy and request counter. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Microsoft Graph.
    pub graph: GraphClient,
    /// Key Vault.
    pub(crate) key_vault: KeyVaultClient,
    /// Azure Resource Manager (RBAC).
    pub arm: ArmClient,
    pub(crate) core: Arc<HttpCore>,
    pub(crate) concurrency: usize,
    configured_tenant: Option<String>,
}

impl Clients {
    /// Builds the clients. Nothing is sent yet; the first request fetches a token.
    pub fn new(config: AzureConfig) -> Result<Self, AzureError> {
        let client = build_reqwest_client(&config.endpoints, config.retry.request_timeout)?;
        let counter = Arc::new(RequestCounter::default());
        let transport: Arc<dyn HttpClient> = match config.token_transport {
            Some(transport) => transport,
            None => Arc::new(client.clone()),
        };
        let factory = CredentialFactory::new(
            &config.endpoints,
            transport,
            counter.clone(),
            config.retry.delay_scale > 0.0,
        );
        let credential = factory.build(&config.credential)?;
        let core = Arc::new(HttpCore {
            client,
            tokens: TokenProvider::new(credential, config.endpoints.clone()),
            endpoints: config.endpoints,
            retry: config.retry,
            limits: config.read_limits,
            counter,
            pacer: Pacer::new(&config.pacing),
            writes: crate::write_batch::WriteBatcher::default(),
            batch_writes: config.batch_writes,
        });
        Ok(Self {
            graph: GraphClient::new(core.clone(), config.concurrency),
            key_vault: KeyVaultClient::new(core.clone()),
            arm: ArmClient::new(core.clone()),
            core,
            concurrency: config.concurrency.max(1),
            configured_tenant: config.credential.configured_tenant(),
        })
    }

    /// Requests sent so far (Graph, Key Vault, ARM, token requests; retries included).
    pub fn stats(&self) -> RequestStats {
        self.core.counter.stats()
    }

    /// The total number of requests sent so far.
    pub fn request_count(&self) -> u64 {
        self.stats().total
    }

    /// The tenant id that `tenant` (an id or a domain such as `contoso.onmicrosoft.com`) names,
    /// from the authority's OpenID configuration (`{authority}/{tenant}/v2.0/.well-known/
    /// openid-configuration`, whose `issuer` carries the id). A GUID is returned as it is,
    /// without a request.
    pub async fn resolve_tenant_id(&self, tenant: &str) -> Result<String, AzureError> {
        if registrar_model::Guid::parse(tenant).is_some() {
            return Ok(tenant.to_ascii_lowercase());
        }
        let authority = self
            .core
            .endpoints
            .authority_host
            .trim_end_matches('/')
            .to_owned();
        let unknown = || AzureError::UnknownTenant {
            tenant: tenant.to_owned(),
            authority: authority.clone(),
        };
        let path = format!("/{tenant}/v2.0/.well-known/openid-configuration");
        let url = format!("{authority}{path}");
        // Counted with the token requests: both go to the identity platform.
        self.core.counter.count_token();
        let response =
            self.core
                .client
                .get(&url)
                .send()
                .await
                .map_err(|source| AzureError::Transport {
                    method: "GET".to_owned(),
                    path: path.clone(),
                    connect: source.is_connect(),
                    source,
                })?;
        if !response.status().is_success() {
            return Err(unknown());
        }
        #[derive(serde::Deserialize)]
        struct OpenIdConfiguration {
            issuer: String,
        }
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| AzureError::Transport {
                method: "GET".to_owned(),
                path: path.clone(),
                connect: false,
                source,
            })?;
        let configuration: OpenIdConfiguration =
            serde_json::from_slice(&bytes).map_err(|source| AzureError::Decode {
                method: "GET".to_owned(),
                path: path.clone(),
                status,
                source,
            })?;
        // `https://login.microsoftonline.com/{tenant id}/v2.0`
        configuration
            .issuer
            .split('/')
            .find(|segment| registrar_model::Guid::parse(segment).is_some())
            .map(str::to_ascii_lowercase)
            .ok_or_else(unknown)
    }

    /// The tenant id: the Graph token's `tid` claim when the token is a JWT, else the tenant
    /// the credential is configured for.
    pub async fn tenant_id(&self) -> Option<String> {
        match self.core.tokens.token_tenant().await {
            Some(tenant) => Some(tenant),
            None => self.configured_tenant.clone(),
        }
    }
}
