//! The plan as a pull-request comment: the summary on top, destructive changes called out, the
//! text plan in a collapsible `diff` block.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::{Action, Component, Plan};
use crate::render::text::plain;
use crate::render::words::{object_noun, planned_counts};

/// Writes the plan as GitHub-flavoured Markdown.
pub fn markdown(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    if plan.has_changes() {
        writeln!(out, "**Plan:** {}", planned_counts(&plan.summary()))?;
    } else {
        writeln!(out, "**No changes.** Your tenant matches the manifest.")?;
    }
    let callouts = destructive(plan);
    if !callouts.is_empty() {
        writeln!(out)?;
        writeln!(out, "> **Warning:** {}", callouts.join(", "))?;
    }
    let text = plain(plan);
    let body: Vec<String> = text.lines().map(diff_line).collect();
    let longest_ticks = text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_ticks.max(2) + 1);
    writeln!(out)?;
    writeln!(out, "<details><summary>Show plan</summary>")?;
    writeln!(out)?;
    writeln!(out, "{fence}diff")?;
    for line in body {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{fence}")?;
    writeln!(out)?;
    writeln!(out, "</details>")?;
    Ok(())
}

/// `1 application will be destroyed`, `2 secrets will be removed`, `1 certificate will be
/// replaced`, counted by kind.
fn destructive(plan: &Plan) -> Vec<String> {
    let mut counts: BTreeMap<(u8, &'static str, &'static str), usize> = BTreeMap::new();
    for change in &plan.changes {
        let (order, removed) = match change.address.component {
            Component::Application => (0, "destroyed"),
            Component::ServicePrincipal => (1, "destroyed"),
            Component::Owner(_) => (2, "removed"),
            Component::Secret { .. } => (3, "removed"),
            Component::Certificate { .. } => (4, "removed"),
            Component::FederatedCredential(_) => (5, "removed"),
            Component::Consent { .. } => (6, "revoked"),
            Component::DelegatedConsent { .. } => (7, "revoked"),
            Component::RoleAssignment { .. } => (8, "removed"),
            Component::References => continue,
        };
        let noun = object_noun(&change.address.component);
        let verb = match change.action {
            Action::Delete => removed,
            Action::Replace => "replaced",
            _ => continue,
        };
        *counts.entry((order, noun, verb)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((_, noun, verb), count)| {
            let noun = if count == 1 {
                noun.to_owned()
            } else {
                format!("{noun}s")
            };
            format!("{count} {noun} will be {verb}")
        })
        .collect()
}

/// Moves a line's glyph to the first column, so the `diff` highlighter colours it.
fn diff_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    for glyph in ["-/+", "+/-", "+", "-", "~"] {
        if let Some(rest) = trimmed.strip_prefix(glyph)
            && (rest.is_empty() || rest.starts_with(' '))
        {
            return format!("{glyph}{}{rest}", " ".repeat(indent));
        }
    }
    line.to_owned()
}
