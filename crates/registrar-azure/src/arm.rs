//! [`ArmClient`]: the Azure Resource Manager calls of Azure RBAC (`Microsoft.Authorization`,
//! api-version 2022-04-01, docs/azure-behaviour.md, "ARM role definitions and role assignments"): role definitions by name or
//! every custom one at a scope, the role assignments of a scope or of one principal, and
//! creating and deleting assignments.
//!
//! Scopes are ARM resource ids as the manifest writes them (`/subscriptions/{id}/…` or
//! `/providers/Microsoft.Management/managementGroups/{name}`); each segment is percent-encoded
//! into the URL. ARM requests go through the same HTTP core as Graph's, with an ARM token
//! (`https://management.azure.com/.default`), and cannot be batched.
//!
//! # Retries and idempotency
//! - PUT and DELETE are idempotent: throttling (429 with `Retry-After`), 503, 504 and dropped
//!   connections are retried as for any idempotent request ([`crate::retry::retry_policy`]).
//! - `PrincipalNotFound` on a create is replication lag between Entra ID and ARM: the principal
//!   is a service principal Graph just created or returned, so it exists. It is retried with
//!   backoff until [`crate::RetryConfig::consistency_deadline`], whether or not this run created
//!   the principal (see rule 5 of [`crate::retry`]).
//! - `409 RoleAssignmentExists` (the same scope, role and principal under another name) is
//!   returned to the caller, which treats it as done ([`AzureError::is_role_assignment_exists`]).
//! - DELETE answers 200, or 204 when the assignment is already gone; a 404 counts as gone too.

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use registrar_model::{RoleAssignment, RoleDefinition, scope_root};

use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, HttpCore, encode_path, encode_query, odata_string};

/// The `Microsoft.Authorization` API version.
pub(crate) const API_VERSION: &str = "2022-04-01";

/// Azure RBAC operations over ARM. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ArmClient {
    core: Arc<HttpCore>,
}

#[derive(Deserialize)]
struct WireRoleAssignment {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    properties: WireRoleAssignmentProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRoleAssignmentProperties {
    #[serde(default)]
    role_definition_id: String,
    #[serde(default)]
    principal_id: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl WireRoleAssignment {
    fn into_model(self) -> RoleAssignment {
        let properties = self.properties;
        // `scope` is read-only and always returned; should it be missing, the id holds it.
        let scope = properties.scope.unwrap_or_else(|| {
            let lower = self.id.to_ascii_lowercase();
            match lower.find("/providers/microsoft.authorization/roleassignments/") {
                Some(index) => self.id[..index].to_owned(),
                None => String::new(),
            }
        });
        RoleAssignment {
            name: if self.name.is_empty() {
                trailing_segment(&self.id).to_owned()
            } else {
                self.name
            },
            id: self.id,
            scope: if scope.is_empty() {
                "/".to_owned()
            } else {
                scope
            },
            role_definition_id: trailing_segment(&properties.role_definition_id)
                .to_ascii_lowercase(),
            principal_id: properties.principal_id,
            description: properties.description.filter(|text| !text.is_empty()),
        }
    }
}

#[derive(Deserialize)]
struct WireRoleDefinition {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    properties: WireRoleDefinitionProperties,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireRoleDefinitionProperties {
    #[serde(default)]
    role_name: String,
}

impl WireRoleDefinition {
    /// The definition, recorded with `scope`, where it was looked up.
    fn into_model(self, scope: &str) -> RoleDefinition {
        RoleDefinition {
            id: if self.name.is_empty() {
                trailing_segment(&self.id).to_ascii_lowercase()
            } else {
                self.name.to_ascii_lowercase()
            },
            role_name: self.properties.role_name,
            scope: scope.to_owned(),
        }
    }
}

/// The last `/`-separated segment: the GUID of a role definition id or assignment id.
fn trailing_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// A scope or resource id as a URL path: each segment percent-encoded, one leading `/`.
fn scope_path(scope: &str) -> String {
    let mut path = String::new();
    for segment in scope.split('/').filter(|segment| !segment.is_empty()) {
        path.push('/');
        path.push_str(&encode_path(segment));
    }
    path
}

/// The `roleDefinitionId` sent with a create: subscription-qualified under a subscription (as
/// the portal and the az CLI send it), tenant-level otherwise.
pub(crate) fn role_definition_resource_id(scope: &str, role_definition_id: &str) -> String {
    match scope_root(scope) {
        Some(root) if root.starts_with("/subscriptions/") => {
            format!("{root}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_id}")
        }
        _ => format!("/providers/Microsoft.Authorization/roleDefinitions/{role_definition_id}"),
    }
}

impl ArmClient {
    pub(crate) fn new(core: Arc<HttpCore>) -> Self {
        Self { core }
    }

    fn url(&self, path: &str, query: Option<&str>) -> String {
        let mut url = format!(
            "{}{path}?api-version={API_VERSION}",
            self.core.endpoints.arm_base
        );
        if let Some(query) = query {
            url.push('&');
            url.push_str(query);
        }
        url
    }

    /// Every item of `{scope}/providers/Microsoft.Authorization/{collection}`, all pages,
    /// filtered by the OData expression `filter` when one is given.
    async fn list_at_scope<W: serde::de::DeserializeOwned>(
        &self,
        scope: &str,
        collection: &str,
        filter: Option<&str>,
    ) -> Result<Vec<W>, AzureError> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/{collection}",
            scope_path(scope)
        );
        let query = filter.map(|filter| format!("$filter={}", encode_query(filter)));
        self.core
            .get_all_pages(self.url(&path, query.as_deref()), Service::Arm)
            .await
    }

    /// The role definitions called `role_name` that apply at `scope` (its own and those of the
    /// scopes above): `GET {scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=
    /// roleName eq '…'` (all pages). Each is recorded with `scope`, where it was looked up.
    pub async fn find_role_definitions(
        &self,
        scope: &str,
        role_name: &str,
    ) -> Result<Vec<RoleDefinition>, AzureError> {
        let filter = format!("roleName eq {}", odata_string(role_name));
        let found: Vec<WireRoleDefinition> = self
            .list_at_scope(scope, "roleDefinitions", Some(&filter))
            .await?;
        Ok(found
            .into_iter()
            .filter(|definition| {
                definition
                    .properties
                    .role_name
                    .eq_ignore_ascii_case(role_name)
            })
            .map(|definition| definition.into_model(scope))
            .collect())
    }

    /// Every role assignment ARM returns for `scope`, of every principal: `GET {scope}/
    /// providers/Microsoft.Authorization/roleAssignments` without a filter (all pages), which
    /// answers with the assignments at, above and below the scope (`atScope()` would leave out
    /// those below it, and `principalId eq` asks for one principal per request). The snapshot
    /// lists each root once this way and matches principals locally.
    pub async fn list_role_assignments(
        &self,
        scope: &str,
    ) -> Result<Vec<RoleAssignment>, AzureError> {
        let found: Vec<WireRoleAssignment> =
            self.list_at_scope(scope, "roleAssignments", None).await?;
        Ok(found
            .into_iter()
            .map(WireRoleAssignment::into_model)
            .collect())
    }

    /// The custom role definitions that apply at `scope`: `GET {scope}/providers/
    /// Microsoft.Authorization/roleDefinitions?$filter=type eq 'CustomRole'` (all pages), each
    /// recorded with `scope`. One request answers for every custom role name looked up there.
    pub async fn list_custom_role_definitions(
        &self,
        scope: &str,
    ) -> Result<Vec<RoleDefinition>, AzureError> {
        let found: Vec<WireRoleDefinition> = self
            .list_at_scope(scope, "roleDefinitions", Some("type eq 'CustomRole'"))
            .await?;
        Ok(found
            .into_iter()
            .map(|definition| definition.into_model(scope))
            .collect())
    }

    /// The role assignments of a principal that ARM returns for `scope`: `GET {scope}/providers/
    /// Microsoft.Authorization/roleAssignments?$filter=principalId eq '{id}'` (all pages). ARM
    /// includes assignments above and below the scope; callers keep the ones they manage.
    pub async fn list_role_assignments_for_principal(
        &self,
        scope: &str,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, AzureError> {
        let filter = format!("principalId eq {}", odata_string(principal_id));
        let found: Vec<WireRoleAssignment> = self
            .list_at_scope(scope, "roleAssignments", Some(&filter))
            .await?;
        Ok(found
            .into_iter()
            .map(WireRoleAssignment::into_model)
            .collect())
    }

    /// Creates (or finds identical) the role assignment `name` at `scope`: `PUT {scope}/providers/
    /// Microsoft.Authorization/roleAssignments/{name}` with `roleDefinitionId`, `principalId`,
    /// `principalType: ServicePrincipal` (always sent, so ARM does not look the principal up in
    /// a replica that has not seen it yet) and `description`. 201 when created, 200 when it
    /// existed. `PrincipalNotFound` is retried until the consistency deadline; `409
    /// RoleAssignmentExists` is returned as an error for the caller to treat as done.
    pub async fn create_role_assignment(
        &self,
        scope: &str,
        name: &str,
        role_definition_id: &str,
        principal_id: &str,
        description: Option<&str>,
    ) -> Result<RoleAssignment, AzureError> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            scope_path(scope),
            encode_path(name)
        );
        let mut properties = json!({
            "roleDefinitionId": role_definition_resource_id(scope, role_definition_id),
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        });
        if let (Some(description), Some(object)) = (description, properties.as_object_mut()) {
            object.insert("description".to_owned(), json!(description));
        }
        let call = Call::new(Method::PUT, self.url(&path, None), Service::Arm)
            .body(json!({ "properties": properties }));
        let created: WireRoleAssignment = self.core.send(&call).await?.json()?;
        Ok(created.into_model())
    }

    /// Deletes a role assignment by its full id: `DELETE {id}` (200, or 204 when already gone;
    /// a 404 counts as gone).
    pub async fn delete_role_assignment(&self, id: &str) -> Result<(), AzureError> {
        let call = Call::new(
            Method::DELETE,
            self.url(&scope_path(id), None),
            Service::Arm,
        );
        match self.core.send(&call).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => {
                tracing::debug!(id, "delete role assignment: already gone");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_definition_ids_follow_the_scope() {
        assert_eq!(
            role_definition_resource_id("/subscriptions/s1/resourceGroups/rg", "g"),
            "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/g"
        );
        assert_eq!(
            role_definition_resource_id("/providers/Microsoft.Management/managementGroups/mg", "g"),
            "/providers/Microsoft.Authorization/roleDefinitions/g"
        );
    }

    #[test]
    fn scope_paths_encode_segments() {
        assert_eq!(
            scope_path("/subscriptions/s1/resourceGroups/rg (1)/"),
            "/subscriptions/s1/resourceGroups/rg%20(1)"
        );
    }

    #[test]
    fn wire_assignment_without_scope_takes_it_from_the_id() {
        let wire: WireRoleAssignment = serde_json::from_value(json!({
            "id": "/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/n1",
            "properties": {
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7-3385-48EF-BD42-F606FBA81AE7",
                "principalId": "p1"
            }
        }))
        .expect("decodes");
        let model = wire.into_model();
        assert_eq!(model.scope, "/subscriptions/s1");
        assert_eq!(model.name, "n1");
        assert_eq!(
            model.role_definition_id,
            "acdd72a7-3385-48ef-bd42-f606fba81ae7"
        );
    }
}
