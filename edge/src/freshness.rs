//! Whether data still flows from a connected source. The host's backend
//! reports when data last arrived (`POST …/connections/{source}/sync`);
//! the edge keeps only that time and an optional code (never health data),
//! and decides from them whether a source is stale, when it will be, and
//! whether the host has already been told (`connection.stale`, once per
//! stale period).

use healthlink_shared::{ConnectionStatus, SyncError, SyncReport};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::time::unix_ms_from_rfc3339;
use crate::user_state::StoredStatus;

/// How long a connected source may send nothing before it is stale, unless
/// `HEALTHLINK_STALE_AFTER_HOURS` says otherwise: three days covers a
/// weekend away from a phone that syncs a wearable.
pub const DEFAULT_STALE_AFTER_HOURS: u32 = 72;
/// How far ahead of the edge's clock a report may be: the host's clock may
/// run a little fast. A time within it is stored as now.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60_000;
/// How far back a report may go. A time older than a year says nothing
/// about whether data still flows, and is most often a unit mistake
/// (seconds read as milliseconds) or a zero date.
pub const MAX_REPORT_AGE_MS: i64 = 365 * 86_400_000;

/// What the host's backend last reported about one source, stored beside
/// its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataReport {
    /// When data last arrived (Unix ms).
    pub last_data_at_ms: i64,
    /// What the host's pipeline said keeps more from arriving, if anything.
    #[serde(default)]
    pub error: Option<SyncError>,
    /// The `last_data_at_ms` whose stale period `connection.stale` was
    /// written for: the host has been told of that period.
    #[serde(default)]
    pub stale_event_for_ms: Option<i64>,
}

/// The time a report gives, checked against the edge's clock `now_ms`,
/// and its code. A time a little ahead (clock skew) reads as now.
pub fn read_report(report: &SyncReport, now_ms: i64) -> Result<(i64, Option<SyncError>), ApiError> {
    let at_ms = unix_ms_from_rfc3339(&report.last_data_at).ok_or_else(|| {
        ApiError::invalid(
            "last_data_at must be an RFC 3339 time with an offset, like 2026-11-21T10:00:00Z.",
        )
    })?;
    if at_ms > now_ms + MAX_CLOCK_SKEW_MS {
        return Err(ApiError::invalid(
            "last_data_at is in the future. Send when data last arrived (up to 5 minutes \
             of clock skew are allowed).",
        ));
    }
    if at_ms < now_ms - MAX_REPORT_AGE_MS {
        return Err(ApiError::invalid(
            "last_data_at is more than 365 days ago. Report when data last arrived; a time \
             that old is usually seconds read as milliseconds, or a zero date.",
        ));
    }
    Ok((at_ms.min(now_ms), report.error))
}

/// What a report does to a source's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// The source is not connected (nor being connected or disconnected):
    /// there is no data flow to track, and nothing is stored.
    NotConnected,
    /// Older than what is stored (a late or reordered report), or the same:
    /// the record stays as it is.
    Unchanged,
    /// Store this.
    Record(DataReport),
}

/// Applies a report of data at `last_data_at_ms` (with `error`) to the
/// source's stored row. Reports count for `connected` sources and for
/// `pending` ones (a connect the aggregator has yet to confirm, a revoke
/// still finishing): data may well arrive then. The time never moves
/// backwards; a report of the same time replaces the code (the pipeline's
/// latest word on that period).
pub fn apply_report(
    row: Option<&StoredStatus>,
    last_data_at_ms: i64,
    error: Option<SyncError>,
) -> ReportOutcome {
    let Some(row) = row.filter(|row| {
        matches!(
            row.status,
            ConnectionStatus::Connected | ConnectionStatus::Pending
        )
    }) else {
        return ReportOutcome::NotConnected;
    };
    match &row.data {
        Some(stored)
            if stored.last_data_at_ms > last_data_at_ms
                || (stored.last_data_at_ms == last_data_at_ms && stored.error == error) =>
        {
            ReportOutcome::Unchanged
        }
        stored => ReportOutcome::Record(DataReport {
            last_data_at_ms,
            error,
            // Kept: a later time is a new period (it differs from this),
            // the same time is still the period the host was told of.
            stale_event_for_ms: stored.as_ref().and_then(|stored| stored.stale_event_for_ms),
        }),
    }
}

/// When a source turns (or turned) stale: a connected source the backend
/// has reported on, `stale_after_ms` after its last data or after it was
/// connected, whichever is later — a source connected again just now gets
/// the whole time to send something. `None` for any other source: with no
/// report, the edge knows nothing about its data and claims nothing.
pub fn stale_at(row: &StoredStatus, stale_after_ms: i64) -> Option<i64> {
    let data = row.data.as_ref()?;
    (row.status == ConnectionStatus::Connected)
        .then(|| data.last_data_at_ms.max(row.updated_at_ms) + stale_after_ms)
}

/// Whether the source is stale at `now_ms`.
pub fn is_stale(row: &StoredStatus, stale_after_ms: i64, now_ms: i64) -> bool {
    stale_at(row, stale_after_ms).is_some_and(|at| at <= now_ms)
}

/// Whether the host has not yet been told of the period since the
/// source's last data.
fn unannounced(row: &StoredStatus) -> bool {
    row.data
        .as_ref()
        .is_some_and(|data| data.stale_event_for_ms != Some(data.last_data_at_ms))
}

/// The sources whose `connection.stale` is due at `now_ms`: stale, and not
/// yet announced for this period.
pub fn stale_events_due(
    rows: &[StoredStatus],
    stale_after_ms: i64,
    now_ms: i64,
) -> Vec<&StoredStatus> {
    rows.iter()
        .filter(|row| unannounced(row) && is_stale(row, stale_after_ms, now_ms))
        .collect()
}

/// The earliest time a `connection.stale` falls due, if any will (it may be
/// past already: then it is due at once).
pub fn next_stale_check(rows: &[StoredStatus], stale_after_ms: i64) -> Option<i64> {
    rows.iter()
        .filter(|row| unannounced(row))
        .filter_map(|row| stale_at(row, stale_after_ms))
        .min()
}

/// When the user's object must wake: for its outbox's first undelivered
/// event, or for the next staleness check, whichever comes first.
pub fn next_wake(outbox_due_ms: Option<i64>, stale_check_ms: Option<i64>) -> Option<i64> {
    match (outbox_due_ms, stale_check_ms) {
        (Some(outbox), Some(stale)) => Some(outbox.min(stale)),
        (outbox, stale) => outbox.or(stale),
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::FlowAction;

    use super::*;

    const HOUR: i64 = 3_600_000;
    const THRESHOLD: i64 = 72 * HOUR;
    /// 2027-01-15, as the handler tests' clock starts.
    const NOW: i64 = 1_800_000_000_000;

    fn row(status: ConnectionStatus, connected_at: i64, data: Option<DataReport>) -> StoredStatus {
        StoredStatus {
            source: "garmin".into(),
            status,
            updated_at_ms: connected_at,
            error: None,
            pending: (status == ConnectionStatus::Pending).then_some(FlowAction::Connect),
            deleting: false,
            data,
        }
    }

    fn data(last: i64, told_for: Option<i64>) -> Option<DataReport> {
        Some(DataReport {
            last_data_at_ms: last,
            error: None,
            stale_event_for_ms: told_for,
        })
    }

    fn report(at: &str, error: Option<SyncError>) -> SyncReport {
        SyncReport {
            last_data_at: at.into(),
            error,
        }
    }

    fn check_refused(at: &str, says: &str) {
        match read_report(&report(at, None), NOW) {
            Err(ApiError::InvalidRequest { detail }) => {
                assert!(detail.contains(says), "{at}: {detail}");
            }
            other => panic!("{at}: {other:?}"),
        }
    }

    #[test]
    fn reports_are_rfc_3339_not_in_the_future_and_not_ancient() {
        let now = crate::time::rfc3339_from_unix_ms(NOW);
        assert_eq!(
            read_report(&report(&now, Some(SyncError::RateLimited)), NOW),
            Ok((NOW, Some(SyncError::RateLimited)))
        );
        // With an offset, and a year ago to the day.
        let year_ago = crate::time::rfc3339_from_unix_ms(NOW - MAX_REPORT_AGE_MS);
        assert_eq!(
            read_report(&report(&year_ago, None), NOW),
            Ok((NOW - MAX_REPORT_AGE_MS, None))
        );
        assert_eq!(
            read_report(&report("2027-01-15T09:00:00+01:00", None), NOW).map(|(at, _)| at),
            Ok(unix_ms_from_rfc3339("2027-01-15T08:00:00Z").unwrap())
        );
        // A clock a little fast is now; more is refused.
        let skewed = crate::time::rfc3339_from_unix_ms(NOW + MAX_CLOCK_SKEW_MS);
        assert_eq!(read_report(&report(&skewed, None), NOW), Ok((NOW, None)));
        check_refused(
            &crate::time::rfc3339_from_unix_ms(NOW + MAX_CLOCK_SKEW_MS + 1),
            "in the future",
        );
        check_refused("2100-01-01T00:00:00Z", "in the future");
        check_refused(
            &crate::time::rfc3339_from_unix_ms(NOW - MAX_REPORT_AGE_MS - 1),
            "more than 365 days ago",
        );
        check_refused("1970-01-21T20:00:00Z", "more than 365 days ago");
        for malformed in [
            "",
            "yesterday",
            "2027-01-15",
            "2027-01-15T08:00:00",
            "2027-01-15 08:00:00Z",
            "2027-02-30T08:00:00Z",
            "1800000000000",
        ] {
            check_refused(malformed, "RFC 3339");
        }
    }

    #[test]
    fn reports_count_for_connected_and_pending_sources_only() {
        use ConnectionStatus::*;
        for status in [Connected, Pending] {
            assert_eq!(
                apply_report(Some(&row(status, 0, None)), NOW, None),
                ReportOutcome::Record(DataReport {
                    last_data_at_ms: NOW,
                    error: None,
                    stale_event_for_ms: None
                }),
                "{status:?}"
            );
        }
        for status in [Disconnected, Expired, Error] {
            assert_eq!(
                apply_report(Some(&row(status, 0, None)), NOW, None),
                ReportOutcome::NotConnected,
                "{status:?}"
            );
        }
        assert_eq!(apply_report(None, NOW, None), ReportOutcome::NotConnected);
    }

    #[test]
    fn the_last_data_time_never_moves_backwards() {
        let connected = row(ConnectionStatus::Connected, 0, data(NOW, Some(NOW)));
        // Older, or the same again: nothing changes.
        assert_eq!(
            apply_report(Some(&connected), NOW - HOUR, None),
            ReportOutcome::Unchanged
        );
        assert_eq!(
            apply_report(Some(&connected), NOW, None),
            ReportOutcome::Unchanged
        );
        // An older report does not bring its error in either.
        assert_eq!(
            apply_report(Some(&connected), NOW - HOUR, Some(SyncError::AuthRevoked)),
            ReportOutcome::Unchanged
        );
        // The same time with news about it replaces the code, and stays
        // the period the host was told of.
        assert_eq!(
            apply_report(Some(&connected), NOW, Some(SyncError::ProviderError)),
            ReportOutcome::Record(DataReport {
                last_data_at_ms: NOW,
                error: Some(SyncError::ProviderError),
                stale_event_for_ms: Some(NOW),
            })
        );
        // Newer data is a new period (and clears the code).
        let errored = row(
            ConnectionStatus::Connected,
            0,
            Some(DataReport {
                error: Some(SyncError::ProviderError),
                ..data(NOW, Some(NOW)).unwrap()
            }),
        );
        let ReportOutcome::Record(newer) = apply_report(Some(&errored), NOW + HOUR, None) else {
            panic!("newer data is recorded");
        };
        assert_eq!((newer.last_data_at_ms, newer.error), (NOW + HOUR, None));
        assert!(unannounced(&row(
            ConnectionStatus::Connected,
            0,
            Some(newer)
        )));
    }

    #[test]
    fn a_connected_source_is_stale_after_the_threshold_since_data_or_connecting() {
        use ConnectionStatus::*;
        let connected_long_ago = row(Connected, NOW - 30 * 24 * HOUR, data(NOW, None));
        assert_eq!(
            stale_at(&connected_long_ago, THRESHOLD),
            Some(NOW + THRESHOLD)
        );
        assert!(!is_stale(
            &connected_long_ago,
            THRESHOLD,
            NOW + THRESHOLD - 1
        ));
        assert!(is_stale(&connected_long_ago, THRESHOLD, NOW + THRESHOLD));
        // Connected again after ten silent days: the clock starts at the
        // connect, not at the old data.
        let reconnected = row(Connected, NOW, data(NOW - 10 * 24 * HOUR, None));
        assert!(!is_stale(&reconnected, THRESHOLD, NOW + THRESHOLD - 1));
        assert!(is_stale(&reconnected, THRESHOLD, NOW + THRESHOLD));
        // Only connected sources, and only with a report.
        for status in [Pending, Disconnected, Expired, Error] {
            assert_eq!(stale_at(&row(status, 0, data(0, None)), THRESHOLD), None);
        }
        assert_eq!(stale_at(&row(Connected, 0, None), THRESHOLD), None);
    }

    #[test]
    fn the_host_hears_of_each_stale_period_once() {
        use ConnectionStatus::*;
        let silent = row(Connected, 0, data(NOW, None));
        let later = NOW + THRESHOLD;
        assert!(stale_events_due(std::slice::from_ref(&silent), THRESHOLD, later - 1).is_empty());
        assert_eq!(
            stale_events_due(std::slice::from_ref(&silent), THRESHOLD, later),
            [&silent]
        );
        // Told for this period: not again, however long it stays stale.
        let told = row(Connected, 0, data(NOW, Some(NOW)));
        assert!(stale_events_due(std::slice::from_ref(&told), THRESHOLD, later * 2).is_empty());
        assert_eq!(
            next_stale_check(std::slice::from_ref(&told), THRESHOLD),
            None
        );
        // Fresh data came and stopped again: a new period, a new event.
        let ReportOutcome::Record(fresh) = apply_report(Some(&told), NOW + HOUR, None) else {
            panic!("fresh data is recorded");
        };
        let fresh = row(Connected, 0, Some(fresh));
        assert_eq!(
            next_stale_check(std::slice::from_ref(&fresh), THRESHOLD),
            Some(NOW + HOUR + THRESHOLD)
        );
        assert_eq!(
            stale_events_due(
                std::slice::from_ref(&fresh),
                THRESHOLD,
                NOW + HOUR + THRESHOLD
            )
            .len(),
            1
        );
        // A disconnected source is never due, whatever its data.
        let gone = row(Disconnected, 0, data(0, None));
        assert!(stale_events_due(std::slice::from_ref(&gone), THRESHOLD, later).is_empty());
        assert_eq!(
            next_stale_check(std::slice::from_ref(&gone), THRESHOLD),
            None
        );
    }

    #[test]
    fn the_next_check_is_the_earliest_unannounced_deadline() {
        use ConnectionStatus::*;
        let rows = [
            row(Connected, 0, data(NOW + 2 * HOUR, None)),
            row(Connected, 0, data(NOW, None)),
            row(Connected, 0, data(NOW - HOUR, Some(NOW - HOUR))),
            row(Connected, 0, None),
        ];
        assert_eq!(next_stale_check(&rows, THRESHOLD), Some(NOW + THRESHOLD));
        assert_eq!(next_wake(None, None), None);
        assert_eq!(next_wake(Some(5), None), Some(5));
        assert_eq!(next_wake(None, Some(9)), Some(9));
        assert_eq!(next_wake(Some(5), Some(9)), Some(5));
        assert_eq!(next_wake(Some(12), Some(9)), Some(9));
    }
}
