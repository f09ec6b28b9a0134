//! Renderers: pure functions of a [`crate::Plan`] and options. All wording lives here.
//!
//! - [`text()`]: terraform-style text, optionally with ANSI colours; [`destructive()`]: what a
//!   plan destroys, listed on its own (shown by `apply` before approval).
//! - [`json()`]: the versioned [`PlanDocument`], shaped like `terraform show -json`.
//! - [`markdown()`]: a pull-request comment, under [`COMMENT_LIMIT`] characters.
//! - [`target_text()`], [`target_markdown()`] and [`TargetDocument`]: the header naming the
//!   tenant and the signed-in client, atop every plan and apply (the JSON plan's `target`).
//! - [`permission_review_text()`]: the API permission changes of a plan (a section of the text
//!   plan; the markdown plan also gathers them in a table and the high-privilege ones on top).
//! - [`drift`]: a [`crate::drift::DriftReport`] as text, JSON or a Markdown issue.
//! - [`problem_text()`] (a typed plan error), [`warning_text()`], [`warnings()`], [`planned_counts()`] and [`applied_counts()`]: the
//!   wording the renderers share with the CLI (which prints warnings on stderr and the apply
//!   report's counts).

pub mod drift;
pub mod json;
mod markdown;
mod policy_words;
mod review;
mod target;
mod text;
mod words;

pub use json::{JsonOptions, PlanDocument, json};
pub use markdown::{COMMENT_LIMIT, markdown};
pub use review::permission_review_text;
pub use target::{SignedInDocument, TargetDocument, target_markdown, target_text};
pub use text::{TextOptions, destructive, text};
pub use words::{applied_counts, planned_counts, problem_text, warning_text, warnings};
