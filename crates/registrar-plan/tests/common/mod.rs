//! Fixtures and a small in-memory simulator of the tenant that carries out a plan's operations
//! the way Graph would, so tests can check convergence (apply, then plan again: no changes).
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::{BTreeSet, HashMap};

use registrar_catalog::PermissionKind;
use registrar_model::{
    AppRoleAssignment, ApplicationField, ApplicationRef, ApplicationSettings, ConsentType,
    DeletedApplication, DesiredApplication, DesiredCertificate, DesiredFederatedCredential,
    DesiredSecret, DesiredState, DirectoryObject, DirectoryObjectKind, ExposedPermission,
    FederatedCredential, LiveApplication, LiveServicePrincipal, LiveTenant, Located, Operation,
    Origin, PasswordCredential, PermissionGrant, PlainSettings, PlannedAppId,
    ResourceServicePrincipal, RoleAssignment, RoleDefinition, SecretStoreContents,
    SecretStoreLocation, SecretStoreState, ServicePrincipalRef, ServicePrincipalSettings,
    role_assignment_name, same_scope,
};
use registrar_plan::{Plan, PlanOptions, plan};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const NOW: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);
pub const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
pub const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
/// The object id of Microsoft Graph's service principal in the test tenant.
pub const GRAPH_SP: &str = "9a900000-0000-4000-8000-00000000000a";

pub fn origin(line: usize, column: usize) -> Origin {
    Origin {
        file: "apps.yaml".into(),
        line,
        column,
    }
}

pub fn located(value: &str, line: usize, column: usize) -> Located<String> {
    Located::new(value.to_owned(), origin(line, column))
}

pub fn state(applications: Vec<DesiredApplication>) -> DesiredState {
    DesiredState {
        namespace: "platform".into(),
        tenant: None,
        applications,
    }
}

/// A declared application with the manifest's defaults: display name = key, AzureADMyOrg, a
/// service principal with default settings.
pub fn app(key: &str) -> DesiredApplication {
    DesiredApplication {
        plain: PlainSettings {
            display_name: key.into(),
            sign_in_audience: "AzureADMyOrg".into(),
            ..Default::default()
        },
        key: key.into(),
        origin: origin(3, 3),
        service_principal: Some(ServicePrincipalSettings::default()),
        ..Default::default()
    }
}

pub fn vault(name: &str) -> SecretStoreLocation {
    SecretStoreLocation::KeyVault {
        vault: "kv-platform".into(),
        name: name.into(),
    }
}

pub fn secret(name: &str) -> DesiredSecret {
    DesiredSecret {
        name: name.into(),
        origin: origin(20, 7),
        lifetime: Duration::days(180),
        rotate_before: Duration::days(30),
        overlap: None,
        store: vault(name),
    }
}

pub fn certificate(name: &str, thumbprint: &str) -> DesiredCertificate {
    DesiredCertificate {
        name: name.into(),
        origin: origin(30, 7),
        file: format!("certs/{name}.pem"),
        der_base64: format!("MIIB{thumbprint}"),
        thumbprint_base64: thumbprint.into(),
        not_before: datetime!(2025-06-01 0:00 UTC),
        not_after: datetime!(2026-06-01 0:00 UTC),
    }
}

pub fn federated(name: &str, subject: &str) -> DesiredFederatedCredential {
    DesiredFederatedCredential {
        name: name.into(),
        origin: origin(40, 7),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: subject.into(),
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

/// The people the tests name as owners.
pub fn directory() -> Vec<DirectoryObject> {
    vec![
        DirectoryObject {
            id: ALICE.into(),
            kind: DirectoryObjectKind::User,
            user_principal_name: Some("alice@contoso.com".into()),
            display_name: Some("Alice".into()),
        },
        DirectoryObject {
            id: BOB.into(),
            kind: DirectoryObjectKind::User,
            user_principal_name: Some("bob@contoso.com".into()),
            display_name: Some("Bob".into()),
        },
    ]
}

/// Microsoft Graph's service principal, with the catalog's permissions.
pub fn graph_service_principal() -> ResourceServicePrincipal {
    let graph = registrar_catalog::catalog().graph();
    let exposed = |kind| {
        graph
            .permissions_of(kind)
            .map(|permission| ExposedPermission {
                id: permission.id.clone(),
                value: permission.value.clone(),
                is_enabled: true,
            })
            .collect()
    };
    ResourceServicePrincipal {
        id: GRAPH_SP.into(),
        app_id: graph.app_id.clone(),
        display_name: "Microsoft Graph".into(),
        app_roles: exposed(PermissionKind::Application),
        oauth2_permission_scopes: exposed(PermissionKind::Delegated),
    }
}

/// The id of a Microsoft Graph permission in the catalog.
pub fn graph_permission(value: &str, kind: PermissionKind) -> String {
    registrar_catalog::catalog()
        .graph()
        .permission(value, kind)
        .expect("a Graph permission")
        .id
        .clone()
}

/// The subscription role assignment scopes of the tests lie in.
pub const SUBSCRIPTION: &str = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
/// The built-in role Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// The built-in role Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// A custom role the test tenant defines, found at `rg-001`.
pub const CUSTOM_ROLE: &str = "c0ffee00-0000-4000-8000-000000000001";
/// Its name.
pub const CUSTOM_ROLE_NAME: &str = "Platform Deployer";

/// An empty tenant that knows the test users, Microsoft Graph's service principal and the
/// custom role `Platform Deployer` (as the snapshot looks it up at `rg-001`).
pub fn tenant() -> LiveTenant {
    LiveTenant {
        tenant_id: "tenant".into(),
        directory_objects: directory(),
        resource_service_principals: vec![graph_service_principal()],
        role_definitions: vec![RoleDefinition {
            id: CUSTOM_ROLE.into(),
            role_name: CUSTOM_ROLE_NAME.into(),
            scope: format!("{SUBSCRIPTION}/resourceGroups/rg-001"),
        }],
        ..Default::default()
    }
}

/// The tenant after planning `desired` against `live` and applying the plan.
pub fn converged(desired: &DesiredState, live: LiveTenant) -> LiveTenant {
    let plan = plan(desired, &live, NOW, &PlanOptions::default()).expect("plans");
    let mut simulator = Simulator::new(live, NOW);
    simulator.apply(&plan).expect("applies");
    simulator.live
}

/// Carries out operations against a [`LiveTenant`] as Graph would.
pub struct Simulator {
    pub live: LiveTenant,
    pub now: OffsetDateTime,
    created: HashMap<String, (String, String)>,
    created_service_principals: HashMap<String, String>,
    counter: u32,
}

impl Simulator {
    pub fn new(live: LiveTenant, now: OffsetDateTime) -> Self {
        Self {
            live,
            now,
            created: HashMap::new(),
            created_service_principals: HashMap::new(),
            counter: 0,
        }
    }

    /// A fresh id, unique in the tenant even when it was built by another simulator.
    fn next_id(&mut self, prefix: &str) -> String {
        loop {
            self.counter += 1;
            let id = format!("{prefix}000000-0000-4000-8000-{:012}", self.counter);
            if !format!("{:?}", self.live).contains(&id) {
                return id;
            }
        }
    }

    /// Runs every change with operations, dependencies first.
    pub fn apply(&mut self, plan: &Plan) -> Result<(), String> {
        let with_operations: Vec<_> = plan
            .changes
            .iter()
            .filter(|change| !change.operations.is_empty())
            .collect();
        let addresses: BTreeSet<String> = with_operations
            .iter()
            .map(|change| change.address.to_string())
            .collect();
        let mut done: BTreeSet<String> = BTreeSet::new();
        while done.len() < with_operations.len() {
            let ready = with_operations.iter().find(|change| {
                !done.contains(&change.address.to_string())
                    && change.depends_on.iter().all(|dependency| {
                        let dependency = dependency.to_string();
                        !addresses.contains(&dependency) || done.contains(&dependency)
                    })
            });
            let Some(change) = ready else {
                return Err("dependency cycle".into());
            };
            for operation in &change.operations {
                self.run(operation)
                    .map_err(|error| format!("{}: {error}", change.address))?;
            }
            done.insert(change.address.to_string());
        }
        Ok(())
    }

    fn resolve(&self, application: &ApplicationRef) -> Result<(String, String), String> {
        match application {
            ApplicationRef::Existing { id, app_id } => Ok((id.clone(), app_id.clone())),
            ApplicationRef::Planned { key } => self
                .created
                .get(key)
                .cloned()
                .ok_or_else(|| format!("`{key}` was not created")),
        }
    }

    fn app_mut(&mut self, application: &ApplicationRef) -> Result<&mut LiveApplication, String> {
        let (id, _) = self.resolve(application)?;
        self.live
            .applications
            .iter_mut()
            .find(|app| app.id == id)
            .ok_or_else(|| format!("Request_ResourceNotFound: application {id}"))
    }

    fn resolve_service_principal(&self, sp: &ServicePrincipalRef) -> Result<String, String> {
        match sp {
            ServicePrincipalRef::Existing { id } => Ok(id.clone()),
            ServicePrincipalRef::Planned { key } => self
                .created_service_principals
                .get(key)
                .cloned()
                .ok_or_else(|| format!("the service principal of `{key}` was not created")),
        }
    }

    fn managed_sp_mut(&mut self, id: &str) -> Result<&mut LiveServicePrincipal, String> {
        self.live
            .applications
            .iter_mut()
            .filter_map(|app| app.service_principal.as_mut())
            .find(|sp| sp.id == id)
            .ok_or_else(|| format!("Request_ResourceNotFound: service principal {id}"))
    }

    /// The app roles (for application permissions) and scopes a resource service principal
    /// exposes, as Graph checks them: an application's service principal copies its app's.
    fn resource_exposes(&self, resource_id: &str) -> Result<(Vec<String>, Vec<String>), String> {
        if let Some(sp) = self
            .live
            .resource_service_principals
            .iter()
            .find(|sp| sp.id == resource_id)
        {
            return Ok((
                sp.app_roles.iter().map(|role| role.id.clone()).collect(),
                sp.oauth2_permission_scopes
                    .iter()
                    .map(|scope| scope.value.clone())
                    .collect(),
            ));
        }
        let app = self
            .live
            .applications
            .iter()
            .find(|app| {
                app.service_principal
                    .as_ref()
                    .is_some_and(|sp| sp.id == resource_id)
            })
            .ok_or_else(|| format!("Request_ResourceNotFound: resource {resource_id}"))?;
        Ok((
            app.settings
                .app_roles
                .iter()
                .filter(|role| {
                    role.allowed_member_types
                        .iter()
                        .any(|kind| kind == "Application")
                })
                .map(|role| role.id.clone())
                .collect(),
            app.settings
                .api
                .oauth2_permission_scopes
                .iter()
                .map(|scope| scope.value.clone())
                .collect(),
        ))
    }

    fn resolve_planned(&self, text: &mut String) -> Result<(), String> {
        if let Some(PlannedAppId { key }) = PlannedAppId::parse(text) {
            *text = self
                .created
                .get(&key)
                .ok_or_else(|| format!("`{key}` was not created"))?
                .1
                .clone();
        }
        Ok(())
    }

    fn run(&mut self, operation: &Operation) -> Result<(), String> {
        match operation {
            Operation::CreateApplication {
                key,
                unique_name,
                settings,
            } => {
                if format!("{settings:?}").contains("{appId") {
                    return Err("a create cannot send placeholders".into());
                }
                let mut settings = settings.clone();
                settings.api.requested_access_token_version =
                    settings.api.requested_access_token_version.or(Some(2));
                if let Some(existing) = self
                    .live
                    .applications
                    .iter_mut()
                    .find(|app| app.unique_name.as_deref() == Some(unique_name.as_str()))
                {
                    existing.settings = settings;
                    let ids = (existing.id.clone(), existing.app_id.clone());
                    self.created.insert(key.clone(), ids);
                    return Ok(());
                }
                let id = self.next_id("0b1ec7");
                let app_id = self.next_id("a9901d");
                self.live.applications.push(LiveApplication {
                    id: id.clone(),
                    app_id: app_id.clone(),
                    unique_name: Some(unique_name.clone()),
                    settings,
                    ..Default::default()
                });
                self.created.insert(key.clone(), (id, app_id));
            }
            Operation::RestoreApplication { key, id, app_id } => {
                let position = self
                    .live
                    .deleted_applications
                    .iter()
                    .position(|app| &app.id == id)
                    .ok_or("not in deleted items")?;
                let deleted = self.live.deleted_applications.remove(position);
                self.live.applications.push(LiveApplication {
                    id: deleted.id.clone(),
                    app_id: deleted.app_id.clone(),
                    unique_name: deleted.unique_name.clone(),
                    settings: ApplicationSettings {
                        plain: PlainSettings {
                            display_name: deleted.display_name.clone(),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    // Graph restores an application with all its properties.
                    password_credentials: deleted.password_credentials.clone(),
                    key_credentials: deleted.key_credentials.clone(),
                    ..Default::default()
                });
                self.created
                    .insert(key.clone(), (id.clone(), app_id.clone()));
            }
            Operation::UpdateApplication {
                application,
                settings,
                changed_fields,
            } => {
                let (_, app_id) = self.resolve(application)?;
                let mut settings = settings.clone();
                settings.resolve_app_id(&app_id);
                let mut failure = Ok(());
                settings.retain_app_id_references(|text| {
                    if failure.is_ok() {
                        failure = self.resolve_planned(text);
                    }
                    true
                });
                failure?;
                let app = self.app_mut(application)?;
                let live = &mut app.settings;
                if changed_fields.contains(&ApplicationField::Api) {
                    for scope in &live.api.oauth2_permission_scopes {
                        if scope.is_enabled
                            && !settings
                                .api
                                .oauth2_permission_scopes
                                .iter()
                                .any(|s| s.id == scope.id)
                        {
                            return Err(format!(
                                "CannotDeleteOrUpdateEnabledEntitlement: scope {}",
                                scope.value
                            ));
                        }
                    }
                }
                if changed_fields.contains(&ApplicationField::AppRoles) {
                    for role in &live.app_roles {
                        if role.is_enabled && !settings.app_roles.iter().any(|r| r.id == role.id) {
                            return Err(format!(
                                "CannotDeleteOrUpdateEnabledEntitlement: role {}",
                                role.value
                            ));
                        }
                    }
                }
                for field in changed_fields {
                    match field {
                        ApplicationField::DisplayName => {
                            live.plain.display_name = settings.plain.display_name.clone()
                        }
                        ApplicationField::Description => {
                            live.plain.description = settings.plain.description.clone()
                        }
                        ApplicationField::Notes => live.plain.notes = settings.plain.notes.clone(),
                        ApplicationField::SignInAudience => {
                            live.plain.sign_in_audience = settings.plain.sign_in_audience.clone()
                        }
                        ApplicationField::IdentifierUris => {
                            live.plain.identifier_uris = settings.plain.identifier_uris.clone()
                        }
                        ApplicationField::Tags => live.plain.tags = settings.plain.tags.clone(),
                        ApplicationField::Web => live.plain.web = settings.plain.web.clone(),
                        ApplicationField::SpaRedirectUris => {
                            live.plain.spa_redirect_uris = settings.plain.spa_redirect_uris.clone()
                        }
                        ApplicationField::PublicClientRedirectUris => {
                            live.plain.public_client_redirect_uris =
                                settings.plain.public_client_redirect_uris.clone()
                        }
                        ApplicationField::IsFallbackPublicClient => {
                            live.plain.is_fallback_public_client =
                                settings.plain.is_fallback_public_client
                        }
                        ApplicationField::GroupMembershipClaims => {
                            live.plain.group_membership_claims =
                                settings.plain.group_membership_claims.clone()
                        }
                        ApplicationField::ServiceManagementReference => {
                            live.plain.service_management_reference =
                                settings.plain.service_management_reference.clone()
                        }
                        ApplicationField::Info => live.plain.info = settings.plain.info.clone(),
                        ApplicationField::OptionalClaims => {
                            live.plain.optional_claims = settings.plain.optional_claims.clone()
                        }
                        ApplicationField::Api => live.api = settings.api.clone(),
                        ApplicationField::AppRoles => live.app_roles = settings.app_roles.clone(),
                        ApplicationField::RequiredResourceAccess => {
                            live.required_resource_access =
                                settings.required_resource_access.clone()
                        }
                        ApplicationField::ServicePrincipalLock => {
                            live.service_principal_lock = settings.service_principal_lock.clone()
                        }
                    }
                }
            }
            Operation::DeleteApplication { id } => {
                let position = self
                    .live
                    .applications
                    .iter()
                    .position(|app| &app.id == id)
                    .ok_or("Request_ResourceNotFound")?;
                let app = self.live.applications.remove(position);
                self.live.deleted_applications.push(DeletedApplication {
                    id: app.id,
                    app_id: app.app_id,
                    unique_name: app.unique_name,
                    display_name: app.settings.plain.display_name,
                    deleted_date_time: None,
                    password_credentials: app.password_credentials,
                    key_credentials: app.key_credentials,
                    tags: app.settings.plain.tags,
                });
            }
            Operation::CreateServicePrincipal {
                key,
                application,
                settings,
            } => {
                let id = self.next_id("5e7e1c");
                let app = self.app_mut(application)?;
                if app.service_principal.is_some() {
                    return Err("a service principal already exists".into());
                }
                app.service_principal = Some(LiveServicePrincipal {
                    id: id.clone(),
                    app_id: app.app_id.clone(),
                    settings: settings.clone(),
                    ..Default::default()
                });
                self.created_service_principals.insert(key.clone(), id);
            }
            Operation::GrantAppRole {
                client,
                resource,
                app_role_id,
            } => {
                let client = self.resolve_service_principal(client)?;
                let resource = self.resolve_service_principal(resource)?;
                let (roles, _) = self.resource_exposes(&resource)?;
                if !roles
                    .iter()
                    .any(|role| role.eq_ignore_ascii_case(app_role_id))
                {
                    return Err(format!(
                        "Permission being assigned was not found on application: {app_role_id}"
                    ));
                }
                let id = self.next_id("a5516e");
                let sp = self.managed_sp_mut(&client)?;
                if sp.app_role_assignments.iter().any(|assignment| {
                    assignment.resource_id == resource && &assignment.app_role_id == app_role_id
                }) {
                    return Err("Permission being assigned already exists on the object".into());
                }
                sp.app_role_assignments.push(AppRoleAssignment {
                    id,
                    resource_id: resource,
                    app_role_id: app_role_id.clone(),
                });
            }
            Operation::RevokeAppRole {
                resource_id,
                assignment_id,
            } => {
                let sp = self
                    .live
                    .applications
                    .iter_mut()
                    .filter_map(|app| app.service_principal.as_mut())
                    .find(|sp| {
                        sp.app_role_assignments.iter().any(|assignment| {
                            &assignment.id == assignment_id
                                && &assignment.resource_id == resource_id
                        })
                    })
                    .ok_or("Request_ResourceNotFound: app role assignment")?;
                sp.app_role_assignments
                    .retain(|assignment| &assignment.id != assignment_id);
            }
            Operation::GrantScopes {
                client,
                resource,
                scope,
            } => {
                let client = self.resolve_service_principal(client)?;
                let resource = self.resolve_service_principal(resource)?;
                let (_, scopes) = self.resource_exposes(&resource)?;
                if let Some(unknown) = scope
                    .split(' ')
                    .find(|value| !scopes.iter().any(|s| s == value))
                {
                    return Err(format!("scope `{unknown}` is not exposed by {resource}"));
                }
                let id = self.next_id("9a4a47");
                let sp = self.managed_sp_mut(&client)?;
                if sp.permission_grants.iter().any(|grant| {
                    grant.consent_type == ConsentType::AllPrincipals
                        && grant.resource_id == resource
                }) {
                    return Err("an AllPrincipals grant for this client and resource exists".into());
                }
                sp.permission_grants.push(PermissionGrant {
                    id,
                    resource_id: resource,
                    consent_type: ConsentType::AllPrincipals,
                    principal_id: None,
                    scope: scope.clone(),
                });
            }
            Operation::UpdateGrantedScopes { grant_id, scope } => {
                let grant = self
                    .live
                    .applications
                    .iter_mut()
                    .filter_map(|app| app.service_principal.as_mut())
                    .flat_map(|sp| sp.permission_grants.iter_mut())
                    .find(|grant| &grant.id == grant_id)
                    .ok_or("Request_ResourceNotFound: grant")?;
                grant.scope = scope.clone();
            }
            Operation::RevokeGrant { grant_id } => {
                let sp = self
                    .live
                    .applications
                    .iter_mut()
                    .filter_map(|app| app.service_principal.as_mut())
                    .find(|sp| {
                        sp.permission_grants
                            .iter()
                            .any(|grant| &grant.id == grant_id)
                    })
                    .ok_or("Request_ResourceNotFound: grant")?;
                sp.permission_grants.retain(|grant| &grant.id != grant_id);
            }
            Operation::CreateRoleAssignment {
                principal,
                scope,
                role_definition_id,
                description,
            } => {
                // As ARM: PUT by the deterministic name; the same (scope, role, principal) under
                // another name is 409 RoleAssignmentExists, which the executor counts as done.
                let principal = self.resolve_service_principal(principal)?;
                let name = role_assignment_name(scope, role_definition_id, &principal);
                let sp = self.managed_sp_mut(&principal)?;
                let exists = sp.role_assignments.iter().any(|assignment| {
                    same_scope(&assignment.scope, scope)
                        && assignment
                            .role_definition_id
                            .eq_ignore_ascii_case(role_definition_id)
                });
                if !exists {
                    sp.role_assignments.push(RoleAssignment {
                        id: format!(
                            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
                        ),
                        name,
                        scope: scope.clone(),
                        role_definition_id: role_definition_id.to_ascii_lowercase(),
                        principal_id: principal.clone(),
                        description: description.clone(),
                    });
                }
            }
            Operation::DeleteRoleAssignment { id } => {
                // 204 when already gone.
                for sp in self
                    .live
                    .applications
                    .iter_mut()
                    .filter_map(|app| app.service_principal.as_mut())
                {
                    sp.role_assignments
                        .retain(|assignment| !assignment.id.eq_ignore_ascii_case(id));
                }
            }
            Operation::UpdateServicePrincipal { id, settings } => {
                let sp = self
                    .live
                    .applications
                    .iter_mut()
                    .filter_map(|app| app.service_principal.as_mut())
                    .find(|sp| &sp.id == id)
                    .ok_or("Request_ResourceNotFound")?;
                sp.settings = settings.clone();
            }
            Operation::DeleteServicePrincipal { id } => {
                let app = self
                    .live
                    .applications
                    .iter_mut()
                    .find(|app| {
                        app.service_principal
                            .as_ref()
                            .is_some_and(|sp| &sp.id == id)
                    })
                    .ok_or("Request_ResourceNotFound")?;
                app.service_principal = None;
            }
            Operation::AddOwner {
                application,
                owner_id,
            } => {
                let app = self.app_mut(application)?;
                if app
                    .owners
                    .iter()
                    .any(|owner| owner.eq_ignore_ascii_case(owner_id))
                {
                    return Err("One or more added object references already exist".into());
                }
                app.owners.push(owner_id.clone());
            }
            Operation::RemoveOwner {
                application,
                owner_id,
            } => {
                let app = self.app_mut(application)?;
                let position = app
                    .owners
                    .iter()
                    .position(|owner| owner.eq_ignore_ascii_case(owner_id))
                    .ok_or("not an owner")?;
                app.owners.remove(position);
            }
            Operation::AddSecret {
                application,
                display_name,
                start,
                end,
                store,
            } => {
                let key_id = self.next_id("5ec7e7");
                let now = *start;
                let app = self.app_mut(application)?;
                app.password_credentials.push(PasswordCredential {
                    key_id: key_id.clone(),
                    display_name: Some(display_name.clone()),
                    hint: Some("xyz".into()),
                    start: Some(now),
                    end: Some(*end),
                });
                self.live
                    .secret_stores
                    .retain(|state| &state.location != store);
                self.live.secret_stores.push(SecretStoreState {
                    location: store.clone(),
                    contents: SecretStoreContents::Present {
                        key_id: Some(key_id),
                    },
                });
            }
            Operation::RemoveSecret {
                application,
                key_id,
            } => {
                let app = self.app_mut(application)?;
                let position = app
                    .password_credentials
                    .iter()
                    .position(|credential| &credential.key_id == key_id)
                    .ok_or("no such password credential")?;
                app.password_credentials.remove(position);
            }
            Operation::SetCertificates {
                application,
                certificates,
            } => {
                if certificates
                    .iter()
                    .any(|certificate| certificate.key.is_none())
                {
                    return Err("every certificate needs its key".into());
                }
                let app = self.app_mut(application)?;
                app.key_credentials = certificates.clone();
            }
            Operation::UpsertFederatedCredential {
                application,
                name,
                issuer,
                subject,
                audiences,
                description,
            } => {
                let id = self.next_id("fede7a");
                let app = self.app_mut(application)?;
                let credential = FederatedCredential {
                    id,
                    name: name.clone(),
                    issuer: issuer.clone(),
                    subject: subject.clone(),
                    audiences: audiences.clone(),
                    description: description.clone(),
                };
                match app
                    .federated_credentials
                    .iter_mut()
                    .find(|existing| &existing.name == name)
                {
                    Some(existing) => {
                        let id = existing.id.clone();
                        *existing = FederatedCredential { id, ..credential };
                    }
                    None => app.federated_credentials.push(credential),
                }
            }
            Operation::DeleteFederatedCredential { application, name } => {
                let app = self.app_mut(application)?;
                let before = app.federated_credentials.len();
                app.federated_credentials
                    .retain(|credential| &credential.name != name);
                if app.federated_credentials.len() == before {
                    return Err("Request_ResourceNotFound".into());
                }
            }
            Operation::RemoveServicePrincipalPassword {
                service_principal_id,
                key_id,
            } => {
                let sp = self.managed_sp_mut(service_principal_id)?;
                let before = sp.password_credentials.len();
                sp.password_credentials
                    .retain(|credential| !credential.key_id.eq_ignore_ascii_case(key_id));
                if sp.password_credentials.len() == before {
                    return Err("No password credential found with keyId".into());
                }
            }
            Operation::RemoveServicePrincipalKey {
                service_principal_id,
                key_id,
            } => {
                // The executor reads the list and PATCHes it without this one.
                let sp = self.managed_sp_mut(service_principal_id)?;
                sp.key_credentials
                    .retain(|credential| !credential.key_id.eq_ignore_ascii_case(key_id));
            }
            Operation::AddServicePrincipalOwner {
                service_principal,
                owner_id,
            } => {
                let id = self.resolve_service_principal(service_principal)?;
                let sp = self.managed_sp_mut(&id)?;
                if sp
                    .owners
                    .iter()
                    .any(|owner| owner.eq_ignore_ascii_case(owner_id))
                {
                    return Err("One or more added object references already exist".into());
                }
                sp.owners.push(owner_id.clone());
            }
            Operation::RemoveServicePrincipalOwner {
                service_principal_id,
                owner_id,
            } => {
                let sp = self.managed_sp_mut(service_principal_id)?;
                let position = sp
                    .owners
                    .iter()
                    .position(|owner| owner.eq_ignore_ascii_case(owner_id))
                    .ok_or("not an owner of the service principal")?;
                sp.owners.remove(position);
            }
        }
        Ok(())
    }
}

/// The JSON plan's schema, `schema/plan.schema.json`.
pub fn plan_schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../../schema/plan.schema.json"))
        .expect("schema/plan.schema.json is JSON")
}

/// Renders `plan` as its JSON document and checks it against `schema/plan.schema.json`;
/// returns the document as JSON.
#[track_caller]
pub fn valid_json_plan(plan: &Plan) -> serde_json::Value {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(&plan_schema()).expect("the plan schema compiles")
    });
    let options = registrar_plan::render::JsonOptions {
        registrar_version: "0.0.0-test".to_owned(),
    };
    let document = serde_json::to_value(registrar_plan::render::json(plan, &options))
        .expect("the document serializes");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON plan does not match schema/plan.schema.json:\n{}\n{document:#}",
        errors.join("\n")
    );
    document
}
