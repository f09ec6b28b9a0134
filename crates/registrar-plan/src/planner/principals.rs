//! Principals: the application's service principal (created, updated, or deleted for
//! `servicePrincipal: false`) and its owners (users or service principals, by UPN or object id;
//! an empty list leaves owners unmanaged).

use std::collections::{BTreeMap, BTreeSet};

use registrar_model::{Guid, Located};
use registrar_model::{Operation, ServicePrincipalSettings};
use serde_json::{Map, Value, json};

use super::Planner;
use super::identity::Target;
use crate::error::PlanError;
use crate::model::{ActionReason, Address, Component, ResourceChange};
use crate::settings::{
    Attribute, attribute_map, diff_attributes, normalize_service_principal,
    service_principal_attributes,
};

/// One owner list Registrar manages (an application's or its service principal's): how its
/// changes are addressed and written.
pub(super) struct OwnerList<'l> {
    /// The address of the owner with this name.
    pub(super) address: &'l dyn Fn(String) -> Address,
    /// The operation adding the owner with this object id.
    pub(super) add: &'l dyn Fn(String) -> Operation,
    /// The operation removing the owner with this object id.
    pub(super) remove: &'l dyn Fn(String) -> Operation,
    /// What an added owner waits for (the object it is added to, when it is created).
    pub(super) depends_on: Vec<Address>,
}

impl<'a> Planner<'a> {
    pub(super) fn plan_service_principal(&mut self, target: &Target<'a>) {
        let live_sp = target.live().and_then(|app| app.service_principal.as_ref());
        let address = target.address(Component::ServicePrincipal);
        match (&target.desired.service_principal, live_sp) {
            (None, None) => {}
            (None, Some(sp)) => {
                let mut before = attribute_map(&service_principal_attributes(&sp.settings), &[]);
                before.insert("object_id".into(), Value::String(sp.id.clone()));
                self.changes.push(
                    ResourceChange::delete(
                        address,
                        before,
                        vec![Operation::DeleteServicePrincipal { id: sp.id.clone() }],
                    )
                    .with_reason(ActionReason::ServicePrincipalNotWanted),
                );
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
                self.changes.push(
                    ResourceChange::create(
                        address,
                        after,
                        vec![Operation::CreateServicePrincipal {
                            key: target.key().to_owned(),
                            application: target.application_ref(),
                            settings,
                        }],
                    )
                    .with_depends_on(target.depends_on())
                    .with_after_unknown(after_unknown),
                );
            }
            (Some(desired), Some(sp)) => {
                let mut settings = desired.clone();
                normalize_service_principal(&sp.settings, &mut settings);
                let before_attributes = service_principal_attributes(&sp.settings);
                let after_attributes = service_principal_attributes(&settings);
                let (before, after, fields) =
                    diff_attributes(&before_attributes, &after_attributes, &[]);
                if fields.is_empty() {
                    return;
                }
                let whole = |attributes: &[Attribute<&'static str>]| {
                    let mut whole = Map::new();
                    whole.insert("object_id".into(), Value::String(sp.id.clone()));
                    whole.extend(attribute_map(attributes, &[]));
                    Value::Object(whole)
                };
                let (whole_before, whole_after) =
                    (whole(&before_attributes), whole(&after_attributes));
                self.changes.push(
                    ResourceChange::update(
                        address,
                        before,
                        after,
                        vec![Operation::UpdateServicePrincipal {
                            id: sp.id.clone(),
                            settings,
                        }],
                    )
                    .with_whole_objects(whole_before, whole_after),
                );
            }
        }
    }

    // ---- owners ----

    pub(super) fn plan_owners(&mut self, target: &Target<'a>) {
        let desired = self.resolve_owners(&target.desired.owners, "owner");
        // An empty owner list leaves the owners unmanaged.
        if target.desired.owners.is_empty() {
            return;
        }
        let live_owners = target.live().map(|app| app.owners.as_slice());
        let application = target.application_ref();
        self.plan_owner_changes(
            &desired,
            live_owners.unwrap_or_default(),
            &OwnerList {
                address: &|name| target.address(Component::Owner(name)),
                add: &|owner_id| Operation::AddOwner {
                    application: application.clone(),
                    owner_id,
                },
                remove: &|owner_id| Operation::RemoveOwner {
                    application: application.clone(),
                    owner_id,
                },
                depends_on: target.depends_on(),
            },
        );
    }

    /// The declared owners (UPNs or object ids) by lowercase object id, with the name the
    /// manifest uses and the object's type; an owner the tenant does not know is a plan error
    /// (`what` names the list in it: "owner", "service principal owner").
    pub(super) fn resolve_owners(
        &mut self,
        owners: &[Located<String>],
        what: &str,
    ) -> BTreeMap<String, (String, String)> {
        let mut resolved = BTreeMap::new();
        for owner in owners {
            let found = self
                .live
                .directory_objects
                .iter()
                .filter(|object| {
                    Guid::same(&object.id, &owner.value)
                        || object
                            .user_principal_name
                            .as_deref()
                            .is_some_and(|upn| upn.eq_ignore_ascii_case(&owner.value))
                })
                .min_by(|a, b| a.id.cmp(&b.id));
            match found {
                Some(object) => {
                    resolved
                        .entry(object.id.to_lowercase())
                        .or_insert_with(|| (owner.value.clone(), object.kind.plan_name().to_owned()));
                }
                None => self.errors.push(PlanError::new(
                    &owner.origin,
                    format!("{what} `{}` not found in the tenant", owner.value),
                    Some("owners are user principal names or object ids of users or service principals".to_owned()),
                )),
            }
        }
        resolved
    }

    /// Adds the `desired` owners that `live_owners` lacks and removes the live owners that are
    /// not desired (named by UPN where the snapshot knows the object, else by id). The lock-out
    /// rule (never removing the signed-in principal) is applied later, by the guards.
    pub(super) fn plan_owner_changes(
        &mut self,
        desired: &BTreeMap<String, (String, String)>,
        live_owners: &[String],
        list: &OwnerList<'_>,
    ) {
        let live_owners: BTreeSet<String> =
            live_owners.iter().map(|id| id.to_lowercase()).collect();
        for (id, (name, kind)) in desired {
            if live_owners.contains(id) {
                continue;
            }
            self.changes.push(
                ResourceChange::create(
                    (list.address)(name.clone()),
                    json!({"object_id": id, "type": kind}),
                    vec![(list.add)(id.clone())],
                )
                .with_depends_on(list.depends_on.clone()),
            );
        }
        for id in &live_owners {
            if desired.contains_key(id) {
                continue;
            }
            let object = self
                .live
                .directory_objects
                .iter()
                .filter(|object| Guid::same(&object.id, id))
                .min_by(|a, b| a.id.cmp(&b.id));
            let name = object
                .and_then(|object| object.user_principal_name.clone())
                .unwrap_or_else(|| id.clone());
            let kind = object.map_or_else(
                || "directory_object".to_owned(),
                |object| object.kind.plan_name().to_owned(),
            );
            self.changes.push(
                ResourceChange::delete(
                    (list.address)(name.clone()),
                    json!({"object_id": id, "type": kind}),
                    vec![(list.remove)(id.clone())],
                )
                .with_reason(ActionReason::Undeclared {
                    name: Some(name),
                    hint: None,
                    end: None,
                }),
            );
        }
    }
}
