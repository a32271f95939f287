//! Re-reading the list on its own while a row is finishing a connection, so
//! "Finishing connection…" turns into "Connected" without a reload.

use std::time::Duration;

use healthlink_shared::ConnectionsResponse;

use super::is_finishing_connection;

/// How often the list re-reads itself while a connection is being finished.
const RECHECK_EVERY: Duration = Duration::from_secs(5);
/// How many of those re-reads in a row: two minutes. Aggregators confirm by
/// webhook within seconds; one that takes longer is picked up by the next
/// re-read on returning to the tab, or `refresh()`.
const RECHECKS_AT_MOST: u32 = 24;

/// When the list re-reads itself: one timer at a time, for a bounded while.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recheck {
    /// Re-reads scheduled since the list last had no finishing row.
    scheduled: u32,
    /// Whether a re-read is scheduled and has not run yet.
    waiting: bool,
}

impl Recheck {
    /// A list was loaded: how long until the next re-read, if one is due.
    pub fn after_load(&mut self, list: &ConnectionsResponse) -> Option<Duration> {
        if !list.sources.iter().any(is_finishing_connection) {
            self.scheduled = 0;
            return None;
        }
        if self.waiting || self.scheduled >= RECHECKS_AT_MOST {
            return None;
        }
        self.scheduled += 1;
        self.waiting = true;
        Some(RECHECK_EVERY)
    }

    /// The scheduled re-read is running now.
    pub fn due(&mut self) {
        self.waiting = false;
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectionStatus, FlowAction, SourceConnection};

    use super::*;
    use crate::model::oura_row as row;

    #[test]
    fn a_finishing_connection_is_rechecked_one_timer_at_a_time_for_a_while() {
        let list = |status, pending| ConnectionsResponse {
            sources: vec![
                SourceConnection {
                    id: "garmin".into(),
                    ..row(ConnectionStatus::Connected, None)
                },
                row(status, pending),
            ],
            locale: None,
        };
        let finishing = list(ConnectionStatus::Pending, Some(FlowAction::Connect));
        let settled = list(ConnectionStatus::Connected, None);
        let mut recheck = Recheck::default();
        assert_eq!(recheck.after_load(&settled), None);
        assert_eq!(
            recheck.after_load(&list(
                ConnectionStatus::Pending,
                Some(FlowAction::Disconnect)
            )),
            None,
            "pending disconnects are not polled"
        );
        assert_eq!(recheck.after_load(&finishing), Some(RECHECK_EVERY));
        // Another load (the tab shown again) while the timer waits.
        assert_eq!(recheck.after_load(&finishing), None);
        recheck.due();
        let mut scheduled = 1;
        while recheck.after_load(&finishing).is_some() {
            recheck.due();
            scheduled += 1;
        }
        assert_eq!(scheduled, RECHECKS_AT_MOST);
        // Settled, then finishing again (another connect): a fresh while.
        assert_eq!(recheck.after_load(&settled), None);
        assert_eq!(recheck.after_load(&finishing), Some(RECHECK_EVERY));
    }
}
