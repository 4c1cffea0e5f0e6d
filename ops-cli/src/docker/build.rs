//! Image builds with the engine's classic builder: sends a tar context, streams the
//! output to a log file and the spinner, and on failure reports the failing step.

use std::io::Write;
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;

use super::Engine;
use crate::error::{Error, Result};
use crate::host::TAIL_LINES;
use crate::ui::Step;

/// One image to build.
#[derive(Debug)]
pub struct BuildRequest<'a> {
    /// The tag to give the image.
    pub tag: &'a str,
    /// The Dockerfile's path inside the context.
    pub dockerfile: &'a str,
    /// The tar context.
    pub context: Vec<u8>,
    /// Where to write the full build output.
    pub log: &'a Path,
}

/// Builds an image and returns its id. Output goes to `request.log`; the current
/// `Step N/M` shows on the spinner.
pub async fn build_image(
    engine: &Engine,
    request: BuildRequest<'_>,
    step: &Step,
) -> Result<String> {
    if let Some(parent) = request.log.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create directory", parent, e))?;
    }
    let mut log =
        std::fs::File::create(request.log).map_err(|e| Error::io("create", request.log, e))?;
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(request.dockerfile)
        .t(request.tag)
        .rm(true)
        .forcerm(true)
        .build();
    let mut stream = engine.docker.build_image(
        options,
        None,
        Some(bollard::body_full(request.context.into())),
    );
    let mut current_step: Option<String> = None;
    let mut step_output: Vec<String> = Vec::new();
    let mut pending = String::new();
    let failure = loop {
        let Some(item) = stream.next().await else {
            break None;
        };
        match item {
            Ok(info) => {
                let Some(text) = info.stream else { continue };
                let _ = log.write_all(text.as_bytes());
                pending.push_str(&text);
                while let Some(newline) = pending.find('\n') {
                    let line: String = pending.drain(..=newline).collect();
                    let line = strip_ansi(line.trim_end());
                    if line.starts_with("Step ") {
                        step.detail(&line);
                        current_step = Some(line);
                        step_output.clear();
                    } else if !is_builder_noise(&line) {
                        step_output.push(line);
                    }
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => break Some(error),
            Err(other) => break Some(other.to_string()),
        }
    };
    if !pending.trim().is_empty() {
        step_output.push(strip_ansi(pending.trim()));
    }
    if let Some(message) = failure {
        let _ = writeln!(log, "ERROR: {message}");
        let skip = step_output.len().saturating_sub(TAIL_LINES);
        return Err(Error::BuildFailed {
            image: request.tag.to_string(),
            step: current_step,
            message: message.trim().to_string(),
            output: step_output.split_off(skip),
            log: Some(request.log.to_path_buf()),
        });
    }
    engine
        .image_id(request.tag)
        .await?
        .ok_or_else(|| Error::BuildFailed {
            image: request.tag.to_string(),
            step: current_step,
            message: "the engine reported success but the image does not exist".to_string(),
            output: vec![],
            log: Some(request.log.to_path_buf()),
        })
}

/// The classic builder's bookkeeping lines, which say nothing about a failure.
fn is_builder_noise(line: &str) -> bool {
    line.is_empty()
        || line.starts_with(" ---> ")
        || line.starts_with("Removing intermediate container")
}

/// Removes ANSI escape sequences (the classic builder colors a step's stderr red).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
        } else if chars.next() == Some('[') {
            // Skip parameters up to the final byte of the control sequence.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_build_output() {
        let cases = [
            ("\u{1b}[91mcannot find libfoo", "cannot find libfoo"),
            (
                "\u{1b}[0mRemoving intermediate container 1",
                "Removing intermediate container 1",
            ),
            ("plain", "plain"),
            ("a\u{1b}[1;31mb\u{1b}[0m", "ab"),
        ];
        for (raw, clean) in cases {
            assert_eq!(strip_ansi(raw), clean);
        }
        assert!(is_builder_noise(" ---> Running in 74f74ae2c7ff"));
        assert!(is_builder_noise(
            "Removing intermediate container 74f74ae2c7ff"
        ));
        assert!(!is_builder_noise("E: Unable to locate package"));
    }
}
