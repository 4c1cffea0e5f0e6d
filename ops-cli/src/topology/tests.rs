//! Data-driven tests of the topology: parsing, interpolation, validation, ordering,
//! config hashes and plans.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::plan::{plan, ports_to_check, Action, ContainerState, Observed, ObservedContainer};
use super::spec::{container_spec, CONFIG_HASH_LABEL};
use super::*;

const LIVECHAT: &str = include_str!("../../../compose.yaml");

fn parse_with(text: &str, variables: &[(&str, &str)]) -> Result<Project> {
    let variables: BTreeMap<String, String> = variables
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parse(
        text,
        "compose.yaml",
        Path::new("/srv/app/compose.yaml"),
        &variables,
        None,
    )
}

/// Parses `text` and compares the error's rendering without the hint.
fn check_error(text: &str, expected: &str) {
    match parse_with(text, &[]) {
        Ok(project) => panic!("expected {expected:?}, parsed {project:#?}"),
        Err(error) => assert_eq!(error.to_string(), expected, "for:\n{text}"),
    }
}

#[test]
fn parses_the_livechat_topology() {
    let project = parse_with(LIVECHAT, &[("HOME", "/root")]).unwrap();
    assert_eq!(project.name, "livechat");
    assert_eq!(project.dir, PathBuf::from("/srv/app"));
    let order: Vec<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["db", "chat", "proxy"]);

    let db = project.service("db").unwrap();
    assert_eq!(db.image, "livechat-db:latest");
    assert_eq!(
        db.build.as_ref().unwrap().context,
        PathBuf::from("/srv/app/db")
    );
    assert_eq!(
        db.environment["POSTGRES_PASSWORD_FILE"],
        "/run/secrets/db_password"
    );
    assert_eq!(db.stop_grace_period, Some(Duration::from_secs(20)));
    assert_eq!(db.restart, Restart::UnlessStopped);
    assert_eq!(
        db.volumes,
        [Mount::Volume {
            volume: "db-data".into(),
            target: "/var/lib/postgresql/data".into(),
            read_only: false
        }]
    );

    let chat = project.service("chat").unwrap();
    assert_eq!(
        chat.build.as_ref().unwrap().cargo_binary.as_deref(),
        Some("chat")
    );
    assert_eq!(chat.build.as_ref().unwrap().dockerfile, "Dockerfile");
    assert_eq!(
        chat.depends_on,
        [Dependency {
            service: "db".into(),
            condition: Condition::Healthy
        }]
    );

    let proxy = project.service("proxy").unwrap();
    assert_eq!(
        proxy.ports,
        [Port {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(8080),
            container_port: 8080,
            protocol: "tcp".into()
        }]
    );
    assert_eq!(project.volumes[0].name, "livechat_db-data");
    assert_eq!(project.networks.len(), 1);
    assert_eq!(project.networks[0].name, "livechat_default");
    assert_eq!(
        project.secrets,
        [Secret {
            key: "db_password".into(),
            file: PathBuf::from("/srv/app/.livechat/secrets/db_password")
        }]
    );
}

#[test]
fn interpolates_from_variables_and_project_name_override() {
    let project = parse_with(LIVECHAT, &[("LIVECHAT_PORT", "18080")]).unwrap();
    assert_eq!(
        project.service("proxy").unwrap().ports[0].host_port,
        Some(18080)
    );

    let variables = BTreeMap::new();
    let renamed = parse(
        LIVECHAT,
        "compose.yaml",
        Path::new("/p/compose.yaml"),
        &variables,
        Some("livechat-test-abc"),
    )
    .unwrap();
    assert_eq!(renamed.name, "livechat-test-abc");
    assert_eq!(renamed.volumes[0].name, "livechat-test-abc_db-data");
    assert_eq!(renamed.container_name("db"), "livechat-test-abc-db-1");
}

#[test]
fn rejects_invalid_documents_with_their_location() {
    let cases: &[(&str, &str)] = &[
        (
            "services:\n  proxy:\n    image: p\n    ports:\n      - \"abc\"\n",
            "compose.yaml:5:9: services.proxy.ports[0]: invalid port \"abc\": \"abc\" is not a port number between 1 and 65535",
        ),
        (
            "services:\n  chat:\n    image: c\n    deploy:\n      replicas: 2\n",
            "compose.yaml:4:5: services.chat.deploy is not supported by chatctl",
        ),
        ("configs: {}\nservices:\n  a:\n    image: a\n", "compose.yaml:1:1: configs is not supported by chatctl"),
        (
            "services:\n  a:\n    image: a\n    build:\n      context: .\n      args: {X: 1}\n",
            "compose.yaml:6:7: services.a.build.args is not supported by chatctl",
        ),
        (
            "services:\n  a:\n    image: \"${TAG:?set TAG in .env}\"\n",
            "compose.yaml:3:12: services.a.image: required variable TAG is missing a value: set TAG in .env",
        ),
        (
            "services:\n  a:\n    image: a\n    stop_grace_period: soon\n",
            "compose.yaml:4:24: services.a.stop_grace_period: invalid duration \"soon\" (expected e.g. 20s, 1m30s or 500ms)",
        ),
        (
            "services:\n  a:\n    image: a\n    ports: 8080\n",
            "compose.yaml:4:12: services.a.ports: invalid type: integer `8080`, expected a sequence",
        ),
        (
            "services:\n  a:\n    image: a\n    restart: sometimes\n",
            "compose.yaml:4:14: services.a.restart: invalid restart policy \"sometimes\" (expected no, always, unless-stopped or on-failure[:N])",
        ),
        (
            "services:\n  a:\n    image: a\n    secrets:\n      - source: s\n",
            "compose.yaml:5:9: services.a.secrets[0]: invalid type: map, expected a name (chatctl supports the short form only)",
        ),
        (
            "services:\n  a:\n    image: a\n   bad: indentation\n",
            "compose.yaml:4:4: did not find expected key, while parsing a block mapping at line 2 column 3",
        ),
        (
            "services:\n  a:\n    image: a\n    depends_on:\n      b:\n        condition: service_completed_successfully\n",
            "compose.yaml:6:20: services.a.depends_on.b.condition: condition service_completed_successfully is not supported by chatctl",
        ),
        (
            "services:\n  a:\n    image: a\n    depends_on: [b]\n",
            "compose.yaml: services.a.depends_on: service \"b\" is not defined",
        ),
        (
            "services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    depends_on: [c]\n  c:\n    image: c\n    depends_on: [a]\n",
            "compose.yaml: services have a dependency cycle: a -> b -> c -> a",
        ),
        (
            "services:\n  a:\n    image: a\n    secrets: [s]\n",
            "compose.yaml: services.a.secrets: secret \"s\" is not defined under top-level `secrets`",
        ),
        (
            "services:\n  a:\n    image: a\n    volumes: [\"data:/data\"]\n",
            "compose.yaml: services.a.volumes: volume \"data\" is not defined under top-level `volumes`",
        ),
        (
            "services:\n  a:\n    environment: {A: b}\n",
            "compose.yaml: services.a: `image` or `build` is required",
        ),
        ("services: {}\n", "compose.yaml: no services are defined"),
        (
            "name: LiveChat\nservices:\n  a:\n    image: a\n",
            "invalid project name \"LiveChat\": it must match [a-z0-9][a-z0-9_-]*",
        ),
    ];
    for (text, expected) in cases {
        check_error(text, expected);
    }
}

#[test]
fn accepts_extensions_and_both_environment_forms() {
    let text = "\
x-common: &common
  restart: always
name: demo
services:
  a:
    image: a:1
    x-note: anything goes here
    environment:
      - PLAIN=1
      - FROM_SHELL
      - ESCAPED=$$HOME
    build:
      context: ./a
      x-other-tool: {deep: [1, 2]}
  b:
    image: b
    environment:
      NUMBER: 5
      FLAG: true
      NULLED:
      FROM_SHELL:
    healthcheck:
      test: curl -f http://localhost/
      interval: 1s
      retries: 3
    volumes:
      - ./conf:/etc/conf:ro
      - ../shared:/shared
";
    let project = parse_with(text, &[("FROM_SHELL", "shell")]).unwrap();
    assert_eq!(project.name, "demo");
    let a = project.service("a").unwrap();
    let env: Vec<(&str, &str)> = a
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("ESCAPED", "$HOME"),
            ("FROM_SHELL", "shell"),
            ("PLAIN", "1")
        ]
    );
    let b = project.service("b").unwrap();
    let env: Vec<(&str, &str)> = b
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [("FLAG", "true"), ("FROM_SHELL", "shell"), ("NUMBER", "5")]
    );
    let check = b.healthcheck.as_ref().unwrap();
    assert_eq!(
        check.test.as_deref(),
        Some(
            &[
                "CMD-SHELL".to_string(),
                "curl -f http://localhost/".to_string()
            ][..]
        )
    );
    assert_eq!(check.interval, Some(Duration::from_secs(1)));
    assert_eq!(check.retries, Some(3));
    assert_eq!(
        b.volumes,
        [
            Mount::Bind {
                source: "/srv/app/conf".into(),
                target: "/etc/conf".into(),
                read_only: true
            },
            Mount::Bind {
                source: "/srv/shared".into(),
                target: "/shared".into(),
                read_only: false
            },
        ]
    );
}

#[test]
fn start_order_follows_dependencies_then_file_order() {
    let text = "services:\n  web:\n    image: w\n    depends_on: [api]\n  cache:\n    image: c\n  api:\n    image: a\n    depends_on:\n      cache:\n        condition: service_started\n";
    let project = parse_with(text, &[]).unwrap();
    let order: Vec<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["cache", "api", "web"]);
}

#[test]
fn dotenv() {
    let parsed = parse_dotenv("# comment\nexport A=1\nB = two words # trailing\nC=\"quoted # kept\"\nD='x'\n\nbroken line\n");
    let pairs: Vec<(&str, &str)> = parsed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("A", "1"),
            ("B", "two words"),
            ("C", "quoted # kept"),
            ("D", "x")
        ]
    );
}

#[test]
fn project_names() {
    for (name, valid) in [
        ("livechat", true),
        ("livechat-test-1a_b", true),
        ("0x", true),
        ("-x", false),
        ("A", false),
        ("", false),
        ("a.b", false),
    ] {
        assert_eq!(is_valid_project_name(name), valid, "{name:?}");
    }
    assert_eq!(default_project_name(Path::new("/srv/My App.v2")), "myappv2");
}

#[test]
fn config_hash_is_stable_and_sensitive() {
    let project = parse_with(LIVECHAT, &[]).unwrap();
    let chat = project.service("chat").unwrap();
    let first = container_spec(&project, chat, "sha256:aaa");
    let again = container_spec(&parse_with(LIVECHAT, &[]).unwrap(), chat, "sha256:aaa");
    assert_eq!(first, again);
    let hash = |spec: &spec::ContainerSpec| spec.labels[CONFIG_HASH_LABEL].clone();
    assert_eq!(hash(&first).len(), 64);

    let other_image = container_spec(&project, chat, "sha256:bbb");
    assert_ne!(hash(&first), hash(&other_image));

    let mut changed = chat.clone();
    changed
        .environment
        .insert("RUST_LOG".into(), "debug".into());
    assert_ne!(
        hash(&first),
        hash(&container_spec(&project, &changed, "sha256:aaa"))
    );

    let moved = parse_with(LIVECHAT, &[("LIVECHAT_PORT", "9000")]).unwrap();
    assert_eq!(
        hash(&first),
        hash(&container_spec(
            &moved,
            moved.service("chat").unwrap(),
            "sha256:aaa"
        ))
    );
    let proxy_hash = |p: &Project| {
        hash(&container_spec(
            p,
            p.service("proxy").unwrap(),
            "sha256:ccc",
        ))
    };
    assert_ne!(proxy_hash(&project), proxy_hash(&moved));
}

#[test]
fn container_spec_carries_labels_secrets_and_hardening() {
    let project = parse_with(LIVECHAT, &[]).unwrap();
    let spec = container_spec(&project, project.service("db").unwrap(), "sha256:aaa");
    assert_eq!(spec.name, "livechat-db-1");
    assert_eq!(spec.labels["com.docker.compose.project"], "livechat");
    assert_eq!(spec.labels["com.docker.compose.service"], "db");
    assert_eq!(spec.labels["com.docker.compose.oneoff"], "False");
    assert_eq!(spec.labels["com.docker.compose.container-number"], "1");
    assert_eq!(spec.stop_timeout, Some(20));
    assert_eq!(spec.networks, ["livechat_default"]);
    assert_eq!(spec.aliases, ["db"]);
    assert_eq!(spec.cap_drop, ["ALL"]);
    assert_eq!(spec.security_opt, ["no-new-privileges:true"]);
    let secret = spec
        .mounts
        .iter()
        .find(|m| m.target == "/run/secrets/db_password")
        .unwrap();
    assert!(secret.read_only);
    assert_eq!(secret.source, "/srv/app/.livechat/secrets/db_password");
    assert!(spec
        .mounts
        .iter()
        .any(|m| m.source == "livechat_db-data" && m.target == "/var/lib/postgresql/data"));
}

fn observed_container(
    project: &Project,
    service: &str,
    hash: &str,
    state: ContainerState,
) -> ObservedContainer {
    ObservedContainer {
        id: format!("id-{service}"),
        name: project.container_name(service),
        service: service.into(),
        config_hash: Some(hash.into()),
        state,
        oneoff: false,
        published: vec![],
    }
}

#[test]
fn plans() {
    let project = parse_with(LIVECHAT, &[]).unwrap();
    let specs: Vec<_> = project
        .services
        .iter()
        .map(|s| container_spec(&project, s, "sha256:img"))
        .collect();
    let hash_of = |service: &str| {
        specs.iter().find(|s| s.service == service).unwrap().labels[CONFIG_HASH_LABEL].clone()
    };

    let fresh = plan(&project, specs.clone(), &Observed::default());
    assert_eq!(fresh.create_networks, ["livechat_default"]);
    assert_eq!(fresh.create_volumes, ["livechat_db-data"]);
    assert!(fresh.services.iter().all(|s| s.action == Action::Create));
    assert_eq!(
        fresh.describe(),
        [
            "create network livechat_default",
            "create volume livechat_db-data",
            "create and start container livechat-db-1",
            "create and start container livechat-chat-1",
            "create and start container livechat-proxy-1",
        ]
    );

    type Case = (&'static str, Option<ContainerState>, bool, &'static str);
    let cases: &[Case] = &[
        (
            "same hash, running",
            Some(ContainerState::Running),
            true,
            "unchanged",
        ),
        (
            "same hash, exited",
            Some(ContainerState::Exited),
            true,
            "start",
        ),
        (
            "same hash, dead",
            Some(ContainerState::Dead),
            true,
            "recreate",
        ),
        (
            "changed, running",
            Some(ContainerState::Running),
            false,
            "recreate",
        ),
        ("missing", None, true, "create"),
    ];
    for (name, state, same, expected) in cases {
        let mut observed = Observed {
            networks: vec!["livechat_default".into()],
            volumes: vec!["livechat_db-data".into()],
            ..Observed::default()
        };
        if let Some(state) = state {
            let hash = if *same {
                hash_of("db")
            } else {
                "old".to_string()
            };
            observed
                .containers
                .push(observed_container(&project, "db", &hash, *state));
        }
        let result = plan(&project, specs.clone(), &observed);
        assert_eq!(result.services[0].action.verb(), *expected, "{name}");
        assert!(result.create_networks.is_empty() && result.create_volumes.is_empty());
    }

    let all_running = Observed {
        containers: ["db", "chat", "proxy"]
            .iter()
            .map(|s| observed_container(&project, s, &hash_of(s), ContainerState::Running))
            .chain([observed_container(
                &project,
                "old-worker",
                "x",
                ContainerState::Running,
            )])
            .collect(),
        networks: vec!["livechat_default".into()],
        volumes: vec!["livechat_db-data".into()],
    };
    let steady = plan(&project, specs.clone(), &all_running);
    assert!(steady.is_noop());
    assert_eq!(steady.orphans.len(), 1);
}

#[test]
fn ports_held_by_our_own_container_are_not_checked() {
    let project = parse_with(LIVECHAT, &[]).unwrap();
    let specs: Vec<_> = project
        .services
        .iter()
        .map(|s| container_spec(&project, s, "sha256:img"))
        .collect();
    let fresh = plan(&project, specs.clone(), &Observed::default());
    assert_eq!(
        ports_to_check(&fresh, &Observed::default()),
        [("proxy".to_string(), "127.0.0.1".to_string(), 8080)]
    );

    let mut old_proxy = observed_container(&project, "proxy", "old", ContainerState::Running);
    old_proxy.published = vec![("127.0.0.1".into(), 8080)];
    let observed = Observed {
        containers: vec![old_proxy],
        ..Observed::default()
    };
    let recreate = plan(&project, specs, &observed);
    assert!(matches!(
        recreate.services[2].action,
        Action::Recreate { .. }
    ));
    assert!(ports_to_check(&recreate, &observed).is_empty());
}
