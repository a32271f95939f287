//! The status list, reconciled with the aggregator's own view when it has
//! one; and reconciliation on its own, for webhooks that only say "this user
//! changed".

use healthlink_shared::{
    AuditAction, AuditActor, CATALOG, ConnectionsResponse, SourceKind, find_source,
};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::{Aggregator, AggregatorError, PhonePairing};
use crate::connections::{ListView, Shown, erased_since, reconcile, status_list};
use crate::error::ApiError;
use crate::session::SessionClaims;
use crate::user_id::UserId;
use crate::user_state::{Change, ObjectName, ROOK_PAIRING_LINK, RecordRule, StoredStatus};
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
            purposes: self.config.consent.purposes.clone(),
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
        let offered = |id: &str| {
            offers(id) && find_source(id).is_some_and(|source| self.aggregator.offers(source))
        };
        let lists_phone_sources = CATALOG
            .iter()
            .any(|source| source.kind == SourceKind::Mobile && offered(source.id));
        // Pairing is for the user in front of the widget: a backend read
        // does not ask the aggregator for it.
        let phone_link = match &self.config.phone_link {
            Some(template) => Some(template.clone()),
            None if lists_phone_sources && session.is_some() => self.phone_pairing(user).await,
            None => None,
        };
        Ok(status_list(
            &stored,
            offered,
            Shown {
                phone_link: phone_link.as_deref(),
                ..Shown::of(self.config)
            },
            self.runtime.now_ms(),
            self.config.stale_after_ms,
        ))
    }

    /// The aggregator's own phone app, paired with the user, for a host
    /// with no app of its own (no `HEALTHLINK_PHONE_LINK`): asked of the
    /// aggregator once, then kept in the user's object. A failure only
    /// leaves the phone rows without a QR code this time; the list itself
    /// never fails because of it.
    async fn phone_pairing(&self, user: &UserId) -> Option<String> {
        let object = ObjectName::user(user);
        match self.store.link(&object, ROOK_PAIRING_LINK).await {
            Ok(Some(link)) => return Some(link),
            Ok(None) => {}
            Err(_) => return None,
        }
        let salt = self.runtime.nonce().ok()?;
        let pairing = PhonePairing {
            user,
            client_name: &self.config.app_name,
            salt: &salt,
        };
        match self.aggregator.phone_pairing(&pairing).await {
            Ok(Some(link)) => {
                if self
                    .store
                    .set_link(&object, ROOK_PAIRING_LINK, &link)
                    .await
                    .is_err()
                {
                    crate::log::error(
                        "could not keep the phone pairing link; asking again next time",
                    );
                }
                Some(link)
            }
            Ok(None) => None,
            Err(error) => {
                crate::log::upstream_failure(&error);
                crate::log::error("phone pairing failed; phone-only sources show no QR code");
                None
            }
        }
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
            // Every connect row names the consent text in force; the
            // browser's return replaces it with the one its flow showed.
            consent_version: (action == AuditAction::Connect)
                .then(|| self.config.consent.version())
                .flatten(),
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
    fn purpose_lines_travel_with_their_rows_on_every_path() {
        let purposes = |harness: &mut Harness| {
            harness.config.consent.version = Some("2026-12".into());
            harness.config.consent.purposes = [
                ("oura", "Sleep, to tailor your plan."),
                ("apple_health", "Steps."),
            ]
            .map(|(source, line)| (source.to_owned(), line.to_owned()))
            .into();
        };
        let (mut sandbox, mut rook) = (Harness::sandbox(), Harness::rook());
        purposes(&mut sandbox);
        purposes(&mut rook);
        rook.script(vec![rook_statuses(&[("Oura", false)])]);
        // The sandbox's list is written by the user's store; Rook's is
        // reconciled here: both carry the line.
        for list in [
            sandbox.widget_get("alice", "/v1/connections"),
            rook.backend_get("/v1/users/alice/connections"),
        ] {
            let list: ConnectionsResponse = json(&list.unwrap());
            let purpose = |id: &str| {
                list.sources
                    .iter()
                    .find(|s| s.id == id)
                    .and_then(|s| s.purpose.clone())
            };
            assert_eq!(
                purpose("oura").as_deref(),
                Some("Sleep, to tailor your plan.")
            );
            assert_eq!(purpose("fitbit"), None);
            // Phone-only: the host's app shows its own text.
            assert_eq!(purpose("apple_health"), None);
        }
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

    const BINDING: &str =
        r#"{"qr_code":"iVBORw0KGgo=","universal_link":"https://extraction.rook.test/bind?t=1"}"#;

    #[test]
    fn without_a_phone_link_rooks_extraction_app_is_paired_once_and_kept() {
        let harness = Harness::rook();
        assert_eq!(harness.config.phone_link, None);
        harness.script(vec![
            rook_statuses(&[]),
            answer(200, BINDING),
            rook_statuses(&[]),
        ]);
        for _ in 0..2 {
            let list: ConnectionsResponse =
                json(&harness.widget_get("alice", "/v1/connections").unwrap());
            for phone in ["apple_health", "health_connect"] {
                let row = list.sources.iter().find(|s| s.id == phone).unwrap();
                assert_eq!(
                    row.phone_link.as_deref(),
                    Some("https://extraction.rook.test/bind?t=1")
                );
                assert_eq!(
                    row.phone_qr,
                    crate::qr::qr_svg("https://extraction.rook.test/bind?t=1")
                );
            }
            let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
            assert_eq!(
                (oura.phone_link.as_ref(), oura.phone_qr.as_ref()),
                (None, None)
            );
        }
        let binds: Vec<_> = harness
            .http
            .sent()
            .into_iter()
            .filter(|sent| sent.url.ends_with("/extraction_app/binding/"))
            .collect();
        assert_eq!(binds.len(), 1, "asked once, then kept in the user's object");
        let body: serde_json::Value =
            serde_json::from_str(binds[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["user_id"], "alice");
        assert_eq!(
            body["metadata"]["client_name"],
            harness.config.app_name.as_str()
        );
        assert!(body["salt"].as_str().is_some_and(|salt| !salt.is_empty()));
    }

    #[test]
    fn a_failed_pairing_leaves_the_list_whole_and_is_asked_again() {
        let harness = Harness::rook();
        harness.script(vec![
            rook_statuses(&[]),
            answer(503, ""),
            rook_statuses(&[]),
            answer(200, BINDING),
        ]);
        let list: ConnectionsResponse =
            json(&harness.widget_get("alice", "/v1/connections").unwrap());
        let apple = list
            .sources
            .iter()
            .find(|s| s.id == "apple_health")
            .unwrap();
        assert_eq!(
            (apple.phone_link.as_ref(), apple.phone_qr.as_ref()),
            (None, None)
        );
        let list: ConnectionsResponse =
            json(&harness.widget_get("alice", "/v1/connections").unwrap());
        let apple = list
            .sources
            .iter()
            .find(|s| s.id == "apple_health")
            .unwrap();
        assert!(apple.phone_link.is_some() && apple.phone_qr.is_some());
    }

    #[test]
    fn a_configured_phone_link_wins_and_rook_is_not_asked() {
        let mut harness = Harness::rook();
        harness.config.phone_link = Some("acme://connect/{source}".into());
        harness.script(vec![rook_statuses(&[])]);
        let list: ConnectionsResponse =
            json(&harness.widget_get("alice", "/v1/connections").unwrap());
        let apple = list
            .sources
            .iter()
            .find(|s| s.id == "apple_health")
            .unwrap();
        assert_eq!(
            apple.phone_link.as_deref(),
            Some("acme://connect/apple_health")
        );
        assert_eq!(harness.http.sent().len(), 1, "only the status call");
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
