//! Security best practice for app registrations, checked offline over a loaded manifest:
//! `registrar lint`, and the findings atop every `plan`.
//!
//! The rules follow Microsoft's "security best practices for application properties" and the
//! Entra recommendations (implicit grant, redirect URIs, identifier URIs, credentials, owners,
//! privileged permissions and role assignments, publisher domain); each has a stable id, a
//! severity, a one-line why and a link (`docs/lint.md`). A finding is suppressed by a comment
//! next to the value it concerns, `# registrar:allow RULE reason`, read from the file's text
//! since the YAML parser drops comments; suppressed findings stay in the report, with the reason.
//!
//! # Brief overview
//! [`lint`] takes the [`DesiredState`] a load gave, the text of each manifest file
//! ([`Source`]) and [`LintOptions`], and returns a [`LintReport`] of [`Finding`]s, each with a
//! [`Rule`], a [`Severity`], the file:line:col of the value and a typed [`Detail`]. [`render`]
//! words them: text, JSON, SARIF 2.1.0 and the plan's section.
//!
//! ```
//! use std::path::Path;
//!
//! let yaml = "version: 1\nnamespace: demo\napplications:\n  web:\n    owners: [a@contoso.com, b@contoso.com]\n    web:\n      redirectUris: [https://app.contoso.com/cb]\n      implicitGrant: { accessTokens: true }\n";
//! let loaded = registrar_manifest::load_str(Path::new("apps.yaml"), yaml, &|_| None).unwrap();
//! let sources = [registrar_lint::Source { file: "apps.yaml".into(), text: yaml.into() }];
//! let report = registrar_lint::lint(&loaded.desired, &sources, &registrar_lint::LintOptions::default());
//! assert_eq!(report.findings[0].rule.id(), "RL001");
//! assert_eq!(report.findings[0].origin.to_string(), "apps.yaml:8:38");
//! assert!(report.has_errors());
//!
//! let allowed = yaml.replace("accessTokens: true }", "accessTokens: true } # registrar:allow RL001 legacy SPA until March");
//! let sources = [registrar_lint::Source { file: "apps.yaml".into(), text: allowed }];
//! let report = registrar_lint::lint(&loaded.desired, &sources, &registrar_lint::LintOptions::default());
//! assert!(report.findings[0].is_suppressed());
//! assert!(!report.has_errors());
//! ```
//!
//! # Invariants
//! - Pure: no I/O, no clock, no environment, no tenant; the caller reads the files.
//! - A finding shows the manifest's spelling of a value (a `${var.…}` stays one), never a
//!   variable's value, and never a secret (there is none in a manifest).
//! - Rule ids never change meaning.

mod checks;
mod finding;
pub mod render;
mod rules;
mod suppress;

use std::collections::HashMap;

use registrar_manifest::Positions;
use registrar_model::DesiredState;
use time::Duration;

pub use finding::{
    Credential, Detail, Finding, LintReport, Platform, ScopeBreadth, Suppression,
    SuppressionProblem, Workload,
};
pub use rules::{Rule, Severity};

/// The text of one manifest file, named as the load shows it (`Origin::file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file as origins show it.
    pub file: String,
    /// Its text.
    pub text: String,
}

/// The thresholds of the rules that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintOptions {
    /// A client secret living longer is a finding (`--max-secret-lifetime`, default 180 days).
    pub max_secret_lifetime: Duration,
    /// An application with more redirect URIs (over all platforms) is a finding (10).
    pub max_redirect_uris: usize,
}

impl Default for LintOptions {
    fn default() -> Self {
        Self {
            max_secret_lifetime: Duration::days(180),
            max_redirect_uris: 10,
        }
    }
}

/// Checks `desired`, loaded from `sources`, against every rule; findings in file, line and
/// column order, suppressions applied.
pub fn lint(desired: &DesiredState, sources: &[Source], options: &LintOptions) -> LintReport {
    let mut positions = HashMap::new();
    let mut allows = Vec::new();
    let mut findings = Vec::new();
    for source in sources {
        if let Some(parsed) = Positions::parse(&source.text, &source.file) {
            positions.insert(source.file.clone(), parsed);
        }
        let (file_allows, refused) = suppress::parse(&source.text, &source.file);
        allows.extend(file_allows);
        findings.extend(refused);
    }
    findings.extend(checks::check(desired, &positions, options));
    suppress::apply(&mut findings, &allows);
    findings.sort_by(|a, b| (&a.origin, a.rule).cmp(&(&b.origin, b.rule)));
    LintReport {
        findings,
        files: sources.len(),
    }
}
