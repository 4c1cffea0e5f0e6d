//! One connected socket's session: its identity, the rooms it joined, and the one
//! worker that handles its events strictly in the order they arrived.
//!
//! socketioxide runs every handler as its own task, so two events from one socket
//! could otherwise be handled out of order (a `message` before the `join` that
//! precedes it). Our handlers therefore only enqueue, synchronously, in arrival
//! order; the worker below does the work.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::Value;
use socketioxide::extract::{AckSender, SocketRef};
use tokio::sync::mpsc;

use crate::domain::{ClientId, DisplayName, MessageBody, RoomName};
use crate::error::ChatError;
use crate::realtime::events::{self, JoinAck, JoinRequest, MessageAck, MessageRequest};
use crate::store::Stored;
use crate::AppState;

/// Events one socket may have waiting; beyond this it is told to slow down.
const QUEUE_DEPTH: usize = 64;

/// One event waiting for the session worker.
pub struct Job {
    kind: JobKind,
    payload: Result<Value, String>,
    socket: SocketRef,
    ack: AckSender,
}

#[derive(Debug, Clone, Copy)]
enum JobKind {
    Join,
    Message,
}

/// The sending half handed to the socket's event handlers.
#[derive(Clone)]
pub struct Inbox {
    jobs: mpsc::Sender<Job>,
    limiter: Arc<DefaultDirectRateLimiter>,
}

impl Inbox {
    /// Starts the worker for one socket and returns the handle its handlers enqueue to.
    ///
    /// The worker ends when every `Inbox` clone is dropped, that is when socketioxide
    /// drops the disconnected socket and the handlers it holds.
    pub fn start(state: AppState, name: DisplayName) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let quota = Quota::per_second(NonZeroU32::new(20).expect("20 is not zero"))
            .allow_burst(NonZeroU32::new(60).expect("60 is not zero"));
        tokio::spawn(run(state, name, queue));
        Self {
            jobs,
            limiter: Arc::new(RateLimiter::direct(quota)),
        }
    }

    /// Enqueues a `join`. Must be called synchronously from the handler.
    pub fn join(&self, socket: SocketRef, payload: Result<Value, String>, ack: AckSender) {
        self.push(JobKind::Join, socket, payload, ack);
    }

    /// Enqueues a `message`. Must be called synchronously from the handler.
    pub fn message(&self, socket: SocketRef, payload: Result<Value, String>, ack: AckSender) {
        self.push(JobKind::Message, socket, payload, ack);
    }

    fn push(
        &self,
        kind: JobKind,
        socket: SocketRef,
        payload: Result<Value, String>,
        ack: AckSender,
    ) {
        if self.limiter.check().is_err() {
            send_ack(ack, &ChatError::RateLimited.ack());
            return;
        }
        let job = Job {
            kind,
            payload,
            socket,
            ack,
        };
        if let Err(error) = self.jobs.try_send(job) {
            let job = match error {
                mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => {
                    job
                }
            };
            send_ack(job.ack, &ChatError::RateLimited.ack());
        }
    }
}

struct Session {
    state: AppState,
    name: DisplayName,
    joined: HashSet<RoomName>,
}

async fn run(state: AppState, name: DisplayName, mut queue: mpsc::Receiver<Job>) {
    let mut session = Session {
        state,
        name,
        joined: HashSet::new(),
    };
    while let Some(job) = queue.recv().await {
        session.handle(job).await;
    }
    tracing::debug!(name = session.name.as_str(), "session ended");
}

impl Session {
    async fn handle(&mut self, job: Job) {
        let Job {
            kind,
            payload,
            socket,
            ack,
        } = job;
        let payload =
            payload.map_err(|error| ChatError::Invalid(format!("unreadable payload: {error}")));
        let reply = match kind {
            JobKind::Join => match payload.and_then(|p| self.join(&socket, p)) {
                Ok((room, after_seq)) => {
                    let history = self.join_history(&room, after_seq).await;
                    if history.is_err() {
                        // A failed join leaves the socket as it was: not in the room.
                        socket.leave(room_key(&room));
                        self.joined.remove(&room);
                    }
                    history
                }
                Err(error) => Err(error),
            },
            JobKind::Message => match payload {
                Ok(payload) => self.message(payload).await,
                Err(error) => Err(error),
            },
        };
        match reply {
            Ok(body) => send_ack(ack, &body),
            Err(error) => {
                if let ChatError::Unavailable(Some(cause)) = &error {
                    tracing::warn!(error = %cause, socket = %socket.id, "database error");
                }
                send_ack(ack, &error.ack());
            }
        }
    }

    /// Validates the request and subscribes the socket *before* reading history, so
    /// nothing committed in between is missed (clients drop duplicates by `seq`).
    fn join(
        &mut self,
        socket: &SocketRef,
        payload: Value,
    ) -> Result<(RoomName, Option<i64>), ChatError> {
        let request: JoinRequest = events::decode(events::JOIN, payload, "{room, after_seq?}")?;
        let room = RoomName::parse(&request.room)?;
        if request.after_seq.is_some_and(|seq| seq < 0) {
            return Err(ChatError::Invalid(
                "after_seq must be a non-negative integer".into(),
            ));
        }
        socket.join(room_key(&room));
        self.joined.insert(room.clone());
        Ok((room, request.after_seq))
    }

    async fn join_history(
        &self,
        room: &RoomName,
        after_seq: Option<i64>,
    ) -> Result<Value, ChatError> {
        self.state.store.ensure_room(room).await?;
        let (messages, more) = match after_seq {
            Some(seq) => {
                let page = self.state.store.after(room, seq).await?;
                (page.messages, page.more)
            }
            None => (self.state.store.latest(room).await?, false),
        };
        to_value(&JoinAck {
            ok: true,
            room: room.as_str(),
            messages,
            more,
        })
    }

    async fn message(&self, payload: Value) -> Result<Value, ChatError> {
        let request: MessageRequest =
            events::decode(events::MESSAGE, payload, "{room, body, client_id}")?;
        let room = RoomName::parse(&request.room)?;
        let body = MessageBody::parse(&request.body)?;
        let client_id = ClientId::parse(&request.client_id)?;
        if !self.joined.contains(&room) {
            return Err(ChatError::NotJoined(room.as_str().to_owned()));
        }
        let stored = self
            .state
            .store
            .insert_message(&room, &self.name, &body, &client_id)
            .await?;
        let (message, duplicate) = match stored {
            Stored::Inserted(message) => (message, false),
            Stored::Duplicate(message) => (message, true),
        };
        if !duplicate {
            self.state.broadcast(&room, &message).await;
        }
        to_value(&MessageAck {
            ok: true,
            message: &message,
            duplicate,
        })
    }
}

/// The socket.io room a chat room's sockets are in.
pub fn room_key(room: &RoomName) -> String {
    format!("room:{}", room.as_str())
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ChatError> {
    serde_json::to_value(value).map_err(|error| ChatError::Invalid(error.to_string()))
}

fn send_ack<T: serde::Serialize + ?Sized>(ack: AckSender, body: &T) {
    if let Err(error) = ack.send(body) {
        tracing::debug!(%error, "ack not delivered");
    }
}
