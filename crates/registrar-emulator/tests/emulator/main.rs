//! Integration tests of the emulator: every route's status, shape (against the documented
//! payloads in the repository's `tests/fixtures`) and error codes, plus tokens, faults, state and HTTPS.

mod applications;
#[cfg(test)]
mod arm;
#[cfg(test)]
mod connection_faults;
#[cfg(test)]
mod consent;
mod credentials;
mod directory;
mod keyvault;
mod policies;
#[cfg(test)]
mod privilege;
mod robustness;
mod runtime;
mod service_principal_extras;
#[cfg(test)]
mod support;
#[cfg(test)]
mod throttling;
