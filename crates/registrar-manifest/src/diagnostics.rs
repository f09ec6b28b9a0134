//! Diagnostics: located errors and warnings, and how a run's set of them is printed.
//!
//! Every problem a load finds becomes one [`Diagnostic`] with the [`Origin`] it is about; a load
//! that finds any error returns all of them at once as [`Diagnostics`]. The printed form is the
//! one the CLI shows (messages lower-case, no final period, literals in backticks):
//!
//! ```text
//! error: platform/apps.yaml:14:17: `User.Read` is a delegated permission of Microsoft Graph, not an application permission
//!   hint: move it to `scopes`
//!
//! 1 error in 1 file; nothing was changed
//! ```

use std::collections::BTreeSet;
use std::fmt;

use registrar_model::Origin;

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The manifest cannot be used.
    Error,
    /// The manifest can be used, but something looks unintended.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One located problem.
///
/// An origin with line 0 is about a whole file (it could not be read, say) and prints as
/// `file: message`; an origin with an empty file is about no file and prints the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where the problem is.
    pub origin: Origin,
    /// What is wrong: lower-case, no final period, literals in backticks.
    pub message: String,
    /// How to fix it, printed on a `hint:` line.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `origin`.
    pub fn error(origin: Origin, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            origin,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at `origin`.
    pub fn warning(origin: Origin, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            origin,
            message: message.into(),
            hint: None,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same diagnostic with a hint, if there is one.
    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.severity)?;
        if !self.origin.file.is_empty() {
            if self.origin.line == 0 {
                write!(f, "{}: ", self.origin.file)?;
            } else {
                write!(f, "{}: ", self.origin)?;
            }
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every diagnostic of a failed load, in file, line and column order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The errors (not the warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|diagnostic| diagnostic.is_error())
    }

    /// Whether there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Sorts by file, line and column, keeping the order of diagnostics at the same place.
    pub(crate) fn sort(&mut self) {
        self.0.sort_by(|a, b| a.origin.cmp(&b.origin));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        let n_errors = self.errors().count();
        let files: BTreeSet<&str> = self
            .errors()
            .map(|diagnostic| diagnostic.origin.file.as_str())
            .filter(|file| !file.is_empty())
            .collect();
        writeln!(f)?;
        write!(f, "{n_errors} {}", plural(n_errors, "error", "errors"))?;
        if !files.is_empty() {
            write!(
                f,
                " in {} {}",
                files.len(),
                plural(files.len(), "file", "files")
            )?;
        }
        f.write_str("; nothing was changed")
    }
}

impl std::error::Error for Diagnostics {}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The one "did you mean" of validation and planning (see [`registrar_model::suggest`]).
pub(crate) use registrar_model::suggest::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(file: &str, line: usize, column: usize) -> Origin {
        Origin {
            file: file.to_owned(),
            line,
            column,
        }
    }

    #[test]
    fn display_matches_the_contract() {
        let diagnostics = Diagnostics(vec![
            Diagnostic::error(
                origin("platform/apps.yaml", 14, 17),
                "`User.Read` is a delegated permission of Microsoft Graph, not an application permission",
            )
            .with_hint("move it to `scopes`"),
            Diagnostic::error(
                origin("platform/apps.yaml", 31, 14),
                "role assignment scope `/subscription/aaaa…` is not an ARM resource id",
            )
            .with_hint("did you mean `/subscriptions/…`?"),
        ]);
        expect_test::expect![[r#"
            error: platform/apps.yaml:14:17: `User.Read` is a delegated permission of Microsoft Graph, not an application permission
              hint: move it to `scopes`
            error: platform/apps.yaml:31:14: role assignment scope `/subscription/aaaa…` is not an ARM resource id
              hint: did you mean `/subscriptions/…`?

            2 errors in 1 file; nothing was changed"#]]
        .assert_eq(&diagnostics.to_string());
    }

    #[test]
    fn whole_file_and_no_file_origins() {
        let diagnostics = Diagnostics(vec![
            Diagnostic::error(origin("a.yaml", 0, 0), "cannot read the file"),
            Diagnostic::error(origin("", 0, 0), "no manifest given"),
        ]);
        expect_test::expect![[r#"
            error: a.yaml: cannot read the file
            error: no manifest given

            2 errors in 1 file; nothing was changed"#]]
        .assert_eq(&diagnostics.to_string());
    }
}
