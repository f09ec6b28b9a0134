//! `${var.NAME}` interpolation of string values from the manifest's variables.
//!
//! The syntax, applied to every string *value* of a manifest (never to keys):
//! - `${var.NAME}` is replaced by the variable's value; an undefined variable is an error.
//! - `${var.NAME:-default}` gives `default` when NAME is undefined or empty (as in POSIX shells).
//! - `$${` is a literal `${` (so `$${var.NAME}` stays `${var.NAME}`); a `$` not followed by `{`
//!   is literal.
//! - NAME is `[A-Za-z_][A-Za-z0-9_]*`; the default runs to the first `}` and cannot nest.
//! - Any other `${…}` (`${AZURE_CLIENT_SECRET}`, `${env.X}`) is an error that names the
//!   reference and how to write it as a variable. It is never looked up: a manifest cannot read
//!   the environment of the run (a pull request could otherwise publish the CI's secrets).
//!
//! Where a variable's value comes from (`--var`, `--var-file`, `REGISTRAR_VAR_<NAME>`) is
//! [`crate::variables`]'s business; this module sees one lookup by name, so tests are hermetic.
//! Values are substituted once: a value that contains `${` is not expanded again.
//!
//! Every substitution is recorded in [`Interpolations`], which rewrites diagnostics so they
//! show the `${var.…}` expression written in the file, never the value it gave.

use crate::diagnostics::Diagnostic;
use crate::node::{Node, ScalarKind, Value, shorten};

/// Looks up a manifest variable by name (`x` for `${var.x}`).
pub(crate) type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The prefix of a variable reference: `${var.NAME}`.
const VAR_PREFIX: &str = "var.";

/// Why a string could not be interpolated, and at which character of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterpolationError {
    /// Character offset of the `$` that starts the bad reference.
    pub(crate) offset: usize,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// A string after interpolation, with each variable value it took and the expression that
/// asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub(crate) text: String,
    /// `(value, "${var.NAME}")` for every reference substituted by a variable's value.
    pub(crate) substitutions: Vec<(String, String)>,
}

/// Expands `text`; `None` when it holds nothing to expand.
pub(crate) fn interpolate(
    text: &str,
    vars: Vars<'_>,
) -> Result<Option<Expanded>, InterpolationError> {
    if !text.contains("${") {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
    let mut substitutions = Vec::new();
    let mut rest = text;
    let mut offset = 0; // characters consumed so far
    while let Some(position) = rest.find('$') {
        let before = &rest[..position];
        out.push_str(before);
        offset += before.chars().count();
        let after = &rest[position..];
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
            offset += 3;
            continue;
        }
        if !after.starts_with("${") {
            out.push('$');
            rest = &after[1..];
            offset += 1;
            continue;
        }
        let Some(close) = after.find('}') else {
            return Err(InterpolationError {
                offset,
                message: "unterminated `${` (no closing `}`)".to_owned(),
                hint: Some("write `$${` for a literal `${`".to_owned()),
            });
        };
        let inner = &after[2..close];
        let (reference, default) = match inner.split_once(":-") {
            Some((reference, default)) => (reference, Some(default)),
            None => (inner, None),
        };
        let name = match reference.strip_prefix(VAR_PREFIX) {
            Some(name) if is_variable_name(name) => name,
            _ => return Err(not_a_variable(offset, inner, reference)),
        };
        let expression = format!("${{{VAR_PREFIX}{name}}}");
        match (vars(name), default) {
            (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
            (Some(value), _) => {
                out.push_str(&value);
                substitutions.push((value, expression));
            }
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(InterpolationError {
                    offset,
                    message: format!("variable `{name}` is not defined"),
                    hint: Some(format!(
                        "pass `--var {name}=…`, define it in a `--var-file`, or set `{}{name}`; \
                         or give a default: `${{{VAR_PREFIX}{name}:-value}}`",
                        crate::variables::ENV_PREFIX
                    )),
                });
            }
        }
        offset += after[..=close].chars().count();
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(Some(Expanded {
        text: out,
        substitutions,
    }))
}

/// The error of a `${…}` that is not `${var.NAME}`: it names the reference as written (never a
/// value: nothing is looked up) and, when the name is usable, how to pass it as a variable.
fn not_a_variable(offset: usize, inner: &str, reference: &str) -> InterpolationError {
    // `${X}` and `${env.X}` most likely meant the environment variable X.
    let name = reference
        .strip_prefix("env.")
        .or_else(|| reference.strip_prefix(VAR_PREFIX))
        .unwrap_or(reference);
    let hint = if is_variable_name(name) {
        format!(
            "manifests read only variables: write `${{{VAR_PREFIX}{name}}}` and pass \
             `--var {name}=…`, a `--var-file`, or set `{}{name}`; other environment variables \
             are never read",
            crate::variables::ENV_PREFIX
        )
    } else {
        "write `${var.NAME}` or `${var.NAME:-default}`; NAME is letters, digits and `_`; \
         write `$${` for a literal `${`"
            .to_owned()
    };
    InterpolationError {
        offset,
        message: format!("`${{{}}}` is not a variable reference", shorten(inner)),
        hint: Some(hint),
    }
}

pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every interpolated string of a load: what the file wrote and what it became, and each
/// variable value with its expression. [`Interpolations::redact`] turns any of these values in
/// a message back into what the file wrote, so diagnostics never show a variable's value.
#[derive(Debug, Default)]
pub(crate) struct Interpolations {
    /// `(expanded, written)` of each interpolated scalar.
    scalars: Vec<(String, String)>,
    /// `(value, expression)` of each substituted reference.
    values: Vec<(String, String)>,
}

/// Values shorter than this are replaced only inside backticks (messages quote literals in
/// backticks); elsewhere a one- or two-letter value would garble ordinary words and numbers.
const SHORT_VALUE: usize = 4;

impl Interpolations {
    fn record(&mut self, written: &str, expanded: &Expanded) {
        if !expanded.substitutions.is_empty() {
            self.scalars
                .push((expanded.text.clone(), written.to_owned()));
        }
        for (value, expression) in &expanded.substitutions {
            if !value.is_empty() && !self.values.iter().any(|(known, _)| known == value) {
                self.values.push((value.clone(), expression.clone()));
            }
        }
    }

    /// Finishes recording: longest first, so a longer value is replaced before a part of it.
    fn sort(&mut self) {
        self.scalars
            .sort_by_key(|(expanded, _)| std::cmp::Reverse(expanded.len()));
        self.values
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    }

    /// `text` with every interpolated string (whole or as `shorten` cut it) replaced by what the
    /// file wrote, then every remaining variable value (in any ASCII case) by its expression.
    pub(crate) fn redact(&self, text: &str) -> String {
        if self.values.is_empty() {
            return text.to_owned();
        }
        let mut out = text.to_owned();
        for (expanded, written) in &self.scalars {
            if expanded.is_empty() {
                continue;
            }
            out = replace_value(&out, expanded, written);
            let short = shorten(expanded);
            if short != *expanded {
                out = replace_value(&out, &short, &shorten(written));
            }
        }
        for (value, expression) in &self.values {
            out = replace_value(&out, value, expression);
        }
        self.redact_parts(&out)
    }

    /// Every backtick-quoted part of `text` that is a piece of a variable's value (a rule
    /// that quotes part of a value, such as a scope's subscription id) becomes
    /// `` `(part of ${var.NAME})` ``.
    fn redact_parts(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut parts = text.split('`');
        if let Some(first) = parts.next() {
            out.push_str(first);
        }
        for (index, part) in parts.enumerate() {
            out.push('`');
            let quoted = index % 2 == 0;
            let lower = part.to_ascii_lowercase();
            let source = (quoted && part.len() >= SHORT_VALUE && !part.contains("${"))
                .then(|| {
                    self.values
                        .iter()
                        .find(|(value, _)| value.to_ascii_lowercase().contains(&lower))
                })
                .flatten();
            match source {
                Some((_, expression)) => {
                    out.push_str("(part of ");
                    out.push_str(expression);
                    out.push(')');
                }
                None => out.push_str(part),
            }
        }
        out
    }

    /// [`Self::redact`] applied to a diagnostic's message and hint.
    pub(crate) fn redact_diagnostic(&self, diagnostic: &mut Diagnostic) {
        diagnostic.message = self.redact(&diagnostic.message);
        if let Some(hint) = &diagnostic.hint {
            diagnostic.hint = Some(self.redact(hint));
        }
    }
}

/// Replaces `value` (ASCII case-insensitively) with `expression`; values shorter than
/// [`SHORT_VALUE`] only inside backtick-quoted parts.
fn replace_value(text: &str, value: &str, expression: &str) -> String {
    let lower_text = text.to_ascii_lowercase();
    let lower_value = value.to_ascii_lowercase();
    let mut quoted_at = Vec::with_capacity(text.len() + 1);
    let mut quoted = false;
    for byte in text.bytes() {
        quoted_at.push(quoted);
        if byte == b'`' {
            quoted = !quoted;
        }
    }
    quoted_at.push(false);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut search = 0;
    // ASCII lower-casing keeps byte offsets, so matches in the lowered text are char
    // boundaries of `text` too.
    while let Some(found) = lower_text[search..].find(&lower_value) {
        let start = search + found;
        let end = start + lower_value.len();
        if value.len() >= SHORT_VALUE || quoted_at[start] {
            out.push_str(&text[last..start]);
            out.push_str(expression);
            last = end;
            search = end;
        } else {
            search = start + lower_text[start..].chars().next().map_or(1, char::len_utf8);
        }
        if search >= lower_text.len() {
            break;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Interpolates every string value in `node` (not mapping keys), reporting each failure at the
/// `${` that caused it where the source shows it, else at the start of the value, and recording
/// each substitution in `record`.
pub(crate) fn interpolate_tree(
    node: &mut Node,
    file: &str,
    source: &str,
    vars: Vars<'_>,
    record: &mut Interpolations,
    errors: &mut Vec<Diagnostic>,
) {
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                interpolate_tree(item, file, source, vars, record, errors);
            }
        }
        Value::Map(entries) => {
            for (_, value) in entries {
                interpolate_tree(value, file, source, vars, record, errors);
            }
        }
        Value::Scalar(scalar) => {
            if scalar.kind != ScalarKind::Str {
                return;
            }
            match interpolate(&scalar.text, vars) {
                Ok(None) => {}
                Ok(Some(expanded)) => {
                    record.record(&scalar.text, &expanded);
                    scalar.text = expanded.text;
                    node.interpolated = true;
                }
                Err(error) => {
                    let column = column_in_source(
                        source,
                        node.line,
                        node.column,
                        &scalar.text,
                        error.offset,
                    );
                    let mut origin = node.origin(file);
                    origin.column = column;
                    errors.push(Diagnostic::error(origin, error.message).with_hint_opt(error.hint));
                }
            }
        }
    }
}

impl Interpolations {
    /// Ready for [`Self::redact`] (call once, after the last file).
    pub(crate) fn finish(mut self) -> Self {
        self.sort();
        self
    }
}

/// The column of character `offset` of a scalar whose text starts at (`line`, `column`), when
/// the source spells the text literally on that line (plain or simply quoted); else `column`.
fn column_in_source(source: &str, line: usize, column: usize, text: &str, offset: usize) -> usize {
    let Some(source_line) = source.lines().nth(line.saturating_sub(1)) else {
        return column;
    };
    let written: String = source_line.chars().skip(column.saturating_sub(1)).collect();
    let prefix: String = text.chars().take(offset).collect();
    if written.starts_with(&prefix) {
        column + offset
    } else if (written.starts_with('"') || written.starts_with('\''))
        && written[1..].starts_with(&prefix)
    {
        column + 1 + offset
    } else {
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "TENANT" => Some("contoso".to_owned()),
            "EMPTY" => Some(String::new()),
            "NESTED" => Some("${var.TENANT}".to_owned()),
            _ => None,
        }
    }

    fn expand(text: &str) -> String {
        match interpolate(text, &vars) {
            Ok(Some(expanded)) => expanded.text,
            Ok(None) => format!("(unchanged) {text}"),
            Err(error) => format!("error at {}: {}", error.offset, error.message),
        }
    }

    #[test]
    fn interpolation_cases() {
        assert_eq!(
            expand("${var.TENANT}.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            expand("a-${var.TENANT}-b-${var.TENANT}"),
            "a-contoso-b-contoso"
        );
        assert_eq!(expand("${var.UNSET:-fallback}"), "fallback");
        assert_eq!(expand("${var.EMPTY:-fallback}"), "fallback");
        assert_eq!(expand("${var.EMPTY}"), "");
        assert_eq!(expand("${var.TENANT:-x}"), "contoso");
        assert_eq!(expand("$${var.TENANT}"), "${var.TENANT}");
        assert_eq!(expand("$${TENANT}"), "${TENANT}");
        assert_eq!(expand("cost $5 ${var.TENANT}"), "cost $5 contoso");
        assert_eq!(expand("${var.NESTED}"), "${var.TENANT}");
        assert_eq!(expand("no dollars"), "(unchanged) no dollars");
        assert_eq!(
            expand("ab ${var.UNSET}"),
            "error at 3: variable `UNSET` is not defined"
        );
        assert_eq!(
            expand("${var.TENANT"),
            "error at 0: unterminated `${` (no closing `}`)"
        );
        assert_eq!(
            expand("x${var.1A}"),
            "error at 1: `${var.1A}` is not a variable reference"
        );
    }

    #[test]
    fn other_references_are_errors_and_never_looked_up() {
        let looked_up = std::cell::RefCell::new(Vec::new());
        let spy = |name: &str| {
            looked_up.borrow_mut().push(name.to_owned());
            Some("canary".to_owned())
        };
        for text in [
            "${AZURE_CLIENT_SECRET}",
            "${env.AZURE_CLIENT_SECRET}",
            "${AZURE_CLIENT_SECRET:-x}",
        ] {
            let error = interpolate(text, &spy).expect_err(text);
            assert!(
                error.message.starts_with("`${") && error.message.contains("AZURE_CLIENT_SECRET"),
                "{error:?}"
            );
            let hint = error.hint.unwrap_or_default();
            assert!(
                hint.contains("`${var.AZURE_CLIENT_SECRET}`")
                    && hint.contains("`REGISTRAR_VAR_AZURE_CLIENT_SECRET`"),
                "{hint}"
            );
        }
        assert!(looked_up.borrow().is_empty(), "{:?}", looked_up.borrow());
    }

    #[test]
    fn redaction_shows_the_expression() {
        let mut record = Interpolations::default();
        let written = "https://${var.HOST}/cb";
        let expanded = interpolate(written, &|_| Some("evil host".to_owned()))
            .expect("ok")
            .expect("some");
        record.record(written, &expanded);
        let record = record.finish();
        assert_eq!(
            record.redact("redirect URI `https://evil host/cb` is not an absolute URI"),
            "redirect URI `https://${var.HOST}/cb` is not an absolute URI"
        );
        assert_eq!(
            record.redact("e.g. `EVIL HOST`, or evil host"),
            "e.g. `${var.HOST}`, or ${var.HOST}"
        );
        assert_eq!(
            record.redact("the host `evil` is not allowed"),
            "the host `(part of ${var.HOST})` is not allowed"
        );
        let mut short = Interpolations::default();
        let expanded = interpolate("${var.N}", &|_| Some("1".to_owned()))
            .expect("ok")
            .expect("some");
        short.record("${var.N}", &expanded);
        let short = short.finish();
        assert_eq!(
            short.redact("version `1` at 1:1"),
            "version `${var.N}` at 1:1"
        );
    }

    #[test]
    fn columns_point_at_the_reference() {
        assert_eq!(column_in_source("k: ab ${X}\n", 1, 4, "ab ${X}", 3), 7);
        assert_eq!(column_in_source("k: \"ab ${X}\"\n", 1, 4, "ab ${X}", 3), 8);
        assert_eq!(column_in_source("k: |\n  ab\n", 1, 4, "ab\n", 1), 4);
    }
}
