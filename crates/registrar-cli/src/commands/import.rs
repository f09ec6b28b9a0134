//! `registrar import`: read existing applications and write a manifest for them, on stdout or
//! one file per application in `-o DIR` (with their certificates under `DIR/certs/`).
//!
//! The reading is `registrar_azure::read_for_import`, the mapping `registrar_import::import`;
//! this module only picks the selection, refuses to overwrite files without `--force` and
//! prints. On a terminal it shows how many objects are read of how many (on stderr, so a
//! manifest written to stdout stays clean).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use registrar_azure::ImportSelection;
use registrar_import::{ImportOptions, ImportedManifest};
use registrar_model::scope_root;

use crate::cli::{GlobalArgs, ImportArgs};
use crate::commands::Outcome;
use crate::output::Hinted;
use crate::progress::Progress;
use crate::target;

fn selection(args: &ImportArgs) -> ImportSelection {
    if let Some(app_id) = &args.app_id {
        ImportSelection::AppId(app_id.clone())
    } else if let Some(name) = &args.display_name {
        ImportSelection::DisplayName(name.clone())
    } else if let Some(tag) = &args.tag {
        ImportSelection::Tag(tag.clone())
    } else if args.owned_by_me {
        ImportSelection::OwnedByMe
    } else {
        ImportSelection::All
    }
}

pub(crate) fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<Outcome> {
    for scope in &args.scopes {
        if scope_root(scope).is_none() {
            return Err(Hinted {
                message: format!("`--scope {scope}` is not a subscription, resource group, resource or management group id"),
                hint: "write it like `/subscriptions/<id>` or `/providers/Microsoft.Management/managementGroups/<name>`".to_owned(),
            }
            .into());
        }
    }
    // The manifest may go to stdout; the bar is on stderr, so it stays clean either way.
    let progress = Progress::new(global, false);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let live = runtime.block_on(async {
        let target = target::connect(global).await?;
        if !global.quiet {
            eprintln!("Reading {}...", target.description);
        }
        let reading = progress.counter("Reading", "objects");
        let read = registrar_azure::read_for_import(
            &target.clients,
            &selection(&args),
            &args.scopes,
            &reading,
        )
        .await
        .with_context(|| format!("cannot read {}", target.description));
        reading.finish();
        target.close().await;
        read
    })?;
    if live.applications.is_empty() {
        return Err(Hinted {
            message: "no application matches".to_owned(),
            hint: "check the selection (`--app-id`, `--display-name`, `--tag`, `--owned-by-me`, `--all`)".to_owned(),
        }
        .into());
    }
    let options = ImportOptions {
        namespace: args.namespace.clone(),
        force: args.force,
        ..ImportOptions::default()
    };
    let manifest = registrar_import::import(&live, &options).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::Error::from(Hinted {
            message: format!("refusing to import:\n  {}", lines.join("\n  ")),
            hint: "another manifest manages it; pass `--force` to import it anyway (both manifests would then manage it), or `--namespace` that namespace".to_owned(),
        })
    })?;
    match &args.output {
        None => write_stdout(&manifest)?,
        Some(dir) => write_dir(&manifest, dir, args.force)?,
    }
    if !global.quiet {
        for note in &manifest.notes {
            eprintln!("note: {note}");
        }
        eprintln!(
            "Imported {} application(s) into namespace `{}`.",
            manifest.applications.len(),
            manifest.namespace
        );
    }
    Ok(Outcome::Success)
}

fn write_stdout(manifest: &ImportedManifest) -> anyhow::Result<()> {
    if !manifest.certificates.is_empty() {
        return Err(Hinted {
            message: format!(
                "the applications have {} certificate(s), whose files must be written beside the manifest",
                manifest.certificates.len()
            ),
            hint: "import into a directory with `-o DIR`".to_owned(),
        }
        .into());
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(manifest.document().as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}

fn write_dir(manifest: &ImportedManifest, dir: &Path, force: bool) -> anyhow::Result<()> {
    let files = manifest.files();
    let mut targets: Vec<(std::path::PathBuf, &str)> = files
        .iter()
        .map(|(name, text)| (dir.join(name), text.as_str()))
        .collect();
    targets.extend(
        manifest
            .certificates
            .iter()
            .map(|certificate| (dir.join(&certificate.path), certificate.pem.as_str())),
    );
    if !force && let Some((existing, _)) = targets.iter().find(|(path, _)| path.exists()) {
        return Err(Hinted {
            message: format!("{} already exists", existing.display()),
            hint: "import into an empty directory, or pass `--force` to overwrite".to_owned(),
        }
        .into());
    }
    for (path, text) in targets {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
