//! Progress output on stderr: each step prints what it does and how long it took, with a
//! spinner on a terminal, plain lines otherwise (CI), and nothing when silent. Colors
//! follow `NO_COLOR`/`CLICOLOR` through `console`.

use std::time::{Duration, Instant};

use console::{style, Term};
use indicatif::{ProgressBar, ProgressStyle};

/// How progress is shown; cheap to clone and pass down.
#[derive(Debug, Clone)]
pub struct Ui {
    mode: Mode,
    color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Interactive,
    Plain,
    Silent,
}

impl Ui {
    /// Spinners when stderr is a terminal, plain lines otherwise, nothing when `quiet`.
    pub fn detect(quiet: bool) -> Ui {
        let mode = if quiet {
            Mode::Silent
        } else if Term::stderr().is_term() {
            Mode::Interactive
        } else {
            Mode::Plain
        };
        Ui {
            mode,
            color: console::colors_enabled_stderr(),
        }
    }

    /// Prints nothing: for library callers such as the end-to-end tests.
    pub fn silent() -> Ui {
        Ui {
            mode: Mode::Silent,
            color: false,
        }
    }

    /// Whether errors and status output may use ANSI colors.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Starts a step; finish it with [`Step::done`] or [`Step::fail`].
    pub fn step(&self, title: impl Into<String>) -> Step {
        let title = title.into();
        let bar = match self.mode {
            Mode::Interactive => {
                let bar = ProgressBar::new_spinner().with_message(title.clone());
                if let Ok(spinner) =
                    ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}")
                {
                    bar.set_style(spinner);
                }
                bar.enable_steady_tick(Duration::from_millis(100));
                Some(bar)
            }
            Mode::Plain => {
                eprintln!("{} {title}", self.paint("→", Paint::Dim));
                None
            }
            Mode::Silent => None,
        };
        Step {
            ui: self.clone(),
            title,
            started: Instant::now(),
            bar,
            finished: false,
        }
    }

    /// Starts a step without a spinner, for steps whose commands write to the terminal
    /// themselves (the test runs).
    pub fn step_without_spinner(&self, title: impl Into<String>) -> Step {
        let title = title.into();
        if self.mode != Mode::Silent {
            eprintln!("{} {title}", self.paint("→", Paint::Dim));
        }
        Step {
            ui: self.clone(),
            title,
            started: Instant::now(),
            bar: None,
            finished: false,
        }
    }

    /// Prints an informational line.
    pub fn note(&self, line: &str) {
        if self.mode != Mode::Silent {
            eprintln!("  {line}");
        }
    }

    /// Prints a warning line.
    pub fn warn(&self, line: &str) {
        if self.mode != Mode::Silent {
            eprintln!("{} {line}", self.paint("warning:", Paint::Yellow));
        }
    }

    fn paint(&self, text: &str, paint: Paint) -> String {
        if !self.color {
            return text.to_string();
        }
        match paint {
            Paint::Green => style(text).green().bold().force_styling(true).to_string(),
            Paint::Red => style(text).red().bold().force_styling(true).to_string(),
            Paint::Yellow => style(text).yellow().bold().force_styling(true).to_string(),
            Paint::Dim => style(text).dim().force_styling(true).to_string(),
        }
    }
}

#[derive(Clone, Copy)]
enum Paint {
    Green,
    Red,
    Yellow,
    Dim,
}

/// A running step; dropping it unfinished clears its spinner silently.
pub struct Step {
    ui: Ui,
    title: String,
    started: Instant,
    bar: Option<ProgressBar>,
    finished: bool,
}

impl Step {
    /// Shows what the step is doing right now (spinner only; plain output stays terse).
    pub fn detail(&self, text: &str) {
        if let Some(bar) = &self.bar {
            let text: String = text.chars().take(100).collect();
            bar.set_message(format!("{} {}", self.title, style(text).dim()));
        }
    }

    /// Prints a line above the spinner.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("  {line}")),
            None if self.ui.mode == Mode::Plain => eprintln!("  {line}"),
            None => {}
        }
    }

    /// How long the step has been running.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Finishes the step successfully; `outcome` says what happened ("unchanged", an id).
    pub fn done(mut self, outcome: &str) {
        self.close(true, outcome);
    }

    /// Finishes the step as done or failed depending on `result`, and passes it on.
    pub fn finish<T, E>(
        self,
        result: Result<T, E>,
        outcome: impl FnOnce(&T) -> String,
    ) -> Result<T, E> {
        match &result {
            Ok(value) => self.done(&outcome(value)),
            Err(_) => self.fail(),
        }
        result
    }

    /// Finishes the step as failed.
    pub fn fail(mut self) {
        self.close(false, "failed");
    }

    fn close(&mut self, ok: bool, outcome: &str) {
        self.finished = true;
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.ui.mode == Mode::Silent {
            return;
        }
        let mark = if ok {
            self.ui.paint("✓", Paint::Green)
        } else {
            self.ui.paint("✗", Paint::Red)
        };
        let outcome = if outcome.is_empty() {
            String::new()
        } else {
            format!(": {outcome}")
        };
        let elapsed = self.ui.paint(
            &format!("({})", format_elapsed(self.started.elapsed())),
            Paint::Dim,
        );
        eprintln!("{mark} {}{outcome} {elapsed}", self.title);
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// Formats a step duration: `0.4s`, `12.3s`, `2m05s`.
pub fn format_elapsed(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed() {
        for (millis, expected) in [(400, "0.4s"), (12_345, "12.3s"), (125_000, "2m05s")] {
            assert_eq!(format_elapsed(Duration::from_millis(millis)), expected);
        }
    }
}
