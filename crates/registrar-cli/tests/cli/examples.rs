//! Every example manifest and the quick start apply to an empty local tenant and converge, with
//! their secrets landing in the local Key Vault or their 0600 file and nowhere else.

use std::path::Path;

use crate::harness::{TestTenant, workspace_root};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Copies `relative_dir` of the repository into the tenant's scratch directory at the same
/// relative place (secret files land beside the copied manifest, inside the scratch directory), then
/// applies `manifest` and checks that the next plan is "No changes.".
fn apply_and_converge(tenant: &TestTenant, relative_dir: &str, manifest: &str) {
    copy_dir(
        &workspace_root().join(relative_dir),
        &tenant.dir.path().join(relative_dir),
    );
    let manifest = format!("{relative_dir}/{manifest}");
    let apply = tenant.apply(&manifest);
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    tenant.assert_converged(&manifest);
}

#[test]
fn examples_apply_and_converge() {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .flatten()
        // Manifest examples; `examples/policy/` holds policies, not a manifest.
        .filter(|entry| entry.path().join("manifest.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5);
    for name in names {
        let tenant = TestTenant::new();
        apply_and_converge(&tenant, &format!("examples/{name}"), "manifest.yaml");
    }
}

#[test]
fn example_secrets_land_in_key_vault_and_files_only() {
    let tenant = TestTenant::new();
    apply_and_converge(&tenant, "examples/monitoring-reader", "manifest.yaml");
    let stored = tenant
        .emulator
        .vault_secret("kv-monitoring", "monitoring-reader-secret")
        .expect("delivered to Key Vault");
    assert!(!stored.value.is_empty());

    let tenant = TestTenant::new();
    apply_and_converge(&tenant, "examples/data-pipeline", "manifest.yaml");
    let env_file = tenant
        .dir
        .path()
        .join("examples/data-pipeline/.registrar/secrets/data-pipeline.env");
    let contents = std::fs::read_to_string(&env_file).expect("env file written");
    assert!(contents.contains("AZURE_CLIENT_SECRET="), "{contents}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn quickstart_applies_and_converges() {
    let tenant = TestTenant::new();
    apply_and_converge(&tenant, "manifests", "quickstart.yaml");
    let secret = tenant
        .dir
        .path()
        .join("manifests/.registrar/secrets/hello-web.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(secret).expect("secret file")).unwrap();
    let app = tenant.application("quickstart.hello-web");
    assert_eq!(json["clientId"], app["appId"]);
    assert_eq!(json["keyId"], app["passwordCredentials"][0]["keyId"]);
}
