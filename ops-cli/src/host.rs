//! The host side: finding tools, running commands with captured output, the user's
//! ids, and free or busy TCP ports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

use crate::error::{Error, Result};

/// How many trailing output lines a failure shows.
pub const TAIL_LINES: usize = 40;

/// The full path of `tool` on `PATH`, or a [`Error::ToolMissing`] saying why it is needed.
pub fn require_tool(tool: &str, purpose: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| Error::ToolMissing {
            tool: tool.to_string(),
            purpose: purpose.to_string(),
        })
}

/// Runs `npm <args>` in `dir` as one step, e.g. `npm ci` for a folder's pinned packages.
pub async fn npm(
    args: &[&str],
    dir: &std::path::Path,
    purpose: &str,
    ui: &crate::ui::Ui,
) -> Result<()> {
    let npm = require_tool("npm", purpose)?;
    let shown = format!("npm {}", args.join(" "));
    let step = ui.step(format!("{shown} ({})", dir.display()));
    let mut command = Command::new(&npm);
    command.args(args).current_dir(dir);
    step.finish(run_captured(&shown, &mut command).await, |_| String::new())?;
    Ok(())
}

/// Runs `command` to completion with stdin closed and its output captured; on failure
/// the error names `step` and carries the last lines of output.
pub async fn run_captured(step: &str, command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| Error::CommandFailed {
            step: step.to_string(),
            status: e.to_string(),
            output: vec![],
        })?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(text)
    } else {
        Err(Error::CommandFailed {
            step: step.to_string(),
            status: output.status.to_string(),
            output: tail(&text, TAIL_LINES),
        })
    }
}

/// The last `count` lines of `text`.
pub fn tail(text: &str, count: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|line| line.to_string())
        .collect()
}

/// The uid and gid this process runs as (read from `/proc/self`, which needs no `unsafe`).
pub fn current_ids() -> Result<(u32, u32)> {
    let metadata =
        std::fs::metadata("/proc/self").map_err(|e| Error::io("inspect", "/proc/self", e))?;
    Ok((metadata.uid(), metadata.gid()))
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Error::io("bind", "127.0.0.1:0", e))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| Error::io("bind", "127.0.0.1:0", e))
}

/// Whether `ip:port` can be bound right now (false when something already listens).
pub fn port_is_free(ip: &str, port: u16) -> bool {
    let ip: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    TcpListener::bind(SocketAddr::new(ip, port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        assert_eq!(tail("a\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(tail("a", 5), ["a"]);
        assert!(tail("", 5).is_empty());
    }

    #[test]
    fn detects_busy_ports() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(!port_is_free("127.0.0.1", port));
        drop(listener);
        assert!(port_is_free("127.0.0.1", port));
        assert!(free_port().unwrap() > 0);
    }

    #[test]
    fn missing_tool() {
        let error = require_tool("definitely-not-a-tool-chatctl", "test").unwrap_err();
        assert_eq!(error.exit_code(), 10);
        assert!(require_tool("sh", "test").is_ok());
    }
}
