//! Every rule over small manifests: what it finds, where, and what it leaves alone; the text of
//! a report with every rule is an insta snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use registrar_lint::{LintOptions, LintReport, Rule, Severity, Source};

fn lint_with(yaml: &str, options: &LintOptions) -> LintReport {
    let loaded = registrar_manifest::load_str(Path::new("apps.yaml"), yaml, &|name| {
        (name == "LEGACY").then(|| "http://legacy.contoso.com/var".to_owned())
    })
    .unwrap_or_else(|errors| panic!("the manifest loads: {errors}"));
    let sources = [Source {
        file: "apps.yaml".to_owned(),
        text: yaml.to_owned(),
    }];
    registrar_lint::lint(&loaded.desired, &sources, options)
}

fn lint(yaml: &str) -> LintReport {
    lint_with(yaml, &LintOptions::default())
}

/// `(rule id, line, column, suppressed)` of each finding.
fn found(report: &LintReport) -> Vec<(&'static str, usize, usize, bool)> {
    report
        .findings
        .iter()
        .map(|finding| {
            (
                finding.rule.id(),
                finding.origin.line,
                finding.origin.column,
                finding.is_suppressed(),
            )
        })
        .collect()
}

const EVERY_RULE: &str = "\
version: 1
namespace: lint
tenant: contoso.com
defaults:
  secretLifetime: 365d
applications:
  legacy:
    owners: [alice@contoso.com]
    identifierUris:
      - api://{appId}
      - api://legacy
      - https://api.fabrikam.com/legacy
      - https://api.contoso.com/legacy
    web:
      redirectUris:
        - https://*.contoso.com/signin
        - http://localhost:5000/signin
      implicitGrant: { accessTokens: true, idTokens: true }
    publicClient:
      redirectUris:
        - urn:ietf:wg:oauth:2.0:oob
        - http://legacy.contoso.com/signin
        - ${var.LEGACY}
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles: [RoleManagement.ReadWrite.Directory, Mail.ReadWrite, User.Read.All]
        adminConsent: true
    roleAssignments:
      - role: Contributor
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e
      - role: Owner
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-legacy
  worker:
    owners: [alice@contoso.com, bob@contoso.com]
    allowPublicClientFlows: true
    secrets:
      one:
        store: { file: { path: one.json } }
      two:
        lifetime: 90d
        store: { file: { path: two.json } }
      three:
        lifetime: 90d
        store: { file: { path: three.json } }
    federatedCredentials:
      github:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/worker:ref:refs/heads/main
";

#[test]
fn every_rule_finds_what_it_is_about_where_it_is_written() {
    let report = lint(EVERY_RULE);
    insta::assert_snapshot!("every_rule", registrar_lint::render::text(&report));
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule.id()).collect();
    for id in [
        "RL001", "RL002", "RL003", "RL004", "RL006", "RL007", "RL008", "RL009", "RL010", "RL011",
        "RL012", "RL013", "RL014",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    // Loopback http, `api://{appId}`, a URI on the tenant's domain and an Owner below a
    // subscription are fine.
    let messages: Vec<String> = report
        .findings
        .iter()
        .map(registrar_lint::render::message)
        .collect();
    assert!(
        !messages.iter().any(|m| m.contains("localhost")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("api.contoso.com")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("URI `api://{appId}`")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("Owner")),
        "{messages:#?}"
    );
    // A value from a variable is shown as written, never as its value.
    assert!(
        messages.iter().any(|m| m.contains("`${var.LEGACY}`")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("contoso.com/var")),
        "{messages:#?}"
    );
}

#[test]
fn severities_follow_the_finding() {
    let report = lint(EVERY_RULE);
    let severity = |rule: Rule, needle: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule && registrar_lint::render::message(f).contains(needle))
            .map(|f| f.severity)
    };
    assert_eq!(
        severity(Rule::PrivilegedApplicationPermission, "RoleManagement"),
        Some(Severity::Error)
    );
    assert_eq!(
        severity(Rule::PrivilegedApplicationPermission, "Mail.ReadWrite"),
        Some(Severity::Warning)
    );
    assert_eq!(
        severity(Rule::ImplicitGrant, "access tokens"),
        Some(Severity::Error)
    );
    let id_tokens_only = EVERY_RULE.replace("accessTokens: true, ", "");
    let report = lint(&id_tokens_only);
    let implicit = report
        .findings
        .iter()
        .find(|f| f.rule == Rule::ImplicitGrant)
        .expect("implicit grant");
    assert_eq!(implicit.severity, Severity::Warning);
    assert_eq!((implicit.origin.line, implicit.origin.column), (18, 34));
}

#[test]
fn a_clean_manifest_has_no_findings() {
    let report = lint(
        "version: 1\nnamespace: clean\napplications:\n  api:\n    owners: [a@contoso.com, b@contoso.com]\n    identifierUris: [\"api://{appId}\"]\n    web:\n      redirectUris: [https://app.contoso.com/signin]\n    secrets:\n      ci:\n        lifetime: 90d\n        store: { file: { path: ci.json } }\n",
    );
    assert_eq!(found(&report), vec![]);
    assert!(!report.has_errors());
    assert_eq!(registrar_lint::render::summary(&report), "no findings");
}

#[test]
fn suppressions_cover_their_line_or_the_next_and_name_the_rule() {
    let yaml = "\
version: 1
namespace: allow
applications:
  api:
    # registrar:allow RL011 the platform team owns it through a group, not by name
    owners: [a@contoso.com]
    web:
      redirectUris: [https://app.contoso.com/signin]
      implicitGrant: { accessTokens: true } # registrar:allow implicit-grant legacy SPA, removed in 2027
    requiredResourceAccess:
      - resource: Microsoft Graph
        roles:
          - Directory.ReadWrite.All # registrar:allow RL001 names the wrong rule
";
    let report = lint(yaml);
    assert_eq!(
        found(&report),
        vec![
            ("RL011", 6, 5, true),
            ("RL001", 9, 38, true),
            ("RL012", 13, 13, false),
        ]
    );
    assert_eq!(
        report.findings[1]
            .suppression
            .as_ref()
            .map(|s| s.reason.as_str()),
        Some("legacy SPA, removed in 2027")
    );
    assert!(
        report.has_errors(),
        "the critical permission is not suppressed"
    );
    insta::assert_snapshot!("suppressions", registrar_lint::render::text(&report));
}

#[test]
fn a_refused_suppression_is_a_finding_and_suppresses_nothing() {
    let yaml = "version: 1\nnamespace: allow\napplications:\n  api:\n    owners: [a@contoso.com] # registrar:allow RL011\n";
    let report = lint(yaml);
    assert_eq!(
        found(&report),
        vec![("RL011", 5, 5, false), ("RL000", 5, 29, false)]
    );
}

#[test]
fn identifier_uris_without_declared_domains_flag_only_non_api_ones() {
    let yaml = "version: 1\nnamespace: ids\napplications:\n  api:\n    owners: [a@contoso.com, b@contoso.com]\n    identifierUris: [\"api://{appId}\", api://orders, https://orders.contoso.com]\n";
    let report = lint(yaml);
    assert_eq!(found(&report), vec![("RL006", 6, 53, false)]);
}

#[test]
fn multi_tenant_needs_a_custom_domain() {
    let app = "applications:\n  api:\n    owners: [a@contoso.com, b@contoso.com]\n    signInAudience: AzureADMultipleOrgs\n";
    let without = lint(&format!("version: 1\nnamespace: mt\n{app}"));
    assert_eq!(found(&without), vec![("RL015", 6, 21, false)]);
    let initial = lint(&format!(
        "version: 1\nnamespace: mt\ntenant: contoso.onmicrosoft.com\n{app}"
    ));
    assert_eq!(found(&initial), vec![("RL015", 7, 21, false)]);
    let custom = lint(&format!(
        "version: 1\nnamespace: mt\ntenant: contoso.com\n{app}"
    ));
    assert_eq!(found(&custom), vec![]);
}

#[test]
fn thresholds_are_options() {
    let yaml = "version: 1\nnamespace: t\napplications:\n  api:\n    owners: [a@contoso.com, b@contoso.com]\n    web:\n      redirectUris: [https://a.contoso.com/1, https://a.contoso.com/2, https://a.contoso.com/3]\n    secrets:\n      ci:\n        lifetime: 120d\n        store: { file: { path: ci.json } }\n";
    assert_eq!(found(&lint(yaml)), vec![]);
    let strict = LintOptions {
        max_secret_lifetime: time::Duration::days(90),
        max_redirect_uris: 2,
    };
    assert_eq!(
        found(&lint_with(yaml, &strict)),
        vec![("RL005", 7, 7, false), ("RL009", 10, 19, false)]
    );
}
