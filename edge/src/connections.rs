//! Builds the status list the widget shows from what the user's Durable
//! Object has stored.

use healthlink_shared::{CATALOG, ConnectionStatus, ConnectionsResponse, SourceConnection};

use crate::time::rfc3339_from_unix_ms;
use crate::user_state::StoredStatus;

/// One entry per catalog source, in catalog order. A source with no stored
/// row has never been connected: `disconnected`, with no timestamp. Stored
/// rows for sources no longer in the catalog are ignored.
pub fn status_list(stored: &[StoredStatus]) -> ConnectionsResponse {
    let sources = CATALOG
        .iter()
        .map(|source| {
            let row = stored.iter().find(|row| row.source == source.id);
            SourceConnection {
                id: source.id.to_owned(),
                name: source.name.to_owned(),
                kind: source.kind,
                status: row.map_or(ConnectionStatus::Disconnected, |row| row.status),
                updated_at: row.map(|row| rfc3339_from_unix_ms(row.updated_at_ms)),
                error: row
                    .filter(|row| row.status == ConnectionStatus::Error)
                    .and_then(|row| row.error.clone()),
            }
        })
        .collect();
    ConnectionsResponse { sources }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_sees_every_source_disconnected() {
        let list = status_list(&[]);
        assert_eq!(list.sources.len(), CATALOG.len());
        assert!(
            list.sources
                .iter()
                .all(|s| s.status == ConnectionStatus::Disconnected
                    && s.updated_at.is_none()
                    && s.error.is_none())
        );
        assert_eq!(list.sources[0].id, CATALOG[0].id);
    }

    #[test]
    fn stored_rows_override_the_default() {
        let stored = [
            StoredStatus {
                source: "oura".into(),
                status: ConnectionStatus::Connected,
                updated_at_ms: 0,
                error: Some("stale".into()),
            },
            StoredStatus {
                source: "garmin".into(),
                status: ConnectionStatus::Error,
                updated_at_ms: 1000,
                error: Some("Garmin is not answering.".into()),
            },
            StoredStatus {
                source: "retired_source".into(),
                status: ConnectionStatus::Connected,
                updated_at_ms: 0,
                error: None,
            },
        ];
        let list = status_list(&stored);
        let oura = list.sources.iter().find(|s| s.id == "oura").unwrap();
        assert_eq!(oura.status, ConnectionStatus::Connected);
        assert_eq!(oura.updated_at.as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(oura.error, None, "errors only accompany the error status");
        let garmin = list.sources.iter().find(|s| s.id == "garmin").unwrap();
        assert_eq!(garmin.error.as_deref(), Some("Garmin is not answering."));
        assert_eq!(list.sources.len(), CATALOG.len());
    }
}
