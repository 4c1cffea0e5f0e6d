//! `chatctl build [SERVICE...]`: builds images through the engine's classic builder.

use crate::docker::Engine;
use crate::error::Result;
use crate::{images, Context};

/// Arguments of `chatctl build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Services to build [default: every service with a `build:` section].
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Builds the images.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let project = context.project()?;
    let engine = Engine::connect().await?;
    let built = images::build_services(&engine, &project, &args.services, &context.ui).await?;
    if built.is_empty() {
        context
            .ui
            .note("no service has a `build:` section; nothing to build");
    }
    Ok(())
}
