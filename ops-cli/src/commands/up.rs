//! `chatctl up`: builds, converges the containers to compose.yaml, waits for health.

use crate::docker::Engine;
use crate::error::Result;
use crate::stack::{self, UpOptions};
use crate::{print_out, Context};

/// Arguments of `chatctl up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub stack: super::StackArgs,

    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Brings the stack up.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let project = context.project()?;
    let engine = Engine::connect().await?;
    let options = UpOptions {
        build: !args.stack.no_build,
        wait_timeout: args.stack.wait_timeout,
        dry_run: args.dry_run,
    };
    let report = stack::up(&engine, &project, &options, &context.ui).await?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).unwrap_or_default();
        return print_out(&format!("{json}\n"));
    }
    if report.dry_run {
        let lines: String = report
            .changes
            .iter()
            .map(|line| format!("would {line}\n"))
            .collect();
        return print_out(&lines);
    }
    if !report.changed_anything() {
        context.ui.note("every container was already up to date");
    }
    match &report.url {
        Some(url) => print_out(&format!("{} is up: {url}\n", report.project)),
        None => print_out(&format!("{} is up\n", report.project)),
    }
}
