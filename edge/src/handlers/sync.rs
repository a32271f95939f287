//! "Is data still flowing": the host's backend says when data last arrived
//! from a source (`POST /v1/users/{user_id}/connections/{source}/sync`),
//! and gets the source's row back as the status list shows it, with
//! `last_data_at` and `stale`.

use healthlink_shared::{SourceInfo, SyncReport};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::Aggregator;
use crate::connections::{Shown, source_connection};
use crate::error::ApiError;
use crate::freshness::read_report;
use crate::request_body::parse_json;
use crate::user_id::UserId;
use crate::user_store::UserStore;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// Checks the report (a time in the last year, not in the future, a
    /// known code), then stores it for a connected source. A report older
    /// than the stored one is answered with the row as it stands.
    pub(super) async fn report_sync(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        body: &str,
    ) -> Result<Reply, ApiError> {
        let report: SyncReport = parse_json(body)?;
        let now_ms = self.runtime.now_ms();
        let (last_data_at_ms, error) = read_report(&report, now_ms)?;
        // As everywhere: a source this aggregator cannot connect is refused
        // as not offered, not as merely not connected.
        if !self.aggregator.offers(source) {
            return Err(ApiError::SourceNotAllowed);
        }
        let row = self
            .store
            .report_data(user, source.id, last_data_at_ms, error)
            .await?
            .ok_or(ApiError::SourceNotConnected)?;
        Reply::json(
            200,
            &source_connection(
                source,
                Some(&row),
                Shown::of(self.config),
                now_ms,
                self.config.stale_after_ms,
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{
        ConnectionStatus, ConnectionsResponse, EventType, SourceConnection, SyncError,
    };

    use super::super::testing::{Harness, json};
    use crate::error::ApiError;
    use crate::time::rfc3339_from_unix_ms;
    use crate::user_store::memory::Op;

    const SYNC: &str = "/v1/users/alice/connections/garmin/sync";
    const HOUR: i64 = 3_600;

    fn body(at_ms: i64, error: Option<&str>) -> String {
        let at = rfc3339_from_unix_ms(at_ms);
        match error {
            Some(error) => format!(r#"{{"last_data_at":"{at}","error":"{error}"}}"#),
            None => format!(r#"{{"last_data_at":"{at}"}}"#),
        }
    }

    fn now(harness: &Harness) -> i64 {
        harness.runtime.now_ms.get()
    }

    fn sync(harness: &Harness, body: &str) -> Result<SourceConnection, ApiError> {
        harness.backend_post(SYNC, body).map(|reply| {
            assert_eq!(reply.status, 200);
            json(&reply)
        })
    }

    fn invalid(result: Result<SourceConnection, ApiError>) -> String {
        match result {
            Err(ApiError::InvalidRequest { detail }) => detail,
            other => panic!("not a 400: {other:?}"),
        }
    }

    fn garmin_in(list: &ConnectionsResponse) -> &SourceConnection {
        list.sources.iter().find(|s| s.id == "garmin").unwrap()
    }

    #[test]
    fn a_report_for_a_connected_source_is_its_row_with_the_time() {
        let harness = Harness::sandbox();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        let at = now(&harness) - 2 * HOUR * 1000;
        let row = sync(&harness, &body(at, None)).unwrap();
        assert_eq!(
            (row.id.as_str(), row.status, row.last_data_at.clone()),
            (
                "garmin",
                ConnectionStatus::Connected,
                Some(rfc3339_from_unix_ms(at))
            )
        );
        assert!(!row.stale);
        // The backend's list and the widget's say the same.
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        assert_eq!(garmin_in(&list), &row);
        let widget: ConnectionsResponse =
            json(&harness.widget_get("alice", "/v1/connections").unwrap());
        assert_eq!(garmin_in(&widget), &row);
        // No audit row: a report is not a change anyone made.
        assert!(harness.trail("alice").is_empty());
    }

    #[test]
    fn the_reconciled_list_carries_the_data_too() {
        // ROOK's list is read, reconciled and written in the Worker, not by
        // the user's object: the same fields either way.
        let harness = Harness::rook();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        let at = now(&harness) - 80 * HOUR * 1000;
        let row = sync(&harness, &body(at, Some("provider_error"))).unwrap();
        harness.script(vec![super::super::testing::rook_statuses(&[(
            "Garmin", true,
        )])]);
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        assert_eq!(garmin_in(&list), &row);
        assert_eq!(row.sync_error, Some(SyncError::ProviderError));
        // Seeded as connected at 0: 80 silent hours are past the 72.
        assert!(row.stale);
    }

    #[test]
    fn bad_reports_are_refused_with_what_is_wrong() {
        let harness = Harness::sandbox();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        let now = now(&harness);
        let future = invalid(sync(&harness, &body(now + 10 * 60_000, None)));
        assert!(future.contains("in the future"), "{future}");
        let ancient = invalid(sync(&harness, &body(now - 400 * 24 * HOUR * 1000, None)));
        assert!(ancient.contains("365 days"), "{ancient}");
        let malformed = invalid(sync(&harness, r#"{"last_data_at":"last tuesday"}"#));
        assert!(malformed.contains("RFC 3339"), "{malformed}");
        let unknown = invalid(sync(&harness, &body(now, Some("sleepy"))));
        assert!(unknown.contains("unknown variant"), "{unknown}");
        let extra = invalid(sync(
            &harness,
            &format!(
                r#"{{"last_data_at":"{}","steps":9000}}"#,
                rfc3339_from_unix_ms(now)
            ),
        ));
        assert!(extra.contains("steps"), "{extra}");
        invalid(sync(&harness, "{}"));
        invalid(sync(&harness, ""));
        // Nothing was stored, and the store was never asked.
        assert!(
            !harness
                .store
                .ops()
                .iter()
                .any(|(op, _)| *op == Op::ReportData)
        );
    }

    #[test]
    fn only_connected_or_pending_sources_take_reports() {
        let harness = Harness::sandbox();
        let report = body(now(&harness), None);
        // Never connected, then disconnected: 409, nothing stored.
        assert_eq!(sync(&harness, &report), Err(ApiError::SourceNotConnected));
        harness.seed("alice", "garmin", ConnectionStatus::Disconnected);
        assert_eq!(sync(&harness, &report), Err(ApiError::SourceNotConnected));
        harness.seed("alice", "garmin", ConnectionStatus::Pending);
        assert_eq!(
            sync(&harness, &report).unwrap().status,
            ConnectionStatus::Pending
        );
        // A source this aggregator cannot connect is not offered.
        let thryve = Harness::thryve();
        assert_eq!(
            thryve
                .backend_post("/v1/users/alice/connections/whoop/sync", &report)
                .unwrap_err(),
            ApiError::SourceNotAllowed
        );
        // Unknown sources and foreign keys are refused by the route and
        // the door, before the body is read.
        assert_eq!(
            harness
                .backend_post("/v1/users/alice/connections/myspace/sync", &report)
                .unwrap_err(),
            ApiError::UnknownSource
        );
        let widget_session = harness.session_with(r#"{"user_id":"alice"}"#);
        assert_eq!(
            harness
                .post(
                    SYNC,
                    None,
                    Some(&format!("Bearer {widget_session}")),
                    &report
                )
                .unwrap_err(),
            ApiError::Unauthorized
        );
    }

    #[test]
    fn an_older_report_never_moves_the_time_back() {
        let harness = Harness::sandbox();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        let newer = now(&harness) - HOUR * 1000;
        sync(&harness, &body(newer, None)).unwrap();
        let answered = sync(&harness, &body(newer - HOUR * 1000, Some("auth_revoked"))).unwrap();
        assert_eq!(answered.last_data_at, Some(rfc3339_from_unix_ms(newer)));
        assert_eq!(
            answered.sync_error, None,
            "the older report changed nothing"
        );
        // The same time with a code: the pipeline's latest word on it.
        let errored = sync(&harness, &body(newer, Some("no_data_permission"))).unwrap();
        assert_eq!(errored.sync_error, Some(SyncError::NoDataPermission));
    }

    #[test]
    fn a_source_is_stale_after_the_threshold_and_fresh_data_clears_it() {
        let harness = Harness::sandbox().with_events();
        harness.seed("alice", "garmin", ConnectionStatus::Connected);
        let threshold_s = harness.config.stale_after_ms / 1000;
        let reported = now(&harness);
        sync(&harness, &body(reported, None)).unwrap();
        harness.advance_seconds(threshold_s - 1);
        assert!(!sync(&harness, &body(reported, None)).unwrap().stale);
        assert!(harness.alarm("alice").is_empty(), "not yet");
        harness.advance_seconds(1);
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        assert!(garmin_in(&list).stale);
        // The alarm writes the event once for this period.
        assert_eq!(harness.alarm("alice"), [EventType::Stale]);
        harness.advance_seconds(threshold_s);
        assert!(harness.alarm("alice").is_empty(), "once per stale period");
        let event: healthlink_shared::Event =
            serde_json::from_str(harness.store.bodies().last().unwrap()).unwrap();
        assert_eq!(event.data.source.as_deref(), Some("garmin"));
        assert_eq!(
            event.data.last_data_at,
            Some(rfc3339_from_unix_ms(reported))
        );
        assert_eq!(event.data.status.as_deref(), Some("connected"));
        // Fresh data: no longer stale; when it stops again, a new event.
        let fresh = now(&harness);
        assert!(!sync(&harness, &body(fresh, None)).unwrap().stale);
        harness.advance_seconds(threshold_s);
        assert_eq!(harness.alarm("alice"), [EventType::Stale]);
        // Disconnected, a source is not stale whatever its last data.
        harness
            .backend_post("/v1/users/alice/connections/garmin/disconnect", "")
            .unwrap();
        let list: ConnectionsResponse =
            json(&harness.backend_get("/v1/users/alice/connections").unwrap());
        assert!(!garmin_in(&list).stale);
    }
}
