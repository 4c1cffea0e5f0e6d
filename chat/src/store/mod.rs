//! All SQL lives here. Queries are checked at compile time against `chat/.sqlx`.
//!
//! The ordering and idempotency rules are enforced by the schema itself (see
//! `migrations/`); this module only asks for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{ClientId, DisplayName, MessageBody, RoomName};
use crate::error::ChatError;

/// The migrations embedded in the binary, run at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many messages a room page and a plain `join` show.
pub const HISTORY_PAGE: i64 = 50;
/// The most messages one `join` with `after_seq` returns.
pub const CATCH_UP_LIMIT: i64 = 500;

/// A stored message, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: Uuid,
    pub room: String,
    pub seq: i64,
    pub author: String,
    pub body: String,
    pub client_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// What storing a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The message is new and now durable.
    Inserted(Message),
    /// The `(room, client_id)` was already stored; this is the original message.
    Duplicate(Message),
}

/// A page of messages after a given `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    pub messages: Vec<Message>,
    /// True when more messages follow the last one returned.
    pub more: bool,
}

/// A cheap, cloneable handle over the connection pool.
#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    migrated: Arc<AtomicBool>,
}

struct MessageRow {
    id: Uuid,
    room: String,
    seq: i64,
    author: String,
    body: String,
    client_id: String,
    created_at: OffsetDateTime,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        let created_at = row
            .created_at
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default();
        Message {
            id: row.id,
            room: row.room,
            seq: row.seq,
            author: row.author,
            body: row.body,
            client_id: row.client_id,
            created_at,
        }
    }
}

impl Store {
    /// A pool that connects lazily, so the service starts even while the database is down.
    pub fn connect_lazy(options: PgConnectOptions) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        Self {
            pool,
            migrated: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs the embedded migrations once; afterwards the store reports ready.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Retries [`Store::migrate`] with capped backoff until it succeeds.
    ///
    /// The database may come up after the service (a fresh container, a restarting
    /// Supabase pooler); the service keeps answering `/healthz` meanwhile.
    pub async fn migrate_until_ready(&self) {
        let mut delay = Duration::from_millis(250);
        loop {
            match self.migrate().await {
                Ok(()) => {
                    tracing::info!("database reachable and migrated");
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?delay, "database not ready");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// True when the migrations ran and the database answers now.
    pub async fn is_ready(&self) -> bool {
        if !self.migrated.load(Ordering::Acquire) {
            return false;
        }
        let probe = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Ok(1))
        )
    }

    fn require_ready(&self) -> Result<(), ChatError> {
        if self.migrated.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(ChatError::Unavailable(None))
        }
    }

    /// Creates the room if it does not exist yet.
    pub async fn ensure_room(&self, room: &RoomName) -> Result<(), ChatError> {
        self.require_ready()?;
        sqlx::query!(
            "INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            room.as_str()
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores a message, or returns the original if `(room, client_id)` was stored before.
    ///
    /// When this returns, the message is committed.
    pub async fn insert_message(
        &self,
        room: &RoomName,
        author: &DisplayName,
        body: &MessageBody,
        client_id: &ClientId,
    ) -> Result<Stored, ChatError> {
        self.require_ready()?;
        // The trigger assigns `seq` and skips a duplicate (returning no row).
        let inserted = sqlx::query_as!(
            MessageRow,
            r#"INSERT INTO messages (room, author, body, client_id)
               VALUES ($1, $2, $3, $4)
               RETURNING id, room, seq, author, body, client_id, created_at"#,
            room.as_str(),
            author.as_str(),
            body.as_str(),
            client_id.as_str()
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = inserted {
            return Ok(Stored::Inserted(row.into()));
        }
        let original = sqlx::query_as!(
            MessageRow,
            r#"SELECT id, room, seq, author, body, client_id, created_at
               FROM messages WHERE room = $1 AND client_id = $2"#,
            room.as_str(),
            client_id.as_str()
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Stored::Duplicate(original.into()))
    }

    /// The latest [`HISTORY_PAGE`] messages of a room, oldest first.
    pub async fn latest(&self, room: &RoomName) -> Result<Vec<Message>, ChatError> {
        self.require_ready()?;
        let mut rows = sqlx::query_as!(
            MessageRow,
            r#"SELECT id, room, seq, author, body, client_id, created_at
               FROM messages WHERE room = $1 ORDER BY seq DESC LIMIT $2"#,
            room.as_str(),
            HISTORY_PAGE
        )
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows.into_iter().map(Message::from).collect())
    }

    /// Every message with `seq > after_seq`, oldest first, at most [`CATCH_UP_LIMIT`].
    pub async fn after(&self, room: &RoomName, after_seq: i64) -> Result<CatchUp, ChatError> {
        self.require_ready()?;
        let mut rows = sqlx::query_as!(
            MessageRow,
            r#"SELECT id, room, seq, author, body, client_id, created_at
               FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3"#,
            room.as_str(),
            after_seq,
            CATCH_UP_LIMIT + 1
        )
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > CATCH_UP_LIMIT;
        rows.truncate(CATCH_UP_LIMIT as usize);
        Ok(CatchUp {
            messages: rows.into_iter().map(Message::from).collect(),
            more,
        })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
