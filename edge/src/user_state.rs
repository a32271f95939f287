//! What the per-user Durable Object stores, and the commands the Worker sends
//! it. One object per user id holds that user's statuses, when data last
//! arrived from each source (the time only), the return states already
//! used, and the audit trail. Nothing else: no health data.
//!
//! These types cross the Worker → Durable Object boundary as JSON, so they are
//! serializable; they are internal to the edge and never sent to clients.

use healthlink_shared::{
    AuditAction, AuditActor, AuditEntry, AuditResult, ConnectionStatus, FlowAction,
};
use serde::{Deserialize, Serialize};

use crate::time::rfc3339_from_unix_ms;
use crate::user_id::UserId;

/// The tables of one user's SQLite database. Every statement is idempotent
/// and runs whenever the object starts, so a new table is added by appending.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS source_status (
    source        TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    error         TEXT
);
CREATE TABLE IF NOT EXISTS used_states (
    nonce         TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    result     TEXT NOT NULL,
    aggregator TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_actions (
    source TEXT PRIMARY KEY,
    action TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstone (
    erased_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reserved_states (
    nonce         TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    next_at_ms      INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    delivered_at_ms INTEGER,
    failed_at_ms    INTEGER
);
CREATE TABLE IF NOT EXISTS outbox_attempts (
    seq     INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery_health (
    object    TEXT PRIMARY KEY,
    failing   INTEGER NOT NULL,
    oldest_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS disabled_endpoints (
    endpoint TEXT PRIMARY KEY,
    at_ms    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hosted_links (
    lid           TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL,
    record        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_hashes (
    id              INTEGER PRIMARY KEY,
    consent_version TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_chain (
    only  INTEGER PRIMARY KEY CHECK (only = 1),
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source_data (
    source             TEXT PRIMARY KEY,
    last_data_at_ms    INTEGER NOT NULL,
    error              TEXT,
    stale_event_for_ms INTEGER
);
";

/// In a user's object: that user's Thryve `endUserId`.
pub const THRYVE_END_USER_LINK: &str = "thryve_end_user";
/// ROOK's Extraction App pairing link for the user, asked once and kept
/// (it is the user's own: only the user's sessions are shown it).
pub const ROOK_PAIRING_LINK: &str = "rook_pairing";
/// In an index object: the user id it points to.
pub const INDEX_USER_LINK: &str = "user";

/// The name of one Durable Object: a user's, or an index object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectName(String);

impl ObjectName {
    /// One object per user id: the same user maps to the same object
    /// everywhere.
    pub fn user(user: &UserId) -> Self {
        Self(user.as_str().to_owned())
    }

    /// The index object that maps a Thryve `endUserId` back to our user, for
    /// webhooks. Its name contains `/`, which no user id can, so index
    /// objects never collide with user objects; they use only the `links`
    /// table.
    pub fn thryve_index(end_user_id: &str) -> Self {
        Self(format!("index/thryve/{end_user_id}"))
    }

    /// The one object that knows how event delivery stands across users
    /// (`/healthz`) and which endpoints said 410. Its name contains `/`, so
    /// it is no user's.
    pub fn events_monitor() -> Self {
        Self("events/monitor".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// In a user's object: what it last told the events monitor
/// (`failing:oldest`), so it speaks again only when that changes.
pub const EVENTS_REPORTED_LINK: &str = "events_health_reported";
/// In a user's object: the user's id, for the events its alarm writes on
/// its own (`connection.stale`); an object knows its name only as a hash.
pub const USER_ID_LINK: &str = "user_id";

/// The single path the Durable Object answers; the command is the body.
pub const COMMAND_PATH: &str = "/command";

/// One row of `source_status`: the last known state of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStatus {
    pub source: String,
    pub status: ConnectionStatus,
    pub updated_at_ms: i64,
    pub error: Option<String>,
    /// With status `pending`: the action the aggregator has yet to confirm.
    #[serde(default)]
    pub pending: Option<FlowAction>,
    /// With a pending disconnect: it was a delete (the host is to delete
    /// the source's data once the aggregator confirms).
    #[serde(default)]
    pub deleting: bool,
    /// What the host's backend last reported about data from the source.
    #[serde(default)]
    pub data: Option<crate::freshness::DataReport>,
}

/// What a user's object holds about their connections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserRecord {
    pub statuses: Vec<StoredStatus>,
    /// When the user was erased, if they were.
    pub erased_at_ms: Option<i64>,
}

/// A change to one source, always recorded together with its audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at_ms: i64,
    pub user_id: String,
    pub source: String,
    /// The new status; `None` leaves it as it is (e.g. a failed disconnect).
    pub status: Option<ConnectionStatus>,
    /// A sentence for the user when `status` is `error`.
    pub error: Option<String>,
    /// With a failed attempt: the upstream problem in the API's terms,
    /// for the host's `connection.error` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<healthlink_shared::EventError>,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub result: AuditResult,
    pub aggregator: String,
    /// When the aggregator says it happened (Unix ms), for events that
    /// carry their own time: an event older than the last recorded change
    /// of its source is stale and skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at_ms: Option<i64>,
    /// When the authority for this change was granted (Unix ms): the
    /// session's or return state's minting, or now for the backend. `None`
    /// for the aggregator's own reports. After an erasure only authority
    /// granted since may write ([`allowed_after_erasure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at_ms: Option<i64>,
    /// On connect rows of a deployment with a consent text version: the
    /// version the user was shown (`HEALTHLINK_CONSENT_VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_version: Option<String>,
}

/// Whether `change` may be recorded for a user erased at `erased_at_ms`.
/// Erasure must hold: no session minted before it, no return state issued
/// before it and no late aggregator report may bring the record back. Fresh
/// authority (a new session, the backend acting now) may: the user is back.
pub fn allowed_after_erasure(erased_at_ms: Option<i64>, change: &Change) -> bool {
    match erased_at_ms {
        None => true,
        Some(erased) => change.authorized_at_ms.is_some_and(|at| at > erased),
    }
}

/// What a change to `pending` waits for: the aggregator's confirmation of
/// the connect or disconnect that caused it.
pub fn pending_action(change: &Change) -> Option<FlowAction> {
    match (change.status, change.action) {
        (Some(ConnectionStatus::Pending), AuditAction::Connect) => Some(FlowAction::Connect),
        (Some(ConnectionStatus::Pending), AuditAction::Disconnect | AuditAction::Delete) => {
            Some(FlowAction::Disconnect)
        }
        _ => None,
    }
}

/// Whether a change leaves a pending revoke that was asked for as a delete.
pub fn pending_delete(change: &Change) -> bool {
    change.status == Some(ConnectionStatus::Pending) && change.action == AuditAction::Delete
}

/// How a pending action is spelled in the `pending_actions` table: the
/// flow's action, or `delete` for a pending revoke asked for as a delete.
pub fn pending_spelling(change: &Change) -> Option<&'static str> {
    match pending_action(change)? {
        _ if pending_delete(change) => Some("delete"),
        action => Some(action.as_str()),
    }
}

/// A `pending_actions` spelling read back: the action, and whether it is a
/// delete.
pub fn parse_pending(spelling: &str) -> Option<(FlowAction, bool)> {
    match spelling {
        "delete" => Some((FlowAction::Disconnect, true)),
        other => FlowAction::parse(other).map(|action| (action, false)),
    }
}

/// A connect only the browser reported (`pending`) never takes back a
/// connection the aggregator already confirmed: its webhook can overtake the
/// browser. Then the change records the attempt and leaves the status.
pub fn settle_unconfirmed(current: &[StoredStatus], change: Change) -> Change {
    let confirmed = current
        .iter()
        .any(|row| row.source == change.source && row.status == ConnectionStatus::Connected);
    if confirmed && pending_action(&change) == Some(FlowAction::Connect) {
        Change {
            status: None,
            result: AuditResult::Connected,
            ..change
        }
    } else {
        change
    }
}

/// Whether an event that carries its own time is older than what is already
/// recorded for its source, and so must not overwrite it (a redelivery, or
/// one overtaken by a later change). An event that confirms what is pending
/// is never stale: it is what the pending status waits for, and the
/// aggregator's clock may be behind ours.
pub fn is_stale(current: &[StoredStatus], change: &Change) -> bool {
    let Some(occurred) = change.occurred_at_ms else {
        return false;
    };
    current
        .iter()
        .find(|row| row.source == change.source)
        .is_some_and(|row| {
            let confirms = row.status == ConnectionStatus::Pending
                && row.pending
                    == match change.status {
                        Some(ConnectionStatus::Connected) => Some(FlowAction::Connect),
                        Some(ConnectionStatus::Disconnected) => Some(FlowAction::Disconnect),
                        _ => None,
                    };
            occurred < row.updated_at_ms && !confirms
        })
}

/// Which changes of a batch to apply. Retried webhooks and concurrent
/// reconciliations must record each transition once, so a change whose
/// status is already the stored one is skipped whole (no audit row), and so
/// is a stale event ([`is_stale`]). Changes without a status (a failed
/// attempt) are always recorded.
pub fn changes_to_apply(current: &[StoredStatus], changes: Vec<Change>) -> Vec<Change> {
    let mut applied: Vec<Change> = Vec::with_capacity(changes.len());
    for change in changes {
        if is_stale(current, &change) {
            continue;
        }
        let latest = applied
            .iter()
            .rev()
            .find(|earlier| earlier.source == change.source && earlier.status.is_some())
            .and_then(|earlier| earlier.status)
            .or_else(|| {
                current
                    .iter()
                    .find(|row| row.source == change.source)
                    .map(|row| row.status)
            });
        if change.status.is_none() || change.status != latest {
            applied.push(change);
        }
    }
    applied
}

/// Connect and disconnect attempts one user may make per window by
/// default: enough for any person, and a ceiling on what one session can
/// cost the operator's aggregator quota.
pub const ATTEMPTS_PER_WINDOW: u32 = 20;
pub const ATTEMPT_WINDOW_MS: i64 = 60_000;

/// Whether one more attempt is allowed, given the times of the attempts in
/// the last window and the `limit` per window; `Err` carries the seconds
/// until one is.
pub fn attempt_allowed(recent_at_ms: &[i64], now_ms: i64, limit: u32) -> Result<(), u32> {
    let recent: Vec<i64> = recent_at_ms
        .iter()
        .copied()
        .filter(|at| *at > now_ms - ATTEMPT_WINDOW_MS)
        .collect();
    if recent.len() < limit as usize {
        return Ok(());
    }
    let oldest = recent.iter().min().copied().unwrap_or(now_ms);
    let wait_ms = oldest + ATTEMPT_WINDOW_MS - now_ms;
    Err(u32::try_from((wait_ms + 999) / 1000).unwrap_or(60).max(1))
}

/// How long audit rows are kept and how many per user: the trail is
/// bounded, pruned oldest first whenever a row is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention {
    pub max_age_ms: i64,
    pub max_rows: u32,
}

impl Default for AuditRetention {
    /// 400 days (a year and its audit season) and 10,000 rows.
    fn default() -> Self {
        Self {
            max_age_ms: 400 * 86_400_000,
            max_rows: 10_000,
        }
    }
}

impl AuditRetention {
    /// Whether a row `at_ms`, with `newer` rows after it, is kept at `now_ms`.
    pub fn keeps(&self, at_ms: i64, newer: usize, now_ms: i64) -> bool {
        at_ms >= now_ms - self.max_age_ms && newer < self.max_rows as usize
    }
}

/// How a batch of changes is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRule {
    /// Every change, with its audit row: the result of an action someone
    /// took, recorded even when the status stays.
    Always,
    /// Only changes that change a status ([`changes_to_apply`]).
    OnlyIfChanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum UserStateCommand {
    List,
    /// Applies the changes (filtered by `rule`) and appends their audit
    /// rows, all in one transaction.
    Record {
        changes: Vec<Change>,
        rule: RecordRule,
        #[serde(default)]
        retention: AuditRetention,
        /// Write each change's event into the outbox (events configured).
        #[serde(default)]
        events: bool,
    },
    GetLink {
        name: String,
    },
    SetLink {
        name: String,
        value: String,
    },
    /// Marks a return state's nonce as used and applies the change, or does
    /// nothing at all if the nonce was used before.
    ConsumeAndRecord {
        nonce: String,
        expires_at_ms: i64,
        change: Box<Change>,
        #[serde(default)]
        retention: AuditRetention,
        #[serde(default)]
        events: bool,
    },
    /// Audit rows with `id < before` (all if `None`), newest first.
    Audit {
        before: Option<i64>,
        limit: u32,
    },
    /// The whole trail, oldest first, with its chain.
    AuditChain,
    /// Reserves a return state's nonce before any upstream call, so a
    /// replay is refused at once and costs the aggregator nothing.
    Reserve {
        nonce: String,
        expires_at_ms: i64,
    },
    /// Gives a reservation back (the change it was for could not be
    /// recorded), so the user's retry works.
    Release {
        nonce: String,
    },
    /// Counts a connect or disconnect attempt, or refuses it
    /// ([`attempt_allowed`]).
    Attempt {
        at_ms: i64,
        limit: u32,
    },
    /// Deletes everything stored for the user and leaves a tombstone
    /// with the time.
    Erase {
        at_ms: i64,
        /// The event to leave in the emptied outbox (`user.erased`).
        #[serde(default)]
        then: Option<crate::events::OutboxEvent>,
    },
    /// The host's backend says data from `source` last arrived at
    /// `last_data_at_ms` ([`crate::freshness::apply_report`] decides).
    ReportData {
        user_id: String,
        source: String,
        last_data_at_ms: i64,
        error: Option<healthlink_shared::SyncError>,
        /// Events are configured: the alarm is to watch for staleness.
        #[serde(default)]
        events: bool,
    },
    /// Keeps a newly minted hosted connect link with its audit row, and
    /// drops records long expired ([`crate::links::KEPT_AFTER_EXPIRY_MS`]).
    PutHostedLink {
        record: Box<crate::links::LinkRecord>,
        audit: crate::links::LinkAudit,
        #[serde(default)]
        retention: AuditRetention,
    },
    /// Opens a hosted link if its record allows ([`crate::links::LinkRecord::open`]),
    /// keeping the opened record and its audit row, in one step: a
    /// single-use link opens once however many requests race. `audit`'s
    /// result is replaced by the opening's.
    OpenHostedLink {
        lid: String,
        audit: crate::links::LinkAudit,
        /// A redirect flow started on the page came back.
        #[serde(default)]
        resume: bool,
        #[serde(default)]
        retention: AuditRetention,
    },
    /// Revokes one hosted link, with its audit row (none if it was revoked
    /// already).
    RevokeHostedLink {
        lid: String,
        audit: crate::links::LinkAudit,
        #[serde(default)]
        retention: AuditRetention,
    },
    /// Every hosted link record kept for the user, newest first.
    HostedLinks,
    /// The newest events and their deliveries.
    Deliveries {
        limit: u32,
    },
    /// Starts one event's delivery again, with the same id.
    Redeliver {
        id: String,
        at_ms: i64,
    },
    /// To the monitor: how one user's object stands (`failing` 0 removes it).
    ReportHealth {
        object: String,
        failing: u64,
        oldest_ms: Option<i64>,
    },
    /// To the monitor: delivery across all users, and the endpoint's state.
    EventsHealth {
        endpoint: String,
    },
    /// To the monitor: the endpoint answered 410.
    DisableEndpoint {
        endpoint: String,
        at_ms: i64,
    },
    /// To the monitor: an operator re-enabled the endpoint.
    ResumeEndpoint {
        endpoint: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum UserStateReply {
    Statuses {
        statuses: Vec<StoredStatus>,
        /// When the user was erased, if they were (a tombstone: no
        /// personal data, only the time).
        #[serde(default)]
        erased_at_ms: Option<i64>,
    },
    Recorded,
    /// How many of the changes were applied.
    Applied {
        count: usize,
    },
    Link {
        value: Option<String>,
    },
    StateAlreadyUsed,
    /// A nonce reservation was made.
    Reserved,
    /// An attempt was counted.
    AttemptAllowed,
    /// Too many attempts: try again after this many seconds.
    AttemptRefused {
        retry_after_seconds: u32,
    },
    /// The change was refused: the user was erased after its authority
    /// was granted.
    ErasedBefore,
    Audit {
        rows: Vec<AuditRow>,
    },
    AuditChain {
        chain: healthlink_shared::audit_export::ChainSummary,
        entries: Vec<healthlink_shared::audit_export::ChainedEntry>,
    },
    Erased,
    /// After a data report: the source's row (`None`: not connected, and
    /// nothing was stored).
    DataReported {
        row: Option<StoredStatus>,
    },
    Deliveries {
        rows: Vec<crate::events::OutboxRow>,
    },
    /// `None`: no event with that id.
    Redelivered {
        row: Option<crate::events::OutboxRow>,
    },
    EventsHealth {
        health: crate::events::EventsHealth,
    },
    HostedLinkOpened {
        opening: crate::links::LinkOpening,
    },
    /// `None`: no such link; `Some(false)`: it was revoked already.
    HostedLinkRevoked {
        revoked: Option<bool>,
    },
    HostedLinks {
        records: Vec<crate::links::LinkRecord>,
    },
}

impl UserStateReply {
    /// The reply's name, for logs (its content may name a user).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Statuses { .. } => "statuses",
            Self::Recorded => "recorded",
            Self::Applied { .. } => "applied",
            Self::Link { .. } => "link",
            Self::StateAlreadyUsed => "state_already_used",
            Self::Reserved => "reserved",
            Self::AttemptAllowed => "attempt_allowed",
            Self::AttemptRefused { .. } => "attempt_refused",
            Self::ErasedBefore => "erased_before",
            Self::Audit { .. } => "audit",
            Self::AuditChain { .. } => "audit_chain",
            Self::Erased => "erased",
            Self::DataReported { .. } => "data_reported",
            Self::Deliveries { .. } => "deliveries",
            Self::Redelivered { .. } => "redelivered",
            Self::EventsHealth { .. } => "events_health",
            Self::HostedLinkOpened { .. } => "hosted_link_opened",
            Self::HostedLinkRevoked { .. } => "hosted_link_revoked",
            Self::HostedLinks { .. } => "hosted_links",
        }
    }
}

/// The largest id storage can hand through JavaScript exactly (2^53 - 1).
pub const MAX_AUDIT_ID: i64 = 9_007_199_254_740_991;

/// A `?before=` cursor: an audit id, 1 to [`MAX_AUDIT_ID`]. Anything else is
/// refused up front; a larger number would lose precision on its way into
/// the Durable Object's SQL.
pub fn audit_cursor(value: &str) -> Option<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| (1..=MAX_AUDIT_ID).contains(id))
}

/// One stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub user_id: String,
    pub source: String,
    pub action: String,
    pub result: String,
    pub aggregator: String,
    #[serde(default)]
    pub consent_version: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: row.id,
            at: rfc3339_from_unix_ms(row.at_ms),
            actor: row.actor,
            user_id: row.user_id,
            source: row.source,
            action: row.action,
            result: row.result,
            aggregator: row.aggregator,
            consent_version: row.consent_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(source: &str, status: ConnectionStatus) -> StoredStatus {
        StoredStatus {
            source: source.into(),
            status,
            updated_at_ms: 0,
            error: None,
            pending: None,
            deleting: false,
            data: None,
        }
    }

    fn change(source: &str, status: Option<ConnectionStatus>) -> Change {
        Change {
            at_ms: 1,
            user_id: "alice".into(),
            source: source.into(),
            status,
            error: None,
            failure: None,
            actor: AuditActor::Aggregator,
            action: AuditAction::Reconcile,
            result: status.map_or(AuditResult::Failed, AuditResult::from),
            aggregator: "rook".into(),
            occurred_at_ms: None,
            authorized_at_ms: None,
            consent_version: None,
        }
    }

    #[test]
    fn a_stale_event_never_flips_a_newer_state() {
        use ConnectionStatus::*;
        let at = |status, updated_at_ms, pending| StoredStatus {
            updated_at_ms,
            deleting: false,
            pending,
            ..stored("oura", status)
        };
        let event = |status, occurred| Change {
            occurred_at_ms: Some(occurred),
            ..change("oura", Some(status))
        };
        // Disconnected by the user at 2000; Thryve's connect event of 1000
        // arrives late (a redelivery): it is older, so it is skipped.
        let current = [at(Disconnected, 2000, None)];
        assert!(is_stale(&current, &event(Connected, 1000)));
        assert!(changes_to_apply(&current, vec![event(Connected, 1000)]).is_empty());
        // A newer event applies; one without a time is judged by status only.
        assert!(!is_stale(&current, &event(Connected, 3000)));
        assert!(!is_stale(&current, &change("oura", Some(Connected))));
        // The confirmation of a pending connect applies even when Thryve's
        // clock says it happened before we recorded the pending state ...
        let pending = [at(Pending, 2000, Some(FlowAction::Connect))];
        assert!(!is_stale(&pending, &event(Connected, 1990)));
        // ... but an old disconnect does not undo it.
        assert!(is_stale(&pending, &event(Disconnected, 1500)));
        // Never stored: nothing to be older than.
        assert!(!is_stale(&[], &event(Connected, 1)));
    }

    #[test]
    fn only_changes_that_change_a_status_are_applied() {
        use ConnectionStatus::*;
        let current = [stored("oura", Connected), stored("garmin", Pending)];
        let applied = changes_to_apply(
            &current,
            vec![
                change("oura", Some(Connected)),
                change("garmin", Some(Disconnected)),
                // Never stored reads as no status yet: recorded.
                change("fitbit", Some(Disconnected)),
                // The same transition twice in one batch: once.
                change("garmin", Some(Disconnected)),
                // Attempts without a status are always on record.
                change("oura", None),
            ],
        );
        assert_eq!(
            applied,
            [
                change("garmin", Some(Disconnected)),
                change("fitbit", Some(Disconnected)),
                change("oura", None),
            ]
        );
        assert!(changes_to_apply(&current, vec![change("oura", Some(Connected))]).is_empty());
    }

    #[test]
    fn users_and_index_objects_never_share_a_name() {
        let user = ObjectName::user(&UserId::parse("index").unwrap());
        assert_ne!(user, ObjectName::thryve_index(""));
        assert!(ObjectName::thryve_index("eu-1").as_str().contains('/'));
        assert!(UserId::parse(ObjectName::thryve_index("x").as_str()).is_err());
    }

    #[test]
    fn audit_cursors_are_ids_javascript_holds_exactly() {
        assert_eq!(audit_cursor("1"), Some(1));
        assert_eq!(audit_cursor("9007199254740991"), Some(MAX_AUDIT_ID));
        for bad in [
            "0",
            "-1",
            "9007199254740992",
            "72057594037927935",
            "1.5",
            "",
            "x",
        ] {
            assert_eq!(audit_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn after_erasure_only_fresh_authority_writes() {
        let with = |authorized_at_ms| Change {
            authorized_at_ms,
            ..change("oura", Some(ConnectionStatus::Connected))
        };
        assert!(allowed_after_erasure(None, &with(None)));
        assert!(
            !allowed_after_erasure(Some(5000), &with(None)),
            "a late webhook"
        );
        assert!(
            !allowed_after_erasure(Some(5000), &with(Some(4000))),
            "an old session"
        );
        assert!(!allowed_after_erasure(Some(5000), &with(Some(5000))));
        assert!(
            allowed_after_erasure(Some(5000), &with(Some(5001))),
            "a new session"
        );
    }

    #[test]
    fn twenty_attempts_a_minute_then_wait_for_the_oldest_to_age_out() {
        let now = 1_000_000;
        let recent: Vec<i64> = (0..19).map(|i| now - 30_000 + i).collect();
        assert_eq!(attempt_allowed(&recent, now, 20), Ok(()));
        let full: Vec<i64> = (0..20).map(|i| now - 30_000 + i).collect();
        assert_eq!(attempt_allowed(&full, now, 20), Err(30));
        // Attempts older than the window do not count.
        let old: Vec<i64> = (0..50).map(|i| now - 60_000 - i).collect();
        assert_eq!(attempt_allowed(&old, now, 20), Ok(()));
        let last_second: Vec<i64> = (0..20).map(|_| now - 59_999).collect();
        assert_eq!(attempt_allowed(&last_second, now, 20), Err(1));
    }

    #[test]
    fn the_trail_keeps_what_is_young_enough_and_the_newest_rows() {
        let retention = AuditRetention {
            max_age_ms: 1000,
            max_rows: 3,
        };
        let now = 10_000;
        assert!(retention.keeps(9_000, 0, now));
        assert!(!retention.keeps(8_999, 0, now), "too old");
        assert!(retention.keeps(9_500, 2, now));
        assert!(!retention.keeps(9_500, 3, now), "three newer rows already");
        assert_eq!(AuditRetention::default().max_rows, 10_000);
    }
}
