//! The chatctl binary: parses the command line, runs it, renders any error.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chatctl::Cli::parse();
    let ui = chatctl::ui::Ui::detect(cli.quiet);
    let color = ui.color();
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| chatctl::Error::io("start", "the async runtime", e))
        .and_then(|runtime| runtime.block_on(chatctl::run(cli, ui)));
    match result {
        Ok(()) | Err(chatctl::Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(error) => {
            eprint!("{}", error.render(color));
            ExitCode::from(error.exit_code())
        }
    }
}
