//! What a pull request can make Registrar read and write (issue 10, items 1, 5 and 6): a
//! manifest reads only its variables (`--var`, `--var-file`, `REGISTRAR_VAR_*`), never another
//! environment variable, and no output shows a variable's value in an error; role assignment
//! scopes are not paths; file secret stores stay inside their root and never follow a link.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::TestTenant;

const CANARY: &str = "CANARY-5f3c-do-not-print";

fn manifest_with(body: &str) -> String {
    format!("version: 1\nnamespace: prs\napplications:\n  web:\n{body}")
}

#[test]
fn an_environment_reference_fails_and_its_value_is_never_printed() {
    let tenant = TestTenant::new();
    tenant.write(
        "apps.yaml",
        &manifest_with(
            "    notes: ${AZURE_CLIENT_SECRET}\n    description: \"${env.GITHUB_TOKEN}\"\n",
        ),
    );
    let env = [("AZURE_CLIENT_SECRET", CANARY), ("GITHUB_TOKEN", CANARY)];
    for args in [
        &["validate", "apps.yaml"][..],
        &["plan", "apps.yaml"],
        &["plan", "--format", "markdown", "apps.yaml"],
        &["plan", "--format", "json", "apps.yaml"],
        &["-vvv", "plan", "apps.yaml"],
        &["-vvv", "apply", "--auto-approve", "apps.yaml"],
        &["drift", "--format", "markdown", "apps.yaml"],
    ] {
        let run = tenant.run_with_env(args, &env);
        run.expect_code(1);
        assert!(
            !run.stdout.contains(CANARY) && !run.stderr.contains(CANARY),
            "{args:?} printed the value:\n{}",
            run.all_output()
        );
        assert!(
            run.stderr
                .contains("apps.yaml:5:12: `${AZURE_CLIENT_SECRET}` is not a variable reference"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("`${var.AZURE_CLIENT_SECRET}`")
                && run.stderr.contains("`REGISTRAR_VAR_AZURE_CLIENT_SECRET`"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("`${env.GITHUB_TOKEN}` is not a variable reference"),
            "{}",
            run.stderr
        );
    }
    // Nothing was created.
    let (status, _) = tenant.graph("GET", "/applications(uniqueName='prs.web')", None);
    assert_eq!(status, 404);
}

#[test]
fn variables_come_from_var_then_var_file_then_registrar_var_environment() {
    let tenant = TestTenant::new();
    tenant.write(
        "apps.yaml",
        &manifest_with("    notes: \"note: ${var.note}\"\n"),
    );
    tenant.write("vars.env", "# team defaults\nnote=from-file\n");
    let plan_notes = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut all = vec!["plan"];
        all.extend_from_slice(args);
        all.push("apps.yaml");
        let run = tenant.run_with_env(&all, env);
        run.expect_code(0);
        run.stdout
    };
    let env = [("REGISTRAR_VAR_note", "from-env"), ("note", "unprefixed")];
    assert!(plan_notes(&["--var", "note=from-flag"], &[]).contains("\"note: from-flag\""));
    assert!(plan_notes(&["--var-file", "vars.env"], &[]).contains("\"note: from-file\""));
    assert!(plan_notes(&[], &env).contains("\"note: from-env\""));
    // Precedence: --var over --var-file over REGISTRAR_VAR_*.
    assert!(
        plan_notes(&["--var-file", "vars.env", "--var", "note=from-flag"], &env)
            .contains("\"note: from-flag\"")
    );
    assert!(plan_notes(&["--var-file", "vars.env"], &env).contains("\"note: from-file\""));
    // Undefined: an error naming it.
    let run = tenant.run_with_env(&["validate", "apps.yaml"], &[("note", "unprefixed")]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("apps.yaml:5:19: variable `note` is not defined"),
        "{}",
        run.stderr
    );
    // A broken variable file names its line, not its values.
    tenant.write("bad.env", "note=fine\nthis line has no equals sign\n");
    let run = tenant.run(&["validate", "--var-file", "bad.env", "apps.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("bad.env:2:1: expected `NAME=value`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("fine"), "{}", run.stderr);
    // `apply` and `drift` take the same flags, and the result converges.
    let run = tenant.run(&["apply", "--auto-approve", "--var", "note=v1", "apps.yaml"]);
    run.expect_code(0);
    let run = tenant.run(&[
        "plan",
        "--detailed-exitcode",
        "--var",
        "note=v1",
        "apps.yaml",
    ]);
    run.expect_code(0);
    let run = tenant.run(&["drift", "--var", "note=v1", "apps.yaml"]);
    run.expect_code(0);
}

#[test]
fn an_interpolated_bad_value_is_shown_as_its_expression() {
    let tenant = TestTenant::new();
    tenant.write(
        "apps.yaml",
        &manifest_with(
            "    web:\n      redirectUris: [\"${var.callback}\"]\n    roleAssignments:\n      - role: Reader\n        scope: \"${var.scope}\"\n",
        ),
    );
    let value = format!("http://{CANARY}.example.com/cb");
    let scope = format!("/subscriptions/{CANARY}");
    let run = tenant.run(&[
        "validate",
        "--var",
        &format!("callback={value}"),
        "--var",
        &format!("scope={scope}"),
        "apps.yaml",
    ]);
    run.expect_code(1);
    assert!(!run.all_output().contains(CANARY), "{}", run.all_output());
    assert!(
        run.stderr
            .contains("apps.yaml:6:22: web redirect URI `${var.callback}` must use https"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("role assignment scope `${var.scope}`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_scope_with_dot_segments_is_rejected() {
    let tenant = TestTenant::new();
    tenant.write(
        "apps.yaml",
        &manifest_with(
            "    roleAssignments:\n      - role: Reader\n        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/providers/Microsoft.X/a/b/../../../../subscriptions/bbbb0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e\n",
        ),
    );
    let run = tenant.run(&["plan", "apps.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("apps.yaml:7:16: role assignment scope"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("remove the `.` and `..` segments"),
        "{}",
        run.stderr
    );
}

fn secret_manifest(path: &str) -> String {
    manifest_with(&format!(
        "    secrets:\n      local:\n        store:\n          file: {{ path: \"{path}\" }}\n"
    ))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `apply` fails, and the application holds no credential.
#[track_caller]
fn apply_fails_without_a_credential(tenant: &TestTenant, args: &[&str]) -> String {
    let run = tenant.run(args);
    run.expect_code(1);
    let (status, app) = tenant.graph("GET", "/applications(uniqueName='prs.web')", None);
    if status == 200 {
        assert_eq!(
            app["passwordCredentials"],
            serde_json::json!([]),
            "a credential was left behind:\n{}",
            run.all_output()
        );
    }
    run.all_output()
}

#[test]
fn secret_files_outside_the_manifest_directory_are_refused() {
    let tenant = TestTenant::new();
    let root = tenant.dir.path();
    std::fs::create_dir(root.join("manifests")).unwrap();
    let absolute = root.join("absolute.json");
    for (path, message) in [
        ("../escape.json", "leaves the directory it is relative to"),
        (absolute.to_str().unwrap(), "is absolute"),
    ] {
        tenant.write("manifests/apps.yaml", &secret_manifest(path));
        let run = tenant.run(&["validate", "manifests/apps.yaml"]);
        run.expect_code(1);
        assert!(
            run.stderr
                .contains("manifests/apps.yaml:8:25: secret file path")
                && run.stderr.contains(message),
            "{}",
            run.stderr
        );
        let output = apply_fails_without_a_credential(
            &tenant,
            &["apply", "--auto-approve", "manifests/apps.yaml"],
        );
        assert!(output.contains(message), "{output}");
    }
    assert!(!root.join("escape.json").exists());
    assert!(!absolute.exists());
}

#[test]
fn secret_files_are_never_written_through_a_symlink() {
    let tenant = TestTenant::new();
    let root = tenant.dir.path();
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("target.json"), "untouched").unwrap();
    std::fs::create_dir(root.join("manifests")).unwrap();

    // A symlinked parent folder.
    std::os::unix::fs::symlink(&elsewhere, root.join("manifests/secrets")).unwrap();
    tenant.write("manifests/apps.yaml", &secret_manifest("secrets/web.json"));
    let output = apply_fails_without_a_credential(
        &tenant,
        &["apply", "--auto-approve", "manifests/apps.yaml"],
    );
    assert!(output.contains("is a symbolic link"), "{output}");
    assert!(output.contains("no credential was created"), "{output}");

    // A symlink at the file itself.
    std::os::unix::fs::symlink(
        elsewhere.join("target.json"),
        root.join("manifests/web.json"),
    )
    .unwrap();
    tenant.write("manifests/apps.yaml", &secret_manifest("web.json"));
    let output = apply_fails_without_a_credential(
        &tenant,
        &["apply", "--auto-approve", "manifests/apps.yaml"],
    );
    assert!(output.contains("is a symbolic link"), "{output}");

    assert_eq!(files_in(&elsewhere), ["target.json"]);
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("target.json")).unwrap(),
        "untouched"
    );
}

#[test]
fn secret_dir_names_another_root() {
    let tenant = TestTenant::new();
    let root = tenant.dir.path();
    std::fs::create_dir(root.join("manifests")).unwrap();
    tenant.write("manifests/apps.yaml", &secret_manifest("web/local.json"));
    let args = |command: &'static str| -> Vec<&'static str> {
        match command {
            "apply" => vec![
                "apply",
                "--auto-approve",
                "--secret-dir",
                "out",
                "manifests/apps.yaml",
            ],
            _ => vec![
                "plan",
                "--detailed-exitcode",
                "--secret-dir",
                "out",
                "manifests/apps.yaml",
            ],
        }
    };
    let run = tenant.run(&args("apply"));
    run.expect_code(0);
    let written = root.join("out/web/local.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).expect("written")).unwrap();
    let app = tenant.application("prs.web");
    assert_eq!(json["keyId"], app["passwordCredentials"][0]["keyId"]);
    assert_eq!(
        std::fs::metadata(&written).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!root.join("manifests/web").exists());
    let plan = tenant.run(&args("plan"));
    plan.expect_code(0);
    // The value is in that file and nowhere else: not in any output, not in another file.
    let value = json["clientSecret"].as_str().expect("a value").to_owned();
    assert!(value.len() >= 16);
    for output in [run.all_output(), plan.all_output()] {
        assert!(!output.contains(&value), "secret value leaked");
    }
    let mut holding = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if String::from_utf8_lossy(&std::fs::read(&path).unwrap()).contains(&value) {
                holding.push(path);
            }
        }
    }
    assert_eq!(holding, std::slice::from_ref(&written));
    // `..` may not leave the secret dir either.
    tenant.write("manifests/apps.yaml", &secret_manifest("../local.json"));
    let run = tenant.run(&["validate", "--secret-dir", "out", "manifests/apps.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("leaves the directory"),
        "{}",
        run.stderr
    );
}
