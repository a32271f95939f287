//! The status list the widget renders: `GET /v1/connections`.

use serde::{Deserialize, Serialize};

use crate::catalog::SourceKind;

/// Where a user's connection to one source stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    /// Never connected, or disconnected since. The state every source starts in.
    #[default]
    Disconnected,
    /// Was connected, but the provider's grant expired or was revoked
    /// elsewhere: the user must connect again.
    Expired,
    /// Waiting for the aggregator to confirm a change (e.g. a revoke).
    Pending,
    /// The last attempt failed; `error` on the entry says why.
    Error,
}

impl ConnectionStatus {
    /// The wire spelling, for places that are not serde (logs, SQL).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Expired => "expired",
            Self::Pending => "pending",
            Self::Error => "error",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Connected,
            Self::Disconnected,
            Self::Expired,
            Self::Pending,
            Self::Error,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// One row of the status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConnection {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub status: ConnectionStatus,
    /// When the status last changed (RFC 3339, UTC); `None` if it never has.
    pub updated_at: Option<String>,
    /// A sentence a person can act on, present when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For phone-only sources: the link into the host's mobile app where the
    /// user connects it (the widget shows it with a QR code). Present when
    /// the edge has one configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_link: Option<String>,
    /// With `status` `pending`: what the aggregator has yet to confirm — a
    /// `connect` ("Finishing connection…") or a `disconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<crate::flows::FlowAction>,
}

/// Body of `GET /v1/connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsResponse {
    pub sources: Vec<SourceConnection>,
    /// The session's locale, if it has one: the widget speaks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_spelling_round_trips() {
        for status in [
            ConnectionStatus::Connected,
            ConnectionStatus::Disconnected,
            ConnectionStatus::Expired,
            ConnectionStatus::Pending,
            ConnectionStatus::Error,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(ConnectionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ConnectionStatus::parse("Connected"), None);
    }

    #[test]
    fn entry_without_error_or_phone_link_omits_the_fields() {
        let entry = SourceConnection {
            id: "oura".into(),
            name: "Oura".into(),
            kind: SourceKind::Oauth,
            status: ConnectionStatus::Disconnected,
            updated_at: None,
            error: None,
            phone_link: None,
            pending: None,
        };
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"id":"oura","name":"Oura","kind":"oauth","status":"disconnected","updated_at":null}"#
        );
    }
}
