//! What Registrar may manage and what it may take away: an application holding a declared
//! unique name without the marker tag is refused (it was not created by Registrar), one pinned
//! by appId without the marker is adopted (managed, never tagged, never pruned), the signed-in
//! principal is never removed as an owner, a protected application is never deleted, and the
//! destructive changes are listed on their own for `apply`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use expect_test::{Expect, expect};
use registrar_model::{LiveApplication, LiveTenant, SignedInClient, marker_tag, protect_tag};
use registrar_plan::render::{TextOptions, destructive, text, warnings};
use registrar_plan::{PlanOptions, PlanProblem, plan};

const PRUNE: PlanOptions = PlanOptions { prune: true };
const NO_PRUNE: PlanOptions = PlanOptions { prune: false };

/// The signed-in client of the tests: a service principal.
const AUTOMATION: &str = "5e1f0000-0000-4000-8000-0000000000aa";

/// The text plan and its warnings, or the errors.
fn outcome(
    desired: &registrar_model::DesiredState,
    live: &LiveTenant,
    options: PlanOptions,
) -> String {
    match plan(desired, live, NOW, &options) {
        Ok(plan) => {
            valid_json_plan(&plan);
            let mut out = Vec::new();
            text(&plan, &TextOptions { color: false }, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        }
        Err(errors) => errors.to_string(),
    }
}

fn check(
    desired: &registrar_model::DesiredState,
    live: &LiveTenant,
    options: PlanOptions,
    expect: Expect,
) {
    expect.assert_eq(&outcome(desired, live, options));
}

/// An application someone else made with this namespace's unique name for `key`: no marker.
fn stranger(key: &str) -> LiveApplication {
    let mut app = LiveApplication {
        id: "57a0e000-0000-4000-8000-000000000001".into(),
        app_id: "57a0e000-0000-4000-8000-0000000000a1".into(),
        unique_name: Some(format!("platform.{key}")),
        owners: vec![ALICE.into(), "0dd00000-0000-4000-8000-000000000009".into()],
        ..Default::default()
    };
    app.settings.plain.display_name = "Team portal".into();
    app.settings.plain.sign_in_audience = "AzureADMyOrg".into();
    app
}

#[test]
fn an_unmarked_application_holding_the_unique_name_is_refused_with_its_owners() {
    let desired = state(vec![app("portal")]);
    let mut live = tenant();
    live.applications.push(stranger("portal"));
    check(
        &desired,
        &live,
        NO_PRUNE,
        expect![[r#"
            error: apps.yaml:3:3: application `portal`: the tenant's application "Team portal" (appId 57a0e000-0000-4000-8000-0000000000a1, object id 57a0e000-0000-4000-8000-000000000001) holds the unique name `platform.portal` but does not carry the marker tag `registrar:platform`, so Registrar did not create it and will not manage it; its owners: 0dd00000-0000-4000-8000-000000000009, alice@contoso.com
              hint: to adopt it on purpose, pin its appId in the manifest under `portal:`
                  appId: "57a0e000-0000-4000-8000-0000000000a1"
                otherwise ask its owners to delete it, or give the application another key

            1 error; nothing was changed"#]],
    );
    let errors = plan(&desired, &live, NOW, &NO_PRUNE).unwrap_err();
    assert!(matches!(
        &errors.errors[0].problem,
        Some(PlanProblem::UnmarkedApplication { key, owners, .. })
            if key == "portal" && owners.len() == 2
    ));
}

#[test]
fn an_owner_known_only_by_display_name_is_named_by_it() {
    let desired = state(vec![app("portal")]);
    let mut live = tenant();
    let mut app = stranger("portal");
    app.owners = vec![AUTOMATION.into()];
    live.applications.push(app);
    live.directory_objects
        .push(registrar_model::DirectoryObject {
            id: AUTOMATION.into(),
            kind: registrar_model::DirectoryObjectKind::ServicePrincipal,
            user_principal_name: None,
            display_name: Some("someone's automation".into()),
        });
    let text = outcome(&desired, &live, NO_PRUNE);
    assert!(
        text.contains(&format!(
            "its owners: \"someone's automation\" ({AUTOMATION})"
        )),
        "{text}"
    );
}

#[test]
fn pinning_the_unmarked_application_adopts_it_without_tagging_it() {
    let mut portal = app("portal");
    portal.app_id = Some(stranger("portal").app_id);
    portal.plain.display_name = "Team portal".into();
    portal.service_principal = None;
    let desired = state(vec![portal]);
    let mut live = tenant();
    live.applications.push(stranger("portal"));
    check(
        &desired,
        &live,
        NO_PRUNE,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
    // What the manifest declares is still managed, without the marker tag.
    let mut changed = desired.clone();
    changed.applications[0].plain.notes = Some("adopted".into());
    let text = outcome(&changed, &live, NO_PRUNE);
    assert!(text.contains("~ notes = null -> \"adopted\""), "{text}");
    assert!(!text.contains("registrar:platform"), "{text}");
}

#[test]
fn an_adopted_application_removed_from_the_manifest_is_never_pruned() {
    // The snapshot reads marked applications and declared ones; an adopted application left
    // out of the manifest may still be in it (e.g. read for another purpose): not pruned.
    let mut live = tenant();
    live.applications.push(stranger("portal"));
    let mut pinned_elsewhere = stranger("legacy");
    pinned_elsewhere.id = "57a0e000-0000-4000-8000-000000000002".into();
    pinned_elsewhere.app_id = "57a0e000-0000-4000-8000-0000000000a2".into();
    pinned_elsewhere.unique_name = None;
    live.applications.push(pinned_elsewhere);
    check(
        &state(vec![]),
        &live,
        PRUNE,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn an_adopted_application_that_carries_the_marker_keeps_it() {
    let mut portal = app("portal");
    portal.app_id = Some(stranger("portal").app_id);
    portal.plain.display_name = "Team portal".into();
    portal.service_principal = None;
    let mut live = tenant();
    let mut tagged = stranger("portal");
    tagged.settings.plain.tags = vec![marker_tag("platform")];
    live.applications.push(tagged);
    check(
        &state(vec![portal]),
        &live,
        NO_PRUNE,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

/// The tenant after applying `desired`, with the automation client signed in and an owner of
/// every application, as when it created them.
fn applied_by_automation(desired: &registrar_model::DesiredState) -> LiveTenant {
    let mut live = converged(desired, tenant());
    for app in &mut live.applications {
        app.owners.push(AUTOMATION.into());
    }
    live.signed_in = Some(SignedInClient {
        object_id: AUTOMATION.into(),
        app_id: "5e1f0000-0000-4000-8000-0000000000ab".into(),
        display_name: Some("registrar-ci".into()),
        graph_roles: vec!["Application.ReadWrite.OwnedBy".into()],
    });
    live
}

#[test]
fn the_signed_in_principal_is_never_removed_as_an_owner() {
    let mut api = app("api");
    api.owners = vec![
        located("alice@contoso.com", 8, 7),
        located("bob@contoso.com", 9, 7),
    ];
    let desired = state(vec![api]);
    let live = applied_by_automation(&desired);
    let mut without_bob = desired.clone();
    without_bob.applications[0].owners.truncate(1);
    let plan = plan(&without_bob, &live, NOW, &NO_PRUNE).unwrap();
    let mut out = Vec::new();
    text(&plan, &TextOptions { color: false }, &mut out).unwrap();
    expect![[r#"
        Registrar will perform the following actions:

          # application.api.owner["bob@contoso.com"] will be destroyed
          # (owner "bob@contoso.com" is not in the manifest)
          - owner "bob@contoso.com" {
              - object_id = "b0b00000-0000-4000-8000-000000000002" -> null
              - type      = "user" -> null
            }

        Plan: 0 to add, 0 to change, 1 to destroy.

        Warning: application.api.owner["5e1f0000-0000-4000-8000-0000000000aa"]: "registrar-ci" (5e1f0000-0000-4000-8000-0000000000aa) is the principal this run is signed in as; it stays an owner although the manifest does not list it, since removing it would lock Registrar out of the application (add it to `owners`, or remove it by hand if that is what you want)
    "#]]
    .assert_eq(&String::from_utf8(out).unwrap());
    assert_eq!(warnings(&plan).len(), 1);
}

#[test]
fn without_a_signed_in_principal_every_undeclared_owner_is_removed() {
    let mut api = app("api");
    api.owners = vec![located("alice@contoso.com", 8, 7)];
    let desired = state(vec![api]);
    let mut live = applied_by_automation(&desired);
    live.signed_in = None;
    let plan = plan(&desired, &live, NOW, &NO_PRUNE).unwrap();
    assert_eq!(plan.summary().destroy, 1);
    assert!(plan.warnings.is_empty());
}

#[test]
fn protect_is_recorded_in_the_tenant_and_converges() {
    let mut vault = app("vault-reader");
    vault.protect = true;
    let desired = state(vec![vault]);
    let created = outcome(&desired, &tenant(), NO_PRUNE);
    assert!(
        created.contains("\"registrar:platform:protect\""),
        "{created}"
    );
    let live = converged(&desired, tenant());
    assert!(
        live.applications[0]
            .settings
            .plain
            .tags
            .contains(&protect_tag("platform"))
    );
    check(
        &desired,
        &live,
        NO_PRUNE,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
    // Removing `protect` is a change of its own: the tag goes.
    let mut unprotected = desired.clone();
    unprotected.applications[0].protect = false;
    let text = outcome(&unprotected, &live, NO_PRUNE);
    assert!(text.contains("- \"registrar:platform:protect\""), "{text}");
}

#[test]
fn pruning_a_protected_application_fails_and_names_it() {
    let mut vault = app("vault-reader");
    vault.protect = true;
    let live = converged(&state(vec![vault]), tenant());
    // Removed from the manifest: the manifest no longer says `protect`, the tenant does.
    check(
        &state(vec![]),
        &live,
        PRUNE,
        expect![[r#"
            error: application `vault-reader` ("vault-reader", appId a9901d000000-0000-4000-8000-000000000002) is protected by the tag `registrar:platform:protect` it carries, but it is no longer in the manifest and --prune is set
              hint: to delete it, declare `vault-reader` again without `protect: true` and apply that change on its own (it removes the tag), then prune; otherwise run without --prune

            1 error; nothing was changed"#]],
    );
    // Without --prune it is only a note.
    check(
        &state(vec![]),
        &live,
        NO_PRUNE,
        expect![[r#"
              # application.vault-reader is not in the manifest; run with --prune to delete it

            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn an_adopted_application_gets_no_protect_tag() {
    let mut portal = app("portal");
    portal.app_id = Some(stranger("portal").app_id);
    portal.plain.display_name = "Team portal".into();
    portal.service_principal = None;
    portal.protect = true;
    let mut live = tenant();
    live.applications.push(stranger("portal"));
    check(
        &state(vec![portal]),
        &live,
        NO_PRUNE,
        expect![[r#"
            No changes. Your tenant matches the manifest.
        "#]],
    );
}

#[test]
fn destructive_changes_are_listed_on_their_own() {
    let mut api = app("api");
    api.owners = vec![
        located("alice@contoso.com", 8, 7),
        located("bob@contoso.com", 9, 7),
    ];
    api.federated_credentials = vec![federated(
        "github-main",
        "repo:contoso/api:ref:refs/heads/main",
    )];
    let old = app("old-thing");
    let desired = state(vec![api, old]);
    let live = converged(&desired, tenant());
    let mut smaller = desired.clone();
    smaller.applications.truncate(1);
    smaller.applications[0].owners.truncate(1);
    smaller.applications[0].federated_credentials.clear();
    smaller.applications[0].plain.notes = Some("kept".into());
    let plan = plan(&smaller, &live, NOW, &PRUNE).unwrap();
    let mut out = Vec::new();
    destructive(&plan, &TextOptions { color: false }, &mut out).unwrap();
    expect![[r#"
        Registrar will destroy or remove the following (3 changes):

          - application.api.owner["bob@contoso.com"] will be destroyed (owner "bob@contoso.com" is not in the manifest)
          - application.api.federated_credential.github-main will be destroyed (federated credential "github-main" is not in the manifest)
          - application.old-thing will be destroyed (not in the manifest, and --prune is set)
    "#]]
    .assert_eq(&String::from_utf8(out).unwrap());
    // Nothing destroyed, nothing listed.
    let mut out = Vec::new();
    let quiet = registrar_plan::plan(&desired, &live, NOW, &NO_PRUNE).unwrap();
    destructive(&quiet, &TextOptions { color: false }, &mut out).unwrap();
    assert!(out.is_empty());
}
