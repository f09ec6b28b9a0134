//! Changes a create carries: an owner or the certificate list of a new application, and an
//! owner of a new service principal, go in the create's own request (`owners@odata.bind`,
//! `keyCredentials`) instead of a write each, where Graph allows it.
//!
//! A change is carried only when nothing but the create stands between it and its
//! dependencies: every operation of it writes to the application (or service principal) that
//! create makes, and it depends on nothing the create does not (so it would have been ready the
//! moment the create finished). The executor reports a carried change with the outcome of its
//! own part: done when the create applied it, else sent one by one after the create; skipped
//! when the create failed. So the plan, its addresses and the report are unchanged; only the
//! number of writes drops.

use registrar_azure::{CreateExtras, MAX_BOUND_OWNERS};
use registrar_model::{ApplicationRef, Operation, ServicePrincipalRef};
use registrar_plan::ResourceChange;

/// What a create makes, and so what it can carry.
enum Made<'a> {
    Application(&'a str),
    ServicePrincipal(&'a str),
}

fn made(change: &ResourceChange) -> Option<Made<'_>> {
    change
        .operations
        .iter()
        .find_map(|operation| match operation {
            Operation::CreateApplication { key, .. } => Some(Made::Application(key)),
            Operation::CreateServicePrincipal { key, .. } => Some(Made::ServicePrincipal(key)),
            _ => None,
        })
}

fn planned_application(application: &ApplicationRef, key: &str) -> bool {
    matches!(application, ApplicationRef::Planned { key: planned } if planned == key)
}

/// For each change, the indexes of the changes its create carries (see the module docs).
/// `dependencies[i]` are the indexes change `i` depends on.
pub(crate) fn carried_changes(
    changes: &[&ResourceChange],
    dependencies: &[Vec<usize>],
) -> Vec<Vec<usize>> {
    let mut carried = vec![Vec::new(); changes.len()];
    let mut taken = vec![false; changes.len()];
    for (carrier, change) in changes.iter().enumerate() {
        let Some(made) = made(change) else {
            continue;
        };
        let mut owners = 0usize;
        let mut certificates = false;
        for (index, candidate) in changes.iter().enumerate() {
            if index == carrier || taken[index] || candidate.operations.is_empty() {
                continue;
            }
            let ready_with_carrier = dependencies[index].contains(&carrier)
                && dependencies[index].iter().all(|dependency| {
                    *dependency == carrier || dependencies[carrier].contains(dependency)
                });
            if !ready_with_carrier {
                continue;
            }
            let mut adds_owners = 0usize;
            let mut sets_certificates = false;
            let fits = candidate
                .operations
                .iter()
                .all(|operation| match (&made, operation) {
                    (Made::Application(key), Operation::AddOwner { application, .. })
                        if planned_application(application, key) =>
                    {
                        adds_owners += 1;
                        true
                    }
                    (Made::Application(key), Operation::SetCertificates { application, .. })
                        if planned_application(application, key) && !sets_certificates =>
                    {
                        sets_certificates = true;
                        true
                    }
                    (
                        Made::ServicePrincipal(key),
                        Operation::AddServicePrincipalOwner {
                            service_principal: ServicePrincipalRef::Planned { key: planned },
                            ..
                        },
                    ) if planned == key => {
                        adds_owners += 1;
                        true
                    }
                    _ => false,
                });
            if !fits
                || owners + adds_owners > MAX_BOUND_OWNERS
                || (certificates && sets_certificates)
            {
                continue;
            }
            owners += adds_owners;
            certificates |= sets_certificates;
            taken[index] = true;
            carried[carrier].push(index);
        }
    }
    carried
}

/// What the carried changes ask the create to send.
pub(crate) fn extras(carried: &[&ResourceChange]) -> CreateExtras {
    let mut extras = CreateExtras::default();
    for operation in carried.iter().flat_map(|change| &change.operations) {
        match operation {
            Operation::AddOwner { owner_id, .. }
            | Operation::AddServicePrincipalOwner { owner_id, .. } => {
                extras.owners.push(owner_id.clone());
            }
            Operation::SetCertificates { certificates, .. } => {
                extras.certificates = Some(certificates.clone());
            }
            _ => {}
        }
    }
    extras
}
