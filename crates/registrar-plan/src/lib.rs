//! The pure planner of Registrar: the desired state (a validated manifest) and a live snapshot
//! of the tenant go in, a [`Plan`] comes out; [`render`] words it as text, JSON or Markdown.
//!
//! # Brief overview
//! - [`plan()`] diffs a [`registrar_model::DesiredState`] against a [`registrar_model::LiveTenant`]
//!   at a given `now`, resolving what needs the tenant (owners, permission names, role names,
//!   other applications' appIds) and returning every resolution error at once ([`PlanErrors`]).
//! - [`Plan`] is a sorted list of [`ResourceChange`]s, each with an [`Address`], an [`Action`],
//!   an optional UI-only [`ActionReason`], before/after attribute values, what is known only
//!   after apply, dependencies, and the [`registrar_model::Operation`]s apply runs; and
//!   [`PlanWarning`]s, notes that change nothing. [`Tally`] counts actions for the summary line
//!   and for the apply report alike.
//! - [`render::text()`], [`render::json()`] (a versioned [`render::PlanDocument`]) and
//!   [`render::markdown`] are pure functions of a plan.
//! - [`drift::drift()`] reads a plan the other way round, as how the tenant differs from the
//!   manifest, with every credential's expiry: a [`drift::DriftReport`], worded by
//!   [`render::drift`].
//! - [`saved`]: the saved plan (`plan -o FILE`), a versioned document converted by hand both
//!   ways, with the fingerprints of the live objects it read and the staleness check.
//!
//! ```
//! use registrar_model::{DesiredApplication, DesiredState, LiveTenant, PlainSettings};
//! use registrar_plan::{PlanOptions, plan};
//!
//! let desired = DesiredState {
//!     namespace: "platform".into(),
//!     applications: vec![DesiredApplication {
//!         key: "dicom-client".into(),
//!         plain: PlainSettings {
//!             display_name: "DICOM client".into(),
//!             sign_in_audience: "AzureADMyOrg".into(),
//!             ..Default::default()
//!         },
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//! let now = time::macros::datetime!(2026-01-01 0:00 UTC);
//! let plan = plan(&desired, &LiveTenant::default(), now, &PlanOptions::default()).unwrap();
//! let summary = plan.summary();
//! assert_eq!((summary.add, summary.change, summary.destroy), (1, 0, 0));
//! ```
//!
//! # Invariants
//! - Pure: no I/O, no clock, no environment, no async, no HTTP types. `now` and the options are
//!   arguments; the catalog is compiled-in data.
//! - Deterministic: the plan does not depend on the order of the live snapshot's lists.
//! - No secret value ever enters this crate: secrets are planned by name, keyId and dates.
//! - The plan is data: reasons and warnings are typed, and only [`render`] words them.
//! - `Plan` has no serde derives; the wire shapes are [`render::PlanDocument`] and
//!   [`saved::SavedPlan`], converted by hand.

mod consent;
mod credentials;
pub mod drift;
mod error;
mod model;
mod planner;
mod rbac;
pub mod render;
pub mod review;
pub mod saved;
mod settings;
mod values;

pub use error::{OwnerSummary, PlanError, PlanErrors, PlanProblem, PolicyViolation};
pub use model::{
    Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange, Tally,
};
pub use planner::PlanOptions;

use registrar_model::{DesiredState, LiveTenant};
use time::OffsetDateTime;

/// Plans the changes that make `live` match `desired` at `now`.
///
/// Returns every plan-time resolution error at once (unknown owners, permissions, resources,
/// roles and client applications, pinned appIds that are not in the tenant), each with its
/// origin.
pub fn plan(
    desired: &DesiredState,
    live: &LiveTenant,
    now: OffsetDateTime,
    options: &PlanOptions,
) -> Result<Plan, PlanErrors> {
    planner::Planner::new(desired, live, now, options).run()
}
