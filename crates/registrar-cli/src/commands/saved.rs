//! Saved plans: `plan -o FILE` writes one, `apply FILE` checks it before carrying it out
//! unchanged, `show FILE` renders it. The document is `registrar_plan::saved::SavedPlan`;
//! docs/saved-plans.md says what is checked and why.
//!
//! Every check runs before any write and fails with exit 1: the plan-format version, the cloud
//! (and local tenant or Azure), the manifests (every file read, certificates included, hashed
//! again; and the desired state they give), the tenant, and the live objects (read again for the
//! same desired state and fingerprinted).

use std::path::{Path, PathBuf};

use anyhow::Context;
use registrar_model::Digest;
use registrar_plan::Plan;
use registrar_plan::saved::{
    FORMAT_MARKER, FORMAT_VERSION, SavedFile, SavedManifests, SavedOptions, SavedPlan, SavedTarget,
    live_objects, manifest_digest, save_plan, stale_objects,
};

use crate::cli::{GlobalArgs, PlanningArgs, ShowArgs};
use crate::commands::Outcome;
use crate::commands::plan::{Planned, print_plan, read_live};
use crate::commands::validate::load_manifests;
use crate::output::Hinted;
use crate::progress::Progress;
use crate::target::{LOCAL_CLOUD, Target};

/// A saved plan larger than this is not one (64 MiB).
const MAX_SAVED_PLAN_BYTES: u64 = 64 * 1024 * 1024;

/// The hint of every refusal.
const PLAN_AGAIN: &str =
    "run `registrar plan -o FILE` again, review it, and apply the new file; nothing was changed";

/// `path` as a saved plan records it: relative to the working directory when it lies below it.
fn recorded_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Every file a load read, in order (manifests, then certificates), with its digest. `None`
/// for a file that cannot be read now.
fn hash_files(loaded: &registrar_manifest::Loaded) -> Vec<(String, Option<Digest>)> {
    loaded
        .files
        .iter()
        .chain(&loaded.certificate_files)
        .map(|path| {
            (
                recorded_path(path),
                std::fs::read(path)
                    .ok()
                    .map(|bytes| Digest::of_bytes(&bytes)),
            )
        })
        .collect()
}

fn desired_state_digest(desired: &registrar_model::DesiredState) -> anyhow::Result<Digest> {
    let bytes = serde_json::to_vec(desired).context("cannot serialize the desired state")?;
    Ok(Digest::of_bytes(&bytes))
}

/// Writes the saved plan of `planned` to `out`.
pub(crate) async fn write(
    out: &Path,
    planned: &Planned,
    planning: &PlanningArgs,
    target: &Target,
) -> anyhow::Result<()> {
    let Planned {
        plan,
        loaded,
        live,
        now,
        // The findings were shown when the plan was made; a saved plan does not carry them.
        lint: _,
    } = planned;
    let mut files = Vec::new();
    for (path, digest) in hash_files(loaded) {
        let sha256 = digest.with_context(|| format!("cannot read `{path}` to hash it"))?;
        files.push(SavedFile { path, sha256 });
    }
    let (changes, warnings) = save_plan(plan);
    let document = SavedPlan {
        format: FORMAT_MARKER.to_owned(),
        format_version: FORMAT_VERSION,
        registrar_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: *now,
        target: SavedTarget {
            tenant_id: target.tenant_id().await?,
            cloud: target.cloud.to_owned(),
            local: target.cloud == LOCAL_CLOUD,
        },
        options: SavedOptions {
            prune: planning.prune,
        },
        manifests: SavedManifests {
            paths: planning
                .paths
                .iter()
                .map(|path| path.display().to_string())
                .collect(),
            digest: manifest_digest(&files),
            files,
            desired_state: desired_state_digest(&loaded.desired)?,
        },
        namespace: loaded.desired.namespace.clone(),
        changes,
        warnings,
        live_objects: live_objects(live, &loaded.desired.namespace),
    };
    let mut text =
        serde_json::to_string_pretty(&document).context("cannot serialize the saved plan")?;
    text.push('\n');
    registrar_files::write_atomically(out, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write the saved plan to `{}`", out.display()))
}

/// The saved plan `paths` names, if it is one: a single file holding the saved-plan marker.
/// Anything else (a manifest, a directory) is `None`.
///
/// # Errors
/// A saved plan of another format version, or one that does not parse.
pub(crate) fn read_if_saved(paths: &[PathBuf]) -> anyhow::Result<Option<(PathBuf, SavedPlan)>> {
    let [path] = paths else {
        return Ok(None);
    };
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !metadata.is_file() || metadata.len() > MAX_SAVED_PLAN_BYTES {
        return Ok(None);
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(None);
    };
    if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT_MARKER) {
        return Ok(None);
    }
    let shown = path.display();
    let version = value.get("format_version");
    if version.and_then(serde_json::Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
        let found = version.map_or_else(|| "none".to_owned(), ToString::to_string);
        return Err(Hinted {
            message: format!(
                "`{shown}` is a saved plan of format version {found}; this Registrar ({}) applies format version {FORMAT_VERSION} only",
                env!("CARGO_PKG_VERSION")
            ),
            hint: format!(
                "make the plan again with this version of Registrar: {PLAN_AGAIN}"
            ),
        }
        .into());
    }
    let saved: SavedPlan = serde_json::from_value(value).map_err(|error| Hinted {
        message: format!("`{shown}` is not a valid saved plan: {error}"),
        hint: PLAN_AGAIN.to_owned(),
    })?;
    Ok(Some((path.clone(), saved)))
}

fn refuse(message: String) -> anyhow::Error {
    Hinted {
        message,
        hint: PLAN_AGAIN.to_owned(),
    }
    .into()
}

/// Refuses flags that would change a saved plan.
pub(crate) fn check_flags(planning: &PlanningArgs) -> anyhow::Result<()> {
    if planning.prune {
        return Err(Hinted {
            message: "`--prune` cannot be used with a saved plan: its options were fixed when it was made".to_owned(),
            hint: "run `registrar plan --prune -o FILE` to save a plan that prunes".to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Every check of a saved plan against the manifests and the tenant as they are now, then the
/// plan to carry out and the snapshot it was checked against. Writes nothing.
pub(crate) async fn check(
    global: &GlobalArgs,
    file: &Path,
    saved: &SavedPlan,
    inputs: &crate::cli::ManifestInputs,
    target: &Target,
    progress: &Progress,
) -> anyhow::Result<(Plan, registrar_model::LiveTenant)> {
    let shown = file.display();
    let recorded = &saved.target;
    if recorded.local != (target.cloud == LOCAL_CLOUD) || recorded.cloud != target.cloud {
        let planned = if recorded.local {
            "the local tenant".to_owned()
        } else {
            format!("Azure ({} cloud)", recorded.cloud)
        };
        return Err(Hinted {
            message: format!(
                "`{shown}` was planned against {planned}, but this run targets {}",
                target.description
            ),
            hint: if recorded.local {
                "apply it with `--local`, or make a plan against Azure with `registrar plan -o FILE`"
                    .to_owned()
            } else {
                format!(
                    "apply it with `--cloud {}` and without `--local`, or {PLAN_AGAIN}",
                    recorded.cloud
                )
            },
        }
        .into());
    }

    // The manifests: every file the plan read, as it was.
    let mut changed = Vec::new();
    for file in &saved.manifests.files {
        match std::fs::read(&file.path) {
            Ok(bytes) if Digest::of_bytes(&bytes) == file.sha256 => {}
            Ok(_) => changed.push(format!("`{}` changed", file.path)),
            Err(_) => changed.push(format!("`{}` is missing", file.path)),
        }
    }
    if !changed.is_empty() {
        return Err(refuse(format!(
            "the manifests changed since `{shown}` was planned: {}",
            changed.join(", ")
        )));
    }
    let paths: Vec<PathBuf> = saved.manifests.paths.iter().map(PathBuf::from).collect();
    let loaded = load_manifests(&paths, inputs)?;
    let now_read: Vec<String> = hash_files(&loaded)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let then_read: Vec<&String> = saved
        .manifests
        .files
        .iter()
        .map(|file| &file.path)
        .collect();
    let added: Vec<String> = now_read
        .iter()
        .filter(|path| !then_read.contains(path))
        .map(|path| format!("`{path}` is new"))
        .collect();
    if !added.is_empty() {
        return Err(refuse(format!(
            "the manifests changed since `{shown}` was planned: {}",
            added.join(", ")
        )));
    }
    if desired_state_digest(&loaded.desired)? != saved.manifests.desired_state {
        return Err(refuse(format!(
            "the manifests give another desired state than when `{shown}` was planned (a `${{var.…}}` they use has another value: pass the same `--var`, `--var-file` and `REGISTRAR_VAR_*` as the plan did)"
        )));
    }

    // The tenant: the same one, and every object the plan read unchanged.
    let live = read_live(global, &loaded.desired, target, progress).await?;
    let tenant_id = target.tenant_id().await?;
    if !tenant_id.eq_ignore_ascii_case(&recorded.tenant_id) {
        return Err(Hinted {
            message: format!(
                "`{shown}` was planned for tenant {}, but the credential signs in to tenant {tenant_id}",
                recorded.tenant_id
            ),
            hint: "sign in to the plan's tenant (e.g. `AZURE_TENANT_ID`), or make a plan for this tenant with `registrar plan -o FILE`; nothing was changed".to_owned(),
        }
        .into());
    }
    let stale = stale_objects(saved, &live);
    if !stale.is_empty() {
        let mut message = format!(
            "Saved plan is stale\n\nThe tenant changed since `{shown}` was planned at {}, so the plan may no longer do what was reviewed:",
            saved
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        );
        for object in &stale {
            message.push_str(&format!("\n  - {object}"));
        }
        return Err(Hinted {
            message,
            hint: format!(
                "run `registrar plan -o {shown}` again to plan against the tenant as it is now; nothing was changed"
            ),
        }
        .into());
    }
    let plan = saved
        .to_plan()
        .map_err(|error| refuse(format!("`{shown}` cannot be read back as a plan: {error}")))?;
    Ok((plan, live))
}

/// `registrar show FILE`: renders a saved plan, without reading the tenant.
pub(crate) fn show(args: ShowArgs) -> anyhow::Result<Outcome> {
    let paths = [args.file.clone()];
    let Some((_, saved)) = read_if_saved(&paths)? else {
        return Err(Hinted {
            message: format!("`{}` is not a saved plan", args.file.display()),
            hint: "save one with `registrar plan -o FILE MANIFEST...`".to_owned(),
        }
        .into());
    };
    let plan = saved.to_plan().map_err(|error| {
        refuse(format!(
            "`{}` cannot be read back as a plan: {error}",
            args.file.display()
        ))
    })?;
    print_plan(&plan, args.format, None, None)?;
    Ok(Outcome::Success)
}
