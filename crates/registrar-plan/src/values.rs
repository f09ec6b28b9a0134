//! How plan attributes write typed values: timestamps (RFC 3339, UTC) and secret stores
//! (`keyVault <vault>/<name>`, `file <path> (<format>)`). The planner's attributes and the
//! renderers' wording use the same functions, so a warning names a store exactly as the
//! secret's `store` attribute shows it.

use registrar_model::SecretStoreLocation;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `2026-06-30T00:00:00Z`.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// [`timestamp`] as an attribute value; `null` when there is none.
pub(crate) fn optional_timestamp(at: Option<OffsetDateTime>) -> Value {
    at.map_or(Value::Null, |at| Value::String(timestamp(at)))
}

/// `keyVault kv-platform/ci`, `file secrets/ci.env (env)`.
pub(crate) fn store_text(store: &SecretStoreLocation) -> String {
    match store {
        SecretStoreLocation::KeyVault { vault, name } => format!("keyVault {vault}/{name}"),
        SecretStoreLocation::File { path, format } => {
            format!("file {path} ({})", format!("{format:?}").to_lowercase())
        }
    }
}
