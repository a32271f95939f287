//! Each user's audit trail as a hash chain, decided in plain Rust for both
//! stores: the row appended next chains from the head, retention removes
//! only a prefix and leaves a pruning record the first kept row chains
//! from, and rows written before the chain existed are chained once, in
//! order, the first time the trail is touched.
//!
//! The chain makes an edit to stored rows evident (every later hash would
//! have to be recomputed, and the head with them); the export's signature
//! makes the document evident. What it cannot stop is someone holding the
//! edge's storage and its key rewriting all of it: earlier exports, kept
//! elsewhere, are what pin the past (a later export holds their rows with
//! the same hashes).

use healthlink_shared::audit_export::{
    CHAIN_ALGORITHM, ChainSummary, ChainedEntry, GENESIS_HASH, PruningRecord, chained,
};
use serde::{Deserialize, Serialize};

use crate::links::{LinkAudit, LinkRecord};
use crate::time::rfc3339_from_unix_ms;
use crate::user_state::{AuditRetention, AuditRow, Change};

/// A row about to be appended, as both stores write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditRow {
    pub at_ms: i64,
    pub actor: String,
    pub user_id: String,
    pub source: String,
    pub action: String,
    pub result: String,
    pub aggregator: String,
    pub consent_version: Option<String>,
}

impl From<&Change> for NewAuditRow {
    fn from(change: &Change) -> Self {
        Self {
            at_ms: change.at_ms,
            actor: change.actor.as_str().to_owned(),
            user_id: change.user_id.clone(),
            source: change.source.clone(),
            action: change.action.as_str().to_owned(),
            result: change.result.as_str().to_owned(),
            aggregator: change.aggregator.clone(),
            consent_version: change.consent_version.clone(),
        }
    }
}

impl From<&AuditRow> for NewAuditRow {
    fn from(row: &AuditRow) -> Self {
        Self {
            at_ms: row.at_ms,
            actor: row.actor.clone(),
            user_id: row.user_id.clone(),
            source: row.source.clone(),
            action: row.action.clone(),
            result: row.result.clone(),
            aggregator: row.aggregator.clone(),
            consent_version: row.consent_version.clone(),
        }
    }
}

impl NewAuditRow {
    /// The row of something done to a hosted link.
    pub fn of_link(record: &LinkRecord, audit: &LinkAudit) -> Self {
        Self {
            at_ms: audit.at_ms,
            actor: audit.actor.as_str().to_owned(),
            user_id: audit.user_id.clone(),
            source: record.audit_source(),
            action: audit.action.as_str().to_owned(),
            result: audit.result.as_str().to_owned(),
            aggregator: audit.aggregator.clone(),
            consent_version: None,
        }
    }

    /// The row as it is exported under `id`, its hashes not yet filled in.
    pub fn entry(&self, id: i64) -> ChainedEntry {
        ChainedEntry {
            id,
            at: rfc3339_from_unix_ms(self.at_ms),
            actor: self.actor.clone(),
            user_id: self.user_id.clone(),
            source: self.source.clone(),
            action: self.action.clone(),
            result: self.result.clone(),
            aggregator: self.aggregator.clone(),
            consent_version: self.consent_version.clone(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }
}

/// What retention has removed from the start of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruning {
    pub rows: u64,
    pub through_id: i64,
    pub through_at_ms: i64,
    /// The hash of row `through_id`, which the first kept row chains from.
    pub last_hash: String,
}

/// The chain's state, kept with the user's state: where it ends, and what
/// was pruned from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    pub head_id: i64,
    pub head_hash: String,
    pub pruned: Option<Pruning>,
}

impl Default for ChainState {
    fn default() -> Self {
        Self {
            head_id: 0,
            head_hash: GENESIS_HASH.to_owned(),
            pruned: None,
        }
    }
}

impl ChainState {
    /// `row`, stored under `id`, chained after the head; the head moves to
    /// it. Ids only ever increase.
    pub fn append(&mut self, id: i64, row: &NewAuditRow) -> ChainedEntry {
        let entry = chained(row.entry(id), &self.head_hash);
        self.head_id = id;
        self.head_hash = entry.hash.clone();
        entry
    }

    /// Records that `count` more rows were pruned, the newest of them `id`
    /// written at `at_ms` with `hash`.
    pub fn record_pruning(&mut self, count: u64, id: i64, at_ms: i64, hash: &str) {
        let before = self.pruned.as_ref().map_or(0, |pruned| pruned.rows);
        self.pruned = Some(Pruning {
            rows: before + count,
            through_id: id,
            through_at_ms: at_ms,
            last_hash: hash.to_owned(),
        });
    }

    /// The chain as the export describes it.
    pub fn summary(&self) -> ChainSummary {
        ChainSummary {
            algorithm: CHAIN_ALGORITHM.to_owned(),
            head_id: self.head_id,
            head_hash: self.head_hash.clone(),
            pruned: self.pruned.as_ref().map(|pruned| PruningRecord {
                rows: pruned.rows,
                through_id: pruned.through_id,
                through_at: rfc3339_from_unix_ms(pruned.through_at_ms),
                last_hash: pruned.last_hash.clone(),
            }),
        }
    }
}

/// Up to which id retention removes rows, given the newest row too old
/// and the newest row beyond the row limit (`None`: none). Everything up
/// to the newer of the two goes, so only a prefix of the trail is ever
/// removed and the rest still chains; a row kept by age but older than
/// one removed (clocks differ between writers) goes with it.
pub fn prune_through(newest_too_old: Option<i64>, newest_over_limit: Option<i64>) -> Option<i64> {
    newest_too_old.max(newest_over_limit)
}

/// The same decision over a whole trail `(id, at_ms)`, oldest first (the
/// in-memory store; the Durable Object asks SQL for the two ids).
pub fn prune_through_rows(
    rows: &[(i64, i64)],
    retention: AuditRetention,
    now_ms: i64,
) -> Option<i64> {
    let newest_too_old = rows
        .iter()
        .filter(|(_, at_ms)| *at_ms < now_ms - retention.max_age_ms)
        .map(|(id, _)| *id)
        .max();
    let newest_over_limit = rows
        .len()
        .checked_sub(retention.max_rows as usize + 1)
        .map(|index| rows[index].0);
    prune_through(newest_too_old, newest_over_limit)
}

#[cfg(test)]
mod tests {
    use healthlink_shared::audit_export::{AuditExport, ExportSignature, verify_chain};

    use super::*;

    fn row(at_ms: i64) -> NewAuditRow {
        NewAuditRow {
            at_ms,
            actor: "user".into(),
            user_id: "alice".into(),
            source: "oura".into(),
            action: "connect".into(),
            result: "connected".into(),
            aggregator: "sandbox".into(),
            consent_version: Some("v1".into()),
        }
    }

    fn export(chain: &ChainState, entries: Vec<ChainedEntry>) -> AuditExport {
        AuditExport {
            format: healthlink_shared::audit_export::EXPORT_FORMAT.into(),
            user_id: "alice".into(),
            aggregator: "sandbox".into(),
            exported_at: rfc3339_from_unix_ms(0),
            chain: chain.summary(),
            entries,
            signature: ExportSignature {
                alg: "Ed25519".into(),
                kid: String::new(),
                value: String::new(),
            },
        }
    }

    #[test]
    fn appended_rows_chain_from_genesis_and_move_the_head() {
        let mut chain = ChainState::default();
        let first = chain.append(1, &row(10));
        assert_eq!(first.prev_hash, GENESIS_HASH);
        let second = chain.append(2, &row(20));
        assert_eq!(second.prev_hash, first.hash);
        assert_eq!(
            (chain.head_id, chain.head_hash.as_str()),
            (2, second.hash.as_str())
        );
        assert_eq!(first.at, "1970-01-01T00:00:00.010Z");
        assert_eq!(verify_chain(&export(&chain, vec![first, second])), Ok(()));
    }

    #[test]
    fn a_pruned_prefix_leaves_a_chain_that_verifies() {
        let mut chain = ChainState::default();
        let entries: Vec<ChainedEntry> = (1..=5).map(|id| chain.append(id, &row(id))).collect();
        chain.record_pruning(2, 2, 2, &entries[1].hash);
        chain.record_pruning(1, 3, 3, &entries[2].hash);
        let pruned = chain.pruned.clone().unwrap();
        assert_eq!((pruned.rows, pruned.through_id), (3, 3));
        assert_eq!(verify_chain(&export(&chain, entries[3..].to_vec())), Ok(()));
        assert_eq!(
            chain.summary().pruned.unwrap().through_at,
            "1970-01-01T00:00:00.003Z"
        );
    }

    #[test]
    fn retention_removes_a_prefix_only() {
        let retention = AuditRetention {
            max_age_ms: 100,
            max_rows: 3,
        };
        // Nothing too old, not too many: nothing goes.
        let rows = [(1, 950), (2, 960), (3, 970)];
        assert_eq!(prune_through_rows(&rows, retention, 1000), None);
        // Five rows for a limit of three: the oldest two.
        let rows = [(1, 950), (2, 960), (3, 970), (4, 980), (5, 990)];
        assert_eq!(prune_through_rows(&rows, retention, 1000), Some(2));
        // Row 3 too old, row 2 not (another writer's clock): both go with 1.
        let rows = [(1, 850), (2, 950), (3, 880), (4, 990)];
        assert_eq!(prune_through_rows(&rows, retention, 1000), Some(3));
        assert_eq!(prune_through(Some(3), None), Some(3));
        assert_eq!(prune_through(None, Some(4)), Some(4));
        assert_eq!(prune_through(None, None), None);
    }

    #[test]
    fn link_rows_join_the_chain_like_any_other() {
        let record = LinkRecord {
            lid: "lid".into(),
            id: "hlk1.sealed".into(),
            created_at: 5,
            expires_at: 900_005,
            single_use: true,
            sources: None,
            locale: None,
            actor: None,
            return_url: None,
            opened_at: None,
            consumed_at: None,
            revoked_at: None,
        };
        let audit = LinkAudit {
            at_ms: 5,
            actor: healthlink_shared::AuditActor::Backend,
            user_id: "alice".into(),
            action: healthlink_shared::AuditAction::LinkCreate,
            result: healthlink_shared::AuditResult::Issued,
            aggregator: "sandbox".into(),
        };
        let mut chain = ChainState::default();
        let created = chain.append(1, &NewAuditRow::of_link(&record, &audit));
        let connected = chain.append(2, &row(6));
        assert_eq!(created.action, "link_create");
        assert_eq!(created.consent_version, None);
        assert_eq!(connected.prev_hash, created.hash);
    }
}
