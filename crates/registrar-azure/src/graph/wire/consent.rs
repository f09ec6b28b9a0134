//! Admin consent on the wire: app role assignments (application permissions) and
//! `oauth2PermissionGrant`s (delegated permissions), as read and as created.

use super::*;

/// An `appRoleAssignment` as read (docs/azure-behaviour.md, "Application permissions: app role assignments"). Its `id` is opaque, not a GUID.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphAppRoleAssignment {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    resource_id: String,
    #[serde(default, deserialize_with = "nullable")]
    app_role_id: String,
}

impl GraphAppRoleAssignment {
    pub(crate) fn to_model(&self) -> AppRoleAssignment {
        AppRoleAssignment {
            id: self.id.clone(),
            resource_id: self.resource_id.clone(),
            app_role_id: self.app_role_id.clone(),
        }
    }
}

/// The body of an app role assignment create: `POST /servicePrincipals/{resource}/appRoleAssignedTo`.
pub(crate) fn app_role_assignment_json(
    principal_id: &str,
    resource_id: &str,
    app_role_id: &str,
) -> Value {
    json!({ "principalId": principal_id, "resourceId": resource_id, "appRoleId": app_role_id })
}

/// An `oauth2PermissionGrant` as read (docs/azure-behaviour.md, "Delegated permissions: oauth2PermissionGrants").
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphPermissionGrant {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    resource_id: String,
    #[serde(default, deserialize_with = "nullable")]
    consent_type: String,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    scope: String,
}

impl GraphPermissionGrant {
    pub(crate) fn to_model(&self) -> PermissionGrant {
        PermissionGrant {
            id: self.id.clone(),
            resource_id: self.resource_id.clone(),
            // Anything but a tenant-wide grant is a user's own.
            consent_type: ConsentType::from_graph(&self.consent_type)
                .unwrap_or(ConsentType::Principal),
            principal_id: self.principal_id.clone(),
            scope: self.scope.clone(),
        }
    }
}

/// The body of a tenant-wide delegated grant: `POST /oauth2PermissionGrants` with
/// `consentType: AllPrincipals` (no `principalId`).
pub(crate) fn all_principals_grant_json(client_id: &str, resource_id: &str, scope: &str) -> Value {
    json!({
        "clientId": client_id,
        "consentType": ConsentType::AllPrincipals.as_graph(),
        "resourceId": resource_id,
        "scope": scope,
    })
}
