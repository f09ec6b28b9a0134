//! Before the first write of an apply: is this the tenant the run was told to change, and may
//! the credential do everything the plan needs? Both checks refuse with one error (exit 1) and
//! nothing changed. The needs and the credential's rights come from
//! `registrar_azure::permissions`; the wording is here.
//!
//! The tenant rule: a manifest without `tenant:` applied without a person at the keyboard
//! (`--auto-approve`, or no terminal) must be given `--tenant ID`, which must be the tenant the
//! credential signs in to. `--local` names the local tenant, which is unambiguous, so it counts
//! as naming the tenant; so does a saved plan, which records its tenant and is checked against
//! it. `--tenant` given in any run must match.

use std::collections::BTreeMap;

use registrar_azure::permissions::{
    CheckNote, Need, NeedKind, Permission, check_permissions, needs,
};
use registrar_model::LiveTenant;
use registrar_plan::Plan;

use crate::output::Hinted;
use crate::target::{LOCAL_CLOUD, Target};

/// Why a run must name its tenant, or `None` when it need not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TenantNaming {
    /// The manifest names it (`tenant:`), the run is `--local`, or a saved plan records it.
    Named,
    /// A person approves at the terminal and sees the tenant in the header.
    Interactive,
    /// Nobody approves and nothing names the tenant: `--tenant` is required.
    Required,
}

/// Which [`TenantNaming`] applies.
pub(crate) fn tenant_naming(
    manifest_names_tenant: bool,
    local: bool,
    saved_plan: bool,
    non_interactive: bool,
) -> TenantNaming {
    if manifest_names_tenant || local || saved_plan {
        TenantNaming::Named
    } else if non_interactive {
        TenantNaming::Required
    } else {
        TenantNaming::Interactive
    }
}

/// Refuses an apply whose tenant is not named where it must be, or whose `--tenant` is not the
/// tenant the credential signs in to.
pub(crate) async fn check_tenant_named(
    naming: TenantNaming,
    flag: Option<&str>,
    target: &Target,
) -> anyhow::Result<()> {
    let signed_in = target.tenant_id().await?;
    let Some(flag) = flag else {
        if naming == TenantNaming::Required {
            return Err(Hinted {
                message: format!(
                    "the manifest does not name its tenant (`tenant:`), and this apply runs without approval at a terminal: refusing to change tenant {signed_in} without `--tenant`"
                ),
                hint: format!(
                    "check the tenant in the header above and run again with `--tenant {signed_in}`, or add `tenant: {signed_in}` to the manifest; nothing was changed"
                ),
            }
            .into());
        }
        return Ok(());
    };
    let named = target
        .clients
        .resolve_tenant_id(flag)
        .await
        .map_err(|error| Hinted {
            message: format!("cannot look up the tenant `--tenant {flag}`: {error}"),
            hint:
                "give the tenant's id (a GUID) or one of its verified domains; nothing was changed"
                    .to_owned(),
        })?;
    if named.eq_ignore_ascii_case(&signed_in) {
        return Ok(());
    }
    Err(Hinted {
        message: format!(
            "`--tenant {flag}` ({named}) is not the tenant the credential signs in to ({signed_in})"
        ),
        hint: "sign in to the tenant you mean (e.g. `AZURE_TENANT_ID`) or correct `--tenant`; nothing was changed".to_owned(),
    }
    .into())
}

/// What a change needs the permission for, in words.
fn purpose(kind: NeedKind) -> &'static str {
    match kind {
        NeedKind::CreateApplication => "to create or restore applications",
        NeedKind::ChangeOwnedApplication => {
            "to change applications and service principals the client owns"
        }
        NeedKind::ChangeUnownedApplication => {
            "to change applications and service principals the client does not own (Application.ReadWrite.OwnedBy covers only owned ones)"
        }
        NeedKind::AddOwner => "to add owners (Application.ReadWrite.OwnedBy cannot add owners)",
        NeedKind::AppRoleConsent => "to grant or revoke admin consent for application permissions",
        NeedKind::DelegatedConsent => {
            "to grant, change or revoke admin consent for delegated permissions"
        }
        NeedKind::RoleAssignmentWrite => "to create Azure role assignments",
        NeedKind::RoleAssignmentDelete => "to delete Azure role assignments",
    }
}

fn permission_text(permission: &Permission) -> String {
    match permission {
        Permission::Graph(alternatives) => format!(
            "Microsoft Graph application permission {}",
            alternatives.join(" or ")
        ),
        Permission::Arm { action, scope } => format!("{action} at scope {scope}"),
    }
}

/// The one error listing every missing permission, each with what it is for and the changes
/// that need it.
fn missing_error(missing: &[Need]) -> anyhow::Error {
    let mut grouped: BTreeMap<(Permission, NeedKind), Vec<&str>> = BTreeMap::new();
    for need in missing {
        let addresses = grouped
            .entry((need.permission.clone(), need.kind))
            .or_default();
        if !addresses.contains(&need.address.as_str()) {
            addresses.push(&need.address);
        }
    }
    let mut message = format!(
        "the credential lacks {} permission{} this plan needs; nothing was changed:",
        grouped.len(),
        if grouped.len() == 1 { "" } else { "s" }
    );
    for ((permission, kind), addresses) in &grouped {
        message.push_str(&format!(
            "\n  - {}, {}: {}",
            permission_text(permission),
            purpose(*kind),
            addresses.join(", ")
        ));
    }
    Hinted {
        message,
        hint: "grant them to the client (docs/permissions.md lists what each change needs), then run again".to_owned(),
    }
    .into()
}

/// Checks the credential against what `plan` needs (the snapshot `live` says who owns what).
/// Notes go to stderr; missing permissions are one error.
pub(crate) async fn check_plan_permissions(
    plan: &Plan,
    live: &LiveTenant,
    target: &Target,
    quiet: bool,
) -> anyhow::Result<()> {
    let changes = plan.changes.iter().flat_map(|change| {
        let address = change.address.to_string();
        change
            .operations
            .iter()
            .map(move |operation| (address.clone(), operation))
    });
    let needs = needs(changes, live);
    if needs.is_empty() {
        return Ok(());
    }
    let check = check_permissions(&target.clients, &needs).await;
    if !quiet {
        for note in &check.notes {
            match note {
                CheckNote::GraphRolesUnknown => eprintln!(
                    "note: the access token carries no application permissions (`roles`), as a user's sign-in does not: the Microsoft Graph permissions were not checked before applying"
                ),
                CheckNote::ArmPermissionsUnreadable { scope, reason } => eprintln!(
                    "note: cannot read what the credential may do at {scope} ({reason}): its role assignment rights were not checked before applying"
                ),
            }
        }
    }
    if check.missing.is_empty() {
        Ok(())
    } else {
        Err(missing_error(&check.missing))
    }
}

/// Whether `target` is the local tenant.
pub(crate) fn is_local(target: &Target) -> bool {
    target.cloud == LOCAL_CLOUD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_must_be_named_only_without_a_person_and_without_tenant() {
        assert_eq!(
            tenant_naming(false, false, false, true),
            TenantNaming::Required
        );
        assert_eq!(
            tenant_naming(false, false, false, false),
            TenantNaming::Interactive
        );
        assert_eq!(tenant_naming(true, false, false, true), TenantNaming::Named);
        assert_eq!(tenant_naming(false, true, false, true), TenantNaming::Named);
        assert_eq!(tenant_naming(false, false, true, true), TenantNaming::Named);
    }

    #[test]
    fn missing_permissions_are_one_error_grouped_by_permission() {
        let need = |kind, permission: Permission, address: &str| Need {
            kind,
            permission,
            address: address.to_owned(),
        };
        let error = missing_error(&[
            need(
                NeedKind::AppRoleConsent,
                Permission::Graph(&["AppRoleAssignment.ReadWrite.All"]),
                "a",
            ),
            need(
                NeedKind::AppRoleConsent,
                Permission::Graph(&["AppRoleAssignment.ReadWrite.All"]),
                "b",
            ),
            need(
                NeedKind::RoleAssignmentWrite,
                Permission::Arm {
                    action: "Microsoft.Authorization/roleAssignments/write",
                    scope: "/subscriptions/s".to_owned(),
                },
                "c",
            ),
        ]);
        let text = error.to_string();
        assert!(text.contains("lacks 2 permissions"), "{text}");
        assert!(
            text.contains("Microsoft Graph application permission AppRoleAssignment.ReadWrite.All, to grant or revoke admin consent for application permissions: a, b"),
            "{text}"
        );
        assert!(
            text.contains("Microsoft.Authorization/roleAssignments/write at scope /subscriptions/s, to create Azure role assignments: c"),
            "{text}"
        );
    }
}
