//! The `state` a browser carries through the aggregator and back to
//! `/v1/return`. Signed (so it cannot be forged or altered), expiring, bound
//! to user, source, action, flow and where to report, and single-use: its
//! nonce is consumed in the user's Durable Object the first time it returns.

use healthlink_shared::{AuditActor, Flow, FlowAction};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::signing::{Expiring, Signer, TokenKind};

/// How long a user has to finish at the provider before the state expires.
pub const STATE_TTL_SECONDS: i64 = 30 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnState {
    /// User id.
    pub u: String,
    /// Source id.
    pub s: String,
    pub a: FlowAction,
    pub f: Flow,
    /// Redirect flows: the allowlisted URL to send the browser back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<String>,
    /// Popup flows: the exact origin of the page that opened the popup, the
    /// only target the result is posted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<String>,
    /// Actor, for the audit trail.
    pub act: AuditActor,
    /// Random, unique per flow; what single-use is checked against.
    pub n: String,
    /// Popup flows: the widget's own nonce for the flow, posted back with
    /// the result so the widget knows the answer is to its question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pn: Option<String>,
    /// Connects: the consent text version in force when the flow started,
    /// which is what the user was shown; their audit row records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<String>,
    pub exp: i64,
}

impl Expiring for ReturnState {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

impl ReturnState {
    pub fn sign(&self, signer: &Signer) -> String {
        signer.sign(TokenKind::ReturnState, self)
    }

    /// Every failure (forged, tampered, expired, wrong kind) is the same
    /// `invalid_state` to the client.
    pub fn verify(token: &str, signer: &Signer, now: i64) -> Result<Self, ApiError> {
        signer
            .verify(TokenKind::ReturnState, token, now)
            .map_err(|_| ApiError::InvalidState)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ReturnState {
        ReturnState {
            u: "alice".into(),
            s: "oura".into(),
            a: FlowAction::Connect,
            f: Flow::Redirect,
            r: Some("https://app.example.com/settings".into()),
            o: None,
            act: AuditActor::User,
            pn: None,
            cv: None,
            n: "nonce-1".into(),
            exp: 2_000,
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let token = state().sign(&signer);
        assert_eq!(ReturnState::verify(&token, &signer, 1_000), Ok(state()));
        assert_eq!(
            ReturnState::verify(&token, &signer, 2_000),
            Err(ApiError::InvalidState)
        );
        let mut tampered = token.clone();
        tampered.insert(10, 'x');
        assert_eq!(
            ReturnState::verify(&tampered, &signer, 1_000),
            Err(ApiError::InvalidState)
        );
        let other = Signer::new(b"another key, another deployment!");
        assert_eq!(
            ReturnState::verify(&token, &other, 1_000),
            Err(ApiError::InvalidState)
        );
    }
}
