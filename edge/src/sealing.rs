//! Sealed tokens: claims that are encrypted as well as authenticated, for
//! values handed to people who must not read them. A hosted connect link's
//! token is one: it names the user, and it travels in e-mails, SMS and
//! browser histories. `<kind>.<base64url(nonce ‖ ciphertext)>`, with
//! XChaCha20-Poly1305 under a key derived from `HEALTHLINK_SIGNING_KEY` for
//! each kind, and the kind as associated data, so a token of one kind never
//! opens as another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::signing::MAX_TOKEN_LEN;

const NONCE_LEN: usize = 24;

/// What a sealed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedKind {
    /// Opens a hosted connect link (`/connect/<token>`).
    LinkToken,
    /// Names a link for the host's backend (revoke, list, audit); opens
    /// nothing.
    LinkId,
}

impl SealedKind {
    const fn prefix(self) -> &'static str {
        match self {
            Self::LinkToken => "hll1",
            Self::LinkId => "hlk1",
        }
    }
}

/// Why a sealed token was refused: all alike to the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsealable;

pub struct Sealer {
    signing_key: Vec<u8>,
}

impl Sealer {
    pub fn new(signing_key: &[u8]) -> Self {
        Self {
            signing_key: signing_key.to_vec(),
        }
    }

    /// The kind's own key: HMAC-SHA256 of a label under the signing key,
    /// so the key that signs sessions never encrypts anything itself.
    fn cipher(&self, kind: SealedKind) -> XChaCha20Poly1305 {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.signing_key)
            .expect("HMAC accepts keys of any length");
        mac.update(b"healthlink sealed token key ");
        mac.update(kind.prefix().as_bytes());
        XChaCha20Poly1305::new(Key::from_slice(&mac.finalize().into_bytes()))
    }

    /// Seals `claims`. `randomness` is a fresh value from the runtime's
    /// CSPRNG (a random UUID will do): the nonce is derived from it, so it
    /// must never repeat.
    pub fn seal<T: Serialize>(&self, kind: SealedKind, claims: &T, randomness: &str) -> String {
        let digest = Sha256::new()
            .chain_update(b"healthlink sealed token nonce ")
            .chain_update(randomness.as_bytes())
            .finalize();
        let nonce = XNonce::from_slice(&digest[..NONCE_LEN]);
        let plaintext = serde_json::to_vec(claims).expect("claims serialize");
        let sealed = self
            .cipher(kind)
            .encrypt(
                nonce,
                Payload {
                    msg: &plaintext,
                    aad: kind.prefix().as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any claims this small");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{}.{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a token of `kind`; anything altered, of another kind or
    /// sealed under another key is [`Unsealable`].
    pub fn open<T: DeserializeOwned>(
        &self,
        kind: SealedKind,
        token: &str,
    ) -> Result<T, Unsealable> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Unsealable);
        }
        let body = token
            .strip_prefix(kind.prefix())
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or(Unsealable)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Unsealable)?;
        if bytes.len() <= NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher(kind)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: kind.prefix().as_bytes(),
                },
            )
            .map_err(|_| Unsealable)?;
        serde_json::from_slice(&plaintext).map_err(|_| Unsealable)
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

    fn claims() -> Claims {
        Claims {
            sub: "alice-in-study-7".into(),
            exp: 1_000,
        }
    }

    #[test]
    fn round_trips_and_hides_the_claims() {
        let sealer = Sealer::new(b"key one");
        let token = sealer.seal(SealedKind::LinkToken, &claims(), "uuid-1");
        assert!(token.starts_with("hll1."), "{token}");
        assert_eq!(
            sealer.open::<Claims>(SealedKind::LinkToken, &token),
            Ok(claims())
        );
        let body = URL_SAFE_NO_PAD.decode(&token[5..]).unwrap();
        for readable in [&b"alice"[..], b"sub", b"1000"] {
            assert!(
                !body.windows(readable.len()).any(|w| w == readable),
                "{readable:?} readable in the token"
            );
        }
        assert!(!token.contains("alice"));
    }

    #[test]
    fn every_seal_is_different() {
        let sealer = Sealer::new(b"key one");
        let one = sealer.seal(SealedKind::LinkToken, &claims(), "uuid-1");
        let two = sealer.seal(SealedKind::LinkToken, &claims(), "uuid-2");
        assert_ne!(one, two);
    }

    #[test]
    fn refuses_other_kinds_keys_and_any_changed_byte() {
        let sealer = Sealer::new(b"key one");
        let token = sealer.seal(SealedKind::LinkToken, &claims(), "uuid-1");
        let id = sealer.seal(SealedKind::LinkId, &claims(), "uuid-1");
        assert_eq!(
            sealer.open::<Claims>(SealedKind::LinkId, &token),
            Err(Unsealable)
        );
        assert_eq!(
            sealer.open::<Claims>(SealedKind::LinkToken, &id),
            Err(Unsealable)
        );
        // The same body under the other kind's prefix: the kind is bound.
        let relabelled = format!("hlk1.{}", &token[5..]);
        assert_eq!(
            sealer.open::<Claims>(SealedKind::LinkId, &relabelled),
            Err(Unsealable)
        );
        assert_eq!(
            Sealer::new(b"key two").open::<Claims>(SealedKind::LinkToken, &token),
            Err(Unsealable)
        );
        let bytes = URL_SAFE_NO_PAD.decode(&token[5..]).unwrap();
        for position in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[position] ^= 0x01;
            let changed = format!("hll1.{}", URL_SAFE_NO_PAD.encode(changed));
            assert_eq!(
                sealer.open::<Claims>(SealedKind::LinkToken, &changed),
                Err(Unsealable),
                "byte {position}"
            );
        }
        for malformed in [
            "",
            "hll1",
            "hll1.",
            "hll1.!!!",
            "hll1.AAAA",
            &"x".repeat(5000),
        ] {
            assert_eq!(
                sealer.open::<Claims>(SealedKind::LinkToken, malformed),
                Err(Unsealable)
            );
        }
    }
}
