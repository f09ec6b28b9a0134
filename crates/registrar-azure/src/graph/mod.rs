//! [`GraphClient`]: typed Microsoft Graph v1.0 operations on applications, service principals,
//! owners, credentials and directory objects, in model types.
//!
//! Writes go by object id (docs/azure-behaviour.md, "Addressing"). Objects this client created or restored in the current
//! run are remembered, so later requests on them retry replication-lag errors (404 after create,
//! `NoBackingApplicationObject`) until the consistency deadline — see [`crate::retry`].
//!
//! Reads can also go in JSON batches ([`GraphClient::batch_get`], [`crate::batch`]): the snapshot
//! reads every application's details that way, through the same URLs and decoding as the
//! single-request methods here.

mod policies;
mod reads;
pub(crate) use reads::{ExpandedServicePrincipal, Read, ReadValue, in_chunks};
mod create_extras;
mod credentials;
pub use create_extras::{CreateExtras, MAX_BOUND_OWNERS};
mod service_principal_extras;
pub mod wire;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use registrar_model::{
    APP_ID_PLACEHOLDER, AppRoleAssignment, ApplicationField, ApplicationSettings,
    DeletedApplication, DirectoryObject, DirectoryObjectKind, FederatedCredential, KeyCredential,
    LiveApplication, LiveServicePrincipal, PasswordCredential, PermissionGrant,
    ResourceServicePrincipal, ServicePrincipalSettings,
};

use crate::batch::BatchGet;
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, HttpCore, encode_path, encode_query, odata_string};
use crate::secret::SecretValue;
use wire::{
    APP_ROLE_ASSIGNMENT_SELECT, APPLICATION_SELECT, DELETED_APPLICATION_SELECT,
    FEDERATED_CREDENTIAL_SELECT, GraphAppRoleAssignment, GraphApplication, GraphDirectoryObject,
    GraphFederatedCredential, GraphKeyCredential, GraphPasswordCredential, GraphPermissionGrant,
    GraphServicePrincipal, PERMISSION_GRANT_SELECT, RESOURCE_SERVICE_PRINCIPAL_SELECT,
    SERVICE_PRINCIPAL_SELECT,
};

/// The ids of an application after an upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertedApplication {
    /// Object id.
    pub id: String,
    /// appId.
    pub app_id: String,
    /// Whether the upsert created it (201) rather than updating an existing one (204).
    pub created: bool,
    /// Whether the [`CreateExtras`] went with the create (its 201 answer says they are in
    /// place). When false the caller sends them one by one: the application existed already
    /// (a retry after a lost answer, say), or Graph refused them in the upsert.
    pub extras_applied: bool,
}

/// A client secret just added: its metadata and its value, returned only this once.
#[derive(Debug)]
pub struct AddedPassword {
    /// The credential as Graph lists it.
    pub credential: PasswordCredential,
    /// `secretText`.
    pub value: SecretValue,
}

/// Typed Microsoft Graph operations. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphClient {
    core: Arc<HttpCore>,
    fresh: Arc<Mutex<HashSet<String>>>,
    /// `$batch` requests in flight at once.
    concurrency: usize,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IdOnly {
    #[serde(default)]
    id: String,
}

/// Objects Graph returns in one expanded relationship of a directory object (`$expand=owners`),
/// with no nextLink for the rest (Graph's known issues, "query parameters"): an expanded list
/// this long may be cut short, so its owners are read again with a normal, paged list.
pub(crate) const EXPAND_LIMIT: usize = 20;

/// The values one `in (…)` clause of a `$filter` may hold (Graph's known issues: 15 expressions
/// per filter clause).
pub(crate) const MAX_IN_VALUES: usize = 15;

/// The `$expand` of an owners relationship, ids only.
pub(crate) const EXPAND_OWNERS: &str = "owners($select=id)";

/// The `$expand` of the app role assignments a service principal holds.
pub(crate) const EXPAND_APP_ROLE_ASSIGNMENTS: &str =
    "appRoleAssignments($select=id,resourceId,appRoleId)";

/// The owners' ids of an expanded `owners`, or `None` when Graph did not expand them or the
/// list may be truncated (it holds [`EXPAND_LIMIT`] or more).
pub(crate) fn complete_owners(expanded: Option<&[IdOnly]>) -> Option<Vec<String>> {
    let owners = expanded?;
    (owners.len() < EXPAND_LIMIT).then(|| owners.iter().map(|owner| owner.id.clone()).collect())
}

/// An application read with its owners expanded.
#[derive(Debug)]
pub(crate) struct ApplicationWithOwners {
    /// The application (owners not filled in).
    pub(crate) application: LiveApplication,
    /// Its owners' ids, `None` when they must be read on their own (see [`complete_owners`]).
    pub(crate) owners: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyCredentialsOnly {
    #[serde(default)]
    key_credentials: Option<Vec<GraphKeyCredential>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordCredentialsOnly {
    #[serde(default)]
    password_credentials: Option<Vec<GraphPasswordCredential>>,
}

impl GraphClient {
    pub(crate) fn new(core: Arc<HttpCore>, concurrency: usize) -> Self {
        Self {
            core,
            fresh: Arc::new(Mutex::new(HashSet::new())),
            concurrency: concurrency.max(1),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.core.endpoints.graph_base)
    }

    /// Remembers that `id` (an object id or appId) was created in this run, so requests on it
    /// retry replication-lag errors. The upsert and create calls do this themselves.
    pub(crate) fn mark_fresh(&self, id: &str) {
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.insert(id.to_ascii_lowercase());
        }
    }

    /// Whether `id` was created or restored in this run.
    pub(crate) fn is_fresh(&self, id: &str) -> bool {
        self.fresh
            .lock()
            .is_ok_and(|fresh| fresh.contains(&id.to_ascii_lowercase()))
    }

    /// Sends GETs in JSON batches (`POST /$batch`, at most 20 each,
    /// `AzureConfig::concurrency` batches in flight) and returns one result per request,
    /// in order: the response body (a collection with every page's `value`: a nextLink in an
    /// answer is followed with normal GETs) or the typed error a direct GET would get
    /// ([`crate::ServiceError`] for an inner non-2xx). Inner 429, 503 and 504 answers are resent
    /// alone, in a new batch, after the longest inner `Retry-After`, as the retry policy
    /// decides for each; a request on a fresh object also retries replication-lag 404s.
    ///
    /// `Err` when a `$batch` request itself failed after its retries (transport, token, an
    /// error status on the batch, an unreadable batch answer).
    pub async fn batch_get(
        &self,
        requests: Vec<BatchGet>,
    ) -> Result<Vec<Result<serde_json::Value, AzureError>>, AzureError> {
        self.core.batch_get(&requests, self.concurrency).await
    }

    async fn get_optional<T: for<'de> Deserialize<'de>>(
        &self,
        url: String,
    ) -> Result<Option<T>, AzureError> {
        match self
            .core
            .send(&Call::new(Method::GET, url, Service::Graph))
            .await
        {
            Ok(reply) => reply.json().map(Some),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Sends a write; a DELETE answered 404 counts as done (the object is already gone). An
    /// idempotent one (PATCH, PUT, DELETE) may go in a `$batch` with the writes of other
    /// changes ([`crate::write_batch`]); its reply then has no body.
    async fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        fresh_id: &str,
    ) -> Result<crate::http::Reply, AzureError> {
        self.write_with_headers(method, path, body, &[], fresh_id)
            .await
    }

    async fn write_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&'static str, &'static str)],
        fresh_id: &str,
    ) -> Result<crate::http::Reply, AzureError> {
        let is_delete = method == Method::DELETE;
        let fresh = self.is_fresh(fresh_id);
        let sent = if self.core.batch_writes && crate::write_batch::gatherable(&method) {
            let request = crate::batch::BatchRequest {
                method,
                path: path.to_owned(),
                body,
                headers: headers.to_vec(),
                fresh_object: fresh,
                idempotent: true,
            };
            self.core
                .writes
                .send(&self.core, request)
                .await
                .map(|_| crate::http::Reply::empty())
        } else {
            let mut call = Call::new(method, self.url(path), Service::Graph)
                .fresh(fresh)
                .headers(headers);
            if let Some(body) = body {
                call = call.body(body);
            }
            self.core.send(&call).await
        };
        sent.or_else(|error| {
            if is_delete && error.is_not_found() {
                tracing::debug!(path, "delete: already gone");
                Ok(crate::http::Reply::empty())
            } else {
                Err(error)
            }
        })
    }

    // ----- applications -------------------------------------------------------------------

    /// Lists applications matching an OData `$filter` (all pages, 999 per page), with the managed
    /// properties selected.
    pub async fn list_applications(
        &self,
        filter: Option<&str>,
    ) -> Result<Vec<LiveApplication>, AzureError> {
        let mut url = self.url(&format!(
            "/applications?$select={APPLICATION_SELECT}&$top=999"
        ));
        if let Some(filter) = filter {
            url.push_str(&format!("&$filter={}", encode_query(filter)));
        }
        let apps: Vec<GraphApplication> = self.core.get_all_pages(url, Service::Graph).await?;
        Ok(apps.iter().map(GraphApplication::to_live).collect())
    }

    /// Lists applications matching an OData `$filter` with their owners expanded
    /// (`$expand=owners($select=id)`, so one request answers for 100 applications and their
    /// owners, where Graph pages a list with `$expand`); owners that may be truncated are
    /// `None` (see [`complete_owners`]).
    pub(crate) async fn list_applications_with_owners(
        &self,
        filter: &str,
    ) -> Result<Vec<ApplicationWithOwners>, AzureError> {
        let url = self.url(&format!(
            "/applications?$select={APPLICATION_SELECT}&$expand={EXPAND_OWNERS}&$top=100&$filter={}",
            encode_query(filter)
        ));
        let apps: Vec<GraphApplication> = self.core.get_all_pages(url, Service::Graph).await?;
        Ok(apps
            .iter()
            .map(|app| ApplicationWithOwners {
                application: app.to_live(),
                owners: complete_owners(app.owners.as_deref()),
            })
            .collect())
    }

    /// Lists the applications carrying `tag`.
    pub async fn list_applications_with_tag(
        &self,
        tag: &str,
    ) -> Result<Vec<LiveApplication>, AzureError> {
        self.list_applications(Some(&format!("tags/any(t:t eq {})", odata_string(tag))))
            .await
    }

    /// Creates the application idempotently: `PATCH /applications(uniqueName='…')` with
    /// `Prefer: create-if-missing` and every managed setting (identifier URIs still holding
    /// [`APP_ID_PLACEHOLDER`] left out). On 201 the ids come from the response; on 204 (it
    /// existed) they are read back by uniqueName.
    pub async fn upsert_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
    ) -> Result<UpsertedApplication, AzureError> {
        self.upsert_application_with(unique_name, settings, &CreateExtras::default())
            .await
    }

    pub(super) async fn upsert_application_body(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
        extras: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<UpsertedApplication, AzureError> {
        let carries_extras = extras.is_some();
        let address = format!(
            "/applications(uniqueName={})",
            encode_path(&odata_string(unique_name))
        );
        // URIs naming the application's own appId cannot be sent before it exists; the
        // planner's follow-up update sends them.
        let mut settings = settings.clone();
        settings
            .plain
            .identifier_uris
            .retain(|uri| !uri.contains(APP_ID_PLACEHOLDER));
        let mut body = wire::settings_to_json(&settings);
        if let (Some(object), Some(extras)) = (body.as_object_mut(), extras) {
            object.extend(extras);
        }
        let call = Call::new(Method::PATCH, self.url(&address), Service::Graph)
            .body(body)
            .headers(&[("Prefer", "create-if-missing")]);
        let reply = self.core.send(&call).await?;
        if reply.status == 201 && !reply.body.is_empty() {
            let app: GraphApplication = reply.json()?;
            self.mark_fresh(&app.id);
            self.mark_fresh(&app.app_id);
            return Ok(UpsertedApplication {
                id: app.id,
                app_id: app.app_id,
                created: true,
                extras_applied: carries_extras,
            });
        }
        let url = self.url(&format!("{address}?$select=id,appId"));
        let app: GraphApplication = self
            .core
            .send(&Call::new(Method::GET, url, Service::Graph).fresh(true))
            .await?
            .json()?;
        Ok(UpsertedApplication {
            id: app.id,
            app_id: app.app_id,
            created: reply.status == 201,
            // A 201 without a body: the ids come from a read, and the create carried them.
            extras_applied: carries_extras && reply.status == 201,
        })
    }

    /// PATCHes the `changed_fields` of `settings`, each complex object and collection whole.
    pub async fn update_application(
        &self,
        id: &str,
        settings: &ApplicationSettings,
        changed_fields: &[ApplicationField],
    ) -> Result<(), AzureError> {
        if settings.needs_app_id() && changed_fields.contains(&ApplicationField::IdentifierUris) {
            return Err(AzureError::InvalidRequest(format!(
                "identifier URIs still hold `{APP_ID_PLACEHOLDER}`: resolve them with the appId first"
            )));
        }
        let body = wire::settings_to_json_fields(settings, changed_fields);
        if body.as_object().is_some_and(|object| object.is_empty()) {
            return Ok(());
        }
        self.write(
            Method::PATCH,
            &format!("/applications/{}", encode_path(id)),
            Some(body),
            id,
        )
        .await?;
        Ok(())
    }

    /// Soft-deletes an application (idempotent).
    pub async fn delete_application(&self, id: &str) -> Result<(), AzureError> {
        self.write(
            Method::DELETE,
            &format!("/applications/{}", encode_path(id)),
            None,
            id,
        )
        .await?;
        Ok(())
    }

    /// Lists every soft-deleted application (all pages).
    pub(crate) async fn list_deleted_applications(
        &self,
    ) -> Result<Vec<DeletedApplication>, AzureError> {
        let url = self.url(&format!(
            "/directory/deletedItems/microsoft.graph.application?$select={DELETED_APPLICATION_SELECT}&$top=999"
        ));
        let apps: Vec<GraphApplication> = self.core.get_all_pages(url, Service::Graph).await?;
        Ok(apps.iter().map(GraphApplication::to_deleted).collect())
    }

    /// Restores a soft-deleted application; it keeps its ids and unique name.
    pub async fn restore_deleted_item(&self, id: &str) -> Result<(), AzureError> {
        let path = format!("/directory/deletedItems/{}/restore", encode_path(id));
        self.write(Method::POST, &path, None, id).await?;
        self.mark_fresh(id);
        Ok(())
    }

    // ----- service principals -------------------------------------------------------------

    async fn find_service_principal(
        &self,
        app_id: &str,
        select: &str,
    ) -> Result<Option<GraphServicePrincipal>, AzureError> {
        let url = self.url(&service_principal_path(app_id, select));
        let found: Vec<GraphServicePrincipal> =
            self.core.get_all_pages(url, Service::Graph).await?;
        Ok(found.into_iter().next())
    }

    /// The service principal of a managed application, by appId.
    pub async fn get_service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<LiveServicePrincipal>, AzureError> {
        Ok(self
            .find_service_principal(app_id, SERVICE_PRINCIPAL_SELECT)
            .await?
            .map(|sp| sp.to_live()))
    }

    /// Creates the service principal of `app_id`. `NoBackingApplicationObject` (the application
    /// has not replicated yet) is retried until the consistency deadline.
    pub async fn create_service_principal(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<LiveServicePrincipal, AzureError> {
        self.create_service_principal_with_owners(app_id, settings, &[])
            .await
    }

    /// [`GraphClient::create_service_principal`] that binds `owners` (object ids, at most
    /// [`MAX_BOUND_OWNERS`]) in the same request with `owners@odata.bind`: once it succeeds they
    /// are in place.
    pub async fn create_service_principal_with_owners(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
        owners: &[String],
    ) -> Result<LiveServicePrincipal, AzureError> {
        if owners.len() > MAX_BOUND_OWNERS {
            return Err(AzureError::InvalidRequest(format!(
                "at most {MAX_BOUND_OWNERS} owners can be bound when a service principal is created"
            )));
        }
        let mut body = wire::service_principal_json(Some(app_id), settings);
        if let Some(object) = body.as_object_mut()
            && !owners.is_empty()
        {
            let owners: Vec<String> = owners
                .iter()
                .map(|owner| self.core.endpoints.directory_object_odata_id(owner))
                .collect();
            object.insert("owners@odata.bind".to_owned(), json!(owners));
        }
        let call = Call::new(Method::POST, self.url("/servicePrincipals"), Service::Graph)
            .body(body)
            .fresh(true);
        let sp: GraphServicePrincipal = self.core.send(&call).await?.json()?;
        let live = sp.to_live();
        self.mark_fresh(&live.id);
        Ok(live)
    }

    /// PATCHes a service principal's managed settings.
    pub async fn update_service_principal(
        &self,
        id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<(), AzureError> {
        let body = wire::service_principal_json(None, settings);
        self.write(
            Method::PATCH,
            &format!("/servicePrincipals/{}", encode_path(id)),
            Some(body),
            id,
        )
        .await?;
        Ok(())
    }

    /// Deletes a service principal (idempotent).
    pub async fn delete_service_principal(&self, id: &str) -> Result<(), AzureError> {
        self.write(
            Method::DELETE,
            &format!("/servicePrincipals/{}", encode_path(id)),
            None,
            id,
        )
        .await?;
        Ok(())
    }

    // ----- admin consent (docs/azure-behaviour.md, "Admin consent") ------------------------------------------------------

    /// The application permissions granted to a service principal:
    /// `GET /servicePrincipals/{id}/appRoleAssignments` (all pages).
    pub async fn list_app_role_assignments(
        &self,
        sp_id: &str,
    ) -> Result<Vec<AppRoleAssignment>, AzureError> {
        let url = self.url(&app_role_assignments_path(sp_id));
        let found: Vec<GraphAppRoleAssignment> = self
            .core
            .get_all_pages_fresh(url, Service::Graph, self.is_fresh(sp_id))
            .await?;
        Ok(found.iter().map(GraphAppRoleAssignment::to_model).collect())
    }

    /// The delegated permission grants of a client, tenant-wide and per user:
    /// `GET /oauth2PermissionGrants?$filter=clientId eq '{id}'` (all pages).
    pub async fn list_permission_grants(
        &self,
        client_sp_id: &str,
    ) -> Result<Vec<PermissionGrant>, AzureError> {
        let url = self.url(&permission_grants_path(client_sp_id));
        let found: Vec<GraphPermissionGrant> = self
            .core
            .get_all_pages_fresh(url, Service::Graph, self.is_fresh(client_sp_id))
            .await?;
        Ok(found.iter().map(GraphPermissionGrant::to_model).collect())
    }

    /// Grants the client an application permission of the resource (admin consent):
    /// `POST /servicePrincipals/{resource}/appRoleAssignedTo` with `{principalId, resourceId,
    /// appRoleId}`. When either service principal was created in this run, a 404 (it has not
    /// replicated yet) is retried until the consistency deadline. Not idempotent: Graph refuses
    /// an assignment that exists.
    pub async fn grant_app_role(
        &self,
        client_sp_id: &str,
        resource_sp_id: &str,
        app_role_id: &str,
    ) -> Result<AppRoleAssignment, AzureError> {
        let path = format!(
            "/servicePrincipals/{}/appRoleAssignedTo",
            encode_path(resource_sp_id)
        );
        let call = Call::new(Method::POST, self.url(&path), Service::Graph)
            .body(wire::app_role_assignment_json(
                client_sp_id,
                resource_sp_id,
                app_role_id,
            ))
            .fresh(self.is_fresh(client_sp_id) || self.is_fresh(resource_sp_id));
        let created: GraphAppRoleAssignment = self.core.send(&call).await?.json()?;
        Ok(created.to_model())
    }

    /// Revokes an application permission:
    /// `DELETE /servicePrincipals/{resource}/appRoleAssignedTo/{id}` (idempotent).
    pub async fn revoke_app_role(
        &self,
        resource_sp_id: &str,
        assignment_id: &str,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/servicePrincipals/{}/appRoleAssignedTo/{}",
            encode_path(resource_sp_id),
            encode_path(assignment_id)
        );
        self.write(Method::DELETE, &path, None, resource_sp_id)
            .await?;
        Ok(())
    }

    /// Grants the client delegated permissions of the resource for every user (admin consent):
    /// `POST /oauth2PermissionGrants` with `consentType: AllPrincipals` and `scope`, the
    /// space-separated scope values. Replication lag is retried as for
    /// [`GraphClient::grant_app_role`]. Graph keeps one such grant per client and resource.
    pub async fn grant_scopes(
        &self,
        client_sp_id: &str,
        resource_sp_id: &str,
        scope: &str,
    ) -> Result<PermissionGrant, AzureError> {
        let call = Call::new(
            Method::POST,
            self.url("/oauth2PermissionGrants"),
            Service::Graph,
        )
        .body(wire::all_principals_grant_json(
            client_sp_id,
            resource_sp_id,
            scope,
        ))
        .fresh(self.is_fresh(client_sp_id) || self.is_fresh(resource_sp_id));
        let created: GraphPermissionGrant = self.core.send(&call).await?.json()?;
        let grant = created.to_model();
        self.mark_fresh(&grant.id);
        Ok(grant)
    }

    /// Replaces a grant's scopes: `PATCH /oauth2PermissionGrants/{id}` with `{scope}` (the whole
    /// space-separated string).
    pub async fn update_granted_scopes(
        &self,
        grant_id: &str,
        scope: &str,
    ) -> Result<(), AzureError> {
        let path = format!("/oauth2PermissionGrants/{}", encode_path(grant_id));
        self.write(
            Method::PATCH,
            &path,
            Some(json!({ "scope": scope })),
            grant_id,
        )
        .await?;
        Ok(())
    }

    /// Deletes a grant: `DELETE /oauth2PermissionGrants/{id}` (idempotent).
    pub async fn revoke_grant(&self, grant_id: &str) -> Result<(), AzureError> {
        let path = format!("/oauth2PermissionGrants/{}", encode_path(grant_id));
        self.write(Method::DELETE, &path, None, grant_id).await?;
        Ok(())
    }

    // ----- owners ---------------------------------------------------------------------------

    /// The object ids of an application's owners.
    pub async fn list_owners(&self, app_object_id: &str) -> Result<Vec<String>, AzureError> {
        let url = self.url(&owners_path(app_object_id));
        let owners: Vec<IdOnly> = self
            .core
            .get_all_pages_fresh(url, Service::Graph, self.is_fresh(app_object_id))
            .await?;
        Ok(owners.into_iter().map(|owner| owner.id).collect())
    }

    /// Adds an owner: `POST …/owners/$ref` with the owner's `@odata.id`.
    pub async fn add_owner(&self, app_object_id: &str, owner_id: &str) -> Result<(), AzureError> {
        let body = json!({ "@odata.id": self.core.endpoints.directory_object_odata_id(owner_id) });
        let path = format!("/applications/{}/owners/$ref", encode_path(app_object_id));
        self.write(Method::POST, &path, Some(body), app_object_id)
            .await?;
        Ok(())
    }

    /// Removes an owner: `DELETE …/owners/{id}/$ref` (never without `/$ref`, which would delete
    /// the user).
    pub async fn remove_owner(
        &self,
        app_object_id: &str,
        owner_id: &str,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/applications/{}/owners/{}/$ref",
            encode_path(app_object_id),
            encode_path(owner_id)
        );
        self.write(Method::DELETE, &path, None, app_object_id)
            .await?;
        Ok(())
    }

    // ----- directory objects ----------------------------------------------------------------

    /// A directory object (user, service principal, group) by object id, or `None`.
    pub async fn get_directory_object(
        &self,
        id: &str,
    ) -> Result<Option<DirectoryObject>, AzureError> {
        let url = self.url(&directory_object_path(id));
        let object: Option<GraphDirectoryObject> = self.get_optional(url).await?;
        Ok(object.map(|object| object.to_model(DirectoryObjectKind::Other)))
    }
}

// ----- paths shared by the single requests and the batched reads -----------------------------

/// `/applications{address}` with the managed properties selected and the owners expanded;
/// `address` is `/{id}` or a key such as `(appId='…')`.
fn application_path(address: &str) -> String {
    format!("/applications{address}?$select={APPLICATION_SELECT}&$expand={EXPAND_OWNERS}")
}

fn application_by_app_id(app_id: &str) -> String {
    format!("(appId={})", encode_path(&odata_string(app_id)))
}

fn application_by_unique_name(unique_name: &str) -> String {
    format!("(uniqueName={})", encode_path(&odata_string(unique_name)))
}

fn owners_path(app_object_id: &str) -> String {
    format!(
        "/applications/{}/owners?$select=id",
        encode_path(app_object_id)
    )
}

fn federated_credentials_path(app_object_id: &str) -> String {
    format!(
        "/applications/{}/federatedIdentityCredentials?$select={FEDERATED_CREDENTIAL_SELECT}",
        encode_path(app_object_id)
    )
}

fn key_credentials_path(app_object_id: &str) -> String {
    format!(
        "/applications/{}?$select=keyCredentials",
        encode_path(app_object_id)
    )
}

fn service_principal_path(app_id: &str, select: &str) -> String {
    let filter = encode_query(&format!("appId eq {}", odata_string(app_id)));
    format!("/servicePrincipals?$filter={filter}&$select={select}")
}

/// `$filter=appId in ('…', …)` over at most [`MAX_IN_VALUES`] appIds.
fn service_principals_path(app_ids: &[String], select: &str, expand: Option<&str>) -> String {
    let values: Vec<String> = app_ids.iter().map(|app_id| odata_string(app_id)).collect();
    let filter = encode_query(&format!("appId in ({})", values.join(",")));
    let expand = expand
        .map(|expand| format!("&$expand={expand}"))
        .unwrap_or_default();
    format!("/servicePrincipals?$filter={filter}&$select={select}{expand}")
}

/// `$filter=userPrincipalName in ('…', …)` over at most [`MAX_IN_VALUES`] names.
fn users_path(user_principal_names: &[String]) -> String {
    let values: Vec<String> = user_principal_names
        .iter()
        .map(|name| odata_string(name))
        .collect();
    let filter = encode_query(&format!("userPrincipalName in ({})", values.join(",")));
    format!("/users?$filter={filter}&$select=id,userPrincipalName,displayName")
}

fn app_role_assignments_path(sp_id: &str) -> String {
    format!(
        "/servicePrincipals/{}/appRoleAssignments?$select={APP_ROLE_ASSIGNMENT_SELECT}",
        encode_path(sp_id)
    )
}

fn permission_grants_path(client_sp_id: &str) -> String {
    let filter = encode_query(&format!("clientId eq {}", odata_string(client_sp_id)));
    format!("/oauth2PermissionGrants?$filter={filter}&$select={PERMISSION_GRANT_SELECT}")
}

/// Without `$select`: a directoryObject has only `id` of its own, and the user's UPN and
/// display name are properties of the derived type, which a `$select` on the base type cannot
/// name. It costs 1 RU either way (1 is the minimum).
fn directory_object_path(id: &str) -> String {
    format!("/directoryObjects/{}", encode_path(id))
}

fn key_credentials_to_model(found: KeyCredentialsOnly) -> Vec<KeyCredential> {
    found
        .key_credentials
        .unwrap_or_default()
        .iter()
        .map(GraphKeyCredential::to_model)
        .collect()
}
