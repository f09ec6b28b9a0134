//! The saved plan: a versioned document that `registrar plan -o FILE` writes and
//! `registrar apply FILE` carries out unchanged, and the check that tells whether the live
//! objects it was planned against changed since ([`stale_objects`]).
//!
//! The document holds the plan itself (every change with its operations, and the warnings), what
//! it was planned for (tenant, cloud, options), the digest of every file the manifests were read
//! from, and the [`registrar_model::fingerprints`] of every live object the plan read, each with
//! a name a user recognises. It never holds a secret value: the plan has none, and neither have
//! the fingerprints (digests of metadata).
//!
//! `Plan` has no serde derives; the types here mirror it and are converted by hand both ways.
//! The conversions destructure every plan type without `..`, so a field added to the plan is a
//! compile error here until the saved plan carries it (and [`FORMAT_VERSION`] is bumped if the
//! shape changes incompatibly).
//!
//! This module does no I/O and reads no clock: the CLI hashes the files, reads the tenant and
//! passes `created_at`.

use std::collections::BTreeMap;
use std::fmt;

use registrar_model::{Digest, LiveTenant, ObjectKey, fingerprints};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

mod convert;
mod names;
#[cfg(test)]
mod tests;

pub use convert::{
    InvalidSavedPlan, SavedAction, SavedAddress, SavedChange, SavedComponent, SavedDuration,
    SavedReason, SavedWarning, save_plan,
};
pub use names::object_name;

/// The value of [`SavedPlan::format`]: how `apply` tells a saved plan from a manifest.
pub const FORMAT_MARKER: &str = "registrar-saved-plan";

/// The version of the saved plan's shape. `apply` refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// A saved plan, as written to its file (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`FORMAT_MARKER`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of Registrar that planned it.
    pub registrar_version: String,
    /// The planner's `now`.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The tenant and cloud it was planned against.
    pub target: SavedTarget,
    /// The plan options.
    pub options: SavedOptions,
    /// The manifests it was planned from.
    pub manifests: SavedManifests,
    /// The manifests' namespace (for naming the live objects).
    pub namespace: String,
    /// Every change, sorted by address, with the operations apply runs.
    pub changes: Vec<SavedChange>,
    /// The plan's warnings.
    #[serde(default)]
    pub warnings: Vec<SavedWarning>,
    /// The fingerprint of every live object the plan read, sorted by key.
    pub live_objects: Vec<SavedObject>,
}

/// Where a plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTarget {
    /// The tenant id.
    pub tenant_id: String,
    /// `local`, or the Azure cloud (`public`, `usgov`, `china`).
    pub cloud: String,
    /// Whether it was the local tenant.
    pub local: bool,
}

/// The options the plan was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// `--prune`.
    pub prune: bool,
}

/// The manifests a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedManifests {
    /// The paths given on the command line, as given.
    pub paths: Vec<String>,
    /// Every file read (manifests, then certificates), with its SHA-256.
    pub files: Vec<SavedFile>,
    /// SHA-256 over the files' paths and digests, in order ([`manifest_digest`]).
    pub digest: Digest,
    /// SHA-256 of the desired state the manifests gave (after `${VAR}` interpolation).
    pub desired_state: Digest,
}

/// One file read, with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFile {
    /// The path, relative to the working directory when it lies below it.
    pub path: String,
    /// The SHA-256 of its bytes.
    pub sha256: Digest,
}

/// The digest of a list of files: SHA-256 over `path NUL sha256 LF` of each, in order.
pub fn manifest_digest(files: &[SavedFile]) -> Digest {
    let mut text = String::new();
    for file in files {
        text.push_str(&file.path);
        text.push('\0');
        text.push_str(&file.sha256.0);
        text.push('\n');
    }
    Digest::of_bytes(text.as_bytes())
}

/// The fingerprint of one live object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedObject {
    /// Which object.
    pub key: ObjectKey,
    /// How a user recognises it, e.g. `application hello-web (appId …): settings`.
    pub name: String,
    /// Its digest.
    pub digest: Digest,
}

/// The fingerprints of `live`, each named.
pub fn live_objects(live: &LiveTenant, namespace: &str) -> Vec<SavedObject> {
    fingerprints(live)
        .into_iter()
        .map(|(key, digest)| SavedObject {
            name: object_name(live, namespace, &key),
            key,
            digest,
        })
        .collect()
}

/// How a live object changed since the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Staleness {
    /// It exists now but did not when planned.
    Added,
    /// It existed when planned but does not now.
    Removed,
    /// Its value differs.
    Changed,
}

/// One live object that differs from what the plan read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleObject {
    /// How.
    pub staleness: Staleness,
    /// Its name (from the fresh read, or from the saved plan when it is gone).
    pub name: String,
}

impl fmt::Display for StaleObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.staleness {
            Staleness::Added => "added",
            Staleness::Removed => "removed",
            Staleness::Changed => "changed",
        };
        write!(f, "{}: {how}", self.name)
    }
}

/// The live objects that differ between the saved plan and a fresh read (`fresh`), sorted by
/// name; empty when the plan is current.
pub fn stale_objects(saved: &SavedPlan, fresh: &LiveTenant) -> Vec<StaleObject> {
    let now: BTreeMap<ObjectKey, SavedObject> = live_objects(fresh, &saved.namespace)
        .into_iter()
        .map(|object| (object.key.clone(), object))
        .collect();
    let then: BTreeMap<&ObjectKey, &SavedObject> = saved
        .live_objects
        .iter()
        .map(|object| (&object.key, object))
        .collect();
    let mut stale = Vec::new();
    for (key, object) in &then {
        match now.get(*key) {
            None => stale.push(StaleObject {
                staleness: Staleness::Removed,
                name: object.name.clone(),
            }),
            Some(current) if current.digest != object.digest => stale.push(StaleObject {
                staleness: Staleness::Changed,
                name: current.name.clone(),
            }),
            Some(_) => {}
        }
    }
    for (key, object) in &now {
        if !then.contains_key(key) {
            stale.push(StaleObject {
                staleness: Staleness::Added,
                name: object.name.clone(),
            });
        }
    }
    stale.sort_by(|a, b| (&a.name, a.staleness).cmp(&(&b.name, b.staleness)));
    stale
}
