//! The wording every renderer (and the CLI) shares: plan warnings, the counts of a plan and
//! of an apply, durations and expiry times, and the nouns for each kind of object.

use time::Duration;

use crate::model::{Component, Plan, PlanWarning, Tally};
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
        PlanWarning::SignedInServicePrincipalOwnerKept { owner, object_id } => format!(
            "{owner}: the signed-in principal ({object_id}) owns the service principal but the manifest does not list it; it is kept, since removing it could lock this client out (list it under servicePrincipal.owners to silence this)",
        ),
    }
}

/// The plan's warnings, worded, in the order readers see them: sorted by their text, each once.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let mut texts: Vec<String> = plan.warnings.iter().map(warning_text).collect();
    texts.sort();
    texts.dedup();
    texts
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
