//! Hosted connect links: a page on the edge, behind a link the host's
//! backend mints (`POST /v1/links`), for people the host cannot reach with
//! an embedded widget — a mobile app that must open the system browser, or
//! an invitation by e-mail or SMS.

use serde::{Deserialize, Serialize};

/// Body of `POST /v1/links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateLinkRequest {
    /// The host app's user id, as for sessions.
    pub user_id: String,
    /// Offer only these source ids (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// BCP 47 language tag of the page and the widget on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Someone acting for the user, recorded in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Lifetime in seconds: default 900 (15 min, a mobile hand-off), from
    /// 60 up to 604,800 (7 days, an invitation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u32>,
    /// Where "Back to the app" goes, with the `healthlink_*` result
    /// parameters: a web page or an app link on `HEALTHLINK_RETURN_URLS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Consumed when first opened (default: usable until it expires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_use: Option<bool>,
}

/// Answer to `POST /v1/links` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCreated {
    /// Names the link for `DELETE /v1/links/{id}` and in the list and the
    /// audit trail; it does not open the link.
    pub id: String,
    /// `https://EDGE/connect/<token>`: the only thing that opens it.
    pub url: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Can be opened (until `expires_at`).
    Live,
    /// A single-use link that was opened.
    Consumed,
    /// Revoked by the host's backend.
    Revoked,
    /// Past `expires_at`.
    Expired,
}

/// One link in `GET /v1/users/{user_id}/links`: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    pub id: String,
    pub state: LinkState,
    pub created_at: String,
    pub expires_at: String,
    pub single_use: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// When it was last opened, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
}

/// Body of `GET /v1/users/{user_id}/links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkList {
    pub links: Vec<LinkSummary>,
}
