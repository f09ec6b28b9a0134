//! The typed manifest, format version 1: what one YAML file says, before defaults, validation
//! and conversion into [`registrar_model::DesiredState`].
//!
//! The types mirror `docs/manifest.md` key for key (camelCase, unknown keys rejected). Their
//! doc comments become the `description`s of the JSON Schema ([`crate::json_schema`]), so an
//! editor shows them on hover. Values a later error may point at are [`Located`]. Strings that
//! have rules (GUIDs, URIs, durations, names) stay strings here; `validate` checks them, so a
//! bad one is a located error among all the others rather than the end of parsing.
//!
//! They are read through this crate's loader, whose deserializer fills in each [`Located`]'s
//! origin; through any other deserializer a [`Located`] expects its serialized form
//! (`{ value, origin }`), so these types are not meant to be read from plain YAML or JSON.

use std::borrow::Cow;

use registrar_model::Located;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::named_map::NamedMap;

/// Keeps a located field's default out of the JSON Schema (for `skip_serializing_if`, which
/// schemars reads; these types are never serialized). schemars writes a field's default only
/// when its type is serializable; `Located` is (the desired state is serialized), so without
/// this its optional fields would gain `"default": null` / `[]` and the published schema would
/// change.
fn omit_default_from_schema<T>(_: &T) -> bool {
    true
}

/// A Registrar manifest (format version 1): the Microsoft Entra ID app registrations one
/// namespace owns. `manifest.md` is the full reference.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "Registrar manifest")]
pub struct Manifest {
    /// The manifest format version; must be 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: Located<u32>,
    /// Marks what this manifest owns (the marker tag `registrar:<namespace>` and unique names
    /// `<namespace>.<key>`): 1 to 32 of `a-z`, `0-9` and `-`.
    #[schemars(extend("pattern" = "^[a-z0-9-]{1,32}$"))]
    pub namespace: Located<String>,
    /// The tenant id or domain, e.g. `contoso.onmicrosoft.com`; else taken from the credential
    /// or the environment.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub tenant: Option<Located<String>>,
    /// Settings applied to every application of this file that does not say otherwise.
    #[serde(default)]
    pub defaults: Option<Defaults>,
    /// The applications, keyed by their stable identity (`[a-z0-9][a-z0-9-]{0,63}`).
    #[serde(default)]
    pub applications: NamedMap<Application>,
}

/// Settings applied to every application of the file.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Owners of every application (user principal names or object ids); an application's own
    /// `owners` are added to these.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub owners: Vec<Located<String>>,
    /// Default lifetime of client secrets (`180d`, `26w`, `P180D`); else 180 days.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub secret_lifetime: Option<Located<String>>,
    /// Default time before expiry at which secrets rotate (`30d`); else 30 days.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub rotate_before: Option<Located<String>>,
    /// Tags of every application; an application's own `tags` are added to these.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub tags: Vec<Located<String>>,
}

/// One application registration (and, by default, its service principal).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Application {
    /// Adopt an existing application by its appId (client id) instead of creating one.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub app_id: Option<Located<String>>,
    /// The display name; defaults to the key.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Graph `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// Graph `notes`.
    #[serde(default)]
    pub notes: Option<String>,
    /// Who can sign in; defaults to `AzureADMyOrg`.
    #[serde(default)]
    pub sign_in_audience: Option<Located<SignInAudience>>,
    /// Application ID URIs: `api://…` or `https://…` on a verified domain; `api://{appId}`
    /// stands for this application's own appId.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub identifier_uris: Vec<Located<String>>,
    /// Tags, added to `defaults.tags`; `registrar:` is reserved.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub tags: Vec<Located<String>>,
    /// Owners (user principal names or object ids), added to `defaults.owners`.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub owners: Vec<Located<String>>,
    /// Web platform: server-side apps.
    #[serde(default)]
    pub web: Option<Web>,
    /// Single-page application platform.
    #[serde(default)]
    pub spa: Option<RedirectUris>,
    /// Mobile and desktop platform.
    #[serde(default)]
    pub public_client: Option<RedirectUris>,
    /// Allow public client flows (device code, ROPC, IWA); Graph `isFallbackPublicClient`.
    #[serde(default)]
    pub allow_public_client_flows: Option<bool>,
    /// Which groups appear in tokens.
    #[serde(default)]
    pub group_membership_claims: Option<Located<GroupMembershipClaims>>,
    /// A reference to an ITSM ticket or service, e.g. `INC-1234`.
    #[serde(default)]
    pub service_management_reference: Option<String>,
    /// Links shown on consent screens.
    #[serde(default)]
    pub info: Option<Info>,
    /// Optional claims in tokens.
    #[serde(default)]
    pub optional_claims: Option<OptionalClaims>,
    /// What this application exposes as an API.
    #[serde(default)]
    pub api: Option<Api>,
    /// App roles this application defines, keyed by value.
    #[serde(default)]
    pub app_roles: NamedMap<AppRole>,
    /// API permissions this application requests.
    #[serde(default)]
    pub required_resource_access: Vec<ResourceAccess>,
    /// Client secrets, keyed by name; each value is delivered to one store.
    #[serde(default)]
    pub secrets: NamedMap<Secret>,
    /// Certificates (public keys), keyed by name.
    #[serde(default)]
    pub certificates: NamedMap<Certificate>,
    /// Federated identity credentials (workload identity federation), keyed by name.
    #[serde(default)]
    pub federated_credentials: NamedMap<FederatedCredential>,
    /// The service principal: created with default settings unless `false`.
    #[serde(default)]
    pub service_principal: Option<Located<ServicePrincipal>>,
    /// Azure RBAC role assignments for the service principal.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Refuse any plan that would delete or replace this application, including `--prune`
    /// once it is no longer declared: remove `protect` in a change of its own first.
    #[serde(default)]
    pub protect: bool,
    /// The app instance lock (Graph `servicePrincipalLockConfiguration`): which properties of
    /// the application's service principals cannot be changed. Left as the tenant has it when
    /// absent.
    #[serde(default)]
    pub instance_lock: Option<Located<InstanceLock>>,
}

/// The app instance lock: properties of the service principal that nobody can change, in any
/// tenant, while the lock is enabled.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceLock {
    /// Whether the lock is on (default `true`); `false` unlocks everything.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Lock every sensitive property: credentials and `tokenEncryptionKeyId`.
    #[serde(default)]
    pub all_properties: bool,
    /// Lock the key and password credentials used to verify (secrets, most certificates).
    #[serde(default)]
    pub credentials_with_usage_verify: bool,
    /// Lock the key credentials used to sign (SAML signing certificates).
    #[serde(default)]
    pub credentials_with_usage_sign: bool,
    /// Lock the identifier URIs.
    #[serde(default)]
    pub identifier_uris: bool,
    /// Lock `tokenEncryptionKeyId`.
    #[serde(default)]
    pub token_encryption_key_id: bool,
}

impl InstanceLock {
    /// The lock as the model holds it.
    pub fn to_model(&self) -> registrar_model::ServicePrincipalLock {
        registrar_model::ServicePrincipalLock {
            is_enabled: self.enabled.unwrap_or(true),
            all_properties: self.all_properties,
            credentials_with_usage_verify: self.credentials_with_usage_verify,
            credentials_with_usage_sign: self.credentials_with_usage_sign,
            identifier_uris: self.identifier_uris,
            token_encryption_key_id: self.token_encryption_key_id,
        }
    }

    /// Whether it locks anything once enabled.
    pub fn locks_something(&self) -> bool {
        self.all_properties
            || self.credentials_with_usage_verify
            || self.credentials_with_usage_sign
            || self.identifier_uris
            || self.token_encryption_key_id
    }
}

/// Who can sign in to the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SignInAudience {
    /// Accounts in this organizational directory only (the default).
    AzureADMyOrg,
    /// Accounts in any organizational directory.
    AzureADMultipleOrgs,
    /// Accounts in any organizational directory and personal Microsoft accounts.
    AzureADandPersonalMicrosoftAccount,
    /// Personal Microsoft accounts only.
    PersonalMicrosoftAccount,
}

impl SignInAudience {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureADMyOrg => "AzureADMyOrg",
            Self::AzureADMultipleOrgs => "AzureADMultipleOrgs",
            Self::AzureADandPersonalMicrosoftAccount => "AzureADandPersonalMicrosoftAccount",
            Self::PersonalMicrosoftAccount => "PersonalMicrosoftAccount",
        }
    }

    /// Whether personal Microsoft accounts can sign in (then v2 access tokens are required).
    pub fn includes_personal_accounts(self) -> bool {
        matches!(
            self,
            Self::AzureADandPersonalMicrosoftAccount | Self::PersonalMicrosoftAccount
        )
    }
}

/// Which groups appear in tokens (Graph `groupMembershipClaims`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum GroupMembershipClaims {
    /// No groups.
    None,
    /// Security groups the user is a member of.
    SecurityGroup,
    /// Directory roles the user is assigned.
    DirectoryRole,
    /// Groups assigned to the application.
    ApplicationGroup,
    /// Security groups, distribution lists and directory roles.
    All,
}

impl GroupMembershipClaims {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::SecurityGroup => "SecurityGroup",
            Self::DirectoryRole => "DirectoryRole",
            Self::ApplicationGroup => "ApplicationGroup",
            Self::All => "All",
        }
    }
}

/// Web platform settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Web {
    /// The application's home page (http or https).
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub home_page_url: Option<Located<String>>,
    /// Where Entra ID sends front-channel logout requests (http or https).
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub logout_url: Option<Located<String>>,
    /// Redirect URIs: https, or http for `localhost` / `127.0.0.1` only.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub redirect_uris: Vec<Located<String>>,
    /// Implicit grant: tokens issued from the authorization endpoint.
    #[serde(default)]
    pub implicit_grant: Option<ImplicitGrant>,
}

/// Implicit grant settings (both default to false).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImplicitGrant {
    /// Issue access tokens (`enableAccessTokenIssuance`).
    #[serde(default)]
    pub access_tokens: bool,
    /// Issue ID tokens (`enableIdTokenIssuance`).
    #[serde(default)]
    pub id_tokens: bool,
}

/// A platform that only has redirect URIs (`spa`, `publicClient`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectUris {
    /// Redirect URIs. spa: https or `http://localhost`; publicClient: any absolute URI,
    /// including custom schemes like `myapp://auth`.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub redirect_uris: Vec<Located<String>>,
}

/// Links shown on consent screens (http or https).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Info {
    /// Marketing page.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub marketing_url: Option<Located<String>>,
    /// Privacy statement.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub privacy_statement_url: Option<Located<String>>,
    /// Support page.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub support_url: Option<Located<String>>,
    /// Terms of service.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub terms_of_service_url: Option<Located<String>>,
}

/// Optional claims per token type.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionalClaims {
    /// Claims in ID tokens.
    #[serde(default)]
    pub id_token: Vec<OptionalClaim>,
    /// Claims in access tokens.
    #[serde(default)]
    pub access_token: Vec<OptionalClaim>,
    /// Claims in SAML tokens.
    #[serde(default)]
    pub saml2_token: Vec<OptionalClaim>,
}

/// One optional claim (Graph's `optionalClaim`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionalClaim {
    /// The claim's name, e.g. `email`.
    pub name: Located<String>,
    /// Where the claim comes from: absent for a predefined claim, `user` for a user attribute.
    #[serde(default)]
    pub source: Option<String>,
    /// Whether the claim is required for the user's task.
    #[serde(default)]
    pub essential: bool,
    /// Extra properties of the claim, e.g. `include_externally_authenticated_upn`.
    #[serde(default)]
    pub additional_properties: Vec<String>,
}

/// What the application exposes as an API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Api {
    /// The access token version the API accepts: 1 or 2 (2 is required when personal
    /// accounts can sign in).
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    #[schemars(range(min = 1, max = 2))]
    pub requested_access_token_version: Option<Located<i64>>,
    /// Clients whose consent also consents to this API: application keys of this manifest, or
    /// appIds.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub known_client_applications: Vec<Located<String>>,
    /// Clients that need no consent for some of this API's scopes.
    #[serde(default)]
    pub pre_authorized_applications: Vec<PreAuthorizedApplication>,
    /// Delegated permissions this API exposes (oauth2PermissionScopes), keyed by value.
    #[serde(default)]
    pub scopes: NamedMap<Scope>,
}

/// A client that needs no consent for some scopes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreAuthorizedApplication {
    /// The client: an application key of this manifest, or an appId.
    pub app: Located<String>,
    /// Values of scopes this application exposes.
    pub scopes: Vec<Located<String>>,
}

/// A delegated permission the API exposes.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    /// Who can consent: `User` (users and admins) or `Admin` (admins only, the default).
    #[serde(default, rename = "type")]
    pub scope_type: Option<ScopeType>,
    /// Shown to admins on the consent screen.
    #[serde(default)]
    pub admin_consent_display_name: Option<String>,
    /// Shown to admins on the consent screen.
    #[serde(default)]
    pub admin_consent_description: Option<String>,
    /// Shown to users on the consent screen.
    #[serde(default)]
    pub user_consent_display_name: Option<String>,
    /// Shown to users on the consent screen.
    #[serde(default)]
    pub user_consent_description: Option<String>,
    /// Whether the scope can be requested (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Who can consent to a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ScopeType {
    /// Users can consent for themselves.
    User,
    /// Only administrators can consent.
    Admin,
}

/// An app role the application defines.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppRole {
    /// Shown in assignment and consent screens; defaults to the value.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Defaults to the display name.
    #[serde(default)]
    pub description: Option<String>,
    /// Who can be assigned the role: `User` (users and groups), `Application` (an application
    /// permission), or both.
    pub allowed_member_types: Vec<Located<MemberType>>,
    /// Whether the role can be assigned (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Who can be assigned an app role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum MemberType {
    /// Users and groups.
    User,
    /// Applications (makes the role an application permission).
    Application,
}

/// The permissions requested on one API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceAccess {
    /// The API: a catalog name (`Microsoft Graph`), an appId, or another application key of
    /// this manifest.
    pub resource: Located<String>,
    /// Delegated permissions (type Scope), by value or GUID.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub scopes: Vec<Located<String>>,
    /// Application permissions (type Role), by value or GUID.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub roles: Vec<Located<String>>,
    /// Grant them tenant-wide (admin consent).
    #[serde(default)]
    pub admin_consent: bool,
}

/// A client secret, rotated declaratively and delivered to one store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// How long a new secret is valid; default `defaults.secretLifetime`, else 180 days.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub lifetime: Option<Located<String>>,
    /// Rotate when the secret expires sooner than this; default `defaults.rotateBefore`, else
    /// 30 days.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub rotate_before: Option<Located<String>>,
    /// Keep the previous secret valid this long after a rotation.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub overlap: Option<Located<String>>,
    /// Where the value is delivered: exactly one of `keyVault` or `file`.
    pub store: Located<SecretStore>,
}

/// Where a secret's value is delivered; exactly one of the keys.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    /// An Azure Key Vault secret.
    #[serde(default)]
    pub key_vault: Option<KeyVaultStore>,
    /// A local file (written with mode 0600); for development.
    #[serde(default)]
    pub file: Option<FileStore>,
}

/// An Azure Key Vault secret.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyVaultStore {
    /// The vault's name (3-24 letters, digits and hyphens).
    pub vault: Located<String>,
    /// The secret's name (1-127 letters, digits and hyphens).
    pub name: Located<String>,
}

/// A local file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileStore {
    /// The file, relative to the manifest file that names it.
    pub path: Located<String>,
    /// `json` (the default), `env` (AZURE_* lines) or `raw` (the value alone).
    #[serde(default)]
    pub format: Option<FileFormat>,
}

/// The format of a file store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// `{"tenantId", "clientId", "clientSecret", "keyId", "expiresOn"}`.
    Json,
    /// `AZURE_TENANT_ID=…`, `AZURE_CLIENT_ID=…`, `AZURE_CLIENT_SECRET=…` lines.
    Env,
    /// The value alone.
    Raw,
}

/// A certificate (public key) kept on the application.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// The public certificate file, PEM or DER, relative to the manifest file.
    pub file: Located<String>,
}

/// A federated identity credential: tokens from an external issuer that the application
/// accepts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederatedCredential {
    /// The external issuer (https), e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: Located<String>,
    /// The external identity, e.g. `repo:contoso/app:ref:refs/heads/main`.
    pub subject: Located<String>,
    /// Exactly one audience; default `api://AzureADTokenExchange`.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub audiences: Option<Located<Vec<Located<String>>>>,
    /// What the credential is for.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub description: Option<Located<String>>,
}

/// The service principal: `false` for none, or its settings (`true` means default settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServicePrincipal {
    /// `servicePrincipal: false`: no service principal (none is created; an existing one is
    /// deleted by the plan).
    Disabled,
    /// A service principal with these settings.
    Enabled(ServicePrincipalSettings),
}

/// The service principal's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalSettings {
    /// Require users and applications to be assigned an app role before they get tokens.
    #[serde(default)]
    pub app_role_assignment_required: bool,
    /// Tags of the service principal, e.g. `WindowsAzureActiveDirectoryIntegratedApp` (shows it
    /// under Enterprise applications).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Notes on the service principal.
    #[serde(default)]
    pub notes: Option<String>,
    /// Owners of the service principal (user principal names or object ids). Every other owner
    /// of the service principal is removed, also when this list is absent (the signed-in
    /// principal is kept, with a warning). `defaults.owners` do not apply here.
    #[serde(default)]
    #[schemars(skip_serializing_if = "omit_default_from_schema")]
    pub owners: Vec<Located<String>>,
}

/// The keys of [`ServicePrincipalSettings`], as serde names them.
const SERVICE_PRINCIPAL_FIELDS: &[&str] = &["appRoleAssignmentRequired", "tags", "notes", "owners"];

impl<'de> Deserialize<'de> for ServicePrincipal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ServicePrincipalVisitor;

        impl<'de> Visitor<'de> for ServicePrincipalVisitor {
            type Value = ServicePrincipal;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`false` or a mapping")
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<ServicePrincipal, E> {
                Ok(if value {
                    ServicePrincipal::Enabled(ServicePrincipalSettings::default())
                } else {
                    ServicePrincipal::Disabled
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ServicePrincipal, A::Error> {
                let settings = ServicePrincipalSettings::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(ServicePrincipal::Enabled(settings))
            }
        }

        deserializer.deserialize_struct(
            "ServicePrincipal",
            SERVICE_PRINCIPAL_FIELDS,
            ServicePrincipalVisitor,
        )
    }
}

impl JsonSchema for ServicePrincipal {
    fn schema_name() -> Cow<'static, str> {
        "ServicePrincipal".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let settings = generator.subschema_for::<ServicePrincipalSettings>();
        json_schema!({
            "description": "The service principal: created with default settings unless `false`.",
            "anyOf": [
                { "type": "boolean", "description": "`false`: no service principal; `true`: default settings" },
                settings,
            ],
        })
    }
}

/// An Azure RBAC role assignment for the application's service principal.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignment {
    /// A built-in or custom role name (`Reader`), or a role definition GUID.
    pub role: Located<String>,
    /// The ARM scope: `/subscriptions/{id}[/resourceGroups/{name}[/providers/…]]` or
    /// `/providers/Microsoft.Management/managementGroups/{name}`.
    pub scope: Located<String>,
    /// What the assignment is for.
    #[serde(default)]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_principal_fields_match_the_struct() {
        let schema = schemars::schema_for!(ServicePrincipalSettings);
        let properties = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("properties");
        let names: Vec<&str> = properties.keys().map(String::as_str).collect();
        assert_eq!(names, SERVICE_PRINCIPAL_FIELDS);
    }
}
