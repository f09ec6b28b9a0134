//! The little YAML writer of import: block mappings by indentation, every string a
//! double-quoted scalar (JSON's escapes are YAML's), and `${` escaped as `$${` so that the
//! manifest's interpolation gives the text back.

/// Lines of YAML, two spaces per indentation level.
#[derive(Debug, Default)]
pub(crate) struct Yaml {
    out: String,
}

impl Yaml {
    /// Appends one line at `indent` levels.
    pub(crate) fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Appends `name: "value"` when there is a value.
    pub(crate) fn optional(&mut self, indent: usize, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.line(indent, &format!("{name}: {}", scalar(value)));
        }
    }

    /// The text written.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// A string value: double-quoted, with `${` written `$${` (a literal for interpolation).
pub(crate) fn scalar(text: &str) -> String {
    quoted(&text.replace("${", "$${"))
}

/// A mapping key: double-quoted (keys are never interpolated).
pub(crate) fn key(text: &str) -> String {
    quoted(text)
}

/// A flow list of string values.
pub(crate) fn string_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| scalar(item)).collect();
    format!("[{}]", items.join(", "))
}
