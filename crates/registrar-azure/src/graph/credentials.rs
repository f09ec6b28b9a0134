//! The writes and single reads of an application's credentials: client secrets
//! (`addPassword`/`removePassword`), certificates (`keyCredentials`) and federated identity
//! credentials.

use super::*;

impl GraphClient {
    // ----- secrets and certificates -----------------------------------------------------------

    /// Adds a client secret. The value is returned only here: store it before anything else.
    /// Not idempotent, so retried only when Graph certainly did not process it.
    pub async fn add_password(
        &self,
        app_object_id: &str,
        display_name: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<AddedPassword, AzureError> {
        let format = |time: OffsetDateTime| {
            time.format(&Rfc3339)
                .map_err(|_| AzureError::InvalidRequest("credential date out of range".into()))
        };
        let body = json!({ "passwordCredential": {
            "displayName": display_name,
            "startDateTime": format(start)?,
            "endDateTime": format(end)?,
        } });
        let path = format!("/applications/{}/addPassword", encode_path(app_object_id));
        let reply = self
            .write(Method::POST, &path, Some(body), app_object_id)
            .await?;
        let mut credential: GraphPasswordCredential = reply.json()?;
        let value = credential
            .secret_text
            .take()
            .map(SecretValue::new)
            .ok_or_else(|| {
                AzureError::InvalidRequest(format!("POST {path}: Graph returned no secretText"))
            })?;
        Ok(AddedPassword {
            credential: credential.to_model(),
            value,
        })
    }

    /// The application's client secrets (metadata only; Graph never returns a value again):
    /// `GET /applications/{id}?$select=passwordCredentials`. Apply reads them after an
    /// `addPassword` whose outcome is unknown, to remove what it could not deliver.
    pub async fn get_password_credentials(
        &self,
        app_object_id: &str,
    ) -> Result<Vec<PasswordCredential>, AzureError> {
        let path = format!(
            "/applications/{}?$select=passwordCredentials",
            encode_path(app_object_id)
        );
        let call = Call::new(Method::GET, self.url(&path), Service::Graph)
            .fresh(self.is_fresh(app_object_id));
        let found: PasswordCredentialsOnly = self.core.send(&call).await?.json()?;
        Ok(found
            .password_credentials
            .unwrap_or_default()
            .iter()
            .map(GraphPasswordCredential::to_model)
            .collect())
    }

    /// Removes a client secret by keyId.
    pub async fn remove_password(
        &self,
        app_object_id: &str,
        key_id: &str,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/applications/{}/removePassword",
            encode_path(app_object_id)
        );
        self.write(
            Method::POST,
            &path,
            Some(json!({ "keyId": key_id })),
            app_object_id,
        )
        .await?;
        Ok(())
    }

    /// Replaces the whole certificate list (every kept certificate must carry its `key`).
    pub async fn set_key_credentials(
        &self,
        app_object_id: &str,
        certificates: &[KeyCredential],
    ) -> Result<(), AzureError> {
        let body = json!({
            "keyCredentials": certificates.iter().map(wire::key_credential_to_json).collect::<Vec<_>>(),
        });
        self.write(
            Method::PATCH,
            &format!("/applications/{}", encode_path(app_object_id)),
            Some(body),
            app_object_id,
        )
        .await?;
        Ok(())
    }

    /// The application's certificates with their `key` (`GET /applications/{id}?$select=keyCredentials`;
    /// throttled to 150/min per tenant, so only called when certificates matter).
    pub async fn get_key_credentials(
        &self,
        app_object_id: &str,
    ) -> Result<Vec<KeyCredential>, AzureError> {
        let url = self.url(&key_credentials_path(app_object_id));
        let call = Call::new(Method::GET, url, Service::Graph).fresh(self.is_fresh(app_object_id));
        let found: KeyCredentialsOnly = self.core.send(&call).await?.json()?;
        Ok(key_credentials_to_model(found))
    }

    // ----- federated identity credentials ---------------------------------------------------

    /// Creates or updates a federated credential by name:
    /// `PATCH …/federatedIdentityCredentials(name='{name}')` with `Prefer: create-if-missing`.
    pub async fn upsert_federated_credential(
        &self,
        app_object_id: &str,
        credential: &FederatedCredential,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/applications/{}/federatedIdentityCredentials(name={})",
            encode_path(app_object_id),
            encode_path(&odata_string(&credential.name))
        );
        self.write_with_headers(
            Method::PATCH,
            &path,
            Some(wire::federated_credential_json(credential)),
            &[("Prefer", "create-if-missing")],
            app_object_id,
        )
        .await?;
        Ok(())
    }

    /// Deletes a federated credential by name (idempotent).
    pub async fn delete_federated_credential(
        &self,
        app_object_id: &str,
        name: &str,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/applications/{}/federatedIdentityCredentials/{}",
            encode_path(app_object_id),
            encode_path(name)
        );
        self.write(Method::DELETE, &path, None, app_object_id)
            .await?;
        Ok(())
    }
}
