//! An application pruned and then declared again is restored from deleted items with what it
//! had (its client secrets and certificates come back too): one apply converges.

use serde_json::Value;

use crate::harness::TestTenant;

const WITH_SECRET: &str = "\
version: 1
namespace: rest
applications:
  keep:
    displayName: Kept
  api:
    displayName: Restored API
    secrets:
      ci:
        lifetime: 180d
        rotateBefore: 30d
        store:
          keyVault: { vault: kv-it, name: api-ci }
";

const WITHOUT_API: &str = "\
version: 1
namespace: rest
applications:
  keep:
    displayName: Kept
";

fn key_ids(application: &Value) -> Vec<String> {
    application["passwordCredentials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|credential| credential["keyId"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn pruned_then_declared_again_is_restored_and_converges_in_one_apply() {
    let tenant = TestTenant::new();
    let with_secret = tenant.write("apps.yaml", WITH_SECRET);
    tenant.apply(&with_secret);
    let first = key_ids(&tenant.application("rest.api"));
    assert_eq!(first.len(), 1);

    let without = tenant.write("apps.yaml", WITHOUT_API);
    tenant
        .run(&["apply", "--auto-approve", "--prune", &without])
        .expect_code(0);
    assert_eq!(
        tenant
            .graph("GET", "/applications(uniqueName='rest.api')", None)
            .0,
        404
    );

    // Declared again: restored with its old secret, whose value Key Vault still holds, so
    // the secret is kept rather than added again.
    let with_secret = tenant.write("apps.yaml", WITH_SECRET);
    let plan = tenant.plan(&with_secret);
    plan.expect_code(2);
    assert!(plan.stdout.contains("restored"), "{}", plan.stdout);
    assert!(
        !plan.stdout.contains("secret.ci will be created"),
        "{}",
        plan.stdout
    );
    let apply = tenant.apply(&with_secret);
    let plan = tenant.run(&["plan", "--detailed-exitcode", &with_secret]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert_eq!(key_ids(&tenant.application("rest.api")), first);
    // The kept value is never shown by the restore's plan or apply.
    let stored = tenant.emulator.vault_secret("kv-it", "api-ci").unwrap();
    for output in [apply.all_output(), plan.all_output()] {
        assert!(!output.contains(&stored.value), "secret value leaked");
    }
}

#[test]
fn restored_secret_whose_store_lost_it_is_replaced_in_the_same_apply() {
    let tenant = TestTenant::new();
    let with_secret = tenant.write("apps.yaml", WITH_SECRET);
    tenant.apply(&with_secret);
    let first = key_ids(&tenant.application("rest.api"));
    let without = tenant.write("apps.yaml", WITHOUT_API);
    tenant
        .run(&["apply", "--auto-approve", "--prune", &without])
        .expect_code(0);
    // Someone overwrote the vault secret meanwhile: the restored credential's value is gone.
    tenant.put_vault_secret("kv-it", "api-ci", "someone pasted another value here");

    let with_secret = tenant.write("apps.yaml", WITH_SECRET);
    tenant.apply(&with_secret);
    let plan = tenant.run(&["plan", "--detailed-exitcode", &with_secret]);
    plan.expect_code(0);
    let now = key_ids(&tenant.application("rest.api"));
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, first, "the restored credential was replaced");
}
