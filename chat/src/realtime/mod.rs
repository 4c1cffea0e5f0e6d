//! The socket.io layer: the handshake, and where every event handler is registered.

pub mod events;
pub mod session;

use serde_json::Value;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;

use crate::domain::DisplayName;
use crate::error::ChatError;
use crate::AppState;
use session::Inbox;

/// Largest websocket message and frame the server accepts (socketioxide's defaults are
/// many megabytes, and its `max_payload` applies to HTTP long-polling only).
pub const MAX_WS_BYTES: usize = 64 * 1024;

/// Packets one socket may have waiting to be written. Above the default (128) so that a
/// client flooding past its rate limit still gets its `rate_limited` acks.
pub const MAX_BUFFERED_PACKETS: usize = 1024;

/// Builds the socket.io layer and its handle.
pub fn layer() -> (socketioxide::layer::SocketIoLayer, SocketIo) {
    SocketIo::builder()
        .max_buffer_size(MAX_BUFFERED_PACKETS)
        .max_payload(MAX_WS_BYTES as u64)
        .ws_max_message_size(MAX_WS_BYTES)
        .ws_max_frame_size(MAX_WS_BYTES)
        .build_layer()
}

/// Registers the `/` namespace. Call once, after [`AppState`] holds the `SocketIo`.
pub fn register(state: AppState) {
    let io = state.io.clone();
    io.ns(
        "/",
        on_connect.with(move |socket: SocketRef, TryData(auth): TryData<Value>| {
            let state = state.clone();
            async move { authenticate(state, socket, auth) }
        }),
    );
}

/// Connect middleware: validates the name and registers the event handlers.
///
/// It runs before socketioxide sends the CONNECT packet, so the handlers exist before
/// the client can emit anything; registering them in the connect handler instead would
/// drop events that a client pipelines right after connecting.
fn authenticate(
    state: AppState,
    socket: SocketRef,
    auth: Result<Value, socketioxide::ParserError>,
) -> Result<(), ConnectRefused> {
    let auth = auth.map_err(|_| ChatError::Invalid("connect with auth {name}".into()))?;
    let auth: events::Auth = events::decode("connect", auth, "auth {name}")?;
    let name = DisplayName::parse(&auth.name)?;
    tracing::debug!(socket = %socket.id, name = name.as_str(), "socket connecting");

    let inbox = Inbox::start(state, name);
    // Plain closures that return a ready future: their bodies run synchronously inside
    // socketioxide's dispatch, in the order the packets arrived.
    let join_inbox = inbox.clone();
    socket.on(
        events::JOIN,
        move |socket: SocketRef, TryData(payload): TryData<Value>, ack: AckSender| {
            join_inbox.join(socket, payload.map_err(|e| e.to_string()), ack);
            std::future::ready(())
        },
    );
    socket.on(
        events::MESSAGE,
        move |socket: SocketRef, TryData(payload): TryData<Value>, ack: AckSender| {
            inbox.message(socket, payload.map_err(|e| e.to_string()), ack);
            std::future::ready(())
        },
    );
    socket.on_fallback(|ack: AckSender| {
        let error = ChatError::Invalid("unknown event".into());
        if let Err(error) = ack.send(&error.ack()) {
            tracing::debug!(%error, "ack not delivered");
        }
        std::future::ready(())
    });
    Ok(())
}

async fn on_connect(socket: SocketRef) {
    tracing::debug!(socket = %socket.id, "socket connected");
}

/// The connect error a refused handshake gets: `"<code>: <message>"`.
#[derive(Debug)]
pub struct ConnectRefused(ChatError);

impl From<ChatError> for ConnectRefused {
    fn from(error: ChatError) -> Self {
        Self(error)
    }
}

impl std::fmt::Display for ConnectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.code(), self.0)
    }
}
