//! Convergence as a property, end to end: for generated manifests A and B, applying A to an
//! empty local tenant and then B over it leaves a tenant whose plan is "No changes." after
//! each apply. This runs the real manifest loader, Graph and Key Vault clients, planner and
//! executor against the emulator over HTTPS (in-process, to keep each case fast).

use proptest::prelude::*;
use registrar_apply::azure::AzureTenant;
use registrar_apply::{ApplyError, ApplyOptions, Reporter};
use registrar_azure::{AzureConfig, Clients, CredentialKind, Endpoints, SecretValue};
use registrar_emulator::{Emulator, EmulatorConfig};
use registrar_plan::{PlanOptions, ResourceChange};

const KEYS: [&str; 3] = ["api", "web", "cli"];
const OWNERS: [&str; 3] = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"];

fn bit(seed: u64, n: u32) -> bool {
    (seed >> n) & 1 == 1
}

/// A manifest: one seed per possible application decides which settings it declares.
fn manifest(seeds: &[u64; 3], secrets_dir: &str) -> String {
    let mut text = String::from("version: 1\nnamespace: prop\napplications:\n");
    for (index, key) in KEYS.iter().enumerate() {
        let seed = seeds[index];
        if !bit(seed, 0) {
            continue;
        }
        text.push_str(&format!("  {key}:\n"));
        if bit(seed, 1) {
            text.push_str(&format!("    displayName: {key} v{}\n", seed % 3));
        }
        if bit(seed, 2) {
            text.push_str("    notes: |\n      first line\n");
            if bit(seed, 3) {
                text.push_str("      second line\n");
            }
        }
        if bit(seed, 4) {
            text.push_str("    identifierUris:\n      - api://{appId}\n");
        }
        if bit(seed, 5) {
            text.push_str("    tags: [team:prop");
            if bit(seed, 6) {
                text.push_str(", tier:gold");
            }
            text.push_str("]\n");
        }
        let owners: Vec<&str> = OWNERS
            .iter()
            .enumerate()
            .filter(|(n, _)| bit(seed, 7 + *n as u32))
            .map(|(_, o)| *o)
            .collect();
        if !owners.is_empty() {
            text.push_str(&format!("    owners: [{}]\n", owners.join(", ")));
        }
        if bit(seed, 10) {
            text.push_str(&format!(
                "    web:\n      redirectUris: [https://{key}.contoso.com/a"
            ));
            if bit(seed, 11) {
                text.push_str(&format!(", https://{key}.contoso.com/b"));
            }
            text.push_str("]\n");
            if bit(seed, 12) {
                text.push_str("      implicitGrant: { idTokens: true }\n");
            }
        }
        if bit(seed, 13) {
            text.push_str("    publicClient:\n      redirectUris: [http://localhost]\n    allowPublicClientFlows: true\n");
        }
        if bit(seed, 14) {
            text.push_str("    groupMembershipClaims: SecurityGroup\n");
        }
        let scopes = ["Data.Read", "Data.Write"];
        let declared: Vec<&str> = scopes
            .iter()
            .enumerate()
            .filter(|(n, _)| bit(seed, 15 + *n as u32))
            .map(|(_, s)| *s)
            .collect();
        if !declared.is_empty() {
            text.push_str("    api:\n      scopes:\n");
            for scope in &declared {
                text.push_str(&format!(
                    "        {scope}:\n          type: User\n          adminConsentDisplayName: {scope} v{}\n          adminConsentDescription: Allows {scope}.\n",
                    seed % 2
                ));
            }
        }
        if bit(seed, 17) {
            text.push_str(
                "    appRoles:\n      Things.All:\n        allowedMemberTypes: [Application]\n",
            );
        }
        if bit(seed, 18) {
            text.push_str("    requiredResourceAccess:\n      - resource: Microsoft Graph\n        scopes: [User.Read]\n");
            if bit(seed, 19) {
                text.push_str("        roles: [Directory.Read.All]\n");
            }
            // Consent needs this application's service principal (bit 24 turns it off).
            if bit(seed, 26) && !bit(seed, 24) {
                text.push_str("        adminConsent: true\n");
            }
            // A permission on another application of this manifest, when it exposes a scope,
            // with consent when both have service principals.
            if index > 0 && bit(seeds[0], 0) && bit(seeds[0], 15) && bit(seed, 20) {
                text.push_str("      - resource: api\n        scopes: [Data.Read]\n");
                if bit(seed, 27) && !bit(seed, 24) && !bit(seeds[0], 24) {
                    text.push_str("        adminConsent: true\n");
                }
            }
        }
        if bit(seed, 21) {
            text.push_str(&format!(
                "    secrets:\n      s1:\n        store:\n          file: {{ path: {secrets_dir}/{key}.json }}\n"
            ));
        }
        if bit(seed, 22) {
            text.push_str(&format!(
                "    federatedCredentials:\n      gh:\n        issuer: https://token.actions.githubusercontent.com\n        subject: repo:contoso/{key}:ref:refs/heads/{}\n",
                if bit(seed, 23) { "main" } else { "dev" }
            ));
        }
        // Role assignments need the service principal (bit 24 turns it off).
        if bit(seed, 28) && !bit(seed, 24) {
            text.push_str("    roleAssignments:\n");
            text.push_str(&format!(
                "      - role: {}\n        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-{key}\n",
                if bit(seed, 29) { "Reader" } else { "Monitoring Reader" }
            ));
            if bit(seed, 30) {
                text.push_str("      - role: Contributor\n        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e\n");
            }
        }
        if bit(seed, 24) {
            text.push_str("    servicePrincipal: false\n");
        } else if bit(seed, 25) {
            text.push_str("    servicePrincipal:\n      appRoleAssignmentRequired: true\n      tags: [HideApp]\n");
        }
    }
    text
}

struct Silent;

impl Reporter for Silent {
    fn started(&self, _change: &ResourceChange) {}
    fn succeeded(&self, _change: &ResourceChange, _elapsed: std::time::Duration) {}
    fn failed(&self, _change: &ResourceChange, _error: &ApplyError) {}
    fn skipped(&self, _change: &ResourceChange, _because_of: &str) {}
}

/// Applies `text` and returns the plan text of the run after it, or a description of what went
/// wrong.
async fn apply_then_plan(
    clients: &Clients,
    dir: &std::path::Path,
    text: &str,
) -> Result<(), String> {
    let env = |_: &str| None;
    let loaded = registrar_manifest::load_str(&dir.join("apps.yaml"), text, &env)
        .map_err(|diagnostics| format!("manifest rejected:\n{diagnostics}\n{text}"))?;
    let now = time::OffsetDateTime::now_utc();
    let live = registrar_azure::read_live_tenant(clients, &loaded.desired)
        .await
        .map_err(|e| e.to_string())?;
    let plan = registrar_plan::plan(&loaded.desired, &live, now, &PlanOptions { prune: true })
        .map_err(|errors| format!("{errors}\n{text}"))?;
    let tenant = AzureTenant::new(
        clients.clone(),
        registrar_emulator::well_known_tenant().tenant_id,
    );
    let report = registrar_apply::apply(&plan, &tenant, &Silent, &ApplyOptions::default()).await;
    if !report.is_success() {
        let failures: Vec<String> = report
            .failures()
            .map(|(address, error)| format!("{address}: {error:?}"))
            .collect();
        return Err(format!("apply failed: {failures:#?}\n{text}"));
    }
    let live = registrar_azure::read_live_tenant(clients, &loaded.desired)
        .await
        .map_err(|e| e.to_string())?;
    let again = registrar_plan::plan(&loaded.desired, &live, now, &PlanOptions { prune: true })
        .map_err(|errors| errors.to_string())?;
    if again.has_changes() {
        let mut rendered = Vec::new();
        registrar_plan::render::text(
            &again,
            &registrar_plan::render::TextOptions { color: false },
            &mut rendered,
        )
        .unwrap();
        return Err(format!(
            "not converged:\n{}\nmanifest:\n{text}",
            String::from_utf8_lossy(&rendered)
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_plan_converges(first in any::<[u64; 3]>(), second in any::<[u64; 3]>()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Relative to the manifest (`dir/apps.yaml`), which a file store may not leave.
        let secrets_dir = "secrets";
        let result = runtime.block_on(async {
            let emulator = Emulator::new(EmulatorConfig::default()).unwrap();
            let running = emulator.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
            let tenant = registrar_emulator::well_known_tenant();
            let endpoints = Endpoints::local(running.base_url.as_str())
                .with_extra_ca_pem(running.ca_certificate_pem.clone().into_bytes());
            let credential = CredentialKind::ClientSecret {
                tenant_id: tenant.tenant_id,
                client_id: tenant.client_id,
                secret: SecretValue::new(tenant.client_secret),
            };
            let clients = Clients::new(AzureConfig::new(endpoints, credential)).unwrap();
            let outcome = async {
                apply_then_plan(&clients, dir.path(), &manifest(&first, secrets_dir)).await?;
                apply_then_plan(&clients, dir.path(), &manifest(&second, secrets_dir)).await
            }
            .await;
            running.shutdown().await;
            outcome
        });
        if let Err(message) = result {
            prop_assert!(false, "{}", message);
        }
    }
}
