//! The decisions of the connect/disconnect flows: what a connect request
//! binds into its return state, what a return means, and where the browser
//! goes afterwards. No IO: the glue calls these with what it read.

use healthlink_shared::{
    AuditAction, AuditResult, ConnectRequest, ConnectionStatus, Flow, FlowAction, FlowOutcome,
    FlowResult, SourceInfo, SourceKind, is_flow_nonce,
};
use url::Url;

use crate::aggregator::{ConnectOutcome, DisconnectOutcome};
use crate::config::Config;
use crate::cors::normalize_origin;
use crate::error::ApiError;
use crate::return_state::{ReturnState, STATE_TTL_SECONDS};
use crate::return_url::{check_return_url, link_page_url, with_result_params};
use crate::session::SessionClaims;
use crate::user_state::StoredStatus;

/// Where a connect request comes from, and where this edge is.
#[derive(Debug, Clone, Copy)]
pub struct Origins<'a> {
    /// The request's `Origin` header.
    pub request: Option<&'a str>,
    /// `scheme://host[:port]` of this edge.
    pub edge: &'a str,
}

/// Checks a widget's connect request and builds the state to sign.
/// `origins` are the request's `Origin` header and this edge's own;
/// `nonce` is fresh randomness.
pub fn plan_connect(
    request: &ConnectRequest,
    session: &SessionClaims,
    source: &'static SourceInfo,
    config: &Config,
    origins: Origins<'_>,
    nonce: String,
    now: i64,
) -> Result<ReturnState, ApiError> {
    if !session.offers(source.id) {
        return Err(ApiError::SourceNotAllowed);
    }
    if source.kind == SourceKind::Mobile {
        return Err(ApiError::PhoneOnlySource);
    }
    let Origins {
        request: origin,
        edge: edge_origin,
    } = origins;
    let (return_url, opener_origin) = match request.flow {
        Flow::Redirect => {
            let candidate = request
                .return_url
                .as_deref()
                .or(session.ret.as_deref())
                .ok_or_else(|| ApiError::InvalidRequest {
                    detail: "A redirect flow needs a return_url (in the request or the session)."
                        .into(),
                })?;
            // A hosted link's page returns to itself: only a session bound
            // to this edge alone (the page's) may ask for that.
            let own_page = || {
                (session.org == [edge_origin])
                    .then(|| link_page_url(candidate, edge_origin))
                    .flatten()
            };
            let url = check_return_url(candidate, &config.return_urls)
                .or_else(own_page)
                .ok_or(ApiError::ReturnUrlNotAllowed)?;
            (Some(url.to_string()), None)
        }
        Flow::Popup => {
            // A popup does not return anywhere, but a return_url sent along
            // is still held to the allowlist: bad input is refused, never
            // silently dropped.
            if let Some(candidate) = request.return_url.as_deref() {
                check_return_url(candidate, &config.return_urls)
                    .ok_or(ApiError::ReturnUrlNotAllowed)?;
            }
            if let Some(nonce) = request.nonce.as_deref()
                && !is_flow_nonce(nonce)
            {
                return Err(ApiError::invalid(
                    "nonce must be 16 to 64 characters of A–Z a–z 0–9 - _.",
                ));
            }
            // The result is posted to exactly the page that asked.
            let origin =
                origin
                    .and_then(normalize_origin)
                    .ok_or_else(|| ApiError::InvalidRequest {
                        detail: "A popup flow must be started from a browser page (Origin header)."
                            .into(),
                    })?;
            (None, Some(origin))
        }
    };
    Ok(ReturnState {
        u: session.sub.clone(),
        s: source.id.to_owned(),
        a: FlowAction::Connect,
        f: request.flow,
        r: return_url,
        o: opener_origin,
        act: session.actor(),
        n: nonce,
        pn: match request.flow {
            Flow::Popup => request.nonce.clone(),
            Flow::Redirect => None,
        },
        cv: config.consent.version(),
        exp: now + STATE_TTL_SECONDS,
    })
}

/// What a connect return means: the result to report, the status to record
/// (`None`: leave as it was — a cancel changes nothing) and the audit's
/// result. A connection only the browser reports is `pending`, in the
/// status and the audit, until the aggregator confirms it.
pub fn connect_result(
    outcome: ConnectOutcome,
) -> (FlowResult, Option<ConnectionStatus>, AuditResult) {
    match outcome {
        ConnectOutcome::Connected => (
            FlowResult::Connected,
            Some(ConnectionStatus::Connected),
            AuditResult::Connected,
        ),
        ConnectOutcome::Unconfirmed => (
            FlowResult::Connected,
            Some(ConnectionStatus::Pending),
            AuditResult::Pending,
        ),
        ConnectOutcome::NotConnected => (FlowResult::Cancelled, None, AuditResult::Cancelled),
        ConnectOutcome::Unknown => (FlowResult::Failed, None, AuditResult::Failed),
    }
}

/// What a disconnect outcome means for the status and the audit row.
pub fn disconnect_result(outcome: DisconnectOutcome) -> (Option<ConnectionStatus>, AuditResult) {
    match outcome {
        DisconnectOutcome::Disconnected => (
            Some(ConnectionStatus::Disconnected),
            AuditResult::Disconnected,
        ),
        DisconnectOutcome::Pending => (Some(ConnectionStatus::Pending), AuditResult::Pending),
        DisconnectOutcome::StillConnected => (None, AuditResult::Failed),
    }
}

/// Whether a disconnect outcome goes into the audit trail. A retried
/// disconnect of a revoke that is still pending asks the aggregator again
/// (revoking is idempotent there) but is no new fact: one row per
/// transition, however often the user presses the button. Failures are
/// always recorded; each one is an attempt that did not work.
/// A delete while a plain disconnect is pending is new, though: the host
/// must learn to delete the data once the revoke is confirmed.
pub fn disconnect_is_recorded(
    current: Option<&StoredStatus>,
    outcome: Option<ConnectionStatus>,
    ending: AuditAction,
) -> bool {
    let status = current.map_or(ConnectionStatus::Disconnected, |row| row.status);
    let upgrades_to_delete = ending == AuditAction::Delete
        && status == ConnectionStatus::Pending
        && current.is_some_and(|row| !row.deleting);
    outcome != Some(status) || upgrades_to_delete
}

/// Where a returning browser goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTarget {
    /// `303` to the host page, with the result in `healthlink_*` parameters.
    Redirect(String),
    /// The popup result page, posting to this exact origin.
    Popup { opener_origin: String },
}

pub fn return_target(state: &ReturnState, outcome: &FlowOutcome) -> Result<ReturnTarget, ApiError> {
    match (state.f, &state.r, &state.o) {
        (Flow::Redirect, Some(return_url), _) => {
            let url = Url::parse(return_url).map_err(|_| ApiError::InvalidState)?;
            let url = with_result_params(
                url,
                &[
                    ("healthlink_source", &outcome.source),
                    ("healthlink_action", outcome.action.as_str()),
                    ("healthlink_result", outcome.result.as_str()),
                ],
            );
            Ok(ReturnTarget::Redirect(url.into()))
        }
        (Flow::Popup, _, Some(origin)) => Ok(ReturnTarget::Popup {
            opener_origin: origin.clone(),
        }),
        // A signed state always has one of the two; refuse rather than guess.
        _ => Err(ApiError::InvalidState),
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{Scope, find_source};

    use super::*;

    #[test]
    fn a_retried_pending_revoke_is_not_recorded_twice() {
        use ConnectionStatus::*;
        let row = |status, deleting| StoredStatus {
            source: "oura".into(),
            status,
            updated_at_ms: 0,
            error: None,
            pending: None,
            deleting,
            data: None,
        };
        let recorded = |status, outcome| {
            disconnect_is_recorded(Some(&row(status, false)), outcome, AuditAction::Disconnect)
        };
        assert!(recorded(Connected, Some(Disconnected)));
        assert!(recorded(Connected, Some(Pending)));
        assert!(recorded(Expired, Some(Disconnected)));
        assert!(recorded(Pending, Some(Disconnected)));
        assert!(!recorded(Pending, Some(Pending)));
        assert!(!disconnect_is_recorded(
            None,
            Some(Disconnected),
            AuditAction::Disconnect
        ));
        // A failure is an attempt on record, every time.
        assert!(recorded(Connected, None));
        assert!(recorded(Pending, None));
        // A delete while a plain disconnect is pending is a new fact; a
        // second delete is not.
        let delete = |deleting| {
            disconnect_is_recorded(
                Some(&row(Pending, deleting)),
                Some(Pending),
                AuditAction::Delete,
            )
        };
        assert!(delete(false));
        assert!(!delete(true));
    }
    use crate::config::tests::test_config;

    fn session() -> SessionClaims {
        SessionClaims {
            sub: "alice".into(),
            org: vec!["https://app.example.com".into()],
            scp: Scope::ALL.to_vec(),
            act: Some("dr-jones".into()),
            loc: None,
            src: None,
            ret: Some("https://app.example.com/settings".into()),
            iat: 0,
            exp: 900,
        }
    }

    #[test]
    fn only_a_link_pages_own_session_returns_to_that_page() {
        let page = "https://edge.example.com/connect/hll1.abc";
        let plan_with = |org: &str| {
            plan_connect(
                &ConnectRequest {
                    flow: Flow::Redirect,
                    return_url: Some(page.into()),
                    nonce: None,
                },
                &SessionClaims {
                    org: vec![org.into()],
                    ..session()
                },
                find_source("oura").unwrap(),
                &test_config(),
                Origins {
                    request: Some(org),
                    edge: "https://edge.example.com",
                },
                "n1".into(),
                100,
            )
        };
        assert_eq!(
            plan_with("https://edge.example.com").unwrap().r.as_deref(),
            Some(page)
        );
        assert_eq!(
            plan_with("https://app.example.com").unwrap_err(),
            ApiError::ReturnUrlNotAllowed
        );
    }

    fn plan(flow: Flow, return_url: Option<&str>, source: &str) -> Result<ReturnState, ApiError> {
        plan_connect(
            &ConnectRequest {
                flow,
                return_url: return_url.map(str::to_owned),
                nonce: Some("widget-nonce-0123456789".into()),
            },
            &session(),
            find_source(source).unwrap(),
            &test_config(),
            Origins {
                request: Some("https://app.example.com"),
                edge: "https://edge.example.com",
            },
            "n1".into(),
            100,
        )
    }

    #[test]
    fn redirect_binds_an_allowlisted_return_url() {
        let state = plan(
            Flow::Redirect,
            Some("https://app.example.com/settings/x"),
            "oura",
        )
        .unwrap();
        assert_eq!(
            state.r.as_deref(),
            Some("https://app.example.com/settings/x")
        );
        assert_eq!(
            (state.u.as_str(), state.s.as_str(), state.act.as_str()),
            ("alice", "oura", "dr-jones")
        );
        assert_eq!(state.exp, 100 + STATE_TTL_SECONDS);
        let default = plan(Flow::Redirect, None, "oura").unwrap();
        assert_eq!(
            default.r.as_deref(),
            Some("https://app.example.com/settings")
        );
        assert_eq!(
            plan(Flow::Redirect, Some("https://evil.example/"), "oura"),
            Err(ApiError::ReturnUrlNotAllowed)
        );
    }

    #[test]
    fn popup_binds_the_opener_origin_and_phones_are_refused() {
        let state = plan(Flow::Popup, None, "oura").unwrap();
        assert_eq!(state.o.as_deref(), Some("https://app.example.com"));
        assert_eq!(state.pn.as_deref(), Some("widget-nonce-0123456789"));
        assert_eq!(state.r, None);
        assert_eq!(
            plan(Flow::Popup, None, "apple_health"),
            Err(ApiError::PhoneOnlySource)
        );
        // A return_url sent along is checked even though a popup ignores it.
        for bad in ["", "https://evil.example/", "not a url"] {
            assert_eq!(
                plan(Flow::Popup, Some(bad), "oura"),
                Err(ApiError::ReturnUrlNotAllowed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn redirect_target_carries_the_result() {
        let state = plan(
            Flow::Redirect,
            Some("https://app.example.com/settings?tab=1"),
            "oura",
        )
        .unwrap();
        let outcome = FlowOutcome {
            source: "oura".into(),
            action: FlowAction::Connect,
            result: FlowResult::Connected,
        };
        assert_eq!(
            return_target(&state, &outcome),
            Ok(ReturnTarget::Redirect(
                "https://app.example.com/settings?tab=1&healthlink_source=oura&healthlink_action=connect&healthlink_result=connected".into()
            ))
        );
    }

    #[test]
    fn outcomes() {
        assert_eq!(
            connect_result(ConnectOutcome::Connected),
            (
                FlowResult::Connected,
                Some(ConnectionStatus::Connected),
                AuditResult::Connected
            )
        );
        assert_eq!(
            connect_result(ConnectOutcome::Unconfirmed),
            (
                FlowResult::Connected,
                Some(ConnectionStatus::Pending),
                AuditResult::Pending
            ),
            "the browser's word alone is not a connection"
        );
        assert_eq!(
            connect_result(ConnectOutcome::NotConnected),
            (FlowResult::Cancelled, None, AuditResult::Cancelled)
        );
        assert_eq!(
            connect_result(ConnectOutcome::Unknown),
            (FlowResult::Failed, None, AuditResult::Failed)
        );
        assert_eq!(
            disconnect_result(DisconnectOutcome::StillConnected),
            (None, AuditResult::Failed)
        );
    }
}
