//! Drift: how the tenant differs from the manifest, and which credentials need attention, as
//! data for a scheduled job ([`DriftReport`], built by [`drift()`]).
//!
//! The report is derived from the normal [`crate::plan()`], read the other way round, like
//! terraform's refresh-only plan: an update or replace is an object whose attributes differ
//! (expected = the manifest, actual = the tenant); a create or restore is an object missing in
//! the tenant; a removal is an object the manifest does not declare; a read is an application
//! that carries the namespace's marker but is no longer declared. Beside it, every credential
//! of every declared application is listed with its expiry, against a window (`--expiring-within`).
//!
//! What it does not do: word anything (see [`crate::render::drift`]), read the clock, or decide
//! exit codes beyond [`DriftReport::has_drift`].

use registrar_model::{DesiredApplication, DesiredState, Guid, LiveApplication, LiveTenant};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::error::PlanErrors;
use crate::model::{Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange};
use crate::planner::PlanOptions;

/// The default window of `--expiring-within`: 30 days.
pub const DEFAULT_EXPIRY_WINDOW: Duration = Duration::days(30);

/// How the tenant differs from the manifest at `now`, and the credentials of the declared
/// applications. Pure data; [`crate::render::drift`] words it.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    /// The manifest's namespace.
    pub namespace: String,
    /// When the tenant was compared.
    pub now: OffsetDateTime,
    /// Credentials ending within this window from `now` are expiring.
    pub window: Duration,
    /// Every object that differs, sorted by address.
    pub objects: Vec<DriftedObject>,
    /// Every credential of every declared application found in the tenant (secrets,
    /// certificates, federated credentials, and those on its service principal; declared or
    /// not), sorted by address.
    pub credentials: Vec<CredentialStatus>,
    /// The plan's notes (an unreadable secret store, a previous credential kept).
    pub warnings: Vec<PlanWarning>,
}

/// One object that differs between the manifest and the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftedObject {
    /// What differs.
    pub address: Address,
    /// How.
    pub kind: DriftKind,
    /// The plan's reason, for the wording of details (an undeclared secret's hint and expiry).
    pub reason: Option<ActionReason>,
    /// For [`DriftKind::Changed`]: each attribute that differs, by name.
    pub attributes: Vec<AttributeDrift>,
    /// What the tenant holds (the plan's `before`), if anything.
    pub actual: Option<Value>,
    /// What the manifest declares (the plan's `after`), if anything.
    pub expected: Option<Value>,
}

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftKind {
    /// Its attributes differ from the manifest's (the next apply updates or replaces it).
    Changed,
    /// The manifest declares it and the tenant does not have it (the next apply creates it).
    Missing,
    /// The manifest declares it and it waits in deleted items (the next apply restores it).
    Deleted,
    /// The tenant has it and the manifest does not declare it (the next apply removes it): a
    /// credential, owner, admin consent or role assignment added by hand, a service principal
    /// the manifest does not want, a previous credential whose overlap has ended.
    NotInManifest,
    /// A secret whose store does not hold the value of its current credential (missing, or
    /// another credential's): the next apply rotates it.
    StoreOutOfSync,
    /// An application that carries the namespace's marker but that the manifest no longer
    /// declares (the next apply leaves it, `--prune` deletes it).
    UndeclaredApplication,
}

/// One attribute that differs: `expected` from the manifest, `actual` from the tenant; `None`
/// where one side has no value.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDrift {
    /// The attribute's name, as plans show it (`display_name`, `web.redirect_uris`).
    pub name: String,
    /// The manifest's value.
    pub expected: Option<Value>,
    /// The tenant's value.
    pub actual: Option<Value>,
}

/// The kinds of credential an application holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CredentialKind {
    /// A client secret (Graph `passwordCredential`).
    Secret,
    /// A certificate (Graph `keyCredential`).
    Certificate,
    /// A federated identity credential: it never expires.
    FederatedCredential,
    /// A client secret on the application's service principal (never declared).
    ServicePrincipalSecret,
    /// A certificate on the application's service principal (never declared).
    ServicePrincipalCertificate,
}

/// Where a credential stands against the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpiryStatus {
    /// Its end has passed.
    Expired,
    /// It ends within the window.
    Expiring,
    /// It ends after the window.
    Valid,
    /// It has no end (federated credentials, secrets without an end date).
    NoExpiry,
}

/// What the next apply does to a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextApply {
    /// A fresh credential replaces it (the plan's rotation, with its reason).
    Rotate(Option<ActionReason>),
    /// It is replaced (a certificate whose file holds another certificate).
    Replace,
    /// It is removed (not in the manifest, or a previous credential past its overlap).
    Remove,
    /// It is updated in place (a federated credential's issuer, subject or audiences).
    Update,
}

/// One credential of a declared application.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialStatus {
    /// Its address, as plans name it (with the keyId as instance when the name is shared).
    pub address: Address,
    /// Which kind.
    pub kind: CredentialKind,
    /// The keyId (secrets and certificates) or the id (federated credentials).
    pub key_id: String,
    /// Whether the manifest declares a credential of this kind with this name.
    pub declared: bool,
    /// When it starts, if known.
    pub start: Option<OffsetDateTime>,
    /// When it ends, if it does.
    pub end: Option<OffsetDateTime>,
    /// Time left until `end` from the report's `now` (negative once expired).
    pub remaining: Option<Duration>,
    /// Where it stands against the window.
    pub status: ExpiryStatus,
    /// What the next apply does to it, if anything.
    pub next_apply: Option<NextApply>,
}

impl CredentialStatus {
    /// Whether the report calls this credential out: expired, expiring within the window, or
    /// about to be rotated because it is expiring (a `rotateBefore` wider than the window).
    pub fn needs_attention(&self) -> bool {
        matches!(self.status, ExpiryStatus::Expired | ExpiryStatus::Expiring)
            || matches!(
                self.next_apply,
                Some(NextApply::Rotate(Some(ActionReason::Expiring { .. })))
            )
    }
}

/// The counts of a report, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DriftCounts {
    /// Objects whose attributes differ.
    pub changed: usize,
    /// Declared objects the tenant does not have (missing or in deleted items).
    pub missing: usize,
    /// Objects the manifest does not declare.
    pub not_in_manifest: usize,
    /// Secrets whose store is out of sync.
    pub store_out_of_sync: usize,
    /// Marked applications the manifest no longer declares.
    pub undeclared_applications: usize,
    /// Credentials already expired.
    pub expired: usize,
    /// Credentials expiring within the window.
    pub expiring: usize,
    /// Credentials ending after the window that the next apply rotates because they expire
    /// within their secret's `rotateBefore`.
    pub rotation_due: usize,
}

impl DriftCounts {
    /// Objects that differ, of every kind.
    pub fn objects(&self) -> usize {
        self.changed
            + self.missing
            + self.not_in_manifest
            + self.store_out_of_sync
            + self.undeclared_applications
    }
}

impl DriftReport {
    /// Whether anything needs attention: an object differs, or a credential has expired or
    /// expires within the window. The CLI exits 2 then.
    pub fn has_drift(&self) -> bool {
        !self.objects.is_empty() || self.attention().next().is_some()
    }

    /// The credentials the report calls out ([`CredentialStatus::needs_attention`]).
    pub fn attention(&self) -> impl Iterator<Item = &CredentialStatus> {
        self.credentials
            .iter()
            .filter(|credential| credential.needs_attention())
    }

    /// The report's counts.
    pub fn counts(&self) -> DriftCounts {
        let mut counts = DriftCounts::default();
        for object in &self.objects {
            match object.kind {
                DriftKind::Changed => counts.changed += 1,
                DriftKind::Missing | DriftKind::Deleted => counts.missing += 1,
                DriftKind::NotInManifest => counts.not_in_manifest += 1,
                DriftKind::StoreOutOfSync => counts.store_out_of_sync += 1,
                DriftKind::UndeclaredApplication => counts.undeclared_applications += 1,
            }
        }
        for credential in self.attention() {
            match credential.status {
                ExpiryStatus::Expired => counts.expired += 1,
                ExpiryStatus::Expiring => counts.expiring += 1,
                ExpiryStatus::Valid | ExpiryStatus::NoExpiry => counts.rotation_due += 1,
            }
        }
        counts
    }
}

/// Compares `live` with `desired` at `now`: plans as `plan` would (without `--prune`) and reads
/// the plan as drift, and lists every credential of the declared applications against
/// `window`. Fails with the plan's errors.
pub fn drift(
    desired: &DesiredState,
    live: &LiveTenant,
    now: OffsetDateTime,
    window: Duration,
) -> Result<DriftReport, PlanErrors> {
    let plan = crate::plan(desired, live, now, &PlanOptions::default())?;
    Ok(report_from_plan(&plan, desired, live, now, window))
}

/// The report of an already computed plan (planned without `--prune` or with it: a pruned
/// application is an undeclared application either way).
pub fn report_from_plan(
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveTenant,
    now: OffsetDateTime,
    window: Duration,
) -> DriftReport {
    let objects = plan.changes.iter().filter_map(drifted_object).collect();
    let mut credentials = Vec::new();
    for application in &desired.applications {
        if let Some(live_application) = find_live_application(desired, application, live) {
            credentials.extend(application_credentials(
                application,
                live_application,
                plan,
                now,
                window,
            ));
        }
    }
    credentials.sort_by(|a: &CredentialStatus, b: &CredentialStatus| {
        (&a.address, &a.key_id).cmp(&(&b.address, &b.key_id))
    });
    DriftReport {
        namespace: desired.namespace.clone(),
        now,
        window,
        objects,
        credentials,
        warnings: plan.warnings.clone(),
    }
}

/// A plan change read as drift; `None` for changes that are not a difference of their own (a
/// rotation because the credential expires is reported with the credential, and the
/// follow-up `references` change belongs to its application's create).
fn drifted_object(change: &ResourceChange) -> Option<DriftedObject> {
    let kind = match (change.action, &change.reason) {
        (Action::NoOp, _) => return None,
        (Action::Rotate, Some(ActionReason::Expiring { .. })) => return None,
        (Action::Rotate, _) => DriftKind::StoreOutOfSync,
        (Action::Update | Action::Replace, _) => DriftKind::Changed,
        (Action::Create, _) => DriftKind::Missing,
        (Action::Restore, _) => DriftKind::Deleted,
        (Action::Read, _) | (Action::Delete, Some(ActionReason::Pruned)) => {
            DriftKind::UndeclaredApplication
        }
        (Action::Delete, _) => DriftKind::NotInManifest,
    };
    let attributes = if kind == DriftKind::Changed {
        attribute_drift(change.before.as_ref(), change.after.as_ref())
    } else {
        Vec::new()
    };
    Some(DriftedObject {
        address: change.address.clone(),
        kind,
        reason: change.reason.clone(),
        attributes,
        actual: change.before.clone(),
        expected: change.after.clone(),
    })
}

/// The attributes whose values differ between `before` (the tenant) and `after` (the
/// manifest), in the order the plan lists them; context attributes (the same on both sides) are
/// left out.
fn attribute_drift(before: Option<&Value>, after: Option<&Value>) -> Vec<AttributeDrift> {
    let empty = serde_json::Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut names: Vec<&String> = after.keys().collect();
    names.extend(before.keys().filter(|name| !after.contains_key(*name)));
    names
        .into_iter()
        .filter_map(|name| {
            let expected = after.get(name);
            let actual = before.get(name);
            (expected != actual).then(|| AttributeDrift {
                name: name.clone(),
                expected: expected.cloned(),
                actual: actual.cloned(),
            })
        })
        .collect()
}

/// The tenant's object for a declared application, found as the planner finds it: by unique
/// name, else by pinned appId (ties to the lowest object id).
fn find_live_application<'l>(
    desired: &DesiredState,
    application: &DesiredApplication,
    live: &'l LiveTenant,
) -> Option<&'l LiveApplication> {
    let name = registrar_model::unique_name(&desired.namespace, &application.key);
    let lowest = |candidates: Vec<&'l LiveApplication>| {
        candidates.into_iter().min_by(|a, b| a.id.cmp(&b.id))
    };
    lowest(
        live.applications
            .iter()
            .filter(|app| app.unique_name.as_deref() == Some(name.as_str()))
            .collect(),
    )
    .or_else(|| {
        application.app_id.as_deref().and_then(|pinned| {
            lowest(
                live.applications
                    .iter()
                    .filter(|app| Guid::same(&app.app_id, pinned))
                    .collect(),
            )
        })
    })
}

/// One credential as the inventory reads it, before its status is settled.
struct Found<'a> {
    kind: CredentialKind,
    name: &'a str,
    key_id: &'a str,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
    declared: bool,
}

fn application_credentials(
    application: &DesiredApplication,
    live: &LiveApplication,
    plan: &Plan,
    now: OffsetDateTime,
    window: Duration,
) -> Vec<CredentialStatus> {
    let mut found: Vec<Found<'_>> = Vec::new();
    for credential in &live.password_credentials {
        let name = credential.display_name.as_deref().unwrap_or_default();
        found.push(Found {
            kind: CredentialKind::Secret,
            name,
            key_id: &credential.key_id,
            start: credential.start,
            end: credential.end,
            declared: application.secrets.iter().any(|secret| secret.name == name),
        });
    }
    for credential in &live.key_credentials {
        let name = credential.display_name.as_deref().unwrap_or_default();
        found.push(Found {
            kind: CredentialKind::Certificate,
            name,
            key_id: &credential.key_id,
            start: credential.start,
            end: credential.end,
            declared: application
                .certificates
                .iter()
                .any(|certificate| certificate.name == name),
        });
    }
    // The service principal's own credentials: never declared, so always drift.
    if let Some(sp) = &live.service_principal {
        for credential in &sp.password_credentials {
            found.push(Found {
                kind: CredentialKind::ServicePrincipalSecret,
                name: credential.display_name.as_deref().unwrap_or_default(),
                key_id: &credential.key_id,
                start: credential.start,
                end: credential.end,
                declared: false,
            });
        }
        for credential in &sp.key_credentials {
            found.push(Found {
                kind: CredentialKind::ServicePrincipalCertificate,
                name: credential.display_name.as_deref().unwrap_or_default(),
                key_id: &credential.key_id,
                start: credential.start,
                end: credential.end,
                declared: false,
            });
        }
    }
    for credential in &live.federated_credentials {
        found.push(Found {
            kind: CredentialKind::FederatedCredential,
            name: &credential.name,
            key_id: &credential.id,
            start: None,
            end: None,
            declared: application
                .federated_credentials
                .iter()
                .any(|declared| declared.name == credential.name),
        });
    }
    found
        .iter()
        .map(|credential| {
            let shared = found
                .iter()
                .filter(|other| other.kind == credential.kind && other.name == credential.name)
                .count()
                > 1;
            let instance = (shared || credential.name.is_empty())
                .then(|| credential.key_id.to_owned())
                .filter(|_| credential.kind != CredentialKind::FederatedCredential);
            let component = match credential.kind {
                CredentialKind::Secret => Component::Secret {
                    name: credential.name.to_owned(),
                    instance,
                },
                CredentialKind::Certificate => Component::Certificate {
                    name: credential.name.to_owned(),
                    instance,
                },
                CredentialKind::FederatedCredential => {
                    Component::FederatedCredential(credential.name.to_owned())
                }
                CredentialKind::ServicePrincipalSecret => Component::ServicePrincipalSecret {
                    name: credential.name.to_owned(),
                    instance,
                },
                CredentialKind::ServicePrincipalCertificate => {
                    Component::ServicePrincipalCertificate {
                        name: credential.name.to_owned(),
                        instance,
                    }
                }
            };
            let remaining = credential.end.map(|end| end - now);
            let status = match remaining {
                None => ExpiryStatus::NoExpiry,
                Some(remaining) if remaining <= Duration::ZERO => ExpiryStatus::Expired,
                Some(remaining) if remaining <= window => ExpiryStatus::Expiring,
                Some(_) => ExpiryStatus::Valid,
            };
            CredentialStatus {
                address: Address::component(&application.key, component),
                kind: credential.kind,
                key_id: credential.key_id.to_owned(),
                declared: credential.declared,
                start: credential.start,
                end: credential.end,
                remaining,
                status,
                next_apply: next_apply(plan, &application.key, credential),
            }
        })
        .collect()
}

/// What the plan does to this credential: matched by keyId for secrets and certificates (the
/// plan's `before.key_id`), by name for federated credentials.
fn next_apply(plan: &Plan, key: &str, credential: &Found<'_>) -> Option<NextApply> {
    plan.changes
        .iter()
        .filter(|change| change.address.application == key)
        .find_map(|change| {
            let same = match (&change.address.component, credential.kind) {
                (Component::Secret { .. }, CredentialKind::Secret)
                | (Component::Certificate { .. }, CredentialKind::Certificate)
                | (
                    Component::ServicePrincipalSecret { .. },
                    CredentialKind::ServicePrincipalSecret,
                )
                | (
                    Component::ServicePrincipalCertificate { .. },
                    CredentialKind::ServicePrincipalCertificate,
                ) => change
                    .before
                    .as_ref()
                    .and_then(|before| before.get("key_id"))
                    .and_then(Value::as_str)
                    .is_some_and(|key_id| Guid::same(key_id, credential.key_id)),
                (Component::FederatedCredential(name), CredentialKind::FederatedCredential) => {
                    name == credential.name
                }
                _ => false,
            };
            if !same {
                return None;
            }
            match change.action {
                Action::Rotate => Some(NextApply::Rotate(change.reason.clone())),
                Action::Replace => Some(NextApply::Replace),
                Action::Delete => Some(NextApply::Remove),
                Action::Update => Some(NextApply::Update),
                _ => None,
            }
        })
}
