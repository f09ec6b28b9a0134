//! Renderers: pure functions of a [`crate::Plan`] and options. All wording lives here.
//!
//! - [`text()`]: terraform-style text, optionally with ANSI colours.
//! - [`json()`]: the versioned [`PlanDocument`], shaped like `terraform show -json`.
//! - [`markdown()`]: a pull-request comment.

pub mod json;
mod markdown;
mod text;

pub use json::{PlanDocument, json};
pub use markdown::markdown;
pub use text::{TextOptions, text};
