//! [`SecretValue`]: the only type in Registrar that holds a client secret's value.
//!
//! It cannot be printed (Debug and Display show `***`), serialized or cloned, and its memory is
//! zeroized when it is dropped. The value is reachable only through
//! [`SecretValue::expose_secret`], which the secret-store writers and the credential
//! constructor call.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A secret value (a client secret's `secretText`).
pub struct SecretValue(SecretString);

impl SecretValue {
    /// Wraps a value; the `String` moves in and is zeroized when this is dropped.
    pub fn new(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// The value. Call it only where the value must leave the process: a secret store writer
    /// or a credential.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_value_prints_stars() {
        let secret = SecretValue::new("hunter2-very-secret".to_owned());
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(secret.expose_secret(), "hunter2-very-secret");
    }
}
