//! What applies when an application does not say: a file's `defaults:` (owners, tags, secret
//! lifetime and rotation window) merged into each of its applications, and the built-in
//! defaults behind them.
//!
//! Validation resolves a secret's durations here (its own, else the file's default, else the
//! built-in) and hands them to `convert`; `convert` merges owners and tags here. Nothing here
//! parses or reports: the durations come in parsed, as [`WrittenDuration`]s.

use registrar_model::{Located, Origin};
use time::Duration;

/// A secret's lifetime when neither it nor `defaults.secretLifetime` says.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::days(180);
/// A secret's rotation window when neither it nor `defaults.rotateBefore` says.
pub(crate) const DEFAULT_ROTATE_BEFORE: Duration = Duration::days(30);
/// The audience of federated credentials for Entra ID.
pub(crate) const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// A duration as the manifest wrote it, parsed once: where it was written, and its value, or
/// `None` when it did not parse (that error is reported where it was parsed).
pub(crate) type WrittenDuration = Located<Option<Duration>>;

/// The durations of one file's `defaults:`, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct DefaultDurations {
    /// `defaults.secretLifetime`.
    pub(crate) secret_lifetime: Option<WrittenDuration>,
    /// `defaults.rotateBefore`.
    pub(crate) rotate_before: Option<WrittenDuration>,
}

/// The duration that applies: the secret's `own`, else the file's `default`, else `builtin`,
/// located at what was written (or at `unwritten`, the secret's name, for the built-in).
pub(crate) fn applying(
    own: Option<WrittenDuration>,
    default: Option<&WrittenDuration>,
    builtin: Duration,
    unwritten: &Origin,
) -> WrittenDuration {
    own.or_else(|| default.cloned())
        .unwrap_or_else(|| Located::new(Some(builtin), unwritten.clone()))
}

/// `first` (the defaults) then the items of `second` (the application's) not already present
/// (compared by `same`).
pub(crate) fn merged<T: Clone>(first: &[T], second: &[T], same: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(first.len() + second.len());
    for item in first.iter().chain(second) {
        if !out.iter().any(|seen| same(seen, item)) {
            out.push(item.clone());
        }
    }
    out
}
