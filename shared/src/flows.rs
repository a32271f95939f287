//! Connect and disconnect flows: requests, answers and the result a browser
//! is sent back with.

use serde::{Deserialize, Serialize};

use crate::connections::ConnectionStatus;

/// How the aggregator's pages are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The whole page goes to the aggregator and comes back to `return_url`.
    Redirect,
    /// A popup goes to the aggregator; the result is posted back to the page.
    #[default]
    Popup,
}

/// Body of `POST /v1/connections/{source}/connect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    pub flow: Flow,
    /// Where a redirect flow returns to; must be on `HEALTHLINK_RETURN_URLS`.
    /// Defaults to the session's `return_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Popup flows: a random value the widget chose for this flow. The
    /// result page posts it back with the outcome, so the widget accepts
    /// only the answer to the flow it started. See [`is_flow_nonce`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// A flow nonce: 16 to 64 characters of `A–Z a–z 0–9 - _`.
pub fn is_flow_nonce(value: &str) -> bool {
    (16..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Answer to a connect request: the URL the browser opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectResponse {
    pub url: String,
}

/// Answer to a disconnect request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectResponse {
    /// `disconnected`, or `pending` when the aggregator confirms later.
    pub status: ConnectionStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowAction {
    Connect,
    Disconnect,
}

/// How a flow ended, as reported to the host page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowResult {
    Connected,
    Disconnected,
    Failed,
    Cancelled,
}

impl FlowAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Disconnect => "disconnect",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Connect, Self::Disconnect]
            .into_iter()
            .find(|v| v.as_str() == value)
    }
}

impl FlowResult {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Connected,
            Self::Disconnected,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == value)
    }
}

/// What a flow reports back: appended to the return URL as
/// `healthlink_source`, `healthlink_action`, `healthlink_result`, or posted
/// to the opener as `{"healthlink": FlowOutcome}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowOutcome {
    pub source: String,
    pub action: FlowAction,
    pub result: FlowResult,
}

/// The message a popup posts to its opener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopupMessage {
    pub healthlink: FlowOutcome,
    /// The flow's nonce from the connect request, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}
