//! The service principal's own credentials and owners: removing a client secret or a
//! certificate from it, and adding or removing its owners.
//!
//! Registrar never adds a credential to a service principal (credentials belong on the
//! application), so only removals exist here. A certificate is removed by PATCHing
//! `keyCredentials` without it: Graph's `removeKey` needs a proof-of-possession JWT signed by
//! one of the principal's own keys, which Registrar does not hold (docs/azure-behaviour.md).

use reqwest::Method;
use serde_json::json;

use registrar_model::KeyCredential;

use super::{GraphClient, KeyCredentialsOnly, key_credentials_to_model, wire};
use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, encode_path};

/// `/servicePrincipals/{id}/owners?$select=id`.
pub(crate) fn service_principal_owners_path(sp_id: &str) -> String {
    format!(
        "/servicePrincipals/{}/owners?$select=id",
        encode_path(sp_id)
    )
}

fn service_principal_key_credentials_path(sp_id: &str) -> String {
    format!(
        "/servicePrincipals/{}?$select=keyCredentials",
        encode_path(sp_id)
    )
}

impl GraphClient {
    /// Removes a client secret from a service principal: `POST /servicePrincipals/{id}/
    /// removePassword` (204). A keyId that is already gone (404) counts as removed.
    pub async fn remove_service_principal_password(
        &self,
        sp_id: &str,
        key_id: &str,
    ) -> Result<(), AzureError> {
        let path = format!("/servicePrincipals/{}/removePassword", encode_path(sp_id));
        match self
            .write(Method::POST, &path, Some(json!({ "keyId": key_id })), sp_id)
            .await
        {
            Err(error) if error.is_not_found() => {
                tracing::debug!(path, "removePassword: already gone");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// The service principal's certificates with their `key` (a single read with
    /// `$select=keyCredentials`, as for applications).
    pub async fn get_service_principal_key_credentials(
        &self,
        sp_id: &str,
    ) -> Result<Vec<KeyCredential>, AzureError> {
        let url = self.url(&service_principal_key_credentials_path(sp_id));
        let call = Call::new(Method::GET, url, Service::Graph).fresh(self.is_fresh(sp_id));
        let found: KeyCredentialsOnly = self.core.send(&call).await?.json()?;
        Ok(key_credentials_to_model(found))
    }

    /// Removes one certificate from a service principal: reads its certificates (with `key`)
    /// and PATCHes the list without `key_id`. Nothing is sent when it is already gone.
    pub async fn remove_service_principal_key(
        &self,
        sp_id: &str,
        key_id: &str,
    ) -> Result<(), AzureError> {
        let current = self.get_service_principal_key_credentials(sp_id).await?;
        let kept: Vec<&KeyCredential> = current
            .iter()
            .filter(|credential| !credential.key_id.eq_ignore_ascii_case(key_id))
            .collect();
        if kept.len() == current.len() {
            tracing::debug!(sp_id, key_id, "service principal certificate already gone");
            return Ok(());
        }
        let body = json!({
            "keyCredentials": kept.into_iter().map(wire::key_credential_to_json).collect::<Vec<_>>(),
        });
        self.write(
            Method::PATCH,
            &format!("/servicePrincipals/{}", encode_path(sp_id)),
            Some(body),
            sp_id,
        )
        .await?;
        Ok(())
    }

    /// The service principal's owners' object ids (all pages).
    pub async fn list_service_principal_owners(
        &self,
        sp_id: &str,
    ) -> Result<Vec<String>, AzureError> {
        let url = self.url(&service_principal_owners_path(sp_id));
        let owners: Vec<super::IdOnly> = self
            .core
            .get_all_pages_fresh(url, Service::Graph, self.is_fresh(sp_id))
            .await?;
        Ok(owners.into_iter().map(|owner| owner.id).collect())
    }

    /// Adds an owner to a service principal: `POST /servicePrincipals/{id}/owners/$ref`.
    pub async fn add_service_principal_owner(
        &self,
        sp_id: &str,
        owner_id: &str,
    ) -> Result<(), AzureError> {
        let body = json!({ "@odata.id": self.core.endpoints.directory_object_odata_id(owner_id) });
        let path = format!("/servicePrincipals/{}/owners/$ref", encode_path(sp_id));
        self.write(Method::POST, &path, Some(body), sp_id).await?;
        Ok(())
    }

    /// Removes an owner from a service principal: `DELETE /servicePrincipals/{id}/owners/
    /// {ownerId}/$ref` (never without `/$ref`). An owner already gone counts as removed.
    pub async fn remove_service_principal_owner(
        &self,
        sp_id: &str,
        owner_id: &str,
    ) -> Result<(), AzureError> {
        let path = format!(
            "/servicePrincipals/{}/owners/{}/$ref",
            encode_path(sp_id),
            encode_path(owner_id)
        );
        self.write(Method::DELETE, &path, None, sp_id).await?;
        Ok(())
    }
}
