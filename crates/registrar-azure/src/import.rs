//! The import reader: [`read_for_import`] reads existing applications that a selection names
//! (by appId, display name, tag, the signed-in principal's owned objects, or all of them) with
//! everything a manifest can declare about them, into a [`LiveTenant`] that
//! `registrar-import` turns into a manifest.
//!
//! It shares the snapshot reader's two rounds of batched reads, so per-application details cost
//! the same as in a plan: first each application's owners, federated credentials, service
//! principal and (for applications with certificates) `keyCredentials` with their `key`, with the
//! API service principals the applications request permissions on, in JSON batches of 20; then
//! each service principal's admin consent with the owners' directory objects; and, per
//! `--scope`, one ARM list of the service principal's role assignments. It tells a
//! [`ReadProgress`] how far it is, and only reads.

use std::collections::{BTreeSet, HashSet};

use futures::stream::{self, StreamExt};
use serde::Deserialize;

use registrar_model::{Guid, LiveApplication, LiveTenant, RoleAssignment, scope_root};

use crate::clients::Clients;
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::graph::{Read, ReadValue};
use crate::http::{encode_path, odata_string};
use crate::snapshot::{
    ReadProgress, managed_role_assignments, read_admin_consent, read_application_details,
};

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

/// The applications that `(appId='…')` reads found (a 404 is `None`, skipped).
fn applications_found(answers: Vec<ReadValue>) -> Vec<LiveApplication> {
    answers
        .into_iter()
        .filter_map(|value| match value {
            ReadValue::Application(Some(app), _) => Some(*app),
            _ => None,
        })
        .collect()
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
            Ok(applications_found(found))
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
            Ok(applications_found(found))
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
    progress: &dyn ReadProgress,
) -> Result<LiveTenant, AzureError> {
    let graph = &clients.graph;
    let concurrency = clients.concurrency;
    progress.planned(1);
    let mut applications = list_selected(clients, selection).await?;
    progress.read(1);
    applications.sort_by(|a, b| {
        (&a.settings.plain.display_name, &a.app_id)
            .cmp(&(&b.settings.plain.display_name, &b.app_id))
    });
    applications.dedup_by(|a, b| a.id == b.id);

    // Details per application and the APIs requested, in JSON batches (the snapshot's reads).
    let resources: BTreeSet<String> = applications
        .iter()
        .flat_map(|app| &app.settings.required_resource_access)
        .map(|access| access.resource_app_id.to_ascii_lowercase())
        .collect();
    let resource_reads = resources
        .into_iter()
        .map(Read::ResourceServicePrincipal)
        .collect();
    // Owners are read per application: an import lists applications without `$expand`.
    let details = read_application_details(
        graph,
        &mut applications,
        &HashSet::new(),
        |app| !app.key_credentials.is_empty(),
        resource_reads,
        concurrency,
        progress,
    )
    .await?;
    let resource_answers = details.extra;

    // Each service principal's admin consent and the owners' directory objects; role
    // assignments from ARM alongside.
    let owners: BTreeSet<String> = applications
        .iter()
        .flat_map(|app| &app.owners)
        .map(|owner| owner.to_ascii_lowercase())
        .collect();
    let owner_reads = owners.into_iter().map(Read::DirectoryObject).collect();
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
                    progress.read(1);
                    (index, found)
                })
            })
        })
        .collect();
    progress.planned(rbac_reads.len() as u64);
    let (owner_answers, rbac) = futures::join!(
        read_admin_consent(
            graph,
            &mut applications,
            &details.known,
            owner_reads,
            concurrency,
            progress
        ),
        stream::iter(rbac_reads)
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
    );
    let mut live = LiveTenant::default();
    for answer in resource_answers.into_iter().chain(owner_answers?) {
        match answer {
            ReadValue::ResourceServicePrincipal(Some(sp)) => {
                live.resource_service_principals.push(sp)
            }
            ReadValue::DirectoryObject(Some(object)) => live.directory_objects.push(object),
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
