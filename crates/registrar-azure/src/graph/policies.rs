//! The tenant's app management policies, as the snapshot reads them: the default policy
//! (`GET /policies/defaultAppManagementPolicy`) and the custom policies with the objects each
//! applies to (`GET /policies/appManagementPolicies`, then `…/{id}/appliesTo` per policy): one
//! batch, and a second one only when the tenant has custom policies, whatever the number of
//! applications. The applications' instance locks come with
//! their first read (`servicePrincipalLockConfiguration` is in the application `$select`).
//!
//! Reading policies takes `Policy.Read.ApplicationConfiguration`; a credential without it gets
//! 403, which is not an error here: the state says the policies were not read, and the planner
//! says it could not check them.

use std::collections::HashMap;

use registrar_model::{AppManagementPolicy, AppManagementState};
use serde::Deserialize;

use super::wire::GraphAppManagementPolicy;
use super::{GraphClient, IdOnly, encode_path};
use crate::batch::BatchGet;
use crate::error::AzureError;

/// The default policy's path.
const DEFAULT_POLICY_PATH: &str = "/policies/defaultAppManagementPolicy";

/// The custom policies' collection.
const POLICIES_PATH: &str = "/policies/appManagementPolicies";

/// One page of a collection read in a batch.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct PolicyPage<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// Whether an error means "this credential may not read policies".
fn is_forbidden(error: &AzureError) -> bool {
    error.status() == Some(403)
}

impl GraphClient {
    /// Reads the default policy and the policies assigned to each application object id in
    /// `application_ids`: the state, and one list per id in the order given.
    ///
    /// The assignments are read from the policies' side (`appliesTo` of each policy), so the
    /// cost grows with the tenant's custom policies, which are few, never with the
    /// applications: one batch of the default policy and the policy list, then one batch of
    /// the `appliesTo` lists when there are custom policies.
    pub(crate) async fn read_app_management(
        &self,
        application_ids: &[String],
    ) -> Result<(AppManagementState, Vec<Vec<AppManagementPolicy>>), AzureError> {
        let requests = [
            BatchGet::new(DEFAULT_POLICY_PATH),
            BatchGet::new(POLICIES_PATH),
        ];
        let mut answers = self
            .core
            .batch_get(&requests, self.concurrency)
            .await?
            .into_iter();
        let unread = || {
            (
                AppManagementState::default(),
                vec![Vec::new(); application_ids.len()],
            )
        };
        let default_policy = match answers.next() {
            Some(Ok(body)) => {
                let policy: GraphAppManagementPolicy = decode(body, DEFAULT_POLICY_PATH)?;
                Some(policy.default_to_model())
            }
            Some(Err(error)) if is_forbidden(&error) => {
                tracing::warn!("app management policies not readable (403); not checked");
                return Ok(unread());
            }
            Some(Err(error)) if error.is_not_found() => None,
            Some(Err(error)) => return Err(error),
            None => None,
        };
        let policies: Vec<GraphAppManagementPolicy> = match answers.next() {
            Some(Ok(body)) => self.rest_of_pages(body, POLICIES_PATH).await?,
            Some(Err(error)) if is_forbidden(&error) => return Ok(unread()),
            Some(Err(error)) if error.is_not_found() => Vec::new(),
            Some(Err(error)) => return Err(error),
            None => Vec::new(),
        };
        let applies_to_paths: Vec<String> = policies
            .iter()
            .map(|policy| {
                format!(
                    "{POLICIES_PATH}/{}/appliesTo?$select=id",
                    encode_path(policy.id())
                )
            })
            .collect();
        let applies_to_answers = if applies_to_paths.is_empty() {
            Vec::new()
        } else {
            let requests: Vec<BatchGet> = applies_to_paths.iter().map(BatchGet::new).collect();
            self.core.batch_get(&requests, self.concurrency).await?
        };
        let mut by_application: HashMap<String, Vec<AppManagementPolicy>> = HashMap::new();
        for ((policy, path), answer) in policies
            .iter()
            .zip(&applies_to_paths)
            .zip(applies_to_answers)
        {
            let targets: Vec<IdOnly> = match answer {
                Ok(body) => self.rest_of_pages(body, path).await?,
                Err(error) if is_forbidden(&error) => return Ok(unread()),
                // Deleted between the two reads: it applies to nothing.
                Err(error) if error.is_not_found() => Vec::new(),
                Err(error) => return Err(error),
            };
            let model = policy.custom_to_model();
            for target in targets {
                by_application
                    .entry(target.id.to_ascii_lowercase())
                    .or_default()
                    .push(model.clone());
            }
        }
        let assigned = application_ids
            .iter()
            .map(|id| {
                by_application
                    .get(&id.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        Ok((
            AppManagementState {
                read: true,
                default_policy,
            },
            assigned,
        ))
    }

    /// The items of a collection whose first page came in a batch answer: that page's, then
    /// those of the pages its `@odata.nextLink` leads to.
    async fn rest_of_pages<T: for<'de> Deserialize<'de>>(
        &self,
        body: serde_json::Value,
        path: &str,
    ) -> Result<Vec<T>, AzureError> {
        let page: PolicyPage<T> = decode(body, path)?;
        let mut items = page.value;
        if let Some(next) = page.next_link {
            items.extend(
                self.core
                    .get_all_pages::<T>(next, crate::endpoints::Service::Graph)
                    .await?,
            );
        }
        Ok(items)
    }
}

fn decode<T: for<'de> Deserialize<'de>>(
    body: serde_json::Value,
    path: &str,
) -> Result<T, AzureError> {
    serde_json::from_value(body).map_err(|source| AzureError::Decode {
        method: "GET".to_owned(),
        path: path.split('?').next().unwrap_or(path).to_owned(),
        status: 200,
        source,
    })
}
