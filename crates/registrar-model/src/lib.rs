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
//!   service principals, owners and credentials; soft-deleted applications holding our unique
//!   names; the API service principals that permissions refer to; users named as owners; what
//!   the secret stores hold.
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
pub mod live;
pub mod operation;

pub use application::*;
pub use desired::*;
pub use live::*;
pub use operation::*;

/// The prefix of the tag that marks an application as managed by Registrar. The full tag is
/// `registrar:<namespace>`.
pub const MARKER_TAG_PREFIX: &str = "registrar:";

/// The marker tag for a namespace, e.g. `registrar:platform`.
pub fn marker_tag(namespace: &str) -> String {
    format!("{MARKER_TAG_PREFIX}{namespace}")
}

/// The Graph `uniqueName` of a managed application: `<namespace>.<key>`.
///
/// Both parts are restricted by the manifest to `[a-z0-9-]`, so the dot cannot be ambiguous.
pub fn unique_name(namespace: &str, app_key: &str) -> String {
    format!("{namespace}.{app_key}")
}
