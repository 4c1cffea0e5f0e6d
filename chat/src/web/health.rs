//! Liveness and readiness, and the probe the Docker HEALTHCHECK runs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::State;
use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::AppState;

/// `GET /healthz`: 200 whenever the process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 when the database is reachable and migrated, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.is_ready().await {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database not reachable or not migrated\n",
        )
    }
}

/// Asks the local service's `/readyz`; returns the process exit code (0 when ready).
///
/// The image has no curl, so the binary is its own health check client.
pub async fn probe(listen: SocketAddr) -> i32 {
    let host = match listen.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let request = async {
        let mut stream = tokio::net::TcpStream::connect((host, listen.port())).await?;
        stream
            .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    match tokio::time::timeout(super::PROBE_TIMEOUT, request).await {
        Ok(Ok(head)) if head.ends_with(b" 200") => 0,
        Ok(Ok(head)) => {
            eprintln!("not ready: {}", String::from_utf8_lossy(&head));
            1
        }
        Ok(Err(error)) => {
            eprintln!("not ready: {error}");
            1
        }
        Err(_) => {
            eprintln!("not ready: no answer within {:?}", super::PROBE_TIMEOUT);
            1
        }
    }
}
