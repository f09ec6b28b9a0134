//! The tenant's own rules, checked over the whole plan once every change is planned: what the
//! app management policy in force for each declared application forbids, and what the
//! application's instance lock locks on its service principal. A plan that would break one is
//! a typed [`PlanProblem`] error, so nothing is changed, instead of a failed apply.
//!
//! The policy in force is the enabled policy assigned to the application, else the tenant's
//! default policy when enabled (Graph's rule); a restriction with
//! `restrictForAppsCreatedAfterDateTime` covers only applications created at or after it (an
//! application this plan creates is created now). Checked:
//!
//! - client secrets the plan adds: `passwordAddition`, `passwordLifetime` (the secret's
//!   `lifetime` against `maxLifetime`);
//! - certificates the plan adds: `asymmetricKeyLifetime` (notBefore to notAfter);
//! - identifier URIs the plan adds: `nonDefaultUriAddition`,
//!   `uriAdditionWithoutUniqueTenantIdentifier` (an https URI counts as on a verified domain:
//!   Graph refuses any other https identifier URI anyway), both skipped for an application
//!   receiving v2 tokens when the restriction excludes those;
//! - the instance lock: the service principal's own secrets and certificates, which the plan
//!   always removes, when the lock in force now, or the one this plan sets, covers them.
//!
//! Not checked: symmetric keys and custom passwords (a manifest cannot declare either), and
//! `trustedCertificateAuthority`, since the snapshot does not read the tenant's certificate
//! authorities; the docs (docs/policies.md) say so.

use registrar_model::{
    AppManagementPolicy, AppManagementRestrictions, CredentialRestriction, DesiredApplication,
    LiveApplication, Operation, Origin, RestrictionType, ServicePrincipalLock,
};
use time::OffsetDateTime;

use super::{Planner, Target};
use crate::error::{PlanError, PlanProblem, PolicyViolation};

/// A policy in force for one application.
struct InForce<'p> {
    policy: &'p AppManagementPolicy,
    default_policy: bool,
}

impl<'p> InForce<'p> {
    fn restrictions(&self) -> &'p AppManagementRestrictions {
        &self.policy.application_restrictions
    }
}

/// The credential restriction of `kind` in `list` covering an application created at
/// `created`.
fn credential_restriction<'r>(
    list: &'r [CredentialRestriction],
    kind: &RestrictionType,
    created: Option<OffsetDateTime>,
) -> Option<&'r CredentialRestriction> {
    list.iter().find(|restriction| {
        &restriction.restriction_type == kind && restriction.applies_to(created)
    })
}

/// The lock flag that covers a credential of `usage`, if the lock covers it.
fn lock_flag(lock: &ServicePrincipalLock, usage: &str) -> Option<&'static str> {
    if !lock.locks_credentials(usage) {
        return None;
    }
    Some(if lock.all_properties {
        "allProperties"
    } else if usage.eq_ignore_ascii_case("Sign") {
        "credentialsWithUsageSign"
    } else {
        "credentialsWithUsageVerify"
    })
}

impl Planner<'_> {
    /// The policy in force for an application (`live` is `None` for one this plan creates).
    fn policy_in_force<'p>(&'p self, live: Option<&'p LiveApplication>) -> Option<InForce<'p>> {
        if let Some(assigned) = live
            .into_iter()
            .flat_map(|app| &app.app_management_policies)
            .find(|policy| policy.is_enabled)
        {
            return Some(InForce {
                policy: assigned,
                default_policy: false,
            });
        }
        self.live
            .app_management
            .default_policy
            .as_ref()
            .filter(|policy| policy.is_enabled)
            .map(|policy| InForce {
                policy,
                default_policy: true,
            })
    }

    /// Checks every declared application against the policy in force and its instance lock.
    pub(super) fn check_tenant_policies(&mut self) {
        let targets = self.targets.clone();
        let mut errors = Vec::new();
        for target in &targets {
            self.check_policy(target, &mut errors);
            self.check_instance_lock(target, &mut errors);
        }
        self.errors.extend(errors);
    }

    fn check_policy(&self, target: &Target<'_>, errors: &mut Vec<PlanError>) {
        let live = target.live();
        let Some(in_force) = self.policy_in_force(live) else {
            return;
        };
        let desired = target.desired;
        let key = target.key();
        let created = live.and_then(|app| app.created);
        let restrictions = in_force.restrictions();
        let problem =
            |restriction: &str, violation: PolicyViolation| PlanProblem::PolicyRestriction {
                key: key.to_owned(),
                policy_id: in_force.policy.id.clone(),
                policy_name: in_force.policy.display_name.clone(),
                default_policy: in_force.default_policy,
                restriction: restriction.to_owned(),
                violation,
            };

        // Client secrets this plan adds.
        for operation in self
            .changes
            .iter()
            .filter(|change| change.address.application == key)
            .flat_map(|change| &change.operations)
        {
            let Operation::AddSecret {
                display_name,
                start,
                end,
                ..
            } = operation
            else {
                continue;
            };
            let origin = secret_origin(desired, display_name);
            let passwords = &restrictions.password_credentials;
            if let Some(restriction) =
                credential_restriction(passwords, &RestrictionType::PasswordAddition, created)
            {
                errors.push(PlanError::problem(
                    &origin,
                    problem(
                        restriction.restriction_type.as_graph(),
                        PolicyViolation::SecretNotAllowed {
                            secret: display_name.clone(),
                        },
                    ),
                ));
                continue;
            }
            if let Some(restriction) =
                credential_restriction(passwords, &RestrictionType::PasswordLifetime, created)
                && let Some(max) = restriction.max_lifetime_seconds
                && (*end - *start).whole_seconds() > max
            {
                errors.push(PlanError::problem(
                    &origin,
                    problem(
                        restriction.restriction_type.as_graph(),
                        PolicyViolation::SecretLifetime {
                            secret: display_name.clone(),
                            days: (*end - *start).whole_days(),
                            max_lifetime: restriction.max_lifetime.clone().unwrap_or_default(),
                        },
                    ),
                ));
            }
        }

        // Certificates this plan adds (those the application does not hold yet).
        if let Some(restriction) = credential_restriction(
            &restrictions.key_credentials,
            &RestrictionType::AsymmetricKeyLifetime,
            created,
        ) && let Some(max) = restriction.max_lifetime_seconds
        {
            for certificate in &desired.certificates {
                let held = live.is_some_and(|app| {
                    app.key_credentials.iter().any(|held| {
                        held.custom_key_identifier.as_deref()
                            == Some(certificate.thumbprint_base64.as_str())
                    })
                });
                let lifetime = certificate.not_after - certificate.not_before;
                if !held && lifetime.whole_seconds() > max {
                    errors.push(PlanError::problem(
                        &certificate.origin,
                        problem(
                            restriction.restriction_type.as_graph(),
                            PolicyViolation::CertificateLifetime {
                                certificate: certificate.name.clone(),
                                days: lifetime.whole_days(),
                                max_lifetime: restriction.max_lifetime.clone().unwrap_or_default(),
                            },
                        ),
                    ));
                }
            }
        }

        // Identifier URIs this plan adds.
        let held_uris: Vec<&String> = live
            .map(|app| app.settings.plain.identifier_uris.iter().collect())
            .unwrap_or_default();
        let app_id = live.map(|app| app.app_id.to_ascii_lowercase());
        let tenant_id = self.live.tenant_id.to_ascii_lowercase();
        let v2 = desired
            .api
            .requested_access_token_version
            .or_else(|| live.and_then(|app| app.settings.api.requested_access_token_version))
            == Some(2);
        let applies = |rule: &Option<registrar_model::UriRestriction>| {
            rule.as_ref().is_some_and(|rule| {
                rule.applies_to(created) && !(v2 && rule.exclude_apps_receiving_v2_tokens)
            })
        };
        for uri in &desired.plain.identifier_uris {
            let resolved = match &app_id {
                Some(app_id) => uri.replace(registrar_model::APP_ID_PLACEHOLDER, app_id),
                None => uri.clone(),
            };
            if held_uris
                .iter()
                .any(|held| held.eq_ignore_ascii_case(&resolved))
            {
                continue;
            }
            let lower = resolved.to_ascii_lowercase();
            // `{appId}` stands for the appId until the application exists.
            let own_id = app_id
                .clone()
                .unwrap_or_else(|| registrar_model::APP_ID_PLACEHOLDER.to_ascii_lowercase());
            let is_default = lower == format!("api://{own_id}")
                || lower == format!("api://{tenant_id}/{own_id}");
            if applies(&restrictions.non_default_uri_addition) && !is_default {
                errors.push(PlanError::problem(
                    &desired.origin,
                    problem(
                        "nonDefaultUriAddition",
                        PolicyViolation::NonDefaultIdentifierUri { uri: uri.clone() },
                    ),
                ));
                continue;
            }
            let has_identifier = lower.contains(&own_id)
                || (!tenant_id.is_empty() && lower.contains(&tenant_id))
                || lower.starts_with("https://");
            if applies(&restrictions.uri_addition_without_unique_tenant_identifier)
                && !has_identifier
            {
                errors.push(PlanError::problem(
                    &desired.origin,
                    problem(
                        "uriAdditionWithoutUniqueTenantIdentifier",
                        PolicyViolation::IdentifierUriWithoutTenantIdentifier { uri: uri.clone() },
                    ),
                ));
            }
        }
    }

    fn check_instance_lock(&self, target: &Target<'_>, errors: &mut Vec<PlanError>) {
        let Some(live) = target.live() else {
            return;
        };
        let Some(sp) = &live.service_principal else {
            return;
        };
        let locks: Vec<&ServicePrincipalLock> = live
            .settings
            .service_principal_lock
            .iter()
            .chain(target.desired.instance_lock.iter().map(|lock| &lock.value))
            .collect();
        let origin = target
            .desired
            .instance_lock
            .as_ref()
            .map_or_else(|| target.desired.origin.clone(), |lock| lock.origin.clone());
        let key = target.key();
        for operation in self
            .changes
            .iter()
            .filter(|change| change.address.application == key)
            .flat_map(|change| &change.operations)
        {
            let (property, key_id, usage) = match operation {
                Operation::RemoveServicePrincipalPassword { key_id, .. } => {
                    ("passwordCredentials", key_id, "Verify")
                }
                Operation::RemoveServicePrincipalKey { key_id, .. } => {
                    let usage = sp
                        .key_credentials
                        .iter()
                        .find(|credential| credential.key_id.eq_ignore_ascii_case(key_id))
                        .map_or("Verify", |credential| credential.usage.as_str());
                    ("keyCredentials", key_id, usage)
                }
                _ => continue,
            };
            if let Some(flag) = locks.iter().find_map(|lock| lock_flag(lock, usage)) {
                errors.push(PlanError::problem(
                    &origin,
                    PlanProblem::LockedServicePrincipal {
                        key: key.to_owned(),
                        property: property.to_owned(),
                        key_id: key_id.clone(),
                        lock: flag.to_owned(),
                    },
                ));
            }
        }
    }
}

/// Where the secret named `name` was written (the application, if none is).
fn secret_origin(desired: &DesiredApplication, name: &str) -> Origin {
    desired
        .secrets
        .iter()
        .find(|secret| secret.name == name)
        .map_or_else(|| desired.origin.clone(), |secret| secret.origin.clone())
}
