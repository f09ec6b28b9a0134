//! The body of `POST` and `PATCH /v1.0/applications`: which properties a client may write, and
//! Graph's validation and merge of each (types, `signInAudience`, `identifierUris`, app roles and
//! delegated permission scopes, `requiredResourceAccess`, the redirect settings). The routes
//! themselves are in `applications`.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{check_keys, credentials};
use crate::api::{ApiResponse, bad_request, graph_error, graph_error_detail};
use crate::state::{Tenant, VERIFIED_DOMAINS};

const SIGN_IN_AUDIENCES: [&str; 4] = [
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
];

/// Properties a client may write on an application.
const WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "notes",
    "signInAudience",
    "identifierUris",
    "web",
    "spa",
    "publicClient",
    "isFallbackPublicClient",
    "isDeviceOnlyAuthSupported",
    "groupMembershipClaims",
    "serviceManagementReference",
    "info",
    "optionalClaims",
    "api",
    "appRoles",
    "requiredResourceAccess",
    "tags",
    "keyCredentials",
    "uniqueName",
    "tokenEncryptionKeyId",
    "parentalControlSettings",
    "defaultRedirectUri",
    "addIns",
    "samlMetadataUrl",
    "nativeAuthenticationApisEnabled",
    "requestSignatureVerification",
    "windows",
    "servicePrincipalLockConfiguration",
];

const READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "publisherDomain",
    "passwordCredentials",
    "applicationTemplateId",
    "disabledByMicrosoftStatus",
    "verifiedPublisher",
    "certification",
];

fn expect_string_or_null(name: &str, value: &Value) -> Result<(), ApiResponse> {
    if value.is_string() || value.is_null() {
        Ok(())
    } else {
        Err(bad_request(&format!(
            "Invalid value specified for property '{name}' of resource 'Application'."
        )))
    }
}

fn expect_bool_or_null(name: &str, value: &Value) -> Result<(), ApiResponse> {
    if value.is_boolean() || value.is_null() {
        Ok(())
    } else {
        Err(bad_request(&format!(
            "Invalid value specified for property '{name}' of resource 'Application'."
        )))
    }
}

fn string_array(name: &str, value: &Value) -> Result<Vec<String>, ApiResponse> {
    let invalid = || {
        bad_request(&format!(
            "Invalid value specified for property '{name}' of resource 'Application'."
        ))
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect(),
        _ => Err(invalid()),
    }
}

/// Merges a complex property: keys present replace, keys absent keep their values; nested
/// objects named in `nested` merge the same way; unknown keys are refused.
fn merge_complex(
    name: &str,
    existing: &Value,
    sent: &Value,
    allowed: &[&str],
    nested: &[(&str, &[&str])],
) -> Result<Value, ApiResponse> {
    let Some(sent_fields) = sent.as_object() else {
        if sent.is_null() {
            return Ok(existing.clone());
        }
        return Err(bad_request(&format!(
            "Invalid value specified for property '{name}' of resource 'Application'."
        )));
    };
    check_keys(sent_fields, allowed)?;
    let mut out = existing.as_object().cloned().unwrap_or_default();
    for (key, value) in sent_fields {
        if key.starts_with("@odata") {
            continue;
        }
        if let Some((_, nested_allowed)) = nested.iter().find(|(nested_name, _)| nested_name == key)
        {
            let current = out.get(key).cloned().unwrap_or(Value::Null);
            out.insert(
                key.clone(),
                merge_complex(key, &current, value, nested_allowed, &[])?,
            );
        } else {
            out.insert(key.clone(), strip_odata(value));
        }
    }
    Ok(Value::Object(out))
}

/// Removes `@odata.*` annotations at every level.
fn strip_odata(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(key, _)| !key.starts_with("@odata"))
                .map(|(key, value)| (key.clone(), strip_odata(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_odata).collect()),
        other => other.clone(),
    }
}

fn check_identifier_uris(
    tenant: &Tenant,
    self_id: &str,
    uris: &[String],
) -> Result<(), ApiResponse> {
    for uri in uris {
        let lower = uri.to_ascii_lowercase();
        if lower.starts_with("api://") && uri.len() > "api://".len() {
            // any api:// URI is accepted
        } else if let Some(rest) = lower.strip_prefix("https://") {
            let host = rest.split(['/', ':', '?', '#']).next().unwrap_or_default();
            let verified = VERIFIED_DOMAINS
                .iter()
                .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")));
            if !verified {
                return Err(bad_request(&format!(
                    "Values of identifierUris property must use a verified domain of the organization or its subdomain: '{uri}'"
                )));
            }
        } else {
            return Err(bad_request(&format!(
                "Values of identifierUris property must use a verified domain of the organization or its subdomain: '{uri}'"
            )));
        }
        let duplicate = tenant.applications.values().any(|record| {
            record.id() != self_id
                && record.object["identifierUris"]
                    .as_array()
                    .is_some_and(|taken| {
                        taken.iter().any(|value| {
                            value
                                .as_str()
                                .is_some_and(|value| value.eq_ignore_ascii_case(uri))
                        })
                    })
        });
        if duplicate {
            return Err(graph_error_detail(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Another object with the same value for property identifierUris already exists.",
                "ObjectConflict",
                "identifierUris",
            ));
        }
    }
    let mut seen = BTreeSet::new();
    if !uris.iter().all(|uri| seen.insert(uri.to_ascii_lowercase())) {
        return Err(bad_request("Property identifierUris has duplicate values."));
    }
    Ok(())
}

fn valid_permission_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 120
        && !value.starts_with('.')
        && value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ":!#$%&'()*+,-./;<=>?@[]^_`{|}~".contains(ch))
}

/// Normalizes appRoles or oauth2PermissionScopes and enforces "disable before delete".
fn entitlements(kind: &str, existing: &Value, sent: &Value) -> Result<Value, ApiResponse> {
    let Some(items) = sent.as_array() else {
        if sent.is_null() {
            return Ok(json!([]));
        }
        return Err(bad_request(&format!(
            "Invalid value specified for property '{kind}' of resource 'Application'."
        )));
    };
    let is_role = kind == "appRoles";
    let allowed: &[&str] = if is_role {
        &[
            "allowedMemberTypes",
            "description",
            "displayName",
            "id",
            "isEnabled",
            "origin",
            "value",
        ]
    } else {
        &[
            "adminConsentDescription",
            "adminConsentDisplayName",
            "id",
            "isEnabled",
            "origin",
            "type",
            "userConsentDescription",
            "userConsentDisplayName",
            "value",
        ]
    };
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut values = BTreeSet::new();
    for item in items {
        let Some(fields) = item.as_object() else {
            return Err(bad_request(&format!(
                "Invalid value specified for property '{kind}' of resource 'Application'."
            )));
        };
        check_keys(fields, allowed)?;
        let id = fields.get("id").and_then(Value::as_str).unwrap_or_default();
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(bad_request(&format!(
                "Property '{kind}.id' must be a GUID."
            )));
        }
        if !ids.insert(id.to_ascii_lowercase()) {
            return Err(bad_request(&format!(
                "Property '{kind}' has duplicate id '{id}'."
            )));
        }
        let value = fields.get("value").cloned().unwrap_or(Value::Null);
        if let Some(text) = value.as_str() {
            if !valid_permission_value(text) {
                return Err(bad_request(&format!(
                    "Property '{kind}.value' is invalid: '{text}'. It may not contain spaces and must be at most 120 characters."
                )));
            }
            if !values.insert(text.to_owned()) {
                return Err(bad_request(&format!(
                    "Property '{kind}' has duplicate value '{text}'."
                )));
            }
        }
        let mut entry = Map::new();
        if is_role {
            let member_types = fields
                .get("allowedMemberTypes")
                .cloned()
                .unwrap_or(json!([]));
            let valid = member_types.as_array().is_some_and(|types| {
                !types.is_empty()
                    && types
                        .iter()
                        .all(|kind| matches!(kind.as_str(), Some("User" | "Application")))
            });
            if !valid {
                return Err(bad_request(
                    "Property 'appRoles.allowedMemberTypes' must contain 'User' and/or 'Application'.",
                ));
            }
            entry.insert("allowedMemberTypes".into(), member_types);
            entry.insert(
                "description".into(),
                fields.get("description").cloned().unwrap_or(Value::Null),
            );
            entry.insert(
                "displayName".into(),
                fields.get("displayName").cloned().unwrap_or(Value::Null),
            );
            entry.insert("id".into(), Value::from(id));
            entry.insert(
                "isEnabled".into(),
                fields
                    .get("isEnabled")
                    .cloned()
                    .unwrap_or(Value::Bool(true)),
            );
            entry.insert("origin".into(), Value::from("Application"));
            entry.insert("value".into(), value);
        } else {
            let scope_type = fields.get("type").cloned().unwrap_or(Value::from("User"));
            if !matches!(scope_type.as_str(), Some("User" | "Admin")) {
                return Err(bad_request(
                    "Property 'oauth2PermissionScopes.type' must be 'User' or 'Admin'.",
                ));
            }
            for name in ["adminConsentDescription", "adminConsentDisplayName"] {
                entry.insert(
                    name.into(),
                    fields.get(name).cloned().unwrap_or(Value::Null),
                );
            }
            entry.insert("id".into(), Value::from(id));
            entry.insert(
                "isEnabled".into(),
                fields
                    .get("isEnabled")
                    .cloned()
                    .unwrap_or(Value::Bool(true)),
            );
            entry.insert("type".into(), scope_type);
            for name in ["userConsentDescription", "userConsentDisplayName"] {
                entry.insert(
                    name.into(),
                    fields.get(name).cloned().unwrap_or(Value::Null),
                );
            }
            entry.insert("value".into(), value);
        }
        out.push(Value::Object(entry));
    }
    // An enabled entitlement can be neither removed nor have its value changed in one step.
    let cannot = || {
        graph_error(
            StatusCode::BAD_REQUEST,
            "CannotDeleteOrUpdateEnabledEntitlement",
            "Permission (scope or role) cannot be deleted or updated unless disabled first.",
        )
    };
    for old in existing.as_array().into_iter().flatten() {
        if old["isEnabled"] != Value::Bool(true) {
            continue;
        }
        let old_id = old["id"].as_str().unwrap_or_default();
        match out.iter().find(|new| {
            new["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(old_id))
        }) {
            None => return Err(cannot()),
            Some(new) if new["value"] != old["value"] => return Err(cannot()),
            Some(_) => {}
        }
    }
    Ok(Value::Array(out))
}

fn required_resource_access(sent: &Value) -> Result<Value, ApiResponse> {
    let invalid = || {
        bad_request(
            "Invalid value specified for property 'requiredResourceAccess' of resource 'Application'.",
        )
    };
    let Some(items) = sent.as_array() else {
        return if sent.is_null() {
            Ok(json!([]))
        } else {
            Err(invalid())
        };
    };
    if items.len() > 50 {
        return Err(bad_request(
            "The number of resources in requiredResourceAccess exceeds the limit of 50.",
        ));
    }
    let mut total = 0;
    let mut out = Vec::new();
    for item in items {
        let fields = item.as_object().ok_or_else(invalid)?;
        check_keys(fields, &["resourceAppId", "resourceAccess"])?;
        let resource = fields
            .get("resourceAppId")
            .and_then(Value::as_str)
            .filter(|resource| uuid::Uuid::parse_str(resource).is_ok())
            .ok_or_else(invalid)?;
        let mut accesses = Vec::new();
        for access in fields
            .get("resourceAccess")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let access = access.as_object().ok_or_else(invalid)?;
            check_keys(access, &["id", "type"])?;
            let id = access
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            let kind = access
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            if uuid::Uuid::parse_str(id).is_err() || !matches!(kind, "Scope" | "Role") {
                return Err(invalid());
            }
            accesses.push(json!({ "id": id, "type": kind }));
        }
        total += accesses.len();
        out.push(json!({ "resourceAppId": resource, "resourceAccess": accesses }));
    }
    if total > 400 {
        return Err(bad_request(
            "The total number of permissions in requiredResourceAccess exceeds the limit of 400.",
        ));
    }
    Ok(Value::Array(out))
}

/// Applies a POST or PATCH body to `object`, validating as Graph does.
pub(super) fn apply_body(
    tenant: &Tenant,
    object: &mut Value,
    body: Map<String, Value>,
    is_create: bool,
) -> Result<(), ApiResponse> {
    for key in body.keys() {
        if key.starts_with("@odata") {
            continue;
        }
        if key == "passwordCredentials" {
            return Err(bad_request(
                "Property 'passwordCredentials' cannot be set with this request; use the addPassword action.",
            ));
        }
        if READ_ONLY.contains(&key.as_str()) {
            return Err(bad_request(&format!(
                "Property '{key}' is read-only and cannot be set."
            )));
        }
    }
    check_keys(&body, WRITABLE)?;
    let self_id = object["id"].as_str().unwrap_or_default().to_owned();
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    for (key, value) in body {
        if !key.starts_with("@odata") {
            fields.insert(key, value);
        }
    }
    for (key, value) in fields {
        let new_value = match key.as_str() {
            "displayName" => {
                if !value.is_string() {
                    return Err(bad_request(
                        "Property 'displayName' must be a non-null string.",
                    ));
                }
                value
            }
            "description"
            | "notes"
            | "serviceManagementReference"
            | "groupMembershipClaims"
            | "uniqueName"
            | "tokenEncryptionKeyId"
            | "defaultRedirectUri"
            | "samlMetadataUrl" => {
                expect_string_or_null(&key, &value)?;
                if key == "groupMembershipClaims"
                    && let Some(text) = value.as_str()
                    && !text.split(',').all(|part| {
                        matches!(
                            part.trim(),
                            "None" | "SecurityGroup" | "All" | "ApplicationGroup" | "DirectoryRole"
                        )
                    })
                {
                    return Err(bad_request(&format!(
                        "Invalid value specified for property 'groupMembershipClaims' of resource 'Application': '{text}'."
                    )));
                }
                value
            }
            "isFallbackPublicClient"
            | "isDeviceOnlyAuthSupported"
            | "nativeAuthenticationApisEnabled" => {
                expect_bool_or_null(&key, &value)?;
                value
            }
            "signInAudience" => match value.as_str() {
                Some(audience) if SIGN_IN_AUDIENCES.contains(&audience) => value,
                _ => {
                    return Err(bad_request(&format!(
                        "Invalid value specified for property 'signInAudience' of resource 'Application': '{}'.",
                        value.as_str().unwrap_or("null")
                    )));
                }
            },
            "identifierUris" | "tags" => {
                let items = string_array(&key, &value)?;
                if key == "identifierUris" {
                    check_identifier_uris(tenant, &self_id, &items)?;
                }
                json!(items)
            }
            "web" => {
                let merged = merge_complex(
                    "web",
                    &object["web"],
                    &value,
                    &[
                        "homePageUrl",
                        "logoutUrl",
                        "redirectUris",
                        "implicitGrantSettings",
                        "redirectUriSettings",
                    ],
                    &[(
                        "implicitGrantSettings",
                        &["enableIdTokenIssuance", "enableAccessTokenIssuance"],
                    )],
                )?;
                sync_redirect_settings(merged, value.as_object())
            }
            "spa" | "publicClient" => {
                merge_complex(&key, &object[key.as_str()], &value, &["redirectUris"], &[])?
            }
            "info" => merge_complex(
                "info",
                &object["info"],
                &value,
                &[
                    "logoUrl",
                    "marketingUrl",
                    "privacyStatementUrl",
                    "supportUrl",
                    "termsOfServiceUrl",
                ],
                &[],
            )?,
            "parentalControlSettings" => merge_complex(
                "parentalControlSettings",
                &object["parentalControlSettings"],
                &value,
                &["countriesBlockedForMinors", "legalAgeGroupRule"],
                &[],
            )?,
            "optionalClaims" => {
                if value.is_null() {
                    Value::Null
                } else {
                    let merged = merge_complex(
                        "optionalClaims",
                        &json!({ "accessToken": [], "idToken": [], "saml2Token": [] }),
                        &value,
                        &["accessToken", "idToken", "saml2Token"],
                        &[],
                    )?;
                    for list in ["accessToken", "idToken", "saml2Token"] {
                        for claim in merged[list].as_array().into_iter().flatten() {
                            let claim = claim
                                .as_object()
                                .ok_or_else(|| bad_request("Invalid optional claim."))?;
                            check_keys(
                                claim,
                                &["name", "source", "essential", "additionalProperties"],
                            )?;
                        }
                    }
                    merged
                }
            }
            "api" => {
                let sent = value.as_object().cloned().unwrap_or_default();
                let mut merged = merge_complex(
                    "api",
                    &object["api"],
                    &value,
                    &[
                        "requestedAccessTokenVersion",
                        "oauth2PermissionScopes",
                        "knownClientApplications",
                        "preAuthorizedApplications",
                        "acceptMappedClaims",
                    ],
                    &[],
                )?;
                if let Some(scopes) = sent.get("oauth2PermissionScopes") {
                    merged["oauth2PermissionScopes"] = entitlements(
                        "oauth2PermissionScopes",
                        &object["api"]["oauth2PermissionScopes"],
                        scopes,
                    )?;
                }
                let guids = |value: &Value| {
                    value.as_array().is_none_or(|items| {
                        items.iter().all(|item| {
                            item.as_str()
                                .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
                        })
                    })
                };
                let pre_authorized_ok =
                    merged["preAuthorizedApplications"]
                        .as_array()
                        .is_none_or(|clients| {
                            clients.iter().all(|client| {
                                client["appId"]
                                    .as_str()
                                    .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
                                    && guids(&client["delegatedPermissionIds"])
                            })
                        });
                if !guids(&merged["knownClientApplications"]) || !pre_authorized_ok {
                    return Err(bad_request(
                        "Invalid value specified for property 'api' of resource 'Application'.",
                    ));
                }
                if !matches!(merged["requestedAccessTokenVersion"], Value::Null)
                    && !matches!(merged["requestedAccessTokenVersion"].as_i64(), Some(1 | 2))
                {
                    return Err(bad_request(
                        "Property api.requestedAccessTokenVersion is invalid.",
                    ));
                }
                merged
            }
            "appRoles" => entitlements("appRoles", &object["appRoles"], &value)?,
            "requiredResourceAccess" => required_resource_access(&value)?,
            "keyCredentials" => {
                credentials::normalize_key_credentials(&value, &object["keyCredentials"])?
            }
            "servicePrincipalLockConfiguration" => super::policies::normalize_lock(&value)?,
            _ => strip_odata(&value),
        };
        object[key.as_str()] = new_value;
    }
    let audience = object["signInAudience"].as_str().unwrap_or_default();
    if matches!(
        audience,
        "AzureADandPersonalMicrosoftAccount" | "PersonalMicrosoftAccount"
    ) && object["api"]["requestedAccessTokenVersion"].as_i64() != Some(2)
    {
        return Err(bad_request(
            "Property api.requestedAccessTokenVersion is invalid.",
        ));
    }
    if is_create && object["displayName"].is_null() {
        return Err(bad_request("Property 'displayName' is required."));
    }
    Ok(())
}

/// Keeps `web.redirectUris` and `web.redirectUriSettings` consistent, as Graph does.
fn sync_redirect_settings(mut web: Value, sent: Option<&Map<String, Value>>) -> Value {
    let sent_settings = sent.is_some_and(|sent| sent.contains_key("redirectUriSettings"));
    let sent_uris = sent.is_some_and(|sent| sent.contains_key("redirectUris"));
    if sent_settings && !sent_uris {
        let uris: Vec<Value> = web["redirectUriSettings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|setting| setting.get("uri").cloned())
            .collect();
        web["redirectUris"] = Value::Array(uris);
    } else {
        let settings: Vec<Value> = web["redirectUris"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|uri| json!({ "uri": uri, "index": null }))
            .collect();
        web["redirectUriSettings"] = Value::Array(settings);
    }
    web
}
