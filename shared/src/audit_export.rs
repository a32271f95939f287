//! The signed audit export: one user's whole trail as a self-contained JSON
//! document that anyone can check with only the edge's public key.
//!
//! Each row names the hash of the row before it, so a row changed, removed,
//! reordered or inserted after the fact no longer chains; the document as a
//! whole is signed (Ed25519) over its canonical bytes, so nothing in it can
//! change unseen either. Canonical bytes are RFC 8785 (JCS) for the JSON this
//! document holds — objects with keys sorted, no whitespace, strings as
//! JSON escapes them minimally, integers only — which Python's
//! `json.dumps(doc, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)` writes too, so a verifier needs no code of ours.
//!
//! The types are plain data for every crate; hashing, canonical encoding and
//! verification come with the `export` feature (the edge and the verifier).

use serde::{Deserialize, Serialize};

/// The `format` of every export this edge writes.
pub const EXPORT_FORMAT: &str = "healthlink-audit-export/1";
/// The hash the first row of a trail chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The chain's hash function, as the document names it.
pub const CHAIN_ALGORITHM: &str = "sha-256";
/// The signature's algorithm, as the document names it.
pub const SIGNATURE_ALGORITHM: &str = "Ed25519";

/// `GET /v1/users/{user_id}/audit/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditExport {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    pub user_id: String,
    /// The aggregator the edge runs with.
    pub aggregator: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub chain: ChainSummary,
    /// Every kept row, oldest first.
    pub entries: Vec<ChainedEntry>,
    pub signature: ExportSignature,
}

/// Where the chain ends, and what was pruned from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSummary {
    /// [`CHAIN_ALGORITHM`].
    pub algorithm: String,
    /// The id of the newest row ever written (0: none yet).
    pub head_id: i64,
    /// That row's hash ([`GENESIS_HASH`]: none yet). Kept apart from the
    /// rows, so rows cut from the end are seen too.
    pub head_hash: String,
    /// Rows removed by retention, if any were.
    pub pruned: Option<PruningRecord>,
}

/// What retention removed from the start of the trail: the first kept row
/// chains from `last_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruningRecord {
    /// How many rows, in all prunings since the trail began.
    pub rows: u64,
    /// The newest row removed.
    pub through_id: i64,
    /// When that row was written (RFC 3339).
    pub through_at: String,
    /// Its hash.
    pub last_hash: String,
}

/// One audit row with its place in the chain. The fields are those of
/// [`crate::AuditEntry`], plus the consent text version and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEntry {
    pub id: i64,
    /// RFC 3339, UTC, to the millisecond.
    pub at: String,
    pub actor: String,
    pub user_id: String,
    pub source: String,
    pub action: String,
    pub result: String,
    pub aggregator: String,
    /// The consent text version the user was shown, on connect rows of a
    /// deployment that configures one; `null` otherwise.
    pub consent_version: Option<String>,
    /// The hash of the row before (or the pruning record's, or genesis).
    pub prev_hash: String,
    /// SHA-256 (hex) of this object's canonical bytes without `hash`.
    pub hash: String,
}

/// The document's signature: over the canonical bytes of the document
/// without this member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSignature {
    /// [`SIGNATURE_ALGORITHM`].
    pub alg: String,
    /// Which of the edge's published keys (`GET /v1/audit/keys`).
    pub kid: String,
    /// base64url, no padding.
    pub value: String,
}

/// `GET /v1/audit/keys`: a JSON Web Key Set (RFC 7517) of Ed25519 keys
/// (RFC 8037, `kty` `OKP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditKeys {
    pub keys: Vec<PublicKeyJwk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyJwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

#[cfg(feature = "export")]
pub use verify::*;

#[cfg(feature = "export")]
mod verify {
    use std::fmt;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::{Signature, VerifyingKey};
    use serde_json::Value;
    use sha2::{Digest, Sha256};

    use super::*;

    /// The largest integer JSON carries exactly everywhere (2^53 - 1).
    const MAX_EXACT_INTEGER: u64 = 9_007_199_254_740_991;

    /// The value holds something JCS would write differently from us (a
    /// fraction, an integer beyond 2^53).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct NotCanonical;

    /// The canonical bytes (RFC 8785) of `value`.
    pub fn canonical_json(value: &Value) -> Result<String, NotCanonical> {
        let mut out = String::new();
        write_canonical(value, &mut out)?;
        Ok(out)
    }

    fn write_canonical(value: &Value, out: &mut String) -> Result<(), NotCanonical> {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(number) => match (number.as_i64(), number.as_u64()) {
                (Some(n), _) if n.unsigned_abs() <= MAX_EXACT_INTEGER => {
                    out.push_str(&n.to_string())
                }
                (None, Some(n)) if n <= MAX_EXACT_INTEGER => out.push_str(&n.to_string()),
                _ => return Err(NotCanonical),
            },
            // serde_json escapes exactly what JCS does: `"`, `\` and the
            // controls, with the short forms where JSON has them.
            Value::String(text) => {
                out.push_str(&serde_json::to_string(text).map_err(|_| NotCanonical)?)
            }
            Value::Array(items) => {
                out.push('[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    write_canonical(item, out)?;
                }
                out.push(']');
            }
            Value::Object(members) => {
                // JCS orders keys by their UTF-16 code units; whatever order
                // the map keeps is not relied on.
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                out.push('{');
                for (position, key) in keys.into_iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).map_err(|_| NotCanonical)?);
                    out.push(':');
                    write_canonical(&members[key], out)?;
                }
                out.push('}');
            }
        }
        Ok(())
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The hash a row should carry: SHA-256 of its canonical bytes without
    /// `hash` (its `prev_hash` included, which is what chains it).
    pub fn entry_hash(entry: &ChainedEntry) -> String {
        let mut value = serde_json::to_value(entry).expect("an entry is JSON");
        if let Value::Object(members) = &mut value {
            members.remove("hash");
        }
        // An entry holds strings and ids that storage keeps below 2^53.
        let canonical = canonical_json(&value).unwrap_or_default();
        sha256_hex(canonical.as_bytes())
    }

    /// `entry` placed after the row whose hash is `prev_hash`: both hashes
    /// filled in.
    pub fn chained(mut entry: ChainedEntry, prev_hash: &str) -> ChainedEntry {
        entry.prev_hash = prev_hash.to_owned();
        entry.hash = entry_hash(&entry);
        entry
    }

    /// What the signature covers: the canonical bytes of the document
    /// without its `signature` member.
    pub fn signed_bytes(document: &Value) -> Result<Vec<u8>, NotCanonical> {
        let mut unsigned = document.clone();
        match &mut unsigned {
            Value::Object(members) => {
                members.remove("signature");
            }
            _ => return Err(NotCanonical),
        }
        canonical_json(&unsigned).map(String::into_bytes)
    }

    /// The key id of an Ed25519 public key: the first 16 hex digits of its
    /// SHA-256, so a key names itself and any reader can recompute it.
    pub fn key_id(public_key: &[u8; 32]) -> String {
        format!("ed25519-{}", &sha256_hex(public_key)[..16])
    }

    /// Why the chain does not hold, naming the first row that breaks it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ChainBreak {
        /// The row's fields no longer hash to its `hash`.
        Changed { id: i64 },
        /// The row's `prev_hash` is not the hash of the row before it in
        /// the document (`after`; `None`: the start of the trail).
        Unlinked { id: i64, after: Option<i64> },
        /// Row ids do not increase here.
        OutOfOrder { id: i64, after: i64 },
        /// Two rows carry the same id: one of them was inserted.
        Duplicate { id: i64 },
        /// The last row is not the chain head the document names.
        Truncated { last: Option<i64>, head_id: i64 },
        /// The document says it holds something it cannot (e.g. an
        /// algorithm we do not know).
        Malformed(String),
    }

    impl fmt::Display for ChainBreak {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Self::Changed { id } => write!(
                    f,
                    "row {id} was changed: its fields no longer hash to the hash it carries"
                ),
                Self::Unlinked {
                    id,
                    after: Some(after),
                } => write!(
                    f,
                    "row {id} does not chain from row {after}, the row before it: a row \
                     between them was removed, or row {id} was inserted or moved here"
                ),
                Self::Unlinked { id, after: None } => write!(
                    f,
                    "row {id}, the first, does not chain from where the trail starts (the \
                     pruning record, or genesis): rows before it were removed, or it was \
                     inserted"
                ),
                Self::OutOfOrder { id, after } => write!(
                    f,
                    "row {id} comes after row {after}: rows were reordered or one was \
                     inserted out of place"
                ),
                Self::Duplicate { id } => write!(
                    f,
                    "two rows carry id {id}: a row was inserted with the id of another"
                ),
                Self::Truncated {
                    last: Some(last),
                    head_id,
                } => write!(
                    f,
                    "the trail ends at row {last} but its head is row {head_id}: rows were \
                     removed from the end, or the head was changed"
                ),
                Self::Truncated {
                    last: None,
                    head_id,
                } => write!(
                    f,
                    "the trail holds no rows but its head is row {head_id}: rows were removed"
                ),
                Self::Malformed(why) => f.write_str(why),
            }
        }
    }

    /// Checks that every row hashes to its `hash`, chains from the one
    /// before, and that the last is the head.
    pub fn verify_chain(export: &AuditExport) -> Result<(), ChainBreak> {
        if export.chain.algorithm != CHAIN_ALGORITHM {
            return Err(ChainBreak::Malformed(format!(
                "the chain uses {:?}, not {CHAIN_ALGORITHM}",
                export.chain.algorithm
            )));
        }
        // Order first: a swap is named as one, not as the broken link it
        // also makes.
        for pair in export.entries.windows(2) {
            if pair[1].id == pair[0].id {
                return Err(ChainBreak::Duplicate { id: pair[1].id });
            }
            if pair[1].id < pair[0].id {
                return Err(ChainBreak::OutOfOrder {
                    id: pair[1].id,
                    after: pair[0].id,
                });
            }
        }
        let (mut expected_prev, floor) = match &export.chain.pruned {
            Some(pruned) => (pruned.last_hash.as_str(), pruned.through_id),
            None => (GENESIS_HASH, 0),
        };
        let mut previous: Option<i64> = None;
        for entry in &export.entries {
            if previous.is_none() && entry.id <= floor {
                return Err(ChainBreak::OutOfOrder {
                    id: entry.id,
                    after: floor,
                });
            }
            if entry_hash(entry) != entry.hash {
                return Err(ChainBreak::Changed { id: entry.id });
            }
            if entry.prev_hash != expected_prev {
                return Err(ChainBreak::Unlinked {
                    id: entry.id,
                    after: previous,
                });
            }
            expected_prev = &entry.hash;
            previous = Some(entry.id);
        }
        let head_holds = match export.entries.last() {
            Some(last) => last.id == export.chain.head_id && last.hash == export.chain.head_hash,
            None => expected_prev == export.chain.head_hash,
        };
        if head_holds {
            Ok(())
        } else {
            Err(ChainBreak::Truncated {
                last: previous,
                head_id: export.chain.head_id,
            })
        }
    }

    /// How the signature stands.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum SignatureCheck {
        /// Made by the key `kid` over exactly these contents.
        Valid { kid: String },
        /// Not made by that key over these contents: the document was
        /// changed after it was signed.
        Invalid { kid: String },
        /// Made with a key not among those given.
        UnknownKey { kid: String },
        /// The algorithm is not Ed25519, or the value is not a signature.
        Unreadable(String),
    }

    /// What checking one exported document found.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Verdict {
        pub signature: SignatureCheck,
        pub chain: Result<(), ChainBreak>,
        pub rows: usize,
    }

    impl Verdict {
        pub fn holds(&self) -> bool {
            matches!(self.signature, SignatureCheck::Valid { .. }) && self.chain.is_ok()
        }
    }

    /// Reads one exported document and checks its signature against `keys`
    /// (`(kid, public key)`) and its chain. `Err`: it is no export at all.
    pub fn verify_export(bytes: &[u8], keys: &[(String, [u8; 32])]) -> Result<Verdict, String> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|error| format!("the file is not JSON: {error}"))?;
        let export: AuditExport = serde_json::from_value(value.clone())
            .map_err(|error| format!("the file is not an audit export: {error}"))?;
        if export.format != EXPORT_FORMAT {
            return Err(format!(
                "the file's format is {:?}, not {EXPORT_FORMAT}",
                export.format
            ));
        }
        let signature = check_signature(&value, &export.signature, keys);
        Ok(Verdict {
            signature,
            chain: verify_chain(&export),
            rows: export.entries.len(),
        })
    }

    fn check_signature(
        document: &Value,
        signature: &ExportSignature,
        keys: &[(String, [u8; 32])],
    ) -> SignatureCheck {
        let kid = signature.kid.clone();
        if signature.alg != SIGNATURE_ALGORITHM {
            return SignatureCheck::Unreadable(format!(
                "the signature's algorithm is {:?}, not {SIGNATURE_ALGORITHM}",
                signature.alg
            ));
        }
        let Some((_, public)) = keys.iter().find(|(id, _)| *id == kid) else {
            return SignatureCheck::UnknownKey { kid };
        };
        let Ok(key) = VerifyingKey::from_bytes(public) else {
            return SignatureCheck::Unreadable("the public key is not an Ed25519 key".into());
        };
        let Some(bytes) = URL_SAFE_NO_PAD
            .decode(&signature.value)
            .ok()
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        else {
            return SignatureCheck::Unreadable(
                "the signature value is not 64 bytes of base64url".into(),
            );
        };
        let Ok(signed) = signed_bytes(document) else {
            return SignatureCheck::Invalid { kid };
        };
        match key.verify_strict(&signed, &Signature::from_bytes(&bytes)) {
            Ok(()) => SignatureCheck::Valid { kid },
            Err(_) => SignatureCheck::Invalid { kid },
        }
    }

    /// The keys of a key set (`GET /v1/audit/keys`) a verifier can use.
    pub fn keys_of(set: &AuditKeys) -> Vec<(String, [u8; 32])> {
        set.keys
            .iter()
            .filter(|key| key.kty == "OKP" && key.crv == "Ed25519")
            .filter_map(|key| {
                let bytes = URL_SAFE_NO_PAD.decode(&key.x).ok()?;
                Some((key.kid.clone(), <[u8; 32]>::try_from(bytes).ok()?))
            })
            .collect()
    }
}

#[cfg(all(test, feature = "export"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_bytes_are_jcs() {
        // RFC 8785's rules for what an export holds: sorted keys (by UTF-16
        // units), no whitespace, minimal string escapes, plain integers.
        let value = json!({"b": [1, -2, true, null], "a": "é\"\\\n\u{1}", "A": {}});
        assert_eq!(
            canonical_json(&value).unwrap(),
            r#"{"A":{},"a":"é\"\\\n\u0001","b":[1,-2,true,null]}"#
        );
        assert_eq!(canonical_json(&json!(1.5)), Err(NotCanonical));
        assert_eq!(
            canonical_json(&json!(9_007_199_254_740_993u64)),
            Err(NotCanonical)
        );
        assert_eq!(
            canonical_json(&json!(9_007_199_254_740_991u64)).unwrap(),
            "9007199254740991"
        );
    }

    fn row(id: i64, action: &str) -> ChainedEntry {
        ChainedEntry {
            id,
            at: format!("2026-12-01T10:00:{:02}.000Z", id % 60),
            actor: "user".into(),
            user_id: "alice".into(),
            source: "oura".into(),
            action: action.into(),
            result: "connected".into(),
            aggregator: "thryve".into(),
            consent_version: Some("2026-11".into()),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn trail(ids: &[i64], pruned_from: Option<&str>) -> Vec<ChainedEntry> {
        let mut prev = pruned_from.unwrap_or(GENESIS_HASH).to_owned();
        ids.iter()
            .map(|id| {
                let entry = chained(row(*id, "connect"), &prev);
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    fn export(entries: Vec<ChainedEntry>, pruned: Option<PruningRecord>) -> AuditExport {
        let (head_id, head_hash) = entries.last().map_or_else(
            || (0, GENESIS_HASH.to_owned()),
            |last| (last.id, last.hash.clone()),
        );
        AuditExport {
            format: EXPORT_FORMAT.into(),
            user_id: "alice".into(),
            aggregator: "thryve".into(),
            exported_at: "2026-12-01T11:00:00.000Z".into(),
            chain: ChainSummary {
                algorithm: CHAIN_ALGORITHM.into(),
                head_id,
                head_hash,
                pruned,
            },
            entries,
            signature: ExportSignature {
                alg: SIGNATURE_ALGORITHM.into(),
                kid: "k".into(),
                value: String::new(),
            },
        }
    }

    #[test]
    fn a_hash_covers_every_field_and_the_row_before() {
        let base = chained(row(1, "connect"), GENESIS_HASH);
        assert_eq!(base.hash.len(), 64);
        assert_eq!(entry_hash(&base), base.hash);
        let variants: Vec<ChainedEntry> = vec![
            ChainedEntry {
                id: 2,
                ..base.clone()
            },
            ChainedEntry {
                at: "2026-12-01T10:00:02.000Z".into(),
                ..base.clone()
            },
            ChainedEntry {
                actor: "backend".into(),
                ..base.clone()
            },
            ChainedEntry {
                user_id: "bob".into(),
                ..base.clone()
            },
            ChainedEntry {
                source: "garmin".into(),
                ..base.clone()
            },
            ChainedEntry {
                action: "disconnect".into(),
                ..base.clone()
            },
            ChainedEntry {
                result: "failed".into(),
                ..base.clone()
            },
            ChainedEntry {
                aggregator: "rook".into(),
                ..base.clone()
            },
            ChainedEntry {
                consent_version: None,
                ..base.clone()
            },
            ChainedEntry {
                prev_hash: "1".repeat(64),
                ..base.clone()
            },
        ];
        for variant in variants {
            assert_ne!(entry_hash(&variant), base.hash, "{variant:?}");
        }
    }

    #[test]
    fn an_untouched_trail_verifies_and_an_empty_one_too() {
        assert_eq!(verify_chain(&export(trail(&[1, 2, 3], None), None)), Ok(()));
        assert_eq!(verify_chain(&export(Vec::new(), None)), Ok(()));
    }

    #[test]
    fn a_changed_row_is_named() {
        let mut entries = trail(&[1, 2, 3, 4], None);
        entries[2].result = "failed".into();
        assert_eq!(
            verify_chain(&export(entries.clone(), None)),
            Err(ChainBreak::Changed { id: 3 })
        );
        // Rehashing the changed row itself breaks the link to the next.
        entries[2] = chained(entries[2].clone(), &entries[1].hash.clone());
        assert_eq!(
            verify_chain(&export(entries, None)),
            Err(ChainBreak::Unlinked {
                id: 4,
                after: Some(3)
            })
        );
    }

    #[test]
    fn a_removed_row_is_named_by_the_row_after_it() {
        let full = trail(&[1, 2, 3, 4], None);
        let mut entries = full.clone();
        entries.remove(1);
        let mut document = export(entries, None);
        document.chain.head_hash = full[3].hash.clone();
        assert_eq!(
            verify_chain(&document),
            Err(ChainBreak::Unlinked {
                id: 3,
                after: Some(1)
            })
        );
        // The first row removed: the second does not start the trail.
        let mut document = export(full[1..].to_vec(), None);
        document.chain.head_hash = full[3].hash.clone();
        assert_eq!(
            verify_chain(&document),
            Err(ChainBreak::Unlinked { id: 2, after: None })
        );
        // The last row removed: the head is missing.
        let mut document = export(full[..3].to_vec(), None);
        document.chain.head_id = 4;
        document.chain.head_hash = full[3].hash.clone();
        assert_eq!(
            verify_chain(&document),
            Err(ChainBreak::Truncated {
                last: Some(3),
                head_id: 4
            })
        );
    }

    #[test]
    fn reordered_rows_are_named() {
        let mut entries = trail(&[1, 2, 3, 4], None);
        entries.swap(1, 2);
        assert_eq!(
            verify_chain(&export(entries, None)),
            Err(ChainBreak::OutOfOrder { id: 2, after: 3 })
        );
    }

    #[test]
    fn an_inserted_row_is_named() {
        let full = trail(&[1, 2, 4, 5], None);
        // A row forged between 2 and 4, chained correctly from 2: row 4
        // still chains from 2, not from the forgery.
        let forged = chained(row(3, "disconnect"), &full[1].hash);
        let mut entries = full.clone();
        entries.insert(2, forged.clone());
        assert_eq!(
            verify_chain(&export(entries, None)),
            Err(ChainBreak::Unlinked {
                id: 4,
                after: Some(3)
            })
        );
        // Given the id of the row it is slipped in front of.
        let mut entries = full.clone();
        entries.insert(2, chained(row(4, "disconnect"), &full[1].hash));
        assert_eq!(
            verify_chain(&export(entries, None)),
            Err(ChainBreak::Duplicate { id: 4 })
        );
        // Appended at the end: it is not the head the document names.
        let mut document = export(full.clone(), None);
        let appended = chained(row(6, "disconnect"), &full[3].hash);
        document.entries.push(appended);
        assert_eq!(
            verify_chain(&document),
            Err(ChainBreak::Truncated {
                last: Some(6),
                head_id: 5
            })
        );
    }

    #[test]
    fn a_pruned_trail_verifies_from_its_pruning_record() {
        let full = trail(&[1, 2, 3, 4, 5], None);
        let pruned = PruningRecord {
            rows: 2,
            through_id: 2,
            through_at: full[1].at.clone(),
            last_hash: full[1].hash.clone(),
        };
        assert_eq!(
            verify_chain(&export(full[2..].to_vec(), Some(pruned.clone()))),
            Ok(())
        );
        // Everything pruned: the head is the pruning record's hash.
        let all = PruningRecord {
            rows: 5,
            through_id: 5,
            through_at: full[4].at.clone(),
            last_hash: full[4].hash.clone(),
        };
        let mut document = export(Vec::new(), Some(all));
        document.chain.head_id = 5;
        document.chain.head_hash = full[4].hash.clone();
        assert_eq!(verify_chain(&document), Ok(()));
        // A record that hides a row more than was pruned is caught.
        assert_eq!(
            verify_chain(&export(full[3..].to_vec(), Some(pruned))),
            Err(ChainBreak::Unlinked { id: 4, after: None })
        );
    }

    #[test]
    fn breaks_read_as_sentences_naming_the_row() {
        for (chain_break, row) in [
            (ChainBreak::Changed { id: 7 }, "row 7"),
            (
                ChainBreak::Unlinked {
                    id: 7,
                    after: Some(5),
                },
                "row 7",
            ),
            (ChainBreak::Unlinked { id: 7, after: None }, "row 7"),
            (ChainBreak::OutOfOrder { id: 7, after: 9 }, "row 7"),
            (ChainBreak::Duplicate { id: 7 }, "id 7"),
            (
                ChainBreak::Truncated {
                    last: Some(7),
                    head_id: 9,
                },
                "row 9",
            ),
        ] {
            assert!(chain_break.to_string().contains(row), "{chain_break}");
        }
    }

    #[test]
    fn key_ids_name_the_key() {
        assert_eq!(key_id(&[1; 32]), key_id(&[1; 32]));
        assert_ne!(key_id(&[1; 32]), key_id(&[2; 32]));
        assert!(key_id(&[1; 32]).starts_with("ed25519-"));
    }

    #[test]
    fn a_document_that_is_no_export_is_refused_with_a_reason() {
        assert!(
            verify_export(b"not json", &[])
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            verify_export(br#"{"format":"x"}"#, &[])
                .unwrap_err()
                .contains("not an audit export")
        );
        let mut other = serde_json::to_value(export(Vec::new(), None)).unwrap();
        other["format"] = json!("something-else/9");
        let bytes = serde_json::to_vec(&other).unwrap();
        assert!(verify_export(&bytes, &[]).unwrap_err().contains("format"));
    }
}
