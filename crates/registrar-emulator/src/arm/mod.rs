//! Azure Resource Manager, `Microsoft.Authorization` (api-version 2022-04-01): the URL grammar
//! of ARM scopes, `api-version`, ARM's error body, `nextLink` paging and `$filter` clauses, and
//! dispatch to role definitions, role assignments and the caller's permissions at a scope
//! (`authorize`).
//!
//! ARM is served at the root of the emulator's port, as `management.azure.com` would serve it:
//! `{base}/subscriptions/{s}/…`, `{base}/providers/Microsoft.Management/managementGroups/{mg}/…`
//! and the tenant root `{base}/providers/Microsoft.Authorization/…`.

mod assignments;
mod definitions;
mod subscriptions;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::ArmOptions;
use crate::api::{ApiRequest, ApiResponse, Reply};
use crate::state::Tenant;

/// The resource provider the emulator serves.
pub(crate) const PROVIDER: &str = "Microsoft.Authorization";
/// Items per page of a list (ARM does not document its page size).
pub(crate) const PAGE_SIZE: usize = 100;
/// The api-versions the emulator names in its errors.
const SUPPORTED_API_VERSIONS: &str = "2022-04-01, 2022-01-01-preview, 2021-04-01-preview, 2020-10-01-preview, 2020-08-01-preview, 2020-04-01-preview, 2020-03-01-preview, 2019-04-01-preview, 2018-12-01-preview, 2018-09-01-preview";

/// The collection a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    RoleDefinitions,
    RoleAssignments,
    /// `permissions`: what the caller may do at the scope (a list, no items).
    Permissions,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Self::RoleDefinitions => "roleDefinitions",
            Self::RoleAssignments => "roleAssignments",
            Self::Permissions => "permissions",
        }
    }
}

/// An ARM scope: the tenant root, a subscription, a resource group, a resource, a management
/// group or a tenant-level provider (`/providers/Microsoft.Capacity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    /// `/` for the tenant root, else `/subscriptions/…` as addressed, without a trailing slash.
    pub(crate) path: String,
    /// The subscription id, when the scope is in one.
    pub(crate) subscription: Option<String>,
    /// The management group, when the scope is one.
    pub(crate) management_group: Option<String>,
}

impl Scope {
    fn root() -> Self {
        Self {
            path: "/".to_owned(),
            subscription: None,
            management_group: None,
        }
    }
}

/// What ids under the scope `path` start with: empty at the root, else the scope.
pub(crate) fn prefix(path: &str) -> &str {
    if path == "/" { "" } else { path }
}

/// Whether the scope `outer` is `inner` or above it (case-insensitive, by path segments).
pub(crate) fn scope_contains(outer: &str, inner: &str) -> bool {
    if outer == "/" || outer.eq_ignore_ascii_case(inner) {
        return true;
    }
    inner.len() > outer.len()
        && inner.as_bytes().get(outer.len()) == Some(&b'/')
        && inner
            .get(..outer.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(outer))
}

/// The subscription id of a scope path (`/subscriptions/{s}/…`).
pub(crate) fn subscription_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|segment| !segment.is_empty());
    match (segments.next(), segments.next()) {
        (Some(first), Some(id)) if first.eq_ignore_ascii_case("subscriptions") => Some(id),
        _ => None,
    }
}

/// A parsed ARM route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `{scope}/providers/Microsoft.Authorization/{kind}`.
    Collection(Scope, Kind),
    /// `{scope}/providers/Microsoft.Authorization/{kind}/{name}`.
    Item(Scope, Kind, String),
    /// A malformed scope: ARM's 400.
    BadScope(&'static str, String),
    /// `/tenants`: the tenants the caller can reach (the local one).
    Tenants,
    /// `/subscriptions`: the subscriptions the caller holds a role in.
    Subscriptions,
    /// `/subscriptions/{id}`.
    Subscription(String),
    /// Any other ARM path (the emulator serves only the routes above).
    Unknown(String),
}

impl Route {
    /// The subscription the request is charged to (rate-limit headers), if any.
    pub(crate) fn subscription(&self) -> Option<&str> {
        match self {
            Self::Collection(scope, _) | Self::Item(scope, _, _) => scope.subscription.as_deref(),
            Self::Subscription(id) => Some(id),
            _ => None,
        }
    }
}

/// Whether a path (decoded segments) is an ARM path.
pub(crate) fn is_arm_path(segments: &[&str]) -> bool {
    segments.first().is_some_and(|first| {
        first.eq_ignore_ascii_case("subscriptions")
            || first.eq_ignore_ascii_case("providers")
            || first.eq_ignore_ascii_case("tenants")
    })
}

/// Whether ARM takes `text` where it wants a GUID (a subscription id, a role assignment name, a
/// principal id): any form the `uuid` crate parses (hyphenated, 32 bare hex digits, braced,
/// `urn:uuid:`), in any case.
///
/// This is the emulator's own check, and deliberately not the strict 36-character hyphenated
/// one of `registrar-azure` and `registrar-manifest` (those decide what Registrar accepts from a
/// manifest and writes): here a GUID only has to be told apart from anything else in the path
/// or body. Being lenient could only hide a client that sends another GUID form, and
/// Registrar's client, checked strictly on its side, never does.
fn is_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// Parses the decoded path segments of an ARM path into a route and its template (for request
/// counting), e.g. `/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
pub(crate) fn parse(segments: &[&str]) -> (Route, String) {
    match segments {
        [tenants] if tenants.eq_ignore_ascii_case("tenants") => {
            return (Route::Tenants, "/tenants".to_owned());
        }
        [subscriptions] if subscriptions.eq_ignore_ascii_case("subscriptions") => {
            return (Route::Subscriptions, "/subscriptions".to_owned());
        }
        [subscriptions, id] if subscriptions.eq_ignore_ascii_case("subscriptions") => {
            return (
                Route::Subscription((*id).to_owned()),
                "/subscriptions/{subscriptionId}".to_owned(),
            );
        }
        _ => {}
    }
    let provider_at = (0..segments.len().saturating_sub(1)).rev().find(|&index| {
        segments[index].eq_ignore_ascii_case("providers")
            && segments[index + 1].eq_ignore_ascii_case(PROVIDER)
    });
    let unknown = || {
        (
            Route::Unknown(format!("/{}", segments.join("/"))),
            "/{arm}".to_owned(),
        )
    };
    let Some(provider_at) = provider_at else {
        return unknown();
    };
    let rest = &segments[provider_at + 2..];
    let kind = match rest.first() {
        Some(segment) if segment.eq_ignore_ascii_case("roleAssignments") => Kind::RoleAssignments,
        Some(segment) if segment.eq_ignore_ascii_case("roleDefinitions") => Kind::RoleDefinitions,
        Some(segment) if segment.eq_ignore_ascii_case("permissions") => Kind::Permissions,
        _ => return unknown(),
    };
    if rest.len() > 2 || kind == Kind::Permissions && rest.len() > 1 {
        return unknown();
    }
    let scope_segments = &segments[..provider_at];
    let scope_template = if scope_segments.is_empty() {
        ""
    } else {
        "/{scope}"
    };
    let mut template = format!("{scope_template}/providers/{PROVIDER}/{}", kind.segment());
    if rest.len() == 2 {
        template.push_str("/{name}");
    }
    let scope = match parse_scope(scope_segments) {
        Ok(scope) => scope,
        Err((code, message)) => return (Route::BadScope(code, message), template),
    };
    let route = match rest.get(1) {
        Some(name) => Route::Item(scope, kind, (*name).to_owned()),
        None => Route::Collection(scope, kind),
    };
    (route, template)
}

/// Whether `segments` are `{namespace}` followed by (type, name) pairs, or `{namespace}` alone
/// when `bare_namespace` allows it.
fn provider_path_ok(segments: &[&str], bare_namespace: bool) -> bool {
    match segments.len() {
        0 => false,
        1 => bare_namespace,
        len => len % 2 == 1,
    }
}

fn parse_scope(segments: &[&str]) -> Result<Scope, (&'static str, String)> {
    let path = format!("/{}", segments.join("/"));
    let invalid = || {
        (
            "InvalidScope",
            format!(
                "The scope '{path}' is not valid. Use /subscriptions/{{subscriptionId}}[/resourceGroups/{{resourceGroupName}}[/providers/{{namespace}}/{{type}}/{{name}}]] or /providers/Microsoft.Management/managementGroups/{{groupId}}."
            ),
        )
    };
    match segments {
        [] => Ok(Scope::root()),
        [first, rest @ ..] if first.eq_ignore_ascii_case("subscriptions") => {
            let Some(subscription) = rest.first() else {
                return Err((
                    "MissingSubscription",
                    "The request did not have a subscription or a valid tenant level resource provider.".to_owned(),
                ));
            };
            if !is_guid(subscription) {
                return Err((
                    "InvalidSubscriptionId",
                    format!(
                        "The provided subscription identifier '{subscription}' is malformed or invalid."
                    ),
                ));
            }
            let valid = match &rest[1..] {
                [] => true,
                [group, name, tail @ ..] if group.eq_ignore_ascii_case("resourceGroups") => {
                    !name.is_empty()
                        && name.len() <= 90
                        && !name.ends_with('.')
                        && match tail {
                            [] => true,
                            [providers, tail @ ..]
                                if providers.eq_ignore_ascii_case("providers") =>
                            {
                                tail.len() >= 3 && provider_path_ok(tail, false)
                            }
                            _ => false,
                        }
                }
                [providers, tail @ ..] if providers.eq_ignore_ascii_case("providers") => {
                    tail.len() >= 3 && provider_path_ok(tail, false)
                }
                _ => false,
            };
            if !valid {
                return Err(invalid());
            }
            Ok(Scope {
                path,
                subscription: Some((*subscription).to_owned()),
                management_group: None,
            })
        }
        [first, rest @ ..] if first.eq_ignore_ascii_case("providers") => {
            if !provider_path_ok(rest, true) {
                return Err(invalid());
            }
            let management_group = match rest {
                [namespace, groups, id]
                    if namespace.eq_ignore_ascii_case("Microsoft.Management")
                        && groups.eq_ignore_ascii_case("managementGroups") =>
                {
                    Some((*id).to_owned())
                }
                _ => None,
            };
            Ok(Scope {
                path,
                subscription: None,
                management_group,
            })
        }
        _ => Err(invalid()),
    }
}

/// ARM's error body: `{"error": {"code", "message"}}` (the common-types `ErrorResponse`, of which
/// only `code` and `message` are reliably present).
pub(crate) fn arm_error(status: StatusCode, code: &str, message: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

fn bad_request(code: &str, message: &str) -> ApiResponse {
    arm_error(StatusCode::BAD_REQUEST, code, message)
}

/// A dated api-version (`2022-04-01`, `2018-09-01-preview`): (date, is a preview).
fn parse_api_version(text: &str) -> Option<(&str, bool)> {
    let date = text.get(..10)?;
    let bytes = date.as_bytes();
    let dated = bytes.iter().enumerate().all(|(index, byte)| match index {
        4 | 7 => *byte == b'-',
        _ => byte.is_ascii_digit(),
    });
    if !dated {
        return None;
    }
    match &text[10..] {
        "" => Some((date, false)),
        suffix => {
            let label = suffix.strip_prefix('-')?;
            (!label.is_empty() && label.chars().all(|ch| ch.is_ascii_alphanumeric()))
                .then_some((date, true))
        }
    }
}

/// Checks `api-version`: required (400 `MissingApiVersionParameter`), dated
/// (400 `InvalidApiVersionParameter`) and at least 2018-09-01-preview, the first that knows
/// `principalType: ServicePrincipal` (400 `NoRegisteredProviderFound`).
pub(crate) fn check_api_version(request: &ApiRequest, template: &str) -> Result<(), ApiResponse> {
    let Some(version) = request.query("api-version") else {
        return Err(bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let Some((date, _preview)) = parse_api_version(version) else {
        return Err(bad_request(
            "InvalidApiVersionParameter",
            &format!(
                "The api-version '{version}' is invalid. The supported versions are '{SUPPORTED_API_VERSIONS}'."
            ),
        ));
    };
    if date < "2018-09-01" {
        let kind = if template.contains("roleDefinitions") {
            "roleDefinitions"
        } else {
            "roleAssignments"
        };
        return Err(bad_request(
            "NoRegisteredProviderFound",
            &format!(
                "No registered resource provider found for location 'global' and API version '{version}' for type '{kind}'. The supported api-versions are '{SUPPORTED_API_VERSIONS}'. The supported locations are ', global'."
            ),
        ));
    }
    Ok(())
}

/// What the handlers need besides the tenant.
pub(crate) struct Ctx<'a> {
    pub(crate) request: &'a ApiRequest,
    pub(crate) now_ms: i64,
    /// The replication lag in force ([`crate::Faults::replication_lag_ms`]).
    pub(crate) lag_ms: i64,
    pub(crate) options: &'a ArmOptions,
}

impl Ctx<'_> {
    /// The caller's object id (from the token).
    fn caller(&self) -> Option<String> {
        self.request
            .claims
            .as_ref()
            .map(|claims| claims.oid.clone())
    }
}

fn method_not_allowed(method: &Method, what: &str) -> ApiResponse {
    arm_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!(
            "The requested resource does not support http method '{method}'. The local tenant serves {what}."
        ),
    )
}

/// Dispatches an authenticated ARM request.
pub(crate) fn handle(tenant: &mut Tenant, route: &Route, ctx: &Ctx<'_>) -> Reply {
    let method = &ctx.request.method;
    match route {
        Route::BadScope(code, message) => Err(bad_request(code, message)),
        Route::Unknown(path) => Err(bad_request(
            "InvalidResourceType",
            &format!(
                "The resource type of '{path}' could not be found. The local tenant serves only {PROVIDER}/roleDefinitions, {PROVIDER}/roleAssignments, {PROVIDER}/permissions, /subscriptions and /tenants."
            ),
        )),
        Route::Tenants => match *method {
            Method::GET => Ok(subscriptions::tenants(tenant)),
            _ => Err(method_not_allowed(method, "GET")),
        },
        Route::Subscriptions => match *method {
            Method::GET => Ok(subscriptions::list(tenant, ctx)),
            _ => Err(method_not_allowed(method, "GET")),
        },
        Route::Subscription(id) => match *method {
            Method::GET => subscriptions::get(tenant, id, ctx),
            _ => Err(method_not_allowed(method, "GET")),
        },
        Route::Collection(scope, Kind::RoleDefinitions) => match *method {
            Method::GET => definitions::list(scope, ctx),
            _ => Err(method_not_allowed(method, "GET (built-in roles only)")),
        },
        Route::Item(scope, Kind::RoleDefinitions, name) => match *method {
            Method::GET => definitions::get(scope, name),
            _ => Err(method_not_allowed(
                method,
                "GET (built-in roles only; no custom roles)",
            )),
        },
        Route::Collection(scope, Kind::RoleAssignments) => match *method {
            Method::GET => assignments::list(tenant, scope, ctx),
            _ => Err(method_not_allowed(method, "GET")),
        },
        Route::Item(scope, Kind::RoleAssignments, name) => match *method {
            Method::GET => assignments::get(tenant, scope, name, ctx),
            Method::PUT | Method::DELETE => {
                if let Some(claims) = &ctx.request.claims {
                    crate::authorize::arm_role_assignment(
                        tenant,
                        &scope.path,
                        name,
                        method,
                        claims,
                    )?;
                }
                if *method == Method::PUT {
                    assignments::create(tenant, scope, name, ctx)
                } else {
                    assignments::delete(tenant, scope, name, ctx)
                }
            }
            _ => Err(method_not_allowed(method, "GET, PUT and DELETE")),
        },
        Route::Collection(scope, Kind::Permissions) => {
            match (*method == Method::GET, &ctx.request.claims) {
                (true, Some(claims)) => Ok(crate::authorize::permissions_list(
                    tenant,
                    &scope.path,
                    claims,
                )),
                _ => Err(method_not_allowed(method, "GET")),
            }
        }
        Route::Item(_, Kind::Permissions, _) => {
            Err(method_not_allowed(method, "GET on the collection only"))
        }
    }
}

/// One clause of an ARM `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    /// `atScope()`, `atScopeAndBelow()`, `assignedTo('{id}')`: the name (lower-case) and argument.
    Call(String, Option<String>),
    /// `{property} eq '{value}'`: the property (lower-case) and the unquoted value.
    Eq(String, String),
}

/// Splits `text` at ` {word} ` (case-insensitive) outside single quotes. A `''` escape toggles
/// the quote state twice, so it needs no special case.
fn split_outside_quotes<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    let needle = format!(" {word} ");
    let mut parts = Vec::new();
    let mut in_quote = false;
    let mut start = 0;
    let mut index = 0;
    let bytes = text.as_bytes();
    while index < bytes.len() {
        if bytes[index] == b'\'' {
            in_quote = !in_quote;
        } else if !in_quote
            && text
                .get(index..index + needle.len())
                .is_some_and(|window| window.eq_ignore_ascii_case(&needle))
        {
            parts.push(&text[start..index]);
            index += needle.len();
            start = index;
            continue;
        }
        index += 1;
    }
    parts.push(&text[start..]);
    parts
}

/// `'it''s'` → `it's`; a bare value is taken as it is.
fn unquote(text: &str) -> Option<String> {
    let text = text.trim();
    match text.strip_prefix('\'') {
        Some(inner) => Some(inner.strip_suffix('\'')?.replace("''", "'")),
        None if !text.is_empty() && !text.contains('\'') && !text.contains(' ') => {
            Some(text.to_owned())
        }
        None => None,
    }
}

/// Parses a `$filter` into clauses joined by `and`; `None` when it does not parse.
fn parse_filter(text: &str) -> Option<Vec<Clause>> {
    split_outside_quotes(text.trim(), "and")
        .into_iter()
        .map(|clause| {
            let clause = clause.trim();
            if let Some(open) = clause.find('(')
                && clause.ends_with(')')
                && !clause[..open].contains(' ')
            {
                let name = clause[..open].trim().to_ascii_lowercase();
                let inner = clause[open + 1..clause.len() - 1].trim();
                let argument = if inner.is_empty() {
                    None
                } else {
                    Some(unquote(inner)?)
                };
                return Some(Clause::Call(name, argument));
            }
            let parts = split_outside_quotes(clause, "eq");
            let [property, value] = parts.as_slice() else {
                return None;
            };
            let property = property.trim();
            if property.is_empty() || property.contains(' ') {
                return None;
            }
            Some(Clause::Eq(property.to_ascii_lowercase(), unquote(value)?))
        })
        .collect()
}

fn unsupported_filter(filter: &str, supported: &str) -> ApiResponse {
    bad_request(
        "UnsupportedQuery",
        &format!("The filter '{filter}' is not supported. Supported filters are {supported}."),
    )
}

/// One page of `items` (from `$skipToken`), with a `nextLink` that repeats the request's other
/// query parameters when more follow.
fn page(ctx: &Ctx<'_>, items: Vec<Value>) -> Reply {
    let request = ctx.request;
    let offset = match request.query("$skipToken") {
        None => 0,
        Some(token) => token
            .strip_prefix("rgs")
            .and_then(|offset| offset.parse::<usize>().ok())
            .ok_or_else(|| {
                bad_request(
                    "InvalidSkipToken",
                    &format!("The skip token '{token}' is not valid."),
                )
            })?,
    };
    let end = offset.saturating_add(PAGE_SIZE).min(items.len());
    let more = end < items.len();
    let value: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(end.saturating_sub(offset))
        .collect();
    let mut body = json!({ "value": value });
    if more {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &request.query {
            if !key.eq_ignore_ascii_case("$skipToken") {
                query.append_pair(key, value);
            }
        }
        query.append_pair("$skipToken", &format!("rgs{end}"));
        body["nextLink"] = json!(format!(
            "{}{}?{}",
            request.base,
            request.path,
            query.finish()
        ));
    }
    Ok(ApiResponse::ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> (Route, String) {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        parse(&segments)
    }

    #[test]
    fn parses_scopes_and_templates() {
        let sub = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
        let (parsed, template) = route(&format!(
            "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x"
        ));
        assert_eq!(
            template,
            "/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        );
        let Route::Item(scope, Kind::RoleAssignments, name) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(name, "x");
        assert_eq!(scope.subscription.as_deref(), Some(sub));
        assert!(scope.path.ends_with("/storageAccounts/sa"));

        let (parsed, template) = route("/providers/Microsoft.Authorization/roleDefinitions/abc");
        assert_eq!(
            template,
            "/providers/Microsoft.Authorization/roleDefinitions/{name}"
        );
        assert!(
            matches!(parsed, Route::Item(scope, Kind::RoleDefinitions, _) if scope.path == "/")
        );

        let (parsed, _) = route(
            "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments",
        );
        assert!(
            matches!(parsed, Route::Collection(scope, _) if scope.management_group.as_deref() == Some("mg1"))
        );
        assert!(matches!(
            route("/subscriptions/nope/providers/Microsoft.Authorization/roleAssignments").0,
            Route::BadScope("InvalidSubscriptionId", _)
        ));
        assert!(matches!(
            route("/subscriptions/providers/Microsoft.Authorization/roleAssignments").0,
            Route::BadScope(_, _)
        ));
        assert!(matches!(
            route(&format!(
                "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Storage/providers/Microsoft.Authorization/roleAssignments"
            ))
            .0,
            Route::BadScope("InvalidScope", _)
        ));
        // The subscription itself, the list and the tenants are served (what `az login` reads).
        assert_eq!(
            route(&format!("/subscriptions/{sub}")),
            (
                Route::Subscription(sub.to_owned()),
                "/subscriptions/{subscriptionId}".to_owned()
            )
        );
        assert_eq!(route("/subscriptions").0, Route::Subscriptions);
        assert_eq!(route("/tenants").0, Route::Tenants);
        assert!(matches!(
            route(&format!("/subscriptions/{sub}/resourceGroups")).0,
            Route::Unknown(_)
        ));
    }

    #[test]
    fn scope_containment_is_by_segment_and_case_insensitive() {
        assert!(scope_contains("/", "/subscriptions/s"));
        assert!(scope_contains(
            "/subscriptions/S",
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(!scope_contains(
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s/resourceGroups/rg2"
        ));
        assert!(!scope_contains(
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s/resourceGroups/rg-2"
        ));
        assert!(!scope_contains(
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s"
        ));
    }

    #[test]
    fn filters_parse_with_quotes_and_escapes() {
        assert_eq!(
            parse_filter("roleName eq 'Reader and Data Access'"),
            Some(vec![Clause::Eq(
                "rolename".to_owned(),
                "Reader and Data Access".to_owned()
            )])
        );
        assert_eq!(
            parse_filter("roleName eq 'it''s' AND type eq 'BuiltInRole'"),
            Some(vec![
                Clause::Eq("rolename".to_owned(), "it's".to_owned()),
                Clause::Eq("type".to_owned(), "BuiltInRole".to_owned()),
            ])
        );
        assert_eq!(
            parse_filter("atScope() and assignedTo('abc')"),
            Some(vec![
                Clause::Call("atscope".to_owned(), None),
                Clause::Call("assignedto".to_owned(), Some("abc".to_owned())),
            ])
        );
        assert_eq!(parse_filter("roleName eq 'open"), None);
        assert_eq!(parse_filter("roleName ne"), None);
    }

    #[test]
    fn api_versions_are_dated() {
        assert_eq!(parse_api_version("2022-04-01"), Some(("2022-04-01", false)));
        assert_eq!(
            parse_api_version("2018-09-01-preview"),
            Some(("2018-09-01", true))
        );
        assert_eq!(parse_api_version("latest"), None);
        assert_eq!(parse_api_version("2022-04-01-"), None);
    }
}
