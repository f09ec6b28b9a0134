//! Federated identity credentials on the wire: the list item read back and the upsert body.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use registrar_model::FederatedCredential;

use super::nullable;

/// A `federatedIdentityCredential`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphFederatedCredential {
    #[serde(default, deserialize_with = "nullable", skip_serializing)]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    issuer: String,
    #[serde(default, deserialize_with = "nullable")]
    subject: String,
    #[serde(default, deserialize_with = "nullable")]
    audiences: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

impl GraphFederatedCredential {
    pub(crate) fn to_model(&self) -> FederatedCredential {
        FederatedCredential {
            id: self.id.clone(),
            name: self.name.clone(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            audiences: self.audiences.clone(),
            description: self.description.clone(),
        }
    }
}

/// The body of a federated credential upsert.
pub(crate) fn federated_credential_json(credential: &FederatedCredential) -> Value {
    json!({
        "name": credential.name,
        "issuer": credential.issuer,
        "subject": credential.subject,
        "audiences": credential.audiences,
        "description": credential.description,
    })
}
