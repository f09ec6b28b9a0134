//! The tenant's own rules on application credentials and identifier URIs: its app management
//! policies (the tenant-wide default one and those assigned to an application), and an
//! application's instance lock (Graph `servicePrincipalLockConfiguration`), which locks
//! properties of its service principal.
//!
//! Data only: `registrar-azure` reads them into [`LiveTenant::app_management`](crate::LiveTenant)
//! and [`LiveApplication`](crate::LiveApplication); the planner (`registrar-plan`'s `policy`
//! module) decides which restriction a plan would break. Nothing here evaluates a policy.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the snapshot read of the tenant's app management policies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppManagementState {
    /// Whether the policies were read. `false` when the credential may not read them (Graph
    /// answered 403: `Policy.Read.ApplicationConfiguration` is missing); the planner then
    /// cannot check them and says so.
    pub read: bool,
    /// The tenant-wide default policy (`/policies/defaultAppManagementPolicy`).
    pub default_policy: Option<AppManagementPolicy>,
}

/// One app management policy: the tenant default (`tenantAppManagementPolicy`) or a custom
/// one (`appManagementPolicy`) assigned to applications.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppManagementPolicy {
    /// The policy's id (the default policy's is `00000000-0000-0000-0000-000000000000`).
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `isEnabled`: a disabled policy restricts nothing.
    pub is_enabled: bool,
    /// What applies to applications: `applicationRestrictions` of the default policy,
    /// `restrictions` of a custom one.
    pub application_restrictions: AppManagementRestrictions,
    /// What applies to service principals (`servicePrincipalRestrictions`; the default policy
    /// only, empty for a custom one).
    pub service_principal_restrictions: AppManagementRestrictions,
}

/// Graph `appManagementConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppManagementRestrictions {
    /// `passwordCredentials`: restrictions on client secrets and symmetric keys.
    pub password_credentials: Vec<CredentialRestriction>,
    /// `keyCredentials`: restrictions on certificates.
    pub key_credentials: Vec<CredentialRestriction>,
    /// `identifierUris.nonDefaultUriAddition`: only `api://{appId}` (or
    /// `api://{tenantId}/{appId}`) may be added.
    pub non_default_uri_addition: Option<UriRestriction>,
    /// `identifierUris.uriAdditionWithoutUniqueTenantIdentifier`: an added URI must contain the
    /// tenant id, the appId or a verified domain.
    pub uri_addition_without_unique_tenant_identifier: Option<UriRestriction>,
}

/// Graph `appCredentialRestrictionType` / `appKeyCredentialRestrictionType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestrictionType {
    /// `passwordAddition`: no new client secret.
    PasswordAddition,
    /// `passwordLifetime`: a client secret lives at most `maxLifetime`.
    PasswordLifetime,
    /// `symmetricKeyAddition`: no new symmetric key.
    SymmetricKeyAddition,
    /// `symmetricKeyLifetime`: a symmetric key lives at most `maxLifetime`.
    SymmetricKeyLifetime,
    /// `customPasswordAddition`: no secret whose value the caller chooses.
    CustomPasswordAddition,
    /// `asymmetricKeyLifetime`: a certificate lives at most `maxLifetime`.
    AsymmetricKeyLifetime,
    /// `trustedCertificateAuthority`: certificates only from the listed authorities.
    TrustedCertificateAuthority,
    /// A value this version does not know (`unknownFutureValue` and later ones), kept as
    /// written.
    Other(String),
}

impl RestrictionType {
    /// Graph's spelling.
    pub fn as_graph(&self) -> &str {
        match self {
            Self::PasswordAddition => "passwordAddition",
            Self::PasswordLifetime => "passwordLifetime",
            Self::SymmetricKeyAddition => "symmetricKeyAddition",
            Self::SymmetricKeyLifetime => "symmetricKeyLifetime",
            Self::CustomPasswordAddition => "customPasswordAddition",
            Self::AsymmetricKeyLifetime => "asymmetricKeyLifetime",
            Self::TrustedCertificateAuthority => "trustedCertificateAuthority",
            Self::Other(text) => text,
        }
    }

    /// The type Graph spells `text`.
    pub fn from_graph(text: &str) -> Self {
        match text {
            "passwordAddition" => Self::PasswordAddition,
            "passwordLifetime" => Self::PasswordLifetime,
            "symmetricKeyAddition" => Self::SymmetricKeyAddition,
            "symmetricKeyLifetime" => Self::SymmetricKeyLifetime,
            "customPasswordAddition" => Self::CustomPasswordAddition,
            "asymmetricKeyLifetime" => Self::AsymmetricKeyLifetime,
            "trustedCertificateAuthority" => Self::TrustedCertificateAuthority,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Graph `passwordCredentialConfiguration` / `keyCredentialConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRestriction {
    /// `restrictionType`.
    pub restriction_type: RestrictionType,
    /// `state`: `enabled` (or absent) is enforced, `disabled` is not.
    pub enabled: bool,
    /// `maxLifetime` as Graph wrote it (ISO 8601, e.g. `P90D`), for display.
    pub max_lifetime: Option<String>,
    /// `maxLifetime` in seconds (years counted as 365 days, months as 30), when it parsed.
    pub max_lifetime_seconds: Option<i64>,
    /// `restrictForAppsCreatedAfterDateTime`: only applications created after it are
    /// restricted; `None` restricts every application.
    #[serde(with = "time::serde::rfc3339::option")]
    pub restrict_for_apps_created_after: Option<OffsetDateTime>,
    /// `certificateBasedApplicationConfigurationIds` of a `trustedCertificateAuthority`
    /// restriction.
    #[serde(default)]
    pub certificate_authority_ids: Vec<String>,
}

/// Graph `identifierUriRestriction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UriRestriction {
    /// `state`: `enabled` (or absent) is enforced.
    pub enabled: bool,
    /// `restrictForAppsCreatedAfterDateTime`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub restrict_for_apps_created_after: Option<OffsetDateTime>,
    /// `excludeAppsReceivingV2Tokens`: not enforced on applications with
    /// `requestedAccessTokenVersion: 2`.
    pub exclude_apps_receiving_v2_tokens: bool,
    /// `excludeSaml`: not enforced on SAML applications.
    pub exclude_saml: bool,
}

impl CredentialRestriction {
    /// Whether this restriction is enforced on an application created at `created` (unknown:
    /// enforced, as Graph treats a missing creation time as an old date only for service
    /// principals).
    pub fn applies_to(&self, created: Option<OffsetDateTime>) -> bool {
        self.enabled && applies_after(self.restrict_for_apps_created_after, created)
    }
}

impl UriRestriction {
    /// Whether this restriction is enforced on an application created at `created`.
    pub fn applies_to(&self, created: Option<OffsetDateTime>) -> bool {
        self.enabled && applies_after(self.restrict_for_apps_created_after, created)
    }
}

/// Whether a restriction dated `after` covers an application created at `created` (a new
/// application, `None`, is created now: after any date).
fn applies_after(after: Option<OffsetDateTime>, created: Option<OffsetDateTime>) -> bool {
    match (after, created) {
        (None, _) | (Some(_), None) => true,
        (Some(after), Some(created)) => created >= after,
    }
}

/// Graph `servicePrincipalLockConfiguration`, the application's instance lock: which
/// properties of its service principal cannot be changed (in any tenant it is in).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServicePrincipalLock {
    /// `isEnabled`: the lock is on.
    pub is_enabled: bool,
    /// `allProperties`: every sensitive property (credentials, `tokenEncryptionKeyId`).
    pub all_properties: bool,
    /// `credentialsWithUsageVerify`: key and password credentials with usage `Verify`.
    pub credentials_with_usage_verify: bool,
    /// `credentialsWithUsageSign`: key credentials with usage `Sign`.
    pub credentials_with_usage_sign: bool,
    /// `identifierUris`.
    pub identifier_uris: bool,
    /// `tokenEncryptionKeyId`.
    pub token_encryption_key_id: bool,
}

impl ServicePrincipalLock {
    /// Whether the lock forbids changing the service principal's credentials of `usage`
    /// (`Verify` for secrets and most certificates, `Sign`).
    pub fn locks_credentials(&self, usage: &str) -> bool {
        self.is_enabled
            && (self.all_properties
                || if usage.eq_ignore_ascii_case("Sign") {
                    self.credentials_with_usage_sign
                } else {
                    self.credentials_with_usage_verify
                })
    }
}
