//! The status list the widget shows, and reconciliation with the
//! aggregator's own view.

use std::collections::BTreeMap;

use healthlink_shared::{
    CATALOG, ConnectionStatus, ConnectionsResponse, SourceConnection, SourceInfo, SourceKind,
};

use crate::freshness::is_stale;
use crate::time::rfc3339_from_unix_ms;
use crate::user_state::{StoredStatus, UserRecord};

/// One entry per catalog source the session offers, in catalog order. A
/// source with no stored row has never been connected: `disconnected`, with
/// no timestamp. Stored rows for sources no longer in the catalog are ignored.
/// Phone-only sources carry `phone_link` (the configured template with
/// `{source}` filled in, or the aggregator's pairing link) and its QR code,
/// when there is one; sources the backend reported
/// data for carry `last_data_at`, and `stale` once they are
/// ([`crate::freshness::is_stale`] after `stale_after_ms`).
pub fn status_list(
    stored: &[StoredStatus],
    offers: impl Fn(&str) -> bool,
    shown: Shown<'_>,
    now_ms: i64,
    stale_after_ms: i64,
) -> ConnectionsResponse {
    let sources = CATALOG
        .iter()
        .filter(|source| offers(source.id))
        .map(|source| {
            let row = stored.iter().find(|row| row.source == source.id);
            source_connection(source, row, shown, now_ms, stale_after_ms)
        })
        .collect();
    ConnectionsResponse {
        sources,
        locale: None,
    }
}

/// What the deployment configured for every row: the phone link template
/// and the consent purpose lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown<'a> {
    pub phone_link: Option<&'a str>,
    pub purposes: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Shown<'a> {
    pub fn of(config: &'a crate::config::Config) -> Self {
        Self {
            phone_link: config.phone_link.as_deref(),
            purposes: Some(&config.consent.purposes),
        }
    }
}

/// One row of the status list: `source` as its stored row (if any) says.
pub fn source_connection(
    source: &SourceInfo,
    row: Option<&StoredStatus>,
    shown: Shown<'_>,
    now_ms: i64,
    stale_after_ms: i64,
) -> SourceConnection {
    let row = row.filter(|row| !is_abandoned_connect(row, now_ms));
    let data = row.and_then(|row| row.data.as_ref());
    let phone_link = shown
        .phone_link
        .filter(|_| source.kind == SourceKind::Mobile)
        .map(|template| template.replace("{source}", source.id));
    SourceConnection {
        id: source.id.to_owned(),
        name: source.name.to_owned(),
        kind: source.kind,
        status: row.map_or(ConnectionStatus::Disconnected, |row| row.status),
        updated_at: row.map(|row| rfc3339_from_unix_ms(row.updated_at_ms)),
        error: row
            .filter(|row| row.status == ConnectionStatus::Error)
            .and_then(|row| row.error.clone()),
        phone_qr: phone_link.as_deref().and_then(crate::qr::qr_svg),
        phone_link,
        pending: row
            .filter(|row| row.status == ConnectionStatus::Pending)
            .and_then(|row| row.pending),
        last_data_at: data.map(|data| rfc3339_from_unix_ms(data.last_data_at_ms)),
        stale: row.is_some_and(|row| is_stale(row, stale_after_ms, now_ms)),
        sync_error: data.and_then(|data| data.error),
        // Only where the connect flow is the widget's: a phone-only source
        // is connected in the host's app, which shows its own text.
        purpose: shown
            .purposes
            .filter(|_| source.kind != SourceKind::Mobile)
            .and_then(|purposes| purposes.get(source.id).cloned()),
    }
}

/// A status list the user's object writes itself, when the edge's record is
/// the whole truth (the aggregator has no status view to reconcile with):
/// one round trip, and the Worker passes the body through instead of
/// reading, parsing and writing it again. It travels as the query of a
/// bodyless GET, so neither side creates or awaits a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView {
    /// The catalog sources to list (the session's and the aggregator's).
    pub sources: Vec<String>,
    /// The configured phone link template, for phone-only sources.
    pub phone_link: Option<String>,
    /// The configured consent purpose lines (rows show only their own).
    pub purposes: BTreeMap<String, String>,
    pub locale: Option<String>,
    /// When the reading session was minted (ms); a session from before an
    /// erasure reads nothing. `None` for the backend.
    pub session_issued_at_ms: Option<i64>,
    /// The reader's clock, for abandoned connects and staleness.
    pub now_ms: i64,
    /// How long a connected source may send no data before it is stale.
    pub stale_after_ms: i64,
}

impl ListView {
    /// `view=list&sources=a,b&…`, percent-encoded.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("view", "list");
        query.append_pair("sources", &self.sources.join(","));
        query.append_pair("now", &self.now_ms.to_string());
        query.append_pair("stale_after", &self.stale_after_ms.to_string());
        if let Some(issued) = self.session_issued_at_ms {
            query.append_pair("issued", &issued.to_string());
        }
        if let Some(phone_link) = &self.phone_link {
            query.append_pair("phone_link", phone_link);
        }
        if let Some(locale) = &self.locale {
            query.append_pair("locale", locale);
        }
        for (source, purpose) in &self.purposes {
            query.append_pair(&format!("purpose.{source}"), purpose);
        }
        query.finish()
    }

    /// The view a query asks for; `None` for anything else (a query that
    /// is not a list view, or one whose numbers do not parse).
    pub fn from_query(query: &str) -> Option<Self> {
        let (mut is_list, mut now_ms, mut session_issued_at_ms) = (false, None, None);
        let mut stale_after_ms = None;
        let (mut sources, mut phone_link, mut locale) = (Vec::new(), None, None);
        let mut purposes = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "view" => is_list = value == "list",
                "sources" => {
                    sources = value
                        .split(',')
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                "now" => now_ms = Some(value.parse().ok()?),
                "issued" => session_issued_at_ms = Some(value.parse().ok()?),
                "stale_after" => stale_after_ms = Some(value.parse().ok()?),
                "phone_link" => phone_link = Some(value.into_owned()),
                "locale" => locale = Some(value.into_owned()),
                other => {
                    if let Some(source) = other.strip_prefix("purpose.") {
                        purposes.insert(source.to_owned(), value.into_owned());
                    }
                }
            }
        }
        Some(Self {
            sources,
            phone_link,
            purposes,
            locale,
            session_issued_at_ms,
            now_ms: now_ms.filter(|_| is_list)?,
            stale_after_ms: stale_after_ms?,
        })
    }

    fn shown(&self) -> Shown<'_> {
        Shown {
            phone_link: self.phone_link.as_deref(),
            purposes: Some(&self.purposes),
        }
    }

    /// The list as its reader sees it; `None` when the reading session was
    /// minted before the user was erased (it may read nothing).
    pub fn render(&self, record: &UserRecord) -> Option<ConnectionsResponse> {
        if let Some(issued) = self.session_issued_at_ms
            && erased_since(issued, record.erased_at_ms)
        {
            return None;
        }
        let mut list = status_list(
            &record.statuses,
            |id| self.sources.iter().any(|source| source == id),
            self.shown(),
            self.now_ms,
            self.stale_after_ms,
        );
        list.locale.clone_from(&self.locale);
        Some(list)
    }
}

/// Whether a session minted at `issued_at_ms` predates the user's erasure:
/// its authority ended with the data it was about.
pub fn erased_since(issued_at_ms: i64, erased_at_ms: Option<i64>) -> bool {
    erased_at_ms.is_some_and(|erased| issued_at_ms <= erased)
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

    #[test]
    fn list_views_survive_their_query_and_render_what_is_stored() {
        let view = ListView {
            sources: vec!["oura".into(), "apple_health".into()],
            phone_link: Some("acme://connect/{source}?a=1&b=2".into()),
            purposes: [
                ("oura", "Sleep & readiness, for your plan = better rest."),
                ("apple_health", "Steps."),
            ]
            .map(|(source, line)| (source.to_owned(), line.to_owned()))
            .into(),
            locale: Some("de-CH".into()),
            session_issued_at_ms: Some(5_000),
            now_ms: 9_000,
            stale_after_ms: 3_000,
        };
        assert_eq!(ListView::from_query(&view.to_query()), Some(view.clone()));
        let bare = ListView {
            phone_link: None,
            purposes: BTreeMap::new(),
            locale: None,
            session_issued_at_ms: None,
            ..view.clone()
        };
        assert_eq!(ListView::from_query(&bare.to_query()), Some(bare.clone()));
        assert_eq!(ListView::from_query(""), None);
        assert_eq!(ListView::from_query("view=other&sources=oura&now=1"), None);
        assert_eq!(ListView::from_query("view=list&sources=oura&now=x"), None);
        assert_eq!(
            ListView::from_query("view=list&sources=oura&now=1"),
            None,
            "a view says when a source is stale"
        );
        assert_eq!(
            ListView::from_query("view=list&sources=oura&now=1&stale_after=soon"),
            None
        );

        // Oura stale (data at 1 s, connected at 0, 3 s allowed, read at
        // 9 s), Apple Health fresh with a code from the host's pipeline.
        let reported = |source, status, last_data_at_ms, error| StoredStatus {
            data: Some(crate::freshness::DataReport {
                last_data_at_ms,
                error,
                stale_event_for_ms: None,
            }),
            ..row(source, status)
        };
        let record = UserRecord {
            statuses: vec![
                reported("oura", ConnectionStatus::Connected, 1_000, None),
                reported(
                    "apple_health",
                    ConnectionStatus::Connected,
                    8_000,
                    Some(healthlink_shared::SyncError::NoDataPermission),
                ),
            ],
            erased_at_ms: None,
        };
        let list = view.render(&record).unwrap();
        let ids: Vec<&str> = list.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["oura", "apple_health"]);
        assert_eq!(list.sources[0].status, ConnectionStatus::Connected);
        assert_eq!(
            list.sources[0].last_data_at.as_deref(),
            Some("1970-01-01T00:00:01.000Z")
        );
        assert!(list.sources[0].stale);
        assert!(!list.sources[1].stale);
        assert_eq!(
            list.sources[1].sync_error,
            Some(healthlink_shared::SyncError::NoDataPermission)
        );
        assert_eq!(
            list.sources[1].phone_link.as_deref(),
            Some("acme://connect/apple_health?a=1&b=2")
        );
        // The phone link comes with its QR code, drawn here for the widget;
        // sources that are not phone-only carry neither.
        assert_eq!(
            list.sources[1].phone_qr,
            crate::qr::qr_svg("acme://connect/apple_health?a=1&b=2")
        );
        assert!(list.sources[1].phone_qr.is_some());
        assert_eq!(list.sources[0].phone_link, None);
        assert_eq!(list.sources[0].phone_qr, None);
        // Oura's purpose line is shown before its flow; Apple Health is
        // connected in the host's app, which shows its own.
        assert_eq!(
            list.sources[0].purpose.as_deref(),
            Some("Sleep & readiness, for your plan = better rest.")
        );
        assert_eq!(list.sources[1].purpose, None);
        assert_eq!(list.locale.as_deref(), Some("de-CH"));
        // The same list the Worker would build from the record.
        assert_eq!(
            list.sources,
            status_list(
                &record.statuses,
                |id| id == "oura" || id == "apple_health",
                view.shown(),
                view.now_ms,
                view.stale_after_ms
            )
            .sources
        );
        // And the same rows one at a time (the answer to a sync report).
        for (source, listed) in ["oura", "apple_health"].into_iter().zip(&list.sources) {
            let info = healthlink_shared::find_source(source).unwrap();
            let stored = record.statuses.iter().find(|row| row.source == source);
            assert_eq!(
                &source_connection(info, stored, view.shown(), view.now_ms, view.stale_after_ms),
                listed
            );
        }
    }

    #[test]
    fn a_session_from_before_an_erasure_reads_nothing() {
        let view = |issued| ListView {
            sources: vec!["oura".into()],
            phone_link: None,
            purposes: BTreeMap::new(),
            locale: None,
            session_issued_at_ms: issued,
            now_ms: 10_000,
            stale_after_ms: 1_000,
        };
        let erased = UserRecord {
            statuses: vec![],
            erased_at_ms: Some(5_000),
        };
        assert_eq!(view(Some(4_000)).render(&erased), None);
        assert_eq!(view(Some(5_000)).render(&erased), None);
        assert!(view(Some(6_000)).render(&erased).is_some());
        // The backend reads with no session.
        assert!(view(None).render(&erased).is_some());
        assert!(!erased_since(4_000, None));
    }

    fn row(source: &str, status: ConnectionStatus) -> StoredStatus {
        StoredStatus {
            source: source.into(),
            status,
            updated_at_ms: 0,
            error: Some("Garmin is not answering.".into()),
            pending: None,
            deleting: false,
            data: None,
        }
    }

    #[test]
    fn new_user_sees_every_source_disconnected() {
        let list = status_list(&[], |_| true, Shown::default(), 0, 1_000);
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
        let list = status_list(
            &stored,
            |id| id == "oura" || id == "garmin",
            Shown::default(),
            0,
            1_000,
        );
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
        let list = status_list(
            &[],
            |_| true,
            Shown {
                phone_link: Some("acme://connect/{source}"),
                purposes: None,
            },
            0,
            1_000,
        );
        for source in &list.sources {
            let expected = (source.kind == SourceKind::Mobile)
                .then(|| format!("acme://connect/{}", source.id));
            assert_eq!(source.phone_link, expected, "{}", source.id);
        }
        assert!(list.sources.iter().any(|s| s.phone_link.is_some()));
        assert!(
            status_list(&[], |_| true, Shown::default(), 0, 1_000)
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
                Shown::default(),
                now_ms,
                1_000,
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
