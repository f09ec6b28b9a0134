//! The benchmark of a large tenant at Graph's limits (issue 11): generated manifests of fully
//! populated applications against the local tenant run as its own process (`registrar
//! emulator`, strict vault, 25 ms latency per request, throttling on, tenant class S), in five
//! phases per size: apply from empty, plan in sync, plan with 10 % drifted, apply of the drift
//! (and a final unmeasured plan that must be "No changes."), and the per-object baseline read
//! beside each plan. Each phase runs in a fresh process of this bench (its peak memory is the
//! phase's), after the throttle is re-armed (every bucket full) and the usage counters zeroed.
//!
//! ```sh
//! cargo bench -p registrar-cli --bench tenant              # 10 and 100 applications
//! cargo bench -p registrar-cli --bench tenant -- 10 100 1000 --latency-ms 25 --class S
//! ```
//!
//! The table is printed and written with the JSON to `target/bench/results.{md,json}`
//! (`--out DIR` for another folder); docs/performance.md keeps the last figures. What each
//! column means is in `report` and docs/performance.md. Never a timed test: nothing here is
//! asserted but that every phase did what it should (a converged plan has no changes).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod direct;
mod drift;
mod emulator;
mod manifest;
mod phase;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use serde_json::json;

use crate::emulator::Emulator;
use crate::phase::{Job, Kind};
use crate::report::{Bound, Row};

/// Sizes measured when none are given.
const DEFAULT_SIZES: [usize; 2] = [10, 100];

/// The benchmark's command line.
#[derive(Parser, Debug)]
#[command(about = "Registrar against a throttling local tenant, beside a per-object reader")]
struct Args {
    /// Tenant sizes (number of applications) to measure, in order.
    sizes: Vec<usize>,
    /// Latency the local tenant adds to every API request, in milliseconds.
    #[arg(long, default_value_t = 25)]
    latency_ms: u64,
    /// Graph's tenant size class for throttling: S, M or L.
    #[arg(long, default_value = "S")]
    class: String,
    /// Share of the applications drifted, in percent.
    #[arg(long, default_value_t = 10)]
    drift_percent: usize,
    /// Where the manifests and results go (default: target/bench).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the per-object baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
    /// Internal: run one phase (JSON) and print its result.
    #[arg(long, hide = true)]
    child: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.child {
        Some(job) => phase::child_main(job),
        None => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// What the emulator offers (an older one has neither).
#[derive(Debug, Clone, Copy, Default)]
struct Features {
    throttle: bool,
    usage: bool,
}

fn run(args: &Args) -> anyhow::Result<()> {
    let sizes = if args.sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        args.sizes.clone()
    };
    let out = args.out.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/bench")
            .components()
            .collect()
    });
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let out = out.canonicalize().unwrap_or(out);
    let registrar = PathBuf::from(env!("CARGO_BIN_EXE_registrar"));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut features = Features::default();
    for &size in &sizes {
        eprintln!("bench: {size} applications");
        features = runtime.block_on(measure(args, &registrar, &out, size, &mut rows))?;
    }
    let mut text = format!(
        "{} applications per size; latency {} ms per request; throttling {}; usage counters {}; \
         per-object baseline: 10 in flight; whole run {:.0} s.\n\n",
        sizes
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        args.latency_ms,
        if features.throttle {
            format!("on, tenant class {}", args.class.to_ascii_uppercase())
        } else {
            "not available in this emulator (it does not serve POST /_emulator/throttle)".to_owned()
        },
        if features.usage {
            "read from GET /_emulator/usage"
        } else {
            "not available (the emulator does not serve GET /_emulator/usage): requests are the client's count, RU, writes, 429s and the bound are n/a"
        },
        started.elapsed().as_secs_f64(),
    );
    text.push_str(&report::markdown(&rows));
    println!("{text}");
    let settings = json!({
        "sizes": sizes,
        "latency_ms": args.latency_ms,
        "class": args.class.to_ascii_uppercase(),
        "drift_percent": args.drift_percent,
        "throttle": features.throttle,
        "usage_counters": features.usage,
        "wall_seconds": started.elapsed().as_secs_f64(),
    });
    let markdown_path = out.join("results.md");
    std::fs::write(&markdown_path, &text)
        .with_context(|| format!("cannot write `{}`", markdown_path.display()))?;
    let json_path = out.join("results.json");
    let json = serde_json::to_string_pretty(&report::json(&rows, settings))
        .context("cannot write the results as JSON")?;
    std::fs::write(&json_path, json)
        .with_context(|| format!("cannot write `{}`", json_path.display()))?;
    eprintln!(
        "bench: results in {} and {}",
        markdown_path.display(),
        json_path.display()
    );
    Ok(())
}

/// Every phase for one size, against a fresh local tenant.
async fn measure(
    args: &Args,
    registrar: &Path,
    out: &Path,
    size: usize,
    rows: &mut Vec<Row>,
) -> anyhow::Result<Features> {
    let dir = out.join(format!("apps-{size}"));
    let manifest = manifest::write(&dir, size)?;
    let emulator = Emulator::start(registrar, &dir)?;
    emulator.set_latency(args.latency_ms).await?;
    let features = Features {
        throttle: emulator.arm_throttle(&args.class).await?,
        usage: emulator.reset_usage().await?,
    };
    let state = dir.join("terraform-state.json");
    let mut measured = Measured {
        args,
        emulator: &emulator,
        manifest: &manifest,
        state: &state,
        size,
        features,
        rows,
    };

    measured
        .phase("apply from empty", "registrar", Kind::Apply)
        .await?;
    let direct = direct::Direct::connect(&emulator.url, &emulator.ca_pem).await?;
    let tenant_state = baseline::State::look_up(&direct).await?;
    if tenant_state.applications.len() != size {
        anyhow::bail!(
            "the tenant holds {} managed applications, not {size}",
            tenant_state.applications.len()
        );
    }
    tenant_state.save(&state)?;

    measured
        .phase("plan in sync", "registrar", Kind::PlanInSync)
        .await?;
    if !args.no_baseline {
        measured
            .phase("plan in sync", "baseline", Kind::Baseline)
            .await?;
    }

    let drifted = drift::make(&direct, &tenant_state, args.drift_percent).await?;
    eprintln!(
        "bench: drifted {} applications ({} redirect URIs changed, {} owners removed, {} secrets added)",
        drifted.total(),
        drifted.redirect_uris,
        drifted.owners_removed,
        drifted.extra_secrets
    );
    let drifted_phase = "plan, drifted";
    measured
        .phase(drifted_phase, "registrar", Kind::PlanDrifted)
        .await?;
    if !args.no_baseline {
        measured
            .phase(drifted_phase, "baseline", Kind::Baseline)
            .await?;
    }
    measured
        .phase("apply of the drift", "registrar", Kind::Apply)
        .await?;
    // Not a row: the drift must be gone.
    phase::run_in_child(&measured.job(Kind::PlanInSync))
        .context("the plan after the apply of the drift")?;
    Ok(features)
}

/// The context of one size's phases.
struct Measured<'a> {
    args: &'a Args,
    emulator: &'a Emulator,
    manifest: &'a Path,
    state: &'a Path,
    size: usize,
    features: Features,
    rows: &'a mut Vec<Row>,
}

impl Measured<'_> {
    fn job(&self, kind: Kind) -> Job {
        Job {
            kind,
            url: self.emulator.url.clone(),
            ca_path: self.emulator.ca_path.clone(),
            manifest: self.manifest.to_path_buf(),
            state: self.state.to_path_buf(),
        }
    }

    /// Re-arms the throttle (full buckets), zeroes the counters, runs the phase in a child and
    /// records its row.
    async fn phase(
        &mut self,
        phase: &'static str,
        reader: &'static str,
        kind: Kind,
    ) -> anyhow::Result<()> {
        if self.features.throttle {
            self.emulator.arm_throttle(&self.args.class).await?;
        }
        if self.features.usage {
            self.emulator.reset_usage().await?;
        }
        let job = self.job(kind);
        let outcome = tokio::task::spawn_blocking(move || phase::run_in_child(&job))
            .await
            .context("the phase's thread panicked")??;
        let usage = if self.features.usage {
            self.emulator.usage().await?
        } else {
            None
        };
        let bound = usage
            .as_ref()
            .map(|usage| Bound::of(usage, &self.args.class));
        eprintln!(
            "bench: {} apps, {phase} ({reader}): {:.1} s",
            self.size, outcome.wall_seconds
        );
        self.rows.push(Row {
            apps: self.size,
            phase,
            reader,
            outcome,
            usage,
            bound,
        });
        Ok(())
    }
}
