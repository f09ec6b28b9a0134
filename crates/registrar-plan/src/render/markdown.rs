//! The plan as a pull-request comment. From the top: the summary, the destructive changes
//! counted by kind, then what a reviewer must not miss, listed one per line (destructive changes:
//! deletes, replacements and rotations that remove the current credential; newly requested or
//! consented application permissions of the catalog's critical and high privilege tiers), the
//! table of every API permission change, then the text plan in a collapsible `diff` block.
//!
//! The whole comment stays under GitHub's limit of [`COMMENT_LIMIT`] characters: when the plan is
//! longer, the `diff` block is cut at a change boundary and a note at the end says how much was
//! left out and how to see all of it. The lists on top are capped too, so they cannot crowd out
//! the rest.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::{Action, Component, Plan};
use crate::render::review as words;
use crate::render::text::{change_detail, change_headline, plain};
use crate::render::words::{is_destructive, object_noun, planned_counts, revoked_scopes};
use crate::review::{ConsentByApply, PermissionChange, PermissionChangeKind};

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
    let review = crate::review::permission_review(plan);
    push_list(
        &mut head,
        "High-privilege application permissions requested",
        &high_privilege_items(&review),
    );
    push_review_table(&mut head, &review);

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
/// critical or high privilege tier.
fn high_privilege_items(review: &[PermissionChange]) -> Vec<String> {
    review
        .iter()
        .filter(|entry| entry.tier.is_some())
        .filter_map(|entry| {
            let address = code(&format!("application.{}", entry.application));
            let tier = words::tier(entry);
            let text = permission_text(entry);
            match (entry.change, entry.consent) {
                (PermissionChangeKind::Added, ConsentByApply::Granted) => Some(format!(
                    "{address} requests {text} on {}, tier {tier}; admin consent granted by this apply",
                    entry.resource
                )),
                (PermissionChangeKind::Added, _) => Some(format!(
                    "{address} requests {text} on {}, tier {tier}",
                    entry.resource
                )),
                (PermissionChangeKind::ConsentOnly, ConsentByApply::Granted) => Some(format!(
                    "{address} grants admin consent to {text} on {}, tier {tier}",
                    entry.resource
                )),
                _ => None,
            }
        })
        .collect()
}

/// `**RoleManagement.ReadWrite.Directory** (Read and write all directory RBAC settings)`.
fn permission_text(entry: &PermissionChange) -> String {
    let display = registrar_catalog::catalog()
        .api(&entry.resource)
        .and_then(|api| api.permission(&entry.permission, entry.kind))
        .and_then(|permission| permission.display_name.clone());
    match display {
        Some(display) => format!("**{}** ({display})", entry.permission),
        None => format!("**{}**", entry.permission),
    }
}

/// The table of every permission change, at most [`LIST_CAP`] rows (the rest are in the
/// details).
fn push_review_table(out: &mut String, review: &[PermissionChange]) {
    if review.is_empty() {
        return;
    }
    out.push_str(&format!(
        "\n**API permission changes** ({}):\n\n",
        review.len()
    ));
    out.push_str("| | Application | Permission | API | Kind | Admin consent | Privilege tier |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for entry in review.iter().take(LIST_CAP) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            words::glyph(entry),
            table_cell(&entry.application),
            code(&entry.permission).replace('|', "\\|"),
            table_cell(&entry.resource),
            words::kind(entry),
            words::consent(entry),
            words::tier(entry),
        ));
    }
    if review.len() > LIST_CAP {
        out.push_str(&format!(
            "\nand {} more, in the details below\n",
            review.len() - LIST_CAP
        ));
    }
}

/// Text safe inside a table cell.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|")
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
