//! The resolved project: what compose.yaml means once parsed, interpolated and checked.
//!
//! Every path is absolute, every reference resolves, and services are in start order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// A compose project ready to be planned: services in dependency (start) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The project name: prefix of every container, network and volume.
    pub name: String,
    /// The directory holding the compose file; relative paths resolve against it.
    pub dir: PathBuf,
    /// The compose file itself (absolute).
    pub compose_file: PathBuf,
    /// Services, ordered so that each comes after everything it depends on.
    pub services: Vec<Service>,
    /// Networks used by at least one service (the implicit `default` included).
    pub networks: Vec<Network>,
    /// Top-level named volumes.
    pub volumes: Vec<Volume>,
    /// Top-level file secrets.
    pub secrets: Vec<Secret>,
}

impl Project {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name == name)
    }

    /// The container name compose would give the (single) replica of `service`.
    pub fn container_name(&self, service: &str) -> String {
        format!("{}-{service}-1", self.name)
    }

    /// The top-level volume with key `key`.
    pub fn volume(&self, key: &str) -> Option<&Volume> {
        self.volumes.iter().find(|volume| volume.key == key)
    }

    /// The top-level network with key `key`.
    pub fn network(&self, key: &str) -> Option<&Network> {
        self.networks.iter().find(|network| network.key == key)
    }

    /// The top-level secret with key `key`.
    pub fn secret(&self, key: &str) -> Option<&Secret> {
        self.secrets.iter().find(|secret| secret.key == key)
    }
}

/// One service of compose.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The key under `services:`.
    pub name: String,
    /// The image tag to run (and to build, when `build` is set).
    pub image: String,
    /// How to build the image, when the service has a `build:` section.
    pub build: Option<Build>,
    /// Environment variables, after interpolation.
    pub environment: BTreeMap<String, String>,
    /// Keys of the top-level secrets this service mounts at `/run/secrets/<key>`.
    pub secrets: Vec<String>,
    /// Named-volume and bind mounts.
    pub volumes: Vec<Mount>,
    /// Published ports.
    pub ports: Vec<Port>,
    /// Services that must be started (or healthy) first.
    pub depends_on: Vec<Dependency>,
    /// How long a stop waits before killing; Docker's default (10 s) when unset.
    pub stop_grace_period: Option<Duration>,
    /// The restart policy.
    pub restart: Restart,
    /// An override of the image's health check.
    pub healthcheck: Option<Healthcheck>,
    /// Keys of the networks the service joins.
    pub networks: Vec<String>,
    /// Capabilities to add back after chatctl's default `cap_drop: [ALL]`.
    pub cap_add: Vec<String>,
    /// Capabilities to drop; `None` means chatctl's default, `ALL`.
    pub cap_drop: Option<Vec<String>>,
}

/// A `build:` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The build context directory (absolute).
    pub context: PathBuf,
    /// The Dockerfile, relative to the context (`Dockerfile` by default).
    pub dockerfile: String,
    /// `x-chatctl-cargo-binary`: a workspace package whose release binary is compiled in
    /// the builder image and added to the context as `./<package>`.
    pub cargo_binary: Option<String>,
}

/// A published port (`[ip:]host:container[/proto]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    /// Host address to bind; all addresses when unset.
    pub host_ip: Option<String>,
    /// Host port; Docker picks one when unset.
    pub host_port: Option<u16>,
    /// Port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// A volume entry of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Mount {
    /// A top-level named volume (`db-data:/var/lib/postgresql/data`).
    Volume {
        /// The key under top-level `volumes:`.
        volume: String,
        /// Mount point in the container.
        target: String,
        /// Mounted read-only.
        read_only: bool,
    },
    /// A host path (`./conf:/etc/conf:ro`), absolute after resolution.
    Bind {
        /// Host path.
        source: PathBuf,
        /// Mount point in the container.
        target: String,
        /// Mounted read-only.
        read_only: bool,
    },
}

/// An entry of `depends_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The service depended upon.
    pub service: String,
    /// What "ready" means for it.
    pub condition: Condition,
}

/// `depends_on.<service>.condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `service_started`: running is enough.
    Started,
    /// `service_healthy`: its health check must pass.
    Healthy,
}

/// The `restart:` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Restart {
    /// `no` (the default).
    No,
    /// `always`.
    Always,
    /// `unless-stopped`.
    UnlessStopped,
    /// `on-failure[:max]`.
    OnFailure(Option<u32>),
}

/// A compose `healthcheck:` override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    /// Docker's form: `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; `None` keeps the image's.
    pub test: Option<Vec<String>>,
    /// Time between checks.
    pub interval: Option<Duration>,
    /// Time a check may take.
    pub timeout: Option<Duration>,
    /// Grace period during which failures do not count.
    pub start_period: Option<Duration>,
    /// Time between checks during the start period.
    pub start_interval: Option<Duration>,
    /// Consecutive failures that make the container unhealthy.
    pub retries: Option<u32>,
    /// `disable: true` turns the image's health check off.
    pub disable: bool,
}

/// A network of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The key (`default` for the implicit one).
    pub key: String,
    /// The Docker name (`<project>_<key>` unless `name:` or `external`).
    pub name: String,
    /// Managed outside the project: never created or removed.
    pub external: bool,
}

/// A top-level named volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The key under `volumes:`.
    pub key: String,
    /// The Docker name (`<project>_<key>` unless `name:` or `external`).
    pub name: String,
    /// Managed outside the project: never created or removed.
    pub external: bool,
}

/// A top-level file secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The key under `secrets:`; it is mounted at `/run/secrets/<key>`.
    pub key: String,
    /// The host file (absolute); chatctl generates it when missing.
    pub file: PathBuf,
}
