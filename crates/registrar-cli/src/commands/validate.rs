//! `registrar validate`: offline checks of manifests, every error at once with file:line:col.

use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, ManifestInputs, ValidateArgs};
use crate::commands::Outcome;
use crate::output::AlreadyReported;

pub(crate) fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<Outcome> {
    let mut failed = false;
    for set in manifest_sets(&args.paths) {
        match load_manifests(&set, &args.inputs) {
            Ok(loaded) => {
                if !global.quiet {
                    let applications = loaded.desired.applications.len();
                    let files = loaded.files.len();
                    eprintln!(
                        "{}: valid, {applications} application{} in {files} file{}",
                        describe(&set),
                        if applications == 1 { "" } else { "s" },
                        if files == 1 { "" } else { "s" },
                    );
                }
            }
            Err(_) => failed = true,
        }
    }
    if failed {
        Err(AlreadyReported.into())
    } else {
        Ok(Outcome::Success)
    }
}

fn describe(set: &[PathBuf]) -> String {
    set.iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn has_manifest_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let path = entry.path();
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml")
        })
    })
}

/// Groups the arguments into manifest sets. Files and directories holding manifests form one
/// set, as `plan` would read them. A directory holding no manifest of its own but
/// subdirectories that do (like `examples/`) stands for one set per such subdirectory, so
/// `registrar validate examples/` checks every example on its own.
pub(crate) fn manifest_sets(paths: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut direct = Vec::new();
    let mut sets = Vec::new();
    for path in paths {
        if path.is_dir() && !has_manifest_files(path) {
            let nested = nested_sets(path);
            if nested.is_empty() {
                // Let the loader say that the directory holds no manifest.
                direct.push(path.clone());
            } else {
                sets.extend(nested);
            }
        } else {
            direct.push(path.clone());
        }
    }
    if !direct.is_empty() {
        sets.insert(0, direct);
    }
    sets
}

/// One set per directory below `dir` that holds manifests, searching depth-first in name order.
fn nested_sets(dir: &Path) -> Vec<Vec<PathBuf>> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|child| child.is_dir())
                .collect()
        })
        .unwrap_or_default();
    children.sort();
    let mut sets = Vec::new();
    for child in children {
        if has_manifest_files(&child) {
            sets.push(vec![child]);
        } else {
            sets.extend(nested_sets(&child));
        }
    }
    sets
}

/// Loads and validates manifests, printing warnings and (on failure) every diagnostic to
/// stderr. The one place commands read manifests.
pub(crate) fn load_manifests(
    paths: &[PathBuf],
    inputs: &ManifestInputs,
) -> anyhow::Result<registrar_manifest::Loaded> {
    let variables = variables(inputs)?;
    let vars = |name: &str| variables.get(name);
    let options = registrar_manifest::LoadOptions {
        vars: &vars,
        secret_dir: inputs.secret_dir.as_deref(),
    };
    match registrar_manifest::load_with(paths, &options) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            Ok(loaded)
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            Err(AlreadyReported.into())
        }
    }
}

/// The manifest variables of this run: `--var`, then `--var-file`, then `REGISTRAR_VAR_*` (the
/// only environment variables a manifest can read). Errors never show a value.
fn variables(inputs: &ManifestInputs) -> anyhow::Result<registrar_manifest::Variables> {
    let mut variables = registrar_manifest::Variables::new(|name| std::env::var(name).ok());
    for assignment in &inputs.vars {
        variables
            .set(assignment)
            .map_err(|message| crate::output::Hinted {
                message,
                hint: "write `--var NAME=value`; the manifest reads it as `${var.NAME}`".to_owned(),
            })?;
    }
    for file in &inputs.var_files {
        if let Err(diagnostics) = variables.read_file(file) {
            eprintln!("{diagnostics}");
            return Err(AlreadyReported.into());
        }
    }
    Ok(variables)
}
