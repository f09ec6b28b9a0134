//! The drift report: built from desired + live + now + window, and worded.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use expect_test::{Expect, expect};
use registrar_model::{DesiredState, LiveApplication, LiveTenant, PasswordCredential, marker_tag};
use registrar_plan::drift::{
    CredentialKind, DEFAULT_EXPIRY_WINDOW, DriftKind, DriftReport, ExpiryStatus, NextApply, drift,
};
use registrar_plan::render::{self, TextOptions};
use registrar_plan::{ActionReason, Component};
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn api() -> DesiredState {
    let mut api = app("api");
    api.service_principal = None;
    api.plain.display_name = "API".into();
    api.secrets = vec![secret("ci")];
    api.federated_credentials = vec![federated(
        "github-main",
        "repo:contoso/api:ref:refs/heads/main",
    )];
    state(vec![api])
}

fn live_api(live: &mut LiveTenant) -> &mut LiveApplication {
    live.applications
        .iter_mut()
        .find(|app| app.unique_name.as_deref() == Some("platform.api"))
        .unwrap()
}

fn report(desired: &DesiredState, live: &LiveTenant, now: OffsetDateTime) -> DriftReport {
    drift(desired, live, now, DEFAULT_EXPIRY_WINDOW).unwrap()
}

fn check_text(report: &DriftReport, expect: Expect) {
    let mut out = Vec::new();
    render::drift::text(report, &TextOptions::default(), &mut out).unwrap();
    expect.assert_eq(&String::from_utf8(out).unwrap());
}

#[test]
fn in_sync_is_quiet_and_lists_every_credential() {
    let desired = api();
    let live = converged(&desired, tenant());
    let report = report(&desired, &live, NOW);
    assert!(!report.has_drift());
    assert!(report.objects.is_empty());
    let kinds: Vec<(CredentialKind, ExpiryStatus, bool)> = report
        .credentials
        .iter()
        .map(|credential| (credential.kind, credential.status, credential.declared))
        .collect();
    assert_eq!(
        kinds,
        [
            (CredentialKind::Secret, ExpiryStatus::Valid, true),
            (
                CredentialKind::FederatedCredential,
                ExpiryStatus::NoExpiry,
                true
            ),
        ]
    );
    check_text(
        &report,
        expect![[r#"
            No drift. The tenant matches the manifest, and no credential expires within 30d.
        "#]],
    );
    let document = render::drift::json(&report);
    assert_eq!(document.format_version, "1.0");
    assert!(!document.drift);
    assert_eq!(document.credentials[1].status, "no_expiry");
    assert_eq!(document.credentials[1].days_left, None);
}

#[test]
fn a_setting_changed_by_hand_is_expected_versus_actual() {
    let desired = api();
    let mut live = converged(&desired, tenant());
    live_api(&mut live).settings.plain.display_name = "Renamed by hand".into();
    live_api(&mut live).settings.plain.web.redirect_uris = vec!["https://evil.example".into()];
    let report = report(&desired, &live, NOW);
    assert!(report.has_drift());
    assert_eq!(report.objects.len(), 1);
    let object = &report.objects[0];
    assert_eq!(object.kind, DriftKind::Changed);
    let attributes: Vec<(&str, Option<serde_json::Value>, Option<serde_json::Value>)> = object
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.expected.clone(), a.actual.clone()))
        .collect();
    assert!(
        attributes.contains(&(
            "display_name",
            Some(json!("API")),
            Some(json!("Renamed by hand"))
        )),
        "{attributes:?}"
    );
    check_text(
        &report,
        expect![[r#"
            Drift in namespace "platform": the tenant does not match the manifest.

            Changed outside Registrar:
              ~ application.api
                  display_name: manifest "API", tenant "Renamed by hand"
                  web.redirect_uris: manifest [], tenant ["https://evil.example"]

            Drift: 1 changed.
            Run `registrar plan` to see what apply would change.
        "#]],
    );
}

#[test]
fn a_credential_added_by_hand_is_not_in_the_manifest() {
    let desired = api();
    let mut live = converged(&desired, tenant());
    live_api(&mut live)
        .password_credentials
        .push(PasswordCredential {
            key_id: "1e6ac700-0000-4000-8000-000000000000".into(),
            display_name: Some("pasted".into()),
            hint: Some("abc".into()),
            start: Some(datetime!(2025-12-01 0:00 UTC)),
            end: Some(datetime!(2026-01-11 0:00 UTC)),
        });
    let report = report(&desired, &live, NOW);
    assert!(report.has_drift());
    assert_eq!(report.objects[0].kind, DriftKind::NotInManifest);
    let pasted = report
        .credentials
        .iter()
        .find(|credential| !credential.declared)
        .unwrap();
    assert_eq!(pasted.next_apply, Some(NextApply::Remove));
    assert_eq!(pasted.status, ExpiryStatus::Expiring);
    check_text(
        &report,
        expect![[r#"
            Drift in namespace "platform": the tenant does not match the manifest.

            Not in the manifest:
              - application.api.secret.pasted: secret "pasted" (hint abc, expires 2026-01-11)

            Credentials expired or expiring within 30d:
              ! application.api.secret.pasted expires in 10 days (2026-01-11T00:00:00Z), not in the manifest; will be removed by the next apply

            Drift: 1 not in the manifest; 1 credential expiring within 30d.
            Run `registrar plan` to see what apply would change.
        "#]],
    );
}

#[test]
fn expiring_and_expired_credentials_are_drift_with_days_left() {
    let mut desired = api();
    let live = converged(&desired, tenant());
    // 50 days left, rotation (30d before) not yet due: expiring within a 60-day window only.
    let now = NOW + Duration::days(130);
    let quiet = drift(&desired, &live, now, Duration::days(30)).unwrap();
    assert!(!quiet.has_drift(), "{quiet:?}");
    let wide = drift(&desired, &live, now, Duration::days(60)).unwrap();
    assert!(wide.has_drift());
    let secret = &wide.credentials[0];
    assert_eq!(secret.status, ExpiryStatus::Expiring);
    assert_eq!(secret.remaining.map(|r| r.whole_days()), Some(50));
    assert_eq!(secret.next_apply, None);
    assert_eq!(wide.counts().expiring, 1);

    // Past the end, with the secret no longer declared (so nothing rotates it): expired.
    desired.applications[0].secrets.clear();
    let expired = report(&desired, &live, NOW + Duration::days(185));
    let secret = &expired.credentials[0];
    assert_eq!(secret.status, ExpiryStatus::Expired);
    assert_eq!(secret.remaining.map(|r| r.whole_days()), Some(-5));
    assert_eq!(expired.counts().expired, 1);
    check_text(
        &expired,
        expect![[r#"
            Drift in namespace "platform": the tenant does not match the manifest.

            Not in the manifest:
              - application.api.secret.ci: secret "ci" (hint xyz, expires 2026-06-30)

            Credentials expired or expiring within 30d:
              ! application.api.secret.ci expired 5 days ago (2026-06-30T00:00:00Z), not in the manifest; will be removed by the next apply

            Drift: 1 not in the manifest; 1 credential expired.
            Run `registrar plan` to see what apply would change.
        "#]],
    );
}

#[test]
fn an_expiring_secret_the_next_apply_rotates_is_shown_as_such() {
    let desired = api();
    let live = converged(&desired, tenant());
    // 12 days left, rotateBefore 30d: the plan rotates it; within a 7-day window it still counts.
    let report = drift(
        &desired,
        &live,
        NOW + Duration::days(168),
        Duration::days(7),
    )
    .unwrap();
    assert!(report.objects.is_empty(), "{:?}", report.objects);
    assert!(report.has_drift());
    let secret = &report.credentials[0];
    assert!(matches!(
        secret.next_apply,
        Some(NextApply::Rotate(Some(ActionReason::Expiring { .. })))
    ));
    check_text(
        &report,
        expect![[r#"
            Drift in namespace "platform": the tenant does not match the manifest.

            Credentials expired or expiring within 7d, or due for rotation:
              ! application.api.secret.ci expires in 12 days (2026-06-30T00:00:00Z); will be rotated by the next apply

            Drift: 1 credential due for rotation.
            Run `registrar plan` to see what apply would change.
        "#]],
    );
}

#[test]
fn missing_objects_and_undeclared_applications() {
    let desired = api();
    let mut live = tenant();
    live.applications.push(LiveApplication {
        id: "01d00000-0000-4000-8000-000000000001".into(),
        app_id: "01d0a990-0000-4000-8000-000000000001".into(),
        unique_name: Some("platform.legacy".into()),
        settings: registrar_model::ApplicationSettings {
            plain: registrar_model::PlainSettings {
                display_name: "Legacy".into(),
                tags: vec![marker_tag("platform")],
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    });
    let report = report(&desired, &live, NOW);
    let kinds: Vec<(String, DriftKind)> = report
        .objects
        .iter()
        .map(|object| (object.address.to_string(), object.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("application.api".to_owned(), DriftKind::Missing),
            ("application.api.secret.ci".to_owned(), DriftKind::Missing),
            (
                "application.api.federated_credential.github-main".to_owned(),
                DriftKind::Missing
            ),
            (
                "application.legacy".to_owned(),
                DriftKind::UndeclaredApplication
            ),
        ]
    );
    assert!(report.credentials.is_empty());
    assert!(matches!(
        report.objects[0].address.component,
        Component::Application
    ));
}

#[test]
fn markdown_has_a_title_a_summary_table_and_details() {
    let desired = api();
    let mut live = converged(&desired, tenant());
    live_api(&mut live).settings.plain.display_name = "Pipe | name".into();
    let report = drift(
        &desired,
        &live,
        NOW + Duration::days(168),
        Duration::days(30),
    )
    .unwrap();
    let mut out = Vec::new();
    render::drift::markdown(&report, &mut out).unwrap();
    expect![[r#"
        ## Registrar drift in `platform`: 1 object differs, 1 credential expiring within 30d

        Checked at 2026-06-18T00:00:00Z; credentials expiring within 30d are reported.

        | Drift | Count |
        |---|---:|
        | Changed outside Registrar | 1 |
        | Missing in the tenant | 0 |
        | In deleted items | 0 |
        | Not in the manifest | 0 |
        | Secrets not in their store | 0 |
        | Applications no longer declared | 0 |
        | Credentials expired | 0 |
        | Credentials expiring within 30d | 1 |

        ### Changed outside Registrar

        | Object | Attribute | Manifest | Tenant |
        |---|---|---|---|
        | `application.api` | `display_name` | `"API"` | `"Pipe \| name"` |

        ### Credentials expired or expiring within 30d

        | Credential | Expires | Days left | Declared | Next apply |
        |---|---|---:|---|---|
        | `application.api.secret.ci` | **expires in 12 days (2026-06-30T00:00:00Z)** | 12 | yes | will be rotated by the next apply |

        <details><summary>All 2 credentials of the declared applications</summary>

        | Credential | Expires | Days left | Declared | Next apply |
        |---|---|---:|---|---|
        | `application.api.secret.ci` | **expires in 12 days (2026-06-30T00:00:00Z)** | 12 | yes | will be rotated by the next apply |
        | `application.api.federated_credential.github-main` | no expiry |  | yes |  |

        </details>

        Run `registrar plan` to see what apply would change.
    "#]]
    .assert_eq(&String::from_utf8(out).unwrap());

    let document = serde_json::to_value(render::drift::json(&report)).unwrap();
    assert_eq!(document["drift"], true);
    assert_eq!(document["summary"]["changed"], 1);
    assert_eq!(document["summary"]["expiring"], 1);
    assert_eq!(document["objects"][0]["drift"], "changed");
    assert_eq!(
        document["objects"][0]["attributes"][0]["actual"],
        "Pipe | name"
    );
    assert_eq!(document["credentials"][0]["next_apply"], "rotate");
    assert_eq!(document["credentials"][0]["days_left"], 12);
}

#[test]
fn markdown_stays_under_the_size_limit() {
    let mut desired = api();
    desired.applications[0].secrets.clear();
    let mut live = converged(&desired, tenant());
    for index in 0..1200 {
        live_api(&mut live)
            .password_credentials
            .push(PasswordCredential {
                key_id: format!("1e6ac700-0000-4000-8000-{index:012}"),
                display_name: Some(format!("pasted-{index}")),
                hint: Some("abc".into()),
                start: None,
                end: None,
            });
    }
    let report = report(&desired, &live, NOW);
    let mut out = Vec::new();
    render::drift::markdown(&report, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.len() < 65_536, "{}", text.len());
    assert!(text.contains("cut here"), "{text}");
}

#[test]
fn an_owner_added_by_hand_is_not_in_the_manifest() {
    let mut desired = api();
    desired.applications[0].owners = vec![located("alice@contoso.com", 8, 7)];
    let mut live = converged(&desired, tenant());
    live_api(&mut live).owners.push(BOB.into());
    let report = report(&desired, &live, NOW);
    let kinds: Vec<(String, DriftKind)> = report
        .objects
        .iter()
        .map(|object| (object.address.kind().to_owned(), object.kind))
        .collect();
    assert_eq!(kinds, [("owner".to_owned(), DriftKind::NotInManifest)]);
    assert_eq!(report.counts().not_in_manifest, 1);
}
