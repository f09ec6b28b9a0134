//! The local tenant: a Microsoft Entra ID / Microsoft Graph v1.0, Azure Key Vault, Azure Resource
//! Manager (`Microsoft.Authorization`) and token endpoint emulator that speaks the real wire format, so that the official Microsoft SDKs and
//! Registrar's own client work against it unchanged. It is how tests, benchmarks and the `--local`
//! quick start run without reaching Azure.
//!
//! # Brief overview
//! [`Emulator::new`] loads a tenant from an [`EmulatorConfig::state_file`] or seeds a fresh one
//! (Microsoft Graph and the other first-party APIs from `registrar-catalog`, a few users, and the
//! automation client whose well-known credentials [`Emulator::tenant`] returns as [`TenantInfo`]).
//! [`Emulator::router`] is the axum router (for `tower::ServiceExt::oneshot` tests);
//! [`Emulator::serve`] serves it over HTTPS with a freshly generated CA and returns a
//! [`RunningEmulator`] with the base URL and the CA certificate to trust. [`Faults`] inject
//! latency, throttling, 503s, replication lag and Key Vault denials; request counters
//! ([`Emulator::request_counts`]) let tests assert how many calls a client made.
//!
//! Routes, all on one port:
//! - `POST /{tenant}/oauth2/v2.0/token` (client credentials), `GET /{tenant}/v2.0/.well-known/openid-configuration`,
//!   `GET /common/discovery/instance`;
//! - Graph at `/v1.0/…` (applications, servicePrincipals, owners, users, directoryObjects,
//!   directory/deletedItems, addPassword/removePassword, federatedIdentityCredentials, admin
//!   consent through appRoleAssignedTo/appRoleAssignments and oauth2PermissionGrants, `$batch`);
//! - Key Vault at `/vaults/{vault}/secrets/…` (or by Host / HTTP/2 `:authority` `{vault}.vault.azure.net`);
//! - Azure Resource Manager `Microsoft.Authorization` (role definitions and role assignments) at
//!   the root, as `management.azure.com` serves it: `/subscriptions/{s}/…/providers/Microsoft.Authorization/…`,
//!   `/providers/Microsoft.Management/managementGroups/{mg}/…`, `/providers/Microsoft.Authorization/…`;
//! - the control surface `/_emulator/{health,faults,requests,requests/reset}` (no auth, not counted).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use tower::ServiceExt as _;
//! let emulator = registrar_emulator::Emulator::new(Default::default()).unwrap();
//! let request = axum::http::Request::get("/_emulator/health").body(axum::body::Body::empty()).unwrap();
//! let response = emulator.router().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # });
//! ```
//!
//! # Invariants
//! - Depends on no other Registrar crate except `registrar-catalog`; it owns its wire structs
//!   (stored objects are `serde_json::Value`s shaped like `tests/fixtures/*.json`), so a misspelt
//!   field cannot pass silently on both the client and the emulator side. ARM role assignments
//!   are stored typed and rendered as `arm-roleassignments-*.json`.
//! - Client secrets from `addPassword` are never stored: only their SHA-256. Key Vault secret
//!   values are stored, because the emulator is the vault.
//! - All tenant state sits behind one mutex and is written to the state file (temporary file, then
//!   rename) after every request that changed it.
//! - Permission GUIDs are never invented: first-party service principals come from the catalog.

#![recursion_limit = "256"]

mod api;
mod arm;
mod auth;
mod graph;
mod keyvault;
mod objects;
mod odata;
mod state;
mod tls;
mod util;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::api::{ApiRequest, ApiResponse, graph_error, kv_error};
use crate::auth::{ARM_AUDIENCE, GRAPH_AUDIENCE, TokenProblem, VAULT_AUDIENCE};
use crate::state::Tenant;
use crate::util::{graph_date_short, lock, new_guid, now, now_ms, percent_decode};

/// How to start an emulator.
#[derive(Debug, Clone, Default)]
pub struct EmulatorConfig {
    /// Loaded at start if it exists; written atomically after every request that changed state.
    pub state_file: Option<PathBuf>,
    /// `false` (lenient): any vault name exists. `true`: only the vaults in [`Self::vaults`]
    /// exist; others answer 404 `VaultNotFound`.
    pub strict_vaults: bool,
    /// Vaults that exist from the start.
    pub vaults: Vec<String>,
    /// Seed of the random numbers that decide fault injection (reproducible tests).
    pub seed: u64,
    /// Faults active from the start.
    pub faults: Faults,
    /// How the Azure Resource Manager (`Microsoft.Authorization`) routes behave where Azure's
    /// behaviour is not pinned down by its documentation.
    pub arm: ArmOptions,
}

/// The form of `properties.roleDefinitionId` in role assignment responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RoleDefinitionIdForm {
    /// `/providers/Microsoft.Authorization/roleDefinitions/{guid}`, as the 2022-04-01 spec
    /// examples answer even to a subscription-scoped request (the default).
    #[default]
    Tenant,
    /// `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}` for
    /// assignments inside a subscription, as Azure is commonly seen to answer.
    Subscription,
}

/// ARM options (`Microsoft.Authorization`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArmOptions {
    /// The form of `roleDefinitionId` in role assignment responses.
    pub role_definition_id_form: RoleDefinitionIdForm,
    /// Role assignments per subscription before `RoleAssignmentLimitExceeded` (4,000 in the
    /// public cloud, 2,000 in sovereign clouds).
    pub assignments_per_subscription: usize,
    /// Role assignments at one management group before `RoleAssignmentLimitExceeded` (500).
    pub assignments_per_management_group: usize,
}

impl Default for ArmOptions {
    fn default() -> Self {
        Self {
            role_definition_id_form: RoleDefinitionIdForm::default(),
            assignments_per_subscription: 4000,
            assignments_per_management_group: 500,
        }
    }
}

impl ArmOptions {
    /// Sets [`Self::role_definition_id_form`].
    #[must_use]
    pub fn with_role_definition_id_form(mut self, form: RoleDefinitionIdForm) -> Self {
        self.role_definition_id_form = form;
        self
    }

    /// Sets both role assignment limits.
    #[must_use]
    pub fn with_limits(mut self, per_subscription: usize, per_management_group: usize) -> Self {
        self.assignments_per_subscription = per_subscription;
        self.assignments_per_management_group = per_management_group;
        self
    }
}

/// Injected faults; changeable at run time with [`Emulator::set_faults`] or `PUT /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API request (Graph, Key Vault, ARM), not to token or control routes.
    pub latency_ms: u64,
    /// Share (0..1) of API requests answered 429 `TooManyRequests` with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` value sent with 429 and 503, in seconds (decimals allowed).
    pub retry_after_seconds: f64,
    /// Share (0..1) of API requests answered 503 (with `Retry-After`).
    pub unavailable_rate: f64,
    /// Objects created or changed stay invisible (404, `NoBackingApplicationObject`, missing
    /// from lists) for this long.
    pub replication_lag_ms: u64,
    /// Vaults that answer 403 `Forbidden` to every secret operation.
    pub deny_vaults: Vec<String>,
}

/// What went wrong starting or running the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The state file exists but could not be read.
    #[error("cannot read the emulator state file `{}`", path.display())]
    StateRead {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("the emulator state file `{}` is not valid", path.display())]
    StateParse {
        /// The state file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The state file was written by an incompatible version.
    #[error("the emulator state file `{}` has schema version {found}, expected {expected}", path.display())]
    StateSchema {
        /// The state file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The version this emulator writes.
        expected: u32,
    },
    /// The state file could not be written.
    #[error("cannot write the emulator state file `{}`", path.display())]
    StateWrite {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Generating the TLS certificates failed.
    #[error("cannot set up the emulator's TLS certificate: {0}")]
    Certificate(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the CA certificate failed.
    #[error("cannot write the CA certificate to `{}`", path.display())]
    WriteCertificate {
        /// The target file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The local tenant's identity and the automation client's well-known credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// The tenant id (a fixed GUID).
    pub tenant_id: String,
    /// The default domain, `contoso.onmicrosoft.com`.
    pub default_domain: String,
    /// The verified domains.
    pub verified_domains: Vec<String>,
    /// The automation client's appId.
    pub client_id: String,
    /// The automation client's secret (well-known, local use only).
    pub client_secret: String,
    /// The object id of the automation client's application.
    pub automation_application_id: String,
    /// The object id of the automation client's service principal.
    pub automation_service_principal_id: String,
}

/// The latest version of a Key Vault secret, for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSecretView {
    /// The secret value.
    pub value: String,
    /// The version id (32 hex digits).
    pub version: String,
    /// `contentType`.
    pub content_type: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `attributes.enabled`.
    pub enabled: bool,
    /// `attributes.exp` (Unix seconds).
    pub exp: Option<i64>,
    /// `attributes.nbf` (Unix seconds).
    pub nbf: Option<i64>,
    /// Number of versions.
    pub versions: usize,
}

/// The local tenant's fixed identity and the automation client's well-known credentials, the
/// same for every emulator (like Azurite's well-known account key): a client can connect to a
/// standalone emulator without asking it first.
pub fn well_known_tenant() -> TenantInfo {
    TenantInfo {
        tenant_id: state::TENANT_ID.to_owned(),
        default_domain: state::DEFAULT_DOMAIN.to_owned(),
        verified_domains: state::VERIFIED_DOMAINS
            .iter()
            .map(|domain| (*domain).to_owned())
            .collect(),
        client_id: state::AUTOMATION_CLIENT_ID.to_owned(),
        client_secret: state::AUTOMATION_CLIENT_SECRET.to_owned(),
        automation_application_id: util::seeded_guid("automation:application"),
        automation_service_principal_id: Tenant::automation_sp_id(),
    }
}

struct Inner {
    state_file: Option<PathBuf>,
    strict_vaults: bool,
    tenant: Mutex<Tenant>,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
    counts: Mutex<BTreeMap<String, u64>>,
    total: AtomicU64,
    base_url: Mutex<Option<String>>,
    arm: ArmOptions,
    /// ARM's rate-limit token buckets by (subscription or `tenant`, operation kind): tokens left
    /// and when they were last refilled (ms).
    arm_buckets: Mutex<BTreeMap<BucketKey, Bucket>>,
}

/// An ARM rate-limit bucket: (subscription id or `tenant`, `reads`/`writes`/`deletes`).
type BucketKey = (String, &'static str);
/// Tokens left and when they were last refilled (ms since the epoch).
type Bucket = (f64, i64);

/// The emulator; cheap to clone (all clones share one tenant).
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Emulator")
            .field("state_file", &self.inner.state_file)
            .finish_non_exhaustive()
    }
}

/// A running HTTPS emulator; dropping it stops the server.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `https://127.0.0.1:PORT`.
    pub base_url: Url,
    /// The PEM of the CA that signed the server certificate; clients must trust it.
    pub ca_certificate_pem: String,
    /// The address actually bound.
    pub local_addr: SocketAddr,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningEmulator {
    /// Writes the CA certificate (PEM) to `path`, e.g. for `REQUESTS_CA_BUNDLE` or `SSL_CERT_FILE`.
    pub fn write_ca_certificate(&self, path: &Path) -> Result<(), EmulatorError> {
        std::fs::write(path, &self.ca_certificate_pem).map_err(|source| {
            EmulatorError::WriteCertificate {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// Stops accepting connections and waits (up to 5 s) for open ones to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl Emulator {
    /// Loads the state file if it exists, else seeds a fresh tenant (and writes the file).
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let loaded = match &config.state_file {
            Some(path) => Tenant::load(path, &config.vaults)?,
            None => None,
        };
        let fresh = loaded.is_none();
        let tenant = loaded.unwrap_or_else(|| Tenant::seed(&config.vaults));
        if fresh && let Some(path) = &config.state_file {
            tenant.save(path)?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                state_file: config.state_file,
                strict_vaults: config.strict_vaults,
                tenant: Mutex::new(tenant),
                faults: Mutex::new(config.faults),
                rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
                counts: Mutex::new(BTreeMap::new()),
                total: AtomicU64::new(0),
                base_url: Mutex::new(None),
                arm: config.arm,
                arm_buckets: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The router serving every route (for `oneshot` tests and for [`Self::serve`]).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/_emulator/health", get(health))
            .route("/_emulator/faults", get(get_faults).put(put_faults))
            .route("/_emulator/requests", get(get_requests))
            .route("/_emulator/requests/reset", post(reset_requests))
            .route("/common/discovery/instance", get(discovery_instance))
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                get(openid_v2),
            )
            .route("/{tenant}/.well-known/openid-configuration", get(openid_v1))
            .fallback(api_request)
            .with_state(self.clone())
    }

    /// Serves HTTPS on `addr` (use port 0 for any free port) with a certificate generated now.
    pub async fn serve(&self, addr: SocketAddr) -> Result<RunningEmulator, EmulatorError> {
        let certificates = tls::generate()?;
        let config = tls::server_config(&certificates)?;
        let listener = tls::bind(addr).await?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let host = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let base = SocketAddr::new(host, local_addr.port());
        let base_text = format!("https://{base}");
        let base_url = Url::parse(&base_text)
            .map_err(|error| EmulatorError::Certificate(error.to_string()))?;
        *lock(&self.inner.base_url) = Some(base_text);
        let (sender, receiver) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(tls::serve(listener, config, self.router(), receiver));
        Ok(RunningEmulator {
            base_url,
            ca_certificate_pem: certificates.ca_pem,
            local_addr,
            shutdown: sender,
            task: Some(task),
        })
    }

    /// Replaces the active faults.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
    }

    /// The active faults.
    pub fn faults(&self) -> Faults {
        lock(&self.inner.faults).clone()
    }

    /// API requests seen (Graph and Key Vault, including `$batch` inner requests).
    pub fn request_count(&self) -> u64 {
        self.inner.total.load(Ordering::SeqCst)
    }

    /// API requests by `"METHOD /route-template"`, e.g. `"GET /v1.0/applications"`.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.counts).clone()
    }

    /// Sets every request counter to zero.
    pub fn reset_request_counts(&self) {
        lock(&self.inner.counts).clear();
        self.inner.total.store(0, Ordering::SeqCst);
    }

    /// The tenant id, domains and the automation client's credentials.
    pub fn tenant(&self) -> TenantInfo {
        let tenant_id = lock(&self.inner.tenant).tenant_id.clone();
        TenantInfo {
            tenant_id,
            ..well_known_tenant()
        }
    }

    /// The latest version of a secret in a vault (test helper).
    pub fn vault_secret(&self, vault: &str, name: &str) -> Option<VaultSecretView> {
        let tenant = lock(&self.inner.tenant);
        let secret = tenant
            .vaults
            .get(&vault.to_ascii_lowercase())?
            .secrets
            .get(&name.to_ascii_lowercase())?;
        let latest = secret.versions.last()?;
        Some(VaultSecretView {
            value: latest.value.clone(),
            version: latest.version.clone(),
            content_type: latest.content_type.clone(),
            tags: latest.tags.clone().unwrap_or_default(),
            enabled: latest.enabled,
            exp: latest.exp,
            nbf: latest.nbf,
            versions: secret.versions.len(),
        })
    }

    /// `https://host` as the client addressed us (Host header), else the served base URL.
    fn base_for(&self, headers: &HeaderMap) -> String {
        if let Some(host) = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
        {
            return format!("https://{host}");
        }
        lock(&self.inner.base_url)
            .clone()
            .unwrap_or_else(|| "https://localhost".to_owned())
    }

    /// The login authority to name in Key Vault's challenge: the emulator's own served URL (where
    /// its token endpoint is), not the vault host a client addressed, as Key Vault names
    /// `login.microsoftonline.com` rather than itself.
    fn login_base(&self, request_base: &str) -> String {
        let addressed_a_vault_host = request_base
            .trim_start_matches("https://")
            .split(':')
            .next()
            .is_some_and(|host| host.to_ascii_lowercase().ends_with(".vault.azure.net"));
        if addressed_a_vault_host && let Some(served) = lock(&self.inner.base_url).clone() {
            return served;
        }
        request_base.to_owned()
    }

    /// Takes one token from ARM's bucket for this subscription (or the tenant) and operation
    /// kind, and returns the `x-ms-ratelimit-remaining-…` header to send. The 2024+ public-cloud
    /// buckets: reads 250 (25/s), writes and deletes 200 (10/s). Only the header is computed:
    /// throttling itself is injected by [`Faults::throttle_rate`].
    fn arm_rate_limit(
        &self,
        subscription: Option<&str>,
        method: &axum::http::Method,
    ) -> (String, String) {
        use axum::http::Method;
        let (kind, capacity, refill_per_sec) = match *method {
            Method::GET | Method::HEAD => ("reads", 250.0, 25.0),
            Method::DELETE if subscription.is_some() => ("deletes", 200.0, 10.0),
            _ => ("writes", 200.0, 10.0),
        };
        let (owner, key) = match subscription {
            Some(subscription) => ("subscription", subscription.to_ascii_lowercase()),
            None => ("tenant", "tenant".to_owned()),
        };
        let now = now_ms();
        let mut buckets = lock(&self.inner.arm_buckets);
        let (tokens, refilled_at) = buckets.entry((key, kind)).or_insert((capacity, now));
        #[allow(clippy::cast_precision_loss)]
        let elapsed_secs = (now - *refilled_at).max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed_secs * refill_per_sec).min(capacity);
        *refilled_at = now;
        *tokens = (*tokens - 1.0).max(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let remaining = tokens.floor() as u64;
        (
            format!("x-ms-ratelimit-remaining-{owner}-{kind}"),
            remaining.to_string(),
        )
    }

    fn count(&self, key: String) {
        self.inner.total.fetch_add(1, Ordering::SeqCst);
        *lock(&self.inner.counts).entry(key).or_insert(0) += 1;
    }

    fn persist(&self, tenant: &Tenant) {
        if let Some(path) = &self.inner.state_file
            && let Err(error) = tenant.save(path)
        {
            tracing::error!(error = %error, "emulator state was not saved");
        }
    }
}

async fn health(State(emulator): State<Emulator>) -> Response {
    let tenant_id = lock(&emulator.inner.tenant).tenant_id.clone();
    json_response(
        StatusCode::OK,
        &json!({ "status": "ok", "tenant_id": tenant_id }),
    )
}

async fn get_faults(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(emulator.faults()).unwrap_or(Value::Null),
    )
}

async fn put_faults(State(emulator): State<Emulator>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            emulator.set_faults(faults.clone());
            json_response(
                StatusCode::OK,
                &serde_json::to_value(faults).unwrap_or(Value::Null),
            )
        }
        Err(error) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("invalid faults: {error}") }),
        ),
    }
}

async fn get_requests(State(emulator): State<Emulator>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "total": emulator.request_count(), "counts": emulator.request_counts() }),
    )
}

async fn reset_requests(State(emulator): State<Emulator>) -> Response {
    emulator.reset_request_counts();
    StatusCode::NO_CONTENT.into_response()
}

async fn discovery_instance(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    let base = emulator.base_for(&headers);
    let tenant_id = lock(&emulator.inner.tenant).tenant_id.clone();
    json_response(StatusCode::OK, &auth::discovery_instance(&base, &tenant_id))
}

async fn openid(
    emulator: &Emulator,
    tenant_in_path: &str,
    headers: &HeaderMap,
    v2: bool,
) -> Response {
    let base = emulator.base_for(headers);
    let tenant = lock(&emulator.inner.tenant);
    let known = auth::is_local_tenant(&tenant, tenant_in_path)
        || ["common", "organizations"].contains(&tenant_in_path.to_ascii_lowercase().as_str());
    if !known {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "invalid_tenant", "error_description": format!("AADSTS90002: Tenant '{tenant_in_path}' not found.") }),
        );
    }
    json_response(
        StatusCode::OK,
        &auth::openid_configuration(&base, &tenant.tenant_id, v2),
    )
}

async fn openid_v2(
    State(emulator): State<Emulator>,
    UrlPath(tenant): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    openid(&emulator, &tenant, &headers, true).await
}

async fn openid_v1(
    State(emulator): State<Emulator>,
    UrlPath(tenant): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    openid(&emulator, &tenant, &headers, false).await
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

async fn token(
    State(emulator): State<Emulator>,
    UrlPath(tenant_in_path): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let response = {
        let tenant = lock(&emulator.inner.tenant);
        auth::token(&tenant, &tenant_in_path, &body, basic_credentials(&headers))
    };
    let mut out = finish_plain(response);
    out.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    out
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn finish_plain(mut response: ApiResponse) -> Response {
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

/// Which service an API request is for.
enum Service {
    Graph(graph::Route),
    Arm(arm::Route),
    Vault {
        route: keyvault::KvRoute,
        vault: String,
        vault_url: String,
    },
}

fn classify(path: &str, host: Option<&str>, base: &str) -> Option<(Service, String)> {
    if let Some(rest) = path.strip_prefix("/v1.0/") {
        let (route, template) = graph::parse(rest);
        return Some((Service::Graph(route), template));
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
            Service::Vault {
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
            Service::Vault {
                route,
                vault: vault.to_owned(),
                vault_url,
            },
            template,
        ));
    }
    if arm::is_arm_path(&strs) {
        let (route, template) = arm::parse(&strs);
        return Some((Service::Arm(route), template));
    }
    None
}

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

fn retry_after_text(seconds: f64) -> String {
    if seconds.is_finite() && seconds >= 0.0 {
        format!("{seconds}")
    } else {
        "1".to_owned()
    }
}

/// Every API request (Graph, Key Vault) lands here.
async fn api_request(State(emulator): State<Emulator>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 32 * 1024 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // HTTP/1.1 clients name the host in `Host`; HTTP/2 clients in `:authority`, which hyper
    // keeps in the URI. Vault requests are routed by it, so both must be read.
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            parts
                .uri
                .authority()
                .map(|authority| authority.as_str().to_owned())
        });
    let base = match &host {
        Some(host) => format!("https://{host}"),
        None => emulator.base_for(&parts.headers),
    };
    let path = parts.uri.path().to_owned();
    let Some((service, template)) = classify(&path, host.as_deref(), &base) else {
        let response = graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Invalid version or resource: '{path}'. The emulator serves /v1.0/…, /vaults/{{vault}}/…, ARM's /subscriptions/… and /providers/… and /{{tenant}}/oauth2/v2.0/token."
            ),
        );
        return finish_graph(response, &parts.headers);
    };
    emulator.count(format!("{} {template}", parts.method));
    let query = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut api_request = ApiRequest {
        method: parts.method.clone(),
        path,
        query,
        headers: parts.headers.clone(),
        body,
        base: base.clone(),
        claims: None,
    };
    let faults = emulator.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let is_graph = matches!(service, Service::Graph(_));
    let is_arm = matches!(service, Service::Arm(_));
    let arm_rate = match &service {
        Service::Arm(route) => Some(emulator.arm_rate_limit(route.subscription(), &parts.method)),
        _ => None,
    };
    let arm_reply = |response: ApiResponse| finish_arm(response, &parts.headers, arm_rate.as_ref());
    // Authentication.
    {
        let tenant = lock(&emulator.inner.tenant);
        let audience = if is_graph {
            GRAPH_AUDIENCE
        } else if is_arm {
            ARM_AUDIENCE
        } else {
            VAULT_AUDIENCE
        };
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        match auth::validate(&tenant, authorization, audience) {
            Ok(claims) => api_request.claims = Some(claims),
            Err(problem) => {
                let tenant_id = tenant.tenant_id.clone();
                drop(tenant);
                return if is_graph {
                    graph_unauthorized(&problem, &parts.headers)
                } else if is_arm {
                    arm_reply(arm_unauthorized(&problem, &base, &tenant_id))
                } else {
                    vault_unauthorized(&problem, &emulator.login_base(&base), &tenant_id)
                };
            }
        }
    }
    if is_arm && let Err(response) = arm::check_api_version(&api_request, &template) {
        return arm_reply(response);
    }
    // Throttling and unavailability.
    let (throttled, unavailable) = {
        let mut rng = lock(&emulator.inner.rng);
        let throttle_draw: f64 = rng.random();
        let unavailable_draw: f64 = rng.random();
        (
            throttle_draw < faults.throttle_rate,
            unavailable_draw < faults.unavailable_rate,
        )
    };
    let retry_after = retry_after_text(faults.retry_after_seconds);
    if throttled && is_arm {
        return arm_reply(
            arm::arm_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits",
            )
            .with_header("Retry-After", retry_after),
        );
    }
    if unavailable && is_arm {
        return arm_reply(
            arm::arm_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please retry later.",
            )
            .with_header("Retry-After", retry_after),
        );
    }
    if throttled {
        return if is_graph {
            let body = json!({ "error": {
                "code": "TooManyRequests",
                "innerError": {
                    "code": "429",
                    "date": graph_date_short(now()),
                    "message": "Please retry after",
                    "request-id": new_guid(),
                    "status": "429",
                },
                "message": "Please retry again later.",
            } });
            finish_graph(
                ApiResponse::json(StatusCode::TOO_MANY_REQUESTS, body)
                    .with_header("Retry-After", retry_after),
                &parts.headers,
            )
        } else {
            finish_vault(
                kv_error(StatusCode::TOO_MANY_REQUESTS, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached", None)
                    .with_header("Retry-After", retry_after),
            )
        };
    }
    if unavailable {
        return if is_graph {
            finish_graph(
                graph_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable. Please retry later.",
                )
                .with_header("Retry-After", retry_after),
                &parts.headers,
            )
        } else {
            finish_vault(
                kv_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable. Please retry later.",
                    None,
                )
                .with_header("Retry-After", retry_after),
            )
        };
    }
    match service {
        Service::Arm(route) => {
            let ctx = arm::Ctx {
                request: &api_request,
                now_ms: now_ms(),
                lag_ms: i64::try_from(faults.replication_lag_ms).unwrap_or(i64::MAX),
                options: &emulator.inner.arm,
            };
            let mut tenant = lock(&emulator.inner.tenant);
            let response = arm::handle(&mut tenant, &route, &ctx).unwrap_or_else(|error| error);
            if response.mutated {
                emulator.persist(&tenant);
            }
            drop(tenant);
            arm_reply(response)
        }
        Service::Graph(graph::Route::Batch) => {
            let response = if parts.method == axum::http::Method::POST {
                graph::batch::run(&emulator, &api_request).await
            } else {
                api::method_not_allowed()
            };
            finish_graph(response, &parts.headers)
        }
        Service::Graph(route) => {
            let lag_ms = i64::try_from(faults.replication_lag_ms).unwrap_or(i64::MAX);
            let ctx = graph::Ctx {
                request: &api_request,
                now_ms: now_ms(),
                lag_ms,
            };
            let mut tenant = lock(&emulator.inner.tenant);
            let response = graph::handle(&mut tenant, &route, &ctx).unwrap_or_else(|error| error);
            if response.mutated {
                emulator.persist(&tenant);
            }
            drop(tenant);
            finish_graph(response, &parts.headers)
        }
        Service::Vault {
            route,
            vault,
            vault_url,
        } => {
            let denied = faults
                .deny_vaults
                .iter()
                .any(|denied| denied.eq_ignore_ascii_case(&vault));
            let ctx = keyvault::KvCtx {
                request: &api_request,
                vault_url,
                vault,
                strict: emulator.inner.strict_vaults,
                denied,
            };
            let mut tenant = lock(&emulator.inner.tenant);
            let response =
                keyvault::handle(&mut tenant, &route, &ctx).unwrap_or_else(|error| error);
            if response.mutated {
                emulator.persist(&tenant);
            }
            drop(tenant);
            finish_vault(response)
        }
    }
}

fn graph_unauthorized(problem: &TokenProblem, headers: &HeaderMap) -> Response {
    let message = match problem {
        TokenProblem::Missing => "Access token is empty.".to_owned(),
        TokenProblem::Malformed => {
            "Access token validation failure. Invalid token format.".to_owned()
        }
        TokenProblem::BadSignature => {
            "Access token validation failure. Invalid signature.".to_owned()
        }
        TokenProblem::Expired => "Lifetime validation failed, the token is expired.".to_owned(),
        TokenProblem::NotYetValid => {
            "Lifetime validation failed, the token is not yet valid.".to_owned()
        }
        TokenProblem::WrongAudience(_) => {
            "Access token validation failure. Invalid audience.".to_owned()
        }
        TokenProblem::WrongTenant => "Access token validation failure. Invalid issuer.".to_owned(),
    };
    let response = graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", &message).with_header(
        "WWW-Authenticate",
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    );
    finish_graph(response, headers)
}

fn vault_unauthorized(problem: &TokenProblem, base: &str, tenant_id: &str) -> Response {
    let message = match problem {
        TokenProblem::Missing => "AKV10000: Request is missing a Bearer or PoP token.".to_owned(),
        TokenProblem::WrongAudience(found) => {
            format!("AKV10022: Invalid audience. Expected {VAULT_AUDIENCE}, found: {found}.")
        }
        TokenProblem::Expired => "AKV10020: Invalid token, the token is expired.".to_owned(),
        _ => "AKV10020: Invalid token.".to_owned(),
    };
    let response = kv_error(StatusCode::UNAUTHORIZED, "Unauthorized", &message, None).with_header(
        "WWW-Authenticate",
        format!("Bearer authorization=\"{base}/{tenant_id}\", resource=\"{VAULT_AUDIENCE}\""),
    );
    finish_vault(response)
}

/// Adds Graph's headers (`request-id`, `client-request-id`, `x-ms-resource-unit`) and fills
/// `innerError` into error bodies.
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
    headers.insert("x-ms-resource-unit", HeaderValue::from_static("1"));
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
/// `x-ms-routing-request-id` and the request's `x-ms-ratelimit-remaining-…` header.
fn finish_arm(
    response: ApiResponse,
    request_headers: &HeaderMap,
    rate: Option<&(String, String)>,
) -> Response {
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
    if let Some((name, value)) = rate
        && let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        )
    {
        headers.insert(name, value);
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
