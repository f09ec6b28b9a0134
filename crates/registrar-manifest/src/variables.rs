//! Manifest variables: the values `${var.NAME}` reads, and where they come from.
//!
//! A manifest never reads the environment of the run directly (a pull request that writes
//! `${AZURE_CLIENT_SECRET}` must not publish the CI's credential). It reads *variables*, as
//! terraform reads `TF_VAR_*`, from three sources, the first that defines a name winning:
//! 1. `--var NAME=value` on the command line ([`Variables::set`]; repeatable, the last wins);
//! 2. `--var-file FILE` ([`Variables::read_file`]; repeatable, a later file wins);
//! 3. the environment variable `REGISTRAR_VAR_NAME` (the only environment variables read).
//!
//! A variable file holds `NAME=value` lines: blank lines and lines starting with `#` are
//! skipped, spaces around NAME are ignored, and the value is everything after the first `=`
//! exactly as written (no quotes, no escapes; a final `\r` is dropped). A name may be defined
//! once per file. Errors name the file and line and never quote a value.
//!
//! The environment is a function (the CLI passes `std::env::var`), so tests stay hermetic.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use registrar_model::Origin;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::interpolate::is_variable_name;

/// The prefix of the environment variables a manifest may read: `REGISTRAR_VAR_<NAME>` gives
/// `${var.NAME}`.
pub const ENV_PREFIX: &str = "REGISTRAR_VAR_";

/// The largest variable file read (1 MiB).
const MAX_VAR_FILE_BYTES: u64 = 1024 * 1024;

/// Looks up an environment variable.
type Env = Box<dyn Fn(&str) -> Option<String>>;

/// The variables of a run, from `--var`, `--var-file` and `REGISTRAR_VAR_*`.
///
/// Debug shows the names only, never a value.
pub struct Variables {
    given: BTreeMap<String, String>,
    from_files: BTreeMap<String, String>,
    env: Env,
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variables")
            .field("given", &self.given.keys().collect::<Vec<_>>())
            .field("from_files", &self.from_files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Variables {
    /// No `--var` or `--var-file` yet; `env` looks up environment variables (only
    /// `REGISTRAR_VAR_*` names are ever asked for).
    pub fn new(env: impl Fn(&str) -> Option<String> + 'static) -> Self {
        Self {
            given: BTreeMap::new(),
            from_files: BTreeMap::new(),
            env: Box::new(env),
        }
    }

    /// Adds one `--var NAME=value` (a later one with the same name wins).
    ///
    /// # Errors
    /// The message for a value that is not `NAME=value` with a valid NAME (it never quotes the
    /// value).
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let Some((name, value)) = assignment.split_once('=') else {
            return Err("`--var` takes `NAME=value` (NAME is letters, digits and `_`)".to_owned());
        };
        let name = name.trim();
        if !is_variable_name(name) {
            return Err(format!(
                "`--var {}=…`: `{}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                crate::node::shorten(name),
                crate::node::shorten(name)
            ));
        }
        self.given.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    /// Reads a `--var-file` (a later file's definitions win over an earlier one's).
    ///
    /// # Errors
    /// Every problem of the file, each with its line.
    pub fn read_file(&mut self, path: &Path) -> Result<(), Diagnostics> {
        let shown = path.display().to_string();
        let whole_file = Origin {
            file: shown.clone(),
            line: 0,
            column: 0,
        };
        let cannot_read = |reason: String| {
            Diagnostics(vec![
                Diagnostic::error(
                    whole_file.clone(),
                    format!("cannot read the variable file: {reason}"),
                )
                .with_hint("`--var-file` names a file of `NAME=value` lines"),
            ])
        };
        let metadata = std::fs::metadata(path).map_err(|error| cannot_read(reason(&error)))?;
        if metadata.len() > MAX_VAR_FILE_BYTES {
            return Err(cannot_read("it is larger than 1 MiB".to_owned()));
        }
        let bytes = std::fs::read(path).map_err(|error| cannot_read(reason(&error)))?;
        let Ok(text) = String::from_utf8(bytes) else {
            return Err(cannot_read("it is not UTF-8".to_owned()));
        };
        let parsed = parse_var_file(&shown, &text)?;
        self.from_files.extend(parsed);
        Ok(())
    }

    /// The value of `${var.NAME}`: `--var`, then `--var-file`, then `REGISTRAR_VAR_NAME`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.given
            .get(name)
            .or_else(|| self.from_files.get(name))
            .cloned()
            .or_else(|| (self.env)(&format!("{ENV_PREFIX}{name}")))
    }
}

fn reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string().to_lowercase(),
    }
}

/// The definitions of a variable file, or every problem in it.
fn parse_var_file(shown: &str, text: &str) -> Result<BTreeMap<String, String>, Diagnostics> {
    let mut values = BTreeMap::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = |column: usize| Origin {
            file: shown.to_owned(),
            line: number,
            column,
        };
        let indent = line.len() - trimmed.len() + 1;
        let Some((name, value)) = trimmed.split_once('=') else {
            errors.push(
                Diagnostic::error(at(indent), "expected `NAME=value`")
                    .with_hint("a variable file holds `NAME=value` lines and `#` comments"),
            );
            continue;
        };
        let name = name.trim();
        if !is_variable_name(name) {
            errors.push(
                Diagnostic::error(
                    at(indent),
                    format!("`{}` is not a variable name", crate::node::shorten(name)),
                )
                .with_hint("a name is letters, digits and `_`, not starting with a digit"),
            );
            continue;
        }
        if let Some(first) = first_line.get(name) {
            errors.push(
                Diagnostic::error(at(indent), format!("variable `{name}` is defined twice"))
                    .with_hint(format!("it is first defined at line {first}")),
            );
            continue;
        }
        first_line.insert(name.to_owned(), number);
        values.insert(name.to_owned(), value.to_owned());
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(Diagnostics(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "REGISTRAR_VAR_a" => Some("from env".to_owned()),
            "REGISTRAR_VAR_b" => Some("from env".to_owned()),
            "REGISTRAR_VAR_c" => Some("from env".to_owned()),
            "a" | "b" | "c" => Some("unprefixed, never read".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn precedence_is_var_then_file_then_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("vars.env");
        std::fs::write(&file, "# comment\n\n a = from file \nb=from file\r\n").expect("write");
        let mut variables = Variables::new(env);
        variables.set("a=from --var").expect("set");
        variables.read_file(&file).expect("reads");
        assert_eq!(variables.get("a").as_deref(), Some("from --var"));
        assert_eq!(variables.get("b").as_deref(), Some("from file"));
        assert_eq!(variables.get("c").as_deref(), Some("from env"));
        assert_eq!(variables.get("d"), None);
        assert_eq!(
            format!("{variables:?}"),
            "Variables { given: [\"a\"], from_files: [\"a\", \"b\"], .. }"
        );
        // The value is everything after the first `=`, as written.
        let mut variables = Variables::new(|_| None);
        variables.set("x=a=b ").expect("set");
        assert_eq!(variables.get("x").as_deref(), Some("a=b "));
    }

    #[test]
    fn var_file_errors_name_the_line_and_not_the_value() {
        let errors = parse_var_file(
            "vars.env",
            "ok=1\nno equals sign here\n1A=secret-one\nok=secret-two\n",
        )
        .expect_err("errors");
        let text = errors.to_string();
        expect_test::expect![[r#"
            error: vars.env:2:1: expected `NAME=value`
              hint: a variable file holds `NAME=value` lines and `#` comments
            error: vars.env:3:1: `1A` is not a variable name
              hint: a name is letters, digits and `_`, not starting with a digit
            error: vars.env:4:1: variable `ok` is defined twice
              hint: it is first defined at line 1

            3 errors in 1 file; nothing was changed"#]]
        .assert_eq(&text);
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn bad_var_flags_are_refused_without_the_value() {
        let mut variables = Variables::new(|_| None);
        let error = variables.set("no-equals-secret").expect_err("no =");
        assert!(!error.contains("secret"), "{error}");
        let error = variables.set("bad name=secret").expect_err("bad name");
        assert!(
            error.contains("`bad name`") && !error.contains("secret"),
            "{error}"
        );
    }
}
