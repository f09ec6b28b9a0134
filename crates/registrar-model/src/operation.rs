//! The single mutations apply carries out.
//!
//! The planner emits one [`Operation`] per resource change; the executor runs them in dependency
//! order and `registrar-azure` turns each into its HTTP requests. An operation can refer to an
//! object that an earlier operation of the same apply creates: [`ApplicationRef::Planned`] names
//! that application by its manifest key, and the executor substitutes the ids the create
//! returned.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::application::{ApplicationSettings, ServicePrincipalSettings};
use crate::live::{KeyCredential, SecretStoreLocation};

/// Which application an operation acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationRef {
    /// An application that exists now.
    Existing {
        /// Object id.
        id: String,
        /// appId.
        app_id: String,
    },
    /// An application created earlier in the same apply, by its manifest key.
    Planned {
        /// The manifest key.
        key: String,
    },
}

/// Which service principal an operation acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServicePrincipalRef {
    /// A service principal that exists now.
    Existing {
        /// Object id.
        id: String,
    },
    /// The service principal created earlier in the same apply for the application with this
    /// manifest key.
    Planned {
        /// The manifest key of its application.
        key: String,
    },
}

/// One mutation of the tenant or a secret store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Operation {
    /// Create an application idempotently through the `uniqueName` upsert. Identifier URIs
    /// that mention the application's own appId (`api://{appId}`) cannot be sent yet: the
    /// planner leaves them out here and emits a follow-up [`Operation::UpdateApplication`]
    /// whose settings still hold [`crate::APP_ID_PLACEHOLDER`], which the executor resolves.
    CreateApplication {
        /// The manifest key (the executor records the created ids under it).
        key: String,
        /// `<namespace>.<key>`.
        unique_name: String,
        /// The settings to create it with.
        settings: ApplicationSettings,
    },
    /// Restore a soft-deleted application (it keeps its ids and unique name).
    RestoreApplication {
        /// The manifest key.
        key: String,
        /// The deleted item's object id.
        id: String,
        /// Its appId.
        app_id: String,
    },
    /// PATCH an application with the changed settings only. Collections are sent whole.
    /// `settings.identifier_uris` may hold [`crate::APP_ID_PLACEHOLDER`]; the executor calls
    /// [`ApplicationSettings::resolve_app_id`] before sending.
    UpdateApplication {
        /// The application.
        application: ApplicationRef,
        /// The desired settings (the whole managed set).
        settings: ApplicationSettings,
        /// The names of the top-level fields that differ, which are the only ones sent.
        changed_fields: Vec<String>,
    },
    /// Soft-delete an application (`--prune`).
    DeleteApplication {
        /// Object id.
        id: String,
    },
    /// Create the application's service principal.
    CreateServicePrincipal {
        /// The application.
        application: ApplicationRef,
        /// Its settings.
        settings: ServicePrincipalSettings,
    },
    /// PATCH a service principal.
    UpdateServicePrincipal {
        /// Object id.
        id: String,
        /// The desired settings.
        settings: ServicePrincipalSettings,
    },
    /// Delete a service principal (`servicePrincipal: false`).
    DeleteServicePrincipal {
        /// Object id.
        id: String,
    },
    /// Add an owner (`POST …/owners/$ref`).
    AddOwner {
        /// The application.
        application: ApplicationRef,
        /// The owner's object id.
        owner_id: String,
    },
    /// Remove an owner (`DELETE …/owners/{id}/$ref`).
    RemoveOwner {
        /// The application.
        application: ApplicationRef,
        /// The owner's object id.
        owner_id: String,
    },
    /// Add a client secret and deliver its value to its store; if delivery fails the new
    /// credential is removed again. `display_name` is the manifest's secret name.
    AddSecret {
        /// The application.
        application: ApplicationRef,
        /// The manifest's secret name, used as the credential's displayName.
        display_name: String,
        /// When the new credential becomes valid: the planner's `now`, so that the overlap of a
        /// rotation is measured on the same clock as the plan that decides it.
        #[serde(with = "time::serde::rfc3339")]
        start: OffsetDateTime,
        /// When the new credential expires.
        #[serde(with = "time::serde::rfc3339")]
        end: OffsetDateTime,
        /// Where the value goes.
        store: SecretStoreLocation,
    },
    /// Remove a client secret by keyId.
    RemoveSecret {
        /// The application.
        application: ApplicationRef,
        /// The credential's keyId.
        key_id: String,
    },
    /// Replace the application's whole certificate list (Graph has no per-certificate write
    /// that does not need a proof-of-possession token).
    SetCertificates {
        /// The application.
        application: ApplicationRef,
        /// Every certificate the application should hold, each with its `key`.
        certificates: Vec<KeyCredential>,
    },
    /// Create or update a federated identity credential by name (upsert).
    UpsertFederatedCredential {
        /// The application.
        application: ApplicationRef,
        /// Name (immutable).
        name: String,
        /// issuer.
        issuer: String,
        /// subject.
        subject: String,
        /// audiences.
        audiences: Vec<String>,
        /// description.
        description: Option<String>,
    },
    /// Delete a federated identity credential by name.
    DeleteFederatedCredential {
        /// The application.
        application: ApplicationRef,
        /// Name.
        name: String,
    },
}
