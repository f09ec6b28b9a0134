//! [`AzureTenant`]: the [`TenantWriter`] that apply uses for real, over `registrar-azure`'s
//! clients (Graph, ARM, Key Vault). Each method is one client call; retries and read-your-writes
//! live in the clients.

use registrar_azure::{Clients, CreateExtras, DeliveredSecret, SecretValue};
use registrar_model::{
    ApplicationField, ApplicationSettings, ConsentType, FederatedCredential, Guid, KeyCredential,
    PasswordCredential, SecretStoreLocation, ServicePrincipalSettings,
};
use time::OffsetDateTime;

use crate::{TenantWriter, WriteError};

/// Writes to a tenant through the Graph, ARM and Key Vault clients.
#[derive(Debug, Clone)]
pub struct AzureTenant {
    clients: Clients,
    tenant_id: String,
}

impl AzureTenant {
    /// A writer over `clients` for the tenant `tenant_id` (recorded with delivered secrets).
    pub fn new(clients: Clients, tenant_id: String) -> Self {
        Self { clients, tenant_id }
    }
}

fn boxed(error: registrar_azure::AzureError) -> WriteError {
    Box::new(error)
}

#[async_trait::async_trait]
impl TenantWriter for AzureTenant {
    fn tenant_id(&self) -> String {
        self.tenant_id.clone()
    }

    async fn upsert_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
    ) -> Result<(String, String), WriteError> {
        let upserted = self
            .clients
            .graph
            .upsert_application(unique_name, settings)
            .await
            .map_err(boxed)?;
        Ok((upserted.id, upserted.app_id))
    }

    async fn create_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
        extras: &CreateExtras,
    ) -> Result<(String, String, bool), WriteError> {
        let upserted = self
            .clients
            .graph
            .upsert_application_with(unique_name, settings, extras)
            .await
            .map_err(boxed)?;
        Ok((upserted.id, upserted.app_id, upserted.extras_applied))
    }

    async fn restore_application(&self, id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .restore_deleted_item(id)
            .await
            .map_err(boxed)
    }

    async fn update_application(
        &self,
        id: &str,
        settings: &ApplicationSettings,
        changed_fields: &[ApplicationField],
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .update_application(id, settings, changed_fields)
            .await
            .map_err(boxed)
    }

    async fn delete_application(&self, id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .delete_application(id)
            .await
            .map_err(boxed)
    }

    async fn create_service_principal(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<String, WriteError> {
        let (id, _) = self
            .create_service_principal_with_owners(app_id, settings, &[])
            .await?;
        Ok(id)
    }

    async fn create_service_principal_with_owners(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
        owners: &[String],
    ) -> Result<(String, bool), WriteError> {
        let error = match self
            .clients
            .graph
            .create_service_principal_with_owners(app_id, settings, owners)
            .await
        {
            Ok(created) => return Ok((created.id, true)),
            // Owners Graph would not bind (a 400 that is not replication lag): create it
            // without them; they are added one by one.
            Err(error)
                if !owners.is_empty()
                    && error.status() == Some(400)
                    && !error.has_code("NoBackingApplicationObject") =>
            {
                return self
                    .create_service_principal_with_owners(app_id, settings, &[])
                    .await
                    .map(|(id, _)| (id, false));
            }
            Err(error) => error,
        };
        // One service principal per appId: if it exists already (a restored application, or a
        // create whose response was lost), adopt it and bring its settings in line.
        match self
            .clients
            .graph
            .get_service_principal_by_app_id(app_id)
            .await
        {
            Ok(Some(existing)) => {
                self.clients
                    .graph
                    .update_service_principal(&existing.id, settings)
                    .await
                    .map_err(boxed)?;
                // The owners of an adopted service principal are added one by one.
                Ok((existing.id, false))
            }
            _ => Err(boxed(error)),
        }
    }

    async fn update_service_principal(
        &self,
        id: &str,
        settings: &ServicePrincipalSettings,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .update_service_principal(id, settings)
            .await
            .map_err(boxed)
    }

    async fn delete_service_principal(&self, id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .delete_service_principal(id)
            .await
            .map_err(boxed)
    }

    async fn add_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError> {
        let Err(error) = self.clients.graph.add_owner(application_id, owner_id).await else {
            return Ok(());
        };
        // Graph refuses to add an owner twice (400, code Request_BadRequest, which says nothing
        // specific): an application restored from deleted items comes back with its owners.
        // Adding is idempotent for us, so a refusal is success when the owner is there.
        match self.clients.graph.list_owners(application_id).await {
            Ok(owners) if owners.iter().any(|owner| Guid::same(owner, owner_id)) => Ok(()),
            _ => Err(boxed(error)),
        }
    }

    async fn remove_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .remove_owner(application_id, owner_id)
            .await
            .map_err(boxed)
    }

    async fn add_password(
        &self,
        application_id: &str,
        display_name: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<(PasswordCredential, SecretValue), WriteError> {
        let added = self
            .clients
            .graph
            .add_password(application_id, display_name, start, end)
            .await
            .map_err(boxed)?;
        Ok((added.credential, added.value))
    }

    async fn list_passwords(
        &self,
        application_id: &str,
    ) -> Result<Vec<PasswordCredential>, WriteError> {
        self.clients
            .graph
            .get_password_credentials(application_id)
            .await
            .map_err(boxed)
    }

    fn may_have_been_applied(&self, error: &WriteError) -> bool {
        error
            .downcast_ref::<registrar_azure::AzureError>()
            .is_some_and(registrar_azure::AzureError::may_have_been_processed)
    }

    async fn remove_password(&self, application_id: &str, key_id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .remove_password(application_id, key_id)
            .await
            .map_err(boxed)
    }

    async fn check_store(&self, store: &SecretStoreLocation) -> Result<(), WriteError> {
        self.clients.check_secret_store(store).map_err(boxed)
    }

    async fn deliver_secret(
        &self,
        store: &SecretStoreLocation,
        secret: &DeliveredSecret,
    ) -> Result<(), WriteError> {
        self.clients
            .deliver_secret(store, secret)
            .await
            .map_err(boxed)
    }

    async fn set_certificates(
        &self,
        application_id: &str,
        certificates: &[KeyCredential],
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .set_key_credentials(application_id, certificates)
            .await
            .map_err(boxed)
    }

    async fn upsert_federated_credential(
        &self,
        application_id: &str,
        credential: &FederatedCredential,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .upsert_federated_credential(application_id, credential)
            .await
            .map_err(boxed)
    }

    async fn delete_federated_credential(
        &self,
        application_id: &str,
        name: &str,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .delete_federated_credential(application_id, name)
            .await
            .map_err(boxed)
    }

    async fn grant_app_role(
        &self,
        client_id: &str,
        resource_id: &str,
        app_role_id: &str,
    ) -> Result<(), WriteError> {
        let Err(error) = self
            .clients
            .graph
            .grant_app_role(client_id, resource_id, app_role_id)
            .await
        else {
            return Ok(());
        };
        // Graph refuses an assignment that exists (400 "Permission being assigned already
        // exists on the object"): a create whose response was lost, or a service principal
        // adopted by its create. Granting is idempotent for us.
        match self
            .clients
            .graph
            .list_app_role_assignments(client_id)
            .await
        {
            Ok(assignments)
                if assignments.iter().any(|assignment| {
                    Guid::same(&assignment.resource_id, resource_id)
                        && Guid::same(&assignment.app_role_id, app_role_id)
                }) =>
            {
                Ok(())
            }
            _ => Err(boxed(error)),
        }
    }

    async fn revoke_app_role(
        &self,
        resource_id: &str,
        assignment_id: &str,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .revoke_app_role(resource_id, assignment_id)
            .await
            .map_err(boxed)
    }

    async fn grant_scopes(
        &self,
        client_id: &str,
        resource_id: &str,
        scope: &str,
    ) -> Result<(), WriteError> {
        let Err(error) = self
            .clients
            .graph
            .grant_scopes(client_id, resource_id, scope)
            .await
        else {
            return Ok(());
        };
        // Graph keeps one tenant-wide grant per client and API: if one exists (a lost
        // response, an adopted service principal), set its scopes instead.
        let existing = match self.clients.graph.list_permission_grants(client_id).await {
            Ok(grants) => grants.into_iter().find(|grant| {
                grant.consent_type == ConsentType::AllPrincipals
                    && Guid::same(&grant.resource_id, resource_id)
            }),
            Err(_) => None,
        };
        let Some(existing) = existing else {
            return Err(boxed(error));
        };
        self.clients
            .graph
            .update_granted_scopes(&existing.id, scope)
            .await
            .map_err(boxed)
    }

    async fn update_granted_scopes(&self, grant_id: &str, scope: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .update_granted_scopes(grant_id, scope)
            .await
            .map_err(boxed)
    }

    async fn revoke_grant(&self, grant_id: &str) -> Result<(), WriteError> {
        self.clients
            .graph
            .revoke_grant(grant_id)
            .await
            .map_err(boxed)
    }

    async fn create_role_assignment(
        &self,
        scope: &str,
        name: &str,
        role_definition_id: &str,
        principal_id: &str,
        description: Option<&str>,
    ) -> Result<(), WriteError> {
        match self
            .clients
            .arm
            .create_role_assignment(scope, name, role_definition_id, principal_id, description)
            .await
        {
            Ok(_) => Ok(()),
            // The same role, scope and principal exist under another name (made by hand, or by
            // another tool): that assignment is the one the manifest asks for; adopt it.
            Err(error) if error.is_role_assignment_exists() => {
                tracing::debug!(
                    scope,
                    role_definition_id,
                    principal_id,
                    "role assignment exists under another name: adopted"
                );
                Ok(())
            }
            Err(error) => Err(boxed(error)),
        }
    }

    async fn delete_role_assignment(&self, id: &str) -> Result<(), WriteError> {
        self.clients
            .arm
            .delete_role_assignment(id)
            .await
            .map_err(boxed)
    }

    async fn remove_service_principal_password(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .remove_service_principal_password(service_principal_id, key_id)
            .await
            .map_err(boxed)
    }

    async fn remove_service_principal_key(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .remove_service_principal_key(service_principal_id, key_id)
            .await
            .map_err(boxed)
    }

    async fn add_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError> {
        let Err(error) = self
            .clients
            .graph
            .add_service_principal_owner(service_principal_id, owner_id)
            .await
        else {
            return Ok(());
        };
        // As for applications: Graph refuses an owner that is already there (400), which is
        // success for an idempotent add.
        match self
            .clients
            .graph
            .list_service_principal_owners(service_principal_id)
            .await
        {
            Ok(owners) if owners.iter().any(|owner| Guid::same(owner, owner_id)) => Ok(()),
            _ => Err(boxed(error)),
        }
    }

    async fn remove_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError> {
        self.clients
            .graph
            .remove_service_principal_owner(service_principal_id, owner_id)
            .await
            .map_err(boxed)
    }
}
