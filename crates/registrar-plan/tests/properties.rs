//! Properties of the planner and the renderers over small generated manifests and tenants:
//! no panics, no dependence on the order of live lists, a JSON round trip, and convergence
//! (apply the plan in the simulator, plan again: no changes).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use registrar_catalog::PermissionKind;
use registrar_model::{
    AppRoleAssignment, ConsentType, DeletedApplication, DesiredAppRole,
    DesiredPreAuthorizedApplication, DesiredResourceAccess, DesiredRoleAssignment, DesiredScope,
    DesiredState, KeyCredential, LiveTenant, PasswordCredential, PermissionGrant, RoleAssignment,
    SecretStoreLocation, ServicePrincipalSettings,
};
use registrar_plan::render::{self, PlanDocument, TextOptions};
use registrar_plan::{Plan, PlanErrors, PlanOptions, plan};
use time::Duration;

const KEYS: [&str; 3] = ["api", "web", "cli"];

fn bit(seed: u64, n: u32) -> bool {
    (seed >> n) & 1 == 1
}

fn pick(seed: u64, from: u32, items: &[&str]) -> Vec<String> {
    items
        .iter()
        .enumerate()
        .filter(|(index, _)| bit(seed, from + *index as u32))
        .map(|(_, item)| (*item).to_owned())
        .collect()
}

/// A manifest decided by one seed per possible application.
fn desired_from(seeds: &[u64; 3]) -> DesiredState {
    let present = |index: usize| bit(seeds[index], 0);
    let mut applications = Vec::new();
    for (index, key) in KEYS.iter().enumerate() {
        let seed = seeds[index];
        if !present(index) {
            continue;
        }
        let other_index = (index + 1) % KEYS.len();
        let other = KEYS[other_index];
        let other_has_scope = present(other_index) && bit(seeds[other_index], 7);
        let mut app = app(key);
        if bit(seed, 1) {
            app.plain.display_name = format!("{key} display");
        }
        app.plain.web.redirect_uris = pick(
            seed,
            2,
            &[
                "https://a.example/cb",
                "https://b.example/cb",
                "https://c.example/cb",
            ],
        );
        app.plain.tags = pick(seed, 5, &["t1", "t2"]);
        app.api.scopes = pick(seed, 7, &["S.Read", "S.Write"])
            .into_iter()
            .map(|value| DesiredScope {
                value,
                scope_type: "User".into(),
                enabled: true,
                ..Default::default()
            })
            .collect();
        if bit(seed, 9) {
            app.app_roles = vec![DesiredAppRole {
                value: "R.All".into(),
                display_name: "R".into(),
                description: "R".into(),
                allowed_member_types: vec!["Application".into()],
                enabled: true,
            }];
        }
        let mut owners = pick(seed, 10, &["alice@contoso.com", "bob@contoso.com"]);
        if bit(seed, 12) && bit(seed, 13) && bit(seed, 40) {
            owners.push("dave@contoso.com".into());
        }
        app.owners = owners.iter().map(|owner| located(owner, 4, 9)).collect();
        // Protected applications carry the protect tag too, and converge like the others.
        app.protect = bit(seed, 50);
        app.secrets = pick(seed, 14, &["ci", "deploy"])
            .into_iter()
            .map(|name| {
                let mut secret = secret(&name);
                secret.store = SecretStoreLocation::KeyVault {
                    vault: "kv".into(),
                    name: format!("{key}-{name}"),
                };
                if bit(seed, 16) {
                    secret.overlap = Some(Duration::days(7));
                }
                secret
            })
            .collect();
        app.certificates = pick(seed, 17, &["signing", "enc"])
            .into_iter()
            .map(|name| certificate(&name, if bit(seed, 19) { "AAAA" } else { "BBBB" }))
            .collect();
        app.federated_credentials = pick(seed, 20, &["main", "pr"])
            .into_iter()
            .map(|name| {
                federated(
                    &name,
                    &format!("repo:contoso/{key}:{name}:{}", bit(seed, 22)),
                )
            })
            .collect();
        if bit(seed, 23) && present(other_index) {
            app.api.known_client_applications = vec![located(other, 6, 9)];
        }
        if bit(seed, 24) && present(other_index) && !app.api.scopes.is_empty() {
            app.api.pre_authorized_applications = vec![DesiredPreAuthorizedApplication {
                app: located(other, 7, 9),
                scopes: vec![app.api.scopes[0].value.clone()],
            }];
        }
        // Admin consent needs a service principal (validation rejects it otherwise).
        let has_sp = !bit(seed, 27);
        if bit(seed, 25) {
            let mut scopes = vec![located("User.Read", 8, 20)];
            if bit(seed, 35) {
                scopes.push(located("openid", 8, 31));
            }
            app.required_resource_access.push(DesiredResourceAccess {
                resource: located("Microsoft Graph", 8, 9),
                scopes,
                roles: if bit(seed, 33) {
                    vec![located("User.Read.All", 8, 40)]
                } else {
                    vec![]
                },
                admin_consent: has_sp && bit(seed, 32),
            });
        }
        if bit(seed, 26) && other_has_scope {
            let other_has_role = bit(seeds[other_index], 9);
            app.required_resource_access.push(DesiredResourceAccess {
                resource: located(other, 9, 9),
                scopes: vec![located("S.Read", 9, 20)],
                roles: if other_has_role && bit(seed, 36) {
                    vec![located("R.All", 9, 30)]
                } else {
                    vec![]
                },
                admin_consent: has_sp && bit(seed, 34),
            });
        }
        // Role assignments need a service principal too.
        if has_sp {
            let rg = |name: &str| format!("{SUBSCRIPTION}/resourceGroups/{name}");
            let candidates = [
                ("Reader".to_owned(), rg("rg-001")),
                ("Monitoring Reader".to_owned(), rg("rg-002")),
                (CUSTOM_ROLE_NAME.to_owned(), rg("rg-001")),
                (
                    READER.to_owned(),
                    "/providers/Microsoft.Management/managementGroups/mg-1".to_owned(),
                ),
            ];
            for (offset, (role, scope)) in candidates.into_iter().enumerate() {
                if bit(seed, 41 + offset as u32) {
                    app.role_assignments.push(DesiredRoleAssignment {
                        role: located(&role, 12, 15),
                        scope: located(&scope, 13, 16),
                        description: bit(seed, 45).then(|| "from the manifest".to_owned()),
                    });
                }
            }
        }
        if bit(seed, 27) {
            app.service_principal = None;
        } else if bit(seed, 28) {
            app.service_principal = Some(ServicePrincipalSettings {
                app_role_assignment_required: true,
                tags: vec!["HideApp".into()],
                notes: None,
            });
        }
        // Owners of the service principal: none (so every owner goes), Alice, or Alice and Bob
        // by object id.
        if app.service_principal.is_some() && bit(seed, 46) {
            app.service_principal_owners = vec![located("alice@contoso.com", 9, 15)];
            if bit(seed, 47) {
                app.service_principal_owners.push(located(BOB, 9, 34));
            }
        }
        if bit(seed, 29) {
            app.plain.identifier_uris.push("api://{appId}".into());
        }
        if bit(seed, 30) {
            app.plain.identifier_uris.push(format!("api://{key}"));
        }
        if bit(seed, 31) {
            app.plain.notes = Some("line one\nline two\n".into());
        }
        applications.push(app);
    }
    state(applications)
}

/// A tenant that once converged on another manifest, `age_days` ago, then drifted.
fn live_from(seeds: &[u64; 3], age_days: i64, drift: u64) -> LiveTenant {
    let desired = desired_from(seeds);
    let then = NOW - Duration::days(age_days);
    let mut live = match plan(&desired, &tenant(), then, &PlanOptions::default()) {
        Ok(plan) => {
            let mut simulator = Simulator::new(tenant(), then);
            simulator
                .apply(&plan)
                .expect("the simulator applies every valid plan");
            simulator.live
        }
        Err(_) => tenant(),
    };
    // Drift: deleted applications, a foreign marker application, stray credentials, order.
    let mut index = 0;
    live.applications.retain(|app| {
        index += 1;
        if bit(drift, index) {
            return true;
        }
        live.deleted_applications.push(DeletedApplication {
            id: app.id.clone(),
            app_id: app.app_id.clone(),
            unique_name: app.unique_name.clone(),
            display_name: app.settings.plain.display_name.clone(),
            deleted_date_time: None,
            password_credentials: app.password_credentials.clone(),
            key_credentials: app.key_credentials.clone(),
            tags: app.settings.plain.tags.clone(),
        });
        false
    });
    for (position, app) in live.applications.iter_mut().enumerate() {
        let shift = 8 + 4 * position as u32;
        if bit(drift, shift) {
            app.settings.plain.web.redirect_uris.reverse();
            app.settings.plain.tags.reverse();
        }
        if bit(drift, shift + 1) {
            app.settings.plain.display_name.push_str(" (edited)");
        }
        if bit(drift, shift + 2) {
            app.password_credentials.push(PasswordCredential {
                key_id: format!("stray-{position}"),
                display_name: Some("legacy".into()),
                hint: Some("abc".into()),
                start: Some(then),
                end: Some(NOW + Duration::days(300)),
            });
        }
        if bit(drift, shift + 3) && !app.owners.iter().any(|owner| owner == BOB) {
            app.owners.push(BOB.into());
        }
        // Role assignments made or removed by hand.
        let rbac_shift = 52 + 2 * position as u32;
        if let Some(sp) = app.service_principal.as_mut() {
            if bit(drift, rbac_shift) {
                let scope = format!("{SUBSCRIPTION}/resourceGroups/rg-003");
                sp.role_assignments.push(RoleAssignment {
                    id: format!(
                        "{scope}/providers/Microsoft.Authorization/roleAssignments/hand-{position}"
                    ),
                    name: format!("hand-{position}"),
                    scope,
                    role_definition_id: CONTRIBUTOR.into(),
                    principal_id: sp.id.clone(),
                    description: None,
                });
            }
            if bit(drift, rbac_shift + 1) && !sp.role_assignments.is_empty() {
                sp.role_assignments.remove(0);
            }
        }
        // Credentials and owners put on the service principal by hand.
        let sp_shift = 20 + 3 * position as u32;
        if let Some(sp) = app.service_principal.as_mut() {
            if bit(drift, sp_shift) {
                sp.password_credentials.push(PasswordCredential {
                    key_id: format!("sp-secret-{position}"),
                    display_name: Some("by hand".into()),
                    hint: Some("Xy1".into()),
                    start: Some(then),
                    end: Some(NOW + Duration::days(100)),
                });
            }
            if bit(drift, sp_shift + 1) {
                sp.key_credentials.push(KeyCredential {
                    key_id: format!("sp-key-{position}"),
                    display_name: None,
                    key_type: "AsymmetricX509Cert".into(),
                    usage: "Verify".into(),
                    custom_key_identifier: Some("CCCC".into()),
                    start: Some(then),
                    end: None,
                    key: None,
                });
            }
            if bit(drift, sp_shift + 2) && !sp.owners.iter().any(|owner| owner == BOB) {
                sp.owners.push(BOB.into());
            }
        }
        // Consent given or changed by hand, and a user's own consent.
        let consent_shift = 40 + 3 * position as u32;
        if let Some(sp) = app.service_principal.as_mut() {
            let role = graph_permission("Directory.Read.All", PermissionKind::Application);
            if bit(drift, consent_shift)
                && !sp
                    .app_role_assignments
                    .iter()
                    .any(|assignment| assignment.app_role_id == role)
            {
                sp.app_role_assignments.push(AppRoleAssignment {
                    id: format!("by-hand-{position}"),
                    resource_id: GRAPH_SP.into(),
                    app_role_id: role,
                });
            }
            if bit(drift, consent_shift + 1) {
                match sp.permission_grants.iter_mut().find(|grant| {
                    grant.consent_type == ConsentType::AllPrincipals
                        && grant.resource_id == GRAPH_SP
                }) {
                    Some(grant) => grant.scope.push_str(" Mail.Read"),
                    None => sp.permission_grants.push(PermissionGrant {
                        id: format!("by-hand-grant-{position}"),
                        resource_id: GRAPH_SP.into(),
                        consent_type: ConsentType::AllPrincipals,
                        principal_id: None,
                        scope: "Mail.Read".into(),
                    }),
                }
            }
            if bit(drift, consent_shift + 2) {
                sp.permission_grants.push(PermissionGrant {
                    id: format!("alice-grant-{position}"),
                    resource_id: GRAPH_SP.into(),
                    consent_type: ConsentType::Principal,
                    principal_id: Some(ALICE.into()),
                    scope: "Mail.Read".into(),
                });
            }
        }
    }
    // Signed in as Bob, whom drift may add as an owner of the application or the service
    // principal: the plan keeps him (a warning).
    if bit(drift, 62) || bit(drift, 31) {
        live.signed_in = Some(registrar_model::SignedInClient {
            object_id: BOB.into(),
            app_id: "b0b-client".into(),
            display_name: Some("Bob".into()),
            graph_roles: Vec::new(),
        });
    }
    if bit(drift, 30) {
        let mut old = registrar_model::LiveApplication {
            id: "old-object".into(),
            app_id: "old-app".into(),
            unique_name: Some("platform.old-thing".into()),
            ..Default::default()
        };
        old.settings.plain.tags = vec![registrar_model::marker_tag("platform")];
        live.applications.push(old);
    }
    live
}

/// A deterministic shuffle of every top-level list of the snapshot.
fn shuffled(live: &LiveTenant, seed: u64) -> LiveTenant {
    fn shuffle<T>(items: &mut [T], state: &mut u64) {
        for index in (1..items.len()).rev() {
            *state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let other = (*state >> 33) as usize % (index + 1);
            items.swap(index, other);
        }
    }
    let mut state = seed | 1;
    let mut live = live.clone();
    shuffle(&mut live.applications, &mut state);
    shuffle(&mut live.deleted_applications, &mut state);
    shuffle(&mut live.resource_service_principals, &mut state);
    shuffle(&mut live.directory_objects, &mut state);
    shuffle(&mut live.secret_stores, &mut state);
    shuffle(&mut live.role_definitions, &mut state);
    for app in &mut live.applications {
        shuffle(&mut app.owners, &mut state);
        shuffle(&mut app.password_credentials, &mut state);
        shuffle(&mut app.key_credentials, &mut state);
        shuffle(&mut app.federated_credentials, &mut state);
        if let Some(sp) = app.service_principal.as_mut() {
            shuffle(&mut sp.app_role_assignments, &mut state);
            shuffle(&mut sp.permission_grants, &mut state);
            shuffle(&mut sp.role_assignments, &mut state);
            shuffle(&mut sp.password_credentials, &mut state);
            shuffle(&mut sp.key_credentials, &mut state);
            shuffle(&mut sp.owners, &mut state);
        }
    }
    live
}

fn text_of(result: &Result<Plan, PlanErrors>) -> String {
    match result {
        Ok(plan) => {
            let mut out = Vec::new();
            render::text(plan, &TextOptions { color: false }, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        }
        Err(errors) => errors.to_string(),
    }
}

fn inputs() -> impl Strategy<Value = (DesiredState, LiveTenant, bool, u64)> {
    (
        any::<[u64; 3]>(),
        any::<[u64; 3]>(),
        0i64..400,
        any::<u64>(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(desired_seeds, live_seeds, age, drift, prune, shuffle_seed)| {
                (
                    desired_from(&desired_seeds),
                    live_from(&live_seeds, age, drift),
                    prune,
                    shuffle_seed,
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn planner_never_panics_and_renders((desired, live, prune, _) in inputs()) {
        let result = plan(&desired, &live, NOW, &PlanOptions { prune });
        let text = text_of(&result);
        prop_assert!(!text.is_empty());
        if let Ok(plan) = &result {
            let mut markdown = Vec::new();
            render::markdown(plan, &mut markdown).unwrap();
            common::valid_json_plan(plan);
        }
    }

    #[test]
    fn plan_is_unchanged_when_live_lists_are_shuffled((desired, live, prune, seed) in inputs()) {
        let options = PlanOptions { prune };
        let first = plan(&desired, &live, NOW, &options);
        let second = plan(&desired, &shuffled(&live, seed), NOW, &options);
        prop_assert_eq!(text_of(&first), text_of(&second));
        prop_assert_eq!(first, second);
    }

    #[test]
    fn plan_document_survives_a_json_round_trip((desired, live, prune, _) in inputs()) {
        if let Ok(plan) = plan(&desired, &live, NOW, &PlanOptions { prune }) {
            let document: PlanDocument =
                serde_json::from_value(common::valid_json_plan(&plan)).unwrap();
            let text = serde_json::to_string(&document).unwrap();
            let back: PlanDocument = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, document);
        }
    }

    #[test]
    fn apply_then_plan_is_no_changes((desired, live, prune, _) in inputs()) {
        let options = PlanOptions { prune };
        if let Ok(first) = plan(&desired, &live, NOW, &options) {
            let mut simulator = Simulator::new(live, NOW);
            let applied = simulator.apply(&first);
            prop_assert!(applied.is_ok(), "apply failed: {:?}\n{}", applied, text_of(&Ok(first.clone())));
            let second = plan(&desired, &simulator.live, NOW, &options).expect("plans again");
            prop_assert!(!second.has_changes(), "not converged:\n{}", text_of(&Ok(second.clone())));
        }
    }
}

#[test]
fn generated_inputs_cover_the_interesting_cases() {
    // Guard against a generator that only ever produces errors or empty plans.
    let desired = desired_from(&[0x7fff_ffff, 0x5555_5555, 0x0f0f_0f0f]);
    let first = plan(&desired, &tenant(), NOW, &PlanOptions::default());
    assert!(first.is_ok(), "{}", text_of(&first));
    assert!(first.unwrap().has_changes());
    // Admin consent on Microsoft Graph and on another application of the manifest, and drift.
    let seeds = [0x1706000001, 0x281, 0];
    let desired = desired_from(&seeds);
    let text = text_of(&plan(&desired, &tenant(), NOW, &PlanOptions::default()));
    for expected in [
        "application.api.consent[\"Microsoft Graph/User.Read.All\"] will be created",
        "application.api.delegated_consent[\"Microsoft Graph\"] will be created",
        "application.api.consent[\"web/R.All\"] will be created",
        "application.api.delegated_consent[\"web\"] will be created",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    let live = live_from(&seeds, 10, 0b111 << 40 | 0b110);
    let text = text_of(&plan(&desired, &live, NOW, &PlanOptions::default()));
    for expected in [
        "application.api.consent[\"Microsoft Graph/Directory.Read.All\"] will be destroyed",
        "application.api.delegated_consent[\"Microsoft Graph\"] will be updated in-place",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert!(!text.contains("alice"), "{text}");
    // Credentials and an owner put on a service principal by hand are removed.
    let live = live_from(&seeds, 10, 0b1110 | 1 << 20 | 1 << 21 | 1 << 22);
    let text = text_of(&plan(&desired, &live, NOW, &PlanOptions::default()));
    for expected in [
        "service_principal.secret[\"by hand\"] will be destroyed",
        "service_principal.certificate[\"\"][\"sp-key-0\"] will be destroyed",
        "service_principal.owner[\"bob@contoso.com\"] will be destroyed",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
}
