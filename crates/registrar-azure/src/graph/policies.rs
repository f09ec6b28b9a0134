//! The tenant's app management policies, as the snapshot reads them: the default policy
//! (`GET /policies/defaultAppManagementPolicy`) and the policies assigned to each managed
//! application (`GET /applications/{id}/appManagementPolicies`), all in one round of JSON
//! batches (⌈(N+1)/20⌉ requests for N applications). The applications' instance locks come with
//! their first read (`servicePrincipalLockConfiguration` is in the application `$select`).
//!
//! Reading policies takes `Policy.Read.ApplicationConfiguration`; a credential without it gets
//! 403, which is not an error here: the state says the policies were not read, and the planner
//! says it could not check them.

use registrar_model::{AppManagementPolicy, AppManagementState};
use serde::Deserialize;

use super::wire::GraphAppManagementPolicy;
use super::{GraphClient, encode_path};
use crate::batch::BatchGet;
use crate::error::AzureError;

/// The default policy's path.
const DEFAULT_POLICY_PATH: &str = "/policies/defaultAppManagementPolicy";

#[derive(Deserialize)]
struct PolicyPage {
    #[serde(default)]
    value: Vec<GraphAppManagementPolicy>,
}

/// Whether an error means "this credential may not read policies".
fn is_forbidden(error: &AzureError) -> bool {
    error.status() == Some(403)
}

impl GraphClient {
    /// Reads the default policy and the policies assigned to each application object id in
    /// `application_ids`: the state, and one list per id in the order given.
    pub(crate) async fn read_app_management(
        &self,
        application_ids: &[String],
    ) -> Result<(AppManagementState, Vec<Vec<AppManagementPolicy>>), AzureError> {
        let mut requests = vec![BatchGet::new(DEFAULT_POLICY_PATH)];
        requests.extend(application_ids.iter().map(|id| {
            BatchGet::new(format!(
                "/applications/{}/appManagementPolicies",
                encode_path(id)
            ))
            .fresh(self.is_fresh(id))
        }));
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
        let mut assigned = Vec::with_capacity(application_ids.len());
        for (id, answer) in application_ids.iter().zip(answers) {
            match answer {
                Ok(body) => {
                    let page: PolicyPage =
                        decode(body, &format!("/applications/{id}/appManagementPolicies"))?;
                    assigned.push(
                        page.value
                            .iter()
                            .map(GraphAppManagementPolicy::custom_to_model)
                            .collect(),
                    );
                }
                Err(error) if is_forbidden(&error) => return Ok(unread()),
                // Not there (yet): nothing is assigned to it.
                Err(error) if error.is_not_found() => assigned.push(Vec::new()),
                Err(error) => return Err(error),
            }
        }
        Ok((
            AppManagementState {
                read: true,
                default_policy,
            },
            assigned,
        ))
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
