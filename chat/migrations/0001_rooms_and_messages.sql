-- Rooms and their messages. The database, not only the Rust code, enforces the
-- ordering and idempotency rules of docs/ARCHITECTURE.md:
--   * seq is per room, 1, 2, 3 … with no gaps, in commit order;
--   * (room, client_id) is unique, and re-inserting it stores nothing.

CREATE TABLE rooms (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    last_seq   bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    room       text NOT NULL REFERENCES rooms (name),
    seq        bigint NOT NULL CHECK (seq > 0),
    author     text NOT NULL CHECK (char_length(author) BETWEEN 1 AND 32),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    client_id  text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_room_seq_key UNIQUE (room, seq),
    CONSTRAINT messages_room_client_id_key UNIQUE (room, client_id)
);

-- Assigns seq inside the inserting transaction. The room row stays locked until that
-- transaction ends, so inserts into one room are serialised: seq follows commit order,
-- and a rollback also rolls the counter back, leaving no gap. A duplicate
-- (room, client_id) is skipped (the INSERT returns no row) before the counter moves.
CREATE FUNCTION messages_assign_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM rooms WHERE name = NEW.room FOR UPDATE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('room %L does not exist', NEW.room);
    END IF;
    IF EXISTS (SELECT 1 FROM messages WHERE room = NEW.room AND client_id = NEW.client_id) THEN
        RETURN NULL;
    END IF;
    UPDATE rooms SET last_seq = last_seq + 1 WHERE name = NEW.room RETURNING last_seq INTO NEW.seq;
    RETURN NEW;
END
$$;

CREATE TRIGGER messages_assign_seq
    BEFORE INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_assign_seq();

-- Stored messages are history: they are never rewritten.
CREATE FUNCTION messages_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'messages are append-only';
END
$$;

CREATE TRIGGER messages_immutable
    BEFORE UPDATE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_immutable();

INSERT INTO rooms (name) VALUES ('general');
