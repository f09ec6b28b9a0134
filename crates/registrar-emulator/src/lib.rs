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
//! latency, throttling, 503s, dropped connections, timeouts, a hold after the k-th change (kill
//! tests), replication lag and Key Vault denials, counted in [`InjectedFaults`]; request counters
//! ([`Emulator::request_counts`]) let tests assert how many calls a client made. With a
//! [`ThrottleConfig`] it enforces Graph's, ARM's and Key Vault's service limits; what every
//! request is charged is counted either way ([`Emulator::usage`]).
//!
//! Routes, all on one port:
//! - `POST /{tenant}/oauth2/v2.0/token` (client credentials), `GET /{tenant}/v2.0/.well-known/openid-configuration`,
//!   `GET /common/discovery/instance`; ARM's cloud metadata `GET /metadata/endpoints` (no token;
//!   what `az cloud register` reads);
//! - Graph at `/v1.0/…` (applications, servicePrincipals, owners, users, directoryObjects,
//!   directory/deletedItems, addPassword/removePassword, federatedIdentityCredentials, admin
//!   consent through appRoleAssignedTo/appRoleAssignments and oauth2PermissionGrants, `$batch`);
//! - Key Vault at `/vaults/{vault}/secrets/…` (or by Host / HTTP/2 `:authority` `{vault}.vault.azure.net`);
//! - Azure Resource Manager `Microsoft.Authorization` (role definitions and role assignments) at
//!   the root, as `management.azure.com` serves it: `/subscriptions/{s}/…/providers/Microsoft.Authorization/…`,
//!   `/providers/Microsoft.Management/managementGroups/{mg}/…`, `/providers/Microsoft.Authorization/…`,
//!   and the subscriptions and tenants a sign-in lists (`/subscriptions`, `/tenants`);
//! - the control surface `/_emulator/{health,faults,faults/injected,requests,requests/reset,clients,throttle,usage,usage/reset}`
//!   (no auth, not counted).
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
//! # Layout
//! - this file: the public types ([`Emulator`], [`RunningEmulator`], [`TenantInfo`],
//!   [`VaultSecretView`]) and the router; `config`: [`EmulatorConfig`], [`ArmOptions`],
//!   [`Faults`], [`EmulatorError`];
//! - `control`: the `/_emulator/…` routes; `authorize`: what a token's roles and Azure roles allow,
//!   and the limited clients; `login`: the token, OpenID and discovery routes
//!   (`auth` issues and checks the tokens); `cloud`: the cloud metadata;
//! - `dispatch`: the one path of every API request (count, latency, token, limits, faults,
//!   handler, state file); `throttle`: the service limits ([`ThrottleConfig`]), what a request
//!   costs, the token buckets and the usage counters ([`UsageReport`]); `service`: what
//!   differs between Graph, ARM and Key Vault (classification, audience, 401/429/503 bodies,
//!   response headers);
//! - `graph`, `arm`, `keyvault`: the handlers; `odata`: Graph's query options and paging;
//!   `objects`: the shapes of seeded objects; `state`: the tenant and its state file; `tls`:
//!   certificates and the HTTPS server; `api` and `util`: shared types and helpers.
//!
//! # Invariants
//! - Depends on no other Registrar crate except `registrar-catalog`; it owns its wire structs
//!   (stored objects are `serde_json::Value`s shaped like the repository's `tests/fixtures/*.json`), so a misspelt
//!   field cannot pass silently on both the client and the emulator side. ARM role assignments
//!   are stored typed and rendered as `arm-roleassignments-*.json`.
//! - Client secrets from `addPassword` are never stored: only their SHA-256. Key Vault secret
//!   values are stored, because the emulator is the vault.
//! - All tenant state sits behind one mutex and is written to the state file (owner-only, mode
//!   0600: it holds the token signing key and the vault's secret values; temporary file, then
//!   rename) after every request that changed it.
//! - Permission GUIDs are never invented: first-party service principals come from the catalog.

#![recursion_limit = "256"]

mod api;
mod arm;
mod auth;
mod authorize;
mod cloud;
mod config;
mod control;
mod dispatch;
mod graph;
mod keyvault;
mod login;
mod objects;
mod odata;
mod service;
mod state;
mod throttle;
mod tls;
mod util;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderMap, header};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use url::Url;

pub use crate::authorize::{ClientRoleAssignment, ClientSpec, CreatedClient};
pub use crate::config::{
    ArmOptions, ArmSubscription, EmulatorConfig, EmulatorError, Faults, InjectedFaults,
    RoleDefinitionIdForm,
};
use crate::state::Tenant;
pub use crate::throttle::{
    ArmUsage, GraphUsage, Limit, RouteUsage, TenantClass, ThrottleConfig, UsageReport, VaultUsage,
};
use crate::throttle::{Throttle, Usage};
use crate::util::lock;

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
    /// Draws the connection faults (resets, timeouts): a generator of its own, so adding them
    /// left the pattern of the older faults for a seed unchanged.
    connection_rng: Mutex<StdRng>,
    /// What was injected so far, and whether requests are being held.
    injected: Mutex<InjectedFaults>,
    counts: Mutex<BTreeMap<String, u64>>,
    total: AtomicU64,
    base_url: Mutex<Option<String>>,
    arm: ArmOptions,
    /// Whether throttling is on, and every service's buckets.
    throttle: Mutex<Throttle>,
    /// What was charged, per service and route (`GET /_emulator/usage`).
    usage: Mutex<Usage>,
}

/// Mixed into [`EmulatorConfig::seed`] for the connection faults' generator.
const CONNECTION_FAULT_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

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
                connection_rng: Mutex::new(StdRng::seed_from_u64(
                    config.seed ^ CONNECTION_FAULT_SEED,
                )),
                injected: Mutex::new(InjectedFaults::default()),
                counts: Mutex::new(BTreeMap::new()),
                total: AtomicU64::new(0),
                base_url: Mutex::new(None),
                arm: config.arm,
                throttle: Mutex::new(Throttle::new(config.throttle)),
                usage: Mutex::new(Usage::default()),
            }),
        })
    }

    /// The router serving every route (for `oneshot` tests and for [`Self::serve`]).
    pub fn router(&self) -> Router {
        Router::new()
            .merge(control::routes())
            .merge(login::routes())
            .merge(cloud::routes())
            .fallback(dispatch::api_request)
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

    /// Replaces the active faults (and releases requests held by
    /// [`Faults::hold_after_mutations`]: their connections are closed).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
        lock(&self.inner.injected).holding = false;
    }

    /// The faults injected so far by kind, the requests that changed the tenant, and whether
    /// requests are being held.
    pub fn injected_faults(&self) -> InjectedFaults {
        lock(&self.inner.injected).clone()
    }

    /// The whole tenant as JSON, exactly as the state file would hold it (for tests that count
    /// what exists: applications, service principals, credentials, vault secrets, role
    /// assignments). It includes the signing key and the vault values.
    pub fn state_json(&self) -> serde_json::Value {
        serde_json::to_value(&*lock(&self.inner.tenant)).unwrap_or(serde_json::Value::Null)
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
        let mut injected = lock(&self.inner.injected);
        *injected = InjectedFaults {
            holding: injected.holding,
            ..InjectedFaults::default()
        };
        drop(injected);
        self.inner.total.store(0, Ordering::SeqCst);
    }

    /// Switches throttling on with these limits, or off with `None`; every bucket starts full.
    /// Also `POST /_emulator/throttle`.
    pub fn set_throttle(&self, throttle: Option<ThrottleConfig>) {
        lock(&self.inner.throttle).set(throttle);
    }

    /// The limits enforced, `None` when throttling is off.
    pub fn throttle(&self) -> Option<ThrottleConfig> {
        lock(&self.inner.throttle).config().cloned()
    }

    /// What was charged since the start or the last [`Self::reset_usage`], kept whether
    /// throttling is on or off. Also `GET /_emulator/usage`.
    pub fn usage(&self) -> UsageReport {
        lock(&self.inner.usage).report()
    }

    /// Sets the usage counters to zero. Also `POST /_emulator/usage/reset`.
    pub fn reset_usage(&self) {
        *lock(&self.inner.usage) = Usage::default();
    }

    /// The tenant id, domains and the automation client's credentials.
    pub fn tenant(&self) -> TenantInfo {
        let tenant_id = lock(&self.inner.tenant).tenant_id.clone();
        TenantInfo {
            tenant_id,
            ..well_known_tenant()
        }
    }

    /// Creates a client limited to the Graph permissions and Azure roles `spec` names (see
    /// `authorize`), and returns its credentials. Also `POST /_emulator/clients`.
    ///
    /// # Errors
    /// An unknown Graph permission or Azure role; nothing is created then.
    pub fn create_client(&self, spec: &ClientSpec) -> Result<CreatedClient, String> {
        let mut tenant = lock(&self.inner.tenant);
        let created = authorize::create_client(&mut tenant, spec)?;
        self.persist(&tenant);
        Ok(created)
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

    /// Counts one API request under `"METHOD /route-template"`.
    fn count(&self, key: String) {
        self.inner.total.fetch_add(1, Ordering::SeqCst);
        *lock(&self.inner.counts).entry(key).or_insert(0) += 1;
    }

    /// Writes the state file, if there is one; a failure is logged, the request still answers.
    fn persist(&self, tenant: &Tenant) {
        if let Some(path) = &self.inner.state_file
            && let Err(error) = tenant.save(path)
        {
            tracing::error!(error = %error, "emulator state was not saved");
        }
    }
}
