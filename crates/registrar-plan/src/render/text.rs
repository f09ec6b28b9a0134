//! The terraform-style text plan. A plan's wording lives here, with what the other renderers and
//! the CLI share in [`super::words`] (the Markdown renderer embeds this text); [`destructive`]
//! is the list of what a plan destroys that `apply` repeats before asking for approval.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde_json::{Map, Value};

use crate::model::{Action, ActionReason, Component, Plan, ResourceChange, quoted};
use crate::render::words::{
    duration_text, expires_text, is_destructive, object_noun, planned_counts, revoked_scopes,
    warnings,
};

/// Options of the text renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextOptions {
    /// ANSI colours: green `+`, yellow `~`, red `-`. The caller decides (`--color`, terminal,
    /// `NO_COLOR`).
    pub color: bool,
}

/// Writes the plan as terraform writes its plans.
pub fn text(plan: &Plan, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    for line in lines(plan) {
        match line.tone.style().filter(|_| options.color) {
            // The style ends before the newline, so a pager or a cut line keeps no colour.
            Some(style) => write!(out, "{style}{}{style:#}", line.text)?,
            None => write!(out, "{}", line.text)?,
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The styles of the tones.
const ADD: Style = AnsiColor::Green.on_default();
const CHANGE: Style = AnsiColor::Yellow.on_default();
const REMOVE: Style = AnsiColor::Red.on_default();

/// The plan as uncoloured text, for embedding (Markdown) and tests.
pub(crate) fn plain(plan: &Plan) -> String {
    let mut text = String::new();
    for line in lines(plan) {
        text.push_str(&line.text);
        text.push('\n');
    }
    text
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Plain,
    Add,
    Change,
    Remove,
    Warn,
}

impl Tone {
    /// The style of a coloured line of this tone; plain lines have none.
    fn style(self) -> Option<Style> {
        match self {
            Tone::Plain => None,
            Tone::Add => Some(ADD),
            Tone::Change | Tone::Warn => Some(CHANGE),
            Tone::Remove => Some(REMOVE),
        }
    }
}

struct Line {
    tone: Tone,
    text: String,
}

#[derive(Default)]
struct Lines(Vec<Line>);

impl Lines {
    fn plain(&mut self, text: impl Into<String>) {
        self.0.push(Line {
            tone: Tone::Plain,
            text: text.into(),
        });
    }

    fn toned(&mut self, tone: Tone, text: impl Into<String>) {
        self.0.push(Line {
            tone,
            text: text.into(),
        });
    }

    /// A line at `indent` with a glyph (`+`, `-`, `~`), or without one (context).
    fn at(&mut self, indent: usize, glyph: Option<char>, text: &str) {
        match glyph {
            Some(glyph) => self.toned(
                tone_of(glyph),
                format!("{}{glyph} {text}", " ".repeat(indent)),
            ),
            None => self.plain(format!("{}{text}", " ".repeat(indent + 2))),
        }
    }
}

fn tone_of(glyph: char) -> Tone {
    match glyph {
        '+' => Tone::Add,
        '-' => Tone::Remove,
        '~' => Tone::Change,
        _ => Tone::Plain,
    }
}

fn lines(plan: &Plan) -> Vec<Line> {
    let mut lines = Lines::default();
    if plan.has_changes() {
        lines.plain("Registrar will perform the following actions:");
        lines.plain("");
        for change in plan
            .changes
            .iter()
            .filter(|change| change.action != Action::NoOp)
        {
            render_change(&mut lines, change);
            lines.plain("");
        }
        let review = crate::review::permission_review(plan);
        if !review.is_empty() {
            lines.plain("API permission changes:");
            for entry in &review {
                let glyph = crate::render::review::glyph(entry);
                lines.toned(
                    tone_of(glyph),
                    format!("  {glyph} {}", crate::render::review::line(entry)),
                );
            }
            lines.plain("");
        }
        lines.plain(format!("Plan: {}", planned_counts(&plan.summary())));
    } else {
        let reads: Vec<&ResourceChange> = plan
            .changes
            .iter()
            .filter(|change| change.action == Action::Read)
            .collect();
        for change in &reads {
            render_change(&mut lines, change);
        }
        if !reads.is_empty() {
            lines.plain("");
        }
        lines.plain("No changes. Your tenant matches the manifest.");
    }
    let warnings = warnings(plan);
    if !warnings.is_empty() {
        lines.plain("");
        for warning in warnings {
            lines.toned(Tone::Warn, format!("Warning: {warning}"));
        }
    }
    lines.0
}

/// Writes the destructive changes of `plan` once more, on their own, for `apply` to show just
/// before it asks for approval (the plan above may be long): every delete, replacement,
/// credential, owner or role assignment removal, and consent revocation, one line each. Writes
/// nothing when the plan destroys nothing.
pub fn destructive(plan: &Plan, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let items = destructive_lines(plan);
    if items.is_empty() {
        return Ok(());
    }
    let count = items.len();
    let mut lines = Lines::default();
    lines.plain(format!(
        "Registrar will destroy or remove the following ({count} change{}):",
        if count == 1 { "" } else { "s" }
    ));
    lines.plain("");
    for item in items {
        lines.toned(Tone::Remove, format!("  - {item}"));
    }
    for line in lines.0 {
        match line.tone.style().filter(|_| options.color) {
            Some(style) => writeln!(out, "{style}{}{style:#}", line.text)?,
            None => writeln!(out, "{}", line.text)?,
        }
    }
    Ok(())
}

/// One line per destructive change: its headline, what it takes away, and why.
fn destructive_lines(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|change| is_destructive(change))
        .map(|change| {
            let mut item = change_headline(change);
            if change.action == Action::Rotate {
                item.push_str(&format!(
                    ", removing the current {}",
                    object_noun(&change.address.component)
                ));
            }
            let revoked = revoked_scopes(change);
            if !revoked.is_empty() {
                let revoked: Vec<String> = revoked.iter().map(|scope| quoted(scope)).collect();
                item.push_str(&format!(", revoking {}", revoked.join(", ")));
            }
            if let Some(detail) = change_detail(change) {
                item.push_str(&format!(" ({detail})"));
            }
            item
        })
        .collect()
}

fn header(change: &ResourceChange) -> String {
    format!("  # {}", change_headline(change))
}

/// `application.api will be created`: the change's header without the comment mark (the
/// markdown renderer lists destructive changes with it).
pub(crate) fn change_headline(change: &ResourceChange) -> String {
    let address = &change.address;
    let wording = match change.action {
        Action::NoOp => "has no changes".to_owned(),
        Action::Create => "will be created".to_owned(),
        Action::Update => "will be updated in-place".to_owned(),
        Action::Replace => "must be replaced".to_owned(),
        Action::Rotate => match &change.reason {
            Some(reason) => format!(
                "will be rotated ({})",
                rotation_text(reason, &address.component)
            ),
            None => "will be rotated".to_owned(),
        },
        Action::Delete => "will be destroyed".to_owned(),
        Action::Restore => "will be restored from deleted items".to_owned(),
        Action::Read => "is not in the manifest; run with --prune to delete it".to_owned(),
    };
    format!("{address} {wording}")
}

/// The `# (…)` line under a change's header, without its marks, when there is one.
pub(crate) fn change_detail(change: &ResourceChange) -> Option<String> {
    change
        .reason
        .as_ref()
        .and_then(|reason| detail(reason, &change.address.component))
}

fn rotation_text(reason: &ActionReason, component: &Component) -> String {
    match reason {
        ActionReason::Expiring { remaining } => expires_text(*remaining),
        ActionReason::StoreMissing => "the store has no value".to_owned(),
        ActionReason::StoreMismatch { key_vault: true } => {
            "vault holds a different credential".to_owned()
        }
        ActionReason::StoreMismatch { key_vault: false } => {
            "the store holds a different credential".to_owned()
        }
        _ => detail(reason, component).unwrap_or_default(),
    }
}

/// The second comment line, `# (…)`, for reasons the header does not already say, about the
/// object `component` names.
fn detail(reason: &ActionReason, component: &Component) -> Option<String> {
    Some(match reason {
        ActionReason::Undeclared { name, hint, end } => {
            let mut facts = Vec::new();
            if let Some(hint) = hint {
                facts.push(format!("hint {hint}"));
            }
            if let Some(end) = end {
                facts.push(format!("expires {}", end.date()));
            }
            let mut text = object_noun(component).to_owned();
            if let Some(name) = name {
                text.push(' ');
                text.push_str(&quoted(name));
            }
            if !facts.is_empty() {
                text.push_str(&format!(" ({})", facts.join(", ")));
            }
            text.push_str(" is not in the manifest");
            text
        }
        ActionReason::Pruned => "not in the manifest, and --prune is set".to_owned(),
        ActionReason::PreviousCredential {
            overlap: Some(overlap),
        } => {
            format!(
                "the previous credential; its {} overlap after rotation has ended",
                duration_text(*overlap)
            )
        }
        ActionReason::PreviousCredential { overlap: None } => {
            "an older credential with the same name".to_owned()
        }
        ActionReason::CertificateChanged => {
            "the certificate file holds a different certificate".to_owned()
        }
        ActionReason::ServicePrincipalNotWanted => {
            "servicePrincipal is false in the manifest".to_owned()
        }
        ActionReason::DisableBeforeRemove { values } => {
            let values: Vec<String> = values.iter().map(|value| quoted(value)).collect();
            format!(
                "{} disabled first, then removed",
                values.join(", ") + if values.len() == 1 { " is" } else { " are" }
            )
        }
        ActionReason::ConsentNotDeclared => {
            "admin consent the manifest does not ask for".to_owned()
        }
        ActionReason::Expiring { .. }
        | ActionReason::StoreMissing
        | ActionReason::StoreMismatch { .. }
        | ActionReason::RestoreFromDeletedItems
        | ActionReason::NotInManifest => return None,
    })
}

fn render_change(lines: &mut Lines, change: &ResourceChange) {
    lines.toned(
        if change.action == Action::Read {
            Tone::Warn
        } else {
            Tone::Plain
        },
        header(change),
    );
    if change.action == Action::Read {
        return;
    }
    if let Some(text) = change_detail(change) {
        lines.plain(format!("  # ({text})"));
    }
    let glyph = change.action.glyph();
    let tone = match change.action {
        Action::Create | Action::Restore => Tone::Add,
        Action::Delete => Tone::Remove,
        _ => Tone::Change,
    };
    let kind = change.address.kind();
    lines.toned(
        tone,
        format!("{glyph:>3} {kind} {} {{", quoted(&change.address.name())),
    );
    let sensitive = |name: &str| {
        matches!(change.address.component, Component::Secret { .. }) && name == "value"
    };
    let empty = Map::new();
    let before = change
        .before
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = change
        .after
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    match change.action {
        Action::Create | Action::Restore => {
            let mut names: Vec<&str> = after
                .iter()
                .filter(|(_, value)| !is_empty(value))
                .map(|(name, _)| name.as_str())
                .collect();
            names.extend(
                change
                    .after_unknown
                    .iter()
                    .map(String::as_str)
                    .filter(|name| !after.contains_key(*name)),
            );
            let width = names.iter().map(|name| name.len()).max().unwrap_or(0);
            for name in names {
                let label = format!("{name:width$}");
                if sensitive(name) {
                    lines.at(6, Some('+'), &format!("{label} = (sensitive value)"));
                } else if let Some(value) = after.get(name) {
                    add_attribute(lines, 6, '+', &label, value, false);
                } else {
                    lines.at(6, Some('+'), &format!("{label} = (known after apply)"));
                }
            }
        }
        Action::Delete => {
            let names: Vec<&str> = before
                .iter()
                .filter(|(_, value)| !is_empty(value))
                .map(|(name, _)| name.as_str())
                .collect();
            let width = names.iter().map(|name| name.len()).max().unwrap_or(0);
            for name in names {
                if sensitive(name) {
                    lines.at(6, Some('-'), &format!("{name:width$} = (sensitive value)"));
                } else if let Some(value) = before.get(name) {
                    add_attribute(lines, 6, '-', &format!("{name:width$}"), value, true);
                }
            }
        }
        Action::Update | Action::Replace | Action::Rotate | Action::NoOp | Action::Read => {
            let mut names: Vec<&str> = after.keys().map(String::as_str).collect();
            for name in before.keys().chain(change.after_unknown.iter()) {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
            let width = names.iter().map(|name| name.len()).max().unwrap_or(0);
            for name in names {
                let label = format!("{name:width$}");
                let unknown = change.after_unknown.iter().any(|unknown| unknown == name);
                match (before.get(name), after.get(name)) {
                    _ if sensitive(name) => {
                        lines.at(6, Some('~'), &format!("{label} = (sensitive value)"))
                    }
                    (Some(old), _) if unknown => {
                        lines.at(
                            6,
                            Some('~'),
                            &format!("{label} = {} -> (known after apply)", inline(old)),
                        );
                    }
                    (None, _) if unknown => {
                        lines.at(6, Some('+'), &format!("{label} = (known after apply)"))
                    }
                    (Some(old), Some(new)) if old == new => {
                        context_attribute(lines, 6, &label, new)
                    }
                    (Some(old), Some(new)) => change_attribute(lines, 6, &label, old, new),
                    (None, Some(new)) => add_attribute(lines, 6, '+', &label, new, false),
                    (Some(old), None) => add_attribute(lines, 6, '-', &label, old, true),
                    (None, None) => {}
                }
            }
        }
    }
    lines.plain("    }");
}

/// Values a create or destroy does not bother to show.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        Value::Number(_) | Value::Bool(true) => false,
    }
}

/// A scalar on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(text) => quoted(text),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Object(fields) if fields.is_empty() => "{}".to_owned(),
        other => other.to_string(),
    }
}

fn is_multiline(value: &Value) -> bool {
    matches!(value, Value::String(text) if text.trim_end_matches('\n').contains('\n'))
}

/// `+ name = value` (or `-`), with lists, objects and multi-line strings spread out. A removed
/// top-level scalar reads `-> null`, as terraform writes it.
fn add_attribute(
    lines: &mut Lines,
    indent: usize,
    glyph: char,
    label: &str,
    value: &Value,
    to_null: bool,
) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            lines.at(indent, Some(glyph), &format!("{label} = ["));
            for item in items {
                add_element(lines, indent + 4, glyph, item);
            }
            lines.at(indent, None, "]");
        }
        Value::Object(fields) if !fields.is_empty() => {
            lines.at(indent, Some(glyph), &format!("{label} = {{"));
            add_fields(lines, indent + 4, glyph, fields);
            lines.at(indent, None, "}");
        }
        Value::String(text) if is_multiline(value) => {
            lines.at(indent, Some(glyph), &format!("{label} = <<-EOT"));
            for line in text.trim_end_matches('\n').lines() {
                lines.plain(format!("{}{line}", " ".repeat(indent + 6)));
            }
            lines.at(indent, None, "EOT");
        }
        _ => {
            let suffix = if to_null { " -> null" } else { "" };
            lines.at(
                indent,
                Some(glyph),
                &format!("{label} = {}{suffix}", inline(value)),
            );
        }
    }
}

fn add_fields(lines: &mut Lines, indent: usize, glyph: char, fields: &Map<String, Value>) {
    let shown: Vec<(&String, &Value)> = fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .collect();
    let width = shown.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, value) in shown {
        add_attribute(
            lines,
            indent,
            glyph,
            &format!("{name:width$}"),
            value,
            false,
        );
    }
}

fn add_element(lines: &mut Lines, indent: usize, glyph: char, item: &Value) {
    match item {
        Value::Object(fields) if !fields.is_empty() => {
            lines.at(indent, Some(glyph), "{");
            add_fields(lines, indent + 4, glyph, fields);
            lines.at(indent, None, "},");
        }
        Value::Array(items) if !items.is_empty() => {
            lines.at(indent, Some(glyph), "[");
            for inner in items {
                add_element(lines, indent + 4, glyph, inner);
            }
            lines.at(indent, None, "],");
        }
        _ => lines.at(indent, Some(glyph), &format!("{},", inline(item))),
    }
}

/// An unchanged attribute shown for context.
fn context_attribute(lines: &mut Lines, indent: usize, label: &str, value: &Value) {
    match value {
        Value::Array(_) | Value::Object(_) if !is_empty(value) => {
            lines.at(
                indent,
                None,
                &format!(
                    "{label} = {}",
                    serde_json::to_string(value).unwrap_or_default()
                ),
            );
        }
        _ => lines.at(indent, None, &format!("{label} = {}", inline(value))),
    }
}

/// `~ name = old -> new`, or an element-by-element diff for lists, a field-by-field diff for
/// objects, and a line-by-line diff for multi-line strings.
fn change_attribute(lines: &mut Lines, indent: usize, label: &str, old: &Value, new: &Value) {
    match (old, new) {
        (Value::Array(old_items), Value::Array(new_items)) => {
            lines.at(indent, Some('~'), &format!("{label} = ["));
            diff_list(lines, indent + 4, old_items, new_items);
            lines.at(indent, None, "]");
        }
        (Value::Object(old_fields), Value::Object(new_fields)) => {
            lines.at(indent, Some('~'), &format!("{label} = {{"));
            diff_fields(lines, indent + 4, old_fields, new_fields, None);
            lines.at(indent, None, "}");
        }
        (Value::String(old_text), Value::String(new_text))
            if is_multiline(old) || is_multiline(new) =>
        {
            lines.at(indent, Some('~'), &format!("{label} = <<-EOT"));
            let old_text = format!("{}\n", old_text.trim_end_matches('\n'));
            let new_text = format!("{}\n", new_text.trim_end_matches('\n'));
            let diff = similar::TextDiff::from_lines(&old_text, &new_text);
            for change in diff.iter_all_changes() {
                let text = change.value().trim_end_matches('\n');
                match change.tag() {
                    similar::ChangeTag::Equal => {
                        lines.plain(format!("{}{text}", " ".repeat(indent + 6)))
                    }
                    similar::ChangeTag::Delete => lines.at(indent + 4, Some('-'), text),
                    similar::ChangeTag::Insert => lines.at(indent + 4, Some('+'), text),
                }
            }
            lines.at(indent, None, "EOT");
        }
        (Value::Null, new)
            if !is_empty(new)
                && !matches!(new, Value::Bool(_) | Value::Number(_) | Value::String(_)) =>
        {
            add_attribute(lines, indent, '+', label, new, false);
        }
        _ => lines.at(
            indent,
            Some('~'),
            &format!("{label} = {} -> {}", inline_any(old), inline_any(new)),
        ),
    }
}

/// A value on one line, compact JSON for lists and objects.
fn inline_any(value: &Value) -> String {
    match value {
        Value::Array(_) | Value::Object(_) if !is_empty(value) => {
            serde_json::to_string(value).unwrap_or_default()
        }
        _ => inline(value),
    }
}

/// The field lists use to match elements of lists of objects, in order of preference.
const IDENTITY_KEYS: [&str; 5] = ["value", "resource_app_id", "app_id", "name", "id"];

fn identity_key(old: &[Value], new: &[Value]) -> Option<&'static str> {
    let all: Vec<&Value> = old.iter().chain(new).collect();
    if all.is_empty() || !all.iter().all(|item| item.is_object()) {
        return None;
    }
    IDENTITY_KEYS.into_iter().find(|key| {
        all.iter()
            .all(|item| item.get(key).is_some_and(|value| !value.is_null()))
    })
}

fn diff_list(lines: &mut Lines, indent: usize, old: &[Value], new: &[Value]) {
    let key = identity_key(old, new);
    let same = |a: &Value, b: &Value| match key {
        Some(key) => a.get(key) == b.get(key),
        None => a == b,
    };
    let mut unchanged = 0usize;
    for item in old {
        if !new.iter().any(|candidate| same(item, candidate)) {
            add_element(lines, indent, '-', item);
        }
    }
    for item in new {
        match old.iter().find(|candidate| same(candidate, item)) {
            None => add_element(lines, indent, '+', item),
            Some(previous) if previous == item => unchanged += 1,
            Some(previous) => match (previous, item) {
                (Value::Object(old_fields), Value::Object(new_fields)) => {
                    lines.at(indent, Some('~'), "{");
                    diff_fields(lines, indent + 4, old_fields, new_fields, key);
                    lines.at(indent, None, "},");
                }
                _ => {
                    add_element(lines, indent, '-', previous);
                    add_element(lines, indent, '+', item);
                }
            },
        }
    }
    if unchanged > 0 {
        let noun = if unchanged == 1 {
            "element"
        } else {
            "elements"
        };
        lines.at(
            indent,
            None,
            &format!("# ({unchanged} unchanged {noun} hidden)"),
        );
    }
}

fn diff_fields(
    lines: &mut Lines,
    indent: usize,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    identity: Option<&str>,
) {
    let mut names: Vec<&String> = new.keys().collect();
    for name in old.keys() {
        if !new.contains_key(name) {
            names.push(name);
        }
    }
    let shown: Vec<&String> = names
        .into_iter()
        .filter(|name| Some(name.as_str()) == identity || old.get(*name) != new.get(*name))
        .collect();
    let hidden = new
        .keys()
        .chain(old.keys().filter(|name| !new.contains_key(*name)))
        .count()
        - shown.len();
    let width = shown.iter().map(|name| name.len()).max().unwrap_or(0);
    for name in shown {
        let label = format!("{name:width$}");
        match (old.get(name), new.get(name)) {
            (Some(a), Some(b)) if a == b => context_attribute(lines, indent, &label, b),
            (Some(a), Some(b)) => change_attribute(lines, indent, &label, a, b),
            (None, Some(b)) => add_attribute(lines, indent, '+', &label, b, false),
            (Some(a), None) => add_attribute(lines, indent, '-', &label, a, true),
            (None, None) => {}
        }
    }
    if hidden > 0 {
        let noun = if hidden == 1 {
            "attribute"
        } else {
            "attributes"
        };
        lines.at(
            indent,
            None,
            &format!("# ({hidden} unchanged {noun} hidden)"),
        );
    }
}
