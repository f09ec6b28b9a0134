//! Snapshots of what users read: the real binary's output for the quick start, a plan with
//! every kind of change in each format, `validate` with several errors, and the service errors
//! with their hints. Each snapshot in `snapshots/` was reviewed line by line; see
//! [`crate::snapshot`] for what is redacted.

use registrar_emulator::Faults;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::harness::{Run, TestTenant, run_offline, workspace_root};
use crate::snapshot::{assert_cli_snapshot, sorted_stderr};

/// Two fixed self-signed certificates (public parts only; the keys were thrown away), so that a
/// replaced certificate shows the same thumbprints in every run.
const FIRST_CERTIFICATE: &str = "\
-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUe3dYOIrWWVPVGV13LXx5HEcG+EowCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZmlyc3QuY29udG9zby5jb20wIBcNMjYxMjAxMDg0MzM5WhgP
MjEyNjExMDcwODQzMzlaMBwxGjAYBgNVBAMMEWZpcnN0LmNvbnRvc28uY29tMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENenNMnNetd9Pk0uxO0kFast3Hq/F0wSW
cmk1kfpZbbDeB1BC7qXBy6icAfhpQS9nhkD7ovfT5F81eRwjbWICnKNTMFEwHQYD
VR0OBBYEFH+8j6gg75vgRMdTGIRdtSknCyNFMB8GA1UdIwQYMBaAFH+8j6gg75vg
RMdTGIRdtSknCyNFMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
AJizO8JL/p/wCPErv3faQjG42hxsS1OZx45FYPEdFK1ZAiBAf5x6C7irDpN2jncW
/1cwYajZS3j8FH/c29rIWWg7GA==
-----END CERTIFICATE-----
";
const SECOND_CERTIFICATE: &str = "\
-----BEGIN CERTIFICATE-----
MIIBkTCCATegAwIBAgIUXedT2Mj/82l2LsutD9qRynycMTQwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSc2Vjb25kLmNvbnRvc28uY29tMCAXDTI2MTIwMTA4NDMzOVoY
DzIxMjYxMTA3MDg0MzM5WjAdMRswGQYDVQQDDBJzZWNvbmQuY29udG9zby5jb20w
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQH/fSKLGIWXEN+3Op01XgImmFf8jPz
5RyWtw5gFd7dkO+s7Uy7a/KoQpeKnyK2OyhddO9Q6YXXWwFwFhgdkXFAo1MwUTAd
BgNVHQ4EFgQUuiD6SuwryYfysM1OI+l20gUT2kgwHwYDVR0jBBgwFoAUuiD6Suwr
yYfysM1OI+l20gUT2kgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
AiAcUy5WSSfwOk4kQhcduLXCMXZcY91GDu2+9heWMcozkQIhAJkwTI0aqYYzSWRK
PFPNYfqdoioQucdOBW7YDbRf6sTp
-----END CERTIFICATE-----
";

#[test]
fn quickstart_plan_apply_and_no_changes() {
    let tenant = TestTenant::new();
    let quickstart = std::fs::read_to_string(workspace_root().join("manifests/quickstart.yaml"))
        .expect("manifests/quickstart.yaml");
    let manifest = tenant.write("manifests/quickstart.yaml", &quickstart);

    let plan = tenant.run(&["plan", &manifest]);
    plan.expect_code(0);
    assert_cli_snapshot!("quickstart_plan", plan);

    let apply = tenant.run(&["apply", "--auto-approve", &manifest]);
    apply.expect_code(0);
    assert_cli_snapshot!("quickstart_apply", sorted_stderr(apply));

    let converged = tenant.run(&["plan", "--detailed-exitcode", &manifest]);
    converged.expect_code(0);
    assert_cli_snapshot!("quickstart_no_changes", converged);
}

/// The manifest of the tour through every kind of change; `step` 1 is what is applied first,
/// step 2 what is planned after.
fn tour_manifest(step: u8) -> String {
    let (web_name, last) = match step {
        1 => (
            "Tour web",
            "  legacy:\n    displayName: Legacy\n  returning:\n    displayName: Returning\n",
        ),
        _ => (
            "Tour web app",
            "  returning:\n    displayName: Returning\n  fresh:\n    displayName: Fresh\n",
        ),
    };
    format!(
        "\
version: 1
namespace: tour
applications:
  api:
    displayName: Tour API
    secrets:
      ci:
        lifetime: 180d
        rotateBefore: 30d
        store:
          keyVault: {{ vault: kv-tour, name: api-ci }}
    certificates:
      signing: {{ file: certs/signing.pem }}
  web:
    displayName: {web_name}
    web:
      redirectUris: [https://web.contoso.com/auth]
{last}"
    )
}

/// A tenant where planning `apps.yaml` with `--prune` shows every kind of change: `fresh`
/// created, `web` updated in place, the certificate of `api` replaced, its secret rotated (ten
/// days before it expires), `legacy` destroyed and `returning` restored from deleted items.
fn tour() -> TestTenant {
    let mut tenant = TestTenant::new();
    tenant.write("certs/signing.pem", FIRST_CERTIFICATE);
    let manifest = tenant.write("apps.yaml", &tour_manifest(1));
    tenant.apply(&manifest);
    // `returning` is pruned, so it waits in deleted items.
    let without = tenant.write(
        "without.yaml",
        &tour_manifest(1).replace("  returning:\n    displayName: Returning\n", ""),
    );
    tenant
        .run(&["apply", "--auto-approve", "--prune", &without])
        .expect_code(0);
    let api = tenant.application("tour.api");
    let end = api["passwordCredentials"][0]["endDateTime"]
        .as_str()
        .expect("the secret's end date");
    let end = OffsetDateTime::parse(end, &Rfc3339).expect("an RFC 3339 end date");
    tenant.now = Some(
        (end - time::Duration::days(10))
            .format(&Rfc3339)
            .expect("format"),
    );
    tenant.write("certs/signing.pem", SECOND_CERTIFICATE);
    tenant.write("apps.yaml", &tour_manifest(2));
    tenant
}

#[test]
fn plan_with_every_kind_of_change() {
    let tenant = tour();
    let plan = tenant.run(&["plan", "--prune", "--detailed-exitcode", "apps.yaml"]);
    plan.expect_code(2);
    assert_cli_snapshot!("every_change_plan", plan);

    let markdown = tenant.run(&["plan", "--prune", "--format", "markdown", "apps.yaml"]);
    markdown.expect_code(0);
    assert_cli_snapshot!("every_change_plan_markdown", markdown);

    let json = tenant.run(&["plan", "--prune", "--format", "json", "apps.yaml"]);
    json.expect_code(0);
    crate::plan_json::valid_plan_json(&json.stdout);
    assert_cli_snapshot!("every_change_plan_json", json);

    let apply = tenant.run(&["apply", "--auto-approve", "--prune", "apps.yaml"]);
    apply.expect_code(0);
    assert_cli_snapshot!("every_change_apply", sorted_stderr(apply));
    tenant.assert_converged("apps.yaml");
}

const BAD_MANIFEST: &str = "\
version: 1
namespace: Platform Team
applications:
  api:
    appId: 0000-not-a-guid
    displayName: API
    web:
      redirectUri: [https://api.contoso.com/auth]
    requiredResourceAccess:
      - resource: Microsoft Graph
        scopes: [User.Reed]
    secrets:
      ci:
        lifetime: 180 days
        store:
          file: { path: secret.json, format: json }
";

#[test]
fn validate_reports_several_errors_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), BAD_MANIFEST).unwrap();
    let run = run_offline(dir.path(), &["validate", "bad.yaml"]);
    run.expect_code(1);
    assert_cli_snapshot!("validate_several_errors", run);
}

const ONE_APP: &str = "version: 1\nnamespace: errors\napplications:\n  one: {}\n";

#[test]
fn no_credential_says_how_to_sign_in() {
    // `--credential environment` without AZURE_* variables fails before any request is sent.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), ONE_APP).unwrap();
    let args = ["--credential", "environment", "plan", "apps.yaml"];
    let output = std::process::Command::new(crate::harness::binary())
        .args(args)
        .current_dir(dir.path())
        .env_remove("AZURE_TENANT_ID")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("REGISTRAR_TARGET")
        .env_remove("REGISTRAR_LOCAL_URL")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let run = Run::from(crate::harness::command_line(&args), output);
    run.expect_code(1);
    assert_cli_snapshot!("error_no_credential", run);
}

#[test]
fn key_vault_forbidden_during_apply() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "\
version: 1
namespace: errors
applications:
  api:
    displayName: Vault denied
    secrets:
      ci:
        store:
          keyVault: { vault: kv-locked, name: api-ci }
",
    );
    tenant.set_faults(Faults {
        deny_vaults: vec!["kv-locked".to_owned()],
        ..Faults::default()
    });
    let apply = tenant.run(&["apply", "--auto-approve", &manifest]);
    apply.expect_code(1);
    assert_cli_snapshot!("error_key_vault_forbidden", sorted_stderr(apply));
}

#[test]
fn service_throttling_every_request() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    tenant.set_faults(Faults {
        throttle_rate: 1.0,
        retry_after_seconds: 0.01,
        ..Faults::default()
    });
    let plan = tenant.run(&["plan", &manifest]);
    plan.expect_code(1);
    assert_cli_snapshot!("error_throttled", plan);
}

#[test]
fn service_unavailable_for_every_request() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    tenant.set_faults(Faults {
        unavailable_rate: 1.0,
        retry_after_seconds: 0.01,
        ..Faults::default()
    });
    let plan = tenant.run(&["plan", &manifest]);
    plan.expect_code(1);
    assert_cli_snapshot!("error_unavailable", plan);
}

#[test]
fn apply_without_a_terminal_asks_for_auto_approve() {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    let run = tenant.run(&["apply", &manifest]);
    run.expect_code(1);
    assert_cli_snapshot!("error_apply_needs_approval", run);
}

#[test]
fn manifest_for_another_tenant() {
    let tenant = TestTenant::new();
    let manifest = tenant.write(
        "apps.yaml",
        "version: 1\nnamespace: errors\ntenant: 11111111-2222-3333-4444-555555555555\napplications:\n  one: {}\n",
    );
    let run = tenant.run(&["plan", &manifest]);
    run.expect_code(1);
    assert_cli_snapshot!("error_other_tenant", run);
}

/// `plan` of a manifest whose application is missing, with `--color WHEN` (when given) and
/// this environment; stdout and stderr go to pipes.
fn plan_with_color(when: Option<&str>, env: &[(&str, &str)]) -> Run {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    let mut args = Vec::new();
    if let Some(when) = when {
        args.extend(["--color", when]);
    }
    args.extend(["plan", manifest.as_str()]);
    // The harness sets NO_COLOR=1; an empty value means "not set" (https://no-color.org).
    // An empty CLICOLOR_FORCE, in case the environment of the tests forces colour.
    let mut all_env = vec![("NO_COLOR", ""), ("CLICOLOR_FORCE", "")];
    all_env.extend_from_slice(env);
    tenant.run_with_env(&args, &all_env)
}

const ESCAPE: char = '\u{1b}';

#[test]
fn color_always_styles_stdout_and_stderr_even_into_a_pipe() {
    let run = plan_with_color(Some("always"), &[]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("{ESCAPE}[32m  + application \"one\" {{")),
        "{:?}",
        run.stdout
    );
    // An error on stderr (a bad `--now`, found before any request): `error` in bold red.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), ONE_APP).unwrap();
    let args = [
        "--local",
        "--color",
        "always",
        "--now",
        "soon",
        "plan",
        "apps.yaml",
    ];
    let error = run_offline(dir.path(), &args);
    error.expect_code(1);
    assert!(
        error.stderr.starts_with(&format!(
            "{ESCAPE}[1m{ESCAPE}[31merror{ESCAPE}[0m: `--now soon`"
        )),
        "{:?}",
        error.stderr
    );
    // clap's help follows `--color` too.
    let help = run_offline(dir.path(), &["--color", "always", "--help"]);
    help.expect_code(0);
    assert!(help.stdout.contains(ESCAPE), "{:?}", help.stdout);
    // `--color always` wins over NO_COLOR, as in cargo and ripgrep.
    assert!(
        !plan_with_color(Some("always"), &[("NO_COLOR", "1")])
            .stdout
            .is_empty()
    );
    assert!(
        plan_with_color(Some("always"), &[("NO_COLOR", "1")])
            .stdout
            .contains(ESCAPE)
    );
}

#[test]
fn color_never_and_pipes_are_plain() {
    for run in [
        plan_with_color(Some("never"), &[]),
        plan_with_color(Some("auto"), &[]),
        plan_with_color(None, &[]),
        plan_with_color(Some("never"), &[("CLICOLOR_FORCE", "1")]),
    ] {
        run.expect_code(0);
        assert!(!run.all_output().contains(ESCAPE), "{:?}", run.all_output());
        assert!(
            run.stdout.contains("+ application \"one\""),
            "{}",
            run.stdout
        );
    }
}

/// Runs `registrar --local --color WHEN plan` on a pseudo-terminal (util-linux `script`) and
/// returns what the terminal showed.
fn plan_on_terminal(when: &str, no_color: &str) -> String {
    let tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    let command = format!(
        "{} --local --color {when} plan {manifest}",
        crate::harness::binary()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(tenant.dir.path())
        .env("REGISTRAR_LOCAL_URL", tenant.base_url())
        .env(
            "REGISTRAR_LOCAL_CA",
            tenant.dir.path().join("emulator-ca.pem"),
        )
        .env("NO_COLOR", no_color)
        .env("TERM", "xterm-256color")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs the command on a pseudo-terminal");
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn color_auto_styles_a_terminal_unless_no_color_is_set() {
    let screen = plan_on_terminal("auto", "");
    assert!(screen.contains(ESCAPE), "{screen:?}");
    let screen = plan_on_terminal("auto", "1");
    assert!(
        !screen.contains(ESCAPE),
        "NO_COLOR wins over auto: {screen:?}"
    );
    assert!(screen.contains("+ application \"one\""), "{screen:?}");
    let screen = plan_on_terminal("never", "");
    assert!(!screen.contains(ESCAPE), "{screen:?}");
    let screen = plan_on_terminal("always", "1");
    assert!(screen.contains(ESCAPE), "{screen:?}");
}

#[test]
fn graph_forbidden_says_which_permission_to_grant() {
    let mut tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    // A credential without any Graph permission: even reading the applications is denied.
    tenant.deny_graph(|_, _| true);
    let plan = tenant.run(&["plan", &manifest]);
    plan.expect_code(1);
    assert_cli_snapshot!("error_graph_forbidden", plan);
}

#[test]
fn graph_forbidden_during_apply() {
    let mut tenant = TestTenant::new();
    let manifest = tenant.write("apps.yaml", ONE_APP);
    // A credential that may read applications (`Application.Read.All`) but not write them.
    tenant.deny_graph(|method, path| method != axum::http::Method::GET && path != "/v1.0/$batch");
    let apply = tenant.run(&["apply", "--auto-approve", &manifest]);
    apply.expect_code(1);
    assert_cli_snapshot!("error_graph_forbidden_during_apply", sorted_stderr(apply));
}
