//! Tests of the whole load, through one helper: [`check`] loads YAML and compares the printed
//! diagnostics (or `ok` and the warnings) with an expectation. Update expectations with
//! `UPDATE_EXPECT=1 cargo test -p registrar-manifest`, then review the diff.

use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use crate::{Loaded, load, load_str};

fn env(name: &str) -> Option<String> {
    match name {
        "TENANT" => Some("contoso.onmicrosoft.com".to_owned()),
        "VAULT" => Some("kv-platform".to_owned()),
        "PUBLIC" => Some("true".to_owned()),
        _ => None,
    }
}

fn render(result: Result<Loaded, crate::Diagnostics>) -> String {
    match result {
        Ok(loaded) => {
            let mut out = "ok".to_owned();
            for warning in &loaded.warnings {
                out.push('\n');
                out.push_str(&warning.to_string());
            }
            out
        }
        Err(diagnostics) => diagnostics.to_string(),
    }
}

/// Loads `yaml` as `apps.yaml` and compares what a user would see.
#[track_caller]
fn check(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(load_str(Path::new("apps.yaml"), yaml, &env)));
}

/// One application `a` whose body is `body` (indented by the caller as under `  a:`), starting
/// at line 5 (`version`, `namespace`, `applications`, `a` are lines 1-4).
#[track_caller]
fn check_app(body: &str, expect: Expect) {
    let mut yaml = "version: 1\nnamespace: test\napplications:\n  a:\n".to_owned();
    for line in body.lines() {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    check(&yaml, expect);
}

fn loaded(yaml: &str) -> Loaded {
    match load_str(Path::new("apps.yaml"), yaml, &env) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("manifest does not load:\n{diagnostics}"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

mod desired;
mod examples;
mod inputs;
mod rules;
