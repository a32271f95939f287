//! Minting sessions: for the host's backend (API key), and for the edge's
//! own demo page (sandbox only).

use healthlink_shared::{CreateSessionRequest, SessionResponse};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::Aggregator;
use crate::error::ApiError;
use crate::session;
use crate::time::rfc3339_from_unix_ms;
use crate::user_store::UserStore;

/// The demo page's fixed user (sandbox only).
pub const DEMO_USER: &str = "demo-user";

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    pub(super) fn create_session(&self, request: CreateSessionRequest) -> Result<Reply, ApiError> {
        self.mint(request, &self.config.allowed_origins)
    }

    /// The demo page's session: only with the sandbox, and only for a page
    /// on this edge's own origin, bound to that origin alone.
    pub(super) fn demo_session(&self, origin: Option<&str>) -> Result<Reply, ApiError> {
        self.demo_session_allowed(origin)?;
        let request = CreateSessionRequest {
            user_id: DEMO_USER.into(),
            ..Default::default()
        };
        self.mint(request, &[self.edge_origin.to_owned()])
    }

    /// Only on a demo edge, and only for a page on the edge's own origin.
    pub(super) fn demo_session_allowed(&self, origin: Option<&str>) -> Result<(), ApiError> {
        if !self.config.demo_enabled() {
            return Err(ApiError::NotFound);
        }
        if origin != Some(self.edge_origin) {
            return Err(ApiError::OriginNotAllowed);
        }
        Ok(())
    }

    fn mint(
        &self,
        request: CreateSessionRequest,
        embed_origins: &[String],
    ) -> Result<Reply, ApiError> {
        let (session_token, expires_at) =
            session::mint(request, self.config, embed_origins, self.signer, self.now())?;
        Reply::json(
            201,
            &SessionResponse {
                session_token,
                expires_at: rfc3339_from_unix_ms(expires_at * 1000),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::SessionResponse;

    use super::super::testing::{EDGE_ORIGIN, Harness, json};
    use crate::error::ApiError;

    #[test]
    fn the_demo_session_is_for_the_edges_own_page_only() {
        let harness = Harness::sandbox();
        let reply = harness.post("/demo/session", Some(EDGE_ORIGIN), None, "");
        let body: SessionResponse = json(&reply.unwrap());
        let claims = harness.verify_session(&body.session_token);
        assert_eq!(claims.sub, super::DEMO_USER);
        assert_eq!(claims.org, [EDGE_ORIGIN]);
        for origin in [None, Some("https://app.example.com")] {
            assert_eq!(
                harness.post("/demo/session", origin, None, "").unwrap_err(),
                ApiError::OriginNotAllowed,
                "{origin:?}"
            );
        }
    }

    #[test]
    fn no_demo_session_without_the_sandbox() {
        let harness = Harness::rook();
        assert_eq!(
            harness
                .post("/demo/session", Some(EDGE_ORIGIN), None, "")
                .unwrap_err(),
            ApiError::NotFound
        );
    }

    #[test]
    fn the_backend_mints_sessions_with_its_key() {
        let harness = Harness::sandbox();
        let reply = harness
            .backend_post(
                "/v1/sessions",
                r#"{"user_id":"alice","actor_id":"dr-jones"}"#,
            )
            .unwrap();
        assert_eq!(reply.status, 201);
        let body: SessionResponse = json(&reply);
        assert_eq!(harness.verify_session(&body.session_token).sub, "alice");
        assert_eq!(
            harness
                .post(
                    "/v1/sessions",
                    None,
                    Some("Bearer wrong"),
                    r#"{"user_id":"a"}"#
                )
                .unwrap_err(),
            ApiError::Unauthorized
        );
    }
}
