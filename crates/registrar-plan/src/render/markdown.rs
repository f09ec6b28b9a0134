//! The plan as a pull-request comment. From the top: the summary, the destructive changes
//! counted by kind, then what a reviewer must not miss, listed one per line (destructive changes:
//! deletes, replacements and rotations that remove the current credential; newly requested or
//! consented application permissions of the catalog's high-privilege tier), then the text plan
//! in a collapsible `diff` block.
//!
//! The whole comment stays under GitHub's limit of [`COMMENT_LIMIT`] characters: when the plan is
//! longer, the `diff` block is cut at a change boundary and a note at the end says how much was
//! left out and how to see all of it. The lists on top are capped too, so they cannot crowd out
//! the rest.

use std::collections::BTreeMap;
use std::io::{self, Write};

use registrar_catalog::HighPrivilegePermission;
use registrar_model::Operation;
use serde_json::Value;

use crate::model::{Action, Component, Plan};
use crate::render::text::{change_detail, change_headline, plain};
use crate::render::words::{is_destructive, object_noun, planned_counts, revoked_scopes};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// What [`markdown`] writes at most, in characters: the limit, less room for a marker or header
/// that a CI job puts around the plan to find its sticky comment again.
const BUDGET: usize = COMMENT_LIMIT - 1_536;

/// At most this many entries in each list above the details; the rest are counted.
const LIST_CAP: usize = 50;

/// Writes the plan as GitHub-flavoured Markdown, under [`COMMENT_LIMIT`] characters.
pub fn markdown(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    let mut head = String::new();
    if plan.has_changes() {
        head.push_str(&format!("**Plan:** {}\n", planned_counts(&plan.summary())));
    } else {
        head.push_str("**No changes.** Your tenant matches the manifest.\n");
    }
    let callouts = destructive_counts(plan);
    if !callouts.is_empty() {
        head.push_str(&format!("\n> **Warning:** {}\n", callouts.join(", ")));
    }
    push_list(&mut head, "Destructive changes", &destructive_items(plan));
    push_list(
        &mut head,
        "High-privilege application permissions requested",
        &high_privilege_items(plan),
    );

    let text = plain(plan);
    let body: Vec<String> = text.lines().map(diff_line).collect();
    let longest_ticks = text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_ticks.max(2) + 1);
    let open = format!("\n<details><summary>Show plan</summary>\n\n{fence}diff\n");
    let close = format!("{fence}\n\n</details>\n");

    let whole = chars(&head)
        + chars(&open)
        + body.iter().map(|line| chars(line) + 1).sum::<usize>()
        + chars(&close);
    let (shown, note) = if whole <= BUDGET {
        (body.len(), None)
    } else {
        // The note's own length depends on the counts only through a few digits: reserve room
        // for the longest it can be.
        let reserve = chars(&truncation_note(usize::MAX, usize::MAX, usize::MAX));
        let room = BUDGET.saturating_sub(chars(&head) + chars(&open) + chars(&close) + reserve);
        let shown = cut_at_change_boundary(&body, room);
        let left_out = &body[shown..];
        let changes = left_out
            .iter()
            .filter(|line| is_change_header(line))
            .count();
        let characters = left_out.iter().map(|line| chars(line) + 1).sum();
        (
            shown,
            Some(truncation_note(left_out.len(), changes, characters)),
        )
    };

    out.write_all(head.as_bytes())?;
    out.write_all(open.as_bytes())?;
    for line in &body[..shown] {
        writeln!(out, "{line}")?;
    }
    if note.is_some() {
        writeln!(out, "...")?;
    }
    out.write_all(close.as_bytes())?;
    if let Some(note) = note {
        out.write_all(note.as_bytes())?;
    }
    Ok(())
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The note after a cut `diff` block.
fn truncation_note(lines: usize, changes: usize, characters: usize) -> String {
    format!(
        "\n> **Note:** the plan is too long for one comment; the details above leave out its last {} ({} {}, {} characters). To see all of it, run `registrar show` on the saved plan (the CI job's artifact), or `registrar plan` with the same manifests.\n",
        plural(lines, "line"),
        changes,
        if changes == 1 { "change" } else { "changes" },
        characters,
    )
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// How many of `lines` fit in `room` characters (one newline each), cut before a change's
/// header so no change is shown in part; at least a cut at the last line that fits when even the
/// first change is too long.
fn cut_at_change_boundary(lines: &[String], room: usize) -> usize {
    let mut used = 0;
    let mut fits = 0;
    for line in lines {
        used += chars(line) + 1;
        if used > room {
            break;
        }
        fits += 1;
    }
    if fits == lines.len() {
        return fits;
    }
    // Back to just before the header of the change the cut falls in.
    (1..=fits)
        .rev()
        .find(|&index| lines.get(index).is_some_and(|line| is_change_header(line)))
        .unwrap_or(fits)
}

/// `  # application.api will be created`, not the `  # (why)` line under it.
fn is_change_header(line: &str) -> bool {
    line.starts_with("  # ") && !line.starts_with("  # (")
}

/// Writes `**title** (n):` and a bullet per item, at most [`LIST_CAP`], when there are items.
fn push_list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("\n**{title}** ({}):\n\n", items.len()));
    for item in items.iter().take(LIST_CAP) {
        out.push_str(&format!("- {item}\n"));
    }
    if items.len() > LIST_CAP {
        out.push_str(&format!(
            "- and {} more, in the details below\n",
            items.len() - LIST_CAP
        ));
    }
}

/// A code span that holds `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let longest = text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    if longest == 0 {
        format!("`{text}`")
    } else {
        let ticks = "`".repeat(longest + 1);
        format!("{ticks} {text} {ticks}")
    }
}

/// One line per destructive change: its address, what happens and why.
fn destructive_items(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|change| is_destructive(change))
        .map(|change| {
            let headline = change_headline(change);
            let address = change.address.to_string();
            let wording = headline
                .strip_prefix(address.as_str())
                .unwrap_or(&headline)
                .trim_start();
            let mut item = format!("{} {wording}", code(&address));
            if change.action == Action::Rotate {
                item.push_str(&format!(
                    ", removing the current {}",
                    object_noun(&change.address.component)
                ));
            }
            let revoked = revoked_scopes(change);
            if !revoked.is_empty() {
                item.push_str(&format!(", revoking {}", code(&revoked.join(" "))));
            }
            if let Some(detail) = change_detail(change) {
                item.push_str(&format!(": {detail}"));
            }
            item
        })
        .collect()
}

/// One line per newly requested or newly consented application permission of the catalog's
/// high-privilege tier.
fn high_privilege_items(plan: &Plan) -> Vec<String> {
    let catalog = registrar_catalog::catalog();
    let mut items = Vec::new();
    for change in &plan.changes {
        match (&change.address.component, change.action) {
            (Component::Application, Action::Create | Action::Update | Action::Restore) => {
                let before = requested_roles(change.before.as_ref());
                for (key, resource) in requested_roles(change.after.as_ref()) {
                    if before.contains_key(&key) {
                        continue;
                    }
                    let (resource_app_id, id) = &key;
                    if let Some(entry) = catalog.high_privilege(resource_app_id, id) {
                        items.push(format!(
                            "{} requests {} on {}",
                            code(&change.address.to_string()),
                            permission_text(entry),
                            resource
                        ));
                    }
                }
            }
            (
                Component::Consent {
                    resource,
                    permission,
                },
                Action::Create | Action::Replace,
            ) => {
                let granted_ids =
                    change
                        .operations
                        .iter()
                        .filter_map(|operation| match operation {
                            Operation::GrantAppRole { app_role_id, .. } => {
                                Some(app_role_id.as_str())
                            }
                            _ => None,
                        });
                let entry = catalog.api(resource).and_then(|api| {
                    catalog.high_privilege(&api.app_id, permission).or_else(|| {
                        granted_ids
                            .into_iter()
                            .find_map(|id| catalog.high_privilege(&api.app_id, id))
                    })
                });
                if let Some(entry) = entry {
                    items.push(format!(
                        "{} grants admin consent to {} on {}",
                        code(&change.address.to_string()),
                        permission_text(entry),
                        resource
                    ));
                }
            }
            _ => {}
        }
    }
    items
}

/// `**RoleManagement.ReadWrite.Directory** (Read and write all directory RBAC settings)`.
fn permission_text(entry: &HighPrivilegePermission) -> String {
    let display = registrar_catalog::catalog()
        .api(&entry.resource_app_id)
        .and_then(|api| api.permission(&entry.id, registrar_catalog::PermissionKind::Application))
        .and_then(|permission| permission.display_name.clone());
    match display {
        Some(display) => format!("**{}** ({display})", entry.value),
        None => format!("**{}**", entry.value),
    }
}

/// The application permissions (`type: Role`) in a `required_resource_access` attribute, keyed
/// by (resource appId, permission id), both lowercase; the value is the resource's name for
/// display.
fn requested_roles(attributes: Option<&Value>) -> BTreeMap<(String, String), String> {
    let mut roles = BTreeMap::new();
    let entries = attributes
        .and_then(|attributes| attributes.get("required_resource_access"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for entry in entries {
        let Some(resource_app_id) = entry.get("resource_app_id").and_then(Value::as_str) else {
            continue;
        };
        let name = entry
            .get("resource")
            .and_then(Value::as_str)
            .unwrap_or(resource_app_id);
        let accesses = entry
            .get("resource_access")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for access in accesses {
            if access.get("type").and_then(Value::as_str) != Some("Role") {
                continue;
            }
            if let Some(id) = access.get("id").and_then(Value::as_str) {
                roles.insert(
                    (
                        resource_app_id.to_ascii_lowercase(),
                        id.to_ascii_lowercase(),
                    ),
                    name.to_owned(),
                );
            }
        }
    }
    roles
}

/// `1 application will be destroyed`, `2 secrets will be removed`, `1 certificate will be
/// replaced`, counted by kind.
fn destructive_counts(plan: &Plan) -> Vec<String> {
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
            Component::ServicePrincipalOwner(_) => (9, "removed"),
            Component::ServicePrincipalSecret { .. } => (10, "removed"),
            Component::ServicePrincipalCertificate { .. } => (11, "removed"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("application.api"), "`application.api`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }

    #[test]
    fn cut_falls_before_a_change_header() {
        let lines: Vec<String> = [
            "Registrar will perform the following actions:",
            "",
            "  # application.a will be created",
            "+   application \"a\" {",
            "    }",
            "",
            "  # application.b will be created",
            "+   application \"b\" {",
            "    }",
        ]
        .iter()
        .map(|line| (*line).to_owned())
        .collect();
        let through_b_header: usize = lines[..8].iter().map(|line| line.len() + 1).sum();
        assert_eq!(cut_at_change_boundary(&lines, through_b_header), 6);
        assert_eq!(cut_at_change_boundary(&lines, usize::MAX), lines.len());
    }
}
