//! Connecting a source: the widget asks for the URL to open, the browser
//! goes through the provider's consent, and comes back to `/v1/return`,
//! where the result is recorded once and the browser sent on. The sandbox's
//! consent page is here too: it is the sandbox's stand-in for a provider.

use healthlink_shared::{
    AuditAction, ConnectRequest, ConnectResponse, FlowAction, FlowOutcome, SourceInfo, find_source,
};
use url::Url;

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::sandbox::is_own_return;
use crate::aggregator::{Aggregator, ConnectContext, ConnectOutcome, query_value};
use crate::error::ApiError;
use crate::flows::{Origins, ReturnTarget, connect_result, plan_connect, return_target};
use crate::pages::{consent_page, popup_result_page};
use crate::return_state::{ReturnState, STATE_TTL_SECONDS};
use crate::routes::RETURN_PATH;
use crate::session::SessionClaims;
use crate::user_id::UserId;
use crate::user_store::{Consumed, Reservation, UserStore};

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// The URL the widget opens to connect `source`, leading back to our
    /// return route with a signed, single-use state.
    pub(super) async fn connect(
        &self,
        session: &SessionClaims,
        source: &'static SourceInfo,
        request: ConnectRequest,
        origin: Option<&str>,
    ) -> Result<Reply, ApiError> {
        let state = plan_connect(
            &request,
            session,
            source,
            self.config,
            Origins {
                request: origin,
                edge: self.edge_origin,
            },
            self.runtime.nonce()?,
            self.now(),
        )?;
        let mut return_to = Url::parse(&format!("{}{RETURN_PATH}", self.edge_origin))
            .map_err(|_| ApiError::Internal)?;
        return_to
            .query_pairs_mut()
            .append_pair("state", &state.sign(self.signer));
        let user = session.user()?;
        if !self.aggregator.offers(source) {
            return Err(ApiError::SourceNotAllowed);
        }
        // Nothing for a session minted before the user was erased: a connect
        // would create the user's links at the aggregator again.
        self.session_outlived_erasure(session, &user).await?;
        let url = self
            .aggregator
            .connect_url(&ConnectContext {
                user: &user,
                source,
                return_to: return_to.as_str(),
                locale: session.loc.as_deref(),
            })
            .await?;
        Reply::json(200, &ConnectResponse { url })
    }

    /// `/v1/return`: checks the state, asks the aggregator what happened,
    /// consumes the state together with the change it causes (a replay
    /// changes nothing), and sends the browser on.
    pub(super) async fn flow_return(&self, query: &[(String, String)]) -> Result<Reply, ApiError> {
        let token = query_value(query, "state").ok_or(ApiError::InvalidState)?;
        let state = ReturnState::verify(token, self.signer, self.now())?;
        let user = UserId::parse(&state.u).map_err(|_| ApiError::InvalidState)?;
        let source = find_source(&state.s).ok_or(ApiError::InvalidState)?;
        // Reserved before the aggregator is asked: a replay is refused here
        // and costs the aggregator nothing.
        match self
            .store
            .reserve_state(&user, &state.n, state.exp * 1000, self.runtime.now_ms())
            .await?
        {
            Reservation::Reserved => {}
            Reservation::AlreadyUsed => return Err(ApiError::StateAlreadyUsed),
        }

        let outcome = match self.aggregator.connect_outcome(&user, source, query).await {
            Ok(outcome) => outcome,
            Err(error) => {
                // The flow still ends (as failed, nothing changed); the next
                // reconcile picks up a connection that did happen.
                crate::log::upstream_failure(&error);
                ConnectOutcome::Unknown
            }
        };
        let (result, status, audit_result) = connect_result(outcome);
        let outcome = FlowOutcome {
            source: source.id.to_owned(),
            action: FlowAction::Connect,
            result,
        };
        let change = crate::user_state::Change {
            status,
            result: audit_result,
            ..self.change(
                &user,
                source.id,
                state.act.clone(),
                AuditAction::Connect,
                self.runtime.now_ms(),
            )
        };
        let change = crate::user_state::Change {
            authorized_at_ms: Some((state.exp - STATE_TTL_SECONDS) * 1000),
            consent_version: state.cv.clone(),
            ..change
        };
        let consumed = self
            .store
            .consume_and_record(&user, &state.n, state.exp * 1000, change)
            .await;
        if consumed.is_err() {
            // Nothing was recorded: give the reservation back so the user's
            // retry (reloading the page) works. If that fails too, the
            // state has gone unused and the user starts again.
            let _ = self.store.release_state(&user, &state.n).await;
        }
        match consumed? {
            Consumed::Recorded => {}
            Consumed::AlreadyUsed => return Err(ApiError::StateAlreadyUsed),
            // Issued before the user was erased: it ends nothing.
            Consumed::ErasedBefore => return Err(ApiError::InvalidState),
        }
        Ok(match return_target(&state, &outcome)? {
            ReturnTarget::Redirect(location) => {
                Reply::see_other(self.with_link_resume(location, &user))
            }
            ReturnTarget::Popup { opener_origin } => Reply::html(popup_result_page(
                &outcome,
                source,
                &opener_origin,
                state.pn.as_deref(),
            )),
        })
    }

    /// The sandbox's consent page: Allow and Deny lead back to this edge's
    /// return route, and nowhere else.
    pub(super) fn sandbox_consent(&self, query: &[(String, String)]) -> Result<Reply, ApiError> {
        // A stand-in consent page whose Allow is taken at its word: it must
        // not exist beside a real aggregator.
        if !self.config.sandbox_enabled() {
            return Err(ApiError::NotFound);
        }
        let source = query_value(query, "source")
            .and_then(find_source)
            .ok_or(ApiError::UnknownSource)?;
        let redirect_uri = query_value(query, "redirect_uri")
            .filter(|uri| is_own_return(uri, self.edge_origin))
            .ok_or_else(|| ApiError::invalid("redirect_uri must be this edge's return URL."))?;
        let with_flag = |value: &str| -> Result<String, ApiError> {
            let mut url = Url::parse(redirect_uri).map_err(|_| ApiError::Internal)?;
            url.query_pairs_mut().append_pair("connected", value);
            Ok(url.into())
        };
        Ok(Reply::html(consent_page(
            &self.config.app_name,
            source,
            &with_flag("true")?,
            &with_flag("false")?,
        )))
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::ConnectionStatus;

    use super::super::testing::{APP_ORIGIN, EDGE_ORIGIN, Harness, json, row};
    use crate::error::ApiError;
    use crate::user_store::memory::Op;

    fn started(harness: &Harness, user: &str, source: &str) -> String {
        harness.start_popup_connect(user, source)
    }

    #[test]
    fn a_return_is_recorded_once_and_a_replay_changes_nothing() {
        let harness = Harness::sandbox();
        let state = started(&harness, "alice", "oura");
        let reply = harness.get_query("/v1/return", &[("state", &state), ("connected", "true")]);
        let reply = reply.unwrap();
        assert_eq!(reply.status, 200);
        assert!(
            reply.body.unwrap().text.contains(APP_ORIGIN),
            "posts to the opener only"
        );
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(
            harness
                .get_query("/v1/return", &[("state", &state), ("connected", "true")])
                .unwrap_err(),
            ApiError::StateAlreadyUsed
        );
        assert_eq!(
            harness.trail("alice"),
            [row("connect", "connected", "user")]
        );
    }

    #[test]
    fn a_cancel_is_recorded_and_changes_no_status() {
        let harness = Harness::sandbox();
        let state = started(&harness, "alice", "oura");
        harness
            .get_query("/v1/return", &[("state", &state), ("connected", "false")])
            .unwrap();
        assert_eq!(
            harness.status("alice", "oura"),
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            harness.trail("alice"),
            [row("connect", "cancelled", "user")]
        );
    }

    #[test]
    fn a_consumed_state_whose_write_failed_can_be_used_again() {
        // The state and its change are one command: when the command fails,
        // neither happened, so the user's retry (reloading the return page)
        // records the connection once.
        let harness = Harness::sandbox();
        let state = started(&harness, "alice", "oura");
        harness.store.fail_on(Op::Consume, 1);
        let query = [("state", state.as_str()), ("connected", "true")];
        assert_eq!(
            harness.get_query("/v1/return", &query).unwrap_err(),
            ApiError::Internal
        );
        assert_eq!(
            harness.status("alice", "oura"),
            ConnectionStatus::Disconnected
        );
        assert!(harness.trail("alice").is_empty());
        harness.get_query("/v1/return", &query).unwrap();
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(
            harness.trail("alice"),
            [row("connect", "connected", "user")]
        );
    }

    #[test]
    fn forged_expired_and_foreign_states_are_refused() {
        let harness = Harness::sandbox();
        let state = started(&harness, "alice", "oura");
        let mut forged = state.clone();
        forged.pop();
        forged.push(if state.ends_with('A') { 'B' } else { 'A' });
        for bad in [forged.as_str(), "", "hls1.x.y"] {
            assert_eq!(
                harness
                    .get_query("/v1/return", &[("state", bad)])
                    .unwrap_err(),
                ApiError::InvalidState,
                "{bad}"
            );
        }
        assert_eq!(
            harness.get_query("/v1/return", &[]).unwrap_err(),
            ApiError::InvalidState
        );
        harness.advance_seconds(31 * 60);
        assert_eq!(
            harness
                .get_query("/v1/return", &[("state", &state)])
                .unwrap_err(),
            ApiError::InvalidState
        );
    }

    #[test]
    fn the_consent_page_only_returns_to_this_edge() {
        let harness = Harness::sandbox();
        let own = format!("{EDGE_ORIGIN}/v1/return?state=x");
        let page = harness
            .get_query(
                "/sandbox/connect",
                &[("source", "oura"), ("redirect_uri", &own)],
            )
            .unwrap();
        let text = page.body.clone().unwrap().text;
        assert!(text.contains("connected=true") && text.contains("connected=false"));
        assert_eq!(page.header_value("cache-control"), Some("no-store"));
        assert!(
            page.header_value("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(matches!(
            harness.get_query(
                "/sandbox/connect",
                &[
                    ("source", "oura"),
                    ("redirect_uri", "https://evil.example/v1/return")
                ]
            ),
            Err(ApiError::InvalidRequest { .. })
        ));
        assert_eq!(
            harness
                .get_query(
                    "/sandbox/connect",
                    &[("source", "myspace"), ("redirect_uri", &own)]
                )
                .unwrap_err(),
            ApiError::UnknownSource
        );
    }

    #[test]
    fn upstream_trouble_on_connect_is_what_the_user_can_act_on() {
        let harness = Harness::sandbox();
        assert_eq!(
            harness
                .widget_post(
                    "fault-rate-limited-1",
                    "/v1/connections/oura/connect",
                    r#"{"flow":"popup"}"#
                )
                .unwrap_err(),
            ApiError::RateLimited {
                retry_after_seconds: 60
            }
        );
        assert_eq!(
            harness
                .widget_post(
                    "fault-unavailable-1",
                    "/v1/connections/oura/connect",
                    r#"{"flow":"popup"}"#
                )
                .unwrap_err(),
            ApiError::UpstreamUnavailable
        );
        assert!(
            crate::log::native::take()
                .iter()
                .any(|line| line == "aggregator unavailable"),
            "the operator sees it in the log"
        );
    }

    /// A redirect state for `user`'s connect of Oura, as `/connect` signs it.
    fn signed_state(harness: &Harness, user: &str, nonce: &str) -> String {
        use healthlink_shared::{AuditActor, Flow, FlowAction};
        let state = crate::return_state::ReturnState {
            u: user.into(),
            s: "oura".into(),
            a: FlowAction::Connect,
            f: Flow::Redirect,
            r: Some("https://app.example.com/settings".into()),
            o: None,
            act: AuditActor::User,
            n: nonce.into(),
            pn: None,
            cv: None,
            exp: crate::handlers::Runtime::now_ms(&harness.runtime) / 1000 + 600,
        };
        state.sign(&harness.signer)
    }

    fn thryve_webhook(harness: &Harness, kind: &str) {
        let body = format!(r#"{{"type":"{kind}","endUserId":"eu-1","dataSourceId":18}}"#);
        let auth = format!("Bearer {}", super::super::testing::WEBHOOK_SECRET);
        assert_eq!(
            harness
                .post("/v1/webhooks/thryve", None, Some(&auth), &body)
                .unwrap()
                .status,
            204
        );
    }

    #[test]
    fn a_forged_thryve_connected_true_is_pending_until_thryve_confirms() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        let state = signed_state(&harness, "alice", "n-forged");
        // Nobody consented at Thryve; the browser just says so.
        let reply = harness
            .get_query(
                "/v1/return",
                &[
                    ("state", &state),
                    ("dataSource", "18"),
                    ("connected", "true"),
                ],
            )
            .unwrap();
        assert_eq!(reply.status, 303);
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Pending);
        let list: healthlink_shared::ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
        assert_eq!(oura.pending, Some(healthlink_shared::FlowAction::Connect));
        assert_eq!(harness.trail("alice"), [row("connect", "pending", "user")]);
        // Thryve's webhook is the confirmation.
        thryve_webhook(&harness, "notification.source.connect");
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(
            harness.trail("alice"),
            [
                row("connect", "pending", "user"),
                row("connect", "connected", "aggregator")
            ]
        );
    }

    #[test]
    fn a_webhook_that_overtakes_the_browser_is_not_undone() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        thryve_webhook(&harness, "notification.source.connect");
        let state = signed_state(&harness, "alice", "n-late");
        harness
            .get_query(
                "/v1/return",
                &[
                    ("state", &state),
                    ("dataSource", "18"),
                    ("connected", "true"),
                ],
            )
            .unwrap();
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(
            harness.trail("alice"),
            [
                row("connect", "connected", "aggregator"),
                row("connect", "connected", "user")
            ]
        );
    }

    #[test]
    fn a_thryve_decline_is_taken_at_its_word() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        let state = signed_state(&harness, "alice", "n-no");
        harness
            .get_query(
                "/v1/return",
                &[
                    ("state", &state),
                    ("dataSource", "18"),
                    ("connected", "false"),
                ],
            )
            .unwrap();
        assert_eq!(
            harness.status("alice", "oura"),
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            harness.trail("alice"),
            [row("connect", "cancelled", "user")]
        );
    }

    #[test]
    fn a_replayed_state_is_refused_before_the_aggregator_is_asked() {
        let harness = Harness::rook();
        let state = signed_state(&harness, "alice", "n-replay");
        harness.script(vec![crate::aggregator::http::testing::answer(
            200,
            r#"{"data_source":"Oura","authorized":true}"#,
        )]);
        harness
            .get_query("/v1/return", &[("state", &state)])
            .unwrap();
        assert_eq!(harness.http.sent().len(), 1, "one authorizer call");
        for _ in 0..3 {
            assert_eq!(
                harness
                    .get_query("/v1/return", &[("state", &state)])
                    .unwrap_err(),
                ApiError::StateAlreadyUsed
            );
        }
        assert_eq!(harness.http.sent().len(), 1, "replays cost ROOK nothing");
        assert_eq!(
            harness.trail("alice"),
            [row("connect", "connected", "user")]
        );
    }
}
