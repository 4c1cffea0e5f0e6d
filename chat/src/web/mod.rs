//! HTTP: the routes, and the layers every request passes through.

pub mod health;
pub mod origin;
pub mod pages;

use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use socketioxide::layer::SocketIoLayer;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;

/// Largest HTTP request body: form posts are small.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every route of the service, socket.io included.
pub fn router(state: AppState, socket_layer: SocketIoLayer) -> Router {
    let static_files = Router::new()
        .fallback_service(ServeDir::new(&state.config.static_dir))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ));
    Router::new()
        .route("/", get(pages::home))
        .route("/r/{room}", get(pages::room))
        .route("/session", post(pages::set_name))
        .route("/r/{room}/messages", post(pages::post_message))
        .route("/favicon.ico", get(|| async { axum::http::StatusCode::NO_CONTENT }))
        .nest("/static", static_files)
        .layer(socket_layer)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    origin::check,
                ))
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
                    ),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                )),
        )
        // Added after the layers, so the health checks Docker runs every 2 s are not
        // traced: a database outage would otherwise log an error line per probe.
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
}

/// Resolves on SIGTERM (Docker stop) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// How long a health probe waits for an answer.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
