//! The command line, as clap types. Help texts here are the user-facing documentation of each
//! flag, so they say what the flag does and what the default is.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keep Microsoft Entra ID app registrations in git: declare applications, their credentials
/// and API permissions in YAML, review a plan, apply it.
#[derive(Debug, Parser)]
#[command(name = "registrar", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Run against the embedded local tenant (state in `.registrar/local-tenant.json`) instead
    /// of Azure. Also `REGISTRAR_TARGET=local`.
    #[arg(long, global = true)]
    pub(crate) local: bool,

    /// The Azure cloud to talk to when not `--local`.
    #[arg(long, global = true, value_enum, default_value_t = Cloud::Public, env = "REGISTRAR_CLOUD")]
    pub(crate) cloud: Cloud,

    /// How to sign in to Azure (not used with `--local`): the standard chain (environment
    /// secret, workload identity, managed identity, Azure CLI), or one of them.
    #[arg(long, global = true, value_enum, default_value_t = CredentialChoice::Chain, env = "REGISTRAR_CREDENTIAL")]
    pub(crate) credential: CredentialChoice,

    /// More diagnostics on stderr (`-v` info, `-vv` debug, `-vvv` trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// When to colour the output on stdout and stderr: `auto` on a terminal unless `NO_COLOR`
    /// is set, `always`, or `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub(crate) color: ColorWhen,

    /// The current time for the planner (RFC 3339), for testing rotation. Hidden.
    #[arg(long, global = true, hide = true, env = "REGISTRAR_NOW")]
    pub(crate) now: Option<String>,

    /// Test only: retries do not wait (the same retry decisions and number of requests, without
    /// the sleeping), so tests that inject throttling run fast. Hidden; also
    /// `REGISTRAR_TEST_NO_RETRY_DELAY` (any value but empty, `0`, `false`, `no`, `off`). No
    /// library crate reads this.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "REGISTRAR_TEST_NO_RETRY_DELAY",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub(crate) test_no_retry_delay: bool,

    /// Test only: how long one request attempt may take, in milliseconds (default 100 s), so
    /// tests that inject timeouts run fast. Hidden; also `REGISTRAR_TEST_REQUEST_TIMEOUT_MS`.
    /// No library crate reads this.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "REGISTRAR_TEST_REQUEST_TIMEOUT_MS",
        value_name = "MS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub(crate) test_request_timeout_ms: Option<u64>,
}

/// The choices of `--color`, as cargo and ripgrep name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always colour, also into pipes and files.
    Always,
    /// Never colour.
    Never,
}

impl Cli {
    /// Parses the command line, exiting with clap's message on an error or for `--help` and
    /// `--version`; those messages are coloured as `--color` says too.
    pub(crate) fn parse_with_color() -> Self {
        let when = color_flag(std::env::args_os().skip(1));
        let mut command = <Self as clap::CommandFactory>::command().color(match when {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        });
        let matches = command
            .try_get_matches_from_mut(std::env::args_os())
            .unwrap_or_else(|error| exit_with(error));
        <Self as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap_or_else(|error| exit_with(error.format(&mut command)))
    }
}

/// Prints clap's message and exits: 0 for `--help` and `--version`, 1 for a usage error (clap
/// would exit 2, which `plan --detailed-exitcode` and `drift` use for "changes present", so a
/// scheduled job could not tell a typo from drift).
fn exit_with(error: clap::Error) -> ! {
    let _ = error.print();
    std::process::exit(if error.use_stderr() { 1 } else { 0 });
}

/// The value of the last `--color WHEN` / `--color=WHEN` before `--`, read ahead of clap so that
/// clap's own messages follow it; anything clap would reject counts as `auto` here (clap then
/// reports it).
fn color_flag(args: impl Iterator<Item = std::ffi::OsString>) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut args = args.map(|arg| arg.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        let value = if arg == "--" {
            break;
        } else if arg == "--color" {
            args.next()
        } else {
            arg.strip_prefix("--color=").map(str::to_owned)
        };
        if let Some(value) = value {
            when = ColorWhen::from_str(&value, true).unwrap_or(ColorWhen::Auto);
        }
    }
    when
}

/// The clouds Registrar knows the endpoints of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Cloud {
    /// Azure public cloud.
    Public,
    /// Azure US Government.
    Usgov,
    /// Azure China (21Vianet).
    China,
}

/// The credentials `--credential` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CredentialChoice {
    /// The first of the others that works, in this order.
    Chain,
    /// A client secret from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    Environment,
    /// Workload identity federation: `AZURE_FEDERATED_TOKEN_FILE` (GitHub Actions, AKS).
    WorkloadIdentity,
    /// The managed identity of the Azure host (user-assigned when `AZURE_CLIENT_ID` is set).
    ManagedIdentity,
    /// The Azure CLI (`az login`), then the Azure Developer CLI.
    AzureCli,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check manifests offline; report every error with file:line:col.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the manifest, for editors.
    Schema(SchemaArgs),
    /// Read the tenant, compare it with the manifest and show what apply would change.
    Plan(PlanArgs),
    /// Show the plan, ask for approval, and carry it out; or carry out a saved plan
    /// (`apply FILE`) as it is.
    Apply(ApplyArgs),
    /// Report how the tenant differs from the manifest and which credentials expire: exit 0 in
    /// sync, 2 on drift or an expiring credential, 1 on error. For scheduled jobs.
    Drift(DriftArgs),
    /// Show a saved plan (`plan -o FILE`) without reading the tenant.
    Show(ShowArgs),
    /// Run the local tenant (Graph, Key Vault and a token endpoint over HTTPS) standalone.
    Emulator(EmulatorArgs),
    /// Write a manifest for applications that already exist in the tenant.
    Import(ImportArgs),
    /// Check manifests offline against Microsoft's security best practice for app
    /// registrations: exit 1 when a finding that is not suppressed is an error.
    Lint(LintArgs),
}

/// `registrar lint`.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Manifest files or directories (every *.yaml / *.yml in them; a directory of manifest
    /// directories, like `examples/`, is one manifest per directory).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Output format on stdout: text, a JSON document, or SARIF 2.1.0 for GitHub code scanning.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub(crate) format: LintFormat,

    #[command(flatten)]
    pub(crate) thresholds: LintThresholds,

    #[command(flatten)]
    pub(crate) inputs: ManifestInputs,
}

/// The thresholds of the lint rules, for `lint`, `plan` and `apply`.
#[derive(Debug, Clone, Args)]
pub(crate) struct LintThresholds {
    /// A client secret that lives longer is a lint finding (RL009), in the manifest's duration
    /// syntax: `180d`, `26w`, `P180D`.
    #[arg(long, value_name = "DURATION", default_value = "180d", value_parser = parse_window)]
    pub(crate) max_secret_lifetime: time::Duration,
}

/// The output formats of `registrar lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintFormat {
    /// Findings with their why and link, for humans.
    Text,
    /// A versioned JSON document (docs/lint.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
}

/// What `plan` and `apply` do with lint findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintMode {
    /// Do not lint.
    Off,
    /// Show the findings atop the plan.
    Warn,
    /// Show them, and fail (nothing changed) when any is not suppressed.
    Error,
}

/// `registrar validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Manifest files or directories (every *.yaml / *.yml in them).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) inputs: ManifestInputs,
}

/// What a manifest reads besides its files: the values of `${var.NAME}` and the root of its
/// secret files. Taken by every command that loads manifests (`validate`, `plan`, `apply`,
/// `drift`). Debug never shows a variable's value.
#[derive(Args, Clone, Default)]
pub(crate) struct ManifestInputs {
    /// Set the manifest variable NAME, read as `${var.NAME}` (repeatable). Wins over
    /// `--var-file` and the environment variable `REGISTRAR_VAR_NAME`; no other environment
    /// variable is ever read.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub(crate) vars: Vec<String>,

    /// Read manifest variables from FILE: `NAME=value` lines and `#` comments (repeatable; a
    /// later file wins). Below `--var`, above `REGISTRAR_VAR_NAME`.
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,

    /// File secret stores are written relative to DIR instead of their manifest's directory
    /// (the default), and may not leave it.
    #[arg(long, value_name = "DIR")]
    pub(crate) secret_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ManifestInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .vars
            .iter()
            .map(|assignment| assignment.split_once('=').map_or("?", |(name, _)| name))
            .collect();
        f.debug_struct("ManifestInputs")
            .field("vars", &names)
            .field("var_files", &self.var_files)
            .field("secret_dir", &self.secret_dir)
            .finish()
    }
}

/// `registrar schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Write the schema to this file instead of stdout.
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
}

/// The output formats of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Terraform-style text for humans.
    Text,
    /// A versioned document shaped like `terraform show -json`.
    Json,
    /// A pull-request comment.
    Markdown,
}

/// Flags shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub(crate) struct PlanningArgs {
    /// Manifest files or directories (for `apply`, or one saved plan file).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Also delete applications that carry this namespace's marker but are no longer declared.
    #[arg(long)]
    pub(crate) prune: bool,

    /// Lint the manifests first (as `registrar lint`) and show the findings atop the plan:
    /// `off`, `warn`, or `error` to fail, with nothing changed, on any finding that is not
    /// suppressed. Also `REGISTRAR_LINT`.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = LintMode::Warn, env = "REGISTRAR_LINT")]
    pub(crate) lint: LintMode,

    #[command(flatten)]
    pub(crate) lint_thresholds: LintThresholds,

    #[command(flatten)]
    pub(crate) inputs: ManifestInputs,
}

/// `registrar plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,

    /// Exit 2 when the plan has changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,

    /// Also save the plan to FILE, for `registrar apply FILE` (which carries out exactly this
    /// plan, or refuses if the manifests or the tenant changed since) and `registrar show FILE`.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `registrar show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// A saved plan, as `registrar plan -o FILE` wrote it.
    pub(crate) file: PathBuf,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
}

/// `registrar apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,

    /// Apply without asking for confirmation (required when stdin is not a terminal). A saved
    /// plan is applied without asking; the flag is accepted and has no effect there.
    #[arg(long)]
    pub(crate) auto_approve: bool,

    /// The tenant (id or verified domain) this apply is meant for; refused when the credential
    /// signs in to another. Required when the manifest has no `tenant:` and nobody approves at
    /// a terminal (`--auto-approve`, or no terminal), except with `--local`.
    #[arg(long, value_name = "ID")]
    pub(crate) tenant: Option<String>,

    /// How many changes run at once (independent ones only; a change waits for those it
    /// depends on). The client-side budget paces them to Graph's limits whatever this is.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) parallelism: u16,
}

/// `registrar drift`.
#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// Manifest files or directories.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Output format on stdout (`markdown` is fit for an issue a scheduled job opens).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,

    /// Report credentials that expire within this window (or have expired), in the manifest's
    /// duration syntax: `30d`, `4w`, `12h`, `P30D`.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_window)]
    pub(crate) expiring_within: time::Duration,

    #[command(flatten)]
    pub(crate) inputs: ManifestInputs,
}

/// `--expiring-within`: a duration as manifests write them.
fn parse_window(text: &str) -> Result<time::Duration, String> {
    registrar_manifest::parse_duration(text).map_err(|error| match error.hint {
        Some(hint) => format!("{} ({hint})", error.message),
        None => error.message,
    })
}

/// `registrar emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Port to listen on (127.0.0.1). 0 picks a free one.
    #[arg(long, default_value_t = 8443)]
    pub(crate) port: u16,

    /// Keep the tenant in this JSON file (loaded at start, saved after every change).
    #[arg(long)]
    pub(crate) state: Option<PathBuf>,

    /// Write the generated CA certificate (PEM) here, for clients to trust.
    #[arg(long, default_value = ".registrar/emulator-ca.pem")]
    pub(crate) ca_cert: PathBuf,

    /// Only the vaults given with `--vault` exist (default: any vault name exists).
    #[arg(long)]
    pub(crate) strict_vaults: bool,

    /// A Key Vault that exists in the local tenant (repeatable).
    #[arg(long = "vault")]
    pub(crate) vaults: Vec<String>,

    /// Enforce Graph's, ARM's and Key Vault's service limits, with Graph's resource-unit budget
    /// of a tenant of this size class (S 3,500, M 5,000, L 8,000 RU per 10 s). Off by default;
    /// switchable at run time with `POST /_emulator/throttle`.
    #[arg(long, value_name = "S|M|L", ignore_case = true)]
    pub(crate) throttle: Option<ThrottleClass>,

    /// A subscription ARM lists (`GET /subscriptions`, what `az login` reads), as `ID` or
    /// `ID=Display name` (repeatable). Default: one, `a925f2f7-5c63-4b7b-8799-25a5f97bc3b2`
    /// "Local subscription".
    #[arg(long = "subscription", value_name = "ID[=NAME]", value_parser = parse_subscription)]
    pub(crate) subscriptions: Vec<(String, String)>,

    /// Also print (to stderr) the commands that point the Azure CLI at this local tenant and sign
    /// in with its automation client (docs/emulator.md, "The Azure CLI").
    #[arg(long)]
    pub(crate) print_az_setup: bool,
}

/// `registrar emulator --throttle`: a Graph tenant size class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ThrottleClass {
    /// Under 50 users: 3,500 RU per 10 s.
    #[value(name = "S")]
    S,
    /// 50 to 500 users: 5,000 RU per 10 s.
    #[value(name = "M")]
    M,
    /// Over 500 users: 8,000 RU per 10 s.
    #[value(name = "L")]
    L,
}

/// `--subscription ID[=NAME]`: the id (a GUID) and the display name (default "Local subscription").
fn parse_subscription(text: &str) -> Result<(String, String), String> {
    let (id, name) = match text.split_once('=') {
        Some((id, name)) => (id.trim(), name.trim()),
        None => (text.trim(), "Local subscription"),
    };
    if registrar_model::Guid::parse(id).is_none() {
        return Err(format!("`{id}` is not a subscription id (a GUID)"));
    }
    if name.is_empty() {
        return Err("the subscription's display name is empty".to_owned());
    }
    Ok((id.to_owned(), name.to_owned()))
}

/// `registrar import`: which applications, and where the manifest goes.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).multiple(false)))]
pub(crate) struct ImportArgs {
    /// The application with this appId (client id).
    #[arg(long, group = "selection", value_name = "ID")]
    pub(crate) app_id: Option<String>,

    /// Applications with exactly this display name.
    #[arg(long, group = "selection", value_name = "NAME")]
    pub(crate) display_name: Option<String>,

    /// Applications carrying this tag (e.g. `registrar:platform`).
    #[arg(long, group = "selection", value_name = "TAG")]
    pub(crate) tag: Option<String>,

    /// Applications the signed-in user or service principal owns.
    #[arg(long, group = "selection")]
    pub(crate) owned_by_me: bool,

    /// Every application of the tenant.
    #[arg(long, group = "selection")]
    pub(crate) all: bool,

    /// The manifest's namespace (default: the one marker tag the applications carry, else
    /// `imported`).
    #[arg(long, value_name = "NS")]
    pub(crate) namespace: Option<String>,

    /// Read the role assignments of the applications' service principals at or below this
    /// subscription, resource group or management group (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub(crate) scopes: Vec<String>,

    /// Write one manifest per application (and their certificates under `certs/`) into this
    /// directory instead of one manifest on stdout.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: Option<PathBuf>,

    /// Import applications another namespace manages too, and overwrite files in `-o DIR`.
    #[arg(long)]
    pub(crate) force: bool,
}
