//! The comparable settings of an application registration and its service principal.
//!
//! One shape serves both sides of a diff: the planner resolves the manifest into an
//! [`ApplicationSettings`] (names turned into ids, defaults applied) and `registrar-azure` reads
//! the tenant into one. Collections are kept in the order Graph returns them; the planner
//! compares the ones Graph treats as sets without regard to order.

use serde::{Deserialize, Serialize};

use crate::kinds::PermissionKind;
use crate::placeholder::APP_ID_PLACEHOLDER;

/// Every manifest-managed property of an application registration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApplicationSettings {
    /// The properties whose manifest value is Graph's value.
    #[serde(flatten)]
    pub plain: PlainSettings,
    /// Graph `api`.
    pub api: ApiSettings,
    /// Graph `appRoles`.
    pub app_roles: Vec<AppRole>,
    /// Graph `requiredResourceAccess`.
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// Graph `servicePrincipalLockConfiguration` (the instance lock). `None` when the tenant
    /// has none; the planner keeps the live value when the manifest declares none, so a lock
    /// set outside Registrar is left alone.
    #[serde(default)]
    pub service_principal_lock: Option<crate::policy::ServicePrincipalLock>,
}

/// The properties of an application that need no resolution against the tenant: the manifest
/// writes them as Graph does (after defaults). Shared by [`ApplicationSettings`] and
/// [`DesiredApplication`](crate::DesiredApplication), so they are declared once.
///
/// Two are still completed by the planner: `tags` gets the marker tag, and `identifier_uris`
/// may hold [`APP_ID_PLACEHOLDER`] until the appId is known.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlainSettings {
    /// Graph `displayName` (the manifest's default is the key).
    pub display_name: String,
    /// Graph `description`.
    pub description: Option<String>,
    /// Graph `notes`.
    pub notes: Option<String>,
    /// Graph `signInAudience`, e.g. `AzureADMyOrg` (the manifest's default).
    pub sign_in_audience: String,
    /// Graph `identifierUris`; `api://{appId}` is resolved where the appId is known.
    pub identifier_uris: Vec<String>,
    /// Graph `tags` (in the tenant and in resolved settings, including the marker tag).
    pub tags: Vec<String>,
    /// Graph `web`.
    pub web: WebSettings,
    /// Graph `spa.redirectUris`.
    pub spa_redirect_uris: Vec<String>,
    /// Graph `publicClient.redirectUris`.
    pub public_client_redirect_uris: Vec<String>,
    /// Graph `isFallbackPublicClient`, the manifest's `allowPublicClientFlows` (Graph reads
    /// `null` until set; that is `false`).
    pub is_fallback_public_client: bool,
    /// Graph `groupMembershipClaims` (`None` when unset).
    pub group_membership_claims: Option<String>,
    /// Graph `serviceManagementReference`.
    pub service_management_reference: Option<String>,
    /// Graph `info`.
    pub info: InformationalUrls,
    /// Graph `optionalClaims`.
    pub optional_claims: OptionalClaims,
}

impl ApplicationSettings {
    /// Replaces [`APP_ID_PLACEHOLDER`] in identifier URIs with the application's appId.
    pub fn resolve_app_id(&mut self, app_id: &str) {
        for uri in &mut self.plain.identifier_uris {
            if uri.contains(APP_ID_PLACEHOLDER) {
                *uri = uri.replace(APP_ID_PLACEHOLDER, app_id);
            }
        }
    }

    /// Whether any identifier URI still needs the application's appId.
    pub fn needs_app_id(&self) -> bool {
        self.plain
            .identifier_uris
            .iter()
            .any(|uri| uri.contains(APP_ID_PLACEHOLDER))
    }

    /// Every place that names another application by appId, and so may hold a
    /// [`PlannedAppId`](crate::PlannedAppId) placeholder: `api.knownClientApplications`,
    /// `api.preAuthorizedApplications[].appId` and `requiredResourceAccess[].resourceAppId`.
    ///
    /// Works like [`Vec::retain_mut`]: `keep` may rewrite the appId in place and returns
    /// whether its entry stays. This is the one list of those places; the planner leaves
    /// entries out with it and the executor substitutes the placeholders with it.
    pub fn retain_app_id_references(&mut self, mut keep: impl FnMut(&mut String) -> bool) {
        self.api.known_client_applications.retain_mut(&mut keep);
        self.api
            .pre_authorized_applications
            .retain_mut(|entry| keep(&mut entry.app_id));
        self.required_resource_access
            .retain_mut(|entry| keep(&mut entry.resource_app_id));
    }
}

/// Graph `web`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebSettings {
    /// `homePageUrl`.
    pub home_page_url: Option<String>,
    /// `logoutUrl`.
    pub logout_url: Option<String>,
    /// `redirectUris`.
    pub redirect_uris: Vec<String>,
    /// `implicitGrantSettings.enableAccessTokenIssuance`.
    pub implicit_grant_access_tokens: bool,
    /// `implicitGrantSettings.enableIdTokenIssuance`.
    pub implicit_grant_id_tokens: bool,
}

/// Graph `info`: links shown on consent screens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InformationalUrls {
    /// `marketingUrl`.
    pub marketing_url: Option<String>,
    /// `privacyStatementUrl`.
    pub privacy_statement_url: Option<String>,
    /// `supportUrl`.
    pub support_url: Option<String>,
    /// `termsOfServiceUrl`.
    pub terms_of_service_url: Option<String>,
}

/// Graph `optionalClaims`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OptionalClaims {
    /// `idToken`.
    pub id_token: Vec<OptionalClaim>,
    /// `accessToken`.
    pub access_token: Vec<OptionalClaim>,
    /// `saml2Token`.
    pub saml2_token: Vec<OptionalClaim>,
}

/// One Graph `optionalClaim`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OptionalClaim {
    /// `name`.
    pub name: String,
    /// `source` (`null` or `user`).
    pub source: Option<String>,
    /// `essential`.
    pub essential: bool,
    /// `additionalProperties`.
    pub additional_properties: Vec<String>,
}

/// Graph `api`: what the application exposes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiSettings {
    /// `requestedAccessTokenVersion` (`None` reads as Graph's `null`, which means 1).
    pub requested_access_token_version: Option<i64>,
    /// `knownClientApplications`: appIds.
    pub known_client_applications: Vec<String>,
    /// `preAuthorizedApplications`.
    pub pre_authorized_applications: Vec<PreAuthorizedApplication>,
    /// `oauth2PermissionScopes`.
    pub oauth2_permission_scopes: Vec<PermissionScope>,
}

/// Graph `preAuthorizedApplication`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PreAuthorizedApplication {
    /// `appId` of the client.
    pub app_id: String,
    /// `delegatedPermissionIds`: ids of this application's own scopes.
    pub delegated_permission_ids: Vec<String>,
}

/// Graph `permissionScope` (a delegated permission this application exposes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermissionScope {
    /// `id` (client-chosen GUID).
    pub id: String,
    /// `value`.
    pub value: String,
    /// `type`: `User` or `Admin`.
    pub scope_type: String,
    /// `isEnabled`.
    pub is_enabled: bool,
    /// `adminConsentDisplayName`.
    pub admin_consent_display_name: Option<String>,
    /// `adminConsentDescription`.
    pub admin_consent_description: Option<String>,
    /// `userConsentDisplayName`.
    pub user_consent_display_name: Option<String>,
    /// `userConsentDescription`.
    pub user_consent_description: Option<String>,
}

/// Graph `appRole`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppRole {
    /// `id` (client-chosen GUID).
    pub id: String,
    /// `value`.
    pub value: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    pub description: String,
    /// `allowedMemberTypes`: `User`, `Application`.
    pub allowed_member_types: Vec<String>,
    /// `isEnabled`.
    pub is_enabled: bool,
}

/// Graph `requiredResourceAccess`: the permissions requested on one API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RequiredResourceAccess {
    /// `resourceAppId`: the API's appId.
    pub resource_app_id: String,
    /// `resourceAccess`.
    pub resource_access: Vec<ResourceAccess>,
}

/// Graph `resourceAccess`: one requested permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAccess {
    /// The permission's GUID.
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    pub access_type: PermissionKind,
}

/// The manifest-managed settings of a service principal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServicePrincipalSettings {
    /// `appRoleAssignmentRequired`.
    pub app_role_assignment_required: bool,
    /// `tags`.
    pub tags: Vec<String>,
    /// `notes`.
    pub notes: Option<String>,
}
