//! `/v1.0/servicePrincipals`: list, get, create from an application (or a first-party API of
//! the catalog), update and delete. A service principal copies its application's roles, scopes
//! and names; the copy is refreshed whenever the application changes. It holds credentials of
//! its own: `keyCredentials` written by PATCH (as on applications, `key` is returned only by a
//! single GET that selects `keyCredentials`), `passwordCredentials` only through
//! `addPassword`/`removePassword` (in `credentials`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Ctx, Key, check_keys, find_service_principal, with_context};
use crate::api::{ApiResponse, Reply, bad_request, graph_error_detail, not_found};
use crate::objects::{self, ServicePrincipalSeed};
use crate::odata::{self, Collection};
use crate::state::{Record, Tenant, builtin_sp_id};
use crate::util::{graph_time, new_guid, now};

/// The service principal collection's query rules.
pub(super) const COLLECTION: Collection<'static> = Collection {
    context_name: "servicePrincipals",
    type_name: "microsoft.graph.servicePrincipal",
    filterable: &[
        "id",
        "appId",
        "displayName",
        "tags",
        "servicePrincipalNames",
        "servicePrincipalType",
        "appOwnerOrganizationId",
        "accountEnabled",
        "appDisplayName",
    ],
    path: "servicePrincipals",
};

const WRITABLE: &[&str] = &[
    "appId",
    "accountEnabled",
    "appRoleAssignmentRequired",
    "tags",
    "notes",
    "description",
    "displayName",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "appDescription",
    "samlSingleSignOnSettings",
    "keyCredentials",
];

pub(super) fn list(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let query =
        odata::list_query_expanding(ctx.request, &COLLECTION, &["owners", "appRoleAssignments"])?;
    let objects = tenant
        .all_service_principals()
        .filter(|record| record.visible(ctx.now_ms))
        .map(|record| &record.object)
        .collect();
    odata::list_response_expanding(
        ctx.request,
        &COLLECTION,
        &query,
        objects,
        |object| super::applications::present(object, false),
        |object, relationship| {
            let id = object["id"].as_str().unwrap_or_default();
            if relationship == "appRoleAssignments" {
                return super::consent::assignments_held(tenant, id, ctx);
            }
            let owners = tenant
                .service_principal(id)
                .map(|record| record.owners.as_slice())
                .unwrap_or_default();
            super::directory::owner_objects(tenant, owners, ctx)
        },
    )
}

pub(super) fn get(tenant: &Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let record = find_service_principal(tenant, key, ctx)?;
    let select = super::applications::single_select(ctx);
    let include_keys = select
        .as_ref()
        .is_some_and(|fields| fields.iter().any(|field| field == "keyCredentials"));
    let object = super::applications::present(&record.object, include_keys);
    if let Some(select) = &select {
        odata::check_select(select, &object, COLLECTION.type_name)?;
    }
    let object = odata::apply_select(object, select.as_deref());
    let context = odata::context(
        &ctx.request.base,
        "servicePrincipals",
        select.as_deref(),
        true,
    );
    Ok(ApiResponse::ok(with_context(context, &object)))
}

/// The fields a service principal copies from its application.
fn copy_from_application(sp: &mut Value, app: &Value) {
    let app_id = app["appId"].as_str().unwrap_or_default();
    let mut names = vec![Value::from(app_id)];
    names.extend(
        app["identifierUris"]
            .as_array()
            .into_iter()
            .flatten()
            .cloned(),
    );
    let mut reply_urls = Vec::new();
    for list in [
        &app["web"]["redirectUris"],
        &app["spa"]["redirectUris"],
        &app["publicClient"]["redirectUris"],
    ] {
        reply_urls.extend(list.as_array().into_iter().flatten().cloned());
    }
    sp["appDisplayName"] = app["displayName"].clone();
    sp["displayName"] = app["displayName"].clone();
    sp["appDescription"] = app["description"].clone();
    sp["appRoles"] = app["appRoles"].clone();
    sp["oauth2PermissionScopes"] = app["api"]["oauth2PermissionScopes"].clone();
    sp["servicePrincipalNames"] = Value::Array(names);
    sp["replyUrls"] = Value::Array(reply_urls);
    sp["signInAudience"] = app["signInAudience"].clone();
    sp["homepage"] = app["web"]["homePageUrl"].clone();
    sp["logoutUrl"] = app["web"]["logoutUrl"].clone();
    sp["info"] = app["info"].clone();
}

/// Refreshes the copies in the service principal of `app_id` after its application changed.
pub(super) fn sync_from_application(tenant: &mut Tenant, app_id: &str, app: &Value) {
    let ids: Vec<String> = tenant
        .service_principals
        .values()
        .filter(|sp| {
            sp.str_field("appId")
                .is_some_and(|value| value.eq_ignore_ascii_case(app_id))
        })
        .map(|sp| sp.id().to_owned())
        .collect();
    for id in ids {
        if let Some(record) = tenant.service_principals.get_mut(&id) {
            copy_from_application(&mut record.object, app);
        }
    }
}

pub(super) fn create(tenant: &mut Tenant, ctx: &Ctx<'_>) -> Reply {
    let mut body = ctx.request.json_object()?;
    let owners = super::directory::take_bound_owners(tenant, &mut body, ctx)?;
    check_keys(&body, WRITABLE)?;
    let Some(app_id) = body.get("appId").and_then(Value::as_str).map(str::to_owned) else {
        return Err(bad_request("Property 'appId' is required."));
    };
    let exists = tenant.all_service_principals().any(|sp| {
        sp.str_field("appId")
            .is_some_and(|value| value.eq_ignore_ascii_case(&app_id))
    });
    if exists {
        return Err(graph_error_detail(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            &format!(
                "The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."
            ),
            "ObjectConflict",
            "servicePrincipalNames",
        ));
    }
    let created = graph_time(now());
    let (id, mut object) = if let Some(app) = tenant.applications.values().find(|record| {
        record
            .str_field("appId")
            .is_some_and(|value| value.eq_ignore_ascii_case(&app_id))
            && record.visible(ctx.now_ms)
    }) {
        let id = new_guid();
        let mut object = objects::service_principal(ServicePrincipalSeed {
            id: &id,
            app_id: app.str_field("appId").unwrap_or_default(),
            display_name: app.str_field("displayName").unwrap_or_default(),
            owner_organization: &tenant.tenant_id,
            service_principal_names: Vec::new(),
            app_roles: Vec::new(),
            scopes: Vec::new(),
            sign_in_audience: Value::Null,
            publisher_name: json!("Contoso"),
            created: &created,
        });
        copy_from_application(&mut object, &app.object);
        (id, object)
    } else if let Some(api) = registrar_catalog::catalog()
        .apis
        .iter()
        .find(|api| api.app_id.eq_ignore_ascii_case(&app_id))
    {
        // A deleted first-party service principal can be created again from the catalog.
        let id = builtin_sp_id(&api.app_id);
        tenant.removed_builtin_service_principals.remove(&id);
        let object = crate::state::first_party_sp(&id, api);
        (id, object)
    } else {
        return Err(graph_error_detail(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!(
                "The appId '{app_id}' of the service principal does not reference a valid application object."
            ),
            "NoBackingApplicationObject",
            "appId",
        ));
    };
    for (key, value) in body {
        if key == "keyCredentials" {
            object[key.as_str()] =
                super::credentials::normalize_key_credentials(&value, &object["keyCredentials"])?;
        } else if key != "appId" && !key.starts_with("@odata") {
            object[key.as_str()] = value;
        }
    }
    let mut record = Record::new(object.clone(), ctx.visible_at());
    super::directory::add_owners(&mut record.owners, owners)?;
    tenant.service_principals.insert(id, record);
    let context = odata::context(&ctx.request.base, "servicePrincipals", None, true);
    Ok(ApiResponse::json(StatusCode::CREATED, with_context(context, &object)).changed())
}

pub(super) fn update(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    let id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    for key in body.keys() {
        if key == "passwordCredentials" {
            return Err(bad_request(
                "Property 'passwordCredentials' cannot be set with this request; use the addPassword action.",
            ));
        }
        if key == "appId" || key == "appRoles" || key == "oauth2PermissionScopes" || key == "id" {
            return Err(bad_request(&format!(
                "Property '{key}' is read-only and cannot be set."
            )));
        }
    }
    check_keys(&body, WRITABLE)?;
    if let Some(record) = tenant.all_service_principals().find(|sp| sp.id() == id) {
        super::policies::check_service_principal_write(tenant, record, &body)?;
    }
    let Some(record) = tenant.service_principal_mut(&id) else {
        return Err(not_found(&id));
    };
    for (key, value) in body {
        if key.starts_with("@odata") {
            continue;
        }
        if key == "keyCredentials" {
            let normalized = super::credentials::normalize_key_credentials(
                &value,
                &record.object["keyCredentials"],
            )?;
            record.object["keyCredentials"] = normalized;
            continue;
        }
        if key == "tags" || key == "notificationEmailAddresses" {
            if !value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string))
            {
                return Err(bad_request(&format!(
                    "Invalid value specified for property '{key}' of resource 'ServicePrincipal'."
                )));
            }
        } else if (key == "accountEnabled" || key == "appRoleAssignmentRequired")
            && !value.is_boolean()
        {
            return Err(bad_request(&format!(
                "Invalid value specified for property '{key}' of resource 'ServicePrincipal'."
            )));
        }
        record.object[key.as_str()] = value;
    }
    record.visible_at_ms = ctx.visible_at();
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn delete(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let id = find_service_principal(tenant, key, ctx)?.id().to_owned();
    tenant.remove_service_principal(&id);
    Ok(ApiResponse::no_content().changed())
}
