//! The per-object baseline: the tenant read the way the terraform azuread (and azurerm) provider
//! refreshes its state, one GET per object and per relationship, 10 in flight (terraform's
//! default `-parallelism`), no `$batch`, no `$select`, no `$expand`, through the bench's own
//! HTTP client.
//!
//! Like terraform, it starts from a state that already knows every object id (`State`, looked
//! up by the harness before the phase is measured, as terraform reads them from its state
//! file). Per application it sends: the application; its owners; its federated credentials;
//! its service principal; the service principal's owners, app role assignments and delegated
//! grants; the service principal's role assignments (one ARM list per principal); and each Key
//! Vault secret. Once: the resource service principal (Microsoft Graph) and the owner (a user).
//! Terraform reads a little more (each federated credential and each password as a resource of
//! its own, the application again for each), so the baseline is, if anything, cheaper than the
//! real provider.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::direct::{Direct, Service};
use crate::manifest::{MICROSOFT_GRAPH_APP_ID, NAMESPACE, OWNER, SUBSCRIPTION, VAULT};

/// Requests in flight, as terraform's default `-parallelism=10`.
const PARALLELISM: usize = 10;

/// What terraform's state file would hold: the ids of every managed object.
pub(crate) struct State {
    /// (manifest key, application object id, service principal object id).
    pub(crate) applications: Vec<(String, String, Option<String>)>,
    /// The owner's object id.
    pub(crate) owner_id: String,
}

impl State {
    /// Looks the managed applications and their service principals up (before a phase: not
    /// measured).
    pub(crate) async fn look_up(direct: &Direct) -> anyhow::Result<Self> {
        let marker = format!("registrar:{NAMESPACE}");
        let applications = direct
            .list(
                Service::Graph,
                &format!(
                    "/v1.0/applications?$filter=tags/any(t:t eq '{marker}')&$select=id,appId,uniqueName&$top=999"
                ),
            )
            .await?;
        let principals = direct
            .list(
                Service::Graph,
                "/v1.0/servicePrincipals?$select=id,appId&$top=999",
            )
            .await?;
        let principal_of = |app_id: &str| {
            principals
                .iter()
                .find(|principal| principal["appId"].as_str() == Some(app_id))
                .and_then(|principal| principal["id"].as_str().map(str::to_owned))
        };
        let prefix = format!("{NAMESPACE}.");
        let mut managed: Vec<(String, String, Option<String>)> = applications
            .iter()
            .filter_map(|app| {
                let key = app["uniqueName"]
                    .as_str()?
                    .strip_prefix(&prefix)?
                    .to_owned();
                let id = app["id"].as_str()?.to_owned();
                let principal = app["appId"].as_str().and_then(principal_of);
                Some((key, id, principal))
            })
            .collect();
        managed.sort();
        let owner = direct
            .get(Service::Graph, &format!("/v1.0/users/{OWNER}"))
            .await?;
        Ok(Self {
            applications: managed,
            owner_id: owner["id"].as_str().unwrap_or_default().to_owned(),
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "applications": self.applications,
            "owner_id": self.owner_id,
        })
    }

    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.to_json().to_string())
            .with_context(|| format!("cannot write `{}`", path.display()))
    }

    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let value: Value = serde_json::from_str(&text).context("the state is not JSON")?;
        let applications = value["applications"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|entry| {
                        Some((
                            entry[0].as_str()?.to_owned(),
                            entry[1].as_str()?.to_owned(),
                            entry[2].as_str().map(str::to_owned),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            applications,
            owner_id: value["owner_id"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

/// The GETs the baseline sends, in the order terraform's graph walk would queue them.
fn requests(state: &State) -> Vec<(Service, String)> {
    let mut requests = vec![
        (
            Service::Graph,
            format!("/v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')"),
        ),
        (Service::Graph, format!("/v1.0/users/{OWNER}")),
    ];
    for (key, application, principal) in &state.applications {
        requests.push((Service::Graph, format!("/v1.0/applications/{application}")));
        requests.push((
            Service::Graph,
            format!("/v1.0/applications/{application}/owners"),
        ));
        requests.push((
            Service::Graph,
            format!("/v1.0/applications/{application}/federatedIdentityCredentials"),
        ));
        if let Some(principal) = principal {
            requests.push((
                Service::Graph,
                format!("/v1.0/servicePrincipals/{principal}"),
            ));
            requests.push((
                Service::Graph,
                format!("/v1.0/servicePrincipals/{principal}/owners"),
            ));
            requests.push((
                Service::Graph,
                format!("/v1.0/servicePrincipals/{principal}/appRoleAssignments"),
            ));
            requests.push((
                Service::Graph,
                format!("/v1.0/oauth2PermissionGrants?$filter=clientId eq '{principal}'"),
            ));
            requests.push((
                Service::Arm,
                format!(
                    "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId eq '{principal}'"
                ),
            ));
        }
        for name in crate::manifest::secret_names(key) {
            requests.push((
                Service::KeyVault,
                format!("/vaults/{VAULT}/secrets/{name}?api-version=7.4"),
            ));
        }
    }
    requests
}

/// What one baseline read did.
pub(crate) struct BaselineRun {
    pub(crate) wall_seconds: f64,
    pub(crate) objects_read: usize,
}

/// Reads everything `state` names, [`PARALLELISM`] requests at a time; a failed read (other
/// than 404, which terraform takes as "gone") fails the run.
pub(crate) async fn read(direct: &Direct, state: &State) -> anyhow::Result<BaselineRun> {
    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(PARALLELISM));
    let mut tasks = JoinSet::new();
    for (service, target) in requests(state) {
        let direct = direct.clone();
        let slots = slots.clone();
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.context("the slots closed")?;
            let mut read = 0;
            let mut next = Some(target);
            while let Some(target) = next.take() {
                let (status, body) = direct
                    .send(service, reqwest::Method::GET, &target, None)
                    .await?;
                if status == reqwest::StatusCode::NOT_FOUND {
                    break;
                }
                if !status.is_success() {
                    anyhow::bail!("GET {target}: {status}: {body}");
                }
                read += body["value"].as_array().map_or(1, Vec::len);
                next = ["@odata.nextLink", "nextLink"]
                    .iter()
                    .find_map(|field| body[field].as_str().map(str::to_owned));
            }
            anyhow::Ok(read)
        });
    }
    let mut objects_read = 0;
    while let Some(joined) = tasks.join_next().await {
        objects_read += joined.context("a read panicked")??;
    }
    Ok(BaselineRun {
        wall_seconds: started.elapsed().as_secs_f64(),
        objects_read,
    })
}
