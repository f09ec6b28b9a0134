//! The names a user recognises live objects by, in a saved plan and in its staleness report:
//! `application hello-web (appId …): owner alice@contoso.com`. Only the names; what changed is
//! [`super::stale_objects`].

use registrar_model::{LiveTenant, ObjectKey, SecretStoreLocation};

/// `application hello-web (appId …)`: the manifest key when the unique name is the namespace's,
/// else the display name.
fn application_name(live: &LiveTenant, namespace: &str, app_id: &str) -> String {
    let Some(app) = live.application_by_app_id(app_id) else {
        return format!("application with appId {app_id}");
    };
    let prefix = format!("{namespace}.");
    let name = match app
        .unique_name
        .as_deref()
        .and_then(|unique| unique.strip_prefix(&prefix))
    {
        Some(key) => key.to_owned(),
        None => crate::model::quoted(&app.settings.plain.display_name),
    };
    format!("application {name} (appId {})", app.app_id)
}

fn directory_object_name(live: &LiveTenant, id: &str) -> String {
    match live.directory_object(id) {
        Some(object) => object
            .user_principal_name
            .clone()
            .or_else(|| object.display_name.clone())
            .unwrap_or_else(|| object.id.clone()),
        None => id.to_owned(),
    }
}

fn resource_name(live: &LiveTenant, resource_id: &str) -> String {
    live.resource_service_principals
        .iter()
        .find(|sp| registrar_model::Guid::same(&sp.id, resource_id))
        .map_or_else(|| resource_id.to_owned(), |sp| sp.display_name.clone())
}

fn store_name(location: &SecretStoreLocation) -> String {
    match location {
        SecretStoreLocation::KeyVault { vault, name } => {
            format!("secret store: Key Vault {vault}, secret {name}")
        }
        SecretStoreLocation::File { path, .. } => format!("secret store: file {path}"),
    }
}

/// The name a user recognises a live object by.
pub fn object_name(live: &LiveTenant, namespace: &str, key: &ObjectKey) -> String {
    let app = |app_id: &str| application_name(live, namespace, app_id);
    let app_credential = |app_id: &str, key_id: &str, certificate: bool| {
        let found = live.application_by_app_id(app_id).and_then(|app| {
            if certificate {
                app.key_credentials
                    .iter()
                    .find(|credential| credential.key_id.eq_ignore_ascii_case(key_id))
                    .map(|credential| credential.display_name.clone())
            } else {
                app.password_credentials
                    .iter()
                    .find(|credential| credential.key_id.eq_ignore_ascii_case(key_id))
                    .map(|credential| credential.display_name.clone())
            }
        });
        let kind = if certificate {
            "certificate"
        } else {
            "client secret"
        };
        match found.flatten() {
            Some(name) => format!(
                "{}: {kind} {} (keyId {key_id})",
                app(app_id),
                crate::model::quoted(&name)
            ),
            None => format!("{}: {kind} with keyId {key_id}", app(app_id)),
        }
    };
    let service_principal = |app_id: &str| {
        live.application_by_app_id(app_id)
            .and_then(|app| app.service_principal.as_ref())
    };
    match key {
        ObjectKey::ApplicationSettings { app_id } => format!("{}: settings", app(app_id)),
        ObjectKey::Owner { app_id, owner_id } => {
            format!(
                "{}: owner {}",
                app(app_id),
                directory_object_name(live, owner_id)
            )
        }
        ObjectKey::PasswordCredential { app_id, key_id } => app_credential(app_id, key_id, false),
        ObjectKey::KeyCredential { app_id, key_id } => app_credential(app_id, key_id, true),
        ObjectKey::FederatedCredential { app_id, name } => format!(
            "{}: federated credential {}",
            app(app_id),
            crate::model::quoted(name)
        ),
        ObjectKey::ServicePrincipal { app_id } => format!("{}: service principal", app(app_id)),
        ObjectKey::AppRoleAssignment { app_id, id } => {
            let assignment = service_principal(app_id).and_then(|sp| {
                sp.app_role_assignments
                    .iter()
                    .find(|assignment| &assignment.id == id)
            });
            match assignment {
                Some(assignment) => {
                    let resource = live
                        .resource_service_principals
                        .iter()
                        .find(|sp| registrar_model::Guid::same(&sp.id, &assignment.resource_id));
                    let permission = resource
                        .and_then(|sp| {
                            sp.app_roles.iter().find(|role| {
                                registrar_model::Guid::same(&role.id, &assignment.app_role_id)
                            })
                        })
                        .map_or_else(|| assignment.app_role_id.clone(), |role| role.value.clone());
                    format!(
                        "{}: admin consent {}/{permission}",
                        app(app_id),
                        resource_name(live, &assignment.resource_id)
                    )
                }
                None => format!("{}: admin consent (app role assignment {id})", app(app_id)),
            }
        }
        ObjectKey::PermissionGrant { app_id, id } => {
            let grant = service_principal(app_id)
                .and_then(|sp| sp.permission_grants.iter().find(|grant| &grant.id == id));
            match grant {
                Some(grant) => format!(
                    "{}: delegated consent on {} ({})",
                    app(app_id),
                    resource_name(live, &grant.resource_id),
                    grant.consent_type.as_graph()
                ),
                None => format!("{}: delegated consent (grant {id})", app(app_id)),
            }
        }
        ObjectKey::RoleAssignment { app_id, id } => {
            let assignment = service_principal(app_id).and_then(|sp| {
                sp.role_assignments
                    .iter()
                    .find(|assignment| assignment.id.eq_ignore_ascii_case(id))
            });
            match assignment {
                Some(assignment) => {
                    let role = registrar_catalog::catalog()
                        .role(&assignment.role_definition_id)
                        .map(|role| role.role_name.clone())
                        .or_else(|| {
                            live.role_definitions
                                .iter()
                                .find(|definition| {
                                    registrar_model::Guid::same(
                                        &definition.id,
                                        &assignment.role_definition_id,
                                    )
                                })
                                .map(|definition| definition.role_name.clone())
                        })
                        .unwrap_or_else(|| assignment.role_definition_id.clone());
                    format!(
                        "{}: role assignment {role} @ {}",
                        app(app_id),
                        assignment.scope
                    )
                }
                None => format!("{}: role assignment {id}", app(app_id)),
            }
        }
        ObjectKey::DeletedApplication { id } => {
            match live
                .deleted_applications
                .iter()
                .find(|deleted| deleted.id.eq_ignore_ascii_case(id))
            {
                Some(deleted) => format!(
                    "deleted application {} (appId {})",
                    crate::model::quoted(&deleted.display_name),
                    deleted.app_id
                ),
                None => format!("deleted application {id}"),
            }
        }
        ObjectKey::DirectoryObject { id } => match live.directory_object(id) {
            Some(object) => format!(
                "{} {}",
                object.kind.plan_name().replace('_', " "),
                directory_object_name(live, id)
            ),
            None => format!("directory object {id}"),
        },
        ObjectKey::ResourceServicePrincipal { app_id } => {
            match live.resource_service_principal(app_id) {
                Some(sp) => format!("API {} (appId {})", sp.display_name, sp.app_id),
                None => format!("API with appId {app_id}"),
            }
        }
        ObjectKey::RoleDefinition { id, scope } => {
            match live
                .role_definitions
                .iter()
                .find(|definition| definition.id.eq_ignore_ascii_case(id))
            {
                Some(definition) => format!(
                    "role definition {} at {}",
                    crate::model::quoted(&definition.role_name),
                    definition.scope
                ),
                None => format!("role definition {id} at {scope}"),
            }
        }
        ObjectKey::SecretStore { location } => store_name(location),
        ObjectKey::ServicePrincipalOwner { app_id, owner_id } => format!(
            "{}: service principal owner {}",
            app(app_id),
            directory_object_name(live, owner_id)
        ),
        ObjectKey::ServicePrincipalPasswordCredential { app_id, key_id } => {
            let name = service_principal(app_id).and_then(|sp| {
                sp.password_credentials
                    .iter()
                    .find(|credential| credential.key_id.eq_ignore_ascii_case(key_id))
                    .and_then(|credential| credential.display_name.clone())
            });
            service_principal_credential(&app(app_id), "client secret", name, key_id)
        }
        ObjectKey::ServicePrincipalKeyCredential { app_id, key_id } => {
            let name = service_principal(app_id).and_then(|sp| {
                sp.key_credentials
                    .iter()
                    .find(|credential| credential.key_id.eq_ignore_ascii_case(key_id))
                    .and_then(|credential| credential.display_name.clone())
            });
            service_principal_credential(&app(app_id), "certificate", name, key_id)
        }
    }
}

/// `application … : service principal client secret "x" (keyId …)`.
fn service_principal_credential(
    app: &str,
    kind: &str,
    name: Option<String>,
    key_id: &str,
) -> String {
    match name {
        Some(name) => format!(
            "{app}: service principal {kind} {} (keyId {key_id})",
            crate::model::quoted(&name)
        ),
        None => format!("{app}: service principal {kind} with keyId {key_id}"),
    }
}
