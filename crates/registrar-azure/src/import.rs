//! The import reader: [`read_for_import`] reads existing applications that a selection names
//! (by appId, display name, tag, the signed-in principal's owned objects, or all of them) with
//! everything a manifest can declare about them, into a [`LiveTenant`] that
//! `registrar-import` turns into a manifest.
//!
//! It reuses the snapshot reader's batched reads (`crate::graph::Read`), so per-application
//! details cost the same as in a plan: owners, federated credentials, the service principal and
//! (for applications with certificates) `keyCredentials` with their `key`, in JSON batches of 20;
//! then the API service principals the applications request permissions on, the owners'
//! directory objects, and each service principal's admin consent; and, per `--scope`, one ARM
//! list of the service principal's role assignments. It only reads.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};
use serde::Deserialize;

use registrar_model::{Guid, LiveApplication, LiveTenant, RoleAssignment, scope_root};

use crate::clients::Clients;
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::graph::{Read, ReadValue};
use crate::http::{encode_path, odata_string};
use crate::snapshot::managed_role_assignments;

/// Which applications to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSelection {
    /// The application with this appId.
    AppId(String),
    /// Applications with exactly this display name.
    DisplayName(String),
    /// Applications carrying this tag.
    Tag(String),
    /// Applications the signed-in principal owns: `/servicePrincipals/{oid}/ownedObjects` for
    /// an application sign-in (`/me` does not exist then), `/me/ownedObjects` for a user.
    OwnedByMe,
    /// Every application of the tenant.
    All,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnedObject {
    #[serde(rename = "@odata.type", default)]
    odata_type: String,
    #[serde(default)]
    app_id: Option<String>,
}

/// What slot of the details round an answer fills.
enum Slot {
    Owners(usize),
    FederatedCredentials(usize),
    ServicePrincipal(usize),
    KeyCredentials(usize),
}

/// Lists the applications `selection` names (managed properties, no details yet).
async fn list_selected(
    clients: &Clients,
    selection: &ImportSelection,
) -> Result<Vec<LiveApplication>, AzureError> {
    let graph = &clients.graph;
    match selection {
        ImportSelection::AppId(app_id) => {
            let found = graph
                .read_batched(&[Read::ApplicationByAppId(app_id.clone())])
                .await?;
            Ok(found
                .into_iter()
                .filter_map(|value| match value {
                    ReadValue::Application(Some(app)) => Some(*app),
                    _ => None,
                })
                .collect())
        }
        ImportSelection::DisplayName(name) => {
            graph
                .list_applications(Some(&format!("displayName eq {}", odata_string(name))))
                .await
        }
        ImportSelection::Tag(tag) => graph.list_applications_with_tag(tag).await,
        ImportSelection::All => graph.list_applications(None).await,
        ImportSelection::OwnedByMe => {
            let tokens = &clients.core.tokens;
            let oid = tokens.token_claim("oid").await;
            let is_app = tokens.token_claim("idtyp").await.as_deref() == Some("app");
            let path = match (&oid, is_app) {
                (Some(oid), true) => {
                    format!("/servicePrincipals/{}/ownedObjects", encode_path(oid))
                }
                _ => "/me/ownedObjects".to_owned(),
            };
            let url = format!("{}{path}?$top=999", clients.core.endpoints.graph_base);
            let owned: Vec<OwnedObject> = clients.core.get_all_pages(url, Service::Graph).await?;
            let reads: Vec<Read> = owned
                .into_iter()
                .filter(|object| object.odata_type.ends_with("microsoft.graph.application"))
                .filter_map(|object| object.app_id)
                .map(Read::ApplicationByAppId)
                .collect();
            let found = graph.read_batched(&reads).await?;
            Ok(found
                .into_iter()
                .filter_map(|value| match value {
                    ReadValue::Application(Some(app)) => Some(*app),
                    _ => None,
                })
                .collect())
        }
    }
}

/// Reads the applications `selection` names with their details, the APIs they request
/// permissions on, their owners' directory objects, their admin consent, and the role
/// assignments of their service principals at or below each of `scopes`. The result's
/// applications are sorted by display name, then appId.
pub async fn read_for_import(
    clients: &Clients,
    selection: &ImportSelection,
    scopes: &[String],
) -> Result<LiveTenant, AzureError> {
    let graph = &clients.graph;
    let mut applications = list_selected(clients, selection).await?;
    applications.sort_by(|a, b| {
        (&a.settings.plain.display_name, &a.app_id)
            .cmp(&(&b.settings.plain.display_name, &b.app_id))
    });
    applications.dedup_by(|a, b| a.id == b.id);

    // Details per application, in JSON batches (the same reads as the snapshot).
    let mut reads = Vec::new();
    let mut slots = Vec::new();
    for (index, app) in applications.iter().enumerate() {
        reads.push(Read::Owners(app.id.clone()));
        slots.push(Slot::Owners(index));
        reads.push(Read::FederatedCredentials(app.id.clone()));
        slots.push(Slot::FederatedCredentials(index));
        reads.push(Read::ServicePrincipal(app.app_id.clone()));
        slots.push(Slot::ServicePrincipal(index));
        if !app.key_credentials.is_empty() {
            reads.push(Read::KeyCredentials(app.id.clone()));
            slots.push(Slot::KeyCredentials(index));
        }
    }
    for (slot, answer) in slots.into_iter().zip(graph.read_batched(&reads).await?) {
        match (slot, answer) {
            (Slot::Owners(index), ReadValue::Owners(owners)) => applications[index].owners = owners,
            (Slot::FederatedCredentials(index), ReadValue::FederatedCredentials(found)) => {
                applications[index].federated_credentials = found;
            }
            (Slot::ServicePrincipal(index), ReadValue::ServicePrincipal(sp)) => {
                applications[index].service_principal = sp;
            }
            (Slot::KeyCredentials(index), ReadValue::KeyCredentials(found)) => {
                applications[index].key_credentials = found;
            }
            _ => {}
        }
    }

    // The APIs requested, the owners, and each service principal's admin consent.
    let resources: BTreeSet<String> = applications
        .iter()
        .flat_map(|app| &app.settings.required_resource_access)
        .map(|access| access.resource_app_id.to_ascii_lowercase())
        .collect();
    let owners: BTreeSet<String> = applications
        .iter()
        .flat_map(|app| &app.owners)
        .map(|owner| owner.to_ascii_lowercase())
        .collect();
    let mut reads: Vec<Read> = Vec::new();
    reads.extend(resources.into_iter().map(Read::ResourceServicePrincipal));
    reads.extend(owners.into_iter().map(Read::DirectoryObject));
    let mut consent_of: Vec<usize> = Vec::new();
    for (index, app) in applications.iter().enumerate() {
        if let Some(sp) = &app.service_principal {
            reads.push(Read::AppRoleAssignments(sp.id.clone()));
            consent_of.push(index);
            reads.push(Read::PermissionGrants(sp.id.clone()));
            consent_of.push(index);
        }
    }
    // The service principals' owners, answered as `ReadValue::Owners` (no other read here is).
    let mut sp_owners_of: Vec<usize> = Vec::new();
    for (index, app) in applications.iter().enumerate() {
        if let Some(sp) = &app.service_principal {
            reads.push(Read::ServicePrincipalOwners(sp.id.clone()));
            sp_owners_of.push(index);
        }
    }
    let mut sp_owners = sp_owners_of.into_iter();
    let rbac_reads: Vec<_> = applications
        .iter()
        .enumerate()
        .filter_map(|(index, app)| {
            app.service_principal
                .as_ref()
                .map(|sp| (index, sp.id.clone()))
        })
        .flat_map(|(index, principal)| {
            scopes.iter().filter_map(move |scope| {
                let root = scope_root(scope)?;
                let principal = principal.clone();
                Some(async move {
                    let found = clients
                        .arm
                        .list_role_assignments_for_principal(&root, &principal)
                        .await;
                    (index, found)
                })
            })
        })
        .collect();
    let (answers, rbac) = futures::join!(
        graph.read_batched(&reads),
        stream::iter(rbac_reads)
            .buffer_unordered(clients.concurrency)
            .collect::<Vec<_>>()
    );
    let mut live = LiveTenant::default();
    let mut consent = consent_of.into_iter();
    for answer in answers? {
        match answer {
            ReadValue::ResourceServicePrincipal(Some(sp)) => {
                live.resource_service_principals.push(sp)
            }
            ReadValue::DirectoryObject(Some(object)) => live.directory_objects.push(object),
            ReadValue::AppRoleAssignments(found) => {
                if let Some(sp) = consent
                    .next()
                    .and_then(|index| applications[index].service_principal.as_mut())
                {
                    sp.app_role_assignments = found;
                }
            }
            ReadValue::PermissionGrants(found) => {
                if let Some(sp) = consent
                    .next()
                    .and_then(|index| applications[index].service_principal.as_mut())
                {
                    sp.permission_grants = found;
                }
            }
            ReadValue::Owners(found) => {
                if let Some(sp) = sp_owners
                    .next()
                    .and_then(|index| applications[index].service_principal.as_mut())
                {
                    sp.owners = found;
                }
            }
            _ => {}
        }
    }
    let mut found_assignments: Vec<Vec<RoleAssignment>> = vec![Vec::new(); applications.len()];
    for (index, found) in rbac {
        found_assignments[index].extend(found?);
    }
    for (app, found) in applications.iter_mut().zip(found_assignments) {
        if let Some(sp) = app.service_principal.as_mut() {
            let principal = sp.id.clone();
            sp.role_assignments = managed_role_assignments(found, &principal, scopes);
        }
    }
    // Service principal owners were known only in the round above: their directory objects
    // (for their UPNs) take one more round, for those not already read.
    let sp_owner_reads: Vec<Read> = applications
        .iter()
        .filter_map(|app| app.service_principal.as_ref())
        .flat_map(|sp| &sp.owners)
        .map(|owner| owner.to_ascii_lowercase())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .filter(|owner| live.directory_object(owner).is_none())
        .map(Read::DirectoryObject)
        .collect();
    if !sp_owner_reads.is_empty() {
        for answer in graph.read_batched(&sp_owner_reads).await? {
            if let ReadValue::DirectoryObject(Some(object)) = answer {
                live.directory_objects.push(object);
            }
        }
    }
    live.applications = applications;
    live.resource_service_principals
        .sort_by(|a, b| a.app_id.cmp(&b.app_id));
    live.resource_service_principals
        .dedup_by(|a, b| Guid::same(&a.app_id, &b.app_id));
    live.directory_objects.sort_by(|a, b| a.id.cmp(&b.id));
    live.tenant_id = clients.tenant_id().await.unwrap_or_default();
    Ok(live)
}
