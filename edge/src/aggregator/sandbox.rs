//! The built-in sandbox aggregator: behaves like a real one (a consent page,
//! a redirect back with `connected=true|false`, background disconnects) with
//! no account and no secrets.
//!
//! Fault injection is deterministic and chosen by the user id's prefix, so
//! tests and demos can show every failure a real aggregator produces:
//!
//! | user id starts with | effect |
//! |---|---|
//! | `fault-unavailable` | connect and disconnect answer "provider unavailable" (503) |
//! | `fault-timeout`     | the provider times out (reported like 503, retryable) |
//! | `fault-rate-limited`| connect and disconnect are rate limited (429, retry after 60 s) |
//! | `fault-pending`     | disconnects stay `pending` |
//! | `fault-revoke-fails`| disconnects fail: the provider reports the source still connected |
//! | `fault-expired`     | every connected source is reported `expired` on the next status check |

use healthlink_shared::{ConnectionStatus, SourceInfo};
use url::Url;

use super::{
    Aggregator, AggregatorError, ConnectContext, ConnectOutcome, DisconnectOutcome, connected_flag,
};
use crate::connections::connected_sources;
use crate::user_id::UserId;
use crate::user_state::StoredStatus;

/// The path of the sandbox's consent page on the edge.
pub const CONSENT_PATH: &str = "/sandbox/connect";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Unavailable,
    Timeout,
    RateLimited,
    Pending,
    RevokeFails,
    Expired,
}

impl Fault {
    pub fn for_user(user: &UserId) -> Option<Self> {
        let id = user.as_str();
        [
            ("fault-unavailable", Self::Unavailable),
            ("fault-timeout", Self::Timeout),
            ("fault-rate-limited", Self::RateLimited),
            ("fault-pending", Self::Pending),
            ("fault-revoke-fails", Self::RevokeFails),
            ("fault-expired", Self::Expired),
        ]
        .into_iter()
        .find(|(prefix, _)| id.starts_with(prefix))
        .map(|(_, fault)| fault)
    }

    /// The error an upstream call fails with under this fault, if any.
    fn upstream_error(self) -> Option<AggregatorError> {
        match self {
            Self::Unavailable | Self::Timeout => Some(AggregatorError::Unavailable),
            Self::RateLimited => Some(AggregatorError::RateLimited {
                retry_after_seconds: 60,
            }),
            Self::Pending | Self::RevokeFails | Self::Expired => None,
        }
    }
}

pub struct Sandbox {
    /// The edge's own origin, which serves the consent page.
    edge_origin: String,
}

impl Sandbox {
    pub fn new(edge_origin: &str) -> Self {
        Self {
            edge_origin: edge_origin.to_owned(),
        }
    }

    fn fail_if_faulty(user: &UserId) -> Result<(), AggregatorError> {
        match Fault::for_user(user).and_then(Fault::upstream_error) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Aggregator for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn offers(&self, _source: &SourceInfo) -> bool {
        true
    }

    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError> {
        Self::fail_if_faulty(context.user)?;
        let mut url = Url::parse(&format!("{}{CONSENT_PATH}", self.edge_origin))
            .map_err(|_| AggregatorError::Unavailable)?;
        url.query_pairs_mut()
            .append_pair("source", context.source.id)
            .append_pair("redirect_uri", context.return_to);
        Ok(url.into())
    }

    async fn disconnect(
        &self,
        user: &UserId,
        _source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError> {
        Self::fail_if_faulty(user)?;
        Ok(match Fault::for_user(user) {
            Some(Fault::Pending) => DisconnectOutcome::Pending,
            Some(Fault::RevokeFails) => DisconnectOutcome::StillConnected,
            _ => DisconnectOutcome::Disconnected,
        })
    }

    async fn connect_outcome(
        &self,
        _user: &UserId,
        _source: &'static SourceInfo,
        query: &[(String, String)],
    ) -> Result<ConnectOutcome, AggregatorError> {
        // The sandbox is its own consent page: its Allow is its word.
        Ok(ConnectOutcome::from_flag(connected_flag(query), true))
    }

    /// The sandbox keeps nothing about anyone.
    async fn forget_user(&self, _user: &UserId, _now_ms: i64) -> Result<(), AggregatorError> {
        Ok(())
    }

    async fn statuses(
        &self,
        user: &UserId,
        known: &[StoredStatus],
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError> {
        if Fault::for_user(user) != Some(Fault::Expired) {
            return Ok(None);
        }
        Ok(Some(
            connected_sources(known)
                .into_iter()
                .map(|id| (id, ConnectionStatus::Expired))
                .collect(),
        ))
    }

    /// The sandbox has no phone app: phone-only sources need the host's
    /// own (`HEALTHLINK_PHONE_LINK`).
    async fn phone_pairing(
        &self,
        _pairing: &super::PhonePairing<'_>,
    ) -> Result<Option<String>, AggregatorError> {
        Ok(None)
    }

    /// Only the expired-fault users have a view: everyone else's grants
    /// live in the edge's record alone.
    fn has_status_view(&self, user: &UserId) -> bool {
        Fault::for_user(user) == Some(Fault::Expired)
    }
}

/// Whether a consent page's `redirect_uri` points back at this edge's
/// return route. The consent page would otherwise be an open redirect.
pub fn is_own_return(redirect_uri: &str, edge_origin: &str) -> bool {
    Url::parse(redirect_uri).is_ok_and(|url| {
        url.origin().ascii_serialization() == edge_origin
            && url.path() == crate::routes::RETURN_PATH
            && url.username().is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregator::http::testing::block_on;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn connect_url_leads_to_the_consent_page_and_back() {
        let sandbox = Sandbox::new("https://edge.example");
        let alice = user("alice");
        let url = block_on(sandbox.connect_url(&ConnectContext {
            user: &alice,
            source: healthlink_shared::find_source("oura").unwrap(),
            return_to: "https://edge.example/v1/return?state=abc",
            locale: None,
        }))
        .unwrap();
        assert_eq!(
            url,
            "https://edge.example/sandbox/connect?source=oura&redirect_uri=https%3A%2F%2Fedge.example%2Fv1%2Freturn%3Fstate%3Dabc"
        );
    }

    #[test]
    fn faults_follow_the_user_id() {
        let sandbox = Sandbox::new("https://edge.example");
        let oura = healthlink_shared::find_source("oura").unwrap();
        let disconnect = |id: &str| block_on(sandbox.disconnect(&user(id), oura));
        assert_eq!(disconnect("alice"), Ok(DisconnectOutcome::Disconnected));
        assert_eq!(
            disconnect("fault-pending-1"),
            Ok(DisconnectOutcome::Pending)
        );
        assert_eq!(
            disconnect("fault-revoke-fails-1"),
            Ok(DisconnectOutcome::StillConnected)
        );
        assert_eq!(
            disconnect("fault-unavailable"),
            Err(AggregatorError::Unavailable)
        );
        assert_eq!(
            disconnect("fault-timeout-x"),
            Err(AggregatorError::Unavailable)
        );
        assert_eq!(
            disconnect("fault-rate-limited"),
            Err(AggregatorError::RateLimited {
                retry_after_seconds: 60
            })
        );
        let known = [StoredStatus {
            source: "oura".into(),
            status: ConnectionStatus::Connected,
            updated_at_ms: 0,
            error: None,
            pending: None,
            deleting: false,
            data: None,
        }];
        assert_eq!(block_on(sandbox.statuses(&user("alice"), &known)), Ok(None));
        // A view exists exactly for the users whose statuses can answer.
        assert!(!sandbox.has_status_view(&user("alice")));
        assert!(sandbox.has_status_view(&user("fault-expired-1")));
        assert_eq!(
            block_on(sandbox.statuses(&user("fault-expired-1"), &known)),
            Ok(Some(vec![("oura", ConnectionStatus::Expired)]))
        );
    }

    #[test]
    fn consent_page_only_returns_to_this_edge() {
        let edge = "https://edge.example";
        assert!(is_own_return(
            "https://edge.example/v1/return?state=x",
            edge
        ));
        for uri in [
            "https://evil.example/v1/return?state=x",
            "https://edge.example/v1/returnx",
            "https://edge.example.evil.example/v1/return",
            "https://user@edge.example/v1/return",
            "javascript:alert(1)",
            "/v1/return",
        ] {
            assert!(!is_own_return(uri, edge), "{uri}");
        }
    }
}
