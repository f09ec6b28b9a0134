//! `registrar drift`: read the tenant, compare it with the manifest, report drift and expiring
//! credentials. Exit 0 in sync, 2 on drift (an object that differs, or a credential expired or
//! expiring within `--expiring-within`), 1 on error; no flag needed, it is meant for schedules.

use std::io::Write;

use anyhow::Context;
use registrar_plan::drift::DriftReport;

use crate::cli::{DriftArgs, GlobalArgs, PlanFormat};
use crate::commands::Outcome;
use crate::commands::plan::{now, read_live};
use crate::commands::validate::load_manifests;
use crate::output::{self, AlreadyReported};
use crate::progress::Progress;
use crate::target::{self, Target};

pub(crate) fn run(global: &GlobalArgs, args: DriftArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // The manifest is checked before connecting, so an invalid one fails fast and offline.
        let loaded = load_manifests(&args.paths, &args.inputs)?;
        let target = target::connect(global).await?;
        let report = make_report(global, &args, &loaded.desired, &target).await;
        target.close().await;
        let report = report?;
        print_report(&report, args.format)?;
        Ok(if report.has_drift() {
            Outcome::ChangesPresent
        } else {
            Outcome::Success
        })
    })
}

async fn make_report(
    global: &GlobalArgs,
    args: &DriftArgs,
    desired: &registrar_model::DesiredState,
    target: &Target,
) -> anyhow::Result<DriftReport> {
    let now = now(global)?;
    let progress = Progress::new(global, args.format == PlanFormat::Json);
    let live = read_live(global, desired, target, &progress).await?;
    match registrar_plan::drift::drift(desired, &live, now, args.expiring_within) {
        Ok(report) => Ok(report),
        Err(errors) => {
            eprintln!("{errors}");
            Err(AlreadyReported.into())
        }
    }
}

/// Prints the report on stdout in the chosen format.
fn print_report(report: &DriftReport, format: PlanFormat) -> anyhow::Result<()> {
    let mut stdout = anstream::stdout().lock();
    match format {
        PlanFormat::Text => {
            let options = registrar_plan::render::TextOptions {
                color: output::stdout_color(),
            };
            registrar_plan::render::drift::text(report, &options, &mut stdout)
        }
        PlanFormat::Markdown => registrar_plan::render::drift::markdown(report, &mut stdout),
        PlanFormat::Json => {
            let document = registrar_plan::render::drift::json(report);
            serde_json::to_writer_pretty(&mut stdout, &document)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout))
        }
    }
    .context("cannot write the drift report to stdout")
}
