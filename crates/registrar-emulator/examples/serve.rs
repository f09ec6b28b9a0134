//! Runs the local tenant standalone, without the `registrar` CLI (the SDK conformance suite in
//! `tests/conformance/` uses it).
//!
//! ```text
//! cargo run -p registrar-emulator --example serve -- --port 0 --ca-cert /tmp/ca.pem \
//!     [--state FILE] [--strict-vaults --vault NAME ...]
//! ```
//!
//! Prints one JSON line on stdout once it listens:
//! `{"url","port","tenant_id","client_id","client_secret","ca_cert"}`, then serves until SIGINT
//! or SIGTERM.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use registrar_emulator::{Emulator, EmulatorConfig, well_known_tenant};

struct Args {
    port: u16,
    ca_cert: PathBuf,
    state: Option<PathBuf>,
    strict_vaults: bool,
    vaults: Vec<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "serve: {problem}\nusage: serve [--port N] --ca-cert FILE [--state FILE] [--strict-vaults] [--vault NAME]..."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        port: 0,
        ca_cert: PathBuf::new(),
        state: None,
        strict_vaults: false,
        vaults: Vec::new(),
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--port" => {
                args.port = value("--port")
                    .parse()
                    .unwrap_or_else(|_| usage("--port must be a number"));
            }
            "--ca-cert" => args.ca_cert = PathBuf::from(value("--ca-cert")),
            "--state" => args.state = Some(PathBuf::from(value("--state"))),
            "--vault" => args.vaults.push(value("--vault")),
            "--strict-vaults" => args.strict_vaults = true,
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if args.ca_cert.as_os_str().is_empty() {
        usage("--ca-cert is required");
    }
    args
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let emulator = Emulator::new(EmulatorConfig {
        state_file: args.state,
        strict_vaults: args.strict_vaults,
        vaults: args.vaults,
        ..EmulatorConfig::default()
    })
    .unwrap_or_else(|error| {
        eprintln!("serve: {error}");
        std::process::exit(1)
    });
    let running = emulator
        .serve(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .await
        .unwrap_or_else(|error| {
            eprintln!("serve: {error}");
            std::process::exit(1)
        });
    if let Err(error) = running.write_ca_certificate(&args.ca_cert) {
        eprintln!("serve: {error}");
        std::process::exit(1);
    }
    let tenant = well_known_tenant();
    let line = serde_json::json!({
        "url": running.base_url.as_str().trim_end_matches('/'),
        "port": running.local_addr.port(),
        "tenant_id": emulator.tenant().tenant_id,
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "ca_cert": args.ca_cert.display().to_string(),
    });
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
    drop(stdout);
    stopped().await;
    running.shutdown().await;
}
