//! `registrar emulator`: the local tenant, standalone, until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use registrar_emulator::{Emulator, EmulatorConfig, TenantClass, ThrottleConfig};

use crate::cli::{EmulatorArgs, ThrottleClass};
use crate::commands::Outcome;

pub(crate) fn run(args: EmulatorArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: EmulatorArgs) -> anyhow::Result<Outcome> {
    let config = EmulatorConfig {
        state_file: args.state.clone(),
        strict_vaults: args.strict_vaults,
        vaults: args.vaults.clone(),
        throttle: args.throttle.map(|class| {
            ThrottleConfig::graph_class(match class {
                ThrottleClass::S => TenantClass::S,
                ThrottleClass::M => TenantClass::M,
                ThrottleClass::L => TenantClass::L,
            })
        }),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::new(config).context("cannot start the local tenant")?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let running = emulator
        .serve(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    if let Some(parent) = args
        .ca_cert
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    running
        .write_ca_certificate(&args.ca_cert)
        .with_context(|| format!("cannot write `{}`", args.ca_cert.display()))?;
    let tenant = emulator.tenant();
    let url = running.base_url.as_str().trim_end_matches('/');
    // The URL goes to stdout (scripts read it); the rest is for the human.
    println!("{url}");
    eprintln!("local tenant listening on {url}");
    eprintln!("  tenant id:      {}", tenant.tenant_id);
    eprintln!("  client id:      {}", tenant.client_id);
    eprintln!("  CA certificate: {}", args.ca_cert.display());
    match &args.state {
        Some(state) => eprintln!("  state file:     {}", state.display()),
        None => eprintln!("  state:          in memory (use --state FILE to keep it)"),
    }
    match emulator.throttle() {
        Some(limits) => eprintln!(
            "  throttling:     on, tenant class {:?} ({} RU per 10 s)",
            limits.class, limits.graph_resource_units.capacity
        ),
        None => eprintln!("  throttling:     off (use --throttle S|M|L)"),
    }
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    eprintln!("stopping");
    Ok(Outcome::Success)
}
