//! Saved plans: the round trip plan -> document -> plan, and the staleness check.

use registrar_model::{
    ApplicationRef, FileFormat, LiveApplication, Operation, SecretStoreLocation,
};
use serde_json::json;
use time::Duration;
use time::macros::datetime;

use super::*;
use crate::model::{Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange};

const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

fn app_ref() -> ApplicationRef {
    ApplicationRef::Existing {
        id: "o1".into(),
        app_id: "a1".into(),
    }
}

fn secret(instance: Option<&str>) -> Address {
    Address::component(
        "api",
        Component::Secret {
            name: "ci".into(),
            instance: instance.map(str::to_owned),
        },
    )
}

/// A plan with every component, action, reason and warning.
fn every_kind_of_plan() -> Plan {
    let store = SecretStoreLocation::File {
        path: "/tmp/ci.json".into(),
        format: FileFormat::Json,
    };
    let components = [
        Component::Application,
        Component::ServicePrincipal,
        Component::Owner("alice@contoso.com".into()),
        Component::Certificate {
            name: "signing".into(),
            instance: Some("k9".into()),
        },
        Component::FederatedCredential("github-main".into()),
        Component::Consent {
            resource: "Microsoft Graph".into(),
            permission: "User.Read.All".into(),
        },
        Component::DelegatedConsent {
            resource: "Microsoft Graph".into(),
        },
        Component::RoleAssignment {
            role: "Reader".into(),
            scope: "/subscriptions/s1".into(),
        },
        Component::References,
    ];
    let reasons = [
        ActionReason::Expiring {
            remaining: Duration::days(-3) + Duration::nanoseconds(5),
        },
        ActionReason::StoreMissing,
        ActionReason::StoreMismatch { key_vault: true },
        ActionReason::RestoreFromDeletedItems,
        ActionReason::NotInManifest,
        ActionReason::Pruned,
        ActionReason::Undeclared {
            name: Some("old".into()),
            hint: Some("abc".into()),
            end: Some(NOW),
        },
        ActionReason::PreviousCredential {
            overlap: Some(Duration::days(7)),
        },
        ActionReason::CertificateChanged,
        ActionReason::ServicePrincipalNotWanted,
        ActionReason::DisableBeforeRemove {
            values: vec!["Things.Read".into()],
        },
        ActionReason::ConsentNotDeclared,
    ];
    let actions = [
        Action::NoOp,
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Rotate,
        Action::Delete,
        Action::Restore,
        Action::Read,
    ];
    let mut changes = vec![
        ResourceChange::rotate(
            secret(None),
            json!({"key_id": "k1"}),
            json!({"end_date_time": "2027-01-01T00:00:00Z"}),
            vec![Operation::AddSecret {
                application: app_ref(),
                display_name: "ci".into(),
                start: NOW,
                end: NOW + Duration::days(180),
                store: store.clone(),
            }],
        )
        .with_after_unknown(vec!["key_id".into()])
        .with_depends_on(vec![Address::application("api")]),
    ];
    for (index, component) in components.into_iter().enumerate() {
        changes.push(
            ResourceChange::update(
                Address::component("api", component),
                json!({"n": index}),
                json!({"n": index + 1}),
                vec![Operation::AddOwner {
                    application: app_ref(),
                    owner_id: format!("u{index}"),
                }],
            )
            .with_reason(reasons[index % reasons.len()].clone()),
        );
    }
    for (index, (action, reason)) in actions.into_iter().zip(reasons.iter()).enumerate() {
        let mut change = ResourceChange::delete(
            Address::component("other", Component::Owner(format!("o{index}"))),
            json!({}),
            Vec::new(),
        )
        .with_reason(reason.clone());
        change.action = action;
        changes.push(change);
    }
    for reason in &reasons[8..] {
        changes.push(
            ResourceChange::read(Address::application("z"), json!({})).with_reason(reason.clone()),
        );
    }
    Plan {
        changes,
        warnings: vec![
            PlanWarning::PreviousCredentialKept {
                secret: secret(None),
                key_id: "k0".into(),
                end: None,
                until: NOW + Duration::days(2),
                overlap: Duration::days(7),
            },
            PlanWarning::SecretStoreUnreadable {
                secret: secret(Some("k1")),
                store,
                reason: Some("permission denied".into()),
                rotation_due: Some(Duration::hours(-5)),
            },
        ],
        planned_at: NOW,
    }
}

fn saved(plan: &Plan, live: &LiveTenant) -> SavedPlan {
    let (changes, warnings) = save_plan(plan);
    SavedPlan {
        format: FORMAT_MARKER.into(),
        format_version: FORMAT_VERSION,
        registrar_version: "0.1.0".into(),
        created_at: NOW,
        target: SavedTarget {
            tenant_id: "t".into(),
            cloud: "local".into(),
            local: true,
        },
        options: SavedOptions { prune: false },
        manifests: SavedManifests {
            paths: vec!["apps.yaml".into()],
            files: Vec::new(),
            digest: manifest_digest(&[]),
            desired_state: Digest::of_bytes(b"{}"),
        },
        namespace: "it".into(),
        changes,
        warnings,
        live_objects: live_objects(live, "it"),
    }
}

#[test]
fn plan_to_document_to_plan_is_the_same_plan() {
    let plan = every_kind_of_plan();
    let document = saved(&plan, &LiveTenant::default());
    let text = serde_json::to_string_pretty(&document).unwrap();
    let read: SavedPlan = serde_json::from_str(&text).unwrap();
    assert_eq!(read, document);
    assert_eq!(read.to_plan().unwrap(), plan);
}

#[test]
fn an_out_of_range_duration_is_an_error_not_a_panic() {
    let mut document = saved(&every_kind_of_plan(), &LiveTenant::default());
    document.changes[1].reason = Some(SavedReason::Expiring {
        remaining: SavedDuration {
            seconds: i64::MAX,
            nanoseconds: i32::MAX,
        },
    });
    assert!(document.to_plan().is_err());
}

fn live() -> LiveTenant {
    let mut app = LiveApplication {
        id: "o1".into(),
        app_id: "a1".into(),
        unique_name: Some("it.hello-web".into()),
        owners: vec!["u1".into()],
        ..Default::default()
    };
    app.settings.plain.display_name = "Hello".into();
    LiveTenant {
        applications: vec![app],
        ..Default::default()
    }
}

#[test]
fn stale_objects_name_what_was_added_removed_and_changed() {
    let document = saved(&Plan::default(), &live());
    assert_eq!(stale_objects(&document, &live()), Vec::new());
    let mut changed = live();
    changed.applications[0].settings.plain.notes = Some("by hand".into());
    changed.applications[0].owners = vec!["u2".into()];
    let stale: Vec<String> = stale_objects(&document, &changed)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        stale,
        vec![
            "application hello-web (appId a1): owner u1: removed",
            "application hello-web (appId a1): owner u2: added",
            "application hello-web (appId a1): settings: changed",
        ]
    );
}
