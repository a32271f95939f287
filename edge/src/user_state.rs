//! What the per-user Durable Object stores, and the commands the Worker sends
//! it. One object per user id holds that user's statuses, the return states
//! already used, and the audit trail. Nothing else: no health data.
//!
//! These types cross the Worker → Durable Object boundary as JSON, so they are
//! serializable; they are internal to the edge and never sent to clients.

use healthlink_shared::{AuditEntry, ConnectionStatus};
use serde::{Deserialize, Serialize};

use crate::time::rfc3339_from_unix_ms;

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
";

/// In a user's object: that user's Thryve `endUserId`.
pub const THRYVE_END_USER_LINK: &str = "thryve_end_user";
/// In an index object: the user id it points to.
pub const INDEX_USER_LINK: &str = "user";

/// The index object that maps a Thryve `endUserId` back to our user, for
/// webhooks. Its name contains `/`, which no user id can, so index objects
/// never collide with user objects; they use only the `links` table.
pub fn thryve_index_object(end_user_id: &str) -> String {
    format!("index/thryve/{end_user_id}")
}

/// The single path the Durable Object answers; the command is the body.
pub const COMMAND_PATH: &str = "/command";

/// One row of `source_status`: the last known state of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStatus {
    pub source: String,
    pub status: ConnectionStatus,
    pub updated_at_ms: i64,
    pub error: Option<String>,
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
    pub actor: String,
    pub action: String,
    pub result: String,
    pub aggregator: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum UserStateCommand {
    List,
    /// Applies the changes and appends their audit rows, all in one
    /// transaction. With `only_if_changed`, a change whose status is already
    /// the stored one is skipped entirely (no audit row): retried webhooks
    /// and concurrent reconciliations record each transition once.
    Record {
        changes: Vec<Change>,
        #[serde(default)]
        only_if_changed: bool,
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
        change: Change,
    },
    /// Audit rows with `id < before` (all if `None`), newest first.
    Audit {
        before: Option<i64>,
        limit: u32,
    },
    /// Deletes everything stored for the user.
    Erase,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum UserStateReply {
    Statuses {
        statuses: Vec<StoredStatus>,
    },
    Recorded,
    /// How many of the changes were applied (`Record` with `only_if_changed`).
    Applied {
        count: usize,
    },
    Link {
        value: Option<String>,
    },
    StateAlreadyUsed,
    Audit {
        rows: Vec<AuditRow>,
    },
    Erased,
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
