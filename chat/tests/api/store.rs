//! The storage rules, checked against a real Postgres: seq, idempotency, immutability.

use chat::domain::{ClientId, DisplayName, MessageBody, RoomName};
use chat::store::Stored;

use crate::helpers::TestApp;

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

fn text(body: &str) -> MessageBody {
    MessageBody::parse(body).unwrap()
}

#[tokio::test]
async fn concurrent_senders_get_gapless_seqs_in_commit_order() {
    let app = TestApp::spawn().await;
    let general = room("general");
    let author = DisplayName::parse("ann").unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = app.store.clone();
        let (general, author) = (general.clone(), author.clone());
        tasks.push(tokio::spawn(async move {
            let id = ClientId::parse(&format!("c{i}")).unwrap();
            store
                .insert_message(&general, &author, &text("hi"), &id)
                .await
                .unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Stored::Inserted(message) => seqs.push(message.seq),
            Stored::Duplicate(_) => panic!("no duplicates were sent"),
        }
    }
    seqs.sort();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_resent_client_id_returns_the_original_even_when_racing() {
    let app = TestApp::spawn().await;
    let general = room("general");
    let author = DisplayName::parse("ann").unwrap();
    let id = ClientId::parse("same").unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = app.store.clone();
        let (general, author, id) = (general.clone(), author.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            store
                .insert_message(&general, &author, &text(&format!("try {i}")), &id)
                .await
                .unwrap()
        }));
    }
    let (mut inserted, mut duplicates) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Stored::Inserted(message) => inserted.push(message),
            Stored::Duplicate(message) => duplicates.push(message),
        }
    }
    assert_eq!(inserted.len(), 1);
    assert!(duplicates.iter().all(|message| message == &inserted[0]));
    let next = app
        .store
        .insert_message(
            &general,
            &author,
            &text("next"),
            &ClientId::parse("other").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        matches!(next, Stored::Inserted(message) if message.seq == 2),
        "no gap after duplicates"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_database_itself_enforces_the_rules() {
    let app = TestApp::spawn().await;
    let mut db = app.db().await;
    let insert = "INSERT INTO messages (room, seq, author, body, client_id) \
                  VALUES ('general', 999, 'sql', 'direct', $1) RETURNING seq";
    let seq: i64 = sqlx::query_scalar(insert)
        .bind("k1")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(seq, 1, "the trigger assigns seq, whatever the insert says");

    let duplicate: Option<i64> = sqlx::query_scalar(insert)
        .bind("k1")
        .fetch_optional(&mut db)
        .await
        .unwrap();
    assert_eq!(
        duplicate, None,
        "a duplicate (room, client_id) stores nothing"
    );

    let mut tx = sqlx::Connection::begin(&mut db).await.unwrap();
    sqlx::query(insert)
        .bind("k2")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let seq: i64 = sqlx::query_scalar(insert)
        .bind("k3")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(seq, 2, "a rolled-back insert leaves no gap");

    let update = sqlx::query("UPDATE messages SET body = 'rewritten'")
        .execute(&mut db)
        .await;
    assert!(update.is_err(), "messages are append-only");

    for (body, client_id) in [("", "k4"), (&"x".repeat(4001), "k5"), ("ok", "")] {
        let result = sqlx::query(
            "INSERT INTO messages (room, author, body, client_id) VALUES ('general', 'sql', $1, $2)",
        )
        .bind(body)
        .bind(client_id)
        .execute(&mut db)
        .await;
        assert!(
            result.is_err(),
            "body {:?} / client_id {client_id:?} must be refused",
            body.len()
        );
    }

    let unknown_room = sqlx::query(
        "INSERT INTO messages (room, author, body, client_id) VALUES ('nope', 'sql', 'x', 'k6')",
    )
    .execute(&mut db)
    .await;
    assert!(unknown_room.is_err());

    let last_seq: i64 = sqlx::query_scalar("SELECT last_seq FROM rooms WHERE name = 'general'")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(last_seq, 2, "refused inserts did not move the counter");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn catch_up_pages_after_a_seq() {
    let app = TestApp::spawn().await;
    let general = room("general");
    let mut db = app.db().await;
    sqlx::query(
        "INSERT INTO messages (room, author, body, client_id) \
         SELECT 'general', 'bulk', 'm' || i, 'bulk-' || i FROM generate_series(1, 520) AS i",
    )
    .execute(&mut db)
    .await
    .unwrap();

    let first = app.store.after(&general, 0).await.unwrap();
    assert_eq!(first.messages.len(), 500);
    assert!(first.more);
    assert_eq!(first.messages[0].seq, 1);
    let rest = app.store.after(&general, 500).await.unwrap();
    assert_eq!(
        rest.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (501..=520).collect::<Vec<_>>()
    );
    assert!(!rest.more);

    let latest = app.store.latest(&general).await.unwrap();
    assert_eq!(latest.len(), 50);
    assert_eq!(
        (latest[0].seq, latest[49].seq),
        (471, 520),
        "latest 50, oldest first"
    );
    assert!(
        latest[0].created_at.ends_with('Z'),
        "RFC 3339 UTC: {}",
        latest[0].created_at
    );
    app.stop().await.unwrap();
}
