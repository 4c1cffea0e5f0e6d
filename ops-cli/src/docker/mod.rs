//! The Docker side: applies what [`crate::topology`] decided, through bollard. This is
//! the only module that talks to the engine.

mod build;
mod containers;

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveVolumeOptions,
};
use bollard::Docker;

pub use build::{build_image, BuildRequest};
pub use containers::{ContainerHealth, OneOff};

use crate::error::{root_cause, Error, Result};
use crate::topology::plan::{ContainerState, Observed, ObservedContainer};
use crate::topology::spec::{
    project_labels, CONFIG_HASH_LABEL, NETWORK_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL,
    VOLUME_LABEL,
};
use crate::topology::Project;

/// A connection to the Docker engine; cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
}

impl Engine {
    /// Connects to `DOCKER_HOST` (default `unix:///var/run/docker.sock`), agrees on an API
    /// version with the engine and checks that it answers.
    pub async fn connect() -> Result<Engine> {
        let host = std::env::var("DOCKER_HOST")
            .unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string());
        let unreachable = |error: &dyn std::error::Error| Error::DockerUnreachable {
            host: host.clone(),
            reason: root_cause(error),
        };
        let docker = Docker::connect_with_defaults().map_err(|e| unreachable(&e))?;
        // Builds and stops can take minutes before the engine sends response headers.
        let docker = docker.with_timeout(Duration::from_secs(900));
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(&e))?;
        docker.ping().await.map_err(|e| unreachable(&e))?;
        Ok(Engine { docker })
    }

    /// The underlying bollard client.
    pub fn api(&self) -> &Docker {
        &self.docker
    }

    /// All containers carrying the project label, running or not.
    pub async fn project_containers(&self, project: &str) -> Result<Vec<ObservedContainer>> {
        let filters = HashMap::from([("label", vec![format!("{PROJECT_LABEL}={project}")])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let summaries = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| Error::docker(format!("list the containers of project {project}"), e))?;
        Ok(summaries
            .into_iter()
            .map(|summary| {
                let labels = summary.labels.unwrap_or_default();
                let name = summary
                    .names
                    .and_then(|names| names.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default();
                let state = container_state(
                    summary
                        .state
                        .map(|s| s.to_string())
                        .as_deref()
                        .unwrap_or(""),
                );
                let published = summary
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| {
                        Some((
                            p.ip.unwrap_or_else(|| "0.0.0.0".to_string()),
                            p.public_port?,
                        ))
                    })
                    .collect();
                ObservedContainer {
                    id: summary.id.unwrap_or_default(),
                    name,
                    service: labels.get(SERVICE_LABEL).cloned().unwrap_or_default(),
                    config_hash: labels.get(CONFIG_HASH_LABEL).cloned(),
                    state,
                    oneoff: labels.get(ONEOFF_LABEL).is_some_and(|v| v == "True"),
                    published,
                }
            })
            .collect())
    }

    /// The project's containers, networks and volumes as they exist now.
    pub async fn observe(&self, project: &Project) -> Result<Observed> {
        let containers = self.project_containers(&project.name).await?;
        let networks = self.existing_networks(&project.name).await?;
        let volumes = self.existing_volumes(&project.name).await?;
        let wanted_networks = project.networks.iter().map(|n| &n.name);
        let wanted_volumes = project.volumes.iter().map(|v| &v.name);
        let mut observed = Observed {
            containers,
            networks: Vec::new(),
            volumes: Vec::new(),
        };
        for name in wanted_networks {
            if networks.contains(name) || self.network_exists(name).await? {
                observed.networks.push(name.clone());
            }
        }
        for name in wanted_volumes {
            if volumes.contains(name) || self.volume_exists(name).await? {
                observed.volumes.push(name.clone());
            }
        }
        Ok(observed)
    }

    async fn network_exists(&self, name: &str) -> Result<bool> {
        match self.docker.inspect_network(name, None).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(Error::docker(format!("inspect network {name}"), e)),
        }
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(Error::docker(format!("inspect volume {name}"), e)),
        }
    }

    /// Names of networks labelled with the project.
    pub async fn existing_networks(&self, project: &str) -> Result<Vec<String>> {
        let filters = HashMap::from([("label", vec![format!("{PROJECT_LABEL}={project}")])]);
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        let networks = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(|e| Error::docker("list networks", e))?;
        Ok(networks.into_iter().filter_map(|n| n.name).collect())
    }

    /// Names of volumes labelled with the project.
    pub async fn existing_volumes(&self, project: &str) -> Result<Vec<String>> {
        let filters = HashMap::from([("label", vec![format!("{PROJECT_LABEL}={project}")])]);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let response = self
            .docker
            .list_volumes(Some(options))
            .await
            .map_err(|e| Error::docker("list volumes", e))?;
        Ok(response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    /// Creates a bridge network labelled like compose's.
    pub async fn create_network(&self, project: &Project, name: &str) -> Result<()> {
        let key = project
            .networks
            .iter()
            .find(|n| n.name == name)
            .map_or("default", |n| n.key.as_str());
        let mut labels: HashMap<String, String> = project_labels(project).into_iter().collect();
        labels.insert(NETWORK_LABEL.to_string(), key.to_string());
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(labels),
            ..Default::default()
        };
        self.docker
            .create_network(request)
            .await
            .map(|_| ())
            .map_err(|e| Error::docker(format!("create network {name}"), e))
    }

    /// Creates a named volume labelled like compose's.
    pub async fn create_volume(&self, project: &Project, name: &str) -> Result<()> {
        let key = project
            .volumes
            .iter()
            .find(|v| v.name == name)
            .map_or(name, |v| v.key.as_str());
        let mut labels: HashMap<String, String> = project_labels(project).into_iter().collect();
        labels.insert(VOLUME_LABEL.to_string(), key.to_string());
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(labels),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| Error::docker(format!("create volume {name}"), e))
    }

    /// Removes a network; a missing one is fine.
    pub async fn remove_network(&self, name: &str) -> Result<()> {
        match self.docker.remove_network(name).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("remove network {name}"), e)),
        }
    }

    /// Removes a volume; a missing one is fine.
    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
        {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("remove volume {name}"), e)),
        }
    }

    /// Pulls `image` from its registry; on failure returns the registry's or engine's reason.
    pub async fn pull_image(&self, image: &str) -> std::result::Result<(), String> {
        use futures_util::StreamExt;
        // `name:tag`, where a `:` inside the registry host (`host:5000/name`) is not a tag.
        let (name, tag) = match image.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, tag),
            _ => (image, "latest"),
        };
        let options = bollard::query_parameters::CreateImageOptionsBuilder::new()
            .from_image(name)
            .tag(tag)
            .build();
        let mut progress = self.docker.create_image(Some(options), None, None);
        while let Some(item) = progress.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(detail);
                    }
                }
                Err(error) => return Err(error.to_string()),
            }
        }
        Ok(())
    }

    /// The id of a local image, or `None` when it does not exist.
    pub async fn image_id(&self, image: &str) -> Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(inspect) => Ok(inspect.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(Error::docker(format!("inspect image {image}"), e)),
        }
    }
}

fn container_state(state: &str) -> ContainerState {
    match state {
        "running" => ContainerState::Running,
        "restarting" => ContainerState::Restarting,
        "paused" => ContainerState::Paused,
        "created" => ContainerState::Created,
        "exited" => ContainerState::Exited,
        _ => ContainerState::Dead,
    }
}
