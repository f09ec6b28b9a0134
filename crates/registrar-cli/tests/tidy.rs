//! Tree-wide rules that keep the code base the way ARCHITECTURE.md describes it, checked as a
//! test (after rust-analyzer's `tidy`): every module documents itself, no source file grows past
//! the size at which it stops having one idea, GUIDs are recognised in one place, the library
//! crates read no test switches from the environment, and the repository's documents stand
//! alone.

use std::fs;
use std::path::{Path, PathBuf};

/// Files allowed past [`MAX_LINES`], each with the reason it is one file.
const LONG_FILES: &[(&str, &str)] = &[];

/// The longest a source file under `crates/*/src` may be.
const MAX_LINES: usize = 900;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/registrar-cli sits two levels below the workspace root")
        .to_path_buf()
}

/// Every file below `dir` whose name ends with `extension`, sorted.
fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `(crate name, path relative to the root, text)` of every `.rs` file under `crates/*/src`.
fn library_sources() -> Vec<(String, String, String)> {
    let root = workspace_root();
    let mut sources = Vec::new();
    for crate_dir in fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        let crate_name = crate_dir.file_name().to_string_lossy().into_owned();
        for path in files(&crate_dir.path().join("src"), ".rs") {
            let text = fs::read_to_string(&path).expect("a readable source file");
            let relative = path
                .strip_prefix(&root)
                .expect("below the root")
                .to_string_lossy()
                .into_owned();
            sources.push((crate_name.clone(), relative, text));
        }
    }
    sources.sort();
    sources
}

fn assert_none(rule: &str, offenders: Vec<String>) {
    assert!(
        offenders.is_empty(),
        "{rule}:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn every_module_starts_with_its_documentation() {
    let offenders = library_sources()
        .into_iter()
        .filter(|(_, _, text)| !text.trim_start().starts_with("//!"))
        .map(|(_, path, _)| path)
        .collect();
    assert_none("these modules do not start with a `//!` doc comment", offenders);
}

#[test]
fn no_source_file_is_too_long_to_have_one_idea() {
    let offenders = library_sources()
        .into_iter()
        .filter(|(_, path, _)| !LONG_FILES.iter().any(|(allowed, _)| path == allowed))
        .filter_map(|(_, path, text)| {
            let lines = text.lines().count();
            (lines > MAX_LINES).then(|| format!("{path}: {lines} lines"))
        })
        .collect();
    assert_none(
        &format!("these files are over {MAX_LINES} lines: split them along a seam"),
        offenders,
    );
}

#[test]
fn guids_are_recognised_in_one_place() {
    // The emulator keeps its own: it must judge requests as Graph does, independently of the
    // clients it is testing.
    let offenders = library_sources()
        .into_iter()
        .filter(|(krate, _, text)| krate != "registrar-emulator" && text.contains("fn is_guid"))
        .map(|(_, path, _)| path)
        .collect();
    assert_none(
        "`fn is_guid` outside the emulator: use `registrar_model::Guid`",
        offenders,
    );
}

#[test]
fn only_the_command_line_reads_test_switches() {
    let offenders = library_sources()
        .into_iter()
        .filter(|(krate, _, text)| krate != "registrar-cli" && text.contains("REGISTRAR_TEST_"))
        .map(|(_, path, _)| path)
        .collect();
    assert_none(
        "library crates read `REGISTRAR_TEST_*`: take the setting as configuration",
        offenders,
    );
}

#[test]
fn the_documents_stand_alone() {
    let root = workspace_root();
    let mut documents = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    documents.extend(files(&root.join("docs"), ".md"));
    let offenders = documents
        .iter()
        .filter(|path| {
            fs::read_to_string(path).is_ok_and(|text| text.contains("../shared"))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert_none(
        "these documents point outside the repository (`../shared`)",
        offenders,
    );
}
