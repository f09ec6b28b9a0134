//! End-to-end tests: the real `registrar` binary against the local tenant.
//!
//! Each test that needs a tenant starts the emulator in this process on `127.0.0.1:0` (so it can
//! inject faults and look inside, e.g. at Key Vault), and runs the binary with
//! `REGISTRAR_LOCAL_URL` pointing at it. Tests assert exit codes, output and request counts,
//! never timings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod consent;
mod convergence;
mod credentials;
mod drift;
mod examples;
mod faults;
mod harness;
mod import;
mod lint;
mod ownership;
mod plan_json;
mod policies;
mod pr_safety_inputs;
mod privilege;
mod progress;
mod rbac;
mod reconcile;
mod restore;
mod saved_plans;
mod screens;
mod service_principal;
mod snapshot;
mod standalone;
mod validate;
mod writes;
