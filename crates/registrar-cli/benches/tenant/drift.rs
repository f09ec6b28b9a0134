//! The drift: a share of the applications changed behind Registrar's back, directly in the
//! local tenant through Graph (as someone in the portal would), in three kinds taken in turn:
//! a changed redirect URI, a removed owner, an extra client secret. Not measured: the harness
//! re-arms the throttle afterwards, so the next phase starts with full buckets.

use anyhow::bail;
use reqwest::Method;
use serde_json::json;

use crate::baseline::State;
use crate::direct::{Direct, Service};

/// What was drifted, for the report.
#[derive(Debug, Default)]
pub(crate) struct Drifted {
    pub(crate) redirect_uris: usize,
    pub(crate) owners_removed: usize,
    pub(crate) extra_secrets: usize,
}

impl Drifted {
    pub(crate) fn total(&self) -> usize {
        self.redirect_uris + self.owners_removed + self.extra_secrets
    }
}

/// Drifts `percent` % of the applications (at least one): every `100 / percent`-th one.
pub(crate) async fn make(
    direct: &Direct,
    state: &State,
    percent: usize,
) -> anyhow::Result<Drifted> {
    let step = (100 / percent.clamp(1, 100)).max(1);
    let mut drifted = Drifted::default();
    for (turn, (key, application, _)) in state.applications.iter().step_by(step).enumerate() {
        let path = format!("/v1.0/applications/{application}");
        let (method, target, body) = match turn % 3 {
            0 => {
                drifted.redirect_uris += 1;
                (
                    Method::PATCH,
                    path,
                    Some(
                        json!({ "web": { "redirectUris": [format!("https://{key}.drifted.contoso.com/auth")] } }),
                    ),
                )
            }
            1 => {
                drifted.owners_removed += 1;
                (
                    Method::DELETE,
                    format!("{path}/owners/{}/$ref", state.owner_id),
                    None,
                )
            }
            _ => {
                drifted.extra_secrets += 1;
                (
                    Method::POST,
                    format!("{path}/addPassword"),
                    Some(json!({ "passwordCredential": { "displayName": "added in the portal" } })),
                )
            }
        };
        let (status, answer) = direct
            .send(Service::Graph, method.clone(), &target, body.as_ref())
            .await?;
        if !status.is_success() {
            // addPassword's answer holds the secret's value only on success, never here.
            bail!("{method} {target}: {status}: {answer}");
        }
    }
    Ok(drifted)
}
