//! chatctl: builds, runs, checks, tests and tears down the livechat stack.
//!
//! The binary is a thin shell over this library. [`topology`] turns compose.yaml into
//! specs and plans without touching Docker; [`docker`] applies them through bollard;
//! [`stack`] holds the operations the CLI and the end-to-end tests share; each command
//! lives in [`commands`] with its `Args` and `run`.

// Tests may unwrap (see the workspace lints); production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cargo_binary;
pub mod commands;
pub mod context;
pub mod docker;
pub mod error;
pub mod host;
pub mod images;
pub mod secrets;
pub mod stack;
pub mod topology;
pub mod ui;
pub mod wait;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use error::{Error, Result};

/// chatctl: build, run, check and test the livechat stack described by compose.yaml.
#[derive(Debug, Parser)]
#[command(name = "chatctl", version, propagate_version = true)]
pub struct Cli {
    /// The compose file [default: compose.yaml in the current directory or a parent].
    /// Give it before the command, as with docker compose (`chatctl -f x.yaml up`):
    /// after it, `-f` means `--follow` for `logs`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The project name [default: `name:` in the compose file].
    #[arg(
        short = 'p',
        long = "project-name",
        env = "CHATCTL_PROJECT",
        global = true,
        value_name = "NAME"
    )]
    pub project_name: Option<String>,

    /// Print results and errors only, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the images of services that have a `build:` section.
    Build(commands::build::Args),
    /// Build, create or update the containers, and wait until they are healthy.
    Up(commands::up::Args),
    /// Stop and remove the project's containers and network.
    Down(commands::down::Args),
    /// Show the state and health of each service.
    #[command(alias = "ps")]
    Status(commands::status::Args),
    /// Show the logs of the project's containers.
    Logs(commands::logs::Args),
    /// Run the whole test suite against a throwaway, isolated stack.
    Test(commands::test::Args),
    /// Check that the running stack answers through the proxy.
    Smoke(commands::smoke::Args),
}

/// What every command gets: how to find the project, and where progress goes.
#[derive(Debug, Clone)]
pub struct Context {
    /// How to load the compose file.
    pub load: topology::LoadOptions,
    /// Progress output.
    pub ui: ui::Ui,
}

impl Context {
    /// Loads and resolves the compose file.
    pub fn project(&self) -> Result<topology::Project> {
        topology::load(&self.load)
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli, ui: ui::Ui) -> Result<()> {
    let context = Context {
        load: topology::LoadOptions::from_process(cli.file, cli.project_name),
        ui,
    };
    match cli.command {
        Command::Build(args) => commands::build::run(args, &context).await,
        Command::Up(args) => commands::up::run(args, &context).await,
        Command::Down(args) => commands::down::run(args, &context).await,
        Command::Status(args) => commands::status::run(args, &context).await,
        Command::Logs(args) => commands::logs::run(args, &context).await,
        Command::Test(args) => commands::test::run(args, &context).await,
        Command::Smoke(args) => commands::smoke::run(args, &context).await,
    }
}

/// Writes command results to stdout; a closed pipe becomes [`Error::BrokenPipe`] (exit 0).
pub fn print_out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::BrokenPipe => Error::BrokenPipe,
            _ => Error::io("write", "standard output", error),
        })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
