//! The tenant's own rules at plan time: the app management policy in force for an application
//! (assigned, else the default one when enabled, dated by `restrictForAppsCreatedAfterDateTime`)
//! and the instance lock of its service principal make the plan fail, with the policy or lock
//! named, before anything changes.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use registrar_model::{
    AppManagementPolicy, AppManagementRestrictions, AppManagementState, CredentialRestriction,
    DesiredState, KeyCredential, LiveServicePrincipal, LiveTenant, PasswordCredential,
    RestrictionType, ServicePrincipalLock, UriRestriction,
};
use registrar_plan::{PlanErrors, PlanOptions, PlanProblem, PolicyViolation, plan};
use time::macros::datetime;

fn restriction(kind: RestrictionType, max_lifetime: Option<(&str, i64)>) -> CredentialRestriction {
    CredentialRestriction {
        restriction_type: kind,
        enabled: true,
        max_lifetime: max_lifetime.map(|(text, _)| text.to_owned()),
        max_lifetime_seconds: max_lifetime.map(|(_, days)| days * 86_400),
        restrict_for_apps_created_after: None,
        certificate_authority_ids: Vec::new(),
    }
}

fn default_policy(restrictions: AppManagementRestrictions) -> AppManagementState {
    AppManagementState {
        read: true,
        default_policy: Some(AppManagementPolicy {
            id: "00000000-0000-0000-0000-000000000000".into(),
            display_name: "Default app management tenant policy".into(),
            is_enabled: true,
            application_restrictions: restrictions,
            service_principal_restrictions: AppManagementRestrictions::default(),
        }),
    }
}

fn ninety_days() -> AppManagementRestrictions {
    AppManagementRestrictions {
        password_credentials: vec![restriction(
            RestrictionType::PasswordLifetime,
            Some(("P90D", 90)),
        )],
        ..Default::default()
    }
}

fn with_secret(days: i64) -> DesiredState {
    let mut app = app("api");
    let mut secret = secret("ci");
    secret.lifetime = time::Duration::days(days);
    app.secrets = vec![secret];
    state(vec![app])
}

fn errors(desired: &DesiredState, live: &LiveTenant) -> PlanErrors {
    plan(desired, live, NOW, &PlanOptions::default()).expect_err("the plan fails")
}

#[test]
fn a_secret_longer_than_the_default_policy_allows_fails_the_plan() {
    let desired = with_secret(365);
    let mut live = tenant();
    live.app_management = default_policy(ninety_days());
    let errors = errors(&desired, &live);
    assert_eq!(errors.errors.len(), 1, "{errors}");
    let error = &errors.errors[0];
    assert_eq!(error.origin, origin(20, 7));
    match &error.problem {
        Some(PlanProblem::PolicyRestriction {
            key,
            policy_name,
            default_policy,
            restriction,
            violation:
                PolicyViolation::SecretLifetime {
                    secret,
                    days,
                    max_lifetime,
                },
            ..
        }) => {
            assert_eq!(key, "api");
            assert_eq!(policy_name, "Default app management tenant policy");
            assert!(default_policy);
            assert_eq!(restriction, "passwordLifetime");
            assert_eq!(secret, "ci");
            assert_eq!(*days, 365);
            assert_eq!(max_lifetime, "P90D");
        }
        other => panic!("{other:?}"),
    }
    let text = errors.to_string();
    assert!(text.contains("apps.yaml:20:7"), "{text}");
    assert!(
        text.contains(
            "\"Default app management tenant policy\" (00000000-0000-0000-0000-000000000000)"
        ),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");
}

#[test]
fn a_secret_within_the_limit_or_a_disabled_policy_plans() {
    let mut live = tenant();
    live.app_management = default_policy(ninety_days());
    assert!(plan(&with_secret(60), &live, NOW, &PlanOptions::default()).is_ok());
    if let Some(policy) = live.app_management.default_policy.as_mut() {
        policy.is_enabled = false;
    }
    assert!(plan(&with_secret(365), &live, NOW, &PlanOptions::default()).is_ok());
}

#[test]
fn an_assigned_policy_overrides_the_default_one() {
    let desired = with_secret(365);
    let mut live = converged(&with_secret(60), tenant());
    // The secret exists: drop it so the plan adds one again.
    live.applications[0].password_credentials.clear();
    live.app_management = default_policy(AppManagementRestrictions {
        password_credentials: vec![restriction(RestrictionType::PasswordAddition, None)],
        ..Default::default()
    });
    let refused = errors(&desired, &live);
    assert!(matches!(
        refused.errors[0].problem,
        Some(PlanProblem::PolicyRestriction {
            violation: PolicyViolation::SecretNotAllowed { .. },
            ..
        })
    ));
    live.applications[0].app_management_policies = vec![AppManagementPolicy {
        id: "c0ffee00-0000-4000-8000-00000000aaaa".into(),
        display_name: "Secrets allowed".into(),
        is_enabled: true,
        ..Default::default()
    }];
    assert!(plan(&desired, &live, NOW, &PlanOptions::default()).is_ok());
}

#[test]
fn a_restriction_dated_after_the_application_was_created_spares_it() {
    let desired = with_secret(365);
    let mut live = converged(&with_secret(60), tenant());
    live.applications[0].password_credentials.clear();
    live.applications[0].created = Some(datetime!(2024-01-01 0:00 UTC));
    let mut restrictions = ninety_days();
    restrictions.password_credentials[0].restrict_for_apps_created_after =
        Some(datetime!(2025-01-01 0:00 UTC));
    live.app_management = default_policy(restrictions.clone());
    assert!(plan(&desired, &live, NOW, &PlanOptions::default()).is_ok());
    // A new application is created now: restricted.
    let mut fresh = tenant();
    fresh.app_management = default_policy(restrictions);
    assert!(plan(&desired, &fresh, NOW, &PlanOptions::default()).is_err());
}

#[test]
fn certificates_and_identifier_uris_are_checked() {
    let mut app = app("api");
    app.certificates = vec![certificate("signing", "AAAA")];
    app.plain.identifier_uris = vec!["api://{appId}".into(), "api://my-api".into()];
    let desired = state(vec![app]);
    let mut live = tenant();
    live.app_management = default_policy(AppManagementRestrictions {
        key_credentials: vec![restriction(
            RestrictionType::AsymmetricKeyLifetime,
            Some(("P180D", 180)),
        )],
        uri_addition_without_unique_tenant_identifier: Some(UriRestriction {
            enabled: true,
            restrict_for_apps_created_after: None,
            exclude_apps_receiving_v2_tokens: false,
            exclude_saml: false,
        }),
        ..Default::default()
    });
    let errors = errors(&desired, &live);
    let violations: Vec<&PolicyViolation> = errors
        .errors
        .iter()
        .filter_map(|error| match &error.problem {
            Some(PlanProblem::PolicyRestriction { violation, .. }) => Some(violation),
            _ => None,
        })
        .collect();
    assert_eq!(violations.len(), 2, "{errors}");
    assert!(violations.iter().any(|violation| matches!(
        violation,
        PolicyViolation::CertificateLifetime { certificate, days: 365, .. } if certificate == "signing"
    )));
    assert!(violations.iter().any(|violation| matches!(
        violation,
        PolicyViolation::IdentifierUriWithoutTenantIdentifier { uri } if uri == "api://my-api"
    )));
}

#[test]
fn non_default_identifier_uris_are_refused_unless_v2_tokens_are_exempt() {
    let mut app = app("api");
    app.plain.identifier_uris = vec!["api://{appId}".into(), "https://contoso.com/api".into()];
    let desired = state(vec![app]);
    let mut live = tenant();
    let rule = UriRestriction {
        enabled: true,
        restrict_for_apps_created_after: None,
        exclude_apps_receiving_v2_tokens: true,
        exclude_saml: false,
    };
    live.app_management = default_policy(AppManagementRestrictions {
        non_default_uri_addition: Some(rule),
        ..Default::default()
    });
    let refused = errors(&desired, &live);
    assert_eq!(refused.errors.len(), 1, "{refused}");
    assert!(refused.to_string().contains("https://contoso.com/api"));
    let mut v2 = desired.clone();
    v2.applications[0].api.requested_access_token_version = Some(2);
    assert!(plan(&v2, &live, NOW, &PlanOptions::default()).is_ok());
}

fn with_service_principal_credentials(lock: Option<ServicePrincipalLock>) -> LiveTenant {
    let desired = state(vec![app("api")]);
    let mut live = converged(&desired, tenant());
    let application = &mut live.applications[0];
    application.settings.service_principal_lock = lock;
    let sp: &mut LiveServicePrincipal = application.service_principal.as_mut().unwrap();
    sp.password_credentials = vec![PasswordCredential {
        key_id: "5ec2e700-0000-4000-8000-000000000001".into(),
        display_name: Some("by hand".into()),
        hint: Some("abc".into()),
        start: None,
        end: None,
    }];
    sp.key_credentials = vec![KeyCredential {
        key_id: "5ec2e700-0000-4000-8000-000000000002".into(),
        display_name: Some("saml".into()),
        key_type: "AsymmetricX509Cert".into(),
        usage: "Sign".into(),
        custom_key_identifier: None,
        start: None,
        end: None,
        key: None,
    }];
    live
}

#[test]
fn a_locked_service_principal_fails_the_plan_with_the_lock_named() {
    let desired = state(vec![app("api")]);
    let lock = ServicePrincipalLock {
        is_enabled: true,
        credentials_with_usage_verify: true,
        ..Default::default()
    };
    let live = with_service_principal_credentials(Some(lock));
    let errors = errors(&desired, &live);
    // Only the secret (usage Verify) is locked; the signing certificate is not.
    assert_eq!(errors.errors.len(), 1, "{errors}");
    assert_eq!(
        errors.errors[0].problem,
        Some(PlanProblem::LockedServicePrincipal {
            key: "api".into(),
            property: "passwordCredentials".into(),
            key_id: "5ec2e700-0000-4000-8000-000000000001".into(),
            lock: "credentialsWithUsageVerify".into(),
        })
    );
    assert!(
        errors
            .to_string()
            .contains("servicePrincipalLockConfiguration.credentialsWithUsageVerify")
    );

    // Unlocked (or no lock at all), the same credentials are removed.
    let unlocked = with_service_principal_credentials(Some(ServicePrincipalLock::default()));
    assert!(plan(&desired, &unlocked, NOW, &PlanOptions::default()).is_ok());
    assert!(
        plan(
            &desired,
            &with_service_principal_credentials(None),
            NOW,
            &PlanOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn an_undeclared_lock_is_left_alone_and_a_declared_one_converges() {
    let lock = ServicePrincipalLock {
        is_enabled: true,
        all_properties: true,
        ..Default::default()
    };
    let plain = state(vec![app("api")]);
    let mut live = converged(&plain, tenant());
    live.applications[0].settings.service_principal_lock = Some(lock.clone());
    let unchanged = plan(&plain, &live, NOW, &PlanOptions::default()).unwrap();
    assert!(
        unchanged
            .changes
            .iter()
            .all(|change| change.operations.is_empty()),
        "{unchanged:?}"
    );

    let mut declared = state(vec![app("api")]);
    declared.applications[0].instance_lock =
        Some(registrar_model::Located::new(lock, origin(9, 5)));
    let converged = converged(&declared, tenant());
    assert!(
        converged.applications[0]
            .settings
            .service_principal_lock
            .is_some()
    );
    let again = plan(&declared, &converged, NOW, &PlanOptions::default()).unwrap();
    assert!(
        again
            .changes
            .iter()
            .all(|change| change.operations.is_empty()),
        "{again:?}"
    );
}
