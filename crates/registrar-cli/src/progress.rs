//! Progress a person can follow, on stderr: a bar with "done of total" and what is being done,
//! while a command reads a large tenant or applies a plan.
//!
//! Shown only when stderr is a terminal, and never with `-q` or when the command's output is
//! JSON ([`shows_progress`]): without a terminal (CI logs, tests, pipes) stderr carries exactly
//! the lines it carries without this module. Every command uses the same two types: a
//! [`Progress`] decided once per run, and a [`Counter`] per phase (reading, applying, …).
//!
//! A [`Counter`] is a [`registrar_azure::ReadProgress`], so the snapshot reader can drive it
//! directly. Lines that must appear whatever the terminal (apply's terraform-style lines) go
//! through [`Counter::println`], which prints them above the bar, or plainly when there is none.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use crate::cli::GlobalArgs;

/// Whether progress is drawn: on a terminal, unless `-q`, unless the output is JSON.
pub(crate) fn shows_progress(stderr_is_terminal: bool, quiet: bool, json_output: bool) -> bool {
    stderr_is_terminal && !quiet && !json_output
}

/// The decision for one run, and the factory of its counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    shown: bool,
}

impl Progress {
    /// Decides for this run: `json_output` when the command prints JSON (`--format json`).
    pub(crate) fn new(global: &GlobalArgs, json_output: bool) -> Self {
        Self {
            shown: shows_progress(std::io::stderr().is_terminal(), global.quiet, json_output),
        }
    }

    /// No progress, whatever the terminal.
    #[cfg(test)]
    pub(crate) fn hidden() -> Self {
        Self { shown: false }
    }

    /// A counter of `unit`s (plural, e.g. "objects") labelled `label` ("Reading", "Applying"),
    /// starting at 0 of 0; nothing is drawn when progress is not shown.
    pub(crate) fn counter(&self, label: &'static str, unit: &'static str) -> Counter {
        let target = if self.shown {
            ProgressDrawTarget::term_like(Box::new(PlainStderr(console::Term::stderr())))
        } else {
            ProgressDrawTarget::hidden()
        };
        Counter::with_target(target, label, unit)
    }
}

/// stderr as the bar's terminal, redrawn with carriage returns and spaces only: a bar on one
/// line needs no escape sequence, so a terminal with `NO_COLOR` or `--color never` gets none.
/// (Only a bar wider than the terminal moves the cursor, with the usual sequences.)
#[derive(Debug)]
struct PlainStderr(console::Term);

impl TermLike for PlainStderr {
    fn width(&self) -> u16 {
        self.0.size().1
    }

    fn height(&self) -> u16 {
        self.0.size().0
    }

    fn move_cursor_up(&self, lines: usize) -> std::io::Result<()> {
        if lines == 0 {
            return Ok(());
        }
        self.0.move_cursor_up(lines)
    }

    fn move_cursor_down(&self, lines: usize) -> std::io::Result<()> {
        if lines == 0 {
            return Ok(());
        }
        self.0.move_cursor_down(lines)
    }

    fn move_cursor_right(&self, columns: usize) -> std::io::Result<()> {
        if columns == 0 {
            return Ok(());
        }
        self.0.move_cursor_right(columns)
    }

    fn move_cursor_left(&self, columns: usize) -> std::io::Result<()> {
        if columns == 0 {
            return Ok(());
        }
        self.0.move_cursor_left(columns)
    }

    fn write_line(&self, text: &str) -> std::io::Result<()> {
        self.0.write_line(text)
    }

    fn write_str(&self, text: &str) -> std::io::Result<()> {
        self.0.write_str(text)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        let blank = " ".repeat(usize::from(self.width()));
        self.0.write_str(&format!("\r{blank}\r"))
    }

    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// One phase's bar: `Reading  [=======>      ] 340/3021 objects`, plus the current item.
#[derive(Debug)]
pub(crate) struct Counter {
    bar: ProgressBar,
}

/// The bar's layout; `{msg}` is the current item, when there is one.
fn style(unit: &str) -> ProgressStyle {
    let template = format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{wide_msg}}");
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Counter {
    fn with_target(target: ProgressDrawTarget, label: &'static str, unit: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), target)
            .with_style(style(unit))
            .with_prefix(label);
        if !bar.is_hidden() {
            // Redraws while a slow request is in flight, so the terminal does not look stuck.
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Self { bar }
    }

    /// `count` more items are to be done (the total can grow while working).
    pub(crate) fn add_total(&self, count: u64) {
        self.bar.inc_length(count);
    }

    /// `count` more items are done.
    pub(crate) fn advance(&self, count: u64) {
        self.bar.inc(count);
    }

    /// Shows what is being done now (e.g. a change's address).
    pub(crate) fn set_current(&self, text: impl Into<Cow<'static, str>>) {
        self.bar.set_message(text);
    }

    /// Prints a line on stderr: above the bar when it is drawn, plainly otherwise, so the line
    /// is the same with and without a terminal.
    pub(crate) fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Runs `print` with the bar out of the way (for output written another way, e.g. through
    /// `anstream` for colour).
    pub(crate) fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }

    /// Removes the bar from the terminal; what was printed with [`Counter::println`] stays.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl registrar_azure::ReadProgress for Counter {
    fn planned(&self, objects: u64) {
        self.add_total(objects);
    }

    fn read(&self, objects: u64) {
        self.advance(objects);
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;
    use registrar_azure::ReadProgress;

    use super::*;

    #[test]
    fn progress_is_shown_only_on_a_terminal_without_quiet_or_json() {
        assert!(shows_progress(true, false, false));
        assert!(!shows_progress(false, false, false), "no terminal");
        assert!(!shows_progress(true, true, false), "-q");
        assert!(!shows_progress(true, false, true), "--format json");
        assert!(!Progress::hidden().shown);
    }

    /// A terminal that keeps what is written on its current line.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        /// The last line drawn.
        fn last(&self) -> String {
            self.0
                .lock()
                .ok()
                .and_then(|lines| lines.iter().rev().find(|line| !line.is_empty()).cloned())
                .unwrap_or_default()
        }

        fn push(&self, text: &str) {
            if let Ok(mut lines) = self.0.lock() {
                lines.push(text.trim_end().to_owned());
            }
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, text: &str) -> io::Result<()> {
            self.push(text);
            Ok(())
        }
        fn write_str(&self, text: &str) -> io::Result<()> {
            if !text.is_empty() {
                self.push(text);
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn counter_on(screen: &Screen, label: &'static str, unit: &str) -> Counter {
        Counter::with_target(
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
            label,
            unit,
        )
    }

    #[test]
    fn reading_shows_objects_read_of_total() {
        let screen = Screen::default();
        let counter = counter_on(&screen, "Reading", "objects");
        let progress: &dyn ReadProgress = &counter;
        progress.planned(1);
        progress.read(1);
        progress.planned(3020);
        progress.read(339);
        counter.bar.force_draw();
        let last = screen.last();
        assert!(last.starts_with("Reading ["), "{last}");
        assert!(last.ends_with("] 340/3021 objects"), "{last}");
    }

    #[test]
    fn applying_shows_changes_done_of_total_and_the_current_one() {
        let screen = Screen::default();
        let counter = counter_on(&screen, "Applying", "changes");
        counter.add_total(12);
        counter.advance(3);
        counter.set_current("application.api.secret.ci: Creating...");
        counter.bar.force_draw();
        let last = screen.last();
        assert!(last.starts_with("Applying ["), "{last}");
        assert!(
            last.ends_with("] 3/12 changes application.api.secret.ci: Creating..."),
            "{last}"
        );
        counter.finish();
        assert!(counter.bar.is_finished());
    }

    #[test]
    fn a_hidden_counter_draws_nothing() {
        let counter = Progress::hidden().counter("Reading", "objects");
        counter.add_total(10);
        counter.advance(10);
        assert!(counter.bar.is_hidden());
    }
}
