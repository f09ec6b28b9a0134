//! What the service principal holds beside its settings: its own client secrets and
//! certificates, and its owners.
//!
//! A credential on the service principal signs in as the application with every consent and
//! role Registrar grants it, yet the manifest never declares one (Registrar puts credentials
//! on the application). So every password or key credential found on a managed service
//! principal is drift and is removed. Owners are declared under `servicePrincipal.owners`;
//! unlike the application's owners, a missing list is an empty list: every owner that is not
//! listed is removed (except the signed-in principal: [`super::guards`] keeps it, with a
//! warning).
//!
//! What it does not do: plan the service principal itself ([`super::principals`]), or anything
//! for an application whose service principal is not wanted (deleting the service principal
//! removes what it holds).

use registrar_model::{KeyCredential, LiveServicePrincipal, Operation, PasswordCredential};
use serde_json::{Map, Value, json};

use super::Planner;
use super::identity::Target;
use super::principals::OwnerList;
use crate::model::{ActionReason, Address, Component, ResourceChange};
use crate::values::optional_timestamp;

/// The keyId as instance when the display name alone does not tell credentials apart (empty, or
/// shared by several).
fn instance_for<'c>(
    names: impl Iterator<Item = &'c str>,
    name: &str,
    key_id: &str,
) -> Option<String> {
    let shared = names.filter(|other| *other == name).count() > 1;
    (shared || name.is_empty()).then(|| key_id.to_owned())
}

fn password_before(credential: &PasswordCredential) -> Value {
    let mut before = Map::new();
    before.insert(
        "display_name".into(),
        credential
            .display_name
            .clone()
            .map_or(Value::Null, Value::String),
    );
    before.insert("key_id".into(), Value::String(credential.key_id.clone()));
    before.insert(
        "hint".into(),
        credential.hint.clone().map_or(Value::Null, Value::String),
    );
    before.insert(
        "start_date_time".into(),
        optional_timestamp(credential.start),
    );
    before.insert("end_date_time".into(), optional_timestamp(credential.end));
    Value::Object(before)
}

fn key_before(credential: &KeyCredential) -> Value {
    json!({
        "display_name": credential.display_name,
        "key_id": credential.key_id,
        "type": credential.key_type,
        "usage": credential.usage,
        "thumbprint": credential.custom_key_identifier,
        "start_date_time": optional_timestamp(credential.start),
        "end_date_time": optional_timestamp(credential.end),
    })
}

impl<'a> Planner<'a> {
    /// Plans the service principal's own credentials (all removed) and its owners.
    pub(super) fn plan_service_principal_objects(&mut self, target: &Target<'a>) {
        if target.desired.service_principal.is_none() {
            return;
        }
        let live_sp = target.live().and_then(|app| app.service_principal.as_ref());
        if let Some(sp) = live_sp {
            self.plan_service_principal_passwords(target, sp);
            self.plan_service_principal_keys(target, sp);
        }
        self.plan_service_principal_owners(target, live_sp);
    }

    fn plan_service_principal_passwords(&mut self, target: &Target<'a>, sp: &LiveServicePrincipal) {
        let names = || {
            sp.password_credentials
                .iter()
                .map(|credential| credential.display_name.as_deref().unwrap_or_default())
        };
        for credential in &sp.password_credentials {
            let name = credential.display_name.clone().unwrap_or_default();
            let instance = instance_for(names(), &name, &credential.key_id);
            self.changes.push(
                ResourceChange::delete(
                    target.address(Component::ServicePrincipalSecret { name, instance }),
                    password_before(credential),
                    vec![Operation::RemoveServicePrincipalPassword {
                        service_principal_id: sp.id.clone(),
                        key_id: credential.key_id.clone(),
                    }],
                )
                .with_reason(ActionReason::Undeclared {
                    name: credential.display_name.clone(),
                    hint: credential.hint.clone(),
                    end: credential.end,
                }),
            );
        }
    }

    /// Each removal rewrites the whole list (read, then PATCH without the one removed), so the
    /// removals of one service principal run one after another: each depends on the previous.
    fn plan_service_principal_keys(&mut self, target: &Target<'a>, sp: &LiveServicePrincipal) {
        let names = || {
            sp.key_credentials
                .iter()
                .map(|credential| credential.display_name.as_deref().unwrap_or_default())
        };
        let mut changes: Vec<ResourceChange> = sp
            .key_credentials
            .iter()
            .map(|credential| {
                let name = credential.display_name.clone().unwrap_or_default();
                let instance = instance_for(names(), &name, &credential.key_id);
                ResourceChange::delete(
                    target.address(Component::ServicePrincipalCertificate { name, instance }),
                    key_before(credential),
                    vec![Operation::RemoveServicePrincipalKey {
                        service_principal_id: sp.id.clone(),
                        key_id: credential.key_id.clone(),
                    }],
                )
                .with_reason(ActionReason::Undeclared {
                    name: credential.display_name.clone(),
                    hint: None,
                    end: credential.end,
                })
            })
            .collect();
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let mut previous: Option<Address> = None;
        for change in &mut changes {
            if let Some(previous) = previous.replace(change.address.clone()) {
                change.depends_on.push(previous);
            }
        }
        self.changes.extend(changes);
    }

    fn plan_service_principal_owners(
        &mut self,
        target: &Target<'a>,
        live_sp: Option<&LiveServicePrincipal>,
    ) {
        let desired = self.resolve_owners(
            &target.desired.service_principal_owners,
            "service principal owner",
        );
        let (sp_ref, mut depends_on) = target.service_principal_ref();
        for address in target.depends_on() {
            if !depends_on.contains(&address) {
                depends_on.push(address);
            }
        }
        // Without a live service principal there is no live owner, so nothing is removed.
        let live_id = live_sp.map(|sp| sp.id.clone()).unwrap_or_default();
        self.plan_owner_changes(
            &desired,
            live_sp.map(|sp| sp.owners.as_slice()).unwrap_or_default(),
            &OwnerList {
                address: &|name| target.address(Component::ServicePrincipalOwner(name)),
                add: &|owner_id| Operation::AddServicePrincipalOwner {
                    service_principal: sp_ref.clone(),
                    owner_id,
                },
                remove: &|owner_id| Operation::RemoveServicePrincipalOwner {
                    service_principal_id: live_id.clone(),
                    owner_id,
                },
                depends_on,
            },
        );
    }
}
