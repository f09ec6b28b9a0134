//! Writes per application: a new application's owners and certificates go in its create
//! (`owners@odata.bind`, `keyCredentials`), and a new service principal's owners in its create,
//! so none of them costs a write of its own; the tenant still converges.

use std::collections::BTreeMap;

use crate::harness::TestTenant;

const APPS: usize = 3;

fn manifest(tenant: &TestTenant) -> String {
    let mut text = "version: 1\nnamespace: writes\napplications:\n".to_owned();
    for index in 0..APPS {
        let key = format!("app{index}");
        let pem = rcgen::generate_simple_self_signed(vec![format!("{key}.contoso.com")])
            .unwrap()
            .cert
            .pem();
        tenant.write(&format!("certs/{key}.pem"), &pem);
        text.push_str(&format!(
            "  {key}:
    displayName: Writes {key}
    owners: [alice@contoso.com, bob@contoso.com]
    certificates:
      signing: {{ file: certs/{key}.pem }}
    federatedCredentials:
      gh:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/{key}:ref:refs/heads/main
    servicePrincipal:
      owners: [carol@contoso.com]
"
        ));
    }
    text
}

/// The requests of every route that writes (anything but a GET and the `$batch` envelope).
fn writes(counts: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts
        .iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !route.ends_with("/$batch"))
        .map(|(route, count)| (route.clone(), *count))
        .collect()
}

#[test]
fn a_new_application_binds_its_owners_and_certificates_in_its_create() {
    let tenant = TestTenant::new();
    let path = tenant.write("registrar.yaml", &manifest(&tenant));
    tenant.emulator.reset_request_counts();
    tenant.apply(&path);
    let writes = writes(&tenant.emulator.request_counts());
    let owner_adds: u64 = writes
        .iter()
        .filter(|(route, _)| route.contains("/owners"))
        .map(|(_, count)| count)
        .sum();
    assert_eq!(owner_adds, 0, "owners are bound at create: {writes:#?}");
    let total: u64 = writes.values().sum();
    // Per application: the upsert (owners and certificate in it), the federated credential,
    // the service principal (its owner in it). One by one it was 3 + 2 owners, a certificate
    // and a service principal owner: 7.
    assert_eq!(total, 3 * APPS as u64, "{writes:#?}");
    tenant.assert_converged(&path);
    let app = tenant.application("writes.app0");
    assert_eq!(
        app["keyCredentials"].as_array().map(Vec::len),
        Some(1),
        "{app}"
    );
}

/// `apply --parallelism N` sets how many changes run at once: one at a time converges the same
/// way, and a value outside 1..=64 is refused (exit 1) before any request.
#[test]
fn apply_parallelism_is_a_flag_with_bounds() {
    let tenant = TestTenant::new();
    let path = tenant.write("registrar.yaml", &manifest(&tenant));
    let refused = tenant.run(&["apply", "--auto-approve", "--parallelism", "0", &path]);
    refused.expect_code(1);
    assert!(
        refused.all_output().contains("--parallelism"),
        "{}",
        refused.all_output()
    );
    assert!(
        tenant.emulator.request_counts().is_empty(),
        "{:?}",
        tenant.emulator.request_counts()
    );
    let one_at_a_time = tenant.run(&["apply", "--auto-approve", "--parallelism", "1", &path]);
    one_at_a_time.expect_code(0);
    tenant.assert_converged(&path);
}
