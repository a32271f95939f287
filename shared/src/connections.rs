//! The status list the widget renders (`GET /v1/connections`), and what the
//! host's backend reports about data arriving from a source
//! (`POST /v1/users/{user_id}/connections/{source}/sync`).

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
    /// `phone_link` as a QR code the edge drew, for a phone's camera: the
    /// widget shows it as `<svg viewBox="0 0 {size} {size}">` with one
    /// `<path d="{path}">` of dark modules. Present with `phone_link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_qr: Option<PhoneQr>,
    /// With `status` `pending`: what the aggregator has yet to confirm — a
    /// `connect` ("Finishing connection…") or a `disconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<crate::flows::FlowAction>,
    /// When data last arrived from the source, as the host's backend last
    /// reported it (RFC 3339, UTC); absent until it reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_data_at: Option<String>,
    /// Present (and `true`) when the source is connected but no data came
    /// for longer than the edge's `HEALTHLINK_STALE_AFTER_HOURS`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
    /// The problem the host's pipeline reported with its last sync, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_error: Option<SyncError>,
    /// What the app uses this source's data for, in the operator's words
    /// (`HEALTHLINK_CONSENT_PURPOSES`): the widget shows it, and asks to
    /// continue, before the connect flow opens. Absent when none is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// A QR code as one SVG path: what [`SourceConnection::phone_qr`] carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneQr {
    /// Width and height in modules, the quiet zone around the code included.
    pub size: u32,
    /// The dark modules, one `M{x} {y}h{run}v1h-{run}z` rectangle per
    /// horizontal run, in module units.
    pub path: String,
}

/// Why data from a source is not arriving, as the host's pipeline sees it:
/// a small closed set, so the widget can say what to do about each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncError {
    /// The provider refused the host's access (revoked at the provider, or
    /// the aggregator's grant no longer works): the user connects again.
    AuthRevoked,
    /// The user's grant leaves out the data the host needs (a permission
    /// unticked in the provider's app): the user changes it there.
    NoDataPermission,
    /// The provider or aggregator failed to deliver; nothing for the user
    /// to do, it should recover by itself.
    ProviderError,
    /// The provider throttled the host's pulls; it recovers by itself.
    RateLimited,
}

impl SyncError {
    pub const ALL: [Self; 4] = [
        Self::AuthRevoked,
        Self::NoDataPermission,
        Self::ProviderError,
        Self::RateLimited,
    ];

    /// The wire spelling, for places that are not serde (SQL).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthRevoked => "auth_revoked",
            Self::NoDataPermission => "no_data_permission",
            Self::ProviderError => "provider_error",
            Self::RateLimited => "rate_limited",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|error| error.as_str() == value)
    }
}

/// Body of `POST /v1/users/{user_id}/connections/{source}/sync`: when data
/// last arrived from the source, and optionally what keeps more from
/// arriving. Only a time and a code: Healthlink holds no health data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncReport {
    /// RFC 3339 with an offset, e.g. `2026-11-21T10:00:00Z`.
    pub last_data_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SyncError>,
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
            phone_qr: None,
            pending: None,
            last_data_at: None,
            stale: false,
            sync_error: None,
            purpose: None,
        };
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"id":"oura","name":"Oura","kind":"oauth","status":"disconnected","updated_at":null}"#
        );
        let stale = SourceConnection {
            status: ConnectionStatus::Connected,
            last_data_at: Some("2026-11-17T10:00:00.000Z".into()),
            stale: true,
            sync_error: Some(SyncError::NoDataPermission),
            ..entry
        };
        let json = serde_json::to_string(&stale).unwrap();
        assert!(
            json.ends_with(
                r#""last_data_at":"2026-11-17T10:00:00.000Z","stale":true,"sync_error":"no_data_permission"}"#
            ),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<SourceConnection>(&json).unwrap(),
            stale
        );
    }

    #[test]
    fn sync_errors_are_a_closed_set_spelled_as_documented() {
        for error in SyncError::ALL {
            let json = serde_json::to_string(&error).unwrap();
            assert_eq!(json, format!("\"{}\"", error.as_str()));
            assert_eq!(SyncError::parse(error.as_str()), Some(error));
        }
        let report: SyncReport =
            serde_json::from_str(r#"{"last_data_at":"2026-11-21T10:00:00Z"}"#).unwrap();
        assert_eq!(report.error, None);
        for refused in [
            r#"{"last_data_at":"2026-11-21T10:00:00Z","error":"tired"}"#,
            r#"{"last_data_at":"2026-11-21T10:00:00Z","steps":1200}"#,
            r#"{"error":"rate_limited"}"#,
        ] {
            assert!(
                serde_json::from_str::<SyncReport>(refused).is_err(),
                "{refused}"
            );
        }
    }
}
