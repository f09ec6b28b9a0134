//! The normalized model that Registrar's crates share: what an application registration, its
//! service principal and its credentials look like once read from the tenant ([`live`]), the
//! comparable settings of an application ([`application`]), and the single mutations that apply
//! carries out ([`operation`]).
//!
//! # Brief overview
//! - [`desired::DesiredState`]: the manifest after parsing and offline validation, with the
//!   origin (file:line:col) of every value that the planner may still reject.
//! - [`application::ApplicationSettings`]: every manifest-managed property of an application, in
//!   one comparable shape. The planner resolves the manifest into one and diffs it against the one
//!   read from the tenant.
//! - [`live::LiveTenant`]: the snapshot read once per run — managed applications with their
//!   service principals (with their admin consent and Azure role assignments), owners and
//!   credentials; soft-deleted applications holding our unique names; the API service
//!   principals that permissions refer to; users named as owners; custom role definitions the
//!   manifest names; what the secret stores hold.
//! - [`role_assignment_name`]: the deterministic name of a role assignment, shared by the
//!   planner and the executor.
//! - [`ApplicationField`]: the application's properties as one closed list, which the wire
//!   writer and the planner match exhaustively.
//! - [`Guid`] (ids compared without case), [`PermissionKind`], [`ConsentType`],
//!   [`DirectoryObjectKind`], [`PlannedAppId`]: the values that cross crates, typed.
//! - [`fingerprints`]: one digest per live object, so a saved plan can tell what changed since.
//! - [`policy`]: the tenant's app management policies and an application's instance lock
//!   (`servicePrincipalLockConfiguration`), as read; the planner checks a plan against them.
//! - [`suggest`]: the one "did you mean" rule of validation and planning.
//! - [`names`]: the shapes of namespaces and application keys, and [`names::slug`].
//! - [`operation::Operation`]: one mutation (create an application, add an owner, add a secret,
//!   ...), the contract between `registrar-plan` (which emits them), `registrar-apply` (which
//!   orders and runs them) and `registrar-azure` (which turns each into HTTP requests).
//!
//! # Invariants
//! - Data only: no I/O, no HTTP types, no wire JSON names. Graph's camelCase shapes live in
//!   `registrar-azure`; this crate uses snake_case Rust names.
//! - No secret value is representable here: credentials carry key ids, hints and dates only.

pub mod application;
pub mod desired;
pub mod field;
pub mod fingerprint;
pub mod guid;
pub mod kinds;
pub mod live;
pub mod names;
pub mod operation;
pub mod placeholder;
pub mod policy;
pub mod suggest;

pub use application::*;
pub use desired::*;
pub use field::ApplicationField;
pub use fingerprint::{Digest, ObjectKey, fingerprints};
pub use guid::Guid;
pub use kinds::{ConsentType, DirectoryObjectKind, PermissionKind};
pub use live::*;
pub use operation::*;
pub use placeholder::{APP_ID_PLACEHOLDER, PlannedAppId};
pub use policy::*;

/// The prefix of the tag that marks an application as managed by Registrar. The full tag is
/// `registrar:<namespace>`.
pub const MARKER_TAG_PREFIX: &str = "registrar:";

/// The marker tag for a namespace, e.g. `registrar:platform`.
pub fn marker_tag(namespace: &str) -> String {
    format!("{MARKER_TAG_PREFIX}{namespace}")
}

/// The tag that records in the tenant that an application is protected (`protect: true`), e.g.
/// `registrar:platform:protect`: once the manifest no longer declares the application (and so
/// no longer says `protect`), the tag still stops `--prune` from deleting it. A namespace has no
/// `:`, so the tag can never be another namespace's marker.
pub fn protect_tag(namespace: &str) -> String {
    format!("{MARKER_TAG_PREFIX}{namespace}:protect")
}

/// The namespace of [`role_assignment_name`]'s UUIDv5 (a fixed, random GUID: changing it would
/// give every assignment Registrar creates a new name).
pub const ROLE_ASSIGNMENT_NAMESPACE: uuid::Uuid =
    uuid::uuid!("5f1d0a3c-7c2e-4f0b-9d8e-2b6a4c1e9f37");

/// The deterministic name (a GUID) Registrar gives a role assignment: UUIDv5 over
/// [`ROLE_ASSIGNMENT_NAMESPACE`] of `lowercase(scope)|lowercase(role GUID)|lowercase(principal
/// id)`, a trailing `/` of the scope ignored. The same assignment always gets the same name, so
/// a repeated create is answered 200 rather than creating a second one (docs/azure-behaviour.md, "ARM role definitions and role assignments").
pub fn role_assignment_name(scope: &str, role_definition_id: &str, principal_id: &str) -> String {
    let text = format!(
        "{}|{}|{}",
        scope.trim_end_matches('/').to_lowercase(),
        role_definition_id.to_lowercase(),
        principal_id.to_lowercase()
    );
    uuid::Uuid::new_v5(&ROLE_ASSIGNMENT_NAMESPACE, text.as_bytes()).to_string()
}

/// The Graph `uniqueName` of a managed application: `<namespace>.<key>`.
///
/// Both parts are restricted by the manifest to `[a-z0-9-]`, so the dot cannot be ambiguous.
pub fn unique_name(namespace: &str, app_key: &str) -> String {
    format!("{namespace}.{app_key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_assignment_name_is_deterministic_and_case_blind() {
        let name = role_assignment_name(
            "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001",
            "acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "5e7e1c00-0000-4000-8000-000000000001",
        );
        assert_eq!(
            name,
            role_assignment_name(
                "/SUBSCRIPTIONS/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourcegroups/RG-001/",
                "ACDD72A7-3385-48EF-BD42-F606FBA81AE7",
                "5E7E1C00-0000-4000-8000-000000000001",
            )
        );
        assert_ne!(
            name,
            role_assignment_name(
                "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002",
                "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                "5e7e1c00-0000-4000-8000-000000000001",
            )
        );
        let parsed = uuid::Uuid::parse_str(&name).expect("a GUID");
        assert_eq!(parsed.get_version_num(), 5);
    }

    #[test]
    fn scopes_roots_and_containment() {
        assert_eq!(
            scope_root(
                "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
            ),
            Some("/subscriptions/s1".to_owned())
        );
        assert_eq!(
            scope_root("/providers/Microsoft.Management/managementGroups/mg-1"),
            Some("/providers/Microsoft.Management/managementGroups/mg-1".to_owned())
        );
        assert_eq!(scope_root("/"), None);
        assert!(scope_is_within(
            "/subscriptions/S1/resourceGroups/rg",
            "/subscriptions/s1"
        ));
        assert!(scope_is_within("/subscriptions/s1", "/subscriptions/s1/"));
        assert!(!scope_is_within("/subscriptions/s10", "/subscriptions/s1"));
        assert!(same_scope("/subscriptions/S1/", "/subscriptions/s1"));
    }
}
