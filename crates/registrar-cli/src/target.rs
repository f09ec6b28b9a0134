//! Which tenant a command talks to, and the clients for it.
//!
//! - `--local` (or `REGISTRAR_TARGET=local`): the embedded local tenant, started in-process on a
//!   free loopback port with its state in `.registrar/local-tenant.json`. With
//!   `REGISTRAR_LOCAL_URL` (and `REGISTRAR_LOCAL_CA`, the PEM of its certificate authority) the
//!   commands talk to a standalone `registrar emulator` instead; tests use that. The local
//!   tenant is used as its automation client unless `REGISTRAR_LOCAL_CLIENT_ID` and
//!   `REGISTRAR_LOCAL_CLIENT_SECRET` name another (a limited client).
//! - Otherwise Azure: the endpoints of `--cloud` and the standard credential chain.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::Context;
use registrar_azure::{AzureConfig, Clients, CredentialKind, Endpoints, RetryConfig, SecretValue};
use registrar_emulator::{Emulator, EmulatorConfig, RunningEmulator};

use crate::cli::{Cloud, CredentialChoice, GlobalArgs};
use crate::output::Hinted;

/// Where the embedded local tenant keeps its state.
pub(crate) const LOCAL_STATE_FILE: &str = ".registrar/local-tenant.json";

/// What [`Target::cloud`] says for the local tenant.
pub(crate) const LOCAL_CLOUD: &str = "local";

/// A connected target: the clients, and the in-process local tenant kept alive while they are
/// used.
pub(crate) struct Target {
    pub(crate) clients: Clients,
    /// For messages: "the local tenant (.registrar/local-tenant.json)", "Azure (public)".
    pub(crate) description: String,
    /// `local` for the local tenant, else the Azure cloud (`public`, `usgov`, `china`), as saved
    /// plans record it.
    pub(crate) cloud: &'static str,
    /// The tenant id when it is known before the first request (the local tenant).
    known_tenant_id: Option<String>,
    local: Option<(Emulator, RunningEmulator)>,
}

impl Target {
    /// The tenant id: known for the local tenant, else read from the token once a request was
    /// made.
    pub(crate) async fn tenant_id(&self) -> anyhow::Result<String> {
        if let Some(tenant_id) = &self.known_tenant_id {
            return Ok(tenant_id.clone());
        }
        self.clients.tenant_id().await.ok_or_else(|| {
            Hinted {
                message: "cannot tell which tenant the credential belongs to".to_owned(),
                hint: "set `AZURE_TENANT_ID`, or name the tenant in the manifest (`tenant:`)"
                    .to_owned(),
            }
            .into()
        })
    }

    /// Stops the in-process local tenant, if any (its state is already saved).
    pub(crate) async fn close(self) {
        if let Some((_emulator, running)) = self.local {
            running.shutdown().await;
        }
    }
}

fn wants_local(global: &GlobalArgs) -> bool {
    global.local
        || std::env::var("REGISTRAR_TARGET")
            .is_ok_and(|target| target.eq_ignore_ascii_case("local"))
}

/// Connects to the target the flags and environment name.
pub(crate) async fn connect(global: &GlobalArgs) -> anyhow::Result<Target> {
    let retry = retry_config(global);
    if !wants_local(global) {
        return connect_azure(global.cloud, global.credential, retry);
    }
    match std::env::var("REGISTRAR_LOCAL_URL") {
        Ok(url) if !url.is_empty() => connect_standalone(&url, retry),
        _ => connect_embedded(retry).await,
    }
}

/// The retry tunables: the defaults, without the waiting under the hidden test-only
/// `--test-no-retry-delay` (`REGISTRAR_TEST_NO_RETRY_DELAY`), and with the request timeout of
/// the hidden test-only `--test-request-timeout-ms` (`REGISTRAR_TEST_REQUEST_TIMEOUT_MS`).
fn retry_config(global: &GlobalArgs) -> RetryConfig {
    let mut retry = if global.test_no_retry_delay {
        RetryConfig::without_delays()
    } else {
        RetryConfig::default()
    };
    if let Some(milliseconds) = global.test_request_timeout_ms {
        retry.request_timeout = std::time::Duration::from_millis(milliseconds);
    }
    retry
}

fn credential_kind(choice: CredentialChoice) -> CredentialKind {
    match choice {
        CredentialChoice::Chain => CredentialKind::Chain,
        CredentialChoice::Environment => CredentialKind::Environment,
        CredentialChoice::WorkloadIdentity => CredentialKind::WorkloadIdentity,
        CredentialChoice::ManagedIdentity => CredentialKind::ManagedIdentity {
            client_id: std::env::var("AZURE_CLIENT_ID")
                .ok()
                .filter(|id| !id.is_empty()),
        },
        CredentialChoice::AzureCli => CredentialKind::DeveloperTools,
    }
}

fn connect_azure(
    cloud: Cloud,
    credential: CredentialChoice,
    retry: RetryConfig,
) -> anyhow::Result<Target> {
    let (endpoints, name) = match cloud {
        Cloud::Public => (Endpoints::public(), "public"),
        Cloud::Usgov => (Endpoints::us_gov(), "usgov"),
        Cloud::China => (Endpoints::china(), "china"),
    };
    let config = AzureConfig::new(endpoints, credential_kind(credential)).with_retry(retry);
    let clients = Clients::new(config).map_err(|error| {
        anyhow::Error::new(error).context(Hinted {
            message: "cannot set up the Azure clients".to_owned(),
            hint: crate::output::SIGN_IN_HINT.to_owned(),
        })
    })?;
    Ok(Target {
        clients,
        description: format!("Azure ({name} cloud)"),
        cloud: name,
        known_tenant_id: None,
        local: None,
    })
}

/// The client the local tenant is used as: its well-known automation client (full rights), or
/// the one `REGISTRAR_LOCAL_CLIENT_ID` and `REGISTRAR_LOCAL_CLIENT_SECRET` name (a limited
/// client made with `POST /_emulator/clients`, docs/emulator.md).
fn local_client() -> (String, SecretValue) {
    let tenant = registrar_emulator::well_known_tenant();
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (
        var("REGISTRAR_LOCAL_CLIENT_ID"),
        var("REGISTRAR_LOCAL_CLIENT_SECRET"),
    ) {
        (Some(id), Some(secret)) => (id, SecretValue::new(secret)),
        _ => (tenant.client_id, SecretValue::new(tenant.client_secret)),
    }
}

fn local_clients(
    base_url: &str,
    ca_pem: Vec<u8>,
    retry: RetryConfig,
) -> anyhow::Result<(Clients, String)> {
    let tenant = registrar_emulator::well_known_tenant();
    let endpoints = Endpoints::local(base_url).with_extra_ca_pem(ca_pem);
    let (client_id, secret) = local_client();
    let credential = CredentialKind::ClientSecret {
        tenant_id: tenant.tenant_id.clone(),
        client_id,
        secret,
    };
    let clients = Clients::new(AzureConfig::new(endpoints, credential).with_retry(retry))
        .context("cannot set up the clients for the local tenant")?;
    Ok((clients, tenant.tenant_id))
}

fn connect_standalone(url: &str, retry: RetryConfig) -> anyhow::Result<Target> {
    let ca_path = std::env::var_os("REGISTRAR_LOCAL_CA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".registrar/emulator-ca.pem"));
    let ca_pem = std::fs::read(&ca_path).map_err(|error| {
        anyhow::Error::new(Hinted {
            message: format!(
                "cannot read the local tenant's CA certificate `{}`: {error}",
                ca_path.display()
            ),
            hint: "set `REGISTRAR_LOCAL_CA` to the file `registrar emulator --ca-cert` wrote"
                .to_owned(),
        })
    })?;
    let (clients, tenant_id) = local_clients(url, ca_pem, retry)?;
    Ok(Target {
        clients,
        description: format!("the local tenant at {url}"),
        cloud: LOCAL_CLOUD,
        known_tenant_id: Some(tenant_id),
        local: None,
    })
}

async fn connect_embedded(retry: RetryConfig) -> anyhow::Result<Target> {
    let state_file = Path::new(LOCAL_STATE_FILE);
    if let Some(parent) = state_file.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    let emulator = Emulator::new(EmulatorConfig {
        state_file: Some(state_file.to_path_buf()),
        ..EmulatorConfig::default()
    })
    .with_context(|| format!("cannot open the local tenant in `{LOCAL_STATE_FILE}`"))?;
    let running = emulator
        .serve(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .context("cannot start the local tenant")?;
    let (clients, tenant_id) = local_clients(
        running.base_url.as_str(),
        running.ca_certificate_pem.clone().into_bytes(),
        retry,
    )?;
    Ok(Target {
        clients,
        description: format!("the local tenant ({LOCAL_STATE_FILE})"),
        cloud: LOCAL_CLOUD,
        known_tenant_id: Some(tenant_id),
        local: Some((emulator, running)),
    })
}
