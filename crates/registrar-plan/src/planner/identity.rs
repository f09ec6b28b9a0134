//! Identity: which tenant object each declared application is (by `uniqueName`, by pinned
//! appId, or a deleted item holding the unique name) and whether Registrar may manage it (an
//! application holding the unique name without the marker tag was not created by Registrar and
//! is refused; one found by its pinned appId without the marker is adopted); the appIds other
//! declarations refer to (known now, or `{appId:<key>}` placeholders for applications created
//! in the same apply), and the settled ids of declared scopes and app roles.
//!
//! Lookups here never depend on the order of the snapshot's lists: ties go to the lowest
//! object id.

use std::collections::BTreeSet;

use registrar_model::{
    AppRole, ApplicationRef, DeletedApplication, DesiredApplication, Guid, LiveApplication,
    PermissionScope, PlannedAppId, ServicePrincipalRef, marker_tag, unique_name,
};
use uuid::Uuid;

use super::Planner;
use crate::error::{OwnerSummary, PlanError, PlanProblem};
use crate::model::{Address, Component};

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
    /// Found by its pinned appId without this namespace's marker tag: an application Registrar
    /// did not create and was told to adopt. Registrar manages what the manifest declares but
    /// adds none of its tags, so `--prune` (which deletes only marked applications) never
    /// deletes it.
    pub(crate) adopted: bool,
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
            Self::Planned(key) => PlannedAppId::new(key.clone()).to_string(),
        }
    }
}

/// Scopes and app roles of a declared application, with their ids settled.
#[derive(Debug, Clone, Default)]
pub(super) struct Exposed {
    pub(super) scopes: Vec<PermissionScope>,
    pub(super) roles: Vec<AppRole>,
}

impl<'a> Planner<'a> {
    pub(crate) fn target(&self, key: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| target.key() == key)
    }

    /// The declared application whose live service principal has this object id.
    pub(crate) fn target_by_service_principal(&self, sp_id: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| {
            target
                .live()
                .and_then(|app| app.service_principal.as_ref())
                .is_some_and(|sp| Guid::same(&sp.id, sp_id))
        })
    }

    pub(crate) fn target_by_app_id(&self, app_id: &str) -> Option<&Target<'a>> {
        self.targets.iter().find(|target| {
            target
                .known_app_id()
                .is_some_and(|known| Guid::same(known, app_id))
        })
    }

    pub(super) fn app_id_of(&self, key: &str) -> Option<AppId> {
        let target = self.target(key)?;
        Some(match target.known_app_id() {
            Some(app_id) => AppId::Known(app_id.to_owned()),
            None => AppId::Planned(key.to_owned()),
        })
    }

    pub(super) fn find_targets(&mut self) {
        let namespace = &self.desired.namespace;
        let marker = marker_tag(namespace);
        let mut claimed: BTreeSet<&str> = BTreeSet::new();
        for desired in &self.desired.applications {
            let name = unique_name(namespace, &desired.key);
            let marked = |app: &&LiveApplication| app.settings.plain.tags.contains(&marker);
            let pinned = |app: &&LiveApplication| {
                desired
                    .app_id
                    .as_deref()
                    .is_some_and(|pinned| Guid::same(&app.app_id, pinned))
            };
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
                    .filter(|app| Guid::same(&app.app_id, pinned))
                    .min_by(|a, b| a.id.cmp(&b.id))
            });
            // Only what Registrar created (it carries the marker) or was told to adopt (its
            // appId is pinned) is managed. Someone else's application holding the unique name
            // is refused, unless the pin names another application, which then decides.
            if let Some(stranger) = by_name.filter(|app| !marked(app) && !pinned(app))
                && desired.app_id.is_none()
            {
                let problem = self.unmarked_application(desired, stranger, &name, &marker);
                self.errors
                    .push(PlanError::problem(&desired.origin, problem));
                continue;
            }
            let by_name = by_name.filter(|app| marked(app) || pinned(app));
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
                // A deleted application is restored only if Registrar made it: restoring
                // someone else's would hand this namespace's consent and roles to its owners.
                if !deleted.tags.contains(&marker) {
                    self.errors.push(PlanError::new(
                        &desired.origin,
                        format!(
                            "application `{}`: the unique name `{name}` is held by the deleted application \"{}\" (appId {}, object id {}), which does not carry the marker tag `{marker}`, so Registrar did not create it and will not restore it",
                            desired.key, deleted.display_name, deleted.app_id, deleted.id
                        ),
                        Some(format!(
                            "restore it by hand and pin its appId under `{}:` to adopt it, or delete it permanently (DELETE /directory/deletedItems/{}), or give the application another key",
                            desired.key, deleted.id
                        )),
                    ));
                    continue;
                }
                Identity::Restore(deleted)
            } else {
                Identity::Create
            };
            let adopted = matches!(identity, Identity::Existing(live) if !marked(&live));
            self.targets.push(Target {
                desired,
                identity,
                unique_name: name,
                adopted,
            });
        }
    }

    /// The error for a declared application whose unique name is held by an application
    /// without the marker tag: who it is and who owns it.
    fn unmarked_application(
        &self,
        desired: &DesiredApplication,
        stranger: &LiveApplication,
        unique_name: &str,
        marker: &str,
    ) -> PlanProblem {
        let mut owners: Vec<OwnerSummary> = stranger
            .owners
            .iter()
            .map(|id| {
                let object = self.live.directory_object(id);
                OwnerSummary {
                    object_id: id.clone(),
                    user_principal_name: object
                        .and_then(|object| object.user_principal_name.clone()),
                    display_name: object.and_then(|object| object.display_name.clone()),
                }
            })
            .collect();
        owners.sort();
        owners.dedup();
        PlanProblem::UnmarkedApplication {
            key: desired.key.clone(),
            unique_name: unique_name.to_owned(),
            marker: marker.to_owned(),
            display_name: stranger.settings.plain.display_name.clone(),
            app_id: stranger.app_id.clone(),
            object_id: stranger.id.clone(),
            owners,
        }
    }

    /// Settles the ids of every declared scope and app role: the live id of the entry with the
    /// same value, else a UUIDv5 of (unique name, kind, value).
    pub(super) fn settle_exposed(&mut self) {
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
}
