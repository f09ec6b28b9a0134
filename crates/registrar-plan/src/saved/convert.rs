//! The plan, mirrored: serializable twins of [`Plan`], [`ResourceChange`], [`Address`],
//! [`Action`], [`ActionReason`] and [`PlanWarning`], converted by hand both ways. Each plan type
//! is destructured without `..`, so a field added to it is a compile error here.

use std::fmt;

use registrar_model::{Operation, SecretStoreLocation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::SavedPlan;
use crate::model::{Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange};

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
    /// The whole object before, when `before` shows only part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_before: Option<Value>,
    /// The whole object after, when `after` shows only part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_after: Option<Value>,
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
    ServicePrincipalOwner {
        name: String,
    },
    ServicePrincipalSecret {
        name: String,
        instance: Option<String>,
    },
    ServicePrincipalCertificate {
        name: String,
        instance: Option<String>,
    },
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
    SignedInOwnerKept {
        owner: SavedAddress,
        object_id: String,
        display_name: Option<String>,
    },
    SignedInServicePrincipalOwnerKept {
        owner: SavedAddress,
        object_id: String,
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
    // `planned_at` is saved as `SavedPlan::created_at`, which the caller sets from the same
    // `now` the planner was given.
    let Plan {
        changes,
        warnings,
        planned_at: _,
    } = plan;
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
            planned_at: self.created_at,
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
        full_before,
        full_after,
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
        full_before: full_before.clone(),
        full_after: full_after.clone(),
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
        full_before,
        full_after,
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
        full_before: full_before.clone(),
        full_after: full_after.clone(),
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
        Component::ServicePrincipalOwner(name) => SavedComponent::ServicePrincipalOwner { name },
        Component::ServicePrincipalSecret { name, instance } => {
            SavedComponent::ServicePrincipalSecret { name, instance }
        }
        Component::ServicePrincipalCertificate { name, instance } => {
            SavedComponent::ServicePrincipalCertificate { name, instance }
        }
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
        SavedComponent::ServicePrincipalOwner { name } => Component::ServicePrincipalOwner(name),
        SavedComponent::ServicePrincipalSecret { name, instance } => {
            Component::ServicePrincipalSecret { name, instance }
        }
        SavedComponent::ServicePrincipalCertificate { name, instance } => {
            Component::ServicePrincipalCertificate { name, instance }
        }
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
        PlanWarning::SignedInOwnerKept {
            owner,
            object_id,
            display_name,
        } => SavedWarning::SignedInOwnerKept {
            owner: save_address(owner),
            object_id: object_id.clone(),
            display_name: display_name.clone(),
        },
        PlanWarning::SignedInServicePrincipalOwnerKept { owner, object_id } => {
            SavedWarning::SignedInServicePrincipalOwnerKept {
                owner: save_address(owner),
                object_id: object_id.clone(),
            }
        }
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
        SavedWarning::SignedInOwnerKept {
            owner,
            object_id,
            display_name,
        } => PlanWarning::SignedInOwnerKept {
            owner: load_address(owner),
            object_id: object_id.clone(),
            display_name: display_name.clone(),
        },
        SavedWarning::SignedInServicePrincipalOwnerKept { owner, object_id } => {
            PlanWarning::SignedInServicePrincipalOwnerKept {
                owner: load_address(owner),
                object_id: object_id.clone(),
            }
        }
    })
}
