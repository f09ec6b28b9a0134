//! [`CreateExtras`]: what an application's create carries besides its settings (owners bound
//! with `owners@odata.bind`, the certificate list), so that each costs no write of its own, and
//! the upsert that sends them.

use serde_json::json;

use registrar_model::{ApplicationSettings, KeyCredential};

use super::{GraphClient, UpsertedApplication, wire};
use crate::error::AzureError;

/// What a create sends in its own body where Graph allows it, so that each costs no write of
/// its own: owners bound with `owners@odata.bind` (applications and service principals, at
/// most [`MAX_BOUND_OWNERS`]) and an application's whole certificate list (`keyCredentials`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateExtras {
    /// Object ids of the owners to bind.
    pub owners: Vec<String>,
    /// The application's certificates (each with its `key`), or `None` to send none.
    pub certificates: Option<Vec<KeyCredential>>,
}

impl CreateExtras {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty() && self.certificates.is_none()
    }
}

/// Most owners one create binds (the rest are added one by one).
pub const MAX_BOUND_OWNERS: usize = 20;

impl GraphClient {
    /// [`GraphClient::upsert_application`] whose body also carries `extras` (owners bound with
    /// `owners@odata.bind`, the certificate list). They count as applied only when the upsert
    /// created the application (201); an upsert with them that Graph refuses with a 400 (an
    /// owner bound twice after a retried create, say) is sent again without them. Either way
    /// [`UpsertedApplication::extras_applied`] tells the caller whether to send them itself.
    pub async fn upsert_application_with(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
        extras: &CreateExtras,
    ) -> Result<UpsertedApplication, AzureError> {
        if extras.is_empty() || extras.owners.len() > MAX_BOUND_OWNERS {
            return self
                .upsert_application_body(unique_name, settings, None)
                .await;
        }
        let mut bound = serde_json::Map::new();
        if !extras.owners.is_empty() {
            let owners: Vec<String> = extras
                .owners
                .iter()
                .map(|owner| self.core.endpoints.directory_object_odata_id(owner))
                .collect();
            bound.insert("owners@odata.bind".to_owned(), json!(owners));
        }
        if let Some(certificates) = &extras.certificates {
            let certificates: Vec<_> = certificates
                .iter()
                .map(wire::key_credential_to_json)
                .collect();
            bound.insert("keyCredentials".to_owned(), json!(certificates));
        }
        match self
            .upsert_application_body(unique_name, settings, Some(bound))
            .await
        {
            Err(error) if error.status() == Some(400) => {
                tracing::debug!(unique_name, error = %error, "upsert with bound owners and certificates refused: sent without them");
                self.upsert_application_body(unique_name, settings, None)
                    .await
            }
            result => result,
        }
    }
}
