//! Origin checking: browsers on other sites may not open sockets or post forms here.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ChatError;
use crate::AppState;

/// Rejects a socket.io request or a state-changing request whose `Origin` is neither
/// this site (the `Host` it was sent to) nor one of the configured allowed origins.
///
/// Requests without an `Origin` (curl, bots, native socket.io clients) pass: the check
/// protects browsers' users from other sites, which browsers always label.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let guarded =
        request.uri().path().starts_with("/socket.io") || !is_safe_method(request.method());
    if guarded {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let host = request
                .headers()
                .get(header::HOST)
                .and_then(|host| host.to_str().ok());
            if !is_allowed(origin, host, &state.config.allowed_origins) {
                tracing::info!(origin, "refused cross-origin request");
                return ChatError::ForbiddenOrigin(origin.to_owned()).into_response();
            }
        }
    }
    next.run(request).await
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Same-site when the origin's authority equals the `Host` header; otherwise it must
/// be listed exactly (a trailing slash is ignored).
pub fn is_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    if let (Some(authority), Some(host)) = (authority, host) {
        if !authority.is_empty() && authority.eq_ignore_ascii_case(host) {
            return true;
        }
    }
    let origin = origin.trim_end_matches('/');
    allowed
        .iter()
        .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::is_allowed;

    #[test]
    fn origins() {
        let listed = vec!["https://chat.example.com/".to_owned()];
        let check = |origin: &str, host: Option<&str>, expected: bool| {
            assert_eq!(
                is_allowed(origin, host, &listed),
                expected,
                "{origin} vs {host:?}"
            );
        };
        check("http://127.0.0.1:8080", Some("127.0.0.1:8080"), true);
        check("https://Chat.Example.com", Some("other"), true);
        check("http://127.0.0.1:8080", Some("127.0.0.1:9090"), false);
        check("http://evil.example", Some("127.0.0.1:8080"), false);
        check("null", Some("127.0.0.1:8080"), false);
        check("http://", Some(""), false);
        check("http://127.0.0.1:8080", None, false);
        check("ftp://127.0.0.1:8080", Some("127.0.0.1:8080"), false);
    }
}
