//! The audit trail: who did what to which source, and how it ended.
//!
//! The vocabulary — actors, actions, results — is closed: the edge writes
//! only the spellings below, and the OpenAPI description lists the same.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::connections::ConnectionStatus;
use crate::flows::FlowResult;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditActor {
    /// The user, in the widget, for themself (`user`).
    User,
    /// Someone acting for the user in the widget: the session's `actor_id`
    /// (a clinician, a study coordinator). Never one of the reserved words.
    OnBehalf(String),
    /// The host's backend, with the API key (`backend`).
    Backend,
    /// The aggregator: its webhooks, and what its status endpoint reported
    /// when the edge reconciled (`aggregator`).
    Aggregator,
}

impl AuditActor {
    /// Spellings an `actor_id` may not take, so that no session can write a
    /// row that reads as the backend's or the aggregator's.
    pub const RESERVED: [&'static str; 3] = ["user", "backend", "aggregator"];

    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "user",
            Self::OnBehalf(actor_id) => actor_id,
            Self::Backend => "backend",
            Self::Aggregator => "aggregator",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "user" => Self::User,
            "backend" => Self::Backend,
            "aggregator" => Self::Aggregator,
            other => Self::OnBehalf(other.to_owned()),
        }
    }
}

impl Serialize for AuditActor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditActor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A connect flow ended (the browser came back, or a webhook said so).
    Connect,
    /// A disconnect was asked for (widget, backend, or a webhook said so).
    Disconnect,
    /// The aggregator's own status differed from the edge's record.
    Reconcile,
    /// A disconnect that also asks the host to delete the data the source
    /// shared (widget or backend).
    Delete,
    /// The host's backend minted a hosted connect link.
    LinkCreate,
    /// Someone opened a hosted connect link.
    LinkOpen,
    /// The host's backend revoked a hosted connect link, or erased the user.
    LinkRevoke,
}

impl AuditAction {
    pub const ALL: [Self; 7] = [
        Self::Connect,
        Self::Disconnect,
        Self::Reconcile,
        Self::Delete,
        Self::LinkCreate,
        Self::LinkOpen,
        Self::LinkRevoke,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Disconnect => "disconnect",
            Self::Reconcile => "reconcile",
            Self::Delete => "delete",
            Self::LinkCreate => "link_create",
            Self::LinkOpen => "link_open",
            Self::LinkRevoke => "link_revoke",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    Connected,
    Disconnected,
    Pending,
    Expired,
    Error,
    /// The user said no on the consent page.
    Cancelled,
    /// It did not work and nothing changed.
    Failed,
    /// A hosted connect link was minted.
    Issued,
    /// A hosted connect link was opened and can be opened again.
    Opened,
    /// A single-use link was opened, and with that used up.
    Consumed,
    /// A hosted connect link will not open any more.
    Revoked,
}

impl AuditResult {
    pub const ALL: [Self; 11] = [
        Self::Connected,
        Self::Disconnected,
        Self::Pending,
        Self::Expired,
        Self::Error,
        Self::Cancelled,
        Self::Failed,
        Self::Issued,
        Self::Opened,
        Self::Consumed,
        Self::Revoked,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::Issued => "issued",
            Self::Opened => "opened",
            Self::Consumed => "consumed",
            Self::Revoked => "revoked",
        }
    }
}

impl From<ConnectionStatus> for AuditResult {
    /// A change to a status ends in that status.
    fn from(status: ConnectionStatus) -> Self {
        match status {
            ConnectionStatus::Connected => Self::Connected,
            ConnectionStatus::Disconnected => Self::Disconnected,
            ConnectionStatus::Pending => Self::Pending,
            ConnectionStatus::Expired => Self::Expired,
            ConnectionStatus::Error => Self::Error,
        }
    }
}

impl From<FlowResult> for AuditResult {
    fn from(result: FlowResult) -> Self {
        match result {
            FlowResult::Connected => Self::Connected,
            FlowResult::Disconnected => Self::Disconnected,
            FlowResult::Failed => Self::Failed,
            FlowResult::Cancelled => Self::Cancelled,
        }
    }
}

/// One audit row. Append-only; never edited. The text fields carry the
/// spellings of [`AuditActor`], [`AuditAction`] and [`AuditResult`]; they
/// stay strings on the wire so a reader built against an older vocabulary
/// still reads newer rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Monotonic per user; also the pagination cursor.
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// An [`AuditActor`]: `user`, `backend`, `aggregator`, or an `actor_id`.
    pub actor: String,
    pub user_id: String,
    pub source: String,
    /// An [`AuditAction`].
    pub action: String,
    /// An [`AuditResult`].
    pub result: String,
    pub aggregator: String,
    /// On connect rows, when the deployment sets one: the consent text
    /// version the user was shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_version: Option<String>,
}

/// Body of `GET /v1/users/{user_id}/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `?before=` to get the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_what_serde_writes() {
        for action in AuditAction::ALL {
            assert_eq!(
                serde_json::to_string(&action).unwrap(),
                format!("\"{}\"", action.as_str())
            );
        }
        for result in AuditResult::ALL {
            assert_eq!(
                serde_json::to_string(&result).unwrap(),
                format!("\"{}\"", result.as_str())
            );
        }
    }

    #[test]
    fn actors_round_trip_and_reserved_words_are_kinds() {
        for actor in [
            AuditActor::User,
            AuditActor::Backend,
            AuditActor::Aggregator,
            AuditActor::OnBehalf("dr-jones".into()),
        ] {
            let json = serde_json::to_string(&actor).unwrap();
            assert_eq!(serde_json::from_str::<AuditActor>(&json).unwrap(), actor);
        }
        for word in AuditActor::RESERVED {
            assert!(!matches!(AuditActor::parse(word), AuditActor::OnBehalf(_)));
        }
    }

    #[test]
    fn a_status_change_ends_in_that_status() {
        assert_eq!(
            AuditResult::from(ConnectionStatus::Expired).as_str(),
            ConnectionStatus::Expired.as_str()
        );
    }
}
