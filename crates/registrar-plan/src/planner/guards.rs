//! Safety rules checked over the whole plan once every change is planned, whichever module
//! planned it:
//!
//! - No lock-out: a change removing the principal this run is signed in as from an
//!   application's or a service principal's owners is dropped, with a
//!   [`PlanWarning::SignedInOwnerKept`] (or `SignedInServicePrincipalOwnerKept`) instead (with
//!   `Application.ReadWrite.OwnedBy` the run may change only the applications it owns).
//! - No surprise deletes: a change that deletes or replaces a protected application (`protect:
//!   true` in the manifest, or the protect tag in the tenant, which is how a pruned application
//!   that the manifest no longer declares is still known to be protected) is a
//!   [`PlanProblem::ProtectedApplication`] error.
//!
//! Applications Registrar did not create are refused earlier, in [`super::identity`].

use registrar_model::{Guid, LiveApplication, Operation, Origin, protect_tag};

use super::Planner;
use crate::error::{PlanError, PlanProblem};
use crate::model::{Action, ActionReason, Component, PlanWarning, ResourceChange};

impl Planner<'_> {
    /// Drops every planned removal of the signed-in principal as an owner of an application or
    /// a service principal, with a warning.
    pub(super) fn keep_signed_in_owner(&mut self) {
        let Some(signed_in) = &self.live.signed_in else {
            return;
        };
        let removes_signed_in = |change: &ResourceChange| {
            change.operations.iter().any(|operation| match operation {
                Operation::RemoveOwner { owner_id, .. }
                | Operation::RemoveServicePrincipalOwner { owner_id, .. } => {
                    Guid::same(owner_id, &signed_in.object_id)
                }
                _ => false,
            })
        };
        let (kept, dropped): (Vec<ResourceChange>, Vec<ResourceChange>) =
            std::mem::take(&mut self.changes)
                .into_iter()
                .partition(|change| !removes_signed_in(change));
        self.changes = kept;
        for change in dropped {
            let object_id = signed_in.object_id.clone();
            self.warnings.push(match change.address.component {
                Component::ServicePrincipalOwner(_) => {
                    PlanWarning::SignedInServicePrincipalOwnerKept {
                        owner: change.address,
                        object_id,
                    }
                }
                _ => PlanWarning::SignedInOwnerKept {
                    owner: change.address,
                    object_id,
                    display_name: signed_in.display_name.clone(),
                },
            });
        }
    }

    /// Refuses every planned delete or replace of a protected application.
    pub(super) fn refuse_destroying_protected(&mut self) {
        let tag = protect_tag(&self.desired.namespace);
        let mut errors = Vec::new();
        for change in &self.changes {
            if change.address.component != Component::Application
                || !matches!(change.action, Action::Delete | Action::Replace)
            {
                continue;
            }
            let key = &change.address.application;
            let live = self.destroyed_application(change);
            let declared = self.target(key).filter(|target| target.desired.protect);
            let tagged = live.filter(|app| app.settings.plain.tags.contains(&tag));
            if declared.is_none() && tagged.is_none() {
                continue;
            }
            let origin =
                declared.map_or_else(Origin::default, |target| target.desired.origin.clone());
            let display_name = live.map_or_else(
                || {
                    declared
                        .map(|target| target.desired.plain.display_name.clone())
                        .unwrap_or_default()
                },
                |app| app.settings.plain.display_name.clone(),
            );
            errors.push(PlanError::problem(
                &origin,
                PlanProblem::ProtectedApplication {
                    key: key.clone(),
                    display_name,
                    app_id: live.map(|app| app.app_id.clone()).unwrap_or_default(),
                    pruned: change.reason == Some(ActionReason::Pruned),
                    tag: tagged.map(|_| tag.clone()),
                },
            ));
        }
        self.errors.extend(errors);
    }

    /// The live application a delete or replace of an application removes.
    fn destroyed_application(&self, change: &ResourceChange) -> Option<&LiveApplication> {
        change
            .operations
            .iter()
            .find_map(|operation| match operation {
                Operation::DeleteApplication { id } => self.live.application_by_id(id),
                _ => None,
            })
            .or_else(|| {
                self.target(&change.address.application)
                    .and_then(|target| target.live())
            })
    }
}
