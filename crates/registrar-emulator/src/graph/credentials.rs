//! Credentials: client secrets (`addPassword` / `removePassword`, on applications and on service
//! principals alike), certificates (`keyCredentials` through PATCH, also on service principals)
//! and federated identity credentials (applications only).

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng as _;
use serde_json::{Map, Value, json};
use sha1::{Digest as _, Sha1};

use super::{
    Ctx, FicKey, Key, Parent, application_id, check_keys, find_service_principal, with_context,
};
use crate::api::{ApiResponse, Reply, bad_request, graph_error, not_found};
use crate::odata::{self, Collection};
use crate::state::{Record, Tenant};
use crate::util::{graph_time, new_guid, now, parse_time, sha256_hex};

/// Default lifetime of a client secret: two years.
const DEFAULT_SECRET_LIFETIME: time::Duration = time::Duration::days(730);
/// At most this many federated identity credentials per application.
const MAX_FICS: usize = 20;

/// A 40-character secret in the style Entra issues (`xxx8Q~…`).
fn generate_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut rng = rand::rng();
    let mut secret = String::with_capacity(40);
    for _ in 0..3 {
        secret.push(char::from(ALPHABET[rng.random_range(0..62)]));
    }
    secret.push_str("8Q~");
    for _ in 0..34 {
        secret.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    secret
}

/// The record of the application or service principal a credential route names, or 404.
fn credential_owner<'t>(
    tenant: &'t mut Tenant,
    parent: &Parent,
    ctx: &Ctx<'_>,
) -> Result<&'t mut Record, ApiResponse> {
    match parent {
        Parent::Application(key) => {
            let id = application_id(tenant, key, ctx)?;
            tenant
                .applications
                .get_mut(&id)
                .ok_or_else(|| not_found(&id))
        }
        Parent::ServicePrincipal(key) => {
            let id = find_service_principal(tenant, key, ctx)?.id().to_owned();
            tenant
                .service_principal_mut(&id)
                .ok_or_else(|| not_found(&id))
        }
    }
}

pub(super) fn add_password(tenant: &mut Tenant, parent: &Parent, ctx: &Ctx<'_>) -> Reply {
    credential_owner(tenant, parent, ctx)?;
    let body = ctx.request.json_object()?;
    check_keys(&body, &["passwordCredential"])?;
    let requested = body
        .get("passwordCredential")
        .cloned()
        .unwrap_or(Value::Null);
    let requested = match requested {
        Value::Null => Map::new(),
        Value::Object(fields) => fields,
        _ => {
            return Err(bad_request(
                "Invalid value specified for property 'passwordCredential'.",
            ));
        }
    };
    check_keys(
        &requested,
        &[
            "displayName",
            "startDateTime",
            "endDateTime",
            "customKeyIdentifier",
            "keyId",
            "hint",
            "secretText",
        ],
    )?;
    let parse = |name: &str| -> Result<Option<time::OffsetDateTime>, ApiResponse> {
        match requested.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => parse_time(text)
                .map(Some)
                .ok_or_else(|| bad_request(&format!("Invalid value specified for property '{name}' of resource 'PasswordCredential'."))),
            Some(_) => Err(bad_request(&format!("Invalid value specified for property '{name}' of resource 'PasswordCredential'."))),
        }
    };
    let start = parse("startDateTime")?.unwrap_or_else(now);
    let end = parse("endDateTime")?.unwrap_or(start + DEFAULT_SECRET_LIFETIME);
    if end <= start {
        return Err(bad_request(
            "Key credential end date is invalid: endDateTime must be later than startDateTime.",
        ));
    }
    super::policies::check_add_password(
        tenant,
        parent,
        start,
        end,
        requested
            .get("secretText")
            .is_some_and(|text| !text.is_null()),
        ctx,
    )?;
    let secret = generate_secret();
    let key_id = new_guid();
    let display_name = requested.get("displayName").cloned().unwrap_or(Value::Null);
    let stored = json!({
        "customKeyIdentifier": null,
        "displayName": display_name,
        "endDateTime": graph_time(end),
        "hint": &secret[..3],
        "keyId": key_id,
        "secretText": null,
        "startDateTime": graph_time(start),
    });
    let record = credential_owner(tenant, parent, ctx)?;
    match record.object["passwordCredentials"].as_array_mut() {
        Some(list) => list.push(stored.clone()),
        None => record.object["passwordCredentials"] = json!([stored.clone()]),
    }
    record
        .secret_hashes
        .insert(key_id, sha256_hex(secret.as_bytes()));
    let mut response = stored;
    response["secretText"] = Value::from(secret);
    let context = format!(
        "{}/v1.0/$metadata#microsoft.graph.passwordCredential",
        ctx.request.base
    );
    Ok(ApiResponse::ok(with_context(context, &response)).changed())
}

pub(super) fn remove_password(tenant: &mut Tenant, parent: &Parent, ctx: &Ctx<'_>) -> Reply {
    credential_owner(tenant, parent, ctx)?;
    let body = ctx.request.json_object()?;
    check_keys(&body, &["keyId"])?;
    let Some(key_id) = body.get("keyId").and_then(Value::as_str) else {
        return Err(bad_request("Property 'keyId' is required."));
    };
    super::policies::check_remove_password(tenant, parent, ctx)?;
    let record = credential_owner(tenant, parent, ctx)?;
    let list = record.object["passwordCredentials"].as_array_mut();
    let Some(list) = list else {
        return Err(not_found(key_id));
    };
    let before = list.len();
    list.retain(|credential| {
        !credential["keyId"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(key_id))
    });
    if list.len() == before {
        return Err(graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("No password credential found with keyId '{key_id}'."),
        ));
    }
    record
        .secret_hashes
        .retain(|id, _| !id.eq_ignore_ascii_case(key_id));
    Ok(ApiResponse::no_content().changed())
}

/// Validates and completes a `keyCredentials` collection sent in POST/PATCH: each `key` must be a
/// base64 DER X.509 certificate; start/end default to its validity, `customKeyIdentifier` to its
/// SHA-1 thumbprint, `displayName` to its subject.
pub(super) fn normalize_key_credentials(
    sent: &Value,
    _existing: &Value,
) -> Result<Value, ApiResponse> {
    let invalid_collection = || {
        bad_request(
            "Invalid value specified for property 'keyCredentials' of resource 'Application'.",
        )
    };
    let Some(items) = sent.as_array() else {
        return if sent.is_null() {
            Ok(json!([]))
        } else {
            Err(invalid_collection())
        };
    };
    let mut out = Vec::new();
    for item in items {
        let fields = item.as_object().ok_or_else(invalid_collection)?;
        check_keys(
            fields,
            &[
                "customKeyIdentifier",
                "displayName",
                "endDateTime",
                "key",
                "keyId",
                "startDateTime",
                "type",
                "usage",
            ],
        )?;
        let kind = fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("AsymmetricX509Cert");
        let usage = fields
            .get("usage")
            .and_then(Value::as_str)
            .unwrap_or("Verify");
        if !matches!(
            (kind, usage),
            ("AsymmetricX509Cert", "Verify")
                | ("X509CertAndPassword", "Sign")
                | ("AsymmetricX509Cert", "Sign")
        ) {
            return Err(bad_request(&format!(
                "Key credential type '{kind}' with usage '{usage}' is not supported."
            )));
        }
        let key_id = fields
            .get("keyId")
            .and_then(Value::as_str)
            .map_or_else(new_guid, str::to_owned);
        let invalid_key = || {
            bad_request(&format!(
                "Key credential with keyId '{key_id}' is invalid: property 'key' must be a base64-encoded X.509 certificate."
            ))
        };
        let Some(key_text) = fields.get("key").and_then(Value::as_str) else {
            return Err(invalid_key());
        };
        let der = STANDARD
            .decode(key_text.trim())
            .map_err(|_| invalid_key())?;
        let (_, certificate) =
            x509_parser::parse_x509_certificate(&der).map_err(|_| invalid_key())?;
        let validity = certificate.validity();
        let not_before = time::OffsetDateTime::from_unix_timestamp(validity.not_before.timestamp())
            .map_err(|_| invalid_key())?;
        let not_after = time::OffsetDateTime::from_unix_timestamp(validity.not_after.timestamp())
            .map_err(|_| invalid_key())?;
        let start = match fields.get("startDateTime").and_then(Value::as_str) {
            Some(text) => parse_time(text).ok_or_else(|| bad_request("Invalid value specified for property 'startDateTime' of resource 'KeyCredential'."))?,
            None => not_before,
        };
        let end = match fields.get("endDateTime").and_then(Value::as_str) {
            Some(text) => parse_time(text).ok_or_else(|| bad_request("Invalid value specified for property 'endDateTime' of resource 'KeyCredential'."))?,
            None => not_after,
        };
        if end <= start {
            return Err(bad_request(&format!(
                "Key credential with keyId '{key_id}' is invalid: endDateTime must be later than startDateTime."
            )));
        }
        let thumbprint: String = Sha1::digest(&der)
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect();
        let custom = fields
            .get("customKeyIdentifier")
            .filter(|value| !value.is_null())
            .cloned()
            .unwrap_or(Value::from(thumbprint));
        let display = fields
            .get("displayName")
            .filter(|value| !value.is_null())
            .cloned()
            .unwrap_or_else(|| Value::from(certificate.subject().to_string()));
        out.push(json!({
            "customKeyIdentifier": custom,
            "displayName": display,
            "endDateTime": graph_time(end),
            "key": STANDARD.encode(&der),
            "keyId": key_id,
            "startDateTime": graph_time(start),
            "type": kind,
            "usage": usage,
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    if !out.iter().all(|credential| {
        ids.insert(
            credential["keyId"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        )
    }) {
        return Err(bad_request(
            "Property 'keyCredentials' has duplicate keyId values.",
        ));
    }
    Ok(Value::Array(out))
}

const FICS: Collection<'static> = Collection {
    context_name: "federatedIdentityCredentials",
    type_name: "microsoft.graph.federatedIdentityCredential",
    filterable: &["name", "subject", "issuer", "id"],
    path: "",
};

fn fic_odata_id(tenant: &Tenant, app_id: &str, fic_id: &str) -> String {
    format!(
        "https://graph.microsoft.com/v2/{}/directoryObjects/$/Microsoft.DirectoryServices.Application('{app_id}')/federatedIdentityCredentials/{fic_id}",
        tenant.tenant_id
    )
}

fn fic_context(ctx: &Ctx<'_>, app_id: &str) -> String {
    format!(
        "{}/v1.0/$metadata#applications('{app_id}')/federatedIdentityCredentials/$entity",
        ctx.request.base
    )
}

fn present_fic(tenant: &Tenant, app_id: &str, fic: &Value) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.id".into(),
        Value::from(fic_odata_id(
            tenant,
            app_id,
            fic["id"].as_str().unwrap_or_default(),
        )),
    );
    if let Value::Object(fields) = fic {
        for (key, value) in fields {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

pub(super) fn list_fics(tenant: &Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let id = application_id(tenant, key, ctx)?;
    let fics = tenant
        .applications
        .get(&id)
        .map(|record| record.federated_identity_credentials.clone())
        .unwrap_or_default();
    let path = ctx.request.path.trim_start_matches("/v1.0/").to_owned();
    let collection = Collection {
        path: &path,
        context_name: &format!("applications('{id}')/federatedIdentityCredentials"),
        ..FICS
    };
    let query = odata::list_query(ctx.request, &collection)?;
    odata::list_response(
        ctx.request,
        &collection,
        &query,
        fics.iter().collect(),
        |fic| present_fic(tenant, &id, fic),
    )
}

fn string_field(
    fields: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<String>, ApiResponse> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.len() <= max => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(bad_request(&format!(
            "Property '{name}' of resource 'FederatedIdentityCredential' exceeds the maximum length of {max} characters."
        ))),
        Some(_) => Err(bad_request(&format!(
            "Invalid value specified for property '{name}' of resource 'FederatedIdentityCredential'."
        ))),
    }
}

/// Validates a complete credential and checks the per-application rules.
fn validate_fic(existing: &[Value], fic: &Value, self_id: Option<&str>) -> Result<(), ApiResponse> {
    let name = fic["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        return Err(bad_request("Property 'name' is required."));
    }
    if !name
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | '~'))
    {
        return Err(bad_request(
            "Federated identity credential name must be URL-safe: letters, digits, '-', '_', '.', '~'.",
        ));
    }
    for required in ["issuer", "subject"] {
        if fic[required].as_str().is_none_or(str::is_empty) {
            return Err(bad_request(&format!("Property '{required}' is required.")));
        }
    }
    let audiences = fic["audiences"].as_array().cloned().unwrap_or_default();
    if audiences.len() != 1
        || !audiences[0]
            .as_str()
            .is_some_and(|audience| !audience.is_empty() && audience.len() <= 600)
    {
        return Err(bad_request(
            "Property 'audiences' must contain exactly one value of at most 600 characters.",
        ));
    }
    for other in existing {
        if self_id.is_some_and(|id| other["id"].as_str() == Some(id)) {
            continue;
        }
        if other["name"]
            .as_str()
            .is_some_and(|other_name| other_name.eq_ignore_ascii_case(name))
        {
            return Err(graph_error(
                StatusCode::CONFLICT,
                "Request_MultipleObjectsWithSameKeyValue",
                &format!("FederatedIdentityCredential with name {name} already exists."),
            ));
        }
        if other["issuer"] == fic["issuer"] && other["subject"] == fic["subject"] {
            return Err(bad_request(
                "FederatedIdentityCredential with the same issuer and subject already exists for this application.",
            ));
        }
    }
    Ok(())
}

fn build_fic(
    fields: &Map<String, Value>,
    id: String,
    name: Option<String>,
) -> Result<Value, ApiResponse> {
    check_keys(
        fields,
        &[
            "name",
            "issuer",
            "subject",
            "audiences",
            "description",
            "id",
        ],
    )?;
    let name = match name {
        Some(name) => Some(name),
        None => string_field(fields, "name", 120)?,
    };
    if name.as_ref().is_some_and(|name| name.len() > 120) {
        return Err(bad_request(
            "Property 'name' of resource 'FederatedIdentityCredential' exceeds the maximum length of 120 characters.",
        ));
    }
    Ok(json!({
        "id": id,
        "name": name,
        "issuer": string_field(fields, "issuer", 600)?,
        "subject": string_field(fields, "subject", 600)?,
        "description": string_field(fields, "description", 600)?,
        "audiences": fields.get("audiences").cloned().unwrap_or(json!([])),
    }))
}

fn insert_fic(
    tenant: &mut Tenant,
    app_id: &str,
    fields: &Map<String, Value>,
    name: Option<String>,
    ctx: &Ctx<'_>,
) -> Reply {
    let Some(record) = tenant.applications.get(app_id) else {
        return Err(not_found(app_id));
    };
    if record.federated_identity_credentials.len() >= MAX_FICS {
        return Err(bad_request(&format!(
            "The application has reached the limit of {MAX_FICS} federated identity credentials."
        )));
    }
    let fic = build_fic(fields, new_guid(), name)?;
    validate_fic(&record.federated_identity_credentials, &fic, None)?;
    if let Some(record) = tenant.applications.get_mut(app_id) {
        record.federated_identity_credentials.push(fic.clone());
    }
    let mut body = present_fic(tenant, app_id, &fic);
    body = with_context(fic_context(ctx, app_id), &body);
    Ok(ApiResponse::json(StatusCode::CREATED, body).changed())
}

pub(super) fn create_fic(tenant: &mut Tenant, key: &Key, ctx: &Ctx<'_>) -> Reply {
    let id = application_id(tenant, key, ctx)?;
    let body = ctx.request.json_object()?;
    insert_fic(tenant, &id, &body, None, ctx)
}

fn find_fic_index(fics: &[Value], key: &FicKey) -> Option<usize> {
    fics.iter().position(|fic| match key {
        FicKey::Name(name) => fic["name"]
            .as_str()
            .is_some_and(|value| value.eq_ignore_ascii_case(name)),
        FicKey::IdOrName(value) => {
            fic["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(value))
                || fic["name"]
                    .as_str()
                    .is_some_and(|name| name.eq_ignore_ascii_case(value))
        }
    })
}

fn describe(key: &FicKey) -> &str {
    match key {
        FicKey::Name(value) | FicKey::IdOrName(value) => value,
    }
}

pub(super) fn get_fic(tenant: &Tenant, key: &Key, fic_key: &FicKey, ctx: &Ctx<'_>) -> Reply {
    let id = application_id(tenant, key, ctx)?;
    let fics = tenant
        .applications
        .get(&id)
        .map(|record| record.federated_identity_credentials.as_slice())
        .unwrap_or_default();
    let index = find_fic_index(fics, fic_key).ok_or_else(|| not_found(describe(fic_key)))?;
    Ok(ApiResponse::ok(with_context(
        fic_context(ctx, &id),
        &present_fic(tenant, &id, &fics[index]),
    )))
}

pub(super) fn update_fic(tenant: &mut Tenant, key: &Key, fic_key: &FicKey, ctx: &Ctx<'_>) -> Reply {
    let id = application_id(tenant, key, ctx)?;
    let body = ctx.request.json_object()?;
    let fics = tenant
        .applications
        .get(&id)
        .map(|record| record.federated_identity_credentials.clone())
        .unwrap_or_default();
    let Some(index) = find_fic_index(&fics, fic_key) else {
        if let FicKey::Name(name) = fic_key
            && ctx.request.prefers_create_if_missing()
        {
            return insert_fic(tenant, &id, &body, Some(name.clone()), ctx);
        }
        return Err(not_found(describe(fic_key)));
    };
    check_keys(
        &body,
        &[
            "name",
            "issuer",
            "subject",
            "audiences",
            "description",
            "id",
        ],
    )?;
    let current = &fics[index];
    if let Some(name) = body.get("name")
        && !name
            .as_str()
            .zip(current["name"].as_str())
            .is_some_and(|(new, old)| new.eq_ignore_ascii_case(old))
    {
        return Err(bad_request(
            "Property 'name' is read-only and cannot be changed; delete and re-create the federated identity credential.",
        ));
    }
    let mut merged = current.as_object().cloned().unwrap_or_default();
    for (field, value) in &body {
        if !field.starts_with("@odata") && field != "id" {
            merged.insert(field.clone(), value.clone());
        }
    }
    let fic = build_fic(
        &merged,
        current["id"].as_str().unwrap_or_default().to_owned(),
        None,
    )?;
    validate_fic(&fics, &fic, current["id"].as_str())?;
    if let Some(record) = tenant.applications.get_mut(&id) {
        record.federated_identity_credentials[index] = fic;
    }
    Ok(ApiResponse::no_content().changed())
}

pub(super) fn delete_fic(tenant: &mut Tenant, key: &Key, fic_key: &FicKey, ctx: &Ctx<'_>) -> Reply {
    let id = application_id(tenant, key, ctx)?;
    let Some(record) = tenant.applications.get_mut(&id) else {
        return Err(not_found(&id));
    };
    let index = find_fic_index(&record.federated_identity_credentials, fic_key)
        .ok_or_else(|| not_found(describe(fic_key)))?;
    record.federated_identity_credentials.remove(index);
    Ok(ApiResponse::no_content().changed())
}
