//! A connect flow's result as the widget hears it (the `healthlink_*`
//! parameters of a redirect return, or a popup's message) and the rule for
//! believing it: only once the list re-read from the edge agrees.
//!
//! Anyone can link to the host page with `?healthlink_result=connected`, so
//! the parameters are a claim, not a fact. The edge's list is the fact.

use healthlink_shared::{
    ConnectionStatus, ConnectionsResponse, FlowAction, FlowOutcome, FlowResult, SourceConnection,
};

use super::{HostEvent, Notice, Tone, is_finishing_connection, outcome_notice};
use crate::i18n::Catalog;

/// Splits a page's query string (`?a=1&healthlink_source=oura&…`) into the
/// flow result the edge appended, if complete and spelled as the contract
/// spells it, and the query without any `healthlink_*` parameter (for
/// `history.replaceState`).
pub fn take_result_params(search: &str) -> (Option<FlowOutcome>, String) {
    let query = search.strip_prefix('?').unwrap_or(search);
    let (mut source, mut action, mut result) = (None, None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "healthlink_source" => source = Some(value.to_owned()),
            "healthlink_action" => action = FlowAction::parse(value),
            "healthlink_result" => result = FlowResult::parse(value),
            _ if name.starts_with("healthlink_") => {}
            _ => kept.push(pair),
        }
    }
    let outcome = match (source, action, result) {
        (Some(source), Some(action), Some(result)) => Some(FlowOutcome {
            source,
            action,
            result,
        }),
        _ => None,
    };
    let rest = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (outcome, rest)
}

/// A flow's result that the edge's list bears out: what the widget
/// announces and reports to the host page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedOutcome {
    /// The source's row as the edge lists it now.
    pub row: SourceConnection,
    pub result: FlowResult,
}

impl ConfirmedOutcome {
    /// The live notice. A connection the aggregator has still to confirm
    /// says so, as the row's badge does, rather than "is connected".
    pub fn notice(&self, t: &Catalog) -> Notice {
        if is_finishing_connection(&self.row) {
            return Notice {
                text: t.fill(t.notice_connect_finishing, &self.row.name),
                tone: Tone::Neutral,
            };
        }
        outcome_notice(&self.row.name, FlowAction::Connect, self.result, t)
    }

    /// The `healthlink:connect` event, with the status the edge listed.
    pub fn host_event(&self) -> HostEvent {
        HostEvent::connect(&self.row.id, self.result, self.row.status)
    }
}

/// Whether `list`, read from the edge after the flow ended, agrees with
/// `outcome`; `None` means the outcome is ignored: nothing is announced and
/// no event fires.
///
/// Only connect flows report back (disconnects are answered directly). A
/// connect is believed when the row is connected, or pending with a connect
/// the aggregator is still confirming; a cancelled or failed one when the
/// row is in a state one connects from (not connected, expired, error). A
/// source that is not in the user's list is nobody's result.
pub fn confirm_outcome(
    outcome: &FlowOutcome,
    list: &ConnectionsResponse,
) -> Option<ConfirmedOutcome> {
    let row = list.sources.iter().find(|row| row.id == outcome.source)?;
    let agrees = match (outcome.action, outcome.result) {
        (FlowAction::Connect, FlowResult::Connected) => {
            row.status == ConnectionStatus::Connected || is_finishing_connection(row)
        }
        (FlowAction::Connect, FlowResult::Cancelled | FlowResult::Failed) => matches!(
            row.status,
            ConnectionStatus::Disconnected | ConnectionStatus::Expired | ConnectionStatus::Error
        ),
        (FlowAction::Connect, FlowResult::Disconnected) | (FlowAction::Disconnect, _) => false,
    };
    agrees.then(|| ConfirmedOutcome {
        row: row.clone(),
        result: outcome.result,
    })
}

/// The connections that `before` listed as being finished and `after`
/// lists as settled: `connected`, or `failed` when the aggregator ended them
/// any other way. The user is waiting for these, so they are announced and
/// reported like a flow's own result.
pub fn settled_connections(
    before: &ConnectionsResponse,
    after: &ConnectionsResponse,
) -> Vec<ConfirmedOutcome> {
    let was_finishing = |id: &str| {
        before
            .sources
            .iter()
            .any(|row| row.id == id && is_finishing_connection(row))
    };
    after
        .sources
        .iter()
        .filter(|row| was_finishing(&row.id))
        .filter_map(|row| {
            let result = match row.status {
                ConnectionStatus::Connected => FlowResult::Connected,
                ConnectionStatus::Disconnected
                | ConnectionStatus::Expired
                | ConnectionStatus::Error => FlowResult::Failed,
                // Still finishing, or now a disconnect: nothing settled.
                ConnectionStatus::Pending => return None,
            };
            Some(ConfirmedOutcome {
                row: row.clone(),
                result,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::model::oura_row as row;

    #[test]
    fn result_params_are_read_once_and_stripped() {
        let (outcome, rest) = take_result_params(
            "?tab=2&healthlink_source=oura&healthlink_action=connect&healthlink_result=cancelled&x",
        );
        assert_eq!(outcome, Some(said("oura", FlowResult::Cancelled)));
        assert_eq!(rest, "?tab=2&x");
        assert_eq!(take_result_params(""), (None, String::new()));
    }

    #[test]
    fn unknown_actions_and_results_are_no_outcome_and_still_stripped() {
        for search in [
            "?healthlink_source=oura&healthlink_result=bogus",
            "?healthlink_source=oura&healthlink_action=connect&healthlink_result=Connected",
            "?healthlink_source=oura&healthlink_action=grant&healthlink_result=connected",
            "?healthlink_source=oura&healthlink_action=connect",
            "?healthlink_action=connect&healthlink_result=connected&healthlink_extra=1",
        ] {
            assert_eq!(
                take_result_params(search),
                (None, String::new()),
                "{search}"
            );
        }
    }

    fn said(source: &str, result: FlowResult) -> FlowOutcome {
        FlowOutcome {
            source: source.into(),
            action: FlowAction::Connect,
            result,
        }
    }

    /// Whether `outcome` is believed when the edge lists Oura as `row`.
    fn check(outcome: FlowOutcome, row: SourceConnection, believed: bool) {
        let list = ConnectionsResponse {
            sources: vec![row.clone()],
            locale: None,
        };
        let confirmed = confirm_outcome(&outcome, &list);
        assert_eq!(confirmed.is_some(), believed, "{outcome:?} with {row:?}");
        if let Some(confirmed) = confirmed {
            assert_eq!((confirmed.row, confirmed.result), (row, outcome.result));
        }
    }

    #[test]
    fn connected_is_believed_only_when_the_row_is_connected_or_finishing() {
        use ConnectionStatus::*;
        let connected = || said("oura", FlowResult::Connected);
        check(connected(), row(Connected, None), true);
        check(connected(), row(Pending, Some(FlowAction::Connect)), true);
        // The crafted link: the source is not connected.
        check(connected(), row(Disconnected, None), false);
        check(connected(), row(Expired, None), false);
        check(connected(), row(Error, None), false);
        check(
            connected(),
            row(Pending, Some(FlowAction::Disconnect)),
            false,
        );
        check(connected(), row(Pending, None), false);
    }

    #[test]
    fn cancelled_and_failed_are_believed_only_when_the_row_is_not_connected() {
        use ConnectionStatus::*;
        for result in [FlowResult::Cancelled, FlowResult::Failed] {
            check(said("oura", result), row(Disconnected, None), true);
            check(said("oura", result), row(Expired, None), true);
            check(said("oura", result), row(Error, None), true);
            check(said("oura", result), row(Connected, None), false);
            check(
                said("oura", result),
                row(Pending, Some(FlowAction::Connect)),
                false,
            );
            check(
                said("oura", result),
                row(Pending, Some(FlowAction::Disconnect)),
                false,
            );
        }
    }

    #[test]
    fn outcomes_no_connect_flow_reports_are_ignored() {
        use ConnectionStatus::*;
        check(
            said("oura", FlowResult::Disconnected),
            row(Disconnected, None),
            false,
        );
        for result in [FlowResult::Disconnected, FlowResult::Cancelled] {
            let disconnect = FlowOutcome {
                action: FlowAction::Disconnect,
                ..said("oura", result)
            };
            check(disconnect.clone(), row(Disconnected, None), false);
            check(disconnect, row(Connected, None), false);
        }
    }

    #[test]
    fn sources_outside_the_users_list_are_ignored() {
        use ConnectionStatus::*;
        check(
            said("garmin", FlowResult::Connected),
            row(Connected, None),
            false,
        );
        check(
            said("", FlowResult::Cancelled),
            row(Disconnected, None),
            false,
        );
    }

    fn list(rows: Vec<SourceConnection>) -> ConnectionsResponse {
        ConnectionsResponse {
            sources: rows,
            locale: None,
        }
    }

    #[test]
    fn finished_connections_are_announced_once_they_settle() {
        use ConnectionStatus::*;
        let finishing = || row(Pending, Some(FlowAction::Connect));
        let settled = |after: SourceConnection| {
            settled_connections(&list(vec![finishing()]), &list(vec![after]))
                .into_iter()
                .map(|outcome| outcome.result)
                .collect::<Vec<_>>()
        };
        assert_eq!(settled(row(Connected, None)), [FlowResult::Connected]);
        for refused in [Disconnected, Expired, Error] {
            assert_eq!(settled(row(refused, None)), [FlowResult::Failed]);
        }
        assert_eq!(settled(finishing()), []);
        assert_eq!(settled(row(Pending, Some(FlowAction::Disconnect))), []);
        // Only rows that were finishing: a connected row stays quiet.
        let quiet = settled_connections(
            &list(vec![row(Connected, None)]),
            &list(vec![row(Connected, None)]),
        );
        assert_eq!(quiet, []);
        let confirmed =
            settled_connections(&list(vec![finishing()]), &list(vec![row(Connected, None)]));
        assert_eq!(
            confirmed[0].notice(Locale::En.catalog()).text,
            "Oura is connected."
        );
    }

    #[test]
    fn a_confirmed_outcome_is_announced_and_reported_as_the_edge_lists_it() {
        let en = Locale::En.catalog();
        let confirm = |row: SourceConnection, result| {
            let list = ConnectionsResponse {
                sources: vec![row],
                locale: None,
            };
            confirm_outcome(&said("oura", result), &list).expect("believed")
        };
        let connected = confirm(
            row(ConnectionStatus::Connected, None),
            FlowResult::Connected,
        );
        assert_eq!(
            connected.notice(en),
            Notice {
                text: "Oura is connected.".into(),
                tone: Tone::Success
            }
        );
        let event = connected.host_event();
        assert_eq!(
            (event.name(), event.source.as_deref(), event.result.as_str()),
            ("healthlink:connect".into(), Some("oura"), "connected")
        );
        assert_eq!(event.status, Some(ConnectionStatus::Connected));

        let finishing = confirm(
            row(ConnectionStatus::Pending, Some(FlowAction::Connect)),
            FlowResult::Connected,
        );
        assert_eq!(
            finishing.notice(en).text,
            "Oura is being connected. This can take a while."
        );
        assert_eq!(
            finishing.host_event().status,
            Some(ConnectionStatus::Pending)
        );

        let cancelled = confirm(
            row(ConnectionStatus::Disconnected, None),
            FlowResult::Cancelled,
        );
        assert_eq!(cancelled.notice(en).tone, Tone::Neutral);
        assert_eq!(
            cancelled.host_event().status,
            Some(ConnectionStatus::Disconnected)
        );
    }
}
