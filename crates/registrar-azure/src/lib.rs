//! Registrar's clients for Microsoft Graph, Azure Resource Manager (RBAC), Key Vault and the
//! Entra ID token endpoint: auth, retry, paging and typed errors; the live snapshot reader; the
//! single mutations apply performs; the secret stores.
//!
//! # Brief overview
//! - [`Clients`], built from an [`AzureConfig`] ([`Endpoints`] + [`CredentialKind`] +
//!   [`RetryConfig`]), holds the [`GraphClient`], the [`ArmClient`] and the Key Vault client,
//!   which share one HTTP client, one token cache per [`Service`] and one request counter
//!   ([`Clients::stats`]).
//! - [`read_live_tenant`] reads the [`registrar_model::LiveTenant`] for a
//!   [`registrar_model::DesiredState`], with a request count proportional to what is declared
//!   (see [`snapshot`]); per-object reads go in JSON batches ([`GraphClient::batch_get`]).
//!   [`read_live_tenant_with`] also tells a [`ReadProgress`] how many objects are read of how
//!   many, for a progress bar.
//! - One retry policy (module `retry`) decides every retry (throttling, transient errors,
//!   read-your-writes after a create, ARM's `PrincipalNotFound` for a new service principal);
//!   the caller picks its timing in [`RetryConfig`].
//! - Every error answer of Graph, ARM or Key Vault is one [`ServiceError`] naming its
//!   [`Service`]; a server that breaks the client's bounds ([`ReadLimits`]: a repeated
//!   nextLink, too many pages, an oversized body, a read that takes too long) is one
//!   [`LimitExceeded`].
//! - [`permissions`]: what a plan needs (Graph application permissions, ARM actions per scope)
//!   against what the token's `roles` and ARM's permissions list say, checked before any write;
//!   [`Clients::signed_in`] and [`Clients::default_domain`] name the target.
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

mod arm;
mod auth;
mod batch;
mod budget;
mod clients;
mod endpoints;
mod error;
mod file_store;
mod graph;
mod http;
pub mod import;
mod key_vault;
mod limits;
pub mod permissions;
mod retry;
mod secret;
pub mod snapshot;
mod stores;
mod write_batch;

pub use arm::ArmClient;
pub use auth::CredentialKind;
pub use batch::BatchGet;
pub use budget::{GraphBudget, PacingConfig, TenantClass};
pub use clients::{AzureConfig, Clients};
pub use endpoints::{Endpoints, Service};
pub use error::{AzureError, Limit, LimitExceeded, ServiceError};
pub use file_store::{check_secret_file, read_secret_file, write_secret_file};
pub use graph::{
    AddedPassword, CreateExtras, GraphClient, MAX_BOUND_OWNERS, UpsertedApplication, wire,
};
pub use http::RequestStats;
pub use import::{ImportSelection, read_for_import};
pub use limits::{MAX_PAGES, MAX_READ_TIME, MAX_RESPONSE_BYTES, ReadLimits};
pub use retry::RetryConfig;
pub use secret::SecretValue;
pub use snapshot::{NoProgress, ReadProgress, read_live_tenant, read_live_tenant_with};
pub use stores::DeliveredSecret;
