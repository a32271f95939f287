//! The user's Durable Object as the other end of live-updates sockets: it
//! opens them with the WebSocket Hibernation API (an idle socket costs
//! nothing; the object may sleep while sockets stay open), tells every one
//! "changed" after anything is recorded, and closes each when its session
//! ends or the user is erased.

use worker::{Response, SqlStorageValue, WebSocket, WebSocketPair};

use crate::live::{CHANGED, CLOSE_SESSION_EXPIRED, SocketGrant, admit_socket, socket_expired};
use crate::user_state_do::UserState;

impl UserState {
    /// Opens a socket for a grant the Worker checked: its nonce unused,
    /// and the user under the cap. Anything else answers a plain status the
    /// Worker turns into a problem.
    pub(crate) async fn open_socket(&self, query: &str) -> worker::Result<Response> {
        let Some(grant) = SocketGrant::from_query(query) else {
            return Ok(Response::empty()?.with_status(400));
        };
        let now = crate::isolate::now_ms();
        self.close_expired(now);
        if self.used_or_reserved(&grant.nonce)? {
            return Ok(Response::empty()?.with_status(401));
        }
        if admit_socket(self.state.get_websockets().len()).is_err() {
            return Ok(Response::empty()?.with_status(429));
        }
        self.sql.exec(
            "INSERT INTO used_states (nonce, expires_at_ms) VALUES (?, ?)",
            vec![
                grant.nonce.as_str().into(),
                SqlStorageValue::try_from_i64(grant.ticket_expires_at_ms)?,
            ],
        )?;
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(grant.until_ms)?;
        self.wake_for_sockets().await?;
        Response::from_websocket(pair.client)
    }

    /// After a change: every open socket hears it; ended sessions' sockets
    /// are closed instead.
    pub(crate) fn notify_changed(&self) {
        let now = crate::isolate::now_ms();
        for socket in self.state.get_websockets() {
            if until(&socket).is_some_and(|until| !socket_expired(until, now)) {
                // A socket that cannot take a message is closing anyway.
                let _ = socket.send_with_str(CHANGED);
            } else {
                close(&socket, CLOSE_SESSION_EXPIRED, "session expired");
            }
        }
    }

    /// Closes every socket (`code` says why).
    pub(crate) fn close_all(&self, code: u16, reason: &str) {
        for socket in self.state.get_websockets() {
            close(&socket, code, reason);
        }
    }

    /// Closes sockets whose session has ended; the earliest end of those
    /// left, if any.
    pub(crate) fn close_expired(&self, now_ms: i64) -> Option<i64> {
        let mut next = None::<i64>;
        for socket in self.state.get_websockets() {
            match until(&socket) {
                Some(until) if !socket_expired(until, now_ms) => {
                    next = Some(next.map_or(until, |next| next.min(until)));
                }
                _ => close(&socket, CLOSE_SESSION_EXPIRED, "session expired"),
            }
        }
        next
    }

    /// Makes sure the alarm fires by the time the first open session ends,
    /// so its socket is closed then even if nothing changes.
    pub(crate) async fn wake_for_sockets(&self) -> worker::Result<()> {
        let Some(first_end) = self.close_expired(crate::isolate::now_ms()) else {
            return Ok(());
        };
        let storage = self.state.storage();
        if storage
            .get_alarm()
            .await?
            .is_none_or(|alarm| alarm > first_end)
        {
            storage
                .set_alarm(first_end - crate::isolate::now_ms())
                .await?;
        }
        Ok(())
    }

    /// A message from a widget: `ping` is answered, so a widget can tell a
    /// dead connection from a quiet one; an ended session's socket closes.
    pub(crate) fn socket_message(&self, socket: &WebSocket, text: Option<&str>) {
        let now = crate::isolate::now_ms();
        if until(socket).is_none_or(|until| socket_expired(until, now)) {
            close(socket, CLOSE_SESSION_EXPIRED, "session expired");
        } else if text == Some("ping") {
            let _ = socket.send_with_str("pong");
        }
    }
}

/// The session's end (Unix ms) kept with the socket across hibernation.
fn until(socket: &WebSocket) -> Option<i64> {
    socket.deserialize_attachment::<i64>().ok().flatten()
}

fn close(socket: &WebSocket, code: u16, reason: &str) {
    // Closing a socket that is already closing fails harmlessly.
    let _ = socket.close(Some(code), Some(reason));
}
