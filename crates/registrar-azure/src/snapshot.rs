//! The snapshot reader: [`read_live_tenant`] reads, once per run, everything the planner needs
//! about the applications a [`DesiredState`] declares.
//!
//! # What is read, and the request count
//! With N managed applications, K of them declared but not carrying the marker tag (new apps,
//! or a tag removed by hand), R distinct permission resources, O distinct owners and V Key
//! Vault secret stores:
//!
//! | step | requests |
//! |---|---|
//! | managed apps: `$filter=tags/any(t:t eq 'registrar:{ns}')`, `$top=999` | ⌈N/999⌉ (at least 1) |
//! | declared apps not found by tag: `(uniqueName='{ns}.{key}')` or `(appId='…')` when pinned | K |
//! | deleted items (only when a declared app is still missing) | ⌈deleted apps/999⌉ |
//! | per managed app: owners, federated credentials, service principal | **3 per app** |
//! | per app that declares or has certificates: `$select=keyCredentials` (with `key`) | +1 |
//! | resource service principals (`$filter=appId eq`) | R |
//! | owners: `/users/{upn}` or `/directoryObjects/{id}` | O |
//! | Key Vault secret metadata (file stores are read locally) | V |
//! | tokens: one per audience used (Graph; Key Vault when V > 0) | 1–2 |
//!
//! So a tenant with 1000 managed apps and no drift costs about 1 + 3000 + R + O + V requests,
//! whatever else the tenant holds. Reads run with [`crate::AzureConfig::concurrency`] (default 8)
//! requests in flight.

use std::collections::{BTreeSet, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};

use registrar_model::{
    DesiredApplication, DesiredState, DirectoryObject, LiveApplication, LiveTenant,
    ResourceServicePrincipal, SecretStoreContents, SecretStoreLocation, SecretStoreState,
    marker_tag, unique_name,
};

use crate::clients::Clients;
use crate::error::AzureError;

/// Whether `text` is a GUID in the 8-4-4-4-12 form.
pub fn is_guid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// The declared application a live one belongs to: by unique name, else by pinned appId.
fn declared_for<'a>(
    desired: &'a DesiredState,
    app: &LiveApplication,
) -> Option<&'a DesiredApplication> {
    desired.applications.iter().find(|declared| {
        app.unique_name.as_deref() == Some(unique_name(&desired.namespace, &declared.key).as_str())
            || declared
                .app_id
                .as_deref()
                .is_some_and(|pinned| pinned.eq_ignore_ascii_case(&app.app_id))
    })
}

/// The appIds of the APIs the manifest requests permissions on: catalog names resolved through
/// `registrar-catalog`, GUIDs as written, keys of this manifest skipped (they are managed apps).
/// Unknown names are skipped too; the planner reports them.
pub fn resource_app_ids(desired: &DesiredState) -> BTreeSet<String> {
    let catalog = registrar_catalog::catalog();
    let keys: HashSet<&str> = desired
        .applications
        .iter()
        .map(|app| app.key.as_str())
        .collect();
    desired
        .applications
        .iter()
        .flat_map(|app| &app.required_resource_access)
        .filter_map(|access| {
            let resource = access.resource.value.as_str();
            if keys.contains(resource) {
                None
            } else if is_guid(resource) {
                Some(resource.to_ascii_lowercase())
            } else {
                catalog
                    .api(resource)
                    .map(|api| api.app_id.to_ascii_lowercase())
            }
        })
        .collect()
}

enum Task<'a> {
    App(usize, Box<LiveApplication>, bool),
    Resource(String),
    Owner(String),
    Store(&'a SecretStoreLocation),
}

enum Outcome {
    App(usize, Box<LiveApplication>),
    Resource(Option<ResourceServicePrincipal>),
    Owner(Option<DirectoryObject>),
    Store(SecretStoreState),
}

async fn app_details(
    clients: &Clients,
    mut app: LiveApplication,
    read_keys: bool,
) -> Result<LiveApplication, AzureError> {
    let graph = &clients.graph;
    app.owners = graph.list_owners(&app.id).await?;
    app.federated_credentials = graph.list_federated_credentials(&app.id).await?;
    app.service_principal = graph.get_service_principal_by_app_id(&app.app_id).await?;
    if read_keys {
        app.key_credentials = graph.get_key_credentials(&app.id).await?;
    }
    Ok(app)
}

async fn run_task(clients: &Clients, task: Task<'_>) -> Result<Outcome, AzureError> {
    Ok(match task {
        Task::App(index, app, read_keys) => Outcome::App(
            index,
            Box::new(app_details(clients, *app, read_keys).await?),
        ),
        Task::Resource(app_id) => Outcome::Resource(
            clients
                .graph
                .get_resource_service_principal(&app_id)
                .await?,
        ),
        Task::Owner(name) => Outcome::Owner(if is_guid(&name) {
            clients.graph.get_directory_object(&name).await?
        } else {
            clients.graph.get_user(&name).await?
        }),
        Task::Store(location) => Outcome::Store(SecretStoreState {
            location: location.clone(),
            contents: clients.read_secret_store(location).await,
        }),
    })
}

/// A declared application the tag did not find: by pinned appId, else by unique name.
async fn lookup_declared(
    clients: &Clients,
    namespace: &str,
    declared: &DesiredApplication,
) -> Result<Option<LiveApplication>, AzureError> {
    match &declared.app_id {
        Some(app_id) => clients.graph.get_application_by_app_id(app_id).await,
        None => {
            clients
                .graph
                .get_application_by_unique_name(&unique_name(namespace, &declared.key))
                .await
        }
    }
}

/// Reads the live snapshot for `desired` (see the module docs for what and how many requests).
pub async fn read_live_tenant(
    clients: &Clients,
    desired: &DesiredState,
) -> Result<LiveTenant, AzureError> {
    let graph = &clients.graph;
    let namespace = &desired.namespace;
    let concurrency = clients.concurrency;

    // 1. Managed applications: the marker tag, then declared ones the tag did not find.
    let mut applications = graph
        .list_applications_with_tag(&marker_tag(namespace))
        .await?;
    let missing: Vec<&DesiredApplication> = desired
        .applications
        .iter()
        .filter(|declared| {
            let name = unique_name(namespace, &declared.key);
            !applications.iter().any(|app| {
                app.unique_name.as_deref() == Some(name.as_str())
                    || declared
                        .app_id
                        .as_deref()
                        .is_some_and(|pinned| pinned.eq_ignore_ascii_case(&app.app_id))
            })
        })
        .collect();
    let found: Vec<Option<LiveApplication>> =
        // The futures are collected first: a closure inside the stream would make the whole
        // future lose `Send` (higher-ranked lifetime inference), and callers spawn it.
        stream::iter(
            missing
                .iter()
                .map(|declared| lookup_declared(clients, namespace, declared))
                .collect::<Vec<_>>(),
        )
        .buffered(concurrency)
        .try_collect()
        .await?;
    let mut still_missing = Vec::new();
    for (declared, app) in missing.iter().zip(found) {
        match app {
            Some(app) if !applications.iter().any(|known| known.id == app.id) => {
                applications.push(app)
            }
            Some(_) => {}
            None => still_missing.push(*declared),
        }
    }

    // 2. Soft-deleted applications holding this namespace's unique names (or a pinned appId).
    let mut deleted_applications = Vec::new();
    if !still_missing.is_empty() {
        let prefix = format!("{namespace}.");
        let pinned: Vec<&str> = still_missing
            .iter()
            .filter_map(|declared| declared.app_id.as_deref())
            .collect();
        deleted_applications = graph
            .list_deleted_applications()
            .await?
            .into_iter()
            .filter(|deleted| {
                deleted
                    .unique_name
                    .as_deref()
                    .is_some_and(|name| name.starts_with(&prefix))
                    || pinned
                        .iter()
                        .any(|app_id| app_id.eq_ignore_ascii_case(&deleted.app_id))
            })
            .collect();
    }

    // 3. Details per application, resource service principals, owners and secret stores.
    let mut tasks = Vec::new();
    for (index, app) in applications.into_iter().enumerate() {
        let declares_certificates =
            declared_for(desired, &app).is_some_and(|declared| !declared.certificates.is_empty());
        let read_keys = declares_certificates || !app.key_credentials.is_empty();
        tasks.push(Task::App(index, Box::new(app), read_keys));
    }
    tasks.extend(resource_app_ids(desired).into_iter().map(Task::Resource));
    let mut owners_seen = HashSet::new();
    for owner in desired.applications.iter().flat_map(|app| &app.owners) {
        let name = owner.value.trim();
        let looks_valid = is_guid(name) || name.contains('@');
        if looks_valid && owners_seen.insert(name.to_ascii_lowercase()) {
            tasks.push(Task::Owner(name.to_owned()));
        }
    }
    let stores: BTreeSet<&SecretStoreLocation> = desired
        .applications
        .iter()
        .flat_map(|app| &app.secrets)
        .map(|secret| &secret.store)
        .collect();
    tasks.extend(stores.into_iter().map(Task::Store));

    let outcomes: Vec<Outcome> = stream::iter(
        tasks
            .into_iter()
            .map(|task| run_task(clients, task))
            .collect::<Vec<_>>(),
    )
    .buffer_unordered(concurrency)
    .try_collect()
    .await?;

    let mut live = LiveTenant {
        deleted_applications,
        ..LiveTenant::default()
    };
    let mut indexed_apps = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::App(index, app) => indexed_apps.push((index, *app)),
            Outcome::Resource(Some(sp)) => live.resource_service_principals.push(sp),
            Outcome::Owner(Some(object)) => live.directory_objects.push(object),
            Outcome::Store(state) => live.secret_stores.push(state),
            Outcome::Resource(None) | Outcome::Owner(None) => {}
        }
    }
    indexed_apps.sort_by_key(|(index, _)| *index);
    live.applications = indexed_apps.into_iter().map(|(_, app)| app).collect();
    live.resource_service_principals
        .sort_by(|a, b| a.app_id.cmp(&b.app_id));
    live.directory_objects.sort_by(|a, b| a.id.cmp(&b.id));
    live.secret_stores
        .sort_by(|a, b| a.location.cmp(&b.location));
    live.tenant_id = match clients.tenant_id().await {
        Some(tenant) => tenant,
        None => desired.tenant.clone().unwrap_or_default(),
    };
    if live
        .secret_stores
        .iter()
        .any(|store| matches!(store.contents, SecretStoreContents::Unreadable { .. }))
    {
        tracing::debug!("some secret stores could not be read");
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_detection() {
        assert!(is_guid("00000003-0000-0000-c000-000000000000"));
        assert!(!is_guid("Microsoft Graph"));
        assert!(!is_guid("00000003000000000c000000000000000000"));
    }
}
