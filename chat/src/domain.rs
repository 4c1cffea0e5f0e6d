//! Validated domain values: display names, room names, message bodies, client ids.
//!
//! Every user-supplied string passes through one of these parsers before it reaches
//! the store, whether it came from a form, a cookie or a socket.io payload.

use serde::Serialize;

use crate::error::ChatError;

/// Longest display name, in characters after trimming.
pub const MAX_NAME_CHARS: usize = 32;
/// Longest message body, in characters after trimming.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest client-chosen idempotency key.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// Longest room name.
pub const MAX_ROOM_CHARS: usize = 64;
/// The room every visitor lands in.
pub const DEFAULT_ROOM: &str = "general";

/// Invisible formatting characters (zero-width spaces and joiners, bidirectional
/// overrides, the byte-order mark, the soft hyphen) that could make a name blank or
/// spoof another's.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A person's display name: 1 to 32 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and validates a display name.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ChatError::Empty("name"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ChatError::TooLong {
                what: "name",
                max: MAX_NAME_CHARS,
            });
        }
        if name.chars().any(|c| c.is_control() || is_format_char(c)) {
            return Err(ChatError::Invalid(
                "name must not contain control or invisible formatting characters".into(),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A room name: lowercase letters, digits, `-` and `_`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RoomName(String);

impl RoomName {
    /// Validates a room name (no trimming: room names are identifiers).
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let valid_start = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid_rest = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if raw.is_empty() || raw.len() > MAX_ROOM_CHARS || !valid_start || !valid_rest {
            return Err(ChatError::Invalid(format!(
                "room must be 1 to {MAX_ROOM_CHARS} of a-z, 0-9, '-' and '_', starting with a letter or digit"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The room every visitor lands in.
    pub fn default_room() -> Self {
        Self(DEFAULT_ROOM.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message body: 1 to 4,000 characters after trimming, without NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Trims and validates a message body.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        if raw.contains('\0') {
            return Err(ChatError::Invalid("body must not contain NUL".into()));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ChatError::Invalid(
                "body must not contain control characters other than newlines and tabs".into(),
            ));
        }
        let body = raw.trim();
        if body.chars().all(|c| c.is_whitespace() || is_format_char(c)) {
            return Err(ChatError::Empty("body"));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(ChatError::TooLong {
                what: "body",
                max: MAX_BODY_CHARS,
            });
        }
        Ok(Self(body.to_owned()))
    }

    /// The body as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sender's idempotency key: resending the same one returns the original message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    /// Validates a client id: 1 to 64 printable ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let printable = raw.bytes().all(|b| b.is_ascii_graphic());
        if raw.is_empty() || raw.len() > MAX_CLIENT_ID_CHARS || !printable {
            return Err(ChatError::Invalid(format!(
                "client_id must be 1 to {MAX_CLIENT_ID_CHARS} printable ASCII characters"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh random id, for senders (such as the plain HTML form) that have none.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: std::fmt::Debug>(result: Result<T, ChatError>, expected: Result<&str, &str>) {
        match (result, expected) {
            (Ok(_), Ok(_)) => {}
            (Err(error), Err(code)) => assert_eq!(error.code(), code, "{error}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn display_names() {
        check(DisplayName::parse("ada"), Ok("ada"));
        check(DisplayName::parse("  ada  "), Ok("ada"));
        check(DisplayName::parse(&"é".repeat(32)), Ok(""));
        check(DisplayName::parse(&"é".repeat(33)), Err("too_long"));
        check(DisplayName::parse("   "), Err("empty"));
        check(DisplayName::parse(""), Err("empty"));
        check(DisplayName::parse("a\u{7}b"), Err("invalid"));
        check(DisplayName::parse("a\nb"), Err("invalid"));
        check(DisplayName::parse("\u{200B}"), Err("invalid"));
        check(DisplayName::parse("\u{202E}evil"), Err("invalid"));
        check(DisplayName::parse("\u{FEFF}ada"), Err("invalid"));
        check(DisplayName::parse("Zoë 🦀"), Ok(""));
        assert_eq!(DisplayName::parse(" x ").unwrap().as_str(), "x");
    }

    #[test]
    fn room_names() {
        check(RoomName::parse("general"), Ok(""));
        check(RoomName::parse("team-1_a"), Ok(""));
        check(RoomName::parse(""), Err("invalid"));
        check(RoomName::parse("-x"), Err("invalid"));
        check(RoomName::parse("General"), Err("invalid"));
        check(RoomName::parse("a b"), Err("invalid"));
        check(RoomName::parse(&"a".repeat(65)), Err("invalid"));
    }

    #[test]
    fn message_bodies() {
        check(MessageBody::parse("hi"), Ok(""));
        check(MessageBody::parse(&"x".repeat(4000)), Ok(""));
        check(
            MessageBody::parse(&format!("  {}  ", "x".repeat(4000))),
            Ok(""),
        );
        check(MessageBody::parse(&"x".repeat(4001)), Err("too_long"));
        check(MessageBody::parse(" \n\t "), Err("empty"));
        check(MessageBody::parse("a\0b"), Err("invalid"));
        check(MessageBody::parse("a\u{1b}[31mb"), Err("invalid"));
        check(MessageBody::parse("bell\u{7}"), Err("invalid"));
        check(MessageBody::parse("\u{a0}\u{200b}"), Err("empty"));
        check(MessageBody::parse("line\r\n\tindented"), Ok(""));
        check(MessageBody::parse("a\u{200d}b"), Ok(""));
        assert_eq!(MessageBody::parse(" hi\n").unwrap().as_str(), "hi");
    }

    #[test]
    fn client_ids() {
        check(ClientId::parse("abc-123"), Ok(""));
        check(ClientId::parse(""), Err("invalid"));
        check(ClientId::parse("a b"), Err("invalid"));
        check(ClientId::parse(&"a".repeat(65)), Err("invalid"));
        assert_ne!(ClientId::random(), ClientId::random());
    }
}
