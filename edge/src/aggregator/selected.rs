//! The configured aggregator, chosen at runtime from the configuration: the
//! one place the choice is made. Its own file so the aggregator modules
//! import the trait from `aggregator`, and only this file imports them all.

use healthlink_shared::{ConnectionStatus, SourceInfo};

use super::http::HttpClient;
use super::rook::Rook;
use super::sandbox::Sandbox;
use super::thryve::Thryve;
use super::{
    Aggregator, AggregatorError, ConnectContext, ConnectOutcome, DisconnectOutcome, PhonePairing,
    UserLinks,
};
use crate::config::{AggregatorConfig, Config};
use crate::user_id::UserId;
use crate::user_state::StoredStatus;

/// object: async trait methods are not object-safe, and the set is closed.
pub enum Selected<'a, H, L> {
    Sandbox(Sandbox),
    Thryve(Thryve<'a, H, L>),
    Rook(Rook<'a, H>),
}

impl<'a, H: HttpClient, L: UserLinks> Selected<'a, H, L> {
    /// The one place the configured aggregator is chosen.
    pub fn from_config(config: &'a Config, http: &'a H, links: &'a L, edge_origin: &str) -> Self {
        match &config.aggregator {
            AggregatorConfig::Sandbox => Self::Sandbox(Sandbox::new(edge_origin)),
            AggregatorConfig::Thryve(thryve) => Self::Thryve(Thryve::new(
                thryve,
                http,
                links,
                config.signing_key.as_bytes(),
            )),
            AggregatorConfig::Rook(rook) => Self::Rook(Rook::new(rook, http)),
        }
    }
}

impl<H: HttpClient, L: UserLinks> Aggregator for Selected<'_, H, L> {
    fn name(&self) -> &'static str {
        match self {
            Self::Sandbox(inner) => inner.name(),
            Self::Thryve(inner) => inner.name(),
            Self::Rook(inner) => inner.name(),
        }
    }

    fn offers(&self, source: &SourceInfo) -> bool {
        match self {
            Self::Sandbox(inner) => inner.offers(source),
            Self::Thryve(inner) => inner.offers(source),
            Self::Rook(inner) => inner.offers(source),
        }
    }

    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.connect_url(context).await,
            Self::Thryve(inner) => inner.connect_url(context).await,
            Self::Rook(inner) => inner.connect_url(context).await,
        }
    }

    async fn connect_outcome(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        query: &[(String, String)],
    ) -> Result<ConnectOutcome, AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.connect_outcome(user, source, query).await,
            Self::Thryve(inner) => inner.connect_outcome(user, source, query).await,
            Self::Rook(inner) => inner.connect_outcome(user, source, query).await,
        }
    }

    async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.disconnect(user, source).await,
            Self::Thryve(inner) => inner.disconnect(user, source).await,
            Self::Rook(inner) => inner.disconnect(user, source).await,
        }
    }

    async fn phone_pairing(
        &self,
        pairing: &PhonePairing<'_>,
    ) -> Result<Option<String>, AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.phone_pairing(pairing).await,
            Self::Thryve(inner) => inner.phone_pairing(pairing).await,
            Self::Rook(inner) => inner.phone_pairing(pairing).await,
        }
    }

    async fn forget_user(&self, user: &UserId, now_ms: i64) -> Result<(), AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.forget_user(user, now_ms).await,
            Self::Thryve(inner) => inner.forget_user(user, now_ms).await,
            Self::Rook(inner) => inner.forget_user(user, now_ms).await,
        }
    }

    async fn statuses(
        &self,
        user: &UserId,
        known: &[StoredStatus],
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError> {
        match self {
            Self::Sandbox(inner) => inner.statuses(user, known).await,
            Self::Thryve(inner) => inner.statuses(user, known).await,
            Self::Rook(inner) => inner.statuses(user, known).await,
        }
    }

    fn has_status_view(&self, user: &UserId) -> bool {
        match self {
            Self::Sandbox(inner) => inner.has_status_view(user),
            Self::Thryve(inner) => inner.has_status_view(user),
            Self::Rook(inner) => inner.has_status_view(user),
        }
    }
}
