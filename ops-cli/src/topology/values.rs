//! Parsers for compose's short-form scalar values: durations, ports, volume entries,
//! restart policies and dependency conditions.

use std::net::IpAddr;
use std::time::Duration;

use super::model::{Condition, Port, Restart};

/// A volume entry before its source is resolved against the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeEntry {
    /// A volume key, or a host path starting with `.`, `/` or `~`.
    pub source: String,
    /// The absolute mount point in the container.
    pub target: String,
    /// `:ro` was given.
    pub read_only: bool,
}

impl VolumeEntry {
    /// Whether `source` is a host path rather than a named volume.
    pub fn is_bind(&self) -> bool {
        self.source.starts_with(['.', '/', '~'])
    }
}

/// A compose value that is written as one scalar.
pub trait FromScalar: Sized {
    /// What the parser expects, for type errors ("a duration like 20s").
    const EXPECTING: &'static str;
    /// Parses the interpolated text; the error is a sentence naming the bad value.
    fn from_scalar(text: &str) -> Result<Self, String>;
}

impl FromScalar for String {
    const EXPECTING: &'static str = "a string";
    fn from_scalar(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

impl FromScalar for bool {
    const EXPECTING: &'static str = "true or false";
    fn from_scalar(text: &str) -> Result<Self, String> {
        match text {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ => Err(format!("invalid boolean {text:?} (expected true or false)")),
        }
    }
}

impl FromScalar for u32 {
    const EXPECTING: &'static str = "a whole number";
    fn from_scalar(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| format!("invalid number {text:?} (expected a whole number)"))
    }
}

impl FromScalar for Duration {
    const EXPECTING: &'static str = "a duration like 20s or 1m30s";
    fn from_scalar(text: &str) -> Result<Self, String> {
        parse_duration(text)
    }
}

impl FromScalar for Port {
    const EXPECTING: &'static str = "a port like \"127.0.0.1:8080:80\"";
    fn from_scalar(text: &str) -> Result<Self, String> {
        parse_port(text).map_err(|reason| format!("invalid port {text:?}: {reason}"))
    }
}

impl FromScalar for VolumeEntry {
    const EXPECTING: &'static str =
        "a volume like \"data:/var/lib/data\" or \"./conf:/etc/conf:ro\"";
    fn from_scalar(text: &str) -> Result<Self, String> {
        parse_volume(text).map_err(|reason| format!("invalid volume {text:?}: {reason}"))
    }
}

impl FromScalar for Restart {
    const EXPECTING: &'static str = "a restart policy";
    fn from_scalar(text: &str) -> Result<Self, String> {
        match text {
            "no" => Ok(Restart::No),
            "always" => Ok(Restart::Always),
            "unless-stopped" => Ok(Restart::UnlessStopped),
            "on-failure" => Ok(Restart::OnFailure(None)),
            other => match other.strip_prefix("on-failure:").map(str::parse) {
                Some(Ok(retries)) => Ok(Restart::OnFailure(Some(retries))),
                _ => Err(format!(
                    "invalid restart policy {text:?} (expected no, always, unless-stopped or on-failure[:N])"
                )),
            },
        }
    }
}

impl FromScalar for Condition {
    const EXPECTING: &'static str = "a depends_on condition";
    fn from_scalar(text: &str) -> Result<Self, String> {
        match text {
            "service_started" => Ok(Condition::Started),
            "service_healthy" => Ok(Condition::Healthy),
            "service_completed_successfully" => Err(
                "condition service_completed_successfully is not supported by chatctl".to_string(),
            ),
            _ => Err(format!(
                "invalid condition {text:?} (expected service_started or service_healthy)"
            )),
        }
    }
}

/// Parses a compose duration: `20s`, `1m30s`, `1.5s`, `500ms`, `2h`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?} (expected e.g. 20s, 1m30s or 500ms)");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let number_length = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_length].parse().map_err(|_| invalid())?;
        rest = &rest[number_length..];
        let unit_length = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_length] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(invalid()),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_length..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

/// Formats a duration the way compose users write them: `20s`, `1m30s`, `250ms`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || out.is_empty() {
        out.push_str(&format!("{seconds}s"));
    }
    out
}

fn parse_port(text: &str) -> Result<Port, String> {
    let (spec, protocol) = match text.split_once('/') {
        Some((spec, protocol @ ("tcp" | "udp"))) => (spec, protocol),
        Some((_, protocol)) => {
            return Err(format!(
                "unsupported protocol {protocol:?} (expected tcp or udp)"
            ))
        }
        None => (text, "tcp"),
    };
    let (bracketed_ip, spec) = match spec.strip_prefix('[') {
        Some(rest) => {
            let (ip, rest) = rest
                .split_once(']')
                .ok_or("unclosed [ in the host address")?;
            let rest = rest
                .strip_prefix(':')
                .ok_or("expected :host_port:container_port after [ip]")?;
            (Some(ip), rest)
        }
        None => (None, spec),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (host_ip, host_port, container_port) = match (bracketed_ip, parts.as_slice()) {
        (None, [container]) => (None, None, *container),
        (None, [host, container]) => (None, Some(*host), *container),
        (None, [ip, host, container]) => (Some(*ip), Some(*host), *container),
        (Some(ip), [host, container]) => (Some(ip), Some(*host), *container),
        _ => return Err("expected [host_ip:][host_port:]container_port[/protocol]".to_string()),
    };
    if let Some(ip) = host_ip {
        ip.parse::<IpAddr>()
            .map_err(|_| format!("{ip:?} is not an IP address"))?;
    }
    let number = |value: &str| -> Result<u16, String> {
        if value.contains('-') {
            return Err("port ranges are not supported by chatctl".to_string());
        }
        match value.parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!(
                "{value:?} is not a port number between 1 and 65535"
            )),
        }
    };
    Ok(Port {
        host_ip: host_ip.filter(|ip| !ip.is_empty()).map(str::to_string),
        host_port: host_port
            .filter(|port| !port.is_empty())
            .map(number)
            .transpose()?,
        container_port: number(container_port)?,
        protocol: protocol.to_string(),
    })
}

fn parse_volume(text: &str) -> Result<VolumeEntry, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [_] => {
            return Err(
                "anonymous volumes are not supported by chatctl; name the volume".to_string(),
            )
        }
        [source, target] => (*source, *target, None),
        [source, target, mode] => (*source, *target, Some(*mode)),
        _ => return Err("expected source:target[:ro]".to_string()),
    };
    let read_only = match mode {
        None | Some("rw") => false,
        Some("ro") => true,
        Some(other) => return Err(format!("unsupported mode {other:?} (expected ro or rw)")),
    };
    if !target.starts_with('/') {
        return Err(format!("the target {target:?} must be an absolute path"));
    }
    let entry = VolumeEntry {
        source: source.to_string(),
        target: target.to_string(),
        read_only,
    };
    if !entry.is_bind() && !super::is_valid_resource_name(source) {
        return Err(format!(
            "{source:?} is neither a volume name nor a path starting with ./ or /"
        ));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases: &[(&str, Result<Duration, ()>)] = &[
            ("20s", Ok(Duration::from_secs(20))),
            ("1m30s", Ok(Duration::from_secs(90))),
            ("1h", Ok(Duration::from_secs(3600))),
            ("500ms", Ok(Duration::from_millis(500))),
            ("1.5s", Ok(Duration::from_millis(1500))),
            ("15", Ok(Duration::from_secs(15))),
            ("", Err(())),
            ("s", Err(())),
            ("10 s", Err(())),
            ("10x", Err(())),
            ("-5s", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text).map_err(|_| ()), *expected, "{text:?}");
        }
        assert_eq!(
            parse_duration("abc").unwrap_err(),
            "invalid duration \"abc\" (expected e.g. 20s, 1m30s or 500ms)"
        );
    }

    #[test]
    fn formats_durations() {
        for (seconds, expected) in [
            (0.25, "250ms"),
            (20.0, "20s"),
            (90.0, "1m30s"),
            (180.0, "3m"),
            (3601.0, "1h1s"),
        ] {
            assert_eq!(format_duration(Duration::from_secs_f64(seconds)), expected);
        }
    }

    fn port(
        host_ip: Option<&str>,
        host_port: Option<u16>,
        container_port: u16,
        protocol: &str,
    ) -> Port {
        Port {
            host_ip: host_ip.map(str::to_string),
            host_port,
            container_port,
            protocol: protocol.to_string(),
        }
    }

    #[test]
    fn ports() {
        let cases: &[(&str, Result<Port, &str>)] = &[
            ("127.0.0.1:8080:8080", Ok(port(Some("127.0.0.1"), Some(8080), 8080, "tcp"))),
            ("8080:80", Ok(port(None, Some(8080), 80, "tcp"))),
            ("80", Ok(port(None, None, 80, "tcp"))),
            ("53:53/udp", Ok(port(None, Some(53), 53, "udp"))),
            ("127.0.0.1::80", Ok(port(Some("127.0.0.1"), None, 80, "tcp"))),
            ("[::1]:8080:80", Ok(port(Some("::1"), Some(8080), 80, "tcp"))),
            ("abc", Err("invalid port \"abc\": \"abc\" is not a port number between 1 and 65535")),
            ("127.0.0.1:abc:80", Err("invalid port \"127.0.0.1:abc:80\": \"abc\" is not a port number between 1 and 65535")),
            ("8000-8001:80", Err("invalid port \"8000-8001:80\": port ranges are not supported by chatctl")),
            ("localhost:80:80", Err("invalid port \"localhost:80:80\": \"localhost\" is not an IP address")),
            ("80/sctp", Err("invalid port \"80/sctp\": unsupported protocol \"sctp\" (expected tcp or udp)")),
            ("1:2:3:4", Err("invalid port \"1:2:3:4\": expected [host_ip:][host_port:]container_port[/protocol]")),
            ("70000", Err("invalid port \"70000\": \"70000\" is not a port number between 1 and 65535")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Port::from_scalar(text).as_ref().map_err(String::as_str),
                expected.as_ref().map_err(|e| *e),
                "{text:?}"
            );
        }
    }

    #[test]
    fn volumes() {
        let entry = |source: &str, target: &str, read_only| VolumeEntry {
            source: source.into(),
            target: target.into(),
            read_only,
        };
        let cases: &[(&str, Result<VolumeEntry, &str>)] = &[
            ("db-data:/var/lib/postgresql/data", Ok(entry("db-data", "/var/lib/postgresql/data", false))),
            ("./conf:/etc/conf:ro", Ok(entry("./conf", "/etc/conf", true))),
            ("/srv/x:/x:rw", Ok(entry("/srv/x", "/x", false))),
            ("/data", Err("invalid volume \"/data\": anonymous volumes are not supported by chatctl; name the volume")),
            ("data:relative", Err("invalid volume \"data:relative\": the target \"relative\" must be an absolute path")),
            ("data:/x:z", Err("invalid volume \"data:/x:z\": unsupported mode \"z\" (expected ro or rw)")),
            ("bad name:/x", Err("invalid volume \"bad name:/x\": \"bad name\" is neither a volume name nor a path starting with ./ or /")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                VolumeEntry::from_scalar(text)
                    .as_ref()
                    .map_err(String::as_str),
                expected.as_ref().map_err(|e| *e),
                "{text:?}"
            );
        }
        assert!(entry("./x", "/x", false).is_bind());
        assert!(!entry("x", "/x", false).is_bind());
    }

    #[test]
    fn restart_policies() {
        let cases: &[(&str, Option<Restart>)] = &[
            ("no", Some(Restart::No)),
            ("always", Some(Restart::Always)),
            ("unless-stopped", Some(Restart::UnlessStopped)),
            ("on-failure", Some(Restart::OnFailure(None))),
            ("on-failure:3", Some(Restart::OnFailure(Some(3)))),
            ("sometimes", None),
            ("on-failure:x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Restart::from_scalar(text).ok(), *expected, "{text:?}");
        }
    }
}
