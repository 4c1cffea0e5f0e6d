//! The `chat` binary: config, tracing, then the service until SIGTERM or Ctrl-C.

use anyhow::Context;
use chat::config::{Command, Config};
use chat::{store::Store, web};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    if let Some(Command::Healthcheck) = config.command {
        std::process::exit(web::health::probe(config.listen).await);
    }
    let colors = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_ansi(colors)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let store = Store::connect_lazy(config.connect_options()?);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(address = %config.listen, "chat listening");
    chat::run(listener, store, config, web::shutdown_signal()).await?;
    Ok(())
}
