//! `registrar`: keep Microsoft Entra ID app registrations in git.
//!
//! This crate is the only one that parses arguments, writes to stdout and stderr, and picks exit
//! codes (0 success, 1 error, 2 success with changes present under `--detailed-exitcode`). Every
//! command lives in its own module under [`commands`]; [`target`] decides which tenant a command
//! talks to (the embedded local tenant with `--local`, or Azure).

// The binary is the one place allowed to print and to choose exit codes (see the workspace lints).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod cli;
mod commands;
mod output;
mod progress;
mod target;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse_with_color();
    output::init_color(cli.global.color);
    output::init_tracing(cli.global.verbose, cli.global.quiet);
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&cli.global, args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Plan(args) => commands::plan::run(&cli.global, args),
        Command::Apply(args) => commands::apply::run(&cli.global, args),
        Command::Drift(args) => commands::drift::run(&cli.global, args),
        Command::Show(args) => commands::saved::show(args),
        Command::Emulator(args) => commands::emulator::run(args),
        Command::Import(args) => commands::import::run(&cli.global, args),
        Command::Lint(args) => commands::lint::run(&cli.global, args),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            output::print_error(&error);
            ExitCode::from(1)
        }
    }
}
