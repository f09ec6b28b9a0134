//! The wording of a [`DriftReport`]: [`text()`] for people, [`json()`] (a versioned
//! [`DriftDocument`]) for programs, and [`markdown()`] for the issue a scheduled job opens or
//! updates. All drift wording lives here; the report itself is data ([`crate::drift`]).
//!
//! The JSON document (documented in `docs/drift.md`):
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "namespace": "platform",
//!   "checked_at": "2026-12-01T00:00:00Z",
//!   "expiring_within": "30d",
//!   "drift": true,
//!   "summary": {"changed": 1, "missing": 0, "not_in_manifest": 1, "store_out_of_sync": 0,
//!               "undeclared_applications": 0, "expired": 0, "expiring": 1, "rotation_due": 0},
//!   "objects": [{"address": "application.web", "type": "application", "application": "web",
//!                "name": "web", "drift": "changed",
//!                "attributes": [{"name": "display_name", "expected": "Web", "actual": "Old"}],
//!                "expected": {"display_name": "Web"}, "actual": {"display_name": "Old"}}],
//!   "credentials": [{"address": "application.api.secret.ci", "application": "api",
//!                    "type": "secret", "name": "ci", "key_id": "…", "declared": true,
//!                    "end_date_time": "2026-12-11T00:00:00Z", "status": "expiring",
//!                    "days_left": 10, "attention": true, "next_apply": "rotate"}],
//!   "warnings": []
//! }
//! ```
//!
//! Bump [`FORMAT_VERSION`] on any incompatible change.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::drift::{
    CredentialKind, CredentialStatus, DriftCounts, DriftKind, DriftReport, DriftedObject,
    ExpiryStatus, NextApply,
};
use crate::model::{ActionReason, Component, quoted};
use crate::render::text::TextOptions;
use crate::render::words::{duration_text, expires_text, object_noun, warning_text};
use crate::values::{optional_timestamp, timestamp};

/// The version of [`DriftDocument`]'s shape.
pub const FORMAT_VERSION: &str = "1.0";

/// What the Markdown stays under: GitHub refuses issue bodies and comments over 65,536
/// characters; the rest is room for what a workflow adds around it.
const MARKDOWN_LIMIT: usize = 60_000;

const ADD: Style = AnsiColor::Green.on_default();
const CHANGE: Style = AnsiColor::Yellow.on_default();
const REMOVE: Style = AnsiColor::Red.on_default();

/// The section titles, in the order reports list them.
const SECTIONS: [(DriftKind, &str); 6] = [
    (DriftKind::Changed, "Changed outside Registrar"),
    (DriftKind::Missing, "Missing in the tenant"),
    (DriftKind::Deleted, "In deleted items"),
    (DriftKind::NotInManifest, "Not in the manifest"),
    (DriftKind::StoreOutOfSync, "Secrets not in their store"),
    (
        DriftKind::UndeclaredApplication,
        "Applications no longer declared",
    ),
];

/// The report as text: quiet (one line) when in sync, else each section of drift, the
/// credentials that need attention and a summary line.
pub fn text(report: &DriftReport, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut lines: Vec<(Option<Style>, String)> = Vec::new();
    let plain = |lines: &mut Vec<(Option<Style>, String)>, text: String| {
        lines.push((None, text));
    };
    if !report.has_drift() {
        plain(&mut lines, in_sync_sentence(report));
    } else {
        plain(
            &mut lines,
            format!(
                "Drift in namespace {}: the tenant does not match the manifest.",
                quoted(&report.namespace)
            ),
        );
        for (kind, title) in SECTIONS {
            let objects: Vec<&DriftedObject> = report
                .objects
                .iter()
                .filter(|object| object.kind == kind)
                .collect();
            if objects.is_empty() {
                continue;
            }
            plain(&mut lines, String::new());
            plain(&mut lines, format!("{title}:"));
            for object in objects {
                let (glyph, style) = glyph(kind);
                lines.push((
                    Some(style),
                    format!("  {glyph} {}{}", object.address, object_suffix(object)),
                ));
                for attribute in &object.attributes {
                    plain(
                        &mut lines,
                        format!(
                            "      {}: manifest {}, tenant {}",
                            attribute.name,
                            value_text(attribute.expected.as_ref()),
                            value_text(attribute.actual.as_ref()),
                        ),
                    );
                }
            }
        }
        let attention: Vec<&CredentialStatus> = report.attention().collect();
        if !attention.is_empty() {
            plain(&mut lines, String::new());
            plain(&mut lines, format!("{}:", attention_title(report)));
            for credential in attention {
                lines.push((
                    Some(CHANGE),
                    format!("  ! {} {}", credential.address, credential_text(credential)),
                ));
            }
        }
        plain(&mut lines, String::new());
        plain(
            &mut lines,
            format!("Drift: {}", counts_text(&report.counts(), report)),
        );
        plain(
            &mut lines,
            "Run `registrar plan` to see what apply would change.".to_owned(),
        );
    }
    if !report.warnings.is_empty() {
        plain(&mut lines, String::new());
        for warning in warnings(report) {
            lines.push((Some(CHANGE), format!("Warning: {warning}")));
        }
    }
    for (style, line) in lines {
        match style.filter(|_| options.color) {
            Some(style) => writeln!(out, "{style}{line}{style:#}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// `No drift. The tenant matches the manifest, and no credential expires within 30d.`
fn in_sync_sentence(report: &DriftReport) -> String {
    format!(
        "No drift. The tenant matches the manifest, and no credential expires within {}.",
        duration_text(report.window)
    )
}

fn glyph(kind: DriftKind) -> (&'static str, Style) {
    match kind {
        DriftKind::Changed => ("~", CHANGE),
        DriftKind::Missing | DriftKind::Deleted => ("+", ADD),
        DriftKind::NotInManifest => ("-", REMOVE),
        DriftKind::StoreOutOfSync => ("!", CHANGE),
        DriftKind::UndeclaredApplication => ("?", CHANGE),
    }
}

/// What the header line says after the address: ` (detail)` for changed objects (their
/// attributes follow), `: detail` for the others.
fn object_suffix(object: &DriftedObject) -> String {
    match (object.kind, object_detail(object)) {
        (_, None) => String::new(),
        (DriftKind::Changed, Some(detail)) => format!(" ({detail})"),
        (_, Some(detail)) => format!(": {detail}"),
    }
}

/// The details of an object, worded; `None` when its section title says it all.
fn object_detail(object: &DriftedObject) -> Option<String> {
    let component = &object.address.component;
    match (&object.kind, &object.reason) {
        (_, Some(ActionReason::Undeclared { name, hint, end })) => {
            let mut text = object_noun(component).to_owned();
            if let Some(name) = name {
                text.push(' ');
                text.push_str(&quoted(name));
            }
            let mut facts = Vec::new();
            if let Some(hint) = hint {
                facts.push(format!("hint {hint}"));
            }
            if let Some(end) = end {
                facts.push(format!("expires {}", end.date()));
            }
            if !facts.is_empty() {
                text.push_str(&format!(" ({})", facts.join(", ")));
            }
            Some(text)
        }
        (_, Some(ActionReason::PreviousCredential { overlap })) => Some(match overlap {
            Some(overlap) => format!(
                "the previous credential; its {} overlap after rotation has ended",
                duration_text(*overlap)
            ),
            None => "an older credential with the same name".to_owned(),
        }),
        (_, Some(ActionReason::ServicePrincipalNotWanted)) => {
            Some("servicePrincipal is false in the manifest".to_owned())
        }
        (_, Some(ActionReason::ConsentNotDeclared)) => {
            Some("admin consent the manifest does not ask for".to_owned())
        }
        (_, Some(ActionReason::CertificateChanged)) => {
            Some("the certificate file holds a different certificate".to_owned())
        }
        (_, Some(ActionReason::StoreMissing)) => {
            Some("the store has no value; the next apply rotates it".to_owned())
        }
        (_, Some(ActionReason::StoreMismatch { key_vault })) => Some(format!(
            "the {} holds a different credential; the next apply rotates it",
            if *key_vault { "vault" } else { "store" }
        )),
        (DriftKind::UndeclaredApplication, _) => {
            Some("carries the namespace's marker but is not in the manifest".to_owned())
        }
        _ => None,
    }
}

/// An attribute's value on one line: JSON, `(none)` when absent or null.
fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_owned(),
        Some(value) => value.to_string(),
    }
}

/// `expires in 10 days (2026-12-11T00:00:00Z); will be rotated by the next apply`.
fn credential_text(credential: &CredentialStatus) -> String {
    let mut text = match (credential.remaining, credential.end) {
        (Some(remaining), Some(end)) => format!("{} ({})", expires_text(remaining), timestamp(end)),
        _ => "has no expiry".to_owned(),
    };
    if !credential.declared {
        text.push_str(", not in the manifest");
    }
    if let Some(next) = next_apply_text(credential) {
        text.push_str("; ");
        text.push_str(next);
    } else if credential.declared && credential.kind == CredentialKind::Certificate {
        text.push_str("; renew the certificate file");
    }
    text
}

fn next_apply_text(credential: &CredentialStatus) -> Option<&'static str> {
    credential.next_apply.as_ref().map(|next| match next {
        NextApply::Rotate(_) => "will be rotated by the next apply",
        NextApply::Replace => "will be replaced by the next apply",
        NextApply::Remove => "will be removed by the next apply",
        NextApply::Update => "will be updated by the next apply",
    })
}

/// `1 changed, 2 missing, 1 not in the manifest; 1 credential expiring within 30d` (only the
/// non-zero parts).
fn counts_text(counts: &DriftCounts, report: &DriftReport) -> String {
    let objects: Vec<String> = [
        (counts.changed, "changed"),
        (counts.missing, "missing"),
        (counts.not_in_manifest, "not in the manifest"),
        (counts.store_out_of_sync, "not in their store"),
        (counts.undeclared_applications, "no longer declared"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect();
    let mut credentials = Vec::new();
    if counts.expired > 0 {
        credentials.push(format!("{} expired", credential_count(counts.expired)));
    }
    if counts.expiring > 0 {
        credentials.push(format!(
            "{} expiring within {}",
            credential_count(counts.expiring),
            duration_text(report.window)
        ));
    }
    if counts.rotation_due > 0 {
        credentials.push(format!(
            "{} due for rotation",
            credential_count(counts.rotation_due)
        ));
    }
    let mut parts = Vec::new();
    if !objects.is_empty() {
        parts.push(objects.join(", "));
    }
    if !credentials.is_empty() {
        parts.push(credentials.join(", "));
    }
    format!("{}.", parts.join("; "))
}

/// `Credentials expired or expiring within 30d`, `…, or due for rotation` when some are.
fn attention_title(report: &DriftReport) -> String {
    let mut title = format!(
        "Credentials expired or expiring within {}",
        duration_text(report.window)
    );
    if report.counts().rotation_due > 0 {
        title.push_str(", or due for rotation");
    }
    title
}

fn credential_count(count: usize) -> String {
    if count == 1 {
        "1 credential".to_owned()
    } else {
        format!("{count} credentials")
    }
}

fn warnings(report: &DriftReport) -> Vec<String> {
    let mut texts: Vec<String> = report.warnings.iter().map(warning_text).collect();
    texts.sort();
    texts.dedup();
    texts
}

/// The report as GitHub-flavoured Markdown for an issue: a title line (`## …`, which a job may
/// also use as the issue's title), a summary table, then the details; under GitHub's size limit
/// (the details are cut with a note when they would not fit).
pub fn markdown(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(markdown_text(report).as_bytes())
}

fn markdown_text(report: &DriftReport) -> String {
    let counts = report.counts();
    let window = duration_text(report.window);
    let mut head = String::new();
    head.push_str(&format!(
        "## {}\n\n",
        markdown_title(report, &counts, &window)
    ));
    head.push_str(&format!(
        "Checked at {}; credentials expiring within {window} are reported.\n",
        timestamp(report.now)
    ));
    if !report.has_drift() {
        head.push_str(&format!("\n{}\n", in_sync_sentence(report)));
        head.push_str(&markdown_warnings(report));
        return head;
    }
    head.push_str("\n| Drift | Count |\n|---|---:|\n");
    for (kind, title) in SECTIONS {
        let count = report
            .objects
            .iter()
            .filter(|object| object.kind == kind)
            .count();
        head.push_str(&format!("| {title} | {count} |\n"));
    }
    head.push_str(&format!("| Credentials expired | {} |\n", counts.expired));
    head.push_str(&format!(
        "| Credentials expiring within {window} | {} |\n",
        counts.expiring
    ));
    if counts.rotation_due > 0 {
        head.push_str(&format!(
            "| Credentials due for rotation | {} |\n",
            counts.rotation_due
        ));
    }
    head.push_str(&markdown_warnings(report));

    let mut details: Vec<String> = Vec::new();
    for (kind, title) in SECTIONS {
        let objects: Vec<&DriftedObject> = report
            .objects
            .iter()
            .filter(|object| object.kind == kind)
            .collect();
        if objects.is_empty() {
            continue;
        }
        details.push(format!("\n### {title}\n\n"));
        if kind == DriftKind::Changed {
            details.push("| Object | Attribute | Manifest | Tenant |\n|---|---|---|---|\n".into());
            for object in objects {
                if object.attributes.is_empty() {
                    details.push(format!(
                        "| {} | {} | | |\n",
                        code(&object.address.to_string()),
                        object_detail(object).map(|d| cell(&d)).unwrap_or_default()
                    ));
                }
                for attribute in &object.attributes {
                    details.push(format!(
                        "| {} | {} | {} | {} |\n",
                        code(&object.address.to_string()),
                        code(&attribute.name),
                        code(&value_text(attribute.expected.as_ref())),
                        code(&value_text(attribute.actual.as_ref())),
                    ));
                }
            }
        } else {
            for object in objects {
                details.push(match object_detail(object) {
                    Some(detail) => format!(
                        "- {}: {}\n",
                        code(&object.address.to_string()),
                        inline(&detail)
                    ),
                    None => format!("- {}\n", code(&object.address.to_string())),
                });
            }
        }
    }
    let attention: Vec<&CredentialStatus> = report.attention().collect();
    if !attention.is_empty() {
        details.push(format!(
            "\n### {}\n\n\
             | Credential | Expires | Days left | Declared | Next apply |\n|---|---|---:|---|---|\n",
            attention_title(report)
        ));
        for credential in attention {
            details.push(credential_row(credential, true));
        }
    }
    let mut inventory = String::new();
    if !report.credentials.is_empty() {
        inventory.push_str(&format!(
            "\n<details><summary>All {} of the declared applications</summary>\n\n\
             | Credential | Expires | Days left | Declared | Next apply |\n|---|---|---:|---|---|\n",
            credential_count(report.credentials.len())
        ));
        for credential in &report.credentials {
            inventory.push_str(&credential_row(credential, false));
        }
        inventory.push_str("\n</details>\n");
    }
    let footer = "\nRun `registrar plan` to see what apply would change.\n";
    let truncated = "\n_The details are cut here to stay under GitHub's size limit; run \
                     `registrar drift --format json` for all of them._\n";

    let mut body = head;
    let mut cut = false;
    for detail in details {
        if body.len() + detail.len() + truncated.len() + footer.len() > MARKDOWN_LIMIT {
            cut = true;
            break;
        }
        body.push_str(&detail);
    }
    if cut {
        body.push_str(truncated);
    } else if body.len() + inventory.len() + footer.len() <= MARKDOWN_LIMIT {
        body.push_str(&inventory);
    }
    body.push_str(footer);
    body
}

fn markdown_title(report: &DriftReport, counts: &DriftCounts, window: &str) -> String {
    let namespace = code(&report.namespace);
    if !report.has_drift() {
        return format!("Registrar drift in {namespace}: none");
    }
    let mut parts = Vec::new();
    match counts.objects() {
        0 => {}
        1 => parts.push("1 object differs".to_owned()),
        count => parts.push(format!("{count} objects differ")),
    }
    if counts.expired > 0 {
        parts.push(format!("{} expired", credential_count(counts.expired)));
    }
    if counts.expiring > 0 {
        parts.push(format!(
            "{} expiring within {window}",
            credential_count(counts.expiring)
        ));
    }
    if counts.rotation_due > 0 {
        parts.push(format!(
            "{} due for rotation",
            credential_count(counts.rotation_due)
        ));
    }
    format!("Registrar drift in {namespace}: {}", parts.join(", "))
}

fn markdown_warnings(report: &DriftReport) -> String {
    let warnings = warnings(report);
    if warnings.is_empty() {
        return String::new();
    }
    let mut text = String::from("\n");
    for warning in warnings {
        text.push_str(&format!("> **Warning:** {}\n", inline(&warning)));
    }
    text
}

fn credential_row(credential: &CredentialStatus, attention: bool) -> String {
    let expires = match (credential.remaining, credential.end) {
        (Some(remaining), Some(end)) => {
            format!("{} ({})", expires_text(remaining), timestamp(end))
        }
        _ => "no expiry".to_owned(),
    };
    let expires = if attention || credential.needs_attention() {
        format!("**{expires}**")
    } else {
        expires
    };
    let days = credential
        .remaining
        .map(|remaining| remaining.whole_days().to_string())
        .unwrap_or_default();
    format!(
        "| {} | {} | {} | {} | {} |\n",
        code(&credential.address.to_string()),
        expires,
        days,
        if credential.declared { "yes" } else { "no" },
        next_apply_text(credential).unwrap_or(""),
    )
}

/// Inline code that is safe inside a table cell: `|` escaped, backticks fenced by a longer run.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    let longest = text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Prose that is safe inside a table cell.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Prose on one line, with Markdown's active characters that names may hold escaped.
fn inline(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\n' | '\r' => escaped.push(' '),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '*' | '_' | '`' | '[' | ']' | '\\' => {
                escaped.push('\\');
                escaped.push(character);
            }
            _ => escaped.push(character),
        }
    }
    escaped
}

/// The report as a versioned JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftDocument {
    /// [`FORMAT_VERSION`].
    pub format_version: String,
    /// The manifest's namespace.
    pub namespace: String,
    /// When the tenant was compared (RFC 3339, UTC).
    pub checked_at: String,
    /// The window, as the manifest writes durations (`30d`).
    pub expiring_within: String,
    /// Whether anything needs attention (the CLI exits 2).
    pub drift: bool,
    /// The counts.
    pub summary: DriftSummaryDocument,
    /// Every object that differs, sorted by address.
    pub objects: Vec<DriftedObjectDocument>,
    /// Every credential of every declared application, sorted by address.
    pub credentials: Vec<CredentialDocument>,
    /// The plan's notes, worded.
    pub warnings: Vec<String>,
}

/// The counts of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummaryDocument {
    /// Objects whose attributes differ.
    pub changed: usize,
    /// Declared objects missing in the tenant (also those in deleted items).
    pub missing: usize,
    /// Objects the manifest does not declare.
    pub not_in_manifest: usize,
    /// Secrets whose store does not hold the current credential.
    pub store_out_of_sync: usize,
    /// Marked applications the manifest no longer declares.
    pub undeclared_applications: usize,
    /// Credentials already expired.
    pub expired: usize,
    /// Credentials expiring within the window.
    pub expiring: usize,
    /// Credentials ending after the window that the next apply rotates (they end within their
    /// secret's `rotateBefore`).
    pub rotation_due: usize,
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftedObjectDocument {
    /// `application.web`, as plans address it.
    pub address: String,
    /// `application`, `service_principal`, `owner`, `secret`, `certificate`,
    /// `federated_credential`, `consent`, `delegated_consent`, `role_assignment`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// The application's manifest key.
    pub application: String,
    /// The object's own name.
    pub name: String,
    /// `changed`, `missing`, `deleted`, `not_in_manifest`, `store_out_of_sync`,
    /// `undeclared_application`.
    pub drift: String,
    /// Why, worded, when there is more to say than `drift`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For `changed`: each attribute that differs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeDocument>,
    /// What the manifest declares (`null` for objects it does not declare).
    pub expected: Value,
    /// What the tenant holds (`null` for missing objects).
    pub actual: Value,
}

/// One attribute that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDocument {
    /// `display_name`, `web.redirect_uris`, ...
    pub name: String,
    /// The manifest's value (`null` when it has none).
    pub expected: Value,
    /// The tenant's value (`null` when it has none).
    pub actual: Value,
}

/// One credential of a declared application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialDocument {
    /// `application.api.secret.ci`.
    pub address: String,
    /// The application's manifest key.
    pub application: String,
    /// `secret`, `certificate` or `federated_credential`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Its name (the credential's displayName, or a federated credential's name).
    pub name: String,
    /// keyId (secrets, certificates) or id (federated credentials).
    pub key_id: String,
    /// Whether the manifest declares it.
    pub declared: bool,
    /// Start (RFC 3339), `null` when unknown.
    pub start_date_time: Value,
    /// End (RFC 3339), `null` when it has none.
    pub end_date_time: Value,
    /// `expired`, `expiring`, `valid` or `no_expiry`.
    pub status: String,
    /// Whole days left until the end (negative once expired), `null` without an end.
    pub days_left: Option<i64>,
    /// Whether the report calls it out (expired, expiring, or due for rotation).
    pub attention: bool,
    /// `rotate`, `replace`, `remove`, `update`, or `null` when the next apply leaves it.
    pub next_apply: Option<String>,
}

/// Converts a report into its versioned document.
pub fn json(report: &DriftReport) -> DriftDocument {
    let counts = report.counts();
    DriftDocument {
        format_version: FORMAT_VERSION.to_owned(),
        namespace: report.namespace.clone(),
        checked_at: timestamp(report.now),
        expiring_within: duration_text(report.window),
        drift: report.has_drift(),
        summary: DriftSummaryDocument {
            changed: counts.changed,
            missing: counts.missing,
            not_in_manifest: counts.not_in_manifest,
            store_out_of_sync: counts.store_out_of_sync,
            undeclared_applications: counts.undeclared_applications,
            expired: counts.expired,
            expiring: counts.expiring,
            rotation_due: counts.rotation_due,
        },
        objects: report.objects.iter().map(object_document).collect(),
        credentials: report.credentials.iter().map(credential_document).collect(),
        warnings: warnings(report),
    }
}

fn object_document(object: &DriftedObject) -> DriftedObjectDocument {
    let drift = match object.kind {
        DriftKind::Changed => "changed",
        DriftKind::Missing => "missing",
        DriftKind::Deleted => "deleted",
        DriftKind::NotInManifest => "not_in_manifest",
        DriftKind::StoreOutOfSync => "store_out_of_sync",
        DriftKind::UndeclaredApplication => "undeclared_application",
    };
    DriftedObjectDocument {
        address: object.address.to_string(),
        object_type: object.address.kind().to_owned(),
        application: object.address.application.clone(),
        name: object.address.name(),
        drift: drift.to_owned(),
        detail: object_detail(object),
        attributes: object
            .attributes
            .iter()
            .map(|attribute| AttributeDocument {
                name: attribute.name.clone(),
                expected: attribute.expected.clone().unwrap_or(Value::Null),
                actual: attribute.actual.clone().unwrap_or(Value::Null),
            })
            .collect(),
        expected: object.expected.clone().unwrap_or(Value::Null),
        actual: object.actual.clone().unwrap_or(Value::Null),
    }
}

fn credential_document(credential: &CredentialStatus) -> CredentialDocument {
    let credential_type = match credential.kind {
        CredentialKind::Secret => "secret",
        CredentialKind::Certificate => "certificate",
        CredentialKind::FederatedCredential => "federated_credential",
        CredentialKind::ServicePrincipalSecret => "service_principal_secret",
        CredentialKind::ServicePrincipalCertificate => "service_principal_certificate",
    };
    let status = match credential.status {
        ExpiryStatus::Expired => "expired",
        ExpiryStatus::Expiring => "expiring",
        ExpiryStatus::Valid => "valid",
        ExpiryStatus::NoExpiry => "no_expiry",
    };
    let name = match &credential.address.component {
        Component::Secret { name, .. }
        | Component::Certificate { name, .. }
        | Component::FederatedCredential(name)
        | Component::ServicePrincipalSecret { name, .. }
        | Component::ServicePrincipalCertificate { name, .. } => name.clone(),
        _ => credential.address.name(),
    };
    CredentialDocument {
        address: credential.address.to_string(),
        application: credential.address.application.clone(),
        credential_type: credential_type.to_owned(),
        name,
        key_id: credential.key_id.clone(),
        declared: credential.declared,
        start_date_time: optional_timestamp(credential.start),
        end_date_time: optional_timestamp(credential.end),
        status: status.to_owned(),
        days_left: credential.remaining.map(|remaining| remaining.whole_days()),
        attention: credential.needs_attention(),
        next_apply: credential.next_apply.as_ref().map(|next| {
            match next {
                NextApply::Rotate(_) => "rotate",
                NextApply::Replace => "replace",
                NextApply::Remove => "remove",
                NextApply::Update => "update",
            }
            .to_owned()
        }),
    }
}
