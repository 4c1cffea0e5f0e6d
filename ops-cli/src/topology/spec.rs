//! The desired container of each service, with compose's labels and a config hash that
//! changes exactly when the container would have to be recreated.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{Mount, Port, Project, Restart, Service};

/// Label naming the project of a container, network or volume.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
/// Label naming the service of a container.
pub const SERVICE_LABEL: &str = "com.docker.compose.service";
/// Label holding [`ContainerSpec`]'s config hash.
pub const CONFIG_HASH_LABEL: &str = "com.docker.compose.config-hash";
/// Label marking one-off containers (`True`) versus service containers (`False`).
pub const ONEOFF_LABEL: &str = "com.docker.compose.oneoff";
/// Label numbering replicas; chatctl always runs replica 1.
pub const CONTAINER_NUMBER_LABEL: &str = "com.docker.compose.container-number";
/// Label naming the key of a network.
pub const NETWORK_LABEL: &str = "com.docker.compose.network";
/// Label naming the key of a volume.
pub const VOLUME_LABEL: &str = "com.docker.compose.volume";

/// Everything chatctl sets on a service's container; hashed into the config-hash label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerSpec {
    /// `<project>-<service>-1`.
    pub name: String,
    /// The service key.
    pub service: String,
    /// The image tag.
    pub image: String,
    /// `KEY=value`, sorted.
    pub env: Vec<String>,
    /// Volumes, binds and secrets.
    pub mounts: Vec<MountSpec>,
    /// Published ports.
    pub ports: Vec<Port>,
    /// Docker networks to join, each with the service name as alias.
    pub networks: Vec<String>,
    /// DNS aliases on every network.
    pub aliases: Vec<String>,
    /// Restart policy.
    pub restart: Restart,
    /// Seconds a stop waits before SIGKILL (`stop_grace_period`).
    pub stop_timeout: Option<u64>,
    /// Health check override, in Docker's form.
    pub healthcheck: Option<HealthSpec>,
    /// Capabilities dropped.
    pub cap_drop: Vec<String>,
    /// Capabilities added back.
    pub cap_add: Vec<String>,
    /// Security options (`no-new-privileges:true`).
    pub security_opt: Vec<String>,
    /// Labels, including [`CONFIG_HASH_LABEL`].
    pub labels: BTreeMap<String, String>,
}

/// One mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountSpec {
    /// `volume` or `bind`.
    pub kind: MountKind,
    /// Docker volume name or absolute host path.
    pub source: String,
    /// Path in the container.
    pub target: String,
    /// Read-only.
    pub read_only: bool,
}

/// The kind of a [`MountSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A named volume.
    Volume,
    /// A host path.
    Bind,
}

/// A health check in Docker's units (nanoseconds; 0 inherits the image's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthSpec {
    /// `["CMD", …]`, `["CMD-SHELL", …]`, `["NONE"]`, or `None` to keep the image's test.
    pub test: Option<Vec<String>>,
    /// Interval in nanoseconds.
    pub interval: i64,
    /// Timeout in nanoseconds.
    pub timeout: i64,
    /// Start period in nanoseconds.
    pub start_period: i64,
    /// Start interval in nanoseconds.
    pub start_interval: i64,
    /// Retries (0 inherits).
    pub retries: i64,
}

/// Labels every project resource carries.
pub fn project_labels(project: &Project) -> BTreeMap<String, String> {
    BTreeMap::from([
        (PROJECT_LABEL.to_string(), project.name.clone()),
        (
            "com.docker.compose.project.working_dir".to_string(),
            project.dir.display().to_string(),
        ),
        (
            "com.docker.compose.project.config_files".to_string(),
            project.compose_file.display().to_string(),
        ),
    ])
}

/// The container `service` should have, given the id of the image it will run.
pub fn container_spec(project: &Project, service: &Service, image_id: &str) -> ContainerSpec {
    let mut labels = project_labels(project);
    labels.insert(SERVICE_LABEL.to_string(), service.name.clone());
    labels.insert(ONEOFF_LABEL.to_string(), "False".to_string());
    labels.insert(CONTAINER_NUMBER_LABEL.to_string(), "1".to_string());

    let mut mounts: Vec<MountSpec> = service
        .volumes
        .iter()
        .map(|mount| match mount {
            Mount::Volume {
                volume,
                target,
                read_only,
            } => MountSpec {
                kind: MountKind::Volume,
                source: project
                    .volume(volume)
                    .map_or_else(|| volume.clone(), |v| v.name.clone()),
                target: target.clone(),
                read_only: *read_only,
            },
            Mount::Bind {
                source,
                target,
                read_only,
            } => MountSpec {
                kind: MountKind::Bind,
                source: source.display().to_string(),
                target: target.clone(),
                read_only: *read_only,
            },
        })
        .collect();
    for key in &service.secrets {
        if let Some(secret) = project.secret(key) {
            mounts.push(MountSpec {
                kind: MountKind::Bind,
                source: secret.file.display().to_string(),
                target: format!("/run/secrets/{key}"),
                read_only: true,
            });
        }
    }

    let nanos = |duration: Option<Duration>| {
        duration.map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    };
    let healthcheck = service.healthcheck.as_ref().map(|check| HealthSpec {
        test: if check.disable {
            Some(vec!["NONE".to_string()])
        } else {
            check.test.clone()
        },
        interval: nanos(check.interval),
        timeout: nanos(check.timeout),
        start_period: nanos(check.start_period),
        start_interval: nanos(check.start_interval),
        retries: check.retries.map_or(0, i64::from),
    });

    let mut spec = ContainerSpec {
        name: project.container_name(&service.name),
        service: service.name.clone(),
        image: service.image.clone(),
        env: service
            .environment
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect(),
        mounts,
        ports: service.ports.clone(),
        networks: service
            .networks
            .iter()
            .map(|key| {
                project
                    .network(key)
                    .map_or_else(|| key.clone(), |n| n.name.clone())
            })
            .collect(),
        aliases: vec![service.name.clone()],
        restart: service.restart,
        stop_timeout: service.stop_grace_period.map(|d| d.as_secs()),
        healthcheck,
        // Hardened by default: no service in the livechat topology needs a capability
        // (postgres, nginx and chat run as unprivileged users on high ports).
        cap_drop: service
            .cap_drop
            .clone()
            .unwrap_or_else(|| vec!["ALL".to_string()]),
        cap_add: service.cap_add.clone(),
        security_opt: vec!["no-new-privileges:true".to_string()],
        labels,
    };
    let hash = config_hash(&spec, image_id);
    spec.labels.insert(CONFIG_HASH_LABEL.to_string(), hash);
    spec
}

/// sha256 over the spec (without its own hash label) and the image id.
pub fn config_hash(spec: &ContainerSpec, image_id: &str) -> String {
    let mut unhashed = spec.clone();
    unhashed.labels.remove(CONFIG_HASH_LABEL);
    // Serializing a struct of strings, vectors and BTreeMaps cannot fail, and its field
    // order is fixed, so equal specs always give equal bytes.
    let json = serde_json::to_vec(&unhashed).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(&json);
    hasher.update(b"\0");
    hasher.update(image_id.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
