//! `registrar import` round trips: what Registrar applied, and an application made directly
//! through Graph, import into a manifest whose plan is "No changes." apart from the client
//! secrets (their values cannot be read back, so their entries are commented out until a store
//! is filled in).

use std::path::Path;

use serde_json::json;

use crate::harness::{TestTenant, workspace_root};

/// The subscription the examples' role assignments lie in.
const SUBSCRIPTION: &str = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";

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

/// The `namespace:` of a manifest file.
fn namespace_of(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("namespace:"))
        .map(|rest| rest.split('#').next().unwrap_or_default().trim().to_owned())
        .expect("a namespace line")
}

/// The addresses the text plan lists as changing (`# <address> will be ...` lines).
fn changed_addresses(plan: &str) -> Vec<String> {
    plan.lines()
        .filter_map(|line| line.trim_start().strip_prefix("# "))
        .filter(|line| line.contains(" will be ") || line.contains(" must be "))
        .map(|line| line.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

/// Applies `relative_dir/manifest`, imports its namespace by tag into `imported/`, and checks
/// that plan on the import changes nothing but (undeclared) client secrets.
fn apply_import_plan(tenant: &TestTenant, relative_dir: &str, manifest: &str) {
    copy_dir(
        &workspace_root().join(relative_dir),
        &tenant.dir.path().join(relative_dir),
    );
    let manifest = format!("{relative_dir}/{manifest}");
    tenant.apply(&manifest);
    let namespace = namespace_of(&tenant.dir.path().join(&manifest));
    let out = format!("imported-{}", relative_dir.replace('/', "-"));
    let import = tenant.run(&[
        "import",
        "--tag",
        &format!("registrar:{namespace}"),
        "--scope",
        SUBSCRIPTION,
        "-o",
        &out,
    ]);
    import.expect_code(0);
    let plan = tenant.plan(&out);
    let changes = changed_addresses(&plan.stdout);
    let not_secrets: Vec<&String> = changes
        .iter()
        .filter(|address| !address.contains(".secret.") && !address.contains(".secret["))
        .collect();
    assert!(
        not_secrets.is_empty() && (plan.stdout.contains("No changes.") || !changes.is_empty()),
        "{manifest}: the plan on the import changes more than secrets: {not_secrets:?}\n{}\n{}",
        plan.all_output(),
        std::fs::read_dir(tenant.dir.path().join(&out))
            .unwrap()
            .flatten()
            .filter(|entry| entry.path().is_file())
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn quickstart_imports_back_to_no_changes() {
    let tenant = TestTenant::new();
    apply_import_plan(&tenant, "manifests", "quickstart.yaml");
}

#[test]
fn examples_import_back_to_no_changes() {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().join("manifest.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5);
    for name in names {
        let tenant = TestTenant::new();
        apply_import_plan(&tenant, &format!("examples/{name}"), "manifest.yaml");
    }
}
