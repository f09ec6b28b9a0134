//! The snapshot reader: [`read_live_tenant`] reads, once per run, everything the planner needs
//! about the applications a [`DesiredState`] declares. [`read_live_tenant_with`] does the same
//! and tells a [`ReadProgress`] how far it is (the reader never prints; the CLI draws the bar).
//!
//! # What is read, and the request count
//! With N managed applications, K of them declared but not carrying the marker tag (new apps,
//! or a tag removed by hand), C that declare or have certificates, S that have a service
//! principal, R distinct permission resources, U owners named by UPN and O by object id, and V
//! Key Vaults holding the declared secret stores. Per-object reads go in JSON batches of at most
//! 20 ([`crate::GraphClient::batch_get`]); each `POST /$batch` is one request. Every read
//! selects what it decodes (`$select`), but a directory object by id. `in (…)` lists hold at most
//! 15 values (Graph's limit):
//!
//! | step | inner requests | HTTP requests |
//! |---|---:|---:|
//! | managed apps with their owners: `$filter=tags/any(t:t eq 'registrar:{ns}')`, `$expand=owners($select=id)`, `$top=100` (Graph's page size with `$expand`) | — | ⌈N/100⌉ (at least 1) |
//! | declared apps not found by tag: `(uniqueName='{ns}.{key}')` or `(appId='…')` when pinned, owners expanded | K | ⌈K/20⌉ |
//! | deleted items (only when a declared app is still missing) | — | ⌈deleted apps/999⌉ |
//! | per app: federated credentials; owners only when the expanded list held 20 (it may be cut short) or was missing | N (+ E) | ⎫ |
//! | service principals with their own credentials and owners: `$filter=appId in (…)`, `$expand=owners($select=id)`; and the app roles they hold, `$expand=appRoleAssignments(…)` | 2⌈N/15⌉ | ⎪ |
//! | per app that declares or has certificates: `$select=keyCredentials` (with `key`) | C | ⎬ ⌈(N+E+2⌈N/15⌉+C+⌈R/15⌉+⌈U/15⌉+O)/20⌉ |
//! | resource service principals: `$filter=appId in (…)` | ⌈R/15⌉ | ⎪ |
//! | owners by UPN: `/users?$filter=userPrincipalName in (…)`; by id: `/directoryObjects/{id}` | ⌈U/15⌉ + O | ⎭ |
//! | owners of an application holding a declared unique name without the marker (refused by the planner, which names them): `/directoryObjects/{id}` | — | 1 round, only then |
//! | per app with a service principal, once its object id is known: `oauth2PermissionGrants?$filter=clientId eq`; `…/appRoleAssignments` and `…/owners` only when the expanded list held 20 | S (+ E′) | ⌈(S+E′)/20⌉ |
//! | further pages of an answer (over 100 owners, credentials, grants): normal GETs | — | 1 per page |
//! | Key Vault: each vault listed once, `GET {vault}/secrets?maxresults=25` (file stores are read locally) | — | ⌈secrets in the vault/25⌉ per vault |
//! | ARM: custom roles, `{scope}/…/roleDefinitions?$filter=type eq 'CustomRole'`, once per scope naming one | — | D (+1 per name no custom role has) |
//! | ARM: role assignments of every principal, `{root}/…/roleAssignments` (no filter), once per root | — | G (+ pages) |
//! | app management policies: the default one and the custom ones, then what each custom one applies to (`graph/policies`) | 2 + P | 1 (+1 when P > 0) |
//! | tokens: one per audience used (Graph; Key Vault when V > 0; ARM when D + G > 0) | — | 1–3 |
//!
//! The consent reads need the service principal's object id, which the first round finds, so
//! they go in a second round of batches. A tenant with 1000 managed apps, each with a service
//! principal and fewer than 20 owners and app roles, and no drift costs about 10 +
//! ⌈(1000 + 134 + R + U)/20⌉ + 50 ≈ 117 Graph requests (≈ 2,160 RU: docs/performance.md, "What
//! a read costs"), whatever else the tenant holds. Throttled inner requests are resent in a new batch (one more request
//! per chunk and round), see the `batch` module. `AzureConfig::concurrency` (default 8) batches
//! are in flight; Key Vault and role definition reads run alongside the first round.
//!
//! # Azure RBAC
//! ARM has no `$batch`. G is the number of distinct roots the manifest's role assignments name:
//! the subscription (`/subscriptions/{id}`) of every scope under a subscription, and every
//! management group. Each root is listed once, without a filter, which ARM answers with the
//! assignments of every principal at, above and below the root (`atScope()` would leave out
//! those below; `principalId eq` would take one request per principal); the lists are sent only
//! when a declared application has a service principal, alongside the consent round. The
//! snapshot keeps, for each declared application's service principal, its assignments whose
//! scope is the root or lies below it (compared case-insensitively), so assignments elsewhere
//! (another subscription, a management group above) are neither read as drift nor removed. A
//! manifest without role assignments sends no ARM request at all. D is the number of distinct
//! scopes naming a role that is neither a GUID nor a built-in role of the catalog: the custom
//! roles of each are listed once, and a name none of them has is looked up by name (a built-in
//! role newer than the catalog is found that way), alongside the first round. 1000 declared
//! applications with role assignments in one subscription cost 1 ARM read (plus a page per
//! 1000 or so assignments in that subscription).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use futures::stream::{self, StreamExt};

use registrar_model::{
    AppRoleAssignment, DesiredApplication, DesiredState, Guid, LiveApplication, LiveTenant,
    RoleAssignment, RoleDefinition, SecretStoreContents, SecretStoreLocation, SecretStoreState,
    marker_tag, scope_is_within, scope_root, unique_name,
};

use crate::batch::MAX_BATCH;
use crate::clients::Clients;
use crate::error::AzureError;
use crate::graph::{ExpandedServicePrincipal, GraphClient, Read, ReadValue, in_chunks};
use crate::http::odata_string;

/// Told how far [`read_live_tenant_with`] is, in objects: each read of one object or one list
/// (an application's owners, a service principal, a secret store, a role assignment list) is
/// one. The total grows while reading, as the reader learns what the tenant holds (the
/// applications found decide the reads that follow). Called from the reading tasks, so
/// implementations must be cheap and must not block.
pub trait ReadProgress: Sync {
    /// `objects` more reads are planned.
    fn planned(&self, objects: u64);
    /// `objects` more reads are done.
    fn read(&self, objects: u64);
}

/// A [`ReadProgress`] that ignores everything, for callers that show no progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ReadProgress for NoProgress {
    fn planned(&self, _objects: u64) {}
    fn read(&self, _objects: u64) {}
}

/// [`GraphClient::read_batched`], one `$batch` of [`MAX_BATCH`] at a time with
/// `concurrency` in flight (the same requests it would send), reporting each finished batch.
async fn read_batched_reporting(
    graph: &GraphClient,
    reads: &[Read],
    concurrency: usize,
    progress: &dyn ReadProgress,
) -> Result<Vec<ReadValue>, AzureError> {
    progress.planned(reads.len() as u64);
    // The futures are collected first: a closure inside the stream would lose `Send`.
    let chunks: Vec<_> = reads
        .chunks(MAX_BATCH)
        .map(|chunk| async move {
            let values = graph.read_batched(chunk).await;
            progress.read(chunk.len() as u64);
            values
        })
        .collect();
    let answers: Vec<Result<Vec<ReadValue>, AzureError>> = stream::iter(chunks)
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let mut values = Vec::with_capacity(reads.len());
    for answer in answers {
        values.extend(answer?);
    }
    Ok(values)
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
                .is_some_and(|pinned| Guid::same(pinned, &app.app_id))
    })
}

/// The appIds of the APIs the manifest requests permissions on: catalog names resolved through
/// `registrar-catalog`, GUIDs as written, keys of this manifest skipped (they are managed apps).
/// Unknown names are skipped too; the planner reports them.
pub(crate) fn resource_app_ids(desired: &DesiredState) -> BTreeSet<String> {
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
            } else if Guid::parse(resource).is_some() {
                Some(resource.to_ascii_lowercase())
            } else {
                catalog
                    .api(resource)
                    .map(|api| api.app_id.to_ascii_lowercase())
            }
        })
        .collect()
}

/// The subscriptions and management groups the manifest's role assignments lie in, each once
/// (compared case-insensitively, first spelling kept), in order.
pub(crate) fn role_assignment_roots(desired: &DesiredState) -> Vec<String> {
    let mut roots: Vec<String> = Vec::new();
    for assignment in desired
        .applications
        .iter()
        .flat_map(|app| &app.role_assignments)
    {
        if let Some(root) = scope_root(&assignment.scope.value)
            && !roots.iter().any(|known| known.eq_ignore_ascii_case(&root))
        {
            roots.push(root);
        }
    }
    roots.sort_by_key(|root| root.to_ascii_lowercase());
    roots
}

/// The `(scope, role name)` pairs to look up in ARM: roles that are neither a GUID nor a
/// built-in role of the catalog, so presumably custom roles. Each pair once.
pub(crate) fn custom_role_lookups(desired: &DesiredState) -> Vec<(String, String)> {
    let catalog = registrar_catalog::catalog();
    let mut lookups: Vec<(String, String)> = Vec::new();
    for assignment in desired
        .applications
        .iter()
        .flat_map(|app| &app.role_assignments)
    {
        let role = assignment.role.value.trim();
        let scope = assignment.scope.value.trim_end_matches('/');
        if role.is_empty() || Guid::parse(role).is_some() || catalog.role(role).is_some() {
            continue;
        }
        if !lookups.iter().any(|(known_scope, known_role)| {
            known_scope.eq_ignore_ascii_case(scope) && known_role.eq_ignore_ascii_case(role)
        }) {
            lookups.push((scope.to_owned(), role.to_owned()));
        }
    }
    lookups
}

/// The [`custom_role_lookups`] grouped by scope (compared case-insensitively, first spelling
/// kept), each scope with its role names, in order.
pub(crate) fn custom_role_lookups_by_scope(desired: &DesiredState) -> Vec<(String, Vec<String>)> {
    let mut scopes: Vec<(String, Vec<String>)> = Vec::new();
    for (scope, role) in custom_role_lookups(desired) {
        match scopes
            .iter_mut()
            .find(|(known, _)| known.eq_ignore_ascii_case(&scope))
        {
            Some((_, roles)) => roles.push(role),
            None => scopes.push((scope, vec![role])),
        }
    }
    scopes
}

/// The definitions of `roles` (names) at `scope`: one list of the custom roles there, then, for
/// a name no custom role has (a built-in role newer than the catalog, or a typo the planner
/// reports), a lookup by that name, as [`crate::ArmClient::find_role_definitions`] alone finds.
async fn find_custom_roles(
    clients: &Clients,
    scope: &str,
    roles: &[String],
) -> Result<Vec<RoleDefinition>, AzureError> {
    let custom = clients.arm.list_custom_role_definitions(scope).await?;
    let mut found = Vec::new();
    for role in roles {
        let named: Vec<RoleDefinition> = custom
            .iter()
            .filter(|definition| definition.role_name.eq_ignore_ascii_case(role))
            .cloned()
            .collect();
        if named.is_empty() {
            found.extend(clients.arm.find_role_definitions(scope, role).await?);
        } else {
            found.extend(named);
        }
    }
    Ok(found)
}

/// One read of secret stores: a file, or every store the manifest names in one Key Vault.
enum StoreRead<'a> {
    File(&'a SecretStoreLocation),
    Vault {
        vault: &'a str,
        names: Vec<String>,
        locations: Vec<&'a SecretStoreLocation>,
    },
}

/// The reads of the secret stores: one per Key Vault (listed once, whatever number of its
/// secrets the manifest names) and one per file store.
fn secret_store_reads<'a>(stores: BTreeSet<&'a SecretStoreLocation>) -> Vec<StoreRead<'a>> {
    let mut vaults: BTreeMap<&'a str, Vec<&'a SecretStoreLocation>> = BTreeMap::new();
    let mut reads = Vec::new();
    for location in stores {
        match location {
            SecretStoreLocation::KeyVault { vault, .. } => {
                vaults.entry(vault.as_str()).or_default().push(location);
            }
            SecretStoreLocation::File { .. } => reads.push(StoreRead::File(location)),
        }
    }
    for (vault, locations) in vaults {
        let names = locations
            .iter()
            .filter_map(|location| match location {
                SecretStoreLocation::KeyVault { name, .. } => Some(name.clone()),
                SecretStoreLocation::File { .. } => None,
            })
            .collect();
        reads.push(StoreRead::Vault {
            vault,
            names,
            locations,
        });
    }
    reads
}

/// Runs one [`StoreRead`], reporting one object read.
async fn read_stores(
    clients: &Clients,
    read: StoreRead<'_>,
    progress: &dyn ReadProgress,
) -> Vec<SecretStoreState> {
    let states = match read {
        StoreRead::File(location) => vec![SecretStoreState {
            location: location.clone(),
            contents: clients.read_secret_store(location).await,
        }],
        StoreRead::Vault {
            vault,
            names,
            locations,
        } => {
            let contents = clients
                .key_vault
                .read_stores(vault, &names, clients.concurrency)
                .await;
            locations
                .into_iter()
                .zip(contents)
                .map(|(location, contents)| SecretStoreState {
                    location: location.clone(),
                    contents,
                })
                .collect()
        }
    };
    progress.read(1);
    states
}

/// Keeps the assignments of `principal_id` whose scope lies in one of `roots`, each once (by id,
/// case-insensitively), sorted by id.
pub(crate) fn managed_role_assignments(
    found: Vec<RoleAssignment>,
    principal_id: &str,
    roots: &[String],
) -> Vec<RoleAssignment> {
    let mut kept: Vec<RoleAssignment> = Vec::new();
    for assignment in found {
        let inside = roots
            .iter()
            .any(|root| scope_is_within(&assignment.scope, root));
        let principal = Guid::same(&assignment.principal_id, principal_id);
        let seen = kept
            .iter()
            .any(|known| known.id.eq_ignore_ascii_case(&assignment.id));
        if inside && principal && !seen {
            kept.push(assignment);
        }
    }
    kept.sort_by_key(|assignment| assignment.id.to_ascii_lowercase());
    kept
}

/// What an answer of the details round fills in.
enum Slot {
    Owners(usize),
    FederatedCredentials(usize),
    /// Service principals of a chunk of applications, matched to them by appId.
    ServicePrincipals,
    /// The app role assignments held by those service principals, matched by appId.
    HeldAppRoles,
    KeyCredentials(usize),
    /// One of the caller's other reads, handed back.
    Extra,
}

/// What the details round learnt beyond what it filled in.
pub(crate) struct Details {
    /// The answers to the caller's `extra` reads, in order.
    pub(crate) extra: Vec<ReadValue>,
    /// What came expanded with the service principals.
    pub(crate) known: KnownAlready,
}

/// The object ids of the service principals whose owners, and whose app role assignments, came
/// expanded (and not truncated) with the first round, so the consent round need not read them.
#[derive(Default)]
pub(crate) struct KnownAlready {
    pub(crate) owners: HashSet<String>,
    pub(crate) app_role_assignments: HashSet<String>,
}

/// The first round of per-application reads, shared by the snapshot and the import reader: the
/// owners of each application not in `owners_known` (object ids whose owners came expanded with
/// the application), each application's federated credentials, the service principals of
/// every [`crate::graph::MAX_IN_VALUES`] applications in one list (`appId in (…)`, with their
/// own credentials and owners), and `keyCredentials` (with `key`) where
/// `wants_key_credentials` says so, then the caller's `extra` reads, in the same JSON batches.
/// Fills the details into `applications`.
pub(crate) async fn read_application_details(
    graph: &GraphClient,
    applications: &mut [LiveApplication],
    owners_known: &HashSet<String>,
    wants_key_credentials: impl Fn(&LiveApplication) -> bool,
    extra: Vec<Read>,
    concurrency: usize,
    progress: &dyn ReadProgress,
) -> Result<Details, AzureError> {
    let mut reads = Vec::new();
    let mut slots = Vec::new();
    for (index, app) in applications.iter().enumerate() {
        if !owners_known.contains(&app.id) {
            reads.push(Read::Owners(app.id.clone()));
            slots.push(Slot::Owners(index));
        }
        reads.push(Read::FederatedCredentials(app.id.clone()));
        slots.push(Slot::FederatedCredentials(index));
        if wants_key_credentials(app) {
            reads.push(Read::KeyCredentials(app.id.clone()));
            slots.push(Slot::KeyCredentials(index));
        }
    }
    let app_ids: BTreeSet<String> = applications
        .iter()
        .map(|app| app.app_id.to_ascii_lowercase())
        .collect();
    for chunk in in_chunks(app_ids) {
        reads.push(Read::ServicePrincipals(chunk.clone()));
        slots.push(Slot::ServicePrincipals);
        reads.push(Read::HeldAppRoles(chunk));
        slots.push(Slot::HeldAppRoles);
    }
    slots.extend(extra.iter().map(|_| Slot::Extra));
    reads.extend(extra);
    let answers = read_batched_reporting(graph, &reads, concurrency, progress).await?;
    let mut details = Details {
        extra: Vec::new(),
        known: KnownAlready::default(),
    };
    let mut principals: Vec<ExpandedServicePrincipal> = Vec::new();
    let mut held: HashMap<String, Vec<AppRoleAssignment>> = HashMap::new();
    for (slot, answer) in slots.into_iter().zip(answers) {
        match (slot, answer) {
            (Slot::Owners(index), ReadValue::Owners(owners)) => {
                applications[index].owners = owners;
            }
            (Slot::FederatedCredentials(index), ReadValue::FederatedCredentials(credentials)) => {
                applications[index].federated_credentials = credentials;
            }
            (Slot::ServicePrincipals, ReadValue::ServicePrincipals(found)) => {
                principals.extend(found);
            }
            (Slot::HeldAppRoles, ReadValue::HeldAppRoles(found)) => {
                for roles in found {
                    if let Some(assignments) = roles.assignments {
                        held.insert(roles.app_id.to_ascii_lowercase(), assignments);
                    }
                }
            }
            (Slot::KeyCredentials(index), ReadValue::KeyCredentials(certificates)) => {
                applications[index].key_credentials = certificates;
            }
            (Slot::Extra, answer) => details.extra.push(answer),
            _ => {}
        }
    }
    for app in applications.iter_mut() {
        // Graph keeps one service principal per appId; should a list name two, the first wins,
        // as it did when each was read alone.
        let Some(position) = principals
            .iter()
            .position(|found| Guid::same(&found.principal.app_id, &app.app_id))
        else {
            app.service_principal = None;
            continue;
        };
        let found = principals.swap_remove(position);
        let mut principal = found.principal;
        if let Some(owners) = found.owners {
            principal.owners = owners;
            details.known.owners.insert(principal.id.clone());
        }
        if let Some(assignments) = held.remove(&principal.app_id.to_ascii_lowercase()) {
            principal.app_role_assignments = assignments;
            details
                .known
                .app_role_assignments
                .insert(principal.id.clone());
        }
        app.service_principal = Some(principal);
    }
    Ok(details)
}

/// The second round, shared by the snapshot and the import reader: the admin consent held by
/// each service principal the first round found (its app role assignments and tenant-wide
/// grants, which need its object id) and its owners, each unless `known` says it came with the
/// first round, then the caller's `extra` reads, in the same JSON batches. Fills the consent in
/// and returns the answers to `extra`, in order. Sends nothing when there is nothing to read.
pub(crate) async fn read_admin_consent(
    graph: &GraphClient,
    applications: &mut [LiveApplication],
    known: &KnownAlready,
    extra: Vec<Read>,
    concurrency: usize,
    progress: &dyn ReadProgress,
) -> Result<Vec<ReadValue>, AzureError> {
    let mut consent_reads = Vec::new();
    let mut consent_slots = Vec::new();
    for (index, app) in applications.iter().enumerate() {
        if let Some(sp) = &app.service_principal {
            if !known.app_role_assignments.contains(&sp.id) {
                consent_reads.push(Read::AppRoleAssignments(sp.id.clone()));
                consent_slots.push(Some(index));
            }
            consent_reads.push(Read::PermissionGrants(sp.id.clone()));
            consent_slots.push(Some(index));
            if !known.owners.contains(&sp.id) {
                consent_reads.push(Read::ServicePrincipalOwners(sp.id.clone()));
                consent_slots.push(Some(index));
            }
        }
    }
    consent_slots.extend(extra.iter().map(|_| None));
    consent_reads.extend(extra);
    if consent_reads.is_empty() {
        return Ok(Vec::new());
    }
    let answers = read_batched_reporting(graph, &consent_reads, concurrency, progress).await?;
    let mut extra_answers = Vec::new();
    for (slot, answer) in consent_slots.into_iter().zip(answers) {
        let Some(index) = slot else {
            extra_answers.push(answer);
            continue;
        };
        let Some(sp) = applications[index].service_principal.as_mut() else {
            continue;
        };
        match answer {
            ReadValue::AppRoleAssignments(assignments) => sp.app_role_assignments = assignments,
            ReadValue::PermissionGrants(grants) => sp.permission_grants = grants,
            ReadValue::Owners(owners) => sp.owners = owners,
            _ => {}
        }
    }
    Ok(extra_answers)
}

/// A declared application the tag did not find: by pinned appId, else by unique name.
fn lookup_declared(namespace: &str, declared: &DesiredApplication) -> Read {
    match &declared.app_id {
        Some(app_id) => Read::ApplicationByAppId(app_id.clone()),
        None => Read::ApplicationByUniqueName(unique_name(namespace, &declared.key)),
    }
}

/// The owners' directory objects (UPN, display name) of every application found by a declared
/// unique name that does not carry the marker tag and is not pinned: the planner refuses such an
/// application and names its owners. One more round of batched reads, only when there is one.
async fn read_unmarked_owners(
    graph: &GraphClient,
    desired: &DesiredState,
    applications: &[LiveApplication],
    live: &mut LiveTenant,
    concurrency: usize,
    progress: &dyn ReadProgress,
) -> Result<(), AzureError> {
    let marker = marker_tag(&desired.namespace);
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for app in applications {
        let pinned = desired.applications.iter().any(|declared| {
            declared
                .app_id
                .as_deref()
                .is_some_and(|pinned| Guid::same(pinned, &app.app_id))
        });
        if pinned || app.settings.plain.tags.contains(&marker) {
            continue;
        }
        for owner in &app.owners {
            let known = live
                .directory_objects
                .iter()
                .any(|object| Guid::same(&object.id, owner));
            if !known {
                wanted.insert(owner.to_ascii_lowercase());
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let reads: Vec<Read> = wanted.into_iter().map(Read::DirectoryObject).collect();
    for answer in read_batched_reporting(graph, &reads, concurrency, progress).await? {
        if let ReadValue::DirectoryObject(Some(object)) = answer {
            live.directory_objects.push(object);
        }
    }
    Ok(())
}

/// Reads the live snapshot for `desired` (see the module docs for what and how many requests).
pub async fn read_live_tenant(
    clients: &Clients,
    desired: &DesiredState,
) -> Result<LiveTenant, AzureError> {
    read_live_tenant_with(clients, desired, &NoProgress).await
}

/// [`read_live_tenant`], telling `progress` how many objects are planned and read.
pub async fn read_live_tenant_with(
    clients: &Clients,
    desired: &DesiredState,
    progress: &dyn ReadProgress,
) -> Result<LiveTenant, AzureError> {
    let graph = &clients.graph;
    let namespace = &desired.namespace;
    let concurrency = clients.concurrency;

    // 1. Managed applications: the marker tag, then declared ones the tag did not find.
    progress.planned(1);
    let tag_filter = format!("tags/any(t:t eq {})", odata_string(&marker_tag(namespace)));
    let mut owners_known: HashSet<String> = HashSet::new();
    let mut applications: Vec<LiveApplication> = Vec::new();
    for found in graph.list_applications_with_owners(&tag_filter).await? {
        let mut app = found.application;
        if let Some(owners) = found.owners {
            app.owners = owners;
            owners_known.insert(app.id.clone());
        }
        applications.push(app);
    }
    progress.read(1);
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
                        .is_some_and(|pinned| Guid::same(pinned, &app.app_id))
            })
        })
        .collect();
    let lookups: Vec<Read> = missing
        .iter()
        .map(|declared| lookup_declared(namespace, declared))
        .collect();
    let found = read_batched_reporting(graph, &lookups, concurrency, progress).await?;
    let mut still_missing = Vec::new();
    for (declared, app) in missing.iter().zip(found) {
        match app {
            ReadValue::Application(Some(app), owners_complete)
                if !applications.iter().any(|known| known.id == app.id) =>
            {
                if owners_complete {
                    owners_known.insert(app.id.clone());
                }
                applications.push(*app)
            }
            ReadValue::Application(None, _) => still_missing.push(*declared),
            _ => {}
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
        progress.planned(1);
        let deleted = graph.list_deleted_applications().await?;
        progress.read(1);
        deleted_applications = deleted
            .into_iter()
            .filter(|deleted| {
                deleted
                    .unique_name
                    .as_deref()
                    .is_some_and(|name| name.starts_with(&prefix))
                    || pinned
                        .iter()
                        .any(|app_id| Guid::same(app_id, &deleted.app_id))
            })
            .collect();
    }

    // 3. Details per application, resource service principals and owners, in JSON batches;
    //    secret stores alongside.
    let wants_key_credentials = |app: &LiveApplication| {
        declared_for(desired, app).is_some_and(|declared| !declared.certificates.is_empty())
            || !app.key_credentials.is_empty()
    };
    let mut reads: Vec<Read> = in_chunks(resource_app_ids(desired))
        .into_iter()
        .map(Read::ResourceServicePrincipals)
        .collect();
    let mut owners_seen = HashSet::new();
    let mut user_names = Vec::new();
    for owner in desired
        .applications
        .iter()
        .flat_map(|app| app.owners.iter().chain(&app.service_principal_owners))
    {
        let name = owner.value.trim();
        let looks_valid = Guid::parse(name).is_some() || name.contains('@');
        if looks_valid && owners_seen.insert(name.to_ascii_lowercase()) {
            if Guid::parse(name).is_some() {
                reads.push(Read::DirectoryObject(name.to_owned()));
            } else {
                user_names.push(name.to_owned());
            }
        }
    }
    reads.extend(in_chunks(user_names).into_iter().map(Read::Users));
    let stores: BTreeSet<&SecretStoreLocation> = desired
        .applications
        .iter()
        .flat_map(|app| &app.secrets)
        .map(|secret| &secret.store)
        .collect();
    let store_reads: Vec<_> = secret_store_reads(stores)
        .into_iter()
        .map(|read| read_stores(clients, read, progress))
        .collect();
    let definition_reads: Vec<_> = custom_role_lookups_by_scope(desired)
        .into_iter()
        .map(|(scope, roles)| async move {
            let found = find_custom_roles(clients, &scope, &roles).await;
            progress.read(1);
            found
        })
        .collect();
    progress.planned((store_reads.len() + definition_reads.len()) as u64);
    let (details, store_answers, definitions) = futures::join!(
        read_application_details(
            graph,
            &mut applications,
            &owners_known,
            wants_key_credentials,
            reads,
            concurrency,
            progress
        ),
        stream::iter(store_reads)
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>(),
        stream::iter(definition_reads)
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
    );
    let secret_stores: Vec<SecretStoreState> = store_answers.into_iter().flatten().collect();
    let mut role_definitions: Vec<RoleDefinition> = Vec::new();
    for found in definitions {
        role_definitions.extend(found?);
    }
    role_definitions.sort_by(|a, b| {
        (a.scope.to_ascii_lowercase(), &a.role_name, &a.id).cmp(&(
            b.scope.to_ascii_lowercase(),
            &b.role_name,
            &b.id,
        ))
    });

    let mut live = LiveTenant {
        deleted_applications,
        secret_stores,
        role_definitions,
        ..LiveTenant::default()
    };
    let details = details?;
    for answer in details.extra {
        match answer {
            ReadValue::ResourceServicePrincipals(found) => {
                live.resource_service_principals.extend(found);
            }
            ReadValue::DirectoryObject(Some(object)) => {
                live.directory_objects.push(object);
            }
            ReadValue::DirectoryObjects(found) => live.directory_objects.extend(found),
            _ => {}
        }
    }
    read_unmarked_owners(
        graph,
        desired,
        &applications,
        &mut live,
        concurrency,
        progress,
    )
    .await?;
    // 4. Admin consent held by each managed application's service principal: needs the
    //    service principal's object id from step 3, so a second round of batches. Role
    //    assignments of the declared applications' service principals alongside, from ARM.
    let roots = role_assignment_roots(desired);
    // One list per root, of every principal, only when a declared application has a service
    // principal to match (as the per-principal lists were sent only then).
    let any_declared_principal = applications
        .iter()
        .any(|app| app.service_principal.is_some() && declared_for(desired, app).is_some());
    let rbac_reads: Vec<_> = if any_declared_principal {
        roots
            .iter()
            .map(|root| async move {
                let found = clients.arm.list_role_assignments(root).await;
                progress.read(1);
                found
            })
            .collect()
    } else {
        Vec::new()
    };
    progress.planned(rbac_reads.len() as u64);
    let rbac = stream::iter(rbac_reads)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>();
    // The tenant's app management policies (`graph/policies`), alongside: the default one and
    // the custom ones with what each applies to, matched to the declared applications.
    let policy_targets: Vec<(usize, String)> = applications
        .iter()
        .enumerate()
        .filter(|(_, app)| declared_for(desired, app).is_some())
        .map(|(index, app)| (index, app.id.clone()))
        .collect();
    let policy_ids: Vec<String> = policy_targets.iter().map(|(_, id)| id.clone()).collect();
    progress.planned(1);
    let policies = graph.read_app_management(&policy_ids);
    let consent = read_admin_consent(
        graph,
        &mut applications,
        &details.known,
        Vec::new(),
        concurrency,
        progress,
    );
    let (consent_answers, rbac_answers, policy_answers) = futures::join!(consent, rbac, policies);
    let (app_management, assigned) = policy_answers?;
    progress.read(1);
    live.app_management = app_management;
    for ((index, _), policies) in policy_targets.into_iter().zip(assigned) {
        applications[index].app_management_policies = policies;
    }
    let mut by_principal: HashMap<String, Vec<RoleAssignment>> = HashMap::new();
    for found in rbac_answers {
        for assignment in found? {
            by_principal
                .entry(assignment.principal_id.to_ascii_lowercase())
                .or_default()
                .push(assignment);
        }
    }
    for app in applications.iter_mut() {
        let declared = declared_for(desired, app).is_some();
        if let Some(sp) = app.service_principal.as_mut() {
            let found = if declared {
                by_principal
                    .get(&sp.id.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let principal_id = sp.id.clone();
            sp.role_assignments = managed_role_assignments(found, &principal_id, &roots);
        }
    }
    consent_answers?;
    live.applications = applications;
    live.resource_service_principals
        .sort_by(|a, b| a.app_id.cmp(&b.app_id));
    live.directory_objects.sort_by(|a, b| a.id.cmp(&b.id));
    live.secret_stores
        .sort_by(|a, b| a.location.cmp(&b.location));
    live.tenant_id = match clients.tenant_id().await {
        Some(tenant) => tenant,
        None => desired.tenant.clone().unwrap_or_default(),
    };
    // From the token's claims: no request. (The default domain costs one; the caller reads it
    // with `Clients::default_domain` when it shows the target.)
    live.signed_in = clients.signed_in().await;
    if live
        .secret_stores
        .iter()
        .any(|store| matches!(store.contents, SecretStoreContents::Unreadable { .. }))
    {
        tracing::debug!("some secret stores could not be read");
    }
    Ok(live)
}
