//! The capability every aggregator provides, and the errors it may report.
//!
//! Routing, sessions, return states and per-user storage know only this
//! trait; each aggregator module (`sandbox` today, Thryve and ROOK next)
//! owns its own wire model and maps its failures into `AggregatorError`.

pub mod sandbox;

use healthlink_shared::{ConnectionStatus, SourceInfo};

use crate::error::ApiError;
use crate::user_id::UserId;

/// What a flow needs to build the browser's URL.
pub struct ConnectContext<'a> {
    pub user: &'a UserId,
    pub source: &'static SourceInfo,
    /// Our `/v1/return` URL, carrying the signed state; the aggregator sends
    /// the browser back here.
    pub return_to: &'a str,
    pub locale: Option<&'a str>,
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
    /// Our own credentials were refused: an operator problem. Logged with
    /// this detail (never a secret); users see a generic message.
    Misconfigured { detail: String },
}

impl From<AggregatorError> for ApiError {
    fn from(error: AggregatorError) -> Self {
        match error {
            AggregatorError::RateLimited {
                retry_after_seconds,
            } => ApiError::RateLimited {
                retry_after_seconds,
            },
            AggregatorError::GrantExpired | AggregatorError::Unavailable => {
                ApiError::UpstreamUnavailable
            }
            AggregatorError::Misconfigured { .. } => ApiError::Internal,
        }
    }
}

/// One aggregator. Futures are not `Send`: a Worker is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Aggregator {
    /// Name recorded in the audit trail.
    fn name(&self) -> &'static str;

    /// The URL the browser opens to connect a source.
    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError>;

    /// Disconnects a source from the server side.
    async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError>;

    /// Reads the outcome of a connect from the query the aggregator returned
    /// with: `Some(true)` connected, `Some(false)` not (failed or
    /// cancelled), `None` when it says nothing and the status must be
    /// re-checked with [`Aggregator::statuses`].
    fn connect_outcome(&self, query: &[(String, String)]) -> Option<bool>;

    /// The aggregator's view of the user's sources, for reconciliation.
    /// `None` when the aggregator keeps no status of its own (the sandbox:
    /// the edge's record is the truth).
    async fn statuses(
        &self,
        user: &UserId,
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError>;
}
