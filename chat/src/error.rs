//! The chat service's one error type: the HTTP response and the socket.io error ack.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything a request or a realtime event can fail with.
///
/// Each variant has a stable, machine-readable [`code`](ChatError::code) that clients
/// may match on; the message is for people and may change.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// A required text (name, body) was empty after trimming.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A text was longer than its limit.
    #[error("{what} is longer than {max} characters")]
    TooLong { what: &'static str, max: usize },
    /// The payload was malformed: wrong shape, wrong type, forbidden characters.
    #[error("{0}")]
    Invalid(String),
    /// The socket sent a message to a room it has not joined.
    #[error("join room {0:?} before sending to it")]
    NotJoined(String),
    /// The socket sends faster than its rate limit allows.
    #[error("too many events; slow down")]
    RateLimited,
    /// The request's Origin is not this site, nor an allowed origin.
    #[error("origin {0:?} is not allowed")]
    ForbiddenOrigin(String),
    /// The database is unreachable or not migrated yet; the request may be retried.
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable(#[source] Option<sqlx::Error>),
}

impl ChatError {
    /// The stable code clients match on, as documented in docs/realtime-api.md.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::Empty(_) => "empty",
            ChatError::TooLong { .. } => "too_long",
            ChatError::Invalid(_) => "invalid",
            ChatError::NotJoined(_) => "not_joined",
            ChatError::RateLimited => "rate_limited",
            ChatError::ForbiddenOrigin(_) => "forbidden_origin",
            ChatError::Unavailable(_) => "unavailable",
        }
    }

    /// The `{ok: false, error: {code, message}}` body of a failed socket.io ack.
    pub fn ack(&self) -> ErrorAck {
        ErrorAck {
            ok: false,
            error: ErrorBody {
                code: self.code(),
                message: self.to_string(),
            },
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ChatError::Empty(_) | ChatError::TooLong { .. } | ChatError::Invalid(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ChatError::NotJoined(_) | ChatError::ForbiddenOrigin(_) => StatusCode::FORBIDDEN,
            ChatError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ChatError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<sqlx::Error> for ChatError {
    fn from(error: sqlx::Error) -> Self {
        ChatError::Unavailable(Some(error))
    }
}

/// A failed ack, serialised as `{ok: false, error: {code, message}}`.
#[derive(Debug, Serialize)]
pub struct ErrorAck {
    ok: bool,
    error: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl IntoResponse for ChatError {
    fn into_response(self) -> Response {
        // The cause is logged once, here; the user sees only the safe message.
        if let ChatError::Unavailable(Some(cause)) = &self {
            tracing::warn!(error = %cause, "database error");
        }
        (self.status(), self.to_string()).into_response()
    }
}
