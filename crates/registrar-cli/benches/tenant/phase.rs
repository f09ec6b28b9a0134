//! One measured phase, run in a fresh process of the bench (so the peak memory read from
//! `/proc/self/status` is the phase's alone): Registrar's `plan` or `apply` through the
//! libraries as the `registrar` command calls them (snapshot read, `GET /organization` for the
//! header, the plan, and for apply the least-privilege check and the executor), or the
//! per-object baseline read. The parent passes a [`Job`] as JSON in one argument and reads one
//! JSON line from the child's stdout.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use registrar_apply::azure::AzureTenant;
use registrar_apply::{ApplyError, ApplyOptions, Reporter};
use registrar_azure::{AzureConfig, Clients, CredentialKind, Endpoints, SecretValue};
use registrar_plan::{PlanOptions, ResourceChange};
use serde_json::{Value, json};

use crate::baseline::{self, State};
use crate::direct::Direct;

/// The marker in front of the child's result line.
const RESULT_MARKER: &str = "bench-result ";

/// What a phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Read and plan; the plan must have no changes.
    PlanInSync,
    /// Read and plan; the plan must have changes.
    PlanDrifted,
    /// Read, plan and apply; the apply must succeed.
    Apply,
    /// The per-object baseline read.
    Baseline,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::PlanInSync => "plan-in-sync",
            Self::PlanDrifted => "plan-drifted",
            Self::Apply => "apply",
            Self::Baseline => "baseline",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [
            Self::PlanInSync,
            Self::PlanDrifted,
            Self::Apply,
            Self::Baseline,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

/// A phase to run in a child process.
pub(crate) struct Job {
    pub(crate) kind: Kind,
    pub(crate) url: String,
    pub(crate) ca_path: PathBuf,
    pub(crate) manifest: PathBuf,
    pub(crate) state: PathBuf,
}

impl Job {
    fn to_json(&self) -> String {
        json!({
            "kind": self.kind.name(),
            "url": self.url,
            "ca_path": self.ca_path,
            "manifest": self.manifest,
            "state": self.state,
        })
        .to_string()
    }

    fn from_json(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_json::from_str(text).context("the job is not JSON")?;
        let text_of = |field: &str| value[field].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            kind: Kind::parse(&text_of("kind")).ok_or_else(|| anyhow!("unknown phase kind"))?,
            url: text_of("url"),
            ca_path: text_of("ca_path").into(),
            manifest: text_of("manifest").into(),
            state: text_of("state").into(),
        })
    }
}

/// What the client side of a phase measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) wall_seconds: f64,
    pub(crate) peak_rss_mib: f64,
    /// Requests the client sent to Graph and ARM, and to Key Vault (retries included; a
    /// `$batch` is one), for when the emulator has no usage counters.
    pub(crate) client_graph_arm: u64,
    pub(crate) client_key_vault: u64,
    /// 429s the client was answered, where it knows (the baseline's client does).
    pub(crate) client_throttled: Option<u64>,
    /// `+add ~change -destroy` of the plan (Registrar's phases).
    pub(crate) changes: Option<String>,
}

/// Runs `job` in a fresh process of this bench and returns what it measured.
pub(crate) fn run_in_child(job: &Job) -> anyhow::Result<Outcome> {
    let exe = std::env::current_exe().context("cannot find the bench's own executable")?;
    let output = std::process::Command::new(exe)
        .arg("--child")
        .arg(job.to_json())
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot start the phase's process")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(RESULT_MARKER));
    let (Some(line), true) = (line, output.status.success()) else {
        bail!(
            "the {} phase failed ({}):\n{}",
            job.kind.name(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    };
    let value: Value = serde_json::from_str(line).context("the phase's result is not JSON")?;
    Ok(Outcome {
        wall_seconds: value["wall_seconds"].as_f64().unwrap_or_default(),
        peak_rss_mib: value["peak_rss_mib"].as_f64().unwrap_or_default(),
        client_graph_arm: value["client_graph_arm"].as_u64().unwrap_or_default(),
        client_key_vault: value["client_key_vault"].as_u64().unwrap_or_default(),
        client_throttled: value["client_throttled"].as_u64(),
        changes: value["changes"].as_str().map(str::to_owned),
    })
}

/// The child's side: runs the job given on the command line and prints its result line.
#[allow(clippy::print_stdout)]
pub(crate) fn child_main(job: &str) -> anyhow::Result<()> {
    let job = Job::from_json(job)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut outcome = runtime.block_on(run(&job))?;
    outcome.peak_rss_mib = peak_rss_mib();
    println!(
        "{RESULT_MARKER}{}",
        json!({
            "wall_seconds": outcome.wall_seconds,
            "peak_rss_mib": outcome.peak_rss_mib,
            "client_graph_arm": outcome.client_graph_arm,
            "client_key_vault": outcome.client_key_vault,
            "client_throttled": outcome.client_throttled,
            "changes": outcome.changes,
        })
    );
    Ok(())
}

async fn run(job: &Job) -> anyhow::Result<Outcome> {
    let ca_pem = std::fs::read(&job.ca_path)
        .with_context(|| format!("cannot read `{}`", job.ca_path.display()))?;
    if job.kind == Kind::Baseline {
        let state = State::load(&job.state)?;
        let direct = Direct::connect(&job.url, &ca_pem).await?;
        let run = baseline::read(&direct, &state).await?;
        if run.objects_read == 0 {
            bail!("the baseline read nothing");
        }
        let counts = &direct.counts;
        let load = |counter: &std::sync::atomic::AtomicU64| {
            counter.load(std::sync::atomic::Ordering::Relaxed)
        };
        return Ok(Outcome {
            wall_seconds: run.wall_seconds,
            client_graph_arm: load(&counts.graph) + load(&counts.arm),
            client_key_vault: load(&counts.key_vault),
            client_throttled: Some(load(&counts.throttled)),
            ..Outcome::default()
        });
    }
    let clients = clients(&job.url, ca_pem)?;
    let started = Instant::now();
    let loaded = registrar_manifest::load(std::slice::from_ref(&job.manifest), &|_| None)
        .map_err(|diagnostics| anyhow!("the manifest does not load:\n{diagnostics}"))?;
    let mut live = registrar_azure::read_live_tenant(&clients, &loaded.desired)
        .await
        .context("cannot read the tenant")?;
    live.default_domain = clients.default_domain().await;
    let now = time::OffsetDateTime::now_utc();
    let plan = registrar_plan::plan(&loaded.desired, &live, now, &PlanOptions::default())
        .map_err(|error| anyhow!("the plan failed: {error}"))?;
    let summary = plan.summary();
    let changes = format!("+{} ~{} -{}", summary.add, summary.change, summary.destroy);
    match job.kind {
        Kind::PlanInSync if plan.has_changes() => {
            bail!("the tenant did not converge: {changes}")
        }
        Kind::PlanDrifted if !plan.has_changes() => bail!("the drift was not seen"),
        Kind::Apply => {
            let needs = registrar_azure::permissions::needs(
                plan.changes.iter().flat_map(|change| {
                    let address = change.address.to_string();
                    change
                        .operations
                        .iter()
                        .map(move |operation| (address.clone(), operation))
                }),
                &live,
            );
            let check = registrar_azure::permissions::check_permissions(&clients, &needs).await;
            if !check.missing.is_empty() {
                bail!("{} permissions missing", check.missing.len());
            }
            let tenant_id = clients
                .tenant_id()
                .await
                .ok_or_else(|| anyhow!("no tenant id"))?;
            let tenant = AzureTenant::new(clients.clone(), tenant_id);
            let report =
                registrar_apply::apply(&plan, &tenant, &Failures, &ApplyOptions::default()).await;
            if !report.is_success() {
                bail!("the apply failed (the errors are above)");
            }
        }
        _ => {}
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let stats = clients.stats();
    Ok(Outcome {
        wall_seconds,
        client_graph_arm: stats.graph + stats.arm,
        client_key_vault: stats.key_vault,
        changes: Some(changes),
        ..Outcome::default()
    })
}

/// Registrar's clients for the local tenant at `url`, as `registrar --local` builds them.
fn clients(url: &str, ca_pem: Vec<u8>) -> anyhow::Result<Clients> {
    let tenant = registrar_emulator::well_known_tenant();
    let endpoints = Endpoints::local(url).with_extra_ca_pem(ca_pem);
    let credential = CredentialKind::ClientSecret {
        tenant_id: tenant.tenant_id,
        client_id: tenant.client_id,
        secret: SecretValue::new(tenant.client_secret),
    };
    Clients::new(AzureConfig::new(endpoints, credential)).context("cannot build the clients")
}

/// Prints failed changes to stderr (the parent shows them if the phase fails).
struct Failures;

#[allow(clippy::print_stderr)]
impl Reporter for Failures {
    fn started(&self, _change: &ResourceChange) {}
    fn succeeded(&self, _change: &ResourceChange, _elapsed: Duration) {}
    fn failed(&self, change: &ResourceChange, error: &ApplyError) {
        eprintln!("{}: {error}", change.address);
    }
    fn skipped(&self, _change: &ResourceChange, _because_of: &str) {}
}

/// Peak resident memory of this process (`VmHWM` in /proc/self/status, Linux), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
