//! The wording of the permission review ([`crate::review`]): one line per permission for the
//! text plan, a table and the high-privilege list for the markdown plan.

use crate::review::{
    AdminConsentNeed, ConsentByApply, PermissionChange, PermissionChangeKind, permission_review,
};
use registrar_catalog::PermissionKind;

/// `+` added, `-` removed, `~` consent only.
pub(crate) fn glyph(entry: &PermissionChange) -> char {
    match entry.change {
        PermissionChangeKind::Added => '+',
        PermissionChangeKind::Removed => '-',
        PermissionChangeKind::ConsentOnly => '~',
    }
}

pub(crate) fn kind(entry: &PermissionChange) -> &'static str {
    match entry.kind {
        PermissionKind::Application => "application",
        PermissionKind::Delegated => "delegated",
    }
}

/// `needs admin consent, granted by this apply`, `no admin consent needed`, ...
pub(crate) fn consent(entry: &PermissionChange) -> String {
    let need = match entry.admin_consent {
        AdminConsentNeed::Required => "needs admin consent",
        AdminConsentNeed::NotRequired => "no admin consent needed",
        AdminConsentNeed::Unknown => "admin consent as the API says",
    };
    let by_apply = match (entry.consent, entry.change) {
        (ConsentByApply::Granted, _) => ", granted by this apply",
        (ConsentByApply::Revoked, _) => ", consent revoked by this apply",
        (ConsentByApply::Unchanged, PermissionChangeKind::Added) => ", not granted by this apply",
        (ConsentByApply::Unchanged, _) => "",
    };
    format!("{need}{by_apply}")
}

/// `privilege tier critical`, `high` or `none`.
pub(crate) fn tier(entry: &PermissionChange) -> &'static str {
    entry.tier.map_or("none", |tier| tier.as_str())
}

/// `application.web: User.Read on Microsoft Graph (delegated; no admin consent needed;
/// privilege tier none)`.
pub(crate) fn line(entry: &PermissionChange) -> String {
    format!(
        "application.{}: {} on {} ({}; {}; privilege tier {})",
        entry.application,
        entry.permission,
        entry.resource,
        kind(entry),
        consent(entry),
        tier(entry)
    )
}

/// The API permission changes of `plan`, one line each with its glyph; empty when there are
/// none.
pub fn permission_review_text(plan: &crate::Plan) -> String {
    permission_review(plan)
        .iter()
        .map(|entry| format!("{} {}\n", glyph(entry), line(entry)))
        .collect()
}
