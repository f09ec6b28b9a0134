//! The planner: identity, settings resolution and diff, service principal and owners.
//! Credentials are in [`crate::credentials`], admin consent in [`crate::consent`], role
//! assignments in [`crate::rbac`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use registrar_catalog::{PermissionKind, catalog};
use registrar_model::{
    AppRole, ApplicationRef, ApplicationSettings, DeletedApplication, DesiredApplication,
    DesiredState, LiveApplication, LiveTenant, Located, Operation, PermissionScope,
    PreAuthorizedApplication, RequiredResourceAccess, ResourceAccess, ServicePrincipalRef,
    ServicePrincipalSettings, marker_tag, unique_name,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{PlanError, PlanErrors};
use crate::model::{Action, ActionReason, Address, Component, Plan, ResourceChange};
use crate::settings::{
    Describe, all_fields, application_attributes, attribute_map, diff_attributes,
    normalize_application, normalize_service_principal, service_principal_attributes,
};

/// Options that change what is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanOptions {
    /// Delete applications that carry the namespace's marker tag but are not in the manifest.
    pub prune: bool,
}

/// Stands for the appId of an application created earlier in the same apply, by manifest key:
/// `{appId:<key>}`. It appears in the settings of [`Operation::UpdateApplication`] (in
/// `api.known_client_applications`, `api.pre_authorized_applications[].app_id` and
/// `required_resource_access[].resource_app_id`); the executor replaces it with the appId the
/// create returned, as it does for [`registrar_model::APP_ID_PLACEHOLDER`].
pub fn planned_app_id(key: &str) -> String {
    format!("{{appId:{key}}}")
}

/// The manifest key in a [`planned_app_id`] placeholder, if `text` is one.
pub fn parse_planned_app_id(text: &str) -> Option<&str> {
    text.strip_prefix("{appId:")?.strip_suffix('}')
}

/// A deterministic id (UUIDv5) for a scope, app role or certificate this planner introduces.
pub(crate) fn derived_id(unique_name: &str, kind: &str, value: &str) -> String {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("registrar:{unique_name}:{kind}:{value}").as_bytes(),
    )
    .to_string()
}

/// How a declared application is found in the tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Identity<'a> {
    /// It exists (by unique name, or by pinned appId).
    Existing(&'a LiveApplication),
    /// A soft-deleted application holds the unique name.
    Restore(&'a DeletedApplication),
    /// It is created.
    Create,
}

/// A declared application and how it is found.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub(crate) desired: &'a DesiredApplication,
    pub(crate) identity: Identity<'a>,
    pub(crate) unique_name: String,
}

impl Target<'_> {
    pub(crate) fn key(&self) -> &str {
        &self.desired.key
    }

    pub(crate) fn live(&self) -> Option<&LiveApplication> {
        match self.identity {
            Identity::Existing(live) => Some(live),
            _ => None,
        }
    }

    /// The application's service principal as operations name it, and the change to wait for:
    /// the live one, or the one this plan creates (then its create is a dependency).
    pub(crate) fn service_principal_ref(&self) -> (ServicePrincipalRef, Vec<Address>) {
        match self.live().and_then(|app| app.service_principal.as_ref()) {
            Some(sp) => (
                ServicePrincipalRef::Existing { id: sp.id.clone() },
                Vec::new(),
            ),
            None => (
                ServicePrincipalRef::Planned {
                    key: self.key().to_owned(),
                },
                vec![self.address(Component::ServicePrincipal)],
            ),
        }
    }

    pub(crate) fn known_app_id(&self) -> Option<&str> {
        match self.identity {
            Identity::Existing(live) => Some(&live.app_id),
            Identity::Restore(deleted) => Some(&deleted.app_id),
            Identity::Create => None,
        }
    }

    pub(crate) fn application_ref(&self) -> ApplicationRef {
        match self.identity {
            Identity::Existing(live) => ApplicationRef::Existing {
                id: live.id.clone(),
                app_id: live.app_id.clone(),
            },
            Identity::Restore(deleted) => ApplicationRef::Existing {
                id: deleted.id.clone(),
                app_id: deleted.app_id.clone(),
            },
            Identity::Create => ApplicationRef::Planned {
                key: self.desired.key.clone(),
            },
        }
    }

    /// What a change inside this application depends on: the application's own change, when it
    /// is created or restored in this plan.
    pub(crate) fn depends_on(&self) -> Vec<Address> {
        match self.identity {
            Identity::Existing(_) => Vec::new(),
            _ => vec![Address::application(self.key())],
        }
    }

    pub(crate) fn address(&self, component: Component) -> Address {
        Address::component(self.key(), component)
    }
}

/// Where the appId of an application of this manifest comes from.
#[derive(Debug, Clone)]
pub(crate) enum AppId {
    Known(String),
    Planned(String),
}

impl AppId {
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Known(app_id) => app_id.clone(),
            Self::Planned(key) => planned_app_id(key),
        }
    }
}

/// Scopes and app roles of a declared application, with their ids settled.
#[derive(Debug, Clone, Default)]
struct Exposed {
    scopes: Vec<PermissionScope>,
    roles: Vec<AppRole>,
}

/// A permission resolution source: the values and ids one API exposes.
pub(crate) struct PermissionSource {
    /// How errors name the API.
    pub(crate) name: String,
    /// `(value, id)` pairs; `None` when nothing is known about the API (a bare appId), so only
    /// GUIDs resolve.
    delegated: Option<Vec<(String, String)>>,
    application: Option<Vec<(String, String)>>,
}

impl PermissionSource {
    pub(crate) fn of(&self, kind: PermissionKind) -> Option<&Vec<(String, String)>> {
        match kind {
            PermissionKind::Delegated => self.delegated.as_ref(),
            PermissionKind::Application => self.application.as_ref(),
        }
    }
}

fn is_guid(text: &str) -> bool {
    Uuid::parse_str(text).is_ok()
}

fn kind_words(kind: PermissionKind) -> (&'static str, &'static str) {
    match kind {
        PermissionKind::Delegated => ("a delegated permission", "scopes"),
        PermissionKind::Application => ("an application permission", "roles"),
    }
}

/// The candidate closest to `wanted`, if it is close enough to suggest.
pub(crate) fn closest<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    closest_scored(wanted, candidates).map(|(_, candidate)| candidate)
}

/// The candidate closest to `wanted` and its Jaro-Winkler similarity, if at least 0.85.
fn closest_scored<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<(f64, &'c str)> {
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&wanted_lower, &candidate.to_lowercase());
        let better = best.is_none_or(|(best_score, best_candidate)| {
            score > best_score || (score == best_score && candidate < best_candidate)
        });
        if score >= 0.85 && better {
            best = Some((score, candidate));
        }
    }
    best
}

/// The planning context: inputs, and what has been planned so far.
pub(crate) struct Planner<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) live: &'a LiveTenant,
    pub(crate) now: OffsetDateTime,
    options: &'a PlanOptions,
    pub(crate) errors: Vec<PlanError>,
    pub(crate) changes: Vec<ResourceChange>,
    pub(crate) warnings: Vec<String>,
    targets: Vec<Target<'a>>,
    exposed: HashMap<String, Exposed>,
}

impl Describe for Planner<'_> {
    fn resource(&self, app_id: &str) -> Option<String> {
        if let Some(target) = self.target_by_app_id(app_id) {
            return Some(format!("application {}", target.key()));
        }
        if let Some(sp) = self.resource_sp(app_id) {
            return Some(sp.display_name.clone());
        }
        catalog().api(app_id).map(|api| api.name.clone())
    }

    fn permission(&self, app_id: &str, id: &str) -> Option<String> {
        if let Some(target) = self.target_by_app_id(app_id) {
            let exposed = self.exposed.get(target.key())?;
            return exposed
                .scopes
                .iter()
                .map(|scope| (&scope.id, &scope.value))
                .chain(exposed.roles.iter().map(|role| (&role.id, &role.value)))
                .find(|(scope_id, _)| scope_id.eq_ignore_ascii_case(id))
                .map(|(_, value)| value.clone());
        }
        if let Some(sp) = self.resource_sp(app_id) {
            return sp
                .oauth2_permission_scopes
                .iter()
                .chain(&sp.app_roles)
                .find(|permission| permission.id.eq_ignore_ascii_case(id))
                .map(|permission| permission.value.clone());
        }
        catalog()
            .api(app_id)?
            .permissions
            .iter()
            .find(|permission| permission.id.eq_ignore_ascii_case(id))
            .map(|permission| permission.value.clone())
    }
}

impl<'a> Planner<'a> {
    pub(crate) fn new(
        desired: &'a DesiredState,
        live: &'a LiveTenant,
        now: OffsetDateTime,
        options: &'a PlanOptions,
    ) -> Self {
        Self {
            desired,
            live,
            now,
            options,
            errors: Vec::new(),
            changes: Vec::new(),
            warnings: Vec::new(),
            targets: Vec::new(),
            exposed: HashMap::new(),
        }
    }

    pub(crate) fn run(mut self) -> Result<Plan, PlanErrors> {
        self.find_targets();
        self.settle_exposed();
        let targets = self.targets.clone();
        for target in &targets {
            self.plan_application(target);
            self.plan_service_principal(target);
            self.plan_owners(target);
            self.plan_secrets(target);
            self.plan_certificates(target);
            self.plan_federated_credentials(target);
            self.plan_role_assignments(target);
        }
        // Consent depends on service principals and applications planned above.
        for target in &targets {
            self.plan_consent(target);
        }
        self.plan_undeclared_applications();
        if !self.errors.is_empty() {
            let mut errors = self.errors;
            errors.sort_by(|a, b| (&a.origin, &a.message).cmp(&(&b.origin, &b.message)));
            errors.dedup();
            return Err(PlanErrors { errors });
        }
        let mut changes = self.changes;
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let mut warnings = self.warnings;
        warnings.sort();
        warnings.dedup();
        Ok(Plan { changes, warnings })
    }

    // ---- lookups that do not depend on the order of live lists ----

    pub(crate) fn resource_sp(
        &self,
        app_id: &str,
    ) -> Option<&'a registrar_model::ResourceServicePrincipal> {
        self.live
            .resource_service_principals
            .iter()
            .filter(|sp| sp.app_id.eq_ignore_ascii_case(app_id))
            .min_by(|a, b| a.id.cmp(&b.id))
    }

    pub(crate) fn target(&self, key: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| target.key() == key)
    }

    /// The declared application whose live service principal has this object id.
    pub(crate) fn target_by_service_principal(&self, sp_id: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| {
            target
                .live()
                .and_then(|app| app.service_principal.as_ref())
                .is_some_and(|sp| sp.id.eq_ignore_ascii_case(sp_id))
        })
    }

    pub(crate) fn target_by_app_id(&self, app_id: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| {
            target
                .known_app_id()
                .is_some_and(|known| known.eq_ignore_ascii_case(app_id))
        })
    }

    fn app_id_of(&self, key: &str) -> Option<AppId> {
        let target = self.target(key)?;
        Some(match target.known_app_id() {
            Some(app_id) => AppId::Known(app_id.to_owned()),
            None => AppId::Planned(key.to_owned()),
        })
    }

    // ---- identity ----

    fn find_targets(&mut self) {
        let namespace = &self.desired.namespace;
        let mut claimed: BTreeSet<&str> = BTreeSet::new();
        for desired in &self.desired.applications {
            let name = unique_name(namespace, &desired.key);
            let by_name = self
                .live
                .applications
                .iter()
                .filter(|app| app.unique_name.as_deref() == Some(name.as_str()))
                .min_by(|a, b| a.id.cmp(&b.id));
            let by_app_id = desired.app_id.as_deref().and_then(|pinned| {
                self.live
                    .applications
                    .iter()
                    .filter(|app| app.app_id.eq_ignore_ascii_case(pinned))
                    .min_by(|a, b| a.id.cmp(&b.id))
            });
            let identity = if let Some(live) = by_name.or(by_app_id) {
                if !claimed.insert(live.id.as_str()) {
                    self.errors.push(PlanError::new(
                        &desired.origin,
                        format!(
                            "application `{}` is the same tenant application as another key",
                            desired.key
                        ),
                        Some(format!(
                            "appId `{}` may be pinned by one application only",
                            live.app_id
                        )),
                    ));
                    continue;
                }
                Identity::Existing(live)
            } else if let Some(pinned) = &desired.app_id {
                self.errors.push(PlanError::new(
                    &desired.origin,
                    format!(
                        "application `{}` pins appId `{pinned}`, which is not in the tenant",
                        desired.key
                    ),
                    Some(
                        "check the appId, or remove `appId` to create a new application".to_owned(),
                    ),
                ));
                continue;
            } else if let Some(deleted) = self
                .live
                .deleted_applications
                .iter()
                .filter(|app| app.unique_name.as_deref() == Some(name.as_str()))
                .min_by(|a, b| a.id.cmp(&b.id))
            {
                Identity::Restore(deleted)
            } else {
                Identity::Create
            };
            self.targets.push(Target {
                desired,
                identity,
                unique_name: name,
            });
        }
    }

    /// Settles the ids of every declared scope and app role: the live id of the entry with the
    /// same value, else a UUIDv5 of (unique name, kind, value).
    fn settle_exposed(&mut self) {
        for target in &self.targets {
            let live = target.live().map(|app| &app.settings);
            let scopes = target
                .desired
                .api
                .scopes
                .iter()
                .map(|scope| {
                    let id = live
                        .and_then(|settings| {
                            settings
                                .api
                                .oauth2_permission_scopes
                                .iter()
                                .find(|l| l.value == scope.value)
                        })
                        .map_or_else(
                            || derived_id(&target.unique_name, "scope", &scope.value),
                            |l| l.id.clone(),
                        );
                    PermissionScope {
                        id,
                        value: scope.value.clone(),
                        scope_type: scope.scope_type.clone(),
                        is_enabled: scope.enabled,
                        admin_consent_display_name: scope.admin_consent_display_name.clone(),
                        admin_consent_description: scope.admin_consent_description.clone(),
                        user_consent_display_name: scope.user_consent_display_name.clone(),
                        user_consent_description: scope.user_consent_description.clone(),
                    }
                })
                .collect();
            let roles = target
                .desired
                .app_roles
                .iter()
                .map(|role| {
                    let id = live
                        .and_then(|settings| {
                            settings.app_roles.iter().find(|l| l.value == role.value)
                        })
                        .map_or_else(
                            || derived_id(&target.unique_name, "role", &role.value),
                            |l| l.id.clone(),
                        );
                    AppRole {
                        id,
                        value: role.value.clone(),
                        display_name: role.display_name.clone(),
                        description: role.description.clone(),
                        allowed_member_types: role.allowed_member_types.clone(),
                        is_enabled: role.enabled,
                    }
                })
                .collect();
            self.exposed
                .insert(target.key().to_owned(), Exposed { scopes, roles });
        }
    }

    // ---- settings ----

    /// The desired settings in Graph's terms, the planned applications they refer to, and the
    /// attributes that hold a reference to one.
    fn resolve_settings(
        &mut self,
        target: &Target<'a>,
    ) -> (ApplicationSettings, BTreeSet<String>, Vec<String>) {
        let desired = target.desired;
        let mut planned_refs: BTreeSet<String> = BTreeSet::new();
        let mut unknown: Vec<String> = Vec::new();
        let marker = marker_tag(&self.desired.namespace);
        let mut tags = desired.tags.clone();
        if !tags.contains(&marker) {
            tags.push(marker);
        }
        let exposed = self.exposed.get(target.key()).cloned().unwrap_or_default();

        let mut known_clients = Vec::new();
        for client in &desired.api.known_client_applications {
            match self.resolve_app_reference(client, "knownClientApplications") {
                Some(AppId::Known(app_id)) => known_clients.push(app_id),
                Some(AppId::Planned(key)) => {
                    known_clients.push(planned_app_id(&key));
                    planned_refs.insert(key);
                    push_unique(&mut unknown, "api.known_client_applications");
                }
                None => {}
            }
        }

        let mut pre_authorized = Vec::new();
        for entry in &desired.api.pre_authorized_applications {
            let mut delegated_permission_ids = Vec::new();
            for value in &entry.scopes {
                match exposed.scopes.iter().find(|scope| &scope.value == value || scope.id.eq_ignore_ascii_case(value)) {
                    Some(scope) => delegated_permission_ids.push(scope.id.clone()),
                    None => self.errors.push(PlanError::new(
                        &entry.app.origin,
                        format!("preAuthorizedApplications: `{value}` is not a scope of application `{}`", desired.key),
                        closest(value, exposed.scopes.iter().map(|scope| scope.value.as_str()))
                            .map(|suggestion| format!("did you mean `{suggestion}`?")),
                    )),
                }
            }
            if let Some(app_id) =
                self.resolve_app_reference(&entry.app, "preAuthorizedApplications")
            {
                if let AppId::Planned(key) = &app_id {
                    planned_refs.insert(key.clone());
                    push_unique(&mut unknown, "api.pre_authorized_applications");
                }
                pre_authorized.push(PreAuthorizedApplication {
                    app_id: app_id.text(),
                    delegated_permission_ids,
                });
            }
        }

        let mut required = Vec::new();
        for access in &desired.required_resource_access {
            if let Some((app_id, entries)) = self.resolve_required_access(access) {
                if let AppId::Planned(key) = &app_id {
                    planned_refs.insert(key.clone());
                    push_unique(&mut unknown, "required_resource_access");
                }
                match required
                    .iter_mut()
                    .find(|existing: &&mut RequiredResourceAccess| {
                        existing.resource_app_id == app_id.text()
                    }) {
                    Some(existing) => existing.resource_access.extend(entries),
                    None => required.push(RequiredResourceAccess {
                        resource_app_id: app_id.text(),
                        resource_access: entries,
                    }),
                }
            }
        }

        let live = target.live();
        let requested_access_token_version = desired
            .api
            .requested_access_token_version
            .or_else(|| live.and_then(|app| app.settings.api.requested_access_token_version));
        let mut settings = ApplicationSettings {
            display_name: desired.display_name.clone(),
            description: desired.description.clone(),
            notes: desired.notes.clone(),
            sign_in_audience: desired.sign_in_audience.clone(),
            identifier_uris: desired.identifier_uris.clone(),
            tags,
            web: desired.web.clone(),
            spa_redirect_uris: desired.spa_redirect_uris.clone(),
            public_client_redirect_uris: desired.public_client_redirect_uris.clone(),
            is_fallback_public_client: desired.allow_public_client_flows,
            group_membership_claims: desired.group_membership_claims.clone(),
            service_management_reference: desired.service_management_reference.clone(),
            info: desired.info.clone(),
            optional_claims: desired.optional_claims.clone(),
            api: registrar_model::ApiSettings {
                requested_access_token_version,
                known_client_applications: known_clients,
                pre_authorized_applications: pre_authorized,
                oauth2_permission_scopes: exposed.scopes,
            },
            app_roles: exposed.roles,
            required_resource_access: required,
        };
        match target.known_app_id() {
            Some(app_id) => settings.resolve_app_id(app_id),
            None => {
                if settings.needs_app_id() {
                    push_unique(&mut unknown, "identifier_uris");
                }
            }
        }
        if let Some(live) = live {
            normalize_application(&live.settings, &mut settings);
        } else {
            // Still drop duplicates, as Graph would keep them once.
            normalize_application(&ApplicationSettings::default(), &mut settings);
        }
        (settings, planned_refs, unknown)
    }

    /// A `knownClientApplications` / `preAuthorizedApplications` entry: a key of this manifest
    /// or an appId.
    fn resolve_app_reference(&mut self, reference: &Located<String>, field: &str) -> Option<AppId> {
        if let Some(app_id) = self.app_id_of(&reference.value) {
            return Some(app_id);
        }
        if is_guid(&reference.value) {
            return Some(AppId::Known(reference.value.to_lowercase()));
        }
        let keys = self.desired.applications.iter().map(|app| app.key.as_str());
        let suggestion = closest(&reference.value, keys);
        self.errors.push(PlanError::new(
            &reference.origin,
            format!(
                "{field}: `{}` is not an application of this manifest",
                reference.value
            ),
            Some(match suggestion {
                Some(key) => format!("did you mean `{key}`? (or give the client's appId)"),
                None => "name an application key of this manifest, or give the client's appId"
                    .to_owned(),
            }),
        ));
        None
    }

    fn resolve_required_access(
        &mut self,
        access: &registrar_model::DesiredResourceAccess,
    ) -> Option<(AppId, Vec<ResourceAccess>)> {
        let (app_id, source) = self.resolve_resource(&access.resource)?;
        let mut entries: Vec<ResourceAccess> = Vec::new();
        for (names, kind) in [
            (&access.scopes, PermissionKind::Delegated),
            (&access.roles, PermissionKind::Application),
        ] {
            for name in names {
                if let Some(id) = self.resolve_permission(&source, name, kind) {
                    let access_type = kind.resource_access_type().to_owned();
                    if !entries
                        .iter()
                        .any(|entry| entry.id == id && entry.access_type == access_type)
                    {
                        entries.push(ResourceAccess { id, access_type });
                    }
                }
            }
        }
        Some((app_id, entries))
    }

    /// The permissions an application of this manifest exposes, as settled for this plan.
    pub(crate) fn managed_source(&self, key: &str) -> PermissionSource {
        let exposed = self.exposed.get(key).cloned().unwrap_or_default();
        PermissionSource {
            name: format!("application `{key}`"),
            delegated: Some(
                exposed
                    .scopes
                    .iter()
                    .map(|s| (s.value.clone(), s.id.clone()))
                    .collect(),
            ),
            application: Some(
                exposed
                    .roles
                    .iter()
                    .filter(|role| {
                        role.allowed_member_types
                            .iter()
                            .any(|kind| kind == "Application")
                    })
                    .map(|role| (role.value.clone(), role.id.clone()))
                    .collect(),
            ),
        }
    }

    pub(crate) fn resolve_resource(
        &mut self,
        resource: &Located<String>,
    ) -> Option<(AppId, PermissionSource)> {
        let name = resource.value.as_str();
        if let Some(app_id) = self.app_id_of(name) {
            return Some((app_id, self.managed_source(name)));
        }
        let app_id = if is_guid(name) {
            Some(name.to_lowercase())
        } else if let Some(api) = catalog().api(name) {
            Some(api.app_id.clone())
        } else {
            self.live
                .resource_service_principals
                .iter()
                .filter(|sp| sp.display_name.eq_ignore_ascii_case(name))
                .min_by(|a, b| a.id.cmp(&b.id))
                .map(|sp| sp.app_id.clone())
        };
        let Some(app_id) = app_id else {
            let candidates: Vec<&str> = self
                .desired
                .applications
                .iter()
                .map(|app| app.key.as_str())
                .chain(catalog().apis.iter().map(|api| api.name.as_str()))
                .chain(
                    self.live
                        .resource_service_principals
                        .iter()
                        .map(|sp| sp.display_name.as_str()),
                )
                .collect();
            let suggestion = closest(name, candidates);
            self.errors.push(PlanError::new(
                &resource.origin,
                format!(
                    "resource `{name}` is neither an application of this manifest, a known API, nor a service principal in the tenant"
                ),
                Some(match suggestion {
                    Some(candidate) => format!("did you mean `{candidate}`? (or give the API's appId)"),
                    None => "give the API's appId".to_owned(),
                }),
            ));
            return None;
        };
        let pairs = |permissions: &[registrar_model::ExposedPermission]| {
            permissions
                .iter()
                .map(|p| (p.value.clone(), p.id.clone()))
                .collect::<Vec<_>>()
        };
        let source = if let Some(sp) = self.resource_sp(&app_id) {
            PermissionSource {
                name: sp.display_name.clone(),
                delegated: Some(pairs(&sp.oauth2_permission_scopes)),
                application: Some(pairs(&sp.app_roles)),
            }
        } else if let Some(api) = catalog().api(&app_id) {
            let of = |kind| {
                api.permissions_of(kind)
                    .map(|p| (p.value.clone(), p.id.clone()))
                    .collect::<Vec<_>>()
            };
            PermissionSource {
                name: api.name.clone(),
                delegated: Some(of(PermissionKind::Delegated)),
                application: Some(of(PermissionKind::Application)),
            }
        } else {
            PermissionSource {
                name: format!("`{app_id}`"),
                delegated: None,
                application: None,
            }
        };
        Some((AppId::Known(app_id), source))
    }

    pub(crate) fn resolve_permission(
        &mut self,
        source: &PermissionSource,
        name: &Located<String>,
        kind: PermissionKind,
    ) -> Option<String> {
        let wanted = name.value.as_str();
        let (kind_text, section) = kind_words(kind);
        let Some(same_kind) = source.of(kind) else {
            if is_guid(wanted) {
                return Some(wanted.to_lowercase());
            }
            self.errors.push(PlanError::new(
                &name.origin,
                format!(
                    "cannot resolve `{wanted}`: the service principal of {} is not in the tenant",
                    source.name
                ),
                Some("give the permission's GUID".to_owned()),
            ));
            return None;
        };
        if let Some((_, id)) = same_kind
            .iter()
            .find(|(value, id)| value == wanted || id.eq_ignore_ascii_case(wanted))
        {
            return Some(id.clone());
        }
        let other = source
            .of(kind.other())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if other
            .iter()
            .any(|(value, id)| value == wanted || id.eq_ignore_ascii_case(wanted))
        {
            let (other_text, other_section) = kind_words(kind.other());
            let mut hint = format!("move it to `{other_section}`");
            let all = format!("{wanted}.All");
            if same_kind.iter().any(|(value, _)| *value == all) {
                let noun = kind_text.trim_start_matches("an ").trim_start_matches("a ");
                hint.push_str(&format!(", or use the {noun} `{all}`"));
            }
            let other_noun = other_text
                .trim_start_matches("an ")
                .trim_start_matches("a ");
            let kind_noun = kind_text.trim_start_matches("an ").trim_start_matches("a ");
            self.errors.push(PlanError::new(
                &name.origin,
                format!(
                    "`{wanted}` is a {other_noun} of {}, not {} {kind_noun}",
                    source.name,
                    article(kind_noun)
                ),
                Some(hint),
            ));
            return None;
        }
        let same_best = closest_scored(wanted, same_kind.iter().map(|(value, _)| value.as_str()));
        let other_best = closest_scored(wanted, other.iter().map(|(value, _)| value.as_str()));
        let hint = match (same_best, other_best) {
            (same, Some((other_score, value)))
                if same.is_none_or(|(score, _)| other_score > score) =>
            {
                let (other_text, other_section) = kind_words(kind.other());
                format!(
                    "did you mean `{value}`? it is {other_text}: list it under `{other_section}`"
                )
            }
            (Some((_, value)), _) => format!("did you mean `{value}`?"),
            (None, _) => format!(
                "list {} that {} exposes under `{section}`",
                plural(kind),
                source.name
            ),
        };
        self.errors.push(PlanError::new(
            &name.origin,
            format!("`{wanted}` is not {kind_text} of {}", source.name),
            Some(hint),
        ));
        None
    }

    // ---- applications ----

    fn plan_application(&mut self, target: &Target<'a>) {
        let (settings, planned_refs, unknown) = self.resolve_settings(target);
        let after_attributes = application_attributes(&settings, self);
        let key = target.key();
        let mut depends_on: Vec<Address> = planned_refs
            .iter()
            .filter(|other| other.as_str() != key)
            .map(|other| Address::application(other))
            .collect();
        match target.identity {
            Identity::Create => {
                let mut after_unknown = unknown.clone();
                after_unknown.push("app_id".to_owned());
                let own: BTreeSet<String> = BTreeSet::from([key.to_owned()]);
                let others: BTreeSet<String> = planned_refs.difference(&own).cloned().collect();
                // The create sends what is known; a follow-up in the same change sends what
                // needs the new appId; references to other new applications go in a separate
                // change, so two new applications that refer to each other do not form a cycle.
                let mut create_settings = settings.clone();
                strip_unknown(&mut create_settings, &planned_refs);
                let mut own_settings = settings.clone();
                strip_planned(&mut own_settings, &others);
                let mut operations = vec![Operation::CreateApplication {
                    key: key.to_owned(),
                    unique_name: target.unique_name.clone(),
                    settings: create_settings.clone(),
                }];
                if own_settings != create_settings {
                    let fields = diff_attributes(
                        &application_attributes(&create_settings, self),
                        &application_attributes(&own_settings, self),
                        &[],
                    )
                    .2;
                    operations.push(Operation::UpdateApplication {
                        application: ApplicationRef::Planned {
                            key: key.to_owned(),
                        },
                        settings: own_settings.clone(),
                        changed_fields: fields,
                    });
                }
                if !others.is_empty() {
                    let fields = diff_attributes(
                        &application_attributes(&own_settings, self),
                        &after_attributes,
                        &[],
                    )
                    .2;
                    let mut references_depend_on = vec![Address::application(key)];
                    references_depend_on.append(&mut depends_on);
                    self.changes.push(ResourceChange {
                        address: target.address(Component::References),
                        action: Action::NoOp,
                        reason: None,
                        before: None,
                        after: None,
                        after_unknown: Vec::new(),
                        depends_on: references_depend_on,
                        operations: vec![Operation::UpdateApplication {
                            application: ApplicationRef::Planned {
                                key: key.to_owned(),
                            },
                            settings: settings.clone(),
                            changed_fields: fields,
                        }],
                    });
                }
                let mut after = attribute_map(&after_attributes, &unknown);
                after.insert(
                    "unique_name".into(),
                    Value::String(target.unique_name.clone()),
                );
                self.changes.push(ResourceChange {
                    address: Address::application(key),
                    action: Action::Create,
                    reason: None,
                    before: None,
                    after: Some(Value::Object(after)),
                    after_unknown,
                    depends_on: Vec::new(),
                    operations,
                });
            }
            Identity::Restore(deleted) => {
                let mut after = Map::new();
                after.insert("app_id".into(), Value::String(deleted.app_id.clone()));
                after.extend(attribute_map(&after_attributes, &unknown));
                self.changes.push(ResourceChange {
                    address: Address::application(key),
                    action: Action::Restore,
                    reason: Some(ActionReason::RestoreFromDeletedItems),
                    before: Some(
                        json!({"app_id": deleted.app_id, "display_name": deleted.display_name}),
                    ),
                    after: Some(Value::Object(after)),
                    after_unknown: unknown,
                    depends_on,
                    operations: vec![
                        Operation::RestoreApplication {
                            key: key.to_owned(),
                            id: deleted.id.clone(),
                            app_id: deleted.app_id.clone(),
                        },
                        Operation::UpdateApplication {
                            application: target.application_ref(),
                            settings,
                            changed_fields: all_fields(&after_attributes),
                        },
                    ],
                });
            }
            Identity::Existing(live) => {
                let before_attributes = application_attributes(&live.settings, self);
                let (before, after, fields) =
                    diff_attributes(&before_attributes, &after_attributes, &unknown);
                if fields.is_empty() {
                    return;
                }
                // Enabled scopes and app roles cannot be removed in one PATCH: disable first.
                let removed_scopes: Vec<&PermissionScope> = live
                    .settings
                    .api
                    .oauth2_permission_scopes
                    .iter()
                    .filter(|l| {
                        l.is_enabled
                            && !settings
                                .api
                                .oauth2_permission_scopes
                                .iter()
                                .any(|d| d.value == l.value)
                    })
                    .collect();
                let removed_roles: Vec<&AppRole> = live
                    .settings
                    .app_roles
                    .iter()
                    .filter(|l| {
                        l.is_enabled && !settings.app_roles.iter().any(|d| d.value == l.value)
                    })
                    .collect();
                let application = target.application_ref();
                let (operations, reason) = if removed_scopes.is_empty() && removed_roles.is_empty()
                {
                    (
                        vec![Operation::UpdateApplication {
                            application,
                            settings,
                            changed_fields: fields,
                        }],
                        None,
                    )
                } else {
                    let mut disabled = settings.clone();
                    disabled.api.oauth2_permission_scopes = keep_disabled(
                        &live.settings.api.oauth2_permission_scopes,
                        &settings.api.oauth2_permission_scopes,
                        |s| &s.value,
                        |s| s.is_enabled = false,
                    );
                    disabled.app_roles = keep_disabled(
                        &live.settings.app_roles,
                        &settings.app_roles,
                        |r| &r.value,
                        |r| r.is_enabled = false,
                    );
                    let first_fields = diff_attributes(
                        &before_attributes,
                        &application_attributes(&disabled, self),
                        &unknown,
                    )
                    .2;
                    let second_fields = diff_attributes(
                        &application_attributes(&disabled, self),
                        &after_attributes,
                        &unknown,
                    )
                    .2;
                    let values = removed_scopes
                        .iter()
                        .map(|scope| scope.value.clone())
                        .chain(removed_roles.iter().map(|role| role.value.clone()))
                        .collect();
                    (
                        vec![
                            Operation::UpdateApplication {
                                application: application.clone(),
                                settings: disabled,
                                changed_fields: first_fields,
                            },
                            Operation::UpdateApplication {
                                application,
                                settings,
                                changed_fields: second_fields,
                            },
                        ],
                        Some(ActionReason::DisableBeforeRemove { values }),
                    )
                };
                depends_on.sort();
                self.changes.push(ResourceChange {
                    address: Address::application(key),
                    action: Action::Update,
                    reason,
                    before: Some(Value::Object(before)),
                    after: Some(Value::Object(after)),
                    after_unknown: unknown,
                    depends_on,
                    operations,
                });
            }
        }
    }

    fn plan_undeclared_applications(&mut self) {
        let marker = marker_tag(&self.desired.namespace);
        let claimed: BTreeSet<&str> = self
            .targets
            .iter()
            .filter_map(|target| target.live().map(|app| app.id.as_str()))
            .collect();
        let prefix = format!("{}.", self.desired.namespace);
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for app in &self.live.applications {
            if claimed.contains(app.id.as_str())
                || !app.settings.tags.contains(&marker)
                || !seen.insert(&app.id)
            {
                continue;
            }
            let key = app
                .unique_name
                .as_deref()
                .and_then(|name| name.strip_prefix(&prefix))
                .filter(|key| self.desired.application(key).is_none())
                .unwrap_or(&app.app_id)
                .to_owned();
            let mut before = Map::new();
            before.insert("app_id".into(), Value::String(app.app_id.clone()));
            before.insert(
                "display_name".into(),
                Value::String(app.settings.display_name.clone()),
            );
            if let Some(name) = &app.unique_name {
                before.insert("unique_name".into(), Value::String(name.clone()));
            }
            let (action, reason, operations) = if self.options.prune {
                (
                    Action::Delete,
                    ActionReason::Pruned,
                    vec![Operation::DeleteApplication { id: app.id.clone() }],
                )
            } else {
                (Action::Read, ActionReason::NotInManifest, Vec::new())
            };
            self.changes.push(ResourceChange {
                address: Address::application(&key),
                action,
                reason: Some(reason),
                before: Some(Value::Object(before)),
                after: None,
                after_unknown: Vec::new(),
                depends_on: Vec::new(),
                operations,
            });
        }
    }

    // ---- service principal ----

    fn plan_service_principal(&mut self, target: &Target<'a>) {
        let live_sp = target.live().and_then(|app| app.service_principal.as_ref());
        let address = target.address(Component::ServicePrincipal);
        match (&target.desired.service_principal, live_sp) {
            (None, None) => {}
            (None, Some(sp)) => {
                let mut before = attribute_map(&service_principal_attributes(&sp.settings), &[]);
                before.insert("object_id".into(), Value::String(sp.id.clone()));
                self.changes.push(ResourceChange {
                    address,
                    action: Action::Delete,
                    reason: Some(ActionReason::ServicePrincipalNotWanted),
                    before: Some(Value::Object(before)),
                    after: None,
                    after_unknown: Vec::new(),
                    depends_on: Vec::new(),
                    operations: vec![Operation::DeleteServicePrincipal { id: sp.id.clone() }],
                });
            }
            (Some(desired), None) => {
                let mut settings = desired.clone();
                normalize_service_principal(&ServicePrincipalSettings::default(), &mut settings);
                let mut after = Map::new();
                let mut after_unknown = vec!["object_id".to_owned()];
                match target.known_app_id() {
                    Some(app_id) => {
                        after.insert("app_id".into(), Value::String(app_id.to_owned()));
                    }
                    None => after_unknown.insert(0, "app_id".to_owned()),
                }
                after.extend(attribute_map(&service_principal_attributes(&settings), &[]));
                self.changes.push(ResourceChange {
                    address,
                    action: Action::Create,
                    reason: None,
                    before: None,
                    after: Some(Value::Object(after)),
                    after_unknown,
                    depends_on: target.depends_on(),
                    operations: vec![Operation::CreateServicePrincipal {
                        key: target.key().to_owned(),
                        application: target.application_ref(),
                        settings,
                    }],
                });
            }
            (Some(desired), Some(sp)) => {
                let mut settings = desired.clone();
                normalize_service_principal(&sp.settings, &mut settings);
                let (before, after, fields) = diff_attributes(
                    &service_principal_attributes(&sp.settings),
                    &service_principal_attributes(&settings),
                    &[],
                );
                if fields.is_empty() {
                    return;
                }
                self.changes.push(ResourceChange {
                    address,
                    action: Action::Update,
                    reason: None,
                    before: Some(Value::Object(before)),
                    after: Some(Value::Object(after)),
                    after_unknown: Vec::new(),
                    depends_on: Vec::new(),
                    operations: vec![Operation::UpdateServicePrincipal {
                        id: sp.id.clone(),
                        settings,
                    }],
                });
            }
        }
    }

    // ---- owners ----

    fn plan_owners(&mut self, target: &Target<'a>) {
        let mut desired: BTreeMap<String, (String, String)> = BTreeMap::new(); // id -> (name, type)
        for owner in &target.desired.owners {
            let matches = self.live.directory_objects.iter().filter(|object| {
                object.id.eq_ignore_ascii_case(&owner.value)
                    || object
                        .user_principal_name
                        .as_deref()
                        .is_some_and(|upn| upn.eq_ignore_ascii_case(&owner.value))
            });
            match matches.min_by(|a, b| a.id.cmp(&b.id)) {
                Some(object) => {
                    desired
                        .entry(object.id.to_lowercase())
                        .or_insert_with(|| (owner.value.clone(), object_type(&object.odata_type)));
                }
                None => self.errors.push(PlanError::new(
                    &owner.origin,
                    format!("owner `{}` not found in the tenant", owner.value),
                    Some("owners are user principal names or object ids of users or service principals".to_owned()),
                )),
            }
        }
        // An empty owner list leaves the owners unmanaged.
        if target.desired.owners.is_empty() {
            return;
        }
        let live_owners: BTreeSet<String> = target
            .live()
            .map(|app| app.owners.iter().map(|id| id.to_lowercase()).collect())
            .unwrap_or_default();
        for (id, (name, kind)) in &desired {
            if live_owners.contains(id) {
                continue;
            }
            self.changes.push(ResourceChange {
                address: target.address(Component::Owner(name.clone())),
                action: Action::Create,
                reason: None,
                before: None,
                after: Some(json!({"object_id": id, "type": kind})),
                after_unknown: Vec::new(),
                depends_on: target.depends_on(),
                operations: vec![Operation::AddOwner {
                    application: target.application_ref(),
                    owner_id: id.clone(),
                }],
            });
        }
        for id in &live_owners {
            if desired.contains_key(id) {
                continue;
            }
            let object = self
                .live
                .directory_objects
                .iter()
                .filter(|object| object.id.eq_ignore_ascii_case(id))
                .min_by(|a, b| a.id.cmp(&b.id));
            let name = object
                .and_then(|object| object.user_principal_name.clone())
                .unwrap_or_else(|| id.clone());
            let kind = object.map_or_else(
                || "directory_object".to_owned(),
                |object| object_type(&object.odata_type),
            );
            self.changes.push(ResourceChange {
                address: target.address(Component::Owner(name.clone())),
                action: Action::Delete,
                reason: Some(ActionReason::Undeclared {
                    kind: "owner",
                    name: Some(name),
                    hint: None,
                    end: None,
                }),
                before: Some(json!({"object_id": id, "type": kind})),
                after: None,
                after_unknown: Vec::new(),
                depends_on: Vec::new(),
                operations: vec![Operation::RemoveOwner {
                    application: target.application_ref(),
                    owner_id: id.clone(),
                }],
            });
        }
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn plural(kind: PermissionKind) -> &'static str {
    match kind {
        PermissionKind::Delegated => "delegated permissions",
        PermissionKind::Application => "application permissions",
    }
}

fn object_type(odata_type: &str) -> String {
    match odata_type.trim_start_matches("#microsoft.graph.") {
        "servicePrincipal" => "service_principal".to_owned(),
        "" => "directory_object".to_owned(),
        other => other.to_owned(),
    }
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|existing| existing == name) {
        list.push(name.to_owned());
    }
}

/// Leaves out what a create cannot send yet: identifier URIs that need the application's own
/// appId, and references to the applications in `planned` (created in the same apply).
fn strip_unknown(settings: &mut ApplicationSettings, planned: &BTreeSet<String>) {
    settings
        .identifier_uris
        .retain(|uri| !uri.contains(registrar_model::APP_ID_PLACEHOLDER));
    strip_planned(settings, planned);
}

/// Leaves out references to the applications in `planned`.
fn strip_planned(settings: &mut ApplicationSettings, planned: &BTreeSet<String>) {
    let is_planned =
        |text: &str| parse_planned_app_id(text).is_some_and(|key| planned.contains(key));
    settings
        .api
        .known_client_applications
        .retain(|app_id| !is_planned(app_id));
    settings
        .api
        .pre_authorized_applications
        .retain(|entry| !is_planned(&entry.app_id));
    settings
        .required_resource_access
        .retain(|entry| !is_planned(&entry.resource_app_id));
}

/// The live entries in live order, where each one the desired list keeps is replaced by its
/// desired version and each enabled one it drops is kept disabled; then the new ones.
fn keep_disabled<T: Clone>(
    live: &[T],
    desired: &[T],
    value: impl Fn(&T) -> &String,
    disable: impl Fn(&mut T),
) -> Vec<T> {
    let mut out = Vec::new();
    for live_entry in live {
        match desired
            .iter()
            .find(|entry| value(entry) == value(live_entry))
        {
            Some(entry) => out.push(entry.clone()),
            None => {
                let mut entry = live_entry.clone();
                disable(&mut entry);
                out.push(entry);
            }
        }
    }
    for entry in desired {
        if !live
            .iter()
            .any(|live_entry| value(live_entry) == value(entry))
        {
            out.push(entry.clone());
        }
    }
    out
}
