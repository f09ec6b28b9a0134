//! `registrar lint`: security best practice over manifests, offline (`registrar-lint`), printed
//! as text, JSON or SARIF; and [`for_plan`], the same findings for `plan` and `apply`
//! (`--lint off|warn|error`).

use std::io::Write;

use anyhow::Context;
use registrar_lint::{LintOptions, LintReport, Source};

use crate::cli::{GlobalArgs, LintArgs, LintFormat, LintMode, LintThresholds, PlanningArgs};
use crate::commands::Outcome;
use crate::commands::validate::{load_manifests, manifest_sets};
use crate::output::{AlreadyReported, Hinted};

pub(crate) fn run(global: &GlobalArgs, args: LintArgs) -> anyhow::Result<Outcome> {
    let options = options(&args.thresholds);
    let mut report = LintReport::default();
    let mut failed = false;
    for set in manifest_sets(&args.paths) {
        match load_manifests(&set, &args.inputs) {
            Ok(loaded) => report.extend(lint_loaded(&loaded, &options)?),
            Err(_) => failed = true,
        }
    }
    let mut stdout = anstream::stdout().lock();
    let written = match args.format {
        LintFormat::Text => write!(stdout, "{}", registrar_lint::render::text(&report)),
        LintFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &registrar_lint::render::json(&report))
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout))
        }
        LintFormat::Sarif => {
            let options = registrar_lint::render::SarifOptions {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            serde_json::to_writer_pretty(
                &mut stdout,
                &registrar_lint::render::sarif(&report, &options),
            )
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(stdout))
        }
    };
    written.context("cannot write the lint report to stdout")?;
    if failed || report.has_errors() {
        if !global.quiet && !failed && args.format != LintFormat::Text {
            eprintln!("error: {}", registrar_lint::render::summary(&report));
        }
        return Err(AlreadyReported.into());
    }
    Ok(Outcome::Success)
}

fn options(thresholds: &LintThresholds) -> LintOptions {
    LintOptions {
        max_secret_lifetime: thresholds.max_secret_lifetime,
        ..LintOptions::default()
    }
}

/// Lints what a load read: every manifest file's text is read again for its suppressions.
fn lint_loaded(
    loaded: &registrar_manifest::Loaded,
    options: &LintOptions,
) -> anyhow::Result<LintReport> {
    let mut sources = Vec::new();
    for path in &loaded.files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {} again to lint it", path.display()))?;
        sources.push(Source {
            file: path.display().to_string(),
            text,
        });
    }
    Ok(registrar_lint::lint(&loaded.desired, &sources, options))
}

/// The findings `plan` and `apply` show atop the plan: `None` with `--lint off`. With `--lint
/// error` a finding that is not suppressed fails the run before the tenant is read, so nothing
/// changes.
pub(crate) fn for_plan(
    planning: &PlanningArgs,
    loaded: &registrar_manifest::Loaded,
) -> anyhow::Result<Option<LintReport>> {
    if planning.lint == LintMode::Off {
        return Ok(None);
    }
    let report = lint_loaded(loaded, &options(&planning.lint_thresholds))?;
    if planning.lint == LintMode::Error && report.active().next().is_some() {
        eprint!("{}", registrar_lint::render::text(&report));
        return Err(Hinted {
            message: format!(
                "lint found {} and `--lint error` is set; nothing was changed",
                registrar_lint::render::summary(&report)
            ),
            hint: "fix the findings, or suppress one next to its value with `# registrar:allow RULE reason`".to_owned(),
        }
        .into());
    }
    Ok(Some(report))
}
