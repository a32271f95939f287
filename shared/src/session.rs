//! Sessions: minted by the host's backend (`POST /v1/sessions`), carried by
//! the widget as a bearer token.

use serde::{Deserialize, Serialize};

/// What a session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// See the status list.
    Read,
    /// Start connect flows.
    Connect,
    /// Disconnect sources.
    Disconnect,
    /// Disconnect sources and ask the host to delete what they shared.
    Delete,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::Read,
        Scope::Connect,
        Scope::Disconnect,
        Scope::Delete,
    ];
}

/// Body of `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    /// The host app's user id: 1–50 characters of `[A-Za-z0-9._:@-]`.
    pub user_id: String,
    /// Restrict the widget to these source ids (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// BCP 47 language tag for the widget and the aggregator's pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Default return URL for redirect flows; must be on the allowlist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Lifetime in seconds: default 900 (15 min), at most 3600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
    /// Default: all of `read`, `connect`, `disconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    /// Someone acting for the user (a caregiver, a clinician); recorded in
    /// the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Embedding origins the session is bound to; each must be configured in
    /// `HEALTHLINK_ALLOWED_ORIGINS`. Default: all configured origins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<Vec<String>>,
}

/// Answer to `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    pub session_token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}
