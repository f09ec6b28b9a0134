//! The single mutations apply carries out.
//!
//! The planner emits one [`Operation`] per resource change; the executor runs them in dependency
//! order and `registrar-azure` turns each into its HTTP requests. An operation can refer to an
//! object that an earlier operation of the same apply creates: [`ApplicationRef::Planned`] names
//! that application by its manifest key, [`ServicePrincipalRef::Planned`] the service principal
//! created for it, and the executor substitutes the ids the creates returned.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::application::{ApplicationSettings, ServicePrincipalSettings};
use crate::field::ApplicationField;
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
        /// The top-level fields that differ, which are the only ones sent.
        changed_fields: Vec<ApplicationField>,
    },
    /// Soft-delete an application (`--prune`).
    DeleteApplication {
        /// Object id.
        id: String,
    },
    /// Create the application's service principal. The executor records the created object id
    /// under `key`, so a later [`ServicePrincipalRef::Planned`] resolves to it.
    CreateServicePrincipal {
        /// The manifest key of its application.
        key: String,
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
    /// Grant an application permission tenant-wide (admin consent for an app role): `POST
    /// /servicePrincipals/{resource}/appRoleAssignedTo` with the client's service principal as
    /// principal.
    GrantAppRole {
        /// The client's service principal.
        client: ServicePrincipalRef,
        /// The resource API's service principal: an existing one (e.g. Microsoft Graph's), or the
        /// one created in the same apply for another application of the manifest.
        resource: ServicePrincipalRef,
        /// The app role's id.
        app_role_id: String,
    },
    /// Revoke an application permission: `DELETE /servicePrincipals/{resource_id}/
    /// appRoleAssignedTo/{assignment_id}`.
    RevokeAppRole {
        /// Object id of the resource API's service principal.
        resource_id: String,
        /// The assignment's id.
        assignment_id: String,
    },
    /// Grant delegated permissions tenant-wide: `POST /oauth2PermissionGrants` with
    /// `consentType: AllPrincipals`.
    GrantScopes {
        /// The client's service principal.
        client: ServicePrincipalRef,
        /// The resource API's service principal, as for [`Operation::GrantAppRole`].
        resource: ServicePrincipalRef,
        /// Space-separated scope values.
        scope: String,
    },
    /// Replace the scopes of an existing grant: `PATCH /oauth2PermissionGrants/{grant_id}`.
    UpdateGrantedScopes {
        /// The grant's id.
        grant_id: String,
        /// Space-separated scope values (the whole new string).
        scope: String,
    },
    /// Delete a grant: `DELETE /oauth2PermissionGrants/{grant_id}`.
    RevokeGrant {
        /// The grant's id.
        grant_id: String,
    },
    /// Assign an Azure role to a service principal: `PUT {scope}/providers/
    /// Microsoft.Authorization/roleAssignments/{name}` with `principalType: ServicePrincipal`.
    /// The executor resolves the principal's object id, then names the assignment with
    /// [`crate::role_assignment_name`], so repeating the create is harmless.
    CreateRoleAssignment {
        /// The service principal the role is assigned to.
        principal: ServicePrincipalRef,
        /// The ARM scope, as the manifest writes it.
        scope: String,
        /// The role definition's GUID.
        role_definition_id: String,
        /// `description`, sent on create only.
        description: Option<String>,
    },
    /// Remove a role assignment: `DELETE {id}` (200, or 204 when already gone).
    DeleteRoleAssignment {
        /// The assignment's full ARM id.
        id: String,
    },
    /// Delete a federated identity credential by name.
    DeleteFederatedCredential {
        /// The application.
        application: ApplicationRef,
        /// Name.
        name: String,
    },
    /// Remove a client secret from a service principal: `POST /servicePrincipals/{id}/
    /// removePassword` with `{keyId}` (204).
    RemoveServicePrincipalPassword {
        /// The service principal's object id.
        service_principal_id: String,
        /// The credential's keyId.
        key_id: String,
    },
    /// Remove a certificate from a service principal. Graph's `removeKey` needs a
    /// proof-of-possession JWT signed by one of the principal's own keys, so the executor reads
    /// the principal's `keyCredentials` (with `key`) and PATCHes the list without this one.
    RemoveServicePrincipalKey {
        /// The service principal's object id.
        service_principal_id: String,
        /// The credential's keyId.
        key_id: String,
    },
    /// Add an owner to a service principal: `POST /servicePrincipals/{id}/owners/$ref`.
    AddServicePrincipalOwner {
        /// The service principal.
        service_principal: ServicePrincipalRef,
        /// The owner's object id.
        owner_id: String,
    },
    /// Remove an owner from a service principal: `DELETE /servicePrincipals/{id}/owners/
    /// {ownerId}/$ref`.
    RemoveServicePrincipalOwner {
        /// The service principal's object id.
        service_principal_id: String,
        /// The owner's object id.
        owner_id: String,
    },
}
