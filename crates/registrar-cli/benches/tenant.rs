//! How Registrar scales with the size of a tenant: requests sent, wall time and memory of the
//! client for `plan` (read the tenant, then diff) and `apply`, against the local tenant with
//! injected latency.
//!
//! Run with `cargo bench -p registrar-cli --bench tenant` (add `-- 100 1000` to choose sizes and
//! `--latency-ms 20` for the latency per request). The local tenant runs as its own process
//! (`registrar emulator`), so the memory figure is the client's alone. Results are printed as a
//! markdown table; docs/performance.md keeps the last figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use registrar_apply::azure::AzureTenant;
use registrar_apply::{ApplyError, ApplyOptions, Reporter};
use registrar_azure::{AzureConfig, Clients, CredentialKind, Endpoints, SecretValue};
use registrar_plan::{PlanOptions, ResourceChange};

struct Silent;

impl Reporter for Silent {
    fn started(&self, _change: &ResourceChange) {}
    fn succeeded(&self, _change: &ResourceChange, _elapsed: Duration) {}
    fn failed(&self, change: &ResourceChange, error: &ApplyError) {
        eprintln!("{}: {error}", change.address);
    }
    fn skipped(&self, _change: &ResourceChange, _because_of: &str) {}
}

struct Emulator {
    child: Child,
    url: String,
    ca_pem: Vec<u8>,
}

impl Emulator {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_registrar"))
            .args(["emulator", "--port", "0", "--ca-cert", "ca.pem"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the local tenant");
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let ca_pem = std::fs::read(dir.join("ca.pem")).unwrap();
        Self {
            child,
            url: url.trim().to_owned(),
            ca_pem,
        }
    }

    fn clients(&self) -> Clients {
        let tenant = registrar_emulator::well_known_tenant();
        let endpoints = Endpoints::local(&self.url).with_extra_ca_pem(self.ca_pem.clone());
        let credential = CredentialKind::ClientSecret {
            tenant_id: tenant.tenant_id,
            client_id: tenant.client_id,
            secret: SecretValue::new(tenant.client_secret),
        };
        Clients::new(AzureConfig::new(endpoints, credential)).unwrap()
    }

    async fn set_latency(&self, latency_ms: u64) {
        let client = reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&self.ca_pem).unwrap())
            .build()
            .unwrap();
        let response = client
            .put(format!("{}/_emulator/faults", self.url))
            .json(&serde_json::json!({ "latency_ms": latency_ms }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "{status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A manifest with `count` applications: a redirect URI, a scope, an owner, a Graph permission.
fn manifest(count: usize) -> String {
    let mut text = String::from("version: 1\nnamespace: bench\napplications:\n");
    for index in 0..count {
        text.push_str(&format!(
            "  app-{index:04}:\n    displayName: Bench app {index}\n    owners: [alice@contoso.com]\n    web:\n      redirectUris: [https://app-{index}.contoso.com/auth]\n    requiredResourceAccess:\n      - resource: Microsoft Graph\n        scopes: [User.Read]\n"
        ));
    }
    text
}

/// Peak resident memory of this process, from /proc (Linux).
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

struct Row {
    apps: usize,
    phase: &'static str,
    requests: u64,
    seconds: f64,
}

async fn measure(dir: &Path, count: usize, latency_ms: u64, rows: &mut Vec<Row>) {
    let emulator = Emulator::start(dir);
    let text = manifest(count);
    let env = |_: &str| None;
    let loaded =
        registrar_manifest::load_str(&dir.join("bench.yaml"), &text, &env).expect("manifest loads");
    let now = time::OffsetDateTime::now_utc();
    emulator.set_latency(latency_ms).await;

    // apply on an empty tenant: read, plan, create everything.
    let clients = emulator.clients();
    let started = Instant::now();
    let live = registrar_azure::read_live_tenant(&clients, &loaded.desired)
        .await
        .unwrap();
    let plan = registrar_plan::plan(&loaded.desired, &live, now, &PlanOptions::default()).unwrap();
    let tenant_id = clients.tenant_id().await.unwrap();
    let tenant = AzureTenant::new(clients.clone(), tenant_id);
    let report = registrar_apply::apply(&plan, &tenant, &Silent, &ApplyOptions::default()).await;
    assert!(report.is_success());
    rows.push(Row {
        apps: count,
        phase: "apply (create all)",
        requests: clients.request_count(),
        seconds: started.elapsed().as_secs_f64(),
    });

    // plan on an unchanged tenant: what `registrar plan` and a scheduled drift check cost.
    let clients = emulator.clients();
    let started = Instant::now();
    let live = registrar_azure::read_live_tenant(&clients, &loaded.desired)
        .await
        .unwrap();
    let plan = registrar_plan::plan(&loaded.desired, &live, now, &PlanOptions::default()).unwrap();
    assert!(!plan.has_changes(), "the tenant did not converge");
    rows.push(Row {
        apps: count,
        phase: "plan (no changes)",
        requests: clients.request_count(),
        seconds: started.elapsed().as_secs_f64(),
    });
}

fn main() {
    let mut sizes = Vec::new();
    let mut latency_ms = 20;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--latency-ms" => {
                latency_ms = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(20)
            }
            "--bench" => {}
            other => {
                if let Ok(size) = other.parse() {
                    sizes.push(size);
                }
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000];
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    for size in sizes {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(measure(dir.path(), size, latency_ms, &mut rows));
    }
    println!("latency {latency_ms} ms per request, 8 requests in flight\n");
    println!("| applications | phase | requests | requests/app | wall time |");
    println!("|---:|---|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {:.1} | {:.1} s |",
            row.apps,
            row.phase,
            row.requests,
            row.requests as f64 / row.apps as f64,
            row.seconds
        );
    }
    println!(
        "\npeak memory of the client process: {:.0} MiB",
        peak_rss_mib()
    );
}
