//! The wire shapes of app management policies (`tenantAppManagementPolicy`,
//! `appManagementPolicy` and their `appManagementConfiguration`) and of an application's
//! `servicePrincipalLockConfiguration`, with their conversion to the model. ISO 8601 durations
//! (`maxLifetime`) are parsed here.

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use registrar_model::{
    AppManagementPolicy, AppManagementRestrictions, CredentialRestriction, RestrictionType,
    ServicePrincipalLock, UriRestriction,
};

use super::nullable;

/// `servicePrincipalLockConfiguration` as Graph returns it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphServicePrincipalLock {
    #[serde(default, deserialize_with = "nullable")]
    is_enabled: bool,
    #[serde(default, deserialize_with = "nullable")]
    all_properties: bool,
    #[serde(default, deserialize_with = "nullable")]
    credentials_with_usage_verify: bool,
    #[serde(default, deserialize_with = "nullable")]
    credentials_with_usage_sign: bool,
    #[serde(default, deserialize_with = "nullable")]
    identifier_uris: bool,
    #[serde(default, deserialize_with = "nullable")]
    token_encryption_key_id: bool,
}

impl GraphServicePrincipalLock {
    pub(crate) fn to_model(&self) -> ServicePrincipalLock {
        ServicePrincipalLock {
            is_enabled: self.is_enabled,
            all_properties: self.all_properties,
            credentials_with_usage_verify: self.credentials_with_usage_verify,
            credentials_with_usage_sign: self.credentials_with_usage_sign,
            identifier_uris: self.identifier_uris,
            token_encryption_key_id: self.token_encryption_key_id,
        }
    }
}

/// The Graph JSON of a lock (what a PATCH sends).
pub(crate) fn service_principal_lock_json(lock: &ServicePrincipalLock) -> Value {
    json!({
        "isEnabled": lock.is_enabled,
        "allProperties": lock.all_properties,
        "credentialsWithUsageVerify": lock.credentials_with_usage_verify,
        "credentialsWithUsageSign": lock.credentials_with_usage_sign,
        "identifierUris": lock.identifier_uris,
        "tokenEncryptionKeyId": lock.token_encryption_key_id,
    })
}

/// A default or custom app management policy as Graph returns it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphAppManagementPolicy {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    display_name: String,
    #[serde(default, deserialize_with = "nullable")]
    is_enabled: bool,
    /// Of a custom policy.
    #[serde(default, deserialize_with = "nullable")]
    restrictions: GraphRestrictions,
    /// Of the default policy.
    #[serde(default, deserialize_with = "nullable")]
    application_restrictions: GraphRestrictions,
    #[serde(default, deserialize_with = "nullable")]
    service_principal_restrictions: GraphRestrictions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphRestrictions {
    #[serde(default, deserialize_with = "nullable")]
    password_credentials: Vec<GraphCredentialRestriction>,
    #[serde(default, deserialize_with = "nullable")]
    key_credentials: Vec<GraphCredentialRestriction>,
    #[serde(default, deserialize_with = "nullable")]
    identifier_uris: GraphIdentifierUris,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphCredentialRestriction {
    #[serde(default, deserialize_with = "nullable")]
    restriction_type: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    max_lifetime: Option<String>,
    #[serde(default)]
    restrict_for_apps_created_after_date_time: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    certificate_based_application_configuration_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphIdentifierUris {
    #[serde(default)]
    non_default_uri_addition: Option<GraphUriRestriction>,
    #[serde(default)]
    uri_addition_without_unique_tenant_identifier: Option<GraphUriRestriction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphUriRestriction {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    restrict_for_apps_created_after_date_time: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    exclude_apps_receiving_v2_tokens: bool,
    #[serde(default, deserialize_with = "nullable")]
    exclude_saml: bool,
}

/// `state` absent or `enabled` is enforced (Graph's default); anything else is not.
fn enabled(state: Option<&str>) -> bool {
    state.is_none_or(|state| state.eq_ignore_ascii_case("enabled"))
}

fn date(text: Option<&str>) -> Option<OffsetDateTime> {
    text.and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
}

impl GraphRestrictions {
    fn to_model(&self) -> AppManagementRestrictions {
        let credential = |restriction: &GraphCredentialRestriction| CredentialRestriction {
            restriction_type: RestrictionType::from_graph(&restriction.restriction_type),
            enabled: enabled(restriction.state.as_deref()),
            max_lifetime: restriction.max_lifetime.clone(),
            max_lifetime_seconds: restriction
                .max_lifetime
                .as_deref()
                .and_then(iso8601_duration_seconds),
            restrict_for_apps_created_after: date(
                restriction
                    .restrict_for_apps_created_after_date_time
                    .as_deref(),
            ),
            certificate_authority_ids: restriction
                .certificate_based_application_configuration_ids
                .clone(),
        };
        let uri = |restriction: &GraphUriRestriction| UriRestriction {
            enabled: enabled(restriction.state.as_deref()),
            restrict_for_apps_created_after: date(
                restriction
                    .restrict_for_apps_created_after_date_time
                    .as_deref(),
            ),
            exclude_apps_receiving_v2_tokens: restriction.exclude_apps_receiving_v2_tokens,
            exclude_saml: restriction.exclude_saml,
        };
        AppManagementRestrictions {
            password_credentials: self.password_credentials.iter().map(credential).collect(),
            key_credentials: self.key_credentials.iter().map(credential).collect(),
            non_default_uri_addition: self
                .identifier_uris
                .non_default_uri_addition
                .as_ref()
                .map(uri),
            uri_addition_without_unique_tenant_identifier: self
                .identifier_uris
                .uri_addition_without_unique_tenant_identifier
                .as_ref()
                .map(uri),
        }
    }
}

impl GraphAppManagementPolicy {
    /// The model of the tenant default policy.
    pub(crate) fn default_to_model(&self) -> AppManagementPolicy {
        AppManagementPolicy {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            is_enabled: self.is_enabled,
            application_restrictions: self.application_restrictions.to_model(),
            service_principal_restrictions: self.service_principal_restrictions.to_model(),
        }
    }

    /// The model of a custom policy (its `restrictions` apply to the application).
    /// The policy's object id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn custom_to_model(&self) -> AppManagementPolicy {
        AppManagementPolicy {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            is_enabled: self.is_enabled,
            application_restrictions: self.restrictions.to_model(),
            service_principal_restrictions: AppManagementRestrictions::default(),
        }
    }
}

/// Seconds in an ISO 8601 duration (`P90D`, `P1Y`, `PT12H`, `P4DT12H30M5S`; a year is 365
/// days, a month 30, as Graph's policies are written in days). `None` when it does not parse.
pub(crate) fn iso8601_duration_seconds(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let (date_part, time_part) = match rest.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut add = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                number.push(ch);
                continue;
            }
            let unit = units
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&ch))?
                .1;
            let value: f64 = number.parse().ok()?;
            number.clear();
            // Whole seconds are enough for a lifetime; the cast saturates.
            total = total.checked_add((value * unit as f64) as i64)?;
            any = true;
        }
        number.is_empty().then_some(())
    };
    add(
        date_part,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    if let Some(time_part) = time_part {
        add(time_part, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_graph_writes_them() {
        assert_eq!(iso8601_duration_seconds("P90D"), Some(90 * 86_400));
        assert_eq!(iso8601_duration_seconds("P1Y"), Some(365 * 86_400));
        assert_eq!(
            iso8601_duration_seconds("P4DT12H30M5S"),
            Some(4 * 86_400 + 12 * 3_600 + 30 * 60 + 5)
        );
        assert_eq!(iso8601_duration_seconds("PT1H"), Some(3_600));
        assert_eq!(iso8601_duration_seconds("P"), None);
        assert_eq!(iso8601_duration_seconds("90D"), None);
        assert_eq!(iso8601_duration_seconds("P9X"), None);
    }

    #[test]
    fn a_default_policy_reads_into_the_model() {
        let body = json!({
            "id": "00000000-0000-0000-0000-000000000000",
            "displayName": "Default app management tenant policy",
            "isEnabled": true,
            "applicationRestrictions": {
                "passwordCredentials": [
                    {"restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P90D",
                     "restrictForAppsCreatedAfterDateTime": "2019-01-01T00:00:00Z"},
                    {"restrictionType": "passwordAddition", "state": "disabled", "maxLifetime": null}
                ],
                "keyCredentials": [],
                "identifierUris": {"nonDefaultUriAddition": {"state": "enabled", "excludeAppsReceivingV2Tokens": true}}
            },
            "servicePrincipalRestrictions": null
        });
        let policy: GraphAppManagementPolicy = serde_json::from_value(body).unwrap();
        let model = policy.default_to_model();
        assert!(model.is_enabled);
        let restrictions = &model.application_restrictions;
        assert_eq!(
            restrictions.password_credentials[0].restriction_type,
            RestrictionType::PasswordLifetime
        );
        assert_eq!(
            restrictions.password_credentials[0].max_lifetime_seconds,
            Some(90 * 86_400)
        );
        assert!(!restrictions.password_credentials[1].enabled);
        assert!(
            restrictions
                .non_default_uri_addition
                .as_ref()
                .unwrap()
                .exclude_apps_receiving_v2_tokens
        );
    }
}
