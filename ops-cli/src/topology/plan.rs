//! Diffs desired container specs against what Docker reports, deciding per service
//! whether to create, recreate, start or leave its container.

use std::fmt;

use serde::Serialize;

use super::model::Project;
use super::spec::{ContainerSpec, CONFIG_HASH_LABEL};

/// What Docker reports for one container of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    /// Container id.
    pub id: String,
    /// Container name, without the leading `/`.
    pub name: String,
    /// The service label.
    pub service: String,
    /// The config-hash label, if any.
    pub config_hash: Option<String>,
    /// Lifecycle state.
    pub state: ContainerState,
    /// One-off containers (builders, throwaway databases) are never part of a plan.
    pub oneoff: bool,
    /// Host addresses it publishes (`ip`, `port`).
    pub published: Vec<(String, u16)>,
}

/// A container's lifecycle state, as far as planning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    /// Running (possibly still starting up).
    Running,
    /// Crash-looping under its restart policy.
    Restarting,
    /// Paused.
    Paused,
    /// Created, never started.
    Created,
    /// Stopped.
    Exited,
    /// Dead or being removed: only good for removal.
    Dead,
}

impl fmt::Display for ContainerState {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        let text = match self {
            ContainerState::Running => "running",
            ContainerState::Restarting => "restarting",
            ContainerState::Paused => "paused",
            ContainerState::Created => "created",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
        };
        formatter.write_str(text)
    }
}

/// The project's resources as Docker reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Containers carrying the project label.
    pub containers: Vec<ObservedContainer>,
    /// Names of existing networks among the project's.
    pub networks: Vec<String>,
    /// Names of existing volumes among the project's.
    pub volumes: Vec<String>,
}

/// What `up` does to one service's container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// No container exists: create and start one.
    Create,
    /// The container differs from the spec: stop it, remove it, create a new one.
    Recreate {
        /// The container to replace.
        id: String,
        /// Why ("configuration or image changed").
        reason: String,
    },
    /// The container matches but is stopped: start it.
    Start {
        /// The container to start.
        id: String,
    },
    /// The container matches and runs: leave it alone.
    Unchanged {
        /// The running container.
        id: String,
    },
}

impl Action {
    /// A short verb for progress lines and `--json`.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Recreate { .. } => "recreate",
            Action::Start { .. } => "start",
            Action::Unchanged { .. } => "unchanged",
        }
    }
}

/// The plan for one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    /// What to do.
    pub action: Action,
    /// The desired container.
    pub spec: ContainerSpec,
    /// Further containers of the same service (other replicas) to remove.
    pub remove_extra: Vec<String>,
}

/// Everything `up` will change, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Networks to create.
    pub create_networks: Vec<String>,
    /// Volumes to create.
    pub create_volumes: Vec<String>,
    /// One entry per service, in start order.
    pub services: Vec<ServicePlan>,
    /// Containers of services no longer in compose.yaml (reported, left alone).
    pub orphans: Vec<ObservedContainer>,
}

impl Plan {
    /// Whether applying the plan changes nothing.
    pub fn is_noop(&self) -> bool {
        self.create_networks.is_empty()
            && self.create_volumes.is_empty()
            && self
                .services
                .iter()
                .all(|s| matches!(s.action, Action::Unchanged { .. }) && s.remove_extra.is_empty())
    }

    /// Human-readable lines, one per change, for `--dry-run`.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(
            self.create_networks
                .iter()
                .map(|n| format!("create network {n}")),
        );
        lines.extend(
            self.create_volumes
                .iter()
                .map(|v| format!("create volume {v}")),
        );
        for service in &self.services {
            let name = &service.spec.name;
            lines.push(match &service.action {
                Action::Create => format!("create and start container {name}"),
                Action::Recreate { reason, .. } => format!("recreate container {name} ({reason})"),
                Action::Start { .. } => format!("start container {name}"),
                Action::Unchanged { .. } => format!("leave container {name} unchanged"),
            });
            lines.extend(
                service
                    .remove_extra
                    .iter()
                    .map(|id| format!("remove extra container {}", short_id(id))),
            );
        }
        lines.extend(self.orphans.iter().map(|o| {
            format!(
                "leave orphan container {} (service {} is not in the compose file)",
                o.name, o.service
            )
        }));
        lines
    }
}

/// The first 12 characters of a Docker id, as `docker ps` shows it.
pub fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// Decides what to do for each service. `specs` are in start order.
pub fn plan(project: &Project, specs: Vec<ContainerSpec>, observed: &Observed) -> Plan {
    let create_networks = project
        .networks
        .iter()
        .filter(|n| !n.external && !observed.networks.contains(&n.name))
        .map(|n| n.name.clone())
        .collect();
    let create_volumes = project
        .volumes
        .iter()
        .filter(|v| !v.external && !observed.volumes.contains(&v.name))
        .map(|v| v.name.clone())
        .collect();

    let services = specs
        .into_iter()
        .map(|spec| {
            let mut candidates: Vec<&ObservedContainer> = observed
                .containers
                .iter()
                .filter(|c| !c.oneoff && c.service == spec.service)
                .collect();
            // Prefer replica 1 (our name); any other replica is removed.
            candidates.sort_by_key(|c| c.name != spec.name);
            let mut candidates = candidates.into_iter();
            let current = candidates.next();
            let remove_extra = candidates.map(|c| c.id.clone()).collect();
            let action = match current {
                None => Action::Create,
                Some(container) => {
                    let same = container.config_hash.as_deref()
                        == spec.labels.get(CONFIG_HASH_LABEL).map(String::as_str);
                    match (same, container.state) {
                        (
                            true,
                            ContainerState::Running
                            | ContainerState::Restarting
                            | ContainerState::Paused,
                        ) => Action::Unchanged {
                            id: container.id.clone(),
                        },
                        (true, ContainerState::Created | ContainerState::Exited) => Action::Start {
                            id: container.id.clone(),
                        },
                        (true, ContainerState::Dead) => Action::Recreate {
                            id: container.id.clone(),
                            reason: "container is dead".to_string(),
                        },
                        (false, _) => Action::Recreate {
                            id: container.id.clone(),
                            reason: "configuration or image changed".to_string(),
                        },
                    }
                }
            };
            ServicePlan {
                action,
                spec,
                remove_extra,
            }
        })
        .collect();

    let orphans = observed
        .containers
        .iter()
        .filter(|c| !c.oneoff && project.service(&c.service).is_none())
        .cloned()
        .collect();

    Plan {
        create_networks,
        create_volumes,
        services,
        orphans,
    }
}

/// Host addresses that containers about to be created will bind, minus those already
/// held by the project's own containers (a recreated container frees its port first).
/// Each entry is (service, host ip, port).
pub fn ports_to_check(plan: &Plan, observed: &Observed) -> Vec<(String, String, u16)> {
    let held: Vec<&(String, u16)> = observed
        .containers
        .iter()
        .flat_map(|c| &c.published)
        .collect();
    plan.services
        .iter()
        .filter(|s| matches!(s.action, Action::Create | Action::Recreate { .. }))
        .flat_map(|s| {
            s.spec
                .ports
                .iter()
                .filter(|p| p.protocol == "tcp")
                .filter_map(|p| {
                    let port = p.host_port?;
                    let ip = p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".to_string());
                    let taken_by_us = held.iter().any(|(held_ip, held_port)| {
                        *held_port == port
                            && (held_ip == &ip || held_ip == "0.0.0.0" || ip == "0.0.0.0")
                    });
                    (!taken_by_us).then(|| (s.spec.service.clone(), ip, port))
                })
        })
        .collect()
}
