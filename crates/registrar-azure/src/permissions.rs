//! Least privilege, checked before the first write: what a plan's operations need (Microsoft
//! Graph application permissions, Azure `Microsoft.Authorization` actions per scope), what the
//! credential holds (the Graph token's `roles` claim; ARM's permissions list at each scope), and
//! who is signed in (the token's claims) in which tenant (`GET /organization`).
//!
//! The token's payload is decoded without verifying its signature: it is our own token, only
//! read for its claims, and never logged. A token without a `roles` claim (a user's delegated
//! token) is not checked against Graph: what a user may do depends on directory roles the token
//! does not list, so [`PermissionCheck::notes`] says the Graph part was skipped.
//!
//! Key Vault is not checked (a vault's access policy or RBAC data actions are not listed by
//! any read the credential is sure to be allowed); docs/permissions.md names what it needs.
//!
//! Wording is the caller's: this module returns [`NeedKind`]s and the permission names.

use std::collections::BTreeMap;

use registrar_model::{ApplicationRef, LiveTenant, Operation, SignedInClient};
use reqwest::Method;
use serde::Deserialize;

use crate::clients::Clients;
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, encode_path};

/// `Application.ReadWrite.All`: any application and service principal.
pub const APPLICATION_READ_WRITE_ALL: &str = "Application.ReadWrite.All";
/// `Application.ReadWrite.OwnedBy`: create applications, change the ones the client owns.
pub const APPLICATION_READ_WRITE_OWNED_BY: &str = "Application.ReadWrite.OwnedBy";
/// `AppRoleAssignment.ReadWrite.All`: admin consent of application permissions.
pub const APP_ROLE_ASSIGNMENT_READ_WRITE_ALL: &str = "AppRoleAssignment.ReadWrite.All";
/// `DelegatedPermissionGrant.ReadWrite.All`: admin consent of delegated permissions.
pub const DELEGATED_PERMISSION_GRANT_READ_WRITE_ALL: &str =
    "DelegatedPermissionGrant.ReadWrite.All";
/// The ARM action of a role assignment create.
pub const ROLE_ASSIGNMENTS_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
/// The ARM action of a role assignment delete.
pub const ROLE_ASSIGNMENTS_DELETE: &str = "Microsoft.Authorization/roleAssignments/delete";

const ANY_APPLICATION: &[&str] = &[APPLICATION_READ_WRITE_ALL];
const OWNED_APPLICATION: &[&str] = &[APPLICATION_READ_WRITE_ALL, APPLICATION_READ_WRITE_OWNED_BY];
const APP_ROLE_CONSENT: &[&str] = &[APP_ROLE_ASSIGNMENT_READ_WRITE_ALL];
const DELEGATED_CONSENT: &[&str] = &[
    DELEGATED_PERMISSION_GRANT_READ_WRITE_ALL,
    "Directory.ReadWrite.All",
];

/// Why an operation needs a permission (the caller words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NeedKind {
    /// Create or restore an application (the creator becomes an owner).
    CreateApplication,
    /// Change an application (or its service principal) the client owns.
    ChangeOwnedApplication,
    /// Change an application (or its service principal) the client does not own.
    ChangeUnownedApplication,
    /// Add an owner: `Application.ReadWrite.OwnedBy` is not enough.
    AddOwner,
    /// Grant or revoke admin consent of application permissions (app role assignments).
    AppRoleConsent,
    /// Grant, change or revoke admin consent of delegated permissions.
    DelegatedConsent,
    /// Create an Azure role assignment.
    RoleAssignmentWrite,
    /// Delete an Azure role assignment.
    RoleAssignmentDelete,
}

/// A permission some change needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// A Microsoft Graph application permission: any one of these values.
    Graph(&'static [&'static str]),
    /// An ARM action at a scope.
    Arm {
        /// The action (`Microsoft.Authorization/roleAssignments/write`).
        action: &'static str,
        /// The scope as the plan writes it.
        scope: String,
    },
}

/// One change's need of one permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// What it is for.
    pub kind: NeedKind,
    /// What it takes.
    pub permission: Permission,
    /// The address of the change that needs it.
    pub address: String,
}

/// What [`check_permissions`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionCheck {
    /// The needs the credential does not meet, in plan order.
    pub missing: Vec<Need>,
    /// What could not be checked.
    pub notes: Vec<CheckNote>,
}

/// Something [`check_permissions`] could not check, and went on without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckNote {
    /// The Graph token has no `roles` claim (a user's delegated token, or not a JWT): the Graph
    /// permissions were not checked.
    GraphRolesUnknown,
    /// ARM's permissions list could not be read at this scope.
    ArmPermissionsUnreadable {
        /// The scope.
        scope: String,
        /// Why (the error's text).
        reason: String,
    },
}

/// The application an operation changes, when it names one: `Some(None)` for one created in
/// the same apply (the client will own it), `Some(Some(id))` for an existing one.
fn application_of(operation: &Operation) -> Option<Option<&str>> {
    fn of_ref(application: &ApplicationRef) -> Option<&str> {
        match application {
            ApplicationRef::Existing { id, .. } => Some(id.as_str()),
            ApplicationRef::Planned { .. } => None,
        }
    }
    match operation {
        Operation::UpdateApplication { application, .. }
        | Operation::CreateServicePrincipal { application, .. }
        | Operation::RemoveOwner { application, .. }
        | Operation::AddSecret { application, .. }
        | Operation::RemoveSecret { application, .. }
        | Operation::SetCertificates { application, .. }
        | Operation::UpsertFederatedCredential { application, .. }
        | Operation::DeleteFederatedCredential { application, .. } => Some(of_ref(application)),
        Operation::DeleteApplication { id } => Some(Some(id.as_str())),
        _ => None,
    }
}

/// Whether the signed-in principal owns the live application `id` (or the one whose service
/// principal is `id`).
fn owns(live: &LiveTenant, signed_in: Option<&SignedInClient>, id: &str) -> bool {
    let Some(signed_in) = signed_in else {
        return false;
    };
    live.applications
        .iter()
        .find(|app| {
            app.id.eq_ignore_ascii_case(id)
                || app
                    .service_principal
                    .as_ref()
                    .is_some_and(|sp| sp.id.eq_ignore_ascii_case(id))
        })
        .is_some_and(|app| {
            app.owners
                .iter()
                .any(|owner| owner.eq_ignore_ascii_case(&signed_in.object_id))
        })
}

/// The scope of a role assignment's full id (`{scope}/providers/Microsoft.Authorization/
/// roleAssignments/{name}`), `/` for the tenant root.
fn assignment_scope(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    let scope = match lower.find("/providers/microsoft.authorization/roleassignments/") {
        Some(index) => &id[..index],
        None => id,
    };
    if scope.is_empty() {
        "/".to_owned()
    } else {
        scope.to_owned()
    }
}

/// What each operation of `changes` (address, operation) needs, against the snapshot the plan
/// was made from (whose `signed_in` says who owns what).
pub fn needs<'a>(
    changes: impl IntoIterator<Item = (String, &'a Operation)>,
    live: &LiveTenant,
) -> Vec<Need> {
    let signed_in = live.signed_in.as_ref();
    let mut needs = Vec::new();
    for (address, operation) in changes {
        let graph = |kind, alternatives| Need {
            kind,
            permission: Permission::Graph(alternatives),
            address: address.clone(),
        };
        let need = match operation {
            Operation::CreateApplication { .. } | Operation::RestoreApplication { .. } => {
                graph(NeedKind::CreateApplication, OWNED_APPLICATION)
            }
            Operation::AddOwner { .. } | Operation::AddServicePrincipalOwner { .. } => {
                graph(NeedKind::AddOwner, ANY_APPLICATION)
            }
            Operation::UpdateServicePrincipal { id, .. }
            | Operation::DeleteServicePrincipal { id }
            | Operation::RemoveServicePrincipalPassword {
                service_principal_id: id,
                ..
            }
            | Operation::RemoveServicePrincipalKey {
                service_principal_id: id,
                ..
            }
            | Operation::RemoveServicePrincipalOwner {
                service_principal_id: id,
                ..
            } => {
                if owns(live, signed_in, id) {
                    graph(NeedKind::ChangeOwnedApplication, OWNED_APPLICATION)
                } else {
                    graph(NeedKind::ChangeUnownedApplication, ANY_APPLICATION)
                }
            }
            Operation::GrantAppRole { .. } | Operation::RevokeAppRole { .. } => {
                graph(NeedKind::AppRoleConsent, APP_ROLE_CONSENT)
            }
            Operation::GrantScopes { .. }
            | Operation::UpdateGrantedScopes { .. }
            | Operation::RevokeGrant { .. } => graph(NeedKind::DelegatedConsent, DELEGATED_CONSENT),
            Operation::CreateRoleAssignment { scope, .. } => Need {
                kind: NeedKind::RoleAssignmentWrite,
                permission: Permission::Arm {
                    action: ROLE_ASSIGNMENTS_WRITE,
                    scope: normalize_scope(scope),
                },
                address: address.clone(),
            },
            Operation::DeleteRoleAssignment { id } => Need {
                kind: NeedKind::RoleAssignmentDelete,
                permission: Permission::Arm {
                    action: ROLE_ASSIGNMENTS_DELETE,
                    scope: normalize_scope(&assignment_scope(id)),
                },
                address: address.clone(),
            },
            other => match application_of(other) {
                Some(None) => graph(NeedKind::ChangeOwnedApplication, OWNED_APPLICATION),
                Some(Some(id)) if owns(live, signed_in, id) => {
                    graph(NeedKind::ChangeOwnedApplication, OWNED_APPLICATION)
                }
                Some(Some(_)) => graph(NeedKind::ChangeUnownedApplication, ANY_APPLICATION),
                None => continue,
            },
        };
        needs.push(need);
    }
    needs
}

/// A scope without a trailing slash, `/` for the root.
fn normalize_scope(scope: &str) -> String {
    let trimmed = scope.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// One entry of ARM's permissions list (one per role assignment that applies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmPermission {
    /// Allowed actions (`*` wildcards).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Actions taken out of `actions`.
    #[serde(default)]
    pub not_actions: Vec<String>,
}

/// Whether `pattern` (an ARM action, `*` matching any text) matches `action`, ignoring case.
pub fn action_matches(pattern: &str, action: &str) -> bool {
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

/// Whether any entry allows `action`: in its actions and not in the same entry's notActions.
pub fn arm_allows(permissions: &[ArmPermission], action: &str) -> bool {
    permissions.iter().any(|permission| {
        permission
            .actions
            .iter()
            .any(|pattern| action_matches(pattern, action))
            && !permission
                .not_actions
                .iter()
                .any(|pattern| action_matches(pattern, action))
    })
}

/// Whether the Graph token's roles meet one of `alternatives`.
fn graph_allows(roles: &[String], alternatives: &[&str]) -> bool {
    alternatives
        .iter()
        .any(|wanted| roles.iter().any(|held| held.eq_ignore_ascii_case(wanted)))
}

/// Checks `needs` against the credential: the Graph token's `roles`, and ARM's permissions list
/// at each scope (one request per scope). Writes nothing.
pub async fn check_permissions(clients: &Clients, needs: &[Need]) -> PermissionCheck {
    let mut check = PermissionCheck::default();
    let wants_graph = needs
        .iter()
        .any(|need| matches!(need.permission, Permission::Graph(_)));
    let roles = if wants_graph {
        clients.graph_roles().await
    } else {
        None
    };
    if wants_graph && roles.is_none() {
        check.notes.push(CheckNote::GraphRolesUnknown);
    }
    let mut arm: BTreeMap<String, Option<Vec<ArmPermission>>> = BTreeMap::new();
    for need in needs {
        if let Permission::Arm { scope, .. } = &need.permission
            && !arm.contains_key(&scope.to_ascii_lowercase())
        {
            let read = clients.arm_permissions(scope).await;
            let permissions = match read {
                Ok(permissions) => Some(permissions),
                Err(error) => {
                    check.notes.push(CheckNote::ArmPermissionsUnreadable {
                        scope: scope.clone(),
                        reason: error.to_string(),
                    });
                    None
                }
            };
            arm.insert(scope.to_ascii_lowercase(), permissions);
        }
    }
    for need in needs {
        let met = match &need.permission {
            Permission::Graph(alternatives) => roles
                .as_deref()
                .is_none_or(|roles| graph_allows(roles, alternatives)),
            Permission::Arm { action, scope } => match arm.get(&scope.to_ascii_lowercase()) {
                Some(Some(permissions)) => arm_allows(permissions, action),
                _ => true,
            },
        };
        if !met {
            check.missing.push(need.clone());
        }
    }
    check
}

#[derive(Deserialize)]
struct Organizations {
    #[serde(default)]
    value: Vec<Organization>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organization {
    #[serde(default)]
    verified_domains: Vec<VerifiedDomain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedDomain {
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_default: bool,
}

/// The claims of a Graph access token this module reads.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenClaims {
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    app_displayname: Option<String>,
}

impl Clients {
    /// The Graph token's claims, when it is a JWT.
    async fn graph_claims(&self) -> Option<TokenClaims> {
        let payload = self.core.tokens.token_payload(Service::Graph).await?;
        serde_json::from_value(payload).ok()
    }

    /// The Graph application permissions the token carries (its `roles` claim); `None` when it
    /// has none (a delegated token) or is not a JWT.
    pub async fn graph_roles(&self) -> Option<Vec<String>> {
        self.graph_claims().await?.roles
    }

    /// Who this run is signed in as, from the Graph token's claims (`oid`, `appid` or `azp`,
    /// `app_displayname`, `roles`); no request beyond the token. `None` when the token is not a
    /// JWT or names no object.
    pub async fn signed_in(&self) -> Option<SignedInClient> {
        let claims = self.graph_claims().await?;
        let object_id = claims.oid?;
        Some(SignedInClient {
            object_id,
            app_id: claims.appid.or(claims.azp).unwrap_or_default(),
            display_name: claims.app_displayname,
            graph_roles: claims.roles.unwrap_or_default(),
        })
    }

    /// The tenant's default verified domain: `GET /organization?$select=verifiedDomains`.
    /// `None` when the credential may not read the organization (it needs
    /// `Organization.Read.All` or `Directory.Read.All`) or it lists no default.
    pub async fn default_domain(&self) -> Option<String> {
        let url = format!(
            "{}/organization?$select=verifiedDomains",
            self.core.endpoints.graph_base
        );
        let reply = self
            .core
            .send(&Call::new(Method::GET, url, Service::Graph))
            .await;
        let organizations: Organizations = match reply.and_then(|reply| reply.json()) {
            Ok(organizations) => organizations,
            Err(error) => {
                tracing::debug!(%error, "cannot read the organization's domains");
                return None;
            }
        };
        organizations
            .value
            .into_iter()
            .flat_map(|organization| organization.verified_domains)
            .find(|domain| domain.is_default)
            .map(|domain| domain.name)
    }

    /// What the caller may do at `scope`: `GET {scope}/providers/Microsoft.Authorization/
    /// permissions` (all pages), one entry per role assignment that applies there.
    pub async fn arm_permissions(&self, scope: &str) -> Result<Vec<ArmPermission>, AzureError> {
        let mut path = String::new();
        for segment in scope.split('/').filter(|segment| !segment.is_empty()) {
            path.push('/');
            path.push_str(&encode_path(segment));
        }
        let url = format!(
            "{}{path}/providers/Microsoft.Authorization/permissions?api-version={}",
            self.core.endpoints.arm_base,
            crate::arm::API_VERSION
        );
        self.core.get_all_pages(url, Service::Arm).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_with_wildcards() {
        assert!(action_matches("*", ROLE_ASSIGNMENTS_WRITE));
        assert!(action_matches(
            "Microsoft.Authorization/*",
            ROLE_ASSIGNMENTS_WRITE
        ));
        assert!(action_matches(
            "microsoft.authorization/*/write",
            ROLE_ASSIGNMENTS_WRITE
        ));
        assert!(!action_matches("*/read", ROLE_ASSIGNMENTS_WRITE));
        assert!(!action_matches(
            "Microsoft.Authorization/*/Delete",
            ROLE_ASSIGNMENTS_WRITE
        ));
    }

    #[test]
    fn not_actions_take_out_of_the_same_entry_only() {
        let contributor = ArmPermission {
            actions: vec!["*".to_owned()],
            not_actions: vec!["Microsoft.Authorization/*/Write".to_owned()],
        };
        assert!(!arm_allows(
            std::slice::from_ref(&contributor),
            ROLE_ASSIGNMENTS_WRITE
        ));
        let administrator = ArmPermission {
            actions: vec![ROLE_ASSIGNMENTS_WRITE.to_owned()],
            not_actions: Vec::new(),
        };
        assert!(arm_allows(
            &[contributor, administrator],
            ROLE_ASSIGNMENTS_WRITE
        ));
        assert!(!arm_allows(&[], ROLE_ASSIGNMENTS_WRITE));
    }

    #[test]
    fn assignment_scopes_come_from_the_id() {
        assert_eq!(
            assignment_scope(
                "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/n"
            ),
            "/subscriptions/s"
        );
        assert_eq!(
            assignment_scope("/providers/Microsoft.Authorization/roleAssignments/n"),
            "/"
        );
    }
}
