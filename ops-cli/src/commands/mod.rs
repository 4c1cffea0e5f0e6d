//! One module per subcommand, each with its clap `Args` and an async `run`.

pub mod build;
pub mod down;
pub mod logs;
pub mod smoke;
pub mod status;
pub mod test;
pub mod up;

use std::time::Duration;

/// The flags `up` and `test` share: whether to build, and how long to wait for health.
#[derive(Debug, Clone, clap::Args)]
pub struct StackArgs {
    /// Use the existing images instead of building them first.
    #[arg(long)]
    pub no_build: bool,

    /// How long the services may take, together, to become healthy.
    #[arg(long, default_value = "180s", value_name = "DURATION", value_parser = parse_duration_arg)]
    pub wait_timeout: Duration,
}

/// Parses a `--…-timeout` value with compose's duration syntax (`180s`, `3m`).
pub fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    crate::topology::values::parse_duration(text)
}
