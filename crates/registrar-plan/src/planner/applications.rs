//! Applications: the desired registration in Graph's terms (names resolved, ids settled,
//! references to applications created in the same apply as placeholders), and its change:
//! create, restore from deleted items, update (disabling scopes and app roles before removing
//! them), or, for marked applications the manifest does not declare, a read or (with `--prune`)
//! a delete.

use std::collections::BTreeSet;

use registrar_model::suggest::did_you_mean;
use registrar_model::{
    AppRole, ApplicationField, ApplicationRef, ApplicationSettings, Guid, LiveApplication,
    Operation, PermissionScope, PlannedAppId, PreAuthorizedApplication, RequiredResourceAccess,
    marker_tag, protect_tag,
};
use serde_json::{Map, Value, json};

use super::Planner;
use super::identity::{AppId, Identity, Target};
use crate::error::PlanError;
use crate::model::{ActionReason, Address, Component, ResourceChange};
use crate::settings::{
    all_fields, application_attributes, attribute_map, attribute_name, diff_attributes,
    normalize_application,
};

impl<'a> Planner<'a> {
    /// The desired settings in Graph's terms, the planned applications they refer to, and the
    /// attributes that hold a reference to one.
    fn resolve_settings(
        &mut self,
        target: &Target<'a>,
    ) -> (ApplicationSettings, BTreeSet<String>, Vec<String>) {
        let desired = target.desired;
        let mut planned_refs: BTreeSet<String> = BTreeSet::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut plain = desired.plain.clone();
        // An adopted application gets none of Registrar's tags: it stays someone else's
        // application that this manifest manages, and is never pruned.
        if !target.adopted {
            let mut tags = vec![marker_tag(&self.desired.namespace)];
            if desired.protect {
                tags.push(protect_tag(&self.desired.namespace));
            }
            for tag in tags {
                if !plain.tags.contains(&tag) {
                    plain.tags.push(tag);
                }
            }
        }
        let exposed = self.exposed.get(target.key()).cloned().unwrap_or_default();

        let mut known_clients = Vec::new();
        for client in &desired.api.known_client_applications {
            match self.resolve_app_reference(client, "knownClientApplications") {
                Some(AppId::Known(app_id)) => known_clients.push(app_id),
                Some(AppId::Planned(key)) => {
                    known_clients.push(PlannedAppId::new(key.clone()).to_string());
                    planned_refs.insert(key);
                    push_unique(
                        &mut unknown,
                        attribute_name(ApplicationField::Api, Some("known_client_applications")),
                    );
                }
                None => {}
            }
        }

        let mut pre_authorized = Vec::new();
        for entry in &desired.api.pre_authorized_applications {
            let mut delegated_permission_ids = Vec::new();
            for value in &entry.scopes {
                match exposed.scopes.iter().find(|scope| &scope.value == value || Guid::same(&scope.id, value)) {
                    Some(scope) => delegated_permission_ids.push(scope.id.clone()),
                    None => self.errors.push(PlanError::new(
                        &entry.app.origin,
                        format!("preAuthorizedApplications: `{value}` is not a scope of application `{}`", desired.key),
                        did_you_mean(value, exposed.scopes.iter().map(|scope| scope.value.as_str())),
                    )),
                }
            }
            if let Some(app_id) =
                self.resolve_app_reference(&entry.app, "preAuthorizedApplications")
            {
                if let AppId::Planned(key) = &app_id {
                    planned_refs.insert(key.clone());
                    push_unique(
                        &mut unknown,
                        attribute_name(ApplicationField::Api, Some("pre_authorized_applications")),
                    );
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
                    push_unique(
                        &mut unknown,
                        attribute_name(ApplicationField::RequiredResourceAccess, None),
                    );
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
            plain,
            api: registrar_model::ApiSettings {
                requested_access_token_version,
                known_client_applications: known_clients,
                pre_authorized_applications: pre_authorized,
                oauth2_permission_scopes: exposed.scopes,
            },
            app_roles: exposed.roles,
            required_resource_access: required,
            // Undeclared, the lock is not managed: the live one stays.
            service_principal_lock: desired
                .instance_lock
                .as_ref()
                .map(|lock| lock.value.clone())
                .or_else(|| live.and_then(|app| app.settings.service_principal_lock.clone())),
        };
        match target.known_app_id() {
            Some(app_id) => settings.resolve_app_id(app_id),
            None => {
                if settings.needs_app_id() {
                    push_unique(
                        &mut unknown,
                        attribute_name(ApplicationField::IdentifierUris, None),
                    );
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

    pub(super) fn plan_application(&mut self, target: &Target<'a>) {
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
                    self.changes.push(
                        ResourceChange::no_op(
                            target.address(Component::References),
                            vec![Operation::UpdateApplication {
                                application: ApplicationRef::Planned {
                                    key: key.to_owned(),
                                },
                                settings: settings.clone(),
                                changed_fields: fields,
                            }],
                        )
                        .with_depends_on(references_depend_on),
                    );
                }
                let mut after = attribute_map(&after_attributes, &unknown);
                after.insert(
                    "unique_name".into(),
                    Value::String(target.unique_name.clone()),
                );
                self.changes.push(
                    ResourceChange::create(Address::application(key), after, operations)
                        .with_after_unknown(after_unknown),
                );
            }
            Identity::Restore(deleted) => {
                let mut after = Map::new();
                after.insert("app_id".into(), Value::String(deleted.app_id.clone()));
                after.extend(attribute_map(&after_attributes, &unknown));
                self.changes.push(
                    ResourceChange::restore(
                        Address::application(key),
                        json!({"app_id": deleted.app_id, "display_name": deleted.display_name}),
                        after,
                        vec![
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
                    )
                    .with_reason(ActionReason::RestoreFromDeletedItems)
                    .with_depends_on(depends_on)
                    .with_after_unknown(unknown),
                );
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
                let whole_before = whole_application(live, attribute_map(&before_attributes, &[]));
                let whole_after =
                    whole_application(live, attribute_map(&after_attributes, &unknown));
                self.changes.push(
                    ResourceChange::update(Address::application(key), before, after, operations)
                        .with_reason(reason)
                        .with_depends_on(depends_on)
                        .with_after_unknown(unknown)
                        .with_whole_objects(whole_before, whole_after),
                );
            }
        }
    }

    pub(super) fn plan_undeclared_applications(&mut self) {
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
                || !app.settings.plain.tags.contains(&marker)
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
                Value::String(app.settings.plain.display_name.clone()),
            );
            if let Some(name) = &app.unique_name {
                before.insert("unique_name".into(), Value::String(name.clone()));
            }
            let address = Address::application(&key);
            let whole = whole_application(
                app,
                attribute_map(&application_attributes(&app.settings, self), &[]),
            );
            self.changes.push(
                if self.options.prune {
                    let operations = vec![Operation::DeleteApplication { id: app.id.clone() }];
                    ResourceChange::delete(address, before, operations)
                        .with_reason(ActionReason::Pruned)
                } else {
                    ResourceChange::read(address, before).with_reason(ActionReason::NotInManifest)
                }
                .with_whole_objects(whole, None),
            );
        }
    }
}

/// An existing application's whole object for the JSON plan: its ids, then its attributes.
fn whole_application(live: &LiveApplication, attributes: Map<String, Value>) -> Value {
    let mut whole = Map::new();
    whole.insert("app_id".into(), Value::String(live.app_id.clone()));
    whole.insert(
        "unique_name".into(),
        live.unique_name.clone().map_or(Value::Null, Value::String),
    );
    whole.extend(attributes);
    Value::Object(whole)
}

fn push_unique(list: &mut Vec<String>, name: String) {
    if !list.contains(&name) {
        list.push(name);
    }
}

/// Leaves out what a create cannot send yet: identifier URIs that need the application's own
/// appId, and references to the applications in `planned` (created in the same apply).
fn strip_unknown(settings: &mut ApplicationSettings, planned: &BTreeSet<String>) {
    settings
        .plain
        .identifier_uris
        .retain(|uri| !uri.contains(registrar_model::APP_ID_PLACEHOLDER));
    strip_planned(settings, planned);
}

/// Leaves out references to the applications in `planned`.
fn strip_planned(settings: &mut ApplicationSettings, planned: &BTreeSet<String>) {
    settings.retain_app_id_references(|app_id| {
        PlannedAppId::parse(app_id).is_none_or(|reference| !planned.contains(&reference.key))
    });
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
