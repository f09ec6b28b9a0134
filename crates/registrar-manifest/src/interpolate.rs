//! `${VAR}` interpolation of string values from the environment.
//!
//! The syntax, applied to every string *value* of a manifest (never to keys):
//! - `${NAME}` is replaced by the variable's value; an unset variable is an error.
//! - `${NAME:-default}` gives `default` when NAME is unset or empty (as in POSIX shells).
//! - `$${` is a literal `${` (so `$${NAME}` stays `${NAME}`); a `$` not followed by `{` is
//!   literal.
//! - NAME is `[A-Za-z_][A-Za-z0-9_]*`; the default runs to the first `}` and cannot nest.
//!
//! Values are substituted once: a variable whose value contains `${` is not expanded again.
//! The environment is a function so that tests are hermetic (the CLI passes `std::env::var`).

use crate::diagnostics::Diagnostic;
use crate::node::{Node, ScalarKind, Value};

/// Looks up an environment variable.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a string could not be interpolated, and at which character of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterpolationError {
    /// Character offset of the `$` that starts the bad reference.
    pub(crate) offset: usize,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// Expands `text`; `None` when it holds nothing to expand.
pub(crate) fn interpolate(text: &str, env: Env<'_>) -> Result<Option<String>, InterpolationError> {
    if !text.contains("${") {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
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
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if !is_variable_name(name) {
            return Err(InterpolationError {
                offset,
                message: format!("`${{{inner}}}` is not a valid variable reference"),
                hint: Some(
                    "write `${NAME}` or `${NAME:-default}`; NAME is letters, digits and `_`"
                        .to_owned(),
                ),
            });
        }
        let value = env(name);
        match (value, default) {
            (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(InterpolationError {
                    offset,
                    message: format!("environment variable `{name}` is not set"),
                    hint: Some(format!("set it, or give a default: `${{{name}:-value}}`")),
                });
            }
        }
        offset += after[..=close].chars().count();
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(Some(out))
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Interpolates every string value in `node` (not mapping keys), reporting each failure at the
/// `${` that caused it where the source shows it, else at the start of the value.
pub(crate) fn interpolate_tree(
    node: &mut Node,
    file: &str,
    source: &str,
    env: Env<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                interpolate_tree(item, file, source, env, errors);
            }
        }
        Value::Map(entries) => {
            for (_, value) in entries {
                interpolate_tree(value, file, source, env, errors);
            }
        }
        Value::Scalar(scalar) => {
            if scalar.kind != ScalarKind::Str {
                return;
            }
            match interpolate(&scalar.text, env) {
                Ok(None) => {}
                Ok(Some(expanded)) => {
                    scalar.text = expanded;
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

    fn env(name: &str) -> Option<String> {
        match name {
            "TENANT" => Some("contoso".to_owned()),
            "EMPTY" => Some(String::new()),
            "NESTED" => Some("${TENANT}".to_owned()),
            _ => None,
        }
    }

    fn expand(text: &str) -> String {
        match interpolate(text, &env) {
            Ok(Some(text)) => text,
            Ok(None) => format!("(unchanged) {text}"),
            Err(error) => format!("error at {}: {}", error.offset, error.message),
        }
    }

    #[test]
    fn interpolation_cases() {
        assert_eq!(
            expand("${TENANT}.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(expand("a-${TENANT}-b-${TENANT}"), "a-contoso-b-contoso");
        assert_eq!(expand("${UNSET:-fallback}"), "fallback");
        assert_eq!(expand("${EMPTY:-fallback}"), "fallback");
        assert_eq!(expand("${EMPTY}"), "");
        assert_eq!(expand("${TENANT:-x}"), "contoso");
        assert_eq!(expand("$${TENANT}"), "${TENANT}");
        assert_eq!(expand("cost $5 ${TENANT}"), "cost $5 contoso");
        assert_eq!(expand("${NESTED}"), "${TENANT}");
        assert_eq!(expand("no dollars"), "(unchanged) no dollars");
        assert_eq!(
            expand("ab ${UNSET}"),
            "error at 3: environment variable `UNSET` is not set"
        );
        assert_eq!(
            expand("${TENANT"),
            "error at 0: unterminated `${` (no closing `}`)"
        );
        assert_eq!(
            expand("x${1A}"),
            "error at 1: `${1A}` is not a valid variable reference"
        );
    }

    #[test]
    fn columns_point_at_the_reference() {
        assert_eq!(column_in_source("k: ab ${X}\n", 1, 4, "ab ${X}", 3), 7);
        assert_eq!(column_in_source("k: \"ab ${X}\"\n", 1, 4, "ab ${X}", 3), 8);
        assert_eq!(column_in_source("k: |\n  ab\n", 1, 4, "ab\n", 1), 4);
    }
}
