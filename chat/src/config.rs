//! The service's configuration, from flags or (as in containers) environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, Subcommand};
use sqlx::postgres::PgConnectOptions;

/// livechat's chat service.
#[derive(Debug, Clone, Parser)]
#[command(name = "chat", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CHAT_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Postgres URL, e.g. postgres://user@host:5432/db?sslmode=verify-full. Set it
    /// through the environment: a password in it never belongs on a command line.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,

    /// File holding the database password (a Docker secret); overrides the URL's.
    #[arg(long, env = "DATABASE_PASSWORD_FILE")]
    pub database_password_file: Option<PathBuf>,

    /// Directory of static assets served under /static.
    #[arg(long, env = "CHAT_STATIC_DIR", default_value = "chat/static")]
    pub static_dir: PathBuf,

    /// Extra origins allowed to open sockets and post forms (comma-separated,
    /// e.g. https://chat.example.com). The site's own origin is always allowed.
    #[arg(long, env = "CHAT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands other than serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Exit 0 if the service on --listen's port answers /readyz with 200 (Docker HEALTHCHECK).
    Healthcheck,
}

impl Config {
    /// The database connection options, with the password from the secret file if set.
    pub fn connect_options(&self) -> anyhow::Result<PgConnectOptions> {
        use anyhow::Context;
        let mut options = PgConnectOptions::from_str(self.database_url.expose())
            .context("DATABASE_URL is not a valid postgres:// URL")?;
        if let Some(path) = &self.database_password_file {
            let password = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read DATABASE_PASSWORD_FILE {}", path.display())
            })?;
            options = options.password(password.trim_end_matches(['\r', '\n']));
        }
        Ok(options)
    }
}

/// A string that never prints: `Debug` and `Display` show `[redacted]`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret's value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
