//! One application's entry under `applications:`: each manifest section written from what was
//! read, with a comment wherever the tenant's value cannot be written as is.

use std::collections::BTreeSet;

use registrar_model::names::slug;
use registrar_model::{
    AppRole, Guid, LiveApplication, LiveTenant, PermissionKind, ResourceServicePrincipal,
    marker_tag, protect_tag,
};
use time::format_description::well_known::Rfc3339;

use crate::yaml::{Yaml, key, scalar, string_list};
use crate::{CertificateFile, ImportOptions, certificate_pem};

pub(crate) struct AppWriter<'a> {
    pub(crate) live: &'a LiveTenant,
    pub(crate) app: &'a LiveApplication,
    pub(crate) key: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) options: &'a ImportOptions,
    pub(crate) yaml: Yaml,
    pub(crate) certificates: Vec<CertificateFile>,
    pub(crate) notes: Vec<String>,
}

/// The text of a permission name or GUID, and a comment when only the GUID is known.
struct Named {
    text: String,
    comment: Option<String>,
}

impl AppWriter<'_> {
    pub(crate) fn write(&mut self) {
        let app = self.app;
        let plain = &app.settings.plain;
        let y = &mut self.yaml;
        y.line(1, &format!("{}:", key(self.key)));
        y.line(2, &format!("appId: {}", app.app_id));
        y.line(2, &format!("displayName: {}", scalar(&plain.display_name)));
        y.optional(2, "description", plain.description.as_deref());
        y.optional(2, "notes", plain.notes.as_deref());
        y.line(
            2,
            &format!("signInAudience: {}", scalar(&plain.sign_in_audience)),
        );
        if !plain.identifier_uris.is_empty() {
            y.line(
                2,
                &format!("identifierUris: {}", string_list(&plain.identifier_uris)),
            );
        }
        let marker = marker_tag(self.namespace);
        let protect = protect_tag(self.namespace);
        let tags: Vec<String> = plain
            .tags
            .iter()
            .filter(|tag| **tag != marker && **tag != protect)
            .cloned()
            .collect();
        if !tags.is_empty() {
            y.line(2, &format!("tags: {}", string_list(&tags)));
        }
        // The protect tag is how a protected application is known in the tenant.
        if plain.tags.contains(&protect) {
            y.line(2, "protect: true");
        }
        self.write_owners();
        self.write_clients();
        self.write_api();
        self.write_app_roles();
        self.write_required_resource_access();
        self.write_secrets();
        self.write_certificates();
        self.write_federated_credentials();
        self.write_service_principal();
        self.write_role_assignments();
    }

    fn write_owners(&mut self) {
        if self.app.owners.is_empty() {
            return;
        }
        let owners: Vec<String> = self
            .app
            .owners
            .iter()
            .map(|id| {
                self.live
                    .directory_object(id)
                    .and_then(|object| object.user_principal_name.clone())
                    .unwrap_or_else(|| id.clone())
            })
            .collect();
        self.yaml
            .line(2, &format!("owners: {}", string_list(&owners)));
    }

    fn write_clients(&mut self) {
        let plain = &self.app.settings.plain;
        let y = &mut self.yaml;
        let web = &plain.web;
        if web.home_page_url.is_some()
            || web.logout_url.is_some()
            || !web.redirect_uris.is_empty()
            || web.implicit_grant_access_tokens
            || web.implicit_grant_id_tokens
        {
            y.line(2, "web:");
            y.optional(3, "homePageUrl", web.home_page_url.as_deref());
            y.optional(3, "logoutUrl", web.logout_url.as_deref());
            if !web.redirect_uris.is_empty() {
                y.line(
                    3,
                    &format!("redirectUris: {}", string_list(&web.redirect_uris)),
                );
            }
            y.line(
                3,
                &format!(
                    "implicitGrant: {{ accessTokens: {}, idTokens: {} }}",
                    web.implicit_grant_access_tokens, web.implicit_grant_id_tokens
                ),
            );
        }
        if !plain.spa_redirect_uris.is_empty() {
            y.line(2, "spa:");
            y.line(
                3,
                &format!("redirectUris: {}", string_list(&plain.spa_redirect_uris)),
            );
        }
        if !plain.public_client_redirect_uris.is_empty() {
            y.line(2, "publicClient:");
            y.line(
                3,
                &format!(
                    "redirectUris: {}",
                    string_list(&plain.public_client_redirect_uris)
                ),
            );
        }
        if plain.is_fallback_public_client {
            y.line(2, "allowPublicClientFlows: true");
        }
        y.optional(
            2,
            "groupMembershipClaims",
            plain.group_membership_claims.as_deref(),
        );
        y.optional(
            2,
            "serviceManagementReference",
            plain.service_management_reference.as_deref(),
        );
        let info = &plain.info;
        if info.marketing_url.is_some()
            || info.privacy_statement_url.is_some()
            || info.support_url.is_some()
            || info.terms_of_service_url.is_some()
        {
            y.line(2, "info:");
            y.optional(3, "marketingUrl", info.marketing_url.as_deref());
            y.optional(
                3,
                "privacyStatementUrl",
                info.privacy_statement_url.as_deref(),
            );
            y.optional(3, "supportUrl", info.support_url.as_deref());
            y.optional(3, "termsOfServiceUrl", info.terms_of_service_url.as_deref());
        }
        let claims = &plain.optional_claims;
        if !(claims.id_token.is_empty()
            && claims.access_token.is_empty()
            && claims.saml2_token.is_empty())
        {
            y.line(2, "optionalClaims:");
            for (name, list) in [
                ("idToken", &claims.id_token),
                ("accessToken", &claims.access_token),
                ("saml2Token", &claims.saml2_token),
            ] {
                if list.is_empty() {
                    continue;
                }
                y.line(3, &format!("{name}:"));
                for claim in list {
                    let mut fields = vec![
                        format!("name: {}", scalar(&claim.name)),
                        format!("essential: {}", claim.essential),
                    ];
                    if let Some(source) = &claim.source {
                        fields.push(format!("source: {}", scalar(source)));
                    }
                    if !claim.additional_properties.is_empty() {
                        fields.push(format!(
                            "additionalProperties: {}",
                            string_list(&claim.additional_properties)
                        ));
                    }
                    y.line(4, &format!("- {{ {} }}", fields.join(", ")));
                }
            }
        }
    }

    fn write_api(&mut self) {
        let api = &self.app.settings.api;
        if api.requested_access_token_version.is_none()
            && api.known_client_applications.is_empty()
            && api.pre_authorized_applications.is_empty()
            && api.oauth2_permission_scopes.is_empty()
        {
            return;
        }
        let y = &mut self.yaml;
        y.line(2, "api:");
        if let Some(version) = api.requested_access_token_version {
            y.line(3, &format!("requestedAccessTokenVersion: {version}"));
        }
        if !api.known_client_applications.is_empty() {
            y.line(
                3,
                &format!(
                    "knownClientApplications: {}",
                    string_list(&api.known_client_applications)
                ),
            );
        }
        if !api.pre_authorized_applications.is_empty() {
            y.line(3, "preAuthorizedApplications:");
            for entry in &api.pre_authorized_applications {
                let scopes: Vec<String> = entry
                    .delegated_permission_ids
                    .iter()
                    .map(|id| {
                        api.oauth2_permission_scopes
                            .iter()
                            .find(|scope| Guid::same(&scope.id, id))
                            .map_or_else(|| id.clone(), |scope| scope.value.clone())
                    })
                    .collect();
                y.line(4, &format!("- app: {}", scalar(&entry.app_id)));
                y.line(5, &format!("scopes: {}", string_list(&scopes)));
            }
        }
        if !api.oauth2_permission_scopes.is_empty() {
            y.line(3, "scopes:");
            for scope in &api.oauth2_permission_scopes {
                if scope.value.is_empty() {
                    y.line(
                        4,
                        &format!(
                            "# scope {} has no value; a manifest keys scopes by value",
                            scope.id
                        ),
                    );
                    continue;
                }
                y.line(4, &format!("{}:", key(&scope.value)));
                y.line(5, &format!("type: {}", scalar(&scope.scope_type)));
                y.optional(
                    5,
                    "adminConsentDisplayName",
                    scope.admin_consent_display_name.as_deref(),
                );
                y.optional(
                    5,
                    "adminConsentDescription",
                    scope.admin_consent_description.as_deref(),
                );
                y.optional(
                    5,
                    "userConsentDisplayName",
                    scope.user_consent_display_name.as_deref(),
                );
                y.optional(
                    5,
                    "userConsentDescription",
                    scope.user_consent_description.as_deref(),
                );
                y.line(5, &format!("enabled: {}", scope.is_enabled));
            }
        }
    }

    fn write_app_roles(&mut self) {
        let roles: &[AppRole] = &self.app.settings.app_roles;
        if roles.is_empty() {
            return;
        }
        let y = &mut self.yaml;
        y.line(2, "appRoles:");
        for role in roles {
            if role.value.is_empty() {
                y.line(
                    3,
                    &format!(
                        "# app role {} has no value; a manifest keys app roles by value",
                        role.id
                    ),
                );
                continue;
            }
            y.line(3, &format!("{}:", key(&role.value)));
            y.line(4, &format!("displayName: {}", scalar(&role.display_name)));
            y.line(4, &format!("description: {}", scalar(&role.description)));
            y.line(
                4,
                &format!(
                    "allowedMemberTypes: {}",
                    string_list(&role.allowed_member_types)
                ),
            );
            y.line(4, &format!("enabled: {}", role.is_enabled));
        }
    }

    /// The name of a requested permission: from the catalog, else from the API's service
    /// principal in the tenant, else from an application of this import; else its GUID.
    fn permission_name(
        &self,
        resource_app_id: &str,
        resource: Option<&ResourceServicePrincipal>,
        id: &str,
        kind: PermissionKind,
    ) -> Named {
        let catalog = registrar_catalog::catalog();
        let from_catalog = catalog
            .apis
            .iter()
            .find(|api| Guid::same(&api.app_id, resource_app_id))
            .and_then(|api| api.permission(id, kind))
            .map(|permission| permission.value.clone());
        let from_tenant = || {
            resource.and_then(|sp| {
                let list = match kind {
                    PermissionKind::Application => &sp.app_roles,
                    PermissionKind::Delegated => &sp.oauth2_permission_scopes,
                };
                list.iter()
                    .find(|permission| Guid::same(&permission.id, id))
                    .map(|permission| permission.value.clone())
            })
        };
        let from_import = || {
            self.live
                .application_by_app_id(resource_app_id)
                .and_then(|app| match kind {
                    PermissionKind::Application => app
                        .settings
                        .app_roles
                        .iter()
                        .find(|role| Guid::same(&role.id, id))
                        .map(|role| role.value.clone()),
                    PermissionKind::Delegated => app
                        .settings
                        .api
                        .oauth2_permission_scopes
                        .iter()
                        .find(|scope| Guid::same(&scope.id, id))
                        .map(|scope| scope.value.clone()),
                })
        };
        match from_catalog
            .or_else(from_tenant)
            .or_else(from_import)
            .filter(|value| !value.is_empty())
        {
            Some(text) => Named {
                text,
                comment: None,
            },
            None => Named {
                text: id.to_owned(),
                comment: Some(format!(
                    "{id}: no name for this permission in the catalog or the tenant"
                )),
            },
        }
    }

    fn write_required_resource_access(&mut self) {
        let required = &self.app.settings.required_resource_access;
        if required.is_empty() {
            return;
        }
        let catalog = registrar_catalog::catalog();
        let sp = self.app.service_principal.as_ref();
        let mut lines: Vec<(usize, String)> = vec![(2, "requiredResourceAccess:".to_owned())];
        for access in required {
            let app_id = &access.resource_app_id;
            let resource = self.live.resource_service_principal(app_id);
            let (name, resource_comment) = match catalog
                .apis
                .iter()
                .find(|api| Guid::same(&api.app_id, app_id))
            {
                Some(api) => (scalar(&api.name), None),
                None => (
                    scalar(app_id),
                    Some(match resource {
                        Some(resource) => format!("# {}", resource.display_name),
                        None => "# no service principal of this API in the tenant".to_owned(),
                    }),
                ),
            };
            let mut roles = Vec::new();
            let mut scopes = Vec::new();
            let mut comments = Vec::new();
            for entry in &access.resource_access {
                let named = self.permission_name(app_id, resource, &entry.id, entry.access_type);
                if let Some(comment) = named.comment {
                    comments.push(comment);
                }
                match entry.access_type {
                    PermissionKind::Application => roles.push((entry.id.clone(), named.text)),
                    PermissionKind::Delegated => scopes.push((entry.id.clone(), named.text)),
                }
            }
            match resource_comment {
                Some(comment) => lines.push((3, format!("- resource: {name}   {comment}"))),
                None => lines.push((3, format!("- resource: {name}"))),
            }
            for comment in comments {
                lines.push((4, format!("# {comment}")));
            }
            let texts = |list: &[(String, String)]| -> Vec<String> {
                list.iter().map(|(_, text)| text.clone()).collect()
            };
            if !scopes.is_empty() {
                lines.push((4, format!("scopes: {}", string_list(&texts(&scopes)))));
            }
            if !roles.is_empty() {
                lines.push((4, format!("roles: {}", string_list(&texts(&roles)))));
            }
            // Admin consent: every role assigned and one tenant-wide grant of exactly the scopes.
            let (consented, partial) = match (sp, resource) {
                (Some(sp), Some(resource)) => {
                    let assigned = |id: &str| {
                        sp.app_role_assignments.iter().any(|assignment| {
                            Guid::same(&assignment.resource_id, &resource.id)
                                && Guid::same(&assignment.app_role_id, id)
                        })
                    };
                    let grant = sp.permission_grants.iter().find(|grant| {
                        grant.consent_type == registrar_model::ConsentType::AllPrincipals
                            && Guid::same(&grant.resource_id, &resource.id)
                    });
                    let granted: BTreeSet<&str> = grant
                        .map(|grant| grant.scope.split_whitespace().collect())
                        .unwrap_or_default();
                    let wanted: BTreeSet<&str> =
                        scopes.iter().map(|(_, text)| text.as_str()).collect();
                    let roles_done = roles.iter().all(|(id, _)| assigned(id));
                    let scopes_done = if wanted.is_empty() {
                        grant.is_none()
                    } else {
                        granted == wanted
                    };
                    let any = roles.iter().any(|(id, _)| assigned(id)) || grant.is_some();
                    let all =
                        roles_done && scopes_done && (!roles.is_empty() || !wanted.is_empty());
                    (all, any && !all)
                }
                _ => (false, false),
            };
            if consented {
                lines.push((4, "adminConsent: true".to_owned()));
            } else if partial {
                lines.push((
                    4,
                    "# admin consent is partly granted in the tenant: `adminConsent: true` grants the rest, leaving it out revokes it".to_owned(),
                ));
            }
        }
        for (indent, line) in lines {
            self.yaml.line(indent, &line);
        }
    }

    fn write_secrets(&mut self) {
        let credentials = &self.app.password_credentials;
        if credentials.is_empty() {
            return;
        }
        let y = &mut self.yaml;
        y.line(2, "# A client secret's value cannot be read back from the tenant. Uncomment each secret and");
        y.line(2, "# fill in the store that holds its value; until then plan lists it as undeclared (removed).");
        y.line(2, "# secrets:");
        for credential in credentials {
            let expiry = credential
                .end
                .and_then(|end| end.format(&Rfc3339).ok())
                .unwrap_or_else(|| "unknown".to_owned());
            match credential.display_name.as_deref().filter(|name| !name.is_empty()) {
                Some(name) => {
                    y.line(2, &format!("#   {}:   # expires {expiry}, hint {}", key(name), credential.hint.as_deref().unwrap_or("-")));
                    y.line(2, "#     store:");
                    y.line(2, &format!("#       keyVault: {{ vault: VAULT, name: {} }}", scalar(&format!("{}-{}", self.key, slug(name)))));
                    y.line(2, &format!("#       # file: {{ path: secrets/{}.json, format: json }}", self.key));
                }
                None => y.line(
                    2,
                    &format!("#   (keyId {} has no display name; a manifest keys secrets by name; expires {expiry})", credential.key_id),
                ),
            }
        }
        self.notes.push(format!(
            "application `{}`: {} client secret(s) written commented out: their values cannot be read back; fill in their stores",
            self.key,
            credentials.len()
        ));
    }

    fn write_certificates(&mut self) {
        let credentials = &self.app.key_credentials;
        if credentials.is_empty() {
            return;
        }
        let mut lines: Vec<String> = vec!["certificates:".to_owned()];
        let mut any = false;
        for credential in credentials {
            let Some(name) = credential
                .display_name
                .as_deref()
                .filter(|name| !name.is_empty())
            else {
                lines.push(format!(
                    "  # keyId {} has no display name; a manifest keys certificates by name",
                    credential.key_id
                ));
                continue;
            };
            match &credential.key {
                Some(der) => {
                    let path = format!(
                        "{}/{}-{}.pem",
                        self.options.certificate_dir,
                        self.key,
                        slug(name)
                    );
                    lines.push(format!("  {}: {{ file: {} }}", key(name), scalar(&path)));
                    self.certificates.push(CertificateFile {
                        path,
                        pem: certificate_pem(der),
                    });
                    any = true;
                }
                None => lines.push(format!(
                    "  # {name}: Graph did not return its public key (keyId {}); add its file here",
                    credential.key_id
                )),
            }
        }
        if !any {
            lines[0] = "# certificates:".to_owned();
        }
        for line in lines {
            self.yaml.line(2, &line);
        }
    }

    fn write_federated_credentials(&mut self) {
        let credentials = &self.app.federated_credentials;
        if credentials.is_empty() {
            return;
        }
        let y = &mut self.yaml;
        y.line(2, "federatedCredentials:");
        for credential in credentials {
            y.line(3, &format!("{}:", key(&credential.name)));
            y.line(4, &format!("issuer: {}", scalar(&credential.issuer)));
            y.line(4, &format!("subject: {}", scalar(&credential.subject)));
            y.line(
                4,
                &format!("audiences: {}", string_list(&credential.audiences)),
            );
            y.optional(4, "description", credential.description.as_deref());
        }
    }

    fn write_service_principal(&mut self) {
        // Every owner is written, since an undeclared service principal owner is removed by
        // the next apply.
        let owners: Vec<String> = self
            .app
            .service_principal
            .iter()
            .flat_map(|sp| &sp.owners)
            .map(|id| {
                self.live
                    .directory_object(id)
                    .and_then(|object| object.user_principal_name.clone())
                    .unwrap_or_else(|| id.clone())
            })
            .collect();
        let y = &mut self.yaml;
        match &self.app.service_principal {
            None => y.line(2, "servicePrincipal: false"),
            Some(sp) => {
                y.line(2, "servicePrincipal:");
                y.line(
                    3,
                    &format!(
                        "appRoleAssignmentRequired: {}",
                        sp.settings.app_role_assignment_required
                    ),
                );
                y.line(3, &format!("tags: {}", string_list(&sp.settings.tags)));
                y.optional(3, "notes", sp.settings.notes.as_deref());
                if !owners.is_empty() {
                    y.line(3, &format!("owners: {}", string_list(&owners)));
                }
            }
        }
    }

    fn write_role_assignments(&mut self) {
        let Some(sp) = &self.app.service_principal else {
            return;
        };
        if sp.role_assignments.is_empty() {
            return;
        }
        let catalog = registrar_catalog::catalog();
        let y = &mut self.yaml;
        y.line(2, "roleAssignments:");
        for assignment in &sp.role_assignments {
            match catalog.role(&assignment.role_definition_id) {
                Some(role) => y.line(3, &format!("- role: {}", scalar(&role.role_name))),
                None => y.line(
                    3,
                    &format!(
                        "- role: {}   # not a built-in role; its name was not read",
                        scalar(&assignment.role_definition_id)
                    ),
                ),
            }
            y.line(4, &format!("scope: {}", scalar(&assignment.scope)));
            y.optional(4, "description", assignment.description.as_deref());
        }
    }
}
