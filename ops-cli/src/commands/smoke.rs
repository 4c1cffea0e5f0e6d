//! `chatctl smoke`: checks that the running stack answers through the proxy — a page,
//! readiness, the static assets and a socket.io handshake — each as one timed step.

use std::time::Duration;

use tokio::time::Instant;

use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::stack;
use crate::wait::{poll_until, Poll, WaitError};
use crate::Context;

/// Arguments of `chatctl smoke`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL to check [default: the proxy's published port from the compose file].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// How long each check may keep retrying before it fails.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = super::parse_duration_arg)]
    pub timeout: Duration,
}

/// One request and what its answer must look like.
struct Check {
    name: &'static str,
    path: &'static str,
    body_starts_with: Option<&'static str>,
}

/// What livechat must answer through the proxy.
const CHECKS: &[Check] = &[
    Check {
        name: "home page",
        path: "/",
        body_starts_with: None,
    },
    Check {
        name: "readiness",
        path: "/readyz",
        body_starts_with: None,
    },
    Check {
        name: "stylesheet",
        path: "/static/app.css",
        body_starts_with: None,
    },
    Check {
        name: "socket.io client",
        path: "/static/vendor/socket.io.min.js",
        body_starts_with: None,
    },
    // Engine.IO's polling handshake answers with an OPEN packet: `0{"sid":…}`.
    Check {
        name: "socket.io handshake",
        path: "/socket.io/?EIO=4&transport=polling",
        body_starts_with: Some("0{"),
    },
];

/// Runs every check.
pub async fn run(args: Args, context: &Context) -> Result<()> {
    let base = match args.url {
        Some(url) => url,
        None => live_url(context).await?,
    };
    let base = base.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .user_agent("chatctl-smoke")
        .build()
        .map_err(|e| Error::SmokeFailed {
            check: "HTTP client".to_string(),
            url: base.clone(),
            detail: e.to_string(),
        })?;
    for check in CHECKS {
        let url = format!("{base}{}", check.path);
        let step = context
            .ui
            .step(format!("{} (GET {})", check.name, check.path));
        let deadline = Instant::now() + args.timeout;
        let result = poll_until(deadline, || async {
            let outcome = match client.get(&url).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    evaluate(check, status, &body)
                }
                Err(error) => Err(format!("no answer: {}", crate::error::root_cause(&error))),
            };
            Ok::<_, ()>(match outcome {
                Ok(()) => Poll::Ready(()),
                Err(detail) => Poll::Pending(detail),
            })
        })
        .await;
        let result = result.map_err(|error| Error::SmokeFailed {
            check: check.name.to_string(),
            url: url.clone(),
            detail: match error {
                WaitError::TimedOut { last } => last,
                WaitError::Failed(()) => "failed".to_string(),
            },
        });
        step.finish(result, |()| "ok".to_string())?;
    }
    Ok(())
}

/// Whether an answer passes `check`; the error describes what came back.
fn evaluate(check: &Check, status: u16, body: &str) -> Result<(), String> {
    if status != 200 {
        let excerpt: String = body.chars().take(120).collect();
        return Err(format!("HTTP {status}: {}", excerpt.trim()));
    }
    match check.body_starts_with {
        Some(prefix) if !body.starts_with(prefix) => {
            let excerpt: String = body.chars().take(60).collect();
            Err(format!(
                "expected a body starting with {prefix:?}, got {excerpt:?}"
            ))
        }
        _ => Ok(()),
    }
}

/// The URL of the port the project's running containers publish, as Docker reports it
/// (not as compose.yaml would resolve now: `LIVECHAT_PORT` may differ from `up`'s).
async fn live_url(context: &Context) -> Result<String> {
    let project = context.project()?;
    let engine = Engine::connect().await?;
    let statuses = stack::status(&engine, &project).await?;
    statuses
        .iter()
        .rev()
        .flat_map(|status| status.ports.iter())
        .find_map(|port| port.split("->").next())
        .map(|host_port| format!("http://{}/", host_port.replace("0.0.0.0", "127.0.0.1")))
        .ok_or_else(|| Error::SmokeFailed {
            check: "published port".to_string(),
            url: project.compose_file.display().to_string(),
            detail: format!(
                "no container of project {} publishes a port; is it up (`chatctl up`)?",
                project.name
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_answers() {
        let handshake = &CHECKS[4];
        let page = &CHECKS[0];
        let cases: &[(&Check, u16, &str, Result<(), &str>)] = &[
            (page, 200, "<html>", Ok(())),
            (
                page,
                502,
                "<html>Bad Gateway</html>",
                Err("HTTP 502: <html>Bad Gateway</html>"),
            ),
            (handshake, 200, "0{\"sid\":\"x\"}", Ok(())),
            (
                handshake,
                200,
                "<html>",
                Err("expected a body starting with \"0{\", got \"<html>\""),
            ),
        ];
        for (check, status, body, expected) in cases {
            assert_eq!(
                evaluate(check, *status, body),
                expected.map_err(str::to_string),
                "{}",
                check.name
            );
        }
    }
}
