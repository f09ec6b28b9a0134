//! Where the services live: the authority (login) host, Graph, ARM and Key Vault base URLs, and
//! the token scope of each audience, for the public and sovereign clouds and the local tenant.
//!
//! Nothing here does I/O; [`Endpoints`] is plain configuration the clients read.

use std::fmt;

/// A service Registrar talks to. It names the service in errors ([`crate::ServiceError`]) and
/// is the audience of a token: each needs its own (docs/azure-behaviour.md, "Hosts, clouds, tokens and API versions"), a Graph token is rejected by
/// Key Vault and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Microsoft Graph.
    Graph,
    /// Azure Resource Manager.
    Arm,
    /// Azure Key Vault (data plane).
    KeyVault,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Graph => "Microsoft Graph",
            Service::Arm => "Azure Resource Manager",
            Service::KeyVault => "Key Vault",
        })
    }
}

/// The token scope (`{resource}/.default`) of each audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scopes {
    /// e.g. `https://graph.microsoft.com/.default`.
    pub(crate) graph: String,
    /// e.g. `https://management.azure.com/.default`.
    pub(crate) arm: String,
    /// e.g. `https://vault.azure.net/.default`.
    pub(crate) key_vault: String,
}

impl Scopes {
    /// The scope for one audience.
    pub(crate) fn for_audience(&self, audience: Service) -> &str {
        match audience {
            Service::Graph => &self.graph,
            Service::Arm => &self.arm,
            Service::KeyVault => &self.key_vault,
        }
    }
}

/// The placeholder for the vault name in [`Endpoints::key_vault_template`].
pub(crate) const VAULT_PLACEHOLDER: &str = "{vault}";

/// The service endpoints of one cloud (or of the local tenant).
///
/// All base URLs are stored without a trailing slash.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// A short name for messages: `public`, `usgov`, `china` or `local`.
    pub name: String,
    /// The Entra ID authority host, e.g. `https://login.microsoftonline.com`. azure_identity
    /// rejects anything but https.
    pub authority_host: String,
    /// Microsoft Graph v1.0 base, e.g. `https://graph.microsoft.com/v1.0`.
    pub(crate) graph_base: String,
    /// Azure Resource Manager base, e.g. `https://management.azure.com`.
    pub(crate) arm_base: String,
    /// The Key Vault URL of a vault, with [`VAULT_PLACEHOLDER`] standing for the vault name:
    /// `https://{vault}.vault.azure.net` in Azure, `{base}/vaults/{vault}` in the local tenant.
    pub(crate) key_vault_template: String,
    /// The token scope per audience.
    pub(crate) scopes: Scopes,
    /// An extra CA certificate (PEM) to trust, for the local tenant's generated certificate.
    pub(crate) extra_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoints")
            .field("name", &self.name)
            .field("authority_host", &self.authority_host)
            .field("graph_base", &self.graph_base)
            .field("arm_base", &self.arm_base)
            .field("key_vault_template", &self.key_vault_template)
            .field("scopes", &self.scopes)
            .field(
                "extra_ca_pem",
                &self.extra_ca_pem.as_ref().map(|pem| pem.len()),
            )
            .finish()
    }
}

impl Endpoints {
    fn cloud(name: &str, login: &str, graph: &str, arm: &str, vault_suffix: &str) -> Self {
        Self {
            name: name.to_owned(),
            authority_host: format!("https://{login}"),
            graph_base: format!("https://{graph}/v1.0"),
            arm_base: format!("https://{arm}"),
            key_vault_template: format!("https://{VAULT_PLACEHOLDER}.{vault_suffix}"),
            scopes: Scopes {
                graph: format!("https://{graph}/.default"),
                arm: format!("https://{arm}/.default"),
                key_vault: format!("https://{vault_suffix}/.default"),
            },
            extra_ca_pem: None,
        }
    }

    /// The global Azure cloud.
    pub fn public() -> Self {
        Self::cloud(
            "public",
            "login.microsoftonline.com",
            "graph.microsoft.com",
            "management.azure.com",
            "vault.azure.net",
        )
    }

    /// Azure US Government (GCC High; L4).
    pub fn us_gov() -> Self {
        Self::cloud(
            "usgov",
            "login.microsoftonline.us",
            "graph.microsoft.us",
            "management.usgovcloudapi.net",
            "vault.usgovcloudapi.net",
        )
    }

    /// Azure operated by 21Vianet (China).
    pub fn china() -> Self {
        Self::cloud(
            "china",
            "login.chinacloudapi.cn",
            "microsoftgraph.chinacloudapi.cn",
            "management.chinacloudapi.cn",
            "vault.azure.cn",
        )
    }

    /// The local tenant (the emulator) at `base_url`, e.g. `https://127.0.0.1:8443`: Graph at
    /// `{base}/v1.0`, the token endpoint at `{base}/{tenant}/oauth2/v2.0/token`, Key Vault at
    /// `{base}/vaults/{vault}`, ARM at `{base}`. Token scopes are those of the public cloud,
    /// which is what the emulator checks. Add the emulator's CA with
    /// [`Endpoints::with_extra_ca_pem`].
    pub fn local(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        let public = Self::public();
        Self {
            name: "local".to_owned(),
            authority_host: base.to_owned(),
            graph_base: format!("{base}/v1.0"),
            arm_base: base.to_owned(),
            key_vault_template: format!("{base}/vaults/{VAULT_PLACEHOLDER}"),
            scopes: public.scopes,
            extra_ca_pem: None,
        }
    }

    /// Trusts one more CA certificate (PEM).
    pub fn with_extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// Whether these are the local tenant's endpoints (only the extra CA is trusted then).
    pub(crate) fn is_local(&self) -> bool {
        self.name == "local"
    }

    /// The base URL of a vault, e.g. `https://myvault.vault.azure.net`.
    pub(crate) fn key_vault_url(&self, vault: &str) -> String {
        self.key_vault_template.replace(VAULT_PLACEHOLDER, vault)
    }

    /// The `@odata.id` Graph expects when adding a reference: `{graph base}/directoryObjects/{id}`.
    pub(crate) fn directory_object_odata_id(&self, object_id: &str) -> String {
        format!("{}/directoryObjects/{object_id}", self.graph_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_public_hosts_and_scopes() {
        let endpoints = Endpoints::public();
        assert_eq!(endpoints.graph_base, "https://graph.microsoft.com/v1.0");
        assert_eq!(
            endpoints.key_vault_url("kv1"),
            "https://kv1.vault.azure.net"
        );
        assert_eq!(
            endpoints.scopes.for_audience(Service::KeyVault),
            "https://vault.azure.net/.default"
        );
        assert_eq!(
            endpoints.scopes.arm,
            "https://management.azure.com/.default"
        );
    }

    #[test]
    fn endpoints_sovereign_clouds() {
        assert_eq!(
            Endpoints::us_gov().graph_base,
            "https://graph.microsoft.us/v1.0"
        );
        assert_eq!(
            Endpoints::us_gov().key_vault_url("v"),
            "https://v.vault.usgovcloudapi.net"
        );
        assert_eq!(
            Endpoints::china().authority_host,
            "https://login.chinacloudapi.cn"
        );
        assert_eq!(
            Endpoints::china().scopes.graph,
            "https://microsoftgraph.chinacloudapi.cn/.default"
        );
    }

    #[test]
    fn endpoints_local_paths() {
        let endpoints = Endpoints::local("https://127.0.0.1:8443/");
        assert_eq!(endpoints.graph_base, "https://127.0.0.1:8443/v1.0");
        assert_eq!(
            endpoints.key_vault_url("kv"),
            "https://127.0.0.1:8443/vaults/kv"
        );
        assert_eq!(
            endpoints.scopes.graph,
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            endpoints.directory_object_odata_id("abc"),
            "https://127.0.0.1:8443/v1.0/directoryObjects/abc"
        );
    }
}
