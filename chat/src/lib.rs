//! livechat's chat service: server-rendered pages, the socket.io realtime API, and
//! Postgres storage. `main.rs` only parses the config and calls [`run`].

// Tests may unwrap (see the workspace lints); production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod domain;
pub mod error;
pub mod realtime;
pub mod store;
pub mod views;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use socketioxide::SocketIo;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::domain::RoomName;
use crate::store::{Message, Store};

/// Everything a handler needs: cheap handles, cloned per request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub io: SocketIo,
    pub config: Arc<Config>,
}

impl AppState {
    /// Sends a stored message to every socket in its room, the sender's included.
    pub async fn broadcast(&self, room: &RoomName, message: &Message) {
        let result = self
            .io
            .to(realtime::session::room_key(room))
            .emit(realtime::events::MESSAGE, message)
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, room = room.as_str(), "broadcast failed");
        }
    }
}

/// Builds the state and the whole application: pages, health, static assets, socket.io.
pub fn app(store: Store, config: Config) -> (Router, AppState) {
    let (socket_layer, io) = realtime::layer();
    let state = AppState {
        store,
        io,
        config: Arc::new(config),
    };
    realtime::register(state.clone());
    (web::router(state.clone(), socket_layer), state)
}

/// Serves until `shutdown` resolves, then closes every socket and the pool.
///
/// Migrations run in the background, retried until the database answers, so the
/// service starts (and `/healthz` answers) even while the database is down.
pub async fn run(
    listener: TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, state) = app(store.clone(), config);
    let migrations = tokio::spawn({
        let store = store.clone();
        async move { store.migrate_until_ready().await }
    });

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let io = state.io.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing sockets");
        // Sockets would keep the graceful shutdown waiting forever; close them first.
        io.close().await;
        let _ = stop_tx.send(());
    });

    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = stop_rx.await;
    });
    server.await?;
    migrations.abort();
    // Bounded, so a stuck connection cannot outlast Docker's stop window.
    let _ = tokio::time::timeout(Duration::from_secs(3), store.close()).await;
    tracing::info!("stopped");
    Ok(())
}
