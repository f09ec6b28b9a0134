//! Planner behaviour, every case through one helper: [`check`] plans, renders the text plan and
//! lists each change's operations (or renders the plan-time errors).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;

use common::*;
use expect_test::{Expect, expect};
use registrar_catalog::PermissionKind;
use registrar_model::{
    ApplicationField, ApplicationRef, ConsentType, DeletedApplication, DesiredAppRole,
    DesiredApplication, DesiredPreAuthorizedApplication, DesiredResourceAccess,
    DesiredRoleAssignment, DesiredScope, DesiredState, KeyCredential, LiveApplication, LiveTenant,
    Operation, PasswordCredential, RoleAssignment, SecretStoreContents, ServicePrincipalRef,
    marker_tag,
};
use registrar_plan::render::{TextOptions, text};
use registrar_plan::{PlanOptions, plan};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// How to run the planner: when, and with which options.
#[derive(Clone, Copy)]
struct Run {
    now: OffsetDateTime,
    prune: bool,
}

const AT_NOW: Run = Run {
    now: NOW,
    prune: false,
};
const PRUNE: Run = Run {
    now: NOW,
    prune: true,
};

fn describe(application: &ApplicationRef) -> String {
    match application {
        ApplicationRef::Existing { id, .. } => id.clone(),
        ApplicationRef::Planned { key } => format!("(planned {key})"),
    }
}

fn describe_sp(service_principal: &ServicePrincipalRef) -> String {
    match service_principal {
        ServicePrincipalRef::Existing { id } => id.clone(),
        ServicePrincipalRef::Planned { key } => format!("(planned sp {key})"),
    }
}

fn operation_line(operation: &Operation) -> String {
    match operation {
        Operation::CreateApplication {
            unique_name,
            settings,
            ..
        } => format!(
            "CreateApplication {unique_name} identifier_uris={:?}",
            settings.plain.identifier_uris
        ),
        Operation::RestoreApplication { id, .. } => format!("RestoreApplication {id}"),
        Operation::UpdateApplication {
            application,
            changed_fields,
            settings,
        } => {
            let scopes: Vec<String> = settings
                .api
                .oauth2_permission_scopes
                .iter()
                .map(|scope| {
                    format!(
                        "{}{}",
                        scope.value,
                        if scope.is_enabled { "" } else { "(disabled)" }
                    )
                })
                .collect();
            let names: Vec<&str> = changed_fields.iter().map(|field| field.name()).collect();
            let mut line = format!("UpdateApplication {} {names:?}", describe(application));
            if changed_fields.contains(&ApplicationField::Api) {
                write!(line, " scopes={scopes:?}").unwrap();
            }
            if changed_fields.contains(&ApplicationField::IdentifierUris) {
                write!(
                    line,
                    " identifier_uris={:?}",
                    settings.plain.identifier_uris
                )
                .unwrap();
            }
            line
        }
        Operation::DeleteApplication { id } => format!("DeleteApplication {id}"),
        Operation::CreateServicePrincipal { application, .. } => {
            format!("CreateServicePrincipal {}", describe(application))
        }
        Operation::UpdateServicePrincipal { id, .. } => format!("UpdateServicePrincipal {id}"),
        Operation::DeleteServicePrincipal { id } => format!("DeleteServicePrincipal {id}"),
        Operation::AddOwner {
            application,
            owner_id,
        } => {
            format!("AddOwner {} {owner_id}", describe(application))
        }
        Operation::RemoveOwner {
            application,
            owner_id,
        } => {
            format!("RemoveOwner {} {owner_id}", describe(application))
        }
        Operation::AddSecret {
            application,
            display_name,
            end,
            ..
        } => {
            format!(
                "AddSecret {} {display_name} end={end}",
                describe(application)
            )
        }
        Operation::RemoveSecret {
            application,
            key_id,
        } => {
            format!("RemoveSecret {} {key_id}", describe(application))
        }
        Operation::SetCertificates {
            application,
            certificates,
        } => {
            let names: Vec<String> = certificates
                .iter()
                .map(|certificate| {
                    format!(
                        "{}={}",
                        certificate.display_name.clone().unwrap_or_default(),
                        certificate
                            .custom_key_identifier
                            .clone()
                            .unwrap_or_default()
                    )
                })
                .collect();
            format!("SetCertificates {} {names:?}", describe(application))
        }
        Operation::UpsertFederatedCredential {
            application,
            name,
            subject,
            ..
        } => {
            format!(
                "UpsertFederatedCredential {} {name} subject={subject}",
                describe(application)
            )
        }
        Operation::DeleteFederatedCredential { application, name } => {
            format!("DeleteFederatedCredential {} {name}", describe(application))
        }
        Operation::GrantAppRole {
            client,
            resource,
            app_role_id,
        } => format!(
            "GrantAppRole {} on {} role={app_role_id}",
            describe_sp(client),
            describe_sp(resource)
        ),
        Operation::RevokeAppRole {
            resource_id,
            assignment_id,
        } => format!("RevokeAppRole {assignment_id} on {resource_id}"),
        Operation::GrantScopes {
            client,
            resource,
            scope,
        } => format!(
            "GrantScopes {} on {} scope={scope:?}",
            describe_sp(client),
            describe_sp(resource)
        ),
        Operation::UpdateGrantedScopes { grant_id, scope } => {
            format!("UpdateGrantedScopes {grant_id} scope={scope:?}")
        }
        Operation::RevokeGrant { grant_id } => format!("RevokeGrant {grant_id}"),
        Operation::CreateRoleAssignment {
            principal,
            scope,
            role_definition_id,
            description,
        } => format!(
            "CreateRoleAssignment {} role={role_definition_id} scope={scope} description={description:?}",
            describe_sp(principal)
        ),
        Operation::DeleteRoleAssignment { id } => format!("DeleteRoleAssignment {id}"),
        Operation::RemoveServicePrincipalPassword {
            service_principal_id,
            key_id,
        } => format!("RemoveServicePrincipalPassword {service_principal_id} {key_id}"),
        Operation::RemoveServicePrincipalKey {
            service_principal_id,
            key_id,
        } => format!("RemoveServicePrincipalKey {service_principal_id} {key_id}"),
        Operation::AddServicePrincipalOwner {
            service_principal,
            owner_id,
        } => format!(
            "AddServicePrincipalOwner {} {owner_id}",
            describe_sp(service_principal)
        ),
        Operation::RemoveServicePrincipalOwner {
            service_principal_id,
            owner_id,
        } => format!("RemoveServicePrincipalOwner {service_principal_id} {owner_id}"),
    }
}

/// Plans `desired` against `live`, and compares the text plan plus the operations of every
/// change (or the errors) with `expect`.
#[track_caller]
fn check(desired: DesiredState, live: LiveTenant, run: Run, expect: Expect) {
    let options = PlanOptions { prune: run.prune };
    let actual = match plan(&desired, &live, run.now, &options) {
        Ok(plan) => {
            valid_json_plan(&plan);
            let mut out = Vec::new();
            text(&plan, &TextOptions { color: false }, &mut out).unwrap();
            let mut actual = String::from_utf8(out).unwrap();
            let with_operations: Vec<_> = plan
                .changes
                .iter()
                .filter(|change| !change.operations.is_empty())
                .collect();
            if !with_operations.is_empty() {
                actual.push_str("--- operations\n");
            }
            for change in with_operations {
                writeln!(actual, "{}", change.address).unwrap();
                if !change.depends_on.is_empty() {
                    let depends: Vec<String> =
                        change.depends_on.iter().map(ToString::to_string).collect();
                    writeln!(actual, "  after {}", depends.join(", ")).unwrap();
                }
                for operation in &change.operations {
                    writeln!(actual, "  {}", operation_line(operation)).unwrap();
                }
            }
            actual
        }
        Err(errors) => errors.to_string(),
    };
    expect.assert_eq(&actual);
}

fn full_app() -> DesiredApplication {
    let mut app = app("dicom-client");
    app.plain.display_name = "DICOM client".into();
    app.plain.identifier_uris = vec!["api://{appId}".into()];
    app.owners = vec![located("alice@contoso.com", 8, 7)];
    app.required_resource_access = vec![DesiredResourceAccess {
        resource: located("Microsoft Graph", 12, 19),
        scopes: vec![located("User.Read", 13, 18)],
        roles: vec![],
        admin_consent: false,
    }];
    app.secrets = vec![secret("ci")];
    app.federated_credentials = vec![federated(
        "github-main",
        "repo:contoso/dicom:ref:refs/heads/main",
    )];
    app
}

/// The tenant after `desired` was applied to an empty tenant.
fn applied(desired: &DesiredState) -> LiveTenant {
    converged(desired, tenant())
}

fn live_app<'a>(live: &'a mut LiveTenant, key: &str) -> &'a mut LiveApplication {
    let name = format!("platform.{key}");
    live.applications
        .iter_mut()
        .find(|app| app.unique_name.as_deref() == Some(name.as_str()))
        .unwrap()
}

#[test]
fn plan_empty_tenant_creates_application_with_dependents() {
    check(
        state(vec![full_app()]),
        tenant(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.dicom-client will be created
              + application "dicom-client" {
                  + display_name             = "DICOM client"
                  + sign_in_audience         = "AzureADMyOrg"
                  + tags                     = [
                      + "registrar:platform",
                    ]
                  + required_resource_access = [
                      + {
                          + resource_app_id = "00000003-0000-0000-c000-000000000000"
                          + resource        = "Microsoft Graph"
                          + resource_access = [
                              + {
                                  + value = "User.Read"
                                  + id    = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
                                  + type  = "Scope"
                                },
                            ]
                        },
                    ]
                  + unique_name              = "platform.dicom-client"
                  + identifier_uris          = (known after apply)
                  + app_id                   = (known after apply)
                }

              # application.dicom-client.service_principal will be created
              + service_principal "dicom-client" {
                  + app_id    = (known after apply)
                  + object_id = (known after apply)
                }

              # application.dicom-client.owner["alice@contoso.com"] will be created
              + owner "alice@contoso.com" {
                  + object_id = "a11ce000-0000-4000-8000-000000000001"
                  + type      = "user"
                }

              # application.dicom-client.secret.ci will be created
              + secret "ci" {
                  + display_name  = "ci"
                  + end_date_time = "2026-06-30T00:00:00Z"
                  + store         = "keyVault kv-platform/ci"
                  + key_id        = (known after apply)
                  + hint          = (known after apply)
                  + value         = (sensitive value)
                }

              # application.dicom-client.federated_credential.github-main will be created
              + federated_credential "github-main" {
                  + issuer    = "https://token.actions.githubusercontent.com"
                  + subject   = "repo:contoso/dicom:ref:refs/heads/main"
                  + audiences = [
                      + "api://AzureADTokenExchange",
                    ]
                }

            API permission changes:
              + application.dicom-client: User.Read on Microsoft Graph (delegated; no admin consent needed, not granted by this apply; privilege tier none)

            Plan: 5 to add, 0 to change, 0 to destroy.
            --- operations
            application.dicom-client
              CreateApplication platform.dicom-client identifier_uris=[]
              UpdateApplication (planned dicom-client) ["identifier_uris"] identifier_uris=["api://{appId}"]
            application.dicom-client.service_principal
              after application.dicom-client
              CreateServicePrincipal (planned dicom-client)
            application.dicom-client.owner["alice@contoso.com"]
              after application.dicom-client
              AddOwner (planned dicom-client) a11ce000-0000-4000-8000-000000000001
            application.dicom-client.secret.ci
              after application.dicom-client
              AddSecret (planned dicom-client) ci end=2026-06-30 0:00:00.0 +00:00:00
            application.dicom-client.federated_credential.github-main
              after application.dicom-client
              UpsertFederatedCredential (planned dicom-client) github-main subject=repo:contoso/dicom:ref:refs/heads/main
        "#]],
    );
}

#[test]
fn plan_identical_tenant_is_no_changes() {
    let desired = state(vec![full_app()]);
    let live = applied(&desired);
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        No changes. Your tenant matches the manifest.
    "#]],
    );
}

#[test]
fn plan_ignores_the_order_of_set_collections() {
    let mut dicom = full_app();
    dicom.plain.web.redirect_uris = vec![
        "https://a.contoso.com/auth".into(),
        "https://b.contoso.com/auth".into(),
    ];
    dicom.plain.tags = vec!["imaging".into(), "team:platform".into()];
    let desired = state(vec![dicom]);
    let mut live = applied(&desired);
    let app = live_app(&mut live, "dicom-client");
    app.settings.plain.web.redirect_uris.reverse();
    app.settings.plain.tags.reverse();
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        No changes. Your tenant matches the manifest.
    "#]],
    );
}

#[test]
fn plan_drift_updates_in_place_with_element_diffs() {
    let mut client = app("monitor-reader");
    client.plain.display_name = "Monitor reader".into();
    client.plain.public_client_redirect_uris = vec!["http://localhost".into()];
    client.plain.web.redirect_uris = vec![
        "https://monitor.contoso.com/a".into(),
        "https://monitor.contoso.com/b".into(),
    ];
    client.plain.tags = vec!["monitoring".into()];
    client.plain.notes = Some("Owned by the monitoring team.\nPage them on call.\n".into());
    let desired = state(vec![client]);
    let mut live = applied(&desired);
    let app = live_app(&mut live, "monitor-reader");
    app.settings.plain.display_name = "monitor reader (old)".into();
    app.settings.plain.public_client_redirect_uris = vec!["http://localhost:8400".into()];
    app.settings
        .plain
        .web
        .redirect_uris
        .push("https://evil.example.com/auth".into());
    app.settings.plain.tags.retain(|tag| tag != "monitoring");
    app.settings.plain.notes = Some("Owned by the monitoring team.\nMail them.\n".into());
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.monitor-reader will be updated in-place
          ~ application "monitor-reader" {
              ~ display_name                = "monitor reader (old)" -> "Monitor reader"
              ~ notes                       = <<-EOT
                    Owned by the monitoring team.
                  - Mail them.
                  + Page them on call.
                EOT
              ~ tags                        = [
                  + "monitoring",
                    # (1 unchanged element hidden)
                ]
              ~ web.redirect_uris           = [
                  - "https://evil.example.com/auth",
                    # (2 unchanged elements hidden)
                ]
              ~ public_client.redirect_uris = [
                  - "http://localhost:8400",
                  + "http://localhost",
                ]
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.monitor-reader
          UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["display_name", "notes", "tags", "web", "public_client_redirect_uris"]
    "#]],
    );
}

fn marked(key: &str, id: &str) -> LiveApplication {
    let mut app = LiveApplication {
        id: id.into(),
        app_id: format!("{id}-app"),
        unique_name: Some(format!("platform.{key}")),
        ..Default::default()
    };
    app.settings.plain.display_name = key.into();
    app.settings.plain.tags = vec![marker_tag("platform")];
    app
}

#[test]
fn plan_undeclared_marker_application_is_a_note() {
    let desired = state(vec![]);
    let mut live = tenant();
    live.applications.push(marked("old-thing", "old-id"));
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
          # application.old-thing is not in the manifest; run with --prune to delete it

        No changes. Your tenant matches the manifest.
    "#]],
    );
}

#[test]
fn plan_prune_deletes_undeclared_marker_application() {
    let desired = state(vec![]);
    let mut live = tenant();
    live.applications.push(marked("old-thing", "old-id"));
    let mut unmarked = marked("someone-elses", "other-id");
    unmarked.settings.plain.tags.clear();
    live.applications.push(unmarked);
    check(
        desired,
        live,
        PRUNE,
        expect![[r#"
        Registrar will perform the following actions:

          # application.old-thing will be destroyed
          # (not in the manifest, and --prune is set)
          - application "old-thing" {
              - app_id       = "old-id-app" -> null
              - display_name = "old-thing" -> null
              - unique_name  = "platform.old-thing" -> null
            }

        Plan: 0 to add, 0 to change, 1 to destroy.
        --- operations
        application.old-thing
          DeleteApplication old-id
    "#]],
    );
}

/// A deleted application holding the unique name without the marker is someone else's: it is
/// not restored (its owners would get the consent and roles), and the plan says what to do.
#[test]
fn plan_refuses_to_restore_a_deleted_application_registrar_did_not_create() {
    let mut live = tenant();
    live.deleted_applications.push(DeletedApplication {
        id: "deleted-id".into(),
        app_id: "11111111-2222-3333-4444-555555555555".into(),
        unique_name: Some("platform.api".into()),
        display_name: "Team portal".into(),
        tags: vec!["team:portal".into()],
        ..Default::default()
    });
    check(
        state(vec![app("api")]),
        live,
        AT_NOW,
        expect![[r#"
        error: apps.yaml:3:3: application `api`: the unique name `platform.api` is held by the deleted application "Team portal" (appId 11111111-2222-3333-4444-555555555555, object id deleted-id), which does not carry the marker tag `registrar:platform`, so Registrar did not create it and will not restore it
          hint: restore it by hand and pin its appId under `api:` to adopt it, or delete it permanently (DELETE /directory/deletedItems/deleted-id), or give the application another key

        1 error; nothing was changed"#]],
    );
}

#[test]
fn plan_restores_an_application_from_deleted_items() {
    let mut api = app("api");
    api.plain.identifier_uris = vec!["api://{appId}".into()];
    api.service_principal = None;
    let mut live = tenant();
    live.deleted_applications.push(DeletedApplication {
        id: "deleted-id".into(),
        app_id: "11111111-2222-3333-4444-555555555555".into(),
        unique_name: Some("platform.api".into()),
        display_name: "api".into(),
        deleted_date_time: Some("2025-12-24T00:00:00Z".into()),
        tags: vec!["registrar:platform".into()],
        ..Default::default()
    });
    check(
        state(vec![api]),
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api will be restored from deleted items
          + application "api" {
              + app_id           = "11111111-2222-3333-4444-555555555555"
              + display_name     = "api"
              + sign_in_audience = "AzureADMyOrg"
              + identifier_uris  = [
                  + "api://11111111-2222-3333-4444-555555555555",
                ]
              + tags             = [
                  + "registrar:platform",
                ]
            }

        Plan: 1 to add, 0 to change, 0 to destroy.
        --- operations
        application.api
          RestoreApplication deleted-id
          UpdateApplication deleted-id ["display_name", "description", "notes", "sign_in_audience", "identifier_uris", "tags", "web", "spa_redirect_uris", "public_client_redirect_uris", "is_fallback_public_client", "group_membership_claims", "service_management_reference", "info", "optional_claims", "api", "app_roles", "required_resource_access"] scopes=[] identifier_uris=["api://11111111-2222-3333-4444-555555555555"]
    "#]],
    );
}

/// Pinned, without the marker tag and otherwise matching: adopted, so no marker tag is added
/// and the plan is "No changes.".
#[test]
fn plan_adopts_an_application_by_pinned_app_id() {
    let mut legacy = app("legacy");
    legacy.app_id = Some("99999999-0000-4000-8000-000000000000".into());
    legacy.plain.display_name = "Legacy portal".into();
    legacy.service_principal = None;
    let mut live = tenant();
    let mut existing = LiveApplication {
        id: "legacy-object".into(),
        app_id: "99999999-0000-4000-8000-000000000000".into(),
        unique_name: None,
        ..Default::default()
    };
    existing.settings.plain.display_name = "Legacy portal".into();
    existing.settings.plain.sign_in_audience = "AzureADMyOrg".into();
    live.applications.push(existing);
    check(
        state(vec![legacy]),
        live,
        AT_NOW,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

fn scope(value: &str) -> DesiredScope {
    DesiredScope {
        value: value.into(),
        scope_type: "User".into(),
        admin_consent_display_name: Some(format!("{value} (admin)")),
        admin_consent_description: None,
        user_consent_display_name: None,
        user_consent_description: None,
        enabled: true,
    }
}

#[test]
fn plan_enabled_scope_removal_takes_two_operations() {
    let mut api = app("dicom-api");
    api.api.scopes = vec![scope("Dicom.Read"), scope("Dicom.Write")];
    api.app_roles = vec![DesiredAppRole {
        value: "Studies.Read.All".into(),
        display_name: "Read all studies".into(),
        description: "Read every study".into(),
        allowed_member_types: vec!["Application".into()],
        enabled: true,
    }];
    let desired = state(vec![api.clone()]);
    let live = applied(&desired);
    api.api.scopes.retain(|scope| scope.value != "Dicom.Write");
    api.app_roles.clear();
    check(
        state(vec![api]),
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.dicom-api will be updated in-place
          # ("Dicom.Write", "Studies.Read.All" are disabled first, then removed)
          ~ application "dicom-api" {
              ~ api.oauth2_permission_scopes = [
                  - {
                      - value                      = "Dicom.Write"
                      - id                         = "92f5e381-1afc-5024-bb4b-3feca35cfd4b"
                      - type                       = "User"
                      - is_enabled                 = true
                      - admin_consent_display_name = "Dicom.Write (admin)"
                    },
                    # (1 unchanged element hidden)
                ]
              ~ app_roles                    = [
                  - {
                      - value                = "Studies.Read.All"
                      - id                   = "04c53912-c972-52f2-9294-991e4b1862f4"
                      - display_name         = "Read all studies"
                      - description          = "Read every study"
                      - allowed_member_types = [
                          - "Application",
                        ]
                      - is_enabled           = true
                    },
                ]
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.dicom-api
          UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["api", "app_roles"] scopes=["Dicom.Read", "Dicom.Write(disabled)"]
          UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["api", "app_roles"] scopes=["Dicom.Read"]
    "#]],
    );
}

/// `live` after planning and applying `desired` at `now`.
fn applied_at(desired: &DesiredState, live: LiveTenant, now: OffsetDateTime) -> LiveTenant {
    let plan = plan(desired, &live, now, &PlanOptions::default()).unwrap();
    valid_json_plan(&plan);
    let mut simulator = Simulator::new(live, now);
    simulator.apply(&plan).unwrap();
    simulator.live
}

fn at(days: i64) -> Run {
    Run {
        now: NOW + Duration::days(days),
        prune: false,
    }
}

fn with_secrets(secrets: Vec<registrar_model::DesiredSecret>) -> DesiredState {
    let mut api = app("api");
    api.service_principal = None;
    api.secrets = secrets;
    state(vec![api])
}

#[test]
fn plan_secret_rotates_when_it_expires_soon() {
    let desired = with_secrets(vec![secret("ci")]);
    let live = applied(&desired);
    check(
        desired,
        live,
        at(168),
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.ci will be rotated (expires in 12 days)
        +/- secret "ci" {
                display_name  = "ci"
              ~ end_date_time = "2026-06-30T00:00:00Z" -> "2026-12-15T00:00:00Z"
                store         = "keyVault kv-platform/ci"
              ~ key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> (known after apply)
              ~ hint          = "xyz" -> (known after apply)
              ~ value         = (sensitive value)
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.api.secret.ci
          AddSecret 0b1ec7000000-0000-4000-8000-000000000001 ci end=2026-12-15 0:00:00.0 +00:00:00
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 5ec7e7000000-0000-4000-8000-000000000003
    "#]],
    );
}

#[test]
fn plan_secret_rotates_when_the_store_has_no_value() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = applied(&desired);
    live.secret_stores[0].contents = SecretStoreContents::Missing;
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.ci will be rotated (the store has no value)
        +/- secret "ci" {
                display_name  = "ci"
                end_date_time = "2026-06-30T00:00:00Z"
                store         = "keyVault kv-platform/ci"
              ~ key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> (known after apply)
              ~ hint          = "xyz" -> (known after apply)
              ~ value         = (sensitive value)
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.api.secret.ci
          AddSecret 0b1ec7000000-0000-4000-8000-000000000001 ci end=2026-06-30 0:00:00.0 +00:00:00
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 5ec7e7000000-0000-4000-8000-000000000003
    "#]],
    );
}

#[test]
fn plan_secret_rotates_when_the_vault_holds_another_credential() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = applied(&desired);
    live.secret_stores[0].contents = SecretStoreContents::Present {
        key_id: Some("someone-else".into()),
    };
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.ci will be rotated (vault holds a different credential)
        +/- secret "ci" {
                display_name  = "ci"
                end_date_time = "2026-06-30T00:00:00Z"
                store         = "keyVault kv-platform/ci"
              ~ key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> (known after apply)
              ~ hint          = "xyz" -> (known after apply)
              ~ value         = (sensitive value)
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.api.secret.ci
          AddSecret 0b1ec7000000-0000-4000-8000-000000000001 ci end=2026-06-30 0:00:00.0 +00:00:00
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 5ec7e7000000-0000-4000-8000-000000000003
    "#]],
    );
}

#[test]
fn plan_secret_with_unreadable_store_is_not_rotated() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = applied(&desired);
    live.secret_stores[0].contents = SecretStoreContents::Unreadable {
        reason: "403 Forbidden".into(),
    };
    check(
        desired,
        live,
        at(170),
        expect![[r#"
        No changes. Your tenant matches the manifest.

        Warning: application.api.secret.ci: the store keyVault kv-platform/ci could not be read (403 Forbidden); the secret is not rotated until it can be; rotation is due (expires in 10 days)
    "#]],
    );
}

#[test]
fn plan_secret_overlap_keeps_the_previous_credential_then_removes_it() {
    let mut ci = secret("ci");
    ci.overlap = Some(Duration::days(7));
    let desired = with_secrets(vec![ci]);
    let live = applied(&desired);
    // Rotation day: the new credential is added, the old one is kept.
    check(
        desired.clone(),
        live.clone(),
        at(160),
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.ci will be rotated (expires in 20 days)
        +/- secret "ci" {
                display_name  = "ci"
              ~ end_date_time = "2026-06-30T00:00:00Z" -> "2026-12-07T00:00:00Z"
                store         = "keyVault kv-platform/ci"
              ~ key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> (known after apply)
              ~ hint          = "xyz" -> (known after apply)
              ~ value         = (sensitive value)
            }

        Plan: 0 to add, 1 to change, 0 to destroy.
        --- operations
        application.api.secret.ci
          AddSecret 0b1ec7000000-0000-4000-8000-000000000001 ci end=2026-12-07 0:00:00.0 +00:00:00
    "#]],
    );
    let live = applied_at(&desired, live, NOW + Duration::days(160));
    // Within the overlap: nothing to do, a note.
    check(
        desired.clone(),
        live.clone(),
        at(163),
        expect![[r#"
        No changes. Your tenant matches the manifest.

        Warning: application.api.secret.ci: the previous credential (key 5ec7e7000000-0000-4000-8000-000000000003, expires 2026-06-30T00:00:00Z) is kept until 2026-06-17T00:00:00Z (7d overlap)
    "#]],
    );
    // Overlap over: the previous credential goes.
    check(
        desired,
        live,
        at(167),
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.ci["5ec7e7000000-0000-4000-8000-000000000003"] will be destroyed
          # (the previous credential; its 7d overlap after rotation has ended)
          - secret "ci" {
              - display_name  = "ci" -> null
              - key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> null
              - hint          = "xyz" -> null
              - end_date_time = "2026-06-30T00:00:00Z" -> null
            }

        Plan: 0 to add, 0 to change, 1 to destroy.
        --- operations
        application.api.secret.ci["5ec7e7000000-0000-4000-8000-000000000003"]
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 5ec7e7000000-0000-4000-8000-000000000003
    "#]],
    );
}

#[test]
fn plan_undeclared_secret_is_removed() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = applied(&desired);
    live_app(&mut live, "api")
        .password_credentials
        .push(PasswordCredential {
            key_id: "1e6ac700-0000-4000-8000-000000000000".into(),
            display_name: Some("legacy".into()),
            hint: Some("abc".into()),
            start: Some(datetime!(2025-01-01 0:00 UTC)),
            end: Some(datetime!(2027-01-01 0:00 UTC)),
        });
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.secret.legacy will be destroyed
          # (secret "legacy" (hint abc, expires 2027-01-01) is not in the manifest)
          - secret "legacy" {
              - display_name  = "legacy" -> null
              - key_id        = "1e6ac700-0000-4000-8000-000000000000" -> null
              - hint          = "abc" -> null
              - end_date_time = "2027-01-01T00:00:00Z" -> null
            }

        Plan: 0 to add, 0 to change, 1 to destroy.
        --- operations
        application.api.secret.legacy
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 1e6ac700-0000-4000-8000-000000000000
    "#]],
    );
}

fn with_certificates(certificates: Vec<registrar_model::DesiredCertificate>) -> DesiredState {
    let mut api = app("api");
    api.service_principal = None;
    api.certificates = certificates;
    state(vec![api])
}

#[test]
fn plan_certificates_add_replace_and_remove_in_one_write() {
    let before = with_certificates(vec![
        certificate("signing", "AAAA"),
        certificate("encryption", "BBBB"),
    ]);
    let live = applied(&before);
    let after = with_certificates(vec![
        certificate("signing", "CCCC"),
        certificate("extra", "DDDD"),
    ]);
    check(
        after,
        live,
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.api.certificate.encryption will be destroyed
              # (certificate "encryption" (expires 2026-06-01) is not in the manifest)
              - certificate "encryption" {
                  - thumbprint      = "BBBB" -> null
                  - key_id          = "5ef48be0-7803-56c5-afd1-5d3ab6f7d805" -> null
                  - start_date_time = "2025-06-01T00:00:00Z" -> null
                  - end_date_time   = "2026-06-01T00:00:00Z" -> null
                }

              # application.api.certificate.extra will be created
              + certificate "extra" {
                  + thumbprint      = "DDDD"
                  + key_id          = "4aa612c9-820b-5fa5-938b-b32283d9ac32"
                  + start_date_time = "2025-06-01T00:00:00Z"
                  + end_date_time   = "2026-06-01T00:00:00Z"
                  + file            = "certs/extra.pem"
                }

              # application.api.certificate.signing must be replaced
              # (the certificate file holds a different certificate)
            -/+ certificate "signing" {
                  ~ thumbprint      = "AAAA" -> "CCCC"
                  ~ key_id          = "6eb5b69a-ce5e-5b4d-a39e-5be4a083ca74" -> "6d3bd615-6f0a-5c63-be87-71b3392201fe"
                    start_date_time = "2025-06-01T00:00:00Z"
                    end_date_time   = "2026-06-01T00:00:00Z"
                  + file            = "certs/signing.pem"
                }

            Plan: 2 to add, 0 to change, 2 to destroy.
            --- operations
            application.api.certificate.encryption
              SetCertificates 0b1ec7000000-0000-4000-8000-000000000001 ["signing=CCCC", "extra=DDDD"]
        "#]],
    );
}

#[test]
fn plan_certificate_keeps_live_key_for_unchanged_certificates() {
    let desired = with_certificates(vec![certificate("signing", "AAAA")]);
    let mut live = applied(&desired);
    live_app(&mut live, "api")
        .key_credentials
        .push(KeyCredential {
            key_id: "0d000000-0000-4000-8000-000000000000".into(),
            display_name: Some("portal-upload".into()),
            key_type: "AsymmetricX509Cert".into(),
            usage: "Verify".into(),
            custom_key_identifier: Some("EEEE".into()),
            start: None,
            end: Some(datetime!(2026-03-01 0:00 UTC)),
            key: None,
        });
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.certificate.portal-upload will be destroyed
          # (certificate "portal-upload" (expires 2026-03-01) is not in the manifest)
          - certificate "portal-upload" {
              - thumbprint    = "EEEE" -> null
              - key_id        = "0d000000-0000-4000-8000-000000000000" -> null
              - end_date_time = "2026-03-01T00:00:00Z" -> null
            }

        Plan: 0 to add, 0 to change, 1 to destroy.
        --- operations
        application.api.certificate.portal-upload
          SetCertificates 0b1ec7000000-0000-4000-8000-000000000001 ["signing=AAAA"]
    "#]],
    );
}

#[test]
fn plan_federated_credentials_create_update_delete() {
    let mut api = app("api");
    api.service_principal = None;
    api.federated_credentials = vec![
        federated("github-main", "repo:contoso/api:ref:refs/heads/main"),
        federated("github-pr", "repo:contoso/api:pull_request"),
    ];
    let live = applied(&state(vec![api.clone()]));
    api.federated_credentials = vec![
        federated("github-main", "repo:contoso/api:environment:production"),
        federated("github-tags", "repo:contoso/api:ref:refs/tags/v1"),
    ];
    check(
        state(vec![api]),
        live,
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.api.federated_credential.github-main will be updated in-place
              ~ federated_credential "github-main" {
                  ~ subject = "repo:contoso/api:ref:refs/heads/main" -> "repo:contoso/api:environment:production"
                }

              # application.api.federated_credential.github-pr will be destroyed
              # (federated credential "github-pr" is not in the manifest)
              - federated_credential "github-pr" {
                  - issuer    = "https://token.actions.githubusercontent.com" -> null
                  - subject   = "repo:contoso/api:pull_request" -> null
                  - audiences = [
                      - "api://AzureADTokenExchange",
                    ]
                }

              # application.api.federated_credential.github-tags will be created
              + federated_credential "github-tags" {
                  + issuer    = "https://token.actions.githubusercontent.com"
                  + subject   = "repo:contoso/api:ref:refs/tags/v1"
                  + audiences = [
                      + "api://AzureADTokenExchange",
                    ]
                }

            Plan: 1 to add, 1 to change, 1 to destroy.
            --- operations
            application.api.federated_credential.github-main
              after application.api.federated_credential.github-pr
              UpsertFederatedCredential 0b1ec7000000-0000-4000-8000-000000000001 github-main subject=repo:contoso/api:environment:production
            application.api.federated_credential.github-pr
              DeleteFederatedCredential 0b1ec7000000-0000-4000-8000-000000000001 github-pr
            application.api.federated_credential.github-tags
              after application.api.federated_credential.github-pr
              UpsertFederatedCredential 0b1ec7000000-0000-4000-8000-000000000001 github-tags subject=repo:contoso/api:ref:refs/tags/v1
        "#]],
    );
}

#[test]
fn plan_owners_added_and_removed_but_an_empty_list_is_unmanaged() {
    let mut managed = app("managed");
    managed.service_principal = None;
    managed.owners = vec![
        located("alice@contoso.com", 5, 9),
        located("bob@contoso.com", 5, 28),
    ];
    let mut unmanaged = app("unmanaged");
    unmanaged.service_principal = None;
    unmanaged.owners = vec![located("bob@contoso.com", 15, 9)];
    let mut live = applied(&state(vec![managed.clone(), unmanaged.clone()]));
    managed.owners = vec![located("alice@contoso.com", 5, 9)];
    unmanaged.owners.clear();
    live_app(&mut live, "managed")
        .owners
        .retain(|owner| owner != ALICE);
    check(
        state(vec![managed, unmanaged]),
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.managed.owner["alice@contoso.com"] will be created
          + owner "alice@contoso.com" {
              + object_id = "a11ce000-0000-4000-8000-000000000001"
              + type      = "user"
            }

          # application.managed.owner["bob@contoso.com"] will be destroyed
          # (owner "bob@contoso.com" is not in the manifest)
          - owner "bob@contoso.com" {
              - object_id = "b0b00000-0000-4000-8000-000000000002" -> null
              - type      = "user" -> null
            }

        Plan: 1 to add, 0 to change, 1 to destroy.
        --- operations
        application.managed.owner["alice@contoso.com"]
          AddOwner 0b1ec7000000-0000-4000-8000-000000000001 a11ce000-0000-4000-8000-000000000001
        application.managed.owner["bob@contoso.com"]
          RemoveOwner 0b1ec7000000-0000-4000-8000-000000000001 b0b00000-0000-4000-8000-000000000002
    "#]],
    );
}

#[test]
fn plan_service_principal_update_and_delete() {
    let mut with_sp = app("with-sp");
    let mut without_sp = app("without-sp");
    let live = applied(&state(vec![with_sp.clone(), without_sp.clone()]));
    with_sp.service_principal = Some(registrar_model::ServicePrincipalSettings {
        app_role_assignment_required: true,
        tags: vec!["WindowsAzureActiveDirectoryIntegratedApp".into()],
        notes: None,
    });
    without_sp.service_principal = None;
    check(
        state(vec![with_sp, without_sp]),
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.with-sp.service_principal will be updated in-place
          ~ service_principal "with-sp" {
              ~ app_role_assignment_required = false -> true
              ~ tags                         = [
                  + "WindowsAzureActiveDirectoryIntegratedApp",
                ]
            }

          # application.without-sp.service_principal will be destroyed
          # (servicePrincipal is false in the manifest)
          - service_principal "without-sp" {
              - object_id = "5e7e1c000000-0000-4000-8000-000000000006" -> null
            }

        Plan: 0 to add, 1 to change, 1 to destroy.
        --- operations
        application.with-sp.service_principal
          UpdateServicePrincipal 5e7e1c000000-0000-4000-8000-000000000003
        application.without-sp.service_principal
          DeleteServicePrincipal 5e7e1c000000-0000-4000-8000-000000000006
    "#]],
    );
}

#[test]
fn plan_reference_to_an_application_created_in_the_same_plan() {
    let mut api = app("dicom-api");
    api.service_principal = None;
    api.api.scopes = vec![scope("Dicom.Read")];
    api.api.known_client_applications = vec![located("dicom-viewer", 7, 34)];
    api.api.pre_authorized_applications = vec![DesiredPreAuthorizedApplication {
        app: located("dicom-viewer", 9, 16),
        scopes: vec!["Dicom.Read".into()],
    }];
    let mut viewer = app("dicom-viewer");
    viewer.service_principal = None;
    viewer.required_resource_access = vec![DesiredResourceAccess {
        resource: located("dicom-api", 20, 19),
        scopes: vec![located("Dicom.Read", 21, 18)],
        roles: vec![],
        admin_consent: false,
    }];
    let desired = state(vec![api, viewer]);
    check(
        desired.clone(),
        tenant(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.dicom-api will be created
              + application "dicom-api" {
                  + display_name                    = "dicom-api"
                  + sign_in_audience                = "AzureADMyOrg"
                  + tags                            = [
                      + "registrar:platform",
                    ]
                  + api.oauth2_permission_scopes    = [
                      + {
                          + value                      = "Dicom.Read"
                          + id                         = "3154e28e-fbea-5f36-a55e-3ea745c60509"
                          + type                       = "User"
                          + is_enabled                 = true
                          + admin_consent_display_name = "Dicom.Read (admin)"
                        },
                    ]
                  + unique_name                     = "platform.dicom-api"
                  + api.known_client_applications   = (known after apply)
                  + api.pre_authorized_applications = (known after apply)
                  + app_id                          = (known after apply)
                }

              # application.dicom-viewer will be created
              + application "dicom-viewer" {
                  + display_name             = "dicom-viewer"
                  + sign_in_audience         = "AzureADMyOrg"
                  + tags                     = [
                      + "registrar:platform",
                    ]
                  + unique_name              = "platform.dicom-viewer"
                  + required_resource_access = (known after apply)
                  + app_id                   = (known after apply)
                }

            Plan: 2 to add, 0 to change, 0 to destroy.
            --- operations
            application.dicom-api
              CreateApplication platform.dicom-api identifier_uris=[]
            application.dicom-api.references
              after application.dicom-api, application.dicom-viewer
              UpdateApplication (planned dicom-api) ["api"] scopes=["Dicom.Read"]
            application.dicom-viewer
              CreateApplication platform.dicom-viewer identifier_uris=[]
            application.dicom-viewer.references
              after application.dicom-viewer, application.dicom-api
              UpdateApplication (planned dicom-viewer) ["required_resource_access"]
        "#]],
    );
    let live = applied(&desired);
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        No changes. Your tenant matches the manifest.
    "#]],
    );
}

#[test]
fn plan_errors_name_their_origin_and_hint() {
    let mut api = app("api");
    api.owners = vec![located("dave@contoso.com", 4, 14)];
    api.required_resource_access = vec![
        DesiredResourceAccess {
            resource: located("Microsoft Graph", 10, 19),
            scopes: vec![located("User.Raed", 11, 18)],
            roles: vec![located("User.Read", 12, 17)],
            admin_consent: true,
        },
        DesiredResourceAccess {
            resource: located("Microsoft Grpah", 14, 19),
            scopes: vec![located("User.Read", 15, 18)],
            roles: vec![],
            admin_consent: false,
        },
    ];
    api.api.known_client_applications = vec![located("dicom-viewr", 7, 34)];
    api.api.pre_authorized_applications = vec![DesiredPreAuthorizedApplication {
        app: located("nobody", 8, 16),
        scopes: vec![],
    }];
    let mut viewer = app("dicom-viewer");
    viewer.app_id = Some("12345678-0000-4000-8000-000000000000".into());
    viewer.origin = origin(30, 3);
    check(
        state(vec![api, viewer]),
        tenant(),
        AT_NOW,
        expect![[r#"
        error: apps.yaml:4:14: owner `dave@contoso.com` not found in the tenant
          hint: owners are user principal names or object ids of users or service principals
        error: apps.yaml:7:34: knownClientApplications: `dicom-viewr` is not an application of this manifest
          hint: did you mean `dicom-viewer`? (or give the client's appId)
        error: apps.yaml:8:16: preAuthorizedApplications: `nobody` is not an application of this manifest
          hint: name an application key of this manifest, or give the client's appId
        error: apps.yaml:11:18: `User.Raed` is not a delegated permission of Microsoft Graph
          hint: did you mean `User.Read`?
        error: apps.yaml:12:17: `User.Read` is a delegated permission of Microsoft Graph, not an application permission
          hint: move it to `scopes`, or use the application permission `User.Read.All`
        error: apps.yaml:14:19: resource `Microsoft Grpah` is neither an application of this manifest, a known API, nor a service principal in the tenant
          hint: did you mean `Microsoft Graph`? (or give the API's appId)
        error: apps.yaml:30:3: application `dicom-viewer` pins appId `12345678-0000-4000-8000-000000000000`, which is not in the tenant
          hint: check the appId, or remove `appId` to create a new application

        7 errors; nothing was changed"#]],
    );
}

#[test]
fn plan_permissions_resolve_against_the_tenant_service_principal() {
    let mut api = app("api");
    api.service_principal = None;
    api.required_resource_access = vec![DesiredResourceAccess {
        resource: located("Contoso Billing", 10, 19),
        scopes: vec![],
        roles: vec![
            located("Invoices.Read.All", 11, 17),
            located("Invoice.Write", 12, 17),
        ],
        admin_consent: true,
    }];
    let mut live = tenant();
    live.resource_service_principals
        .push(registrar_model::ResourceServicePrincipal {
            id: "billing-sp".into(),
            app_id: "b1111111-0000-4000-8000-000000000000".into(),
            display_name: "Contoso Billing".into(),
            app_roles: vec![registrar_model::ExposedPermission {
                id: "r0000000-0000-4000-8000-000000000001".into(),
                value: "Invoices.Read.All".into(),
                is_enabled: true,
            }],
            oauth2_permission_scopes: vec![registrar_model::ExposedPermission {
                id: "s0000000-0000-4000-8000-000000000001".into(),
                value: "Invoices.Write".into(),
                is_enabled: true,
            }],
        });
    check(
        state(vec![api]),
        live,
        AT_NOW,
        expect![[r#"
            error: apps.yaml:12:17: `Invoice.Write` is not an application permission of Contoso Billing
              hint: did you mean `Invoices.Write`? it is a delegated permission: list it under `scopes`

            1 error; nothing was changed"#]],
    );
}

/// `daemon` asks Microsoft Graph for `roles` and `scopes`, with admin consent or not.
fn daemon(roles: &[&str], scopes: &[&str], admin_consent: bool) -> DesiredState {
    let mut daemon = app("daemon");
    daemon.required_resource_access = vec![DesiredResourceAccess {
        resource: located("Microsoft Graph", 10, 19),
        scopes: scopes.iter().map(|scope| located(scope, 11, 18)).collect(),
        roles: roles.iter().map(|role| located(role, 12, 17)).collect(),
        admin_consent,
    }];
    state(vec![daemon])
}

fn daemon_sp(live: &mut LiveTenant) -> &mut registrar_model::LiveServicePrincipal {
    live_app(live, "daemon").service_principal.as_mut().unwrap()
}

#[test]
fn plan_admin_consent_grants_roles_and_scopes_after_the_service_principal() {
    let desired = daemon(&["Directory.Read.All"], &["User.Read", "openid"], true);
    check(
        desired.clone(),
        tenant(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.daemon will be created
              + application "daemon" {
                  + display_name             = "daemon"
                  + sign_in_audience         = "AzureADMyOrg"
                  + tags                     = [
                      + "registrar:platform",
                    ]
                  + required_resource_access = [
                      + {
                          + resource_app_id = "00000003-0000-0000-c000-000000000000"
                          + resource        = "Microsoft Graph"
                          + resource_access = [
                              + {
                                  + value = "User.Read"
                                  + id    = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
                                  + type  = "Scope"
                                },
                              + {
                                  + value = "openid"
                                  + id    = "37f7f235-527c-4136-accd-4a02d197296e"
                                  + type  = "Scope"
                                },
                              + {
                                  + value = "Directory.Read.All"
                                  + id    = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"
                                  + type  = "Role"
                                },
                            ]
                        },
                    ]
                  + unique_name              = "platform.daemon"
                  + app_id                   = (known after apply)
                }

              # application.daemon.service_principal will be created
              + service_principal "daemon" {
                  + app_id    = (known after apply)
                  + object_id = (known after apply)
                }

              # application.daemon.consent["Microsoft Graph/Directory.Read.All"] will be created
              + consent "Microsoft Graph/Directory.Read.All" {
                  + resource   = "Microsoft Graph"
                  + permission = "Directory.Read.All"
                  + type       = "application"
                }

              # application.daemon.delegated_consent["Microsoft Graph"] will be created
              + delegated_consent "Microsoft Graph" {
                  + resource = "Microsoft Graph"
                  + scopes   = [
                      + "User.Read",
                      + "openid",
                    ]
                  + type     = "delegated"
                }

            API permission changes:
              + application.daemon: Directory.Read.All on Microsoft Graph (application; needs admin consent, granted by this apply; privilege tier none)
              + application.daemon: User.Read on Microsoft Graph (delegated; no admin consent needed, granted by this apply; privilege tier none)
              + application.daemon: openid on Microsoft Graph (delegated; no admin consent needed, granted by this apply; privilege tier none)

            Plan: 4 to add, 0 to change, 0 to destroy.
            --- operations
            application.daemon
              CreateApplication platform.daemon identifier_uris=[]
            application.daemon.service_principal
              after application.daemon
              CreateServicePrincipal (planned daemon)
            application.daemon.consent["Microsoft Graph/Directory.Read.All"]
              after application.daemon.service_principal
              GrantAppRole (planned sp daemon) on 9a900000-0000-4000-8000-00000000000a role=7ab1d382-f21e-4acd-a863-ba3e13f7da61
            application.daemon.delegated_consent["Microsoft Graph"]
              after application.daemon.service_principal
              GrantScopes (planned sp daemon) on 9a900000-0000-4000-8000-00000000000a scope="User.Read openid"
        "#]],
    );
    let live = applied(&desired);
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn plan_admin_consent_scope_changes_update_the_one_grant() {
    let live = applied(&daemon(
        &["Directory.Read.All"],
        &["User.Read", "openid"],
        true,
    ));
    check(
        daemon(&["Directory.Read.All"], &["profile", "User.Read"], true),
        live,
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.daemon will be updated in-place
              ~ application "daemon" {
                  ~ required_resource_access = [
                      ~ {
                            resource_app_id = "00000003-0000-0000-c000-000000000000"
                          ~ resource_access = [
                              - {
                                  - value = "openid"
                                  - id    = "37f7f235-527c-4136-accd-4a02d197296e"
                                  - type  = "Scope"
                                },
                              + {
                                  + value = "profile"
                                  + id    = "14dad69e-099b-42c9-810b-d002981feec1"
                                  + type  = "Scope"
                                },
                                # (2 unchanged elements hidden)
                            ]
                            # (1 unchanged attribute hidden)
                        },
                    ]
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
              + application.daemon: profile on Microsoft Graph (delegated; no admin consent needed, granted by this apply; privilege tier none)
              - application.daemon: openid on Microsoft Graph (delegated; no admin consent needed, consent revoked by this apply; privilege tier none)

            Plan: 0 to add, 2 to change, 0 to destroy.
            --- operations
            application.daemon
              UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["required_resource_access"]
            application.daemon.delegated_consent["Microsoft Graph"]
              UpdateGrantedScopes 9a4a47000000-0000-4000-8000-000000000005 scope="User.Read profile"
        "#]],
    );
}

#[test]
fn plan_admin_consent_withdrawn_or_permission_removed_is_revoked() {
    let live = applied(&daemon(
        &["Directory.Read.All", "User.Read.All"],
        &["User.Read"],
        true,
    ));
    // One role removed, and no scopes left to consent.
    let desired = daemon(&["Directory.Read.All"], &[], true);
    check(
        desired,
        live.clone(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.daemon will be updated in-place
              ~ application "daemon" {
                  ~ required_resource_access = [
                      ~ {
                            resource_app_id = "00000003-0000-0000-c000-000000000000"
                          ~ resource_access = [
                              - {
                                  - value = "User.Read"
                                  - id    = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
                                  - type  = "Scope"
                                },
                              - {
                                  - value = "User.Read.All"
                                  - id    = "df021288-bdef-4463-88db-98f22de89214"
                                  - type  = "Role"
                                },
                                # (1 unchanged element hidden)
                            ]
                            # (1 unchanged attribute hidden)
                        },
                    ]
                }

              # application.daemon.consent["Microsoft Graph/User.Read.All"] will be destroyed
              # (admin consent the manifest does not ask for)
              - consent "Microsoft Graph/User.Read.All" {
                  - resource   = "Microsoft Graph" -> null
                  - permission = "User.Read.All" -> null
                  - type       = "application" -> null
                }

              # application.daemon.delegated_consent["Microsoft Graph"] will be destroyed
              # (admin consent the manifest does not ask for)
              - delegated_consent "Microsoft Graph" {
                  - resource = "Microsoft Graph" -> null
                  - scopes   = [
                      - "User.Read",
                    ]
                  - type     = "delegated" -> null
                }

            API permission changes:
              - application.daemon: User.Read on Microsoft Graph (delegated; no admin consent needed, consent revoked by this apply; privilege tier none)
              - application.daemon: User.Read.All on Microsoft Graph (application; needs admin consent, consent revoked by this apply; privilege tier none)

            Plan: 0 to add, 1 to change, 2 to destroy.
            --- operations
            application.daemon
              UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["required_resource_access"]
            application.daemon.consent["Microsoft Graph/User.Read.All"]
              RevokeAppRole a5516e000000-0000-4000-8000-000000000005 on 9a900000-0000-4000-8000-00000000000a
            application.daemon.delegated_consent["Microsoft Graph"]
              RevokeGrant 9a4a47000000-0000-4000-8000-000000000006
        "#]],
    );
    // Consent withdrawn altogether: the permissions stay requested, the grants go.
    check(
        daemon_state_without_consent(),
        live,
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.daemon.consent["Microsoft Graph/Directory.Read.All"] will be destroyed
              # (admin consent the manifest does not ask for)
              - consent "Microsoft Graph/Directory.Read.All" {
                  - resource   = "Microsoft Graph" -> null
                  - permission = "Directory.Read.All" -> null
                  - type       = "application" -> null
                }

              # application.daemon.consent["Microsoft Graph/User.Read.All"] will be destroyed
              # (admin consent the manifest does not ask for)
              - consent "Microsoft Graph/User.Read.All" {
                  - resource   = "Microsoft Graph" -> null
                  - permission = "User.Read.All" -> null
                  - type       = "application" -> null
                }

              # application.daemon.delegated_consent["Microsoft Graph"] will be destroyed
              # (admin consent the manifest does not ask for)
              - delegated_consent "Microsoft Graph" {
                  - resource = "Microsoft Graph" -> null
                  - scopes   = [
                      - "User.Read",
                    ]
                  - type     = "delegated" -> null
                }

            API permission changes:
              ~ application.daemon: Directory.Read.All on Microsoft Graph (application; needs admin consent, consent revoked by this apply; privilege tier none)
              ~ application.daemon: User.Read on Microsoft Graph (delegated; no admin consent needed, consent revoked by this apply; privilege tier none)
              ~ application.daemon: User.Read.All on Microsoft Graph (application; needs admin consent, consent revoked by this apply; privilege tier none)

            Plan: 0 to add, 0 to change, 3 to destroy.
            --- operations
            application.daemon.consent["Microsoft Graph/Directory.Read.All"]
              RevokeAppRole a5516e000000-0000-4000-8000-000000000004 on 9a900000-0000-4000-8000-00000000000a
            application.daemon.consent["Microsoft Graph/User.Read.All"]
              RevokeAppRole a5516e000000-0000-4000-8000-000000000005 on 9a900000-0000-4000-8000-00000000000a
            application.daemon.delegated_consent["Microsoft Graph"]
              RevokeGrant 9a4a47000000-0000-4000-8000-000000000006
        "#]],
    );
}

fn daemon_state_without_consent() -> DesiredState {
    daemon(
        &["Directory.Read.All", "User.Read.All"],
        &["User.Read"],
        false,
    )
}

#[test]
fn plan_consent_given_by_hand_is_drift_but_per_user_consent_is_left_alone() {
    let desired = daemon(&["Directory.Read.All"], &["User.Read"], true);
    let mut live = applied(&desired);
    let sp = daemon_sp(&mut live);
    sp.app_role_assignments
        .push(registrar_model::AppRoleAssignment {
            id: "hand-made-assignment".into(),
            resource_id: GRAPH_SP.into(),
            app_role_id: graph_permission("User.Read.All", PermissionKind::Application),
        });
    sp.app_role_assignments
        .push(registrar_model::AppRoleAssignment {
            id: "unknown-api-assignment".into(),
            resource_id: "0ff1ce00-0000-4000-8000-000000000001".into(),
            app_role_id: "7011e000-0000-4000-8000-000000000002".into(),
        });
    sp.permission_grants.push(registrar_model::PermissionGrant {
        id: "alice-grant".into(),
        resource_id: GRAPH_SP.into(),
        consent_type: ConsentType::Principal,
        principal_id: Some(ALICE.into()),
        scope: "Mail.Read".into(),
    });
    sp.permission_grants.push(registrar_model::PermissionGrant {
        id: "unknown-api-grant".into(),
        resource_id: "0ff1ce00-0000-4000-8000-000000000001".into(),
        consent_type: ConsentType::AllPrincipals,
        principal_id: None,
        scope: "user_impersonation".into(),
    });
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.daemon.consent["0ff1ce00-0000-4000-8000-000000000001/7011e000-0000-4000-8000-000000000002"] will be destroyed
              # (admin consent the manifest does not ask for)
              - consent "0ff1ce00-0000-4000-8000-000000000001/7011e000-0000-4000-8000-000000000002" {
                  - resource   = "0ff1ce00-0000-4000-8000-000000000001" -> null
                  - permission = "7011e000-0000-4000-8000-000000000002" -> null
                  - type       = "application" -> null
                }

              # application.daemon.consent["Microsoft Graph/User.Read.All"] will be destroyed
              # (admin consent the manifest does not ask for)
              - consent "Microsoft Graph/User.Read.All" {
                  - resource   = "Microsoft Graph" -> null
                  - permission = "User.Read.All" -> null
                  - type       = "application" -> null
                }

              # application.daemon.delegated_consent["0ff1ce00-0000-4000-8000-000000000001"] will be destroyed
              # (admin consent the manifest does not ask for)
              - delegated_consent "0ff1ce00-0000-4000-8000-000000000001" {
                  - resource = "0ff1ce00-0000-4000-8000-000000000001" -> null
                  - scopes   = [
                      - "user_impersonation",
                    ]
                  - type     = "delegated" -> null
                }

            API permission changes:
              ~ application.daemon: 7011e000-0000-4000-8000-000000000002 on 0ff1ce00-0000-4000-8000-000000000001 (application; needs admin consent, consent revoked by this apply; privilege tier none)
              ~ application.daemon: user_impersonation on 0ff1ce00-0000-4000-8000-000000000001 (delegated; admin consent as the API says, consent revoked by this apply; privilege tier none)
              ~ application.daemon: User.Read.All on Microsoft Graph (application; needs admin consent, consent revoked by this apply; privilege tier none)

            Plan: 0 to add, 0 to change, 3 to destroy.
            --- operations
            application.daemon.consent["0ff1ce00-0000-4000-8000-000000000001/7011e000-0000-4000-8000-000000000002"]
              RevokeAppRole unknown-api-assignment on 0ff1ce00-0000-4000-8000-000000000001
            application.daemon.consent["Microsoft Graph/User.Read.All"]
              RevokeAppRole hand-made-assignment on 9a900000-0000-4000-8000-00000000000a
            application.daemon.delegated_consent["0ff1ce00-0000-4000-8000-000000000001"]
              RevokeGrant unknown-api-grant
        "#]],
    );
}

#[test]
fn plan_admin_consent_on_an_application_created_in_the_same_plan() {
    let mut api = app("api");
    api.api.scopes = vec![scope("Data.Read")];
    api.app_roles = vec![DesiredAppRole {
        value: "Data.Read.All".into(),
        display_name: "Read all data".into(),
        description: "Read all data".into(),
        allowed_member_types: vec!["Application".into()],
        enabled: true,
    }];
    let mut worker = app("worker");
    worker.required_resource_access = vec![DesiredResourceAccess {
        resource: located("api", 20, 19),
        scopes: vec![located("Data.Read", 21, 18)],
        roles: vec![located("Data.Read.All", 22, 17)],
        admin_consent: true,
    }];
    let desired = state(vec![api, worker]);
    check(
        desired.clone(),
        tenant(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.api will be created
              + application "api" {
                  + display_name                 = "api"
                  + sign_in_audience             = "AzureADMyOrg"
                  + tags                         = [
                      + "registrar:platform",
                    ]
                  + api.oauth2_permission_scopes = [
                      + {
                          + value                      = "Data.Read"
                          + id                         = "9b678ed3-476e-50f0-9b45-f88dd3bfd31c"
                          + type                       = "User"
                          + is_enabled                 = true
                          + admin_consent_display_name = "Data.Read (admin)"
                        },
                    ]
                  + app_roles                    = [
                      + {
                          + value                = "Data.Read.All"
                          + id                   = "8f685ee9-cad2-5983-92d1-87fecb29c212"
                          + display_name         = "Read all data"
                          + description          = "Read all data"
                          + allowed_member_types = [
                              + "Application",
                            ]
                          + is_enabled           = true
                        },
                    ]
                  + unique_name                  = "platform.api"
                  + app_id                       = (known after apply)
                }

              # application.api.service_principal will be created
              + service_principal "api" {
                  + app_id    = (known after apply)
                  + object_id = (known after apply)
                }

              # application.worker will be created
              + application "worker" {
                  + display_name             = "worker"
                  + sign_in_audience         = "AzureADMyOrg"
                  + tags                     = [
                      + "registrar:platform",
                    ]
                  + unique_name              = "platform.worker"
                  + required_resource_access = (known after apply)
                  + app_id                   = (known after apply)
                }

              # application.worker.service_principal will be created
              + service_principal "worker" {
                  + app_id    = (known after apply)
                  + object_id = (known after apply)
                }

              # application.worker.consent["api/Data.Read.All"] will be created
              + consent "api/Data.Read.All" {
                  + resource   = "api"
                  + permission = "Data.Read.All"
                  + type       = "application"
                }

              # application.worker.delegated_consent["api"] will be created
              + delegated_consent "api" {
                  + resource = "api"
                  + scopes   = [
                      + "Data.Read",
                    ]
                  + type     = "delegated"
                }

            API permission changes:
              + application.worker: Data.Read on api (delegated; admin consent as the API says, granted by this apply; privilege tier none)
              + application.worker: Data.Read.All on api (application; needs admin consent, granted by this apply; privilege tier none)

            Plan: 6 to add, 0 to change, 0 to destroy.
            --- operations
            application.api
              CreateApplication platform.api identifier_uris=[]
            application.api.service_principal
              after application.api
              CreateServicePrincipal (planned api)
            application.worker
              CreateApplication platform.worker identifier_uris=[]
            application.worker.service_principal
              after application.worker
              CreateServicePrincipal (planned worker)
            application.worker.consent["api/Data.Read.All"]
              after application.api, application.api.service_principal, application.worker.service_principal
              GrantAppRole (planned sp worker) on (planned sp api) role=8f685ee9-cad2-5983-92d1-87fecb29c212
            application.worker.delegated_consent["api"]
              after application.api, application.api.service_principal, application.worker.service_principal
              GrantScopes (planned sp worker) on (planned sp api) scope="Data.Read"
            application.worker.references
              after application.worker, application.api
              UpdateApplication (planned worker) ["required_resource_access"]
        "#]],
    );
    let live = applied(&desired);
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        No changes. Your tenant matches the manifest.
    "#]],
    );
}

#[test]
fn plan_admin_consent_needs_the_resource_service_principal() {
    let mut api = app("api");
    api.service_principal = None;
    api.app_roles = vec![DesiredAppRole {
        value: "Data.Read.All".into(),
        display_name: "Read all data".into(),
        description: "Read all data".into(),
        allowed_member_types: vec!["Application".into()],
        enabled: true,
    }];
    let mut worker = app("worker");
    worker.required_resource_access = vec![
        DesiredResourceAccess {
            resource: located("api", 20, 19),
            scopes: vec![],
            roles: vec![located("Data.Read.All", 21, 17)],
            admin_consent: true,
        },
        DesiredResourceAccess {
            resource: located("0b07f429-9f4b-4714-9392-cc5e8e80c8b0", 23, 19),
            scopes: vec![located("Read.Write", 24, 18)],
            roles: vec![],
            admin_consent: true,
        },
    ];
    check(
        state(vec![api, worker]),
        tenant(),
        AT_NOW,
        expect![[r#"
        error: apps.yaml:20:19: cannot grant admin consent on application `api`: it has no service principal (`servicePrincipal: false`)
          hint: remove `servicePrincipal: false` from `api`, or set `adminConsent: false`
        error: apps.yaml:23:19: cannot grant admin consent on Azure Digital Twins: its service principal is not in the tenant
          hint: create the API's service principal in this tenant first, or set `adminConsent: false`

        2 errors; nothing was changed"#]],
    );
}

fn role_assignment(role: &str, scope: &str, line: usize) -> DesiredRoleAssignment {
    DesiredRoleAssignment {
        role: located(role, line, 15),
        scope: located(scope, line + 1, 16),
        description: None,
    }
}

fn rg(name: &str) -> String {
    format!("{SUBSCRIPTION}/resourceGroups/{name}")
}

fn worker(assignments: Vec<DesiredRoleAssignment>) -> DesiredState {
    let mut worker = app("worker");
    worker.role_assignments = assignments;
    state(vec![worker])
}

#[test]
fn plan_role_assignments_are_created_after_the_service_principal() {
    let mut monitoring = role_assignment(
        "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
        "/providers/Microsoft.Management/managementGroups/mg-1",
        24,
    );
    monitoring.description = Some("Read monitoring data".into());
    let desired = worker(vec![
        role_assignment("reader", &rg("rg-001"), 20),
        role_assignment("Platform Deployer", &rg("rg-001"), 22),
        monitoring,
        // The same assignment again, by GUID: one assignment.
        role_assignment(READER, &format!("{}/", rg("RG-001")), 26),
    ]);
    check(
        desired.clone(),
        tenant(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.worker will be created
              + application "worker" {
                  + display_name     = "worker"
                  + sign_in_audience = "AzureADMyOrg"
                  + tags             = [
                      + "registrar:platform",
                    ]
                  + unique_name      = "platform.worker"
                  + app_id           = (known after apply)
                }

              # application.worker.service_principal will be created
              + service_principal "worker" {
                  + app_id    = (known after apply)
                  + object_id = (known after apply)
                }

              # role_assignment.worker["Monitoring Reader @ /providers/Microsoft.Management/managementGroups/mg-1"] will be created
              + role_assignment "Monitoring Reader @ /providers/Microsoft.Management/managementGroups/mg-1" {
                  + role        = "Monitoring Reader"
                  + scope       = "/providers/Microsoft.Management/managementGroups/mg-1"
                  + description = "Read monitoring data"
                  + principal   = (known after apply)
                }

              # role_assignment.worker["Platform Deployer @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be created
              + role_assignment "Platform Deployer @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
                  + role      = "Platform Deployer"
                  + scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"
                  + principal = (known after apply)
                }

              # role_assignment.worker["Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be created
              + role_assignment "Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
                  + role      = "Reader"
                  + scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"
                  + principal = (known after apply)
                }

            Plan: 5 to add, 0 to change, 0 to destroy.
            --- operations
            application.worker
              CreateApplication platform.worker identifier_uris=[]
            application.worker.service_principal
              after application.worker
              CreateServicePrincipal (planned worker)
            role_assignment.worker["Monitoring Reader @ /providers/Microsoft.Management/managementGroups/mg-1"]
              after application.worker.service_principal
              CreateRoleAssignment (planned sp worker) role=43d0d8ad-25c7-4714-9337-8ba259a9fe05 scope=/providers/Microsoft.Management/managementGroups/mg-1 description=Some("Read monitoring data")
            role_assignment.worker["Platform Deployer @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"]
              after application.worker.service_principal
              CreateRoleAssignment (planned sp worker) role=c0ffee00-0000-4000-8000-000000000001 scope=/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001 description=None
            role_assignment.worker["Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"]
              after application.worker.service_principal
              CreateRoleAssignment (planned sp worker) role=acdd72a7-3385-48ef-bd42-f606fba81ae7 scope=/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001 description=None
        "#]],
    );
    let live = converged(&desired, tenant());
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn plan_role_assignments_replace_a_changed_role_and_remove_undeclared_ones() {
    let mut live = converged(
        &worker(vec![role_assignment("Reader", &rg("rg-001"), 20)]),
        tenant(),
    );
    let sp = live_app(&mut live, "worker")
        .service_principal
        .as_mut()
        .unwrap();
    let principal = sp.id.clone();
    // Made by hand: a role the manifest does not declare, and the declared custom role with
    // another description and the scope in other case, which counts as present.
    for (scope, role, name, description) in [
        (rg("rg-002"), CONTRIBUTOR, "hand-1", None),
        (rg("RG-001"), CUSTOM_ROLE, "hand-2", Some("by hand")),
    ] {
        sp.role_assignments.push(RoleAssignment {
            id: format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            name: name.into(),
            scope,
            role_definition_id: role.into(),
            principal_id: principal.clone(),
            description: description.map(str::to_owned),
        });
    }
    let desired = worker(vec![
        role_assignment("Monitoring Reader", &rg("rg-001"), 20),
        role_assignment("Platform Deployer", &rg("rg-001"), 22),
    ]);
    check(
        desired.clone(),
        live.clone(),
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # role_assignment.worker["Contributor @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002"] will be destroyed
          # (role assignment is not in the manifest)
          - role_assignment "Contributor @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002" {
              - role      = "Contributor" -> null
              - scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002" -> null
              - principal = "5e7e1c000000-0000-4000-8000-000000000003" -> null
            }

          # role_assignment.worker["Monitoring Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be created
          + role_assignment "Monitoring Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
              + role      = "Monitoring Reader"
              + scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"
              + principal = "5e7e1c000000-0000-4000-8000-000000000003"
            }

          # role_assignment.worker["Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"] will be destroyed
          # (role assignment is not in the manifest)
          - role_assignment "Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" {
              - role      = "Reader" -> null
              - scope     = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001" -> null
              - principal = "5e7e1c000000-0000-4000-8000-000000000003" -> null
            }

        Plan: 1 to add, 0 to change, 2 to destroy.
        --- operations
        role_assignment.worker["Contributor @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002"]
          DeleteRoleAssignment /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-002/providers/Microsoft.Authorization/roleAssignments/hand-1
        role_assignment.worker["Monitoring Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"]
          CreateRoleAssignment 5e7e1c000000-0000-4000-8000-000000000003 role=43d0d8ad-25c7-4714-9337-8ba259a9fe05 scope=/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001 description=None
        role_assignment.worker["Reader @ /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001"]
          DeleteRoleAssignment /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001/providers/Microsoft.Authorization/roleAssignments/222289fa-3d1f-55c1-9114-639b4e64f680
    "#]],
    );
    let live = converged(&desired, live);
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn plan_role_assignment_with_an_unknown_role_is_an_error_with_a_hint() {
    check(
        worker(vec![
            role_assignment("Platform Deployr", &rg("rg-001"), 20),
            role_assignment("Nobody Knows", &rg("rg-001"), 22),
        ]),
        tenant(),
        AT_NOW,
        expect![[r#"
            error: apps.yaml:20:15: role `Platform Deployr` is neither a built-in role nor a custom role at `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001`
              hint: did you mean `Platform Deployer`?
            error: apps.yaml:22:15: role `Nobody Knows` is neither a built-in role nor a custom role at `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001`
              hint: name a built-in role, a custom role that can be assigned at this scope, or a role definition GUID

            2 errors; nothing was changed"#]],
    );
}

/// `live` with the application `key` soft-deleted, as Graph keeps it: with its credentials.
fn deleted(mut live: LiveTenant, key: &str) -> LiveTenant {
    let position = live
        .applications
        .iter()
        .position(|app| app.unique_name.as_deref() == Some(&format!("platform.{key}")))
        .unwrap();
    let app = live.applications.remove(position);
    live.deleted_applications.push(DeletedApplication {
        id: app.id,
        app_id: app.app_id,
        unique_name: app.unique_name,
        display_name: app.settings.plain.display_name,
        deleted_date_time: Some("2025-12-24T00:00:00Z".into()),
        password_credentials: app.password_credentials,
        key_credentials: app.key_credentials,
        tags: app.settings.plain.tags,
    });
    live
}

#[test]
fn plan_restore_keeps_a_restored_secret_its_store_holds_and_removes_the_rest() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = applied(&desired);
    live_app(&mut live, "api")
        .password_credentials
        .push(PasswordCredential {
            key_id: "stray-key".into(),
            display_name: Some("by-hand".into()),
            hint: Some("abc".into()),
            start: None,
            end: None,
        });
    let live = deleted(live, "api");
    check(
        desired.clone(),
        live.clone(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.api will be restored from deleted items
              + application "api" {
                  + app_id           = "a9901d000000-0000-4000-8000-000000000002"
                  + display_name     = "api"
                  + sign_in_audience = "AzureADMyOrg"
                  + tags             = [
                      + "registrar:platform",
                    ]
                }

              # application.api.secret.by-hand will be destroyed
              # (secret "by-hand" (hint abc) is not in the manifest)
              - secret "by-hand" {
                  - display_name = "by-hand" -> null
                  - key_id       = "stray-key" -> null
                  - hint         = "abc" -> null
                }

            Plan: 1 to add, 0 to change, 1 to destroy.
            --- operations
            application.api
              RestoreApplication 0b1ec7000000-0000-4000-8000-000000000001
              UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["display_name", "description", "notes", "sign_in_audience", "identifier_uris", "tags", "web", "spa_redirect_uris", "public_client_redirect_uris", "is_fallback_public_client", "group_membership_claims", "service_management_reference", "info", "optional_claims", "api", "app_roles", "required_resource_access"] scopes=[] identifier_uris=[]
            application.api.secret.by-hand
              after application.api
              RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 stray-key
        "#]],
    );
    // One apply converges: the next plan has nothing to do.
    let after = applied_at(&desired, live, NOW);
    let again = plan(&desired, &after, NOW, &PlanOptions::default()).unwrap();
    assert!(
        again
            .changes
            .iter()
            .all(|change| change.operations.is_empty()),
        "{:#?}",
        again.changes
    );
}

#[test]
fn plan_restore_rotates_a_restored_secret_its_store_lost() {
    let desired = with_secrets(vec![secret("ci")]);
    let mut live = deleted(applied(&desired), "api");
    live.secret_stores[0].contents = SecretStoreContents::Missing;
    check(
        desired,
        live,
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api will be restored from deleted items
          + application "api" {
              + app_id           = "a9901d000000-0000-4000-8000-000000000002"
              + display_name     = "api"
              + sign_in_audience = "AzureADMyOrg"
              + tags             = [
                  + "registrar:platform",
                ]
            }

          # application.api.secret.ci will be rotated (the store has no value)
        +/- secret "ci" {
                display_name  = "ci"
                end_date_time = "2026-06-30T00:00:00Z"
                store         = "keyVault kv-platform/ci"
              ~ key_id        = "5ec7e7000000-0000-4000-8000-000000000003" -> (known after apply)
              ~ hint          = "xyz" -> (known after apply)
              ~ value         = (sensitive value)
            }

        Plan: 1 to add, 1 to change, 0 to destroy.
        --- operations
        application.api
          RestoreApplication 0b1ec7000000-0000-4000-8000-000000000001
          UpdateApplication 0b1ec7000000-0000-4000-8000-000000000001 ["display_name", "description", "notes", "sign_in_audience", "identifier_uris", "tags", "web", "spa_redirect_uris", "public_client_redirect_uris", "is_fallback_public_client", "group_membership_claims", "service_management_reference", "info", "optional_claims", "api", "app_roles", "required_resource_access"] scopes=[] identifier_uris=[]
        application.api.secret.ci
          after application.api
          AddSecret 0b1ec7000000-0000-4000-8000-000000000001 ci end=2026-06-30 0:00:00.0 +00:00:00
          RemoveSecret 0b1ec7000000-0000-4000-8000-000000000001 5ec7e7000000-0000-4000-8000-000000000003
    "#]],
    );
}

fn sp_of<'a>(live: &'a mut LiveTenant, key: &str) -> &'a mut registrar_model::LiveServicePrincipal {
    live_app(live, key).service_principal.as_mut().unwrap()
}

#[test]
fn plan_removes_every_credential_on_the_service_principal() {
    let desired = state(vec![app("api")]);
    let mut live = applied(&desired);
    let sp = sp_of(&mut live, "api");
    sp.password_credentials = vec![
        PasswordCredential {
            key_id: "5bc1e7a0-0000-4000-8000-000000000001".into(),
            display_name: Some("by hand".into()),
            hint: Some("Ab3".into()),
            start: Some(datetime!(2026-01-01 0:00 UTC)),
            end: Some(datetime!(2027-01-01 0:00 UTC)),
        },
        PasswordCredential {
            key_id: "5bc1e7a0-0000-4000-8000-000000000002".into(),
            display_name: None,
            hint: None,
            start: None,
            end: None,
        },
    ];
    sp.key_credentials = vec![
        KeyCredential {
            key_id: "5bce7000-0000-4000-8000-000000000001".into(),
            display_name: Some("CN=a".into()),
            key_type: "AsymmetricX509Cert".into(),
            usage: "Verify".into(),
            custom_key_identifier: Some("AAAA".into()),
            start: None,
            end: Some(datetime!(2027-01-01 0:00 UTC)),
            key: None,
        },
        KeyCredential {
            key_id: "5bce7000-0000-4000-8000-000000000002".into(),
            display_name: Some("CN=b".into()),
            key_type: "AsymmetricX509Cert".into(),
            usage: "Verify".into(),
            custom_key_identifier: Some("BBBB".into()),
            start: None,
            end: None,
            key: None,
        },
    ];
    check(
        desired.clone(),
        live.clone(),
        AT_NOW,
        expect![[r#"
            Registrar will perform the following actions:

              # application.api.service_principal.secret[""]["5bc1e7a0-0000-4000-8000-000000000002"] will be destroyed
              # (service principal secret is not in the manifest)
              - service_principal_secret "" {
                  - key_id = "5bc1e7a0-0000-4000-8000-000000000002" -> null
                }

              # application.api.service_principal.secret["by hand"] will be destroyed
              # (service principal secret "by hand" (hint Ab3, expires 2027-01-01) is not in the manifest)
              - service_principal_secret "by hand" {
                  - display_name    = "by hand" -> null
                  - key_id          = "5bc1e7a0-0000-4000-8000-000000000001" -> null
                  - hint            = "Ab3" -> null
                  - start_date_time = "2026-01-01T00:00:00Z" -> null
                  - end_date_time   = "2027-01-01T00:00:00Z" -> null
                }

              # application.api.service_principal.certificate["CN=a"] will be destroyed
              # (service principal certificate "CN=a" (expires 2027-01-01) is not in the manifest)
              - service_principal_certificate "CN=a" {
                  - display_name  = "CN=a" -> null
                  - key_id        = "5bce7000-0000-4000-8000-000000000001" -> null
                  - type          = "AsymmetricX509Cert" -> null
                  - usage         = "Verify" -> null
                  - thumbprint    = "AAAA" -> null
                  - end_date_time = "2027-01-01T00:00:00Z" -> null
                }

              # application.api.service_principal.certificate["CN=b"] will be destroyed
              # (service principal certificate "CN=b" is not in the manifest)
              - service_principal_certificate "CN=b" {
                  - display_name = "CN=b" -> null
                  - key_id       = "5bce7000-0000-4000-8000-000000000002" -> null
                  - type         = "AsymmetricX509Cert" -> null
                  - usage        = "Verify" -> null
                  - thumbprint   = "BBBB" -> null
                }

            Plan: 0 to add, 0 to change, 4 to destroy.
            --- operations
            application.api.service_principal.secret[""]["5bc1e7a0-0000-4000-8000-000000000002"]
              RemoveServicePrincipalPassword 5e7e1c000000-0000-4000-8000-000000000003 5bc1e7a0-0000-4000-8000-000000000002
            application.api.service_principal.secret["by hand"]
              RemoveServicePrincipalPassword 5e7e1c000000-0000-4000-8000-000000000003 5bc1e7a0-0000-4000-8000-000000000001
            application.api.service_principal.certificate["CN=a"]
              RemoveServicePrincipalKey 5e7e1c000000-0000-4000-8000-000000000003 5bce7000-0000-4000-8000-000000000001
            application.api.service_principal.certificate["CN=b"]
              after application.api.service_principal.certificate["CN=a"]
              RemoveServicePrincipalKey 5e7e1c000000-0000-4000-8000-000000000003 5bce7000-0000-4000-8000-000000000002
        "#]],
    );
    let after = converged(&desired, live);
    let sp = after.applications[0].service_principal.as_ref().unwrap();
    assert!(sp.password_credentials.is_empty() && sp.key_credentials.is_empty());
    assert!(
        plan(&desired, &after, NOW, &PlanOptions::default())
            .unwrap()
            .changes
            .is_empty()
    );
}

#[test]
fn plan_service_principal_owners_declared_added_undeclared_removed_signed_in_kept() {
    let mut api = app("api");
    api.service_principal_owners = vec![located("alice@contoso.com", 7, 13)];
    let desired = state(vec![api]);
    let mut live = applied(&state(vec![app("api")]));
    const SIGNED_IN: &str = "c1e47000-0000-4000-8000-000000000009";
    live.signed_in = Some(registrar_model::SignedInClient {
        object_id: SIGNED_IN.into(),
        app_id: "c1e47000-0000-4000-8000-0000000000aa".into(),
        display_name: Some("registrar-ci".into()),
        graph_roles: Vec::new(),
    });
    sp_of(&mut live, "api").owners = vec![BOB.into(), SIGNED_IN.into()];
    check(
        desired.clone(),
        live.clone(),
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api.service_principal.owner["alice@contoso.com"] will be created
          + service_principal_owner "alice@contoso.com" {
              + object_id = "a11ce000-0000-4000-8000-000000000001"
              + type      = "user"
            }

          # application.api.service_principal.owner["bob@contoso.com"] will be destroyed
          # (service principal owner "bob@contoso.com" is not in the manifest)
          - service_principal_owner "bob@contoso.com" {
              - object_id = "b0b00000-0000-4000-8000-000000000002" -> null
              - type      = "user" -> null
            }

        Plan: 1 to add, 0 to change, 1 to destroy.

        Warning: application.api.service_principal.owner["c1e47000-0000-4000-8000-000000000009"]: the signed-in principal (c1e47000-0000-4000-8000-000000000009) owns the service principal but the manifest does not list it; it is kept, since removing it could lock this client out (list it under servicePrincipal.owners to silence this)
        --- operations
        application.api.service_principal.owner["alice@contoso.com"]
          AddServicePrincipalOwner 5e7e1c000000-0000-4000-8000-000000000003 a11ce000-0000-4000-8000-000000000001
        application.api.service_principal.owner["bob@contoso.com"]
          RemoveServicePrincipalOwner 5e7e1c000000-0000-4000-8000-000000000003 b0b00000-0000-4000-8000-000000000002
    "#]],
    );
    let after = converged(&desired, live);
    let result = plan(&desired, &after, NOW, &PlanOptions::default()).unwrap();
    assert!(result.changes.is_empty(), "{:?}", result.changes);
    assert_eq!(result.warnings.len(), 1);
}

#[test]
fn plan_service_principal_owners_of_a_new_application_wait_for_its_service_principal() {
    let mut api = app("api");
    api.service_principal_owners = vec![located("bob@contoso.com", 7, 13)];
    check(
        state(vec![api]),
        tenant(),
        AT_NOW,
        expect![[r#"
        Registrar will perform the following actions:

          # application.api will be created
          + application "api" {
              + display_name     = "api"
              + sign_in_audience = "AzureADMyOrg"
              + tags             = [
                  + "registrar:platform",
                ]
              + unique_name      = "platform.api"
              + app_id           = (known after apply)
            }

          # application.api.service_principal will be created
          + service_principal "api" {
              + app_id    = (known after apply)
              + object_id = (known after apply)
            }

          # application.api.service_principal.owner["bob@contoso.com"] will be created
          + service_principal_owner "bob@contoso.com" {
              + object_id = "b0b00000-0000-4000-8000-000000000002"
              + type      = "user"
            }

        Plan: 3 to add, 0 to change, 0 to destroy.
        --- operations
        application.api
          CreateApplication platform.api identifier_uris=[]
        application.api.service_principal
          after application.api
          CreateServicePrincipal (planned api)
        application.api.service_principal.owner["bob@contoso.com"]
          after application.api.service_principal, application.api
          AddServicePrincipalOwner (planned sp api) b0b00000-0000-4000-8000-000000000002
    "#]],
    );
}

#[test]
fn plan_service_principal_owner_not_found_is_an_error() {
    let mut api = app("api");
    api.service_principal_owners = vec![located("nobody@contoso.com", 7, 13)];
    check(
        state(vec![api]),
        tenant(),
        AT_NOW,
        expect![[r#"
        error: apps.yaml:7:13: service principal owner `nobody@contoso.com` not found in the tenant
          hint: owners are user principal names or object ids of users or service principals

        1 error; nothing was changed"#]],
    );
}
