//! Plain widget state and the words shown for it. No DOM, no Leptos: tested
//! natively.

use healthlink_shared::{
    ConnectionStatus, ConnectionsResponse, Flow, FlowAction, FlowOutcome, FlowResult, Problem,
    SourceConnection, SourceKind,
};

/// What the widget configuration says: where the edge is, who the user is,
/// and how connect flows open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetConfig {
    /// Edge origin, without a trailing slash.
    pub edge: String,
    /// The session token sent as `Authorization: Bearer …`.
    pub session: String,
    /// Preferred connect flow; popups fall back to redirects when blocked.
    pub flow: Flow,
}

impl WidgetConfig {
    pub fn new(edge: &str, session: &str, flow: &str) -> Self {
        Self {
            edge: edge.trim().trim_end_matches('/').to_owned(),
            session: session.trim().to_owned(),
            flow: if flow.trim().eq_ignore_ascii_case("redirect") {
                Flow::Redirect
            } else {
                Flow::Popup
            },
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.edge)
    }
}

/// Why loading the list failed, as far as a person needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The edge could not be reached at all (offline, down, blocked by CORS).
    Unreachable,
    /// The edge answered with a problem+json body.
    Problem(Problem),
    /// The edge answered with something that is not our contract.
    Unexpected(u16),
}

impl LoadError {
    /// A sentence a person can act on.
    pub fn message(&self) -> String {
        match self {
            Self::Unreachable => {
                "We can't reach the connection service right now. Check your internet \
                 connection and try again."
                    .to_owned()
            }
            Self::Problem(problem) if problem.status == 401 => {
                "Your session has ended. Reload the page to sign in again.".to_owned()
            }
            Self::Problem(problem) => match &problem.detail {
                Some(detail) => format!("{} {detail}", sentence(&problem.title)),
                None => sentence(&problem.title),
            },
            Self::Unexpected(status) => {
                format!("The connection service answered unexpectedly (HTTP {status}). Try again.")
            }
        }
    }
}

fn sentence(title: &str) -> String {
    if title.ends_with('.') {
        title.to_owned()
    } else {
        format!("{title}.")
    }
}

/// The list panel's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    Loaded(ConnectionsResponse),
    Failed(LoadError),
}

/// The badge text for a status.
pub fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "Connected",
        ConnectionStatus::Disconnected => "Not connected",
        ConnectionStatus::Expired => "Expired — reconnect",
        ConnectionStatus::Pending => "Pending",
        ConnectionStatus::Error => "Error",
    }
}

/// The one action a row offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Connect,
    Reconnect,
    Disconnect,
}

impl RowAction {
    pub fn label(self) -> &'static str {
        match self {
            Self::Connect => "Connect",
            Self::Reconnect => "Reconnect",
            Self::Disconnect => "Disconnect",
        }
    }
}

/// Phone-only sources have no browser action unless they are connected
/// (then they can still be disconnected from here).
pub fn row_action(source: &SourceConnection) -> Option<RowAction> {
    match (source.kind, source.status) {
        (_, ConnectionStatus::Connected | ConnectionStatus::Pending) => Some(RowAction::Disconnect),
        (SourceKind::Mobile, _) => None,
        (SourceKind::Oauth, ConnectionStatus::Expired | ConnectionStatus::Error) => {
            Some(RowAction::Reconnect)
        }
        (SourceKind::Oauth, ConnectionStatus::Disconnected) => Some(RowAction::Connect),
    }
}

/// How a notice looks: good news, neutral, or something to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Neutral,
    Problem,
}

/// A one-line message about the last thing that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub tone: Tone,
}

/// The notice after a flow ends.
pub fn outcome_notice(name: &str, action: FlowAction, result: FlowResult) -> Notice {
    let (text, tone) = match (action, result) {
        (_, FlowResult::Connected) => (format!("{name} is connected."), Tone::Success),
        (_, FlowResult::Disconnected) => (format!("{name} is disconnected."), Tone::Success),
        (FlowAction::Connect, FlowResult::Cancelled) => (
            format!("{name} was not connected. You can try again at any time."),
            Tone::Neutral,
        ),
        (FlowAction::Disconnect, FlowResult::Cancelled) => {
            (format!("{name} is still connected."), Tone::Neutral)
        }
        (FlowAction::Connect, FlowResult::Failed) => (
            format!("Connecting {name} did not work. Please try again."),
            Tone::Problem,
        ),
        (FlowAction::Disconnect, FlowResult::Failed) => (
            format!("Disconnecting {name} did not work. Please try again."),
            Tone::Problem,
        ),
    };
    Notice { text, tone }
}

/// The notice when the user closes the popup before finishing.
pub fn popup_closed_notice(name: &str) -> Notice {
    Notice {
        text: format!("The {name} window was closed before finishing. Nothing changed."),
        tone: Tone::Neutral,
    }
}

/// The notice after a disconnect request was answered.
pub fn disconnect_notice(name: &str, status: ConnectionStatus) -> Notice {
    match status {
        ConnectionStatus::Pending => Notice {
            text: format!("{name} is being disconnected. This can take a while."),
            tone: Tone::Neutral,
        },
        _ => outcome_notice(name, FlowAction::Disconnect, FlowResult::Disconnected),
    }
}

/// What disconnecting means, said before the user confirms.
pub fn disconnect_consequence(name: &str) -> String {
    format!(
        "New data from {name} will stop coming to this service. Data already shared stays \
         where it is. You can connect {name} again at any time."
    )
}

/// Splits a page's query string (`?a=1&healthlink_source=oura&…`) into the
/// flow result the edge appended, if complete, and the query without any
/// `healthlink_*` parameter (for `history.replaceState`).
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

/// What the widget tells the host page: a `healthlink:<kind>` DOM event on
/// the element (and the `onEvent` callback of `Healthlink.mount`), with this
/// as its `detail`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostEvent {
    /// `ready`, `connect`, `disconnect`, `error`, `exit`, `session-expired`.
    #[serde(skip)]
    pub kind: &'static str,
    /// The source id the event is about, if any.
    pub source: Option<String>,
    /// What happened: `ready`, `connected`, `cancelled`, `failed`,
    /// `disconnected`, `pending`, `closed`, `error`, `session_expired`.
    pub result: String,
    /// The source's status afterwards, when known.
    pub status: Option<ConnectionStatus>,
    /// For errors: the edge's problem code (or `unreachable`, `unexpected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For errors: the sentence the widget shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl HostEvent {
    fn new(kind: &'static str, source: Option<&str>, result: &str) -> Self {
        Self {
            kind,
            source: source.map(str::to_owned),
            result: result.to_owned(),
            status: None,
            code: None,
            message: None,
        }
    }

    /// The list loaded for the first time.
    pub fn ready() -> Self {
        Self::new("ready", None, "ready")
    }

    /// A connect flow ended (popup message or redirect return).
    pub fn connect(source: &str, result: FlowResult) -> Self {
        Self {
            status: (result == FlowResult::Connected).then_some(ConnectionStatus::Connected),
            ..Self::new("connect", Some(source), result.as_str())
        }
    }

    /// A disconnect was accepted; `status` is `disconnected` or `pending`.
    pub fn disconnect(source: &str, status: ConnectionStatus) -> Self {
        let result = if status == ConnectionStatus::Pending {
            "pending"
        } else {
            "disconnected"
        };
        Self {
            status: Some(status),
            ..Self::new("disconnect", Some(source), result)
        }
    }

    /// The user closed the popup before finishing.
    pub fn exit(source: &str) -> Self {
        Self::new("exit", Some(source), "closed")
    }

    /// A request failed. An expired session is its own event, so the host
    /// knows to hand the widget a new token (`element.session = …`).
    pub fn error(source: Option<&str>, error: &LoadError) -> Self {
        let code = match error {
            LoadError::Unreachable => "unreachable".to_owned(),
            LoadError::Problem(problem) => problem.code.clone(),
            LoadError::Unexpected(_) => "unexpected".to_owned(),
        };
        let (kind, result) = if code == "session_expired" {
            ("session-expired", "session_expired")
        } else {
            ("error", "error")
        };
        Self {
            code: Some(code),
            message: Some(error.message()),
            ..Self::new(kind, source, result)
        }
    }

    /// The DOM event name.
    pub fn name(&self) -> String {
        format!("healthlink:{}", self.kind)
    }

    pub fn detail_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// A monogram for sources without a logo: the first letter of the name.
pub fn monogram(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_events_carry_source_result_and_status() {
        let event = HostEvent::connect("oura", FlowResult::Connected);
        assert_eq!(event.name(), "healthlink:connect");
        assert_eq!(
            event.detail_json(),
            r#"{"source":"oura","result":"connected","status":"connected"}"#
        );
        assert_eq!(
            HostEvent::connect("oura", FlowResult::Cancelled).detail_json(),
            r#"{"source":"oura","result":"cancelled","status":null}"#
        );
        assert_eq!(
            HostEvent::disconnect("garmin", ConnectionStatus::Pending).result,
            "pending"
        );
        assert_eq!(HostEvent::exit("strava").name(), "healthlink:exit");
        assert_eq!(HostEvent::ready().name(), "healthlink:ready");
    }

    #[test]
    fn an_expired_session_is_its_own_event() {
        let expired = LoadError::Problem(Problem::new(
            401,
            "session_expired",
            "Session expired",
            None,
        ));
        let event = HostEvent::error(None, &expired);
        assert_eq!(event.name(), "healthlink:session-expired");
        assert_eq!(event.code.as_deref(), Some("session_expired"));
        let down = HostEvent::error(Some("oura"), &LoadError::Unreachable);
        assert_eq!(down.name(), "healthlink:error");
        assert_eq!(down.code.as_deref(), Some("unreachable"));
        assert!(down.detail_json().contains("\"message\":\"We can't reach"));
    }

    #[test]
    fn config_trims_the_edge_url() {
        let config = WidgetConfig::new(" http://127.0.0.1:8787/ ", " token ", "");
        assert_eq!(
            config.url("/v1/connections"),
            "http://127.0.0.1:8787/v1/connections"
        );
        assert_eq!(config.session, "token");
        assert_eq!(config.flow, Flow::Popup);
        assert_eq!(WidgetConfig::new("e", "s", "Redirect").flow, Flow::Redirect);
    }

    #[test]
    fn messages_are_sentences_without_internals() {
        assert!(LoadError::Unreachable.message().contains("can't reach"));
        let unauthorized = Problem::new(401, "unauthorized", "Not signed in", None);
        assert!(
            LoadError::Problem(unauthorized)
                .message()
                .contains("session has ended")
        );
        let forbidden = Problem::new(
            403,
            "origin_not_allowed",
            "Origin not allowed",
            Some("This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS.".into()),
        );
        assert_eq!(
            LoadError::Problem(forbidden).message(),
            "Origin not allowed. This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS."
        );
        assert!(LoadError::Unexpected(502).message().contains("502"));
    }

    fn source(kind: SourceKind, status: ConnectionStatus) -> SourceConnection {
        SourceConnection {
            id: "x".into(),
            name: "X".into(),
            kind,
            status,
            updated_at: None,
            error: None,
        }
    }

    #[test]
    fn each_row_offers_the_action_that_fits() {
        use ConnectionStatus::*;
        let check =
            |kind, status, expected| assert_eq!(row_action(&source(kind, status)), expected);
        check(SourceKind::Oauth, Disconnected, Some(RowAction::Connect));
        check(SourceKind::Oauth, Expired, Some(RowAction::Reconnect));
        check(SourceKind::Oauth, Error, Some(RowAction::Reconnect));
        check(SourceKind::Oauth, Connected, Some(RowAction::Disconnect));
        check(SourceKind::Oauth, Pending, Some(RowAction::Disconnect));
        check(SourceKind::Mobile, Disconnected, None);
        check(SourceKind::Mobile, Connected, Some(RowAction::Disconnect));
    }

    #[test]
    fn result_params_are_read_once_and_stripped() {
        let (outcome, rest) = take_result_params(
            "?tab=2&healthlink_source=oura&healthlink_action=connect&healthlink_result=cancelled&x",
        );
        assert_eq!(
            outcome,
            Some(FlowOutcome {
                source: "oura".into(),
                action: FlowAction::Connect,
                result: FlowResult::Cancelled
            })
        );
        assert_eq!(rest, "?tab=2&x");
        let (outcome, rest) = take_result_params("?healthlink_source=oura&healthlink_result=bogus");
        assert_eq!((outcome, rest.as_str()), (None, ""));
        assert_eq!(take_result_params(""), (None, String::new()));
    }

    #[test]
    fn notices_read_like_sentences() {
        let notice = outcome_notice("Oura", FlowAction::Connect, FlowResult::Connected);
        assert_eq!(
            (notice.text.as_str(), notice.tone),
            ("Oura is connected.", Tone::Success)
        );
        assert!(popup_closed_notice("Oura").text.contains("Nothing changed"));
        assert!(
            disconnect_notice("Oura", ConnectionStatus::Pending)
                .text
                .contains("can take a while")
        );
    }

    #[test]
    fn labels_and_monograms() {
        assert_eq!(
            status_label(ConnectionStatus::Disconnected),
            "Not connected"
        );
        assert_eq!(monogram("Oura"), "O");
        assert_eq!(monogram("ömron"), "Ö");
        assert_eq!(monogram(""), "");
    }
}
