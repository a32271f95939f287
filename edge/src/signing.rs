//! Signed, expiring tokens: `<kind>.<payload>.<signature>`, where the payload
//! is base64url JSON and the signature is HMAC-SHA256 over `<kind>.<payload>`
//! keyed by `HEALTHLINK_SIGNING_KEY`.
//!
//! The kind prefix is signed too, so a token minted for one purpose (a
//! session) can never be accepted as another (a return state), even though
//! both use the same key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Tokens longer than this are refused before any decoding work.
pub const MAX_TOKEN_LEN: usize = 4096;

/// What a token is for; part of the signed data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    ReturnState,
    /// A single-use ticket that opens one live-updates socket.
    LiveTicket,
    /// Lets a hosted link's page open again when a redirect flow started
    /// on it comes back, although a single-use link was used up by then.
    LinkResume,
}

impl TokenKind {
    const fn prefix(self) -> &'static str {
        match self {
            Self::Session => "hls1",
            Self::ReturnState => "hlr1",
            Self::LiveTicket => "hlt1",
            Self::LinkResume => "hlv1",
        }
    }
}

/// Why a token was refused. Callers map every variant to the same client
/// error; the distinction is for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

/// Claims every token carries.
pub trait Expiring {
    /// Unix seconds after which the token is refused.
    fn expires_at(&self) -> i64;
}

pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length")
    }

    pub fn sign<T: Serialize>(&self, kind: TokenKind, claims: &T) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signed = format!("{}.{payload}", kind.prefix());
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// Checks kind, signature and expiry (against `now`, Unix seconds), in
    /// that order, and returns the claims.
    pub fn verify<T: DeserializeOwned + Expiring>(
        &self,
        kind: TokenKind,
        token: &str,
        now: i64,
    ) -> Result<T, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let payload = signed
            .strip_prefix(kind.prefix())
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: T = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.expires_at() <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    impl Expiring for Claims {
        fn expires_at(&self) -> i64 {
            self.exp
        }
    }

    fn claims() -> Claims {
        Claims {
            sub: "alice".into(),
            exp: 1_000,
        }
    }

    #[test]
    fn round_trips_before_expiry() {
        let signer = Signer::new(b"key one");
        let token = signer.sign(TokenKind::Session, &claims());
        assert!(token.starts_with("hls1."));
        assert_eq!(
            signer.verify::<Claims>(TokenKind::Session, &token, 999),
            Ok(claims())
        );
    }

    #[test]
    fn refuses_expired_foreign_tampered_and_cross_kind_tokens() {
        let signer = Signer::new(b"key one");
        let token = signer.sign(TokenKind::Session, &claims());
        let verify = |token: &str| signer.verify::<Claims>(TokenKind::Session, token, 10);

        assert_eq!(
            signer.verify::<Claims>(TokenKind::Session, &token, 1_000),
            Err(TokenError::Expired)
        );
        let foreign = Signer::new(b"key two").sign(TokenKind::Session, &claims());
        assert_eq!(verify(&foreign), Err(TokenError::BadSignature));

        // Swap in a payload for another user, keep the signature.
        let (_, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"bob","exp":1000}"#);
        assert_eq!(
            verify(&format!("hls1.{forged_payload}.{signature}")),
            Err(TokenError::BadSignature)
        );

        let state = signer.sign(TokenKind::ReturnState, &claims());
        assert_eq!(verify(&state), Err(TokenError::Malformed));
        let relabelled = state.replacen("hlr1", "hls1", 1);
        assert_eq!(verify(&relabelled), Err(TokenError::BadSignature));

        for junk in [
            "",
            ".",
            "hls1",
            "hls1..",
            "hls1.e30.",
            "hls1.!!!.abc",
            &"a".repeat(5000),
        ] {
            assert!(verify(junk).is_err(), "{junk:?}");
        }
    }
}
