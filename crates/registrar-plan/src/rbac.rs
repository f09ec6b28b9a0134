//! Azure RBAC (`roleAssignments`): the roles the application's service principal holds on ARM
//! scopes, one change per assignment: `role_assignment.<key>["<role> @ <scope>"]`.
//!
//! - A role is a built-in role name (the catalog), a custom role name (looked up in ARM at the
//!   assignment's scope by the snapshot, [`registrar_model::LiveTenant::role_definitions`]) or a
//!   role definition GUID. Unknown names are plan errors with the closest known name.
//! - An assignment is present when the service principal holds the same role (compared by
//!   GUID) at the same scope (compared case-insensitively). Missing ones are created, after the
//!   service principal when it is created in the same apply; the executor names each with
//!   [`registrar_model::role_assignment_name`], so a repeated create is harmless.
//! - Assignments the service principal holds inside the subscriptions and management groups
//!   the manifest names, but the manifest does not declare, are drift and deleted. The snapshot
//!   reads nothing elsewhere, so assignments in other subscriptions are left alone.
//! - A changed role or scope is a different assignment: the old one is deleted and the new one
//!   created (ARM cannot change an assignment).
//! - `description` is sent when an assignment is created and not compared afterwards: ARM
//!   cannot change it in place, and replacing an assignment to change a comment would take the
//!   access away for a moment. An assignment made by hand with another description is kept.

use std::collections::{BTreeMap, BTreeSet};

use registrar_catalog::catalog;
use registrar_model::Guid;
use registrar_model::{
    DesiredRoleAssignment, Operation, RoleAssignment, ServicePrincipalRef, same_scope,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::PlanError;
use crate::model::{ActionReason, Address, Component, ResourceChange};
use crate::planner::{Planner, Target, closest};

/// A declared assignment with its role resolved.
struct WantedAssignment<'d> {
    /// The role's name for addresses and plan text.
    role_name: String,
    /// The role definition's GUID (lowercase).
    role_definition_id: String,
    /// The scope as the manifest writes it, without a trailing `/`.
    scope: String,
    declared: &'d DesiredRoleAssignment,
}

impl<'a> Planner<'a> {
    /// Plans the role assignments of `target`'s service principal.
    pub(crate) fn plan_role_assignments(&mut self, target: &Target<'a>) {
        let live_sp = target.live().and_then(|app| app.service_principal.as_ref());
        let mut wanted: Vec<WantedAssignment<'a>> = Vec::new();
        for declared in &target.desired.role_assignments {
            let Some((role_name, role_definition_id)) = self.resolve_role(declared) else {
                continue;
            };
            let scope = declared.scope.value.trim_end_matches('/').to_owned();
            // `Reader` and its GUID at the same scope are one assignment.
            if wanted.iter().any(|known| {
                known.role_definition_id == role_definition_id && same_scope(&known.scope, &scope)
            }) {
                continue;
            }
            wanted.push(WantedAssignment {
                role_name,
                role_definition_id,
                scope,
                declared,
            });
        }
        // Without a service principal there is nothing to assign to (validation rejects role
        // assignments with `servicePrincipal: false`); a live one's assignments go below.
        if target.desired.service_principal.is_none() {
            wanted.clear();
        }
        let (principal, principal_depends) = target.service_principal_ref();

        let mut live: Vec<&RoleAssignment> = live_sp
            .map(|sp| sp.role_assignments.iter().collect())
            .unwrap_or_default();
        live.sort_by(|a, b| (&a.id, &a.scope).cmp(&(&b.id, &b.scope)));
        let mut kept: BTreeSet<&str> = BTreeSet::new();
        for assignment in &wanted {
            let present: Vec<&&RoleAssignment> = live
                .iter()
                .filter(|existing| {
                    same_scope(&existing.scope, &assignment.scope)
                        && Guid::same(&existing.role_definition_id, &assignment.role_definition_id)
                })
                .collect();
            if !present.is_empty() {
                kept.extend(present.iter().map(|existing| existing.id.as_str()));
                continue;
            }
            let mut after = Map::new();
            after.insert("role".into(), json!(assignment.role_name));
            after.insert("scope".into(), json!(assignment.scope));
            let mut after_unknown = Vec::new();
            match &principal {
                ServicePrincipalRef::Existing { id } => {
                    after.insert("principal".into(), json!(id));
                }
                ServicePrincipalRef::Planned { .. } => after_unknown.push("principal".to_owned()),
            }
            if let Some(description) = &assignment.declared.description {
                after.insert("description".into(), json!(description));
            }
            self.changes.push(
                ResourceChange::create(
                    target.address(Component::RoleAssignment {
                        role: assignment.role_name.clone(),
                        scope: assignment.scope.clone(),
                    }),
                    after,
                    vec![Operation::CreateRoleAssignment {
                        principal: principal.clone(),
                        scope: assignment.scope.clone(),
                        role_definition_id: assignment.role_definition_id.clone(),
                        description: assignment.declared.description.clone(),
                    }],
                )
                .with_depends_on(principal_depends.clone())
                .with_after_unknown(after_unknown),
            );
        }

        // Undeclared assignments inside the managed roots: one change per role and scope.
        let mut removed: BTreeMap<Address, (Value, Vec<Operation>)> = BTreeMap::new();
        for existing in live
            .iter()
            .filter(|existing| !kept.contains(existing.id.as_str()))
        {
            let role_name = self.role_name(&existing.role_definition_id);
            let address = target.address(Component::RoleAssignment {
                role: role_name.clone(),
                scope: existing.scope.clone(),
            });
            let entry = removed.entry(address).or_insert_with(|| {
                let mut before = Map::new();
                before.insert("role".into(), json!(role_name));
                before.insert("scope".into(), json!(existing.scope));
                before.insert("principal".into(), json!(existing.principal_id));
                if let Some(description) = &existing.description {
                    before.insert("description".into(), json!(description));
                }
                (Value::Object(before), Vec::new())
            });
            entry.1.push(Operation::DeleteRoleAssignment {
                id: existing.id.clone(),
            });
        }
        for (address, (before, operations)) in removed {
            self.changes.push(
                ResourceChange::delete(address, before, operations).with_reason(
                    ActionReason::Undeclared {
                        name: None,
                        hint: None,
                        end: None,
                    },
                ),
            );
        }
    }

    /// `(role name, role definition GUID)` of a declared assignment's role, or a plan error.
    fn resolve_role(&mut self, declared: &DesiredRoleAssignment) -> Option<(String, String)> {
        let role = declared.role.value.trim();
        if Uuid::parse_str(role).is_ok() {
            let id = role.to_ascii_lowercase();
            return Some((self.role_name(&id), id));
        }
        if let Some(builtin) = catalog().role(role) {
            return Some((builtin.role_name.clone(), builtin.id.to_ascii_lowercase()));
        }
        if let Some(custom) = self.live.role_definition(role, &declared.scope.value) {
            return Some((custom.role_name.clone(), custom.id.to_ascii_lowercase()));
        }
        let names = catalog()
            .roles
            .iter()
            .map(|builtin| builtin.role_name.as_str())
            .chain(
                self.live
                    .role_definitions
                    .iter()
                    .map(|definition| definition.role_name.as_str()),
            );
        let hint = match closest(role, names) {
            Some(name) => format!("did you mean `{name}`?"),
            None => "name a built-in role, a custom role that can be assigned at this scope, or a role definition GUID".to_owned(),
        };
        self.errors.push(PlanError::new(
            &declared.role.origin,
            format!(
                "role `{role}` is neither a built-in role nor a custom role at `{}`",
                declared.scope.value
            ),
            Some(hint),
        ));
        None
    }

    /// How plan text names the role with this GUID: its built-in or custom name, else the GUID.
    fn role_name(&self, role_definition_id: &str) -> String {
        if let Some(builtin) = catalog().role(role_definition_id) {
            return builtin.role_name.clone();
        }
        self.live
            .role_definitions
            .iter()
            .filter(|definition| Guid::same(&definition.id, role_definition_id))
            .map(|definition| definition.role_name.clone())
            .min()
            .unwrap_or_else(|| role_definition_id.to_ascii_lowercase())
    }
}
