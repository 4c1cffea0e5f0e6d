//! One module per subcommand, each with its clap `Args` and an async `run`.

pub mod build;
pub mod down;
pub mod logs;
pub mod smoke;
pub mod status;
pub mod test;
pub mod up;

use std::time::Duration;

/// Parses a `--…-timeout` value with compose's duration syntax (`180s`, `3m`).
pub fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    crate::topology::values::parse_duration(text)
}
