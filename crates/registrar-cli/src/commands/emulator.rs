//! `registrar emulator`: the local tenant, standalone, until Ctrl-C; with `--print-az-setup`, the
//! commands that point the Azure CLI at it.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use registrar_emulator::{
    ArmOptions, ArmSubscription, Emulator, EmulatorConfig, TenantClass, ThrottleConfig,
};

use crate::cli::{EmulatorArgs, ThrottleClass};
use crate::commands::Outcome;

pub(crate) fn run(args: EmulatorArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: EmulatorArgs) -> anyhow::Result<Outcome> {
    let mut arm = ArmOptions::default();
    if !args.subscriptions.is_empty() {
        arm = arm.with_subscriptions(
            args.subscriptions
                .iter()
                .map(|(id, name)| ArmSubscription::new(id, name))
                .collect(),
        );
    }
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
        arm,
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
    if args.print_az_setup {
        let ca = std::path::absolute(&args.ca_cert).unwrap_or_else(|_| args.ca_cert.clone());
        eprintln!(
            "{}",
            az_setup(
                url,
                &tenant.tenant_id,
                &tenant.client_id,
                &tenant.client_secret,
                &ca
            )
        );
    }
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    eprintln!("stopping");
    Ok(Outcome::Success)
}

/// The Azure CLI commands of docs/emulator.md ("The Azure CLI") for this local tenant. The
/// automation client's secret is the well-known local one, the same for every local tenant.
fn az_setup(
    url: &str,
    tenant_id: &str,
    client_id: &str,
    client_secret: &str,
    ca: &std::path::Path,
) -> String {
    format!(
        "\n# The Azure CLI against this local tenant (in a shell of its own: the config folder keeps\n\
         # your Azure profile apart, and the CA bundle replaces the system's for az):\n\
         export AZURE_CONFIG_DIR=\"$PWD/.registrar/azure-cli\"\n\
         export REQUESTS_CA_BUNDLE=\"{ca}\"\n\
         az config set core.instance_discovery=false\n\
         az cloud register --name RegistrarLocal --endpoint-resource-manager {url}/\n\
         az cloud set --name RegistrarLocal\n\
         az login --service-principal --username {client_id} --password '{client_secret}' --tenant {tenant_id}\n",
        ca = ca.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::az_setup;

    #[test]
    fn az_setup_registers_the_cloud_at_the_url_and_signs_in() {
        let text = az_setup(
            "https://127.0.0.1:8443",
            "tenant-id",
            "client-id",
            "secret",
            std::path::Path::new("/tmp/ca.pem"),
        );
        assert!(text.contains("export REQUESTS_CA_BUNDLE=\"/tmp/ca.pem\""));
        assert!(text.contains("az config set core.instance_discovery=false"));
        assert!(text.contains(
            "az cloud register --name RegistrarLocal --endpoint-resource-manager https://127.0.0.1:8443/"
        ));
        assert!(text.contains(
            "az login --service-principal --username client-id --password 'secret' --tenant tenant-id"
        ));
    }
}
