//! Plain widget state and the words shown for it. No DOM, no Leptos: tested
//! natively.

pub mod ending;
pub mod freshness;
pub mod links;
pub mod live;
pub mod outcome;
pub mod popup;
pub mod recheck;

use healthlink_shared::{
    ConnectionStatus, ConnectionsResponse, Flow, FlowAction, FlowResult, Problem, SourceConnection,
    SourceKind,
};

use crate::i18n::Catalog;
use ending::Ending;

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

/// Why a request to the edge failed, as far as a person needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The edge could not be reached at all (offline, down, blocked by CORS).
    Unreachable,
    /// The edge answered with a problem+json body.
    Problem(Problem),
    /// The edge answered with something that is not our contract.
    Unexpected(u16),
    /// The edge's connect URL is one the widget does not open (see
    /// `links::navigable_connect_url`): a misconfigured or impersonated edge.
    RefusedConnectUrl,
}

impl LoadError {
    /// A sentence a person can act on, in the widget's language. The edge's
    /// own `title`/`detail` are English and written for developers (they
    /// name configuration variables), so the widget speaks from the code.
    pub fn message(&self, t: &Catalog) -> String {
        let text = match self {
            Self::Unreachable => t.error_unreachable,
            Self::Problem(problem) if problem.status == 401 => t.error_session_ended,
            Self::Problem(problem) => match problem.code.as_str() {
                "rate_limited" => t.error_rate_limited,
                "upstream_unavailable" => t.error_upstream_unavailable,
                "source_expired" => t.error_source_expired,
                "origin_not_allowed" | "forbidden" | "missing_scope" | "source_not_allowed" => {
                    t.error_not_allowed
                }
                "upstream_refused" | "misconfigured" | "internal_error" => t.error_service,
                _ => t.error_generic,
            },
            Self::Unexpected(_) => t.error_generic,
            Self::RefusedConnectUrl => t.error_service,
        };
        text.to_owned()
    }

    /// The code reported to the host page: the edge's problem code, or
    /// `unreachable` / `unexpected` / `connect_url_refused`.
    pub fn code(&self) -> String {
        match self {
            Self::Unreachable => "unreachable".to_owned(),
            Self::Problem(problem) => problem.code.clone(),
            Self::Unexpected(_) => "unexpected".to_owned(),
            Self::RefusedConnectUrl => "connect_url_refused".to_owned(),
        }
    }
}

/// The list panel's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    Loaded(ConnectionsResponse),
    Failed(LoadError),
}

/// How a row's badge looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeTone {
    Connected,
    Attention,
    Busy,
    Plain,
}

/// Whether `source` is a connect the aggregator has still to confirm
/// (Thryve's, until its webhook arrives). Any other `pending` is a
/// disconnect, including one from an edge that does not say which.
pub fn is_finishing_connection(source: &SourceConnection) -> bool {
    source.status == ConnectionStatus::Pending && source.pending == Some(FlowAction::Connect)
}

/// The badge of a row: its text and tone. `pending` is the row's direction
/// when its status is `pending`; `disconnecting` is the optimistic state
/// between the user's confirmation and the edge's answer.
pub fn badge(
    status: ConnectionStatus,
    pending: Option<FlowAction>,
    disconnecting: bool,
    t: &Catalog,
) -> (&'static str, BadgeTone) {
    if disconnecting {
        return (t.status_disconnecting, BadgeTone::Busy);
    }
    match (status, pending) {
        (ConnectionStatus::Connected, _) => (t.status_connected, BadgeTone::Connected),
        (ConnectionStatus::Disconnected, _) => (t.status_disconnected, BadgeTone::Plain),
        (ConnectionStatus::Expired, _) => (t.status_expired, BadgeTone::Attention),
        (ConnectionStatus::Pending, Some(FlowAction::Connect)) => {
            (t.status_finishing, BadgeTone::Busy)
        }
        (ConnectionStatus::Pending, _) => (t.status_disconnecting, BadgeTone::Busy),
        (ConnectionStatus::Error, _) => (t.status_error, BadgeTone::Attention),
    }
}

/// The line under a row in `error` state: the reason the host's backend
/// recorded, or a general one.
pub fn row_reason(source: &SourceConnection, t: &Catalog) -> Option<String> {
    (source.status == ConnectionStatus::Error).then(|| {
        source
            .error
            .clone()
            .unwrap_or_else(|| t.error_reason.to_owned())
    })
}

/// The one action a row offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Connect,
    Reconnect,
    Disconnect,
    /// Phone-only sources: show the QR code and link into the host's app.
    ConnectOnPhone,
}

impl RowAction {
    pub fn label(self, t: &Catalog) -> &'static str {
        match self {
            Self::Connect => t.connect,
            Self::Reconnect => t.reconnect,
            Self::Disconnect => t.disconnect,
            Self::ConnectOnPhone => t.connect_on_phone,
        }
    }

    /// The button's accessible name, which says which source it is for.
    pub fn accessible_label(self, name: &str, t: &Catalog) -> String {
        let template = match self {
            Self::Connect => t.connect_named,
            Self::Reconnect => t.reconnect_named,
            Self::Disconnect => t.disconnect_named,
            Self::ConnectOnPhone => t.connect_on_phone_named,
        };
        t.fill(template, name)
    }

    /// A stable name for tests and host styling (`data-action`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Reconnect => "reconnect",
            Self::Disconnect => "disconnect",
            Self::ConnectOnPhone => "phone",
        }
    }
}

/// Connected (or disconnecting) sources can be disconnected from here, even
/// phone-only ones. Otherwise phone-only sources are connected in the host's
/// app: with a phone link the row offers the QR code, without one it only
/// says where to go.
///
/// A connection that is still being finished offers nothing: Disconnect
/// would claim a connection that does not exist yet, and Connect would
/// start a second flow while the first is being confirmed. The list
/// re-reads itself until the row settles (see `recheck::Recheck`).
pub fn row_action(source: &SourceConnection) -> Option<RowAction> {
    if is_finishing_connection(source) {
        return None;
    }
    match (source.kind, source.status) {
        (_, ConnectionStatus::Connected | ConnectionStatus::Pending) => Some(RowAction::Disconnect),
        (SourceKind::Mobile, _) => source
            .phone_link
            .as_ref()
            .map(|_| RowAction::ConnectOnPhone),
        (SourceKind::Oauth, ConnectionStatus::Expired | ConnectionStatus::Error) => {
            Some(RowAction::Reconnect)
        }
        (SourceKind::Oauth, ConnectionStatus::Disconnected) => Some(RowAction::Connect),
    }
}

/// Whether `action` on `source` shows its purpose line first: connects
/// and reconnects of a source the deployment wrote one for (a reconnect is
/// a new consent, recorded with the text version of its own flow).
pub fn asks_purpose_first(source: &SourceConnection, action: RowAction) -> bool {
    matches!(action, RowAction::Connect | RowAction::Reconnect)
        && source
            .purpose
            .as_deref()
            .is_some_and(|line| !line.trim().is_empty())
}

/// Records `status` for `source` in a loaded list, so the row shows the
/// edge's answer at once, before the list is re-read.
pub fn apply_status(list: &mut ConnectionsResponse, source: &str, status: ConnectionStatus) {
    if let Some(row) = list.sources.iter_mut().find(|row| row.id == source) {
        row.status = status;
        row.error = None;
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
pub fn outcome_notice(name: &str, action: FlowAction, result: FlowResult, t: &Catalog) -> Notice {
    let (template, tone) = match (action, result) {
        (_, FlowResult::Connected) => (t.notice_connected, Tone::Success),
        (_, FlowResult::Disconnected) => (t.notice_disconnected, Tone::Success),
        (FlowAction::Connect, FlowResult::Cancelled) => (t.notice_connect_cancelled, Tone::Neutral),
        (FlowAction::Disconnect, FlowResult::Cancelled) => {
            (t.notice_disconnect_cancelled, Tone::Neutral)
        }
        (FlowAction::Connect, FlowResult::Failed) => (t.notice_connect_failed, Tone::Problem),
        (FlowAction::Disconnect, FlowResult::Failed) => (t.notice_disconnect_failed, Tone::Problem),
    };
    Notice {
        text: t.fill(template, name),
        tone,
    }
}

/// The notice when the user closes the popup before finishing.
pub fn popup_closed_notice(name: &str, t: &Catalog) -> Notice {
    Notice {
        text: t.fill(t.notice_popup_closed, name),
        tone: Tone::Neutral,
    }
}

/// The notice when a request about `name` failed: what went wrong and,
/// for a disconnect, that nothing changed.
pub fn failure_notice(name: &str, action: FlowAction, error: &LoadError, t: &Catalog) -> Notice {
    let mut text = error.message(t);
    if action == FlowAction::Disconnect {
        text = format!("{} {text}", t.fill(t.notice_disconnect_failed, name));
    }
    Notice {
        text,
        tone: Tone::Problem,
    }
}

/// What the widget tells the host page: a `healthlink:<kind>` DOM event on
/// the element (and the `onEvent` callback of `Healthlink.mount`), with this
/// as its `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEvent {
    /// `ready`, `connect`, `disconnect`, `error`, `exit`, `session-expired`.
    pub kind: &'static str,
    /// The source id the event is about, if any.
    pub source: Option<String>,
    /// What happened: `ready`, `connected`, `cancelled`, `failed`,
    /// `disconnected`, `pending`, `closed`, `error`, `session_expired`.
    pub result: String,
    /// The source's status afterwards, when known.
    pub status: Option<ConnectionStatus>,
    /// For errors: the edge's problem code (or `unreachable`, `unexpected`).
    pub code: Option<String>,
    /// For errors: the sentence the widget shows.
    pub message: Option<String>,
    /// For disconnects: whether the user chose to have the data the source
    /// shared deleted (the host holds it, so the host deletes it).
    pub delete_data: Option<bool>,
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
            delete_data: None,
        }
    }

    /// The list loaded for the first time.
    pub fn ready() -> Self {
        Self::new("ready", None, "ready")
    }

    /// A connect flow ended (popup message or redirect return) and the
    /// re-read list agrees; `status` is the source's status in that list.
    pub fn connect(source: &str, result: FlowResult, status: ConnectionStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::new("connect", Some(source), result.as_str())
        }
    }

    /// A disconnect or delete (`ending`) was accepted; `status` is
    /// `disconnected` or `pending`.
    pub fn disconnect(source: &str, status: ConnectionStatus, ending: Ending) -> Self {
        let result = if status == ConnectionStatus::Pending {
            "pending"
        } else {
            "disconnected"
        };
        Self {
            status: Some(status),
            delete_data: Some(ending.deletes_data()),
            ..Self::new("disconnect", Some(source), result)
        }
    }

    /// The user closed the popup before finishing.
    pub fn exit(source: &str) -> Self {
        Self::new("exit", Some(source), "closed")
    }

    /// A request failed. An expired session is its own event, so the host
    /// knows to hand the widget a new token (`element.session = …`).
    pub fn error(source: Option<&str>, error: &LoadError, t: &Catalog) -> Self {
        let code = error.code();
        let (kind, result) = if code == "session_expired" {
            ("session-expired", "session_expired")
        } else {
            ("error", "error")
        };
        Self {
            code: Some(code),
            message: Some(error.message(t)),
            ..Self::new(kind, source, result)
        }
    }

    /// The DOM event name.
    pub fn name(&self) -> String {
        format!("healthlink:{}", self.kind)
    }
}

/// A monogram for sources without a logo: the first letter of the name,
/// capitalised if it is ASCII. (Source names are the catalog's; full
/// Unicode case mapping would add its tables, ~10 KB, to the download.)
pub fn monogram(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default()
}

/// Oura's row for tests, as the edge would list it with `status` and
/// `pending`.
#[cfg(test)]
pub(crate) fn oura_row(status: ConnectionStatus, pending: Option<FlowAction>) -> SourceConnection {
    SourceConnection {
        id: "oura".into(),
        name: "Oura".into(),
        kind: SourceKind::Oauth,
        status,
        updated_at: None,
        error: None,
        phone_link: None,
        phone_qr: None,
        pending,
        last_data_at: None,
        stale: false,
        sync_error: None,
        purpose: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn en() -> &'static Catalog {
        Locale::En.catalog()
    }

    #[test]
    fn host_events_carry_source_result_and_status() {
        let event = HostEvent::connect("oura", FlowResult::Connected, ConnectionStatus::Connected);
        assert_eq!(event.name(), "healthlink:connect");
        assert_eq!(
            (event.source.as_deref(), event.result.as_str(), event.status),
            (Some("oura"), "connected", Some(ConnectionStatus::Connected))
        );
        assert_eq!(
            HostEvent::connect("oura", FlowResult::Cancelled, ConnectionStatus::Expired).status,
            Some(ConnectionStatus::Expired)
        );
        assert_eq!(
            HostEvent::disconnect("garmin", ConnectionStatus::Pending, Ending::Disconnect).result,
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
        let event = HostEvent::error(None, &expired, en());
        assert_eq!(event.name(), "healthlink:session-expired");
        assert_eq!(event.code.as_deref(), Some("session_expired"));
        let down = HostEvent::error(Some("oura"), &LoadError::Unreachable, en());
        assert_eq!(down.name(), "healthlink:error");
        assert_eq!(down.code.as_deref(), Some("unreachable"));
        assert!(down.message.unwrap().starts_with("We can't reach"));
    }

    #[test]
    fn a_refused_connect_url_fails_like_any_other_request() {
        let refused = LoadError::RefusedConnectUrl;
        let event = HostEvent::error(Some("oura"), &refused, en());
        assert_eq!(
            (event.name().as_str(), event.code.as_deref()),
            ("healthlink:error", Some("connect_url_refused"))
        );
        let notice = failure_notice("Oura", FlowAction::Connect, &refused, en());
        assert_eq!(
            (notice.text.as_str(), notice.tone),
            (en().error_service, Tone::Problem)
        );
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

    fn problem(status: u16, code: &str) -> LoadError {
        LoadError::Problem(Problem::new(
            status,
            code,
            "Origin not allowed",
            Some("This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS.".into()),
        ))
    }

    #[test]
    fn messages_speak_from_the_code_and_keep_internals_out() {
        let check = |error: LoadError, expected: &str| assert_eq!(error.message(en()), expected);
        check(LoadError::Unreachable, en().error_unreachable);
        check(problem(401, "unauthorized"), en().error_session_ended);
        check(problem(401, "session_expired"), en().error_session_ended);
        check(problem(403, "origin_not_allowed"), en().error_not_allowed);
        check(problem(429, "rate_limited"), en().error_rate_limited);
        check(
            problem(503, "upstream_unavailable"),
            en().error_upstream_unavailable,
        );
        check(problem(409, "source_expired"), en().error_source_expired);
        check(problem(502, "upstream_refused"), en().error_service);
        check(problem(400, "something_new"), en().error_generic);
        check(LoadError::Unexpected(502), en().error_generic);
        check(LoadError::RefusedConnectUrl, en().error_service);
        for locale in Locale::ALL {
            let text = problem(403, "origin_not_allowed").message(locale.catalog());
            assert!(!text.contains("HEALTHLINK_"), "{text}");
        }
        assert_eq!(
            Locale::De.catalog().error_unreachable,
            LoadError::Unreachable.message(Locale::De.catalog())
        );
    }

    #[test]
    fn only_connects_of_a_source_with_a_purpose_line_show_it_first() {
        let with = |status, purpose: Option<&str>| SourceConnection {
            purpose: purpose.map(str::to_owned),
            ..source(SourceKind::Oauth, status)
        };
        let line = Some("Sleep, to tailor your plan.");
        for (status, action) in [
            (ConnectionStatus::Disconnected, RowAction::Connect),
            (ConnectionStatus::Expired, RowAction::Reconnect),
            (ConnectionStatus::Error, RowAction::Reconnect),
        ] {
            let row = with(status, line);
            assert_eq!(row_action(&row), Some(action));
            assert!(asks_purpose_first(&row, action), "{status:?}");
            assert!(!asks_purpose_first(&with(status, None), action));
            assert!(!asks_purpose_first(&with(status, Some("  ")), action));
        }
        let connected = with(ConnectionStatus::Connected, line);
        assert_eq!(row_action(&connected), Some(RowAction::Disconnect));
        assert!(!asks_purpose_first(&connected, RowAction::Disconnect));
    }

    fn source(kind: SourceKind, status: ConnectionStatus) -> SourceConnection {
        SourceConnection {
            id: "x".into(),
            name: "X".into(),
            kind,
            status,
            updated_at: None,
            error: None,
            phone_link: None,
            phone_qr: None,
            pending: None,
            last_data_at: None,
            stale: false,
            sync_error: None,
            purpose: None,
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
        let pending = |kind, direction| SourceConnection {
            pending: Some(direction),
            ..source(kind, Pending)
        };
        // Pending disconnects still offer Disconnect, as before.
        for kind in [SourceKind::Oauth, SourceKind::Mobile] {
            assert_eq!(
                row_action(&pending(kind, FlowAction::Disconnect)),
                Some(RowAction::Disconnect)
            );
        }
        // A connection being finished offers nothing, even with a phone link.
        assert_eq!(
            row_action(&pending(SourceKind::Oauth, FlowAction::Connect)),
            None
        );
        let finishing_phone = SourceConnection {
            phone_link: Some("acme://connect/apple_health".into()),
            ..pending(SourceKind::Mobile, FlowAction::Connect)
        };
        assert_eq!(row_action(&finishing_phone), None);
        check(SourceKind::Mobile, Connected, Some(RowAction::Disconnect));
        let phone = SourceConnection {
            phone_link: Some("acme://connect/apple_health".into()),
            ..source(SourceKind::Mobile, Disconnected)
        };
        assert_eq!(row_action(&phone), Some(RowAction::ConnectOnPhone));
        assert_eq!(
            RowAction::ConnectOnPhone.accessible_label("Apple Health", en()),
            "Connect on your phone: Apple Health"
        );
    }

    /// WCAG 2.5.3 (label in name): speech-input users say what they see, so
    /// each button's accessible name contains its visible label.
    #[test]
    fn accessible_names_contain_the_visible_label() {
        let actions = [
            RowAction::Connect,
            RowAction::Reconnect,
            RowAction::Disconnect,
            RowAction::ConnectOnPhone,
        ];
        for locale in Locale::ALL {
            let t = locale.catalog();
            for action in actions {
                let name = action.accessible_label("Apple Health", t).to_lowercase();
                let label = action.label(t).to_lowercase();
                assert!(
                    name.contains(&label),
                    "{locale:?}: {name:?} lacks {label:?}"
                );
            }
        }
    }

    #[test]
    fn badges_show_the_optimistic_state_first() {
        use ConnectionStatus::*;
        assert_eq!(
            badge(Connected, None, false, en()),
            ("Connected", BadgeTone::Connected)
        );
        assert_eq!(
            badge(Connected, None, true, en()),
            ("Disconnecting…", BadgeTone::Busy)
        );
        assert_eq!(badge(Expired, None, false, en()).1, BadgeTone::Attention);
        assert_eq!(badge(Disconnected, None, false, en()).0, "Not connected");
    }

    #[test]
    fn pending_badges_say_which_way_the_source_is_going() {
        use ConnectionStatus::Pending;
        let check = |pending, expected| {
            assert_eq!(
                badge(Pending, pending, false, en()),
                (expected, BadgeTone::Busy)
            );
        };
        check(Some(FlowAction::Connect), "Finishing connection…");
        check(Some(FlowAction::Disconnect), "Disconnecting…");
        // An edge that does not say which: a disconnect, as it always was.
        check(None, "Disconnecting…");
        let finishing = |pending| SourceConnection {
            pending,
            ..source(SourceKind::Oauth, Pending)
        };
        assert!(is_finishing_connection(&finishing(Some(
            FlowAction::Connect
        ))));
        assert!(!is_finishing_connection(&finishing(Some(
            FlowAction::Disconnect
        ))));
        assert!(!is_finishing_connection(&finishing(None)));
        // `pending` outside status `pending` means nothing.
        let stale = SourceConnection {
            pending: Some(FlowAction::Connect),
            ..source(SourceKind::Oauth, ConnectionStatus::Connected)
        };
        assert!(!is_finishing_connection(&stale));
    }

    #[test]
    fn an_answered_disconnect_shows_at_once() {
        let mut list = ConnectionsResponse {
            sources: vec![SourceConnection {
                id: "oura".into(),
                error: Some("old".into()),
                ..source(SourceKind::Oauth, ConnectionStatus::Connected)
            }],
            locale: None,
        };
        apply_status(&mut list, "oura", ConnectionStatus::Disconnected);
        assert_eq!(list.sources[0].status, ConnectionStatus::Disconnected);
        assert_eq!(list.sources[0].error, None);
        apply_status(&mut list, "garmin", ConnectionStatus::Connected);
        assert_eq!(list.sources.len(), 1);
    }

    #[test]
    fn error_rows_give_a_reason() {
        let failed = source(SourceKind::Oauth, ConnectionStatus::Error);
        assert_eq!(
            row_reason(&failed, en()).as_deref(),
            Some(en().error_reason)
        );
        let explained = SourceConnection {
            error: Some("Garmin is not answering.".into()),
            ..failed
        };
        assert_eq!(
            row_reason(&explained, en()).as_deref(),
            Some("Garmin is not answering.")
        );
        assert_eq!(
            row_reason(
                &source(SourceKind::Oauth, ConnectionStatus::Connected),
                en()
            ),
            None
        );
    }

    #[test]
    fn notices_read_like_sentences() {
        let notice = outcome_notice("Oura", FlowAction::Connect, FlowResult::Connected, en());
        assert_eq!(
            (notice.text.as_str(), notice.tone),
            ("Oura is connected.", Tone::Success)
        );
        assert!(
            popup_closed_notice("Oura", en())
                .text
                .contains("Nothing changed")
        );
        let failed = failure_notice(
            "Oura",
            FlowAction::Disconnect,
            &problem(503, "upstream_unavailable"),
            en(),
        );
        assert_eq!(
            failed.text,
            "Disconnecting Oura did not work. Oura is still connected. The data service is not \
             answering right now. Please try again in a few minutes."
        );
        let german = outcome_notice(
            "Oura",
            FlowAction::Connect,
            FlowResult::Connected,
            Locale::De.catalog(),
        );
        assert!(german.text.starts_with("Oura "), "{}", german.text);
    }

    #[test]
    fn monograms() {
        assert_eq!(monogram("Oura"), "O");
        assert_eq!(monogram("whoop"), "W");
        assert_eq!(
            monogram("ömron"),
            "ö",
            "non-ASCII letters are kept as they are"
        );
        assert_eq!(monogram(""), "");
    }
}
