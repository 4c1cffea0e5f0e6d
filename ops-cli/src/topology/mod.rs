//! The pure topology: compose.yaml plus flags become a [`Project`], the project becomes
//! container specs ([`spec`]), and specs are diffed against what Docker reports
//! ([`plan`]). Nothing in this module talks to Docker; it is tested by value.

mod compose;
pub mod interpolate;
mod model;
pub mod plan;
pub mod spec;
pub mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use model::*;

use crate::error::{Error, Result};
use compose::{ComposeFile, Scalar, ServiceDef, UNSUPPORTED_KEY};

/// Where to find the compose file and how to name the project.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f`: the compose file; found upwards from `working_dir` when unset.
    pub file: Option<PathBuf>,
    /// `-p` / `CHATCTL_PROJECT`: overrides `name:`.
    pub project_name: Option<String>,
    /// The directory relative paths on the command line start from.
    pub working_dir: PathBuf,
    /// Variables for interpolation; they win over the project's `.env` file.
    pub variables: BTreeMap<String, String>,
}

impl LoadOptions {
    /// Options for the current directory and process environment.
    pub fn from_process(file: Option<PathBuf>, project_name: Option<String>) -> LoadOptions {
        LoadOptions {
            file,
            project_name,
            working_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            variables: std::env::vars().collect(),
        }
    }

    /// Adds (or overrides) one interpolation variable, e.g. `LIVECHAT_PORT` for a test stack.
    pub fn with_variable(mut self, name: &str, value: &str) -> LoadOptions {
        self.variables.insert(name.to_string(), value.to_string());
        self
    }
}

/// Finds, reads and resolves the compose file.
pub fn load(options: &LoadOptions) -> Result<Project> {
    let file = match &options.file {
        Some(file) => options.working_dir.join(file),
        None => find_compose_file(&options.working_dir)?,
    };
    let file = std::path::absolute(&file).unwrap_or(file);
    let text = std::fs::read_to_string(&file).map_err(|source| Error::ComposeUnreadable {
        path: file.clone(),
        source,
    })?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let dotenv_path = dir.join(".env");
    let mut variables = match std::fs::read_to_string(&dotenv_path) {
        Ok(text) => parse_dotenv(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(source) => {
            return Err(Error::ComposeUnreadable {
                path: dotenv_path,
                source,
            })
        }
    };
    variables.extend(options.variables.clone());
    let label = file
        .strip_prefix(&options.working_dir)
        .unwrap_or(&file)
        .display()
        .to_string();
    parse(
        &text,
        &label,
        &file,
        &variables,
        options.project_name.as_deref(),
    )
}

/// Looks for `compose.yaml` (or `compose.yml`) in `start` and its ancestors.
pub fn find_compose_file(start: &Path) -> Result<PathBuf> {
    start
        .ancestors()
        .flat_map(|dir| [dir.join("compose.yaml"), dir.join("compose.yml")])
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| Error::ComposeNotFound {
            start: start.to_path_buf(),
        })
}

/// Parses a `.env` file: `KEY=value` lines, `#` comments, optional `export` and quotes.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let value = match value.chars().next() {
                Some(quote @ ('"' | '\'')) if value.len() > 1 && value.ends_with(quote) => {
                    value[1..value.len() - 1].to_string()
                }
                _ => value
                    .split(" #")
                    .next()
                    .unwrap_or_default()
                    .trim_end()
                    .to_string(),
            };
            Some((key.trim().to_string(), value))
        })
        .collect()
}

/// Whether `name` is a valid compose project name (`[a-z0-9][a-z0-9_-]*`).
pub fn is_valid_project_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether `name` is a valid service, volume, network or secret key.
pub fn is_valid_resource_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Parses and resolves compose text. `label` names the file in errors; `file` is its
/// absolute path (its directory is the project directory).
pub fn parse(
    text: &str,
    label: &str,
    file: &Path,
    variables: &BTreeMap<String, String>,
    project_name: Option<&str>,
) -> Result<Project> {
    let raw =
        compose::parse_document(text, variables).map_err(|error| yaml_error(label, &error))?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = match project_name
        .map(str::to_string)
        .or_else(|| raw.name.clone().map(|n| n.0))
    {
        Some(name) => name,
        None => default_project_name(&dir),
    };
    if !is_valid_project_name(&name) {
        return Err(Error::InvalidProjectName { name });
    }
    let invalid = |message: String| Error::ComposeInvalid {
        file: label.to_string(),
        line: None,
        column: None,
        message,
    };
    Resolver {
        raw,
        name,
        dir,
        file: file.to_path_buf(),
        variables,
    }
    .resolve()
    .map_err(invalid)
}

fn default_project_name(dir: &Path) -> String {
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    base.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .collect()
}

/// Turns a yaml_serde error into `file:line:column: path: message`.
fn yaml_error(label: &str, error: &yaml_serde::Error) -> Error {
    let location = error.location();
    let mut message = error.to_string();
    if let Some(location) = &location {
        let suffix = format!(" at line {} column {}", location.line(), location.column());
        if let Some(position) = message.find(&suffix) {
            message.replace_range(position..position + suffix.len(), "");
        }
    }
    if let Some(position) = message.find(UNSUPPORTED_KEY) {
        let key = &message[position + UNSUPPORTED_KEY.len()..];
        let parent = message[..position].trim_end_matches(": ");
        let path = if parent.is_empty() || parent == "." {
            key.to_string()
        } else {
            format!("{parent}.{key}")
        };
        message = format!("{path} is not supported by chatctl");
    }
    Error::ComposeInvalid {
        file: label.to_string(),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        message,
    }
}

/// Resolves references and paths of a parsed document; errors are messages with a path.
struct Resolver<'a> {
    raw: ComposeFile,
    name: String,
    dir: PathBuf,
    file: PathBuf,
    variables: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    fn resolve(mut self) -> Result<Project, String> {
        let volumes = self.volumes()?;
        let secrets = self.secrets()?;
        let declared_networks = self.declared_networks()?;
        let service_defs = self.raw.services.take().map(|s| s.0).unwrap_or_default();
        if service_defs.is_empty() {
            return Err("no services are defined".to_string());
        }
        let service_names: BTreeSet<String> =
            service_defs.iter().map(|(name, _)| name.clone()).collect();
        let mut services = Vec::new();
        for (name, def) in service_defs {
            services.push(self.service(
                name,
                def,
                &service_names,
                &volumes,
                &secrets,
                &declared_networks,
            )?);
        }
        let networks = declared_networks
            .into_iter()
            .filter(|network| services.iter().any(|s| s.networks.contains(&network.key)))
            .collect();
        Ok(Project {
            name: self.name,
            dir: self.dir,
            compose_file: self.file,
            services: start_order(services)?,
            networks,
            volumes,
            secrets,
        })
    }

    fn project_resource(&self, key: &str, name: Option<Scalar<String>>, external: bool) -> String {
        match name {
            Some(Scalar(name)) => name,
            None if external => key.to_string(),
            None => format!("{}_{key}", self.name),
        }
    }

    fn volumes(&mut self) -> Result<Vec<Volume>, String> {
        let entries = self.raw.volumes.take().map(|v| v.0).unwrap_or_default();
        let mut volumes = Vec::new();
        for (key, def) in entries {
            if !is_valid_resource_name(&key) {
                return Err(format!("volumes.{key}: invalid volume name"));
            }
            let def = def.unwrap_or_default();
            let external = def.external.is_some_and(|e| e.0);
            volumes.push(Volume {
                name: self.project_resource(&key, def.name, external),
                key,
                external,
            });
        }
        Ok(volumes)
    }

    fn declared_networks(&mut self) -> Result<Vec<Network>, String> {
        let entries = self.raw.networks.take().map(|n| n.0).unwrap_or_default();
        let mut networks = Vec::new();
        for (key, def) in entries {
            if !is_valid_resource_name(&key) {
                return Err(format!("networks.{key}: invalid network name"));
            }
            let def = def.unwrap_or_default();
            let external = def.external.is_some_and(|e| e.0);
            networks.push(Network {
                name: self.project_resource(&key, def.name, external),
                key,
                external,
            });
        }
        if !networks.iter().any(|network| network.key == "default") {
            networks.push(Network {
                key: "default".to_string(),
                name: format!("{}_default", self.name),
                external: false,
            });
        }
        Ok(networks)
    }

    fn secrets(&mut self) -> Result<Vec<Secret>, String> {
        let entries = self.raw.secrets.take().map(|s| s.0).unwrap_or_default();
        let mut secrets = Vec::new();
        for (key, def) in entries {
            if !is_valid_resource_name(&key) {
                return Err(format!("secrets.{key}: invalid secret name"));
            }
            let Some(Scalar(file)) = def.file else {
                return Err(format!(
                    "secrets.{key}: `file` is required (chatctl supports file secrets only)"
                ));
            };
            secrets.push(Secret {
                file: self.host_path(&file),
                key,
            });
        }
        Ok(secrets)
    }

    fn host_path(&self, path: &str) -> PathBuf {
        let expanded = match path.strip_prefix("~/") {
            Some(rest) => match self.variables.get("HOME") {
                Some(home) => Path::new(home).join(rest),
                None => PathBuf::from(path),
            },
            None => PathBuf::from(path),
        };
        let joined = self.dir.join(expanded);
        normalize(&joined)
    }

    fn service(
        &self,
        name: String,
        def: ServiceDef,
        service_names: &BTreeSet<String>,
        volumes: &[Volume],
        secrets: &[Secret],
        networks: &[Network],
    ) -> Result<Service, String> {
        let at = |field: &str| format!("services.{name}.{field}");
        if !is_valid_resource_name(&name) {
            return Err(format!("services.{name}: invalid service name"));
        }
        let build = def.build.map(|build| {
            let build = build.0;
            Build {
                context: self.host_path(&build.context.map_or_else(|| ".".to_string(), |c| c.0)),
                dockerfile: build
                    .dockerfile
                    .map_or_else(|| "Dockerfile".to_string(), |d| d.0),
                cargo_binary: build.cargo_binary.map(|c| c.0),
            }
        });
        let image = match def.image {
            Some(Scalar(image)) if !image.is_empty() => image,
            Some(_) => return Err(format!("{}: must not be empty", at("image"))),
            None if build.is_some() => format!("{}-{name}:latest", self.name),
            None => return Err(format!("services.{name}: `image` or `build` is required")),
        };
        let mut environment = BTreeMap::new();
        for (key, value) in def.environment.map(|e| e.0).unwrap_or_default() {
            if let Some(value) = value.or_else(|| self.variables.get(&key).cloned()) {
                environment.insert(key, value);
            }
        }
        let mut secret_keys = Vec::new();
        for compose::Name(secret) in def.secrets.unwrap_or_default() {
            if !secrets.iter().any(|s| s.key == secret) {
                return Err(format!(
                    "{}: secret {secret:?} is not defined under top-level `secrets`",
                    at("secrets")
                ));
            }
            secret_keys.push(secret);
        }
        let mut mounts = Vec::new();
        for Scalar(entry) in def.volumes.unwrap_or_default() {
            if entry.is_bind() {
                mounts.push(Mount::Bind {
                    source: self.host_path(&entry.source),
                    target: entry.target,
                    read_only: entry.read_only,
                });
            } else if volumes.iter().any(|v| v.key == entry.source) {
                mounts.push(Mount::Volume {
                    volume: entry.source,
                    target: entry.target,
                    read_only: entry.read_only,
                });
            } else {
                return Err(format!(
                    "{}: volume {:?} is not defined under top-level `volumes`",
                    at("volumes"),
                    entry.source
                ));
            }
        }
        let mut depends_on = Vec::new();
        for (service, condition) in def.depends_on.map(|d| d.0).unwrap_or_default() {
            if service == name {
                return Err(format!(
                    "{}: a service cannot depend on itself",
                    at("depends_on")
                ));
            }
            if !service_names.contains(&service) {
                return Err(format!(
                    "{}: service {service:?} is not defined",
                    at("depends_on")
                ));
            }
            depends_on.push(Dependency { service, condition });
        }
        let network_keys: Vec<String> = match def.networks {
            Some(list) if !list.is_empty() => list.into_iter().map(|n| n.0).collect(),
            _ => vec!["default".to_string()],
        };
        for key in &network_keys {
            if !networks.iter().any(|n| &n.key == key) {
                return Err(format!(
                    "{}: network {key:?} is not defined under top-level `networks`",
                    at("networks")
                ));
            }
        }
        let healthcheck = def.healthcheck.map(|h| Healthcheck {
            test: h.test.map(|t| t.0),
            interval: h.interval.map(|d| d.0),
            timeout: h.timeout.map(|d| d.0),
            start_period: h.start_period.map(|d| d.0),
            start_interval: h.start_interval.map(|d| d.0),
            retries: h.retries.map(|r| r.0),
            disable: h.disable.is_some_and(|d| d.0),
        });
        Ok(Service {
            image,
            build,
            environment,
            secrets: secret_keys,
            volumes: mounts,
            ports: def
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.0)
                .collect(),
            depends_on,
            stop_grace_period: def.stop_grace_period.map(|d| d.0),
            restart: def.restart.map_or(Restart::No, |r| r.0),
            healthcheck,
            networks: network_keys,
            cap_add: def
                .cap_add
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.0)
                .collect(),
            cap_drop: def
                .cap_drop
                .map(|list| list.into_iter().map(|c| c.0).collect()),
            name,
        })
    }
}

/// Lexically removes `.` and `..` components (the path may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Orders services so each follows its dependencies, keeping file order among equals.
fn start_order(mut remaining: Vec<Service>) -> Result<Vec<Service>, String> {
    let mut ordered: Vec<Service> = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|service| {
            service.depends_on.iter().all(|dependency| {
                ordered
                    .iter()
                    .any(|placed| placed.name == dependency.service)
            })
        });
        match ready {
            Some(index) => ordered.push(remaining.remove(index)),
            None => return Err(describe_cycle(&remaining)),
        }
    }
    Ok(ordered)
}

/// Names one cycle among services that all wait on each other.
fn describe_cycle(stuck: &[Service]) -> String {
    let mut path: Vec<&str> = Vec::new();
    let mut current = &stuck[0];
    loop {
        if let Some(start) = path.iter().position(|name| *name == current.name) {
            let mut cycle = path[start..].to_vec();
            cycle.push(&current.name);
            return format!("services have a dependency cycle: {}", cycle.join(" -> "));
        }
        path.push(&current.name);
        // Every stuck service waits on at least one other stuck service.
        let next = current
            .depends_on
            .iter()
            .find_map(|dependency| stuck.iter().find(|s| s.name == dependency.service));
        match next {
            Some(next) => current = next,
            None => return format!("services have a dependency cycle: {}", path.join(" -> ")),
        }
    }
}

#[cfg(test)]
mod tests;
