//! Live updates for open widgets: a ticket for the session's user, and the
//! socket request that spends it (the user's object opens the socket).

use healthlink_shared::Scope;

use super::edge::{Edge, Incoming, Runtime};
use super::reply::{LiveSocket, Reply};
use crate::aggregator::{Aggregator, query_value};
use crate::error::ApiError;
use crate::live::{LiveTicket, SocketGrant};
use crate::time::rfc3339_from_unix_ms;
use crate::user_id::UserId;
use crate::user_store::UserStore;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// `POST /v1/live/ticket`: a read session's ticket, bound to the page
    /// that asked.
    pub(super) async fn live_ticket(&self, request: &Incoming<'_>) -> Result<Reply, ApiError> {
        let session = self.session(request, Scope::Read)?;
        let user = session.user()?;
        self.session_outlived_erasure(&session, &user).await?;
        let ticket = LiveTicket::mint(&session, request.origin, self.runtime.nonce()?, self.now());
        Reply::json(
            201,
            &serde_json::json!({
                "ticket": ticket.sign(self.signer),
                "expires_at": rfc3339_from_unix_ms(ticket.exp * 1000),
            }),
        )
    }

    /// `GET /v1/live?ticket=…`: a WebSocket upgrade with a valid ticket
    /// from its own page goes to the user's object.
    pub(super) fn live(&self, request: &Incoming<'_>) -> Result<Reply, ApiError> {
        if !request.upgrade_websocket {
            return Err(ApiError::invalid(
                "This route opens a WebSocket: send `Upgrade: websocket`.",
            ));
        }
        let ticket = LiveTicket::verify(
            query_value(request.query, "ticket"),
            request.origin,
            self.signer,
            self.now(),
        )?;
        Ok(Reply {
            live: Some(LiveSocket {
                user: UserId::parse(&ticket.u)?,
                grant: SocketGrant {
                    nonce: ticket.n,
                    ticket_expires_at_ms: ticket.exp * 1000,
                    until_ms: ticket.until * 1000,
                },
            }),
            ..Reply::empty(101)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{APP_ORIGIN, Harness, json};
    use crate::error::ApiError;

    fn ticket(harness: &Harness, user: &str) -> String {
        let reply = harness.widget_post(user, "/v1/live/ticket", "").unwrap();
        assert_eq!(reply.status, 201);
        let body: serde_json::Value = json(&reply);
        body["ticket"].as_str().unwrap().to_owned()
    }

    #[test]
    fn a_ticket_opens_the_users_socket_from_its_page() {
        let harness = Harness::sandbox();
        let ticket = ticket(&harness, "alice");
        let reply = harness
            .socket(&[("ticket", ticket.as_str())], Some(APP_ORIGIN))
            .unwrap();
        let live = reply.live.expect("a socket for the object to open");
        assert_eq!(live.user.as_str(), "alice");
        assert!(live.grant.until_ms > live.grant.ticket_expires_at_ms);
        // From another page, or without one: refused (the Worker's CORS
        // check refuses a foreign origin before this, too).
        for origin in [Some("https://evil.example"), None] {
            assert_eq!(
                harness
                    .socket(&[("ticket", ticket.as_str())], origin)
                    .unwrap_err(),
                ApiError::Unauthorized
            );
        }
    }

    #[test]
    fn tickets_expire_and_are_no_sessions() {
        let harness = Harness::sandbox();
        let ticket = ticket(&harness, "alice");
        harness.advance_seconds(31);
        assert_eq!(
            harness
                .socket(&[("ticket", ticket.as_str())], Some(APP_ORIGIN))
                .unwrap_err(),
            ApiError::Unauthorized
        );
        // A session token is not a ticket.
        let session = harness.session_with(r#"{"user_id":"alice"}"#);
        assert_eq!(
            harness
                .socket(&[("ticket", session.as_str())], Some(APP_ORIGIN))
                .unwrap_err(),
            ApiError::Unauthorized
        );
        // Nor is a plain GET a socket.
        let fresh = super::tests::ticket(&harness, "alice");
        assert!(matches!(
            harness.get_query("/v1/live", &[("ticket", fresh.as_str())]),
            Err(ApiError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn a_ticket_needs_a_read_session_and_no_erasure_since() {
        let harness = Harness::sandbox();
        assert_eq!(
            harness
                .post("/v1/live/ticket", Some(APP_ORIGIN), None, "")
                .unwrap_err(),
            ApiError::Unauthorized
        );
        let token = harness.session_with(r#"{"user_id":"alice","scopes":["connect"]}"#);
        assert_eq!(
            harness
                .post(
                    "/v1/live/ticket",
                    Some(APP_ORIGIN),
                    Some(&format!("Bearer {token}")),
                    ""
                )
                .unwrap_err(),
            ApiError::MissingScope { scope: "read" }
        );
        let old = harness.session_with(r#"{"user_id":"alice"}"#);
        harness.advance_seconds(1);
        harness.backend_delete("/v1/users/alice").unwrap();
        assert_eq!(
            harness
                .post(
                    "/v1/live/ticket",
                    Some(APP_ORIGIN),
                    Some(&format!("Bearer {old}")),
                    ""
                )
                .unwrap_err(),
            ApiError::SessionExpired
        );
    }
}
