//! End to end: the real topology (nginx → chat → Postgres, in Docker) brought up by
//! `chatctl test`, driven by the official socket.io client, headless Chromium and psql.
//!
//! `chatctl test` runs this binary with `--test-threads=1`: some tests restart parts of
//! the stack, and each leaves it healthy again.

// Tests may unwrap (see the workspace lints).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use e2e::{docker, Stack};

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{nanos:x}")
}

#[test]
fn realtime_api_suite() {
    Stack::from_env().node_suite("realtime.test.mjs");
}

#[test]
fn browser_suite() {
    Stack::from_env().node_suite("browser.test.mjs");
}

#[tokio::test]
async fn an_acknowledged_message_is_a_row_in_postgres() {
    let stack = Stack::from_env();
    let body = unique("row check");
    let sent = stack.send(&["general", &body]);
    let message = &sent[0];
    let row = stack
        .psql(&format!(
            "SELECT id, room, seq, author, body, client_id FROM messages WHERE id = '{}'",
            message["id"].as_str().unwrap()
        ))
        .await;
    let expected = format!(
        "{}|general|{}|e2e|{body}|{}",
        message["id"].as_str().unwrap(),
        message["seq"],
        message["client_id"].as_str().unwrap()
    );
    assert_eq!(row.trim(), expected);
}

#[tokio::test]
async fn history_survives_down_and_up() {
    let stack = Stack::from_env();
    let body = unique("survives restarts");
    stack.send(&["general", &body]);

    stack.chatctl(&["down"]);
    let gone = reqwest::get(format!("{}/healthz", stack.url)).await;
    assert!(gone.is_err(), "the proxy is down after chatctl down");

    stack.chatctl(&["up", "--no-build"]);
    let (status, html) = stack.get_as("visitor", "/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&body),
        "the message is in the history rendered at GET /"
    );
}

#[tokio::test]
async fn restarting_chat_mid_conversation_loses_and_doubles_nothing() {
    let stack = Stack::from_env();
    let room = unique("restart");
    let sender = {
        let stack = Stack::from_env();
        let room = room.clone();
        // 60 messages, one every 100 ms, while chat restarts underneath.
        std::thread::spawn(move || stack.send(&["--steady", &room, "60", "100"]))
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    docker()
        .restart_container(
            &stack.container("chat"),
            None::<bollard::query_parameters::RestartContainerOptions>,
        )
        .await
        .expect("cannot restart chat");
    let acked = sender.join().expect("the sender finished");

    let client_ids: BTreeSet<_> = acked.iter().map(|m| m["client_id"].to_string()).collect();
    assert_eq!(client_ids.len(), 60, "every message acknowledged once");
    let rows = stack
        .psql(&format!(
            "SELECT count(*), count(DISTINCT client_id), min(seq), max(seq) FROM messages WHERE room = '{room}'"
        ))
        .await;
    assert_eq!(
        rows.trim(),
        "60|60|1|60",
        "stored once each, seq 1..60 without gaps"
    );
    stack
        .wait_for_status("/readyz", 200, Duration::from_secs(30))
        .await;
}

#[tokio::test]
async fn chat_exits_cleanly_on_sigterm_and_the_proxy_finds_it_again() {
    let stack = Stack::from_env();
    let docker = docker();
    let chat = stack.container("chat");
    let before = docker
        .inspect_container(
            &chat,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .expect("chat container exists");

    let started = std::time::Instant::now();
    docker
        .stop_container(
            &chat,
            None::<bollard::query_parameters::StopContainerOptions>,
        )
        .await
        .expect("cannot stop chat");
    let stopped = docker
        .inspect_container(
            &chat,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    let state = stopped.state.unwrap();
    assert_eq!(
        state.exit_code,
        Some(0),
        "chat exits 0 on SIGTERM: {state:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "within Docker's stop window"
    );

    // Recreate it: a new container, very likely a new address; nginx must find it.
    docker
        .remove_container(
            &chat,
            None::<bollard::query_parameters::RemoveContainerOptions>,
        )
        .await
        .expect("cannot remove chat");
    stack.chatctl(&["up", "--no-build"]);
    let after = docker
        .inspect_container(
            &chat,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    assert_ne!(before.id, after.id, "chat was recreated");
    let took = stack
        .wait_for_status("/readyz", 200, Duration::from_secs(15))
        .await;
    println!("proxy reached the recreated chat after {took:?}");
    for _ in 0..20 {
        let (status, _) = stack.get_as("visitor", "/").await;
        assert_eq!(status, 200, "no lasting 502 after recreating chat");
    }
}

#[tokio::test]
async fn chatctl_status_reports_every_service_healthy() {
    let stack = Stack::from_env();
    let output = stack.chatctl(&["status", "--json"]);
    let services: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("status --json prints JSON");
    let text = services.to_string();
    for service in ["db", "chat", "proxy"] {
        assert!(
            text.contains(&format!("\"{service}\"")),
            "{service} in {text}"
        );
    }
    assert_eq!(text.matches("healthy").count(), 3, "{text}");
}
