//! Ending a source's connection, from the widget or the host's backend:
//! revoke at the aggregator, then record what it said. Two ways to end it:
//! a *disconnect* stops new data and leaves what was shared with the host;
//! a *delete* revokes the same way and also tells the host (through its
//! events) to delete what the source shared. Neither Thryve nor ROOK
//! documents a per-source deletion of the data they hold, so there is no
//! further upstream call; Healthlink itself holds no health data.

use healthlink_shared::{
    AuditAction, AuditActor, AuditResult, ConnectionStatus, DisconnectResponse, SourceInfo,
};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::{Aggregator, AggregatorError};
use crate::error::ApiError;
use crate::flows::{disconnect_is_recorded, disconnect_result};
use crate::session::SessionClaims;
use crate::user_id::UserId;
use crate::user_state::{Change, RecordRule};
use crate::user_store::UserStore;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// The widget's disconnect or delete (`ending`), for the session's user.
    pub(super) async fn widget_end(
        &self,
        session: &SessionClaims,
        source: &'static SourceInfo,
        ending: AuditAction,
    ) -> Result<Reply, ApiError> {
        if !session.offers(source.id) {
            return Err(ApiError::SourceNotAllowed);
        }
        let user = session.user()?;
        self.session_outlived_erasure(session, &user).await?;
        self.limit_attempts(&user).await?;
        self.disconnect(&user, source, session.actor(), ending, session.iat * 1000)
            .await
    }

    /// The backend's disconnect or delete, authorised now.
    pub(super) async fn backend_end(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        ending: AuditAction,
    ) -> Result<Reply, ApiError> {
        let now_ms = self.runtime.now_ms();
        self.disconnect(user, source, AuditActor::Backend, ending, now_ms)
            .await
    }

    /// Revokes and records; `ending` is the audit action, `disconnect` or
    /// `delete`.
    pub(super) async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        actor: AuditActor,
        ending: AuditAction,
        authorized_at_ms: i64,
    ) -> Result<Reply, ApiError> {
        let stored = self.store.statuses(user).await?;
        let row = stored.iter().find(|row| row.source == source.id);
        let current = row.map_or(ConnectionStatus::Disconnected, |row| row.status);
        // Already disconnected: nothing to revoke, so a retried disconnect is
        // a no-op rather than a second upstream call and audit row.
        if current == ConnectionStatus::Disconnected {
            return Reply::json(200, &DisconnectResponse { status: current });
        }
        if !self.aggregator.offers(source) {
            return Err(ApiError::SourceNotAllowed);
        }
        let change = |status, result| Change {
            status,
            result,
            authorized_at_ms: Some(authorized_at_ms),
            ..self.change(
                user,
                source.id,
                actor.clone(),
                ending,
                self.runtime.now_ms(),
            )
        };
        let record = |change| self.store.record(user, vec![change], RecordRule::Always);
        match self.aggregator.disconnect(user, source).await {
            Ok(outcome) => {
                let (status, result) = disconnect_result(outcome);
                if disconnect_is_recorded(row, status, ending) {
                    // Still connected: the host hears of a failed revoke.
                    let failure = status
                        .is_none()
                        .then(|| failure_of(&ApiError::DisconnectFailed));
                    record(Change {
                        failure,
                        ..change(status, result)
                    })
                    .await?;
                }
                match status {
                    Some(status) => Reply::json(200, &DisconnectResponse { status }),
                    None => Err(ApiError::DisconnectFailed),
                }
            }
            Err(AggregatorError::GrantExpired) => {
                // The grant is gone at the provider: say so, and offer a
                // reconnect instead of a disconnect that cannot work.
                record(change(
                    Some(ConnectionStatus::Expired),
                    AuditResult::Expired,
                ))
                .await?;
                Err(ApiError::SourceExpired)
            }
            Err(error) => {
                let error = ApiError::from(error);
                record(Change {
                    failure: Some(failure_of(&error)),
                    ..change(None, AuditResult::Failed)
                })
                .await?;
                Err(error)
            }
        }
    }
}

/// A failed attempt as the host's `connection.error` says it: in the same
/// terms as the caller's answer.
fn failure_of(error: &ApiError) -> healthlink_shared::EventError {
    healthlink_shared::EventError {
        code: error.code().to_owned(),
        title: error.problem().title,
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectionStatus, DisconnectResponse};

    use super::super::testing::{Harness, json, row};
    use crate::aggregator::http::testing::answer;
    use crate::error::ApiError;
    use crate::user_store::memory::Op;

    fn disconnect(harness: &Harness, user: &str) -> Result<crate::handlers::Reply, ApiError> {
        harness.widget_post(user, "/v1/connections/oura/disconnect", "")
    }

    #[test]
    fn nothing_to_disconnect_is_a_no_op() {
        let harness = Harness::sandbox();
        let reply = disconnect(&harness, "alice").unwrap();
        assert_eq!(
            json::<DisconnectResponse>(&reply).status,
            ConnectionStatus::Disconnected
        );
        assert!(harness.trail("alice").is_empty());
        // Not even the aggregator is asked (a ROOK edge would need a
        // scripted answer for that).
        let rook = Harness::rook();
        disconnect(&rook, "alice").unwrap();
        assert!(rook.http.sent().is_empty());
    }

    #[test]
    fn a_disconnect_is_recorded_with_who_asked() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        let reply = disconnect(&harness, "alice").unwrap();
        assert_eq!(
            json::<DisconnectResponse>(&reply).status,
            ConnectionStatus::Disconnected
        );
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .backend_post("/v1/users/alice/connections/oura/disconnect", "")
            .unwrap();
        assert_eq!(
            harness.trail("alice"),
            [
                row("disconnect", "disconnected", "user"),
                row("disconnect", "disconnected", "backend")
            ]
        );
    }

    #[test]
    fn a_pending_revoke_is_recorded_once_however_often_it_is_retried() {
        let harness = Harness::sandbox();
        harness.seed("fault-pending-1", "oura", ConnectionStatus::Connected);
        for _ in 0..3 {
            let reply = disconnect(&harness, "fault-pending-1").unwrap();
            assert_eq!(
                json::<DisconnectResponse>(&reply).status,
                ConnectionStatus::Pending
            );
        }
        assert_eq!(
            harness.trail("fault-pending-1"),
            [row("disconnect", "pending", "user")]
        );
    }

    #[test]
    fn every_failed_disconnect_is_an_attempt_on_record() {
        let harness = Harness::sandbox();
        harness.seed("fault-revoke-fails-1", "oura", ConnectionStatus::Connected);
        for _ in 0..2 {
            assert_eq!(
                disconnect(&harness, "fault-revoke-fails-1").unwrap_err(),
                ApiError::DisconnectFailed
            );
        }
        harness.seed("fault-unavailable-1", "oura", ConnectionStatus::Connected);
        assert_eq!(
            disconnect(&harness, "fault-unavailable-1").unwrap_err(),
            ApiError::UpstreamUnavailable
        );
        assert_eq!(
            harness.trail("fault-revoke-fails-1"),
            [
                row("disconnect", "failed", "user"),
                row("disconnect", "failed", "user")
            ]
        );
        assert_eq!(
            harness.trail("fault-unavailable-1"),
            [row("disconnect", "failed", "user")]
        );
        assert_eq!(
            harness.status("fault-revoke-fails-1", "oura"),
            ConnectionStatus::Connected
        );
    }

    #[test]
    fn an_expired_grant_becomes_expired_and_asks_for_a_reconnect() {
        let harness = Harness::rook();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness.script(vec![answer(400, r#"{"message":"Access token expired."}"#)]);
        assert_eq!(
            disconnect(&harness, "alice").unwrap_err(),
            ApiError::SourceExpired
        );
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Expired);
        assert_eq!(
            harness.trail("alice"),
            [row("disconnect", "expired", "user")]
        );
    }

    #[test]
    fn revoked_upstream_but_not_recorded_the_retry_records_it_once() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness.store.fail_on(Op::Record, 1);
        // The user is told it did not work (a generic 500: nothing about
        // storage), and the audit holds nothing, because nothing is known
        // to have changed on our side.
        assert_eq!(
            disconnect(&harness, "alice").unwrap_err(),
            ApiError::Internal
        );
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert!(harness.trail("alice").is_empty());
        // Revoking is idempotent at the aggregator, so the retry asks again
        // and records the disconnect exactly once.
        let reply = disconnect(&harness, "alice").unwrap();
        assert_eq!(
            json::<DisconnectResponse>(&reply).status,
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            harness.trail("alice"),
            [row("disconnect", "disconnected", "user")]
        );
    }

    #[test]
    fn a_session_limited_to_other_sources_cannot_disconnect() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        let token = harness.session_with(r#"{"user_id":"alice","sources":["garmin"]}"#);
        assert_eq!(
            harness
                .post(
                    "/v1/connections/oura/disconnect",
                    None,
                    Some(&format!("Bearer {token}")),
                    ""
                )
                .unwrap_err(),
            ApiError::SourceNotAllowed
        );
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
    }

    #[test]
    fn one_user_cannot_burn_the_aggregator_quota() {
        let harness = Harness::sandbox();
        harness.seed("fault-revoke-fails-9", "oura", ConnectionStatus::Connected);
        for _ in 0..crate::user_state::ATTEMPTS_PER_WINDOW {
            assert_eq!(
                disconnect(&harness, "fault-revoke-fails-9").unwrap_err(),
                ApiError::DisconnectFailed
            );
            harness.advance_seconds(1);
        }
        // The 21st within a minute: refused, with when to try again; the
        // failed attempts on record stay bounded.
        assert_eq!(
            disconnect(&harness, "fault-revoke-fails-9").unwrap_err(),
            ApiError::TooManyAttempts {
                retry_after_seconds: 40
            }
        );
        assert_eq!(
            harness
                .widget_post(
                    "fault-revoke-fails-9",
                    "/v1/connections/oura/connect",
                    r#"{"flow":"popup"}"#
                )
                .unwrap_err()
                .retry_after(),
            Some(40)
        );
        assert_eq!(
            harness.trail("fault-revoke-fails-9").len(),
            crate::user_state::ATTEMPTS_PER_WINDOW as usize
        );
        // Other users are not affected, and a minute later this one isn't.
        harness.seed("bob", "oura", ConnectionStatus::Connected);
        assert!(disconnect(&harness, "bob").is_ok());
        harness.advance_seconds(40);
        assert_eq!(
            disconnect(&harness, "fault-revoke-fails-9").unwrap_err(),
            ApiError::DisconnectFailed
        );
    }

    #[test]
    fn the_trail_is_bounded_by_age_and_rows() {
        let harness = Harness::sandbox();
        harness
            .store
            .retention
            .set(crate::user_state::AuditRetention {
                max_age_ms: 30 * 86_400_000,
                max_rows: 3,
            });
        harness.seed("fault-revoke-fails-7", "oura", ConnectionStatus::Connected);
        for _ in 0..5 {
            let _ = disconnect(&harness, "fault-revoke-fails-7");
            harness.advance_seconds(60);
        }
        assert_eq!(
            harness.trail("fault-revoke-fails-7").len(),
            3,
            "the newest three"
        );
        // A month later the old rows are gone as soon as a new one comes.
        harness.advance_seconds(31 * 86_400);
        let _ = disconnect(&harness, "fault-revoke-fails-7");
        assert_eq!(harness.trail("fault-revoke-fails-7").len(), 1);
    }

    #[test]
    fn a_delete_revokes_like_a_disconnect_and_says_delete_on_record() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        let reply = harness
            .widget_post("alice", "/v1/connections/oura/delete", "")
            .unwrap();
        assert_eq!(
            json::<DisconnectResponse>(&reply).status,
            ConnectionStatus::Disconnected
        );
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        harness
            .backend_post("/v1/users/alice/connections/garmin/delete", "")
            .unwrap();
        assert_eq!(
            harness.trail("alice"),
            [
                row("delete", "disconnected", "user"),
                row("delete", "disconnected", "backend")
            ]
        );
        // Nothing left to delete: a no-op, as for a disconnect.
        harness
            .widget_post("alice", "/v1/connections/oura/delete", "")
            .unwrap();
        assert_eq!(harness.trail("alice").len(), 2);
    }

    #[test]
    fn a_delete_needs_its_own_scope() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        let token = harness.session_with(r#"{"user_id":"alice","scopes":["read","disconnect"]}"#);
        let delete = harness.post(
            "/v1/connections/oura/delete",
            Some(super::super::testing::APP_ORIGIN),
            Some(&format!("Bearer {token}")),
            "",
        );
        assert_eq!(
            delete.unwrap_err(),
            ApiError::MissingScope { scope: "delete" }
        );
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        // Sessions get it by default.
        let claims = harness.verify_session(&harness.session_with(r#"{"user_id":"alice"}"#));
        assert!(claims.require(healthlink_shared::Scope::Delete).is_ok());
    }

    #[test]
    fn a_delete_while_a_disconnect_is_pending_is_kept_as_a_delete() {
        let harness = Harness::sandbox();
        let user = "fault-pending-2";
        harness.seed(user, "oura", ConnectionStatus::Connected);
        disconnect(&harness, user).unwrap();
        let stored = |harness: &Harness| {
            harness.with_edge(async |edge| {
                crate::user_store::UserStore::statuses(edge.store, &harness.user(user))
                    .await
                    .unwrap()
            })
        };
        assert!(!stored(&harness)[0].deleting);
        for _ in 0..2 {
            harness
                .widget_post(user, "/v1/connections/oura/delete", "")
                .unwrap();
        }
        let row_now = stored(&harness);
        assert_eq!(row_now[0].status, ConnectionStatus::Pending);
        assert!(row_now[0].deleting);
        assert_eq!(
            harness.trail(user),
            [
                row("disconnect", "pending", "user"),
                row("delete", "pending", "user")
            ]
        );
    }
}
