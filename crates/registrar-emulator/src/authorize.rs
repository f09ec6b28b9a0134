//! What a token may do in the local tenant: the Microsoft Graph application permissions its
//! `roles` claim carries, and the Azure roles its principal holds, checked before a handler
//! runs, with the 403 bodies Graph and ARM answer.
//!
//! Graph: reads of applications, service principals and consent need any Graph role; users and
//! directory objects `User.Read.All`, `User.ReadBasic.All` or `Directory.Read.All`; the
//! organization `Organization.Read.All` or `Directory.Read.All`. Writes follow the permission
//! reference: `Application.ReadWrite.All` changes any application or service principal,
//! `Application.ReadWrite.OwnedBy` creates them (the caller becomes an owner) and changes only
//! the ones it owns (a service principal also when it owns its application) and cannot add
//! owners; app role assignments need `AppRoleAssignment.ReadWrite.All`, delegated grants
//! `DelegatedPermissionGrant.ReadWrite.All`.
//!
//! ARM: a role assignment write or delete needs `Microsoft.Authorization/roleAssignments/write`
//! (or `/delete`) from a role assigned to the caller at the scope or above it.
//! `GET {scope}/providers/Microsoft.Authorization/permissions` lists what the caller's roles
//! allow there. The catalog has no role permissions, so the actions of the few built-in roles
//! that matter here are in [`ROLE_PERMISSIONS`]; any other role grants nothing in the local
//! tenant.
//!
//! The seeded automation client is not limited: its tokens carry every Graph role Registrar
//! uses, and it acts as Owner at the tenant root. Key Vault is not checked (any valid token may
//! read and write secrets).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{ApiResponse, graph_error};
use crate::arm::{arm_error, scope_contains};
use crate::auth::Claims;
use crate::graph::{Key, Parent, Route};
use crate::state::{AUTOMATION_CLIENT_ID, Record, Tenant};

/// The Graph roles of the automation client's tokens.
pub(crate) const AUTOMATION_GRAPH_ROLES: [&str; 4] = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
];

/// A built-in role's GUID, actions, notActions and dataActions.
type RolePermissions = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The permissions of the built-in roles the local tenant knows: (role GUID, actions,
/// notActions, dataActions). From the built-in role definitions Azure publishes; Contributor's
/// notActions are cut to those under `Microsoft.Authorization`.
pub(crate) const ROLE_PERMISSIONS: [RolePermissions; 6] = [
    // Owner
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", &["*"], &[], &[]),
    // Contributor
    (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        &["*"],
        &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
        ],
        &[],
    ),
    // Reader
    (
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        &["*/read"],
        &[],
        &[],
    ),
    // User Access Administrator
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        &[],
        &[],
    ),
    // Role Based Access Control Administrator
    (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        &[
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ],
        &[],
        &[],
    ),
    // Key Vault Secrets Officer
    (
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.KeyVault/checkNameAvailability/read",
            "Microsoft.KeyVault/deletedVaults/read",
            "Microsoft.KeyVault/locations/*/read",
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/operations/read",
            "Microsoft.Support/*",
        ],
        &[],
        &["Microsoft.KeyVault/vaults/secrets/*"],
    ),
];

/// The GUID of the Owner role, which the automation client holds at `/`.
const OWNER_ROLE: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// Graph's 403 for a request the token's roles do not allow.
pub(crate) fn graph_denied() -> ApiResponse {
    graph_error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

fn has_any(claims: &Claims, roles: &[&str]) -> bool {
    claims
        .roles
        .iter()
        .any(|held| roles.iter().any(|role| held.eq_ignore_ascii_case(role)))
}

/// Whether the token may change any application and service principal.
fn writes_all_applications(claims: &Claims) -> bool {
    has_any(claims, &["Application.ReadWrite.All"])
}

/// Whether the token may create applications and change those it owns.
fn writes_owned_applications(claims: &Claims) -> bool {
    writes_all_applications(claims) || has_any(claims, &["Application.ReadWrite.OwnedBy"])
}

fn owned_by(record: &Record, caller: &str) -> bool {
    record
        .owners
        .iter()
        .any(|owner| owner.eq_ignore_ascii_case(caller))
}

fn find_application<'a>(tenant: &'a Tenant, key: &Key) -> Option<&'a Record> {
    tenant
        .applications
        .values()
        .find(|record| key.matches(record))
}

/// Whether the caller owns the application `key` names. An application that does not exist is
/// left to the handler (its 404, or the create of an upsert).
/// Whether `caller` owns the application or service principal `parent` names.
fn owns_parent(tenant: &Tenant, parent: &Parent, caller: &str) -> bool {
    match parent {
        Parent::Application(key) => owns_application(tenant, key, caller),
        Parent::ServicePrincipal(key) => owns_service_principal(tenant, key, caller),
    }
}

fn owns_application(tenant: &Tenant, key: &Key, caller: &str) -> bool {
    find_application(tenant, key).is_none_or(|record| owned_by(record, caller))
}

/// Whether the caller owns the service principal `key` names, or the application behind it.
fn owns_service_principal(tenant: &Tenant, key: &Key, caller: &str) -> bool {
    let Some(sp) = tenant.all_service_principals().find(|sp| key.matches(sp)) else {
        return true;
    };
    owned_by(sp, caller)
        || sp.str_field("appId").is_some_and(|app_id| {
            tenant.applications.values().any(|app| {
                app.str_field("appId")
                    .is_some_and(|id| id.eq_ignore_ascii_case(app_id))
                    && owned_by(app, caller)
            })
        })
}

/// Whether the caller owns the application that `POST /servicePrincipals` names by appId.
fn owns_application_of_new_sp(tenant: &Tenant, body: &[u8], caller: &str) -> bool {
    let app_id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body["appId"].as_str().map(str::to_owned));
    match app_id {
        Some(app_id) => owns_application(tenant, &Key::AppId(app_id), caller),
        None => true,
    }
}

/// Checks a Graph request against the token before its handler runs.
pub(crate) fn graph(
    tenant: &Tenant,
    route: &Route,
    method: &Method,
    body: &[u8],
    claims: &Claims,
) -> Result<(), ApiResponse> {
    let read = *method == Method::GET || *method == Method::HEAD;
    let caller = claims.oid.as_str();
    let allowed = match route {
        Route::Batch | Route::Unknown(_) => true,
        Route::Users
        | Route::User(_)
        | Route::DirectoryObject(_)
        | Route::DirectoryObjectsByIds => has_any(
            claims,
            &[
                "User.Read.All",
                "User.ReadBasic.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
        ),
        Route::Organization => has_any(
            claims,
            &[
                "Organization.Read.All",
                "Organization.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
        ),
        _ if read => !claims.roles.is_empty(),
        Route::Applications | Route::ServicePrincipals => match route {
            Route::ServicePrincipals if !writes_all_applications(claims) => {
                writes_owned_applications(claims)
                    && owns_application_of_new_sp(tenant, body, caller)
            }
            _ => writes_owned_applications(claims),
        },
        Route::Application(key) | Route::Fics(key) | Route::Fic(key, _) => {
            writes_all_applications(claims)
                || writes_owned_applications(claims) && owns_application(tenant, key, caller)
        }
        Route::ServicePrincipal(key) => {
            writes_all_applications(claims)
                || writes_owned_applications(claims) && owns_service_principal(tenant, key, caller)
        }
        // `Application.ReadWrite.OwnedBy` is not enough to add an owner.
        Route::OwnersRef(_) => writes_all_applications(claims),
        Route::AddPassword(parent)
        | Route::RemovePassword(parent)
        | Route::OwnerRef(parent, _)
        | Route::OwnerWithoutRef(parent, _) => {
            writes_all_applications(claims)
                || writes_owned_applications(claims) && owns_parent(tenant, parent, caller)
        }
        Route::AppRoleAssignments(..) | Route::AppRoleAssignment(..) => {
            has_any(claims, &["AppRoleAssignment.ReadWrite.All"])
        }
        Route::Grants | Route::Grant(_) => has_any(
            claims,
            &[
                "DelegatedPermissionGrant.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
        ),
        Route::DeletedItem(id) | Route::RestoreDeletedItem(id) => {
            writes_all_applications(claims)
                || writes_owned_applications(claims)
                    && tenant
                        .deleted_applications
                        .values()
                        .find(|record| record.id().eq_ignore_ascii_case(id))
                        .is_none_or(|record| owned_by(record, caller))
        }
        _ => writes_all_applications(claims),
    };
    if allowed { Ok(()) } else { Err(graph_denied()) }
}

/// After a successful create by a caller without `Application.ReadWrite.All`: the caller
/// becomes an owner of what it created, as Entra records the creating service principal, so
/// that `Application.ReadWrite.OwnedBy` can go on managing it.
pub(crate) fn after_graph_create(
    tenant: &mut Tenant,
    route: &Route,
    claims: &Claims,
    response: &ApiResponse,
) {
    if response.status != StatusCode::CREATED
        || writes_all_applications(claims)
        || claims.appid.eq_ignore_ascii_case(AUTOMATION_CLIENT_ID)
    {
        return;
    }
    let Some(id) = response
        .body
        .as_ref()
        .and_then(|body| body["id"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let record = match route {
        Route::Applications | Route::Application(Key::UniqueName(_)) => {
            tenant.applications.get_mut(&id)
        }
        Route::ServicePrincipals => tenant.service_principal_mut(&id),
        _ => None,
    };
    if let Some(record) = record
        && !owned_by(record, &claims.oid)
    {
        record.owners.push(claims.oid.clone());
    }
}

/// `(actions, notActions, dataActions)` of one role assignment of the caller.
type Permission = (Vec<String>, Vec<String>, Vec<String>);

/// What the caller's role assignments at `scope` or above allow, one entry per assignment (as
/// ARM's permissions list answers).
pub(crate) fn permissions_at(tenant: &Tenant, scope: &str, claims: &Claims) -> Vec<Permission> {
    let owned = |strings: &[&str]| strings.iter().map(|text| (*text).to_owned()).collect();
    let of_role = |guid: &str| {
        ROLE_PERMISSIONS
            .iter()
            .find(|(id, ..)| id.eq_ignore_ascii_case(guid))
            .map(|(_, actions, not_actions, data_actions)| {
                (owned(actions), owned(not_actions), owned(data_actions))
            })
    };
    let mut permissions = Vec::new();
    if claims.appid.eq_ignore_ascii_case(AUTOMATION_CLIENT_ID) {
        permissions.extend(of_role(OWNER_ROLE));
    }
    for assignment in tenant.role_assignments.values() {
        if assignment.principal_id.eq_ignore_ascii_case(&claims.oid)
            && scope_contains(&assignment.scope, scope)
        {
            permissions.extend(of_role(&assignment.role_definition));
        }
    }
    permissions
}

/// Whether `pattern` (an ARM action with `*` wildcards) matches `action`, ignoring case.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == action;
    };
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether any of the caller's permissions at `scope` allows `action`.
pub(crate) fn allows(tenant: &Tenant, scope: &str, claims: &Claims, action: &str) -> bool {
    permissions_at(tenant, scope, claims)
        .iter()
        .any(|(actions, not_actions, _)| {
            actions
                .iter()
                .any(|pattern| action_matches(pattern, action))
                && !not_actions
                    .iter()
                    .any(|pattern| action_matches(pattern, action))
        })
}

/// Checks a role assignment write (`PUT`) or delete at `scope`: ARM's 403 `AuthorizationFailed`
/// when the caller holds no role that allows it there.
pub(crate) fn arm_role_assignment(
    tenant: &Tenant,
    scope: &str,
    name: &str,
    method: &Method,
    claims: &Claims,
) -> Result<(), ApiResponse> {
    let action = if *method == Method::DELETE {
        "Microsoft.Authorization/roleAssignments/delete"
    } else {
        "Microsoft.Authorization/roleAssignments/write"
    };
    if allows(tenant, scope, claims, action) {
        return Ok(());
    }
    let prefix = if scope == "/" { "" } else { scope };
    Err(arm_error(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        &format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{prefix}/providers/Microsoft.Authorization/roleAssignments/{name}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            oid = claims.oid
        ),
    ))
}

/// `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's permissions there.
pub(crate) fn permissions_list(tenant: &Tenant, scope: &str, claims: &Claims) -> ApiResponse {
    let value: Vec<Value> = permissions_at(tenant, scope, claims)
        .into_iter()
        .map(|(actions, not_actions, data_actions)| {
            json!({
                "actions": actions,
                "notActions": not_actions,
                "dataActions": data_actions,
                "notDataActions": [],
            })
        })
        .collect();
    ApiResponse::ok(json!({ "value": value }))
}

#[cfg(test)]
mod tests {
    use super::action_matches;

    #[test]
    fn actions_match_with_wildcards_and_without_case() {
        let write = "Microsoft.Authorization/roleAssignments/write";
        assert!(action_matches("*", write));
        assert!(action_matches("Microsoft.Authorization/*", write));
        assert!(action_matches("microsoft.authorization/*/Write", write));
        assert!(action_matches(write, write));
        assert!(!action_matches("*/read", write));
        assert!(!action_matches("Microsoft.Authorization/*/Delete", write));
        assert!(!action_matches(
            "Microsoft.Authorization/roleAssignments",
            write
        ));
    }
}

/// A limited client to create in the local tenant (`POST /_emulator/clients`,
/// [`crate::Emulator::create_client`]): an application with a secret and a service principal,
/// holding exactly the Graph application permissions and Azure roles named here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSpec {
    /// The application's display name.
    pub display_name: String,
    /// Microsoft Graph application permissions (values such as `Application.ReadWrite.OwnedBy`),
    /// granted by app role assignments to the Microsoft Graph service principal.
    #[serde(default)]
    pub graph_roles: Vec<String>,
    /// Azure role assignments of the client's service principal.
    #[serde(default)]
    pub role_assignments: Vec<ClientRoleAssignment>,
}

/// One Azure role a [`ClientSpec`] holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRoleAssignment {
    /// A built-in role's name (`User Access Administrator`) or GUID.
    pub role: String,
    /// The scope (`/subscriptions/{id}`, `/` for the tenant root).
    pub scope: String,
}

/// The credentials of a client made by [`crate::Emulator::create_client`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedClient {
    /// The tenant id.
    pub tenant_id: String,
    /// The appId (client id).
    pub client_id: String,
    /// The client secret (local use only; the tenant keeps only its hash).
    pub client_secret: String,
    /// The application's object id.
    pub application_id: String,
    /// The service principal's object id.
    pub service_principal_id: String,
}

/// Creates the client `spec` describes. Fails, changing nothing, on an unknown Graph
/// permission or role.
pub(crate) fn create_client(
    tenant: &mut Tenant,
    spec: &ClientSpec,
) -> Result<CreatedClient, String> {
    use crate::objects::{ServicePrincipalSeed, new_application, service_principal};
    use crate::state::{DEFAULT_DOMAIN, RoleAssignment};
    use crate::util::{graph_time, new_guid, now, sha256_hex};

    let graph_app_id = "00000003-0000-0000-c000-000000000000";
    let graph_sp = tenant
        .all_service_principals()
        .find(|sp| {
            sp.str_field("appId")
                .is_some_and(|id| id.eq_ignore_ascii_case(graph_app_id))
        })
        .ok_or("the Microsoft Graph service principal was deleted")?;
    let graph_sp_id = graph_sp.id().to_owned();
    let mut role_ids = Vec::new();
    for value in &spec.graph_roles {
        let role = graph_sp.object["appRoles"]
            .as_array()
            .and_then(|roles| {
                roles
                    .iter()
                    .find(|role| role["value"].as_str() == Some(value.as_str()))
            })
            .and_then(|role| role["id"].as_str())
            .ok_or_else(|| format!("Microsoft Graph has no application permission `{value}`"))?;
        role_ids.push(role.to_owned());
    }
    let mut assignments = Vec::new();
    for wanted in &spec.role_assignments {
        let role = registrar_catalog::catalog()
            .roles
            .iter()
            .find(|role| {
                role.role_name.eq_ignore_ascii_case(&wanted.role)
                    || role.id.eq_ignore_ascii_case(&wanted.role)
            })
            .ok_or_else(|| format!("no built-in Azure role `{}`", wanted.role))?;
        let scope = wanted.scope.trim_end_matches('/');
        let scope = if scope.is_empty() { "/" } else { scope };
        assignments.push((role.id.to_ascii_lowercase(), scope.to_owned()));
    }

    let created = graph_time(now());
    let display_name = if spec.display_name.is_empty() {
        "Limited client"
    } else {
        spec.display_name.as_str()
    };
    let application_id = new_guid();
    let client_id = new_guid();
    let mut secret_bytes = [0u8; 24];
    rand::fill(&mut secret_bytes);
    let client_secret = format!("Loc8Q~{}", crate::util::hex(&secret_bytes));
    let key_id = new_guid();
    let mut app = new_application(&application_id, &client_id, &created, DEFAULT_DOMAIN);
    app["displayName"] = json!(display_name);
    app["signInAudience"] = json!("AzureADMyOrg");
    app["passwordCredentials"] = json!([{
        "customKeyIdentifier": null,
        "displayName": "local limited client",
        "endDateTime": "2299-12-31T00:00:00Z",
        "hint": &client_secret[..3],
        "keyId": key_id,
        "secretText": null,
        "startDateTime": created,
    }]);
    let mut app_record = Record::new(app, 0);
    app_record
        .secret_hashes
        .insert(key_id, sha256_hex(client_secret.as_bytes()));
    tenant
        .applications
        .insert(application_id.clone(), app_record);
    let sp_id = new_guid();
    let sp = service_principal(ServicePrincipalSeed {
        id: &sp_id,
        app_id: &client_id,
        display_name,
        owner_organization: &tenant.tenant_id,
        service_principal_names: vec![client_id.clone()],
        app_roles: Vec::new(),
        scopes: Vec::new(),
        sign_in_audience: json!("AzureADMyOrg"),
        publisher_name: json!("Contoso"),
        created: &created,
    });
    tenant
        .service_principals
        .insert(sp_id.clone(), Record::new(sp, 0));
    for role_id in role_ids {
        let id = format!("{}{}", sp_id.replace('-', ""), new_guid().replace('-', ""));
        let object = json!({
            "id": id,
            "deletedDateTime": null,
            "appRoleId": role_id,
            "createdDateTime": created,
            "principalDisplayName": display_name,
            "principalId": sp_id,
            "principalType": "ServicePrincipal",
            "resourceDisplayName": "Microsoft Graph",
            "resourceId": graph_sp_id,
        });
        tenant
            .app_role_assignments
            .insert(id, Record::new(object, 0));
    }
    for (role_definition, scope) in assignments {
        let name = new_guid();
        tenant.role_assignments.insert(
            name.clone(),
            RoleAssignment {
                name,
                scope,
                role_definition,
                principal_id: sp_id.clone(),
                principal_type: "ServicePrincipal".to_owned(),
                description: None,
                condition: None,
                condition_version: None,
                delegated_managed_identity_resource_id: None,
                created_on: created.clone(),
                updated_on: created.clone(),
                created_by: None,
                updated_by: None,
            },
        );
    }
    Ok(CreatedClient {
        tenant_id: tenant.tenant_id.clone(),
        client_id,
        client_secret,
        application_id,
        service_principal_id: sp_id,
    })
}
