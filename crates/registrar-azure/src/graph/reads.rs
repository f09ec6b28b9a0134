//! The reads the snapshot sends in JSON batches: what each [`Read`] asks Graph for and how its
//! answer decodes, through the same URLs and wire types as [`GraphClient`]'s single-request
//! methods, so a batched read and a direct one cannot disagree.
//!
//! Every read selects the properties it decodes (`$select`: 1 RU less, and a smaller answer),
//! but a directory object by id (see `directory_object_path`). Lists that can answer for many
//! objects do: service principals and users by `$filter=… in (…)` over at most
//! [`MAX_IN_VALUES`] values, each service principal with its owners expanded. An expanded owners
//! list of [`super::EXPAND_LIMIT`] or more may be truncated (Graph gives no nextLink for it);
//! the caller reads those owners again with [`Read::Owners`] or [`Read::ServicePrincipalOwners`].
//! The app role assignments the service principals hold come the same way, in a second list per
//! chunk ([`Read::HeldAppRoles`]: Registrar expands one relationship per request), and are read
//! again with [`Read::AppRoleAssignments`] at 20 or more.

use serde::Deserialize;

use super::*;

impl GraphClient {
    /// Sends `reads` in JSON batches and decodes each answer as the matching single-request
    /// method would (a 404 is `None` where that method returns an `Option`). Fails on the first
    /// error.
    pub(crate) async fn read_batched(&self, reads: &[Read]) -> Result<Vec<ReadValue>, AzureError> {
        let requests: Vec<BatchGet> = reads.iter().map(|read| self.read_request(read)).collect();
        let results = self.core.batch_get(&requests, self.concurrency).await?;
        reads
            .iter()
            .zip(requests.iter().zip(results))
            .map(|(read, (request, result))| self.read_value(read, request, result))
            .collect()
    }

    fn read_request(&self, read: &Read) -> BatchGet {
        match read {
            Read::ApplicationByAppId(app_id) => {
                BatchGet::new(application_path(&application_by_app_id(app_id)))
            }
            Read::ApplicationByUniqueName(name) => {
                BatchGet::new(application_path(&application_by_unique_name(name)))
            }
            Read::Owners(id) => BatchGet::new(owners_path(id)).fresh(self.is_fresh(id)),
            Read::FederatedCredentials(id) => {
                BatchGet::new(federated_credentials_path(id)).fresh(self.is_fresh(id))
            }
            Read::KeyCredentials(id) => {
                BatchGet::new(key_credentials_path(id)).fresh(self.is_fresh(id))
            }
            Read::ServicePrincipals(app_ids) => BatchGet::new(service_principals_path(
                app_ids,
                SERVICE_PRINCIPAL_SELECT,
                Some(EXPAND_OWNERS),
            )),
            Read::HeldAppRoles(app_ids) => BatchGet::new(service_principals_path(
                app_ids,
                "id,appId",
                Some(EXPAND_APP_ROLE_ASSIGNMENTS),
            )),
            Read::ResourceServicePrincipals(app_ids) => BatchGet::new(service_principals_path(
                app_ids,
                RESOURCE_SERVICE_PRINCIPAL_SELECT,
                None,
            )),
            Read::Users(names) => BatchGet::new(users_path(names)),
            Read::ResourceServicePrincipal(app_id) => BatchGet::new(service_principal_path(
                app_id,
                RESOURCE_SERVICE_PRINCIPAL_SELECT,
            )),
            Read::AppRoleAssignments(sp_id) => {
                BatchGet::new(app_role_assignments_path(sp_id)).fresh(self.is_fresh(sp_id))
            }
            Read::PermissionGrants(sp_id) => {
                BatchGet::new(permission_grants_path(sp_id)).fresh(self.is_fresh(sp_id))
            }
            Read::DirectoryObject(id) => BatchGet::new(directory_object_path(id)),
            Read::ServicePrincipalOwners(sp_id) => BatchGet::new(
                service_principal_extras::service_principal_owners_path(sp_id),
            )
            .fresh(self.is_fresh(sp_id)),
        }
    }

    fn read_value(
        &self,
        read: &Read,
        request: &BatchGet,
        result: Result<serde_json::Value, AzureError>,
    ) -> Result<ReadValue, AzureError> {
        let optional = matches!(
            read,
            Read::ApplicationByAppId(_)
                | Read::ApplicationByUniqueName(_)
                | Read::DirectoryObject(_)
        );
        let body = match result {
            Ok(body) => body,
            Err(error) if optional && error.is_not_found() => {
                return Ok(match read {
                    Read::DirectoryObject(_) => ReadValue::DirectoryObject(None),
                    _ => ReadValue::Application(None, false),
                });
            }
            Err(error) => return Err(error),
        };
        let path = || format!("{}{}", self.core.endpoints.graph_base, request.path);
        Ok(match read {
            Read::ApplicationByAppId(_) | Read::ApplicationByUniqueName(_) => {
                let app: GraphApplication = decode(body, &path())?;
                let mut live = app.to_live();
                let owners = complete_owners(app.owners.as_deref());
                let complete = owners.is_some();
                live.owners = owners.unwrap_or_default();
                ReadValue::Application(Some(Box::new(live)), complete)
            }
            Read::Owners(_) | Read::ServicePrincipalOwners(_) => {
                let page: ValuePage<IdOnly> = decode(body, &path())?;
                ReadValue::Owners(page.value.into_iter().map(|owner| owner.id).collect())
            }
            Read::FederatedCredentials(_) => {
                let page: ValuePage<GraphFederatedCredential> = decode(body, &path())?;
                ReadValue::FederatedCredentials(
                    page.value
                        .iter()
                        .map(GraphFederatedCredential::to_model)
                        .collect(),
                )
            }
            Read::KeyCredentials(_) => {
                let found: KeyCredentialsOnly = decode(body, &path())?;
                ReadValue::KeyCredentials(key_credentials_to_model(found))
            }
            Read::ServicePrincipals(_) => {
                let page: ValuePage<GraphServicePrincipal> = decode(body, &path())?;
                ReadValue::ServicePrincipals(
                    page.value
                        .iter()
                        .map(|sp| ExpandedServicePrincipal {
                            principal: sp.to_live(),
                            owners: complete_owners(sp.owners.as_deref()),
                        })
                        .collect(),
                )
            }
            Read::HeldAppRoles(_) => {
                let page: ValuePage<GraphServicePrincipal> = decode(body, &path())?;
                ReadValue::HeldAppRoles(
                    page.value
                        .iter()
                        .map(|sp| HeldAppRoles {
                            app_id: sp.app_id().to_owned(),
                            assignments: sp
                                .app_role_assignments
                                .as_ref()
                                .filter(|held| held.len() < EXPAND_LIMIT)
                                .map(|held| {
                                    held.iter().map(GraphAppRoleAssignment::to_model).collect()
                                }),
                        })
                        .collect(),
                )
            }
            Read::ResourceServicePrincipals(_) => {
                let page: ValuePage<GraphServicePrincipal> = decode(body, &path())?;
                ReadValue::ResourceServicePrincipals(
                    page.value
                        .iter()
                        .map(GraphServicePrincipal::to_resource)
                        .collect(),
                )
            }
            Read::Users(_) => {
                let page: ValuePage<GraphDirectoryObject> = decode(body, &path())?;
                ReadValue::DirectoryObjects(
                    page.value
                        .into_iter()
                        .map(|user| user.to_model(DirectoryObjectKind::User))
                        .collect(),
                )
            }
            Read::ResourceServicePrincipal(_) => {
                let page: ValuePage<GraphServicePrincipal> = decode(body, &path())?;
                ReadValue::ResourceServicePrincipal(
                    page.value.into_iter().next().map(|sp| sp.to_resource()),
                )
            }
            Read::AppRoleAssignments(_) => {
                let page: ValuePage<GraphAppRoleAssignment> = decode(body, &path())?;
                ReadValue::AppRoleAssignments(
                    page.value
                        .iter()
                        .map(GraphAppRoleAssignment::to_model)
                        .collect(),
                )
            }
            Read::PermissionGrants(_) => {
                let page: ValuePage<GraphPermissionGrant> = decode(body, &path())?;
                ReadValue::PermissionGrants(
                    page.value
                        .iter()
                        .map(GraphPermissionGrant::to_model)
                        .collect(),
                )
            }
            Read::DirectoryObject(_) => {
                let object: GraphDirectoryObject = decode(body, &path())?;
                ReadValue::DirectoryObject(Some(object.to_model(DirectoryObjectKind::Other)))
            }
        })
    }
}

// ----- reads shared by the single requests and the batches ------------------------------------

/// A read [`GraphClient::read_batched`] sends in a JSON batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// The application with this appId (`None` on 404).
    ApplicationByAppId(String),
    /// The application with this uniqueName (`None` on 404).
    ApplicationByUniqueName(String),
    /// [`GraphClient::list_owners`] of an application object id.
    Owners(String),
    /// The federated identity credentials of an application object id.
    FederatedCredentials(String),
    /// [`GraphClient::get_key_credentials`] of an application object id.
    KeyCredentials(String),
    /// An API's service principal with the permissions it exposes, by appId.
    ResourceServicePrincipal(String),
    /// The service principals of up to [`MAX_IN_VALUES`] appIds, with their own credentials
    /// and owners (`$filter=appId in (…)`, `$expand=owners`).
    ServicePrincipals(Vec<String>),
    /// The app role assignments held by the service principals of up to [`MAX_IN_VALUES`]
    /// appIds (`$filter=appId in (…)`, `$expand=appRoleAssignments`).
    HeldAppRoles(Vec<String>),
    /// The service principals of up to [`MAX_IN_VALUES`] APIs, with the permissions they
    /// expose (`$filter=appId in (…)`).
    ResourceServicePrincipals(Vec<String>),
    /// The users of up to [`MAX_IN_VALUES`] UPNs (`$filter=userPrincipalName in (…)`).
    Users(Vec<String>),
    /// [`GraphClient::list_app_role_assignments`] of a service principal object id.
    AppRoleAssignments(String),
    /// [`GraphClient::list_permission_grants`] of a service principal object id.
    PermissionGrants(String),
    /// [`GraphClient::get_directory_object`].
    DirectoryObject(String),
    /// [`GraphClient::list_service_principal_owners`] of a service principal object id
    /// (answered as [`ReadValue::Owners`]).
    ServicePrincipalOwners(String),
}

/// The answer to a [`Read`], as its single-request method returns it.
#[derive(Debug)]
pub(crate) enum ReadValue {
    /// The application, with its owners when the second field says they are complete.
    Application(Option<Box<LiveApplication>>, bool),
    ServicePrincipals(Vec<ExpandedServicePrincipal>),
    HeldAppRoles(Vec<HeldAppRoles>),
    ResourceServicePrincipals(Vec<ResourceServicePrincipal>),
    DirectoryObjects(Vec<DirectoryObject>),
    Owners(Vec<String>),
    FederatedCredentials(Vec<FederatedCredential>),
    KeyCredentials(Vec<KeyCredential>),
    ResourceServicePrincipal(Option<ResourceServicePrincipal>),
    AppRoleAssignments(Vec<AppRoleAssignment>),
    PermissionGrants(Vec<PermissionGrant>),
    DirectoryObject(Option<DirectoryObject>),
}

/// A service principal read by [`Read::ServicePrincipals`].
#[derive(Debug)]
pub(crate) struct ExpandedServicePrincipal {
    /// The service principal (owners not filled in).
    pub(crate) principal: LiveServicePrincipal,
    /// Its owners' ids, `None` when they must be read on their own.
    pub(crate) owners: Option<Vec<String>>,
}

/// The app role assignments one service principal holds, read by [`Read::HeldAppRoles`].
#[derive(Debug)]
pub(crate) struct HeldAppRoles {
    /// The service principal's appId.
    pub(crate) app_id: String,
    /// The assignments, `None` when they must be read on their own (not expanded, or
    /// [`super::EXPAND_LIMIT`] or more, which may be cut short).
    pub(crate) assignments: Option<Vec<AppRoleAssignment>>,
}

/// `values` in chunks of at most [`MAX_IN_VALUES`], for the `in (…)` reads.
pub(crate) fn in_chunks(values: impl IntoIterator<Item = String>) -> Vec<Vec<String>> {
    let values: Vec<String> = values.into_iter().collect();
    values
        .chunks(MAX_IN_VALUES)
        .map(<[String]>::to_vec)
        .collect()
}

/// A collection answer whose pages were already joined.
#[derive(Deserialize)]
struct ValuePage<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
}

fn decode<T: for<'de> Deserialize<'de>>(
    body: serde_json::Value,
    url: &str,
) -> Result<T, AzureError> {
    serde_json::from_value(body).map_err(|source| AzureError::Decode {
        method: "GET".to_owned(),
        path: reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), |url| url.path().to_owned()),
        status: 200,
        source,
    })
}
