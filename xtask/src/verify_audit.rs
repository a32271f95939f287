//! `cargo xtask verify-audit FILE --keys KEYS.json | --key X`: checks an
//! audit export (`GET /v1/users/{user_id}/audit/export`) offline: every
//! row's hash, every link of the chain, the chain head, and the Ed25519
//! signature against the edge's published key (`GET /v1/audit/keys`).
//! Says which row breaks, if any, and fails unless everything holds.

use healthlink_shared::audit_export::{AuditKeys, SignatureCheck, key_id, keys_of, verify_export};

use crate::Result;

const USAGE: &str = "usage: cargo xtask verify-audit FILE (--keys KEYS.json | --key PUBLIC_KEY)\n\
  FILE      an export from GET /v1/users/{user_id}/audit/export\n\
  --keys    the edge's key set, saved from GET /v1/audit/keys\n\
  --key     one Ed25519 public key, base64url (a key set's `x`)";

/// The task: reads the files, prints the verdict, fails unless it holds.
pub fn run(args: &[String]) -> Result {
    let (file, keys) = parse_args(args)?;
    let bytes = std::fs::read(&file).map_err(|e| format!("reading {file}: {e}"))?;
    let verdict = verify_export(&bytes, &keys)?;
    let signature = match &verdict.signature {
        SignatureCheck::Valid { kid } => format!("valid (key {kid})"),
        SignatureCheck::Invalid { kid } => format!(
            "INVALID: key {kid} did not sign these contents; the file was changed after export"
        ),
        SignatureCheck::UnknownKey { kid } => {
            format!("NOT CHECKED: the file names key {kid}, which is not among the keys given")
        }
        SignatureCheck::Unreadable(why) => format!("UNREADABLE: {why}"),
    };
    let chain = match &verdict.chain {
        Ok(()) => format!("intact ({} rows)", verdict.rows),
        Err(broken) => format!("BROKEN: {broken}"),
    };
    println!("{file}\n  signature: {signature}\n  chain:     {chain}");
    if verdict.holds() {
        println!("  verdict:   the trail is as the edge exported it");
        Ok(())
    } else {
        Err(format!("{file} does not verify"))
    }
}

/// A key id and its Ed25519 public key.
type Key = (String, [u8; 32]);

fn parse_args(args: &[String]) -> Result<(String, Vec<Key>)> {
    let (mut file, mut keys) = (None, Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--keys" => {
                let path = rest.next().ok_or(USAGE)?;
                let text =
                    std::fs::read(path).map_err(|e| format!("reading the key set {path}: {e}"))?;
                let set: AuditKeys = serde_json::from_slice(&text)
                    .map_err(|e| format!("{path} is not a key set from /v1/audit/keys: {e}"))?;
                keys.extend(keys_of(&set));
            }
            "--key" => keys.push(public_key(rest.next().ok_or(USAGE)?)?),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            path if file.is_none() => file = Some(path.to_owned()),
            _ => return Err(USAGE.to_owned()),
        }
    }
    match (file, keys.is_empty()) {
        (Some(file), false) => Ok((file, keys)),
        // Without a key anyone could have recomputed every hash: a chain
        // alone proves nothing about who wrote it.
        _ => Err(USAGE.to_owned()),
    }
}

/// One key given as its base64url bytes, named by its key id.
fn public_key(text: &str) -> Result<Key> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or("--key takes an Ed25519 public key: 32 bytes, base64url")?;
    Ok((key_id(&bytes), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn a_file_and_a_key_are_both_required() {
        let key = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let (file, keys) = parse_args(&args(&["export.json", "--key", key])).unwrap();
        assert_eq!(file, "export.json");
        assert_eq!(keys.len(), 1);
        assert!(keys[0].0.starts_with("ed25519-"));
        assert!(parse_args(&args(&["export.json"])).is_err());
        assert!(parse_args(&args(&["--key", key])).is_err());
        assert!(parse_args(&args(&["export.json", "--key", "short"])).is_err());
        assert!(parse_args(&args(&["export.json", "--key"])).is_err());
        assert!(parse_args(&args(&["a.json", "b.json", "--key", key])).is_err());
        assert!(parse_args(&args(&["export.json", "--sign", key])).is_err());
    }
}
