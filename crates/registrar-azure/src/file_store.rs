//! File secret stores for local use: `json`, `env` or `raw`, written atomically with mode 0600.
//!
//! A write goes through [`registrar_files::write_atomically_no_symlinks`] with
//! [`registrar_files::OWNER_ONLY`]: a new temporary file beside the target, owner-only from its
//! creation, synced, then renamed over the target. A reader never sees a half-written file, and
//! the value never sits in a world-readable file.
//!
//! The file stays where its path says: a path through a symbolic link (a parent folder or the
//! file itself) is refused, for writing ([`write_secret_file`], and [`check_secret_file`] before
//! a credential is even created) and for reading ([`read_secret_file`] reports it unreadable).
//! The manifest resolves the path inside its root with the root made canonical, so any link on
//! the path is one below the root. This module only renders and parses the formats and applies
//! that rule.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use registrar_model::{FileFormat, SecretStoreContents};

use crate::error::AzureError;
use crate::stores::DeliveredSecret;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFile<'a> {
    tenant_id: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    key_id: &'a str,
    expires_on: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonFileKeyId {
    #[serde(default)]
    key_id: Option<String>,
}

/// The variable that records the keyId in `env` files.
pub(crate) const ENV_KEY_ID: &str = "REGISTRAR_KEY_ID";

fn file_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> AzureError {
    let path = path.display().to_string();
    move |source| AzureError::File {
        path,
        action,
        source,
    }
}

/// Quotes an env-file value with single quotes unless it is made only of safe characters.
fn env_value(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.~:/@+=,%".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn contents(
    format: FileFormat,
    secret: &DeliveredSecret,
) -> Result<Zeroizing<Vec<u8>>, AzureError> {
    let expires_on = secret
        .expires_on
        .and_then(|date| date.format(&Rfc3339).ok());
    let value = secret.value.expose_secret();
    let bytes = match format {
        FileFormat::Json => {
            let file = JsonFile {
                tenant_id: &secret.tenant_id,
                client_id: &secret.client_id,
                client_secret: value,
                key_id: &secret.key_id,
                expires_on,
            };
            let mut bytes = Zeroizing::new(Vec::new());
            serde_json::to_writer_pretty(&mut *bytes, &file).map_err(|source| {
                AzureError::Decode {
                    method: "WRITE".into(),
                    path: String::new(),
                    status: 0,
                    source,
                }
            })?;
            bytes.push(b'\n');
            bytes
        }
        FileFormat::Env => {
            let text = Zeroizing::new(format!(
                "AZURE_TENANT_ID={}\nAZURE_CLIENT_ID={}\nAZURE_CLIENT_SECRET={}\n{ENV_KEY_ID}={}\n",
                env_value(&secret.tenant_id),
                env_value(&secret.client_id),
                env_value(value),
                env_value(&secret.key_id),
            ));
            Zeroizing::new(text.as_bytes().to_vec())
        }
        FileFormat::Raw => Zeroizing::new(value.as_bytes().to_vec()),
    };
    Ok(bytes)
}

/// Writes `secret` to `path` in `format`, atomically, mode 0600, never through a symbolic link.
pub fn write_secret_file(
    path: &Path,
    format: FileFormat,
    secret: &DeliveredSecret,
) -> Result<(), AzureError> {
    let bytes = contents(format, secret)?;
    // The io::Error names the step that failed (a link in the way, create the folder, the
    // temporary file, write, flush, rename); it is the source of the error.
    registrar_files::write_atomically_no_symlinks(path, &bytes, registrar_files::OWNER_ONLY)
        .map_err(file_error(path, "write it"))
}

/// Whether a secret could be written to `path`: no symbolic link on the way or at the file.
/// Apply asks before it creates a credential, so a secret it cannot deliver is never created.
///
/// # Errors
/// [`AzureError::File`] naming the link.
pub fn check_secret_file(path: &Path) -> Result<(), AzureError> {
    registrar_files::refuse_symlinks(path).map_err(file_error(path, "write it"))
}

/// What the file at `path` holds: `Missing` when absent, `Present` with the recorded keyId
/// (`json`, `env`) or without one (`raw`), `Unreadable` when it cannot be read or parsed.
pub fn read_secret_file(path: &Path, format: FileFormat) -> SecretStoreContents {
    if let Err(error) = registrar_files::refuse_symlinks(path) {
        return SecretStoreContents::Unreadable {
            reason: error.to_string(),
        };
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return SecretStoreContents::Missing;
        }
        Err(error) => {
            return SecretStoreContents::Unreadable {
                reason: format!("could not read the file: {error}"),
            };
        }
    };
    match format {
        FileFormat::Raw => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                SecretStoreContents::Missing
            } else {
                SecretStoreContents::Present { key_id: None }
            }
        }
        FileFormat::Json => match serde_json::from_slice::<JsonFileKeyId>(&bytes) {
            Ok(file) => SecretStoreContents::Present {
                key_id: file.key_id.filter(|key_id| !key_id.is_empty()),
            },
            Err(error) => SecretStoreContents::Unreadable {
                reason: format!("not a JSON secret file: {error}"),
            },
        },
        FileFormat::Env => {
            let Ok(text) = std::str::from_utf8(&bytes) else {
                return SecretStoreContents::Unreadable {
                    reason: "not a UTF-8 env file".to_owned(),
                };
            };
            let key_id = text.lines().find_map(|line| {
                let line = line.trim().trim_start_matches("export ");
                let value = line.strip_prefix(ENV_KEY_ID)?.strip_prefix('=')?;
                let value = value.trim();
                let unquoted = value
                    .strip_prefix('\'')
                    .and_then(|value| value.strip_suffix('\''))
                    .or_else(|| {
                        value
                            .strip_prefix('"')
                            .and_then(|value| value.strip_suffix('"'))
                    })
                    .unwrap_or(value);
                Some(unquoted.to_owned())
            });
            SecretStoreContents::Present {
                key_id: key_id.filter(|key_id| !key_id.is_empty()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_quoted_when_needed() {
        assert_eq!(env_value("abc-123.~"), "abc-123.~");
        assert_eq!(env_value("a b"), "'a b'");
        assert_eq!(env_value("it's"), r"'it'\''s'");
        assert_eq!(env_value("[6g]"), "'[6g]'");
    }
}
