//! `assert_cli_snapshot!`: an insta snapshot of what a user saw from one run of the binary (the
//! command line, the exit code, stdout and stderr), with what differs between runs redacted.
//!
//! Redacted: the scratch directory and other temporary paths, the local tenant's port, GUIDs
//! (numbered in order of first appearance, so a snapshot still shows which ids are the same;
//! the well-known ids of Microsoft's first-party APIs and of the test subscription are kept),
//! timestamps and dates, elapsed times, and the three characters of a client secret that Graph
//! shows as its hint. Snapshots live in `tests/cli/snapshots/`. A snapshot that differs fails
//! the test: outside CI insta writes the new output next to it as `.snap.new` (accept it with
//! `cargo insta review` after reading it), and a pending `.snap.new` does not make the test
//! pass; with `CI=true` or `INSTA_UPDATE=no` nothing is written.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::harness::Run;

/// Asserts the redacted transcript of a [`Run`](crate::harness::Run) (or of a
/// [`sorted_stderr`] one) against the snapshot
/// `tests/cli/snapshots/<name>.snap`.
macro_rules! assert_cli_snapshot {
    ($name:expr, $run:expr $(,)?) => {{
        let transcript = $crate::snapshot::Transcribe::transcript(&$run);
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, transcript);
        });
    }};
}

pub(crate) use assert_cli_snapshot;

/// GUIDs that are the same in every tenant and every run: worth showing as they are.
const STABLE_GUIDS: &[&str] = &[
    // Microsoft Graph
    "00000003-0000-0000-c000-000000000000",
    // Azure Resource Manager
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    // Azure Key Vault
    "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
    // The subscription the tests name (the example GUID of Microsoft's documentation).
    "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
    // The shape of a GUID in `validate`'s hint.
    "00000000-0000-0000-0000-000000000000",
    // The foreign tenant the tests name.
    "11111111-2222-3333-4444-555555555555",
    // The local tenant and its automation client, named atop every plan.
    "5f3c2a1e-7b4d-4c8e-9a6f-0d1e2f3a4b5c",
    "7d3c2a1b-0e9f-4a8b-8c7d-6e5f4a3b2c1d",
];

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

static TEMP_PATH: LazyLock<Regex> = LazyLock::new(|| {
    let temp = std::env::temp_dir();
    let temp = regex::escape(temp.to_string_lossy().trim_end_matches('/'));
    regex(&format!(r"(/private)?{temp}/\.tmp[A-Za-z0-9]+"))
});
static LOCAL_PORT: LazyLock<Regex> = LazyLock::new(|| regex(r"127\.0\.0\.1:\d+"));
static GUID: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
});
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"\b\d{4}-\d{2}-\d{2}\b"));
static ELAPSED: LazyLock<Regex> = LazyLock::new(|| regex(r"\b\d+\.\d+s\b"));
/// `hint = "abc"` (text plan), `"hint": "abc"` (JSON plan), `(hint abc,` (reasons).
static SECRET_HINT: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?P<lead>hint"?\s*[=:]\s*)"[^"]*"|(?P<word>\(hint )[^,)\s]+"#));

/// What a snapshot shows of a run.
pub(crate) trait Transcribe {
    /// The command line, exit code and both streams, redacted.
    fn transcript(&self) -> String;
}

impl Transcribe for Run {
    fn transcript(&self) -> String {
        transcript(self, "stderr", &self.stderr)
    }
}

/// A run whose stderr is shown with its lines sorted.
pub(crate) struct SortedStderr(Run);

/// For `apply`: changes that do not depend on each other run at the same time, so their
/// progress lines on stderr come in any order. Sorted, each change's lines stand together; the
/// final error (from the first line starting with `error:`) is kept as it is.
pub(crate) fn sorted_stderr(run: Run) -> SortedStderr {
    SortedStderr(run)
}

impl Transcribe for SortedStderr {
    fn transcript(&self) -> String {
        let stderr = &self.0.stderr;
        let error_at = stderr
            .match_indices('\n')
            .map(|(index, _)| index + 1)
            .chain([0])
            .filter(|&start| stderr[start..].starts_with("error:"))
            .min()
            .unwrap_or(stderr.len());
        let (progress, error) = stderr.split_at(error_at);
        let mut lines: Vec<&str> = progress.lines().collect();
        lines.sort_unstable();
        let mut stderr = lines.join("\n");
        stderr.push('\n');
        stderr.push_str(error);
        transcript(
            &self.0,
            "stderr, lines sorted (concurrent changes report in any order)",
            &stderr,
        )
    }
}

fn transcript(run: &Run, stderr_title: &str, stderr: &str) -> String {
    let mut text = format!("$ {}\nexit code: {}\n", run.command, run.code);
    for (title, stream) in [("stdout", run.stdout.as_str()), (stderr_title, stderr)] {
        if stream.trim().is_empty() {
            text.push_str(&format!("--- {title}: empty\n"));
        } else {
            text.push_str(&format!("--- {title}\n{stream}"));
            if !stream.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    redact(&text)
}

/// Replaces what differs between runs with placeholders.
pub(crate) fn redact(text: &str) -> String {
    let text = TEMP_PATH.replace_all(text, "[TEMP]");
    let text = LOCAL_PORT.replace_all(&text, "127.0.0.1:[PORT]");
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let text = GUID.replace_all(&text, |captures: &Captures<'_>| {
        let guid = captures[0].to_ascii_lowercase();
        if STABLE_GUIDS.contains(&guid.as_str()) {
            return guid;
        }
        let next = numbers.len() + 1;
        let number = *numbers.entry(guid).or_insert(next);
        format!("[GUID-{number}]")
    });
    let text = TIMESTAMP.replace_all(&text, "[TIMESTAMP]");
    let text = DATE.replace_all(&text, "[DATE]");
    let text = ELAPSED.replace_all(&text, "[ELAPSED]");
    let text = SECRET_HINT.replace_all(&text, |captures: &Captures<'_>| {
        match (captures.name("lead"), captures.name("word")) {
            (Some(lead), _) => format!("{}\"[HINT]\"", lead.as_str()),
            (_, Some(word)) => format!("{}[HINT]", word.as_str()),
            _ => captures[0].to_owned(),
        }
    });
    text.into_owned()
}

#[test]
fn redaction_replaces_what_changes_between_runs() {
    let scratch = std::env::temp_dir().join(".tmpAb12Cd");
    let text = format!(
        "https://127.0.0.1:40123/v1.0 in {}/apps.yaml\n\
                ids 3F2504E0-4F89-11D3-9A0C-0305E82C3301 3f2504e0-4f89-11d3-9a0c-0305e82c3301 \
                00000003-0000-0000-c000-000000000000 7c1f4f2e-0000-4000-8000-000000000001\n\
                at 2026-11-24T12:00:00Z until 2027-01-01, after 0.3s, https://localhost:5001\n\
                hint = \"a~b\", \"hint\": \"xY_\", (hint Q8., expires",
        scratch.display()
    );
    assert_eq!(
        redact(&text),
        "https://127.0.0.1:[PORT]/v1.0 in [TEMP]/apps.yaml\n\
         ids [GUID-1] [GUID-1] 00000003-0000-0000-c000-000000000000 [GUID-2]\n\
         at [TIMESTAMP] until [DATE], after [ELAPSED], https://localhost:5001\n\
         hint = \"[HINT]\", \"hint\": \"[HINT]\", (hint [HINT], expires"
    );
}
