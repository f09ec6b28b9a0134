//! The planner's driver: the [`Planner`] context, [`PlanOptions`] and [`Planner::run`], which
//! plans every declared application in turn and collects the errors.
//!
//! Each kind of object is planned in its own module: [`identity`] finds the tenant's object for
//! each declared application, [`resolution`] turns permission, resource and application names
//! into ids, [`applications`] diffs the registration itself, [`principals`] the service
//! principal and owners, [`service_principal_objects`] the service principal's own credentials
//! and owners; credentials are in [`crate::credentials`], admin consent in
//! [`crate::consent`], role assignments in [`crate::rbac`]. Last, [`guards`] checks the safety
//! rules over everything planned (no lock-out of the signed-in principal, no delete of a
//! protected application), and [`policy`] checks the plan against the tenant's app management
//! policies and the instance lock.

mod applications;
mod guards;
mod identity;
mod policy;
mod principals;
mod resolution;
mod service_principal_objects;

use std::collections::HashMap;

use registrar_model::{DesiredState, LiveTenant};
use time::OffsetDateTime;

use crate::error::{PlanError, PlanErrors};
use crate::model::{Plan, PlanWarning, ResourceChange};

pub(crate) use identity::{Identity, Target, derived_id};
pub(crate) use resolution::{PermissionSource, closest};

use identity::Exposed;

/// Options that change what is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanOptions {
    /// Delete applications that carry the namespace's marker tag but are not in the manifest.
    pub prune: bool,
}

/// The planning context: inputs, and what has been planned so far.
pub(crate) struct Planner<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) live: &'a LiveTenant,
    pub(crate) now: OffsetDateTime,
    options: &'a PlanOptions,
    pub(crate) errors: Vec<PlanError>,
    pub(crate) changes: Vec<ResourceChange>,
    pub(crate) warnings: Vec<PlanWarning>,
    targets: Vec<Target<'a>>,
    exposed: HashMap<String, Exposed>,
}

impl<'a> Planner<'a> {
    pub(crate) fn new(
        desired: &'a DesiredState,
        live: &'a LiveTenant,
        now: OffsetDateTime,
        options: &'a PlanOptions,
    ) -> Self {
        Self {
            desired,
            live,
            now,
            options,
            errors: Vec::new(),
            changes: Vec::new(),
            warnings: Vec::new(),
            targets: Vec::new(),
            exposed: HashMap::new(),
        }
    }

    pub(crate) fn run(mut self) -> Result<Plan, PlanErrors> {
        self.find_targets();
        self.settle_exposed();
        let targets = self.targets.clone();
        for target in &targets {
            self.plan_application(target);
            self.plan_service_principal(target);
            self.plan_owners(target);
            self.plan_service_principal_objects(target);
            self.plan_secrets(target);
            self.plan_certificates(target);
            self.plan_federated_credentials(target);
            self.plan_role_assignments(target);
        }
        // Consent depends on service principals and applications planned above.
        for target in &targets {
            self.plan_consent(target);
        }
        self.plan_undeclared_applications();
        self.keep_signed_in_owner();
        self.refuse_destroying_protected();
        self.check_tenant_policies();
        if !self.errors.is_empty() {
            let mut errors = self.errors;
            errors.sort_by(|a, b| (&a.origin, &a.message).cmp(&(&b.origin, &b.message)));
            errors.dedup();
            return Err(PlanErrors { errors });
        }
        let mut changes = self.changes;
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let mut warnings = self.warnings;
        warnings.sort();
        warnings.dedup();
        Ok(Plan {
            changes,
            warnings,
            planned_at: self.now,
        })
    }
}
