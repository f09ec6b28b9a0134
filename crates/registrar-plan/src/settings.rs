//! Comparable settings: ordering desired collections like the live ones (Graph treats them as
//! sets), flattening [`ApplicationSettings`] into named attributes, and diffing attributes.

use registrar_model::{
    ApplicationSettings, OptionalClaim, OptionalClaims, PermissionScope, PreAuthorizedApplication,
    RequiredResourceAccess, ServicePrincipalSettings,
};
use serde_json::{Map, Value, json};

/// Keeps the live order: first the desired entries that match a live entry, in the live
/// order, then the new ones in desired order. Duplicate desired entries are dropped.
pub(crate) fn order_like<T: Clone>(
    live: &[T],
    desired: Vec<T>,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<T> {
    let mut remaining: Vec<T> = Vec::with_capacity(desired.len());
    for entry in desired {
        if !remaining.iter().any(|kept| same(kept, &entry)) {
            remaining.push(entry);
        }
    }
    let mut ordered = Vec::with_capacity(remaining.len());
    for live_entry in live {
        if let Some(position) = remaining.iter().position(|entry| same(live_entry, entry)) {
            ordered.push(remaining.remove(position));
        }
    }
    ordered.extend(remaining);
    ordered
}

fn strings_like(live: &[String], desired: Vec<String>) -> Vec<String> {
    order_like(live, desired, |a, b| a == b)
}

fn ids_like(live: &[String], desired: Vec<String>) -> Vec<String> {
    order_like(live, desired, |a, b| a.eq_ignore_ascii_case(b))
}

fn claims_like(live: &[OptionalClaim], desired: Vec<OptionalClaim>) -> Vec<OptionalClaim> {
    let ordered = order_like(live, desired, |a, b| {
        a.name == b.name && a.source == b.source
    });
    ordered
        .into_iter()
        .map(|mut claim| {
            if let Some(live_claim) = live
                .iter()
                .find(|l| l.name == claim.name && l.source == claim.source)
            {
                claim.additional_properties = strings_like(
                    &live_claim.additional_properties,
                    std::mem::take(&mut claim.additional_properties),
                );
            }
            claim
        })
        .collect()
}

/// Reorders every set-like collection of `desired` like `live`, so that equal sets compare
/// equal and an update keeps the live order of unchanged entries.
pub(crate) fn normalize_application(live: &ApplicationSettings, desired: &mut ApplicationSettings) {
    desired.identifier_uris = strings_like(
        &live.identifier_uris,
        std::mem::take(&mut desired.identifier_uris),
    );
    desired.tags = strings_like(&live.tags, std::mem::take(&mut desired.tags));
    desired.web.redirect_uris = strings_like(
        &live.web.redirect_uris,
        std::mem::take(&mut desired.web.redirect_uris),
    );
    desired.spa_redirect_uris = strings_like(
        &live.spa_redirect_uris,
        std::mem::take(&mut desired.spa_redirect_uris),
    );
    desired.public_client_redirect_uris = strings_like(
        &live.public_client_redirect_uris,
        std::mem::take(&mut desired.public_client_redirect_uris),
    );
    let claims = &mut desired.optional_claims;
    claims.id_token = claims_like(
        &live.optional_claims.id_token,
        std::mem::take(&mut claims.id_token),
    );
    claims.access_token = claims_like(
        &live.optional_claims.access_token,
        std::mem::take(&mut claims.access_token),
    );
    claims.saml2_token = claims_like(
        &live.optional_claims.saml2_token,
        std::mem::take(&mut claims.saml2_token),
    );

    let api = &mut desired.api;
    api.known_client_applications = ids_like(
        &live.api.known_client_applications,
        std::mem::take(&mut api.known_client_applications),
    );
    api.pre_authorized_applications = order_like(
        &live.api.pre_authorized_applications,
        std::mem::take(&mut api.pre_authorized_applications),
        |a, b| a.app_id.eq_ignore_ascii_case(&b.app_id),
    )
    .into_iter()
    .map(|mut entry: PreAuthorizedApplication| {
        if let Some(live_entry) = live
            .api
            .pre_authorized_applications
            .iter()
            .find(|l| l.app_id.eq_ignore_ascii_case(&entry.app_id))
        {
            entry.delegated_permission_ids = ids_like(
                &live_entry.delegated_permission_ids,
                std::mem::take(&mut entry.delegated_permission_ids),
            );
        }
        entry
    })
    .collect();
    api.oauth2_permission_scopes = order_like(
        &live.api.oauth2_permission_scopes,
        std::mem::take(&mut api.oauth2_permission_scopes),
        |a: &PermissionScope, b| a.value == b.value,
    );
    desired.app_roles = order_like(
        &live.app_roles,
        std::mem::take(&mut desired.app_roles),
        |a, b| a.value == b.value,
    )
    .into_iter()
    .map(|mut role| {
        if let Some(live_role) = live.app_roles.iter().find(|l| l.value == role.value) {
            role.allowed_member_types = strings_like(
                &live_role.allowed_member_types,
                std::mem::take(&mut role.allowed_member_types),
            );
        }
        role
    })
    .collect();
    desired.required_resource_access = order_like(
        &live.required_resource_access,
        std::mem::take(&mut desired.required_resource_access),
        |a, b| a.resource_app_id.eq_ignore_ascii_case(&b.resource_app_id),
    )
    .into_iter()
    .map(|mut entry: RequiredResourceAccess| {
        if let Some(live_entry) = live.required_resource_access.iter().find(|l| {
            l.resource_app_id
                .eq_ignore_ascii_case(&entry.resource_app_id)
        }) {
            entry.resource_access = order_like(
                &live_entry.resource_access,
                std::mem::take(&mut entry.resource_access),
                |a, b| a.id.eq_ignore_ascii_case(&b.id) && a.access_type == b.access_type,
            );
        }
        entry
    })
    .collect();
}

/// Reorders the service principal's tags like the live ones.
pub(crate) fn normalize_service_principal(
    live: &ServicePrincipalSettings,
    desired: &mut ServicePrincipalSettings,
) {
    desired.tags = strings_like(&live.tags, std::mem::take(&mut desired.tags));
}

/// One named attribute of an object, as the plan shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attribute {
    /// The plan's name, e.g. `web.redirect_uris`.
    pub(crate) name: &'static str,
    /// The top-level [`ApplicationSettings`] field it belongs to (what a PATCH sends).
    pub(crate) field: &'static str,
    /// Its value.
    pub(crate) value: Value,
}

/// Describes ids for the reader: the display name of an API by appId, and the value of a
/// permission by (API appId, permission id).
pub(crate) trait Describe {
    /// An API's name.
    fn resource(&self, app_id: &str) -> Option<String>;
    /// A permission's value.
    fn permission(&self, app_id: &str, id: &str) -> Option<String>;
}

fn opt(value: &Option<String>) -> Value {
    value
        .as_ref()
        .map_or(Value::Null, |text| Value::String(text.clone()))
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

fn claims(values: &[OptionalClaim]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|claim| {
                json!({
                    "name": claim.name,
                    "source": claim.source,
                    "essential": claim.essential,
                    "additional_properties": claim.additional_properties,
                })
            })
            .collect(),
    )
}

fn optional_claims(claims_of: &OptionalClaims) -> [(&'static str, Value); 3] {
    [
        ("optional_claims.id_token", claims(&claims_of.id_token)),
        (
            "optional_claims.access_token",
            claims(&claims_of.access_token),
        ),
        (
            "optional_claims.saml2_token",
            claims(&claims_of.saml2_token),
        ),
    ]
}

/// Every attribute of an application, in a fixed order.
pub(crate) fn application_attributes(
    settings: &ApplicationSettings,
    describe: &dyn Describe,
) -> Vec<Attribute> {
    let attribute = |name, field, value| Attribute { name, field, value };
    let web = &settings.web;
    let info = &settings.info;
    let api = &settings.api;
    let mut attributes = vec![
        attribute(
            "display_name",
            "display_name",
            Value::String(settings.display_name.clone()),
        ),
        attribute("description", "description", opt(&settings.description)),
        attribute("notes", "notes", opt(&settings.notes)),
        attribute(
            "sign_in_audience",
            "sign_in_audience",
            Value::String(settings.sign_in_audience.clone()),
        ),
        attribute(
            "identifier_uris",
            "identifier_uris",
            strings(&settings.identifier_uris),
        ),
        attribute("tags", "tags", strings(&settings.tags)),
        attribute("web.home_page_url", "web", opt(&web.home_page_url)),
        attribute("web.logout_url", "web", opt(&web.logout_url)),
        attribute("web.redirect_uris", "web", strings(&web.redirect_uris)),
        attribute(
            "web.implicit_grant.access_tokens",
            "web",
            Value::Bool(web.implicit_grant_access_tokens),
        ),
        attribute(
            "web.implicit_grant.id_tokens",
            "web",
            Value::Bool(web.implicit_grant_id_tokens),
        ),
        attribute(
            "spa.redirect_uris",
            "spa_redirect_uris",
            strings(&settings.spa_redirect_uris),
        ),
        attribute(
            "public_client.redirect_uris",
            "public_client_redirect_uris",
            strings(&settings.public_client_redirect_uris),
        ),
        attribute(
            "allow_public_client_flows",
            "is_fallback_public_client",
            Value::Bool(settings.is_fallback_public_client),
        ),
        attribute(
            "group_membership_claims",
            "group_membership_claims",
            opt(&settings.group_membership_claims),
        ),
        attribute(
            "service_management_reference",
            "service_management_reference",
            opt(&settings.service_management_reference),
        ),
        attribute("info.marketing_url", "info", opt(&info.marketing_url)),
        attribute(
            "info.privacy_statement_url",
            "info",
            opt(&info.privacy_statement_url),
        ),
        attribute("info.support_url", "info", opt(&info.support_url)),
        attribute(
            "info.terms_of_service_url",
            "info",
            opt(&info.terms_of_service_url),
        ),
    ];
    for (name, value) in optional_claims(&settings.optional_claims) {
        attributes.push(attribute(name, "optional_claims", value));
    }
    attributes.push(attribute(
        "api.requested_access_token_version",
        "api",
        api.requested_access_token_version
            .map_or(Value::Null, Value::from),
    ));
    attributes.push(attribute(
        "api.known_client_applications",
        "api",
        strings(&api.known_client_applications),
    ));
    attributes.push(attribute(
        "api.pre_authorized_applications",
        "api",
        Value::Array(
            api.pre_authorized_applications
                .iter()
                .map(|entry| json!({"app_id": entry.app_id, "delegated_permission_ids": entry.delegated_permission_ids}))
                .collect(),
        ),
    ));
    attributes.push(attribute(
        "api.oauth2_permission_scopes",
        "api",
        Value::Array(
            api.oauth2_permission_scopes
                .iter()
                .map(|scope| {
                    json!({
                        "value": scope.value,
                        "id": scope.id,
                        "type": scope.scope_type,
                        "is_enabled": scope.is_enabled,
                        "admin_consent_display_name": scope.admin_consent_display_name,
                        "admin_consent_description": scope.admin_consent_description,
                        "user_consent_display_name": scope.user_consent_display_name,
                        "user_consent_description": scope.user_consent_description,
                    })
                })
                .collect(),
        ),
    ));
    attributes.push(attribute(
        "app_roles",
        "app_roles",
        Value::Array(
            settings
                .app_roles
                .iter()
                .map(|role| {
                    json!({
                        "value": role.value,
                        "id": role.id,
                        "display_name": role.display_name,
                        "description": role.description,
                        "allowed_member_types": role.allowed_member_types,
                        "is_enabled": role.is_enabled,
                    })
                })
                .collect(),
        ),
    ));
    attributes.push(attribute(
        "required_resource_access",
        "required_resource_access",
        Value::Array(
            settings
                .required_resource_access
                .iter()
                .map(|entry| {
                    let mut object = Map::new();
                    object.insert(
                        "resource_app_id".into(),
                        Value::String(entry.resource_app_id.clone()),
                    );
                    if let Some(name) = describe.resource(&entry.resource_app_id) {
                        object.insert("resource".into(), Value::String(name));
                    }
                    let access = entry
                        .resource_access
                        .iter()
                        .map(|access| {
                            let mut item = Map::new();
                            if let Some(value) =
                                describe.permission(&entry.resource_app_id, &access.id)
                            {
                                item.insert("value".into(), Value::String(value));
                            }
                            item.insert("id".into(), Value::String(access.id.clone()));
                            item.insert("type".into(), Value::String(access.access_type.clone()));
                            Value::Object(item)
                        })
                        .collect();
                    object.insert("resource_access".into(), Value::Array(access));
                    Value::Object(object)
                })
                .collect(),
        ),
    ));
    attributes
}

/// Every attribute of a service principal.
pub(crate) fn service_principal_attributes(settings: &ServicePrincipalSettings) -> Vec<Attribute> {
    vec![
        Attribute {
            name: "app_role_assignment_required",
            field: "app_role_assignment_required",
            value: Value::Bool(settings.app_role_assignment_required),
        },
        Attribute {
            name: "tags",
            field: "tags",
            value: strings(&settings.tags),
        },
        Attribute {
            name: "notes",
            field: "notes",
            value: opt(&settings.notes),
        },
    ]
}

/// The attributes that differ, as (before, after) maps, and the fields they belong to (in
/// attribute order, without repeats). Attributes named in `unknown` are left out of `after`.
pub(crate) fn diff_attributes(
    before: &[Attribute],
    after: &[Attribute],
    unknown: &[String],
) -> (Map<String, Value>, Map<String, Value>, Vec<String>) {
    let mut before_map = Map::new();
    let mut after_map = Map::new();
    let mut fields: Vec<String> = Vec::new();
    for new in after {
        let old = before.iter().find(|attribute| attribute.name == new.name);
        let is_unknown = unknown.iter().any(|name| name == new.name);
        let changed = is_unknown || old.is_none_or(|old| old.value != new.value);
        if !changed {
            continue;
        }
        if let Some(old) = old {
            before_map.insert(old.name.to_owned(), old.value.clone());
        }
        if !is_unknown {
            after_map.insert(new.name.to_owned(), new.value.clone());
        }
        if !fields.iter().any(|field| field == new.field) {
            fields.push(new.field.to_owned());
        }
    }
    (before_map, after_map, fields)
}

/// All attributes as one map, leaving out those named in `unknown`.
pub(crate) fn attribute_map(attributes: &[Attribute], unknown: &[String]) -> Map<String, Value> {
    attributes
        .iter()
        .filter(|attribute| !unknown.iter().any(|name| name == attribute.name))
        .map(|attribute| (attribute.name.to_owned(), attribute.value.clone()))
        .collect()
}

/// The top-level fields of every attribute (for a PATCH that sends everything).
pub(crate) fn all_fields(attributes: &[Attribute]) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for attribute in attributes {
        if !fields.iter().any(|field| field == attribute.field) {
            fields.push(attribute.field.to_owned());
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_like_keeps_live_order_then_appends_new() {
        let live = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let desired = vec![
            "d".to_owned(),
            "c".to_owned(),
            "a".to_owned(),
            "a".to_owned(),
        ];
        assert_eq!(strings_like(&live, desired), vec!["a", "c", "d"]);
    }
}
