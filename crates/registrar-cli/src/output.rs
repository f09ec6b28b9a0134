//! Output conventions: results on stdout, diagnostics on stderr, colour only on a terminal and
//! never with `NO_COLOR`, and one way to print an error (cargo's `error:` / `Caused by:` /
//! `hint:` layout).

use std::fmt;
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// An error with a hint that tells the user what to do about it.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub(crate) message: String,
    pub(crate) hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// An error that was already printed in full (e.g. a list of diagnostics): only the exit code
/// is left to decide.
#[derive(Debug)]
pub(crate) struct AlreadyReported;

impl fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("errors were reported above")
    }
}

impl std::error::Error for AlreadyReported {}

/// Whether to colour what goes to stdout.
pub(crate) fn stdout_color() -> bool {
    color_allowed() && std::io::stdout().is_terminal()
}

/// Whether to colour what goes to stderr.
pub(crate) fn stderr_color() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

fn color_allowed() -> bool {
    // https://no-color.org: any non-empty value disables colour.
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Logs go to stderr; `RUST_LOG` wins over `-v`/`-q` when set.
pub(crate) fn init_tracing(verbose: u8, quiet: bool) {
    let default_level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // Our crates at the chosen level; dependencies one step quieter unless -vvv.
        let deps = if verbose >= 3 { "debug" } else { "warn" };
        EnvFilter::new(format!("{deps},registrar={default_level},registrar_cli={default_level},registrar_azure={default_level},registrar_apply={default_level},registrar_plan={default_level},registrar_manifest={default_level},registrar_emulator={default_level}"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(stderr_color())
        .with_target(verbose >= 2)
        .try_init();
}

/// Prints an error the way cargo does: the message, each cause, then the hint if there is one.
pub(crate) fn print_error(error: &anyhow::Error) {
    if error.downcast_ref::<AlreadyReported>().is_some() {
        return;
    }
    let mut stderr = anstream::stderr();
    let red = if stderr_color() { "\x1b[1;31m" } else { "" };
    let reset = if stderr_color() { "\x1b[0m" } else { "" };
    let mut text = format!("{red}error{reset}: {error}\n");
    // `downcast_ref` on the anyhow error also finds a `Hinted` given as context.
    let mut hint = error
        .downcast_ref::<Hinted>()
        .map(|hinted| hinted.hint.clone());
    for cause in error.chain().skip(1) {
        text.push_str(&format!("  Caused by: {cause}\n"));
    }
    for cause in error.chain() {
        if hint.is_none()
            && let Some(hinted) = cause.downcast_ref::<Hinted>()
        {
            hint = Some(hinted.hint.clone());
        }
        if hint.is_none()
            && let Some(azure) = cause.downcast_ref::<registrar_azure::AzureError>()
        {
            hint = azure_hint(azure).map(str::to_owned);
        }
    }
    if let Some(hint) = hint {
        text.push_str(&format!("\nhint: {hint}\n"));
    }
    use std::io::Write;
    let _ = stderr.write_all(text.as_bytes());
}

/// How to give Registrar a credential.
pub(crate) const SIGN_IN_HINT: &str = "sign in with `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`, workload identity (`AZURE_FEDERATED_TOKEN_FILE`), a managed identity or `az login`; or try the local tenant with `--local`";

/// What to do about the service errors users meet first.
fn azure_hint(error: &registrar_azure::AzureError) -> Option<&'static str> {
    match error {
        registrar_azure::AzureError::Auth { .. } => Some(SIGN_IN_HINT),
        registrar_azure::AzureError::Service(answer)
            if answer.service == registrar_azure::Service::Graph
                && answer.has_code("Authorization_RequestDenied") =>
        {
            Some(
                "grant the credential the Microsoft Graph application permission `Application.ReadWrite.OwnedBy` (or `Application.ReadWrite.All` to manage owners and applications it does not own)",
            )
        }
        _ => None,
    }
}
