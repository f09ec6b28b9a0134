//! Principals: the application's service principal (created, updated, or deleted for
//! `servicePrincipal: false`) and its owners (users or service principals, by UPN or object id;
//! an empty list leaves owners unmanaged).

use std::collections::{BTreeMap, BTreeSet};

use registrar_model::Guid;
use registrar_model::{Operation, ServicePrincipalSettings};
use serde_json::{Map, Value, json};

use super::Planner;
use super::identity::Target;
use crate::error::PlanError;
use crate::model::{ActionReason, Component, ResourceChange};
use crate::settings::{
    Attribute, attribute_map, diff_attributes, normalize_service_principal,
    service_principal_attributes,
};

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
        let mut desired: BTreeMap<String, (String, String)> = BTreeMap::new(); // id -> (name, type)
        for owner in &target.desired.owners {
            let matches = self.live.directory_objects.iter().filter(|object| {
                Guid::same(&object.id, &owner.value)
                    || object
                        .user_principal_name
                        .as_deref()
                        .is_some_and(|upn| upn.eq_ignore_ascii_case(&owner.value))
            });
            match matches.min_by(|a, b| a.id.cmp(&b.id)) {
                Some(object) => {
                    desired
                        .entry(object.id.to_lowercase())
                        .or_insert_with(|| (owner.value.clone(), object.kind.plan_name().to_owned()));
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
            self.changes.push(
                ResourceChange::create(
                    target.address(Component::Owner(name.clone())),
                    json!({"object_id": id, "type": kind}),
                    vec![Operation::AddOwner {
                        application: target.application_ref(),
                        owner_id: id.clone(),
                    }],
                )
                .with_depends_on(target.depends_on()),
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
                    target.address(Component::Owner(name.clone())),
                    json!({"object_id": id, "type": kind}),
                    vec![Operation::RemoveOwner {
                        application: target.application_ref(),
                        owner_id: id.clone(),
                    }],
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
