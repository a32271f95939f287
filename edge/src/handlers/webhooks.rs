//! Webhooks from the aggregators. Both are authenticated the same way (one
//! shared Bearer secret per aggregator) by [`Edge::authenticate_webhook`].
//! Thryve's source notifications are applied as they say; ROOK's only say
//! "this user changed", so they are acknowledged at once and the user is
//! reconciled with ROOK's status endpoint afterwards.

use healthlink_shared::{AuditAction, AuditActor, AuditResult, ConnectionStatus};

use super::edge::{Edge, Incoming, Runtime};
use super::reply::{FollowUp, Reply};
use crate::aggregator::{Aggregator, rook, thryve};
use crate::config::AggregatorConfig;
use crate::error::ApiError;
use crate::session::bearer_matches;
use crate::user_state::{Change, RecordRule};
use crate::user_store::{ThryveLinks, UserStore};

/// Which aggregator's webhook route was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFrom {
    Thryve,
    Rook,
}

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// The one preamble of every webhook. No credentials: 401 before
    /// anything else, so an anonymous caller does not even learn which
    /// aggregator this edge runs. The route of an aggregator this edge does
    /// not run: 404. A wrong secret: 401.
    pub(super) fn authenticate_webhook(
        &self,
        from: WebhookFrom,
        authorization: Option<&str>,
    ) -> Result<(), ApiError> {
        if authorization.is_none() {
            return Err(ApiError::WebhookUnauthorized);
        }
        let (current, previous) = match (from, &self.config.aggregator) {
            (WebhookFrom::Thryve, AggregatorConfig::Thryve(config)) => {
                (&config.webhook_secret, &config.previous_webhook_secret)
            }
            (WebhookFrom::Rook, AggregatorConfig::Rook(config)) => {
                (&config.webhook_secret, &config.previous_webhook_secret)
            }
            _ => return Err(ApiError::NotFound),
        };
        // Two secrets while one is rotated out: the aggregator switches
        // when it switches, and no delivery in between is refused.
        let accepted = std::iter::once(current)
            .chain(previous)
            .any(|secret| bearer_matches(authorization, secret));
        if !accepted {
            return Err(ApiError::WebhookUnauthorized);
        }
        Ok(())
    }

    /// Thryve's source notifications, applied to the user's state and audit
    /// trail and answered at once. A retried notification changes nothing
    /// the second time.
    pub(super) async fn thryve_webhook(&self, request: &Incoming<'_>) -> Result<Reply, ApiError> {
        self.authenticate_webhook(WebhookFrom::Thryve, request.authorization)?;
        let event = match thryve::parse_webhook(request.body).map_err(ApiError::invalid)? {
            thryve::Webhook::Source(event) => event,
            thryve::Webhook::Ignored(_) => return Ok(Reply::empty(204)),
        };
        let Some(user) = ThryveLinks::new(self.store)
            .user_for(&event.end_user_id)
            .await?
        else {
            // Not a user of this edge (or erased): nothing to do, and a
            // retry would not change that.
            crate::log::error("thryve webhook for an unknown end user; ignored");
            return Ok(Reply::empty(204));
        };
        let (status, result, action) = if event.connected {
            (
                ConnectionStatus::Connected,
                AuditResult::Connected,
                AuditAction::Connect,
            )
        } else {
            (
                ConnectionStatus::Disconnected,
                AuditResult::Disconnected,
                AuditAction::Disconnect,
            )
        };
        let change = Change {
            status: Some(status),
            result,
            occurred_at_ms: event.occurred_at_ms,
            ..self.change(
                &user,
                event.source.id,
                AuditActor::Aggregator,
                action,
                self.runtime.now_ms(),
            )
        };
        self.store
            .record(&user, vec![change], RecordRule::OnlyIfChanged)
            .await?;
        Ok(Reply::empty(204))
    }

    /// ROOK's notifications: authenticate, acknowledge at once (202), and
    /// reconcile that user afterwards with one status call — ROOK's status
    /// endpoint is the truth, so the event's other fields are not trusted.
    pub(super) fn rook_webhook(&self, request: &Incoming<'_>) -> Result<Reply, ApiError> {
        self.authenticate_webhook(WebhookFrom::Rook, request.authorization)?;
        let user = rook::webhook_user(request.body).map_err(ApiError::invalid)?;
        Ok(Reply::empty(202).no_store().then(FollowUp::Reconcile(user)))
    }

    /// Runs what a handler left for after its answer. Failures are logged;
    /// the next status check retries.
    pub async fn follow_up(&self, follow_up: FollowUp) {
        match follow_up {
            FollowUp::Reconcile(user) => {
                if let Err(error) = self.reconcile_user(&user).await {
                    crate::log::upstream_failure(&error);
                    crate::log::error(
                        "rook webhook: reconcile failed; the next status check retries",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::ConnectionStatus;

    use super::super::testing::{Harness, WEBHOOK_SECRET, rook_statuses, row};
    use super::*;

    fn thryve_event(kind: &str, end_user: &str) -> String {
        // Oura is Thryve data source 18.
        format!(r#"{{"type":"{kind}","endUserId":"{end_user}","dataSourceId":18}}"#)
    }

    #[test]
    fn every_webhook_is_authenticated_the_same_way() {
        let thryve = Harness::thryve();
        let rook = Harness::rook();
        let body = r#"{"user_id":"alice"}"#;
        for (harness, path, secret, other) in [
            (
                &thryve,
                "/v1/webhooks/thryve",
                WEBHOOK_SECRET,
                "/v1/webhooks/rook",
            ),
            (
                &rook,
                "/v1/webhooks/rook",
                WEBHOOK_SECRET,
                "/v1/webhooks/thryve",
            ),
        ] {
            assert_eq!(
                harness.post(path, None, None, body).unwrap_err(),
                ApiError::WebhookUnauthorized
            );
            assert_eq!(
                harness
                    .post(path, None, Some("Bearer not-the-secret"), body)
                    .unwrap_err(),
                ApiError::WebhookUnauthorized
            );
            // Another aggregator's route: anonymous callers learn nothing,
            // authenticated ones that it is not here.
            assert_eq!(
                harness.post(other, None, None, body).unwrap_err(),
                ApiError::WebhookUnauthorized
            );
            assert_eq!(
                harness
                    .post(other, None, Some(&format!("Bearer {secret}")), body)
                    .unwrap_err(),
                ApiError::NotFound
            );
        }
        assert_eq!(
            Harness::sandbox()
                .post("/v1/webhooks/rook", None, Some("Bearer x"), body)
                .unwrap_err(),
            ApiError::NotFound
        );
    }

    #[test]
    fn thryve_notifications_map_to_statuses_once_as_the_aggregator() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        let send = |kind: &str| {
            harness
                .post(
                    "/v1/webhooks/thryve",
                    None,
                    Some(&format!("Bearer {WEBHOOK_SECRET}")),
                    &thryve_event(kind, "eu-1"),
                )
                .unwrap()
                .status
        };
        assert_eq!(send("notification.source.connect"), 204);
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(send("notification.source.connect"), 204, "a redelivery");
        assert_eq!(send("notification.source.disconnect"), 204);
        assert_eq!(
            harness.status("alice", "oura"),
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            harness.trail("alice"),
            [
                row("connect", "connected", "aggregator"),
                row("disconnect", "disconnected", "aggregator")
            ]
        );
    }

    #[test]
    fn thryve_notifications_for_strangers_or_other_data_change_nothing() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        let auth = format!("Bearer {WEBHOOK_SECRET}");
        let post = |body: &str| harness.post("/v1/webhooks/thryve", None, Some(&auth), body);
        assert_eq!(
            post(&thryve_event("notification.source.connect", "eu-2"))
                .unwrap()
                .status,
            204
        );
        assert_eq!(
            post(r#"{"type":"event.data.daily","endUserId":"eu-1"}"#)
                .unwrap()
                .status,
            204
        );
        assert!(harness.trail("alice").is_empty());
        assert!(matches!(post("{"), Err(ApiError::InvalidRequest { .. })));
        assert!(matches!(
            post(r#"{"type":"notification.source.connect","dataSourceId":18}"#),
            Err(ApiError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn a_rook_notification_is_acknowledged_then_reconciled() {
        let harness = Harness::rook();
        let reply = harness
            .post(
                "/v1/webhooks/rook",
                None,
                Some(&format!("Bearer {WEBHOOK_SECRET}")),
                r#"{"user_id":"alice","data_source":"Oura","whatever":1}"#,
            )
            .unwrap();
        assert_eq!(reply.status, 202);
        assert!(
            harness.http.sent().is_empty(),
            "nothing upstream before the answer"
        );
        let follow_up = reply.follow_up.clone().expect("a reconcile afterwards");
        assert_eq!(follow_up, FollowUp::Reconcile(harness.user("alice")));
        harness.script(vec![rook_statuses(&[("Oura", true)])]);
        harness.follow_up(follow_up);
        assert_eq!(harness.status("alice", "oura"), ConnectionStatus::Connected);
        assert_eq!(
            harness.trail("alice"),
            [row("reconcile", "connected", "aggregator")]
        );
        // A failing status call is logged and changes nothing.
        harness.script(vec![crate::aggregator::http::testing::answer(503, "")]);
        harness.follow_up(FollowUp::Reconcile(harness.user("alice")));
        assert!(
            crate::log::native::take()
                .iter()
                .any(|line| line.contains("reconcile failed"))
        );
        assert_eq!(harness.trail("alice").len(), 1);
    }

    #[test]
    fn a_rotated_out_secret_is_accepted_while_it_is_configured() {
        let mut harness = Harness::rook();
        let AggregatorConfig::Rook(rook) = &mut harness.config.aggregator else {
            unreachable!()
        };
        rook.previous_webhook_secret = Some("the-old-webhook-secret-being-rotated".into());
        let body = r#"{"user_id":"alice"}"#;
        for secret in [WEBHOOK_SECRET, "the-old-webhook-secret-being-rotated"] {
            let reply = harness
                .post(
                    "/v1/webhooks/rook",
                    None,
                    Some(&format!("Bearer {secret}")),
                    body,
                )
                .unwrap();
            assert_eq!(reply.status, 202, "{secret}");
        }
        assert_eq!(
            harness
                .post(
                    "/v1/webhooks/rook",
                    None,
                    Some("Bearer the-old-webhook-secret-being-"),
                    body
                )
                .unwrap_err(),
            ApiError::WebhookUnauthorized
        );
    }
}
