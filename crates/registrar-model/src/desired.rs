//! The desired state: the manifest after parsing, interpolation, defaults and offline validation.
//!
//! `registrar-manifest` produces a [`DesiredState`]; the planner resolves what needs the tenant
//! (owner UPNs, permission names, other applications' appIds) against the live snapshot. Values
//! that can fail that resolution carry their [`Origin`], so a plan-time error names the file,
//! line and column just as a validation error does.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::application::{PlainSettings, ServicePrincipalSettings};
use crate::live::SecretStoreLocation;

/// Where a value was written: file, line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Origin {
    /// The manifest file, as the user named it (relative paths stay relative).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The newtype name by which a deserializer that knows where values were written recognises a
/// [`Located`]: `registrar-manifest`'s located-tree deserializer answers
/// `deserialize_newtype_struct(LOCATED_MARKER, ..)` with the sequence `(file, line, column,
/// value)`. Not for other uses.
#[doc(hidden)]
pub const LOCATED_MARKER: &str = "$__registrar_located";

/// A value and where it was written: in the typed manifest, and in the desired state wherever a
/// plan-time error must name the place.
///
/// It deserializes in two ways: from a deserializer that knows positions (the manifest's,
/// through [`LOCATED_MARKER`]) with the origin filled in, and from any other (JSON, ...) as the
/// `{ "value": .., "origin": .. }` it serializes to. Its JSON Schema is its value's: the
/// wrapper is invisible to editors of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written (for a mapping key, the key; for a value, the value).
    pub origin: Origin,
}

impl<T> Located<T> {
    /// A located value.
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}

impl Located<String> {
    /// The string.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(LOCATED_MARKER, LocatedVisitor(PhantomData))
    }
}

struct LocatedVisitor<T>(PhantomData<T>);

/// The serialized form, `{ "value": .., "origin": .. }`, read back by other deserializers.
#[derive(Deserialize)]
struct LocatedFields<T> {
    value: T,
    origin: Origin,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
    type Value = Located<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a located value")
    }

    /// A deserializer that knows positions sends `(file, line, column, value)`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let missing = || de::Error::custom("internal: incomplete located value");
        let file: String = seq.next_element()?.ok_or_else(missing)?;
        let line: usize = seq.next_element()?.ok_or_else(missing)?;
        let column: usize = seq.next_element()?.ok_or_else(missing)?;
        let value: T = seq.next_element()?.ok_or_else(missing)?;
        Ok(Located::new(value, Origin { file, line, column }))
    }

    /// Any other deserializer: the serialized form.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        let LocatedFields { value, origin } = LocatedFields::deserialize(deserializer)?;
        Ok(Located::new(value, origin))
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// All applications a manifest (file or directory) declares.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DesiredState {
    /// The namespace: marks what this manifest owns.
    pub namespace: String,
    /// The tenant id or domain, if the manifest names one.
    pub tenant: Option<String>,
    /// Applications, sorted by key.
    pub applications: Vec<DesiredApplication>,
}

impl DesiredState {
    /// The application with this manifest key.
    pub fn application(&self, key: &str) -> Option<&DesiredApplication> {
        self.applications.iter().find(|app| app.key == key)
    }
}

/// One declared application, with defaults merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DesiredApplication {
    /// The manifest key: the application's stable identity.
    pub key: String,
    /// Where the key was written.
    pub origin: Origin,
    /// An appId pinned for adoption of an existing application.
    pub app_id: Option<String>,
    /// The settings that need no tenant lookup (display name defaults to the key, sign-in
    /// audience to `AzureADMyOrg`; identifier URIs may hold [`crate::APP_ID_PLACEHOLDER`]; tags
    /// are `defaults.tags` and the application's, the marker tag is the planner's business).
    #[serde(flatten)]
    pub plain: PlainSettings,
    /// Owners from `defaults.owners` and the application: UPNs or object ids.
    pub owners: Vec<Located<String>>,
    /// api.
    pub api: DesiredApi,
    /// appRoles, in manifest order.
    pub app_roles: Vec<DesiredAppRole>,
    /// requiredResourceAccess, in manifest order.
    pub required_resource_access: Vec<DesiredResourceAccess>,
    /// secrets, in manifest order.
    pub secrets: Vec<DesiredSecret>,
    /// certificates, in manifest order.
    pub certificates: Vec<DesiredCertificate>,
    /// federatedCredentials, in manifest order.
    pub federated_credentials: Vec<DesiredFederatedCredential>,
    /// The service principal's settings; `None` for `servicePrincipal: false`.
    pub service_principal: Option<ServicePrincipalSettings>,
    /// Azure RBAC role assignments for the service principal.
    pub role_assignments: Vec<DesiredRoleAssignment>,
    /// `protect: true`: a plan that would delete or replace the application fails. Registrar
    /// records it in the tenant as [`crate::protect_tag`], so pruning fails too once the
    /// manifest no longer declares the application.
    #[serde(default)]
    pub protect: bool,
    /// Owners of the service principal (`servicePrincipal.owners`): UPNs or object ids. Unlike
    /// the application's owners, an empty list is managed too: every owner of the service
    /// principal that is not listed is removed (except the signed-in principal).
    #[serde(default)]
    pub service_principal_owners: Vec<Located<String>>,
    /// The instance lock the manifest declares (`instanceLock`), with where it was written;
    /// `None` leaves the tenant's lock as it is.
    #[serde(default)]
    pub instance_lock: Option<Located<crate::policy::ServicePrincipalLock>>,
}

/// What an application exposes (`api`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredApi {
    /// requestedAccessTokenVersion.
    pub requested_access_token_version: Option<i64>,
    /// knownClientApplications: application keys of this manifest, or appIds.
    pub known_client_applications: Vec<Located<String>>,
    /// preAuthorizedApplications.
    pub pre_authorized_applications: Vec<DesiredPreAuthorizedApplication>,
    /// oauth2PermissionScopes, in manifest order.
    pub scopes: Vec<DesiredScope>,
}

/// A client that needs no consent for some of this application's scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredPreAuthorizedApplication {
    /// An application key of this manifest, or an appId.
    pub app: Located<String>,
    /// Values of this application's own scopes.
    pub scopes: Vec<String>,
}

/// A delegated permission this application exposes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredScope {
    /// The value (the map key in the manifest).
    pub value: String,
    /// `User` or `Admin`.
    pub scope_type: String,
    /// adminConsentDisplayName.
    pub admin_consent_display_name: Option<String>,
    /// adminConsentDescription.
    pub admin_consent_description: Option<String>,
    /// userConsentDisplayName.
    pub user_consent_display_name: Option<String>,
    /// userConsentDescription.
    pub user_consent_description: Option<String>,
    /// enabled.
    pub enabled: bool,
}

/// An app role this application defines.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredAppRole {
    /// The value (the map key in the manifest).
    pub value: String,
    /// displayName.
    pub display_name: String,
    /// description.
    pub description: String,
    /// allowedMemberTypes.
    pub allowed_member_types: Vec<String>,
    /// enabled.
    pub enabled: bool,
}

/// The permissions requested on one API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredResourceAccess {
    /// A catalog name, an appId, or an application key of this manifest.
    pub resource: Located<String>,
    /// Delegated permissions, by value or GUID.
    pub scopes: Vec<Located<String>>,
    /// Application permissions, by value or GUID.
    pub roles: Vec<Located<String>>,
    /// Grant them tenant-wide.
    pub admin_consent: bool,
}

/// A client secret to keep valid and delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredSecret {
    /// The name (the map key), used as the credential's displayName.
    pub name: String,
    /// Where the name was written.
    pub origin: Origin,
    /// How long a new credential is valid.
    pub lifetime: time::Duration,
    /// Rotate when the credential expires sooner than this.
    pub rotate_before: time::Duration,
    /// Keep the previous credential this long after a rotation.
    pub overlap: Option<time::Duration>,
    /// Where the value is delivered.
    pub store: SecretStoreLocation,
}

/// A certificate (public key) to keep on the application, read from its file at load time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredCertificate {
    /// The name (the map key), used as the credential's displayName.
    pub name: String,
    /// Where the name was written.
    pub origin: Origin,
    /// The file it was read from, as written.
    pub file: String,
    /// The DER certificate, base64 (Graph's `key`).
    pub der_base64: String,
    /// The SHA-1 thumbprint, base64 (Graph's `customKeyIdentifier`).
    pub thumbprint_base64: String,
    /// The certificate's notBefore.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: time::OffsetDateTime,
    /// The certificate's notAfter.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: time::OffsetDateTime,
}

/// A federated identity credential.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredFederatedCredential {
    /// The name (the map key).
    pub name: String,
    /// Where the name was written.
    pub origin: Origin,
    /// issuer (https).
    pub issuer: String,
    /// subject.
    pub subject: String,
    /// audiences (default `api://AzureADTokenExchange`).
    pub audiences: Vec<String>,
    /// description.
    pub description: Option<String>,
}

/// An Azure RBAC role assignment for the application's service principal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredRoleAssignment {
    /// A role name or role definition GUID.
    pub role: Located<String>,
    /// The ARM scope.
    pub scope: Located<String>,
    /// description.
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_values_read_back_what_they_serialize() {
        let located = Located::new(
            "User.Read".to_owned(),
            Origin {
                file: "apps.yaml".to_owned(),
                line: 9,
                column: 17,
            },
        );
        let json = serde_json::to_value(&located).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "value": "User.Read",
                "origin": { "file": "apps.yaml", "line": 9, "column": 17 }
            })
        );
        let back: Located<String> = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, located);
    }

    #[test]
    fn a_located_value_has_its_values_schema() {
        let located = schemars::schema_for!(Located<u32>);
        let plain = schemars::schema_for!(u32);
        assert_eq!(located, plain);
    }
}
