//! The stack operations shared by the CLI and the end-to-end tests: [`up`], [`down`],
//! [`status`] and [`log_tails`], each over a resolved [`Project`]. Progress goes to the
//! [`Ui`] (pass [`Ui::silent`] from tests); results are returned as values.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::docker::{ContainerHealth, Engine};
use crate::error::{Error, Result};
use crate::images;
use crate::topology::plan::{plan, ports_to_check, Action, ContainerState, ServicePlan};
use crate::topology::spec::container_spec;
use crate::topology::values::format_duration;
use crate::topology::{Mount, Project};
use crate::ui::{Step, Ui};
use crate::wait::{poll_until, Poll, WaitError};
use crate::{host, secrets};

/// How many log lines an unhealthy service shows.
pub const LOG_TAIL: usize = 30;

/// Options of [`up`].
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Build images first (`false` is `--no-build`: the images must exist).
    pub build: bool,
    /// How long all services together may take to become healthy.
    pub wait_timeout: Duration,
    /// Only compute and return the plan.
    pub dry_run: bool,
}

impl Default for UpOptions {
    fn default() -> Self {
        UpOptions {
            build: true,
            wait_timeout: Duration::from_secs(180),
            dry_run: false,
        }
    }
}

/// What [`up`] did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct UpReport {
    /// The project name.
    pub project: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The plan, one line per change (also for unchanged services).
    pub changes: Vec<String>,
    /// Per service, in start order (empty for a dry run).
    pub services: Vec<ServiceOutcome>,
    /// `http://127.0.0.1:<port>/` of the first published service from the edge inwards.
    pub url: Option<String>,
}

/// What happened to one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceOutcome {
    /// The service.
    pub service: String,
    /// Its container name.
    pub container: String,
    /// Its container id.
    pub container_id: String,
    /// `create`, `recreate`, `start` or `unchanged`.
    pub action: String,
    /// `healthy`, or `running` for a container without a health check.
    pub health: String,
}

impl UpReport {
    /// Whether any container was created, recreated or started.
    pub fn changed_anything(&self) -> bool {
        self.services.iter().any(|s| s.action != "unchanged")
    }
}

/// Builds (unless `options.build` is false), then converges the project's containers to
/// compose.yaml in dependency order and waits until each is healthy.
pub async fn up(
    engine: &Engine,
    project: &Project,
    options: &UpOptions,
    ui: &Ui,
) -> Result<UpReport> {
    if options.build && !options.dry_run {
        images::build_services(engine, project, &[], ui).await?;
    }
    let mut specs = Vec::new();
    for service in &project.services {
        let image_id = match engine.image_id(&service.image).await? {
            Some(id) => id,
            None if options.dry_run => "(not built yet)".to_string(),
            None => {
                return Err(Error::ImageMissing {
                    service: service.name.clone(),
                    image: service.image.clone(),
                })
            }
        };
        specs.push(container_spec(project, service, &image_id));
    }
    let observed = engine.observe(project).await?;
    let plan = plan(project, specs, &observed);
    let url = published_url(project);
    let mut report = UpReport {
        project: project.name.clone(),
        dry_run: options.dry_run,
        changes: plan.describe(),
        services: Vec::new(),
        url: url.clone(),
    };
    if options.dry_run {
        return Ok(report);
    }
    for orphan in &plan.orphans {
        ui.warn(&format!(
            "container {} belongs to service {}, which is not in the compose file; `chatctl down` removes it",
            orphan.name, orphan.service
        ));
    }
    for (service, ip, port) in ports_to_check(&plan, &observed) {
        if !host::port_is_free(&ip, port) {
            return Err(Error::PortInUse {
                service,
                address: format!("{ip}:{port}"),
            });
        }
    }
    for created in secrets::ensure(project)? {
        ui.note(&format!(
            "generated secret {} (mode 0644 in a 0700 directory)",
            created.display()
        ));
    }
    for service in &project.services {
        for mount in &service.volumes {
            if let Mount::Bind { source, .. } = mount {
                if !source.exists() {
                    std::fs::create_dir_all(source)
                        .map_err(|e| Error::io("create directory", source, e))?;
                }
            }
        }
    }
    for network in &plan.create_networks {
        let step = ui.step(format!("create network {network}"));
        step.finish(engine.create_network(project, network).await, |_| {
            String::new()
        })?;
    }
    for volume in &plan.create_volumes {
        let step = ui.step(format!("create volume {volume}"));
        step.finish(engine.create_volume(project, volume).await, |_| {
            String::new()
        })?;
    }
    let deadline = Instant::now() + options.wait_timeout;
    for service_plan in &plan.services {
        let step = ui.step(format!(
            "{} ({})",
            service_plan.spec.service, service_plan.spec.name
        ));
        let result = converge(
            engine,
            project,
            service_plan,
            &step,
            deadline,
            options.wait_timeout,
        )
        .await;
        let outcome = step.finish(result, |o| {
            format!("{}, {}", past_tense(&o.action), o.health)
        })?;
        report.services.push(outcome);
    }
    Ok(report)
}

fn past_tense(action: &str) -> &str {
    match action {
        "create" => "created",
        "recreate" => "recreated",
        "start" => "started",
        other => other,
    }
}

/// `http://<ip>:<port>/` of the outermost service publishing a TCP port on a fixed host
/// port (the proxy), with `127.0.0.1` for an unspecified address.
pub fn published_url(project: &Project) -> Option<String> {
    project.services.iter().rev().find_map(|service| {
        service
            .ports
            .iter()
            .find(|p| p.protocol == "tcp")
            .and_then(|port| {
                let host = match port.host_ip.as_deref() {
                    None | Some("0.0.0.0") | Some("::") => "127.0.0.1".to_string(),
                    Some(ip) if ip.contains(':') => format!("[{ip}]"),
                    Some(ip) => ip.to_string(),
                };
                port.host_port.map(|p| format!("http://{host}:{p}/"))
            })
    })
}

/// Applies one service's action and waits until it is ready.
async fn converge(
    engine: &Engine,
    project: &Project,
    service_plan: &ServicePlan,
    step: &Step,
    deadline: Instant,
    timeout: Duration,
) -> Result<ServiceOutcome> {
    let spec = &service_plan.spec;
    let grace = project
        .service(&spec.service)
        .and_then(|s| s.stop_grace_period);
    for extra in &service_plan.remove_extra {
        engine.stop_container(extra, extra, grace).await?;
        engine.remove_container(extra, extra, false).await?;
    }
    let id = match &service_plan.action {
        Action::Unchanged { id } => id.clone(),
        Action::Start { id } => {
            start(engine, id, service_plan).await?;
            id.clone()
        }
        Action::Create => {
            let id = engine.create_container(spec).await?;
            start(engine, &id, service_plan).await?;
            id
        }
        Action::Recreate { id: old, .. } => {
            step.detail("stopping the old container");
            engine.stop_container(old, &spec.name, grace).await?;
            engine.remove_container(old, &spec.name, false).await?;
            let id = engine.create_container(spec).await?;
            start(engine, &id, service_plan).await?;
            id
        }
    };
    let health = wait_ready(engine, &id, &spec.service, step, deadline, timeout).await?;
    Ok(ServiceOutcome {
        service: spec.service.clone(),
        container: spec.name.clone(),
        container_id: id,
        action: service_plan.action.verb().to_string(),
        health,
    })
}

/// Starts a container, turning the engine's port conflicts into [`Error::PortInUse`].
async fn start(engine: &Engine, id: &str, service_plan: &ServicePlan) -> Result<()> {
    let spec = &service_plan.spec;
    match engine.start_container(id, &spec.name).await {
        Err(Error::Docker { message, .. })
            if message.contains("port is already allocated")
                || message.contains("address already in use") =>
        {
            let address = spec
                .ports
                .iter()
                .find_map(|p| {
                    let port = p.host_port?;
                    message
                        .contains(&format!(":{port}"))
                        .then(|| format!("{}:{port}", p.host_ip.as_deref().unwrap_or("0.0.0.0")))
                })
                .unwrap_or_else(|| "a published port".to_string());
            Err(Error::PortInUse {
                service: spec.service.clone(),
                address,
            })
        }
        other => other,
    }
}

/// How long a container without a health check must keep running to count as up.
const RUNNING_SETTLE: Duration = Duration::from_secs(1);

/// Why a health probe stopped waiting.
enum NotReady {
    Engine(Error),
    Failed(ContainerHealth, String),
    Poisoned,
}

/// Waits until the container is healthy (or running, without a health check); on
/// failure the error names the service and carries its health output and log tail.
pub(crate) async fn wait_ready(
    engine: &Engine,
    id: &str,
    service: &str,
    step: &Step,
    deadline: Instant,
    timeout: Duration,
) -> Result<String> {
    // The restart count when waiting began: a rise means the container crashed meanwhile.
    let baseline = AtomicI64::new(i64::MIN);
    // Without a health check, "running" only counts once it has lasted RUNNING_SETTLE,
    // so a process that dies right after starting is not reported as up.
    let running_since: Mutex<Option<Instant>> = Mutex::new(None);
    let result = poll_until(deadline, || async {
        let health = engine
            .container_health(id)
            .await
            .map_err(NotReady::Engine)?;
        let _ = baseline.compare_exchange(
            i64::MIN,
            health.restart_count,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        if health.restart_count > baseline.load(Ordering::Relaxed)
            || health.state == ContainerState::Restarting
        {
            let reason = format!(
                "exited with code {} and is being restarted",
                health.exit_code
            );
            return Err(NotReady::Failed(health, reason));
        }
        match (health.state, health.health.as_deref()) {
            (ContainerState::Running, None) => {
                let now = Instant::now();
                let since = *running_since
                    .lock()
                    .map_err(|_| NotReady::Poisoned)?
                    .get_or_insert(now);
                if now - since >= RUNNING_SETTLE {
                    Ok(Poll::Ready("running".to_string()))
                } else {
                    Ok(Poll::Pending(health))
                }
            }
            (ContainerState::Running, Some("healthy")) => Ok(Poll::Ready("healthy".to_string())),
            (ContainerState::Running, Some("unhealthy")) => {
                Err(NotReady::Failed(health, "is unhealthy".to_string()))
            }
            (ContainerState::Exited | ContainerState::Dead, _) => {
                let reason = format!("exited with code {}", health.exit_code);
                Err(NotReady::Failed(health, reason))
            }
            _ => {
                step.detail(&format!(
                    "waiting: {}",
                    health.health.as_deref().unwrap_or("created")
                ));
                Ok(Poll::Pending(health))
            }
        }
    })
    .await;
    let (health, reason) = match result {
        Ok(health) => return Ok(health),
        Err(WaitError::Failed(NotReady::Engine(error))) => return Err(error),
        Err(WaitError::Failed(NotReady::Poisoned)) => (None, "could not be checked".to_string()),
        Err(WaitError::Failed(NotReady::Failed(health, reason))) => (Some(health), reason),
        Err(WaitError::TimedOut { last }) => {
            let status = last
                .health
                .clone()
                .unwrap_or_else(|| last.state.to_string());
            (
                Some(last),
                format!(
                    "did not become healthy within {} (last status: {status})",
                    format_duration(timeout)
                ),
            )
        }
    };
    Err(Error::Unhealthy {
        service: service.to_string(),
        reason,
        health_output: health
            .and_then(|h| h.last_output)
            .filter(|o| !o.trim().is_empty()),
        logs: engine.log_tail(id, LOG_TAIL).await,
    })
}

/// Options of [`down`].
#[derive(Debug, Clone, Default)]
pub struct DownOptions {
    /// Also remove the project's named volumes (`--volumes`).
    pub volumes: bool,
    /// Stop timeout for every container; each container's own `stop_grace_period` when unset.
    pub timeout: Option<Duration>,
}

/// What [`down`] removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DownReport {
    /// Container names.
    pub containers: Vec<String>,
    /// Network names.
    pub networks: Vec<String>,
    /// Volume names.
    pub volumes: Vec<String>,
}

impl DownReport {
    /// Whether there was nothing to remove.
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }
}

/// Stops and removes every container labelled with the project (dependents first), then
/// its networks, and with `volumes` its named volumes. Removing nothing is a success.
pub async fn down(
    engine: &Engine,
    project: &Project,
    options: &DownOptions,
    ui: &Ui,
) -> Result<DownReport> {
    let mut containers = engine.project_containers(&project.name).await?;
    // Unknown services (one-offs, orphans) go first, then services in reverse start order.
    let rank = |service: &str| {
        project
            .services
            .iter()
            .position(|s| s.name == service)
            .unwrap_or(usize::MAX)
    };
    containers.sort_by_key(|c| {
        std::cmp::Reverse(if c.oneoff {
            usize::MAX
        } else {
            rank(&c.service)
        })
    });
    let mut report = DownReport::default();
    for container in containers {
        let step = ui.step(format!("stop and remove {}", container.name));
        let result = async {
            if matches!(
                container.state,
                ContainerState::Running | ContainerState::Restarting | ContainerState::Paused
            ) {
                engine
                    .stop_container(&container.id, &container.name, options.timeout)
                    .await?;
            }
            engine
                .remove_container(&container.id, &container.name, options.volumes)
                .await
        };
        step.finish(result.await, |_| String::new())?;
        report.containers.push(container.name);
    }
    for network in engine.existing_networks(&project.name).await? {
        let step = ui.step(format!("remove network {network}"));
        step.finish(engine.remove_network(&network).await, |_| String::new())?;
        report.networks.push(network);
    }
    if options.volumes {
        for volume in engine.existing_volumes(&project.name).await? {
            let step = ui.step(format!("remove volume {volume}"));
            step.finish(engine.remove_volume(&volume).await, |_| String::new())?;
            report.volumes.push(volume);
        }
    }
    if report.is_empty() {
        ui.note(&format!(
            "nothing to remove: project {} has no containers or networks",
            project.name
        ));
    }
    Ok(report)
}

/// One row of `chatctl status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    /// The service.
    pub service: String,
    /// Its container name, if one exists.
    pub container: Option<String>,
    /// `running`, `exited`, …, or `missing`.
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or `None` without a health check.
    pub health: Option<String>,
    /// Published ports, `127.0.0.1:8080->8080/tcp`.
    pub ports: Vec<String>,
}

/// The state of every service (and orphan container) of the project.
pub async fn status(engine: &Engine, project: &Project) -> Result<Vec<ServiceStatus>> {
    let containers: Vec<_> = engine
        .project_containers(&project.name)
        .await?
        .into_iter()
        .filter(|c| !c.oneoff)
        .collect();
    let mut rows = Vec::new();
    let known = project.services.iter().map(|s| s.name.clone());
    let orphans = containers
        .iter()
        .filter(|c| project.service(&c.service).is_none())
        .map(|c| c.service.clone());
    for service in known.chain(orphans) {
        match containers.iter().find(|c| c.service == service) {
            Some(container) => {
                let health = engine.container_health(&container.id).await?;
                rows.push(ServiceStatus {
                    service,
                    container: Some(container.name.clone()),
                    state: health.state.to_string(),
                    health: health.health,
                    ports: health.ports,
                });
            }
            None => rows.push(ServiceStatus {
                service,
                container: None,
                state: "missing".to_string(),
                health: None,
                ports: vec![],
            }),
        }
    }
    Ok(rows)
}

/// The last `lines` log lines of every container of the project, for failure reports.
pub async fn log_tails(
    engine: &Engine,
    project: &str,
    lines: usize,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut tails = Vec::new();
    for container in engine.project_containers(project).await? {
        tails.push((
            container.name.clone(),
            engine.log_tail(&container.id, lines).await,
        ));
    }
    Ok(tails)
}
