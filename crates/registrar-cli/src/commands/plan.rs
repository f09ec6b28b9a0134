//! `registrar plan`: read the tenant, diff it against the manifest, print the plan.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use registrar_plan::{Plan, PlanOptions};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{GlobalArgs, PlanArgs, PlanFormat, PlanningArgs};
use crate::commands::Outcome;
use crate::commands::validate::load_manifests;
use crate::output::{self, AlreadyReported, Hinted};
use crate::target::{self, Target};

pub(crate) fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let target = target::connect(global).await?;
        let planned = make_plan(global, &args.planning, &target).await;
        target.close().await;
        let plan = planned?;
        print_plan(&plan, args.format)?;
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

/// Loads the manifests, reads the tenant and plans. Shared by `plan` and `apply`.
pub(crate) async fn make_plan(
    global: &GlobalArgs,
    planning: &PlanningArgs,
    target: &Target,
) -> anyhow::Result<Plan> {
    let now = now(global)?;
    let loaded = load_manifests(&planning.paths)?;
    if !global.quiet {
        eprintln!("Reading {}...", target.description);
    }
    let started = Instant::now();
    let live = registrar_azure::read_live_tenant(&target.clients, &loaded.desired)
        .await
        .with_context(|| format!("cannot read {}", target.description))?;
    tracing::info!(
        applications = live.applications.len(),
        requests = target.clients.request_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the tenant"
    );
    check_tenant(&loaded.desired, target).await?;
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
    Ok(plan)
}

/// Refuses to plan a manifest that names another tenant than the one the credential signs in
/// to: applying it would create the applications in the wrong directory.
async fn check_tenant(
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

/// Prints the plan on stdout in the chosen format.
pub(crate) fn print_plan(plan: &Plan, format: PlanFormat) -> anyhow::Result<()> {
    let mut stdout = anstream::stdout().lock();
    match format {
        PlanFormat::Text => {
            let options = registrar_plan::render::TextOptions {
                color: output::stdout_color(),
            };
            registrar_plan::render::text(plan, &options, &mut stdout)
        }
        PlanFormat::Markdown => registrar_plan::render::markdown(plan, &mut stdout),
        PlanFormat::Json => {
            let options = registrar_plan::render::JsonOptions {
                registrar_version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            let document = registrar_plan::render::json(plan, &options);
            serde_json::to_writer_pretty(&mut stdout, &document)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout))
        }
    }
    .context("cannot write the plan to stdout")
}
