//! The reverse mapping of `registrar import`: applications read from the tenant (a
//! [`LiveTenant`] as `registrar_azure::read_for_import` builds it) to a manifest v1 document,
//! as YAML text with comments, plus the certificate files it names.
//!
//! Pure: no I/O, no clock. Names come from the catalog and from the tenant's service principals
//! (permissions by value, Azure roles by name); a GUID is written only where no name exists, with
//! a comment saying so. Every application is pinned by appId. What cannot be read back is said in
//! comments: a client secret's value (its entry is written commented out, with its display name,
//! expiry and a `store:` to fill in), and a certificate whose public key Graph did not return.
//!
//! It does not decide where files go or whether they may be overwritten; the CLI does.

mod application;
mod yaml;

use std::collections::BTreeSet;

use registrar_model::names::{is_app_key, is_namespace, slug};
use registrar_model::{LiveApplication, LiveTenant};

use crate::application::AppWriter;
use crate::yaml::Yaml;

/// The prefix of every namespace marker tag (`registrar:<namespace>`).
const MARKER_PREFIX: &str = "registrar:";

/// The namespace an import writes when none is given and the applications carry no single one.
pub const DEFAULT_NAMESPACE: &str = "imported";

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The manifest's namespace; `None` picks the one marker all applications carry, else
    /// [`DEFAULT_NAMESPACE`].
    pub namespace: Option<String>,
    /// Import applications that carry another namespace's marker tag too.
    pub force: bool,
    /// The directory certificate files are written to, relative to the manifest (`certs`).
    pub certificate_dir: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            namespace: None,
            force: false,
            certificate_dir: "certs".to_owned(),
        }
    }
}

/// One imported application: its manifest key and its `applications:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedApplication {
    /// The manifest key.
    pub key: String,
    /// appId.
    pub app_id: String,
    /// The YAML of its entry under `applications:` (indented by two spaces).
    pub entry: String,
}

/// A certificate file to write beside the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFile {
    /// The path relative to the manifest, as the manifest names it.
    pub path: String,
    /// The PEM text.
    pub pem: String,
}

/// What an import produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedManifest {
    /// The namespace written.
    pub namespace: String,
    /// The applications, in the order read.
    pub applications: Vec<ImportedApplication>,
    /// The certificate files the manifest names.
    pub certificates: Vec<CertificateFile>,
    /// Things the user should know (one line each), e.g. secrets whose store is to be filled in.
    pub notes: Vec<String>,
}

impl ImportedManifest {
    /// One manifest with every application.
    pub fn document(&self) -> String {
        let mut out = self.header();
        for app in &self.applications {
            out.push_str(&app.entry);
        }
        out
    }

    /// One manifest per application, `(file name, text)`: `<key>.yaml`, each with the header
    /// (files of one directory must agree on version and namespace).
    pub fn files(&self) -> Vec<(String, String)> {
        self.applications
            .iter()
            .map(|app| {
                (
                    format!("{}.yaml", app.key),
                    format!("{}{}", self.header(), app.entry),
                )
            })
            .collect()
    }

    fn header(&self) -> String {
        format!(
            "# Written by `registrar import`. `registrar plan` on it shows no changes, except for the\n\
             # client secrets, whose values cannot be read back: each is commented out below (so\n\
             # plan lists it as an undeclared secret to remove) until you uncomment it and fill in\n\
             # its `store:`. Do not apply before that.\n\
             version: 1\n\
             namespace: {}\n\
             applications:\n",
            self.namespace
        )
    }
}

/// Why an import was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The application carries another namespace's marker tag (and `force` is off).
    ManagedElsewhere {
        /// Its display name.
        display_name: String,
        /// Its appId.
        app_id: String,
        /// The other namespace.
        namespace: String,
    },
    /// The namespace given is not `[a-z0-9-]{1,32}`.
    InvalidNamespace(String),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ManagedElsewhere {
                display_name,
                app_id,
                namespace,
            } => write!(
                f,
                "application `{display_name}` ({app_id}) is managed by namespace `{namespace}` (tag `registrar:{namespace}`)"
            ),
            Self::InvalidNamespace(namespace) => {
                write!(f, "`{namespace}` is not a namespace ([a-z0-9-]{{1,32}})")
            }
        }
    }
}

impl std::error::Error for ImportError {}

fn markers(app: &LiveApplication) -> Vec<&str> {
    app.settings
        .plain
        .tags
        .iter()
        .filter_map(|tag| tag.strip_prefix(MARKER_PREFIX))
        // `registrar:<namespace>:protect` records protection; it is no namespace's marker.
        .filter(|namespace| is_namespace(namespace))
        .collect()
}

/// The namespace to write: the one given, else the single marker every application carries.
fn pick_namespace(live: &LiveTenant, options: &ImportOptions) -> String {
    if let Some(namespace) = &options.namespace {
        return namespace.clone();
    }
    let found: BTreeSet<&str> = live.applications.iter().flat_map(markers).collect();
    let all_marked = live.applications.iter().all(|app| markers(app).len() == 1);
    match (found.len(), all_marked) {
        (1, true) => found
            .into_iter()
            .next()
            .filter(|namespace| is_namespace(namespace))
            .unwrap_or(DEFAULT_NAMESPACE)
            .to_owned(),
        _ => DEFAULT_NAMESPACE.to_owned(),
    }
}

/// The key of each application: its unique name's key when it is `<namespace>.<key>`, else a
/// slug of its display name (else `app-<appId>`), made unique with `-2`, `-3`, ...
fn keys(live: &LiveTenant, namespace: &str) -> Vec<String> {
    let prefix = format!("{namespace}.");
    let mut used: BTreeSet<String> = BTreeSet::new();
    // Unique names first, so they keep their key.
    let mut keys: Vec<Option<String>> = live
        .applications
        .iter()
        .map(|app| {
            app.unique_name
                .as_deref()
                .and_then(|name| name.strip_prefix(&prefix))
                .filter(|key| is_app_key(key))
                .filter(|key| used.insert((*key).to_owned()))
                .map(str::to_owned)
        })
        .collect();
    for (slot, app) in keys.iter_mut().zip(&live.applications) {
        if slot.is_some() {
            continue;
        }
        let mut base = slug(&app.settings.plain.display_name);
        if !is_app_key(&base) {
            base = format!("app-{}", app.app_id.to_ascii_lowercase());
        }
        base.truncate(60);
        let mut candidate = base.clone();
        let mut n = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        *slot = Some(candidate);
    }
    keys.into_iter().map(Option::unwrap_or_default).collect()
}

/// Maps the applications of `live` to a manifest.
///
/// # Errors
/// Every application that carries another namespace's marker (unless `options.force`), or an
/// invalid namespace.
pub fn import(
    live: &LiveTenant,
    options: &ImportOptions,
) -> Result<ImportedManifest, Vec<ImportError>> {
    let namespace = pick_namespace(live, options);
    if !is_namespace(&namespace) {
        return Err(vec![ImportError::InvalidNamespace(namespace)]);
    }
    if !options.force {
        let refused: Vec<ImportError> = live
            .applications
            .iter()
            .flat_map(|app| {
                markers(app)
                    .into_iter()
                    .filter(|other| *other != namespace)
                    .map(|other| ImportError::ManagedElsewhere {
                        display_name: app.settings.plain.display_name.clone(),
                        app_id: app.app_id.clone(),
                        namespace: other.to_owned(),
                    })
            })
            .collect();
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    let keys = keys(live, &namespace);
    let mut manifest = ImportedManifest {
        namespace: namespace.clone(),
        applications: Vec::new(),
        certificates: Vec::new(),
        notes: Vec::new(),
    };
    for (app, key) in live.applications.iter().zip(keys) {
        let mut writer = AppWriter {
            live,
            app,
            key: &key,
            namespace: &namespace,
            options,
            yaml: Yaml::default(),
            certificates: Vec::new(),
            notes: Vec::new(),
        };
        writer.write();
        manifest.applications.push(ImportedApplication {
            key: key.clone(),
            app_id: app.app_id.clone(),
            entry: writer.yaml.finish(),
        });
        manifest.certificates.extend(writer.certificates);
        manifest.notes.extend(writer.notes);
    }
    Ok(manifest)
}

/// A certificate's PEM from Graph's base64 DER `key`.
pub fn certificate_pem(der_base64: &str) -> String {
    let compact: String = der_base64.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    let bytes = compact.as_bytes();
    for line in bytes.chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests;
