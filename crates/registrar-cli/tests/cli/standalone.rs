//! `registrar emulator` as its own process: the commands reach it through
//! `REGISTRAR_LOCAL_URL`, and its state file keeps the tenant across restarts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::harness::binary;

struct Standalone {
    child: Child,
    url: String,
}

impl Standalone {
    fn start(dir: &std::path::Path) -> Self {
        let mut child = Command::new(binary())
            .args([
                "emulator",
                "--port",
                "0",
                "--state",
                "tenant.json",
                "--ca-cert",
                "ca.pem",
            ])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut url = String::new();
        BufReader::new(stdout)
            .read_line(&mut url)
            .expect("read the URL");
        Self {
            child,
            url: url.trim().to_owned(),
        }
    }

    fn run(&self, dir: &std::path::Path, args: &[&str]) -> crate::harness::Run {
        let output = Command::new(binary())
            .arg("--local")
            .args(args)
            .current_dir(dir)
            .env("REGISTRAR_LOCAL_URL", &self.url)
            .env("REGISTRAR_LOCAL_CA", dir.join("ca.pem"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run registrar");
        let mut line = vec!["--local"];
        line.extend_from_slice(args);
        crate::harness::Run::from(crate::harness::command_line(&line), output)
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn emulator_standalone_keeps_the_tenant_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("apps.yaml"),
        "version: 1\nnamespace: solo\napplications:\n  one:\n    displayName: One\n",
    )
    .unwrap();

    let first = Standalone::start(dir.path());
    assert!(first.url.starts_with("https://127.0.0.1:"), "{}", first.url);
    first
        .run(dir.path(), &["apply", "--auto-approve", "apps.yaml"])
        .expect_code(0);
    drop(first);

    let second = Standalone::start(dir.path());
    let plan = second.run(dir.path(), &["plan", "--detailed-exitcode", "apps.yaml"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}
