//! Comparable settings: ordering desired collections like the live ones (Graph treats them as
//! sets), flattening [`ApplicationSettings`] into named attributes keyed by their
//! [`ApplicationField`], and diffing attributes.

use registrar_model::{
    ApplicationField, ApplicationSettings, Guid, OptionalClaim, PermissionScope,
    PreAuthorizedApplication, RequiredResourceAccess, ServicePrincipalSettings,
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
    order_like(live, desired, |a, b| Guid::same(a, b))
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
    desired.plain.identifier_uris = strings_like(
        &live.plain.identifier_uris,
        std::mem::take(&mut desired.plain.identifier_uris),
    );
    desired.plain.tags = strings_like(&live.plain.tags, std::mem::take(&mut desired.plain.tags));
    desired.plain.web.redirect_uris = strings_like(
        &live.plain.web.redirect_uris,
        std::mem::take(&mut desired.plain.web.redirect_uris),
    );
    desired.plain.spa_redirect_uris = strings_like(
        &live.plain.spa_redirect_uris,
        std::mem::take(&mut desired.plain.spa_redirect_uris),
    );
    desired.plain.public_client_redirect_uris = strings_like(
        &live.plain.public_client_redirect_uris,
        std::mem::take(&mut desired.plain.public_client_redirect_uris),
    );
    let claims = &mut desired.plain.optional_claims;
    claims.id_token = claims_like(
        &live.plain.optional_claims.id_token,
        std::mem::take(&mut claims.id_token),
    );
    claims.access_token = claims_like(
        &live.plain.optional_claims.access_token,
        std::mem::take(&mut claims.access_token),
    );
    claims.saml2_token = claims_like(
        &live.plain.optional_claims.saml2_token,
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
        |a, b| Guid::same(&a.app_id, &b.app_id),
    )
    .into_iter()
    .map(|mut entry: PreAuthorizedApplication| {
        if let Some(live_entry) = live
            .api
            .pre_authorized_applications
            .iter()
            .find(|l| Guid::same(&l.app_id, &entry.app_id))
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
        |a, b| Guid::same(&a.resource_app_id, &b.resource_app_id),
    )
    .into_iter()
    .map(|mut entry: RequiredResourceAccess| {
        if let Some(live_entry) = live
            .required_resource_access
            .iter()
            .find(|l| Guid::same(&l.resource_app_id, &entry.resource_app_id))
        {
            entry.resource_access = order_like(
                &live_entry.resource_access,
                std::mem::take(&mut entry.resource_access),
                |a, b| Guid::same(&a.id, &b.id) && a.access_type == b.access_type,
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
pub(crate) struct Attribute<F = ApplicationField> {
    /// The plan's name, e.g. `web.redirect_uris`.
    pub(crate) name: String,
    /// The field it belongs to (what a PATCH sends).
    pub(crate) field: F,
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

/// The name of the attribute `part` of `field` (`web.home_page_url`), or of the field itself.
pub(crate) fn attribute_name(field: ApplicationField, part: Option<&str>) -> String {
    match part {
        Some(part) => format!("{}.{part}", field.attribute_name()),
        None => field.attribute_name().to_owned(),
    }
}

/// The attributes of one field of an application: one for most fields, one per part for the
/// objects the plan shows part by part (`web`, `info`, `optional_claims`, `api`).
///
/// The match is exhaustive on purpose: a new [`ApplicationField`] does not compile until the
/// plan knows how to show it.
fn field_attributes(
    settings: &ApplicationSettings,
    field: ApplicationField,
    describe: &dyn Describe,
) -> Vec<(Option<&'static str>, Value)> {
    let web = &settings.plain.web;
    let info = &settings.plain.info;
    let api = &settings.api;
    let claims_of = &settings.plain.optional_claims;
    match field {
        ApplicationField::DisplayName => {
            vec![(None, Value::String(settings.plain.display_name.clone()))]
        }
        ApplicationField::Description => vec![(None, opt(&settings.plain.description))],
        ApplicationField::Notes => vec![(None, opt(&settings.plain.notes))],
        ApplicationField::SignInAudience => {
            vec![(None, Value::String(settings.plain.sign_in_audience.clone()))]
        }
        ApplicationField::IdentifierUris => vec![(None, strings(&settings.plain.identifier_uris))],
        ApplicationField::Tags => vec![(None, strings(&settings.plain.tags))],
        ApplicationField::Web => vec![
            (Some("home_page_url"), opt(&web.home_page_url)),
            (Some("logout_url"), opt(&web.logout_url)),
            (Some("redirect_uris"), strings(&web.redirect_uris)),
            (
                Some("implicit_grant.access_tokens"),
                Value::Bool(web.implicit_grant_access_tokens),
            ),
            (
                Some("implicit_grant.id_tokens"),
                Value::Bool(web.implicit_grant_id_tokens),
            ),
        ],
        ApplicationField::SpaRedirectUris => vec![(None, strings(&settings.plain.spa_redirect_uris))],
        ApplicationField::PublicClientRedirectUris => {
            vec![(None, strings(&settings.plain.public_client_redirect_uris))]
        }
        ApplicationField::IsFallbackPublicClient => {
            vec![(None, Value::Bool(settings.plain.is_fallback_public_client))]
        }
        ApplicationField::GroupMembershipClaims => {
            vec![(None, opt(&settings.plain.group_membership_claims))]
        }
        ApplicationField::ServiceManagementReference => {
            vec![(None, opt(&settings.plain.service_management_reference))]
        }
        ApplicationField::Info => vec![
            (Some("marketing_url"), opt(&info.marketing_url)),
            (Some("privacy_statement_url"), opt(&info.privacy_statement_url)),
            (Some("support_url"), opt(&info.support_url)),
            (Some("terms_of_service_url"), opt(&info.terms_of_service_url)),
        ],
        ApplicationField::OptionalClaims => vec![
            (Some("id_token"), claims(&claims_of.id_token)),
            (Some("access_token"), claims(&claims_of.access_token)),
            (Some("saml2_token"), claims(&claims_of.saml2_token)),
        ],
        ApplicationField::Api => vec![
            (
                Some("requested_access_token_version"),
                api.requested_access_token_version
                    .map_or(Value::Null, Value::from),
            ),
            (
                Some("known_client_applications"),
                strings(&api.known_client_applications),
            ),
            (
                Some("pre_authorized_applications"),
                Value::Array(
                    api.pre_authorized_applications
                        .iter()
                        .map(|entry| json!({"app_id": entry.app_id, "delegated_permission_ids": entry.delegated_permission_ids}))
                        .collect(),
                ),
            ),
            (
                Some("oauth2_permission_scopes"),
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
            ),
        ],
        ApplicationField::AppRoles => vec![(
            None,
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
        )],
        ApplicationField::RequiredResourceAccess => vec![(
            None,
            Value::Array(
                settings
                    .required_resource_access
                    .iter()
                    .map(|entry| required_resource_access(entry, describe))
                    .collect(),
            ),
        )],
        ApplicationField::ServicePrincipalLock => vec![(
            None,
            settings
                .service_principal_lock
                .as_ref()
                .map_or(Value::Null, |lock| {
                    json!({
                        "enabled": lock.is_enabled,
                        "all_properties": lock.all_properties,
                        "credentials_with_usage_verify": lock.credentials_with_usage_verify,
                        "credentials_with_usage_sign": lock.credentials_with_usage_sign,
                        "identifier_uris": lock.identifier_uris,
                        "token_encryption_key_id": lock.token_encryption_key_id,
                    })
                }),
        )],
    }
}

fn required_resource_access(entry: &RequiredResourceAccess, describe: &dyn Describe) -> Value {
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
            if let Some(value) = describe.permission(&entry.resource_app_id, &access.id) {
                item.insert("value".into(), Value::String(value));
            }
            item.insert("id".into(), Value::String(access.id.clone()));
            item.insert(
                "type".into(),
                Value::String(access.access_type.resource_access_type().to_owned()),
            );
            Value::Object(item)
        })
        .collect();
    object.insert("resource_access".into(), Value::Array(access));
    Value::Object(object)
}

/// Every attribute of an application, in a fixed order (that of [`ApplicationField::ALL`]).
/// No instance lock is no attribute: it is unmanaged then, so a create or restore does not
/// write it.
pub(crate) fn application_attributes(
    settings: &ApplicationSettings,
    describe: &dyn Describe,
) -> Vec<Attribute> {
    ApplicationField::ALL
        .iter()
        .filter(|&&field| {
            field != ApplicationField::ServicePrincipalLock
                || settings.service_principal_lock.is_some()
        })
        .flat_map(|&field| {
            field_attributes(settings, field, describe)
                .into_iter()
                .map(move |(part, value)| Attribute {
                    name: attribute_name(field, part),
                    field,
                    value,
                })
        })
        .collect()
}

/// Every attribute of a service principal (each is its own field).
pub(crate) fn service_principal_attributes(
    settings: &ServicePrincipalSettings,
) -> Vec<Attribute<&'static str>> {
    let attribute = |name: &'static str, value| Attribute {
        name: name.to_owned(),
        field: name,
        value,
    };
    vec![
        attribute(
            "app_role_assignment_required",
            Value::Bool(settings.app_role_assignment_required),
        ),
        attribute("tags", strings(&settings.tags)),
        attribute("notes", opt(&settings.notes)),
    ]
}

/// The attributes that differ, as (before, after) maps, and the fields they belong to (in
/// attribute order, without repeats). Attributes named in `unknown` are left out of `after`.
pub(crate) fn diff_attributes<F: Copy + PartialEq>(
    before: &[Attribute<F>],
    after: &[Attribute<F>],
    unknown: &[String],
) -> (Map<String, Value>, Map<String, Value>, Vec<F>) {
    let mut before_map = Map::new();
    let mut after_map = Map::new();
    let mut fields: Vec<F> = Vec::new();
    for new in after {
        let old = before.iter().find(|attribute| attribute.name == new.name);
        let is_unknown = unknown.contains(&new.name);
        let changed = is_unknown || old.is_none_or(|old| old.value != new.value);
        if !changed {
            continue;
        }
        if let Some(old) = old {
            before_map.insert(old.name.clone(), old.value.clone());
        }
        if !is_unknown {
            after_map.insert(new.name.clone(), new.value.clone());
        }
        if !fields.contains(&new.field) {
            fields.push(new.field);
        }
    }
    (before_map, after_map, fields)
}

/// All attributes as one map, leaving out those named in `unknown`.
pub(crate) fn attribute_map<F>(
    attributes: &[Attribute<F>],
    unknown: &[String],
) -> Map<String, Value> {
    attributes
        .iter()
        .filter(|attribute| !unknown.contains(&attribute.name))
        .map(|attribute| (attribute.name.clone(), attribute.value.clone()))
        .collect()
}

/// The fields of every attribute (for a PATCH that sends everything).
pub(crate) fn all_fields(attributes: &[Attribute]) -> Vec<ApplicationField> {
    let mut fields: Vec<ApplicationField> = Vec::new();
    for attribute in attributes {
        if !fields.contains(&attribute.field) {
            fields.push(attribute.field);
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
