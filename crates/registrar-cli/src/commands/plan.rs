//! `registrar plan`: read the tenant, diff it against the manifest, print the plan.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use registrar_plan::render::TargetDocument;
use registrar_plan::{Plan, PlanOptions};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{GlobalArgs, PlanArgs, PlanFormat, PlanningArgs};
use crate::commands::Outcome;
use crate::commands::validate::load_manifests;
use crate::output::{self, AlreadyReported, Hinted};
use crate::progress::Progress;
use crate::target::{self, Target};

pub(crate) fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let progress = Progress::new(global, args.format == PlanFormat::Json);
    runtime.block_on(async {
        let target = target::connect(global).await?;
        let planned = plan_with_inputs(global, &args.planning, &target, &progress).await;
        let saved = match (&planned, &args.out) {
            (Ok(planned), Some(out)) => {
                crate::commands::saved::write(out, planned, &args.planning, &target).await
            }
            _ => Ok(()),
        };
        target.close().await;
        let planned = planned?;
        saved?;
        let target_header = TargetDocument::of(&planned.live);
        print_plan(
            &planned.plan,
            args.format,
            Some(&target_header),
            planned.lint.as_ref(),
        )?;
        let plan = planned.plan;
        Ok(if args.detailed_exitcode && plan.has_changes() {
            Outcome::ChangesPresent
        } else {
            Outcome::Success
        })
    })
}

/// The planner's `now`: `--now` / `REGISTRAR_NOW` when given (tests travel in time), else the
/// clock. The only clock read of a run.
pub(crate) fn now(global: &GlobalArgs) -> anyhow::Result<OffsetDateTime> {
    match &global.now {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339).map_err(|error| {
            Hinted {
                message: format!("`--now {text}` is not an RFC 3339 time: {error}"),
                hint: "write it like `2026-11-24T12:00:00Z`".to_owned(),
            }
            .into()
        }),
        // Whole seconds: Graph keeps credential dates to the second, and plans read better.
        None => Ok(OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc())),
    }
}

/// A plan and what it was made from (for a saved plan).
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) loaded: registrar_manifest::Loaded,
    pub(crate) live: registrar_model::LiveTenant,
    pub(crate) now: OffsetDateTime,
    /// The lint findings shown atop the plan; `None` with `--lint off`.
    pub(crate) lint: Option<registrar_lint::LintReport>,
}

/// Loads the manifests, reads the tenant (with a progress bar when `progress` is shown) and
/// plans, keeping the manifests and the snapshot it read. Shared by `plan` and `apply`.
pub(crate) async fn plan_with_inputs(
    global: &GlobalArgs,
    planning: &PlanningArgs,
    target: &Target,
    progress: &Progress,
) -> anyhow::Result<Planned> {
    let now = now(global)?;
    let loaded = load_manifests(&planning.paths, &planning.inputs)?;
    let lint = crate::commands::lint::for_plan(planning, &loaded)?;
    let live = read_live(global, &loaded.desired, target, progress).await?;
    let options = PlanOptions {
        prune: planning.prune,
    };
    let plan = match registrar_plan::plan(&loaded.desired, &live, now, &options) {
        Ok(plan) => plan,
        Err(errors) => {
            eprintln!("{errors}");
            return Err(AlreadyReported.into());
        }
    };
    for warning in registrar_plan::render::warnings(&plan) {
        eprintln!("warning: {warning}");
    }
    Ok(Planned {
        plan,
        loaded,
        live,
        now,
        lint,
    })
}

/// Reads the tenant for `desired` (with a progress bar when `progress` is shown) and checks that
/// it is the manifest's tenant.
pub(crate) async fn read_live(
    global: &GlobalArgs,
    desired: &registrar_model::DesiredState,
    target: &Target,
    progress: &Progress,
) -> anyhow::Result<registrar_model::LiveTenant> {
    if !global.quiet {
        eprintln!("Reading {}...", target.description);
    }
    let started = Instant::now();
    let reading = progress.counter("Reading", "objects");
    let live = registrar_azure::read_live_tenant_with(&target.clients, desired, &reading)
        .await
        .with_context(|| format!("cannot read {}", target.description))?;
    reading.finish();
    // The header names the tenant by its default domain too (one request).
    let mut live = live;
    live.default_domain = target.clients.default_domain().await;
    tracing::info!(
        applications = live.applications.len(),
        requests = target.clients.request_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the tenant"
    );
    check_tenant(desired, target).await?;
    Ok(live)
}

/// Refuses to plan a manifest that names another tenant than the one the credential signs in
/// to: applying it would create the applications in the wrong directory.
pub(crate) async fn check_tenant(
    desired: &registrar_model::DesiredState,
    target: &Target,
) -> anyhow::Result<()> {
    let Some(named) = desired.tenant.as_deref() else {
        return Ok(());
    };
    let expected = target
        .clients
        .resolve_tenant_id(named)
        .await
        .with_context(|| format!("cannot look up the manifest's tenant `{named}`"))?;
    let actual = target.tenant_id().await?;
    if expected.eq_ignore_ascii_case(&actual) {
        return Ok(());
    }
    Err(Hinted {
        message: format!(
            "the manifest is for tenant `{named}` ({expected}), but the credential signs in to tenant {actual}"
        ),
        hint: "sign in to the manifest's tenant (e.g. `AZURE_TENANT_ID`) or correct `tenant:` in the manifest; nothing was changed".to_owned(),
    }
    .into())
}

/// Prints the plan on stdout in the chosen format, headed by the tenant and the signed-in
/// client it was made against when `target` says (`show` of a saved plan reads no tenant), then
/// the lint findings when `lint` says (in JSON they go to stderr: stdout holds only the plan).
pub(crate) fn print_plan(
    plan: &Plan,
    format: PlanFormat,
    target: Option<&TargetDocument>,
    lint: Option<&registrar_lint::LintReport>,
) -> anyhow::Result<()> {
    let mut stdout = anstream::stdout().lock();
    let lint_text = lint
        .map(registrar_lint::render::plan_text)
        .unwrap_or_default();
    match format {
        PlanFormat::Text => {
            let options = registrar_plan::render::TextOptions {
                color: output::stdout_color(),
            };
            target
                .map_or(Ok(()), |target| {
                    write!(stdout, "{}", registrar_plan::render::target_text(target))
                })
                .and_then(|()| write!(stdout, "{lint_text}"))
                .and_then(|()| registrar_plan::render::text(plan, &options, &mut stdout))
        }
        PlanFormat::Markdown => target
            .map_or(Ok(()), |target| {
                write!(
                    stdout,
                    "{}",
                    registrar_plan::render::target_markdown(target)
                )
            })
            .and_then(|()| {
                let lint_markdown = lint
                    .map(registrar_lint::render::plan_markdown)
                    .unwrap_or_default();
                write!(stdout, "{lint_markdown}")
            })
            .and_then(|()| registrar_plan::render::markdown(plan, &mut stdout)),
        PlanFormat::Json => {
            let options = registrar_plan::render::JsonOptions {
                registrar_version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            eprint!("{lint_text}");
            let mut document = registrar_plan::render::json(plan, &options);
            document.target = target.cloned();
            serde_json::to_writer_pretty(&mut stdout, &document)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout))
        }
    }
    .context("cannot write the plan to stdout")
}
