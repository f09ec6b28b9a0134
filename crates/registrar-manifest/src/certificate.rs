//! Reading a certificate file (PEM or DER) into what Graph's `keyCredentials` need: the DER in
//! base64, the SHA-1 thumbprint in base64 (Graph's `customKeyIdentifier`) and the validity.
//!
//! Only public certificates belong in a manifest's repository: a file that holds a private key
//! is rejected, so a key committed by mistake is caught before it goes anywhere else.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

/// Certificates larger than this are not certificates (1 MiB).
const MAX_CERTIFICATE_BYTES: u64 = 1024 * 1024;

/// A parsed public certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateInfo {
    pub(crate) der_base64: String,
    pub(crate) thumbprint_base64: String,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
}

/// Why a certificate file could not be used: message (after "certificate `name`: ") and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateError {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl CertificateError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Reads and parses the certificate at `path` (`shown` is the path as the manifest wrote it).
pub(crate) fn read_certificate(
    path: &Path,
    shown: &str,
) -> Result<CertificateInfo, CertificateError> {
    let file = std::fs::File::open(path).map_err(|error| {
        CertificateError::new(format!("cannot read `{shown}`: {}", io_reason(&error)))
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_CERTIFICATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            CertificateError::new(format!("cannot read `{shown}`: {}", io_reason(&error)))
        })?;
    if bytes.len() as u64 > MAX_CERTIFICATE_BYTES {
        return Err(CertificateError::new(format!(
            "`{shown}` is larger than 1 MiB; it is not a certificate"
        )));
    }
    parse_certificate(&bytes, shown)
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string().to_lowercase(),
    }
}

/// Parses PEM (exactly one `CERTIFICATE` block, no private key) or DER bytes.
pub(crate) fn parse_certificate(
    bytes: &[u8],
    shown: &str,
) -> Result<CertificateInfo, CertificateError> {
    let looks_like_pem = bytes.windows(11).any(|window| window == b"-----BEGIN ");
    let der = if looks_like_pem {
        let blocks = pem::parse_many(bytes).map_err(|error| {
            CertificateError::new(format!("`{shown}` is not valid PEM: {error}"))
        })?;
        if blocks
            .iter()
            .any(|block| block.tag().contains("PRIVATE KEY"))
        {
            return Err(CertificateError::new(format!("`{shown}` holds a private key"))
                .hint("keep only the public certificate in the repository, e.g. `openssl x509 -in key.pem -out cert.pem`"));
        }
        let mut certificates = blocks
            .into_iter()
            .filter(|block| block.tag() == "CERTIFICATE");
        let Some(first) = certificates.next() else {
            return Err(CertificateError::new(format!(
                "`{shown}` holds no `CERTIFICATE` PEM block"
            )));
        };
        if certificates.next().is_some() {
            return Err(CertificateError::new(format!(
                "`{shown}` holds more than one certificate"
            ))
            .hint("give each certificate its own file and name"));
        }
        first.into_contents()
    } else {
        bytes.to_vec()
    };
    let (_, certificate) = x509_parser::parse_x509_certificate(&der).map_err(|_| {
        CertificateError::new(format!(
            "`{shown}` is not an X.509 certificate (PEM or DER)"
        ))
    })?;
    let validity = certificate.validity();
    let timestamp = |seconds: i64| {
        OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| {
            CertificateError::new(format!("`{shown}` has a validity date out of range"))
        })
    };
    let not_before = timestamp(validity.not_before.timestamp())?;
    let not_after = timestamp(validity.not_after.timestamp())?;
    let thumbprint = Sha1::digest(&der);
    Ok(CertificateInfo {
        der_base64: STANDARD.encode(&der),
        thumbprint_base64: STANDARD.encode(thumbprint),
        not_before,
        not_after,
    })
}
