//! The markdown plan (a pull-request comment): what a reviewer must not miss is listed above
//! the details, and the comment stays under GitHub's size limit however large the plan is.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{NOW, app, converged, located, secret, state, tenant};
use registrar_model::{DesiredResourceAccess, DesiredState};
use registrar_plan::render::{self, COMMENT_LIMIT};
use registrar_plan::{Plan, PlanOptions, plan};

/// `daemon` asks Microsoft Graph for `roles` with admin consent, and holds the secrets named.
fn daemon(roles: &[&str], secrets: &[&str]) -> DesiredState {
    let mut daemon = app("daemon");
    daemon.required_resource_access = vec![DesiredResourceAccess {
        resource: located("Microsoft Graph", 10, 19),
        scopes: Vec::new(),
        roles: roles.iter().map(|role| located(role, 12, 17)).collect(),
        admin_consent: true,
    }];
    daemon.secrets = secrets.iter().map(|name| secret(name)).collect();
    state(vec![daemon])
}

fn markdown(plan: &Plan) -> String {
    let mut out = Vec::new();
    render::markdown(plan, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn markdown_lists_destructive_changes_and_high_privilege_permissions_on_top() {
    // Applied: daemon reads users and holds the secret `ci`. Next: it also wants to manage
    // directory roles (high privilege) and mail (not), and `ci` is dropped from the manifest.
    let live = converged(&daemon(&["User.Read.All"], &["ci"]), tenant());
    let next = daemon(
        &[
            "User.Read.All",
            "RoleManagement.ReadWrite.Directory",
            "Mail.Send",
        ],
        &[],
    );
    let plan = plan(&next, &live, NOW, &PlanOptions::default()).unwrap();
    let text = markdown(&plan);
    insta::assert_snapshot!("destructive_and_high_privilege", text);
    let details = text.find("<details>").unwrap();
    for callout in [
        "**Destructive changes** (1):",
        // The request and its consent, in one line.
        "**High-privilege application permissions requested** (1):",
        // Every permission change, with its kind, consent and tier.
        "**API permission changes** (2):",
    ] {
        let at = text.find(callout).unwrap();
        assert!(at < details, "{callout} is above the details");
    }
    assert!(
        !text.contains("Mail.Send**"),
        "Mail.Send is not high privilege"
    );
}

#[test]
fn markdown_of_a_huge_plan_fits_in_one_comment_and_ends_with_a_note() {
    let applications = (0..3000)
        .map(|index| {
            let mut application = app(&format!("service-{index:04}"));
            application.plain.notes = Some("Owned by the platform team.\n".into());
            application
        })
        .collect();
    let plan = plan(
        &state(applications),
        &tenant(),
        NOW,
        &PlanOptions::default(),
    )
    .unwrap();
    let text = markdown(&plan);
    let characters = text.chars().count();
    assert!(characters < COMMENT_LIMIT, "{characters} characters");
    // The summary still counts every change, the cut falls between two changes, the block is
    // closed, and the note says what is missing and how to see it.
    assert!(text.starts_with("**Plan:** 6000 to add, 0 to change, 0 to destroy.\n"));
    let note = text.lines().last().unwrap();
    assert!(
        note.starts_with("> **Note:** the plan is too long for one comment"),
        "{note}"
    );
    assert!(note.contains("`registrar show`"), "{note}");
    let left_out: usize = note
        .split(" changes, ")
        .next()
        .and_then(|before| before.rsplit(" (").next())
        .and_then(|count| count.parse().ok())
        .unwrap();
    let shown = text.matches("  # application.").count();
    assert_eq!(shown + left_out, 6000, "{note}");
    assert!(
        text.contains("\n...\n```\n\n</details>\n"),
        "the diff block is closed"
    );
    let before_cut = text.split("\n...\n").next().unwrap();
    assert!(
        before_cut.ends_with("\n"),
        "the cut falls at a blank line between changes"
    );

    // A plan that fits is left whole.
    let small = markdown(&Plan {
        changes: plan.changes[..4].to_vec(),
        warnings: Vec::new(),
        planned_at: plan.planned_at,
    });
    assert!(!small.contains("**Note:**"), "{small}");
}

#[test]
fn markdown_lists_a_rotation_only_when_it_removes_the_current_secret() {
    let desired = daemon(&[], &["ci"]);
    let live = converged(&desired, tenant());
    // 160 days on, `ci` (180 days, rotated 30 days before the end) is due.
    let later = NOW + time::Duration::days(160);
    let rotation = plan(&desired, &live, later, &PlanOptions::default()).unwrap();
    let text = markdown(&rotation);
    assert!(
        text.contains(
            "- `application.daemon.secret.ci` will be rotated (expires in 20 days), removing the current secret\n"
        ),
        "{text}"
    );
    // With an overlap the current secret stays until it ends: nothing destructive.
    let mut overlapping = desired.clone();
    overlapping.applications[0].secrets[0].overlap = Some(time::Duration::days(7));
    let rotation = plan(&overlapping, &live, later, &PlanOptions::default()).unwrap();
    let text = markdown(&rotation);
    assert!(text.contains("will be rotated"), "{text}");
    assert!(!text.contains("**Destructive changes**"), "{text}");
}

#[test]
fn permission_review_names_kind_consent_and_tier_of_every_change() {
    // Applied: daemon reads users. Next: it drops that, and asks for a critical and a high
    // permission; the manifest's `adminConsent: true` grants both in this apply.
    let live = converged(&daemon(&["User.Read.All"], &[]), tenant());
    let next = daemon(
        &["RoleManagement.ReadWrite.Directory", "Mail.ReadWrite"],
        &[],
    );
    let plan = plan(&next, &live, NOW, &PlanOptions::default()).unwrap();
    insta::assert_snapshot!("permission_review", render::permission_review_text(&plan));
    let text = markdown(&plan);
    let details = text.find("<details>").unwrap();
    let on_top = text
        .find("**High-privilege application permissions requested** (2):")
        .unwrap();
    assert!(on_top < details);
    assert!(text.contains("**Mail.ReadWrite**"), "{text}");
}
