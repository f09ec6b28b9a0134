//! The wording of findings and the output formats: [`text`] (for `registrar lint`), [`json()`]
//! (a versioned document), [`sarif`] (SARIF 2.1.0, for GitHub code scanning), and the section
//! atop a plan, [`plan_text`] and [`plan_markdown`]. All wording of lint lives here.

use serde_json::{Value, json};
use time::Duration;

use crate::finding::{
    Credential, Detail, Finding, LintReport, Platform, ScopeBreadth, SuppressionProblem, Workload,
};
use crate::rules::{Rule, Severity};

/// The `format` of the JSON document.
pub const JSON_FORMAT: &str = "registrar-lint";

/// The version of the JSON document; a change that breaks a reader raises it.
pub const JSON_VERSION: u32 = 1;

/// What the SARIF document says about the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifOptions {
    /// The tool's version (`registrar --version`).
    pub version: String,
}

/// The one-line message of a finding: lower-case, literals in backticks, no final period.
pub fn message(finding: &Finding) -> String {
    let app = &finding.application;
    match &finding.detail {
        Detail::InvalidSuppression(problem) => match problem {
            SuppressionProblem::NoRule => "`# registrar:allow` names no rule".to_owned(),
            SuppressionProblem::UnknownRule(name) => {
                format!("`# registrar:allow` names `{name}`, which is not a rule")
            }
            SuppressionProblem::NoReason => {
                "`# registrar:allow` gives no reason; write one after the rule".to_owned()
            }
        },
        Detail::ImplicitGrant {
            access_tokens,
            id_tokens,
        } => {
            let tokens = match (access_tokens, id_tokens) {
                (true, true) => "access tokens and ID tokens",
                (true, false) => "access tokens",
                _ => "ID tokens",
            };
            format!("application `{app}` issues {tokens} by implicit grant")
        }
        Detail::RedirectUriWildcard { platform, uri } => format!(
            "{} `{uri}` of `{app}` has a wildcard",
            platform_label(*platform)
        ),
        Detail::RedirectUriHttp { platform, uri } => format!(
            "{} `{uri}` of `{app}` uses `http` to a host other than the loopback",
            platform_label(*platform)
        ),
        Detail::RedirectUriUrn { platform, uri } => format!(
            "{} `{uri}` of `{app}` is a URN (out-of-band)",
            platform_label(*platform)
        ),
        Detail::RedirectUriCount { count, limit } => {
            format!("application `{app}` declares {count} redirect URIs, more than {limit}")
        }
        Detail::IdentifierUri {
            uri,
            verified_domains,
        } => {
            if verified_domains.is_empty() {
                format!(
                    "identifier URI `{uri}` of `{app}` is not `api://{{appId}}`, and its domain cannot be checked offline: the manifest's `tenant:` names no domain"
                )
            } else {
                format!(
                    "identifier URI `{uri}` of `{app}` is neither `api://{{appId}}` nor on a verified domain ({})",
                    verified_domains
                        .iter()
                        .map(|domain| format!("`{domain}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
        Detail::SecretWhereFederationWorks {
            secret,
            federated_credential,
            workload,
        } => format!(
            "secret `{secret}` of `{app}`: its federated credential `{federated_credential}` already trusts {}",
            match workload {
                Workload::GitHub => "a GitHub Actions workflow",
                Workload::Kubernetes => "a Kubernetes service account",
            }
        ),
        Detail::PublicClientCredential { credential, name } => format!(
            "public client `{app}` has a {} `{name}`",
            match credential {
                Credential::Secret => "client secret",
                Credential::Certificate => "certificate",
            }
        ),
        Detail::SecretLifetime {
            secret,
            lifetime,
            limit,
        } => format!(
            "secret `{secret}` of `{app}` lives {}, longer than {}",
            duration(*lifetime),
            duration(*limit)
        ),
        Detail::TooManySecrets { count } => {
            format!("application `{app}` declares {count} client secrets, more than two")
        }
        Detail::TooFewOwners { count } => match count {
            0 => format!("application `{app}` has no owner"),
            _ => format!("application `{app}` has only one owner"),
        },
        Detail::PrivilegedApplicationPermission {
            resource,
            permission,
            tier,
        } => format!(
            "application `{app}` requests `{permission}` on {resource}, an application permission of the {} privilege tier",
            tier.as_str()
        ),
        Detail::ApplicationPermissionWithDelegated {
            resource,
            permission,
        } => format!(
            "application `{app}` signs users in but is granted the application permission `{permission}` on {resource}; the delegated `{permission}` exists"
        ),
        Detail::PrivilegedRoleAssignment {
            role,
            scope,
            breadth,
        } => format!(
            "application `{app}` is assigned {role} at {} scope `{scope}`",
            match breadth {
                ScopeBreadth::Subscription => "subscription",
                ScopeBreadth::ManagementGroup => "management group",
                ScopeBreadth::Root => "root",
            }
        ),
        Detail::MultiTenantWithoutPublisherDomain { audience } => format!(
            "application `{app}` is multi-tenant (`{audience}`) but the manifest's `tenant:` names no custom domain to verify it as publisher"
        ),
    }
}

fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "web redirect URI",
        Platform::Spa => "single-page application redirect URI",
        Platform::PublicClient => "public client redirect URI",
    }
}

/// `180d`, `36h`, `90m`: the largest whole unit, as manifests write durations.
fn duration(value: Duration) -> String {
    let seconds = value.whole_seconds();
    if seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3_600 == 0 {
        format!("{}h", seconds / 3_600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// `error`, `warning` or `suppressed`, as a finding's lines start.
fn label(finding: &Finding) -> &'static str {
    if finding.is_suppressed() {
        "suppressed"
    } else {
        finding.severity.as_str()
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// `1 error, 2 warnings, 1 suppressed`, or `no findings`.
pub fn summary(report: &LintReport) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let suppressed = report.suppressed().count();
    if errors + warnings + suppressed == 0 {
        return "no findings".to_owned();
    }
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error", "errors"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning", "warnings"));
    }
    if suppressed > 0 {
        parts.push(format!("{suppressed} suppressed"));
    }
    parts.join(", ")
}

/// The report as `registrar lint` prints it: each finding with its why and link, then a summary.
pub fn text(report: &LintReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        out.push_str(&format!(
            "{}[{}]: {}: {}\n",
            label(finding),
            finding.rule,
            finding.origin,
            message(finding)
        ));
        match &finding.suppression {
            Some(suppression) => out.push_str(&format!(
                "  = allowed at {}: {}\n",
                suppression.origin, suppression.reason
            )),
            None => {
                out.push_str(&format!("  = why: {}\n", finding.rule.why()));
                out.push_str(&format!("  = see: {}\n", finding.rule.help_uri()));
            }
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "{} in {}\n",
        summary(report),
        plural(report.files, "file", "files")
    ));
    out
}

/// The section atop a text plan; empty when there are no findings.
pub fn plan_text(report: &LintReport) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "Lint: {} (`registrar lint` explains each)\n",
        summary(report)
    );
    for finding in &report.findings {
        out.push_str(&format!(
            "  {}[{}] {}: {}\n",
            label(finding),
            finding.rule,
            finding.origin,
            message(finding)
        ));
        if let Some(suppression) = &finding.suppression {
            out.push_str(&format!("    allowed: {}\n", suppression.reason));
        }
    }
    out.push('\n');
    out
}

/// The section atop a markdown plan; empty when there are no findings.
pub fn plan_markdown(report: &LintReport) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    let mut out = format!("**Lint:** {}\n\n", summary(report));
    for finding in &report.findings {
        let rule = finding.rule;
        let mut item = format!(
            "- {} [`{}` {}]({}) `{}`: {}",
            if finding.is_suppressed() {
                "suppressed".to_owned()
            } else {
                format!("**{}**", finding.severity)
            },
            rule.id(),
            rule.name(),
            rule.help_uri(),
            finding.origin,
            message(finding)
        );
        if let Some(suppression) = &finding.suppression {
            item.push_str(&format!(" (allowed: {})", suppression.reason));
        }
        out.push_str(&item);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The versioned JSON document (`docs/lint.md`).
pub fn json(report: &LintReport) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            json!({
                "rule": finding.rule.id(),
                "name": finding.rule.name(),
                "severity": finding.severity,
                "file": finding.origin.file,
                "line": finding.origin.line,
                "column": finding.origin.column,
                "application": finding.application,
                "message": message(finding),
                "why": finding.rule.why(),
                "help": finding.rule.help_uri(),
                "suppressed": finding.suppression.as_ref().map(|suppression| json!({
                    "reason": suppression.reason,
                    "file": suppression.origin.file,
                    "line": suppression.origin.line,
                    "column": suppression.origin.column,
                })),
            })
        })
        .collect();
    json!({
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "suppressed": report.suppressed().count(),
            "files": report.files,
        },
        "findings": findings,
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file as a SARIF artifact URI: relative paths stay relative (GitHub resolves them against
/// the repository root), with forward slashes; absolute ones become `file://` URIs.
fn artifact_uri(file: &str) -> String {
    let slashed = file.replace('\\', "/");
    let relative = slashed.strip_prefix("./").unwrap_or(&slashed);
    if relative.starts_with('/') {
        format!("file://{relative}")
    } else {
        relative.to_owned()
    }
}

/// The report as a SARIF 2.1.0 log with one run, every rule described and every finding a
/// result (suppressed ones with an `inSource` suppression and their reason).
pub fn sarif(report: &LintReport, options: &SarifOptions) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id(),
                "name": rule.name(),
                "shortDescription": { "text": rule.name() },
                "fullDescription": { "text": rule.why() },
                "helpUri": rule.help_uri(),
                "help": { "text": format!("{} (see {})", rule.why(), rule.help_uri()) },
                "defaultConfiguration": { "level": sarif_level(rule.default_severity()) },
                "properties": {
                    "tags": ["security"],
                    "security-severity": match rule.default_severity() {
                        Severity::Error => "8.0",
                        Severity::Warning => "5.0",
                    },
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let rule_index = Rule::ALL
                .iter()
                .position(|rule| *rule == finding.rule)
                .unwrap_or_default();
            let mut result = json!({
                "ruleId": finding.rule.id(),
                "ruleIndex": rule_index,
                "level": sarif_level(finding.severity),
                "message": { "text": message(finding) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&finding.origin.file) },
                        "region": {
                            "startLine": finding.origin.line.max(1),
                            "startColumn": finding.origin.column.max(1),
                        },
                    },
                }],
            });
            if let (Some(suppression), Some(object)) =
                (&finding.suppression, result.as_object_mut())
            {
                object.insert(
                    "suppressions".to_owned(),
                    json!([{ "kind": "inSource", "justification": suppression.reason }]),
                );
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "registrar",
                    "semanticVersion": options.version,
                    "informationUri": "https://learn.microsoft.com/entra/identity-platform/security-best-practices-for-app-registration",
                    "rules": rules,
                },
            },
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_manifests() {
        assert_eq!(duration(Duration::days(180)), "180d");
        assert_eq!(duration(Duration::hours(36)), "36h");
        assert_eq!(duration(Duration::minutes(90)), "90m");
    }

    #[test]
    fn artifact_uris_are_relative_with_forward_slashes() {
        assert_eq!(
            artifact_uri("./examples\\ci/manifest.yaml"),
            "examples/ci/manifest.yaml"
        );
        assert_eq!(artifact_uri("/tmp/m.yaml"), "file:///tmp/m.yaml");
    }
}
