//! Events to the host's backend, in the Standard Webhooks format
//! (standardwebhooks.com): what the edge sends when a connection changes,
//! and what the backend API says about their delivery.

use serde::{Deserialize, Serialize};

/// What happened. Spelled `connection.connected` and so on on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "connection.connected")]
    Connected,
    /// Ended; `delete_data` says whether the host is to delete what the
    /// source shared.
    #[serde(rename = "connection.disconnected")]
    Disconnected,
    /// The grant expired or was revoked at the provider: the user must
    /// connect again.
    #[serde(rename = "connection.expired")]
    Expired,
    /// An attempt failed upstream; `error` says how, in the API's terms.
    #[serde(rename = "connection.error")]
    Error,
    /// A revoke was accepted and awaits the aggregator's confirmation;
    /// `connection.disconnected` follows when it comes.
    #[serde(rename = "connection.revoke_pending")]
    RevokePending,
    /// A connected source sent no data for longer than the edge's
    /// threshold (`last_data_at` says since when). Once per stale period:
    /// again only after fresh data came and stopped again.
    #[serde(rename = "connection.stale")]
    Stale,
    /// Everything about the user was erased.
    #[serde(rename = "user.erased")]
    UserErased,
}

impl EventType {
    pub const ALL: [Self; 7] = [
        Self::Connected,
        Self::Disconnected,
        Self::Expired,
        Self::Error,
        Self::RevokePending,
        Self::Stale,
        Self::UserErased,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connection.connected",
            Self::Disconnected => "connection.disconnected",
            Self::Expired => "connection.expired",
            Self::Error => "connection.error",
            Self::RevokePending => "connection.revoke_pending",
            Self::Stale => "connection.stale",
            Self::UserErased => "user.erased",
        }
    }
}

/// The body of one delivery: `{type, timestamp, data}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When the event was written (RFC 3339, UTC).
    pub timestamp: String,
    pub data: EventData,
}

/// What an event says. Never a token, a token-bearing URL or health data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    pub user_id: String,
    /// Our source id; absent for `user.erased`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The status after the change, and before it (our spellings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<String>,
    /// With `connection.disconnected` and `connection.revoke_pending`:
    /// whether the host is to delete the data the source shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_data: Option<bool>,
    /// With `connection.error`: the problem, as the API would answer it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EventError>,
    /// With `connection.stale`: when data last arrived, as the backend
    /// reported it (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_data_at: Option<String>,
    /// Who acted: `user`, an `actor_id`, `backend` or `aggregator`; for
    /// `connection.stale`, `backend`, whose reports it is judged from.
    pub actor: String,
    pub aggregator: String,
    /// The audit row written with the change (absent for `user.erased`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<i64>,
    /// When the change happened (RFC 3339, UTC).
    pub occurred_at: String,
}

/// An upstream problem in the API's taxonomy (`upstream_unavailable`,
/// `upstream_refused`, `rate_limited`, `disconnect_failed`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventError {
    pub code: String,
    pub title: String,
}

/// Where one event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; the next attempt is scheduled.
    Pending,
    Delivered,
    /// Every scheduled attempt failed (over more than 24 hours); a
    /// redelivery starts again.
    Failed,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// RFC 3339, UTC.
    pub at: String,
    /// `delivered`, `http_<status>`, `timeout`, `connection_failed`, or
    /// `endpoint_gone` (410: delivery to the endpoint is disabled).
    pub outcome: String,
}

/// One event and its delivery, as `GET /v1/users/{user_id}/events` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The `webhook-id`; the same on every attempt.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: String,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// Oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// Body of `GET /v1/users/{user_id}/events`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_spelled_as_documented() {
        for kind in EventType::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}
