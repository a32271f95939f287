//! The capability every aggregator provides, and the errors it may report.
//!
//! Routing, sessions, return states and per-user storage know only this
//! trait; each aggregator module (`sandbox`, `thryve`, `rook`) owns its wire
//! model and maps its failures into `AggregatorError`. Their IO goes through
//! [`http::HttpClient`] and [`UserLinks`], so all of it is tested natively.

pub mod http;
pub mod rook;
pub mod sandbox;
pub mod selected;
pub mod thryve;
pub mod upstream;

use healthlink_shared::{ConnectionStatus, SourceInfo};

use crate::error::ApiError;
use crate::user_id::UserId;
use crate::user_state::StoredStatus;

/// What a flow needs to build the browser's URL.
pub struct ConnectContext<'a> {
    pub user: &'a UserId,
    pub source: &'static SourceInfo,
    /// Our `/v1/return` URL, carrying the signed state; the aggregator sends
    /// the browser back here.
    pub return_to: &'a str,
    pub locale: Option<&'a str>,
}

/// What pairing the aggregator's own phone app with a user needs.
pub struct PhonePairing<'a> {
    pub user: &'a UserId,
    /// The app's name, which the phone app shows (`HEALTHLINK_APP_NAME`).
    pub client_name: &'a str,
    /// A fresh, unguessable value the aggregator binds the pairing with.
    pub salt: &'a str,
}

/// What a connect return tells, and how far it can be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// The aggregator itself says the source is connected.
    Connected,
    /// Only the browser says so (an unsigned `connected=true`): the source
    /// is `pending` until the aggregator confirms (its webhook).
    Unconfirmed,
    /// Not connected: declined, cancelled or failed. Taken at its word, as
    /// it changes nothing.
    NotConnected,
    /// Nothing can be told.
    Unknown,
}

impl ConnectOutcome {
    /// A `connected=true|false` flag as the browser brought it back, which
    /// only an aggregator that *is* the consent page (the sandbox) may take
    /// as confirmed.
    pub fn from_flag(flag: Option<bool>, confirmed: bool) -> Self {
        match flag {
            Some(true) if confirmed => Self::Connected,
            Some(true) => Self::Unconfirmed,
            Some(false) => Self::NotConnected,
            None => Self::Unknown,
        }
    }
}

/// How a server-side disconnect ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectOutcome {
    Disconnected,
    /// Accepted; the aggregator confirms later (webhook or next reconcile).
    Pending,
    /// The aggregator says the source is still connected.
    StillConnected,
}

/// Aggregator failures, each with a meaning the user or operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AggregatorError {
    /// The user's grant at the provider expired or was revoked: the source
    /// becomes `expired` and the user is offered a reconnect.
    GrantExpired,
    /// Slow down; retry after this many seconds.
    RateLimited { retry_after_seconds: u32 },
    /// 5xx, timeout, dropped connection or malformed answer: retry later.
    Unavailable,
    /// Our own credentials were refused, or our request no longer fits the
    /// aggregator's contract: an operator problem. Logged with this detail
    /// (never a secret); users see a generic message.
    Misconfigured { detail: String },
    /// Our own storage failed (already logged).
    Internal,
}

impl From<AggregatorError> for ApiError {
    /// What the client sees of an aggregator failure. The operator's part
    /// (which call, which variables) goes to the log here, so no failure
    /// that reaches a client goes unlogged.
    fn from(error: AggregatorError) -> Self {
        crate::log::upstream_failure(&error);
        match error {
            AggregatorError::RateLimited {
                retry_after_seconds,
            } => ApiError::RateLimited {
                retry_after_seconds,
            },
            AggregatorError::GrantExpired => ApiError::SourceExpired,
            AggregatorError::Unavailable => ApiError::UpstreamUnavailable,
            AggregatorError::Misconfigured { .. } => ApiError::UpstreamRefused,
            AggregatorError::Internal => ApiError::Internal,
        }
    }
}

/// Where an aggregator keeps its own reference for one of our users (the
/// Thryve `endUserId`), in that user's Durable Object, plus a reverse index
/// so a webhook naming the reference finds the user.
#[allow(async_fn_in_trait)]
pub trait UserLinks {
    async fn get(&self, user: &UserId) -> Result<Option<String>, AggregatorError>;
    async fn put(&self, user: &UserId, reference: &str) -> Result<(), AggregatorError>;
}

/// One aggregator. Futures are not `Send`: a Worker is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Aggregator {
    /// Name recorded in the audit trail.
    fn name(&self) -> &'static str;

    /// Whether this aggregator can connect the source at all.
    fn offers(&self, source: &SourceInfo) -> bool;

    /// The URL the browser opens to connect a source. It leads through the
    /// provider's consent and back to `context.return_to`.
    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError>;

    /// The outcome of a connect, asked of the aggregator where it can say,
    /// else read from the query the browser returned with (then at most
    /// [`ConnectOutcome::Unconfirmed`]).
    async fn connect_outcome(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        query: &[(String, String)],
    ) -> Result<ConnectOutcome, AggregatorError>;

    /// Disconnects a source from the server side.
    async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError>;

    /// Deletes what the aggregator holds for the user, where it documents a
    /// call for that (Thryve: the end user, its tokens and its data). Runs
    /// after every source is revoked; `now_ms` dates the request.
    async fn forget_user(&self, user: &UserId, now_ms: i64) -> Result<(), AggregatorError>;

    /// The aggregator's view of the user's sources, for reconciliation, in
    /// one upstream call. `None` when the aggregator keeps no status we can
    /// read (sandbox, Thryve: the edge's record, fed by returns and
    /// webhooks, is the truth). `known` is the edge's record; only the
    /// sandbox, which keeps no state of its own, reads it.
    async fn statuses(
        &self,
        user: &UserId,
        known: &[StoredStatus],
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError>;

    /// A link (and so a QR code) that pairs the aggregator's own phone app
    /// with the user, for hosts without a mobile app of their own (ROOK's
    /// Extraction App). `None` when the aggregator has no such app.
    async fn phone_pairing(
        &self,
        pairing: &PhonePairing<'_>,
    ) -> Result<Option<String>, AggregatorError>;

    /// Whether [`Aggregator::statuses`] can answer `Some` for this user.
    /// When it cannot, the edge's record is the whole truth and the user's
    /// object writes the status list itself.
    fn has_status_view(&self, user: &UserId) -> bool;
}

/// The configured aggregator, chosen at runtime. An enum rather than a trait
/// Reads `connected=true|false`; anything else says nothing.
pub fn connected_flag(query: &[(String, String)]) -> Option<bool> {
    query_value(query, "connected").and_then(|value| match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
}

/// The first value of a query parameter.
pub fn query_value<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn reads_the_connected_flag_and_nothing_else() {
        assert_eq!(connected_flag(&query(&[("connected", "true")])), Some(true));
        assert_eq!(
            connected_flag(&query(&[("connected", "false")])),
            Some(false)
        );
        assert_eq!(connected_flag(&query(&[("connected", "yes")])), None);
        assert_eq!(connected_flag(&query(&[("state", "x")])), None);
        assert_eq!(
            query_value(&query(&[("a", "1"), ("a", "2")]), "a"),
            Some("1"),
            "the first value wins"
        );
    }

    #[test]
    fn aggregator_errors_map_to_what_people_can_act_on() {
        assert_eq!(
            ApiError::from(AggregatorError::GrantExpired),
            ApiError::SourceExpired
        );
        assert_eq!(
            ApiError::from(AggregatorError::RateLimited {
                retry_after_seconds: 120
            }),
            ApiError::RateLimited {
                retry_after_seconds: 120
            }
        );
        assert_eq!(
            ApiError::from(AggregatorError::Unavailable),
            ApiError::UpstreamUnavailable
        );
        let refused = ApiError::from(AggregatorError::Misconfigured {
            detail: "ROOK refused GET /x with HTTP 401".into(),
        });
        assert_eq!(refused, ApiError::UpstreamRefused);
        let problem = refused.problem();
        assert!(
            !problem.detail.unwrap_or_default().contains("401"),
            "internals stay in the log"
        );
    }
}
