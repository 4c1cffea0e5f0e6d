//! The one error type of chatctl: every failure a user can hit, its exit code, its hint,
//! and the single place where it is rendered for a terminal.

use std::fmt::Write as _;
use std::path::PathBuf;

use console::Style;

/// Everything that can make a chatctl command fail.
///
/// Each variant maps to a documented exit code ([`Error::exit_code`]) and, where the
/// user can do something about it, a hint ([`Error::hint`]). [`Error::render`] is the
/// only place that turns an error into text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `-f` was given and no compose.yaml was found upwards from the current directory.
    #[error("no compose.yaml found in {} or any of its parent directories", start.display())]
    ComposeNotFound {
        /// The directory the search started from.
        start: PathBuf,
    },

    /// The compose file (or its `.env`) exists but cannot be read.
    #[error("cannot read {}", path.display())]
    ComposeUnreadable {
        /// The file that could not be read.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },

    /// The compose file is not valid YAML, or holds a value chatctl cannot use.
    #[error("{}{message}", location_prefix(file, *line, *column))]
    ComposeInvalid {
        /// The file name as the user knows it (e.g. `compose.yaml`).
        file: String,
        /// 1-based line of the offending value, when known.
        line: Option<usize>,
        /// 1-based column of the offending value, when known.
        column: Option<usize>,
        /// What is wrong, starting with the path of the value (`services.proxy.ports[0]: …`).
        message: String,
    },

    /// The project name from `-p`, `CHATCTL_PROJECT` or `name:` is not a valid compose name.
    #[error("invalid project name {name:?}: it must match [a-z0-9][a-z0-9_-]*")]
    InvalidProjectName {
        /// The rejected name.
        name: String,
    },

    /// A service named on the command line is not in the compose file.
    #[error("no service named {service:?} in the compose file")]
    UnknownService {
        /// The name given.
        service: String,
        /// The services that exist.
        known: Vec<String>,
    },

    /// The Docker engine did not answer.
    #[error("cannot reach the Docker engine at {host}: {reason}")]
    DockerUnreachable {
        /// `DOCKER_HOST` or the default socket.
        host: String,
        /// The transport error.
        reason: String,
    },

    /// The Docker engine answered with an error.
    #[error("Docker refused to {action}: {message}")]
    Docker {
        /// What chatctl was doing, as a verb phrase ("create container livechat-db-1").
        action: String,
        /// The engine's message.
        message: String,
    },

    /// A Dockerfile starts `FROM` an image that is neither present locally nor pullable.
    #[error("base image {image} is not in the local Docker engine and cannot be pulled (needed by {}): {reason}", dockerfile.display())]
    BaseImageMissing {
        /// The missing image reference.
        image: String,
        /// The Dockerfile that needs it.
        dockerfile: PathBuf,
        /// Why the pull failed.
        reason: String,
    },

    /// `up --no-build` was asked for but a service's image was never built.
    #[error("image {image} of service {service} does not exist")]
    ImageMissing {
        /// The service whose image is missing.
        service: String,
        /// The image tag from compose.yaml.
        image: String,
    },

    /// An image build failed; carries the failing step and its output.
    #[error("building image {image} failed{}: {message}", step.as_ref().map(|s| format!(" at {s}")).unwrap_or_default())]
    BuildFailed {
        /// The tag being built.
        image: String,
        /// The failing `Step N/M : …` line (or the name of chatctl's own step).
        step: Option<String>,
        /// The error the builder reported.
        message: String,
        /// The last lines of output of the failing step.
        output: Vec<String>,
        /// Where the full build log was written.
        log: Option<PathBuf>,
    },

    /// A published host port is taken by something else.
    #[error("port {address} needed by service {service} is already in use")]
    PortInUse {
        /// The service publishing the port.
        service: String,
        /// `ip:port` on the host.
        address: String,
    },

    /// A service did not become healthy (or exited) while `up` waited for it.
    #[error("service {service} {reason}")]
    Unhealthy {
        /// The service that failed.
        service: String,
        /// What went wrong, as a predicate ("is unhealthy", "did not become healthy within 3m").
        reason: String,
        /// Output of the last health check, when there was one.
        health_output: Option<String>,
        /// The container's last log lines.
        logs: Vec<String>,
    },

    /// A host tool chatctl needs (cargo, npm, rustc) is not installed.
    #[error("{tool} is not installed or not on PATH (needed to {purpose})")]
    ToolMissing {
        /// The program name.
        tool: String,
        /// What chatctl needed it for.
        purpose: String,
    },

    /// A host command chatctl ran (npm ci, cargo fetch, the in-container cargo build) failed.
    #[error("{step} failed ({status})")]
    CommandFailed {
        /// The step, as shown in the progress output.
        step: String,
        /// Exit status or signal.
        status: String,
        /// The last lines of its output.
        output: Vec<String>,
    },

    /// `chatctl smoke`: the running stack did not answer a check as expected.
    #[error("smoke check {check:?} failed for {url}: {detail}")]
    SmokeFailed {
        /// The check ("readiness", "socket.io handshake").
        check: String,
        /// The URL requested.
        url: String,
        /// What came back instead.
        detail: String,
    },

    /// `chatctl test`: a test stage failed.
    #[error("tests failed: {stage}")]
    TestsFailed {
        /// Which stage failed ("unit and integration tests", "end-to-end tests").
        stage: String,
    },

    /// A local file operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What chatctl tried ("create", "read", "write").
        action: String,
        /// The path involved.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },

    /// The user pressed Ctrl-C; cleanup has already run.
    #[error("interrupted")]
    Interrupted,

    /// Standard output was closed by the reader (e.g. `chatctl status | head -1`).
    #[error("broken pipe")]
    BrokenPipe,
}

fn location_prefix(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{file}:{line}:{column}: "),
        (Some(line), None) => format!("{file}:{line}: "),
        _ => format!("{file}: "),
    }
}

impl Error {
    /// The process exit code for this error; the table is in docs/chatctl.md.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BrokenPipe => 0,
            Error::TestsFailed { .. } => 1,
            // 2 is clap's code for bad command-line usage.
            Error::ComposeNotFound { .. }
            | Error::ComposeUnreadable { .. }
            | Error::ComposeInvalid { .. }
            | Error::InvalidProjectName { .. }
            | Error::UnknownService { .. } => 3,
            Error::DockerUnreachable { .. } => 4,
            Error::Docker { .. } => 5,
            Error::BuildFailed { .. } => 6,
            Error::BaseImageMissing { .. } | Error::ImageMissing { .. } => 7,
            Error::PortInUse { .. } => 8,
            Error::Unhealthy { .. } => 9,
            Error::ToolMissing { .. } => 10,
            Error::CommandFailed { .. } => 11,
            Error::Io { .. } => 12,
            Error::SmokeFailed { .. } => 13,
            Error::Interrupted => 130,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::ComposeNotFound { .. } => {
                "run chatctl from the project directory, or pass the file with `-f path/to/compose.yaml`".to_string()
            }
            Error::ComposeInvalid { line: Some(_), .. } => {
                "fix the value at that line (a `${VAR}` in it comes from the environment or .env); docs/chatctl.md lists what chatctl supports".to_string()
            }
            Error::ComposeInvalid { line: None, .. } => {
                "fix the compose file; docs/chatctl.md lists what chatctl supports".to_string()
            }
            Error::InvalidProjectName { .. } => {
                "use lowercase letters, digits, `-` and `_`, starting with a letter or digit".to_string()
            }
            Error::UnknownService { known, .. } if !known.is_empty() => {
                format!("the services are: {}", known.join(", "))
            }
            Error::DockerUnreachable { .. } => {
                "start Docker (e.g. `sudo systemctl start docker`) or set DOCKER_HOST".to_string()
            }
            Error::BaseImageMissing { image, .. } if image.starts_with("debian:") => format!(
                "without a registry, create it locally: `debootstrap --variant=minbase bookworm /tmp/rootfs http://deb.debian.org/debian && tar -C /tmp/rootfs -c . | docker import - {image}` (.ci/prepare-machine.sh does this)"
            ),
            Error::BaseImageMissing { image, .. } => {
                format!("load or build {image} locally (`docker load`, `docker import`)")
            }
            Error::ImageMissing { .. } => "run `chatctl build` first, or drop `--no-build`".to_string(),
            Error::BuildFailed { log: Some(log), .. } => {
                format!("the full build output is in {}", log.display())
            }
            Error::PortInUse { .. } => {
                "stop whatever listens there (`ss -ltnp` shows it) or choose another port, e.g. `LIVECHAT_PORT=8081 chatctl up`".to_string()
            }
            Error::Unhealthy { service, .. } => format!(
                "fix the cause shown above and run `chatctl up` again; `chatctl logs {service}` shows the whole log"
            ),
            Error::ToolMissing { tool, .. } if tool == "npm" => {
                "install Node.js and npm (e.g. `apt-get install npm`)".to_string()
            }
            Error::ToolMissing { .. } => "install Rust with rustup (https://rustup.rs)".to_string(),
            Error::SmokeFailed { .. } => {
                "`chatctl status` shows each service's health and `chatctl logs -n 50` their output".to_string()
            }
            Error::Docker { message, .. } if message.contains("is already in use by container") => {
                "a container that chatctl does not manage has that name; remove it with `docker rm -f NAME`".to_string()
            }
            _ => return None,
        };
        Some(hint)
    }

    /// Renders the error for a terminal: `error: …`, its causes, details and hint.
    ///
    /// This is the only place errors become text; `color` adds ANSI styling.
    pub fn render(&self, color: bool) -> String {
        let red = Style::new().red().bold().force_styling(color);
        let cyan = Style::new().cyan().bold().force_styling(color);
        let dim = Style::new().dim().force_styling(color);

        let mut out = format!("{} {self}\n", red.apply_to("error:"));
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let _ = writeln!(out, "  caused by: {cause}");
            source = cause.source();
        }
        let mut block = |title: String, lines: &[String]| {
            if lines.is_empty() {
                return;
            }
            let _ = writeln!(out, "{title}");
            for line in lines {
                let _ = writeln!(out, "  {} {line}", dim.apply_to("│"));
            }
        };
        match self {
            Error::BuildFailed { output, .. } => {
                block("output of the failing step:".to_string(), output);
            }
            Error::Unhealthy {
                service,
                health_output,
                logs,
                ..
            } => {
                if let Some(health) = health_output {
                    let lines: Vec<String> = health.lines().map(str::to_string).collect();
                    block("last health check output:".to_string(), &lines);
                }
                let title = format!("last {} log lines of {service}:", logs.len());
                block(title, logs);
            }
            Error::CommandFailed { output, .. } => {
                block(format!("last {} lines of output:", output.len()), output);
            }
            _ => {}
        }
        if let Some(hint) = self.hint() {
            let _ = writeln!(out, "{} {hint}", cyan.apply_to("hint:"));
        }
        out
    }

    /// Wraps an I/O failure on `path`.
    pub fn io(action: &str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action: action.to_string(),
            path: path.into(),
            source,
        }
    }

    /// Wraps an error answer of the Docker engine, recognising the ones users hit.
    pub fn docker(action: impl Into<String>, source: bollard::errors::Error) -> Error {
        let message = match source {
            bollard::errors::Error::DockerResponseServerError { message, .. } => message,
            other => other.to_string(),
        };
        Error::Docker {
            action: action.into(),
            message,
        }
    }
}

/// An error and its distinct causes joined with `: ` ("client error (Connect): Connection
/// refused (os error 111)"), for transport errors whose top message says little.
pub fn root_cause(error: &dyn std::error::Error) -> String {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !messages.iter().any(|m| m.contains(&message)) {
            messages.push(message);
        }
        source = cause.source();
    }
    messages.join(": ")
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: Error, expected: &str) {
        assert_eq!(error.render(false), expected);
    }

    #[test]
    fn docker_unreachable() {
        check(
            Error::DockerUnreachable {
                host: "unix:///var/run/docker.sock".into(),
                reason: "No such file or directory (os error 2)".into(),
            },
            "error: cannot reach the Docker engine at unix:///var/run/docker.sock: No such file or directory (os error 2)\n\
             hint: start Docker (e.g. `sudo systemctl start docker`) or set DOCKER_HOST\n",
        );
    }

    #[test]
    fn compose_invalid_with_line() {
        check(
            Error::ComposeInvalid {
                file: "compose.yaml".into(),
                line: Some(42),
                column: Some(7),
                message: "services.proxy.ports[0]: invalid port \"abc\"".into(),
            },
            "error: compose.yaml:42:7: services.proxy.ports[0]: invalid port \"abc\"\n\
             hint: fix the value at that line (a `${VAR}` in it comes from the environment or .env); docs/chatctl.md lists what chatctl supports\n",
        );
    }

    #[test]
    fn port_in_use() {
        check(
            Error::PortInUse {
                service: "proxy".into(),
                address: "127.0.0.1:8080".into(),
            },
            "error: port 127.0.0.1:8080 needed by service proxy is already in use\n\
             hint: stop whatever listens there (`ss -ltnp` shows it) or choose another port, e.g. `LIVECHAT_PORT=8081 chatctl up`\n",
        );
    }

    #[test]
    fn unhealthy_shows_health_output_and_logs() {
        check(
            Error::Unhealthy {
                service: "chat".into(),
                reason: "is unhealthy".into(),
                health_output: Some("connection refused\n".into()),
                logs: vec!["starting".into(), "panic: no database".into()],
            },
            "error: service chat is unhealthy\n\
             last health check output:\n  │ connection refused\n\
             last 2 log lines of chat:\n  │ starting\n  │ panic: no database\n\
             hint: fix the cause shown above and run `chatctl up` again; `chatctl logs chat` shows the whole log\n",
        );
    }

    #[test]
    fn build_failed_shows_step_output() {
        check(
            Error::BuildFailed {
                image: "livechat-db:latest".into(),
                step: Some("Step 2/9 : RUN apt-get update".into()),
                message: "The command '/bin/sh -c apt-get update' returned a non-zero code: 100".into(),
                output: vec!["E: network unreachable".into()],
                log: Some(PathBuf::from(".livechat/logs/build-db.log")),
            },
            "error: building image livechat-db:latest failed at Step 2/9 : RUN apt-get update: The command '/bin/sh -c apt-get update' returned a non-zero code: 100\n\
             output of the failing step:\n  │ E: network unreachable\n\
             hint: the full build output is in .livechat/logs/build-db.log\n",
        );
    }

    #[test]
    fn base_image_missing() {
        check(
            Error::BaseImageMissing {
                image: "debian:bookworm-slim".into(),
                dockerfile: PathBuf::from("db/Dockerfile"),
                reason: "dial tcp: lookup registry-1.docker.io: no such host".into(),
            },
            "error: base image debian:bookworm-slim is not in the local Docker engine and cannot be pulled (needed by db/Dockerfile): dial tcp: lookup registry-1.docker.io: no such host\n\
             hint: without a registry, create it locally: `debootstrap --variant=minbase bookworm /tmp/rootfs http://deb.debian.org/debian && tar -C /tmp/rootfs -c . | docker import - debian:bookworm-slim` (.ci/prepare-machine.sh does this)\n",
        );
    }

    #[test]
    fn io_error_shows_cause() {
        check(
            Error::io(
                "create",
                "/p/.livechat/secrets",
                std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
            ),
            "error: cannot create /p/.livechat/secrets\n  caused by: permission denied\n",
        );
    }

    #[test]
    fn tool_missing() {
        check(
            Error::ToolMissing {
                tool: "npm".into(),
                purpose: "build the front-end assets of chat".into(),
            },
            "error: npm is not installed or not on PATH (needed to build the front-end assets of chat)\n\
             hint: install Node.js and npm (e.g. `apt-get install npm`)\n",
        );
    }

    #[test]
    fn exit_codes_are_distinct() {
        let errors = [
            Error::ComposeNotFound { start: "/".into() },
            Error::DockerUnreachable {
                host: String::new(),
                reason: String::new(),
            },
            Error::Docker {
                action: String::new(),
                message: String::new(),
            },
            Error::BuildFailed {
                image: String::new(),
                step: None,
                message: String::new(),
                output: vec![],
                log: None,
            },
            Error::ImageMissing {
                service: String::new(),
                image: String::new(),
            },
            Error::PortInUse {
                service: String::new(),
                address: String::new(),
            },
            Error::Unhealthy {
                service: String::new(),
                reason: String::new(),
                health_output: None,
                logs: vec![],
            },
            Error::ToolMissing {
                tool: String::new(),
                purpose: String::new(),
            },
            Error::CommandFailed {
                step: String::new(),
                status: String::new(),
                output: vec![],
            },
            Error::TestsFailed {
                stage: String::new(),
            },
            Error::SmokeFailed {
                check: String::new(),
                url: String::new(),
                detail: String::new(),
            },
            Error::Interrupted,
        ];
        let mut codes: Vec<u8> = errors.iter().map(Error::exit_code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(!codes.contains(&0) && !codes.contains(&2));
    }
}
