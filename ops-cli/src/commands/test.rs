//! `chatctl test`: the whole suite against throwaway infrastructure. Unit and
//! integration tests get a fresh Postgres; the end-to-end tests get the full topology
//! under its own project name and port. Everything is torn down afterwards — on
//! success, failure or Ctrl-C — and the user's own stack is never touched.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::stack::{self, DownOptions, UpOptions};
use crate::topology::plan::ContainerState;
use crate::topology::spec::{
    project_labels, ContainerSpec, MountKind, MountSpec, ONEOFF_LABEL, SERVICE_LABEL,
};
use crate::topology::{self, Port, Project, Restart};
use crate::ui::Ui;
use crate::{host, images, secrets, Context};

/// Log lines shown per container when something failed.
const FAILURE_LOG_LINES: usize = 50;

/// Arguments of `chatctl test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub stack: super::StackArgs,

    /// The service whose image provides the throwaway test database.
    #[arg(long, default_value = "db", value_name = "SERVICE")]
    pub db_service: String,
}

/// Runs every stage, then always tears the test project down.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let cargo = host::require_tool("cargo", "run the tests")?;
    let engine = Engine::connect().await?;
    let suffix: String = secrets::random_token(16)?
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_lowercase();
    let port = host::free_port()?;
    let mut load = context
        .load
        .clone()
        .with_variable("LIVECHAT_PORT", &port.to_string());
    load.project_name = Some(format!("livechat-test-{suffix}"));
    let project = topology::load(&load)?;
    let scratch = std::env::temp_dir().join(format!("chatctl-{}", project.name));
    let ui = &context.ui;
    ui.note(&format!(
        "test project {} (proxy on 127.0.0.1:{port}); your own stack is left alone",
        project.name
    ));

    let mut tally = Tally::default();
    let stages = run_stages(
        &engine, &project, &args, &cargo, port, &scratch, ui, &mut tally,
    );
    let outcome = tokio::select! {
        outcome = stages => outcome,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    };
    if outcome.is_err() {
        print_log_tails(&engine, &project.name).await;
    }
    let teardown = stack::down(
        &engine,
        &project,
        &DownOptions {
            volumes: true,
            timeout: Some(Duration::from_secs(5)),
        },
        ui,
    )
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    // One closing line over every cargo test binary, in the form CI tools read.
    let _ = crate::print_out(&format!(
        "tests: {} passed, {} failed, {} skipped\n",
        tally.passed, tally.failed, tally.ignored
    ));
    match (outcome, teardown) {
        (Err(error), _) => Err(error),
        (Ok(()), Err(error)) => Err(error),
        (Ok(()), Ok(_)) => {
            ui.note("all tests passed");
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename them.
async fn run_stages(
    engine: &Engine,
    project: &Project,
    args: &Args,
    cargo: &Path,
    port: u16,
    scratch: &Path,
    ui: &Ui,
    tally: &mut Tally,
) -> Result<()> {
    if !args.stack.no_build {
        images::build_services(engine, project, &[], ui).await?;
    }
    let database_url = start_test_database(
        engine,
        project,
        &args.db_service,
        scratch,
        args.stack.wait_timeout,
        ui,
    )
    .await?;

    let mut unit = Command::new(cargo);
    unit.args(["test", "--workspace", "--exclude", "e2e"])
        .current_dir(&project.dir)
        // The password travels in the environment only, never on a command line.
        .env("DATABASE_URL", &database_url);
    run_test_stage("unit and integration tests", &mut unit, ui, tally).await?;

    let options = UpOptions {
        build: false,
        wait_timeout: args.stack.wait_timeout,
        dry_run: false,
    };
    let report = stack::up(engine, project, &options, ui).await?;
    let url = report
        .url
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/"));

    // The end-to-end suites drive the stack with pinned JS packages (tests/js).
    let suites = project.dir.join("tests").join("js");
    host::npm(
        &["ci", "--no-audit", "--no-fund"],
        &suites,
        "install the end-to-end suites' JS packages",
        ui,
    )
    .await?;

    let chatctl = copy_of_this_executable(scratch)?;
    let mut e2e = Command::new(cargo);
    e2e.args(["test", "-p", "e2e", "--", "--test-threads=1"])
        .current_dir(&project.dir)
        .env("LIVECHAT_E2E_URL", url.trim_end_matches('/'))
        .env("LIVECHAT_E2E_PROJECT", &project.name)
        .env("LIVECHAT_E2E_COMPOSE", &project.compose_file)
        .env("LIVECHAT_E2E_CHATCTL", &chatctl)
        // So that `up` from inside the tests resolves the same port (and config hash).
        .env("LIVECHAT_PORT", port.to_string());
    run_test_stage("end-to-end tests", &mut e2e, ui, tally).await
}

/// Copies the running chatctl into `scratch`: the end-to-end tests run `chatctl … up /
/// down / status` with this very binary, and the first stage's `cargo test` may rebuild
/// (replace) the file it was started from. `/proc/self/exe` stays readable regardless.
fn copy_of_this_executable(scratch: &Path) -> Result<PathBuf> {
    let copy = scratch.join("chatctl");
    std::fs::create_dir_all(scratch).map_err(|e| Error::io("create directory", scratch, e))?;
    std::fs::copy("/proc/self/exe", &copy)
        .map_err(|e| Error::io("copy the chatctl executable to", &copy, e))?;
    Ok(copy)
}

/// Runs a `cargo test` stage with its output streaming to the terminal, counting the
/// results of every test binary it runs into `tally`.
async fn run_test_stage(
    stage: &str,
    command: &mut Command,
    ui: &Ui,
    tally: &mut Tally,
) -> Result<()> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let step = ui.step_without_spinner(stage);
    let failed_to_run = |e: std::io::Error| Error::CommandFailed {
        step: format!("cargo test ({stage})"),
        status: e.to_string(),
        output: vec![],
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(failed_to_run)?;
    if let Some(stdout) = child.stdout.take() {
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await.map_err(failed_to_run)? {
            tally.add_line(&line);
            // A closed stdout (`chatctl test | head`) must not stop the tests.
            let _ = crate::print_out(&format!("{line}\n"));
        }
    }
    let status = child.wait().await.map_err(failed_to_run)?;
    let result = if status.success() {
        Ok(())
    } else {
        Err(Error::TestsFailed {
            stage: format!("{stage} ({status})"),
        })
    };
    step.finish(result, |()| "passed".to_string())
}

/// Test counts summed over cargo's `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Tally {
    /// Adds the counts of a `test result: ok. 3 passed; 1 failed; 2 ignored; …` line;
    /// any other line changes nothing.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

/// Starts Postgres from the db service's image on a free 127.0.0.1 port, labelled as a
/// one-off of the test project so teardown finds it; returns its DATABASE_URL.
async fn start_test_database(
    engine: &Engine,
    project: &Project,
    db_service: &str,
    scratch: &Path,
    timeout: Duration,
    ui: &Ui,
) -> Result<String> {
    let service = project
        .service(db_service)
        .ok_or_else(|| Error::UnknownService {
            service: db_service.to_string(),
            known: project.services.iter().map(|s| s.name.clone()).collect(),
        })?;
    let password = secrets::random_token(32)?;
    let password_file: PathBuf = scratch.join("secrets/test_db_password");
    secrets::write_new(&password_file, &password)?;
    let port = host::free_port()?;
    let user = service
        .environment
        .get("POSTGRES_USER")
        .cloned()
        .unwrap_or_else(|| "livechat".to_string());
    let database = service
        .environment
        .get("POSTGRES_DB")
        .cloned()
        .unwrap_or_else(|| "livechat".to_string());
    let mut labels = project_labels(project);
    labels.insert(SERVICE_LABEL.to_string(), "testdb".to_string());
    labels.insert(ONEOFF_LABEL.to_string(), "True".to_string());
    let spec = ContainerSpec {
        name: format!("{}-testdb-1", project.name),
        service: "testdb".to_string(),
        image: service.image.clone(),
        env: vec![
            format!("POSTGRES_USER={user}"),
            format!("POSTGRES_DB={database}"),
            "POSTGRES_PASSWORD_FILE=/run/secrets/db_password".to_string(),
        ],
        mounts: vec![MountSpec {
            kind: MountKind::Bind,
            source: password_file.display().to_string(),
            target: "/run/secrets/db_password".to_string(),
            read_only: true,
        }],
        ports: vec![Port {
            host_ip: Some("127.0.0.1".to_string()),
            host_port: Some(port),
            container_port: 5432,
            protocol: "tcp".to_string(),
        }],
        networks: vec![],
        aliases: vec![],
        restart: Restart::No,
        stop_timeout: Some(5),
        healthcheck: None,
        cap_drop: vec!["ALL".to_string()],
        cap_add: vec![],
        security_opt: vec!["no-new-privileges:true".to_string()],
        labels,
    };
    let step = ui.step(format!(
        "start test database {} on 127.0.0.1:{port}",
        spec.name
    ));
    let started = async {
        let id = engine.create_container(&spec).await?;
        engine.start_container(&id, &spec.name).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        stack::wait_ready(engine, &id, "testdb", &step, deadline, timeout).await?;
        // The image's health check answers once the server accepts connections.
        let health = engine.container_health(&id).await?;
        if health.state != ContainerState::Running {
            return Err(Error::Unhealthy {
                service: "testdb".to_string(),
                reason: format!("exited with code {}", health.exit_code),
                health_output: health.last_output,
                logs: engine.log_tail(&id, stack::LOG_TAIL).await,
            });
        }
        Ok(())
    };
    let result = started.await;
    step.finish(result, |()| "healthy".to_string())?;
    Ok(format!(
        "postgres://{user}:{password}@127.0.0.1:{port}/{database}?sslmode=disable"
    ))
}

/// Prints the tail of every container's log of the test project to stderr.
async fn print_log_tails(engine: &Engine, project: &str) {
    match stack::log_tails(engine, project, FAILURE_LOG_LINES).await {
        Ok(tails) => {
            for (container, lines) in tails {
                eprintln!("── last {} log lines of {container} ──", lines.len());
                for line in lines {
                    eprintln!("  {line}");
                }
            }
        }
        Err(error) => eprintln!("could not read the container logs: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn tallies_cargo_test_result_lines() {
        let mut tally = Tally::default();
        for line in [
            "test result: ok. 44 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.05s",
            "running 3 tests",
            "test passed_and_failed ... ok",
            "test result: FAILED. 2 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out; finished in 1s",
            "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
        ] {
            tally.add_line(line);
        }
        assert_eq!(
            tally,
            Tally {
                passed: 46,
                failed: 1,
                ignored: 3
            }
        );
    }
}
