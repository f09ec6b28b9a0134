//! Validated manifests -> [`DesiredState`]: defaults merged, built-in defaults filled in,
//! certificate files read.
//!
//! Runs after validation and takes what validation parsed and resolved (a secret's durations
//! and store, in [`ValidatedApplication`]s) rather than parsing it again. It tolerates what validation
//! already reported (an invalid store drops the secret), because the result is only used when
//! there are no errors. Certificate files are read here, the only I/O after parsing; a
//! certificate that cannot be read or parsed is an error located at its `file:` value.

use std::path::PathBuf;

use registrar_model::{
    DesiredApi, DesiredAppRole, DesiredApplication, DesiredCertificate, DesiredFederatedCredential,
    DesiredPreAuthorizedApplication, DesiredResourceAccess, DesiredRoleAssignment, DesiredScope,
    DesiredSecret, DesiredState, InformationalUrls, Located, OptionalClaim as ModelOptionalClaim,
    OptionalClaims as ModelOptionalClaims, PlainSettings,
    ServicePrincipalSettings as ModelServicePrincipalSettings, WebSettings,
};

use crate::certificate::read_certificate;
use crate::defaults::{DEFAULT_AUDIENCE, merged};
use crate::diagnostics::Diagnostic;
use crate::file::ManifestFile;
use crate::types::{Application, Defaults, MemberType, OptionalClaim, ScopeType, ServicePrincipal};
use crate::validated::{ValidatedApplication, ValidatedSecret};

/// Builds the desired state of all files from what validation found; certificate problems go to
/// `diagnostics`, the path of every certificate file read to `certificate_files`.
pub(crate) fn convert(
    files: &[ManifestFile],
    validated: &[ValidatedApplication<'_>],
    certificate_files: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
) -> DesiredState {
    let headers = files.iter().filter_map(|file| file.header.as_ref());
    let namespace = headers
        .clone()
        .next()
        .map(|header| header.namespace.value.clone())
        .unwrap_or_default();
    let tenant = headers
        .filter_map(|header| header.tenant.as_ref())
        .next()
        .map(|tenant| tenant.value.clone());
    let mut applications: Vec<DesiredApplication> = validated
        .iter()
        .map(|application| convert_application(application, certificate_files, diagnostics))
        .collect();
    applications.sort_by(|a, b| a.key.cmp(&b.key));
    DesiredState {
        namespace,
        tenant,
        applications,
    }
}

fn values(list: &[Located<String>]) -> Vec<String> {
    list.iter().map(|item| item.value.clone()).collect()
}

fn located(list: &[Located<String>]) -> Vec<Located<String>> {
    list.to_vec()
}

fn value_of(item: Option<&Located<String>>) -> Option<String> {
    item.map(|item| item.value.clone())
}

fn convert_application(
    validated: &ValidatedApplication<'_>,
    certificate_files: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
) -> DesiredApplication {
    let ValidatedApplication { key, app, file, .. } = *validated;
    let empty = Defaults::default();
    let defaults_or_empty = file.defaults().unwrap_or(&empty);
    let audience = app.sign_in_audience.as_ref().map(|audience| audience.value);
    DesiredApplication {
        key: key.value.clone(),
        origin: key.origin.clone(),
        app_id: value_of(app.app_id.as_ref()),
        plain: convert_plain(key, app, defaults_or_empty),
        owners: merged(
            &located(&defaults_or_empty.owners),
            &located(&app.owners),
            |a, b| a.value.eq_ignore_ascii_case(&b.value),
        ),
        api: convert_api(
            app,
            audience.is_some_and(|audience| audience.includes_personal_accounts()),
        ),
        app_roles: app
            .app_roles
            .iter()
            .map(|(value, role)| {
                let display_name = role
                    .display_name
                    .clone()
                    .unwrap_or_else(|| value.value.clone());
                DesiredAppRole {
                    value: value.value.clone(),
                    description: role
                        .description
                        .clone()
                        .unwrap_or_else(|| display_name.clone()),
                    display_name,
                    allowed_member_types: role
                        .allowed_member_types
                        .iter()
                        .map(|member| match member.value {
                            MemberType::User => "User".to_owned(),
                            MemberType::Application => "Application".to_owned(),
                        })
                        .collect(),
                    enabled: role.enabled.unwrap_or(true),
                }
            })
            .collect(),
        required_resource_access: app
            .required_resource_access
            .iter()
            .map(|entry| DesiredResourceAccess {
                resource: entry.resource.clone(),
                scopes: located(&entry.scopes),
                roles: located(&entry.roles),
                admin_consent: entry.admin_consent,
            })
            .collect(),
        secrets: validated
            .secrets
            .iter()
            .filter_map(convert_secret)
            .collect(),
        certificates: app
            .certificates
            .iter()
            .filter_map(|(name, certificate)| {
                let path = file.resolve(&certificate.file.value);
                let read = read_certificate(&path, &certificate.file.value);
                if !certificate_files.contains(&path) {
                    certificate_files.push(path);
                }
                match read {
                    Ok(info) => Some(DesiredCertificate {
                        name: name.value.clone(),
                        origin: name.origin.clone(),
                        file: certificate.file.value.clone(),
                        der_base64: info.der_base64,
                        thumbprint_base64: info.thumbprint_base64,
                        not_before: info.not_before,
                        not_after: info.not_after,
                    }),
                    Err(error) => {
                        diagnostics.push(
                            Diagnostic::error(
                                certificate.file.origin.clone(),
                                format!("certificate `{}`: {}", name.value, error.message),
                            )
                            .with_hint_opt(error.hint),
                        );
                        None
                    }
                }
            })
            .collect(),
        federated_credentials: app
            .federated_credentials
            .iter()
            .map(|(name, credential)| DesiredFederatedCredential {
                name: name.value.clone(),
                origin: name.origin.clone(),
                issuer: credential.issuer.value.clone(),
                subject: credential.subject.value.clone(),
                audiences: credential.audiences.as_ref().map_or_else(
                    || vec![DEFAULT_AUDIENCE.to_owned()],
                    |audiences| values(&audiences.value),
                ),
                description: value_of(credential.description.as_ref()),
            })
            .collect(),
        service_principal: match app.service_principal.as_ref().map(|sp| &sp.value) {
            Some(ServicePrincipal::Disabled) => None,
            Some(ServicePrincipal::Enabled(settings)) => Some(ModelServicePrincipalSettings {
                app_role_assignment_required: settings.app_role_assignment_required,
                tags: settings.tags.clone(),
                notes: settings.notes.clone(),
            }),
            None => Some(ModelServicePrincipalSettings::default()),
        },
        role_assignments: app
            .role_assignments
            .iter()
            .map(|assignment| DesiredRoleAssignment {
                role: assignment.role.clone(),
                scope: assignment.scope.clone(),
                description: assignment.description.clone(),
            })
            .collect(),
        protect: app.protect,
        instance_lock: app
            .instance_lock
            .as_ref()
            .map(|lock| Located::new(lock.value.to_model(), lock.origin.clone())),
        service_principal_owners: match app.service_principal.as_ref().map(|sp| &sp.value) {
            Some(ServicePrincipal::Enabled(settings)) => settings.owners.clone(),
            _ => Vec::new(),
        },
    }
}

/// The settings Graph takes as the manifest writes them, with their defaults: the display name
/// is the key, the sign-in audience `AzureADMyOrg`; tags are `defaults.tags` then the
/// application's.
fn convert_plain(key: &Located<String>, app: &Application, defaults: &Defaults) -> PlainSettings {
    let audience = app.sign_in_audience.as_ref().map(|audience| audience.value);
    let web = app.web.as_ref();
    let implicit = web.and_then(|web| web.implicit_grant.as_ref());
    PlainSettings {
        display_name: app
            .display_name
            .clone()
            .unwrap_or_else(|| key.value.clone()),
        description: app.description.clone(),
        notes: app.notes.clone(),
        sign_in_audience: audience
            .map_or("AzureADMyOrg", |audience| audience.as_str())
            .to_owned(),
        identifier_uris: values(&app.identifier_uris),
        tags: merged(&values(&defaults.tags), &values(&app.tags), |a, b| a == b),
        web: WebSettings {
            home_page_url: value_of(web.and_then(|web| web.home_page_url.as_ref())),
            logout_url: value_of(web.and_then(|web| web.logout_url.as_ref())),
            redirect_uris: web
                .map(|web| values(&web.redirect_uris))
                .unwrap_or_default(),
            implicit_grant_access_tokens: implicit.is_some_and(|implicit| implicit.access_tokens),
            implicit_grant_id_tokens: implicit.is_some_and(|implicit| implicit.id_tokens),
        },
        spa_redirect_uris: app
            .spa
            .as_ref()
            .map(|spa| values(&spa.redirect_uris))
            .unwrap_or_default(),
        public_client_redirect_uris: app
            .public_client
            .as_ref()
            .map(|client| values(&client.redirect_uris))
            .unwrap_or_default(),
        is_fallback_public_client: app.allow_public_client_flows.unwrap_or(false),
        group_membership_claims: app
            .group_membership_claims
            .as_ref()
            .map(|claims| claims.value.as_str().to_owned()),
        service_management_reference: app.service_management_reference.clone(),
        info: app
            .info
            .as_ref()
            .map_or_else(InformationalUrls::default, |info| InformationalUrls {
                marketing_url: value_of(info.marketing_url.as_ref()),
                privacy_statement_url: value_of(info.privacy_statement_url.as_ref()),
                support_url: value_of(info.support_url.as_ref()),
                terms_of_service_url: value_of(info.terms_of_service_url.as_ref()),
            }),
        optional_claims: app.optional_claims.as_ref().map_or_else(
            ModelOptionalClaims::default,
            |claims| ModelOptionalClaims {
                id_token: claims.id_token.iter().map(convert_claim).collect(),
                access_token: claims.access_token.iter().map(convert_claim).collect(),
                saml2_token: claims.saml2_token.iter().map(convert_claim).collect(),
            },
        ),
    }
}

fn convert_claim(claim: &OptionalClaim) -> ModelOptionalClaim {
    ModelOptionalClaim {
        name: claim.name.value.clone(),
        source: claim.source.clone(),
        essential: claim.essential,
        additional_properties: claim.additional_properties.clone(),
    }
}

/// `requestedAccessTokenVersion` defaults to 2 when personal accounts can sign in (Graph
/// requires it); otherwise it is left to Graph unless written.
fn convert_api(app: &Application, personal_accounts: bool) -> DesiredApi {
    let Some(api) = &app.api else {
        return DesiredApi {
            requested_access_token_version: personal_accounts.then_some(2),
            ..DesiredApi::default()
        };
    };
    DesiredApi {
        requested_access_token_version: api
            .requested_access_token_version
            .as_ref()
            .map(|version| version.value)
            .or(personal_accounts.then_some(2)),
        known_client_applications: located(&api.known_client_applications),
        pre_authorized_applications: api
            .pre_authorized_applications
            .iter()
            .map(|pre| DesiredPreAuthorizedApplication {
                app: pre.app.clone(),
                scopes: values(&pre.scopes),
            })
            .collect(),
        scopes: api
            .scopes
            .iter()
            .map(|(value, scope)| DesiredScope {
                value: value.value.clone(),
                scope_type: match scope.scope_type.unwrap_or(ScopeType::Admin) {
                    ScopeType::User => "User".to_owned(),
                    ScopeType::Admin => "Admin".to_owned(),
                },
                admin_consent_display_name: scope.admin_consent_display_name.clone(),
                admin_consent_description: scope.admin_consent_description.clone(),
                user_consent_display_name: scope.user_consent_display_name.clone(),
                user_consent_description: scope.user_consent_description.clone(),
                enabled: scope.enabled.unwrap_or(true),
            })
            .collect(),
    }
}

/// A secret as validation checked it; `None` when its store is invalid (reported).
fn convert_secret(secret: &ValidatedSecret<'_>) -> Option<DesiredSecret> {
    Some(DesiredSecret {
        name: secret.name.value.clone(),
        origin: secret.name.origin.clone(),
        lifetime: secret.lifetime,
        rotate_before: secret.rotate_before,
        overlap: secret.overlap,
        store: secret.store.clone()?,
    })
}
