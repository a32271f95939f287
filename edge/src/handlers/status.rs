//! The status list, reconciled with the aggregator's own view when it has
//! one; and reconciliation on its own, for webhooks that only say "this user
//! changed".

use healthlink_shared::{AuditAction, AuditActor, CATALOG, ConnectionsResponse, find_source};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::{Aggregator, AggregatorError};
use crate::connections::{ListView, erased_since, reconcile, status_list};
use crate::error::ApiError;
use crate::session::SessionClaims;
use crate::user_id::UserId;
use crate::user_state::{Change, RecordRule, StoredStatus};
use crate::user_store::UserStore;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// The widget's list: the session's sources, in its language.
    pub(super) async fn widget_list(&self, session: &SessionClaims) -> Result<Reply, ApiError> {
        let user = session.user()?;
        self.list_reply(&user, |id| session.offers(id), Some(session))
            .await
    }

    /// The backend's list: every source the aggregator serves.
    pub(super) async fn backend_list(&self, user: &UserId) -> Result<Reply, ApiError> {
        self.list_reply(user, |_| true, None).await
    }

    /// When the aggregator has no status view of its own, the record is the
    /// whole truth and the store writes the list (one round trip, passed
    /// through unread); otherwise it is read, reconciled and written here.
    async fn list_reply(
        &self,
        user: &UserId,
        offers: impl Fn(&str) -> bool,
        session: Option<&SessionClaims>,
    ) -> Result<Reply, ApiError> {
        let locale = session.and_then(|session| session.loc.clone());
        if self.aggregator.has_status_view(user) {
            let mut list = self.list(user, offers, session).await?;
            list.locale = locale;
            return Reply::json(200, &list);
        }
        let view = ListView {
            sources: CATALOG
                .iter()
                .filter(|source| offers(source.id) && self.aggregator.offers(source))
                .map(|source| source.id.to_owned())
                .collect(),
            phone_link: self.config.phone_link.clone(),
            locale,
            session_issued_at_ms: session.map(|session| session.iat * 1000),
            now_ms: self.runtime.now_ms(),
            stale_after_ms: self.config.stale_after_ms,
        };
        match self.store.written_list(user, &view).await? {
            Some(list) => Ok(Reply::written(list)),
            None => Err(ApiError::SessionExpired),
        }
    }

    /// The sources `offers` allows and the aggregator serves, with their
    /// statuses. If the aggregator's status check fails, the last known
    /// statuses are shown: a list never fails because upstream does.
    /// A session minted before the user was erased is over: the host must
    /// mint a new one (the user starts again from nothing).
    pub(super) fn check_not_erased_since(
        session: &SessionClaims,
        erased_at_ms: Option<i64>,
    ) -> Result<(), ApiError> {
        if erased_since(session.iat * 1000, erased_at_ms) {
            return Err(ApiError::SessionExpired);
        }
        Ok(())
    }

    /// [`Self::check_not_erased_since`], reading the tombstone.
    pub(super) async fn session_outlived_erasure(
        &self,
        session: &SessionClaims,
        user: &UserId,
    ) -> Result<(), ApiError> {
        let record = self.store.record_of(user).await?;
        Self::check_not_erased_since(session, record.erased_at_ms)
    }

    pub(super) async fn list(
        &self,
        user: &UserId,
        offers: impl Fn(&str) -> bool,
        session: Option<&SessionClaims>,
    ) -> Result<ConnectionsResponse, ApiError> {
        let record = self.store.record_of(user).await?;
        if let Some(session) = session {
            Self::check_not_erased_since(session, record.erased_at_ms)?;
        }
        let mut stored = record.statuses;
        match self.reconcile(user, &stored).await {
            Ok(0) => {}
            Ok(_) => stored = self.store.statuses(user).await?,
            Err(error) => {
                crate::log::upstream_failure(&error);
                crate::log::error("status check failed; showing the last known statuses");
            }
        }
        Ok(status_list(
            &stored,
            |id| offers(id) && find_source(id).is_some_and(|source| self.aggregator.offers(source)),
            self.config.phone_link.as_deref(),
            self.runtime.now_ms(),
            self.config.stale_after_ms,
        ))
    }

    /// Asks the aggregator for the user's statuses (one call) and records
    /// what differs, each transition once. Returns how many sources changed.
    pub async fn reconcile(
        &self,
        user: &UserId,
        stored: &[StoredStatus],
    ) -> Result<usize, AggregatorError> {
        let Some(upstream) = self.aggregator.statuses(user, stored).await? else {
            return Ok(0);
        };
        let at_ms = self.runtime.now_ms();
        let changes: Vec<Change> = reconcile(stored, &upstream)
            .into_iter()
            .map(|(source, status)| Change {
                status: Some(status),
                result: status.into(),
                ..self.change(
                    user,
                    source,
                    AuditActor::Aggregator,
                    AuditAction::Reconcile,
                    at_ms,
                )
            })
            .collect();
        if changes.is_empty() {
            return Ok(0);
        }
        Ok(self
            .store
            .record(user, changes, RecordRule::OnlyIfChanged)
            .await?)
    }

    /// Reconciles a user the aggregator said has changed, reading the
    /// stored statuses first (a webhook's follow-up).
    pub async fn reconcile_user(&self, user: &UserId) -> Result<usize, AggregatorError> {
        let stored = self.store.statuses(user).await?;
        self.reconcile(user, &stored).await
    }

    /// A change by `actor`, with no status and a placeholder result, for the
    /// caller to complete.
    pub(super) fn change(
        &self,
        user: &UserId,
        source: &str,
        actor: AuditActor,
        action: AuditAction,
        at_ms: i64,
    ) -> Change {
        Change {
            at_ms,
            user_id: user.to_string(),
            source: source.to_owned(),
            status: None,
            error: None,
            failure: None,
            actor,
            action,
            result: healthlink_shared::AuditResult::Failed,
            aggregator: self.aggregator.name().to_owned(),
            occurred_at_ms: None,
            authorized_at_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectionStatus, ConnectionsResponse};

    use super::super::testing::{Harness, json, rook_statuses, row};
    use crate::aggregator::http::testing::answer;
    use crate::user_store::memory::Op;

    #[test]
    fn the_list_shows_what_is_stored_in_catalog_order() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        let list: ConnectionsResponse =
            json(&harness.widget_get("alice", "/v1/connections").unwrap());
        let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
        assert_eq!(oura.status, ConnectionStatus::Connected);
        assert!(
            list.sources
                .iter()
                .filter(|s| s.id != "oura")
                .all(|s| s.status == ConnectionStatus::Disconnected)
        );
    }

    #[test]
    fn a_reconcile_records_each_transition_once_as_the_aggregator() {
        let harness = Harness::rook();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness.script(vec![
            rook_statuses(&[("Oura", false)]),
            rook_statuses(&[("Oura", false)]),
        ]);
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
        assert_eq!(oura.status, ConnectionStatus::Disconnected);
        // The second read finds nothing new to record.
        harness.backend_get("/v1/users/alice/connections").unwrap();
        assert_eq!(
            harness.trail("alice"),
            [row("reconcile", "disconnected", "aggregator")]
        );
    }

    #[test]
    fn an_upstream_failure_shows_the_last_known_statuses() {
        let harness = Harness::rook();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness.script(vec![answer(503, "")]);
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
        assert_eq!(oura.status, ConnectionStatus::Connected);
        assert!(harness.trail("alice").is_empty());
    }

    #[test]
    fn a_failed_store_read_is_an_internal_error_not_an_empty_list() {
        let harness = Harness::sandbox();
        harness.store.fail_on(Op::Statuses, 1);
        assert_eq!(
            harness.widget_get("alice", "/v1/connections").unwrap_err(),
            crate::error::ApiError::Internal
        );
    }
}
