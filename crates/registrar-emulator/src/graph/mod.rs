//! Microsoft Graph v1.0: the URL grammar (including the `(appId='…')` alternate keys), the route
//! templates used for request counting, and dispatch to the resource handlers.

mod application_body;
mod applications;
pub(crate) mod batch;
mod consent;
mod credentials;
mod directory;
mod organization;
pub(crate) mod policies;
mod service_principals;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::api::{ApiRequest, ApiResponse, Reply, graph_error, method_not_allowed, not_found};
use crate::state::{Record, Tenant};
use crate::util::percent_decode;

/// How an application or service principal is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// `/applications/{id}`.
    Id(String),
    /// `/applications(appId='…')`.
    AppId(String),
    /// `/applications(uniqueName='…')`.
    UniqueName(String),
}

impl Key {
    fn describe(&self) -> &str {
        match self {
            Self::Id(value) | Self::AppId(value) | Self::UniqueName(value) => value,
        }
    }

    /// Whether `record` is the object this key names.
    pub(crate) fn matches(&self, record: &Record) -> bool {
        match self {
            Self::Id(id) => record.id().eq_ignore_ascii_case(id),
            Self::AppId(app_id) => record
                .str_field("appId")
                .is_some_and(|value| value.eq_ignore_ascii_case(app_id)),
            Self::UniqueName(name) => record
                .str_field("uniqueName")
                .is_some_and(|value| value.eq_ignore_ascii_case(name)),
        }
    }
}

/// The owner of an `/owners` collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parent {
    Application(Key),
    ServicePrincipal(Key),
}

/// How a federated identity credential is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FicKey {
    /// `/federatedIdentityCredentials/{id or name}`.
    IdOrName(String),
    /// `/federatedIdentityCredentials(name='…')`.
    Name(String),
}

/// Which side of an app role assignment a service principal's collection is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// `/servicePrincipals/{resource}/appRoleAssignedTo`: the holders of this resource's roles.
    Resource,
    /// `/servicePrincipals/{client}/appRoleAssignments`: the roles this principal holds.
    Principal,
}

impl Side {
    /// The navigation property's name.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Self::Resource => "appRoleAssignedTo",
            Self::Principal => "appRoleAssignments",
        }
    }
}

/// A parsed Graph route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Applications,
    ApplicationsCount,
    Application(Key),
    /// `/applications/{id}/addPassword` or `/servicePrincipals/{id}/addPassword`.
    AddPassword(Parent),
    /// `/applications/{id}/removePassword` or `/servicePrincipals/{id}/removePassword`.
    RemovePassword(Parent),
    Owners(Parent),
    OwnersRef(Parent),
    OwnerRef(Parent, String),
    OwnerWithoutRef(Parent, String),
    Fics(Key),
    Fic(Key, FicKey),
    ServicePrincipals,
    ServicePrincipalsCount,
    ServicePrincipal(Key),
    /// `/servicePrincipals/{id}/appRoleAssignedTo` or `/appRoleAssignments`.
    AppRoleAssignments(Key, Side),
    /// `/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}` (or `/appRoleAssignments/…`).
    AppRoleAssignment(Key, Side, String),
    /// `/servicePrincipals/{id}/oauth2PermissionGrants` (the grants whose client it is).
    ServicePrincipalGrants(Key),
    /// `/servicePrincipals/{id}/ownedObjects`: the applications and service principals it owns.
    OwnedObjects(Key),
    /// `/oauth2PermissionGrants`.
    Grants,
    /// `/oauth2PermissionGrants/{id}`.
    Grant(String),
    Users,
    User(String),
    DirectoryObject(String),
    /// `POST /directoryObjects/getByIds`: several directory objects by id in one request.
    DirectoryObjectsByIds,
    DeletedApplications,
    DeletedItem(String),
    RestoreDeletedItem(String),
    Batch,
    /// `/organization`: the tenant itself (its verified domains).
    Organization,
    /// App management policies (`policies`): `/policies/…` and an application's
    /// `appManagementPolicies`.
    AppManagement(policies::PolicyRoute),
    Unknown(String),
}

/// Splits `name(inner)` into its parts.
fn split_key_segment(segment: &str) -> (&str, Option<&str>) {
    match segment.find('(') {
        Some(open) if segment.ends_with(')') => (
            &segment[..open],
            Some(&segment[open + 1..segment.len() - 1]),
        ),
        _ => (segment, None),
    }
}

/// Parses `appId='x'`, `'x'` or `x` into (property, value).
fn parse_key_inner(inner: &str) -> (Option<&str>, String) {
    let (property, value) = match inner.split_once('=') {
        Some((property, value)) => (Some(property.trim()), value.trim()),
        None => (None, inner.trim()),
    };
    let value = value
        .strip_prefix('\'')
        .and_then(|value| value.strip_suffix('\''))
        .unwrap_or(value)
        .replace("''", "'");
    (property, value)
}

fn entity_key(inner: &str, allow_unique_name: bool) -> Option<(Key, &'static str)> {
    match parse_key_inner(inner) {
        (None, value) => Some((Key::Id(value), "('{id}')")),
        (Some(property), value) if property.eq_ignore_ascii_case("appId") => {
            Some((Key::AppId(value), "(appId='{appId}')"))
        }
        (Some(property), value)
            if allow_unique_name && property.eq_ignore_ascii_case("uniqueName") =>
        {
            Some((Key::UniqueName(value), "(uniqueName='{uniqueName}')"))
        }
        _ => None,
    }
}

/// Parses the path after `/v1.0/` into a route and its template (for request counting).
pub(crate) fn parse(path: &str) -> (Route, String) {
    let raw: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let segments: Vec<String> = raw.iter().map(|segment| percent_decode(segment)).collect();
    let strs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let unknown = |segment: &str| {
        (
            Route::Unknown(segment.to_owned()),
            "/v1.0/{unknown}".to_owned(),
        )
    };
    let Some(first) = strs.first() else {
        return unknown("");
    };
    let (name, inner) = split_key_segment(first);
    match name {
        "$batch" if strs.len() == 1 => (Route::Batch, "/v1.0/$batch".to_owned()),
        "applications" | "servicePrincipals" => {
            let is_app = name == "applications";
            let (key, mut template, rest): (Key, String, &[&str]) = match inner {
                Some(inner) => match entity_key(inner, is_app) {
                    Some((key, suffix)) => (key, format!("/v1.0/{name}{suffix}"), &strs[1..]),
                    None => return unknown(first),
                },
                None => match strs.get(1) {
                    None => {
                        let route = if is_app {
                            Route::Applications
                        } else {
                            Route::ServicePrincipals
                        };
                        return (route, format!("/v1.0/{name}"));
                    }
                    Some(&"$count") if strs.len() == 2 => {
                        let route = if is_app {
                            Route::ApplicationsCount
                        } else {
                            Route::ServicePrincipalsCount
                        };
                        return (route, format!("/v1.0/{name}/$count"));
                    }
                    Some(id) => (
                        Key::Id((*id).to_owned()),
                        format!("/v1.0/{name}/{{id}}"),
                        &strs[2..],
                    ),
                },
            };
            let parent = if is_app {
                Parent::Application(key.clone())
            } else {
                Parent::ServicePrincipal(key.clone())
            };
            let route = match rest {
                [] => {
                    if is_app {
                        Route::Application(key)
                    } else {
                        Route::ServicePrincipal(key)
                    }
                }
                ["addPassword" | "microsoft.graph.addPassword" | "graph.addPassword"] => {
                    template.push_str("/addPassword");
                    Route::AddPassword(parent)
                }
                ["removePassword" | "microsoft.graph.removePassword" | "graph.removePassword"] => {
                    template.push_str("/removePassword");
                    Route::RemovePassword(parent)
                }
                ["owners"] => {
                    template.push_str("/owners");
                    Route::Owners(parent)
                }
                ["owners", "$ref"] => {
                    template.push_str("/owners/$ref");
                    Route::OwnersRef(parent)
                }
                ["owners", owner, "$ref"] => {
                    template.push_str("/owners/{id}/$ref");
                    Route::OwnerRef(parent, (*owner).to_owned())
                }
                ["owners", owner] => {
                    template.push_str("/owners/{id}");
                    Route::OwnerWithoutRef(parent, (*owner).to_owned())
                }
                [fics] if is_app && split_key_segment(fics).0 == "federatedIdentityCredentials" => {
                    match split_key_segment(fics).1 {
                        None => {
                            template.push_str("/federatedIdentityCredentials");
                            Route::Fics(key)
                        }
                        Some(inner) => match parse_key_inner(inner) {
                            (Some(property), value) if property.eq_ignore_ascii_case("name") => {
                                template.push_str("/federatedIdentityCredentials(name='{name}')");
                                Route::Fic(key, FicKey::Name(value))
                            }
                            (None, value) => {
                                template.push_str("/federatedIdentityCredentials('{id}')");
                                Route::Fic(key, FicKey::IdOrName(value))
                            }
                            _ => return unknown(fics),
                        },
                    }
                }
                ["federatedIdentityCredentials", fic] if is_app => {
                    template.push_str("/federatedIdentityCredentials/{id}");
                    Route::Fic(key, FicKey::IdOrName((*fic).to_owned()))
                }
                [
                    collection @ ("appRoleAssignedTo" | "appRoleAssignments"),
                    rest @ ..,
                ] if !is_app && rest.len() <= 1 => {
                    let side = if *collection == "appRoleAssignedTo" {
                        Side::Resource
                    } else {
                        Side::Principal
                    };
                    template.push('/');
                    template.push_str(collection);
                    match rest {
                        [assignment] => {
                            template.push_str("/{id}");
                            Route::AppRoleAssignment(key, side, (*assignment).to_owned())
                        }
                        _ => Route::AppRoleAssignments(key, side),
                    }
                }
                ["oauth2PermissionGrants"] if !is_app => {
                    template.push_str("/oauth2PermissionGrants");
                    Route::ServicePrincipalGrants(key)
                }
                ["appManagementPolicies", rest @ ..] if is_app => {
                    match policies::parse_application(key, rest) {
                        Some((route, suffix)) => {
                            template.push_str(suffix);
                            Route::AppManagement(route)
                        }
                        None => return unknown("appManagementPolicies"),
                    }
                }
                ["ownedObjects"] if !is_app => {
                    template.push_str("/ownedObjects");
                    Route::OwnedObjects(key)
                }
                [other, ..] => return unknown(other),
            };
            (route, template)
        }
        "oauth2PermissionGrants" if inner.is_none() => match strs.as_slice() {
            [_] => (Route::Grants, "/v1.0/oauth2PermissionGrants".to_owned()),
            [_, id] => (
                Route::Grant((*id).to_owned()),
                "/v1.0/oauth2PermissionGrants/{id}".to_owned(),
            ),
            [_, _, other, ..] => unknown(other),
            [] => unknown(""),
        },
        "users" if inner.is_none() => match strs.as_slice() {
            [_] => (Route::Users, "/v1.0/users".to_owned()),
            [_, id] => (Route::User((*id).to_owned()), "/v1.0/users/{id}".to_owned()),
            [_, _, other, ..] => unknown(other),
            [] => unknown(""),
        },
        "policies" if inner.is_none() => match policies::parse_policies(&strs) {
            Some((route, template)) => (Route::AppManagement(route), template),
            None => unknown(strs.get(1).copied().unwrap_or(first)),
        },
        "organization" if inner.is_none() => match strs.as_slice() {
            [_] => (Route::Organization, "/v1.0/organization".to_owned()),
            _ => unknown(first),
        },
        "directoryObjects" if inner.is_none() => match strs.as_slice() {
            [_, "getByIds"] => (
                Route::DirectoryObjectsByIds,
                "/v1.0/directoryObjects/getByIds".to_owned(),
            ),
            [_, id] => (
                Route::DirectoryObject((*id).to_owned()),
                "/v1.0/directoryObjects/{id}".to_owned(),
            ),
            _ => unknown(first),
        },
        "directory" if inner.is_none() => match strs.as_slice() {
            // The SDKs address casts with the `graph.` alias of the namespace.
            [
                _,
                "deletedItems",
                "microsoft.graph.application" | "graph.application",
            ] => (
                Route::DeletedApplications,
                "/v1.0/directory/deletedItems/microsoft.graph.application".to_owned(),
            ),
            [_, "deletedItems", id] => (
                Route::DeletedItem((*id).to_owned()),
                "/v1.0/directory/deletedItems/{id}".to_owned(),
            ),
            [
                _,
                "deletedItems",
                id,
                "restore" | "microsoft.graph.restore" | "graph.restore",
            ] => (
                Route::RestoreDeletedItem((*id).to_owned()),
                "/v1.0/directory/deletedItems/{id}/restore".to_owned(),
            ),
            _ => unknown(first),
        },
        _ => unknown(first),
    }
}

/// What handlers need besides the tenant: the request, the clock and the replication lag.
pub(crate) struct Ctx<'a> {
    pub(crate) request: &'a ApiRequest,
    pub(crate) now_ms: i64,
    pub(crate) lag_ms: i64,
}

impl Ctx<'_> {
    /// When an object written now becomes visible.
    pub(crate) fn visible_at(&self) -> i64 {
        self.now_ms.saturating_add(self.lag_ms)
    }
}

/// Runs one Graph request (except `$batch`, which is async and handled by the caller).
pub(crate) fn handle(tenant: &mut Tenant, route: &Route, ctx: &Ctx<'_>) -> Reply {
    let method = &ctx.request.method;
    match route {
        Route::Applications => match *method {
            Method::GET => applications::list(tenant, ctx),
            Method::POST => applications::create(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::ApplicationsCount | Route::ServicePrincipalsCount => match *method {
            Method::GET => directory::count(tenant, route, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Application(key) => match *method {
            Method::GET => applications::get(tenant, key, ctx),
            Method::PATCH => applications::update(tenant, key, ctx),
            Method::DELETE => applications::delete(tenant, key, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::AddPassword(parent) => match *method {
            Method::POST => credentials::add_password(tenant, parent, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::RemovePassword(parent) => match *method {
            Method::POST => credentials::remove_password(tenant, parent, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::OwnedObjects(key) => match *method {
            Method::GET => directory::list_owned_objects(tenant, key, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Owners(parent) => match *method {
            Method::GET => directory::list_owners(tenant, parent, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::OwnersRef(parent) => match *method {
            Method::POST => directory::add_owner(tenant, parent, ctx),
            Method::GET => directory::list_owners(tenant, parent, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::OwnerRef(parent, owner) => match *method {
            Method::DELETE => directory::remove_owner(tenant, parent, owner, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::OwnerWithoutRef(_, _) => match *method {
            Method::DELETE => Err(graph_error(
                StatusCode::FORBIDDEN,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )),
            _ => Err(method_not_allowed()),
        },
        Route::Fics(key) => match *method {
            Method::GET => credentials::list_fics(tenant, key, ctx),
            Method::POST => credentials::create_fic(tenant, key, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Fic(key, fic) => match *method {
            Method::GET => credentials::get_fic(tenant, key, fic, ctx),
            Method::PATCH => credentials::update_fic(tenant, key, fic, ctx),
            Method::DELETE => credentials::delete_fic(tenant, key, fic, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::ServicePrincipals => match *method {
            Method::GET => service_principals::list(tenant, ctx),
            Method::POST => service_principals::create(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::ServicePrincipal(key) => match *method {
            Method::GET => service_principals::get(tenant, key, ctx),
            Method::PATCH => service_principals::update(tenant, key, ctx),
            Method::DELETE => service_principals::delete(tenant, key, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::AppRoleAssignments(key, side) => match *method {
            Method::GET => consent::list_assignments(tenant, key, *side, ctx),
            Method::POST => consent::create_assignment(tenant, key, *side, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::AppRoleAssignment(key, side, id) => match *method {
            Method::GET => consent::get_assignment(tenant, key, *side, id, ctx),
            Method::DELETE => consent::delete_assignment(tenant, key, *side, id, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::ServicePrincipalGrants(key) => match *method {
            Method::GET => consent::list_grants_of(tenant, key, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Grants => match *method {
            Method::GET => consent::list_grants(tenant, ctx),
            Method::POST => consent::create_grant(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Grant(id) => match *method {
            Method::GET => consent::get_grant(tenant, id, ctx),
            Method::PATCH => consent::update_grant(tenant, id, ctx),
            Method::DELETE => consent::delete_grant(tenant, id, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Organization => match *method {
            Method::GET => organization::list(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::Users => match *method {
            Method::GET => directory::list_users(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::User(id) => match *method {
            Method::GET => directory::get_user(tenant, id, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::DirectoryObject(id) => match *method {
            Method::GET => directory::get_directory_object(tenant, id, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::DirectoryObjectsByIds => match *method {
            Method::POST => directory::get_by_ids(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::DeletedApplications => match *method {
            Method::GET => directory::list_deleted(tenant, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::DeletedItem(id) => match *method {
            Method::GET => directory::get_deleted(tenant, id, ctx),
            Method::DELETE => directory::purge_deleted(tenant, id),
            _ => Err(method_not_allowed()),
        },
        Route::RestoreDeletedItem(id) => match *method {
            Method::POST => directory::restore_deleted(tenant, id, ctx),
            _ => Err(method_not_allowed()),
        },
        Route::AppManagement(route) => policies::handle(tenant, route, ctx),
        Route::Batch => Err(method_not_allowed()),
        Route::Unknown(segment) => Err(graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Resource not found for the segment '{segment}'."),
        )),
    }
}

/// The visible application a key names, or 404.
pub(crate) fn find_application<'a>(
    tenant: &'a Tenant,
    key: &Key,
    ctx: &Ctx<'_>,
) -> Result<&'a Record, ApiResponse> {
    tenant
        .applications
        .values()
        .find(|record| key.matches(record) && record.visible(ctx.now_ms))
        .ok_or_else(|| not_found(key.describe()))
}

/// The object id of the visible application a key names, or 404.
pub(crate) fn application_id(
    tenant: &Tenant,
    key: &Key,
    ctx: &Ctx<'_>,
) -> Result<String, ApiResponse> {
    find_application(tenant, key, ctx).map(|record| record.id().to_owned())
}

/// The visible service principal a key names, or 404.
pub(crate) fn find_service_principal<'a>(
    tenant: &'a Tenant,
    key: &Key,
    ctx: &Ctx<'_>,
) -> Result<&'a Record, ApiResponse> {
    tenant
        .all_service_principals()
        .find(|record| key.matches(record) && record.visible(ctx.now_ms))
        .ok_or_else(|| not_found(key.describe()))
}

/// Copies `object` with `@odata.context` first.
pub(crate) fn with_context(context: String, object: &Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("@odata.context".to_owned(), Value::from(context));
    if let Value::Object(fields) = object {
        for (key, value) in fields {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// Rejects `@odata`-free keys outside `allowed`, ignoring `@odata.*` annotations SDKs send.
pub(crate) fn check_keys(
    body: &serde_json::Map<String, Value>,
    allowed: &[&str],
) -> Result<(), ApiResponse> {
    for key in body.keys() {
        if key.starts_with("@odata") {
            continue;
        }
        if !allowed.contains(&key.as_str()) {
            return Err(crate::api::bad_request(&format!(
                "Property '{key}' does not exist as a declared property or extension property."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(path: &str, route: Route, template: &str) {
        let (parsed, parsed_template) = parse(path);
        assert_eq!(parsed, route, "{path}");
        assert_eq!(parsed_template, template, "{path}");
    }

    #[test]
    fn parse_recognises_graph_urls() {
        check("applications", Route::Applications, "/v1.0/applications");
        check(
            "applications/abc",
            Route::Application(Key::Id("abc".into())),
            "/v1.0/applications/{id}",
        );
        check(
            "applications(appId='x%20y')",
            Route::Application(Key::AppId("x y".into())),
            "/v1.0/applications(appId='{appId}')",
        );
        check(
            "applications(uniqueName='u')/addPassword",
            Route::AddPassword(Parent::Application(Key::UniqueName("u".into()))),
            "/v1.0/applications(uniqueName='{uniqueName}')/addPassword",
        );
        check(
            "applications/a/owners/o/$ref",
            Route::OwnerRef(Parent::Application(Key::Id("a".into())), "o".into()),
            "/v1.0/applications/{id}/owners/{id}/$ref",
        );
        check(
            "applications/a/federatedIdentityCredentials(name='n')",
            Route::Fic(Key::Id("a".into()), FicKey::Name("n".into())),
            "/v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')",
        );
        check(
            "servicePrincipals(appId='g')",
            Route::ServicePrincipal(Key::AppId("g".into())),
            "/v1.0/servicePrincipals(appId='{appId}')",
        );
        check(
            "users/alice%40contoso.com",
            Route::User("alice@contoso.com".into()),
            "/v1.0/users/{id}",
        );
        check(
            "directory/deletedItems/x/restore",
            Route::RestoreDeletedItem("x".into()),
            "/v1.0/directory/deletedItems/{id}/restore",
        );
        check(
            "directory/deletedItems/graph.application",
            Route::DeletedApplications,
            "/v1.0/directory/deletedItems/microsoft.graph.application",
        );
        check(
            "applications/a/graph.addPassword",
            Route::AddPassword(Parent::Application(Key::Id("a".into()))),
            "/v1.0/applications/{id}/addPassword",
        );
        check(
            "servicePrincipals/s/appRoleAssignedTo",
            Route::AppRoleAssignments(Key::Id("s".into()), Side::Resource),
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
        );
        check(
            "servicePrincipals(appId='g')/appRoleAssignments/47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M",
            Route::AppRoleAssignment(
                Key::AppId("g".into()),
                Side::Principal,
                "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M".into(),
            ),
            "/v1.0/servicePrincipals(appId='{appId}')/appRoleAssignments/{id}",
        );
        check(
            "servicePrincipals/s/oauth2PermissionGrants",
            Route::ServicePrincipalGrants(Key::Id("s".into())),
            "/v1.0/servicePrincipals/{id}/oauth2PermissionGrants",
        );
        check(
            "servicePrincipals/s/ownedObjects",
            Route::OwnedObjects(Key::Id("s".into())),
            "/v1.0/servicePrincipals/{id}/ownedObjects",
        );
        check(
            "oauth2PermissionGrants",
            Route::Grants,
            "/v1.0/oauth2PermissionGrants",
        );
        check(
            "oauth2PermissionGrants/AVs6JuUDjkCFV7q2gd8QTPimBBgj5iBFj0C6GwwRxC0",
            Route::Grant("AVs6JuUDjkCFV7q2gd8QTPimBBgj5iBFj0C6GwwRxC0".into()),
            "/v1.0/oauth2PermissionGrants/{id}",
        );
        check(
            "applications/a/appRoleAssignedTo",
            Route::Unknown("appRoleAssignedTo".into()),
            "/v1.0/{unknown}",
        );
        check("$batch", Route::Batch, "/v1.0/$batch");
        check("groups", Route::Unknown("groups".into()), "/v1.0/{unknown}");
    }
}
