//! `chatctl status` (alias `ps`): one row per service with state, health and ports.

use crate::docker::Engine;
use crate::error::Result;
use crate::stack::{self, ServiceStatus};
use crate::{print_out, Context};

/// Arguments of `chatctl status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints the status table.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let project = context.project()?;
    let engine = Engine::connect().await?;
    let rows = stack::status(&engine, &project).await?;
    if args.json {
        let json = serde_json::to_string_pretty(&rows).unwrap_or_default();
        return print_out(&format!("{json}\n"));
    }
    print_out(&table(&rows))
}

/// Renders rows as an aligned table.
pub fn table(rows: &[ServiceStatus]) -> String {
    let mut cells = vec![["SERVICE", "CONTAINER", "STATE", "HEALTH", "PORTS"].map(str::to_string)];
    for row in rows {
        cells.push([
            row.service.clone(),
            row.container.clone().unwrap_or_else(|| "-".to_string()),
            row.state.clone(),
            row.health.clone().unwrap_or_else(|| "-".to_string()),
            if row.ports.is_empty() {
                "-".to_string()
            } else {
                row.ports.join(", ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|column| cells.iter().map(|r| r[column].len()).max().unwrap_or(0))
        .collect();
    cells
        .iter()
        .map(|row| {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("{}\n", line.join("  ").trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_table() {
        let rows = [
            ServiceStatus {
                service: "db".into(),
                container: Some("livechat-db-1".into()),
                state: "running".into(),
                health: Some("healthy".into()),
                ports: vec![],
            },
            ServiceStatus {
                service: "proxy".into(),
                container: None,
                state: "missing".into(),
                health: None,
                ports: vec!["127.0.0.1:8080->8080/tcp".into()],
            },
        ];
        assert_eq!(
            table(&rows),
            "SERVICE  CONTAINER      STATE    HEALTH   PORTS\n\
             db       livechat-db-1  running  healthy  -\n\
             proxy    -              missing  -        127.0.0.1:8080->8080/tcp\n"
        );
    }
}
