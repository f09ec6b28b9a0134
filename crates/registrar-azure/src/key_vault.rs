//! [`KeyVaultClient`]: the Key Vault secret calls Registrar needs (api-version 7.4): set a secret
//! with its tags and expiry, read what a secret's current version records (never keeping its
//! value), and list a vault's secrets for the snapshot.
//!
//! # Reading many stores of one vault
//! `GET {vault}/secrets?maxresults=25` lists every secret with its current version's
//! attributes and tags (a SecretItem has no value), 25 per page, paged with `nextLink`: a vault
//! holding S secrets is read in ⌈S/25⌉ requests, however many of them the manifest names, where
//! a GET per secret costs one request each (and carries the value, which is skipped).
//! [`KeyVaultClient::read_stores`] lists the vault once, and falls back to a GET per secret
//! when the list fails (a caller allowed `get` but not `list`, say), so what each store is found
//! to hold does not depend on the way it was read.
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

use futures::StreamExt;

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

/// One page of a secret list: SecretItems, which carry no value.
#[derive(Deserialize)]
struct SecretItemWire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    attributes: Option<AttributesWire>,
}

/// The largest page of a Key Vault list.
const MAX_RESULTS: usize = 25;

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

/// What a store holding a secret whose current version is `enabled` with `tags` holds.
fn contents_of(enabled: bool, tags: &BTreeMap<String, String>) -> SecretStoreContents {
    if enabled {
        SecretStoreContents::Present {
            key_id: tags.get(KEY_ID_TAG).cloned(),
        }
    } else {
        SecretStoreContents::Unreadable {
            reason: "the secret's current version is disabled".to_owned(),
        }
    }
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
            Ok(Some(metadata)) => contents_of(metadata.enabled, &metadata.properties.tags),
            Err(error) => SecretStoreContents::Unreadable {
                reason: error.to_string(),
            },
        }
    }

    /// The current version's `enabled` and tags of every secret in `vault`, by lowercased
    /// name: `GET {vault}/secrets?maxresults=25`, every page.
    async fn list_secrets(
        &self,
        vault: &str,
    ) -> Result<BTreeMap<String, (bool, BTreeMap<String, String>)>, AzureError> {
        let url = format!(
            "{}/secrets?api-version={API_VERSION}&maxresults={MAX_RESULTS}",
            self.core.endpoints.key_vault_url(vault)
        );
        let items: Vec<SecretItemWire> = self.core.get_all_pages(url, Service::KeyVault).await?;
        Ok(items
            .into_iter()
            .filter_map(|item| {
                // `https://{vault}.vault.azure.net/secrets/{name}`
                let id = item.id?;
                let name = id
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()?
                    .to_ascii_lowercase();
                let enabled = item
                    .attributes
                    .and_then(|attributes| attributes.enabled)
                    .unwrap_or(true);
                Some((name, (enabled, item.tags.unwrap_or_default())))
            })
            .collect())
    }

    /// What each of `names` in `vault` holds, as [`KeyVaultClient::read_store`] says, from
    /// one list of the vault; when the list fails, from a GET per name (`concurrency` in
    /// flight).
    pub(crate) async fn read_stores(
        &self,
        vault: &str,
        names: &[String],
        concurrency: usize,
    ) -> Vec<SecretStoreContents> {
        match self.list_secrets(vault).await {
            Ok(listed) => {
                let mut contents = Vec::with_capacity(names.len());
                for name in names {
                    contents.push(match listed.get(&name.to_ascii_lowercase()) {
                        None => SecretStoreContents::Missing,
                        Some((true, tags)) => contents_of(true, tags),
                        // A disabled current version: its GET says why, as a store read alone
                        // would (rare, so the one extra request does not matter).
                        Some((false, _)) => self.read_store(vault, name).await,
                    });
                }
                contents
            }
            Err(error) => {
                tracing::debug!(vault, %error, "listing the vault failed: reading each secret");
                // The futures are collected first: a closure inside the stream would lose
                // `Send`.
                let reads: Vec<_> = names
                    .iter()
                    .map(|name| self.read_store(vault, name))
                    .collect();
                futures::stream::iter(reads)
                    .buffered(concurrency.max(1))
                    .collect()
                    .await
            }
        }
    }
}
