//! Live updates: where the socket goes, how long to wait before opening it
//! again, what its closing means, and what to announce when the list
//! changed elsewhere (another tab, the host's backend, the aggregator).

use healthlink_shared::{ConnectionStatus, ConnectionsResponse, FlowAction};

use super::{Notice, Tone, is_finishing_connection};
use crate::i18n::Catalog;

/// The socket's URL: the edge's origin with `ws`/`wss` for `http`/`https`.
pub fn socket_url(edge: &str, ticket: &str) -> Option<String> {
    let rest = edge
        .strip_prefix("https://")
        .map(|rest| ("wss://", rest))
        .or_else(|| edge.strip_prefix("http://").map(|rest| ("ws://", rest)))?;
    let ticket: String = js_free_encode(ticket);
    Some(format!("{}{}/v1/live?ticket={ticket}", rest.0, rest.1))
}

/// Tickets are base64url and dots; anything else is escaped anyway.
fn js_free_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Waits before the next attempt to open the socket: 1 s, doubling to at
/// most 30 s, each up to 30% longer (`jitter` in [0, 1)) so many widgets
/// do not come back at the same moment after an outage.
pub fn reconnect_delay_ms(failures: u32, jitter: f64) -> u32 {
    let base = 1_000_u32.saturating_mul(1 << failures.min(5)).min(30_000);
    base + (f64::from(base) * 0.3 * jitter.clamp(0.0, 1.0)) as u32
}

/// What a closed socket means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The session ended (or the user was erased): read the list, which
    /// tells the host to mint a new session; do not reopen until it does.
    SessionOver,
    /// Anything else (network, the edge restarted): open it again later.
    Reconnect,
}

impl Closed {
    pub fn of(code: u16) -> Self {
        match code {
            4001 | 4002 => Self::SessionOver,
            _ => Self::Reconnect,
        }
    }
}

/// What changed between two lists, as one polite sentence per source whose
/// status changed — not the rows still finishing a connect, which their
/// own confirmation announces, and not rows that did not change.
pub fn changed_elsewhere(
    before: &ConnectionsResponse,
    after: &ConnectionsResponse,
    t: &Catalog,
) -> Option<Notice> {
    let sentences: Vec<String> = after
        .sources
        .iter()
        .filter_map(|row| {
            let earlier = before.sources.iter().find(|earlier| earlier.id == row.id)?;
            if earlier.status == row.status || is_finishing_connection(earlier) {
                return None;
            }
            let template = match (row.status, row.pending) {
                (ConnectionStatus::Connected, _) => t.notice_connected,
                (ConnectionStatus::Disconnected, _) => t.notice_disconnected,
                (ConnectionStatus::Expired, _) => t.notice_expired,
                (ConnectionStatus::Pending, Some(FlowAction::Disconnect)) => {
                    t.notice_disconnect_pending
                }
                (ConnectionStatus::Pending, _) => t.notice_connect_finishing,
                (ConnectionStatus::Error, _) => t.error_reason,
            };
            Some(t.fill(template, &row.name))
        })
        .collect();
    (!sentences.is_empty()).then(|| Notice {
        text: sentences.join(" "),
        tone: Tone::Neutral,
    })
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{SourceConnection, SourceKind};

    use super::*;
    use crate::i18n::Locale;

    fn list(rows: &[(&str, ConnectionStatus, Option<FlowAction>)]) -> ConnectionsResponse {
        ConnectionsResponse {
            sources: rows
                .iter()
                .map(|(name, status, pending)| SourceConnection {
                    id: name.to_lowercase(),
                    name: (*name).into(),
                    kind: SourceKind::Oauth,
                    status: *status,
                    updated_at: None,
                    error: None,
                    phone_link: None,
                    phone_qr: None,
                    pending: *pending,
                    last_data_at: None,
                    stale: false,
                    sync_error: None,
                    purpose: None,
                })
                .collect(),
            locale: None,
        }
    }

    #[test]
    fn sockets_go_to_the_edge_over_ws_or_wss() {
        assert_eq!(
            socket_url("https://edge.example", "hlt1.abc_-.x").as_deref(),
            Some("wss://edge.example/v1/live?ticket=hlt1.abc_-.x")
        );
        assert_eq!(
            socket_url("http://127.0.0.1:8787", "a b").as_deref(),
            Some("ws://127.0.0.1:8787/v1/live?ticket=a%20b")
        );
        assert_eq!(socket_url("ftp://edge.example", "t"), None);
    }

    #[test]
    fn reconnects_back_off_with_jitter_up_to_half_a_minute() {
        assert_eq!(reconnect_delay_ms(0, 0.0), 1_000);
        assert_eq!(reconnect_delay_ms(1, 0.0), 2_000);
        assert_eq!(reconnect_delay_ms(4, 0.0), 16_000);
        assert_eq!(reconnect_delay_ms(5, 0.0), 30_000);
        assert_eq!(reconnect_delay_ms(50, 0.0), 30_000);
        assert_eq!(reconnect_delay_ms(0, 0.5), 1_150);
        assert!(reconnect_delay_ms(50, 0.999) < 39_000);
    }

    #[test]
    fn closing_codes_say_whether_to_come_back() {
        assert_eq!(Closed::of(4001), Closed::SessionOver);
        assert_eq!(Closed::of(4002), Closed::SessionOver);
        assert_eq!(Closed::of(1006), Closed::Reconnect);
        assert_eq!(Closed::of(1001), Closed::Reconnect);
    }

    #[test]
    fn only_rows_that_changed_are_announced() {
        use ConnectionStatus::*;
        let t = Locale::negotiate(["en"]).catalog();
        let before = list(&[
            ("Oura", Connected, None),
            ("Garmin", Disconnected, None),
            ("Polar", Pending, Some(FlowAction::Connect)),
        ]);
        assert_eq!(changed_elsewhere(&before, &before, t), None);
        let after = list(&[
            ("Oura", Disconnected, None),
            ("Garmin", Connected, None),
            ("Polar", Connected, None),
        ]);
        let notice = changed_elsewhere(&before, &after, t).unwrap();
        assert_eq!(notice.text, "Oura is disconnected. Garmin is connected.");
        let expired = list(&[
            ("Oura", Expired, None),
            ("Garmin", Disconnected, None),
            ("Polar", Pending, Some(FlowAction::Connect)),
        ]);
        let notice = changed_elsewhere(&before, &expired, t).unwrap();
        assert!(notice.text.starts_with("Oura"), "{}", notice.text);
    }
}
