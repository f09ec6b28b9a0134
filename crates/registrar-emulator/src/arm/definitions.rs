//! Role definitions: the Azure built-in roles from `registrar-catalog` (real GUIDs, the same in
//! every subscription), read-only.

use axum::http::StatusCode;
use registrar_catalog::BuiltinRole;
use serde_json::{Value, json};

use super::{
    Clause, Ctx, PROVIDER, Scope, arm_error, page, parse_filter, scope_contains, unsupported_filter,
};
use crate::api::{ApiResponse, Reply};

/// `createdOn`/`updatedOn` of the built-in roles (the catalog has no dates).
const BUILTIN_CREATED_ON: &str = "2015-02-02T21:55:09.8806423Z";

/// The scopes a role can be assigned at (`/` unless the catalog restricts it).
fn assignable_scopes(role: &BuiltinRole) -> Vec<String> {
    role.assignable_scopes
        .clone()
        .filter(|scopes| !scopes.is_empty())
        .unwrap_or_else(|| vec!["/".to_owned()])
}

/// Whether a role applies at `scope`: assignable at `/`, at the scope or above it; everything
/// applies at the tenant root. Roles restricted to `/providers/Microsoft.Capacity` are therefore
/// not listed at subscription scopes, as in Azure.
pub(crate) fn applies_at(role: &BuiltinRole, scope: &str) -> bool {
    scope == "/"
        || assignable_scopes(role)
            .iter()
            .any(|assignable| scope_contains(assignable, scope))
}

/// The built-in role with this GUID.
pub(crate) fn find(guid: &str) -> Option<&'static BuiltinRole> {
    registrar_catalog::catalog()
        .roles
        .iter()
        .find(|role| role.id.eq_ignore_ascii_case(guid))
}

/// A role definition's id as seen from `scope`: subscription-qualified inside a subscription,
/// the tenant form (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`) elsewhere.
pub(crate) fn definition_id(subscription: Option<&str>, guid: &str) -> String {
    match subscription {
        Some(subscription) => {
            format!("/subscriptions/{subscription}/providers/{PROVIDER}/roleDefinitions/{guid}")
        }
        None => format!("/providers/{PROVIDER}/roleDefinitions/{guid}"),
    }
}

/// The ARM JSON of a built-in role (`arm-roledefinitions-get.json`).
fn to_json(role: &BuiltinRole, scope: &Scope) -> Value {
    let guid = role.id.to_ascii_lowercase();
    json!({
        "properties": {
            "roleName": role.role_name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": assignable_scopes(role),
            "permissions": [{
                "actions": [],
                "notActions": [],
                "dataActions": [],
                "notDataActions": [],
            }],
            "createdOn": BUILTIN_CREATED_ON,
            "updatedOn": BUILTIN_CREATED_ON,
            "createdBy": null,
            "updatedBy": null,
        },
        "id": definition_id(scope.subscription.as_deref(), &guid),
        "type": format!("{PROVIDER}/roleDefinitions"),
        "name": guid,
    })
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (and the tenant-level
/// `GET /providers/Microsoft.Authorization/roleDefinitions/{guid}`).
pub(crate) fn get(scope: &Scope, name: &str) -> Reply {
    match find(name).filter(|role| applies_at(role, &scope.path)) {
        Some(role) => Ok(ApiResponse::ok(to_json(role, scope))),
        None => Err(not_found(name)),
    }
}

/// 404 `RoleDefinitionDoesNotExist`.
pub(crate) fn not_found(guid: &str) -> ApiResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "RoleDefinitionDoesNotExist",
        &format!("The specified role definition with ID '{guid}' does not exist."),
    )
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=…]`: `roleName eq
/// '…'` (case-insensitive; `''` escapes `'`), `type eq 'BuiltInRole'|'CustomRole'`,
/// `atScopeAndBelow()`, joined by `and`.
pub(crate) fn list(scope: &Scope, ctx: &Ctx<'_>) -> Reply {
    let mut role_name: Option<String> = None;
    let mut builtin = true;
    if let Some(filter) = ctx
        .request
        .query("$filter")
        .filter(|text| !text.trim().is_empty())
    {
        let supported =
            "'roleName eq '{value}'', 'type eq 'BuiltInRole'|'CustomRole'' and 'atScopeAndBelow()'";
        let clauses = parse_filter(filter).ok_or_else(|| unsupported_filter(filter, supported))?;
        for clause in clauses {
            match clause {
                Clause::Eq(property, value) if property == "rolename" => role_name = Some(value),
                Clause::Eq(property, value) if property == "type" => {
                    builtin = builtin && value.eq_ignore_ascii_case("BuiltInRole");
                    if !value.eq_ignore_ascii_case("BuiltInRole")
                        && !value.eq_ignore_ascii_case("CustomRole")
                    {
                        return Err(unsupported_filter(filter, supported));
                    }
                }
                Clause::Call(name, None) if name == "atscopeandbelow" => {}
                _ => return Err(unsupported_filter(filter, supported)),
            }
        }
    }
    let items: Vec<Value> = if builtin {
        registrar_catalog::catalog()
            .roles
            .iter()
            .filter(|role| applies_at(role, &scope.path))
            .filter(|role| {
                role_name
                    .as_deref()
                    .is_none_or(|name| role.role_name.eq_ignore_ascii_case(name))
            })
            .map(|role| to_json(role, scope))
            .collect()
    } else {
        Vec::new()
    };
    page(ctx, items)
}
