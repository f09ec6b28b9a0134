//! The reads the snapshot sends in JSON batches: what each [`Read`] asks Graph for and how its
//! answer decodes, through the same URLs and wire types as [`GraphClient`]'s single-request
//! methods, so a batched read and a direct one cannot disagree.

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
            Read::ServicePrincipal(app_id) => {
                BatchGet::new(service_principal_path(app_id, SERVICE_PRINCIPAL_SELECT))
            }
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
            Read::User(upn) => BatchGet::new(user_path(upn)),
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
                | Read::User(_)
                | Read::DirectoryObject(_)
        );
        let body = match result {
            Ok(body) => body,
            Err(error) if optional && error.is_not_found() => {
                return Ok(match read {
                    Read::User(_) | Read::DirectoryObject(_) => ReadValue::DirectoryObject(None),
                    _ => ReadValue::Application(None),
                });
            }
            Err(error) => return Err(error),
        };
        let path = || format!("{}{}", self.core.endpoints.graph_base, request.path);
        Ok(match read {
            Read::ApplicationByAppId(_) | Read::ApplicationByUniqueName(_) => {
                let app: GraphApplication = decode(body, &path())?;
                ReadValue::Application(Some(Box::new(app.to_live())))
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
            Read::ServicePrincipal(_) => {
                let page: ValuePage<GraphServicePrincipal> = decode(body, &path())?;
                ReadValue::ServicePrincipal(page.value.into_iter().next().map(|sp| sp.to_live()))
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
            Read::User(_) => {
                let user: GraphDirectoryObject = decode(body, &path())?;
                ReadValue::DirectoryObject(Some(user.to_model(DirectoryObjectKind::User)))
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
    /// [`GraphClient::get_service_principal_by_app_id`].
    ServicePrincipal(String),
    /// An API's service principal with the permissions it exposes, by appId.
    ResourceServicePrincipal(String),
    /// [`GraphClient::list_app_role_assignments`] of a service principal object id.
    AppRoleAssignments(String),
    /// [`GraphClient::list_permission_grants`] of a service principal object id.
    PermissionGrants(String),
    /// A user by UPN (`/users/{upn}`, `None` on 404).
    User(String),
    /// [`GraphClient::get_directory_object`].
    DirectoryObject(String),
    /// [`GraphClient::list_service_principal_owners`] of a service principal object id
    /// (answered as [`ReadValue::Owners`]).
    ServicePrincipalOwners(String),
}

/// The answer to a [`Read`], as its single-request method returns it.
#[derive(Debug)]
pub(crate) enum ReadValue {
    Application(Option<Box<LiveApplication>>),
    Owners(Vec<String>),
    FederatedCredentials(Vec<FederatedCredential>),
    KeyCredentials(Vec<KeyCredential>),
    ServicePrincipal(Option<LiveServicePrincipal>),
    ResourceServicePrincipal(Option<ResourceServicePrincipal>),
    AppRoleAssignments(Vec<AppRoleAssignment>),
    PermissionGrants(Vec<PermissionGrant>),
    DirectoryObject(Option<DirectoryObject>),
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
