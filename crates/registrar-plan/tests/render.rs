//! Renderers: a table of one change per action, and snapshots of every format for one sample
//! plan that holds every action.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use expect_test::{Expect, expect};
use registrar_model::SecretStoreLocation;
use registrar_plan::render::{self, PlanDocument, TextOptions};
use registrar_plan::{Action, ActionReason, Address, Component, Plan, PlanWarning, ResourceChange};
use serde_json::json;
use time::Duration;
use time::macros::datetime;

fn change(address: Address, action: Action) -> ResourceChange {
    ResourceChange {
        address,
        action,
        reason: None,
        before: None,
        after: None,
        after_unknown: Vec::new(),
        full_before: None,
        full_after: None,
        depends_on: Vec::new(),
        operations: Vec::new(),
    }
}

fn secret_address(name: &str) -> Address {
    Address::component(
        "api",
        Component::Secret {
            name: name.into(),
            instance: None,
        },
    )
}

fn create() -> ResourceChange {
    ResourceChange {
        after: Some(json!({
            "display_name": "DICOM client",
            "sign_in_audience": "AzureADMyOrg",
            "notes": "Owned by imaging.\nAsk in #imaging.\n",
            "is_fallback_public_client": false,
        })),
        after_unknown: vec!["app_id".into()],
        ..change(Address::application("dicom-client"), Action::Create)
    }
}

fn update() -> ResourceChange {
    ResourceChange {
        before: Some(json!({"public_client.redirect_uris": ["http://localhost:8400"]})),
        after: Some(json!({"public_client.redirect_uris": ["http://localhost"]})),
        ..change(Address::application("monitor-reader"), Action::Update)
    }
}

fn replace() -> ResourceChange {
    ResourceChange {
        reason: Some(ActionReason::CertificateChanged),
        before: Some(json!({"thumbprint": "AAAA", "end_date_time": "2026-06-01T00:00:00Z"})),
        after: Some(json!({"thumbprint": "CCCC", "end_date_time": "2026-06-01T00:00:00Z"})),
        ..change(
            Address::component(
                "api",
                Component::Certificate {
                    name: "signing".into(),
                    instance: None,
                },
            ),
            Action::Replace,
        )
    }
}

fn rotate() -> ResourceChange {
    ResourceChange {
        reason: Some(ActionReason::Expiring {
            remaining: Duration::days(12),
        }),
        before: Some(
            json!({"display_name": "ci", "key_id": "k-old", "hint": "abc", "end_date_time": "2026-01-13T00:00:00Z"}),
        ),
        after: Some(json!({"display_name": "ci", "end_date_time": "2026-06-30T00:00:00Z"})),
        after_unknown: vec!["key_id".into(), "hint".into(), "value".into()],
        ..change(secret_address("ci"), Action::Rotate)
    }
}

fn delete() -> ResourceChange {
    ResourceChange {
        reason: Some(ActionReason::Undeclared {
            name: Some("legacy".into()),
            hint: Some("abc".into()),
            end: Some(datetime!(2027-01-01 0:00 UTC)),
        }),
        before: Some(json!({"display_name": "legacy", "key_id": "k-legacy"})),
        ..change(secret_address("legacy"), Action::Delete)
    }
}

fn restore() -> ResourceChange {
    ResourceChange {
        reason: Some(ActionReason::RestoreFromDeletedItems),
        before: Some(json!({"display_name": "api"})),
        after: Some(
            json!({"app_id": "11111111-2222-3333-4444-555555555555", "display_name": "api", "tags": ["registrar:platform"]}),
        ),
        ..change(Address::application("api"), Action::Restore)
    }
}

fn read() -> ResourceChange {
    ResourceChange {
        reason: Some(ActionReason::NotInManifest),
        before: Some(json!({"display_name": "old-thing"})),
        ..change(Address::application("old-thing"), Action::Read)
    }
}

fn no_op() -> ResourceChange {
    change(
        Address::component("api", Component::References),
        Action::NoOp,
    )
}

/// The plan's JSON document, checked against the schema.
fn json_document(plan: &Plan) -> PlanDocument {
    serde_json::from_value(common::valid_json_plan(plan)).unwrap()
}

fn plain_text(plan: &Plan) -> String {
    let mut out = Vec::new();
    render::text(plan, &TextOptions { color: false }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[track_caller]
fn check_one(change: ResourceChange, expect: Expect) {
    let plan = Plan {
        changes: vec![change],
        warnings: Vec::new(),
        ..Plan::default()
    };
    common::valid_json_plan(&plan);
    expect.assert_eq(&plain_text(&plan));
}

#[test]
fn render_text_table_one_change_per_action() {
    let table: Vec<(ResourceChange, Expect)> = vec![
        (
            create(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.dicom-client will be created
              + application "dicom-client" {
                  + display_name     = "DICOM client"
                  + sign_in_audience = "AzureADMyOrg"
                  + notes            = <<-EOT
                        Owned by imaging.
                        Ask in #imaging.
                    EOT
                  + app_id           = (known after apply)
                }

            Plan: 1 to add, 0 to change, 0 to destroy.
        "#]],
        ),
        (
            update(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.monitor-reader will be updated in-place
              ~ application "monitor-reader" {
                  ~ public_client.redirect_uris = [
                      - "http://localhost:8400",
                      + "http://localhost",
                    ]
                }

            Plan: 0 to add, 1 to change, 0 to destroy.
        "#]],
        ),
        (
            replace(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.api.certificate.signing must be replaced
              # (the certificate file holds a different certificate)
            -/+ certificate "signing" {
                  ~ thumbprint    = "AAAA" -> "CCCC"
                    end_date_time = "2026-06-01T00:00:00Z"
                }

            Plan: 1 to add, 0 to change, 1 to destroy.
        "#]],
        ),
        (
            rotate(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.api.secret.ci will be rotated (expires in 12 days)
            +/- secret "ci" {
                    display_name  = "ci"
                  ~ end_date_time = "2026-01-13T00:00:00Z" -> "2026-06-30T00:00:00Z"
                  ~ key_id        = "k-old" -> (known after apply)
                  ~ hint          = "abc" -> (known after apply)
                  ~ value         = (sensitive value)
                }

            Plan: 0 to add, 1 to change, 0 to destroy.
        "#]],
        ),
        (
            delete(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.api.secret.legacy will be destroyed
              # (secret "legacy" (hint abc, expires 2027-01-01) is not in the manifest)
              - secret "legacy" {
                  - display_name = "legacy" -> null
                  - key_id       = "k-legacy" -> null
                }

            Plan: 0 to add, 0 to change, 1 to destroy.
        "#]],
        ),
        (
            restore(),
            expect![[r#"
            Registrar will perform the following actions:

              # application.api will be restored from deleted items
              + application "api" {
                  + app_id       = "11111111-2222-3333-4444-555555555555"
                  + display_name = "api"
                  + tags         = [
                      + "registrar:platform",
                    ]
                }

            Plan: 1 to add, 0 to change, 0 to destroy.
        "#]],
        ),
        (
            read(),
            expect![[r#"
              # application.old-thing is not in the manifest; run with --prune to delete it

            No changes. Your tenant matches the manifest.
        "#]],
        ),
        (
            no_op(),
            expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
        ),
    ];
    for (change, expect) in table {
        check_one(change, expect);
    }
}

fn sample() -> Plan {
    let mut plan = Plan {
        changes: vec![
            restore(),
            create(),
            update(),
            rotate(),
            delete(),
            replace(),
            read(),
            no_op(),
            {
                ResourceChange {
                    reason: Some(ActionReason::Pruned),
                    before: Some(json!({"app_id": "a1", "display_name": "Pruned"})),
                    ..change(Address::application("pruned"), Action::Delete)
                }
            },
        ],
        warnings: vec![PlanWarning::SecretStoreUnreadable {
            secret: secret_address("ci"),
            store: SecretStoreLocation::KeyVault {
                vault: "kv".into(),
                name: "ci".into(),
            },
            reason: Some("403".into()),
            rotation_due: None,
        }],
        planned_at: datetime!(2026-01-01 0:00 UTC),
    };
    plan.changes.sort_by(|a, b| a.address.cmp(&b.address));
    plan
}

#[test]
fn render_snapshots_of_every_format() {
    let plan = sample();
    insta::assert_snapshot!("text", plain_text(&plan));
    let mut colored = Vec::new();
    render::text(&plan, &TextOptions { color: true }, &mut colored).unwrap();
    insta::assert_snapshot!("text_color", String::from_utf8(colored).unwrap());
    let mut markdown = Vec::new();
    render::markdown(&plan, &mut markdown).unwrap();
    insta::assert_snapshot!("markdown", String::from_utf8(markdown).unwrap());
    insta::assert_json_snapshot!("json", common::valid_json_plan(&plan));
}

#[test]
fn render_summary_counts_like_terraform() {
    let summary = sample().summary();
    // restore + create + replace = 3 add; update + rotate = 2 change; 2 deletes + replace = 3.
    assert_eq!((summary.add, summary.change, summary.destroy), (3, 2, 3));
    assert!(sample().has_changes());
    let quiet = Plan {
        changes: vec![read(), no_op()],
        warnings: Vec::new(),
        ..Plan::default()
    };
    assert!(!quiet.has_changes());
    expect![[r#"
          # application.old-thing is not in the manifest; run with --prune to delete it

        No changes. Your tenant matches the manifest.
    "#]]
    .assert_eq(&plain_text(&quiet));
}

#[test]
fn render_json_document_round_trips() {
    let document = json_document(&sample());
    let text = serde_json::to_string_pretty(&document).unwrap();
    let back: PlanDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(back, document);
    let rotate = document
        .resource_changes
        .iter()
        .find(|change| change.name == "ci")
        .unwrap();
    assert_eq!(rotate.change.actions, ["create", "delete"]);
    assert_eq!(rotate.action_reason.as_deref(), Some("rotate"));
}

#[test]
fn render_never_shows_a_secret_value() {
    let mut leaky = rotate();
    // Even if a value slipped into `after`, the renderer shows `(sensitive value)`.
    leaky.after = Some(json!({"value": "s3cr3t-value"}));
    let plan = Plan {
        changes: vec![leaky],
        warnings: Vec::new(),
        ..Plan::default()
    };
    assert!(!plain_text(&plan).contains("s3cr3t"));
    assert!(
        !common::valid_json_plan(&plan)
            .to_string()
            .contains("s3cr3t")
    );
}

fn consent_address(resource: &str, permission: &str) -> Address {
    Address::component(
        "daemon",
        Component::Consent {
            resource: resource.into(),
            permission: permission.into(),
        },
    )
}

fn consent_plan() -> Plan {
    Plan {
        changes: vec![
            ResourceChange {
                after: Some(json!({
                    "resource": "Microsoft Graph",
                    "permission": "Directory.Read.All",
                    "type": "application",
                })),
                ..change(
                    consent_address("Microsoft Graph", "Directory.Read.All"),
                    Action::Create,
                )
            },
            ResourceChange {
                reason: Some(ActionReason::ConsentNotDeclared),
                before: Some(json!({
                    "resource": "Microsoft Graph",
                    "permission": "User.Read.All",
                    "type": "application",
                })),
                ..change(
                    consent_address("Microsoft Graph", "User.Read.All"),
                    Action::Delete,
                )
            },
            ResourceChange {
                before: Some(
                    json!({"resource": "Microsoft Graph", "scopes": ["User.Read", "openid"]}),
                ),
                after: Some(
                    json!({"resource": "Microsoft Graph", "scopes": ["User.Read", "profile"]}),
                ),
                ..change(
                    Address::component(
                        "daemon",
                        Component::DelegatedConsent {
                            resource: "Microsoft Graph".into(),
                        },
                    ),
                    Action::Update,
                )
            },
        ],
        warnings: Vec::new(),
        ..Plan::default()
    }
}

/// Address, type, name, index and action reason of a change in the JSON document.
type ChangeSummary<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

#[test]
fn render_consent_in_every_format() {
    let plan = consent_plan();
    expect![[r#"
        Registrar will perform the following actions:

          # application.daemon.consent["Microsoft Graph/Directory.Read.All"] will be created
          + consent "Microsoft Graph/Directory.Read.All" {
              + resource   = "Microsoft Graph"
              + permission = "Directory.Read.All"
              + type       = "application"
            }

          # application.daemon.consent["Microsoft Graph/User.Read.All"] will be destroyed
          # (admin consent the manifest does not ask for)
          - consent "Microsoft Graph/User.Read.All" {
              - resource   = "Microsoft Graph" -> null
              - permission = "User.Read.All" -> null
              - type       = "application" -> null
            }

          # application.daemon.delegated_consent["Microsoft Graph"] will be updated in-place
          ~ delegated_consent "Microsoft Graph" {
                resource = "Microsoft Graph"
              ~ scopes   = [
                  - "openid",
                  + "profile",
                    # (1 unchanged element hidden)
                ]
            }

        API permission changes:
          ~ application.daemon: Directory.Read.All on Microsoft Graph (application; needs admin consent, granted by this apply; privilege tier none)
          ~ application.daemon: User.Read.All on Microsoft Graph (application; needs admin consent, consent revoked by this apply; privilege tier none)
          ~ application.daemon: openid on Microsoft Graph (delegated; no admin consent needed, consent revoked by this apply; privilege tier none)
          ~ application.daemon: profile on Microsoft Graph (delegated; no admin consent needed, granted by this apply; privilege tier none)

        Plan: 1 to add, 1 to change, 1 to destroy.
    "#]]
    .assert_eq(&plain_text(&plan));
    let mut markdown = Vec::new();
    render::markdown(&plan, &mut markdown).unwrap();
    let markdown = String::from_utf8(markdown).unwrap();
    assert!(
        markdown.contains("> **Warning:** 1 admin consent will be revoked"),
        "{markdown}"
    );
    let document = json_document(&plan);
    let summary: Vec<ChangeSummary<'_>> = document
        .resource_changes
        .iter()
        .map(|change| {
            (
                change.address.as_str(),
                change.resource_type.as_str(),
                change.name.as_str(),
                change.index.as_deref(),
                change.action_reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                r#"application.daemon.consent["Microsoft Graph/Directory.Read.All"]"#,
                "registrar_app_role_assignment",
                "Microsoft Graph/Directory.Read.All",
                Some("Microsoft Graph/Directory.Read.All"),
                None
            ),
            (
                r#"application.daemon.consent["Microsoft Graph/User.Read.All"]"#,
                "registrar_app_role_assignment",
                "Microsoft Graph/User.Read.All",
                Some("Microsoft Graph/User.Read.All"),
                Some("delete_because_not_in_manifest")
            ),
            (
                r#"application.daemon.delegated_consent["Microsoft Graph"]"#,
                "registrar_oauth2_permission_grant",
                "Microsoft Graph",
                Some("Microsoft Graph"),
                None
            ),
        ]
    );
}

fn role_assignment_address(role: &str, scope: &str) -> Address {
    Address::component(
        "worker",
        Component::RoleAssignment {
            role: role.into(),
            scope: scope.into(),
        },
    )
}

#[test]
fn render_role_assignments_in_every_format() {
    let rg = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001";
    let plan = Plan {
        changes: vec![
            ResourceChange {
                after: Some(json!({"role": "Reader", "scope": rg})),
                after_unknown: vec!["principal".into()],
                depends_on: vec![Address::component("worker", Component::ServicePrincipal)],
                ..change(role_assignment_address("Reader", rg), Action::Create)
            },
            ResourceChange {
                reason: Some(ActionReason::Undeclared {
                    name: None,
                    hint: None,
                    end: None,
                }),
                before: Some(json!({
                    "role": "Contributor",
                    "scope": rg,
                    "principal": "5e7e1c00-0000-4000-8000-000000000001",
                })),
                ..change(role_assignment_address("Contributor", rg), Action::Delete)
            },
        ],
        warnings: Vec::new(),
        ..Plan::default()
    };
    expect![[r#"
        Registrar will perform the following actions:

          # role_assignment.worker["Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be created
          + role_assignment "Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
              + role      = "Reader"
              + scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"
              + principal = (known after apply)
            }

          # role_assignment.worker["Contributor @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be destroyed
          # (role assignment is not in the manifest)
          - role_assignment "Contributor @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
              - role      = "Contributor" -> null
              - scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" -> null
              - principal = "5e7e1c00-0000-4000-8000-000000000001" -> null
            }

        Plan: 1 to add, 0 to change, 1 to destroy.
    "#]]
    .assert_eq(&plain_text(&plan));
    let mut markdown = Vec::new();
    render::markdown(&plan, &mut markdown).unwrap();
    let markdown = String::from_utf8(markdown).unwrap();
    assert!(
        markdown.contains("> **Warning:** 1 role assignment will be removed"),
        "{markdown}"
    );
    let document = json_document(&plan);
    let summary: Vec<ChangeSummary<'_>> = document
        .resource_changes
        .iter()
        .map(|change| {
            (
                change.address.as_str(),
                change.resource_type.as_str(),
                change.name.as_str(),
                change.index.as_deref(),
                change.action_reason.as_deref(),
            )
        })
        .collect();
    let reader = format!("Reader @ {rg}");
    let contributor = format!("Contributor @ {rg}");
    assert_eq!(
        summary,
        [
            (
                format!("role_assignment.worker[\"{reader}\"]").as_str(),
                "registrar_role_assignment",
                reader.as_str(),
                Some(reader.as_str()),
                None
            ),
            (
                format!("role_assignment.worker[\"{contributor}\"]").as_str(),
                "registrar_role_assignment",
                contributor.as_str(),
                Some(contributor.as_str()),
                Some("delete_because_not_in_manifest")
            ),
        ]
    );
    assert_eq!(
        document.resource_changes[0].depends_on,
        ["application.worker.service_principal"]
    );
}
