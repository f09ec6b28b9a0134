//! The live snapshot: what the tenant and the secret stores hold, read once per run.
//!
//! `registrar-azure` builds a [`LiveTenant`]; the planner only reads it. Everything the planner
//! needs to decide must be in here, because the planner does no I/O.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::application::{ApplicationSettings, ServicePrincipalSettings};
use crate::guid::Guid;
use crate::kinds::{ConsentType, DirectoryObjectKind};

/// Everything read from the tenant and the secret stores for one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LiveTenant {
    /// The tenant's id (GUID).
    pub tenant_id: String,
    /// Applications that carry this namespace's marker tag, hold one of its unique names, or are
    /// pinned by appId in the manifest.
    pub applications: Vec<LiveApplication>,
    /// Soft-deleted applications whose unique name belongs to this namespace.
    pub deleted_applications: Vec<DeletedApplication>,
    /// Service principals of the APIs the manifest requests permissions on (by appId), with the
    /// roles and scopes they expose, so permission names resolve to ids.
    pub resource_service_principals: Vec<ResourceServicePrincipal>,
    /// Directory objects named as owners in the manifest, resolved from their UPN or id.
    pub directory_objects: Vec<DirectoryObject>,
    /// What each declared secret store holds, keyed by [`SecretStoreLocation`].
    pub secret_stores: Vec<SecretStoreState>,
    /// Custom Azure role definitions the manifest names, looked up by name at the scope of the
    /// assignment that names them (built-in roles come from the catalog, GUIDs need no lookup).
    #[serde(default)]
    pub role_definitions: Vec<RoleDefinition>,
    /// The tenant's default verified domain (`contoso.onmicrosoft.com`), shown in every plan
    /// and apply header so a reviewer sees which tenant a run targets.
    #[serde(default)]
    pub default_domain: Option<String>,
    /// Who this run is signed in as. The planner needs it (it never plans removing the signed-in
    /// principal as an owner) and the header shows it.
    #[serde(default)]
    pub signed_in: Option<SignedInClient>,
    /// The tenant's app management policies (the default one; those assigned to an
    /// application are on [`LiveApplication::app_management_policies`]).
    #[serde(default)]
    pub app_management: crate::policy::AppManagementState,
}

/// The principal this run's access token belongs to, read from the token's claims and the
/// directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInClient {
    /// Object id of the signed-in principal (a service principal for client credentials, a user
    /// for a delegated sign-in): the id that appears in owner lists.
    pub object_id: String,
    /// The client's appId (the token's `appid`/`azp` claim).
    pub app_id: String,
    /// Display name of the principal, when the directory gave it.
    pub display_name: Option<String>,
    /// The Microsoft Graph application permissions the token carries (its `roles` claim).
    #[serde(default)]
    pub graph_roles: Vec<String>,
}

impl LiveTenant {
    /// The live application with this object id.
    pub fn application_by_id(&self, id: &str) -> Option<&LiveApplication> {
        self.applications.iter().find(|app| app.id == id)
    }

    /// The live application with this unique name.
    pub fn application_by_unique_name(&self, unique_name: &str) -> Option<&LiveApplication> {
        self.applications
            .iter()
            .find(|app| app.unique_name.as_deref() == Some(unique_name))
    }

    /// The live application with this appId (case-insensitive, as GUIDs compare).
    pub fn application_by_app_id(&self, app_id: &str) -> Option<&LiveApplication> {
        self.applications
            .iter()
            .find(|app| Guid::same(&app.app_id, app_id))
    }

    /// The soft-deleted application holding this unique name.
    pub fn deleted_application_by_unique_name(
        &self,
        unique_name: &str,
    ) -> Option<&DeletedApplication> {
        self.deleted_applications
            .iter()
            .find(|app| app.unique_name.as_deref() == Some(unique_name))
    }

    /// The API service principal with this appId.
    pub fn resource_service_principal(&self, app_id: &str) -> Option<&ResourceServicePrincipal> {
        self.resource_service_principals
            .iter()
            .find(|sp| Guid::same(&sp.app_id, app_id))
    }

    /// The directory object named `name_or_id` (a UPN, case-insensitive, or an object id).
    pub fn directory_object(&self, name_or_id: &str) -> Option<&DirectoryObject> {
        self.directory_objects.iter().find(|object| {
            Guid::same(&object.id, name_or_id)
                || object
                    .user_principal_name
                    .as_deref()
                    .is_some_and(|upn| upn.eq_ignore_ascii_case(name_or_id))
        })
    }

    /// The custom role definition called `role_name` (case-insensitive) as looked up at `scope`
    /// (compared case-insensitively); the smallest id when several answer.
    pub fn role_definition(&self, role_name: &str, scope: &str) -> Option<&RoleDefinition> {
        self.role_definitions
            .iter()
            .filter(|definition| {
                definition.role_name.eq_ignore_ascii_case(role_name)
                    && same_scope(&definition.scope, scope)
            })
            .min_by(|a, b| a.id.cmp(&b.id))
    }

    /// What the secret store at `location` holds, if it was read.
    pub fn secret_store(&self, location: &SecretStoreLocation) -> Option<&SecretStoreState> {
        self.secret_stores
            .iter()
            .find(|store| &store.location == location)
    }
}

/// An application registration as it is in the tenant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LiveApplication {
    /// Object id.
    pub id: String,
    /// appId (client id).
    pub app_id: String,
    /// Graph `uniqueName`, if set.
    pub unique_name: Option<String>,
    /// Every manifest-managed property.
    pub settings: ApplicationSettings,
    /// Owners' object ids.
    pub owners: Vec<String>,
    /// Client secrets (never their values).
    pub password_credentials: Vec<PasswordCredential>,
    /// Certificates.
    pub key_credentials: Vec<KeyCredential>,
    /// Federated identity credentials.
    pub federated_credentials: Vec<FederatedCredential>,
    /// The application's service principal in this tenant, if any.
    pub service_principal: Option<LiveServicePrincipal>,
    /// `createdDateTime`, which decides whether a policy's
    /// `restrictForAppsCreatedAfterDateTime` covers it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
    /// The app management policies assigned to it (`/applications/{id}/appManagementPolicies`);
    /// one assigned overrides the tenant default.
    #[serde(default)]
    pub app_management_policies: Vec<crate::policy::AppManagementPolicy>,
}

/// A soft-deleted application (in `/directory/deletedItems`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeletedApplication {
    /// Object id (also the deleted item's id).
    pub id: String,
    /// appId.
    pub app_id: String,
    /// Graph `uniqueName`, which a deleted application keeps holding.
    pub unique_name: Option<String>,
    /// displayName.
    pub display_name: String,
    /// When it was deleted (RFC 3339), if Graph said.
    pub deleted_date_time: Option<String>,
    /// The client secrets it held: a restore brings them back with the application.
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    /// The certificates it held (without `key`): a restore brings them back too.
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    /// Its tags: only one carrying this namespace's marker is restored (Registrar made it).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A service principal of an application Registrar manages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LiveServicePrincipal {
    /// Object id.
    pub id: String,
    /// appId of the application it represents.
    pub app_id: String,
    /// The manifest-managed settings.
    pub settings: ServicePrincipalSettings,
    /// Application permissions granted to it (`GET /servicePrincipals/{id}/appRoleAssignments`).
    #[serde(default)]
    pub app_role_assignments: Vec<AppRoleAssignment>,
    /// Delegated permissions granted to it tenant-wide or per user
    /// (`GET /oauth2PermissionGrants?$filter=clientId eq '{id}'`).
    #[serde(default)]
    pub permission_grants: Vec<PermissionGrant>,
    /// Azure RBAC role assignments held by it, inside the subscriptions and management groups
    /// the manifest's role assignments name (`GET {root}/providers/Microsoft.Authorization/
    /// roleAssignments?$filter=principalId eq '{id}'`, kept when their scope is inside the root).
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Client secrets on the service principal itself (`passwordCredentials`, metadata only).
    /// The manifest never declares one (Registrar puts credentials on the application), so
    /// every one is drift.
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    /// Certificates on the service principal itself (`keyCredentials`; `key` is not read).
    /// Drift, like [`LiveServicePrincipal::password_credentials`].
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    /// Owners' object ids (`GET /servicePrincipals/{id}/owners`).
    #[serde(default)]
    pub owners: Vec<String>,
}

/// An Azure RBAC role assignment (ARM `Microsoft.Authorization/roleAssignments`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleAssignment {
    /// The full ARM id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub id: String,
    /// The assignment's name (a GUID).
    pub name: String,
    /// The scope it is assigned at, as ARM spells it.
    pub scope: String,
    /// The role definition's GUID (the trailing segment of ARM's `roleDefinitionId`, lowercase).
    pub role_definition_id: String,
    /// The principal's object id.
    pub principal_id: String,
    /// `description`, if any.
    pub description: Option<String>,
}

/// An Azure role definition found by name (a custom role; built-in roles are in the catalog).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleDefinition {
    /// The definition's GUID (lowercase).
    pub id: String,
    /// `roleName`.
    pub role_name: String,
    /// The scope it was looked up at (the scope of the manifest's assignment), not where it is
    /// defined.
    pub scope: String,
}

/// Whether two ARM scopes are the same: compared case-insensitively, ignoring a trailing `/`.
pub fn same_scope(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Whether `scope` is `root` or lies below it (case-insensitive, on segment boundaries).
pub fn scope_is_within(scope: &str, root: &str) -> bool {
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let root = root.trim_end_matches('/').to_ascii_lowercase();
    scope == root || scope.starts_with(&format!("{root}/"))
}

/// The subscription or management group a scope lies in, as the snapshot reads role
/// assignments per root: `/subscriptions/{id}` for anything under a subscription,
/// `/providers/Microsoft.Management/managementGroups/{name}` for a management group. `None`
/// for anything else (validation rejects such scopes).
pub fn scope_root(scope: &str) -> Option<String> {
    let segments: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [first, id, ..] if first.eq_ignore_ascii_case("subscriptions") && !id.is_empty() => {
            Some(format!("/subscriptions/{id}"))
        }
        [providers, namespace, groups, name, ..]
            if providers.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.Management")
                && groups.eq_ignore_ascii_case("managementGroups")
                && !name.is_empty() =>
        {
            Some(format!(
                "/providers/Microsoft.Management/managementGroups/{name}"
            ))
        }
        _ => None,
    }
}

/// An application permission granted to a service principal (admin consent for a `Role`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppRoleAssignment {
    /// The assignment's id: opaque and case-sensitive, not a GUID.
    pub id: String,
    /// Object id of the resource API's service principal.
    pub resource_id: String,
    /// The granted app role's id.
    pub app_role_id: String,
}

/// Delegated permissions granted to a client (an `oauth2PermissionGrant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGrant {
    /// The grant's id (opaque).
    pub id: String,
    /// Object id of the resource API's service principal.
    pub resource_id: String,
    /// `AllPrincipals` (tenant-wide admin consent) or `Principal` (one user).
    pub consent_type: ConsentType,
    /// The user, for `Principal` grants.
    pub principal_id: Option<String>,
    /// Space-separated scope values.
    pub scope: String,
}

/// The service principal of an API that permissions are requested on, e.g. Microsoft Graph.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResourceServicePrincipal {
    /// Object id (what consent grants refer to).
    pub id: String,
    /// appId (what `requiredResourceAccess` refers to).
    pub app_id: String,
    /// displayName.
    pub display_name: String,
    /// Application permissions: `(id, value)` of app roles allowing `Application` members.
    pub app_roles: Vec<ExposedPermission>,
    /// Delegated permissions: `(id, value)` of its OAuth2 permission scopes.
    pub oauth2_permission_scopes: Vec<ExposedPermission>,
}

/// A permission an API exposes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExposedPermission {
    /// GUID.
    pub id: String,
    /// Value, e.g. `User.Read`.
    pub value: String,
    /// Whether it is enabled.
    pub is_enabled: bool,
}

/// A user or service principal that can own an application.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirectoryObject {
    /// Object id.
    pub id: String,
    /// A user or a service principal (Graph's `@odata.type`).
    pub kind: DirectoryObjectKind,
    /// The user's UPN, for users.
    pub user_principal_name: Option<String>,
    /// displayName.
    pub display_name: Option<String>,
}

/// A client secret as Graph lists it: metadata only, the value is never readable again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredential {
    /// `keyId`.
    pub key_id: String,
    /// `displayName` (Registrar sets it to the manifest's secret name).
    pub display_name: Option<String>,
    /// `hint`: the first characters of the value.
    pub hint: Option<String>,
    /// `startDateTime`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub start: Option<OffsetDateTime>,
    /// `endDateTime`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

/// A certificate (Graph `keyCredential`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCredential {
    /// `keyId`.
    pub key_id: String,
    /// `displayName` (Registrar sets it to the manifest's certificate name).
    pub display_name: Option<String>,
    /// `type`, e.g. `AsymmetricX509Cert`.
    pub key_type: String,
    /// `usage`, e.g. `Verify`.
    pub usage: String,
    /// `customKeyIdentifier`: the certificate's SHA-1 thumbprint (base64), as Graph keeps it.
    pub custom_key_identifier: Option<String>,
    /// `startDateTime`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub start: Option<OffsetDateTime>,
    /// `endDateTime`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
    /// `key`: the base64 DER certificate. Graph returns it only for a single object read with
    /// `$select=keyCredentials`; it must be re-sent for every certificate kept in a PATCH.
    pub key: Option<String>,
}

/// A federated identity credential.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FederatedCredential {
    /// Server-assigned id.
    pub id: String,
    /// `name`: unique per application and immutable.
    pub name: String,
    /// `issuer`.
    pub issuer: String,
    /// `subject`.
    pub subject: String,
    /// `audiences` (exactly one).
    pub audiences: Vec<String>,
    /// `description`.
    pub description: Option<String>,
}

/// Where a secret's value is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SecretStoreLocation {
    /// An Azure Key Vault secret.
    KeyVault {
        /// Vault name.
        vault: String,
        /// Secret name.
        name: String,
    },
    /// A local file (mode 0600).
    File {
        /// Absolute path.
        path: String,
        /// `json`, `env` or `raw`.
        format: FileFormat,
    },
}

/// The format of a file secret store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FileFormat {
    /// `{"tenantId", "clientId", "clientSecret", "keyId", "expiresOn"}`.
    Json,
    /// `AZURE_TENANT_ID=…` lines, plus `REGISTRAR_KEY_ID=…`.
    Env,
    /// The value alone; the key id cannot be recorded, so only presence is known.
    Raw,
}

/// What a secret store holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretStoreState {
    /// Which store.
    pub location: SecretStoreLocation,
    /// What was found there.
    pub contents: SecretStoreContents,
}

/// The outcome of reading one secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretStoreContents {
    /// Nothing is stored there.
    Missing,
    /// A value is stored, recorded as belonging to this credential keyId (`None` when the store
    /// cannot record it, as for raw files, or the tags were removed).
    Present {
        /// The keyId recorded with the value.
        key_id: Option<String>,
    },
    /// The store could not be read (no access, unreachable). The planner treats the delivery
    /// as unknown rather than lost.
    Unreadable {
        /// Why, for the plan's note.
        reason: String,
    },
}
