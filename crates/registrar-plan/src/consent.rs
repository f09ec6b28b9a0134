//! Admin consent (`adminConsent: true` under `requiredResourceAccess`): what the application's
//! service principal is granted tenant-wide.
//!
//! - Application permissions (`roles`) are app role assignments, one per permission:
//!   `application.<key>.consent["<resource>/<permission>"]`.
//! - Delegated permissions (`scopes`) are one tenant-wide (`AllPrincipals`) OAuth2 permission
//!   grant per API, whose `scope` is the space-separated list of values:
//!   `application.<key>.delegated_consent["<resource>"]`. Graph replaces the whole string on
//!   update, so a changed set is one update of that grant.
//!
//! `<resource>` is the manifest key when the API is an application of this manifest, else the
//! display name of the API's service principal. Assignments and `AllPrincipals` grants the
//! manifest does not ask for (`adminConsent: false`, a permission removed, consent given by hand)
//! are drift and revoked; per-user (`Principal`) grants are the users' own and left alone.

use std::collections::{BTreeMap, BTreeSet};

use registrar_catalog::PermissionKind;
use registrar_model::{
    AppRoleAssignment, DesiredResourceAccess, Operation, PermissionGrant, ServicePrincipalRef,
};
use registrar_model::{ConsentType, Guid};
use serde_json::{Value, json};

use crate::error::PlanError;
use crate::model::{ActionReason, Address, Component, ResourceChange};
use crate::planner::{PermissionSource, Planner, Target};

/// The API a consent is given on.
#[derive(Debug, Clone)]
struct ConsentResource {
    /// How addresses and plan text name it.
    name: String,
    /// Its service principal, as operations refer to it.
    service_principal: ServicePrincipalRef,
    /// The object id of its service principal when it exists now, to match live consent.
    live_id: Option<String>,
    /// Changes that must succeed first: the creation of its service principal, a change of its
    /// application (new roles or scopes).
    depends_on: Vec<Address>,
}

impl ConsentResource {
    /// Identifies the service principal, whether it exists or is planned.
    fn identity(&self) -> String {
        match &self.service_principal {
            ServicePrincipalRef::Existing { id } => format!("id:{}", id.to_lowercase()),
            ServicePrincipalRef::Planned { key } => format!("planned:{key}"),
        }
    }
}

/// What the manifest asks to be consented on one API, in manifest order.
#[derive(Debug, Clone)]
struct WantedConsent {
    resource: ConsentResource,
    /// `(value, app role id)` of each application permission.
    roles: Vec<(String, String)>,
    /// Values of the delegated permissions.
    scopes: Vec<String>,
}

fn scope_values(scope: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for value in scope.split_whitespace() {
        if !values.iter().any(|existing| existing == value) {
            values.push(value.to_owned());
        }
    }
    values
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

impl<'a> Planner<'a> {
    /// Plans the admin consent of `target`'s service principal. Runs after every other change
    /// is planned, so dependencies name only changes that exist.
    pub(crate) fn plan_consent(&mut self, target: &Target<'a>) {
        // Without a service principal there is nothing to consent for; deleting one removes
        // its consent with it (and `servicePrincipal: false` with `adminConsent` is a validation
        // error).
        if target.desired.service_principal.is_none() {
            return;
        }
        let live_sp = target.live().and_then(|app| app.service_principal.as_ref());
        let (client, client_depends) = target.service_principal_ref();
        let wanted = self.wanted_consent(target);

        // Application permissions: one app role assignment each.
        let mut assignments: Vec<&AppRoleAssignment> = live_sp
            .map(|sp| sp.app_role_assignments.iter().collect())
            .unwrap_or_default();
        assignments.sort_by(|a, b| (&a.id, &a.resource_id).cmp(&(&b.id, &b.resource_id)));
        let mut kept: BTreeSet<&str> = BTreeSet::new();
        for consent in &wanted {
            for (value, role_id) in &consent.roles {
                let existing: Vec<&&AppRoleAssignment> = assignments
                    .iter()
                    .filter(|assignment| {
                        consent
                            .resource
                            .live_id
                            .as_deref()
                            .is_some_and(|id| Guid::same(id, &assignment.resource_id))
                            && Guid::same(&assignment.app_role_id, role_id)
                    })
                    .collect();
                if !existing.is_empty() {
                    kept.extend(existing.iter().map(|assignment| assignment.id.as_str()));
                    continue;
                }
                let mut depends_on = client_depends.clone();
                depends_on.extend(consent.resource.depends_on.iter().cloned());
                depends_on.sort();
                depends_on.dedup();
                self.changes.push(
                    ResourceChange::create(
                        target.address(Component::Consent {
                            resource: consent.resource.name.clone(),
                            permission: value.clone(),
                        }),
                        json!({
                            "resource": consent.resource.name,
                            "permission": value,
                            "type": "application",
                        }),
                        vec![Operation::GrantAppRole {
                            client: client.clone(),
                            resource: consent.resource.service_principal.clone(),
                            app_role_id: role_id.clone(),
                        }],
                    )
                    .with_depends_on(depends_on),
                );
            }
        }
        // Undeclared assignments, one change per resource and permission.
        let mut revoked: BTreeMap<Address, (Value, Vec<Operation>)> = BTreeMap::new();
        for assignment in assignments
            .iter()
            .filter(|assignment| !kept.contains(assignment.id.as_str()))
        {
            let resource = self.consent_resource_name(&assignment.resource_id);
            let permission = self.granted_permission_value(
                &assignment.resource_id,
                &assignment.app_role_id,
                PermissionKind::Application,
            );
            let address = target.address(Component::Consent {
                resource: resource.clone(),
                permission: permission.clone(),
            });
            let entry = revoked.entry(address).or_insert_with(|| {
                (
                    json!({"resource": resource, "permission": permission, "type": "application"}),
                    Vec::new(),
                )
            });
            entry.1.push(Operation::RevokeAppRole {
                resource_id: assignment.resource_id.clone(),
                assignment_id: assignment.id.clone(),
            });
        }
        for (address, (before, operations)) in revoked {
            self.changes
                .push(revoke_change(address, before, operations));
        }

        // Delegated permissions: one tenant-wide grant per API.
        let mut grants: Vec<&PermissionGrant> = live_sp
            .map(|sp| {
                sp.permission_grants
                    .iter()
                    .filter(|grant| grant.consent_type == ConsentType::AllPrincipals)
                    .collect()
            })
            .unwrap_or_default();
        grants.sort_by(|a, b| (&a.id, &a.resource_id).cmp(&(&b.id, &b.resource_id)));
        let mut handled: BTreeSet<&str> = BTreeSet::new();
        for consent in wanted.iter().filter(|consent| !consent.scopes.is_empty()) {
            let on_resource: Vec<&PermissionGrant> = grants
                .iter()
                .filter(|grant| {
                    consent
                        .resource
                        .live_id
                        .as_deref()
                        .is_some_and(|id| Guid::same(id, &grant.resource_id))
                })
                .copied()
                .collect();
            handled.extend(on_resource.iter().map(|grant| grant.id.as_str()));
            let address = target.address(Component::DelegatedConsent {
                resource: consent.resource.name.clone(),
            });
            let Some((primary, extras)) = on_resource.split_first() else {
                let mut depends_on = client_depends.clone();
                depends_on.extend(consent.resource.depends_on.iter().cloned());
                depends_on.sort();
                depends_on.dedup();
                self.changes.push(
                    ResourceChange::create(
                        address,
                        json!({
                            "resource": consent.resource.name,
                            "scopes": consent.scopes,
                            "type": "delegated",
                        }),
                        vec![Operation::GrantScopes {
                            client: client.clone(),
                            resource: consent.resource.service_principal.clone(),
                            scope: consent.scopes.join(" "),
                        }],
                    )
                    .with_depends_on(depends_on),
                );
                continue;
            };
            // Graph keeps one such grant per client and API; should there be more, what is
            // consented is all of them together, and the extra ones go.
            let mut live_values = scope_values(&primary.scope);
            for extra in extras {
                for value in scope_values(&extra.scope) {
                    if !live_values.contains(&value) {
                        live_values.push(value);
                    }
                }
            }
            if same_set(&live_values, &consent.scopes) && extras.is_empty() {
                continue;
            }
            // Kept scopes stay where they are; new ones follow in manifest order.
            let mut new_values: Vec<String> = live_values
                .iter()
                .filter(|value| consent.scopes.contains(value))
                .cloned()
                .collect();
            for value in &consent.scopes {
                if !new_values.contains(value) {
                    new_values.push(value.clone());
                }
            }
            let mut operations = Vec::new();
            if !same_set(&scope_values(&primary.scope), &new_values) {
                operations.push(Operation::UpdateGrantedScopes {
                    grant_id: primary.id.clone(),
                    scope: new_values.join(" "),
                });
            }
            operations.extend(extras.iter().map(|extra| Operation::RevokeGrant {
                grant_id: extra.id.clone(),
            }));
            let mut depends_on = consent.resource.depends_on.clone();
            depends_on.sort();
            depends_on.dedup();
            self.changes.push(
                ResourceChange::update(
                    address,
                    json!({"resource": consent.resource.name, "scopes": live_values}),
                    json!({"resource": consent.resource.name, "scopes": new_values}),
                    operations,
                )
                .with_depends_on(depends_on),
            );
        }
        // Undeclared tenant-wide grants, one change per resource.
        let mut revoked: BTreeMap<Address, (Vec<String>, Vec<Operation>)> = BTreeMap::new();
        for grant in grants
            .iter()
            .filter(|grant| !handled.contains(grant.id.as_str()))
        {
            let address = target.address(Component::DelegatedConsent {
                resource: self.consent_resource_name(&grant.resource_id),
            });
            let entry = revoked.entry(address).or_default();
            for value in scope_values(&grant.scope) {
                if !entry.0.contains(&value) {
                    entry.0.push(value);
                }
            }
            entry.1.push(Operation::RevokeGrant {
                grant_id: grant.id.clone(),
            });
        }
        for (address, (scopes, operations)) in revoked {
            let Component::DelegatedConsent { resource } = &address.component else {
                continue;
            };
            let before = json!({"resource": resource, "scopes": scopes, "type": "delegated"});
            self.changes
                .push(revoke_change(address, before, operations));
        }
    }

    /// The consent `target`'s manifest asks for, one entry per API in manifest order.
    fn wanted_consent(&mut self, target: &Target<'a>) -> Vec<WantedConsent> {
        let mut wanted: Vec<WantedConsent> = Vec::new();
        for access in target
            .desired
            .required_resource_access
            .iter()
            .filter(|access| access.admin_consent)
        {
            let Some((resource, source)) = self.consent_resource(access) else {
                continue;
            };
            let index = match wanted
                .iter()
                .position(|existing| existing.resource.identity() == resource.identity())
            {
                Some(index) => index,
                None => {
                    wanted.push(WantedConsent {
                        resource,
                        roles: Vec::new(),
                        scopes: Vec::new(),
                    });
                    wanted.len() - 1
                }
            };
            for name in &access.roles {
                let Some(id) = self.resolve_permission(&source, name, PermissionKind::Application)
                else {
                    continue;
                };
                let value = permission_value(&source, PermissionKind::Application, &id)
                    .unwrap_or_else(|| name.value.clone());
                let roles = &mut wanted[index].roles;
                if !roles.iter().any(|(_, existing)| Guid::same(existing, &id)) {
                    roles.push((value, id));
                }
            }
            for name in &access.scopes {
                let Some(id) = self.resolve_permission(&source, name, PermissionKind::Delegated)
                else {
                    continue;
                };
                let value = permission_value(&source, PermissionKind::Delegated, &id)
                    .unwrap_or_else(|| name.value.clone());
                let scopes = &mut wanted[index].scopes;
                if !scopes.contains(&value) {
                    scopes.push(value);
                }
            }
        }
        wanted
    }

    /// The API of an `adminConsent` entry and the permissions it exposes. Consent is given on
    /// the API's service principal, so one must exist in the tenant or be created in this plan.
    fn consent_resource(
        &mut self,
        access: &DesiredResourceAccess,
    ) -> Option<(ConsentResource, PermissionSource)> {
        let name = access.resource.value.as_str();
        let key = match self.target(name) {
            Some(target) => target.key().to_owned(),
            None => {
                let (app_id, source) = self.resolve_resource(&access.resource)?;
                let app_id = app_id.text();
                match self.target_by_app_id(&app_id) {
                    Some(target) => target.key().to_owned(),
                    None => return self.external_consent_resource(access, &app_id, source),
                }
            }
        };
        let resource_target = self.target(&key)?.clone();
        if resource_target.desired.service_principal.is_none() {
            self.errors.push(PlanError::new(
                &access.resource.origin,
                format!(
                    "cannot grant admin consent on application `{key}`: it has no service principal (`servicePrincipal: false`)"
                ),
                Some(format!(
                    "remove `servicePrincipal: false` from `{key}`, or set `adminConsent: false`"
                )),
            ));
            return None;
        }
        let live_sp = resource_target
            .live()
            .and_then(|app| app.service_principal.as_ref());
        let mut depends_on = vec![Address::application(&key)];
        let (service_principal, live_id) = match live_sp {
            Some(sp) => (
                ServicePrincipalRef::Existing { id: sp.id.clone() },
                Some(sp.id.clone()),
            ),
            None => {
                depends_on.push(resource_target.address(Component::ServicePrincipal));
                (ServicePrincipalRef::Planned { key: key.clone() }, None)
            }
        };
        // Only changes that exist (and do something) are dependencies.
        depends_on.retain(|address| {
            self.changes
                .iter()
                .any(|change| &change.address == address && !change.operations.is_empty())
        });
        let resource = ConsentResource {
            name: key.clone(),
            service_principal,
            live_id,
            depends_on,
        };
        Some((resource, self.managed_source(&key)))
    }

    /// An API outside the manifest: consent goes to its service principal in the tenant.
    fn external_consent_resource(
        &mut self,
        access: &DesiredResourceAccess,
        app_id: &str,
        source: PermissionSource,
    ) -> Option<(ConsentResource, PermissionSource)> {
        let Some(sp) = self.resource_sp(app_id) else {
            self.errors.push(PlanError::new(
                &access.resource.origin,
                format!(
                    "cannot grant admin consent on {}: its service principal is not in the tenant",
                    source.name
                ),
                Some(
                    "create the API's service principal in this tenant first, or set `adminConsent: false`"
                        .to_owned(),
                ),
            ));
            return None;
        };
        let resource = ConsentResource {
            name: sp.display_name.clone(),
            service_principal: ServicePrincipalRef::Existing { id: sp.id.clone() },
            live_id: Some(sp.id.clone()),
            depends_on: Vec::new(),
        };
        Some((resource, source))
    }

    /// How plan text names the API whose service principal has object id `resource_id`.
    fn consent_resource_name(&self, resource_id: &str) -> String {
        if let Some(target) = self.target_by_service_principal(resource_id) {
            return target.key().to_owned();
        }
        self.live
            .resource_service_principals
            .iter()
            .filter(|sp| Guid::same(&sp.id, resource_id))
            .min_by(|a, b| a.app_id.cmp(&b.app_id))
            .map_or_else(|| resource_id.to_owned(), |sp| sp.display_name.clone())
    }

    /// The value of a granted permission, through the API's service principal as read (or, for
    /// an application of this manifest, its declared and live roles and scopes); its id when
    /// unknown.
    fn granted_permission_value(
        &self,
        resource_id: &str,
        permission_id: &str,
        kind: PermissionKind,
    ) -> String {
        let mut candidates: Vec<(String, String)> = Vec::new();
        if let Some(target) = self.target_by_service_principal(resource_id) {
            let source = self.managed_source(target.key());
            candidates.extend(source.of(kind).cloned().unwrap_or_default());
            if let Some(live) = target.live() {
                match kind {
                    PermissionKind::Application => candidates.extend(
                        live.settings
                            .app_roles
                            .iter()
                            .map(|role| (role.value.clone(), role.id.clone())),
                    ),
                    PermissionKind::Delegated => candidates.extend(
                        live.settings
                            .api
                            .oauth2_permission_scopes
                            .iter()
                            .map(|scope| (scope.value.clone(), scope.id.clone())),
                    ),
                }
            }
        }
        for sp in self
            .live
            .resource_service_principals
            .iter()
            .filter(|sp| Guid::same(&sp.id, resource_id))
        {
            let permissions = match kind {
                PermissionKind::Application => &sp.app_roles,
                PermissionKind::Delegated => &sp.oauth2_permission_scopes,
            };
            candidates.extend(
                permissions
                    .iter()
                    .map(|permission| (permission.value.clone(), permission.id.clone())),
            );
        }
        candidates
            .into_iter()
            .filter(|(_, id)| Guid::same(id, permission_id))
            .map(|(value, _)| value)
            .min()
            .unwrap_or_else(|| permission_id.to_owned())
    }
}

/// The value of the permission with this id in `source`.
fn permission_value(source: &PermissionSource, kind: PermissionKind, id: &str) -> Option<String> {
    source
        .of(kind)?
        .iter()
        .find(|(_, candidate)| Guid::same(candidate, id))
        .map(|(value, _)| value.clone())
}

fn revoke_change(address: Address, before: Value, operations: Vec<Operation>) -> ResourceChange {
    ResourceChange::delete(address, before, operations)
        .with_reason(ActionReason::ConsentNotDeclared)
}
