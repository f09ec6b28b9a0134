//! Credentials: client secrets (create, rotate, overlap, drift), certificates (one write for the
//! whole list) and federated identity credentials.

use std::collections::BTreeMap;

use registrar_model::Guid;
use registrar_model::{
    DesiredCertificate, DesiredSecret, FederatedCredential, FileFormat, KeyCredential, Operation,
    PasswordCredential, SecretStoreContents, SecretStoreLocation,
};
use serde_json::{Map, Value, json};
use time::Duration;

use crate::model::{Action, ActionReason, Address, Component, PlanWarning, ResourceChange};
use crate::planner::{Identity, Planner, Target, derived_id};
use crate::values::{optional_timestamp, store_text, timestamp};

/// The client secrets the application holds: its live ones, or those a restore from deleted
/// items brings back (Graph restores an application with all its properties), so the plan
/// that restores it keeps a restored secret whose value is still in its store, and removes
/// the rest, in the same apply.
fn held_password_credentials<'a>(target: &Target<'a>) -> &'a [PasswordCredential] {
    match target.identity {
        Identity::Existing(live) => &live.password_credentials,
        Identity::Restore(deleted) => &deleted.password_credentials,
        Identity::Create => &[],
    }
}

/// The certificates the application holds, live or brought back by a restore.
fn held_key_credentials<'a>(target: &Target<'a>) -> &'a [KeyCredential] {
    match target.identity {
        Identity::Existing(live) => &live.key_credentials,
        Identity::Restore(deleted) => &deleted.key_credentials,
        Identity::Create => &[],
    }
}

/// The audience federated credentials get when the manifest names none.
const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Oldest first: by start, then end, then keyId. The last one is the current credential.
fn by_age<'c>(
    credentials: impl Iterator<Item = &'c PasswordCredential>,
) -> Vec<&'c PasswordCredential> {
    let mut sorted: Vec<&PasswordCredential> = credentials.collect();
    sorted.sort_by(|a, b| (a.start, a.end, &a.key_id).cmp(&(b.start, b.end, &b.key_id)));
    sorted
}

fn secret_before(
    name: &str,
    credential: &PasswordCredential,
    store: Option<&SecretStoreLocation>,
) -> Value {
    let mut before = Map::new();
    before.insert("display_name".into(), Value::String(name.to_owned()));
    before.insert("key_id".into(), Value::String(credential.key_id.clone()));
    before.insert(
        "hint".into(),
        credential.hint.clone().map_or(Value::Null, Value::String),
    );
    before.insert("end_date_time".into(), optional_timestamp(credential.end));
    if let Some(store) = store {
        before.insert("store".into(), Value::String(store_text(store)));
    }
    Value::Object(before)
}

fn secret_unknown() -> Vec<String> {
    vec!["key_id".to_owned(), "hint".to_owned(), "value".to_owned()]
}

impl Planner<'_> {
    pub(crate) fn plan_secrets(&mut self, target: &Target<'_>) {
        let live_credentials: Vec<&PasswordCredential> =
            by_age(held_password_credentials(target).iter());
        for secret in &target.desired.secrets {
            let mut same_name: Vec<&PasswordCredential> = live_credentials
                .iter()
                .copied()
                .filter(|credential| {
                    credential.display_name.as_deref() == Some(secret.name.as_str())
                })
                .collect();
            let Some(current) = same_name.pop() else {
                self.create_secret(target, secret);
                continue;
            };
            if let Some(reason) = self.rotation_reason(target, secret, current) {
                let mut operations = vec![self.add_secret(target, secret)];
                if secret.overlap.is_none() {
                    operations.push(Operation::RemoveSecret {
                        application: target.application_ref(),
                        key_id: current.key_id.clone(),
                    });
                }
                self.changes.push(
                    ResourceChange::rotate(
                        target.address(Component::Secret {
                            name: secret.name.clone(),
                            instance: None,
                        }),
                        secret_before(&secret.name, current, Some(&secret.store)),
                        self.secret_after(secret),
                        operations,
                    )
                    .with_reason(reason)
                    .with_depends_on(target.depends_on())
                    .with_after_unknown(secret_unknown()),
                );
            }
            // Older credentials with the same name: previous values kept for the overlap.
            let overlap = secret.overlap.unwrap_or(Duration::ZERO);
            for previous in same_name {
                let until = current.start.map(|start| start + overlap);
                match until {
                    Some(until) if secret.overlap.is_some() && self.now < until => {
                        self.warnings.push(PlanWarning::PreviousCredentialKept {
                            secret: target.address(Component::Secret {
                                name: secret.name.clone(),
                                instance: None,
                            }),
                            key_id: previous.key_id.clone(),
                            end: previous.end,
                            until,
                            overlap,
                        });
                    }
                    _ => self.changes.push(
                        ResourceChange::delete(
                            target.address(Component::Secret {
                                name: secret.name.clone(),
                                instance: Some(previous.key_id.clone()),
                            }),
                            secret_before(&secret.name, previous, None),
                            vec![Operation::RemoveSecret {
                                application: target.application_ref(),
                                key_id: previous.key_id.clone(),
                            }],
                        )
                        .with_reason(ActionReason::PreviousCredential {
                            overlap: secret.overlap,
                        })
                        .with_depends_on(target.depends_on()),
                    ),
                }
            }
        }
        // Credentials whose name the manifest does not declare are drift.
        let undeclared: Vec<&PasswordCredential> =
            live_credentials
                .iter()
                .copied()
                .filter(|credential| {
                    !target.desired.secrets.iter().any(|secret| {
                        credential.display_name.as_deref() == Some(secret.name.as_str())
                    })
                })
                .collect();
        let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for credential in &undeclared {
            *name_counts
                .entry(credential.display_name.as_deref().unwrap_or_default())
                .or_default() += 1;
        }
        for credential in undeclared {
            let name = credential.display_name.clone().unwrap_or_default();
            let instance = (name.is_empty()
                || name_counts.get(name.as_str()).copied().unwrap_or(0) > 1)
                .then(|| credential.key_id.clone());
            self.changes.push(
                ResourceChange::delete(
                    target.address(Component::Secret {
                        name: name.clone(),
                        instance,
                    }),
                    secret_before(&name, credential, None),
                    vec![Operation::RemoveSecret {
                        application: target.application_ref(),
                        key_id: credential.key_id.clone(),
                    }],
                )
                .with_reason(ActionReason::Undeclared {
                    name: credential.display_name.clone(),
                    hint: credential.hint.clone(),
                    end: credential.end,
                })
                .with_depends_on(target.depends_on()),
            );
        }
    }

    fn add_secret(&self, target: &Target<'_>, secret: &DesiredSecret) -> Operation {
        Operation::AddSecret {
            application: target.application_ref(),
            display_name: secret.name.clone(),
            start: self.now,
            end: self.now + secret.lifetime,
            store: secret.store.clone(),
        }
    }

    fn secret_after(&self, secret: &DesiredSecret) -> Value {
        json!({
            "display_name": secret.name,
            "end_date_time": timestamp(self.now + secret.lifetime),
            "store": store_text(&secret.store),
        })
    }

    fn create_secret(&mut self, target: &Target<'_>, secret: &DesiredSecret) {
        let operation = self.add_secret(target, secret);
        self.changes.push(
            ResourceChange::create(
                target.address(Component::Secret {
                    name: secret.name.clone(),
                    instance: None,
                }),
                self.secret_after(secret),
                vec![operation],
            )
            .with_depends_on(target.depends_on())
            .with_after_unknown(secret_unknown()),
        );
    }

    /// Why the current credential must be replaced, if it must. An unreadable store stops any
    /// rotation (the new value could not be delivered) and leaves a warning.
    fn rotation_reason(
        &mut self,
        target: &Target<'_>,
        secret: &DesiredSecret,
        current: &PasswordCredential,
    ) -> Option<ActionReason> {
        let remaining = current.end.map(|end| end - self.now);
        let rotation_due = remaining.filter(|remaining| *remaining < secret.rotate_before);
        let store = self
            .live
            .secret_stores
            .iter()
            .find(|store| store.location == secret.store);
        let unreadable = |reason: Option<&String>| PlanWarning::SecretStoreUnreadable {
            secret: target.address(Component::Secret {
                name: secret.name.clone(),
                instance: None,
            }),
            store: secret.store.clone(),
            reason: reason.cloned(),
            rotation_due,
        };
        match store.map(|store| &store.contents) {
            None => {
                self.warnings.push(unreadable(None));
                None
            }
            Some(SecretStoreContents::Unreadable { reason }) => {
                self.warnings.push(unreadable(Some(reason)));
                None
            }
            Some(SecretStoreContents::Missing) => Some(ActionReason::StoreMissing),
            Some(SecretStoreContents::Present {
                key_id: Some(key_id),
            }) if !Guid::same(key_id, &current.key_id) => Some(ActionReason::StoreMismatch {
                key_vault: matches!(secret.store, SecretStoreLocation::KeyVault { .. }),
            }),
            // Registrar records the keyId with every value it delivers (Key Vault tags, json and
            // env files); a value without one was written by someone else.
            Some(SecretStoreContents::Present { key_id: None })
                if store_records_key_id(&secret.store) =>
            {
                Some(ActionReason::StoreMismatch {
                    key_vault: matches!(secret.store, SecretStoreLocation::KeyVault { .. }),
                })
            }
            Some(SecretStoreContents::Present { .. }) => {
                rotation_due.map(|remaining| ActionReason::Expiring { remaining })
            }
        }
    }

    pub(crate) fn plan_certificates(&mut self, target: &Target<'_>) {
        let mut unmatched: Vec<&KeyCredential> = held_key_credentials(target).iter().collect();
        unmatched.sort_by(|a, b| (&a.key_id, &a.display_name).cmp(&(&b.key_id, &b.display_name)));
        let mut certificates: Vec<KeyCredential> = Vec::new();
        let mut changes: Vec<ResourceChange> = Vec::new();
        for desired in &target.desired.certificates {
            let is_named =
                |live: &&KeyCredential| live.display_name.as_deref() == Some(desired.name.as_str());
            let same = unmatched.iter().position(|live| {
                is_named(live)
                    && (live.custom_key_identifier.as_deref()
                        == Some(desired.thumbprint_base64.as_str())
                        || live.key.as_deref() == Some(desired.der_base64.as_str()))
            });
            let address = target.address(Component::Certificate {
                name: desired.name.clone(),
                instance: None,
            });
            if let Some(position) = same {
                let live = unmatched.remove(position);
                let mut kept = live.clone();
                if kept.key.is_none() {
                    kept.key = Some(desired.der_base64.clone());
                }
                certificates.push(kept);
                continue;
            }
            let new = new_certificate(&target.unique_name, desired);
            let after = desired_certificate_attributes(desired, &new);
            certificates.push(new);
            match unmatched.iter().position(is_named) {
                Some(position) => {
                    let live = unmatched.remove(position);
                    changes.push(
                        ResourceChange::replace(
                            address,
                            live_certificate_attributes(live),
                            after,
                            Vec::new(),
                        )
                        .with_reason(ActionReason::CertificateChanged)
                        .with_depends_on(target.depends_on()),
                    );
                }
                None => changes.push(
                    ResourceChange::create(address, after, Vec::new())
                        .with_depends_on(target.depends_on()),
                ),
            }
        }
        let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for live in &unmatched {
            *name_counts
                .entry(live.display_name.as_deref().unwrap_or_default())
                .or_default() += 1;
        }
        for live in &unmatched {
            let name = live.display_name.clone().unwrap_or_default();
            let declared = target
                .desired
                .certificates
                .iter()
                .any(|desired| desired.name == name);
            let instance = (declared
                || name.is_empty()
                || name_counts.get(name.as_str()).copied().unwrap_or(0) > 1)
                .then(|| live.key_id.clone());
            changes.push(
                ResourceChange::delete(
                    target.address(Component::Certificate {
                        name: name.clone(),
                        instance,
                    }),
                    live_certificate_attributes(live),
                    Vec::new(),
                )
                .with_reason(ActionReason::Undeclared {
                    name: live.display_name.clone(),
                    hint: None,
                    end: live.end,
                })
                .with_depends_on(target.depends_on()),
            );
        }
        if changes.is_empty() {
            return;
        }
        // One write replaces the whole list: the first change (by address) carries it and the
        // others depend on that change.
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let carrier = changes[0].address.clone();
        changes[0].operations.push(Operation::SetCertificates {
            application: target.application_ref(),
            certificates,
        });
        for change in changes.iter_mut().skip(1) {
            change.depends_on.push(carrier.clone());
        }
        self.changes.extend(changes);
    }

    pub(crate) fn plan_federated_credentials(&mut self, target: &Target<'_>) {
        let first_change = self.changes.len();
        let live: Vec<&FederatedCredential> = target
            .live()
            .map(|app| {
                let mut sorted: Vec<&FederatedCredential> =
                    app.federated_credentials.iter().collect();
                sorted.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
                sorted
            })
            .unwrap_or_default();
        for desired in &target.desired.federated_credentials {
            let audiences = if desired.audiences.is_empty() {
                vec![DEFAULT_AUDIENCE.to_owned()]
            } else {
                desired.audiences.clone()
            };
            let description = desired.description.clone().filter(|text| !text.is_empty());
            let existing = live
                .iter()
                .find(|credential| credential.name == desired.name);
            let audiences = match existing {
                Some(existing) => {
                    crate::settings::order_like(&existing.audiences, audiences, |a, b| a == b)
                }
                None => crate::settings::order_like(&[], audiences, |a, b| a == b),
            };
            let after_all = json!({
                "issuer": desired.issuer,
                "subject": desired.subject,
                "audiences": audiences,
                "description": description,
            });
            let operation = Operation::UpsertFederatedCredential {
                application: target.application_ref(),
                name: desired.name.clone(),
                issuer: desired.issuer.clone(),
                subject: desired.subject.clone(),
                audiences: audiences.clone(),
                description: description.clone(),
            };
            let address = target.address(Component::FederatedCredential(desired.name.clone()));
            match existing {
                None => self.changes.push(
                    ResourceChange::create(address, after_all, vec![operation])
                        .with_depends_on(target.depends_on()),
                ),
                Some(existing) => {
                    let before_all = federated_attributes(existing);
                    let (mut before, mut after) = (Map::new(), Map::new());
                    if let (Value::Object(old), Value::Object(new)) = (&before_all, &after_all) {
                        for (name, new_value) in new {
                            let old_value = old.get(name).cloned().unwrap_or(Value::Null);
                            if &old_value != new_value {
                                before.insert(name.clone(), old_value);
                                after.insert(name.clone(), new_value.clone());
                            }
                        }
                    }
                    if after.is_empty() {
                        continue;
                    }
                    self.changes.push(
                        ResourceChange::update(address, before, after, vec![operation])
                            .with_whole_objects(before_all, after_all),
                    );
                }
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for credential in live {
            if target
                .desired
                .federated_credentials
                .iter()
                .any(|desired| desired.name == credential.name)
                || seen.contains(&credential.name.as_str())
            {
                continue;
            }
            seen.push(&credential.name);
            self.changes.push(
                ResourceChange::delete(
                    target.address(Component::FederatedCredential(credential.name.clone())),
                    federated_attributes(credential),
                    vec![Operation::DeleteFederatedCredential {
                        application: target.application_ref(),
                        name: credential.name.clone(),
                    }],
                )
                .with_reason(ActionReason::Undeclared {
                    name: Some(credential.name.clone()),
                    hint: None,
                    end: None,
                }),
            );
        }
        // Graph keeps (issuer, subject) unique per application and allows 20 credentials, so a
        // renamed credential can only be created once the old name is gone: writes wait for the
        // deletes of the same application.
        let planned = &mut self.changes[first_change..];
        let deletes: Vec<Address> = planned
            .iter()
            .filter(|change| change.action == Action::Delete)
            .map(|change| change.address.clone())
            .collect();
        for change in planned
            .iter_mut()
            .filter(|change| change.action != Action::Delete)
        {
            change.depends_on.extend(deletes.iter().cloned());
        }
    }
}

/// Whether a store keeps the keyId of the value it holds (a raw file holds the value alone).
fn store_records_key_id(store: &SecretStoreLocation) -> bool {
    !matches!(
        store,
        SecretStoreLocation::File {
            format: FileFormat::Raw,
            ..
        }
    )
}

fn federated_attributes(credential: &FederatedCredential) -> Value {
    json!({
        "issuer": credential.issuer,
        "subject": credential.subject,
        "audiences": credential.audiences,
        "description": credential.description.clone().filter(|text| !text.is_empty()),
    })
}

fn new_certificate(unique_name: &str, desired: &DesiredCertificate) -> KeyCredential {
    KeyCredential {
        key_id: derived_id(
            unique_name,
            "certificate",
            &format!("{}:{}", desired.name, desired.thumbprint_base64),
        ),
        display_name: Some(desired.name.clone()),
        key_type: "AsymmetricX509Cert".to_owned(),
        usage: "Verify".to_owned(),
        custom_key_identifier: Some(desired.thumbprint_base64.clone()),
        start: Some(desired.not_before),
        end: Some(desired.not_after),
        key: Some(desired.der_base64.clone()),
    }
}

fn live_certificate_attributes(live: &KeyCredential) -> Value {
    json!({
        "thumbprint": live.custom_key_identifier,
        "key_id": live.key_id,
        "start_date_time": optional_timestamp(live.start),
        "end_date_time": optional_timestamp(live.end),
    })
}

fn desired_certificate_attributes(desired: &DesiredCertificate, new: &KeyCredential) -> Value {
    json!({
        "thumbprint": desired.thumbprint_base64,
        "key_id": new.key_id,
        "start_date_time": timestamp(desired.not_before),
        "end_date_time": timestamp(desired.not_after),
        "file": desired.file,
    })
}
