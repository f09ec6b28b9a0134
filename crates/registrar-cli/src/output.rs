//! Output conventions: results on stdout, diagnostics on stderr, colour as `--color` says
//! (by default only on a terminal and never with `NO_COLOR`), and one way to print an error
//! (cargo's `error:` / `Caused by:` / `hint:` layout).
//!
//! Colour is written with `anstyle` styles into `anstream` streams, which drop the styling
//! when the stream is not to be coloured; [`init_color`] sets that choice once for the run.

use std::fmt;

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};
use tracing_subscriber::EnvFilter;

use crate::cli::ColorWhen;

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

/// The style of `error` in `error: ...`.
pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
/// The style of a change that failed, in apply's progress lines.
pub(crate) const FAILED: Style = AnsiColor::Red.on_default();

/// Applies `--color` to stdout and stderr for the rest of the run. `auto` leaves the decision
/// to `anstream`: colour on a terminal that supports it, never with `NO_COLOR`
/// (<https://no-color.org>), and as `CLICOLOR` / `CLICOLOR_FORCE` ask.
pub(crate) fn init_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether what goes to stdout is coloured.
pub(crate) fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != ColorChoice::Never
}

/// Whether what goes to stderr is coloured.
pub(crate) fn stderr_color() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != ColorChoice::Never
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
    let mut text = format!("{ERROR}error{ERROR:#}: {error}\n");
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
    // anstream drops the styling when stderr is not to be coloured.
    let _ = anstream::stderr().write_all(text.as_bytes());
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
