//! Live updates: an open widget keeps a WebSocket to its user's Durable
//! Object and hears "changed" whenever anything is recorded for the user,
//! by any path. The socket is opened with a ticket, never the session
//! token: a URL can end up in logs, so what it carries is single-use,
//! lives seconds, and is bound to the user, the embedding origin and the
//! session's own expiry, after which the object closes the socket.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::session::SessionClaims;
use crate::signing::{Expiring, Signer, TokenKind};

/// How long a ticket may wait before its socket is opened.
pub const TICKET_TTL_SECONDS: i64 = 30;
/// Open sockets per user: several tabs and devices, not a flood.
pub const MAX_SOCKETS_PER_USER: usize = 8;
/// The close code a socket gets when its session has expired (the widget
/// asks its host for a new session, as after any `session_expired`).
pub const CLOSE_SESSION_EXPIRED: u16 = 4001;
/// The close code when the user was erased: old sessions are over.
pub const CLOSE_ERASED: u16 = 4002;
/// What every socket hears after a change: read the list again. No
/// statuses travel over the socket, so nothing new needs guarding.
pub const CHANGED: &str = r#"{"type":"changed"}"#;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTicket {
    /// User id.
    pub u: String,
    /// The origin of the page that asked (the socket must come from it).
    pub o: Option<String>,
    /// The session's expiry: the socket closes then.
    pub until: i64,
    /// Single use: consumed by the user's object when the socket opens.
    pub n: String,
    pub exp: i64,
}

impl Expiring for LiveTicket {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

impl LiveTicket {
    /// A ticket for the session's user, from `origin`, valid for
    /// [`TICKET_TTL_SECONDS`] (never past the session).
    pub fn mint(session: &SessionClaims, origin: Option<&str>, nonce: String, now: i64) -> Self {
        Self {
            u: session.sub.clone(),
            o: origin.map(str::to_owned),
            until: session.exp,
            n: nonce,
            exp: (now + TICKET_TTL_SECONDS).min(session.exp),
        }
    }

    pub fn sign(&self, signer: &Signer) -> String {
        signer.sign(TokenKind::LiveTicket, self)
    }

    /// A ticket presented with a socket request from `origin`: signed by
    /// us, unexpired, and from the page it was issued to. Every failure is
    /// the same `401`.
    pub fn verify(
        token: Option<&str>,
        origin: Option<&str>,
        signer: &Signer,
        now: i64,
    ) -> Result<Self, ApiError> {
        let ticket: Self = signer
            .verify(
                TokenKind::LiveTicket,
                token.ok_or(ApiError::Unauthorized)?,
                now,
            )
            .map_err(|_| ApiError::Unauthorized)?;
        if ticket.o.as_deref() != origin || ticket.until <= now {
            return Err(ApiError::Unauthorized);
        }
        Ok(ticket)
    }
}

/// The user's object's path for opening a socket.
pub const SOCKET_PATH: &str = "/live";

/// What the Worker tells the user's object about a socket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketGrant {
    /// The ticket's nonce, consumed when the socket opens.
    pub nonce: String,
    /// Unix ms: how long the nonce must be remembered (the ticket's expiry).
    pub ticket_expires_at_ms: i64,
    /// Unix ms: the session's expiry, when the socket is closed.
    pub until_ms: i64,
}

impl SocketGrant {
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("nonce", &self.nonce)
            .append_pair("ticket_expires", &self.ticket_expires_at_ms.to_string())
            .append_pair("until", &self.until_ms.to_string())
            .finish()
    }

    pub fn from_query(query: &str) -> Option<Self> {
        let mut nonce = None;
        let (mut ticket_expires_at_ms, mut until_ms) = (None, None);
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "nonce" => nonce = Some(value.into_owned()),
                "ticket_expires" => ticket_expires_at_ms = value.parse().ok(),
                "until" => until_ms = value.parse().ok(),
                _ => {}
            }
        }
        Some(Self {
            nonce: nonce.filter(|nonce| !nonce.is_empty())?,
            ticket_expires_at_ms: ticket_expires_at_ms?,
            until_ms: until_ms?,
        })
    }
}

/// Whether one more socket may open for a user with `open` already.
pub fn admit_socket(open: usize) -> Result<(), ApiError> {
    if open >= MAX_SOCKETS_PER_USER {
        return Err(ApiError::TooManyConnections);
    }
    Ok(())
}

/// What an open socket is owed now: kept, or closed because its session
/// ended (`until` in Unix ms).
pub fn socket_expired(until_ms: i64, now_ms: i64) -> bool {
    until_ms <= now_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(exp: i64) -> SessionClaims {
        SessionClaims {
            sub: "alice".into(),
            org: vec!["https://app.example.com".into()],
            scp: healthlink_shared::Scope::ALL.to_vec(),
            act: None,
            loc: None,
            src: None,
            ret: None,
            iat: 0,
            exp,
        }
    }

    const ORIGIN: Option<&str> = Some("https://app.example.com");

    #[test]
    fn a_ticket_opens_a_socket_for_its_user_from_its_page_for_seconds() {
        let signer = Signer::new(&[1; 32]);
        let ticket = LiveTicket::mint(&session(1_000), ORIGIN, "n1".into(), 100);
        assert_eq!(ticket.exp, 100 + TICKET_TTL_SECONDS);
        assert_eq!(ticket.until, 1_000);
        let token = ticket.sign(&signer);
        assert_eq!(
            LiveTicket::verify(Some(&token), ORIGIN, &signer, 110),
            Ok(ticket.clone())
        );
        for (token, origin, now) in [
            (Some(token.as_str()), ORIGIN, 100 + TICKET_TTL_SECONDS + 1),
            (Some(token.as_str()), Some("https://evil.example"), 110),
            (Some(token.as_str()), None, 110),
            (None, ORIGIN, 110),
            (Some("hlt1.e30.AAAA"), ORIGIN, 110),
        ] {
            assert_eq!(
                LiveTicket::verify(token, origin, &signer, now),
                Err(ApiError::Unauthorized),
                "{origin:?} at {now}"
            );
        }
        // Another key's ticket, or a session token, is not a ticket.
        let other = Signer::new(&[2; 32]);
        assert!(LiveTicket::verify(Some(&ticket.sign(&other)), ORIGIN, &signer, 110).is_err());
        let session_token = signer.sign(TokenKind::Session, &session(1_000));
        assert!(LiveTicket::verify(Some(&session_token), ORIGIN, &signer, 110).is_err());
    }

    #[test]
    fn a_ticket_never_outlives_its_session() {
        let ticket = LiveTicket::mint(&session(105), ORIGIN, "n1".into(), 100);
        assert_eq!(ticket.exp, 105);
        let signer = Signer::new(&[1; 32]);
        assert!(LiveTicket::verify(Some(&ticket.sign(&signer)), ORIGIN, &signer, 105).is_err());
    }

    #[test]
    fn a_grant_survives_its_query() {
        let grant = SocketGrant {
            nonce: "a b&c".into(),
            ticket_expires_at_ms: 5,
            until_ms: 9,
        };
        assert_eq!(SocketGrant::from_query(&grant.to_query()), Some(grant));
        assert_eq!(
            SocketGrant::from_query("nonce=&ticket_expires=1&until=2"),
            None
        );
        assert_eq!(SocketGrant::from_query("nonce=n&until=2"), None);
    }

    #[test]
    fn sockets_are_capped_and_end_with_their_session() {
        for open in 0..MAX_SOCKETS_PER_USER {
            assert_eq!(admit_socket(open), Ok(()));
        }
        assert_eq!(
            admit_socket(MAX_SOCKETS_PER_USER),
            Err(ApiError::TooManyConnections)
        );
        assert!(!socket_expired(2_000, 1_999));
        assert!(socket_expired(2_000, 2_000));
    }
}
