//! The loader never panics, whatever it is given: arbitrary text, and every example manifest
//! with random damage (cut, inserted and repeated bytes). Every diagnostic it returns points
//! inside the file it names.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn examples() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path().join("manifest.yaml"))
        .filter(|path| path.is_file())
        .collect();
    files.push(root.join("manifests/quickstart.yaml"));
    files.sort();
    files
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

fn check(text: &str) {
    let env = |name: &str| (name == "SET").then(|| "value".to_owned());
    // Certificates named by the examples are looked up relative to this path, which does not
    // exist: that is one more error path exercised, never a panic.
    let path = Path::new("/nonexistent/robustness/manifest.yaml");
    if let Err(diagnostics) = registrar_manifest::load_str(path, text, &env) {
        // An upper bound of the lines a YAML parser may count: `\r` and Unicode line breaks
        // end lines too.
        let lines = 1 + text
            .chars()
            .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
            .count();
        for diagnostic in &diagnostics.0 {
            assert!(
                diagnostic.origin.line <= lines,
                "diagnostic beyond the end of the file: {diagnostic:?}\n{text}"
            );
        }
        assert!(!diagnostics.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        check(&text);
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in "(version: 1\n|namespace: [a-z]{1,5}\n|applications:\n|  [a-z]{1,4}:\n|    [a-zA-Z]{1,12}: [^\n]{0,20}\n|  - |&a |\\*a |\\{|\\}|\\[|\\]|'|\"|\\$\\{[A-Z]{0,4}(:-x)?\\}|\t|#|\n){0,60}") {
        check(&text);
    }

    #[test]
    fn damaged_examples_never_panic(
        which in 0usize..6,
        cuts in proptest::collection::vec((0usize..4000, 0usize..40), 0..4),
        inserts in proptest::collection::vec((0usize..4000, "[ -~\n\t]{1,8}"), 0..4),
    ) {
        let examples = examples();
        let mut text = examples[which % examples.len()].clone().into_bytes();
        for (at, length) in cuts {
            if text.is_empty() { break; }
            let start = at % text.len();
            let end = (start + length).min(text.len());
            text.drain(start..end);
        }
        for (at, insert) in inserts {
            let at = if text.is_empty() { 0 } else { at % text.len() };
            text.splice(at..at, insert.into_bytes());
        }
        check(&String::from_utf8_lossy(&text));
    }
}
