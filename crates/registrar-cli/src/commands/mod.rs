//! One module per command. Each `run` returns the exit code for success paths and an error for
//! failures (exit 1), so `main` maps outcomes to exit codes in one place.

pub(crate) mod apply;
pub(crate) mod drift;
pub(crate) mod emulator;
pub(crate) mod import;
pub(crate) mod least_privilege;
pub(crate) mod lint;
pub(crate) mod plan;
pub(crate) mod saved;
pub(crate) mod schema;
pub(crate) mod validate;

use std::process::ExitCode;

/// What a successful command reports to the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 2: success, and the plan has changes (`--detailed-exitcode`).
    ChangesPresent,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::ChangesPresent => ExitCode::from(2),
        }
    }
}
