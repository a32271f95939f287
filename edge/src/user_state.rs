//! What the per-user Durable Object stores, and the protocol the Worker uses
//! to talk to it.
//!
//! These types cross the Worker → Durable Object boundary as JSON, so they are
//! serializable; they are internal to the edge and never sent to clients.

use healthlink_shared::ConnectionStatus;
use serde::{Deserialize, Serialize};

/// The tables of one user's SQLite database. `CREATE ... IF NOT EXISTS`, run
/// whenever the object starts, so a new table is added by appending here.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS source_status (
    source        TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    error         TEXT
);
";

/// One row of `source_status`: the last known state of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStatus {
    pub source: String,
    pub status: ConnectionStatus,
    pub updated_at_ms: i64,
    pub error: Option<String>,
}

/// Paths the Durable Object answers. The host part of the URL is ignored.
pub const PATH_STATUSES: &str = "/statuses";
