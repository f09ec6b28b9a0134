//! The permission review: every API permission a plan adds to or removes from an application's
//! `requiredResourceAccess`, and every admin consent it grants or revokes, as data — its kind,
//! whether it needs admin consent, whether this apply grants (or revokes) that consent, and its
//! privilege tier (the catalog's). Read from a finished [`Plan`], so a saved plan has it too;
//! the renderers word it (`render::text`, `render::markdown`).

use std::collections::BTreeMap;

use registrar_catalog::{PermissionKind, PrivilegeTier};
use registrar_model::{Guid, Operation};
use serde_json::Value;

use crate::model::{Action, Component, Plan, ResourceChange};

/// What happens to a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PermissionChangeKind {
    /// Newly requested.
    Added,
    /// No longer requested.
    Removed,
    /// Requested before and after; only its admin consent changes.
    ConsentOnly,
}

/// Whether a permission needs an administrator's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminConsentNeed {
    /// Always for application permissions, and for delegated ones the API marks admin-only.
    Required,
    /// A user can consent to it for themselves.
    NotRequired,
    /// The API is not in the catalog (an application of the manifest, another tenant's API).
    Unknown,
}

/// What this apply does to the permission's admin consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentByApply {
    /// Granted (an app role assignment, or the scope in the tenant-wide grant).
    Granted,
    /// Revoked.
    Revoked,
    /// Not changed.
    Unchanged,
}

/// One permission change, for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionChange {
    /// The application's manifest key.
    pub application: String,
    /// Added, removed, or consent only.
    pub change: PermissionChangeKind,
    /// The API, as the plan names it (a manifest application's key, else its display name).
    pub resource: String,
    /// The permission's value (its id when the value is not known).
    pub permission: String,
    /// Delegated or application.
    pub kind: PermissionKind,
    /// Whether it needs admin consent.
    pub admin_consent: AdminConsentNeed,
    /// What this apply does to its consent.
    pub consent: ConsentByApply,
    /// Its privilege tier, for an application permission in one.
    pub tier: Option<PrivilegeTier>,
}

/// A requested permission as an application attribute shows it.
struct Requested {
    id: String,
    resource: String,
    resource_app_id: String,
    permission: String,
    kind: PermissionKind,
}

/// Every permission change of `plan`, by application, then change, then API and permission.
pub fn permission_review(plan: &Plan) -> Vec<PermissionChange> {
    let consent = named_by_requests(plan, consent_changes(plan));
    // An application created by this plan whose permissions are known only after apply (they
    // name another new application) shows them through its consent: they are added too.
    let created: Vec<&str> = plan
        .changes
        .iter()
        .filter(|change| {
            change.address.component == Component::Application
                && matches!(change.action, Action::Create | Action::Restore)
        })
        .map(|change| change.address.application.as_str())
        .collect();
    let mut changes = Vec::new();
    let mut covered: Vec<(String, String, String, PermissionKind)> = Vec::new();
    for change in &plan.changes {
        if change.address.component != Component::Application
            || !matches!(
                change.action,
                Action::Create | Action::Update | Action::Restore | Action::Delete
            )
        {
            continue;
        }
        let before = requested(change.before.as_ref());
        let after = requested(change.after.as_ref());
        if change.action == Action::Update
            && (attribute(change.before.as_ref()).is_none()
                || attribute(change.after.as_ref()).is_none())
        {
            continue;
        }
        let application = &change.address.application;
        for (key, entry) in &after {
            if !before.contains_key(key) {
                changes.push(entry_change(
                    application,
                    PermissionChangeKind::Added,
                    entry,
                    &consent,
                ));
                covered.push(consent_key(application, entry));
            }
        }
        for (key, entry) in &before {
            if !after.contains_key(key) {
                changes.push(entry_change(
                    application,
                    PermissionChangeKind::Removed,
                    entry,
                    &consent,
                ));
                covered.push(consent_key(application, entry));
            }
        }
    }
    for (key, (granted, resource_app_id)) in &consent {
        if covered.contains(key) {
            continue;
        }
        let (application, resource, permission, kind) = key;
        let entry = Requested {
            id: permission.clone(),
            resource: resource.clone(),
            resource_app_id: resource_app_id.clone().unwrap_or_default(),
            permission: permission.clone(),
            kind: *kind,
        };
        let kind = if created.contains(&application.as_str()) {
            PermissionChangeKind::Added
        } else {
            PermissionChangeKind::ConsentOnly
        };
        let mut change = entry_change(application, kind, &entry, &consent);
        change.consent = if *granted {
            ConsentByApply::Granted
        } else {
            ConsentByApply::Revoked
        };
        changes.push(change);
    }
    changes.sort_by(|a, b| {
        (&a.application, a.change, &a.resource, &a.permission).cmp(&(
            &b.application,
            b.change,
            &b.resource,
            &b.permission,
        ))
    });
    changes
}

type ConsentKey = (String, String, String, PermissionKind);

/// Consent changes that name their API and permission by id (the tenant had no name for them)
/// renamed as the application's requested permission of that id names them, so each is shown
/// with its permission change.
fn named_by_requests(
    plan: &Plan,
    consent: BTreeMap<ConsentKey, (bool, Option<String>)>,
) -> BTreeMap<ConsentKey, (bool, Option<String>)> {
    let mut requests: Vec<(&str, Requested)> = Vec::new();
    for change in &plan.changes {
        if change.address.component == Component::Application {
            for attributes in [change.before.as_ref(), change.after.as_ref()] {
                requests.extend(
                    requested(attributes)
                        .into_values()
                        .map(|entry| (change.address.application.as_str(), entry)),
                );
            }
        }
    }
    consent
        .into_iter()
        .map(|(key, value)| {
            let (application, _, permission, kind) = &key;
            if Guid::parse(permission).is_none() {
                return (key, value);
            }
            let named = requests.iter().find(|(owner, entry)| {
                owner == application && entry.kind == *kind && Guid::same(&entry.id, permission)
            });
            match named {
                Some((_, entry)) => (
                    (
                        application.clone(),
                        entry.resource.clone(),
                        entry.permission.clone(),
                        *kind,
                    ),
                    (value.0, Some(entry.resource_app_id.clone())),
                ),
                None => (key, value),
            }
        })
        .collect()
}

fn consent_key(application: &str, entry: &Requested) -> ConsentKey {
    (
        application.to_owned(),
        entry.resource.clone(),
        entry.permission.clone(),
        entry.kind,
    )
}

fn entry_change(
    application: &str,
    change: PermissionChangeKind,
    entry: &Requested,
    consent: &BTreeMap<ConsentKey, (bool, Option<String>)>,
) -> PermissionChange {
    let catalog = registrar_catalog::catalog();
    let api = catalog.api(&entry.resource_app_id);
    let admin_consent = match entry.kind {
        PermissionKind::Application => AdminConsentNeed::Required,
        PermissionKind::Delegated => api
            .and_then(|api| api.permission(&entry.permission, PermissionKind::Delegated))
            .and_then(|permission| permission.admin_consent_required)
            .map_or(AdminConsentNeed::Unknown, |required| {
                if required {
                    AdminConsentNeed::Required
                } else {
                    AdminConsentNeed::NotRequired
                }
            }),
    };
    let tier = match entry.kind {
        PermissionKind::Application => {
            catalog.privilege_tier(&entry.resource_app_id, &entry.permission)
        }
        PermissionKind::Delegated => None,
    };
    let consent = match consent.get(&consent_key(application, entry)) {
        Some((true, _)) => ConsentByApply::Granted,
        Some((false, _)) => ConsentByApply::Revoked,
        None => ConsentByApply::Unchanged,
    };
    PermissionChange {
        application: application.to_owned(),
        change,
        resource: entry.resource.clone(),
        permission: entry.permission.clone(),
        kind: entry.kind,
        admin_consent,
        consent,
        tier,
    }
}

fn attribute(attributes: Option<&Value>) -> Option<&Value> {
    attributes.and_then(|attributes| attributes.get("required_resource_access"))
}

/// The API's name as consent changes spell it: a manifest application's key without the
/// `application ` the attribute puts before it.
fn resource_name(name: &str) -> String {
    name.strip_prefix("application ").unwrap_or(name).to_owned()
}

/// The permissions of a `required_resource_access` attribute, keyed by (API appId, permission
/// id, kind), lowercase.
fn requested(attributes: Option<&Value>) -> BTreeMap<(String, String, bool), Requested> {
    let mut requested = BTreeMap::new();
    let entries = attribute(attributes)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for entry in entries {
        let Some(resource_app_id) = entry.get("resource_app_id").and_then(Value::as_str) else {
            continue;
        };
        let resource = entry
            .get("resource")
            .and_then(Value::as_str)
            .map_or_else(|| resource_app_id.to_owned(), resource_name);
        let accesses = entry
            .get("resource_access")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for access in accesses {
            let Some(id) = access.get("id").and_then(Value::as_str) else {
                continue;
            };
            let kind = match access.get("type").and_then(Value::as_str) {
                Some("Role") => PermissionKind::Application,
                _ => PermissionKind::Delegated,
            };
            let permission = access
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or(id)
                .to_owned();
            requested.insert(
                (
                    resource_app_id.to_ascii_lowercase(),
                    id.to_ascii_lowercase(),
                    kind == PermissionKind::Application,
                ),
                Requested {
                    id: id.to_owned(),
                    resource: resource.clone(),
                    resource_app_id: resource_app_id.to_owned(),
                    permission,
                    kind,
                },
            );
        }
    }
    requested
}

/// Every consent the plan grants (`true`) or revokes (`false`), by (application, API name,
/// permission value, kind), with the API's appId where an operation names a known one.
fn consent_changes(plan: &Plan) -> BTreeMap<ConsentKey, (bool, Option<String>)> {
    let catalog = registrar_catalog::catalog();
    let mut consent = BTreeMap::new();
    for change in &plan.changes {
        let application = &change.address.application;
        match &change.address.component {
            Component::Consent {
                resource,
                permission,
            } => {
                let granted = match change.action {
                    Action::Create | Action::Replace => true,
                    Action::Delete => false,
                    _ => continue,
                };
                let app_id = catalog.api(resource).map(|api| api.app_id.clone());
                let permission =
                    app_role_value(change, app_id.as_deref()).unwrap_or_else(|| permission.clone());
                consent.insert(
                    (
                        application.clone(),
                        resource.clone(),
                        permission,
                        PermissionKind::Application,
                    ),
                    (granted, app_id),
                );
            }
            Component::DelegatedConsent { resource } => {
                let before = scopes(change.before.as_ref());
                let after = scopes(change.after.as_ref());
                let app_id = catalog.api(resource).map(|api| api.app_id.clone());
                for (list, other, granted) in [(&after, &before, true), (&before, &after, false)] {
                    for scope in list.iter().filter(|scope| !other.contains(scope)) {
                        consent.insert(
                            (
                                application.clone(),
                                resource.clone(),
                                scope.clone(),
                                PermissionKind::Delegated,
                            ),
                            (granted, app_id.clone()),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    consent
}

/// The value of the app role a consent change grants, when the address names it by id.
fn app_role_value(change: &ResourceChange, app_id: Option<&str>) -> Option<String> {
    let api = registrar_catalog::catalog().api(app_id?)?;
    change
        .operations
        .iter()
        .find_map(|operation| match operation {
            Operation::GrantAppRole { app_role_id, .. } => api
                .permissions_of(PermissionKind::Application)
                .find(|permission| Guid::same(&permission.id, app_role_id))
                .map(|permission| permission.value.clone()),
            _ => None,
        })
}

fn scopes(attributes: Option<&Value>) -> Vec<String> {
    attributes
        .and_then(|attributes| attributes.get("scopes"))
        .and_then(Value::as_array)
        .map(|scopes| {
            scopes
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
