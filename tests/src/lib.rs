//! Helpers for the end-to-end tests: the stack under test (brought up by `chatctl
//! test`), the JS suites and scripts, `chatctl` itself, and Docker for inspection.
//!
//! Every helper fails loudly: a missing stack or a missing Docker is a failed test,
//! never a skipped one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use bollard::Docker;

/// The stack `chatctl test` brought up for this run.
pub struct Stack {
    /// `http://127.0.0.1:<port>`, the proxy.
    pub url: String,
    /// The compose project name, e.g. `livechat-test-3f9a`.
    pub project: String,
    /// The compose file the stack was brought up from.
    pub compose_file: PathBuf,
    /// The `chatctl` binary that brought it up.
    pub chatctl: PathBuf,
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set. The end-to-end tests run against a stack that `chatctl test` \
             brings up; run `cargo chatctl test` instead of `cargo test -p e2e`."
        )
    })
}

impl Stack {
    /// The stack described by the `LIVECHAT_E2E_*` variables; panics when they are missing.
    pub fn from_env() -> Stack {
        Stack {
            url: required_env("LIVECHAT_E2E_URL"),
            project: required_env("LIVECHAT_E2E_PROJECT"),
            compose_file: required_env("LIVECHAT_E2E_COMPOSE").into(),
            chatctl: required_env("LIVECHAT_E2E_CHATCTL").into(),
        }
    }

    /// The container name of a service, as chatctl and compose name it.
    pub fn container(&self, service: &str) -> String {
        format!("{}-{service}-1", self.project)
    }

    /// Runs `chatctl <args>` against this stack and returns its output; panics on failure.
    pub fn chatctl(&self, args: &[&str]) -> Output {
        let output = Command::new(&self.chatctl)
            .arg("--file")
            .arg(&self.compose_file)
            .arg("--project-name")
            .arg(&self.project)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("cannot run chatctl");
        assert!(
            output.status.success(),
            "chatctl {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs a node script from `tests/js` with the stack's URL; returns its output.
    pub fn node(&self, args: &[&str]) -> Output {
        Command::new("node")
            .args(args)
            .current_dir(js_dir())
            .env("LIVECHAT_E2E_URL", &self.url)
            .output()
            .expect("cannot run node (is Node.js installed?)")
    }

    /// Runs one `node --test` suite and panics with its report when any test fails.
    pub fn node_suite(&self, file: &str) {
        let output = self.node(&["--test", "--test-reporter=spec", file]);
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{report}");
        assert!(output.status.success(), "{file} failed:\n{report}");
        assert!(report.contains("ℹ pass"), "{file} ran no test:\n{report}");
    }

    /// Sends messages through `send.mjs` and returns the acknowledged messages.
    pub fn send(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut full = vec!["send.mjs"];
        full.extend_from_slice(args);
        let output = self.node(&full);
        assert!(
            output.status.success(),
            "send.mjs {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).expect("send.mjs prints JSON lines"))
            .collect()
    }

    /// Runs SQL in the db container with psql and returns its unaligned output.
    pub async fn psql(&self, sql: &str) -> String {
        let docker = docker();
        let exec = docker
            .create_exec(
                &self.container("db"),
                bollard::models::ExecConfig {
                    cmd: Some(
                        [
                            "psql",
                            "-U",
                            "livechat",
                            "-d",
                            "livechat",
                            "-At",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-c",
                            sql,
                        ]
                        .map(String::from)
                        .to_vec(),
                    ),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .expect("cannot exec in the db container");
        let mut text = String::new();
        if let bollard::exec::StartExecResults::Attached { mut output, .. } = docker
            .start_exec(&exec.id, None)
            .await
            .expect("cannot start psql")
        {
            use futures_util::StreamExt;
            while let Some(chunk) = output.next().await {
                text.push_str(&chunk.expect("psql output").to_string());
            }
        }
        text
    }

    /// GET a path through the proxy with a display-name cookie; returns (status, body).
    pub async fn get_as(&self, name: &str, path: &str) -> (u16, String) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .header("Cookie", format!("livechat_name={name}"))
            .send()
            .await
            .expect("the proxy answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Polls `GET path` until it answers `status`, returning how long it took.
    pub async fn wait_for_status(&self, path: &str, status: u16, within: Duration) -> Duration {
        let start = Instant::now();
        let client = reqwest::Client::new();
        let mut last = String::from("no answer");
        while start.elapsed() < within {
            match client.get(format!("{}{path}", self.url)).send().await {
                Ok(response) if response.status().as_u16() == status => return start.elapsed(),
                Ok(response) => last = response.status().to_string(),
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} never answered {status} within {within:?}; last: {last}");
    }
}

/// The Docker engine; panics (fails the test) when it cannot be reached.
pub fn docker() -> Docker {
    Docker::connect_with_local_defaults().expect("cannot reach the Docker engine")
}

/// The folder of the JS suites.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}
