//! The wording every renderer (and the CLI) shares: plan warnings and typed plan errors, the
//! counts of a plan and of an apply, which changes are destructive, durations and expiry times,
//! and the nouns for each kind of object.

use time::Duration;

use crate::error::{OwnerSummary, PlanProblem};
use registrar_model::Operation;

use crate::model::{Action, Component, Plan, PlanWarning, ResourceChange, Tally, quoted};
use crate::values::{store_text, timestamp};

/// One warning, worded: `application.api.secret.ci: the store keyVault kv/ci could not be read
/// (403 Forbidden); the secret is not rotated until it can be`.
pub fn warning_text(warning: &PlanWarning) -> String {
    match warning {
        PlanWarning::PreviousCredentialKept {
            secret,
            key_id,
            end,
            until,
            overlap,
        } => format!(
            "{secret}: the previous credential (key {key_id}{}) is kept until {} ({} overlap)",
            end.map(|end| format!(", expires {}", timestamp(end)))
                .unwrap_or_default(),
            timestamp(*until),
            duration_text(*overlap),
        ),
        PlanWarning::SecretStoreUnreadable {
            secret,
            store,
            reason,
            rotation_due,
        } => format!(
            "{secret}: the store {} could not be read ({}); the secret is not rotated until it can be{}",
            store_text(store),
            reason.as_deref().unwrap_or("it was not read"),
            rotation_due
                .map(|remaining| format!("; rotation is due ({})", expires_text(remaining)))
                .unwrap_or_default(),
        ),
        PlanWarning::SignedInOwnerKept {
            owner,
            object_id,
            display_name,
        } => format!(
            "{owner}: {} is the principal this run is signed in as; it stays an owner although the manifest does not list it, since removing it would lock Registrar out of the application (add it to `owners`, or remove it by hand if that is what you want)",
            match display_name {
                Some(name) => format!("{} ({object_id})", quoted(name)),
                None => object_id.clone(),
            },
        ),
        PlanWarning::SignedInServicePrincipalOwnerKept { owner, object_id } => format!(
            "{owner}: the signed-in principal ({object_id}) owns the service principal but the manifest does not list it; it is kept, since removing it could lock this client out (list it under servicePrincipal.owners to silence this)",
        ),
    }
}

/// A typed plan error, worded: its message (lower-case start, no final period) and its hint.
pub fn problem_text(problem: &PlanProblem) -> (String, String) {
    match problem {
        PlanProblem::UnmarkedApplication {
            key,
            unique_name,
            marker,
            display_name,
            app_id,
            object_id,
            owners,
        } => {
            let owners = if owners.is_empty() {
                "it has no owners".to_owned()
            } else {
                let mut names: Vec<String> = owners.iter().map(owner_name).collect();
                names.sort_by_key(|name| name.to_lowercase());
                format!("its owners: {}", names.join(", "))
            };
            (
                format!(
                    "application `{key}`: the tenant's application {} (appId {app_id}, object id {object_id}) holds the unique name `{unique_name}` but does not carry the marker tag `{marker}`, so Registrar did not create it and will not manage it; {owners}",
                    quoted(display_name)
                ),
                format!(
                    "to adopt it on purpose, pin its appId in the manifest under `{key}:`\n      appId: \"{app_id}\"\n    otherwise ask its owners to delete it, or give the application another key"
                ),
            )
        }
        PlanProblem::ProtectedApplication {
            key,
            display_name,
            app_id,
            pruned,
            tag,
        } => {
            let why = if *pruned {
                "it is no longer in the manifest and --prune is set"
            } else {
                "the plan deletes or replaces it"
            };
            let protected_by = match tag {
                Some(tag) => format!("the tag `{tag}` it carries"),
                None => "`protect: true` in the manifest".to_owned(),
            };
            let hint = match tag {
                Some(_) if *pruned => format!(
                    "to delete it, declare `{key}` again without `protect: true` and apply that change on its own (it removes the tag), then prune; otherwise run without --prune"
                ),
                _ => format!(
                    "to delete or replace it, remove `protect: true` from `{key}` and apply that change on its own first"
                ),
            };
            (
                format!(
                    "application `{key}` ({}, appId {app_id}) is protected by {protected_by}, but {why}",
                    quoted(display_name)
                ),
                hint,
            )
        }
        PlanProblem::PolicyRestriction { .. } | PlanProblem::LockedServicePrincipal { .. } => {
            super::policy_words::problem_text(problem)
        }
    }
}

/// An owner as a reader knows them: the UPN, else the display name, else the object id.
fn owner_name(owner: &OwnerSummary) -> String {
    match (&owner.user_principal_name, &owner.display_name) {
        (Some(upn), _) => upn.clone(),
        (None, Some(name)) => format!("{} ({})", quoted(name), owner.object_id),
        (None, None) => owner.object_id.clone(),
    }
}

/// The plan's warnings, worded, in the order readers see them: sorted by their text, each once.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let mut texts: Vec<String> = plan.warnings.iter().map(warning_text).collect();
    texts.sort();
    texts.dedup();
    texts
}

/// Whether the operation takes something away from the tenant.
fn removes(operation: &Operation) -> bool {
    matches!(
        operation,
        Operation::DeleteApplication { .. }
            | Operation::DeleteServicePrincipal { .. }
            | Operation::RemoveOwner { .. }
            | Operation::RemoveSecret { .. }
            | Operation::RevokeAppRole { .. }
            | Operation::RevokeGrant { .. }
            | Operation::DeleteRoleAssignment { .. }
            | Operation::DeleteFederatedCredential { .. }
            | Operation::RemoveServicePrincipalPassword { .. }
            | Operation::RemoveServicePrincipalKey { .. }
            | Operation::RemoveServicePrincipalOwner { .. }
    )
}

/// Whether a change destroys something a reviewer must agree to lose: a delete (of an
/// application, service principal, owner, credential, consent or role assignment), a
/// replacement, a rotation that removes the current credential at once (no overlap), or an
/// update of delegated consent that revokes scopes.
pub(crate) fn is_destructive(change: &ResourceChange) -> bool {
    if change.address.component == Component::References {
        return false;
    }
    match change.action {
        Action::Delete | Action::Replace => true,
        Action::Rotate => change.operations.iter().any(removes),
        Action::Update => !revoked_scopes(change).is_empty(),
        _ => false,
    }
}

/// The scopes an update of delegated admin consent takes away (its `before` scopes that are
/// not among its `after` ones).
pub(crate) fn revoked_scopes(change: &ResourceChange) -> Vec<String> {
    if !matches!(change.address.component, Component::DelegatedConsent { .. }) {
        return Vec::new();
    }
    let scopes = |side: Option<&serde_json::Value>| -> Vec<String> {
        side.and_then(|value| value.get("scopes"))
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let after = scopes(change.after.as_ref());
    scopes(change.before.as_ref())
        .into_iter()
        .filter(|scope| !after.contains(scope))
        .collect()
}

/// What a plan would do: `1 to add, 2 to change, 0 to destroy.`
pub fn planned_counts(tally: &Tally) -> String {
    format!(
        "{} to add, {} to change, {} to destroy.",
        tally.add, tally.change, tally.destroy
    )
}

/// What an apply did: `Resources: 1 added, 2 changed, 0 destroyed.`
pub fn applied_counts(tally: &Tally) -> String {
    format!(
        "Resources: {} added, {} changed, {} destroyed.",
        tally.add, tally.change, tally.destroy
    )
}

/// The object an address component names, as prose calls it: `secret`, `federated credential`,
/// `admin consent`, ...
pub(crate) fn object_noun(component: &Component) -> &'static str {
    match component {
        Component::Application => "application",
        Component::ServicePrincipal => "service principal",
        Component::Owner(_) => "owner",
        Component::Secret { .. } => "secret",
        Component::Certificate { .. } => "certificate",
        Component::FederatedCredential(_) => "federated credential",
        Component::Consent { .. } => "admin consent",
        Component::DelegatedConsent { .. } => "delegated admin consent",
        Component::RoleAssignment { .. } => "role assignment",
        Component::References => "references",
        Component::ServicePrincipalOwner(_) => "service principal owner",
        Component::ServicePrincipalSecret { .. } => "service principal secret",
        Component::ServicePrincipalCertificate { .. } => "service principal certificate",
    }
}

/// A duration as the manifest writes it: `7d`, `12h`, `90m`, `30s`.
pub(crate) fn duration_text(duration: Duration) -> String {
    let seconds = duration.whole_seconds();
    if seconds != 0 && seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds != 0 && seconds % 3_600 == 0 {
        format!("{}h", seconds / 3_600)
    } else if seconds != 0 && seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// `expires in 12 days`, `expires in 5 hours`, `expired 3 days ago`.
pub(crate) fn expires_text(remaining: Duration) -> String {
    let days = remaining.whole_days();
    let hours = remaining.whole_hours();
    if remaining.is_negative() {
        let ago = -remaining;
        if ago.whole_days() >= 1 {
            format!("expired {} ago", plural_unit(ago.whole_days(), "day"))
        } else {
            format!("expired {} ago", plural_unit(ago.whole_hours(), "hour"))
        }
    } else if days >= 1 {
        format!("expires in {}", plural_unit(days, "day"))
    } else {
        format!("expires in {}", plural_unit(hours, "hour"))
    }
}

fn plural_unit(count: i64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}
