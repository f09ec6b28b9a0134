//! The Registrar manifest: YAML files -> a validated [`registrar_model::DesiredState`], with
//! every problem reported at once as `file:line:col` diagnostics, and the manifest's JSON
//! Schema for editors.
//!
//! The format is `docs/manifest.md` (version 1): applications keyed by name, with their
//! redirect URIs, exposed scopes and app roles, API permissions by name, secrets delivered to
//! Key Vault or a file, certificates, federated credentials and Azure role assignments.
//!
//! # Brief overview
//! - [`load`] reads manifest files or directories (with `${var.NAME}` interpolation from an
//!   injected lookup of [`Variables`]), validates them offline and returns [`Loaded`]: the
//!   [`DesiredState`](registrar_model::DesiredState), the files read (manifests and certificates)
//!   and warnings. [`load_str`]
//!   does the same for YAML held in memory.
//! - [`Diagnostics`] is every [`Diagnostic`] of a failed load; its `Display` is what the CLI
//!   prints (`error: apps.yaml:14:17: …`, `  hint: …`, then `2 errors in 1 file; nothing was
//!   changed`).
//! - [`Manifest`] and the other [`types`] are the typed file format; [`json_schema`] is their
//!   JSON Schema.
//!
//! ```
//! use std::path::Path;
//!
//! let yaml = "
//! version: 1
//! namespace: demo
//! applications:
//!   hello-web:
//!     web: { redirectUris: [https://localhost:5001/signin-oidc] }
//!     requiredResourceAccess:
//!       - resource: Microsoft Graph
//!         roles: [User.Read]
//! ";
//! let env = |_: &str| None;
//! let errors = registrar_manifest::load_str(Path::new("apps.yaml"), yaml, &env).unwrap_err();
//! assert_eq!(
//!     errors.to_string(),
//!     "error: apps.yaml:9:17: `User.Read` is a delegated permission of Microsoft Graph, \
//!      not an application permission\n  hint: move it to `scopes`, or use the application \
//!      permission `User.Read.All`\n\n1 error in 1 file; nothing was changed"
//! );
//!
//! let fixed = yaml.replace("roles: [User.Read]", "scopes: [User.Read]");
//! let loaded = registrar_manifest::load_str(Path::new("apps.yaml"), &fixed, &env).unwrap();
//! let app = loaded.desired.application("hello-web").unwrap();
//! assert_eq!(app.required_resource_access[0].scopes[0].value, "User.Read");
//! assert_eq!(app.plain.sign_in_audience, "AzureADMyOrg");
//! ```
//!
//! # Modules
//! A load flows one way, `load` -> `validate` -> `convert`; each depends only on the modules
//! below it, never on another of the three:
//! ```text
//! load       files -> text -> located tree (node, interpolate) -> typed manifest (de, types)
//!  |-> validate   every offline rule; parses durations once, resolves secret stores
//!  '-> convert    ValidatedApplication -> DesiredState; reads certificate files (certificate)
//! below all three:
//!   file        ManifestFile, which files a path names, reading text, resolving written paths
//!   validated   what validate hands to convert (ValidatedApplication, ValidatedSecret)
//!   defaults    `defaults:` and the built-in defaults merged into each application
//!   types, named_map, duration, diagnostics, node, de
//! ```
//! Located values are [`registrar_model::Located`], the one located-value type of Registrar.
//!
//! # Invariants
//! - Never panics on input and stays bounded on hostile input: files over 8 MiB, nesting
//!   deeper than 32, alias bombs and invalid UTF-8 are located errors.
//! - A load reports everything it can find in one run; it stops early only inside a file that
//!   is not YAML, and inside one application after a type error in it.
//! - No tenant access, no clock, no environment except through the `vars` argument (and
//!   [`Variables`], which asks the environment for `REGISTRAR_VAR_*` names only). The only I/O
//!   is reading the manifest files, the certificate files they name and `--var-file`s.
//! - No diagnostic shows a variable's value: it shows the `${var.…}` expression written.
//! - The JSON Schema is generated from the same types that parse the manifest.

mod certificate;
mod convert;
mod de;
mod defaults;
mod diagnostics;
mod duration;
mod file;
mod interpolate;
mod load;
mod named_map;
mod node;
pub mod positions;
mod schema;
pub mod types;
mod validate;
mod validated;
pub mod variables;

#[cfg(test)]
mod tests;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use duration::{DurationError, parse_duration};
pub use load::{LoadOptions, Loaded, load, load_str, load_str_with, load_with};
pub use named_map::NamedMap;
pub use node::MAX_FILE_BYTES;
pub use positions::Positions;
pub use registrar_model::{Located, Origin};
pub use schema::json_schema;
pub use types::Manifest;
pub use variables::Variables;
