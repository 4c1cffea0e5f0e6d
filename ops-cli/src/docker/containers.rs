//! Containers: create one from a [`ContainerSpec`], start, stop, remove, read its health
//! and logs, and run one-off job containers to completion.

use std::collections::HashMap;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount, MountTmpfsOptions,
    MountType, NetworkConnectRequest, NetworkingConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt, TryStreamExt};

use super::{container_state, Engine};
use crate::error::{Error, Result};
use crate::topology::plan::ContainerState;
use crate::topology::spec::{ContainerSpec, HealthSpec, MountKind};
use crate::topology::Restart;

/// A container's state and health, as `up` and `status` need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerHealth {
    /// Container name.
    pub name: String,
    /// Lifecycle state.
    pub state: ContainerState,
    /// `starting`, `healthy` or `unhealthy`; `None` without a health check.
    pub health: Option<String>,
    /// Output of the most recent health check.
    pub last_output: Option<String>,
    /// Exit code, meaningful once exited.
    pub exit_code: i64,
    /// How often the restart policy restarted it.
    pub restart_count: i64,
    /// Published ports as `ip:port->port/proto`.
    pub ports: Vec<String>,
}

/// A one-off job container (e.g. the cargo build): runs to completion, then is removed.
#[derive(Debug, Clone, Default)]
pub struct OneOff {
    /// Container name.
    pub name: String,
    /// Image to run.
    pub image: String,
    /// Command (exec form).
    pub command: Vec<String>,
    /// `KEY=value` environment.
    pub env: Vec<String>,
    /// `host:container[:ro]` binds.
    pub binds: Vec<String>,
    /// Writable tmpfs mounts (mode 1777) at these paths.
    pub tmpfs: Vec<String>,
    /// `uid:gid` to run as.
    pub user: Option<String>,
    /// Working directory.
    pub working_dir: Option<String>,
    /// Labels.
    pub labels: HashMap<String, String>,
}

impl Engine {
    /// Creates (but does not start) the container described by `spec`; returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for port in &spec.ports {
            port_bindings
                .entry(format!("{}/{}", port.container_port, port.protocol))
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: port.host_ip.clone(),
                    host_port: port.host_port.map(|p| p.to_string()),
                });
        }
        let mounts = spec
            .mounts
            .iter()
            .map(|mount| Mount {
                typ: Some(match mount.kind {
                    MountKind::Volume => MountType::VOLUME,
                    MountKind::Bind => MountType::BIND,
                }),
                source: Some(mount.source.clone()),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Default::default()
            })
            .collect();
        let (restart_name, maximum_retry_count) = match spec.restart {
            Restart::No => (RestartPolicyNameEnum::NO, None),
            Restart::Always => (RestartPolicyNameEnum::ALWAYS, None),
            Restart::UnlessStopped => (RestartPolicyNameEnum::UNLESS_STOPPED, None),
            Restart::OnFailure(max) => (RestartPolicyNameEnum::ON_FAILURE, max.map(i64::from)),
        };
        let first_network = spec.networks.first().cloned();
        let endpoint = EndpointSettings {
            aliases: Some(spec.aliases.clone()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            env: Some(spec.env.clone()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            exposed_ports: Some(port_bindings.keys().cloned().collect()),
            healthcheck: spec.healthcheck.as_ref().map(health_config),
            stop_timeout: spec
                .stop_timeout
                .map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                port_bindings: Some(port_bindings),
                restart_policy: Some(RestartPolicy {
                    name: Some(restart_name),
                    maximum_retry_count,
                }),
                network_mode: first_network.clone(),
                cap_drop: Some(spec.cap_drop.clone()),
                cap_add: Some(spec.cap_add.clone()),
                security_opt: Some(spec.security_opt.clone()),
                privileged: Some(false),
                ..Default::default()
            }),
            networking_config: first_network.clone().map(|network| NetworkingConfig {
                endpoints_config: Some(HashMap::from([(network, endpoint.clone())])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| Error::docker(format!("create container {}", spec.name), e))?;
        // Before API 1.44 a container joins one network at creation; connect the rest.
        for network in spec.networks.iter().skip(1) {
            let request = NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: Some(endpoint.clone()),
            };
            self.docker
                .connect_network(network, request)
                .await
                .map_err(|e| {
                    Error::docker(format!("connect {} to network {network}", spec.name), e)
                })?;
        }
        Ok(created.id)
    }

    /// Starts a created or stopped container.
    pub async fn start_container(&self, id: &str, name: &str) -> Result<()> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(|e| Error::docker(format!("start container {name}"), e))
    }

    /// Stops a container, waiting up to `timeout` (the container's own StopTimeout when
    /// `None`) before the engine kills it.
    pub async fn stop_container(
        &self,
        id: &str,
        name: &str,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let mut options = StopContainerOptionsBuilder::default();
        if let Some(timeout) = timeout {
            options = options.t(i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX));
        }
        match self.docker.stop_container(id, Some(options.build())).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304 | 404,
                ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("stop container {name}"), e)),
        }
    }

    /// Removes a (stopped) container, and its anonymous volumes when `volumes` is set.
    pub async fn remove_container(&self, id: &str, name: &str, volumes: bool) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(volumes)
            .build();
        match self.docker.remove_container(id, Some(options)).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("remove container {name}"), e)),
        }
    }

    /// The container's state, health and published ports.
    pub async fn container_health(&self, id: &str) -> Result<ContainerHealth> {
        let inspect = self
            .docker
            .inspect_container(id, None)
            .await
            .map_err(|e| Error::docker(format!("inspect container {id}"), e))?;
        let state = inspect.state.unwrap_or_default();
        let health = state.health.as_ref();
        let health_status = health
            .and_then(|h| h.status.map(|s| s.to_string()))
            .filter(|s| !s.is_empty() && s != "none");
        let last_output = health
            .and_then(|h| h.log.as_ref())
            .and_then(|log| log.last())
            .and_then(|result| result.output.clone());
        let mut ports: Vec<String> = inspect
            .network_settings
            .and_then(|n| n.ports)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|(container_port, bindings)| {
                bindings.unwrap_or_default().into_iter().map(move |b| {
                    format!(
                        "{}:{}->{container_port}",
                        b.host_ip.unwrap_or_default(),
                        b.host_port.unwrap_or_default()
                    )
                })
            })
            .collect();
        ports.sort();
        Ok(ContainerHealth {
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            state: container_state(&state.status.map(|s| s.to_string()).unwrap_or_default()),
            health: health_status,
            last_output,
            exit_code: state.exit_code.unwrap_or_default(),
            restart_count: inspect.restart_count.unwrap_or_default(),
            ports,
        })
    }

    /// Log lines of a container, from the last `tail` lines (all when `None`), following
    /// new output when `follow` is set.
    pub fn log_lines(
        &self,
        id: &str,
        tail: Option<usize>,
        follow: bool,
    ) -> impl Stream<Item = Result<String>> + '_ {
        let tail = tail.map_or_else(|| "all".to_string(), |n| n.to_string());
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(follow)
            .tail(&tail)
            .build();
        let name = id.to_string();
        self.docker
            .logs(id, Some(options))
            .map_err(move |e| Error::docker(format!("read the logs of {name}"), e))
            .map_ok(|chunk: LogOutput| {
                let text = String::from_utf8_lossy(chunk.as_ref()).into_owned();
                futures_util::stream::iter(
                    text.lines()
                        .map(|line| Ok(line.to_string()))
                        .collect::<Vec<Result<String>>>(),
                )
            })
            .try_flatten()
    }

    /// The last `count` log lines of a container (empty when it has none or is gone).
    pub async fn log_tail(&self, id: &str, count: usize) -> Vec<String> {
        self.log_lines(id, Some(count), false)
            .filter_map(|line| async move { line.ok() })
            .collect()
            .await
    }

    /// Runs a one-off container to completion and removes it, returning its exit code
    /// and its whole output; `on_line` sees each output line as it arrives.
    pub async fn run_oneoff(
        &self,
        job: &OneOff,
        on_line: &(dyn Fn(&str) + Sync),
    ) -> Result<(i64, Vec<String>)> {
        let tmpfs_mounts = job
            .tmpfs
            .iter()
            .map(|target| Mount {
                typ: Some(MountType::TMPFS),
                target: Some(target.clone()),
                tmpfs_options: Some(MountTmpfsOptions {
                    mode: Some(0o1777),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        let body = ContainerCreateBody {
            image: Some(job.image.clone()),
            cmd: Some(job.command.clone()),
            env: Some(job.env.clone()),
            user: job.user.clone(),
            working_dir: job.working_dir.clone(),
            labels: Some(job.labels.clone()),
            host_config: Some(HostConfig {
                binds: Some(job.binds.clone()),
                mounts: Some(tmpfs_mounts),
                network_mode: Some("none".to_string()),
                security_opt: Some(vec!["no-new-privileges:true".to_string()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        // A container left over from an interrupted run would block the name.
        self.remove_container(&job.name, &job.name, true).await?;
        let options = CreateContainerOptionsBuilder::default()
            .name(&job.name)
            .build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| Error::docker(format!("create container {}", job.name), e))?;
        let result = self
            .run_to_completion(&created.id, &job.name, on_line)
            .await;
        self.remove_container(&created.id, &job.name, true).await?;
        result
    }

    async fn run_to_completion(
        &self,
        id: &str,
        name: &str,
        on_line: &(dyn Fn(&str) + Sync),
    ) -> Result<(i64, Vec<String>)> {
        self.start_container(id, name).await?;
        let wait = async {
            match self.docker.wait_container(id, None).next().await {
                Some(Ok(response)) => Ok(response.status_code),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(code)
                }
                Some(Err(e)) => Err(Error::docker(format!("wait for container {name}"), e)),
                None => Ok(0),
            }
        };
        // Following the log ends when the container exits.
        let follow = self
            .log_lines(id, None, true)
            .try_fold(Vec::new(), |mut lines, line| {
                on_line(&line);
                lines.push(line);
                async move { Ok(lines) }
            });
        let (code, output) = tokio::join!(wait, follow);
        Ok((code?, output?))
    }
}

fn health_config(spec: &HealthSpec) -> HealthConfig {
    let nonzero = |value: i64| (value != 0).then_some(value);
    HealthConfig {
        test: spec.test.clone(),
        interval: nonzero(spec.interval),
        timeout: nonzero(spec.timeout),
        retries: nonzero(spec.retries),
        start_period: nonzero(spec.start_period),
        start_interval: nonzero(spec.start_interval),
    }
}
