//! Azure Key Vault secrets (data plane, api-version 7.x and 2025-07-01): set, get, versions,
//! list, update, soft delete, recover and purge, with Key Vault's error bodies.
//!
//! The vault is named in the path (`/vaults/{vault}/secrets/…`) because the emulator cannot own
//! `*.vault.azure.net`; requests whose Host is `{vault}.vault.azure.net` are routed the same way.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::api::{ApiRequest, ApiResponse, Reply, kv_error};
use crate::state::{DeletedSecret, Secret, SecretVersion, Tenant, Vault};
use crate::util::{new_guid, now_secs};

/// Days a deleted secret stays recoverable.
const RECOVERABLE_DAYS: i64 = 90;
/// Largest `maxresults` of a list.
const MAX_RESULTS: usize = 25;

/// A parsed Key Vault route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KvRoute {
    Secrets,
    Secret(String),
    SecretVersion(String, String),
    Versions(String),
    DeletedSecrets,
    DeletedSecret(String),
    Recover(String),
    Unknown,
}

/// Parses the path after the vault and returns the route and its template.
pub(crate) fn parse(segments: &[&str]) -> (KvRoute, String) {
    match segments {
        ["secrets"] => (KvRoute::Secrets, "/vaults/{vault}/secrets".to_owned()),
        ["secrets", name] => (
            KvRoute::Secret((*name).to_owned()),
            "/vaults/{vault}/secrets/{name}".to_owned(),
        ),
        ["secrets", name, "versions"] => (
            KvRoute::Versions((*name).to_owned()),
            "/vaults/{vault}/secrets/{name}/versions".to_owned(),
        ),
        ["secrets", name, version] => (
            KvRoute::SecretVersion((*name).to_owned(), (*version).to_owned()),
            "/vaults/{vault}/secrets/{name}/{version}".to_owned(),
        ),
        ["deletedsecrets"] => (
            KvRoute::DeletedSecrets,
            "/vaults/{vault}/deletedsecrets".to_owned(),
        ),
        ["deletedsecrets", name] => (
            KvRoute::DeletedSecret((*name).to_owned()),
            "/vaults/{vault}/deletedsecrets/{name}".to_owned(),
        ),
        ["deletedsecrets", name, "recover"] => (
            KvRoute::Recover((*name).to_owned()),
            "/vaults/{vault}/deletedsecrets/{name}/recover".to_owned(),
        ),
        _ => (KvRoute::Unknown, "/vaults/{vault}/{unknown}".to_owned()),
    }
}

/// What the handler needs besides the tenant.
pub(crate) struct KvCtx<'a> {
    pub(crate) request: &'a ApiRequest,
    /// The vault URL clients use: `{base}/vaults/{vault}` or `https://{vault}.vault.azure.net`.
    pub(crate) vault_url: String,
    pub(crate) vault: String,
    pub(crate) strict: bool,
    pub(crate) denied: bool,
}

fn not_found(name: &str) -> ApiResponse {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None,
    )
}

fn deleted_not_found(name: &str) -> ApiResponse {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!("Deleted Secret not found: {name}"),
        None,
    )
}

fn bad_parameter(message: &str) -> ApiResponse {
    kv_error(StatusCode::BAD_REQUEST, "BadParameter", message, None)
}

fn check_api_version(request: &ApiRequest) -> Result<(), ApiResponse> {
    match request.query("api-version") {
        None => Err(bad_parameter(
            "The request URI contains an invalid or missing api-version query parameter.",
        )),
        Some(version)
            if version.starts_with("7.")
                || version.starts_with("2025-")
                || version.starts_with("2026-") =>
        {
            Ok(())
        }
        Some(version) => Err(kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            &format!(
                "The specified version ({version}) is not recognized. Consider using the latest supported version (7.4)."
            ),
            None,
        )),
    }
}

fn check_name(name: &str) -> Result<(), ApiResponse> {
    if name.is_empty()
        || name.len() > 127
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        return Err(bad_parameter(&format!(
            "The request URI contains an invalid name: {name}. Follow this link for more information on vault naming: https://aka.ms/keyvault-naming"
        )));
    }
    Ok(())
}

fn attributes(version: &SecretVersion) -> Value {
    let mut attributes = json!({ "enabled": version.enabled });
    if let Some(nbf) = version.nbf {
        attributes["nbf"] = json!(nbf);
    }
    if let Some(exp) = version.exp {
        attributes["exp"] = json!(exp);
    }
    attributes["created"] = json!(version.created);
    attributes["updated"] = json!(version.updated);
    attributes["recoveryLevel"] = json!("Recoverable+Purgeable");
    attributes["recoverableDays"] = json!(RECOVERABLE_DAYS);
    attributes
}

/// A SecretBundle (with the value) or a SecretItem (without).
fn bundle(
    vault_url: &str,
    secret: &Secret,
    version: &SecretVersion,
    with_value: bool,
    with_version_in_id: bool,
) -> Value {
    let mut out = Map::new();
    if with_value {
        out.insert("value".into(), Value::from(version.value.clone()));
    }
    let id = if with_version_in_id {
        format!("{vault_url}/secrets/{}/{}", secret.name, version.version)
    } else {
        format!("{vault_url}/secrets/{}", secret.name)
    };
    out.insert("id".into(), Value::from(id));
    out.insert("attributes".into(), attributes(version));
    if let Some(tags) = &version.tags {
        out.insert("tags".into(), json!(tags));
    }
    if let Some(content_type) = &version.content_type {
        out.insert("contentType".into(), Value::from(content_type.clone()));
    }
    Value::Object(out)
}

fn deleted_bundle(vault_url: &str, deleted: &DeletedSecret, with_value: bool) -> Value {
    let latest = deleted.secret.versions.last();
    let mut out = Map::new();
    out.insert(
        "recoveryId".into(),
        Value::from(format!(
            "{vault_url}/deletedsecrets/{}",
            deleted.secret.name
        )),
    );
    out.insert("deletedDate".into(), json!(deleted.deleted_date));
    out.insert(
        "scheduledPurgeDate".into(),
        json!(deleted.scheduled_purge_date),
    );
    if let Some(latest) = latest
        && let Value::Object(fields) = bundle(vault_url, &deleted.secret, latest, with_value, true)
    {
        out.extend(fields);
    }
    Value::Object(out)
}

fn permission_of(method: &Method, route: &KvRoute) -> &'static str {
    match (method, route) {
        (&Method::PUT, _) => "set",
        (&Method::PATCH, _) => "set",
        (&Method::GET, KvRoute::Secrets | KvRoute::Versions(_) | KvRoute::DeletedSecrets) => "list",
        (&Method::GET, _) => "get",
        (&Method::DELETE, KvRoute::DeletedSecret(_)) => "purge",
        (&Method::DELETE, _) => "delete",
        (&Method::POST, _) => "recover",
        _ => "get",
    }
}

/// Runs one Key Vault request.
pub(crate) fn handle(tenant: &mut Tenant, route: &KvRoute, ctx: &KvCtx<'_>) -> Reply {
    check_api_version(ctx.request)?;
    let method = &ctx.request.method;
    if ctx.strict && !tenant.vaults.contains_key(&ctx.vault) {
        return Err(kv_error(
            StatusCode::NOT_FOUND,
            "VaultNotFound",
            &format!(
                "The vault '{}' does not exist in this tenant (the emulator runs with strict vaults).",
                ctx.vault
            ),
            None,
        ));
    }
    if ctx.denied {
        let (appid, oid) = ctx
            .request
            .claims
            .as_ref()
            .map(|claims| (claims.appid.clone(), claims.oid.clone()))
            .unwrap_or_default();
        let permission = permission_of(method, route);
        return Err(kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "The user, group or application 'appid={appid};oid={oid};iss=https://sts.windows.net/{}/' does not have secrets {permission} permission on key vault '{};location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                tenant.tenant_id, ctx.vault
            ),
            Some("AccessDenied"),
        ));
    }
    let unknown_method = || {
        kv_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadParameter",
            "The requested method is not supported for this resource.",
            None,
        )
    };
    match (route, method) {
        (KvRoute::Secret(name), &Method::PUT) => set_secret(tenant, name, ctx),
        (KvRoute::Secret(name), &Method::GET) => get_secret(tenant, name, None, ctx),
        (KvRoute::SecretVersion(name, version), &Method::GET) => {
            get_secret(tenant, name, Some(version), ctx)
        }
        (KvRoute::Secret(name), &Method::PATCH) => update_secret(tenant, name, None, ctx),
        (KvRoute::SecretVersion(name, version), &Method::PATCH) => {
            update_secret(tenant, name, Some(version), ctx)
        }
        (KvRoute::Secret(name), &Method::DELETE) => delete_secret(tenant, name, ctx),
        (KvRoute::Secrets, &Method::GET) => list_secrets(tenant, None, ctx),
        (KvRoute::Versions(name), &Method::GET) => list_secrets(tenant, Some(name), ctx),
        (KvRoute::DeletedSecrets, &Method::GET) => list_deleted(tenant, ctx),
        (KvRoute::DeletedSecret(name), &Method::GET) => {
            let vault = tenant.vaults.get(&ctx.vault);
            let deleted = vault
                .and_then(|vault| vault.deleted.get(&name.to_ascii_lowercase()))
                .ok_or_else(|| deleted_not_found(name))?;
            Ok(ApiResponse::ok(deleted_bundle(
                &ctx.vault_url,
                deleted,
                false,
            )))
        }
        (KvRoute::DeletedSecret(name), &Method::DELETE) => {
            let removed = tenant
                .vaults
                .get_mut(&ctx.vault)
                .and_then(|vault| vault.deleted.remove(&name.to_ascii_lowercase()));
            match removed {
                Some(_) => Ok(ApiResponse::no_content().changed()),
                None => Err(deleted_not_found(name)),
            }
        }
        (KvRoute::Recover(name), &Method::POST) => recover(tenant, name, ctx),
        (KvRoute::Unknown, _) => Err(kv_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
            None,
        )),
        _ => Err(unknown_method()),
    }
}

/// `attributes` of a request: enabled, nbf, exp (`Some(None)` clears a time).
type AttributeUpdate = (Option<bool>, Option<Option<i64>>, Option<Option<i64>>);

fn parse_attributes(value: Option<&Value>) -> Result<AttributeUpdate, ApiResponse> {
    let Some(value) = value else {
        return Ok((None, None, None));
    };
    let Some(fields) = value.as_object() else {
        return Err(bad_parameter("Invalid attributes"));
    };
    let enabled = match fields.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => return Err(bad_parameter("Invalid value for attributes.enabled")),
    };
    let time_field = |name: &str| -> Result<Option<Option<i64>>, ApiResponse> {
        match fields.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(value) => value
                .as_i64()
                .map(|secs| Some(Some(secs)))
                .ok_or_else(|| bad_parameter(&format!("Invalid value for attributes.{name}"))),
        }
    };
    Ok((enabled, time_field("nbf")?, time_field("exp")?))
}

fn parse_tags(
    value: Option<&Value>,
) -> Result<Option<Option<std::collections::BTreeMap<String, String>>>, ApiResponse> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(fields)) => {
            if fields.len() > 15 {
                return Err(bad_parameter("A maximum of 15 tags is allowed."));
            }
            let mut tags = std::collections::BTreeMap::new();
            for (key, value) in fields {
                let Some(text) = value.as_str() else {
                    return Err(bad_parameter("Tag values must be strings."));
                };
                tags.insert(key.clone(), text.to_owned());
            }
            Ok(Some(Some(tags)))
        }
        Some(_) => Err(bad_parameter("Invalid tags")),
    }
}

fn body(request: &ApiRequest) -> Result<Map<String, Value>, ApiResponse> {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(bad_parameter("The request body is not valid JSON.")),
    }
}

fn set_secret(tenant: &mut Tenant, name: &str, ctx: &KvCtx<'_>) -> Reply {
    check_name(name)?;
    let fields = body(ctx.request)?;
    let Some(value) = fields.get("value").and_then(Value::as_str) else {
        return Err(bad_parameter("Property 'value' is required."));
    };
    if value.len() > 25 * 1024 {
        return Err(bad_parameter(
            "The secret value exceeds the maximum size of 25 KB.",
        ));
    }
    let (enabled, nbf, exp) = parse_attributes(fields.get("attributes"))?;
    let tags = parse_tags(fields.get("tags"))?;
    let content_type = fields
        .get("contentType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let vault = tenant.vaults.entry(ctx.vault.clone()).or_default();
    let key = name.to_ascii_lowercase();
    if vault.deleted.contains_key(&key) {
        return Err(kv_error(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
            ),
            Some("ObjectIsDeletedButRecoverable"),
        ));
    }
    let now = now_secs();
    let version = SecretVersion {
        version: new_guid().replace('-', ""),
        value: value.to_owned(),
        content_type,
        tags: tags.flatten(),
        enabled: enabled.unwrap_or(true),
        nbf: nbf.flatten(),
        exp: exp.flatten(),
        created: now,
        updated: now,
    };
    let secret = vault.secrets.entry(key).or_insert_with(|| Secret {
        name: name.to_owned(),
        versions: Vec::new(),
    });
    secret.versions.push(version);
    let Some(latest) = secret.versions.last() else {
        return Err(not_found(name));
    };
    Ok(ApiResponse::ok(bundle(&ctx.vault_url, secret, latest, true, true)).changed())
}

fn find_version<'a>(
    vault: Option<&'a Vault>,
    name: &str,
    version: Option<&str>,
) -> Option<(&'a Secret, &'a SecretVersion)> {
    let secret = vault?.secrets.get(&name.to_ascii_lowercase())?;
    let found = match version.filter(|version| !version.is_empty()) {
        None => secret.versions.last(),
        Some(version) => secret
            .versions
            .iter()
            .find(|candidate| candidate.version.eq_ignore_ascii_case(version)),
    }?;
    Some((secret, found))
}

fn get_secret(tenant: &Tenant, name: &str, version: Option<&str>, ctx: &KvCtx<'_>) -> Reply {
    let (secret, found) = find_version(tenant.vaults.get(&ctx.vault), name, version)
        .ok_or_else(|| not_found(name))?;
    if !found.enabled {
        return Err(kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            Some("SecretDisabled"),
        ));
    }
    Ok(ApiResponse::ok(bundle(
        &ctx.vault_url,
        secret,
        found,
        true,
        true,
    )))
}

fn update_secret(tenant: &mut Tenant, name: &str, version: Option<&str>, ctx: &KvCtx<'_>) -> Reply {
    let fields = body(ctx.request)?;
    for key in fields.keys() {
        if !matches!(key.as_str(), "contentType" | "attributes" | "tags") {
            return Err(bad_parameter(&format!(
                "Property '{key}' cannot be updated; only contentType, attributes and tags can."
            )));
        }
    }
    let (enabled, nbf, exp) = parse_attributes(fields.get("attributes"))?;
    let tags = parse_tags(fields.get("tags"))?;
    let secret = tenant
        .vaults
        .get_mut(&ctx.vault)
        .and_then(|vault| vault.secrets.get_mut(&name.to_ascii_lowercase()))
        .ok_or_else(|| not_found(name))?;
    let index = match version.filter(|version| !version.is_empty()) {
        None => secret.versions.len().checked_sub(1),
        Some(version) => secret
            .versions
            .iter()
            .position(|candidate| candidate.version.eq_ignore_ascii_case(version)),
    }
    .ok_or_else(|| not_found(name))?;
    let target = &mut secret.versions[index];
    if let Some(enabled) = enabled {
        target.enabled = enabled;
    }
    if let Some(nbf) = nbf {
        target.nbf = nbf;
    }
    if let Some(exp) = exp {
        target.exp = exp;
    }
    if let Some(tags) = tags {
        target.tags = tags;
    }
    if let Some(content_type) = fields.get("contentType") {
        target.content_type = content_type.as_str().map(str::to_owned);
    }
    target.updated = now_secs();
    let result = bundle(&ctx.vault_url, secret, &secret.versions[index], false, true);
    Ok(ApiResponse::ok(result).changed())
}

fn delete_secret(tenant: &mut Tenant, name: &str, ctx: &KvCtx<'_>) -> Reply {
    let vault = tenant
        .vaults
        .get_mut(&ctx.vault)
        .ok_or_else(|| not_found(name))?;
    let secret = vault
        .secrets
        .remove(&name.to_ascii_lowercase())
        .ok_or_else(|| not_found(name))?;
    let now = now_secs();
    let deleted = DeletedSecret {
        secret,
        deleted_date: now,
        scheduled_purge_date: now + RECOVERABLE_DAYS * 86_400,
    };
    let response = deleted_bundle(&ctx.vault_url, &deleted, false);
    vault.deleted.insert(name.to_ascii_lowercase(), deleted);
    Ok(ApiResponse::ok(response).changed())
}

fn recover(tenant: &mut Tenant, name: &str, ctx: &KvCtx<'_>) -> Reply {
    let vault = tenant
        .vaults
        .get_mut(&ctx.vault)
        .ok_or_else(|| deleted_not_found(name))?;
    let key = name.to_ascii_lowercase();
    let deleted = vault
        .deleted
        .remove(&key)
        .ok_or_else(|| deleted_not_found(name))?;
    let secret = deleted.secret;
    let response = secret
        .versions
        .last()
        .map(|latest| bundle(&ctx.vault_url, &secret, latest, false, true))
        .unwrap_or(Value::Null);
    vault.secrets.insert(key, secret);
    Ok(ApiResponse::ok(response).changed())
}

fn page(items: Vec<(String, Value)>, ctx: &KvCtx<'_>, path: &str) -> Reply {
    let max = match ctx.request.query("maxresults") {
        None => MAX_RESULTS,
        Some(text) => match text.parse::<usize>() {
            Ok(value) if (1..=MAX_RESULTS).contains(&value) => value,
            _ => {
                return Err(bad_parameter(&format!(
                    "Invalid maxresults value: {text}. It must be between 1 and {MAX_RESULTS}."
                )));
            }
        },
    };
    let after = ctx.request.query("$skiptoken").map(str::to_owned);
    let mut items = items;
    items.sort_by(|left, right| left.0.cmp(&right.0));
    let start = after.as_ref().map_or(0, |after| {
        items
            .iter()
            .position(|(key, _)| key > after)
            .unwrap_or(items.len())
    });
    let end = (start + max).min(items.len());
    let next = if end < items.len() {
        let mut link = url::Url::parse(&format!("{}{path}", ctx.vault_url))
            .map_err(|_| bad_parameter("invalid vault url"))?;
        link.query_pairs_mut()
            .append_pair(
                "api-version",
                ctx.request.query("api-version").unwrap_or("7.4"),
            )
            .append_pair("$skiptoken", &items[end - 1].0)
            .append_pair("maxresults", &max.to_string());
        Value::from(link.to_string())
    } else {
        Value::Null
    };
    let value: Vec<Value> = items[start..end]
        .iter()
        .map(|(_, item)| item.clone())
        .collect();
    Ok(ApiResponse::ok(json!({ "value": value, "nextLink": next })))
}

fn list_secrets(tenant: &Tenant, versions_of: Option<&str>, ctx: &KvCtx<'_>) -> Reply {
    let vault = tenant.vaults.get(&ctx.vault);
    match versions_of {
        None => {
            let items = vault
                .into_iter()
                .flat_map(|vault| vault.secrets.iter())
                .filter_map(|(key, secret)| {
                    secret.versions.last().map(|latest| {
                        (
                            key.clone(),
                            bundle(&ctx.vault_url, secret, latest, false, false),
                        )
                    })
                })
                .collect();
            page(items, ctx, "/secrets")
        }
        Some(name) => {
            let secret = vault
                .and_then(|vault| vault.secrets.get(&name.to_ascii_lowercase()))
                .ok_or_else(|| not_found(name))?;
            let items = secret
                .versions
                .iter()
                .map(|version| {
                    (
                        version.version.clone(),
                        bundle(&ctx.vault_url, secret, version, false, true),
                    )
                })
                .collect();
            page(items, ctx, &format!("/secrets/{}/versions", secret.name))
        }
    }
}

fn list_deleted(tenant: &Tenant, ctx: &KvCtx<'_>) -> Reply {
    let items = tenant
        .vaults
        .get(&ctx.vault)
        .into_iter()
        .flat_map(|vault| vault.deleted.iter())
        .map(|(key, deleted)| (key.clone(), deleted_bundle(&ctx.vault_url, deleted, false)))
        .collect();
    page(items, ctx, "/deletedsecrets")
}
