//! The machine-readable plan: a versioned document shaped like `terraform show -json`, so
//! policy tools built for terraform plans (conftest, OPA, checkov-style scanners) can read it.
//! Every field is documented in `docs/plan-json.md` and described by
//! `schema/plan.schema.json`.
//!
//! ```json
//! {
//!   "format_version": "1.2",
//!   "registrar_version": "0.1.0",
//!   "timestamp": "2026-01-01T00:00:00Z",
//!   "applyable": true, "complete": true, "errored": false,
//!   "resource_drift": [],
//!   "resource_changes": [
//!     {
//!       "address": "application.api.secret.ci",
//!       "type": "registrar_application_secret",
//!       "name": "ci",
//!       "action_reason": "rotate",
//!       "change": {
//!         "actions": ["create", "delete"],
//!         "before": {"key_id": "…"}, "after": {"end_date_time": "…"},
//!         "after_unknown": {"key_id": true}, "after_sensitive": {"value": true}
//!       }
//!     }
//!   ],
//!   "summary": {"add": 0, "change": 1, "destroy": 0}
//! }
//! ```
//!
//! Actions: `["create"]` (also a restore, with `action_reason: "restore"`), `["update"]`,
//! `["delete"]`, `["delete","create"]` for a replace, `["create","delete"]` for a rotation
//! (`action_reason: "rotate"`), `["read"]` for an application that is not in the manifest, and
//! `["no-op"]`. A scanner that looks for `"delete"` finds every action that removes something.
//!
//! `before` and `after` are whole objects (every attribute Registrar manages), where the text
//! plan shows only what changes ([`ResourceChange::whole_before`]).
//!
//! `resource_drift` has no state file to compare with: it lists the objects that exist in the
//! tenant and differ from what the manifest declares (see [`drift`]).
//!
//! The conversion from [`crate::Plan`] is written by hand: reshaping the model cannot silently
//! change this document. Bump [`FORMAT_VERSION`]: the minor part on a compatible addition, the
//! major part on anything else.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Action, ActionReason, Component, Plan, ResourceChange};
use crate::values::timestamp;

/// The version of this document's shape: 1.1 added whole `before`/`after` objects,
/// `registrar_version`, `timestamp`, `applyable`, `complete`, `errored` and `resource_drift`;
/// 1.2 added `target`.
pub const FORMAT_VERSION: &str = "1.2";

/// What the document says that the plan does not: which Registrar made it. The planner
/// knows no version (it is pure and shared by every front end), so the caller passes its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonOptions {
    /// The Registrar version that made the plan (the CLI's `CARGO_PKG_VERSION`).
    pub registrar_version: String,
}

/// The plan as a versioned JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDocument {
    /// [`FORMAT_VERSION`].
    pub format_version: String,
    /// The Registrar version that made the plan (terraform's `terraform_version`).
    pub registrar_version: String,
    /// When the plan was made ([`Plan::planned_at`]), RFC 3339 in UTC.
    pub timestamp: String,
    /// Whether applying the plan would change anything: it has changes, and (since a plan with
    /// errors is never produced) no errors.
    pub applyable: bool,
    /// Whether applying the plan reaches the manifest's state: always `true`, since Registrar
    /// plans every declared object (no targeting, no deferred changes).
    pub complete: bool,
    /// Whether planning failed: always `false` in a produced plan (a plan with errors prints
    /// diagnostics instead).
    pub errored: bool,
    /// The objects that exist in the tenant and differ from the manifest, sorted by address:
    /// `before` is what the manifest declares, `after` what the tenant holds.
    pub resource_drift: Vec<ResourceChangeDocument>,
    /// Every change, sorted by address.
    pub resource_changes: Vec<ResourceChangeDocument>,
    /// The summary line's counts.
    pub summary: SummaryDocument,
    /// Notes that change nothing but need attention, worded as the text plan words them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The tenant and the signed-in client the plan was made against (absent from `show` of a
    /// saved plan, which reads no tenant). Set by the caller, which read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<super::TargetDocument>,
}

/// One resource change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChangeDocument {
    /// `application.api.secret.ci`.
    pub address: String,
    /// `registrar_application`, `registrar_service_principal`, `registrar_application_owner`,
    /// `registrar_application_secret`, `registrar_application_certificate`,
    /// `registrar_federated_identity_credential`, `registrar_app_role_assignment` (admin consent
    /// for an application permission), `registrar_oauth2_permission_grant` (admin consent for
    /// the delegated permissions on one API), `registrar_application_references`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The object's name: the application key, the secret's name, ...
    pub name: String,
    /// The instance key: an owner's name, the keyId of one of several credentials sharing a
    /// name, a consent's `<resource>/<permission>` or a delegated consent's resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Why, in terraform's style: `rotate`, `restore`, `delete_because_not_in_manifest`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// Addresses that must be applied first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The change itself.
    pub change: ChangeDocument,
}

/// The change of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeDocument {
    /// `["create"]`, `["update"]`, `["delete"]`, `["delete","create"]`, `["create","delete"]`,
    /// `["read"]`, `["no-op"]`.
    pub actions: Vec<String>,
    /// The whole object before, every attribute (`null` for a create).
    pub before: Value,
    /// The whole object after (`null` for a delete); attributes known only after apply are
    /// absent and listed in `after_unknown`.
    pub after: Value,
    /// `{"<attribute>": true}` for every attribute known only after apply.
    pub after_unknown: Value,
    /// `{"<attribute>": true}` for every attribute never shown (a secret's value).
    pub after_sensitive: Value,
}

/// The counts of the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryDocument {
    /// To add.
    pub add: usize,
    /// To change.
    pub change: usize,
    /// To destroy.
    pub destroy: usize,
}

/// Converts a plan into its versioned document.
pub fn json(plan: &Plan, options: &JsonOptions) -> PlanDocument {
    let summary = plan.summary();
    PlanDocument {
        format_version: FORMAT_VERSION.to_owned(),
        registrar_version: options.registrar_version.clone(),
        timestamp: timestamp(plan.planned_at),
        applyable: plan.has_changes(),
        complete: true,
        errored: false,
        resource_drift: plan.changes.iter().filter_map(drift).collect(),
        resource_changes: plan.changes.iter().map(resource_change).collect(),
        summary: SummaryDocument {
            add: summary.add,
            change: summary.change,
            destroy: summary.destroy,
        },
        warnings: crate::render::warnings(plan),
        target: None,
    }
}

/// What the tenant changed outside Registrar, as far as a plan without a state file can tell:
/// an object that exists in the tenant and differs from what the manifest declares.
///
/// - an object updated or replaced in place: `["update"]`, `before` the declared object,
///   `after` the live one;
/// - an object on a managed application that the manifest does not declare (a secret,
///   certificate, federated credential, owner, admin consent, role assignment, or a service
///   principal under `servicePrincipal: false`): `["create"]`, `after` the live object.
///
/// Not drift: creates (a missing object cannot be told from a newly declared one), rotations
/// (due to time or to the secret store), previous credentials whose overlap ended (Registrar's
/// own), and applications the manifest does not declare (reads and prunes). Without state,
/// an object removed from the manifest shows as drift just as one added by hand does.
pub fn drift(change: &ResourceChange) -> Option<ResourceChangeDocument> {
    let (actions, before, after) = match (change.action, &change.reason) {
        (Action::Update | Action::Replace, _) => (
            vec!["update".to_owned()],
            shown(change.whole_after(), &change.address.component),
            shown(change.whole_before(), &change.address.component),
        ),
        (
            Action::Delete,
            Some(
                ActionReason::Undeclared { .. }
                | ActionReason::ConsentNotDeclared
                | ActionReason::ServicePrincipalNotWanted,
            ),
        ) => (
            vec!["create".to_owned()],
            Value::Null,
            shown(change.whole_before(), &change.address.component),
        ),
        _ => return None,
    };
    let address = &change.address;
    Some(ResourceChangeDocument {
        address: address.to_string(),
        resource_type: resource_type(&address.component).to_owned(),
        name: address.name(),
        index: address.index(),
        action_reason: None,
        depends_on: Vec::new(),
        change: ChangeDocument {
            actions,
            before,
            after,
            after_unknown: flags(Vec::new()),
            after_sensitive: flags(Vec::new()),
        },
    })
}

fn resource_type(component: &Component) -> &'static str {
    match component {
        Component::Application => "registrar_application",
        Component::ServicePrincipal => "registrar_service_principal",
        Component::Owner(_) => "registrar_application_owner",
        Component::Secret { .. } => "registrar_application_secret",
        Component::Certificate { .. } => "registrar_application_certificate",
        Component::FederatedCredential(_) => "registrar_federated_identity_credential",
        Component::Consent { .. } => "registrar_app_role_assignment",
        Component::DelegatedConsent { .. } => "registrar_oauth2_permission_grant",
        Component::RoleAssignment { .. } => "registrar_role_assignment",
        Component::References => "registrar_application_references",
        Component::ServicePrincipalOwner(_) => "registrar_service_principal_owner",
        Component::ServicePrincipalSecret { .. } => "registrar_service_principal_secret",
        Component::ServicePrincipalCertificate { .. } => "registrar_service_principal_certificate",
    }
}

fn actions(action: Action) -> Vec<String> {
    let names: &[&str] = match action {
        Action::NoOp => &["no-op"],
        Action::Create | Action::Restore => &["create"],
        Action::Update => &["update"],
        Action::Replace => &["delete", "create"],
        Action::Rotate => &["create", "delete"],
        Action::Delete => &["delete"],
        Action::Read => &["read"],
    };
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn action_reason(change: &ResourceChange) -> Option<String> {
    let reason = match (change.action, &change.reason) {
        (Action::Rotate, _) => "rotate",
        (Action::Restore, _) => "restore",
        (Action::Read, _) => "read_because_not_in_manifest",
        (_, Some(ActionReason::Pruned)) => "delete_because_pruned",
        (_, Some(ActionReason::Undeclared { .. }) | Some(ActionReason::ConsentNotDeclared)) => {
            "delete_because_not_in_manifest"
        }
        (_, Some(ActionReason::PreviousCredential { .. })) => "delete_because_overlap_ended",
        (_, Some(ActionReason::ServicePrincipalNotWanted)) => "delete_because_not_wanted",
        (_, Some(ActionReason::CertificateChanged)) => "replace_because_certificate_changed",
        (_, Some(ActionReason::DisableBeforeRemove { .. })) => "update_disable_before_remove",
        _ => return None,
    };
    Some(reason.to_owned())
}

fn flags(names: impl IntoIterator<Item = String>) -> Value {
    Value::Object(
        names
            .into_iter()
            .map(|name| (name, Value::Bool(true)))
            .collect::<Map<_, _>>(),
    )
}

/// An object as the document shows it: `null` when there is none, and never a secret's value
/// (the planner holds none; this keeps it so should one slip in).
fn shown(object: Option<&Value>, component: &Component) -> Value {
    let mut object = object.cloned().unwrap_or(Value::Null);
    if let (Component::Secret { .. }, Value::Object(attributes)) = (component, &mut object) {
        attributes.remove("value");
    }
    object
}

fn resource_change(change: &ResourceChange) -> ResourceChangeDocument {
    let address = &change.address;
    let sensitive: Vec<String> = match address.component {
        Component::Secret { .. } if change.after.is_some() => vec!["value".to_owned()],
        _ => Vec::new(),
    };
    ResourceChangeDocument {
        address: address.to_string(),
        resource_type: resource_type(&address.component).to_owned(),
        name: address.name(),
        index: address.index(),
        action_reason: action_reason(change),
        depends_on: change.depends_on.iter().map(ToString::to_string).collect(),
        change: ChangeDocument {
            actions: actions(change.action),
            before: shown(change.whole_before(), &address.component),
            after: shown(change.whole_after(), &address.component),
            after_unknown: flags(change.after_unknown.iter().cloned()),
            after_sensitive: flags(sensitive),
        },
    }
}
