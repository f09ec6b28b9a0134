//! `registrar validate`: offline checks of manifests, every error at once with file:line:col.

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::commands::Outcome;
use crate::output::AlreadyReported;

pub(crate) fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<Outcome> {
    let loaded = load_manifests(&args.paths)?;
    if !global.quiet {
        let applications = loaded.desired.applications.len();
        let files = loaded.files.len();
        eprintln!(
            "{} valid: {applications} application{} in {files} file{}",
            if files == 1 { "manifest is" } else { "manifests are" },
            if applications == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" },
        );
    }
    Ok(Outcome::Success)
}

/// Loads and validates manifests, printing warnings and (on failure) every diagnostic to
/// stderr. The one place commands read manifests.
pub(crate) fn load_manifests(
    paths: &[std::path::PathBuf],
) -> anyhow::Result<registrar_manifest::Loaded> {
    let env = |name: &str| std::env::var(name).ok();
    match registrar_manifest::load(paths, &env) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            Ok(loaded)
        }
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            Err(AlreadyReported.into())
        }
    }
}
