//! Role assignments: create (PUT, idempotent), get, list with `$filter` (`principalId eq`,
//! `assignedTo()`, `atScope()`), delete (200 with the body, 204 when absent).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::definitions;
use super::{
    Clause, Ctx, PROVIDER, Scope, arm_error, bad_request, is_guid, page, parse_filter, prefix,
    scope_contains, subscription_of, unsupported_filter,
};
use crate::RoleDefinitionIdForm;
use crate::api::{ApiResponse, Reply};
use crate::state::{RoleAssignment, Tenant};
use crate::util::{graph_time, now, parse_time};

/// The principal types of api-version 2022-04-01.
const PRINCIPAL_TYPES: [&str; 5] = [
    "User",
    "Group",
    "ServicePrincipal",
    "ForeignGroup",
    "Device",
];

/// The ARM JSON of an assignment (`arm-roleassignments-create.json`).
pub(crate) fn to_json(assignment: &RoleAssignment, form: RoleDefinitionIdForm) -> Value {
    let subscription = match form {
        RoleDefinitionIdForm::Tenant => None,
        RoleDefinitionIdForm::Subscription => subscription_of(&assignment.scope),
    };
    json!({
        "properties": {
            "roleDefinitionId": definitions::definition_id(subscription, &assignment.role_definition),
            "principalId": assignment.principal_id,
            "principalType": assignment.principal_type,
            "scope": assignment.scope,
            "condition": assignment.condition,
            "conditionVersion": assignment.condition_version,
            "createdOn": assignment.created_on,
            "updatedOn": assignment.updated_on,
            "createdBy": assignment.created_by,
            "updatedBy": assignment.updated_by,
            "delegatedManagedIdentityResourceId": assignment.delegated_managed_identity_resource_id,
            "description": assignment.description,
        },
        "id": format!(
            "{}/providers/{PROVIDER}/roleAssignments/{}",
            prefix(&assignment.scope),
            assignment.name
        ),
        "type": format!("{PROVIDER}/roleAssignments"),
        "name": assignment.name,
    })
}

fn check_name(name: &str) -> Result<(), ApiResponse> {
    if is_guid(name) {
        Ok(())
    } else {
        Err(bad_request(
            "InvalidRoleAssignmentId",
            &format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        ))
    }
}

/// The assignment `name` if it sits at `scope`.
fn at_scope<'a>(tenant: &'a Tenant, scope: &Scope, name: &str) -> Option<&'a RoleAssignment> {
    tenant
        .role_assignments
        .get(&name.to_ascii_lowercase())
        .filter(|assignment| assignment.scope.eq_ignore_ascii_case(&scope.path))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}` (also `GET /{id}`).
pub(crate) fn get(tenant: &Tenant, scope: &Scope, name: &str, ctx: &Ctx<'_>) -> Reply {
    check_name(name)?;
    match at_scope(tenant, scope, name) {
        Some(assignment) => Ok(ApiResponse::ok(to_json(
            assignment,
            ctx.options.role_definition_id_form,
        ))),
        None => Err(arm_error(
            StatusCode::NOT_FOUND,
            "RoleAssignmentNotFound",
            &format!("The role assignment '{name}' is not found."),
        )),
    }
}

/// `DELETE …/roleAssignments/{name}`: 200 with the deleted assignment, 204 when there is none.
pub(crate) fn delete(tenant: &mut Tenant, scope: &Scope, name: &str, ctx: &Ctx<'_>) -> Reply {
    check_name(name)?;
    if at_scope(tenant, scope, name).is_none() {
        return Ok(ApiResponse::no_content());
    }
    let removed = tenant
        .role_assignments
        .remove(&name.to_ascii_lowercase())
        .map(|assignment| to_json(&assignment, ctx.options.role_definition_id_form))
        .unwrap_or(Value::Null);
    Ok(ApiResponse::ok(removed).changed())
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments`: without a filter, or with
/// `principalId eq '{id}'` / `assignedTo('{id}')`, the assignments at, above and below the
/// scope; with `atScope()` (alone or `and` one of those) only at and above it.
pub(crate) fn list(tenant: &Tenant, scope: &Scope, ctx: &Ctx<'_>) -> Reply {
    let mut only_at_or_above = false;
    let mut principal: Option<String> = None;
    if let Some(filter) = ctx
        .request
        .query("$filter")
        .filter(|text| !text.trim().is_empty())
    {
        let supported =
            "either 'atScope()' or 'principalId eq '{value}'' or 'assignedTo('{value}')'";
        let clauses = parse_filter(filter).ok_or_else(|| unsupported_filter(filter, supported))?;
        for clause in clauses {
            match clause {
                Clause::Call(name, None) if name == "atscope" => only_at_or_above = true,
                Clause::Call(name, Some(id)) if name == "assignedto" && principal.is_none() => {
                    principal = Some(id);
                }
                Clause::Eq(property, id) if property == "principalid" && principal.is_none() => {
                    principal = Some(id);
                }
                _ => return Err(unsupported_filter(filter, supported)),
            }
        }
    }
    let items: Vec<Value> = tenant
        .role_assignments
        .values()
        .filter(|assignment| {
            let above = scope_contains(&assignment.scope, &scope.path);
            let below = scope_contains(&scope.path, &assignment.scope);
            (above || (below && !only_at_or_above))
                && principal
                    .as_deref()
                    .is_none_or(|id| assignment.principal_id.eq_ignore_ascii_case(id))
        })
        .map(|assignment| to_json(assignment, ctx.options.role_definition_id_form))
        .collect();
    page(ctx, items)
}

fn invalid_content(message: &str) -> ApiResponse {
    bad_request(
        "InvalidRequestContent",
        &format!("The request content was invalid and could not be deserialized: '{message}'."),
    )
}

fn optional_string(
    properties: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, ApiResponse> {
    match properties.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid_content(&format!(
            "Error converting value to type 'System.String'. Path 'properties.{name}'"
        ))),
    }
}

/// The role definition GUID of a `roleDefinitionId`
/// (`[/subscriptions/{s}]/providers/Microsoft.Authorization/roleDefinitions/{guid}`).
fn role_definition_guid(id: &str) -> Option<String> {
    let segments: Vec<&str> = id
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let tail = match segments.as_slice() {
        [subscriptions, subscription, tail @ ..]
            if subscriptions.eq_ignore_ascii_case("subscriptions") && is_guid(subscription) =>
        {
            tail
        }
        tail => tail,
    };
    match tail {
        [providers, provider, definitions, guid]
            if providers.eq_ignore_ascii_case("providers")
                && provider.eq_ignore_ascii_case(PROVIDER)
                && definitions.eq_ignore_ascii_case("roleDefinitions")
                && is_guid(guid) =>
        {
            Some(guid.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The directory type of a principal ARM can see: a service principal that replicated (one
/// created less than the replication lag ago has not; one merely changed since has, as only its
/// new properties lag), or a user.
fn principal_type_of(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Option<&'static str> {
    let replicated = |record: &crate::state::Record| {
        record.visible(ctx.now_ms)
            || record
                .str_field("createdDateTime")
                .and_then(parse_time)
                .is_some_and(|created| {
                    let created_ms =
                        i64::try_from(created.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
                    created_ms.saturating_add(ctx.lag_ms) <= ctx.now_ms
                })
    };
    if tenant
        .all_service_principals()
        .any(|record| record.id().eq_ignore_ascii_case(id) && replicated(record))
    {
        return Some("ServicePrincipal");
    }
    if tenant
        .users
        .keys()
        .any(|user| user.eq_ignore_ascii_case(id))
    {
        return Some("User");
    }
    None
}

fn principal_not_found(id: &str, tenant_id: &str) -> ApiResponse {
    bad_request(
        "PrincipalNotFound",
        &format!(
            "Principal {} does not exist in the directory {tenant_id}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
            id.replace('-', "")
        ),
    )
}

/// What a PUT asks for.
struct Requested {
    role_definition: String,
    principal_id: String,
    principal_type: Option<String>,
    description: Option<String>,
    condition: Option<String>,
    condition_version: Option<String>,
    delegated: Option<String>,
}

fn read_body(ctx: &Ctx<'_>) -> Result<Requested, ApiResponse> {
    let body: Value = serde_json::from_slice(&ctx.request.body)
        .map_err(|error| invalid_content(&error.to_string()))?;
    let Some(properties) = body.get("properties").and_then(Value::as_object) else {
        return Err(invalid_content(
            "Required property 'properties' not found in JSON. Path '', line 1, position 1.",
        ));
    };
    let required = |name: &str| -> Result<String, ApiResponse> {
        optional_string(properties, name)?.ok_or_else(|| {
            invalid_content(&format!(
                "Required property '{name}' not found in JSON. Path 'properties'"
            ))
        })
    };
    let role_definition_id = required("roleDefinitionId")?;
    let principal_id = required("principalId")?;
    if !is_guid(&principal_id) {
        return Err(bad_request(
            "InvalidPrincipalId",
            "A valid principal ID must be provided for role assignment.",
        ));
    }
    let Some(role_definition) = role_definition_guid(&role_definition_id) else {
        return Err(bad_request(
            "InvalidRoleDefinitionId",
            &format!("The role definition ID '{role_definition_id}' is not valid."),
        ));
    };
    let principal_type = match optional_string(properties, "principalType")? {
        None => None,
        Some(given) => Some(
            PRINCIPAL_TYPES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(&given))
                .map(|known| (*known).to_owned())
                .ok_or_else(|| {
                    invalid_content(&format!(
                        "Error converting value \"{given}\" to type 'PrincipalType'. Path 'properties.principalType'"
                    ))
                })?,
        ),
    };
    let condition = optional_string(properties, "condition")?;
    let mut condition_version = optional_string(properties, "conditionVersion")?;
    if let Some(version) = &condition_version
        && version != "2.0"
    {
        return Err(bad_request(
            "InvalidConditionVersion",
            &format!(
                "The condition version '{version}' is not supported. The supported version is '2.0'."
            ),
        ));
    }
    if condition.is_some() && condition_version.is_none() {
        condition_version = Some("2.0".to_owned());
    }
    Ok(Requested {
        role_definition,
        principal_id: principal_id.to_ascii_lowercase(),
        principal_type,
        description: optional_string(properties, "description")?,
        condition,
        condition_version,
        delegated: optional_string(properties, "delegatedManagedIdentityResourceId")?,
    })
}

/// `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`: 201 on create, 200 when
/// the assignment exists with the same principal, role and scope (its description and condition
/// are updated).
pub(crate) fn create(tenant: &mut Tenant, scope: &Scope, name: &str, ctx: &Ctx<'_>) -> Reply {
    check_name(name)?;
    let caller = ctx.caller();
    if scope.path == "/" {
        let caller = caller.unwrap_or_default();
        return Err(arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '{caller}' with object id '{caller}' does not have authorization to perform action '{PROVIDER}/roleAssignments/write' over scope '/' or the scope is invalid. If access was recently granted, please refresh your credentials."
            ),
        ));
    }
    let requested = read_body(ctx)?;
    if definitions::find(&requested.role_definition)
        .is_none_or(|role| !definitions::applies_at(role, &scope.path))
    {
        return Err(bad_request(
            "RoleDefinitionDoesNotExist",
            &format!(
                "The specified role definition with ID '{}' does not exist.",
                requested.role_definition
            ),
        ));
    }
    let Some(actual_type) = principal_type_of(tenant, &requested.principal_id, ctx) else {
        return Err(principal_not_found(
            &requested.principal_id,
            &tenant.tenant_id,
        ));
    };
    if let Some(given) = &requested.principal_type
        && given != actual_type
    {
        return Err(bad_request(
            "UnmatchedPrincipalType",
            &format!(
                "The PrincipalId '{}' has type '{actual_type}', which is different from specified PrincipalType '{given}'.",
                requested.principal_id.replace('-', "")
            ),
        ));
    }
    let key = name.to_ascii_lowercase();
    let timestamp = graph_time(now());
    let form = ctx.options.role_definition_id_form;
    if let Some(existing) = tenant.role_assignments.get_mut(&key) {
        let same = existing.scope.eq_ignore_ascii_case(&scope.path)
            && existing
                .principal_id
                .eq_ignore_ascii_case(&requested.principal_id)
            && existing.role_definition == requested.role_definition;
        if !same {
            return Err(bad_request(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ));
        }
        let changed = existing.description != requested.description
            || existing.condition != requested.condition
            || existing.condition_version != requested.condition_version
            || existing.delegated_managed_identity_resource_id != requested.delegated;
        if !changed {
            return Ok(ApiResponse::ok(to_json(existing, form)));
        }
        existing.description = requested.description;
        existing.condition = requested.condition;
        existing.condition_version = requested.condition_version;
        existing.delegated_managed_identity_resource_id = requested.delegated;
        existing.updated_on = timestamp;
        existing.updated_by = caller;
        return Ok(ApiResponse::ok(to_json(existing, form)).changed());
    }
    if let Some(duplicate) = tenant.role_assignments.values().find(|assignment| {
        assignment.scope.eq_ignore_ascii_case(&scope.path)
            && assignment
                .principal_id
                .eq_ignore_ascii_case(&requested.principal_id)
            && assignment.role_definition == requested.role_definition
    }) {
        return Err(arm_error(
            StatusCode::CONFLICT,
            "RoleAssignmentExists",
            &format!(
                "The role assignment already exists. The ID of the existing role assignment is {}.",
                duplicate.name.to_ascii_lowercase().replace('-', "")
            ),
        ));
    }
    check_limits(tenant, scope, ctx)?;
    let assignment = RoleAssignment {
        name: name.to_owned(),
        scope: scope.path.clone(),
        role_definition: requested.role_definition,
        principal_id: requested.principal_id,
        principal_type: actual_type.to_owned(),
        description: requested.description,
        condition: requested.condition,
        condition_version: requested.condition_version,
        delegated_managed_identity_resource_id: requested.delegated,
        created_on: timestamp.clone(),
        updated_on: timestamp,
        created_by: caller.clone(),
        updated_by: caller,
    };
    let body = to_json(&assignment, form);
    tenant.role_assignments.insert(key, assignment);
    Ok(ApiResponse::json(StatusCode::CREATED, body).changed())
}

/// At most [`crate::ArmOptions::assignments_per_subscription`] assignments in a subscription and
/// [`crate::ArmOptions::assignments_per_management_group`] at a management group.
fn check_limits(tenant: &Tenant, scope: &Scope, ctx: &Ctx<'_>) -> Result<(), ApiResponse> {
    let (count, limit) = if let Some(subscription) = &scope.subscription {
        let count = tenant
            .role_assignments
            .values()
            .filter(|assignment| {
                subscription_of(&assignment.scope)
                    .is_some_and(|other| other.eq_ignore_ascii_case(subscription))
            })
            .count();
        (count, ctx.options.assignments_per_subscription)
    } else if scope.management_group.is_some() {
        let count = tenant
            .role_assignments
            .values()
            .filter(|assignment| assignment.scope.eq_ignore_ascii_case(&scope.path))
            .count();
        (count, ctx.options.assignments_per_management_group)
    } else {
        return Ok(());
    };
    if count >= limit {
        return Err(bad_request(
            "RoleAssignmentLimitExceeded",
            &format!(
                "No more role assignments can be created (code: RoleAssignmentLimitExceeded). The limit of {limit} role assignments at this scope has been reached."
            ),
        ));
    }
    Ok(())
}
