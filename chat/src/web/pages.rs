//! The server-rendered pages. They work as plain HTML forms; `static/app.js` then
//! makes them live over socket.io.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::Markup;
use serde::Deserialize;

use crate::domain::{ClientId, DisplayName, MessageBody, RoomName};
use crate::error::ChatError;
use crate::views;
use crate::AppState;

/// The cookie that remembers the display name picked on the name form.
const NAME_COOKIE: &str = "livechat_name";

/// `GET /`: the name form, or the `general` room once a name is set.
pub async fn home(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ChatError> {
    render_room(&state, &jar, RoomName::default_room(), None).await
}

/// `GET /r/{room}`: a room page.
pub async fn room(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(room): Path<String>,
) -> Result<Response, ChatError> {
    let room = RoomName::parse(&room)?;
    render_room(&state, &jar, room, None).await
}

async fn render_room(
    state: &AppState,
    jar: &CookieJar,
    room: RoomName,
    error: Option<&ChatError>,
) -> Result<Response, ChatError> {
    let Some(name) = name_from(jar) else {
        return Ok(views::name_page("", None).into_response());
    };
    state.store.ensure_room(&room).await?;
    let messages = state.store.latest(&room).await?;
    let page = views::room_page(&name, &room, &messages, &ClientId::random(), error);
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    Ok((status, page).into_response())
}

fn name_from(jar: &CookieJar) -> Option<DisplayName> {
    jar.get(NAME_COOKIE)
        .and_then(|cookie| DisplayName::parse(cookie.value()).ok())
}

/// The name form's fields.
#[derive(Debug, Deserialize)]
pub struct NameForm {
    name: String,
}

/// `POST /session`: remembers the display name, then back to the room.
pub async fn set_name(jar: CookieJar, Form(form): Form<NameForm>) -> Response {
    match DisplayName::parse(&form.name) {
        Ok(name) => {
            let cookie = Cookie::build((NAME_COOKIE, name.as_str().to_owned()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .max_age(time::Duration::days(365))
                .build();
            (jar.add(cookie), Redirect::to("/")).into_response()
        }
        Err(error) => {
            let page: Markup = views::name_page(&form.name, Some(&error));
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}

/// The send form's fields.
#[derive(Debug, Deserialize)]
pub struct MessageForm {
    body: String,
    client_id: String,
}

/// `POST /r/{room}/messages`: sends a message without JavaScript.
pub async fn post_message(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(room): Path<String>,
    Form(form): Form<MessageForm>,
) -> Result<Response, ChatError> {
    let room = RoomName::parse(&room)?;
    let Some(author) = name_from(&jar) else {
        return Ok(Redirect::to("/").into_response());
    };
    let parsed = MessageBody::parse(&form.body)
        .and_then(|body| Ok((body, ClientId::parse(&form.client_id)?)));
    let (body, client_id) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return render_room(&state, &jar, room, Some(&error)).await,
    };
    state.store.ensure_room(&room).await?;
    let stored = state
        .store
        .insert_message(&room, &author, &body, &client_id)
        .await?;
    if let crate::store::Stored::Inserted(message) = &stored {
        state.broadcast(&room, message).await;
    }
    Ok(Redirect::to(&views::room_path(&room)).into_response())
}
