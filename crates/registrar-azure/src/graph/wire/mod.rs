//! Graph's wire JSON (camelCase, nullable) and its exact conversion to and from the model.
//!
//! Reading is lenient about absence (`null` and a missing property read the same; a `null`
//! collection is empty; `isFallbackPublicClient: null` is `false`), and writing is the mirror
//! image: [`settings_to_json`] of [`settings_from_json`] of a body gives back the same
//! settings. Only this module knows Graph's property names.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use registrar_model::{
    ApiSettings, AppRole, AppRoleAssignment, ApplicationField, ApplicationSettings, ConsentType,
    DeletedApplication, DirectoryObject, DirectoryObjectKind, ExposedPermission, InformationalUrls,
    KeyCredential, LiveApplication, LiveServicePrincipal, OptionalClaim, OptionalClaims,
    PasswordCredential, PermissionGrant, PermissionKind, PermissionScope, PlainSettings,
    PreAuthorizedApplication, RequiredResourceAccess, ResourceAccess, ResourceServicePrincipal,
    ServicePrincipalSettings, WebSettings,
};

/// The application properties the snapshot reads (`$select`).
pub(crate) const APPLICATION_SELECT: &str = "id,appId,uniqueName,displayName,description,notes,signInAudience,\
identifierUris,tags,web,spa,publicClient,isFallbackPublicClient,groupMembershipClaims,serviceManagementReference,\
info,optionalClaims,api,appRoles,requiredResourceAccess,passwordCredentials,keyCredentials,\
servicePrincipalLockConfiguration,createdDateTime";

/// The service principal properties of a managed application's SP.
pub(crate) const SERVICE_PRINCIPAL_SELECT: &str =
    "id,appId,appRoleAssignmentRequired,tags,notes,passwordCredentials,keyCredentials";

/// The properties of an API's service principal that permission names resolve against.
pub(crate) const RESOURCE_SERVICE_PRINCIPAL_SELECT: &str =
    "id,appId,displayName,appRoles,oauth2PermissionScopes";

/// The properties of a federated identity credential the snapshot compares.
pub(crate) const FEDERATED_CREDENTIAL_SELECT: &str = "id,name,issuer,subject,audiences,description";

/// The properties of an app role assignment held by a service principal.
pub(crate) const APP_ROLE_ASSIGNMENT_SELECT: &str = "id,resourceId,appRoleId";

/// The properties of a delegated permission grant.
pub(crate) const PERMISSION_GRANT_SELECT: &str = "id,resourceId,consentType,principalId,scope";

/// The properties of a soft-deleted application: with the credentials a restore brings back,
/// so a plan that restores it also plans what to do with them.
pub(crate) const DELETED_APPLICATION_SELECT: &str =
    "id,appId,uniqueName,displayName,deletedDateTime,passwordCredentials,keyCredentials,tags";

/// The model of a credential list as Graph returned it (applications, deleted applications and
/// service principals carry the same lists).
fn passwords_to_model(credentials: &[GraphPasswordCredential]) -> Vec<PasswordCredential> {
    credentials
        .iter()
        .map(GraphPasswordCredential::to_model)
        .collect()
}

/// The model of a certificate list as Graph returned it (see [`passwords_to_model`]).
fn keys_to_model(credentials: &[GraphKeyCredential]) -> Vec<KeyCredential> {
    credentials
        .iter()
        .map(GraphKeyCredential::to_model)
        .collect()
}

fn date_opt<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(text) => OffsetDateTime::parse(&text, &Rfc3339)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn format_date(date: &OffsetDateTime) -> Value {
    date.format(&Rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// `null` or missing reads as the default.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A Graph `application` as read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphApplication {
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) app_id: String,
    #[serde(default)]
    pub(crate) unique_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    display_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    sign_in_audience: String,
    #[serde(default, deserialize_with = "nullable")]
    identifier_uris: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    web: GraphWeb,
    #[serde(default, deserialize_with = "nullable")]
    spa: GraphRedirects,
    #[serde(default, deserialize_with = "nullable")]
    public_client: GraphRedirects,
    #[serde(default)]
    is_fallback_public_client: Option<bool>,
    #[serde(default)]
    group_membership_claims: Option<String>,
    #[serde(default)]
    service_management_reference: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    info: GraphInfo,
    #[serde(default, deserialize_with = "nullable")]
    optional_claims: GraphOptionalClaims,
    #[serde(default, deserialize_with = "nullable")]
    api: GraphApi,
    #[serde(default, deserialize_with = "nullable")]
    app_roles: Vec<GraphAppRole>,
    #[serde(default, deserialize_with = "nullable")]
    required_resource_access: Vec<GraphRequiredResourceAccess>,
    #[serde(default, deserialize_with = "nullable")]
    password_credentials: Vec<GraphPasswordCredential>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) key_credentials: Vec<GraphKeyCredential>,
    #[serde(default)]
    deleted_date_time: Option<String>,
    /// The owners, when read with `$expand=owners`.
    #[serde(default)]
    pub(crate) owners: Option<Vec<super::IdOnly>>,
    #[serde(default)]
    service_principal_lock_configuration: Option<GraphServicePrincipalLock>,
    #[serde(default)]
    created_date_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphWeb {
    #[serde(default)]
    home_page_url: Option<String>,
    #[serde(default)]
    logout_url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    redirect_uris: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    implicit_grant_settings: GraphImplicitGrant,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphImplicitGrant {
    #[serde(default, deserialize_with = "nullable")]
    enable_id_token_issuance: bool,
    #[serde(default, deserialize_with = "nullable")]
    enable_access_token_issuance: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphRedirects {
    #[serde(default, deserialize_with = "nullable")]
    redirect_uris: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphInfo {
    #[serde(default)]
    marketing_url: Option<String>,
    #[serde(default)]
    privacy_statement_url: Option<String>,
    #[serde(default)]
    support_url: Option<String>,
    #[serde(default)]
    terms_of_service_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphOptionalClaims {
    #[serde(default, deserialize_with = "nullable")]
    id_token: Vec<GraphOptionalClaim>,
    #[serde(default, deserialize_with = "nullable")]
    access_token: Vec<GraphOptionalClaim>,
    #[serde(default, deserialize_with = "nullable")]
    saml2_token: Vec<GraphOptionalClaim>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphOptionalClaim {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    essential: bool,
    #[serde(default, deserialize_with = "nullable")]
    additional_properties: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphApi {
    #[serde(default)]
    requested_access_token_version: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    known_client_applications: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pre_authorized_applications: Vec<GraphPreAuthorized>,
    #[serde(default, deserialize_with = "nullable")]
    oauth2_permission_scopes: Vec<GraphPermissionScope>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphPreAuthorized {
    #[serde(default, deserialize_with = "nullable")]
    app_id: String,
    #[serde(default, deserialize_with = "nullable")]
    delegated_permission_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphPermissionScope {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    value: String,
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    scope_type: String,
    #[serde(default, deserialize_with = "nullable")]
    is_enabled: bool,
    #[serde(default)]
    admin_consent_display_name: Option<String>,
    #[serde(default)]
    admin_consent_description: Option<String>,
    #[serde(default)]
    user_consent_display_name: Option<String>,
    #[serde(default)]
    user_consent_description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphAppRole {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    value: String,
    #[serde(default, deserialize_with = "nullable")]
    display_name: String,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default, deserialize_with = "nullable")]
    allowed_member_types: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    is_enabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphRequiredResourceAccess {
    #[serde(default, deserialize_with = "nullable")]
    resource_app_id: String,
    #[serde(default, deserialize_with = "nullable")]
    resource_access: Vec<GraphResourceAccess>,
}

#[derive(Debug, Default, Deserialize)]
struct GraphResourceAccess {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    access_type: String,
}

/// A `passwordCredential` as listed, or as addPassword returns it (with `secretText`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphPasswordCredential {
    #[serde(default, deserialize_with = "nullable")]
    key_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default, deserialize_with = "date_opt")]
    start_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "date_opt")]
    end_date_time: Option<OffsetDateTime>,
    /// Present only in the addPassword response; moved into a `SecretValue` at once.
    #[serde(default)]
    pub(crate) secret_text: Option<String>,
}

impl std::fmt::Debug for GraphPasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphPasswordCredential")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl GraphPasswordCredential {
    pub(crate) fn to_model(&self) -> PasswordCredential {
        PasswordCredential {
            key_id: self.key_id.clone(),
            display_name: self.display_name.clone(),
            hint: self.hint.clone(),
            start: self.start_date_time,
            end: self.end_date_time,
        }
    }
}

/// A `keyCredential`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphKeyCredential {
    #[serde(default, deserialize_with = "nullable")]
    key_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    key_type: String,
    #[serde(default, deserialize_with = "nullable")]
    usage: String,
    #[serde(default)]
    custom_key_identifier: Option<String>,
    #[serde(default, deserialize_with = "date_opt")]
    start_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "date_opt")]
    end_date_time: Option<OffsetDateTime>,
    #[serde(default)]
    key: Option<String>,
}

impl GraphKeyCredential {
    pub(crate) fn to_model(&self) -> KeyCredential {
        KeyCredential {
            key_id: self.key_id.clone(),
            display_name: self.display_name.clone(),
            key_type: self.key_type.clone(),
            usage: self.usage.clone(),
            custom_key_identifier: self.custom_key_identifier.clone(),
            start: self.start_date_time,
            end: self.end_date_time,
            key: self.key.clone(),
        }
    }
}

/// The JSON of one certificate in a keyCredentials PATCH. `keyId` is sent for certificates
/// already on the application (so Graph keeps them) and left out for new ones.
pub(crate) fn key_credential_to_json(credential: &KeyCredential) -> Value {
    let mut object = Map::new();
    if !credential.key_id.is_empty() {
        object.insert("keyId".into(), json!(credential.key_id));
    }
    object.insert("type".into(), json!(credential.key_type));
    object.insert("usage".into(), json!(credential.usage));
    object.insert("key".into(), json!(credential.key));
    object.insert("displayName".into(), json!(credential.display_name));
    object.insert(
        "customKeyIdentifier".into(),
        json!(credential.custom_key_identifier),
    );
    if let Some(start) = &credential.start {
        object.insert("startDateTime".into(), format_date(start));
    }
    if let Some(end) = &credential.end {
        object.insert("endDateTime".into(), format_date(end));
    }
    Value::Object(object)
}

impl GraphApplication {
    /// The managed settings.
    pub(crate) fn settings(&self) -> ApplicationSettings {
        let claims = |list: &[GraphOptionalClaim]| -> Vec<OptionalClaim> {
            list.iter()
                .map(|claim| OptionalClaim {
                    name: claim.name.clone(),
                    source: claim.source.clone(),
                    essential: claim.essential,
                    additional_properties: claim.additional_properties.clone(),
                })
                .collect()
        };
        ApplicationSettings {
            plain: PlainSettings {
                display_name: self.display_name.clone(),
                description: self.description.clone(),
                notes: self.notes.clone(),
                sign_in_audience: self.sign_in_audience.clone(),
                identifier_uris: self.identifier_uris.clone(),
                tags: self.tags.clone(),
                web: WebSettings {
                    home_page_url: self.web.home_page_url.clone(),
                    logout_url: self.web.logout_url.clone(),
                    redirect_uris: self.web.redirect_uris.clone(),
                    implicit_grant_access_tokens: self
                        .web
                        .implicit_grant_settings
                        .enable_access_token_issuance,
                    implicit_grant_id_tokens: self
                        .web
                        .implicit_grant_settings
                        .enable_id_token_issuance,
                },
                spa_redirect_uris: self.spa.redirect_uris.clone(),
                public_client_redirect_uris: self.public_client.redirect_uris.clone(),
                is_fallback_public_client: self.is_fallback_public_client.unwrap_or(false),
                group_membership_claims: self.group_membership_claims.clone(),
                service_management_reference: self.service_management_reference.clone(),
                info: InformationalUrls {
                    marketing_url: self.info.marketing_url.clone(),
                    privacy_statement_url: self.info.privacy_statement_url.clone(),
                    support_url: self.info.support_url.clone(),
                    terms_of_service_url: self.info.terms_of_service_url.clone(),
                },
                optional_claims: OptionalClaims {
                    id_token: claims(&self.optional_claims.id_token),
                    access_token: claims(&self.optional_claims.access_token),
                    saml2_token: claims(&self.optional_claims.saml2_token),
                },
            },
            api: ApiSettings {
                requested_access_token_version: self.api.requested_access_token_version,
                known_client_applications: self.api.known_client_applications.clone(),
                pre_authorized_applications: self
                    .api
                    .pre_authorized_applications
                    .iter()
                    .map(|pre| PreAuthorizedApplication {
                        app_id: pre.app_id.clone(),
                        delegated_permission_ids: pre.delegated_permission_ids.clone(),
                    })
                    .collect(),
                oauth2_permission_scopes: self
                    .api
                    .oauth2_permission_scopes
                    .iter()
                    .map(|scope| PermissionScope {
                        id: scope.id.clone(),
                        value: scope.value.clone(),
                        scope_type: scope.scope_type.clone(),
                        is_enabled: scope.is_enabled,
                        admin_consent_display_name: scope.admin_consent_display_name.clone(),
                        admin_consent_description: scope.admin_consent_description.clone(),
                        user_consent_display_name: scope.user_consent_display_name.clone(),
                        user_consent_description: scope.user_consent_description.clone(),
                    })
                    .collect(),
            },
            app_roles: self
                .app_roles
                .iter()
                .map(|role| AppRole {
                    id: role.id.clone(),
                    value: role.value.clone(),
                    display_name: role.display_name.clone(),
                    description: role.description.clone(),
                    allowed_member_types: role.allowed_member_types.clone(),
                    is_enabled: role.is_enabled,
                })
                .collect(),
            required_resource_access: self
                .required_resource_access
                .iter()
                .map(|resource| RequiredResourceAccess {
                    resource_app_id: resource.resource_app_id.clone(),
                    // Graph knows only `Scope` and `Role`; an entry of another type could not
                    // be written back, so it is not read either.
                    resource_access: resource
                        .resource_access
                        .iter()
                        .filter_map(|access| {
                            Some(ResourceAccess {
                                id: access.id.clone(),
                                access_type: PermissionKind::from_resource_access_type(
                                    &access.access_type,
                                )?,
                            })
                        })
                        .collect(),
                })
                .collect(),
            service_principal_lock: self
                .service_principal_lock_configuration
                .as_ref()
                .map(GraphServicePrincipalLock::to_model),
        }
    }

    /// The live application (owners, federated credentials and the service principal are read
    /// separately).
    pub(crate) fn to_live(&self) -> LiveApplication {
        LiveApplication {
            id: self.id.clone(),
            app_id: self.app_id.clone(),
            unique_name: self.unique_name.clone(),
            settings: self.settings(),
            owners: Vec::new(),
            password_credentials: passwords_to_model(&self.password_credentials),
            key_credentials: keys_to_model(&self.key_credentials),
            federated_credentials: Vec::new(),
            service_principal: None,
            created: self
                .created_date_time
                .as_deref()
                .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok()),
            app_management_policies: Vec::new(),
        }
    }

    pub(crate) fn to_deleted(&self) -> DeletedApplication {
        DeletedApplication {
            id: self.id.clone(),
            app_id: self.app_id.clone(),
            unique_name: self.unique_name.clone(),
            display_name: self.display_name.clone(),
            deleted_date_time: self.deleted_date_time.clone(),
            tags: self.tags.clone(),
            password_credentials: passwords_to_model(&self.password_credentials),
            key_credentials: keys_to_model(&self.key_credentials),
        }
    }
}

/// Parses a Graph application body into settings.
pub fn settings_from_json(body: &Value) -> Result<ApplicationSettings, serde_json::Error> {
    Ok(GraphApplication::deserialize(body)?.settings())
}

fn optional_claim_json(claim: &OptionalClaim) -> Value {
    json!({
        "name": claim.name,
        "source": claim.source,
        "essential": claim.essential,
        "additionalProperties": claim.additional_properties,
    })
}

/// The Graph JSON of one settings field: the Graph property name and its whole value.
///
/// The match is exhaustive on purpose: a new [`ApplicationField`] does not compile until it is
/// written here.
pub fn field_to_json(
    settings: &ApplicationSettings,
    field: ApplicationField,
) -> (&'static str, Value) {
    match field {
        ApplicationField::DisplayName => ("displayName", json!(settings.plain.display_name)),
        ApplicationField::Description => ("description", json!(settings.plain.description)),
        ApplicationField::Notes => ("notes", json!(settings.plain.notes)),
        ApplicationField::SignInAudience => {
            ("signInAudience", json!(settings.plain.sign_in_audience))
        }
        ApplicationField::IdentifierUris => {
            ("identifierUris", json!(settings.plain.identifier_uris))
        }
        ApplicationField::Tags => ("tags", json!(settings.plain.tags)),
        ApplicationField::Web => (
            "web",
            json!({
                "homePageUrl": settings.plain.web.home_page_url,
                "logoutUrl": settings.plain.web.logout_url,
                "redirectUris": settings.plain.web.redirect_uris,
                "implicitGrantSettings": {
                    "enableIdTokenIssuance": settings.plain.web.implicit_grant_id_tokens,
                    "enableAccessTokenIssuance": settings.plain.web.implicit_grant_access_tokens,
                },
            }),
        ),
        ApplicationField::SpaRedirectUris => (
            "spa",
            json!({ "redirectUris": settings.plain.spa_redirect_uris }),
        ),
        ApplicationField::PublicClientRedirectUris => (
            "publicClient",
            json!({ "redirectUris": settings.plain.public_client_redirect_uris }),
        ),
        ApplicationField::IsFallbackPublicClient => (
            "isFallbackPublicClient",
            json!(settings.plain.is_fallback_public_client),
        ),
        ApplicationField::GroupMembershipClaims => (
            "groupMembershipClaims",
            json!(settings.plain.group_membership_claims),
        ),
        ApplicationField::ServiceManagementReference => (
            "serviceManagementReference",
            json!(settings.plain.service_management_reference),
        ),
        ApplicationField::Info => (
            "info",
            json!({
                "marketingUrl": settings.plain.info.marketing_url,
                "privacyStatementUrl": settings.plain.info.privacy_statement_url,
                "supportUrl": settings.plain.info.support_url,
                "termsOfServiceUrl": settings.plain.info.terms_of_service_url,
            }),
        ),
        ApplicationField::OptionalClaims => (
            "optionalClaims",
            json!({
                "idToken": settings.plain.optional_claims.id_token.iter().map(optional_claim_json).collect::<Vec<_>>(),
                "accessToken": settings.plain.optional_claims.access_token.iter().map(optional_claim_json).collect::<Vec<_>>(),
                "saml2Token": settings.plain.optional_claims.saml2_token.iter().map(optional_claim_json).collect::<Vec<_>>(),
            }),
        ),
        ApplicationField::Api => (
            "api",
            json!({
                "requestedAccessTokenVersion": settings.api.requested_access_token_version,
                "knownClientApplications": settings.api.known_client_applications,
                "preAuthorizedApplications": settings.api.pre_authorized_applications.iter().map(|pre| json!({
                    "appId": pre.app_id,
                    "delegatedPermissionIds": pre.delegated_permission_ids,
                })).collect::<Vec<_>>(),
                "oauth2PermissionScopes": settings.api.oauth2_permission_scopes.iter().map(|scope| json!({
                    "id": scope.id,
                    "value": scope.value,
                    "type": scope.scope_type,
                    "isEnabled": scope.is_enabled,
                    "adminConsentDisplayName": scope.admin_consent_display_name,
                    "adminConsentDescription": scope.admin_consent_description,
                    "userConsentDisplayName": scope.user_consent_display_name,
                    "userConsentDescription": scope.user_consent_description,
                })).collect::<Vec<_>>(),
            }),
        ),
        ApplicationField::AppRoles => (
            "appRoles",
            Value::Array(
                settings
                    .app_roles
                    .iter()
                    .map(|role| {
                        json!({
                            "id": role.id,
                            "value": role.value,
                            "displayName": role.display_name,
                            "description": role.description,
                            "allowedMemberTypes": role.allowed_member_types,
                            "isEnabled": role.is_enabled,
                        })
                    })
                    .collect(),
            ),
        ),
        ApplicationField::RequiredResourceAccess => (
            "requiredResourceAccess",
            Value::Array(
                settings
                    .required_resource_access
                    .iter()
                    .map(|resource| {
                        json!({
                            "resourceAppId": resource.resource_app_id,
                            "resourceAccess": resource.resource_access.iter().map(|access| json!({
                                "id": access.id,
                                "type": access.access_type.resource_access_type(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        ),
        ApplicationField::ServicePrincipalLock => (
            "servicePrincipalLockConfiguration",
            settings
                .service_principal_lock
                .as_ref()
                .map_or(Value::Null, service_principal_lock_json),
        ),
    }
}

/// The Graph JSON body carrying `fields` of `settings` (each complex object and collection
/// whole).
pub fn settings_to_json_fields(
    settings: &ApplicationSettings,
    fields: &[ApplicationField],
) -> Value {
    let mut body = Map::new();
    for field in fields {
        // No lock is no lock written: a create leaves the tenant's default in place.
        if *field == ApplicationField::ServicePrincipalLock
            && settings.service_principal_lock.is_none()
        {
            continue;
        }
        let (name, value) = field_to_json(settings, *field);
        body.insert(name.to_owned(), value);
    }
    Value::Object(body)
}

/// The Graph JSON of every managed setting (the body of a create or upsert).
pub fn settings_to_json(settings: &ApplicationSettings) -> Value {
    settings_to_json_fields(settings, ApplicationField::ALL)
}

/// A `servicePrincipal` as read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphServicePrincipal {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    app_id: String,
    #[serde(default, deserialize_with = "nullable")]
    display_name: String,
    #[serde(default, deserialize_with = "nullable")]
    app_role_assignment_required: bool,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    app_roles: Vec<GraphAppRole>,
    #[serde(default, deserialize_with = "nullable")]
    oauth2_permission_scopes: Vec<GraphPermissionScope>,
    #[serde(default, deserialize_with = "nullable")]
    password_credentials: Vec<GraphPasswordCredential>,
    #[serde(default, deserialize_with = "nullable")]
    key_credentials: Vec<GraphKeyCredential>,
    /// The owners, when read with `$expand=owners`.
    #[serde(default)]
    pub(crate) owners: Option<Vec<super::IdOnly>>,
    /// The app role assignments it holds, when read with `$expand=appRoleAssignments`.
    #[serde(default)]
    pub(crate) app_role_assignments: Option<Vec<GraphAppRoleAssignment>>,
}

impl GraphServicePrincipal {
    /// The appId.
    pub(crate) fn app_id(&self) -> &str {
        &self.app_id
    }

    pub(crate) fn to_live(&self) -> LiveServicePrincipal {
        LiveServicePrincipal {
            id: self.id.clone(),
            app_id: self.app_id.clone(),
            settings: ServicePrincipalSettings {
                app_role_assignment_required: self.app_role_assignment_required,
                tags: self.tags.clone(),
                notes: self.notes.clone(),
            },
            app_role_assignments: Vec::new(),
            permission_grants: Vec::new(),
            role_assignments: Vec::new(),
            password_credentials: passwords_to_model(&self.password_credentials),
            // A list read returns no `key`; removing one reads the single object again.
            key_credentials: keys_to_model(&self.key_credentials),
            owners: Vec::new(),
        }
    }

    /// Application permissions are the app roles that allow `Application` members.
    pub(crate) fn to_resource(&self) -> ResourceServicePrincipal {
        ResourceServicePrincipal {
            id: self.id.clone(),
            app_id: self.app_id.clone(),
            display_name: self.display_name.clone(),
            app_roles: self
                .app_roles
                .iter()
                .filter(|role| {
                    role.allowed_member_types
                        .iter()
                        .any(|kind| kind == "Application")
                })
                .map(|role| ExposedPermission {
                    id: role.id.clone(),
                    value: role.value.clone(),
                    is_enabled: role.is_enabled,
                })
                .collect(),
            oauth2_permission_scopes: self
                .oauth2_permission_scopes
                .iter()
                .map(|scope| ExposedPermission {
                    id: scope.id.clone(),
                    value: scope.value.clone(),
                    is_enabled: scope.is_enabled,
                })
                .collect(),
        }
    }
}

/// The body of a service principal create (with `appId`) or update (without).
pub(crate) fn service_principal_json(
    app_id: Option<&str>,
    settings: &ServicePrincipalSettings,
) -> Value {
    let mut body = Map::new();
    if let Some(app_id) = app_id {
        body.insert("appId".into(), json!(app_id));
    }
    body.insert(
        "appRoleAssignmentRequired".into(),
        json!(settings.app_role_assignment_required),
    );
    body.insert("tags".into(), json!(settings.tags));
    body.insert("notes".into(), json!(settings.notes));
    Value::Object(body)
}

/// A `directoryObject` (user or service principal).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphDirectoryObject {
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) id: String,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

impl GraphDirectoryObject {
    /// `default_kind` applies when Graph leaves `@odata.type` out (as `/users/{upn}` does).
    pub(crate) fn to_model(&self, default_kind: DirectoryObjectKind) -> DirectoryObject {
        DirectoryObject {
            id: self.id.clone(),
            kind: self
                .odata_type
                .as_deref()
                .map_or(default_kind, DirectoryObjectKind::from_odata_type),
            user_principal_name: self.user_principal_name.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

mod consent;
mod federated;
pub(crate) mod policies;

pub(crate) use consent::*;
pub(crate) use federated::{GraphFederatedCredential, federated_credential_json};
pub(crate) use policies::{
    GraphAppManagementPolicy, GraphServicePrincipalLock, service_principal_lock_json,
};

#[cfg(test)]
mod tests;
