//! Secret delivery by [`SecretStoreLocation`]: one entry point for Key Vault and file stores,
//! used by apply (write a new secret's value) and by the snapshot (what a store holds).

use std::collections::BTreeMap;
use std::path::Path;

use time::OffsetDateTime;

use registrar_model::{SecretStoreContents, SecretStoreLocation};

use crate::clients::Clients;
use crate::error::AzureError;
use crate::file_store;
use crate::key_vault::{KEY_ID_TAG, SecretProperties};
use crate::secret::SecretValue;

/// The Key Vault tag recording the application's appId.
pub(crate) const CLIENT_ID_TAG: &str = "registrar-client-id";
/// The Key Vault tag recording the tenant id.
pub(crate) const TENANT_ID_TAG: &str = "registrar-tenant-id";

/// A new client secret on its way to its store. Debug shows the value as `***`.
#[derive(Debug)]
pub struct DeliveredSecret {
    /// Tenant id.
    pub tenant_id: String,
    /// The application's appId (client id).
    pub client_id: String,
    /// The password credential's keyId.
    pub key_id: String,
    /// When the credential expires.
    pub expires_on: Option<OffsetDateTime>,
    /// The value.
    pub value: SecretValue,
}

impl Clients {
    /// Writes the secret to its store: a new Key Vault secret version (value, `contentType`
    /// `text/plain`, tags with keyId, client id and tenant id, `exp`), or an atomic 0600 file.
    pub async fn deliver_secret(
        &self,
        location: &SecretStoreLocation,
        secret: &DeliveredSecret,
    ) -> Result<(), AzureError> {
        match location {
            SecretStoreLocation::KeyVault { vault, name } => {
                let tags = BTreeMap::from([
                    (KEY_ID_TAG.to_owned(), secret.key_id.clone()),
                    (CLIENT_ID_TAG.to_owned(), secret.client_id.clone()),
                    (TENANT_ID_TAG.to_owned(), secret.tenant_id.clone()),
                ]);
                let properties = SecretProperties {
                    content_type: Some("text/plain".to_owned()),
                    tags,
                    expires: secret.expires_on,
                };
                let version = self
                    .key_vault
                    .set_secret(vault, name, &secret.value, &properties)
                    .await?;
                tracing::debug!(vault, name, version, "secret delivered to Key Vault");
                Ok(())
            }
            SecretStoreLocation::File { path, format } => {
                file_store::write_secret_file(Path::new(path), *format, secret)?;
                tracing::debug!(path, "secret delivered to file");
                Ok(())
            }
        }
    }

    /// Whether a value could be delivered to the store, checked before a credential is created:
    /// a file store's path may not pass through a symbolic link. Key Vault is not asked (its
    /// errors come with the write, and a failed write removes the credential again).
    pub fn check_secret_store(&self, location: &SecretStoreLocation) -> Result<(), AzureError> {
        match location {
            SecretStoreLocation::KeyVault { .. } => Ok(()),
            SecretStoreLocation::File { path, .. } => {
                file_store::check_secret_file(Path::new(path))
            }
        }
    }

    /// What the store holds now (never fails: problems become `Unreadable`).
    pub async fn read_secret_store(&self, location: &SecretStoreLocation) -> SecretStoreContents {
        match location {
            SecretStoreLocation::KeyVault { vault, name } => {
                self.key_vault.read_store(vault, name).await
            }
            SecretStoreLocation::File { path, format } => {
                file_store::read_secret_file(Path::new(path), *format)
            }
        }
    }
}
