//! ARM scopes are compared as ARM compares them: a manifest scope that differs from the live
//! one only in case (keywords, provider namespaces, GUIDs, names) or by a trailing `/` is the
//! same assignment, and plans no change.

mod common;

use common::*;
use registrar_model::{DesiredRoleAssignment, DesiredState};
use registrar_plan::{PlanOptions, plan};

fn worker(scopes: &[&str]) -> DesiredState {
    let mut worker = app("worker");
    worker.role_assignments = scopes
        .iter()
        .enumerate()
        .map(|(index, scope)| DesiredRoleAssignment {
            role: located("Reader", 20 + 2 * index, 15),
            scope: located(scope, 21 + 2 * index, 16),
            description: None,
        })
        .collect();
    state(vec![worker])
}

#[test]
fn case_variants_of_a_scope_converge() {
    let canonical = [
        format!("{SUBSCRIPTION}/resourceGroups/rg-001"),
        format!(
            "{SUBSCRIPTION}/resourceGroups/rg-001/providers/Microsoft.Storage/storageAccounts/stdata"
        ),
        "/providers/Microsoft.Management/managementGroups/mg-1".to_owned(),
    ];
    let variants = [
        "/SUBSCRIPTIONS/AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E/resourcegroups/RG-001".to_owned(),
        format!(
            "{}/resourceGroups/rg-001/PROVIDERS/microsoft.storage/STORAGEACCOUNTS/StData",
            SUBSCRIPTION.to_uppercase()
        ),
        "/providers/microsoft.management/MANAGEMENTGROUPS/MG-1".to_owned(),
    ];
    let canonical_refs: Vec<&str> = canonical.iter().map(String::as_str).collect();
    let variant_refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    // Applied with ARM's spelling, planned with the manifest's other case: no change.
    let live = converged(&worker(&canonical_refs), tenant());
    let desired = worker(&variant_refs);
    let planned = plan(&desired, &live, NOW, &PlanOptions::default()).expect("plans");
    assert!(
        !planned.has_changes(),
        "{:#?}",
        planned
            .changes
            .iter()
            .filter(|change| !change.operations.is_empty())
            .map(|change| change.address.to_string())
            .collect::<Vec<_>>()
    );
    // And the other way round.
    let live = converged(&worker(&variant_refs), tenant());
    let planned = plan(
        &worker(&canonical_refs),
        &live,
        NOW,
        &PlanOptions::default(),
    )
    .expect("plans");
    assert!(!planned.has_changes());
}
