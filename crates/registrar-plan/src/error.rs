//! Plan-time resolution errors: what the manifest names but the tenant (or the catalog) does not
//! have. All of them are collected and reported at once, each with its origin and a hint.

use std::fmt;

use registrar_model::Origin;

/// One plan-time error: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// Where the offending value was written.
    pub origin: Origin,
    /// What is wrong (lower-case start, no final period).
    pub message: String,
    /// What to do about it, if we can tell.
    pub hint: Option<String>,
}

impl PlanError {
    pub(crate) fn new(origin: &Origin, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            origin: origin.clone(),
            message: message.into(),
            hint,
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every plan-time error, sorted by origin. Never empty when returned by [`crate::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanErrors {
    /// The errors.
    pub errors: Vec<PlanError>,
}

impl fmt::Display for PlanErrors {
    /// `error: file:line:col: message` and `  hint: ...` lines, then `N errors; nothing was changed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        let count = self.errors.len();
        write!(
            f,
            "\n{count} error{}; nothing was changed",
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for PlanErrors {}
