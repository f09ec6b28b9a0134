//! Registrar's clients for Microsoft Graph, Azure Resource Manager (RBAC), Key Vault and the
//! Entra ID token endpoint: auth, retry, paging and typed errors; the live snapshot reader; the
//! single mutations apply performs; the secret stores.
//!
//! # Brief overview
//! - [`Clients`], built from an [`AzureConfig`] ([`Endpoints`] + [`CredentialKind`] +
//!   [`RetryConfig`]), holds the [`GraphClient`], the [`ArmClient`] and the [`KeyVaultClient`],
//!   which share one HTTP client, one token cache per [`Service`] and one request counter
//!   ([`Clients::stats`]).
//! - [`read_live_tenant`] reads the [`registrar_model::LiveTenant`] for a
//!   [`registrar_model::DesiredState`], with a request count proportional to what is declared
//!   (see [`snapshot`]); per-object reads go in JSON batches ([`GraphClient::batch_get`],
//!   [`batch`]).
//! - [`retry_policy`] is the one place that decides retries (throttling, transient errors,
//!   read-your-writes after a create, ARM's `PrincipalNotFound` for a new service principal).
//! - [`SecretValue`] is the only holder of a client secret's value; [`Clients::deliver_secret`]
//!   writes it to Key Vault or a 0600 file.
//!
//! ```no_run
//! # async fn example(desired: registrar_model::DesiredState) -> Result<(), registrar_azure::AzureError> {
//! use registrar_azure::{AzureConfig, Clients, CredentialKind, Endpoints, read_live_tenant};
//! let clients = Clients::new(AzureConfig::new(Endpoints::public(), CredentialKind::Chain))?;
//! let live = read_live_tenant(&clients, &desired).await?;
//! tracing::info!(apps = live.applications.len(), requests = clients.request_count(), "snapshot read");
//! # Ok(()) }
//! ```
//!
//! # Invariants
//! - This is the only crate that knows Graph, ARM and Key Vault URLs and wire JSON; wire structs
//!   never leave it (the public API speaks `registrar-model` types).
//! - It never prints: diagnostics go through `tracing`, and never carry tokens, secret values or
//!   request bodies.
//! - A secret value lives only in [`SecretValue`] (Debug/Display `***`, no Serialize, no Clone,
//!   zeroized on drop) and leaves it only for a secret store or a credential.
//! - Tokens come only from azure_identity credentials; there is no fake token path. Tests point
//!   the real `ClientSecretCredential` at a stub token endpoint.
//! - No `unwrap` on data from the network.

pub mod arm;
mod auth;
pub mod batch;
mod clients;
mod endpoints;
mod error;
pub mod file_store;
pub mod graph;
mod http;
mod key_vault;
pub mod retry;
mod secret;
pub mod snapshot;
mod stores;

pub use arm::{API_VERSION as ARM_API_VERSION, ArmClient};
pub use auth::CredentialKind;
pub use batch::{BatchGet, MAX_BATCH};
pub use clients::{AzureConfig, Clients};
pub use endpoints::{Endpoints, Scopes, Service, VAULT_PLACEHOLDER};
pub use error::{AzureError, ServiceError};
pub use graph::{AddedPassword, GraphClient, UpsertedApplication};
pub use http::{RequestCounter, RequestStats};
pub use key_vault::{
    API_VERSION as KEY_VAULT_API_VERSION, KEY_ID_TAG, KeyVaultClient, SecretMetadata,
    SecretProperties,
};
pub use retry::{Attempt, Retry, RetryConfig, retry_policy};
pub use secret::SecretValue;
pub use snapshot::read_live_tenant;
pub use stores::{CLIENT_ID_TAG, DeliveredSecret, TENANT_ID_TAG};
