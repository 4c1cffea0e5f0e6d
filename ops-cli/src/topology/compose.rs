//! The raw compose.yaml document, deserialized with positions: every scalar is
//! interpolated while it is read, so a bad value is reported with its line and path,
//! and every key chatctl does not understand is an error (except `x-` extensions).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::interpolate::interpolate;
use super::model::{Condition, Port, Restart};
use super::values::{FromScalar, VolumeEntry};

/// Marks an unsupported key in a yaml_serde error, so the loader can phrase it with the
/// full path (`services.chat.deploy is not supported by chatctl`).
pub(super) const UNSUPPORTED_KEY: &str = "\u{1}unsupported key ";

thread_local! {
    /// The variables for interpolation while a document is being deserialized.
    ///
    /// serde gives a `Deserialize` impl no context, and interpolation has to happen
    /// inside it for errors to carry the value's line. The guard in [`parse_document`]
    /// sets this for exactly one parse on the current thread and always clears it.
    static VARIABLES: RefCell<Option<BTreeMap<String, String>>> = const { RefCell::new(None) };
}

/// Deserializes `text`, interpolating scalars from `variables`.
pub(super) fn parse_document(
    text: &str,
    variables: &BTreeMap<String, String>,
) -> Result<ComposeFile, yaml_serde::Error> {
    struct ClearOnDrop;
    impl Drop for ClearOnDrop {
        fn drop(&mut self) {
            VARIABLES.with(|cell| cell.borrow_mut().take());
        }
    }
    VARIABLES.with(|cell| *cell.borrow_mut() = Some(variables.clone()));
    let _clear = ClearOnDrop;
    yaml_serde::from_str(text)
}

fn interpolate_in_context(raw: &str) -> Result<String, String> {
    VARIABLES.with(|cell| {
        let variables = cell.borrow();
        let lookup = |name: &str| variables.as_ref().and_then(|vars| vars.get(name).cloned());
        interpolate(raw, &lookup)
    })
}

/// A scalar value, interpolated and parsed into `T` while it is read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scalar<T>(pub T);

impl<'de, T: FromScalar> Deserialize<'de> for Scalar<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor<T>(PhantomData<T>);
        impl<T: FromScalar> Visitor<'_> for ScalarVisitor<T> {
            type Value = Scalar<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<Self::Value, E> {
                let text = interpolate_in_context(raw).map_err(E::custom)?;
                T::from_scalar(&text).map(Scalar).map_err(E::custom)
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                self.visit_str(&value.to_string())
            }
        }
        deserializer.deserialize_any(ScalarVisitor(PhantomData))
    }
}

/// An interpolated string.
pub(super) type Text = Scalar<String>;

/// A mapping key that must be one of `known` or an `x-` extension.
struct KeySeed {
    known: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = String;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
        if self.known.contains(&key) || key.starts_with("x-") {
            Ok(key.to_string())
        } else {
            Err(E::custom(format!("{UNSUPPORTED_KEY}{key}")))
        }
    }
}

/// Declares a compose mapping whose keys are checked and whose fields are all optional.
macro_rules! compose_mapping {
    ($(#[$meta:meta])* struct $name:ident { $($key:literal => $field:ident: $type:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub(super) struct $name {
            $(pub(super) $field: Option<$type>,)*
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct MappingVisitor;
                impl<'de> Visitor<'de> for MappingVisitor {
                    type Value = $name;
                    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                        formatter.write_str("a mapping")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut value = $name::default();
                        while let Some(key) = map.next_key_seed(KeySeed { known: &[$($key),*] })? {
                            match key.as_str() {
                                $($key => value.$field = map.next_value::<Option<$type>>()?,)*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(value)
                    }
                }
                deserializer.deserialize_map(MappingVisitor)
            }
        }
    };
}

compose_mapping! {
    /// The whole file.
    struct ComposeFile {
        "name" => name: Text,
        "version" => version: IgnoredAny,
        "services" => services: Ordered<ServiceDef>,
        "volumes" => volumes: Ordered<Option<VolumeDef>>,
        "secrets" => secrets: Ordered<SecretDef>,
        "networks" => networks: Ordered<Option<NetworkDef>>,
    }
}

compose_mapping! {
    /// One entry of `services:`.
    struct ServiceDef {
        "image" => image: Text,
        "build" => build: BuildDef,
        "environment" => environment: EnvironmentDef,
        "secrets" => secrets: Vec<Name>,
        "volumes" => volumes: Vec<Scalar<VolumeEntry>>,
        "ports" => ports: Vec<Scalar<Port>>,
        "depends_on" => depends_on: DependsOnDef,
        "stop_grace_period" => stop_grace_period: Scalar<Duration>,
        "restart" => restart: Scalar<Restart>,
        "healthcheck" => healthcheck: HealthcheckDef,
        "networks" => networks: Vec<Name>,
        "cap_add" => cap_add: Vec<Text>,
        "cap_drop" => cap_drop: Vec<Text>,
    }
}

compose_mapping! {
    /// The long form of `build:`.
    struct BuildMapping {
        "context" => context: Text,
        "dockerfile" => dockerfile: Text,
        "x-chatctl-cargo-binary" => cargo_binary: Text,
    }
}

compose_mapping! {
    /// `healthcheck:`.
    struct HealthcheckDef {
        "test" => test: HealthTestDef,
        "interval" => interval: Scalar<Duration>,
        "timeout" => timeout: Scalar<Duration>,
        "start_period" => start_period: Scalar<Duration>,
        "start_interval" => start_interval: Scalar<Duration>,
        "retries" => retries: Scalar<u32>,
        "disable" => disable: Scalar<bool>,
    }
}

compose_mapping! {
    /// The long form of one `depends_on` entry.
    struct DependencyDef {
        "condition" => condition: Scalar<Condition>,
        "restart" => restart: Scalar<bool>,
        "required" => required: Scalar<bool>,
    }
}

compose_mapping! {
    /// One entry of top-level `volumes:`.
    struct VolumeDef {
        "name" => name: Text,
        "external" => external: Scalar<bool>,
    }
}

compose_mapping! {
    /// One entry of top-level `networks:`.
    struct NetworkDef {
        "name" => name: Text,
        "external" => external: Scalar<bool>,
    }
}

compose_mapping! {
    /// One entry of top-level `secrets:`.
    struct SecretDef {
        "file" => file: Text,
    }
}

/// A mapping whose entries keep their order in the file (services start in file order
/// when dependencies allow).
#[derive(Debug)]
pub(super) struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    if entries.iter().any(|(existing, _)| *existing == key) {
                        return Err(de::Error::custom(format!("{key} is defined twice")));
                    }
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ordered(Vec::new()))
            }
        }
        deserializer.deserialize_any(OrderedVisitor(PhantomData))
    }
}

/// A name in a list (`secrets: [db_password]`); only the short form is supported.
#[derive(Debug)]
pub(super) struct Name(pub String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = Name;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a name (chatctl supports the short form only)")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Name, E> {
                Ok(Name(name.to_string()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// `build:` — a context path or a mapping.
#[derive(Debug, Default)]
pub(super) struct BuildDef(pub BuildMapping);

impl<'de> Deserialize<'de> for BuildDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BuildVisitor;
        impl<'de> Visitor<'de> for BuildVisitor {
            type Value = BuildDef;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a build context path or a mapping")
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<BuildDef, E> {
                let context = interpolate_in_context(raw).map_err(E::custom)?;
                Ok(BuildDef(BuildMapping {
                    context: Some(Scalar(context)),
                    ..BuildMapping::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<BuildDef, A::Error> {
                BuildMapping::deserialize(de::value::MapAccessDeserializer::new(map)).map(BuildDef)
            }
        }
        deserializer.deserialize_any(BuildVisitor)
    }
}

/// `environment:` — a mapping (`KEY: value`, a null value takes it from the shell) or a
/// list (`- KEY=value`, a bare `- KEY` takes it from the shell).
#[derive(Debug, Default)]
pub(super) struct EnvironmentDef(pub Vec<(String, Option<String>)>);

impl<'de> Deserialize<'de> for EnvironmentDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvironmentVisitor;
        impl<'de> Visitor<'de> for EnvironmentVisitor {
            type Value = EnvironmentDef;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a mapping or a list of KEY=value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvironmentDef, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Option<Text>>()?;
                    entries.push((key, value.map(|text| text.0)));
                }
                Ok(EnvironmentDef(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnvironmentDef, A::Error> {
                let mut entries = Vec::new();
                while let Some(Scalar(item)) = seq.next_element::<Text>()? {
                    match item.split_once('=') {
                        Some((key, value)) => {
                            entries.push((key.to_string(), Some(value.to_string())))
                        }
                        None => entries.push((item, None)),
                    }
                }
                Ok(EnvironmentDef(entries))
            }
        }
        deserializer.deserialize_any(EnvironmentVisitor)
    }
}

/// `depends_on:` — a list of names or a mapping of name to its long form.
#[derive(Debug, Default)]
pub(super) struct DependsOnDef(pub Vec<(String, Condition)>);

impl<'de> Deserialize<'de> for DependsOnDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DependsOnVisitor;
        impl<'de> Visitor<'de> for DependsOnVisitor {
            type Value = DependsOnDef;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a list of services or a mapping")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DependsOnDef, A::Error> {
                let mut entries = Vec::new();
                while let Some(Name(service)) = seq.next_element()? {
                    entries.push((service, Condition::Started));
                }
                Ok(DependsOnDef(entries))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DependsOnDef, A::Error> {
                let mut entries = Vec::new();
                while let Some(service) = map.next_key::<String>()? {
                    let long = map
                        .next_value::<Option<DependencyDef>>()?
                        .unwrap_or_default();
                    let condition = long.condition.map_or(Condition::Started, |c| c.0);
                    entries.push((service, condition));
                }
                Ok(DependsOnDef(entries))
            }
        }
        deserializer.deserialize_any(DependsOnVisitor)
    }
}

/// `healthcheck.test:` — a shell string or a list starting with `CMD`, `CMD-SHELL` or `NONE`.
#[derive(Debug)]
pub(super) struct HealthTestDef(pub Vec<String>);

impl<'de> Deserialize<'de> for HealthTestDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TestVisitor;
        impl<'de> Visitor<'de> for TestVisitor {
            type Value = HealthTestDef;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a command string or a list like [\"CMD\", \"true\"]")
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<HealthTestDef, E> {
                let command = interpolate_in_context(raw).map_err(E::custom)?;
                Ok(HealthTestDef(vec!["CMD-SHELL".to_string(), command]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HealthTestDef, A::Error> {
                let mut items = Vec::new();
                while let Some(Scalar(item)) = seq.next_element::<Text>()? {
                    items.push(item);
                }
                match items.first().map(String::as_str) {
                    Some("CMD" | "CMD-SHELL" | "NONE") => Ok(HealthTestDef(items)),
                    _ => Err(de::Error::custom(
                        "a health check test list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"",
                    )),
                }
            }
        }
        deserializer.deserialize_any(TestVisitor)
    }
}
