//! Maud views: plain functions over data already fetched. No view touches the store.

use maud::{html, Markup, DOCTYPE};

use crate::domain::{ClientId, DisplayName, RoomName, MAX_BODY_CHARS, MAX_NAME_CHARS};
use crate::error::ChatError;
use crate::store::Message;

/// The path of a room's page.
pub fn room_path(room: &RoomName) -> String {
    if room.as_str() == crate::domain::DEFAULT_ROOM {
        "/".to_owned()
    } else {
        format!("/r/{}", room.as_str())
    }
}

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · livechat" }
                link rel="stylesheet" href="/static/app.css";
            }
            body { (body) }
        }
    }
}

/// The form that asks for a display name.
pub fn name_page(value: &str, error: Option<&ChatError>) -> Markup {
    layout(
        "Pick a name",
        html! {
            main.card {
                h1 { "livechat" }
                form method="post" action="/session" {
                    label for="name" { "Pick a display name" }
                    input #name name="name" value=(value) required autofocus
                        maxlength=(MAX_NAME_CHARS) autocomplete="nickname";
                    @if let Some(error) = error {
                        p.error role="alert" { (error) }
                    }
                    button type="submit" { "Enter the chat" }
                }
            }
        },
    )
}

/// A room: its latest messages, oldest first, and the send form.
pub fn room_page(
    name: &DisplayName,
    room: &RoomName,
    messages: &[Message],
    client_id: &ClientId,
    error: Option<&ChatError>,
) -> Markup {
    let last_seq = messages.last().map_or(0, |message| message.seq);
    let action = format!("/r/{}/messages", room.as_str());
    layout(
        &format!("#{}", room.as_str()),
        html! {
            header.bar {
                h1 { "#" (room.as_str()) }
                span #status.status data-state="offline" { "offline" }
                span.me { "You are " strong { (name.as_str()) } }
            }
            main #chat data-room=(room.as_str()) data-name=(name.as_str()) data-last-seq=(last_seq) {
                ol #messages aria-live="polite" {
                    @for message in messages {
                        (message_item(message))
                    }
                }
            }
            form #send method="post" action=(action) {
                input type="hidden" name="client_id" value=(client_id.as_str());
                textarea #body name="body" rows="2" required maxlength=(MAX_BODY_CHARS)
                    placeholder={ "Message #" (room.as_str()) } {}
                button type="submit" { "Send" }
                p #send-error.error role="alert" {
                    @if let Some(error) = error { (error) }
                }
                p #pending.pending aria-live="polite" {}
            }
            script src="/static/vendor/socket.io.min.js" {}
            script src="/static/app.js" {}
        },
    )
}

/// One message; `static/app.js` builds the same markup for live messages.
pub fn message_item(message: &Message) -> Markup {
    html! {
        li.message id={ "m-" (message.seq) } data-seq=(message.seq) data-id=(message.id) {
            span.author { (message.author) }
            time datetime=(message.created_at) { (display_time(&message.created_at)) }
            p.body { (message.body) }
        }
    }
}

/// `2026-12-03T17:13:16.51Z` as `2026-12-03 17:13 UTC`, for readers without JavaScript
/// (the script shows local time instead).
fn display_time(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replacen('T', " ", 1)),
        None => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_minutes_in_utc() {
        assert_eq!(
            display_time("2026-12-03T17:13:16.513508Z"),
            "2026-12-03 17:13 UTC"
        );
        assert_eq!(display_time("short"), "short");
    }

    #[test]
    fn user_strings_are_escaped() {
        let message = Message {
            id: uuid::Uuid::nil(),
            room: "general".into(),
            seq: 1,
            author: "<b>eve</b>".into(),
            body: "<script>alert(1)</script>\"'&".into(),
            client_id: "c".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        let html = message_item(&message).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;"),
            "{html}"
        );

        let name = DisplayName::parse("\"><img src=x>").unwrap();
        let page = room_page(
            &name,
            &RoomName::default_room(),
            &[message],
            &ClientId::random(),
            None,
        )
        .into_string();
        assert!(!page.contains("<img"), "{page}");
    }
}
