//! The audit export's signature: an Ed25519 key derived from
//! `HEALTHLINK_SIGNING_KEY` (so an operator manages no second secret), its
//! public half published as a JSON Web Key Set at `GET /v1/audit/keys`,
//! and the signed document as the exact bytes served.
//!
//! Ed25519 rather than an HMAC: anyone (an auditor, an ethics board, the
//! user) verifies with the public key alone and cannot sign themselves.
//! Rotating the signing key rotates this key too; exports signed before
//! stay verifiable with the old public key, which is why a verifier should
//! keep the key set it used next to the export.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey};
use healthlink_shared::audit_export::{
    AuditExport, AuditKeys, ExportSignature, PublicKeyJwk, SIGNATURE_ALGORITHM, canonical_json,
    key_id, signed_bytes,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What the seed is derived for: no other use of the signing key can
/// produce the same bytes.
const DERIVATION_LABEL: &[u8] = b"healthlink/audit-export/ed25519/v1";

pub struct AuditSigner {
    key: SigningKey,
    kid: String,
}

impl AuditSigner {
    /// The signer of the deployment whose signing key is `signing_key`.
    pub fn derive(signing_key: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(signing_key.as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(DERIVATION_LABEL);
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        let key = SigningKey::from_bytes(&seed);
        let kid = key_id(key.verifying_key().as_bytes());
        Self { key, kid }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// `GET /v1/audit/keys`.
    pub fn key_set(&self) -> AuditKeys {
        AuditKeys {
            keys: vec![PublicKeyJwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
                kid: self.kid.clone(),
                x: URL_SAFE_NO_PAD.encode(self.public_key()),
            }],
        }
    }

    /// The export signed, as the canonical bytes to serve: what is served
    /// is exactly what a verifier canonicalizes, so any byte changed is a
    /// document that no longer verifies (or no longer parses).
    pub fn sign(&self, mut export: AuditExport) -> String {
        export.signature = ExportSignature {
            alg: SIGNATURE_ALGORITHM.to_owned(),
            kid: self.kid.clone(),
            value: String::new(),
        };
        let mut document = serde_json::to_value(&export).expect("an export is JSON");
        // Ids come from storage (below 2^53) and times are strings, so the
        // document is always canonical.
        let bytes = signed_bytes(&document).unwrap_or_default();
        let signature = self.key.sign(&bytes);
        document["signature"]["value"] = URL_SAFE_NO_PAD.encode(signature.to_bytes()).into();
        canonical_json(&document).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::audit_export::{
        CHAIN_ALGORITHM, ChainSummary, EXPORT_FORMAT, SignatureCheck, keys_of, verify_export,
    };

    use super::*;
    use crate::audit_chain::{ChainState, NewAuditRow};

    fn export() -> AuditExport {
        let mut chain = ChainState::default();
        let entries = (1..=3)
            .map(|id| {
                chain.append(
                    id,
                    &NewAuditRow {
                        at_ms: 1_800_000_000_000 + id,
                        actor: "user".into(),
                        user_id: "alice".into(),
                        source: "oura".into(),
                        action: "connect".into(),
                        result: "connected".into(),
                        aggregator: "thryve".into(),
                        consent_version: Some("2026-11".into()),
                    },
                )
            })
            .collect();
        AuditExport {
            format: EXPORT_FORMAT.into(),
            user_id: "alice".into(),
            aggregator: "thryve".into(),
            exported_at: "2027-01-15T08:00:00.000Z".into(),
            chain: chain.summary(),
            entries,
            signature: ExportSignature {
                alg: String::new(),
                kid: String::new(),
                value: String::new(),
            },
        }
    }

    #[test]
    fn the_key_is_the_deployments_own_and_published_as_a_jwk() {
        let signer = AuditSigner::derive("signing-key-one-0123456789abcdef");
        let again = AuditSigner::derive("signing-key-one-0123456789abcdef");
        let other = AuditSigner::derive("signing-key-two-0123456789abcdef");
        assert_eq!(signer.public_key(), again.public_key());
        assert_ne!(signer.public_key(), other.public_key());
        assert_ne!(signer.kid(), other.kid());
        let set = signer.key_set();
        assert_eq!(
            serde_json::to_value(&set.keys[0]).unwrap()["use"],
            serde_json::json!("sig")
        );
        assert_eq!(
            keys_of(&set),
            vec![(signer.kid().to_owned(), signer.public_key())]
        );
        // The seed is not the signing key's bytes, nor its plain hash.
        let seed = signer.key.to_bytes();
        assert!(
            !"signing-key-one-0123456789abcdef"
                .as_bytes()
                .starts_with(&seed[..8])
        );
    }

    #[test]
    fn a_signed_export_verifies_and_any_byte_changed_does_not() {
        let signer = AuditSigner::derive("signing-key-one-0123456789abcdef");
        let keys = keys_of(&signer.key_set());
        let body = signer.sign(export());
        let verdict = verify_export(body.as_bytes(), &keys).unwrap();
        assert!(verdict.holds(), "{verdict:?}");
        assert_eq!(verdict.rows, 3);
        let bytes = body.as_bytes();
        for position in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[position] ^= 0x01;
            match verify_export(&changed, &keys) {
                // No longer an export at all: refused.
                Err(_) => {}
                Ok(verdict) => assert!(
                    !verdict.holds() && !matches!(verdict.signature, SignatureCheck::Valid { .. }),
                    "byte {position} changed and the signature still held"
                ),
            }
        }
    }

    #[test]
    fn another_deployments_key_does_not_verify_and_an_unknown_key_is_named() {
        let signer = AuditSigner::derive("signing-key-one-0123456789abcdef");
        let other = AuditSigner::derive("signing-key-two-0123456789abcdef");
        let body = signer.sign(export());
        let verdict = verify_export(body.as_bytes(), &keys_of(&other.key_set())).unwrap();
        assert_eq!(
            verdict.signature,
            SignatureCheck::UnknownKey {
                kid: signer.kid().to_owned()
            }
        );
        // The other key under this key's id: the signature is refused.
        let forged = vec![(signer.kid().to_owned(), other.public_key())];
        let verdict = verify_export(body.as_bytes(), &forged).unwrap();
        assert!(matches!(verdict.signature, SignatureCheck::Invalid { .. }));
    }

    #[test]
    fn the_served_bytes_are_canonical() {
        let body = AuditSigner::derive("signing-key-one-0123456789abcdef").sign(export());
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(canonical_json(&value).unwrap(), body);
        assert_eq!(value["chain"]["algorithm"], CHAIN_ALGORITHM);
        let _: ChainSummary = serde_json::from_value(value["chain"].clone()).unwrap();
    }
}
