//! `chatctl down`: stops and removes the project's containers and network (and volumes).

use std::time::Duration;

use crate::docker::Engine;
use crate::error::Result;
use crate::stack::{self, DownOptions};
use crate::Context;

/// Arguments of `chatctl down`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also remove the project's named volumes (the database!).
    #[arg(short = 'v', long)]
    pub volumes: bool,

    /// Stop timeout for every container [default: each service's stop_grace_period].
    #[arg(short = 't', long, value_name = "DURATION", value_parser = super::parse_duration_arg)]
    pub timeout: Option<Duration>,
}

/// Tears the stack down.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let project = context.project()?;
    let engine = Engine::connect().await?;
    let options = DownOptions {
        volumes: args.volumes,
        timeout: args.timeout,
    };
    stack::down(&engine, &project, &options, &context.ui).await?;
    Ok(())
}
