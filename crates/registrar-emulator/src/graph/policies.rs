//! App management policies and the instance lock: `/policies/defaultAppManagementPolicy` (GET,
//! PATCH), `/policies/appManagementPolicies` (CRUD), an application's
//! `appManagementPolicies` (GET, `POST …/$ref`, `DELETE …/{id}/$ref`), and their enforcement
//! with Graph's error codes:
//!
//! - `addPassword` on an application: `passwordAddition` answers 400
//!   `CredentialTypeNotAllowedAsPerAppPolicy`, `passwordLifetime` 400
//!   `CredentialInvalidLifetimeAsPerAppPolicy` (also `customPasswordAddition` when the caller
//!   sends `secretText`); on a service principal the default policy's
//!   `servicePrincipalRestrictions` apply the same way.
//! - certificates written with a PATCH: `asymmetricKeyLifetime` (400
//!   `CredentialInvalidLifetimeAsPerAppPolicy`). `trustedCertificateAuthority` is not enforced:
//!   the local tenant has no `certificateBasedApplicationConfigurations` to trust.
//! - identifier URIs added by a POST or PATCH: `nonDefaultUriAddition` and
//!   `uriAdditionWithoutUniqueTenantIdentifier` (400 `Request_BadRequest` with the message Entra
//!   documents; the code itself is not documented).
//! - the instance lock (`servicePrincipalLockConfiguration`): a change of the service
//!   principal's locked properties (password or key credentials by usage,
//!   `tokenEncryptionKeyId`) answers 400 `CannotUpdateLockedServicePrincipalProperty`.
//!
//! The effective policy of an application is the enabled policy assigned to it, else the
//! default one when enabled; a restriction with `restrictForAppsCreatedAfterDateTime` applies
//! only to applications created at or after it. A fresh tenant's default policy is disabled, so
//! nothing is restricted until a test turns it on.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Ctx, Key, Parent, application_id, check_keys, find_service_principal, with_context};
use crate::api::{ApiResponse, Reply, bad_request, graph_error, method_not_allowed, not_found};
use crate::state::{Record, Tenant, VERIFIED_DOMAINS};
use crate::util::{new_guid, parse_time};

/// The default policy's id.
const DEFAULT_POLICY_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The policies the tenant keeps (absent from state files written before them: then the
/// default policy is the seeded, disabled one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AppManagementStore {
    /// The default policy as last written; `None` is the seeded one.
    #[serde(default)]
    default_policy: Option<Value>,
    /// Custom policies by id.
    #[serde(default)]
    policies: BTreeMap<String, Value>,
    /// Application object id -> the id of the policy assigned to it.
    #[serde(default)]
    assignments: BTreeMap<String, String>,
}

/// The routes of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PolicyRoute {
    /// `/policies/defaultAppManagementPolicy`.
    DefaultPolicy,
    /// `/policies/appManagementPolicies`.
    Policies,
    /// `/policies/appManagementPolicies/{id}`.
    Policy(String),
    /// `/policies/appManagementPolicies/{id}/appliesTo`.
    PolicyAppliesTo(String),
    /// `/applications/{id}/appManagementPolicies`.
    ApplicationPolicies(Key),
    /// `/applications/{id}/appManagementPolicies/$ref`.
    ApplicationPolicyRef(Key),
    /// `/applications/{id}/appManagementPolicies/{policyId}/$ref`.
    ApplicationPolicyRefOf(Key, String),
}

/// Parses `/policies/...` (segments after the version).
pub(crate) fn parse_policies(segments: &[&str]) -> Option<(PolicyRoute, String)> {
    match segments {
        [_, "defaultAppManagementPolicy"] => Some((
            PolicyRoute::DefaultPolicy,
            "/v1.0/policies/defaultAppManagementPolicy".to_owned(),
        )),
        [_, "appManagementPolicies"] => Some((
            PolicyRoute::Policies,
            "/v1.0/policies/appManagementPolicies".to_owned(),
        )),
        [_, "appManagementPolicies", id] => Some((
            PolicyRoute::Policy((*id).to_owned()),
            "/v1.0/policies/appManagementPolicies/{id}".to_owned(),
        )),
        [_, "appManagementPolicies", id, "appliesTo"] => Some((
            PolicyRoute::PolicyAppliesTo((*id).to_owned()),
            "/v1.0/policies/appManagementPolicies/{id}/appliesTo".to_owned(),
        )),
        _ => None,
    }
}

/// Parses what follows `/applications/{id}/appManagementPolicies`.
pub(crate) fn parse_application(key: Key, rest: &[&str]) -> Option<(PolicyRoute, &'static str)> {
    match rest {
        [] => Some((
            PolicyRoute::ApplicationPolicies(key),
            "/appManagementPolicies",
        )),
        ["$ref"] => Some((
            PolicyRoute::ApplicationPolicyRef(key),
            "/appManagementPolicies/$ref",
        )),
        [policy, "$ref"] => Some((
            PolicyRoute::ApplicationPolicyRefOf(key, (*policy).to_owned()),
            "/appManagementPolicies/{id}/$ref",
        )),
        _ => None,
    }
}

/// Runs one request of this module.
pub(crate) fn handle(tenant: &mut Tenant, route: &PolicyRoute, ctx: &Ctx<'_>) -> Reply {
    let method = &ctx.request.method;
    match (route, method) {
        (PolicyRoute::DefaultPolicy, &Method::GET) => {
            let context = format!(
                "{}/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity",
                ctx.request.base
            );
            Ok(ApiResponse::ok(with_context(
                context,
                &default_policy(tenant),
            )))
        }
        (PolicyRoute::DefaultPolicy, &Method::PATCH) => update_default(tenant, ctx),
        (PolicyRoute::Policies, &Method::GET) => {
            let value: Vec<Value> = tenant.app_management.policies.values().cloned().collect();
            Ok(ApiResponse::ok(json!({
                "@odata.context": format!("{}/v1.0/$metadata#policies/appManagementPolicies", ctx.request.base),
                "value": value,
            })))
        }
        (PolicyRoute::Policies, &Method::POST) => create_policy(tenant, ctx),
        (PolicyRoute::Policy(id), &Method::GET) => {
            let policy = find_policy(tenant, id)?;
            let context = format!(
                "{}/v1.0/$metadata#policies/appManagementPolicies/$entity",
                ctx.request.base
            );
            Ok(ApiResponse::ok(with_context(context, policy)))
        }
        (PolicyRoute::Policy(id), &Method::PATCH) => update_policy(tenant, id, ctx),
        (PolicyRoute::PolicyAppliesTo(id), &Method::GET) => {
            let id = find_policy_id(tenant, id)?;
            let only_id = ctx.request.query("select").is_some();
            let value: Vec<Value> = tenant
                .app_management
                .assignments
                .iter()
                .filter(|(_, assigned)| **assigned == id)
                .filter_map(|(app, _)| tenant.applications.get(app))
                .map(|record| {
                    let mut object = json!({
                        "@odata.type": "#microsoft.graph.application",
                        "id": record.id(),
                    });
                    if !only_id {
                        object["appId"] = record.object["appId"].clone();
                        object["displayName"] = record.object["displayName"].clone();
                    }
                    object
                })
                .collect();
            Ok(ApiResponse::ok(json!({
                "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", ctx.request.base),
                "value": value,
            })))
        }
        (PolicyRoute::Policy(id), &Method::DELETE) => {
            let id = find_policy_id(tenant, id)?;
            tenant.app_management.policies.remove(&id);
            tenant
                .app_management
                .assignments
                .retain(|_, assigned| *assigned != id);
            Ok(ApiResponse::no_content().changed())
        }
        (PolicyRoute::ApplicationPolicies(key), &Method::GET)
        | (PolicyRoute::ApplicationPolicyRef(key), &Method::GET) => {
            let app = application_id(tenant, key, ctx)?;
            let value: Vec<Value> = assigned_policy(tenant, &app).cloned().into_iter().collect();
            Ok(ApiResponse::ok(json!({
                "@odata.context": format!("{}/v1.0/$metadata#policies/appManagementPolicies", ctx.request.base),
                "value": value,
            })))
        }
        (PolicyRoute::ApplicationPolicyRef(key), &Method::POST) => assign(tenant, key, ctx),
        (PolicyRoute::ApplicationPolicyRefOf(key, policy), &Method::DELETE) => {
            let app = application_id(tenant, key, ctx)?;
            match tenant.app_management.assignments.get(&app) {
                Some(assigned) if assigned.eq_ignore_ascii_case(policy) => {
                    tenant.app_management.assignments.remove(&app);
                    Ok(ApiResponse::no_content().changed())
                }
                _ => Err(not_found(policy)),
            }
        }
        _ => Err(method_not_allowed()),
    }
}

fn seeded_default_policy() -> Value {
    json!({
        "id": DEFAULT_POLICY_ID,
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
        "isEnabled": false,
        "applicationRestrictions": {
            "passwordCredentials": [],
            "keyCredentials": [],
            "identifierUris": {
                "nonDefaultUriAddition": null,
                "uriAdditionWithoutUniqueTenantIdentifier": null
            }
        },
        "servicePrincipalRestrictions": {
            "passwordCredentials": [],
            "keyCredentials": []
        }
    })
}

fn default_policy(tenant: &Tenant) -> Value {
    tenant
        .app_management
        .default_policy
        .clone()
        .unwrap_or_else(seeded_default_policy)
}

fn find_policy_id(tenant: &Tenant, id: &str) -> Result<String, ApiResponse> {
    tenant
        .app_management
        .policies
        .keys()
        .find(|known| known.eq_ignore_ascii_case(id))
        .cloned()
        .ok_or_else(|| not_found(id))
}

fn find_policy<'t>(tenant: &'t Tenant, id: &str) -> Result<&'t Value, ApiResponse> {
    let id = find_policy_id(tenant, id)?;
    tenant
        .app_management
        .policies
        .get(&id)
        .ok_or_else(|| not_found(&id))
}

fn assigned_policy<'t>(tenant: &'t Tenant, app_object_id: &str) -> Option<&'t Value> {
    tenant
        .app_management
        .assignments
        .get(app_object_id)
        .and_then(|id| tenant.app_management.policies.get(id))
}

const PASSWORD_TYPES: &[&str] = &[
    "passwordAddition",
    "passwordLifetime",
    "symmetricKeyAddition",
    "symmetricKeyLifetime",
    "customPasswordAddition",
];
const KEY_TYPES: &[&str] = &["asymmetricKeyLifetime", "trustedCertificateAuthority"];

/// Validates an `appManagementConfiguration` as Graph does (known restriction types, each once,
/// `maxLifetime` where a lifetime is restricted).
fn check_restrictions(value: &Value, allow_uris: bool) -> Result<(), ApiResponse> {
    let Some(fields) = value.as_object() else {
        return if value.is_null() {
            Ok(())
        } else {
            Err(bad_request(
                "Invalid value specified for property 'restrictions'.",
            ))
        };
    };
    let mut allowed = vec!["passwordCredentials", "keyCredentials"];
    if allow_uris {
        allowed.push("identifierUris");
    }
    check_keys(fields, &allowed)?;
    for (list, types) in [
        ("passwordCredentials", PASSWORD_TYPES),
        ("keyCredentials", KEY_TYPES),
    ] {
        let mut seen = Vec::new();
        for entry in fields
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let entry = entry.as_object().ok_or_else(|| {
                bad_request(&format!("Invalid value specified for property '{list}'."))
            })?;
            check_keys(
                entry,
                &[
                    "restrictionType",
                    "state",
                    "maxLifetime",
                    "restrictForAppsCreatedAfterDateTime",
                    "certificateBasedApplicationConfigurationIds",
                ],
            )?;
            let kind = entry
                .get("restrictionType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !types.contains(&kind) {
                return Err(bad_request(&format!(
                    "Invalid value specified for property 'restrictionType': '{kind}'."
                )));
            }
            if seen.contains(&kind) {
                return Err(bad_request(&format!(
                    "Each restrictionType can be used only once per policy: '{kind}'."
                )));
            }
            seen.push(kind);
            let lifetime = entry
                .get("maxLifetime")
                .and_then(Value::as_str)
                .and_then(duration_seconds);
            if kind.ends_with("Lifetime") && lifetime.is_none() {
                return Err(bad_request(&format!(
                    "Property 'maxLifetime' is required for restrictionType '{kind}' and must be an ISO 8601 duration."
                )));
            }
        }
    }
    Ok(())
}

fn update_default(tenant: &mut Tenant, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    check_keys(
        &body,
        &[
            "displayName",
            "description",
            "isEnabled",
            "applicationRestrictions",
            "servicePrincipalRestrictions",
        ],
    )?;
    if let Some(value) = body.get("applicationRestrictions") {
        check_restrictions(value, true)?;
    }
    if let Some(value) = body.get("servicePrincipalRestrictions") {
        check_restrictions(value, false)?;
    }
    let mut policy = default_policy(tenant);
    for (key, value) in body {
        if !key.starts_with("@odata") {
            policy[key.as_str()] = value;
        }
    }
    tenant.app_management.default_policy = Some(policy);
    Ok(ApiResponse::no_content().changed())
}

fn create_policy(tenant: &mut Tenant, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    check_keys(
        &body,
        &["displayName", "description", "isEnabled", "restrictions"],
    )?;
    for required in ["displayName", "description"] {
        if !body.get(required).is_some_and(Value::is_string) {
            return Err(bad_request(&format!(
                "Property '{required}' is required and must be a string."
            )));
        }
    }
    if let Some(value) = body.get("restrictions") {
        check_restrictions(value, true)?;
    }
    let id = new_guid();
    let mut policy = json!({
        "id": id,
        "displayName": null,
        "description": null,
        "isEnabled": true,
        "restrictions": { "passwordCredentials": [], "keyCredentials": [] },
    });
    for (key, value) in body {
        if !key.starts_with("@odata") {
            policy[key.as_str()] = value;
        }
    }
    tenant.app_management.policies.insert(id, policy.clone());
    let context = format!(
        "{}/v1.0/$metadata#policies/appManagementPolicies/$entity",
        ctx.request.base
    );
    Ok(ApiResponse::json(StatusCode::CREATED, with_context(context, &policy)).changed())
}

fn update_policy(tenant: &mut Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let body = ctx.request.json_object()?;
    check_keys(
        &body,
        &["displayName", "description", "isEnabled", "restrictions"],
    )?;
    if let Some(value) = body.get("restrictions") {
        check_restrictions(value, true)?;
    }
    let id = find_policy_id(tenant, id)?;
    let Some(policy) = tenant.app_management.policies.get_mut(&id) else {
        return Err(not_found(&id));
    };
    for (key, value) in body {
        if !key.starts_with("@odata") {
            policy[key.as_str()] = value;
        }
    }
    Ok(ApiResponse::no_content().changed())
}

fn assign(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let app = application_id(tenant, key, ctx)?;
    let body = ctx.request.json_object()?;
    check_keys(&body, &[])?;
    let reference = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Property '@odata.id' is required."))?;
    let policy = reference
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let policy = find_policy_id(tenant, policy)?;
    if tenant.app_management.assignments.contains_key(&app) {
        return Err(bad_request(
            "An application can have only one app management policy assigned.",
        ));
    }
    tenant.app_management.assignments.insert(app, policy);
    Ok(ApiResponse::no_content().changed())
}

// ----- enforcement ----------------------------------------------------------------------------

/// The restrictions in force for an application and the policy's display name: the enabled
/// policy assigned to it, else the default policy's `applicationRestrictions` when enabled.
fn application_restrictions(tenant: &Tenant, app_object_id: &str) -> Option<(String, Value)> {
    if let Some(policy) = assigned_policy(tenant, app_object_id)
        && policy["isEnabled"] != Value::Bool(false)
    {
        return Some((name_of(policy), policy["restrictions"].clone()));
    }
    let default = default_policy(tenant);
    (default["isEnabled"] == Value::Bool(true)).then(|| {
        (
            name_of(&default),
            default["applicationRestrictions"].clone(),
        )
    })
}

fn service_principal_restrictions(tenant: &Tenant) -> Option<(String, Value)> {
    let default = default_policy(tenant);
    (default["isEnabled"] == Value::Bool(true)).then(|| {
        (
            name_of(&default),
            default["servicePrincipalRestrictions"].clone(),
        )
    })
}

fn name_of(policy: &Value) -> String {
    policy["displayName"]
        .as_str()
        .or_else(|| policy["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The restriction of `kind` in `list` that covers an object created at `created`.
fn restriction<'v>(
    restrictions: &'v Value,
    list: &str,
    kind: &str,
    created: Option<time::OffsetDateTime>,
) -> Option<&'v Value> {
    restrictions[list]
        .as_array()?
        .iter()
        .find(|entry| entry["restrictionType"] == kind)
        .filter(|entry| enabled(entry) && covers(entry, created))
}

fn enabled(entry: &Value) -> bool {
    entry["state"]
        .as_str()
        .is_none_or(|state| state.eq_ignore_ascii_case("enabled"))
}

fn covers(entry: &Value, created: Option<time::OffsetDateTime>) -> bool {
    match (
        entry["restrictForAppsCreatedAfterDateTime"]
            .as_str()
            .and_then(parse_time),
        created,
    ) {
        (Some(after), Some(created)) => created >= after,
        _ => true,
    }
}

fn created_of(object: &Value) -> Option<time::OffsetDateTime> {
    object["createdDateTime"].as_str().and_then(parse_time)
}

/// Seconds of an ISO 8601 duration (years 365 days, months 30).
fn duration_seconds(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0i64;
    let mut any = false;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 31_536_000i64),
                ('M', 2_592_000),
                ('W', 604_800),
                ('D', 86_400),
            ][..],
        ),
        (time, &[('H', 3_600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut number = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                number.push(ch);
                continue;
            }
            let unit = units.iter().find(|(name, _)| *name == ch)?.1;
            total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(unit)?)?;
            number.clear();
            any = true;
        }
        if !number.is_empty() {
            return None;
        }
    }
    any.then_some(total)
}

fn lifetime_too_long(
    entry: &Value,
    start: time::OffsetDateTime,
    end: time::OffsetDateTime,
) -> bool {
    entry["maxLifetime"]
        .as_str()
        .and_then(duration_seconds)
        .is_some_and(|max| (end - start).whole_seconds() > max)
}

fn invalid_lifetime() -> ApiResponse {
    graph_error(
        StatusCode::BAD_REQUEST,
        "CredentialInvalidLifetimeAsPerAppPolicy",
        "Credential lifetime exceeds the max value allowed as per assigned policy.",
    )
}

fn type_not_allowed() -> ApiResponse {
    graph_error(
        StatusCode::BAD_REQUEST,
        "CredentialTypeNotAllowedAsPerAppPolicy",
        "Credential type not allowed as per assigned policy.",
    )
}

fn locked(property: &str) -> ApiResponse {
    graph_error(
        StatusCode::BAD_REQUEST,
        "CannotUpdateLockedServicePrincipalProperty",
        &format!("Property {property} is invalid."),
    )
}

/// The application record of a service principal, if it is one of this tenant's.
fn application_of_service_principal<'t>(tenant: &'t Tenant, sp: &Record) -> Option<&'t Record> {
    let app_id = sp.str_field("appId")?;
    tenant.applications.values().find(|app| {
        app.str_field("appId")
            .is_some_and(|value| value.eq_ignore_ascii_case(app_id))
    })
}

/// Whether the instance lock on `app` covers the service principal's `property` (for
/// credentials, those of `usage`).
fn lock_covers(app: &Record, property: &str, usage: &str) -> bool {
    let lock = &app.object["servicePrincipalLockConfiguration"];
    if lock["isEnabled"] != Value::Bool(true) {
        return false;
    }
    let flag = |name: &str| lock[name] == Value::Bool(true);
    if flag("allProperties") {
        return matches!(
            property,
            "passwordCredentials" | "keyCredentials" | "tokenEncryptionKeyId"
        );
    }
    match property {
        "passwordCredentials" | "keyCredentials" => {
            if usage.eq_ignore_ascii_case("Sign") {
                flag("credentialsWithUsageSign")
            } else {
                flag("credentialsWithUsageVerify")
            }
        }
        "tokenEncryptionKeyId" => flag("tokenEncryptionKeyId"),
        _ => false,
    }
}

/// `addPassword`: the effective policy's password restrictions (and, on a service principal,
/// the instance lock).
pub(crate) fn check_add_password(
    tenant: &Tenant,
    parent: &Parent,
    start: time::OffsetDateTime,
    end: time::OffsetDateTime,
    custom_value: bool,
    ctx: &Ctx<'_>,
) -> Result<(), ApiResponse> {
    let (restrictions, created) = match parent {
        Parent::Application(key) => {
            let id = application_id(tenant, key, ctx)?;
            let created = tenant
                .applications
                .get(&id)
                .and_then(|app| created_of(&app.object));
            (application_restrictions(tenant, &id), created)
        }
        Parent::ServicePrincipal(key) => {
            let sp = find_service_principal(tenant, key, ctx)?;
            if application_of_service_principal(tenant, sp)
                .is_some_and(|app| lock_covers(app, "passwordCredentials", "Verify"))
            {
                return Err(locked("passwordCredentials"));
            }
            (
                service_principal_restrictions(tenant),
                created_of(&sp.object),
            )
        }
    };
    let Some((_, restrictions)) = restrictions else {
        return Ok(());
    };
    let list = "passwordCredentials";
    if restriction(&restrictions, list, "passwordAddition", created).is_some() {
        return Err(type_not_allowed());
    }
    if custom_value && restriction(&restrictions, list, "customPasswordAddition", created).is_some()
    {
        return Err(type_not_allowed());
    }
    if restriction(&restrictions, list, "passwordLifetime", created)
        .is_some_and(|entry| lifetime_too_long(entry, start, end))
    {
        return Err(invalid_lifetime());
    }
    Ok(())
}

/// `removePassword` on a service principal: the instance lock.
pub(crate) fn check_remove_password(
    tenant: &Tenant,
    parent: &Parent,
    ctx: &Ctx<'_>,
) -> Result<(), ApiResponse> {
    if let Parent::ServicePrincipal(key) = parent {
        let sp = find_service_principal(tenant, key, ctx)?;
        if application_of_service_principal(tenant, sp)
            .is_some_and(|app| lock_covers(app, "passwordCredentials", "Verify"))
        {
            return Err(locked("passwordCredentials"));
        }
    }
    Ok(())
}

/// The keyCredentials entries of `after` that are not in `before` (by keyId), and those of
/// `before` gone from `after`.
fn changed_keys<'v>(before: &'v Value, after: &'v Value) -> Vec<&'v Value> {
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["keyId"].as_str().map(str::to_ascii_lowercase))
            .collect()
    };
    let (before_ids, after_ids) = (ids(before), ids(after));
    let added = after.as_array().into_iter().flatten().filter(|entry| {
        entry["keyId"]
            .as_str()
            .is_none_or(|id| !before_ids.contains(&id.to_ascii_lowercase()))
    });
    let removed = before.as_array().into_iter().flatten().filter(|entry| {
        entry["keyId"]
            .as_str()
            .is_none_or(|id| !after_ids.contains(&id.to_ascii_lowercase()))
    });
    added.chain(removed).collect()
}

/// A PATCH of a service principal: the instance lock on its locked properties.
pub(crate) fn check_service_principal_write(
    tenant: &Tenant,
    sp: &Record,
    body: &Map<String, Value>,
) -> Result<(), ApiResponse> {
    let Some(app) = application_of_service_principal(tenant, sp) else {
        return Ok(());
    };
    if let Some(sent) = body.get("keyCredentials") {
        let changed = changed_keys(&sp.object["keyCredentials"], sent);
        if changed.iter().any(|entry| {
            lock_covers(
                app,
                "keyCredentials",
                entry["usage"].as_str().unwrap_or("Verify"),
            )
        }) {
            return Err(locked("keyCredentials"));
        }
    }
    if let Some(sent) = body.get("tokenEncryptionKeyId")
        && *sent != sp.object["tokenEncryptionKeyId"]
        && lock_covers(app, "tokenEncryptionKeyId", "")
    {
        return Err(locked("tokenEncryptionKeyId"));
    }
    Ok(())
}

/// A POST or PATCH of an application, once the body is applied (`before` is the object before
/// it, the fresh object for a create): the effective policy's certificate and identifier URI
/// restrictions on what it adds.
pub(crate) fn check_application_write(
    tenant: &Tenant,
    before: &Value,
    after: &Value,
) -> Result<(), ApiResponse> {
    let id = after["id"].as_str().unwrap_or_default();
    let Some((_, restrictions)) = application_restrictions(tenant, id) else {
        return Ok(());
    };
    let created = created_of(after);
    if let Some(entry) = restriction(
        &restrictions,
        "keyCredentials",
        "asymmetricKeyLifetime",
        created,
    ) {
        let before_keys = &before["keyCredentials"];
        for key in changed_keys(before_keys, &after["keyCredentials"]) {
            let is_new = key["keyId"].as_str().is_some_and(|key_id| {
                after["keyCredentials"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|entry| entry["keyId"] == key_id)
            });
            let start = key["startDateTime"].as_str().and_then(parse_time);
            let end = key["endDateTime"].as_str().and_then(parse_time);
            if is_new
                && let (Some(start), Some(end)) = (start, end)
                && lifetime_too_long(entry, start, end)
            {
                return Err(invalid_lifetime());
            }
        }
    }
    let uris = |object: &Value| -> Vec<String> {
        object["identifierUris"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|uri| uri.as_str().map(str::to_owned))
            .collect()
    };
    let before_uris = uris(before);
    let added: Vec<String> = uris(after)
        .into_iter()
        .filter(|uri| !before_uris.iter().any(|old| old.eq_ignore_ascii_case(uri)))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    let v2 = after["api"]["requestedAccessTokenVersion"].as_i64() == Some(2);
    let uri_rule = |name: &str| {
        let rule = &restrictions["identifierUris"][name];
        let excluded = v2 && rule["excludeAppsReceivingV2Tokens"] == Value::Bool(true);
        rule.is_object() && enabled(rule) && covers(rule, created) && !excluded
    };
    let app_id = after["appId"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let tenant_id = tenant.tenant_id.to_ascii_lowercase();
    for uri in added {
        let lower = uri.to_ascii_lowercase();
        if uri_rule("nonDefaultUriAddition")
            && lower != format!("api://{app_id}")
            && lower != format!("api://{tenant_id}/{app_id}")
        {
            return Err(bad_request(&format!(
                "The newly added URI {uri} must comply with the format 'api://{{appId}}' or 'api://{{tenantId}}/{{appId}}' as per the default app management policy of your organization. If the requestedAccessTokenVersion is set to 2, this restriction may not apply. See https://aka.ms/identifier-uri-addition-error for more information on this error."
            )));
        }
        let host = lower
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':', '?', '#']).next().unwrap_or_default())
            .unwrap_or_default();
        let on_verified_domain = VERIFIED_DOMAINS
            .iter()
            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")));
        let has_identifier = lower.contains(&app_id)
            || lower.contains(&tenant_id)
            || (lower.starts_with("https://") && on_verified_domain);
        if uri_rule("uriAdditionWithoutUniqueTenantIdentifier") && !has_identifier {
            return Err(bad_request(&format!(
                "Failed to add identifier URI {uri}. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error."
            )));
        }
    }
    Ok(())
}

/// Validates `servicePrincipalLockConfiguration` in an application body.
pub(crate) fn normalize_lock(value: &Value) -> Result<Value, ApiResponse> {
    let Some(fields) = value.as_object() else {
        return if value.is_null() {
            Ok(Value::Null)
        } else {
            Err(bad_request(
                "Invalid value specified for property 'servicePrincipalLockConfiguration' of resource 'Application'.",
            ))
        };
    };
    const FLAGS: [&str; 6] = [
        "isEnabled",
        "allProperties",
        "credentialsWithUsageVerify",
        "credentialsWithUsageSign",
        "identifierUris",
        "tokenEncryptionKeyId",
    ];
    check_keys(fields, &FLAGS)?;
    let mut out = Map::new();
    for flag in FLAGS {
        let value = fields.get(flag).cloned().unwrap_or(Value::Bool(false));
        if !value.is_boolean() && !value.is_null() {
            return Err(bad_request(&format!(
                "Invalid value specified for property 'servicePrincipalLockConfiguration.{flag}'."
            )));
        }
        out.insert(
            flag.to_owned(),
            Value::Bool(value.as_bool().unwrap_or(false)),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(duration_seconds("P90D"), Some(90 * 86_400));
        assert_eq!(duration_seconds("P4DT12H30M5S"), Some(390_605));
        assert_eq!(duration_seconds("P"), None);
        assert_eq!(duration_seconds("P1X"), None);
    }
}
