//! Carries out a [`Plan`] against the tenant: every change's operations in dependency order, with
//! bounded concurrency, substituting the ids that earlier creates returned (applications by
//! manifest key, and the service principals created for them, which admin consent and role
//! assignments refer to).
//!
//! # Brief overview
//! - [`apply`] runs a plan through a [`TenantWriter`] and reports each change to a
//!   [`Reporter`], returning an [`ApplyReport`] of what succeeded, failed and was skipped.
//! - [`TenantWriter`] is the set of single mutations apply needs; [`azure::AzureTenant`]
//!   implements it with `registrar-azure`'s clients, tests implement it in memory.
//! - Secrets: [`apply`] adds a client secret, delivers its value to its store, and removes the
//!   credential again if delivery fails, so no credential exists whose value nobody holds.
//!
//! # Invariants
//! - No printing: progress goes to the [`Reporter`]; the CLI decides how to show it.
//! - A failed change stops only the changes that depend on it; everything that succeeded stays
//!   done, so the next plan shows exactly what is left.
//! - A secret value exists only inside one `AddSecret` step: it is delivered and dropped there.

pub mod azure;
mod carry;
mod created;
mod secret;

use created::CreatedIds;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use registrar_azure::{CreateExtras, DeliveredSecret, SecretValue};
use registrar_model::{
    ApplicationField, ApplicationSettings, FederatedCredential, KeyCredential, Operation,
    PasswordCredential, SecretStoreLocation, ServicePrincipalSettings,
};
use registrar_plan::{Plan, ResourceChange, Tally};
use time::OffsetDateTime;

/// Boxed error from a [`TenantWriter`]; its `Display` is shown to the user.
pub type WriteError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The single mutations apply performs. One method per Graph or store call, so the executor's
/// ordering and failure handling can be tested without HTTP.
#[async_trait::async_trait]
pub trait TenantWriter: Send + Sync {
    /// The tenant id (recorded with delivered secrets).
    fn tenant_id(&self) -> String;
    /// Creates (or finds) the application with this unique name; returns (object id, appId).
    async fn upsert_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
    ) -> Result<(String, String), WriteError>;
    /// [`TenantWriter::upsert_application`] that also sends `extras` (owners, the certificate
    /// list) in the same request where the service allows; returns (object id, appId, whether
    /// the extras were applied). When they were not, apply sends them one by one. The default
    /// sends none.
    async fn create_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
        extras: &CreateExtras,
    ) -> Result<(String, String, bool), WriteError> {
        let _ = extras;
        let (id, app_id) = self.upsert_application(unique_name, settings).await?;
        Ok((id, app_id, false))
    }
    /// Restores a soft-deleted application.
    async fn restore_application(&self, id: &str) -> Result<(), WriteError>;
    /// PATCHes the named fields of an application.
    async fn update_application(
        &self,
        id: &str,
        settings: &ApplicationSettings,
        changed_fields: &[ApplicationField],
    ) -> Result<(), WriteError>;
    /// Soft-deletes an application.
    async fn delete_application(&self, id: &str) -> Result<(), WriteError>;
    /// Creates the service principal of an application; returns its object id.
    async fn create_service_principal(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<String, WriteError>;
    /// [`TenantWriter::create_service_principal`] that also binds `owners` in the same request
    /// where the service allows; returns (object id, whether the owners were bound). The default
    /// binds none.
    async fn create_service_principal_with_owners(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
        owners: &[String],
    ) -> Result<(String, bool), WriteError> {
        let _ = owners;
        let id = self.create_service_principal(app_id, settings).await?;
        Ok((id, false))
    }
    /// PATCHes a service principal.
    async fn update_service_principal(
        &self,
        id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<(), WriteError>;
    /// Deletes a service principal.
    async fn delete_service_principal(&self, id: &str) -> Result<(), WriteError>;
    /// Adds an owner to an application.
    async fn add_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError>;
    /// Removes an owner from an application.
    async fn remove_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError>;
    /// Adds a client secret valid from `start` to `end`; the value is returned exactly once.
    async fn add_password(
        &self,
        application_id: &str,
        display_name: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<(PasswordCredential, SecretValue), WriteError>;
    /// The application's client secrets (metadata), read after an `addPassword` whose outcome
    /// is unknown.
    async fn list_passwords(
        &self,
        application_id: &str,
    ) -> Result<Vec<PasswordCredential>, WriteError>;
    /// Whether a write that failed with `error` may still have been carried out (the answer
    /// was lost after the request was sent, or a 5xx): apply then reads back what it did.
    fn may_have_been_applied(&self, error: &WriteError) -> bool;
    /// Removes a client secret.
    async fn remove_password(&self, application_id: &str, key_id: &str) -> Result<(), WriteError>;
    /// Whether a value could be delivered to `store` (a file store's path holds no symbolic
    /// link), asked before the credential is created. The default says yes.
    async fn check_store(&self, store: &SecretStoreLocation) -> Result<(), WriteError> {
        let _ = store;
        Ok(())
    }
    /// Writes a secret value, with the credential's metadata, to its store.
    async fn deliver_secret(
        &self,
        store: &SecretStoreLocation,
        secret: &DeliveredSecret,
    ) -> Result<(), WriteError>;
    /// Replaces the application's certificate list.
    async fn set_certificates(
        &self,
        application_id: &str,
        certificates: &[KeyCredential],
    ) -> Result<(), WriteError>;
    /// Creates or updates a federated identity credential by name (its `id` is ignored).
    async fn upsert_federated_credential(
        &self,
        application_id: &str,
        credential: &FederatedCredential,
    ) -> Result<(), WriteError>;
    /// Deletes a federated identity credential by name.
    async fn delete_federated_credential(
        &self,
        application_id: &str,
        name: &str,
    ) -> Result<(), WriteError>;
    /// Grants the client service principal an app role of the resource service principal
    /// (admin consent for an application permission). Idempotent: an assignment that exists
    /// counts as done.
    async fn grant_app_role(
        &self,
        client_id: &str,
        resource_id: &str,
        app_role_id: &str,
    ) -> Result<(), WriteError>;
    /// Revokes an app role assignment of the resource service principal.
    async fn revoke_app_role(
        &self,
        resource_id: &str,
        assignment_id: &str,
    ) -> Result<(), WriteError>;
    /// Grants the client the delegated permissions `scope` (space-separated values) of the
    /// resource for all users. Idempotent: if such a grant exists, its scopes are set to `scope`.
    async fn grant_scopes(
        &self,
        client_id: &str,
        resource_id: &str,
        scope: &str,
    ) -> Result<(), WriteError>;
    /// Replaces the scopes of a delegated permission grant.
    async fn update_granted_scopes(&self, grant_id: &str, scope: &str) -> Result<(), WriteError>;
    /// Deletes a delegated permission grant.
    async fn revoke_grant(&self, grant_id: &str) -> Result<(), WriteError>;
    /// Assigns the Azure role `role_definition_id` (a GUID) at `scope` to the service principal
    /// `principal_id`, as the assignment `name` (from [`registrar_model::role_assignment_name`]).
    /// Idempotent: the same role, scope and principal assigned already, under this name or
    /// another (ARM's 409 `RoleAssignmentExists`), counts as done.
    async fn create_role_assignment(
        &self,
        scope: &str,
        name: &str,
        role_definition_id: &str,
        principal_id: &str,
        description: Option<&str>,
    ) -> Result<(), WriteError>;
    /// Deletes a role assignment by its full ARM id; one already gone counts as done.
    async fn delete_role_assignment(&self, id: &str) -> Result<(), WriteError>;
    /// Removes a client secret from a service principal; one already gone counts as done.
    async fn remove_service_principal_password(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError>;
    /// Removes a certificate from a service principal (without a proof-of-possession token:
    /// the certificate list is rewritten without it); one already gone counts as done.
    async fn remove_service_principal_key(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError>;
    /// Adds an owner to a service principal; one already there counts as done.
    async fn add_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError>;
    /// Removes an owner from a service principal; one already gone counts as done.
    async fn remove_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError>;
}

/// Receives progress; the CLI prints it.
pub trait Reporter: Send + Sync {
    /// A change started.
    fn started(&self, change: &ResourceChange);
    /// A change finished successfully after `elapsed`.
    fn succeeded(&self, change: &ResourceChange, elapsed: Duration);
    /// A change failed.
    fn failed(&self, change: &ResourceChange, error: &ApplyError);
    /// A change was not attempted because a change it depends on did not succeed.
    fn skipped(&self, change: &ResourceChange, because_of: &str);
}

/// Why a change failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A Graph or store call failed.
    #[error("{context}")]
    Write {
        /// What was being done, e.g. "adding secret `ci`".
        context: String,
        /// The client's error.
        #[source]
        source: WriteError,
    },
    /// A secret's value could not be delivered; the new credential was removed again.
    #[error(
        "secret `{secret}` could not be delivered to {store}; the new credential {key_id} was removed again, nothing else changed"
    )]
    DeliveryFailed {
        /// The manifest's secret name.
        secret: String,
        /// The store, for the message.
        store: String,
        /// The removed credential.
        key_id: String,
        /// Why delivery failed.
        #[source]
        source: WriteError,
    },
    /// Delivery failed and the credential could not be removed either: the user must act.
    #[error(
        "secret `{secret}` could not be delivered to {store}, and removing the new credential {key_id} failed too ({removal}); remove it by hand or run apply again, which removes credentials the manifest does not expect"
    )]
    DeliveryFailedOrphan {
        /// The manifest's secret name.
        secret: String,
        /// The store, for the message.
        store: String,
        /// The credential left behind.
        key_id: String,
        /// Why removal failed.
        removal: String,
        /// Why delivery failed.
        #[source]
        source: WriteError,
    },
    /// `addPassword` may have created credentials whose value nobody received, and removing
    /// them failed: the user must act (or run apply again, which removes them as drift).
    #[error(
        "adding secret `{secret}` may have created credentials {key_ids:?} whose value never reached {store}, and removing them failed ({removal}); remove them by hand or run apply again, which removes credentials the manifest does not expect"
    )]
    UndeliveredCredentialsLeft {
        /// The manifest's secret name.
        secret: String,
        /// The store, for the message.
        store: String,
        /// The credentials left behind (empty when they could not even be listed).
        key_ids: Vec<String>,
        /// Why reading or removing them failed.
        removal: String,
        /// The error of the last `addPassword` attempt, or of delivery.
        #[source]
        source: WriteError,
    },
    /// An operation names an application that an earlier change should have created.
    #[error("application `{key}` was not created earlier in this apply")]
    MissingPlannedApplication {
        /// The manifest key.
        key: String,
    },
    /// An operation names a service principal that an earlier change should have created.
    #[error("the service principal of application `{key}` was not created earlier in this apply")]
    MissingPlannedServicePrincipal {
        /// The manifest key of its application.
        key: String,
    },
}

/// How a change ended.
#[derive(Debug)]
pub enum ChangeOutcome {
    /// All its operations succeeded.
    Succeeded,
    /// One of its operations failed.
    Failed(ApplyError),
    /// Not attempted: a dependency did not succeed.
    Skipped {
        /// The address of the dependency that did not succeed.
        because_of: String,
    },
}

/// The result of an apply.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Outcome per change address, for changes that had operations.
    pub outcomes: BTreeMap<String, ChangeOutcome>,
    /// What the changes that succeeded added, changed and destroyed, counted as the plan's
    /// summary counts them.
    pub tally: Tally,
}

impl ApplyReport {
    /// Whether every change succeeded.
    pub fn is_success(&self) -> bool {
        self.outcomes
            .values()
            .all(|outcome| matches!(outcome, ChangeOutcome::Succeeded))
    }

    /// Addresses of failed changes, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &ApplyError)> {
        self.outcomes
            .iter()
            .filter_map(|(address, outcome)| match outcome {
                ChangeOutcome::Failed(error) => Some((address.as_str(), error)),
                _ => None,
            })
    }

    /// Number of changes that succeeded.
    pub fn succeeded(&self) -> usize {
        self.outcomes
            .values()
            .filter(|outcome| matches!(outcome, ChangeOutcome::Succeeded))
            .count()
    }

    /// Number of changes skipped.
    pub fn skipped(&self) -> usize {
        self.outcomes
            .values()
            .filter(|outcome| matches!(outcome, ChangeOutcome::Skipped { .. }))
            .count()
    }
}

/// Options of an apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// How many changes run at once.
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self { concurrency: 8 }
    }
}

/// Runs every change of `plan` that has operations, in dependency order.
pub async fn apply(
    plan: &Plan,
    tenant: &dyn TenantWriter,
    reporter: &dyn Reporter,
    options: &ApplyOptions,
) -> ApplyReport {
    let created = CreatedIds::default();
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|change| !change.operations.is_empty())
        .collect();
    let index_of: HashMap<String, usize> = changes
        .iter()
        .enumerate()
        .map(|(index, change)| (change.address.to_string(), index))
        .collect();
    // Dependencies on changes without operations (no-ops) are already satisfied.
    let dependencies: Vec<Vec<usize>> = changes
        .iter()
        .map(|change| {
            change
                .depends_on
                .iter()
                .filter_map(|address| index_of.get(&address.to_string()).copied())
                .collect()
        })
        .collect();

    // Owners and certificates that a create can send itself (module `carry`).
    let carried = carry::carried_changes(&changes, &dependencies);
    let mut carrier_of: Vec<Option<usize>> = vec![None; changes.len()];
    for (carrier, indexes) in carried.iter().enumerate() {
        for &index in indexes {
            carrier_of[index] = Some(carrier);
        }
    }

    let mut state: Vec<Option<bool>> = vec![None; changes.len()]; // Some(true) = succeeded
    let mut started = vec![false; changes.len()];
    let mut report = ApplyReport::default();
    let mut running = FuturesUnordered::new();
    let concurrency = options.concurrency.max(1);

    loop {
        // Skip what can never run, start what is ready.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for index in 0..changes.len() {
                if started[index] {
                    continue;
                }
                let failed_dependency = dependencies[index]
                    .iter()
                    .find(|&&dependency| state[dependency] == Some(false));
                if let Some(&dependency) = failed_dependency {
                    started[index] = true;
                    state[index] = Some(false);
                    let because_of = changes[dependency].address.to_string();
                    reporter.skipped(changes[index], &because_of);
                    report.outcomes.insert(
                        changes[index].address.to_string(),
                        ChangeOutcome::Skipped { because_of },
                    );
                    progressed = true;
                    continue;
                }
                // A carried change runs with its carrier, and is reported when it finishes.
                if carrier_of[index].is_some() {
                    continue;
                }
                let ready = dependencies[index]
                    .iter()
                    .all(|&dependency| state[dependency] == Some(true));
                if ready && running.len() < concurrency {
                    started[index] = true;
                    let change = changes[index];
                    reporter.started(change);
                    let created = &created;
                    let carried: Vec<&ResourceChange> =
                        carried[index].iter().map(|&other| changes[other]).collect();
                    running.push(async move {
                        let began = Instant::now();
                        let result = run_change(change, &carried, tenant, created).await;
                        (index, result, began.elapsed())
                    });
                }
            }
        }
        let Some((index, result, elapsed)) = running.next().await else {
            break;
        };
        let outcomes = match result {
            Ok(carried_results) => {
                let carried_outcomes = carried[index].iter().copied().zip(carried_results);
                std::iter::once((index, Ok(())))
                    .chain(carried_outcomes)
                    .collect::<Vec<_>>()
            }
            Err(error) => vec![(index, Err(error))],
        };
        for (finished, result) in outcomes {
            let finished_change = changes[finished];
            if finished != index {
                started[finished] = true;
                reporter.started(finished_change);
            }
            let address = finished_change.address.to_string();
            match result {
                Ok(()) => {
                    state[finished] = Some(true);
                    reporter.succeeded(finished_change, elapsed);
                    report.tally.count(finished_change.action);
                    report.outcomes.insert(address, ChangeOutcome::Succeeded);
                }
                Err(error) => {
                    state[finished] = Some(false);
                    reporter.failed(finished_change, &error);
                    report
                        .outcomes
                        .insert(address, ChangeOutcome::Failed(error));
                }
            }
        }
    }
    report
}

/// Runs a change's operations, then its `carried` changes: done already when its create
/// applied them, else sent one by one. `Err` when the change itself failed (its carried changes
/// are then skipped); otherwise one result per carried change.
async fn run_change(
    change: &ResourceChange,
    carried: &[&ResourceChange],
    tenant: &dyn TenantWriter,
    created: &CreatedIds,
) -> Result<Vec<Result<(), ApplyError>>, ApplyError> {
    let extras = carry::extras(carried);
    let mut extras_applied = false;
    for operation in &change.operations {
        extras_applied |= run_operation(operation, &extras, tenant, created).await?;
    }
    let mut results = Vec::with_capacity(carried.len());
    for carried_change in carried {
        if extras_applied {
            results.push(Ok(()));
            continue;
        }
        let mut result = Ok(());
        for operation in &carried_change.operations {
            if let Err(error) =
                run_operation(operation, &CreateExtras::default(), tenant, created).await
            {
                result = Err(error);
                break;
            }
        }
        results.push(result);
    }
    Ok(results)
}

fn write_error(context: impl Into<String>) -> impl FnOnce(WriteError) -> ApplyError {
    let context = context.into();
    move |source| ApplyError::Write { context, source }
}

/// Runs one operation; a create sends `extras` with it. Returns whether the extras were
/// applied (false for every other operation).
async fn run_operation(
    operation: &Operation,
    extras: &CreateExtras,
    tenant: &dyn TenantWriter,
    created: &CreatedIds,
) -> Result<bool, ApplyError> {
    match operation {
        Operation::CreateApplication {
            key,
            unique_name,
            settings,
        } => {
            let (id, app_id, applied) = tenant
                .create_application(unique_name, settings, extras)
                .await
                .map_err(write_error(format!("creating application `{key}`")))?;
            created.record_application(key, id, app_id);
            return Ok(applied);
        }
        Operation::RestoreApplication { key, id, app_id } => {
            tenant
                .restore_application(id)
                .await
                .map_err(write_error(format!(
                    "restoring application `{key}` from deleted items"
                )))?;
            created.record_application(key, id.clone(), app_id.clone());
        }
        Operation::UpdateApplication {
            application,
            settings,
            changed_fields,
        } => {
            let (id, app_id) = created.resolve(application)?;
            let mut settings = settings.clone();
            settings.resolve_app_id(&app_id);
            created.resolve_planned_app_ids(&mut settings)?;
            tenant
                .update_application(&id, &settings, changed_fields)
                .await
                .map_err(write_error(format!("updating application {id}")))?;
        }
        Operation::DeleteApplication { id } => tenant
            .delete_application(id)
            .await
            .map_err(write_error(format!("deleting application {id}")))?,
        Operation::CreateServicePrincipal {
            key,
            application,
            settings,
        } => {
            let (_, app_id) = created.resolve(application)?;
            let (id, applied) = tenant
                .create_service_principal_with_owners(&app_id, settings, &extras.owners)
                .await
                .map_err(write_error(format!(
                    "creating the service principal of {app_id}"
                )))?;
            created.record_service_principal(key, id);
            return Ok(applied);
        }
        Operation::UpdateServicePrincipal { id, settings } => tenant
            .update_service_principal(id, settings)
            .await
            .map_err(write_error(format!("updating service principal {id}")))?,
        Operation::DeleteServicePrincipal { id } => tenant
            .delete_service_principal(id)
            .await
            .map_err(write_error(format!("deleting service principal {id}")))?,
        Operation::AddOwner {
            application,
            owner_id,
        } => {
            let (id, _) = created.resolve(application)?;
            tenant
                .add_owner(&id, owner_id)
                .await
                .map_err(write_error(format!("adding owner {owner_id}")))?;
        }
        Operation::RemoveOwner {
            application,
            owner_id,
        } => {
            let (id, _) = created.resolve(application)?;
            tenant
                .remove_owner(&id, owner_id)
                .await
                .map_err(write_error(format!("removing owner {owner_id}")))?;
        }
        Operation::AddSecret {
            application,
            display_name,
            start,
            end,
            store,
        } => {
            let (id, app_id) = created.resolve(application)?;
            let validity = (*start, *end);
            secret::add_and_deliver_secret(tenant, &id, &app_id, display_name, validity, store)
                .await?;
        }
        Operation::RemoveSecret {
            application,
            key_id,
        } => {
            let (id, _) = created.resolve(application)?;
            tenant
                .remove_password(&id, key_id)
                .await
                .map_err(write_error(format!("removing secret credential {key_id}")))?;
        }
        Operation::SetCertificates {
            application,
            certificates,
        } => {
            let (id, _) = created.resolve(application)?;
            tenant
                .set_certificates(&id, certificates)
                .await
                .map_err(write_error("updating certificates"))?;
        }
        Operation::UpsertFederatedCredential {
            application,
            name,
            issuer,
            subject,
            audiences,
            description,
        } => {
            let (id, _) = created.resolve(application)?;
            let credential = FederatedCredential {
                id: String::new(),
                name: name.clone(),
                issuer: issuer.clone(),
                subject: subject.clone(),
                audiences: audiences.clone(),
                description: description.clone(),
            };
            tenant
                .upsert_federated_credential(&id, &credential)
                .await
                .map_err(write_error(format!(
                    "writing federated credential `{name}`"
                )))?;
        }
        Operation::DeleteFederatedCredential { application, name } => {
            let (id, _) = created.resolve(application)?;
            tenant
                .delete_federated_credential(&id, name)
                .await
                .map_err(write_error(format!(
                    "deleting federated credential `{name}`"
                )))?;
        }
        Operation::GrantAppRole {
            client,
            resource,
            app_role_id,
        } => {
            let client_id = created.resolve_service_principal(client)?;
            let resource_id = created.resolve_service_principal(resource)?;
            tenant
                .grant_app_role(&client_id, &resource_id, app_role_id)
                .await
                .map_err(write_error(format!(
                    "granting app role {app_role_id} of service principal {resource_id}"
                )))?;
        }
        Operation::RevokeAppRole {
            resource_id,
            assignment_id,
        } => tenant
            .revoke_app_role(resource_id, assignment_id)
            .await
            .map_err(write_error(format!(
                "revoking app role assignment {assignment_id}"
            )))?,
        Operation::GrantScopes {
            client,
            resource,
            scope,
        } => {
            let client_id = created.resolve_service_principal(client)?;
            let resource_id = created.resolve_service_principal(resource)?;
            tenant
                .grant_scopes(&client_id, &resource_id, scope)
                .await
                .map_err(write_error(format!(
                    "granting delegated permissions `{scope}` of service principal {resource_id}"
                )))?;
        }
        Operation::UpdateGrantedScopes { grant_id, scope } => tenant
            .update_granted_scopes(grant_id, scope)
            .await
            .map_err(write_error(format!(
                "setting the scopes of grant {grant_id} to `{scope}`"
            )))?,
        Operation::RevokeGrant { grant_id } => tenant
            .revoke_grant(grant_id)
            .await
            .map_err(write_error(format!("revoking grant {grant_id}")))?,
        Operation::CreateRoleAssignment {
            principal,
            scope,
            role_definition_id,
            description,
        } => {
            let principal_id = created.resolve_service_principal(principal)?;
            let name =
                registrar_model::role_assignment_name(scope, role_definition_id, &principal_id);
            tenant
                .create_role_assignment(
                    scope,
                    &name,
                    role_definition_id,
                    &principal_id,
                    description.as_deref(),
                )
                .await
                .map_err(write_error(format!(
                    "assigning role {role_definition_id} at `{scope}` to service principal {principal_id}"
                )))?;
        }
        Operation::DeleteRoleAssignment { id } => tenant
            .delete_role_assignment(id)
            .await
            .map_err(write_error(format!("deleting role assignment {id}")))?,
        Operation::RemoveServicePrincipalPassword {
            service_principal_id,
            key_id,
        } => tenant
            .remove_service_principal_password(service_principal_id, key_id)
            .await
            .map_err(write_error(format!(
                "removing secret credential {key_id} from service principal {service_principal_id}"
            )))?,
        Operation::RemoveServicePrincipalKey {
            service_principal_id,
            key_id,
        } => tenant
            .remove_service_principal_key(service_principal_id, key_id)
            .await
            .map_err(write_error(format!(
                "removing certificate {key_id} from service principal {service_principal_id}"
            )))?,
        Operation::AddServicePrincipalOwner {
            service_principal,
            owner_id,
        } => {
            let id = created.resolve_service_principal(service_principal)?;
            tenant
                .add_service_principal_owner(&id, owner_id)
                .await
                .map_err(write_error(format!(
                    "adding owner {owner_id} to service principal {id}"
                )))?;
        }
        Operation::RemoveServicePrincipalOwner {
            service_principal_id,
            owner_id,
        } => tenant
            .remove_service_principal_owner(service_principal_id, owner_id)
            .await
            .map_err(write_error(format!(
                "removing owner {owner_id} from service principal {service_principal_id}"
            )))?,
    }
    Ok(false)
}

/// A short description of a store for messages: `Key Vault kv-platform/dicom-ci`, `file x.json`.
pub fn describe_store(store: &SecretStoreLocation) -> String {
    match store {
        SecretStoreLocation::KeyVault { vault, name } => {
            format!("Key Vault `{vault}` secret `{name}`")
        }
        SecretStoreLocation::File { path, .. } => format!("file `{path}`"),
    }
}

#[cfg(test)]
mod tests;
