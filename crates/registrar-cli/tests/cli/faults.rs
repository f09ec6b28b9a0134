//! Convergence after every fault, end to end: the real binary applies manifests with every kind
//! of object (settings, redirect URIs, owners, service principal, Key Vault secret, certificate,
//! federated credential, Graph permission with admin consent, role assignment) while the local
//! tenant throttles, fails, drops connections (before and after committing) and holds requests
//! past the client's timeout, or while the apply process is killed after its k-th change.
//! Afterwards the tenant must converge (plan "No changes.") and hold no duplicate and no
//! credential whose value never reached its store. The figures are printed to stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use registrar_emulator::{EmulatorConfig, Faults, InjectedFaults};
use serde_json::Value;

use crate::harness::{TestTenant, binary};

const NAMESPACE: &str = "faults";
const SUBSCRIPTION: &str = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
const VAULT: &str = "kv-faults";
/// The tag Registrar records the credential's keyId in, on every Key Vault secret it writes.
const KEY_ID_TAG: &str = "registrar-key-id";
/// How long the emulator holds a timed-out request: longer than the client's 1 s timeout in
/// [`FAST`], so the client gives up first.
const TIMEOUT_HOLD_MS: u64 = 1_500;

/// Retries without sleeping, and a request timeout of 1 s: for the apply under faults.
const FAST: [(&str, &str); 2] = [
    ("REGISTRAR_TEST_NO_RETRY_DELAY", "1"),
    ("REGISTRAR_TEST_REQUEST_TIMEOUT_MS", "1000"),
];

/// Retries without sleeping, the default request timeout: for runs without injected timeouts
/// (a busy CI machine must not turn a slow answer into a failure there).
const NO_DELAY: [(&str, &str); 1] = [("REGISTRAR_TEST_NO_RETRY_DELAY", "1")];

fn certificate_pem(name: &str) -> String {
    rcgen::generate_simple_self_signed(vec![format!("{name}.contoso.com")])
        .unwrap()
        .cert
        .pem()
}

/// `count` applications, each with every kind of object; writes their certificates.
fn manifest(tenant: &TestTenant, count: usize) -> String {
    let mut text = format!("version: 1\nnamespace: {NAMESPACE}\napplications:\n");
    for index in 0..count {
        let key = format!("app{index:02}");
        tenant.write(&format!("certs/{key}.pem"), &certificate_pem(&key));
        let owners = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"];
        // A plain literal (no `\` line continuation), so the YAML indentation is kept.
        text.push_str(&format!(
            "  {key}:
    displayName: Fault test {key}
    notes: Applied under injected faults.
    tags: [team:faults]
    owners: [{first}, {second}]
    web:
      redirectUris: [https://{key}.contoso.com/auth, https://{key}.contoso.com/callback]
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [Directory.Read.All]
        scopes: [User.Read]
        adminConsent: true
    secrets:
      ci:
        store:
          keyVault: {{ vault: {VAULT}, name: {key}-ci }}
    certificates:
      signing: {{ file: certs/{key}.pem }}
    federatedCredentials:
      gh:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/{key}:ref:refs/heads/main
    roleAssignments:
      - role: Reader
        scope: /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-{key}
    servicePrincipal:
      appRoleAssignmentRequired: true
",
            first = owners[index % 3],
            second = owners[(index + 1) % 3],
        ));
    }
    text
}

/// What the tenant holds that it should not: duplicates and credentials without a stored value.
#[derive(Debug, Default)]
struct Audit {
    applications: usize,
    duplicates: Vec<String>,
    undelivered: Vec<String>,
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

/// Counts, in the emulator's state, the managed applications, any object that exists more than
/// once, and every password credential of a managed application whose keyId no Key Vault
/// secret version records.
fn audit(tenant: &TestTenant) -> Audit {
    let state = tenant.emulator.state_json();
    let mut audit = Audit::default();
    let mut duplicates = Vec::new();
    let mut by_unique_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut managed_app_ids = BTreeSet::new();
    let mut key_ids = Vec::new();
    let prefix = format!("{NAMESPACE}.");
    for record in state["applications"].as_object().unwrap().values() {
        let app = &record["object"];
        let unique_name = str_of(app, "uniqueName");
        if !unique_name.starts_with(&prefix) {
            continue;
        }
        *by_unique_name.entry(unique_name.to_owned()).or_default() += 1;
        managed_app_ids.insert(str_of(app, "appId").to_owned());
        let passwords = app["passwordCredentials"].as_array().unwrap();
        if passwords.len() > 1 {
            duplicates.push(format!(
                "{unique_name}: {} password credentials",
                passwords.len()
            ));
        }
        for password in passwords {
            key_ids.push((unique_name.to_owned(), str_of(password, "keyId").to_owned()));
        }
        let certificates = app["keyCredentials"].as_array().map_or(0, Vec::len);
        if certificates > 1 {
            duplicates.push(format!("{unique_name}: {certificates} key credentials"));
        }
        let federated = record["federated_identity_credentials"]
            .as_array()
            .map_or(0, Vec::len);
        if federated > 1 {
            duplicates.push(format!("{unique_name}: {federated} federated credentials"));
        }
    }
    audit.applications = by_unique_name.len();
    for (name, count) in &by_unique_name {
        if *count > 1 {
            duplicates.push(format!("application {name} ×{count}"));
        }
    }
    let mut by_app_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut managed_principals = BTreeSet::new();
    for record in state["service_principals"].as_object().unwrap().values() {
        let sp = &record["object"];
        let app_id = str_of(sp, "appId");
        if managed_app_ids.contains(app_id) {
            *by_app_id.entry(app_id.to_owned()).or_default() += 1;
            managed_principals.insert(str_of(sp, "id").to_owned());
        }
    }
    for (app_id, count) in &by_app_id {
        if *count > 1 {
            duplicates.push(format!("service principal of {app_id} ×{count}"));
        }
    }
    let mut grouped: BTreeMap<String, usize> = BTreeMap::new();
    for record in state["app_role_assignments"].as_object().unwrap().values() {
        let assignment = &record["object"];
        if managed_principals.contains(str_of(assignment, "principalId")) {
            let key = format!(
                "app role assignment {} {} {}",
                str_of(assignment, "principalId"),
                str_of(assignment, "resourceId"),
                str_of(assignment, "appRoleId")
            );
            *grouped.entry(key).or_default() += 1;
        }
    }
    for record in state["oauth2_permission_grants"]
        .as_object()
        .unwrap()
        .values()
    {
        let grant = &record["object"];
        if managed_principals.contains(str_of(grant, "clientId")) {
            let key = format!(
                "delegated grant {} {}",
                str_of(grant, "clientId"),
                str_of(grant, "resourceId")
            );
            *grouped.entry(key).or_default() += 1;
        }
    }
    for assignment in state["role_assignments"].as_object().unwrap().values() {
        if managed_principals.contains(str_of(assignment, "principal_id")) {
            let key = format!(
                "role assignment {} {} {}",
                str_of(assignment, "principal_id"),
                str_of(assignment, "role_definition"),
                str_of(assignment, "scope").to_ascii_lowercase()
            );
            *grouped.entry(key).or_default() += 1;
        }
    }
    for (what, count) in grouped {
        if count > 1 {
            duplicates.push(format!("{what} ×{count}"));
        }
    }
    let mut stored = BTreeSet::new();
    for vault in state["vaults"].as_object().unwrap().values() {
        for secret in vault["secrets"].as_object().unwrap().values() {
            for version in secret["versions"].as_array().unwrap() {
                if let Some(key_id) = version["tags"][KEY_ID_TAG].as_str() {
                    stored.insert(key_id.to_owned());
                }
            }
        }
    }
    for (unique_name, key_id) in key_ids {
        if !stored.contains(&key_id) {
            audit
                .undelivered
                .push(format!("{unique_name}: credential {key_id}"));
        }
    }
    audit.duplicates = duplicates;
    audit
}

/// Plans without faults; applies once more if needed. Returns the applies it took (0 or 1)
/// and panics unless the tenant then converges.
fn converge(tenant: &TestTenant, manifest: &str) -> usize {
    let plan = tenant.run_with_env(&["plan", "--detailed-exitcode", manifest], &NO_DELAY);
    if plan.code == 0 && plan.stdout.contains("No changes.") {
        return 0;
    }
    plan.expect_code(2);
    tenant
        .run_with_env(&["apply", "--auto-approve", manifest], &NO_DELAY)
        .expect_code(0);
    let again = tenant.run_with_env(&["plan", "--detailed-exitcode", manifest], &NO_DELAY);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    1
}

fn describe(injected: &InjectedFaults) -> String {
    format!(
        "{} (429: {}, 503: {}, reset before handling: {}, reset after committing: {}, timeouts: {})",
        injected.total(),
        injected.throttled,
        injected.unavailable,
        injected.reset_before,
        injected.reset_after,
        injected.timeout
    )
}

#[test]
fn fifty_applications_converge_after_faults() {
    let started = Instant::now();
    let tenant = TestTenant::with_config(EmulatorConfig {
        seed: 11,
        ..EmulatorConfig::default()
    });
    let manifest = tenant.write("apps.yaml", &manifest(&tenant, 50));
    // 10 % of API requests faulted: 2.5 % each of 429, 503, connection resets (half before
    // handling, half after committing) and timeouts.
    tenant.set_faults(Faults {
        throttle_rate: 0.025,
        unavailable_rate: 0.025,
        reset_before_rate: 0.0125,
        reset_after_rate: 0.0125,
        timeout_rate: 0.025,
        timeout_hold_ms: TIMEOUT_HOLD_MS,
        retry_after_seconds: 0.0,
        ..Faults::default()
    });
    let faulted = tenant.run_with_env(&["apply", "--auto-approve", &manifest], &FAST);
    assert!(
        faulted.code == 0 || faulted.code == 1,
        "{}",
        faulted.all_output()
    );
    let injected = tenant.emulator.injected_faults();
    let requests = tenant.emulator.request_count();
    tenant.set_faults(Faults::default());
    let more_applies = converge(&tenant, &manifest);
    let audit = audit(&tenant);
    eprintln!(
        "fault suite: 50 applications, seed 11, {requests} API requests and {} changes in the faulted apply, faults injected: {}; faulted apply exit {}; applies needed after it: {more_applies}; duplicates: {}; undelivered credentials: {}; {:.1} s",
        injected.mutations,
        describe(&injected),
        faulted.code,
        audit.duplicates.len(),
        audit.undelivered.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(audit.applications, 50);
    assert!(injected.total() > 0, "no fault was injected");
    assert!(
        injected.reset_after > 0 && injected.timeout > 0,
        "{injected:?}"
    );
    assert_eq!(audit.duplicates, Vec::<String>::new());
    assert_eq!(audit.undelivered, Vec::<String>::new());
}

/// Runs `apply` and SIGKILLs it once the emulator holds after the `k`-th change. Returns
/// whether the kill happened (false: the apply finished with fewer changes).
fn apply_killed_after(tenant: &TestTenant, manifest: &str, k: u64) -> bool {
    tenant.emulator.reset_request_counts();
    tenant.set_faults(Faults {
        hold_after_mutations: Some(k),
        ..Faults::default()
    });
    let mut child = Command::new(binary())
        .args(["--local", "apply", "--auto-approve", manifest])
        .current_dir(tenant.dir.path())
        .env("REGISTRAR_LOCAL_URL", tenant.base_url())
        .env("REGISTRAR_LOCAL_CA", tenant.ca_path())
        .env("NO_COLOR", "1")
        .envs(NO_DELAY)
        .env_remove("RUST_LOG")
        .env_remove("REGISTRAR_NOW")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start registrar apply");
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed = loop {
        if tenant.emulator.injected_faults().holding {
            child.kill().expect("SIGKILL the apply");
            break true;
        }
        if child.try_wait().expect("poll the apply").is_some() {
            break false;
        }
        assert!(Instant::now() < deadline, "apply neither held nor finished");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.wait().expect("reap the apply");
    tenant.set_faults(Faults::default());
    killed
}

#[test]
fn apply_killed_after_every_change_converges_on_the_next_apply() {
    let started = Instant::now();
    // The number of changes a complete apply of the representative manifest makes.
    let mutations = {
        let tenant = TestTenant::new();
        let manifest = tenant.write("apps.yaml", &manifest(&tenant, 2));
        tenant
            .run_with_env(&["apply", "--auto-approve", &manifest], &NO_DELAY)
            .expect_code(0);
        tenant.emulator.injected_faults().mutations
    };
    assert!(mutations > 10, "{mutations} changes");
    let mut failures = Vec::new();
    let mut tried = 0;
    for k in 1..=mutations {
        let tenant = TestTenant::new();
        let manifest = tenant.write("apps.yaml", &manifest(&tenant, 2));
        if !apply_killed_after(&tenant, &manifest, k) {
            failures.push(format!(
                "k={k}: the apply finished before its {k}-th change"
            ));
            continue;
        }
        tried += 1;
        let again = tenant.run_with_env(&["apply", "--auto-approve", &manifest], &NO_DELAY);
        if again.code != 0 {
            failures.push(format!(
                "k={k}: the re-apply failed:\n{}",
                again.all_output()
            ));
            continue;
        }
        let plan = tenant.run_with_env(&["plan", "--detailed-exitcode", &manifest], &NO_DELAY);
        if plan.code != 0 {
            failures.push(format!("k={k}: not converged:\n{}", plan.all_output()));
        }
        let audit = audit(&tenant);
        for problem in audit.duplicates.iter().chain(&audit.undelivered) {
            failures.push(format!("k={k}: {problem}"));
        }
    }
    eprintln!(
        "kill test: 2 applications, {mutations} changes, kill points tried: {tried}, failures: {}; {:.1} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
