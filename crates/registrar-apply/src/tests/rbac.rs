//! Role assignments of service principals created in the same apply.

use super::*;

/// [`create_plan`] plus a role assignment for `api`'s new service principal, and the removal of
/// an assignment of an existing service principal.
fn role_assignment_plan() -> Plan {
    let mut plan = create_plan();
    plan.changes.push(change(
        Address::component(
            "api",
            Component::RoleAssignment {
                role: "Reader".to_owned(),
                scope: RG.to_owned(),
            },
        ),
        Action::Create,
        vec![Address::component("api", Component::ServicePrincipal)],
        vec![Operation::CreateRoleAssignment {
            principal: planned_sp("api"),
            scope: RG.to_owned(),
            role_definition_id: READER.to_owned(),
            description: Some("Read it".to_owned()),
        }],
    ));
    plan.changes.push(change(
        Address::component(
            "old",
            Component::RoleAssignment {
                role: "Contributor".to_owned(),
                scope: RG.to_owned(),
            },
        ),
        Action::Delete,
        vec![],
        vec![Operation::DeleteRoleAssignment {
            id: format!("{RG}/providers/Microsoft.Authorization/roleAssignments/n1"),
        }],
    ));
    plan
}

#[test]
fn apply_role_assignment_after_the_service_principal_uses_its_created_id() {
    let tenant = FakeTenant::default();
    let (report, _) = run(&role_assignment_plan(), &tenant);
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.tally.add, report.tally.destroy), (5, 1));
    let calls = tenant.calls();
    let name = registrar_model::role_assignment_name(RG, READER, "sp-appid-ns.api");
    let create = calls
        .iter()
        .position(|call| call.starts_with("create_role_assignment"))
        .expect("created");
    assert_eq!(
        calls[create],
        format!("create_role_assignment {RG} {name} {READER} sp-appid-ns.api Some(\"Read it\")")
    );
    let service_principal = calls
        .iter()
        .position(|call| call.starts_with("create_service_principal"))
        .expect("service principal created");
    assert!(service_principal < create, "{calls:?}");
    assert!(calls.contains(&format!(
        "delete_role_assignment {RG}/providers/Microsoft.Authorization/roleAssignments/n1"
    )));
}

#[test]
fn apply_failed_service_principal_create_skips_its_role_assignments() {
    let tenant = FakeTenant::failing(vec!["create_service_principal"]);
    let (report, events) = run(&role_assignment_plan(), &tenant);
    let reader = format!("role_assignment.api[\"Reader @ {RG}\"]");
    assert!(
        events.contains(&format!(
            "skipped {reader} (application.api.service_principal)"
        )),
        "{events:?}"
    );
    assert!(matches!(
        report.outcomes.get(&reader),
        Some(ChangeOutcome::Skipped { .. })
    ));
    let calls = tenant.calls();
    assert!(
        !calls
            .iter()
            .any(|call| call.starts_with("create_role_assignment")),
        "{calls:?}"
    );
    // Unrelated: the removal still runs.
    assert!(
        calls
            .iter()
            .any(|call| call.starts_with("delete_role_assignment")),
        "{calls:?}"
    );
}
