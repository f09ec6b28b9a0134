//! [`KeyVaultClient`]: the Key Vault secret calls Registrar needs (api-version 7.4): set a secret
//! with its tags and expiry, read what a secret's current version records (never keeping its
//! value).
//!
//! # Why not `azure_security_keyvault_secrets`
//! 1.0.0 (1.1.0-beta.1 needs azure_core 1.2.0-beta.1) builds on azure_core ^1.0 and takes our
//! CA-trusting transport, but: its `Secret`/`SetSecretParameters` keep the value in a plain
//! `String` (Clone, Serialize, no zeroize) whose `SafeDebug` prints it once azure_core's `debug`
//! feature is on anywhere in the build; it retries by `RetryOptions`, not our policy, and its
//! errors must be re-parsed into [`crate::ServiceError`]; its challenge auth adds a request and
//! rejects `{base}/vaults/{vault}` on 127.0.0.1 unless `verify_challenge_resource` is off.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use registrar_model::SecretStoreContents;

use crate::endpoints::Service;
use crate::error::AzureError;
use crate::http::{Call, HttpCore, encode_path};
use crate::secret::SecretValue;

/// The Key Vault data-plane API version.
pub(crate) const API_VERSION: &str = "7.4";

/// The tag that records which credential (keyId) a stored value belongs to.
pub(crate) const KEY_ID_TAG: &str = "registrar-key-id";

/// What is stored beside a secret's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SecretProperties {
    /// `contentType`.
    pub(crate) content_type: Option<String>,
    /// `tags`.
    pub(crate) tags: BTreeMap<String, String>,
    /// `attributes.exp`.
    pub(crate) expires: Option<OffsetDateTime>,
}

/// Key Vault secret operations. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct KeyVaultClient {
    core: Arc<HttpCore>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SetSecretBody<'a> {
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    tags: &'a BTreeMap<String, String>,
    attributes: SetAttributes,
}

#[derive(Serialize)]
struct SetAttributes {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

/// A secret bundle without its value: serde skips `value`, so it never becomes a `String`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretMetadataWire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    attributes: Option<AttributesWire>,
}

#[derive(Deserialize)]
struct AttributesWire {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    exp: Option<i64>,
}

/// What a secret's current version records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretMetadata {
    /// The version's id, `https://{vault}.vault.azure.net/secrets/{name}/{version}`.
    pub(crate) id: String,
    /// Properties.
    pub(crate) properties: SecretProperties,
    /// `attributes.enabled`.
    pub(crate) enabled: bool,
}

impl KeyVaultClient {
    pub(crate) fn new(core: Arc<HttpCore>) -> Self {
        Self { core }
    }

    fn secret_url(&self, vault: &str, name: &str) -> String {
        format!(
            "{}/secrets/{}?api-version={API_VERSION}",
            self.core.endpoints.key_vault_url(vault),
            encode_path(name)
        )
    }

    /// Sets a secret (a new version) and returns the version id. `PUT` is idempotent, so it is
    /// retried like any idempotent request.
    pub(crate) async fn set_secret(
        &self,
        vault: &str,
        name: &str,
        value: &SecretValue,
        properties: &SecretProperties,
    ) -> Result<String, AzureError> {
        let body = SetSecretBody {
            value: value.expose_secret(),
            content_type: properties.content_type.as_deref(),
            tags: &properties.tags,
            attributes: SetAttributes {
                enabled: true,
                exp: properties.expires.map(OffsetDateTime::unix_timestamp),
            },
        };
        let bytes =
            Zeroizing::new(
                serde_json::to_vec(&body).map_err(|source| AzureError::Decode {
                    method: "PUT".into(),
                    path: format!("/secrets/{name}"),
                    status: 0,
                    source,
                })?,
            );
        let call =
            Call::new(Method::PUT, self.secret_url(vault, name), Service::KeyVault).raw_body(bytes);
        let stored: SecretMetadataWire = self.core.send(&call).await?.json()?;
        Ok(stored.id.unwrap_or_default())
    }

    /// What the secret's current version records, or `None` when there is no such secret
    /// (404). The response carries the value; it is skipped while parsing and the buffer is
    /// zeroized.
    pub(crate) async fn get_secret_metadata(
        &self,
        vault: &str,
        name: &str,
    ) -> Result<Option<SecretMetadata>, AzureError> {
        let call = Call::new(Method::GET, self.secret_url(vault, name), Service::KeyVault);
        let reply = match self.core.send(&call).await {
            Ok(reply) => reply,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let wire: SecretMetadataWire = reply.json()?;
        let attributes = wire.attributes;
        Ok(Some(SecretMetadata {
            id: wire.id.unwrap_or_default(),
            enabled: attributes
                .as_ref()
                .and_then(|attributes| attributes.enabled)
                .unwrap_or(true),
            properties: SecretProperties {
                content_type: wire.content_type,
                tags: wire.tags.unwrap_or_default(),
                expires: attributes
                    .and_then(|attributes| attributes.exp)
                    .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp).ok()),
            },
        }))
    }

    /// What the store holds, for the snapshot: `Missing` on 404, `Present` with the keyId tag,
    /// `Unreadable` with the reason on any other error (403 and the like).
    pub(crate) async fn read_store(&self, vault: &str, name: &str) -> SecretStoreContents {
        match self.get_secret_metadata(vault, name).await {
            Ok(None) => SecretStoreContents::Missing,
            Ok(Some(metadata)) if !metadata.enabled => SecretStoreContents::Unreadable {
                reason: "the secret's current version is disabled".to_owned(),
            },
            Ok(Some(metadata)) => SecretStoreContents::Present {
                key_id: metadata.properties.tags.get(KEY_ID_TAG).cloned(),
            },
            Err(error) => SecretStoreContents::Unreadable {
                reason: error.to_string(),
            },
        }
    }
}
