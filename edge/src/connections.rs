//! The status list the widget shows, and reconciliation with the
//! aggregator's own view.

use healthlink_shared::{
    CATALOG, ConnectionStatus, ConnectionsResponse, SourceConnection, SourceKind,
};

use crate::time::rfc3339_from_unix_ms;
use crate::user_state::StoredStatus;

/// One entry per catalog source the session offers, in catalog order. A
/// source with no stored row has never been connected: `disconnected`, with
/// no timestamp. Stored rows for sources no longer in the catalog are ignored.
/// Phone-only sources carry `phone_link` (the configured template with
/// `{source}` filled in), when there is one.
pub fn status_list(
    stored: &[StoredStatus],
    offers: impl Fn(&str) -> bool,
    phone_link: Option<&str>,
    now_ms: i64,
) -> ConnectionsResponse {
    let sources = CATALOG
        .iter()
        .filter(|source| offers(source.id))
        .map(|source| {
            let row = stored
                .iter()
                .find(|row| row.source == source.id)
                .filter(|row| !is_abandoned_connect(row, now_ms));
            SourceConnection {
                id: source.id.to_owned(),
                name: source.name.to_owned(),
                kind: source.kind,
                status: row.map_or(ConnectionStatus::Disconnected, |row| row.status),
                updated_at: row.map(|row| rfc3339_from_unix_ms(row.updated_at_ms)),
                error: row
                    .filter(|row| row.status == ConnectionStatus::Error)
                    .and_then(|row| row.error.clone()),
                phone_link: phone_link
                    .filter(|_| source.kind == SourceKind::Mobile)
                    .map(|template| template.replace("{source}", source.id)),
                pending: row
                    .filter(|row| row.status == ConnectionStatus::Pending)
                    .and_then(|row| row.pending),
            }
        })
        .collect();
    ConnectionsResponse {
        sources,
        locale: None,
    }
}

/// How long a connect only the browser reported may wait for the
/// aggregator's confirmation: as long as a return state lives. After that
/// nothing will confirm it, and the source reads as never connected again,
/// so the user can start over (a late confirmation still connects it).
pub const PENDING_CONNECT_TIMEOUT_MS: i64 = crate::return_state::STATE_TTL_SECONDS * 1000;

/// A pending connect nobody confirmed in time.
pub fn is_abandoned_connect(row: &StoredStatus, now_ms: i64) -> bool {
    row.status == ConnectionStatus::Pending
        && row.pending == Some(healthlink_shared::FlowAction::Connect)
        && now_ms - row.updated_at_ms > PENDING_CONNECT_TIMEOUT_MS
}

/// Sources whose stored status is `connected` or `pending`: the ones an
/// aggregator may hold a grant for.
pub fn connected_sources(stored: &[StoredStatus]) -> Vec<&'static str> {
    CATALOG
        .iter()
        .filter(|source| {
            stored.iter().any(|row| {
                row.source == source.id
                    && matches!(
                        row.status,
                        ConnectionStatus::Connected | ConnectionStatus::Pending
                    )
            })
        })
        .map(|source| source.id)
        .collect()
}

/// The sources whose upstream status differs from what we stored, with the
/// upstream status. Sources the aggregator does not mention are left alone.
pub fn reconcile(
    stored: &[StoredStatus],
    upstream: &[(&'static str, ConnectionStatus)],
) -> Vec<(&'static str, ConnectionStatus)> {
    upstream
        .iter()
        .filter(|(source, status)| {
            let current = stored
                .iter()
                .find(|row| row.source == *source)
                .map_or(ConnectionStatus::Disconnected, |row| row.status);
            current != *status
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source: &str, status: ConnectionStatus) -> StoredStatus {
        StoredStatus {
            source: source.into(),
            status,
            updated_at_ms: 0,
            error: Some("Garmin is not answering.".into()),
            pending: None,
        }
    }

    #[test]
    fn new_user_sees_every_source_disconnected() {
        let list = status_list(&[], |_| true, None, 0);
        assert_eq!(list.sources.len(), CATALOG.len());
        assert!(
            list.sources
                .iter()
                .all(|s| s.status == ConnectionStatus::Disconnected
                    && s.updated_at.is_none()
                    && s.error.is_none())
        );
    }

    #[test]
    fn stored_rows_override_the_default_and_sessions_filter() {
        let stored = [
            row("oura", ConnectionStatus::Connected),
            row("garmin", ConnectionStatus::Error),
            row("retired_source", ConnectionStatus::Connected),
        ];
        let list = status_list(&stored, |id| id == "oura" || id == "garmin", None, 0);
        assert_eq!(list.sources.len(), 2);
        assert_eq!(list.sources[0].id, "garmin");
        assert_eq!(
            list.sources[0].error.as_deref(),
            Some("Garmin is not answering.")
        );
        assert_eq!(list.sources[1].status, ConnectionStatus::Connected);
        assert_eq!(
            list.sources[1].error, None,
            "errors only accompany the error status"
        );
        assert_eq!(
            list.sources[1].updated_at.as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn phone_only_sources_carry_the_phone_link() {
        let list = status_list(&[], |_| true, Some("acme://connect/{source}"), 0);
        for source in &list.sources {
            let expected = (source.kind == SourceKind::Mobile)
                .then(|| format!("acme://connect/{}", source.id));
            assert_eq!(source.phone_link, expected, "{}", source.id);
        }
        assert!(list.sources.iter().any(|s| s.phone_link.is_some()));
        assert!(
            status_list(&[], |_| true, None, 0)
                .sources
                .iter()
                .all(|s| s.phone_link.is_none())
        );
    }

    #[test]
    fn reconcile_reports_only_differences() {
        let stored = [
            row("oura", ConnectionStatus::Connected),
            row("polar", ConnectionStatus::Pending),
        ];
        assert_eq!(connected_sources(&stored), ["oura", "polar"]);
        let upstream = [
            ("oura", ConnectionStatus::Expired),
            ("polar", ConnectionStatus::Pending),
            ("fitbit", ConnectionStatus::Disconnected),
            ("garmin", ConnectionStatus::Connected),
        ];
        assert_eq!(
            reconcile(&stored, &upstream),
            [
                ("oura", ConnectionStatus::Expired),
                ("garmin", ConnectionStatus::Connected)
            ]
        );
    }

    #[test]
    fn a_pending_connect_nobody_confirms_reads_as_not_connected_in_time() {
        let pending = StoredStatus {
            pending: Some(healthlink_shared::FlowAction::Connect),
            updated_at_ms: 1_000,
            ..row("oura", ConnectionStatus::Pending)
        };
        let status_at = |now_ms| {
            status_list(
                std::slice::from_ref(&pending),
                |id| id == "oura",
                None,
                now_ms,
            )
            .sources[0]
                .clone()
        };
        let waiting = status_at(1_000 + PENDING_CONNECT_TIMEOUT_MS);
        assert_eq!(waiting.status, ConnectionStatus::Pending);
        assert_eq!(
            waiting.pending,
            Some(healthlink_shared::FlowAction::Connect)
        );
        let abandoned = status_at(1_001 + PENDING_CONNECT_TIMEOUT_MS);
        assert_eq!(abandoned.status, ConnectionStatus::Disconnected);
        assert_eq!(abandoned.pending, None);
        // A pending disconnect waits as long as it takes.
        let revoke = StoredStatus {
            pending: Some(healthlink_shared::FlowAction::Disconnect),
            ..pending.clone()
        };
        assert!(!is_abandoned_connect(&revoke, i64::MAX / 2));
    }
}
