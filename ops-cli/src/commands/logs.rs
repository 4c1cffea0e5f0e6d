//! `chatctl logs [SERVICE] [--tail N] [-f]`: the containers' output, prefixed by service.

use console::Style;
use futures_util::stream::{select_all, StreamExt};

use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::{print_out, Context};

/// Arguments of `chatctl logs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this service [default: all].
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,

    /// Number of lines from the end of each log [default: all].
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,

    /// Keep following new output.
    #[arg(short, long)]
    pub follow: bool,
}

/// Prints the logs.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let project = context.project()?;
    if let Some(service) = &args.service {
        if project.service(service).is_none() {
            return Err(Error::UnknownService {
                service: service.clone(),
                known: project.services.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    let engine = Engine::connect().await?;
    let containers: Vec<_> = engine
        .project_containers(&project.name)
        .await?
        .into_iter()
        .filter(|c| !c.oneoff && args.service.as_ref().is_none_or(|s| *s == c.service))
        .collect();
    if containers.is_empty() {
        context
            .ui
            .note(&format!("project {} has no containers", project.name));
        return Ok(());
    }
    let width = containers
        .iter()
        .map(|c| c.service.len())
        .max()
        .unwrap_or(0);
    let colors = [
        Style::new().cyan(),
        Style::new().yellow(),
        Style::new().green(),
        Style::new().magenta(),
        Style::new().blue(),
    ];
    let color = console::colors_enabled();
    let streams = containers.iter().enumerate().map(|(index, container)| {
        let style = colors[index % colors.len()].clone().force_styling(color);
        let prefix = style
            .apply_to(format!("{:<width$} |", container.service))
            .to_string();
        engine
            .log_lines(&container.id, args.tail, args.follow)
            .map(move |line| line.map(|line| format!("{prefix} {line}\n")))
            .boxed()
    });
    let mut merged = select_all(streams);
    while let Some(line) = merged.next().await {
        print_out(&line?)?;
    }
    Ok(())
}
