//! The public realtime API's event names and payloads (docs/realtime-api.md).

use serde::{Deserialize, Serialize};

use crate::error::ChatError;
use crate::store::Message;

/// Client → server: join a room and get its history.
pub const JOIN: &str = "join";
/// Client → server: send a message; server → clients: a new message in a joined room.
pub const MESSAGE: &str = "message";

/// The handshake's `auth` payload.
#[derive(Debug, Deserialize)]
pub struct Auth {
    pub name: String,
}

/// `join` `{room, after_seq?}`.
#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    pub room: String,
    pub after_seq: Option<i64>,
}

/// `message` `{room, body, client_id}`.
#[derive(Debug, Deserialize)]
pub struct MessageRequest {
    pub room: String,
    pub body: String,
    pub client_id: String,
}

/// The successful ack of `join`.
#[derive(Debug, Serialize)]
pub struct JoinAck<'a> {
    pub ok: bool,
    pub room: &'a str,
    pub messages: Vec<Message>,
    /// True when more messages follow the last one returned (only with `after_seq`).
    pub more: bool,
}

/// The successful ack of `message`.
#[derive(Debug, Serialize)]
pub struct MessageAck<'a> {
    pub ok: bool,
    pub message: &'a Message,
    /// True when this `client_id` had been stored before and nothing new was stored.
    pub duplicate: bool,
}

/// Decodes an event payload, naming the event and the problem when it does not fit.
pub fn decode<T: serde::de::DeserializeOwned>(
    event: &str,
    payload: serde_json::Value,
    shape: &str,
) -> Result<T, ChatError> {
    // serde would also accept a struct as an array of its fields; the API takes objects.
    if !payload.is_object() {
        return Err(ChatError::Invalid(format!(
            "{event} expects an object {shape}"
        )));
    }
    serde_json::from_value(payload)
        .map_err(|error| ChatError::Invalid(format!("{event} expects {shape}: {error}")))
}
