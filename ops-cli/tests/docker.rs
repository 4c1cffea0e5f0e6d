//! Integration tests against the real Docker engine: tiny compose projects built FROM
//! debian:bookworm-slim, each under a unique project name and torn down by a Drop guard.
//! They fail loudly when no engine is reachable; they never skip.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chatctl::docker::Engine;
use chatctl::stack::{self, DownOptions, UpOptions};
use chatctl::topology::{self, LoadOptions, Project};
use chatctl::ui::Ui;
use chatctl::Error;

/// `PROJECT` is replaced by the project name, so no two tests share cached images (one
/// test's cleanup must not delete an image another test is using).
const DOCKERFILE: &str = "\
FROM debian:bookworm-slim
LABEL test.project=PROJECT
HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD [\"test\", \"-r\", \"/run/secrets/token\"]
USER nobody
CMD [\"sh\", \"-c\", \"echo booting $SERVICE; exec sleep infinity\"]
";

/// A temporary compose project; dropping it removes its containers, network, volumes,
/// images and directory, even when the test panicked.
struct TestProject {
    dir: PathBuf,
    name: String,
    variables: BTreeMap<String, String>,
}

impl TestProject {
    fn new(test: &str, compose: &str) -> TestProject {
        let suffix = chatctl::secrets::random_token(12)
            .unwrap()
            .to_lowercase()
            .replace(['-', '_'], "x");
        let name = format!("chatctl-it-{test}-{}", &suffix[..6]);
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(dir.join("app")).unwrap();
        std::fs::write(
            dir.join("app/Dockerfile"),
            DOCKERFILE.replace("PROJECT", &name),
        )
        .unwrap();
        std::fs::write(dir.join("compose.yaml"), compose.replace("PROJECT", &name)).unwrap();
        TestProject {
            dir,
            name,
            variables: BTreeMap::new(),
        }
    }

    fn load(&self) -> Result<Project, Error> {
        topology::load(&LoadOptions {
            file: Some(self.dir.join("compose.yaml")),
            project_name: None,
            working_dir: self.dir.clone(),
            variables: self.variables.clone(),
        })
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        let project = self.load();
        let name = self.name.clone();
        // Drop cannot be async; tear down on a private runtime in its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let engine = Engine::connect().await.unwrap();
                if let Ok(project) = project {
                    let options = DownOptions {
                        volumes: true,
                        timeout: Some(Duration::from_secs(1)),
                    };
                    stack::down(&engine, &project, &options, &Ui::silent())
                        .await
                        .unwrap();
                    for service in &project.services {
                        let _ = engine
                            .api()
                            .remove_image(
                                &service.image,
                                None::<bollard::query_parameters::RemoveImageOptions>,
                                None,
                            )
                            .await;
                    }
                }
                let leftovers = engine.project_containers(&name).await.unwrap();
                assert!(
                    leftovers.is_empty(),
                    "containers left behind: {leftovers:?}"
                );
            });
        })
        .join();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn engine() -> Engine {
    Engine::connect()
        .await
        .expect("these tests need a running Docker engine (DOCKER_HOST or /var/run/docker.sock)")
}

fn free_port() -> u16 {
    chatctl::host::free_port().unwrap()
}

fn two_services(port: u16) -> String {
    format!(
        "\
name: PROJECT
services:
  web:
    image: PROJECT-web:latest
    build: ./app
    environment:
      SERVICE: web
      GREETING: ${{GREETING:-hello}}
    ports:
      - \"127.0.0.1:{port}:8080\"
    secrets: [token]
    depends_on:
      base:
        condition: service_healthy
    stop_grace_period: 1s
  base:
    image: PROJECT-base:latest
    build:
      context: ./app
    environment:
      - SERVICE=base
    secrets: [token]
    volumes:
      - data:/data
    stop_grace_period: 1s
    restart: unless-stopped
volumes:
  data:
secrets:
  token:
    file: ./.livechat/secrets/token
"
    )
}

fn up_options() -> UpOptions {
    UpOptions {
        build: true,
        wait_timeout: Duration::from_secs(60),
        dry_run: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_is_idempotent_recreates_only_what_changed_and_down_keeps_volumes() {
    let engine = engine().await;
    let port = free_port();
    let mut test = TestProject::new("idem", &two_services(port));
    let project = test.load().unwrap();
    let order: Vec<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["base", "web"]);

    let dry = stack::up(
        &engine,
        &project,
        &UpOptions {
            dry_run: true,
            ..up_options()
        },
        &Ui::silent(),
    )
    .await
    .unwrap();
    assert!(dry
        .changes
        .iter()
        .any(|c| c == &format!("create and start container {}-web-1", test.name)));
    assert!(
        engine
            .project_containers(&test.name)
            .await
            .unwrap()
            .is_empty(),
        "dry run created containers"
    );

    let first = stack::up(&engine, &project, &up_options(), &Ui::silent())
        .await
        .unwrap();
    let actions: Vec<(&str, &str, &str)> = first
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.action.as_str(), s.health.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("base", "create", "healthy"), ("web", "create", "healthy")]
    );
    assert_eq!(first.url, Some(format!("http://127.0.0.1:{port}/")));

    let secret = test.dir.join(".livechat/secrets/token");
    assert_eq!(std::fs::read_to_string(&secret).unwrap().len(), 32);
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert_eq!(
        std::fs::metadata(secret.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );

    let rows = stack::status(&engine, &project).await.unwrap();
    let summary: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|r| (r.service.clone(), r.state.clone(), r.health.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "base".to_string(),
                "running".to_string(),
                Some("healthy".to_string())
            ),
            (
                "web".to_string(),
                "running".to_string(),
                Some("healthy".to_string())
            ),
        ]
    );
    assert_eq!(rows[1].ports, [format!("127.0.0.1:{port}->8080/tcp")]);

    let inspect = engine
        .api()
        .inspect_container(&format!("{}-web-1", test.name), None)
        .await
        .unwrap();
    let labels = inspect.config.unwrap().labels.unwrap();
    assert_eq!(labels["com.docker.compose.project"], test.name);
    assert_eq!(labels["com.docker.compose.service"], "web");
    assert_eq!(labels["com.docker.compose.oneoff"], "False");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["com.docker.compose.config-hash"].len(), 64);
    let host_config = inspect.host_config.unwrap();
    assert_eq!(host_config.cap_drop, Some(vec!["ALL".to_string()]));
    assert_eq!(
        host_config.security_opt,
        Some(vec!["no-new-privileges:true".to_string()])
    );

    let second = stack::up(&engine, &project, &up_options(), &Ui::silent())
        .await
        .unwrap();
    assert!(
        !second.changed_anything(),
        "second up changed {:?}",
        second.services
    );
    let ids = |report: &stack::UpReport| {
        report
            .services
            .iter()
            .map(|s| s.container_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));

    test.variables.insert("GREETING".into(), "bye".into());
    let changed = test.load().unwrap();
    let third = stack::up(&engine, &changed, &up_options(), &Ui::silent())
        .await
        .unwrap();
    let actions: Vec<&str> = third.services.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["unchanged", "recreate"]);
    assert_eq!(
        third.services[0].container_id,
        first.services[0].container_id
    );
    assert_ne!(
        third.services[1].container_id,
        first.services[1].container_id
    );

    let keep = stack::down(&engine, &changed, &DownOptions::default(), &Ui::silent())
        .await
        .unwrap();
    assert_eq!(
        keep.containers,
        [
            format!("{}-web-1", test.name),
            format!("{}-base-1", test.name)
        ]
    );
    assert_eq!(keep.networks, [format!("{}_default", test.name)]);
    assert!(keep.volumes.is_empty());
    assert_eq!(
        engine.existing_volumes(&test.name).await.unwrap(),
        [format!("{}_data", test.name)]
    );

    let purge = stack::down(
        &engine,
        &changed,
        &DownOptions {
            volumes: true,
            timeout: None,
        },
        &Ui::silent(),
    )
    .await
    .unwrap();
    assert_eq!(purge.volumes, [format!("{}_data", test.name)]);
    assert!(engine
        .existing_volumes(&test.name)
        .await
        .unwrap()
        .is_empty());

    let again = stack::down(
        &engine,
        &changed,
        &DownOptions {
            volumes: true,
            timeout: None,
        },
        &Ui::silent(),
    )
    .await
    .unwrap();
    assert!(
        again.is_empty(),
        "down on nothing must succeed and remove nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhealthy_service_is_named_with_its_health_output_and_log_tail() {
    let engine = engine().await;
    let compose = "\
services:
  sick:
    image: PROJECT-sick:latest
    build: ./app
    environment:
      SERVICE: sick
    healthcheck:
      test: [\"CMD\", \"sh\", \"-c\", \"echo database unreachable; exit 1\"]
      interval: 1s
      retries: 1
    stop_grace_period: 1s
";
    let test = TestProject::new("sick", compose);
    let project = test.load().unwrap();
    let error = stack::up(&engine, &project, &up_options(), &Ui::silent())
        .await
        .unwrap_err();
    match &error {
        Error::Unhealthy {
            service,
            reason,
            health_output,
            logs,
        } => {
            assert_eq!(service, "sick");
            assert_eq!(reason, "is unhealthy");
            assert_eq!(
                health_output.as_deref().map(str::trim),
                Some("database unreachable")
            );
            assert_eq!(logs, &["booting sick".to_string()]);
        }
        other => panic!("expected Unhealthy, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 9);
    let rendered = error.render(false);
    assert!(
        rendered.starts_with("error: service sick is unhealthy\n"),
        "{rendered}"
    );
    assert!(rendered.contains("  │ booting sick\n"), "{rendered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exited_service_fails_fast_with_its_exit_code() {
    let engine = engine().await;
    let compose = "\
services:
  crash:
    image: PROJECT-crash:latest
    build: ./app
    healthcheck:
      disable: true
    stop_grace_period: 1s
";
    let test = TestProject::new("crash", compose);
    // Replace the command with one that fails right away.
    std::fs::write(
        test.dir.join("app/Dockerfile"),
        format!(
            "FROM debian:bookworm-slim\nLABEL test.project={}\nCMD [\"sh\", \"-c\", \"echo no config found >&2; exit 3\"]\n",
            test.name
        ),
    )
    .unwrap();
    let project = test.load().unwrap();
    let options = UpOptions {
        wait_timeout: Duration::from_secs(30),
        ..up_options()
    };
    let started = std::time::Instant::now();
    let error = stack::up(&engine, &project, &options, &Ui::silent())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "did not fail fast"
    );
    match error {
        Error::Unhealthy {
            service,
            reason,
            logs,
            ..
        } => {
            assert_eq!(service, "crash");
            assert_eq!(reason, "exited with code 3");
            assert_eq!(logs, ["no config found"]);
        }
        other => panic!("expected Unhealthy, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_reported_before_anything_is_created() {
    let engine = engine().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let test = TestProject::new("port", &two_services(port));
    let project = test.load().unwrap();
    let error = stack::up(&engine, &project, &up_options(), &Ui::silent())
        .await
        .unwrap_err();
    match &error {
        Error::PortInUse { service, address } => {
            assert_eq!(service, "web");
            assert_eq!(address, &format!("127.0.0.1:{port}"));
        }
        other => panic!("expected PortInUse, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 8);
    assert!(engine
        .project_containers(&test.name)
        .await
        .unwrap()
        .is_empty());
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_build_step_is_reported_with_its_output() {
    let engine = engine().await;
    let test = TestProject::new(
        "buildfail",
        "services:\n  app:\n    image: PROJECT-app:latest\n    build: ./app\n",
    );
    std::fs::write(
        test.dir.join("app/Dockerfile"),
        "FROM debian:bookworm-slim\nRUN echo step one\nRUN echo cannot find libfoo >&2 && false\n",
    )
    .unwrap();
    let project = test.load().unwrap();
    let error = chatctl::images::build_services(&engine, &project, &[], &Ui::silent())
        .await
        .unwrap_err();
    match &error {
        Error::BuildFailed {
            image,
            step,
            message,
            output,
            log,
        } => {
            assert_eq!(image, &format!("{}-app:latest", test.name));
            assert_eq!(
                step.as_deref(),
                Some("Step 3/3 : RUN echo cannot find libfoo >&2 && false")
            );
            assert!(message.contains("returned a non-zero code: 1"), "{message}");
            assert!(
                output.iter().any(|line| line == "cannot find libfoo"),
                "{output:?}"
            );
            assert!(log
                .as_ref()
                .unwrap()
                .ends_with(".livechat/logs/build-app.log"));
        }
        other => panic!("expected BuildFailed, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_base_image_is_named_before_building() {
    let engine = engine().await;
    let test = TestProject::new(
        "nobase",
        "services:\n  app:\n    image: PROJECT-app:latest\n    build: ./app\n",
    );
    std::fs::write(
        test.dir.join("app/Dockerfile"),
        "FROM chatctl-no-such-base:1\nCMD [\"true\"]\n",
    )
    .unwrap();
    let project = test.load().unwrap();
    let error = chatctl::images::build_services(&engine, &project, &[], &Ui::silent())
        .await
        .unwrap_err();
    match &error {
        Error::BaseImageMissing {
            image,
            dockerfile,
            reason,
        } => {
            assert!(!reason.is_empty(), "the pull's failure is reported");
            assert_eq!(image, "chatctl-no-such-base:1");
            assert_eq!(dockerfile, &test.dir.join("app/Dockerfile"));
        }
        other => panic!("expected BaseImageMissing, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 7);
}

#[test]
fn invalid_compose_reports_file_line_and_path() {
    let test = TestProject::new(
        "invalid",
        "services:\n  web:\n    image: x\n    ports:\n      - \"${PORT}:abc\"\n",
    );
    std::fs::write(test.dir.join(".env"), "PORT=8080\n").unwrap();
    let error = test.load().unwrap_err();
    assert_eq!(
        error.to_string(),
        "compose.yaml:5:9: services.web.ports[0]: invalid port \"8080:abc\": \"abc\" is not a port number between 1 and 65535"
    );
    assert_eq!(error.exit_code(), 3);
}

fn chatctl(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_chatctl"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_binary_renders_errors_with_hints_and_exit_codes() {
    let test = TestProject::new("cli", "services:\n  web:\n    image: x\n    deploy: {}\n");
    let (code, stdout, stderr) = chatctl(&test.dir, &["status"], &[]);
    assert_eq!(code, 3);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: compose.yaml:4:5: services.web.deploy is not supported by chatctl\n\
         hint: fix the value at that line (a `${VAR}` in it comes from the environment or .env); docs/chatctl.md lists what chatctl supports\n"
    );

    std::fs::write(
        test.dir.join("compose.yaml"),
        "services:\n  web:\n    image: x\n",
    )
    .unwrap();
    let (code, _, stderr) = chatctl(
        &test.dir,
        &["status"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(code, 4);
    assert!(
        stderr.starts_with(
            "error: cannot reach the Docker engine at unix:///nonexistent/docker.sock: "
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "hint: start Docker (e.g. `sudo systemctl start docker`) or set DOCKER_HOST\n"
        ),
        "{stderr}"
    );

    let (code, _, stderr) = chatctl(&test.dir, &["up", "--wait-timeout", "soon"], &[]);
    assert_eq!(code, 2, "clap handles bad flags: {stderr}");

    let (code, stdout, _) = chatctl(&test.dir, &["status", "--json"], &[]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[0]["service"], "web");
    assert_eq!(rows[0]["state"], "missing");
}
