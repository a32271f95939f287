//! Events to the host's backend: which change makes which event, how a
//! delivery is signed (Standard Webhooks), and when a failed one is tried
//! again. Plain decisions; the user's Durable Object keeps the outbox and
//! does the sending (`user_state_do`).
//!
//! An event is written in the same step as the status change and its audit
//! row (a transactional outbox), so a recorded change always has its event.
//! Each user's events go out in order, one at a time: an event waits until
//! the one before it is delivered or given up.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use healthlink_shared::{
    AuditAction, AuditResult, ConnectionStatus, Delivery, DeliveryAttempt, DeliveryState, Event,
    EventData, EventType,
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::time::rfc3339_from_unix_ms;
use crate::user_state::{Change, StoredStatus};

/// Waits after each failed attempt, in order: the schedule the Standard
/// Webhooks specification suggests (at once, then 5 s, 5 min, 30 min, 2 h,
/// 5 h, 10 h, 10 h). Eight attempts over about 27.6 hours; after the last
/// failure the event is given up (a redelivery starts again).
pub const DEFAULT_SCHEDULE_MS: [i64; 7] = [
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/// The longest an attempt may take: the specification's receivers answer
/// fast, and a Durable Object alarm must not hang on one endpoint.
pub const MAX_TIMEOUT_MS: u32 = 15_000;

/// How often a user's object looks again while the endpoint is disabled
/// (it answered 410): cheap, and delivery resumes soon after an operator
/// re-enables it.
pub const PAUSED_RECHECK_MS: i64 = 600_000;

/// The standard's secret format: `whsec_` and the base64 of the key.
pub const SECRET_PREFIX: &str = "whsec_";
/// The standard asks for keys of 24 to 64 bytes.
pub const MIN_KEY_BYTES: usize = 24;
pub const MAX_KEY_BYTES: usize = 64;

/// The key inside a `whsec_…` secret, if it is one.
pub fn parse_secret(secret: &str) -> Option<Vec<u8>> {
    let key = STANDARD
        .decode(secret.trim().strip_prefix(SECRET_PREFIX)?)
        .ok()?;
    (MIN_KEY_BYTES..=MAX_KEY_BYTES)
        .contains(&key.len())
        .then_some(key)
}

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` of
/// `id.timestamp.body` under each key, space-separated (two during a
/// rotation, so receivers on either secret verify it).
pub fn signature_header(keys: &[Vec<u8>], id: &str, timestamp_s: i64, body: &str) -> String {
    keys.iter()
        .map(|key| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(format!("{id}.{timestamp_s}.{body}").as_bytes());
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short, stable name for an endpoint URL, under which its state (410:
/// disabled) is kept: the URL itself may carry a credential of the host's.
pub fn endpoint_key(url: &str) -> String {
    Sha256::digest(url.as_bytes())
        .iter()
        .take(12)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An event ready for the outbox: its type and the exact body every
/// attempt sends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEvent {
    pub kind: EventType,
    pub body: String,
}

/// The event a recorded change makes, if any. `previous` is the source's
/// row before the change. A change that leaves the status as it was makes
/// none, except a failed attempt, which is a `connection.error`; a connect
/// only the browser reported makes none until the aggregator confirms it.
pub fn event_for(
    previous: Option<&StoredStatus>,
    change: &Change,
    audit_id: i64,
) -> Option<OutboxEvent> {
    let before = previous.map_or(ConnectionStatus::Disconnected, |row| row.status);
    let deleting = change.action == AuditAction::Delete
        || previous.is_some_and(|row| row.status == ConnectionStatus::Pending && row.deleting);
    let (kind, delete_data, error) = match change.status {
        None => {
            let failure = change.failure.clone()?;
            (change.result == AuditResult::Failed).then_some(())?;
            (EventType::Error, None, Some(failure))
        }
        Some(after) if after == before && !upgrades_to_delete(previous, change) => return None,
        Some(ConnectionStatus::Connected) => (EventType::Connected, None, None),
        Some(ConnectionStatus::Disconnected) => (EventType::Disconnected, Some(deleting), None),
        Some(ConnectionStatus::Expired) => (EventType::Expired, None, None),
        Some(ConnectionStatus::Error) => (EventType::Error, None, change.failure.clone()),
        Some(ConnectionStatus::Pending) => match change.action {
            AuditAction::Disconnect | AuditAction::Delete => {
                (EventType::RevokePending, Some(deleting), None)
            }
            // Link rows change no status; they are never a `Change`.
            AuditAction::Connect
            | AuditAction::Reconcile
            | AuditAction::LinkCreate
            | AuditAction::LinkOpen
            | AuditAction::LinkRevoke => return None,
        },
    };
    let status = change.status.unwrap_or(before);
    let data = EventData {
        user_id: change.user_id.clone(),
        source: Some(change.source.clone()),
        status: Some(status.as_str().to_owned()),
        previous_status: Some(before.as_str().to_owned()),
        delete_data,
        error,
        last_data_at: None,
        actor: change.actor.as_str().to_owned(),
        aggregator: change.aggregator.clone(),
        audit_id: Some(audit_id),
        occurred_at: rfc3339_from_unix_ms(change.occurred_at_ms.unwrap_or(change.at_ms)),
    };
    Some(outbox_event(kind, change.at_ms, data))
}

/// A delete while a plain revoke is pending leaves the status `pending`
/// but changes what the host must do: worth a new `revoke_pending`.
fn upgrades_to_delete(previous: Option<&StoredStatus>, change: &Change) -> bool {
    change.action == AuditAction::Delete
        && change.status == Some(ConnectionStatus::Pending)
        && previous.is_some_and(|row| row.status == ConnectionStatus::Pending && !row.deleting)
}

/// A `connection.stale` the user's alarm writes, and the period it is for
/// (the source's last data, to mark as announced in the same step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleEvent {
    pub source: String,
    pub last_data_at_ms: i64,
    pub event: OutboxEvent,
}

/// The `connection.stale` events due at `now_ms` for a user's sources
/// ([`crate::freshness::stale_events_due`]), written at `now_ms`. The actor
/// is the backend: staleness is judged from its reports.
pub fn stale_events(
    user_id: &str,
    aggregator: &str,
    rows: &[StoredStatus],
    stale_after_ms: i64,
    now_ms: i64,
) -> Vec<StaleEvent> {
    crate::freshness::stale_events_due(rows, stale_after_ms, now_ms)
        .into_iter()
        .filter_map(|row| {
            let data = row.data.as_ref()?;
            let stale_at = crate::freshness::stale_at(row, stale_after_ms)?;
            let event = EventData {
                user_id: user_id.to_owned(),
                source: Some(row.source.clone()),
                status: Some(row.status.as_str().to_owned()),
                previous_status: None,
                delete_data: None,
                error: None,
                last_data_at: Some(rfc3339_from_unix_ms(data.last_data_at_ms)),
                actor: healthlink_shared::AuditActor::Backend.as_str().to_owned(),
                aggregator: aggregator.to_owned(),
                audit_id: None,
                occurred_at: rfc3339_from_unix_ms(stale_at),
            };
            Some(StaleEvent {
                source: row.source.clone(),
                last_data_at_ms: data.last_data_at_ms,
                event: outbox_event(EventType::Stale, now_ms, event),
            })
        })
        .collect()
}

/// `user.erased`, written into the emptied object right after an erasure.
pub fn erased_event(user_id: &str, aggregator: &str, at_ms: i64) -> OutboxEvent {
    let data = EventData {
        user_id: user_id.to_owned(),
        source: None,
        status: None,
        previous_status: None,
        delete_data: Some(true),
        error: None,
        last_data_at: None,
        actor: healthlink_shared::AuditActor::Backend.as_str().to_owned(),
        aggregator: aggregator.to_owned(),
        audit_id: None,
        occurred_at: rfc3339_from_unix_ms(at_ms),
    };
    outbox_event(EventType::UserErased, at_ms, data)
}

fn outbox_event(kind: EventType, at_ms: i64, data: EventData) -> OutboxEvent {
    let event = Event {
        kind,
        timestamp: rfc3339_from_unix_ms(at_ms),
        data,
    };
    OutboxEvent {
        kind,
        body: serde_json::to_string(&event).expect("events serialise"),
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// 2xx.
    Delivered,
    /// 410 Gone: the host says the endpoint is gone; delivery to it stops
    /// until an operator resumes it, and nothing is given up meanwhile.
    Gone,
    /// Anything else; the spelling goes into the delivery's history.
    Failed(String),
}

impl Attempt {
    /// `Ok(status)` for an answer, `Err(timed_out)` for none.
    pub fn of(answer: Result<u16, bool>) -> Self {
        match answer {
            Ok(200..=299) => Self::Delivered,
            Ok(410) => Self::Gone,
            Ok(status) => Self::Failed(format!("http_{status}")),
            Err(true) => Self::Failed("timeout".to_owned()),
            Err(false) => Self::Failed("connection_failed".to_owned()),
        }
    }

    pub fn spelling(&self) -> &str {
        match self {
            Self::Delivered => "delivered",
            Self::Gone => "endpoint_gone",
            Self::Failed(spelling) => spelling,
        }
    }
}

/// When to try again after the `failures`-th failed attempt in a row, or
/// `None` to give up. `jitter` in [0, 1) lengthens each wait by up to 20%
/// so that many users' events do not hit a recovering endpoint at once
/// (never shortens it: the schedule's 27.6 hours stay the least).
pub fn retry_at(failures: usize, schedule: &[i64], now_ms: i64, jitter: f64) -> Option<i64> {
    let wait = *schedule.get(failures.checked_sub(1)?)?;
    let spread = (wait as f64 * (1.0 + 0.2 * jitter.clamp(0.0, 1.0))) as i64;
    Some(now_ms + spread.max(1))
}

/// What a user's outbox asks for next, given its first undelivered event
/// (when it is due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing to deliver.
    Idle,
    /// Send the head now.
    Send,
    /// Wake up at this time.
    WakeAt(i64),
}

pub fn next_step(head_due_at_ms: Option<i64>, now_ms: i64) -> Next {
    match head_due_at_ms {
        None => Next::Idle,
        Some(due) if due <= now_ms => Next::Send,
        Some(due) => Next::WakeAt(due),
    }
}

/// One event in a user's outbox, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub kind: EventType,
    pub created_at_ms: i64,
    /// When the next attempt is due; `None` once delivered or given up.
    pub next_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
    pub failed_at_ms: Option<i64>,
    /// Attempts so far, oldest first: `(at_ms, outcome spelling)`.
    pub attempts: Vec<(i64, String)>,
}

/// How the backend API shows a stored event's delivery.
pub fn delivery_of(row: OutboxRow) -> Delivery {
    let state = match (row.delivered_at_ms, row.failed_at_ms) {
        (Some(_), _) => DeliveryState::Delivered,
        (None, Some(_)) => DeliveryState::Failed,
        (None, None) => DeliveryState::Pending,
    };
    Delivery {
        id: row.id,
        kind: row.kind,
        created_at: rfc3339_from_unix_ms(row.created_at_ms),
        state,
        delivered_at: row.delivered_at_ms.map(rfc3339_from_unix_ms),
        next_attempt_at: row.next_at_ms.map(rfc3339_from_unix_ms),
        attempts: row
            .attempts
            .into_iter()
            .map(|(at_ms, outcome)| DeliveryAttempt {
                at: rfc3339_from_unix_ms(at_ms),
                outcome,
            })
            .collect(),
    }
}

/// Rows an outbox keeps after delivery, for the backend's list (the
/// newest; older delivered rows go when a new event is written).
pub const KEPT_DELIVERED: u32 = 100;

/// How delivery stands across all users, for `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct EventsHealth {
    /// Undelivered events that have failed at least once, or were given up.
    pub failing: u64,
    /// When the oldest of them was written.
    pub oldest_failing_at_ms: Option<i64>,
    /// Since when the endpoint is disabled (it answered 410), if it is.
    pub disabled_since_ms: Option<i64>,
}

impl EventsHealth {
    /// `/healthz`'s `events` object.
    pub fn report(&self, now_ms: i64) -> serde_json::Value {
        let status = match (self.disabled_since_ms, self.failing) {
            (Some(_), _) => "disabled",
            (None, 0) => "delivering",
            (None, _) => "failing",
        };
        serde_json::json!({
            "status": status,
            "failing": self.failing,
            "oldest_undelivered_seconds": self
                .oldest_failing_at_ms
                .map(|at| (now_ms - at).max(0) / 1000),
            "disabled_since": self.disabled_since_ms.map(rfc3339_from_unix_ms),
        })
    }
}

/// How long a user's object waits before looking again at a disabled
/// endpoint: [`PAUSED_RECHECK_MS`], or less with a shorter schedule (tests).
pub fn paused_recheck_ms(schedule: &[i64]) -> i64 {
    schedule
        .last()
        .map_or(PAUSED_RECHECK_MS, |last| (*last).min(PAUSED_RECHECK_MS))
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{AuditActor, EventError, FlowAction};

    use super::*;

    fn change(status: Option<ConnectionStatus>, action: AuditAction) -> Change {
        Change {
            at_ms: 1_700_000_000_000,
            user_id: "alice".into(),
            source: "oura".into(),
            status,
            error: None,
            failure: None,
            actor: AuditActor::User,
            action,
            result: status.map_or(AuditResult::Failed, AuditResult::from),
            aggregator: "sandbox".into(),
            occurred_at_ms: None,
            authorized_at_ms: None,
            consent_version: None,
        }
    }

    fn stored(status: ConnectionStatus, deleting: bool) -> StoredStatus {
        StoredStatus {
            source: "oura".into(),
            status,
            updated_at_ms: 0,
            error: None,
            pending: (status == ConnectionStatus::Pending).then_some(FlowAction::Disconnect),
            deleting,
            data: None,
        }
    }

    fn event(previous: Option<StoredStatus>, change: &Change) -> Option<(EventType, EventData)> {
        event_for(previous.as_ref(), change, 7).map(|event| {
            let parsed: Event = serde_json::from_str(&event.body).unwrap();
            assert_eq!(parsed.kind, event.kind);
            (event.kind, parsed.data)
        })
    }

    #[test]
    fn each_transition_makes_its_event() {
        use ConnectionStatus::*;
        let (kind, data) = event(None, &change(Some(Connected), AuditAction::Connect)).unwrap();
        assert_eq!(kind, EventType::Connected);
        assert_eq!(data.status.as_deref(), Some("connected"));
        assert_eq!(data.previous_status.as_deref(), Some("disconnected"));
        assert_eq!(data.actor, "user");
        assert_eq!(data.audit_id, Some(7));
        assert_eq!(data.occurred_at, "2023-11-14T22:13:20.000Z");
        assert_eq!(data.delete_data, None);

        let connected = Some(stored(Connected, false));
        let (kind, data) = event(
            connected.clone(),
            &change(Some(Disconnected), AuditAction::Disconnect),
        )
        .unwrap();
        assert_eq!(
            (kind, data.delete_data),
            (EventType::Disconnected, Some(false))
        );
        let (kind, data) = event(
            connected.clone(),
            &change(Some(Disconnected), AuditAction::Delete),
        )
        .unwrap();
        assert_eq!(
            (kind, data.delete_data),
            (EventType::Disconnected, Some(true))
        );
        let (kind, data) = event(
            connected.clone(),
            &change(Some(Pending), AuditAction::Delete),
        )
        .unwrap();
        assert_eq!(
            (kind, data.delete_data),
            (EventType::RevokePending, Some(true))
        );
        let (kind, _) = event(
            connected.clone(),
            &change(Some(Expired), AuditAction::Reconcile),
        )
        .unwrap();
        assert_eq!(kind, EventType::Expired);
    }

    #[test]
    fn a_confirmed_delete_says_delete_even_when_the_aggregator_confirms_it() {
        use ConnectionStatus::*;
        let confirmation = Change {
            actor: AuditActor::Aggregator,
            occurred_at_ms: Some(1_600_000_000_000),
            ..change(Some(Disconnected), AuditAction::Disconnect)
        };
        let (kind, data) = event(Some(stored(Pending, true)), &confirmation).unwrap();
        assert_eq!(
            (kind, data.delete_data),
            (EventType::Disconnected, Some(true))
        );
        assert_eq!(data.actor, "aggregator");
        assert_eq!(data.occurred_at, "2020-09-13T12:26:40.000Z");
        let (_, data) = event(Some(stored(Pending, false)), &confirmation).unwrap();
        assert_eq!(data.delete_data, Some(false));
    }

    #[test]
    fn no_change_no_event_but_a_delete_upgrade_is_one() {
        use ConnectionStatus::*;
        let connected = Some(stored(Connected, false));
        assert_eq!(
            event(connected, &change(Some(Connected), AuditAction::Connect)),
            None
        );
        // Only the browser said so: nothing until the aggregator confirms.
        assert_eq!(
            event(None, &change(Some(Pending), AuditAction::Connect)),
            None
        );
        let upgrade = change(Some(Pending), AuditAction::Delete);
        let (kind, data) = event(Some(stored(Pending, false)), &upgrade).unwrap();
        assert_eq!(
            (kind, data.delete_data),
            (EventType::RevokePending, Some(true))
        );
        assert_eq!(event(Some(stored(Pending, true)), &upgrade), None);
    }

    #[test]
    fn a_failed_attempt_is_an_error_event_in_the_apis_terms() {
        let failed = Change {
            failure: Some(EventError {
                code: "upstream_unavailable".into(),
                title: "The data source service is unavailable".into(),
            }),
            ..change(None, AuditAction::Disconnect)
        };
        let (kind, data) =
            event(Some(stored(ConnectionStatus::Connected, false)), &failed).unwrap();
        assert_eq!(kind, EventType::Error);
        assert_eq!(data.error.unwrap().code, "upstream_unavailable");
        assert_eq!(data.status.as_deref(), Some("connected"));
        assert_eq!(data.previous_status.as_deref(), Some("connected"));
        // A failure with nothing to say (a cancelled flow) is no event.
        assert_eq!(event(None, &change(None, AuditAction::Connect)), None);
    }

    #[test]
    fn an_erasure_event_names_only_the_user() {
        let event: Event =
            serde_json::from_str(&erased_event("alice", "thryve", 1_700_000_000_000).body).unwrap();
        assert_eq!(event.kind, EventType::UserErased);
        assert_eq!(event.data.user_id, "alice");
        assert_eq!(event.data.source, None);
        assert_eq!(event.data.actor, "backend");
    }

    #[test]
    fn a_stale_source_makes_one_event_saying_since_when() {
        use crate::freshness::DataReport;
        let report = |told_for| StoredStatus {
            source: "garmin".into(),
            updated_at_ms: 1_000,
            data: Some(DataReport {
                last_data_at_ms: 5_000,
                error: None,
                stale_event_for_ms: told_for,
            }),
            ..stored(ConnectionStatus::Connected, false)
        };
        let due = stale_events("alice", "rook", &[report(None)], 10_000, 20_000);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].source.as_str(), due[0].last_data_at_ms),
            ("garmin", 5_000)
        );
        let event: Event = serde_json::from_str(&due[0].event.body).unwrap();
        assert_eq!(event.kind, EventType::Stale);
        assert_eq!(event.timestamp, "1970-01-01T00:00:20.000Z");
        assert_eq!(event.data.occurred_at, "1970-01-01T00:00:15.000Z");
        assert_eq!(
            event.data.last_data_at.as_deref(),
            Some("1970-01-01T00:00:05.000Z")
        );
        assert_eq!(
            (event.data.user_id.as_str(), event.data.actor.as_str()),
            ("alice", "backend")
        );
        assert_eq!(event.data.aggregator, "rook");
        assert_eq!(event.data.audit_id, None);
        // Not yet stale, or already told for this period: none.
        assert!(stale_events("alice", "rook", &[report(None)], 10_000, 14_999).is_empty());
        assert!(stale_events("alice", "rook", &[report(Some(5_000))], 10_000, 90_000).is_empty());
    }

    #[test]
    fn signatures_match_the_standards_reference_vector() {
        // The test vector of the Standard Webhooks reference libraries.
        let key = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signature_header(
                std::slice::from_ref(&key),
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // During a rotation: one signature per key, space-separated.
        let other = vec![7u8; 32];
        let both = signature_header(&[key, other], "msg_1", 1, "{}");
        assert_eq!(both.split(' ').count(), 2);
        assert!(both.split(' ').all(|part| part.starts_with("v1,")));
    }

    #[test]
    fn secrets_must_be_in_the_standard_format() {
        assert!(parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_some());
        assert_eq!(parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), None);
        assert_eq!(parse_secret("whsec_not base64!"), None);
        // Too short a key.
        assert_eq!(
            parse_secret(&format!("whsec_{}", STANDARD.encode([1u8; 16]))),
            None
        );
    }

    #[test]
    fn retries_follow_the_schedule_with_jitter_then_give_up() {
        let schedule = DEFAULT_SCHEDULE_MS;
        assert_eq!(retry_at(1, &schedule, 0, 0.0), Some(5_000));
        assert_eq!(retry_at(1, &schedule, 0, 0.5), Some(5_500));
        assert_eq!(retry_at(1, &schedule, 0, 0.999_999), Some(5_999));
        assert_eq!(retry_at(2, &schedule, 10, 0.0), Some(300_010));
        assert_eq!(retry_at(7, &schedule, 0, 0.0), Some(36_000_000));
        assert_eq!(retry_at(8, &schedule, 0, 0.5), None);
        assert_eq!(retry_at(0, &schedule, 0, 0.5), None);
        // With no jitter at all, the attempts still span more than 24 hours.
        let least: i64 = schedule.iter().sum();
        assert!(least > 24 * 3_600_000, "{least}");
    }

    #[test]
    fn attempts_are_classified_as_the_standard_says() {
        assert_eq!(Attempt::of(Ok(200)), Attempt::Delivered);
        assert_eq!(Attempt::of(Ok(204)), Attempt::Delivered);
        assert_eq!(Attempt::of(Ok(410)), Attempt::Gone);
        assert_eq!(Attempt::of(Ok(500)).spelling(), "http_500");
        assert_eq!(Attempt::of(Ok(301)).spelling(), "http_301");
        assert_eq!(Attempt::of(Err(true)).spelling(), "timeout");
        assert_eq!(Attempt::of(Err(false)).spelling(), "connection_failed");
    }

    #[test]
    fn the_outbox_sends_the_head_when_it_is_due() {
        assert_eq!(next_step(None, 5), Next::Idle);
        assert_eq!(next_step(Some(5), 5), Next::Send);
        assert_eq!(next_step(Some(9), 5), Next::WakeAt(9));
    }

    #[test]
    fn deliveries_read_as_their_state() {
        let row = OutboxRow {
            id: "msg_1".into(),
            kind: EventType::Connected,
            created_at_ms: 0,
            next_at_ms: Some(5_000),
            delivered_at_ms: None,
            failed_at_ms: None,
            attempts: vec![(0, "http_500".into())],
        };
        let pending = delivery_of(row.clone());
        assert_eq!(pending.state, DeliveryState::Pending);
        assert_eq!(
            pending.next_attempt_at.as_deref(),
            Some("1970-01-01T00:00:05.000Z")
        );
        assert_eq!(pending.attempts[0].outcome, "http_500");
        let failed = OutboxRow {
            next_at_ms: None,
            failed_at_ms: Some(9),
            ..row.clone()
        };
        assert_eq!(delivery_of(failed).state, DeliveryState::Failed);
        let delivered = OutboxRow {
            next_at_ms: None,
            delivered_at_ms: Some(9),
            ..row
        };
        assert_eq!(delivery_of(delivered).state, DeliveryState::Delivered);
    }

    #[test]
    fn health_says_failing_disabled_or_delivering() {
        let healthy = EventsHealth::default().report(0);
        assert_eq!(healthy["status"], "delivering");
        let failing = EventsHealth {
            failing: 3,
            oldest_failing_at_ms: Some(1_000),
            disabled_since_ms: None,
        };
        let report = failing.report(61_000);
        assert_eq!(report["status"], "failing");
        assert_eq!(report["failing"], 3);
        assert_eq!(report["oldest_undelivered_seconds"], 60);
        let disabled = EventsHealth {
            disabled_since_ms: Some(0),
            ..failing
        };
        assert_eq!(disabled.report(61_000)["status"], "disabled");
        assert_eq!(paused_recheck_ms(&DEFAULT_SCHEDULE_MS), PAUSED_RECHECK_MS);
        assert_eq!(paused_recheck_ms(&[100, 3_200]), 3_200);
    }

    #[test]
    fn endpoint_keys_are_short_and_stable() {
        let key = endpoint_key("https://host.example/hooks?token=abc");
        assert_eq!(key.len(), 24);
        assert_eq!(key, endpoint_key("https://host.example/hooks?token=abc"));
        assert!(!key.contains("abc"));
    }
}
