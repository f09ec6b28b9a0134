//! The saved plan: a versioned document that `registrar plan -o FILE` writes and
//! `registrar apply FILE` carries out unchanged, and the check that tells whether the live
//! objects it was planned against changed since ([`stale_objects`]).
//!
//! The document holds the plan itself (every change with its operations, and the warnings), what
//! it was planned for (tenant, cloud, options), the digest of every file the manifests were read
//! from, and the [`registrar_model::fingerprints`] of every live object the plan read, each with
//! a name a user recognises. It never holds a secret value: the plan has none, and neither have
//! the fingerprints (digests of metadata).
//!
//! `Plan` has no serde derives; the types here mirror it and are converted by hand both ways.
//! The conversions destructure every plan type without `..`, so a field added to the plan is a
//! compile error here until the saved plan carries it (and [`FORMAT_VERSION`] is bumped if the
//! shape changes incompatibly).
//!
//! This module does no I/O and reads no clock: the CLI hashes the files, reads the tenant and
//! passes `created_at`.

use std::collections::BTreeMap;
use std::fmt;

use registrar_model::{
    Digest, LiveTenant, ObjectKey, Operation, SecretStoreLocation, fingerprints,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::model::{Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange};

/// The value of [`SavedPlan::format`]: how `apply` tells a saved plan from a manifest.
pub const FORMAT_MARKER: &str = "registrar-saved-plan";

/// The version of the saved plan's shape. `apply` refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// A saved plan, as written to its file (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`FORMAT_MARKER`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of Registrar that planned it.
    pub registrar_version: String,
    /// The planner's `now`.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The tenant and cloud it was planned against.
    pub target: SavedTarget,
    /// The plan options.
    pub options: SavedOptions,
    /// The manifests it was planned from.
    pub manifests: SavedManifests,
    /// The manifests' namespace (for naming the live objects).
    pub namespace: String,
    /// Every change, sorted by address, with the operations apply runs.
    pub changes: Vec<SavedChange>,
    /// The plan's warnings.
    #[serde(default)]
    pub warnings: Vec<SavedWarning>,
    /// The fingerprint of every live object the plan read, sorted by key.
    pub live_objects: Vec<SavedObject>,
}

/// Where a plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTarget {
    /// The tenant id.
    pub tenant_id: String,
    /// `local`, or the Azure cloud (`public`, `usgov`, `china`).
    pub cloud: String,
    /// Whether it was the local tenant.
    pub local: bool,
}

/// The options the plan was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// `--prune`.
    pub prune: bool,
}

/// The manifests a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedManifests {
    /// The paths given on the command line, as given.
    pub paths: Vec<String>,
    /// Every file read (manifests, then certificates), with its SHA-256.
    pub files: Vec<SavedFile>,
    /// SHA-256 over the files' paths and digests, in order ([`manifest_digest`]).
    pub digest: Digest,
    /// SHA-256 of the desired state the manifests gave (after `${VAR}` interpolation).
    pub desired_state: Digest,
}

/// One file read, with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFile {
    /// The path, relative to the working directory when it lies below it.
    pub path: String,
    /// The SHA-256 of its bytes.
    pub sha256: Digest,
}

/// The digest of a list of files: SHA-256 over `path NUL sha256 LF` of each, in order.
pub fn manifest_digest(files: &[SavedFile]) -> Digest {
    let mut text = String::new();
    for file in files {
        text.push_str(&file.path);
        text.push('\0');
        text.push_str(&file.sha256.0);
        text.push('\n');
    }
    Digest::of_bytes(text.as_bytes())
}

/// The fingerprint of one live object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedObject {
    /// Which object.
    pub key: ObjectKey,
    /// How a user recognises it, e.g. `application hello-web (appId …): settings`.
    pub name: String,
    /// Its digest.
    pub digest: Digest,
}

/// The fingerprints of `live`, each named.
pub fn live_objects(live: &LiveTenant, namespace: &str) -> Vec<SavedObject> {
    fingerprints(live)
        .into_iter()
        .map(|(key, digest)| SavedObject {
            name: object_name(live, namespace, &key),
            key,
            digest,
        })
        .collect()
}

/// How a live object changed since the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Staleness {
    /// It exists now but did not when planned.
    Added,
    /// It existed when planned but does not now.
    Removed,
    /// Its value differs.
    Changed,
}

/// One live object that differs from what the plan read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleObject {
    /// How.
    pub staleness: Staleness,
    /// Its name (from the fresh read, or from the saved plan when it is gone).
    pub name: String,
}

impl fmt::Display for StaleObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.staleness {
            Staleness::Added => "added",
            Staleness::Removed => "removed",
            Staleness::Changed => "changed",
        };
        write!(f, "{}: {how}", self.name)
    }
}

/// The live objects that differ between the saved plan and a fresh read (`fresh`), sorted by
/// name; empty when the plan is current.
pub fn stale_objects(saved: &SavedPlan, fresh: &LiveTenant) -> Vec<StaleObject> {
    let now: BTreeMap<ObjectKey, SavedObject> = live_objects(fresh, &saved.namespace)
        .into_iter()
        .map(|object| (object.key.clone(), object))
        .collect();
    let then: BTreeMap<&ObjectKey, &SavedObject> = saved
        .live_objects
        .iter()
        .map(|object| (&object.key, object))
        .collect();
    let mut stale = Vec::new();
    for (key, object) in &then {
        match now.get(*key) {
            None => stale.push(StaleObject {
                staleness: Staleness::Removed,
                name: object.name.clone(),
            }),
            Some(current) if current.digest != object.digest => stale.push(StaleObject {
                staleness: Staleness::Changed,
                name: current.name.clone(),
            }),
            Some(_) => {}
        }
    }
    for (key, object) in &now {
        if !then.contains_key(key) {
            stale.push(StaleObject {
                staleness: Staleness::Added,
                name: object.name.clone(),
            });
        }
    }
    stale.sort_by(|a, b| (&a.name, a.staleness).cmp(&(&b.name, b.staleness)));
    stale
}

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
    }
}

// ---- The plan, mirrored ----

/// One change of the saved plan: a [`ResourceChange`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedChange {
    /// The address, as text plans show it (for readers of the file; `component` is what counts).
    pub address: String,
    /// The application key.
    pub application: String,
    /// The part of the application.
    pub component: SavedComponent,
    /// The action.
    pub action: SavedAction,
    /// Why, for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SavedReason>,
    /// Attributes before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Attributes after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Attributes known only after apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_unknown: Vec<String>,
    /// Changes that must succeed first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<SavedAddress>,
    /// What apply does, in order.
    pub operations: Vec<Operation>,
}

/// An [`Address`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    /// The application key.
    pub application: String,
    /// The part of the application.
    pub component: SavedComponent,
}

/// A [`Component`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SavedComponent {
    Application,
    ServicePrincipal,
    Owner {
        name: String,
    },
    Secret {
        name: String,
        instance: Option<String>,
    },
    Certificate {
        name: String,
        instance: Option<String>,
    },
    FederatedCredential {
        name: String,
    },
    Consent {
        resource: String,
        permission: String,
    },
    DelegatedConsent {
        resource: String,
    },
    RoleAssignment {
        role: String,
        scope: String,
    },
    References,
}

/// An [`Action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SavedAction {
    NoOp,
    Create,
    Update,
    Replace,
    Rotate,
    Delete,
    Restore,
    Read,
}

/// A [`Duration`], exactly: whole seconds and the nanoseconds beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDuration {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds beyond them (same sign).
    #[serde(default)]
    pub nanoseconds: i32,
}

/// An [`ActionReason`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SavedReason {
    Expiring {
        remaining: SavedDuration,
    },
    StoreMissing,
    StoreMismatch {
        key_vault: bool,
    },
    RestoreFromDeletedItems,
    NotInManifest,
    Pruned,
    Undeclared {
        name: Option<String>,
        hint: Option<String>,
        #[serde(with = "time::serde::rfc3339::option")]
        end: Option<OffsetDateTime>,
    },
    PreviousCredential {
        overlap: Option<SavedDuration>,
    },
    CertificateChanged,
    ServicePrincipalNotWanted,
    DisableBeforeRemove {
        values: Vec<String>,
    },
    ConsentNotDeclared,
}

/// A [`PlanWarning`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SavedWarning {
    PreviousCredentialKept {
        secret: SavedAddress,
        key_id: String,
        #[serde(with = "time::serde::rfc3339::option")]
        end: Option<OffsetDateTime>,
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
        overlap: SavedDuration,
    },
    SecretStoreUnreadable {
        secret: SavedAddress,
        store: SecretStoreLocation,
        reason: Option<String>,
        rotation_due: Option<SavedDuration>,
    },
}

/// Why a saved plan's content cannot be turned back into a plan (an edited file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSavedPlan(pub String);

impl fmt::Display for InvalidSavedPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidSavedPlan {}

/// The changes and warnings of `plan`, as saved.
pub fn save_plan(plan: &Plan) -> (Vec<SavedChange>, Vec<SavedWarning>) {
    let Plan { changes, warnings } = plan;
    (
        changes.iter().map(save_change).collect(),
        warnings.iter().map(save_warning).collect(),
    )
}

impl SavedPlan {
    /// The saved plan as a [`Plan`] again.
    ///
    /// # Errors
    /// A duration out of range (an edited file).
    pub fn to_plan(&self) -> Result<Plan, InvalidSavedPlan> {
        Ok(Plan {
            changes: self
                .changes
                .iter()
                .map(load_change)
                .collect::<Result<_, _>>()?,
            warnings: self
                .warnings
                .iter()
                .map(load_warning)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn save_change(change: &ResourceChange) -> SavedChange {
    let ResourceChange {
        address,
        action,
        reason,
        before,
        after,
        after_unknown,
        depends_on,
        operations,
    } = change;
    let SavedAddress {
        application,
        component,
    } = save_address(address);
    SavedChange {
        address: address.to_string(),
        application,
        component,
        action: save_action(*action),
        reason: reason.as_ref().map(save_reason),
        before: before.clone(),
        after: after.clone(),
        after_unknown: after_unknown.clone(),
        depends_on: depends_on.iter().map(save_address).collect(),
        operations: operations.clone(),
    }
}

fn load_change(change: &SavedChange) -> Result<ResourceChange, InvalidSavedPlan> {
    let SavedChange {
        address: _shown,
        application,
        component,
        action,
        reason,
        before,
        after,
        after_unknown,
        depends_on,
        operations,
    } = change;
    Ok(ResourceChange {
        address: load_address(&SavedAddress {
            application: application.clone(),
            component: component.clone(),
        }),
        action: load_action(*action),
        reason: reason.as_ref().map(load_reason).transpose()?,
        before: before.clone(),
        after: after.clone(),
        after_unknown: after_unknown.clone(),
        depends_on: depends_on.iter().map(load_address).collect(),
        operations: operations.clone(),
    })
}

fn save_address(address: &Address) -> SavedAddress {
    let Address {
        application,
        component,
    } = address;
    let component = match component.clone() {
        Component::Application => SavedComponent::Application,
        Component::ServicePrincipal => SavedComponent::ServicePrincipal,
        Component::Owner(name) => SavedComponent::Owner { name },
        Component::Secret { name, instance } => SavedComponent::Secret { name, instance },
        Component::Certificate { name, instance } => SavedComponent::Certificate { name, instance },
        Component::FederatedCredential(name) => SavedComponent::FederatedCredential { name },
        Component::Consent {
            resource,
            permission,
        } => SavedComponent::Consent {
            resource,
            permission,
        },
        Component::DelegatedConsent { resource } => SavedComponent::DelegatedConsent { resource },
        Component::RoleAssignment { role, scope } => SavedComponent::RoleAssignment { role, scope },
        Component::References => SavedComponent::References,
    };
    SavedAddress {
        application: application.clone(),
        component,
    }
}

fn load_address(address: &SavedAddress) -> Address {
    let component = match address.component.clone() {
        SavedComponent::Application => Component::Application,
        SavedComponent::ServicePrincipal => Component::ServicePrincipal,
        SavedComponent::Owner { name } => Component::Owner(name),
        SavedComponent::Secret { name, instance } => Component::Secret { name, instance },
        SavedComponent::Certificate { name, instance } => Component::Certificate { name, instance },
        SavedComponent::FederatedCredential { name } => Component::FederatedCredential(name),
        SavedComponent::Consent {
            resource,
            permission,
        } => Component::Consent {
            resource,
            permission,
        },
        SavedComponent::DelegatedConsent { resource } => Component::DelegatedConsent { resource },
        SavedComponent::RoleAssignment { role, scope } => Component::RoleAssignment { role, scope },
        SavedComponent::References => Component::References,
    };
    Address {
        application: address.application.clone(),
        component,
    }
}

fn save_action(action: Action) -> SavedAction {
    match action {
        Action::NoOp => SavedAction::NoOp,
        Action::Create => SavedAction::Create,
        Action::Update => SavedAction::Update,
        Action::Replace => SavedAction::Replace,
        Action::Rotate => SavedAction::Rotate,
        Action::Delete => SavedAction::Delete,
        Action::Restore => SavedAction::Restore,
        Action::Read => SavedAction::Read,
    }
}

fn load_action(action: SavedAction) -> Action {
    match action {
        SavedAction::NoOp => Action::NoOp,
        SavedAction::Create => Action::Create,
        SavedAction::Update => Action::Update,
        SavedAction::Replace => Action::Replace,
        SavedAction::Rotate => Action::Rotate,
        SavedAction::Delete => Action::Delete,
        SavedAction::Restore => Action::Restore,
        SavedAction::Read => Action::Read,
    }
}

fn save_duration(duration: Duration) -> SavedDuration {
    SavedDuration {
        seconds: duration.whole_seconds(),
        nanoseconds: duration.subsec_nanoseconds(),
    }
}

fn load_duration(duration: SavedDuration) -> Result<Duration, InvalidSavedPlan> {
    let SavedDuration {
        seconds,
        nanoseconds,
    } = duration;
    Duration::seconds(seconds)
        .checked_add(Duration::nanoseconds(i64::from(nanoseconds)))
        .ok_or_else(|| InvalidSavedPlan(format!("the duration {seconds}s is out of range")))
}

fn save_reason(reason: &ActionReason) -> SavedReason {
    match reason.clone() {
        ActionReason::Expiring { remaining } => SavedReason::Expiring {
            remaining: save_duration(remaining),
        },
        ActionReason::StoreMissing => SavedReason::StoreMissing,
        ActionReason::StoreMismatch { key_vault } => SavedReason::StoreMismatch { key_vault },
        ActionReason::RestoreFromDeletedItems => SavedReason::RestoreFromDeletedItems,
        ActionReason::NotInManifest => SavedReason::NotInManifest,
        ActionReason::Pruned => SavedReason::Pruned,
        ActionReason::Undeclared { name, hint, end } => SavedReason::Undeclared { name, hint, end },
        ActionReason::PreviousCredential { overlap } => SavedReason::PreviousCredential {
            overlap: overlap.map(save_duration),
        },
        ActionReason::CertificateChanged => SavedReason::CertificateChanged,
        ActionReason::ServicePrincipalNotWanted => SavedReason::ServicePrincipalNotWanted,
        ActionReason::DisableBeforeRemove { values } => SavedReason::DisableBeforeRemove { values },
        ActionReason::ConsentNotDeclared => SavedReason::ConsentNotDeclared,
    }
}

fn load_reason(reason: &SavedReason) -> Result<ActionReason, InvalidSavedPlan> {
    Ok(match reason.clone() {
        SavedReason::Expiring { remaining } => ActionReason::Expiring {
            remaining: load_duration(remaining)?,
        },
        SavedReason::StoreMissing => ActionReason::StoreMissing,
        SavedReason::StoreMismatch { key_vault } => ActionReason::StoreMismatch { key_vault },
        SavedReason::RestoreFromDeletedItems => ActionReason::RestoreFromDeletedItems,
        SavedReason::NotInManifest => ActionReason::NotInManifest,
        SavedReason::Pruned => ActionReason::Pruned,
        SavedReason::Undeclared { name, hint, end } => ActionReason::Undeclared { name, hint, end },
        SavedReason::PreviousCredential { overlap } => ActionReason::PreviousCredential {
            overlap: overlap.map(load_duration).transpose()?,
        },
        SavedReason::CertificateChanged => ActionReason::CertificateChanged,
        SavedReason::ServicePrincipalNotWanted => ActionReason::ServicePrincipalNotWanted,
        SavedReason::DisableBeforeRemove { values } => ActionReason::DisableBeforeRemove { values },
        SavedReason::ConsentNotDeclared => ActionReason::ConsentNotDeclared,
    })
}

fn save_warning(warning: &PlanWarning) -> SavedWarning {
    match warning {
        PlanWarning::PreviousCredentialKept {
            secret,
            key_id,
            end,
            until,
            overlap,
        } => SavedWarning::PreviousCredentialKept {
            secret: save_address(secret),
            key_id: key_id.clone(),
            end: *end,
            until: *until,
            overlap: save_duration(*overlap),
        },
        PlanWarning::SecretStoreUnreadable {
            secret,
            store,
            reason,
            rotation_due,
        } => SavedWarning::SecretStoreUnreadable {
            secret: save_address(secret),
            store: store.clone(),
            reason: reason.clone(),
            rotation_due: rotation_due.map(save_duration),
        },
    }
}

fn load_warning(warning: &SavedWarning) -> Result<PlanWarning, InvalidSavedPlan> {
    Ok(match warning {
        SavedWarning::PreviousCredentialKept {
            secret,
            key_id,
            end,
            until,
            overlap,
        } => PlanWarning::PreviousCredentialKept {
            secret: load_address(secret),
            key_id: key_id.clone(),
            end: *end,
            until: *until,
            overlap: load_duration(*overlap)?,
        },
        SavedWarning::SecretStoreUnreadable {
            secret,
            store,
            reason,
            rotation_due,
        } => PlanWarning::SecretStoreUnreadable {
            secret: load_address(secret),
            store: store.clone(),
            reason: reason.clone(),
            rotation_due: rotation_due.map(load_duration).transpose()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use registrar_model::{ApplicationRef, FileFormat, LiveApplication};
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

    fn app_ref() -> ApplicationRef {
        ApplicationRef::Existing {
            id: "o1".into(),
            app_id: "a1".into(),
        }
    }

    fn secret(instance: Option<&str>) -> Address {
        Address::component(
            "api",
            Component::Secret {
                name: "ci".into(),
                instance: instance.map(str::to_owned),
            },
        )
    }

    /// A plan with every component, action, reason and warning.
    fn every_kind_of_plan() -> Plan {
        let store = SecretStoreLocation::File {
            path: "/tmp/ci.json".into(),
            format: FileFormat::Json,
        };
        let components = [
            Component::Application,
            Component::ServicePrincipal,
            Component::Owner("alice@contoso.com".into()),
            Component::Certificate {
                name: "signing".into(),
                instance: Some("k9".into()),
            },
            Component::FederatedCredential("github-main".into()),
            Component::Consent {
                resource: "Microsoft Graph".into(),
                permission: "User.Read.All".into(),
            },
            Component::DelegatedConsent {
                resource: "Microsoft Graph".into(),
            },
            Component::RoleAssignment {
                role: "Reader".into(),
                scope: "/subscriptions/s1".into(),
            },
            Component::References,
        ];
        let reasons = [
            ActionReason::Expiring {
                remaining: Duration::days(-3) + Duration::nanoseconds(5),
            },
            ActionReason::StoreMissing,
            ActionReason::StoreMismatch { key_vault: true },
            ActionReason::RestoreFromDeletedItems,
            ActionReason::NotInManifest,
            ActionReason::Pruned,
            ActionReason::Undeclared {
                name: Some("old".into()),
                hint: Some("abc".into()),
                end: Some(NOW),
            },
            ActionReason::PreviousCredential {
                overlap: Some(Duration::days(7)),
            },
            ActionReason::CertificateChanged,
            ActionReason::ServicePrincipalNotWanted,
            ActionReason::DisableBeforeRemove {
                values: vec!["Things.Read".into()],
            },
            ActionReason::ConsentNotDeclared,
        ];
        let actions = [
            Action::NoOp,
            Action::Create,
            Action::Update,
            Action::Replace,
            Action::Rotate,
            Action::Delete,
            Action::Restore,
            Action::Read,
        ];
        let mut changes = vec![
            ResourceChange::rotate(
                secret(None),
                json!({"key_id": "k1"}),
                json!({"end_date_time": "2027-01-01T00:00:00Z"}),
                vec![Operation::AddSecret {
                    application: app_ref(),
                    display_name: "ci".into(),
                    start: NOW,
                    end: NOW + Duration::days(180),
                    store: store.clone(),
                }],
            )
            .with_after_unknown(vec!["key_id".into()])
            .with_depends_on(vec![Address::application("api")]),
        ];
        for (index, component) in components.into_iter().enumerate() {
            changes.push(
                ResourceChange::update(
                    Address::component("api", component),
                    json!({"n": index}),
                    json!({"n": index + 1}),
                    vec![Operation::AddOwner {
                        application: app_ref(),
                        owner_id: format!("u{index}"),
                    }],
                )
                .with_reason(reasons[index % reasons.len()].clone()),
            );
        }
        for (index, (action, reason)) in actions.into_iter().zip(reasons.iter()).enumerate() {
            let mut change = ResourceChange::delete(
                Address::component("other", Component::Owner(format!("o{index}"))),
                json!({}),
                Vec::new(),
            )
            .with_reason(reason.clone());
            change.action = action;
            changes.push(change);
        }
        for reason in &reasons[8..] {
            changes.push(
                ResourceChange::read(Address::application("z"), json!({}))
                    .with_reason(reason.clone()),
            );
        }
        Plan {
            changes,
            warnings: vec![
                PlanWarning::PreviousCredentialKept {
                    secret: secret(None),
                    key_id: "k0".into(),
                    end: None,
                    until: NOW + Duration::days(2),
                    overlap: Duration::days(7),
                },
                PlanWarning::SecretStoreUnreadable {
                    secret: secret(Some("k1")),
                    store,
                    reason: Some("permission denied".into()),
                    rotation_due: Some(Duration::hours(-5)),
                },
            ],
        }
    }

    fn saved(plan: &Plan, live: &LiveTenant) -> SavedPlan {
        let (changes, warnings) = save_plan(plan);
        SavedPlan {
            format: FORMAT_MARKER.into(),
            format_version: FORMAT_VERSION,
            registrar_version: "0.1.0".into(),
            created_at: NOW,
            target: SavedTarget {
                tenant_id: "t".into(),
                cloud: "local".into(),
                local: true,
            },
            options: SavedOptions { prune: false },
            manifests: SavedManifests {
                paths: vec!["apps.yaml".into()],
                files: Vec::new(),
                digest: manifest_digest(&[]),
                desired_state: Digest::of_bytes(b"{}"),
            },
            namespace: "it".into(),
            changes,
            warnings,
            live_objects: live_objects(live, "it"),
        }
    }

    #[test]
    fn plan_to_document_to_plan_is_the_same_plan() {
        let plan = every_kind_of_plan();
        let document = saved(&plan, &LiveTenant::default());
        let text = serde_json::to_string_pretty(&document).unwrap();
        let read: SavedPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(read, document);
        assert_eq!(read.to_plan().unwrap(), plan);
    }

    #[test]
    fn an_out_of_range_duration_is_an_error_not_a_panic() {
        let mut document = saved(&every_kind_of_plan(), &LiveTenant::default());
        document.changes[1].reason = Some(SavedReason::Expiring {
            remaining: SavedDuration {
                seconds: i64::MAX,
                nanoseconds: i32::MAX,
            },
        });
        assert!(document.to_plan().is_err());
    }

    fn live() -> LiveTenant {
        let mut app = LiveApplication {
            id: "o1".into(),
            app_id: "a1".into(),
            unique_name: Some("it.hello-web".into()),
            owners: vec!["u1".into()],
            ..Default::default()
        };
        app.settings.plain.display_name = "Hello".into();
        LiveTenant {
            applications: vec![app],
            ..Default::default()
        }
    }

    #[test]
    fn stale_objects_name_what_was_added_removed_and_changed() {
        let document = saved(&Plan::default(), &live());
        assert_eq!(stale_objects(&document, &live()), Vec::new());
        let mut changed = live();
        changed.applications[0].settings.plain.notes = Some("by hand".into());
        changed.applications[0].owners = vec!["u2".into()];
        let stale: Vec<String> = stale_objects(&document, &changed)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            stale,
            vec![
                "application hello-web (appId a1): owner u1: removed",
                "application hello-web (appId a1): owner u2: added",
                "application hello-web (appId a1): settings: changed",
            ]
        );
    }
}
