//! The decisions of a connect flow in a popup window: its nonce, when a
//! closed window counts as closed early, and which posted messages end the
//! flow. Plain values in and out; `App` owns the window, the interval and
//! the listener.

use healthlink_shared::{FlowOutcome, SourceConnection};

/// Random bytes in a flow nonce: 128 bits, as unguessable as a session id.
pub const NONCE_BYTES: usize = 16;

/// The flow nonce for `random` bytes from the browser's CSPRNG, as
/// lowercase hex: 32 characters, which `is_flow_nonce` accepts.
pub fn flow_nonce(random: [u8; NONCE_BYTES]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    random
        .iter()
        .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]])
        .map(char::from)
        .collect()
}

/// Watcher ticks that must see the window closed before it counts as
/// closed early. The result page posts its message and closes at once, and
/// the message can arrive after the window reads as closed, so one tick of
/// grace lets the message win.
const CLOSED_TICKS_BEFORE_CLOSED_EARLY: u8 = 2;

/// A connect flow in a popup window, from the moment the window is sent to
/// the provider until it ends once: by a message from the result page, or
/// by the user closing the window early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupFlow {
    source: SourceConnection,
    /// The origin the result page posts from: the edge's.
    edge: String,
    /// The nonce sent with the connect request; the result page posts it
    /// back, so an answer to another flow (or a guess) does not count.
    nonce: String,
    /// Watcher ticks since the window was first seen closed.
    closed_ticks: u8,
    finished: bool,
}

/// A `message` event on the widget's window, as plain values. A check that
/// needs more of the event becomes another field here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupMessage {
    /// The sender's origin (`MessageEvent.origin`).
    pub origin: String,
    /// Whether `MessageEvent.source` is the window this flow opened. Any
    /// page the edge serves could post from the edge's origin; only our
    /// popup answers for this flow.
    pub from_opened_window: bool,
    /// The `nonce` next to `healthlink` in the data, if any.
    pub nonce: Option<String>,
    /// The `{"healthlink": …}` data, or `None` when the data is not one.
    pub outcome: Option<FlowOutcome>,
}

/// How a popup flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupEnd {
    /// The result page reported this outcome.
    Reported(FlowOutcome),
    /// The window closed without a report: the user gave up.
    ClosedEarly,
}

impl PopupFlow {
    /// A flow for `source` whose result page is served from `edge` (an
    /// origin, as in `WidgetConfig::edge`) and posts back `nonce`.
    pub fn new(source: SourceConnection, edge: &str, nonce: String) -> Self {
        Self {
            source,
            edge: edge.to_owned(),
            nonce,
            closed_ticks: 0,
            finished: false,
        }
    }

    /// The source being connected.
    pub fn source(&self) -> &SourceConnection {
        &self.source
    }

    /// One tick of the watcher; `window_closed` is whether the window reads
    /// as closed now. Ends the flow as closed early on the second tick that
    /// sees it closed.
    pub fn tick(&mut self, window_closed: bool) -> Option<PopupEnd> {
        if self.finished || !window_closed {
            return None;
        }
        self.closed_ticks += 1;
        (self.closed_ticks >= CLOSED_TICKS_BEFORE_CLOSED_EARLY)
            .then(|| self.finish(PopupEnd::ClosedEarly))
    }

    /// A message posted to the widget's window. Only a well-formed popup
    /// message from the edge's origin, sent by the window this flow opened,
    /// carrying this flow's nonce and about this flow's source ends the
    /// flow; other pages, other widgets and other flows post messages too.
    pub fn receive(&mut self, message: PopupMessage) -> Option<PopupEnd> {
        if self.finished
            || message.origin != self.edge
            || !message.from_opened_window
            || message.nonce.as_deref() != Some(self.nonce.as_str())
        {
            return None;
        }
        let outcome = message
            .outcome
            .filter(|outcome| outcome.source == self.source.id)?;
        Some(self.finish(PopupEnd::Reported(outcome)))
    }

    fn finish(&mut self, end: PopupEnd) -> PopupEnd {
        self.finished = true;
        end
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{ConnectionStatus, FlowAction, FlowResult, is_flow_nonce};

    use super::*;
    use crate::model::oura_row;

    const EDGE: &str = "https://edge.example";
    const NONCE: &str = "0123456789abcdef0123456789abcdef";

    fn flow() -> PopupFlow {
        let oura = oura_row(ConnectionStatus::Disconnected, None);
        PopupFlow::new(oura, EDGE, NONCE.into())
    }

    fn connected(source: &str) -> FlowOutcome {
        FlowOutcome {
            source: source.into(),
            action: FlowAction::Connect,
            result: FlowResult::Connected,
        }
    }

    /// A message from our popup with the flow's nonce, from `origin`.
    fn message(origin: &str, outcome: Option<FlowOutcome>) -> PopupMessage {
        PopupMessage {
            origin: origin.into(),
            from_opened_window: true,
            nonce: Some(NONCE.into()),
            outcome,
        }
    }

    /// The result page's message, as the edge posts it.
    fn from_edge() -> PopupMessage {
        message(EDGE, Some(connected("oura")))
    }

    /// What a fresh flow makes of one message.
    fn check(message: PopupMessage, expected: Option<PopupEnd>) {
        assert_eq!(flow().receive(message.clone()), expected, "{message:?}");
    }

    #[test]
    fn the_result_pages_message_ends_the_flow() {
        check(from_edge(), Some(PopupEnd::Reported(connected("oura"))));
    }

    #[test]
    fn a_closed_window_is_closed_early_only_one_tick_later() {
        let mut flow = flow();
        assert_eq!(flow.tick(false), None);
        assert_eq!(flow.tick(true), None);
        assert_eq!(flow.tick(true), Some(PopupEnd::ClosedEarly));
    }

    #[test]
    fn a_message_in_the_tick_after_closing_still_counts() {
        let mut flow = flow();
        assert_eq!(flow.tick(true), None);
        assert_eq!(
            flow.receive(from_edge()),
            Some(PopupEnd::Reported(connected("oura")))
        );
        assert_eq!(flow.tick(true), None);
    }

    #[test]
    fn messages_from_another_origin_are_ignored() {
        check(
            message("https://host.example", Some(connected("oura"))),
            None,
        );
        check(
            message("https://edge.example.evil", Some(connected("oura"))),
            None,
        );
        check(message("null", Some(connected("oura"))), None);
    }

    #[test]
    fn malformed_messages_are_ignored() {
        check(message(EDGE, None), None);
    }

    #[test]
    fn messages_from_another_window_are_ignored() {
        // Another tab or frame on the edge's origin, with the right nonce.
        check(
            PopupMessage {
                from_opened_window: false,
                ..from_edge()
            },
            None,
        );
    }

    #[test]
    fn messages_without_this_flows_nonce_are_ignored() {
        for nonce in [
            None,
            Some(String::new()),
            Some("fedcba9876543210fedcba9876543210".into()),
            Some(NONCE.to_uppercase()),
            Some(format!("{NONCE} ")),
            Some(NONCE[..31].into()),
        ] {
            check(
                PopupMessage {
                    nonce,
                    ..from_edge()
                },
                None,
            );
        }
    }

    #[test]
    fn nonces_are_hex_of_the_random_bytes_and_fit_the_contract() {
        let mut random = [0; NONCE_BYTES];
        random[..6].copy_from_slice(&[0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]);
        random[15] = 9;
        let nonce = flow_nonce(random);
        assert_eq!(nonce, "00017f80abff00000000000000000009");
        assert!(is_flow_nonce(&nonce));
        assert!(is_flow_nonce(&flow_nonce([0xff; NONCE_BYTES])));
        assert_ne!(flow_nonce([1; NONCE_BYTES]), flow_nonce([2; NONCE_BYTES]));
    }

    #[test]
    fn messages_about_another_source_are_ignored() {
        check(message(EDGE, Some(connected("garmin"))), None);
    }

    #[test]
    fn ignored_messages_leave_the_flow_waiting() {
        let mut flow = flow();
        assert_eq!(flow.receive(message(EDGE, None)), None);
        assert_eq!(flow.receive(message(EDGE, Some(connected("garmin")))), None);
        assert_eq!(
            flow.receive(from_edge()),
            Some(PopupEnd::Reported(connected("oura")))
        );
    }

    #[test]
    fn messages_after_the_flow_finished_are_ignored() {
        let mut flow = flow();
        flow.tick(true);
        assert_eq!(flow.tick(true), Some(PopupEnd::ClosedEarly));
        assert_eq!(flow.receive(from_edge()), None);
    }

    #[test]
    fn a_finished_flow_cannot_finish_twice() {
        let mut flow = flow();
        assert!(flow.receive(from_edge()).is_some());
        assert_eq!(flow.receive(from_edge()), None);
        assert_eq!(flow.tick(true), None);
        assert_eq!(flow.tick(true), None);
    }
}
