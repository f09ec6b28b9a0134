//! `registrar apply`: plan, show the plan, ask for approval, carry it out.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use registrar_apply::azure::AzureTenant;
use registrar_apply::{ApplyError, ApplyOptions, ApplyReport, Reporter};
use registrar_plan::render::TargetDocument;
use registrar_plan::{Action, ResourceChange};

use crate::cli::{ApplyArgs, GlobalArgs, PlanFormat};
use crate::commands::Outcome;
use crate::commands::least_privilege;
use crate::commands::plan::{plan_with_inputs, print_plan};
use crate::output::{self, FAILED, Hinted};
use crate::progress::{Counter, Progress};
use crate::target;

pub(crate) fn run(global: &GlobalArgs, args: ApplyArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let saved = crate::commands::saved::read_if_saved(&args.planning.paths)?;
    if saved.is_some() {
        crate::commands::saved::check_flags(&args.planning)?;
    }
    let progress = Progress::new(global, false);
    runtime.block_on(async {
        let target = target::connect(global).await?;
        let result = match &saved {
            // A saved plan is applied as it is, without asking (as terraform applies one):
            // it was reviewed when it was made, and the checks refuse it if anything changed.
            Some((file, saved)) => {
                match crate::commands::saved::check(
                    global,
                    file,
                    saved,
                    &args.planning.inputs,
                    &target,
                    &progress,
                )
                .await
                {
                    Ok((plan, live)) => {
                        apply_saved(global, &args, &plan, &live, &target, &progress).await
                    }
                    Err(error) => Err(error),
                }
            }
            None => plan_and_apply(global, &args, &target, &progress).await,
        };
        target.close().await;
        result
    })
}

async fn plan_and_apply(
    global: &GlobalArgs,
    args: &ApplyArgs,
    target: &target::Target,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    let planned = plan_with_inputs(global, &args.planning, target, progress).await?;
    let plan = &planned.plan;
    print_plan(
        plan,
        PlanFormat::Text,
        Some(&TargetDocument::of(&planned.live)),
        planned.lint.as_ref(),
    )?;
    if !plan.has_changes() {
        return Ok(Outcome::Success);
    }
    print_destructive(plan)?;
    // Before asking: a run nobody approves must name its tenant, and the credential must be
    // allowed everything the plan does.
    let non_interactive = args.auto_approve || !std::io::stdin().is_terminal();
    let naming = least_privilege::tenant_naming(
        planned.loaded.desired.tenant.is_some(),
        least_privilege::is_local(target),
        false,
        non_interactive,
    );
    least_privilege::check_tenant_named(naming, args.tenant.as_deref(), target).await?;
    least_privilege::check_plan_permissions(plan, &planned.live, target, global.quiet).await?;
    if !args.auto_approve {
        confirm()?;
    }
    carry_out(global, plan, target, progress, args.parallelism).await
}

/// Carries out a saved plan once the target is shown and the credential checked (the saved plan
/// names its tenant, which [`crate::commands::saved::check`] compared).
async fn apply_saved(
    global: &GlobalArgs,
    args: &ApplyArgs,
    plan: &registrar_plan::Plan,
    live: &registrar_model::LiveTenant,
    target: &target::Target,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    print!(
        "{}",
        registrar_plan::render::target_text(&TargetDocument::of(live))
    );
    least_privilege::check_tenant_named(
        least_privilege::TenantNaming::Named,
        args.tenant.as_deref(),
        target,
    )
    .await?;
    least_privilege::check_plan_permissions(plan, live, target, global.quiet).await?;
    carry_out(global, plan, target, progress, args.parallelism).await
}

/// Lists what the plan destroys once more, on its own, right before approval (as the last thing
/// a reviewer reads; the plan above may be long). Prints nothing when nothing is destroyed.
fn print_destructive(plan: &registrar_plan::Plan) -> anyhow::Result<()> {
    let mut listed = Vec::new();
    let options = registrar_plan::render::TextOptions {
        color: output::stdout_color(),
    };
    registrar_plan::render::destructive(plan, &options, &mut listed)
        .context("cannot write the destructive changes")?;
    if !listed.is_empty() {
        let mut stdout = anstream::stdout().lock();
        stdout
            .write_all(b"\n")
            .and_then(|()| stdout.write_all(&listed))
            .context("cannot write the destructive changes to stdout")?;
    }
    Ok(())
}

/// Runs an approved plan.
async fn carry_out(
    global: &GlobalArgs,
    plan: &registrar_plan::Plan,
    target: &target::Target,
    progress: &Progress,
    parallelism: u16,
) -> anyhow::Result<Outcome> {
    let tenant_id = target.tenant_id().await?;
    let tenant = AzureTenant::new(target.clients.clone(), tenant_id);
    let reporter = ProgressReporter::new(global.quiet, progress, plan);
    let options = ApplyOptions {
        concurrency: usize::from(parallelism),
    };
    let report = registrar_apply::apply(plan, &tenant, &reporter, &options).await;
    reporter.counter.finish();
    finish(&report)
}

/// Asks on the terminal, as terraform does; refuses without a terminal.
fn confirm() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Hinted {
            message: "cannot ask for approval: standard input is not a terminal".to_owned(),
            hint: "review the plan above and run again with `--auto-approve`".to_owned(),
        }
        .into());
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\nDo you want to perform these actions?\n  Registrar will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if answer.trim() == "yes" {
        eprintln!();
        Ok(())
    } else {
        Err(Hinted {
            message: "apply cancelled".to_owned(),
            hint: "only `yes` approves the plan; nothing was changed".to_owned(),
        }
        .into())
    }
}

fn finish(report: &ApplyReport) -> anyhow::Result<Outcome> {
    let summary = registrar_plan::render::applied_counts(&report.tally);
    if report.is_success() {
        println!("\nApply complete! {summary}");
        return Ok(Outcome::Success);
    }
    let mut message = String::new();
    for (address, error) in report.failures() {
        message.push_str(&format!("\n  {address}: {}", error_chain(error)));
    }
    println!("\nApply failed. {summary}");
    let failed = report.failures().count();
    Err(Hinted {
        message: format!(
            "{failed} change{} failed, {} skipped, {} applied:{message}",
            if failed == 1 { "" } else { "s" },
            report.skipped(),
            report.succeeded(),
        ),
        hint: "what was applied stays applied; run `registrar plan` to see what is left, then apply again".to_owned(),
    }
    .into())
}

fn error_chain(error: &ApplyError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Terraform-style progress lines on stderr and, on a terminal, a bar below them: changes done
/// of total and the one being carried out.
struct ProgressReporter {
    quiet: bool,
    counter: Counter,
    /// The address and `address: Verb...` line of each change started and not yet finished,
    /// oldest first.
    in_flight: Mutex<Vec<(String, String)>>,
}

impl ProgressReporter {
    fn new(quiet: bool, progress: &Progress, plan: &registrar_plan::Plan) -> Self {
        let counter = progress.counter("Applying", "changes");
        // What the executor runs: every change that has operations.
        let total = plan
            .changes
            .iter()
            .filter(|change| !change.operations.is_empty())
            .count();
        counter.add_total(total as u64);
        Self {
            quiet,
            counter,
            in_flight: Mutex::new(Vec::new()),
        }
    }

    fn line(&self, text: &str) {
        if !self.quiet {
            self.counter.println(text);
        }
    }

    /// Marks `change` running (`Some(line)`) or finished (`None`), and shows the latest
    /// change still running.
    fn track(&self, change: &ResourceChange, running: Option<String>) {
        let Ok(mut in_flight) = self.in_flight.lock() else {
            return;
        };
        let address = change.address.to_string();
        match running {
            Some(line) => in_flight.push((address, line)),
            None => {
                in_flight.retain(|(running, _)| *running != address);
                self.counter.advance(1);
            }
        }
        let current = match in_flight.as_slice() {
            [] => String::new(),
            [(_, line)] => line.clone(),
            [.., (_, line)] => format!("{line} (+{} more)", in_flight.len() - 1),
        };
        self.counter.set_current(current);
    }
}

fn verb(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::Replace => ("Replacing...", "Replacement complete"),
        Action::Rotate => ("Rotating...", "Rotation complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::Restore => ("Restoring...", "Restore complete"),
        // A change that counts as nothing but still writes: cross-references between
        // applications created in the same apply, sent once both exist.
        Action::NoOp | Action::Read => ("Modifying...", "Modifications complete"),
    }
}

impl Reporter for ProgressReporter {
    fn started(&self, change: &ResourceChange) {
        let text = format!("{}: {}", change.address, verb(change.action).0);
        self.line(&text);
        self.track(change, Some(text));
    }

    fn succeeded(&self, change: &ResourceChange, elapsed: Duration) {
        self.track(change, None);
        self.line(&format!(
            "{}: {} after {:.1}s",
            change.address,
            verb(change.action).1,
            elapsed.as_secs_f64()
        ));
    }

    fn failed(&self, change: &ResourceChange, error: &ApplyError) {
        self.track(change, None);
        // Through anstream, which drops the style when stderr is not coloured.
        self.counter.suspend(|| {
            anstream::eprintln!(
                "{FAILED}{}: failed: {}{FAILED:#}",
                change.address,
                error_chain(error)
            )
        });
    }

    fn skipped(&self, change: &ResourceChange, because_of: &str) {
        self.track(change, None);
        self.line(&format!(
            "{}: skipped because {because_of} failed",
            change.address
        ));
    }
}
