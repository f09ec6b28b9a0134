//! Users, `directoryObjects`, owners of applications and service principals, `$count`, and the
//! recycle bin (`/directory/deletedItems`).

use axum::http::StatusCode;
use serde_json::Value;

use super::{
    Ctx, Key, Parent, Route, applications, find_application, find_service_principal, with_context,
};
use crate::api::{ApiResponse, Reply, bad_request, graph_error, graph_error_detail, not_found};
use crate::objects::with_odata_type;
use crate::odata::{self, Collection, eventual};
use crate::state::Tenant;

const USERS: Collection<'static> = Collection {
    context_name: "users",
    type_name: "microsoft.graph.user",
    filterable: &[
        "id",
        "userPrincipalName",
        "mail",
        "displayName",
        "givenName",
        "surname",
    ],
    path: "users",
};

const DELETED: Collection<'static> = Collection {
    context_name: "directory/deletedItems/microsoft.graph.application",
    type_name: "microsoft.graph.application",
    filterable: applications::COLLECTION.filterable,
    path: "directory/deletedItems/microsoft.graph.application",
};

pub(super) fn list_users(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let query = odata::list_query(ctx.request, &USERS)?;
    let objects = tenant.users.values().collect();
    odata::list_response(ctx.request, &USERS, &query, objects, Clone::clone)
}

fn find_user<'a>(tenant: &'a Tenant, id_or_upn: &str) -> Option<&'a Value> {
    tenant.users.values().find(|user| {
        user["id"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(id_or_upn))
            || user["userPrincipalName"]
                .as_str()
                .is_some_and(|upn| upn.eq_ignore_ascii_case(id_or_upn))
    })
}

pub(super) fn get_user(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let user = find_user(tenant, id).ok_or_else(|| not_found(id))?;
    let select = applications::single_select(ctx);
    if let Some(select) = &select {
        odata::check_select(select, user, USERS.type_name)?;
    }
    let object = odata::apply_select(user.clone(), select.as_deref());
    Ok(ApiResponse::ok(with_context(
        odata::context(&ctx.request.base, "users", select.as_deref(), true),
        &object,
    )))
}

/// Any visible directory object by id: user, service principal or application.
fn directory_object(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Option<Value> {
    if let Some(user) = tenant.users.values().find(|user| {
        user["id"]
            .as_str()
            .is_some_and(|value| value.eq_ignore_ascii_case(id))
    }) {
        return Some(user.clone());
    }
    let key = Key::Id(id.to_owned());
    if let Ok(sp) = find_service_principal(tenant, &key, ctx) {
        return Some(sp.object.clone());
    }
    find_application(tenant, &key, ctx)
        .ok()
        .map(|app| applications::present(&app.object, false))
}

pub(super) fn get_directory_object(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let object = directory_object(tenant, id, ctx).ok_or_else(|| not_found(id))?;
    let context = odata::context(&ctx.request.base, "directoryObjects", None, true);
    Ok(ApiResponse::ok(with_context(
        context,
        &with_odata_type(&object),
    )))
}

/// `POST /directoryObjects/getByIds` `{"ids": [...], "types": [...]?}`: the visible objects
/// among `ids` (unknown ids are left out, as Graph does), each with its `@odata.type`, limited to
/// `types` (`user`, `servicePrincipal`, `application`, …; any case) when given. At most 1,000 ids.
pub(super) fn get_by_ids(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    let Some(ids) = body.get("ids").and_then(Value::as_array) else {
        return Err(bad_request(
            "Invalid request: the 'ids' property is required.",
        ));
    };
    if ids.len() > 1000 {
        return Err(bad_request(
            "Invalid request: at most 1000 ids can be requested at once.",
        ));
    }
    let types: Option<Vec<String>> = body.get("types").and_then(Value::as_array).map(|types| {
        types
            .iter()
            .filter_map(Value::as_str)
            .map(|name| {
                name.trim_start_matches("#")
                    .trim_start_matches("microsoft.graph.")
                    .to_ascii_lowercase()
            })
            .collect()
    });
    let value: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| directory_object(tenant, id, ctx))
        .map(|object| with_odata_type(&object))
        .filter(|object| {
            types.as_ref().is_none_or(|types| {
                object["@odata.type"].as_str().is_some_and(|odata_type| {
                    let name = odata_type
                        .trim_start_matches('#')
                        .trim_start_matches("microsoft.graph.")
                        .to_ascii_lowercase();
                    types.contains(&name)
                })
            })
        })
        .collect();
    Ok(ApiResponse::ok(serde_json::json!({
        "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", ctx.request.base),
        "value": value,
    })))
}

pub(super) fn count(tenant: &Tenant, route: &Route, ctx: &Ctx<'_>) -> Reply {
    if !eventual(ctx.request) {
        return Err(bad_request("$count is not currently supported."));
    }
    let filter = match ctx.request.query("$filter") {
        None => None,
        Some(text) => Some(
            odata::parse_filter(text)
                .map_err(|_| bad_request(&format!("Invalid filter clause: {text}")))?,
        ),
    };
    let objects: Vec<&Value> = if *route == Route::ApplicationsCount {
        tenant
            .applications
            .values()
            .filter(|record| record.visible(ctx.now_ms))
            .map(|record| &record.object)
            .collect()
    } else {
        tenant
            .all_service_principals()
            .filter(|record| record.visible(ctx.now_ms))
            .map(|record| &record.object)
            .collect()
    };
    let total = objects
        .into_iter()
        .filter(|object| filter.as_ref().is_none_or(|filter| filter.matches(object)))
        .count();
    let mut response = ApiResponse::empty(StatusCode::OK);
    response.text = Some(total.to_string());
    Ok(response)
}

/// The object id of a parent whose owners are addressed, or 404.
fn parent_id(tenant: &Tenant, parent: &Parent, ctx: &Ctx<'_>) -> Result<String, ApiResponse> {
    match parent {
        Parent::Application(key) => {
            find_application(tenant, key, ctx).map(|record| record.id().to_owned())
        }
        Parent::ServicePrincipal(key) => {
            find_service_principal(tenant, key, ctx).map(|record| record.id().to_owned())
        }
    }
}

fn owners_of<'a>(tenant: &'a mut Tenant, parent: &Parent, id: &str) -> Option<&'a mut Vec<String>> {
    match parent {
        Parent::Application(_) => tenant
            .applications
            .get_mut(id)
            .map(|record| &mut record.owners),
        Parent::ServicePrincipal(_) => tenant
            .service_principal_mut(id)
            .map(|record| &mut record.owners),
    }
}

/// `GET /servicePrincipals/{id}/ownedObjects`: the applications and service principals whose
/// owners include this service principal, each with its `@odata.type`, as Graph answers.
pub(super) fn list_owned_objects(tenant: &Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let owner = find_service_principal(tenant, key, ctx)?.id().to_owned();
    let owns = |owners: &[String]| owners.iter().any(|id| id.eq_ignore_ascii_case(&owner));
    let mut objects: Vec<Value> = tenant
        .applications
        .values()
        .filter(|record| record.visible(ctx.now_ms) && owns(&record.owners))
        .map(|record| with_odata_type(&record.object))
        .collect();
    objects.extend(
        tenant
            .all_service_principals()
            .filter(|record| record.visible(ctx.now_ms) && owns(&record.owners))
            .map(|record| with_odata_type(&record.object)),
    );
    let path = ctx.request.path.trim_start_matches("/v1.0/").to_owned();
    let collection = Collection {
        context_name: "directoryObjects",
        type_name: "microsoft.graph.directoryObject",
        filterable: &["id"],
        path: &path,
    };
    let query = odata::list_query(ctx.request, &collection)?;
    odata::list_response(
        ctx.request,
        &collection,
        &query,
        objects.iter().collect(),
        Clone::clone,
    )
}

/// The directory objects of `owners` (those still visible), each with its `@odata.type`, as
/// an owners list or an expanded `owners` shows them.
pub(super) fn owner_objects(tenant: &Tenant, owners: &[String], ctx: &Ctx<'_>) -> Vec<Value> {
    owners
        .iter()
        .filter_map(|owner| directory_object(tenant, owner, ctx))
        .map(|object| with_odata_type(&object))
        .collect()
}

pub(super) fn list_owners(tenant: &Tenant, parent: &Parent, ctx: &Ctx<'_>) -> Reply {
    let id = parent_id(tenant, parent, ctx)?;
    let owners = match parent {
        Parent::Application(_) => tenant
            .applications
            .get(&id)
            .map(|record| record.owners.clone()),
        Parent::ServicePrincipal(_) => tenant
            .service_principal(&id)
            .map(|record| record.owners.clone()),
    }
    .unwrap_or_default();
    let objects = owner_objects(tenant, &owners, ctx);
    let collection = Collection {
        context_name: "directoryObjects",
        type_name: "microsoft.graph.directoryObject",
        filterable: &["id"],
        path: "",
    };
    let path = ctx.request.path.trim_start_matches("/v1.0/").to_owned();
    let collection = Collection {
        path: &path,
        ..collection
    };
    let query = odata::list_query(ctx.request, &collection)?;
    odata::list_response(
        ctx.request,
        &collection,
        &query,
        objects.iter().collect(),
        Clone::clone,
    )
}

pub(super) fn add_owner(tenant: &mut Tenant, parent: &Parent, ctx: &Ctx<'_>) -> Reply {
    let id = parent_id(tenant, parent, ctx)?;
    let body = ctx.request.json_object()?;
    let Some(reference) = body.get("@odata.id").and_then(Value::as_str) else {
        return Err(bad_request(
            "Invalid reference: the request body must contain '@odata.id'.",
        ));
    };
    let owner_id = owner_reference(tenant, reference, ctx)?;
    let Some(owners) = owners_of(tenant, parent, &id) else {
        return Err(not_found(&id));
    };
    add_owners(owners, vec![owner_id])?;
    Ok(ApiResponse::no_content().changed())
}

/// The object id a reference to an owner names (`https://…/directoryObjects/{id}`, or the
/// `users('…')` forms), or Graph's error: 404 for an unknown object, 400 for an application.
fn owner_reference(tenant: &Tenant, reference: &str, ctx: &Ctx<'_>) -> Result<String, ApiResponse> {
    let owner = reference
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let owner = owner
        .strip_prefix("directoryObjects(")
        .or_else(|| owner.strip_prefix("users("))
        .or_else(|| owner.strip_prefix("servicePrincipals("))
        .map_or(owner, |inner| {
            inner.trim_end_matches(')').trim_matches('\'')
        });
    let Some(object) = directory_object(tenant, owner, ctx) else {
        return Err(not_found(owner));
    };
    if object.get("appRoles").is_some() && object.get("servicePrincipalType").is_none() {
        return Err(bad_request("An application cannot be an owner."));
    }
    Ok(object["id"].as_str().unwrap_or(owner).to_owned())
}

/// Most owners one create may bind with `owners@odata.bind`.
const MAX_BOUND_OWNERS: usize = 20;

/// Takes `owners@odata.bind` out of a create or update body of an application or service
/// principal and resolves each reference, as Graph binds owners in the same request (an array
/// of `directoryObjects` URLs, at most 20). Nothing is bound yet: the caller adds them with
/// [`add_owners`] once the body is accepted.
pub(super) fn take_bound_owners(
    tenant: &Tenant,
    body: &mut serde_json::Map<String, Value>,
    ctx: &Ctx<'_>,
) -> Result<Vec<String>, ApiResponse> {
    let Some(bound) = body.remove("owners@odata.bind") else {
        return Ok(Vec::new());
    };
    let references = bound
        .as_array()
        .filter(|items| items.iter().all(Value::is_string));
    let Some(references) = references else {
        return Err(bad_request(
            "Invalid value for 'owners@odata.bind': an array of directory object URLs is expected.",
        ));
    };
    if references.len() > MAX_BOUND_OWNERS {
        return Err(bad_request(&format!(
            "At most {MAX_BOUND_OWNERS} owners can be bound in one request."
        )));
    }
    references
        .iter()
        .filter_map(Value::as_str)
        .map(|reference| owner_reference(tenant, reference, ctx))
        .collect()
}

/// Adds owners to an owner list; one already there (or named twice) is Graph's 400.
pub(super) fn add_owners(owners: &mut Vec<String>, added: Vec<String>) -> Result<(), ApiResponse> {
    for owner_id in added {
        if owners
            .iter()
            .any(|existing| existing.eq_ignore_ascii_case(&owner_id))
        {
            return Err(bad_request(
                "One or more added object references already exist for the following modified properties: 'owners'.",
            ));
        }
        owners.push(owner_id);
    }
    Ok(())
}

pub(super) fn remove_owner(
    tenant: &mut Tenant,
    parent: &Parent,
    owner: &str,
    ctx: &Ctx<'_>,
) -> Reply {
    let id = parent_id(tenant, parent, ctx)?;
    let Some(owners) = owners_of(tenant, parent, &id) else {
        return Err(not_found(&id));
    };
    let before = owners.len();
    owners.retain(|existing| !existing.eq_ignore_ascii_case(owner));
    if owners.len() == before {
        return Err(not_found(owner));
    }
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn list_deleted(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let query = odata::list_query(ctx.request, &DELETED)?;
    let objects = tenant
        .deleted_applications
        .values()
        .map(|record| &record.object)
        .collect();
    odata::list_response(ctx.request, &DELETED, &query, objects, |object| {
        with_odata_type(&applications::present(object, false))
    })
}

pub(super) fn get_deleted(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let record = tenant
        .deleted_applications
        .get(id)
        .ok_or_else(|| not_found(id))?;
    let context = odata::context(&ctx.request.base, "directoryObjects", None, true);
    Ok(ApiResponse::ok(with_context(
        context,
        &with_odata_type(&applications::present(&record.object, false)),
    )))
}

pub(super) fn purge_deleted(tenant: &mut Tenant, id: &str) -> Reply {
    if tenant.deleted_applications.remove(id).is_none() {
        return Err(not_found(id));
    }
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn restore_deleted(tenant: &mut Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let record = tenant
        .deleted_applications
        .get(id)
        .ok_or_else(|| not_found(id))?;
    let uris: Vec<String> = record.object["identifierUris"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|uri| uri.as_str().map(str::to_lowercase))
        .collect();
    let conflict = tenant.applications.values().any(|live| {
        live.object["identifierUris"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|uri| uris.contains(&uri.to_lowercase()))
    });
    if conflict {
        return Err(graph_error_detail(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Another object with the same value for property identifierUris already exists.",
            "ObjectConflict",
            "identifierUris",
        ));
    }
    let Some(mut record) = tenant.deleted_applications.remove(id) else {
        return Err(graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            "not found",
        ));
    };
    record.object["deletedDateTime"] = Value::Null;
    record.visible_at_ms = ctx.visible_at();
    let object = record.object.clone();
    tenant.applications.insert(id.to_owned(), record);
    let context = odata::context(&ctx.request.base, "directoryObjects", None, true);
    Ok(ApiResponse::ok(with_context(
        context,
        &with_odata_type(&applications::present(&object, false)),
    ))
    .changed())
}
