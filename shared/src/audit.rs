//! The audit trail: who did what to which source, and how it ended.

use serde::{Deserialize, Serialize};

/// One audit row. Append-only; never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Monotonic per user; also the pagination cursor.
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who acted: the `actor_id` of the session, `user` when the user acted
    /// themself, `backend` for the host's server, `aggregator` for webhooks.
    pub actor: String,
    pub user_id: String,
    pub source: String,
    /// `connect`, `disconnect`, `connect_started`, `erase`, …
    pub action: String,
    /// `connected`, `disconnected`, `pending`, `failed`, `cancelled`, …
    pub result: String,
    pub aggregator: String,
}

/// Body of `GET /v1/users/{user_id}/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `?before=` to get the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}
