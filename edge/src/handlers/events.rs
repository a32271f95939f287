//! The backend's view of events to the host: each user's recent deliveries,
//! a redelivery, re-enabling an endpoint that answered 410, and how
//! delivery stands in `/healthz`.

use healthlink_shared::DeliveryList;

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::Aggregator;
use crate::error::ApiError;
use crate::events::{delivery_of, endpoint_key};
use crate::user_id::UserId;
use crate::user_store::UserStore;

/// How many of a user's events the backend's list shows.
const LISTED: u32 = 50;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// The user's newest events, with every attempt and its outcome.
    pub(super) async fn deliveries(&self, user: &UserId) -> Result<Reply, ApiError> {
        let rows = self.store.deliveries(user, LISTED).await?;
        Reply::json(
            200,
            &DeliveryList {
                deliveries: rows.into_iter().map(delivery_of).collect(),
            },
        )
    }

    /// Queues one event again, with the same `webhook-id` (at-least-once:
    /// the host deduplicates by it). 202: delivery follows.
    pub(super) async fn redeliver(&self, user: &UserId, id: &str) -> Result<Reply, ApiError> {
        self.config
            .events
            .as_ref()
            .ok_or(ApiError::EventsNotConfigured)?;
        let row = self
            .store
            .redeliver(user, id, self.runtime.now_ms())
            .await?
            .ok_or(ApiError::EventNotFound)?;
        Reply::json(202, &delivery_of(row))
    }

    /// Re-enables the configured endpoint after it answered 410; users'
    /// objects resume on their next look.
    pub(super) async fn resume_events(&self) -> Result<Reply, ApiError> {
        let events = self
            .config
            .events
            .as_ref()
            .ok_or(ApiError::EventsNotConfigured)?;
        self.store
            .resume_endpoint(&endpoint_key(&events.url))
            .await?;
        Ok(Reply::empty(204))
    }

    /// `/healthz`: the aggregator, the demo, event delivery, and where
    /// users' state is stored (`jurisdiction`, `null` for anywhere). A store
    /// that cannot be asked says so rather than failing the health check.
    pub(super) async fn healthz(&self) -> Result<Reply, ApiError> {
        let events = match &self.config.events {
            None => serde_json::json!({"status": "off"}),
            Some(events) => match self.store.events_health(&endpoint_key(&events.url)).await {
                Ok(health) => health.report(self.runtime.now_ms()),
                Err(_) => serde_json::json!({"status": "unknown"}),
            },
        };
        Reply::json(
            200,
            &serde_json::json!({
                "status": "ok",
                "aggregator": self.config.aggregator.name(),
                "demo": self.config.demo_enabled(),
                "events": events,
                "jurisdiction": self.config.jurisdiction.map(|j| j.as_str()),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectionStatus, DeliveryList, DeliveryState, Event, EventType};

    use super::super::testing::{Harness, json};
    use crate::error::ApiError;
    use crate::events::EventsHealth;

    fn events_of(harness: &Harness, user: &str) -> Vec<(EventType, Event)> {
        let list: DeliveryList = json(
            &harness
                .backend_get(&format!("/v1/users/{user}/events"))
                .unwrap(),
        );
        let bodies = harness.store.bodies();
        let events: Vec<Event> = bodies
            .iter()
            .map(|body| serde_json::from_str(body).unwrap())
            .filter(|event: &Event| event.data.user_id == user)
            .collect();
        assert_eq!(list.deliveries.len(), events.len());
        list.deliveries
            .iter()
            .rev()
            .zip(events)
            .map(|(delivery, event)| {
                assert_eq!(delivery.kind, event.kind);
                (delivery.kind, event)
            })
            .collect()
    }

    #[test]
    fn every_recorded_change_writes_its_event_in_order() {
        let harness = Harness::sandbox().with_events();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .widget_post("alice", "/v1/connections/oura/disconnect", "")
            .unwrap();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        harness
            .backend_post("/v1/users/alice/connections/garmin/delete", "")
            .unwrap();
        // A no-op writes nothing.
        harness
            .widget_post("alice", "/v1/connections/oura/disconnect", "")
            .unwrap();
        let events = events_of(&harness, "alice");
        let kinds: Vec<EventType> = events.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds, [EventType::Disconnected, EventType::Disconnected]);
        assert_eq!(events[0].1.data.delete_data, Some(false));
        assert_eq!(events[0].1.data.actor, "user");
        assert_eq!(events[1].1.data.delete_data, Some(true));
        assert_eq!(events[1].1.data.actor, "backend");
        assert_eq!(events[1].1.data.source.as_deref(), Some("garmin"));
        // Audit ids tie each event to its row.
        assert!(events[0].1.data.audit_id < events[1].1.data.audit_id);
    }

    #[test]
    fn a_pending_delete_confirmed_later_tells_the_host_to_delete() {
        let harness = Harness::sandbox().with_events();
        let user = "fault-pending-9";
        harness.seed(user, "oura", ConnectionStatus::Connected);
        harness
            .widget_post(user, "/v1/connections/oura/delete", "")
            .unwrap();
        let events = events_of(&harness, user);
        assert_eq!(events[0].0, EventType::RevokePending);
        assert_eq!(events[0].1.data.delete_data, Some(true));
    }

    #[test]
    fn a_failed_revoke_is_an_error_event_in_the_apis_terms() {
        let harness = Harness::sandbox().with_events();
        let user = "fault-unavailable-3";
        harness.seed(user, "oura", ConnectionStatus::Connected);
        assert_eq!(
            harness
                .widget_post(user, "/v1/connections/oura/disconnect", "")
                .unwrap_err(),
            ApiError::UpstreamUnavailable
        );
        let events = events_of(&harness, user);
        assert_eq!(events[0].0, EventType::Error);
        let error = events[0].1.data.error.clone().unwrap();
        assert_eq!(error.code, "upstream_unavailable");
        assert_eq!(events[0].1.data.status.as_deref(), Some("connected"));
    }

    #[test]
    fn without_an_endpoint_nothing_is_written() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .widget_post("alice", "/v1/connections/oura/disconnect", "")
            .unwrap();
        assert!(harness.store.bodies().is_empty());
        assert_eq!(
            harness
                .backend_post("/v1/users/alice/events/msg_1/redeliver", "")
                .unwrap_err(),
            ApiError::EventsNotConfigured
        );
        let health: serde_json::Value = json(&harness.get_query("/healthz", &[]).unwrap());
        assert_eq!(health["events"]["status"], "off");
    }

    #[test]
    fn an_erasure_leaves_only_its_own_event() {
        let harness = Harness::sandbox().with_events();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness.backend_delete("/v1/users/alice").unwrap();
        let events = events_of(&harness, "alice");
        let kinds: Vec<EventType> = events.iter().map(|(kind, _)| *kind).collect();
        // The revoke's event went with everything else; user.erased says it all.
        assert_eq!(kinds, [EventType::UserErased]);
    }

    #[test]
    fn a_redelivery_keeps_the_id_and_starts_again() {
        let harness = Harness::sandbox().with_events();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .widget_post("alice", "/v1/connections/oura/disconnect", "")
            .unwrap();
        let list: DeliveryList = json(&harness.backend_get("/v1/users/alice/events").unwrap());
        let id = &list.deliveries[0].id;
        let again = harness
            .backend_post(&format!("/v1/users/alice/events/{id}/redeliver"), "")
            .unwrap();
        assert_eq!(again.status, 202);
        let delivery: healthlink_shared::Delivery = json(&again);
        assert_eq!(&delivery.id, id);
        assert_eq!(delivery.state, DeliveryState::Pending);
        assert_eq!(
            harness
                .backend_post("/v1/users/alice/events/msg_999/redeliver", "")
                .unwrap_err(),
            ApiError::EventNotFound
        );
        // Another user's id is not found either.
        assert_eq!(
            harness
                .backend_post(&format!("/v1/users/bob/events/{id}/redeliver"), "")
                .unwrap_err(),
            ApiError::EventNotFound
        );
    }

    #[test]
    fn healthz_reports_failing_and_disabled_delivery_and_resume_clears_it() {
        let harness = Harness::sandbox().with_events();
        harness.store.health.set(EventsHealth {
            failing: 2,
            oldest_failing_at_ms: Some(harness.runtime.now_ms.get() - 90_000),
            disabled_since_ms: Some(0),
        });
        let health: serde_json::Value = json(&harness.get_query("/healthz", &[]).unwrap());
        assert_eq!(health["events"]["status"], "disabled");
        assert_eq!(health["events"]["failing"], 2);
        assert_eq!(health["events"]["oldest_undelivered_seconds"], 90);
        assert_eq!(
            harness
                .backend_post("/v1/events/resume", "")
                .unwrap()
                .status,
            204
        );
        assert_eq!(harness.store.resumed.borrow().len(), 1);
        let health: serde_json::Value = json(&harness.get_query("/healthz", &[]).unwrap());
        assert_eq!(health["events"]["status"], "failing");
        // The backend's key is required.
        assert_eq!(
            harness
                .post("/v1/events/resume", None, None, "")
                .unwrap_err(),
            ApiError::Unauthorized
        );
    }
}
