//! `/v1.0/applications`: list, get, create, update (including the uniqueName upsert) and soft
//! delete. The validation of the properties a body may set is in `application_body`.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::application_body::apply_body;
use super::{Ctx, Key, directory, find_application, service_principals, with_context};
use crate::api::{ApiResponse, Reply, bad_request, graph_error_detail, not_found};
use crate::odata::{self, Collection};
use crate::state::{DEFAULT_DOMAIN, Record, Tenant};
use crate::util::{graph_time, new_guid, now};

/// The application collection's query rules.
pub(super) const COLLECTION: Collection<'static> = Collection {
    context_name: "applications",
    type_name: "microsoft.graph.application",
    filterable: &[
        "id",
        "appId",
        "displayName",
        "uniqueName",
        "tags",
        "identifierUris",
        "signInAudience",
        "publisherDomain",
        "createdDateTime",
    ],
    path: "applications",
};

/// The application as lists show it: certificate `key`s are never returned there.
pub(super) fn present(object: &Value, include_keys: bool) -> Value {
    let mut out = object.clone();
    if !include_keys && let Some(keys) = out.get_mut("keyCredentials").and_then(Value::as_array_mut)
    {
        for key in keys {
            key["key"] = Value::Null;
        }
    }
    out
}

pub(super) fn list(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let query = odata::list_query_expanding(ctx.request, &COLLECTION, &["owners"])?;
    let objects = tenant
        .applications
        .values()
        .filter(|record| record.visible(ctx.now_ms))
        .map(|record| &record.object)
        .collect();
    odata::list_response_expanding(
        ctx.request,
        &COLLECTION,
        &query,
        objects,
        |object| present(object, false),
        |object, _owners| {
            let owners = object["id"]
                .as_str()
                .and_then(|id| tenant.applications.get(id))
                .map(|record| record.owners.as_slice())
                .unwrap_or_default();
            super::directory::owner_objects(tenant, owners, ctx)
        },
    )
}

/// `$select` of a single GET; `key` is returned only when keyCredentials is selected.
pub(super) fn single_select(ctx: &Ctx<'_>) -> Option<Vec<String>> {
    ctx.request.query("$select").map(|text| {
        text.split(',')
            .map(|field| field.trim().to_owned())
            .filter(|field| !field.is_empty())
            .collect()
    })
}

pub(super) fn get(tenant: &Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let record = find_application(tenant, key, ctx)?;
    let select = single_select(ctx);
    let include_keys = select
        .as_ref()
        .is_some_and(|fields| fields.iter().any(|field| field == "keyCredentials"));
    let object = present(&record.object, include_keys);
    if let Some(select) = &select {
        odata::check_select(select, &object, COLLECTION.type_name)?;
    }
    let object = odata::apply_select(object, select.as_deref());
    let context = odata::context(&ctx.request.base, "applications", select.as_deref(), true);
    Ok(ApiResponse::ok(with_context(context, &object)))
}

pub(super) fn create(tenant: &mut Tenant, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    let unique_name = body
        .get("uniqueName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    insert_new(tenant, body, unique_name, ctx)
}

fn insert_new(
    tenant: &mut Tenant,
    mut body: Map<String, Value>,
    unique_name: Option<String>,
    ctx: &Ctx<'_>,
) -> Reply {
    let owners = directory::take_bound_owners(tenant, &mut body, ctx)?;
    if !body.get("displayName").is_some_and(Value::is_string) {
        return Err(bad_request(
            "Property 'displayName' is required and must be a string.",
        ));
    }
    if let Some(name) = &unique_name {
        check_unique_name_free(tenant, name)?;
    }
    let id = new_guid();
    let app_id = new_guid();
    let mut object =
        crate::objects::new_application(&id, &app_id, &graph_time(now()), DEFAULT_DOMAIN);
    let fresh = object.clone();
    apply_body(tenant, &mut object, body, true)?;
    super::policies::check_application_write(tenant, &fresh, &object)?;
    if let Some(name) = unique_name {
        object["uniqueName"] = Value::from(name);
    }
    let mut record = Record::new(object.clone(), ctx.visible_at());
    directory::add_owners(&mut record.owners, owners)?;
    tenant.applications.insert(id, record);
    let context = odata::context(&ctx.request.base, "applications", None, true);
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        with_context(context, &present(&object, false)),
    )
    .changed())
}

fn check_unique_name_free(tenant: &Tenant, name: &str) -> Result<(), ApiResponse> {
    let taken = tenant
        .applications
        .values()
        .chain(tenant.deleted_applications.values())
        .any(|record| {
            record
                .str_field("uniqueName")
                .is_some_and(|value| value.eq_ignore_ascii_case(name))
        });
    if taken {
        return Err(graph_error_detail(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Another object with the same value for property uniqueName already exists.",
            "ObjectConflict",
            "uniqueName",
        ));
    }
    Ok(())
}

pub(super) fn update(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let mut body = ctx.request.json_object()?;
    let existing = match key {
        // The upsert key: an existing object is found even while replication hides it.
        Key::UniqueName(_) => tenant
            .applications
            .values()
            .find(|record| key.matches(record)),
        _ => tenant
            .applications
            .values()
            .find(|record| key.matches(record) && record.visible(ctx.now_ms)),
    }
    .map(|record| record.id().to_owned());
    let Some(id) = existing else {
        if let Key::UniqueName(name) = key
            && ctx.request.prefers_create_if_missing()
        {
            if let Some(sent) = body.get("uniqueName").and_then(Value::as_str)
                && sent != name
            {
                return Err(bad_request(
                    "The uniqueName in the body does not match the key in the URL.",
                ));
            }
            return insert_new(tenant, body, Some(name.clone()), ctx);
        }
        return Err(not_found(match key {
            Key::Id(value) | Key::AppId(value) | Key::UniqueName(value) => value,
        }));
    };
    let Some(record) = tenant.applications.get(&id) else {
        return Err(not_found(&id));
    };
    let mut object = record.object.clone();
    if let Some(sent) = body.get("uniqueName")
        && sent != &object["uniqueName"]
    {
        if !object["uniqueName"].is_null() {
            return Err(bad_request(
                "Property 'uniqueName' is immutable and cannot be changed.",
            ));
        }
        if let Some(name) = sent.as_str() {
            check_unique_name_free(tenant, name)?;
        }
    }
    // Owners bound by an update are added, as for groups (an owner already there is a 400).
    let owners = directory::take_bound_owners(tenant, &mut body, ctx)?;
    let before = object.clone();
    apply_body(tenant, &mut object, body, false)?;
    super::policies::check_application_write(tenant, &before, &object)?;
    let app_id = object["appId"].as_str().unwrap_or_default().to_owned();
    if let Some(record) = tenant.applications.get_mut(&id) {
        let mut bound = record.owners.clone();
        directory::add_owners(&mut bound, owners)?;
        record.owners = bound;
        record.object = object.clone();
        record.visible_at_ms = ctx.visible_at();
    }
    service_principals::sync_from_application(tenant, &app_id, &object);
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn delete(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let id = find_application(tenant, key, ctx)?.id().to_owned();
    let Some(mut record) = tenant.applications.remove(&id) else {
        return Err(not_found(&id));
    };
    record.object["deletedDateTime"] = Value::from(graph_time(now()));
    let app_id = record.str_field("appId").unwrap_or_default().to_owned();
    tenant.deleted_applications.insert(id, record);
    let sp_ids: Vec<String> = tenant
        .all_service_principals()
        .filter(|sp| {
            sp.str_field("appId")
                .is_some_and(|value| value.eq_ignore_ascii_case(&app_id))
        })
        .map(|sp| sp.id().to_owned())
        .collect();
    for sp_id in sp_ids {
        tenant.remove_service_principal(&sp_id);
    }
    Ok(ApiResponse::no_content().changed())
}
