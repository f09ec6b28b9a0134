//! What validation hands to conversion: every application that deserialized, with the values
//! validation parsed or resolved while checking it (a secret's durations with defaults merged,
//! its store with the path resolved), so that `convert` uses them instead of parsing again.
//!
//! The values are only used when there are no errors; where a value did not check out (the
//! error is reported) a stand-in is carried (the built-in duration, no store).

use registrar_model::{Located, SecretStoreLocation};
use time::Duration;

use crate::diagnostics::Diagnostic;
use crate::file::ManifestFile;
use crate::types::Application;

/// The outcome of validating a manifest's files.
#[derive(Debug)]
pub(crate) struct Validated<'a> {
    /// Every error and warning found.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The applications that deserialized, file by file in document order.
    pub(crate) applications: Vec<ValidatedApplication<'a>>,
}

/// One application and what validation found out about it.
#[derive(Debug)]
pub(crate) struct ValidatedApplication<'a> {
    /// Its key, where written.
    pub(crate) key: &'a Located<String>,
    /// The application as written.
    pub(crate) app: &'a Application,
    /// The file it is written in (for its `defaults:` and its directory).
    pub(crate) file: &'a ManifestFile,
    /// Its `secrets`, in document order.
    pub(crate) secrets: Vec<ValidatedSecret<'a>>,
}

/// A client secret's terms, defaults merged.
#[derive(Debug)]
pub(crate) struct ValidatedSecret<'a> {
    /// Its name, where written.
    pub(crate) name: &'a Located<String>,
    /// The lifetime of a new credential.
    pub(crate) lifetime: Duration,
    /// How long before expiry it rotates.
    pub(crate) rotate_before: Duration,
    /// How long the previous credential stays after a rotation, if written.
    pub(crate) overlap: Option<Duration>,
    /// Where it is delivered; `None` when the store is invalid (reported).
    pub(crate) store: Option<SecretStoreLocation>,
}
