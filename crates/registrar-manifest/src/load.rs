//! Loading: paths -> files -> located trees -> typed manifests -> validation -> desired state.
//!
//! [`load`] reads every file named (a directory means every `*.yaml` / `*.yml` directly in it,
//! sorted by name; subdirectories are not read), and carries on past problems so that one run
//! reports everything: a file that cannot be read or parsed is reported and skipped, every
//! unknown key is reported, and each application is deserialized on its own, so a type error
//! in one does not hide the others' errors.
//!
//! Per file: read (`file`: at most [`crate::node::MAX_FILE_BYTES`], UTF-8), parse into a located
//! tree, report duplicate keys, interpolate `${var.NAME}`, deserialize the header (version,
//! namespace, tenant, defaults) and each application into a `ManifestFile`. Then
//! [`crate::validate`] checks all of them together and hands on what it parsed, and `convert`
//! builds the [`DesiredState`] from that, reading certificate files. This module is the only
//! one that calls both. Last, every diagnostic is rewritten so that it shows the `${var.…}`
//! expressions the files wrote instead of the values they gave
//! ([`crate::interpolate::Interpolations`]).

use std::path::{Path, PathBuf};

use registrar_model::{DesiredState, Located, Origin};

use crate::de::{Ctx, from_node};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::file::{ManifestFile, expand_paths, read_text, too_large};
use crate::interpolate::{Interpolations, Vars, interpolate_tree};
use crate::node::{self, MAX_FILE_BYTES, Node, Value};
use crate::types::{Application, Manifest};
use crate::validated::Validated;

/// A manifest that loaded: the desired state, the files it came from, and warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated desired state, defaults merged.
    pub desired: DesiredState,
    /// Every manifest file read, in the order read.
    pub files: Vec<PathBuf>,
    /// Every certificate file the manifests name, as read (resolved against the naming
    /// manifest's directory), in the order read, without duplicates.
    pub certificate_files: Vec<PathBuf>,
    /// Things that look unintended but are allowed.
    pub warnings: Vec<Diagnostic>,
}

/// How a load reads its inputs beyond the manifest files.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    /// Looks up `${var.NAME}` by NAME; the CLI passes [`crate::Variables::get`], tests a fixed
    /// map. It is never asked for anything but a variable name.
    pub vars: &'a dyn Fn(&str) -> Option<String>,
    /// The directory file secret stores are relative to (`--secret-dir`); `None`: each
    /// manifest file's own directory. A store path may not leave it.
    pub secret_dir: Option<&'a Path>,
}

impl std::fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("secret_dir", &self.secret_dir)
            .finish_non_exhaustive()
    }
}

/// Loads, validates and merges the manifests at `paths` (files or directories).
///
/// `vars` looks up variables for `${var.NAME}` interpolation by NAME; the CLI passes the
/// lookup of a [`crate::Variables`], tests pass a fixed map. File secret stores are relative to
/// each manifest's directory ([`load_with`] takes another root).
///
/// # Errors
/// Every error found, with the warnings, in file, line and column order.
pub fn load(
    paths: &[PathBuf],
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, Diagnostics> {
    load_with(
        paths,
        &LoadOptions {
            vars,
            secret_dir: None,
        },
    )
}

/// [`load`] with every option.
///
/// # Errors
/// As [`load`].
pub fn load_with(paths: &[PathBuf], options: &LoadOptions<'_>) -> Result<Loaded, Diagnostics> {
    let mut diagnostics = Vec::new();
    if paths.is_empty() {
        diagnostics.push(
            Diagnostic::error(Origin::default(), "no manifest given")
                .with_hint("pass a manifest file or a directory of them"),
        );
    }
    let file_paths = expand_paths(paths, &mut diagnostics);
    let mut files = Vec::new();
    let mut interpolations = Interpolations::default();
    for path in &file_paths {
        match read_text(path) {
            Ok(text) => files.extend(load_text(
                path,
                &text,
                options,
                &mut interpolations,
                &mut diagnostics,
            )),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    finish(files, file_paths, diagnostics, interpolations)
}

/// Loads one manifest given as text, as if read from `path` (which names it in diagnostics and
/// anchors its relative paths; it is not read). For tests and tools that hold YAML in memory.
///
/// # Errors
/// As [`load`].
pub fn load_str(
    path: &Path,
    text: &str,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, Diagnostics> {
    load_str_with(
        path,
        text,
        &LoadOptions {
            vars,
            secret_dir: None,
        },
    )
}

/// [`load_str`] with every option.
///
/// # Errors
/// As [`load`].
pub fn load_str_with(
    path: &Path,
    text: &str,
    options: &LoadOptions<'_>,
) -> Result<Loaded, Diagnostics> {
    let mut diagnostics = Vec::new();
    let mut interpolations = Interpolations::default();
    let files = load_text(path, text, options, &mut interpolations, &mut diagnostics)
        .into_iter()
        .collect();
    finish(files, vec![path.to_path_buf()], diagnostics, interpolations)
}

fn finish(
    files: Vec<ManifestFile>,
    file_paths: Vec<PathBuf>,
    mut diagnostics: Vec<Diagnostic>,
    interpolations: Interpolations,
) -> Result<Loaded, Diagnostics> {
    let stand_ins: Vec<&Origin> = files.iter().flat_map(|file| &file.stand_ins).collect();
    let Validated {
        diagnostics: findings,
        applications,
    } = crate::validate::validate(&files);
    diagnostics.extend(
        findings
            .into_iter()
            .filter(|diagnostic| !stand_ins.contains(&&diagnostic.origin)),
    );
    let mut certificate_files = Vec::new();
    let desired = crate::convert::convert(
        &files,
        &applications,
        &mut certificate_files,
        &mut diagnostics,
    );
    let interpolations = interpolations.finish();
    for diagnostic in &mut diagnostics {
        interpolations.redact_diagnostic(diagnostic);
    }
    let mut diagnostics = Diagnostics(diagnostics);
    diagnostics.sort();
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(Loaded {
        desired,
        files: file_paths,
        certificate_files,
        warnings: diagnostics.0,
    })
}

fn load_text(
    path: &Path,
    text: &str,
    options: &LoadOptions<'_>,
    interpolations: &mut Interpolations,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ManifestFile> {
    let vars: Vars<'_> = options.vars;
    let shown = path.display().to_string();
    if text.len() as u64 > MAX_FILE_BYTES {
        diagnostics.push(too_large(path));
        return None;
    }
    let mut root = match node::parse(text, &shown) {
        Ok(root) => root,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    if root.as_map().is_none() {
        diagnostics.push(
            Diagnostic::error(
                root.origin(&shown),
                format!(
                    "expected a mapping at the top of the manifest, found {}",
                    root.describe()
                ),
            )
            .with_hint("a manifest starts with `version: 1`, `namespace: …` and `applications:`"),
        );
        return None;
    }
    node::check_duplicate_keys(&mut root, &shown, diagnostics);
    interpolate_tree(&mut root, &shown, text, vars, interpolations, diagnostics);

    let Value::Map(entries) = &mut root.value else {
        return None;
    };
    let applications_node = entries
        .iter()
        .position(|(key, _)| key.scalar_text() == Some("applications"))
        .map(|index| entries.remove(index).1);

    let ctx = Ctx::new(&shown);
    let header = match from_node::<Manifest>(&root, &ctx) {
        Ok(header) => Some(header),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    };
    let applications =
        applications_node.map_or_else(Vec::new, |node| load_applications(&node, &ctx, diagnostics));
    diagnostics.extend(ctx.errors.into_inner());
    let stand_ins = ctx.stand_ins.into_inner();
    let dir = ManifestFile::dir_of(path);
    Some(ManifestFile {
        shown,
        secret_root: options
            .secret_dir
            .map_or_else(|| dir.clone(), Path::to_path_buf),
        dir,
        header,
        applications,
        stand_ins,
    })
}

fn load_applications(
    node: &Node,
    ctx: &Ctx<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(Located<String>, Option<Application>)> {
    let Some(entries) = node.as_map() else {
        if node.scalar_text().is_some_and(str::is_empty) {
            return Vec::new();
        }
        diagnostics.push(
            Diagnostic::error(
                node.origin(ctx.file),
                format!(
                    "expected a mapping of applications by key, found {}",
                    node.describe()
                ),
            )
            .with_hint("write `applications:` then each application's key, e.g. `  my-api:`"),
        );
        return Vec::new();
    };
    let mut applications = Vec::new();
    for (key_node, value) in entries {
        let Some(key) = key_node.scalar_text() else {
            diagnostics.push(Diagnostic::error(
                key_node.origin(ctx.file),
                "an application key must be a name",
            ));
            continue;
        };
        let key = Located {
            value: key.to_owned(),
            origin: key_node.origin(ctx.file),
        };
        let application = match from_node::<Application>(value, ctx) {
            Ok(application) => Some(application),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                None
            }
        };
        applications.push((key, application));
    }
    applications
}
