//! Progress bars under a pseudo-terminal (plan, apply, import): `script` (util-linux) runs the binary with stderr on a
//! terminal, so the bars are drawn; with `-q` or `--format json` they are not. Every other test
//! runs without a terminal, and its exact stderr shows that nothing is drawn there.

use std::process::{Command, Stdio};

use crate::harness::{TestTenant, binary};

const MANIFEST: &str = "\
version: 1
namespace: it
applications:
  worker:
    displayName: Worker
  reader:
    displayName: Reader
";

/// Runs `registrar --local ARGS` on a pseudo-terminal and returns everything it wrote there,
/// or `None` when `script` is not installed.
fn run_on_terminal(tenant: &TestTenant, args: &[&str]) -> Option<String> {
    let mut line = format!("{} --local", binary());
    for arg in args {
        line.push(' ');
        line.push_str(arg);
    }
    let output = Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(tenant.dir.path())
        .env("REGISTRAR_LOCAL_URL", tenant.base_url())
        .env(
            "REGISTRAR_LOCAL_CA",
            tenant.dir.path().join("emulator-ca.pem"),
        )
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("RUST_LOG")
        .env_remove("REGISTRAR_NOW")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "{line}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", MANIFEST);
    let Some(applied) = run_on_terminal(&tenant, &["apply", "--auto-approve", &manifest]) else {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    };
    assert!(applied.contains("Reading ["), "{applied}");
    assert!(applied.contains(" objects"), "{applied}");
    assert!(applied.contains("Applying ["), "{applied}");
    assert!(applied.contains(" changes"), "{applied}");
    // The terraform-style lines are there as without a terminal.
    assert!(
        applied.contains("application.worker: Creation complete after"),
        "{applied}"
    );
    assert!(applied.contains("Apply complete!"), "{applied}");

    for quiet in [
        vec!["-q", "plan", &manifest],
        vec!["plan", "--format", "json", &manifest],
    ] {
        let shown = run_on_terminal(&tenant, &quiet).unwrap_or_default();
        assert!(!shown.contains("Reading ["), "{quiet:?}: {shown}");
    }
    let plain = tenant.plan(&manifest);
    plain.expect_code(0);
    assert!(!plain.stderr.contains('['), "{}", plain.stderr);
}

#[test]
fn import_draws_progress_on_stderr_only_and_keeps_stdout_clean() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", MANIFEST);
    tenant.apply(&manifest).expect_code(0);
    let import = ["import", "--tag", "registrar:it"];

    let Some(shown) = run_on_terminal(&tenant, &[&import[..], &["-o", "into-dir"]].concat()) else {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    };
    assert!(shown.contains("Reading ["), "{shown}");
    assert!(shown.contains(" objects"), "{shown}");
    assert!(shown.contains("Imported 2 application(s)"), "{shown}");

    // The manifest on stdout (redirected by the terminal's shell) carries no bar, while stderr,
    // still the terminal, shows it.
    let shown = run_on_terminal(&tenant, &[&import[..], &[">", "stdout.yaml"]].concat())
        .unwrap_or_default();
    assert!(shown.contains("Reading ["), "{shown}");
    let stdout = std::fs::read_to_string(tenant.dir.path().join("stdout.yaml")).unwrap();
    assert!(stdout.starts_with("# "), "{stdout}");
    assert!(!stdout.contains("Reading"), "{stdout}");
    assert!(!stdout.contains('\r'), "{stdout}");
    assert!(stdout.contains("displayName: \"Worker\""), "{stdout}");

    let quiet = run_on_terminal(
        &tenant,
        &[&["-q"], &import[..], &["-o", "quiet-dir"]].concat(),
    )
    .unwrap_or_default();
    assert!(!quiet.contains("Reading ["), "{quiet}");

    let plain = tenant.run(&[&import[..], &["-o", "plain-dir"]].concat());
    plain.expect_code(0);
    assert!(!plain.stderr.contains('['), "{}", plain.stderr);
}
