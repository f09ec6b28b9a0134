//! A manifest file and the paths around it: which files a list of paths names (a directory
//! means the `*.yaml` / `*.yml` files directly in it), reading one file's text within the
//! limits, the [`ManifestFile`] a file becomes once deserialized, and resolving the paths a
//! manifest writes (relative to its own directory).
//!
//! It does not parse or check anything: `load` turns the text into a [`ManifestFile`],
//! `validate` and `convert` read it.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use registrar_model::{Located, Origin};

use crate::diagnostics::Diagnostic;
use crate::node::MAX_FILE_BYTES;
use crate::types::{Application, Defaults, Manifest};

/// One file after deserialization.
#[derive(Debug)]
pub(crate) struct ManifestFile {
    /// `path` as origins show it.
    pub(crate) shown: String,
    /// The directory relative paths in this file are relative to.
    pub(crate) dir: PathBuf,
    /// The directory file secret stores are relative to and may not leave: `dir`, or
    /// `--secret-dir`.
    pub(crate) secret_root: PathBuf,
    /// `version`, `namespace`, `tenant`, `defaults` (its `applications` left empty); `None` when
    /// they did not deserialize (the error is reported).
    pub(crate) header: Option<Manifest>,
    /// Each application key, with the application if it deserialized.
    pub(crate) applications: Vec<(Located<String>, Option<Application>)>,
    /// Places where a type error was reported and a stand-in value used; validation findings
    /// there are about the stand-in and are dropped.
    pub(crate) stand_ins: Vec<Origin>,
}

impl ManifestFile {
    /// The directory that paths written in the manifest at `path` are relative to.
    pub(crate) fn dir_of(path: &Path) -> PathBuf {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The file's `defaults:`, if it has them and its header deserialized.
    pub(crate) fn defaults(&self) -> Option<&Defaults> {
        self.header
            .as_ref()
            .and_then(|header| header.defaults.as_ref())
    }

    /// The applications that deserialized, with their keys, in document order.
    pub(crate) fn applications(&self) -> impl Iterator<Item = (&Located<String>, &Application)> {
        self.applications
            .iter()
            .filter_map(|(key, app)| app.as_ref().map(|app| (key, app)))
    }

    /// A path written in this file (`secrets.*.file.path`, `certificates.*.file`), resolved.
    pub(crate) fn resolve(&self, path: &str) -> PathBuf {
        resolve_path(&self.dir, path)
    }
}

/// Why a file secret store's path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretPathProblem {
    /// `/tmp/x.json`, `C:\x.json`.
    Absolute,
    /// `../x.json`: a `..` climbs above the root.
    Escapes,
}

impl ManifestFile {
    /// A file secret store's path: relative to [`Self::secret_root`], staying inside it
    /// (lexically; symlinks are refused when the file is read or written), resolved against the
    /// root made canonical, so that the path holds no symlink above the root and the file store
    /// can refuse every symlink on it.
    pub(crate) fn resolve_secret_path(&self, path: &str) -> Result<PathBuf, SecretPathProblem> {
        let written = Path::new(path);
        let mut inside: Vec<&std::ffi::OsStr> = Vec::new();
        for component in written.components() {
            match component {
                Component::Prefix(_) | Component::RootDir => {
                    return Err(SecretPathProblem::Absolute);
                }
                Component::CurDir => {}
                Component::ParentDir => {
                    if inside.pop().is_none() {
                        return Err(SecretPathProblem::Escapes);
                    }
                }
                Component::Normal(name) => inside.push(name),
            }
        }
        let root = canonical_prefix(&resolve_path(&self.secret_root, "."));
        Ok(inside
            .into_iter()
            .fold(root, |resolved, name| resolved.join(name)))
    }
}

/// `absolute` with its longest existing part made canonical (links resolved), the rest as is.
fn canonical_prefix(absolute: &Path) -> PathBuf {
    let mut existing = absolute.to_path_buf();
    let mut missing = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(&existing) {
            return missing
                .into_iter()
                .rev()
                .fold(canonical, |path: PathBuf, name| path.join(name));
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return absolute.to_path_buf(),
        }
    }
}

/// `path` relative to `dir` (unless absolute), made absolute against the current directory and
/// normalized lexically (`.` and `..` removed; symlinks are not resolved).
fn resolve_path(dir: &Path, path: &str) -> PathBuf {
    let joined = dir.join(path);
    let absolute = std::path::absolute(&joined).unwrap_or(joined);
    let mut normalized = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// An origin for the whole file (no line or column).
fn whole_file(path: &Path) -> Origin {
    Origin {
        file: path.display().to_string(),
        line: 0,
        column: 0,
    }
}

/// The diagnostic of a file over [`MAX_FILE_BYTES`].
pub(crate) fn too_large(path: &Path) -> Diagnostic {
    Diagnostic::error(
        whole_file(path),
        "the file is larger than 8 MiB, the limit for a manifest",
    )
    .with_hint("split the manifest into several files in one directory")
}

/// Files named directly, and the `*.yaml` / `*.yml` files directly inside directories (sorted).
pub(crate) fn expand_paths(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    whole_file(path),
                    format!("cannot read: {}", io_reason(&error)),
                ));
                continue;
            }
        };
        if !metadata.is_dir() {
            if !files.contains(path) {
                files.push(path.clone());
            }
            continue;
        }
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    whole_file(path),
                    format!("cannot read the directory: {}", io_reason(&error)),
                ));
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|entry| {
                entry.is_file()
                    && matches!(
                        entry.extension().and_then(|ext| ext.to_str()),
                        Some("yaml" | "yml")
                    )
            })
            .collect();
        found.sort();
        if found.is_empty() {
            diagnostics.push(Diagnostic::error(
                whole_file(path),
                "the directory holds no `*.yaml` or `*.yml` files",
            ));
        }
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    files
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string().to_lowercase(),
    }
}

/// Reads at most [`MAX_FILE_BYTES`] of UTF-8 (a leading byte order mark is dropped).
pub(crate) fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let file = std::fs::File::open(path).map_err(|error| {
        Diagnostic::error(
            whole_file(path),
            format!("cannot read: {}", io_reason(&error)),
        )
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            Diagnostic::error(
                whole_file(path),
                format!("cannot read: {}", io_reason(&error)),
            )
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path));
    }
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
        let line_start = valid
            .iter()
            .rposition(|byte| *byte == b'\n')
            .map_or(0, |position| position + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        Diagnostic::error(
            Origin {
                file: path.display().to_string(),
                line,
                column,
            },
            "the file is not valid UTF-8",
        )
        .with_hint("save the manifest as UTF-8")
    })
}
