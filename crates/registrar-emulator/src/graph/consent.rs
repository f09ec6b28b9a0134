//! Admin consent: app role assignments (application permissions) through
//! `/servicePrincipals/{resource}/appRoleAssignedTo` and `/servicePrincipals/{client}/appRoleAssignments`,
//! and delegated permission grants through `/oauth2PermissionGrants` (also listed per client at
//! `/servicePrincipals/{client}/oauth2PermissionGrants`). Shaped like the documented payloads
//! (`serviceprincipal-post-approleassignedto*.json`, `oauth2permissiongrant-*.json`).
//!
//! Ids are opaque, case-sensitive strings built the way Graph builds them: base64url without
//! padding of GUIDs in .NET byte order. An assignment id is the principal's id followed by 16
//! random bytes (43 characters, e.g. `47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M`); a grant id is
//! the client's id and the resource's id (43 characters), followed by the user's id for a
//! `Principal` grant (64 characters). So a grant is unique per (client, resource[, user]), and a
//! second one for the same key is refused with 409 `Request_MultipleObjectsWithSameKeyValue`.
//!
//! Replication lag: new or changed assignments and grants are missing from lists and answer 404
//! until they are visible, like every other object; a just-created service principal named as
//! principal, client or resource is 404 for the same window.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{Ctx, Key, Side, check_keys, find_service_principal, with_context};
use crate::api::{ApiResponse, Reply, bad_request, graph_error, not_found};
use crate::odata::{self, Collection};
use crate::state::{Record, Tenant};
use crate::util::{graph_time, now};

/// The app role id of "default access", for resources that define no app roles.
const DEFAULT_ACCESS_ROLE: &str = "00000000-0000-0000-0000-000000000000";
/// The longest `scope` of a delegated permission grant.
pub(crate) const MAX_SCOPE_CHARS: usize = 3850;

const ASSIGNMENT_TYPE: &str = "microsoft.graph.appRoleAssignment";
const ASSIGNMENT_FILTERABLE: &[&str] = &[
    "id",
    "appRoleId",
    "principalId",
    "principalType",
    "principalDisplayName",
    "resourceId",
    "resourceDisplayName",
];
const ASSIGNMENT_WRITABLE: &[&str] = &["principalId", "resourceId", "appRoleId"];

const GRANTS: Collection<'static> = Collection {
    context_name: "oauth2PermissionGrants",
    type_name: "microsoft.graph.oAuth2PermissionGrant",
    filterable: &["id", "clientId", "consentType", "principalId", "resourceId"],
    path: "oauth2PermissionGrants",
};
const GRANT_WRITABLE: &[&str] = &[
    "clientId",
    "consentType",
    "principalId",
    "resourceId",
    "scope",
];

/// `Invalid value specified for property '…' of resource '…'.` (400 `Request_BadRequest`).
fn invalid_property(property: &str, resource: &str) -> ApiResponse {
    bad_request(&format!(
        "Invalid value specified for property '{property}' of resource '{resource}'."
    ))
}

/// A GUID property of a request body: `Ok(None)` when absent or null, the canonical
/// (lower-case hyphenated) form when valid, else 400.
fn guid_field(
    body: &Map<String, Value>,
    name: &str,
    resource: &str,
) -> Result<Option<String>, ApiResponse> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => uuid::Uuid::parse_str(text)
            .map(|guid| Some(guid.to_string()))
            .map_err(|_| invalid_property(name, resource)),
        Some(_) => Err(invalid_property(name, resource)),
    }
}

/// base64url (no padding) of GUIDs in .NET byte order, as Graph's consent ids.
fn encode_guids(ids: &[&str], extra: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(ids.len() * 16 + extra.len());
    for id in ids {
        let guid = uuid::Uuid::parse_str(id).unwrap_or_default();
        bytes.extend_from_slice(&guid.to_bytes_le());
    }
    bytes.extend_from_slice(extra);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn same_id(record: &Record, field: &str, id: &str) -> bool {
    record
        .str_field(field)
        .is_some_and(|value| value.eq_ignore_ascii_case(id))
}

// ---------------------------------------------------------------------------------------------
// App role assignments

/// The field that ties an assignment to the service principal of the URL.
fn side_field(side: Side) -> &'static str {
    match side {
        Side::Resource => "resourceId",
        Side::Principal => "principalId",
    }
}

/// A principal an app role can be assigned to.
struct Principal {
    id: String,
    display_name: Value,
    /// `principalType`.
    kind: &'static str,
    /// The `allowedMemberTypes` entry the role must have.
    member_type: &'static str,
}

/// A visible service principal or a user, by object id; 404 otherwise (a just-created service
/// principal is 404 during the replication lag, as in Graph).
fn find_principal(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Result<Principal, ApiResponse> {
    if let Ok(sp) = find_service_principal(tenant, &Key::Id(id.to_owned()), ctx) {
        return Ok(Principal {
            id: sp.id().to_owned(),
            display_name: sp.object["displayName"].clone(),
            kind: "ServicePrincipal",
            member_type: "Application",
        });
    }
    tenant
        .users
        .values()
        .find(|user| {
            user["id"]
                .as_str()
                .is_some_and(|value| value.eq_ignore_ascii_case(id))
        })
        .map(|user| Principal {
            id: user["id"].as_str().unwrap_or(id).to_owned(),
            display_name: user["displayName"].clone(),
            kind: "User",
            member_type: "User",
        })
        .ok_or_else(|| not_found(id))
}

/// Whether `app_role_id` may be assigned on `resource` to a principal of `member_type`:
/// `Err` carries Graph's 400.
fn check_app_role(
    resource: &Record,
    app_role_id: &str,
    member_type: &str,
) -> Result<(), ApiResponse> {
    let roles = resource.object["appRoles"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let resource_name = resource.str_field("appId").unwrap_or_else(|| resource.id());
    if app_role_id == DEFAULT_ACCESS_ROLE && roles.is_empty() {
        return Ok(());
    }
    let role = roles.iter().find(|role| {
        role["id"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(app_role_id))
            && role["isEnabled"].as_bool() != Some(false)
    });
    let Some(role) = role else {
        return Err(bad_request(&format!(
            "Permission being assigned was not found on application '{resource_name}'."
        )));
    };
    let allowed = role["allowedMemberTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|kind| kind.eq_ignore_ascii_case(member_type));
    if !allowed {
        return Err(bad_request(&format!(
            "Permission being assigned is not allowed for principals of member type '{member_type}' on application '{resource_name}'."
        )));
    }
    Ok(())
}

fn assignment_context(ctx: &Ctx<'_>, sp_id: &str, side: Side, select: Option<&[String]>) -> String {
    odata::context(
        &ctx.request.base,
        &format!("servicePrincipals('{sp_id}')/{}", side.segment()),
        select,
        true,
    )
}

/// `POST /servicePrincipals/{id}/appRoleAssignedTo` (the URL names the resource) or
/// `…/appRoleAssignments` (the URL names the principal).
pub(super) fn create_assignment(
    tenant: &mut Tenant,
    key: &Key,
    side: Side,
    ctx: &Ctx<'_>,
) -> Reply {
    const RESOURCE: &str = "AppRoleAssignment";
    let path_id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    let body = ctx.request.json_object()?;
    check_keys(&body, ASSIGNMENT_WRITABLE)?;
    let principal_id = guid_field(&body, "principalId", RESOURCE)?;
    let resource_id = guid_field(&body, "resourceId", RESOURCE)?;
    let app_role_id = guid_field(&body, "appRoleId", RESOURCE)?
        .ok_or_else(|| invalid_property("appRoleId", RESOURCE))?;
    // The service principal of the URL fills in (or must match) its own side.
    let (principal_id, resource_id) = match side {
        Side::Resource => {
            if resource_id
                .as_deref()
                .is_some_and(|id| !id.eq_ignore_ascii_case(&path_id))
            {
                return Err(bad_request(
                    "The resourceId of an appRoleAssignedTo entry must be the service principal it is posted to.",
                ));
            }
            let principal_id =
                principal_id.ok_or_else(|| invalid_property("principalId", RESOURCE))?;
            (principal_id, path_id.clone())
        }
        Side::Principal => {
            if principal_id
                .as_deref()
                .is_some_and(|id| !id.eq_ignore_ascii_case(&path_id))
            {
                return Err(bad_request(
                    "The principalId of an appRoleAssignments entry must be the service principal it is posted to.",
                ));
            }
            let resource_id =
                resource_id.ok_or_else(|| invalid_property("resourceId", RESOURCE))?;
            (path_id.clone(), resource_id)
        }
    };
    let resource = find_service_principal(tenant, &Key::Id(resource_id.clone()), ctx)?;
    let principal = find_principal(tenant, &principal_id, ctx)?;
    check_app_role(resource, &app_role_id, principal.member_type)?;
    let resource_id = resource.id().to_owned();
    let resource_name = resource.object["displayName"].clone();
    let duplicate = tenant.app_role_assignments.values().any(|existing| {
        same_id(existing, "principalId", &principal.id)
            && same_id(existing, "resourceId", &resource_id)
            && same_id(existing, "appRoleId", &app_role_id)
    });
    if duplicate {
        return Err(bad_request(
            "Permission being assigned already exists on the object",
        ));
    }
    let id = loop {
        let mut suffix = [0u8; 16];
        rand::fill(&mut suffix);
        let id = encode_guids(&[&principal.id], &suffix);
        if !tenant.app_role_assignments.contains_key(&id) {
            break id;
        }
    };
    let object = json!({
        "id": id,
        "deletedDateTime": null,
        "appRoleId": app_role_id,
        "createdDateTime": graph_time(now()),
        "principalDisplayName": principal.display_name,
        "principalId": principal.id,
        "principalType": principal.kind,
        "resourceDisplayName": resource_name,
        "resourceId": resource_id,
    });
    tenant
        .app_role_assignments
        .insert(id, Record::new(object.clone(), ctx.visible_at()));
    // The documented responses: `servicePrincipals('{resource}')/appRoleAssignedTo/$entity`,
    // and `appRoleAssignments/$entity` for the client-side route.
    let context = match side {
        Side::Resource => assignment_context(ctx, &path_id, side, None),
        Side::Principal => odata::context(&ctx.request.base, "appRoleAssignments", None, true),
    };
    Ok(ApiResponse::json(StatusCode::CREATED, with_context(context, &object)).changed())
}

/// The visible app role assignments service principal `sp_id` holds, ordered by id, as an
/// expanded `appRoleAssignments` shows them.
pub(super) fn assignments_held(tenant: &Tenant, sp_id: &str, ctx: &Ctx<'_>) -> Vec<Value> {
    let field = side_field(Side::Principal);
    let mut held: Vec<Value> = tenant
        .app_role_assignments
        .values()
        .filter(|record| record.visible(ctx.now_ms) && same_id(record, field, sp_id))
        .map(|record| record.object.clone())
        .collect();
    held.sort_by(|left, right| left["id"].as_str().cmp(&right["id"].as_str()));
    held
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo` (holders of its roles) or
/// `…/appRoleAssignments` (roles it holds), with `$filter`, `$select`, `$top` and paging.
pub(super) fn list_assignments(tenant: &Tenant, key: &Key, side: Side, ctx: &Ctx<'_>) -> Reply {
    let sp_id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    let context_name = format!("servicePrincipals('{sp_id}')/{}", side.segment());
    let path = ctx.request.path.trim_start_matches("/v1.0/").to_owned();
    let collection = Collection {
        context_name: &context_name,
        type_name: ASSIGNMENT_TYPE,
        filterable: ASSIGNMENT_FILTERABLE,
        path: &path,
    };
    let query = odata::list_query(ctx.request, &collection)?;
    let field = side_field(side);
    let objects = tenant
        .app_role_assignments
        .values()
        .filter(|record| record.visible(ctx.now_ms) && same_id(record, field, &sp_id))
        .map(|record| &record.object)
        .collect();
    odata::list_response(ctx.request, &collection, &query, objects, Clone::clone)
}

/// The visible assignment `id` (exact case) on the `side` of service principal `sp_id`.
fn find_assignment<'a>(
    tenant: &'a Tenant,
    sp_id: &str,
    side: Side,
    id: &str,
    ctx: &Ctx<'_>,
) -> Result<&'a Record, ApiResponse> {
    tenant
        .app_role_assignments
        .get(id)
        .filter(|record| record.visible(ctx.now_ms) && same_id(record, side_field(side), sp_id))
        .ok_or_else(|| not_found(id))
}

pub(super) fn get_assignment(
    tenant: &Tenant,
    key: &Key,
    side: Side,
    id: &str,
    ctx: &Ctx<'_>,
) -> Reply {
    let sp_id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    let record = find_assignment(tenant, &sp_id, side, id, ctx)?;
    let select = super::applications::single_select(ctx);
    if let Some(select) = &select {
        odata::check_select(select, &record.object, ASSIGNMENT_TYPE)?;
    }
    let object = odata::apply_select(record.object.clone(), select.as_deref());
    let context = assignment_context(ctx, &sp_id, side, select.as_deref());
    Ok(ApiResponse::ok(with_context(context, &object)))
}

pub(super) fn delete_assignment(
    tenant: &mut Tenant,
    key: &Key,
    side: Side,
    id: &str,
    ctx: &Ctx<'_>,
) -> Reply {
    let sp_id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    find_assignment(tenant, &sp_id, side, id, ctx)?;
    tenant.app_role_assignments.remove(id);
    Ok(ApiResponse::no_content().changed())
}

// ---------------------------------------------------------------------------------------------
// Delegated permission grants

const GRANT_RESOURCE: &str = "OAuth2PermissionGrant";

/// The `scope` of a grant: absent or null is empty; at most 3,850 characters. Values are not
/// checked against the resource's scopes (Graph's behaviour for unknown values is unconfirmed;
/// the emulator keeps them as sent).
fn scope_field(body: &Map<String, Value>) -> Result<String, ApiResponse> {
    match body.get("scope") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(scope)) if scope.chars().count() <= MAX_SCOPE_CHARS => Ok(scope.clone()),
        Some(Value::String(_)) => Err(bad_request(&format!(
            "The value of property 'scope' of resource '{GRANT_RESOURCE}' is longer than the maximum of {MAX_SCOPE_CHARS} characters."
        ))),
        Some(_) => Err(invalid_property("scope", GRANT_RESOURCE)),
    }
}

fn grant_context(ctx: &Ctx<'_>, select: Option<&[String]>) -> String {
    odata::context(&ctx.request.base, "oauth2PermissionGrants", select, true)
}

/// `POST /oauth2PermissionGrants`.
pub(super) fn create_grant(tenant: &mut Tenant, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    check_keys(&body, GRANT_WRITABLE)?;
    let client_id = guid_field(&body, "clientId", GRANT_RESOURCE)?
        .ok_or_else(|| invalid_property("clientId", GRANT_RESOURCE))?;
    let resource_id = guid_field(&body, "resourceId", GRANT_RESOURCE)?
        .ok_or_else(|| invalid_property("resourceId", GRANT_RESOURCE))?;
    let principal_id = guid_field(&body, "principalId", GRANT_RESOURCE)?;
    let consent_type = match body.get("consentType").and_then(Value::as_str) {
        Some(text) if text.eq_ignore_ascii_case("AllPrincipals") => "AllPrincipals",
        Some(text) if text.eq_ignore_ascii_case("Principal") => "Principal",
        _ => return Err(invalid_property("consentType", GRANT_RESOURCE)),
    };
    match (consent_type, &principal_id) {
        ("AllPrincipals", Some(_)) => {
            return Err(bad_request(
                "The principalId of a grant with consentType 'AllPrincipals' must be null.",
            ));
        }
        ("Principal", None) => {
            return Err(bad_request(
                "A grant with consentType 'Principal' requires a principalId.",
            ));
        }
        _ => {}
    }
    let scope = scope_field(&body)?;
    let client_id = find_service_principal(tenant, &Key::Id(client_id), ctx)?
        .id()
        .to_owned();
    let resource_id = find_service_principal(tenant, &Key::Id(resource_id), ctx)?
        .id()
        .to_owned();
    let principal_id = match principal_id {
        None => None,
        Some(id) => {
            let principal = find_principal(tenant, &id, ctx)?;
            if principal.kind != "User" {
                return Err(bad_request(
                    "The principalId of a grant with consentType 'Principal' must be a user.",
                ));
            }
            Some(principal.id)
        }
    };
    let mut key: Vec<&str> = vec![&client_id, &resource_id];
    if let Some(principal) = &principal_id {
        key.push(principal);
    }
    let id = encode_guids(&key, &[]);
    if tenant.oauth2_permission_grants.contains_key(&id) {
        return Err(graph_error(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            "Permission entry already exists.",
        ));
    }
    let object = json!({
        "clientId": client_id,
        "consentType": consent_type,
        "id": id,
        "principalId": principal_id,
        "resourceId": resource_id,
        "scope": scope,
    });
    tenant
        .oauth2_permission_grants
        .insert(id, Record::new(object.clone(), ctx.visible_at()));
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        with_context(grant_context(ctx, None), &object),
    )
    .changed())
}

/// `GET /oauth2PermissionGrants` with `$filter` (`clientId`, `resourceId`, `consentType`,
/// `principalId`, `id`; `and`), `$select`, `$top` and paging.
pub(super) fn list_grants(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let query = odata::list_query(ctx.request, &GRANTS)?;
    let objects = tenant
        .oauth2_permission_grants
        .values()
        .filter(|record| record.visible(ctx.now_ms))
        .map(|record| &record.object)
        .collect();
    odata::list_response(ctx.request, &GRANTS, &query, objects, |grant| {
        with_odata_id(ctx, &tenant.tenant_id, grant)
    })
}

/// A listed grant carries `@odata.id` first, as in `oauth2permissiongrant-list.json`
/// (`…/v2/{tenantId}/oauth2PermissionGrants/{id}`).
fn with_odata_id(ctx: &Ctx<'_>, tenant_id: &str, grant: &Value) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.id".to_owned(),
        Value::from(format!(
            "{}/v2/{tenant_id}/oauth2PermissionGrants/{}",
            ctx.request.base,
            grant["id"].as_str().unwrap_or_default()
        )),
    );
    if let Value::Object(fields) = grant {
        out.extend(fields.clone());
    }
    Value::Object(out)
}

/// `GET /servicePrincipals/{id}/oauth2PermissionGrants`: the grants whose client it is.
pub(super) fn list_grants_of(tenant: &Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let sp_id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    let context_name = format!("servicePrincipals('{sp_id}')/oauth2PermissionGrants");
    let path = ctx.request.path.trim_start_matches("/v1.0/").to_owned();
    let collection = Collection {
        context_name: &context_name,
        path: &path,
        ..GRANTS
    };
    let query = odata::list_query(ctx.request, &collection)?;
    let objects = tenant
        .oauth2_permission_grants
        .values()
        .filter(|record| record.visible(ctx.now_ms) && same_id(record, "clientId", &sp_id))
        .map(|record| &record.object)
        .collect();
    odata::list_response(ctx.request, &collection, &query, objects, |grant| {
        with_odata_id(ctx, &tenant.tenant_id, grant)
    })
}

fn find_grant<'a>(tenant: &'a Tenant, id: &str, ctx: &Ctx<'_>) -> Result<&'a Record, ApiResponse> {
    tenant
        .oauth2_permission_grants
        .get(id)
        .filter(|record| record.visible(ctx.now_ms))
        .ok_or_else(|| not_found(id))
}

pub(super) fn get_grant(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let record = find_grant(tenant, id, ctx)?;
    let select = super::applications::single_select(ctx);
    if let Some(select) = &select {
        odata::check_select(select, &record.object, GRANTS.type_name)?;
    }
    let object = odata::apply_select(record.object.clone(), select.as_deref());
    Ok(ApiResponse::ok(with_context(
        grant_context(ctx, select.as_deref()),
        &object,
    )))
}

/// `PATCH /oauth2PermissionGrants/{id}` with `{scope}`: the new string replaces the old one.
pub(super) fn update_grant(tenant: &mut Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    find_grant(tenant, id, ctx)?;
    let body = ctx.request.json_object()?;
    for key in body.keys() {
        if (key != "scope" && GRANT_WRITABLE.contains(&key.as_str())) || key == "id" {
            return Err(bad_request(&format!(
                "Property '{key}' is read-only and cannot be set."
            )));
        }
    }
    check_keys(&body, &["scope"])?;
    let scope = body
        .contains_key("scope")
        .then(|| scope_field(&body))
        .transpose()?;
    let Some(record) = tenant.oauth2_permission_grants.get_mut(id) else {
        return Err(not_found(id));
    };
    if let Some(scope) = scope {
        record.object["scope"] = Value::from(scope);
    }
    record.visible_at_ms = ctx.visible_at();
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn delete_grant(tenant: &mut Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    find_grant(tenant, id, ctx)?;
    tenant.oauth2_permission_grants.remove(id);
    Ok(ApiResponse::no_content().changed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_built_like_graphs() {
        // oauth2permissiongrant-post.json: client ef969797…, resource 943603e4….
        assert_eq!(
            encode_guids(
                &[
                    "ef969797-201d-4f6b-960c-e9ed5f31dab5",
                    "943603e4-e787-4fe9-93d1-e30f749aae39"
                ],
                &[]
            ),
            "l5eW7x0ga0-WDOntXzHateQDNpSH5-lPk9HjD3Sarjk"
        );
        // oauth2permissiongrant-post-principal.json: + principal 3fbd929d….
        assert_eq!(
            encode_guids(
                &[
                    "b0d9b9e3-0ecf-4bfd-8dab-9273dd055a94",
                    "7ea9e944-71ce-443d-811c-71e8047b557a",
                    "3fbd929d-8c56-4462-851e-0eb9a7b3a2a5"
                ],
                &[]
            ),
            "47nZsM8O_UuNq5Jz3QValETpqX7OcT1EgRxx6AR7VXqdkr0_VoxiRIUeDrmns6Kl"
        );
        // serviceprincipal-post-approleassignedto-msgraph.json: the principal's id comes first.
        let assignment = encode_guids(&["b0d9b9e3-0ecf-4bfd-8dab-9273dd055a94"], &[0u8; 16]);
        assert_eq!(assignment.len(), 43);
        assert!(assignment.starts_with("47nZsM8O_UuNq5Jz3QValA"));
    }
}
