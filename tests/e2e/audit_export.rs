//! The signed audit export, checked from outside: on every aggregator's
//! edge a real trail exports, verifies with only the published key — by
//! our verifier (`cargo xtask verify-audit`, the shared code) and by an
//! independent one (`scripts/verify_audit.py`: Python's standard library
//! and the `cryptography` package) — and every way of tampering with it
//! is caught and names the row.

use std::path::{Path, PathBuf};
use std::process::Command;

use healthlink_shared::audit_export::{
    AuditExport, AuditKeys, ChainBreak, SignatureCheck, chained, keys_of, verify_export,
};
use healthlink_tests::edge::{Answer, Edge, client};
use healthlink_tests::{env, unique};
use reqwest::Method;
use serde_json::Value;

use crate::aggregator_support::{connect, disconnect};
use crate::flow_support::{redirect_body, walk_connect};

/// Connects `source` for the session's user on `edge`, through its flow.
async fn connect_on(edge: Edge, session: &str, source: &str) {
    let result = match edge {
        Edge::Sandbox => {
            let (back, _) = walk_connect(session, source, redirect_body("/"), true).await;
            assert_eq!(back.status, 303, "{}", back.body);
            let location =
                url::Url::parse(back.header("location").expect("a Location")).expect("a URL");
            location
                .query_pairs()
                .find(|(name, _)| name == "healthlink_result")
                .map(|(_, value)| value.into_owned())
                .expect("a result")
        }
        _ => connect(edge, session, source).await,
    };
    assert_eq!(result, "connected", "{edge:?}");
}

/// A user on `edge` with a trail: connect, disconnect, connect again.
async fn user_with_trail(edge: Edge) -> String {
    let user = unique("audit-export");
    let session = edge.session_for(&user).await;
    connect_on(edge, &session, "oura").await;
    let answer = disconnect(edge, &session, "oura").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    connect_on(edge, &session, "oura").await;
    user
}

async fn export(edge: Edge, user: &str) -> Vec<u8> {
    let answer =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/audit/export"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        answer.header("content-type")
    );
    answer.body.into_bytes()
}

/// The key set, read as a verifier would: no credentials.
async fn keys(edge: Edge) -> String {
    let answer = Answer::send(client().get(edge.url("/v1/audit/keys"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn artifact(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = env().artifacts.join("audit-exports");
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write artifact");
    path
}

/// Runs a verifier; its exit status and everything it printed.
fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("the verifier runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Both verifiers on one file: whether each accepted it, and what it said.
fn both_verifiers(file: &Path, keys: &Path) -> [(bool, String); 2] {
    [
        run(Command::new(&env().xtask)
            .arg("verify-audit")
            .arg(file)
            .arg("--keys")
            .arg(keys)),
        run(Command::new(&env().python)
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join("scripts")
                    .join("verify_audit.py"),
            )
            .arg(file)
            .arg(keys)),
    ]
}

#[tokio::test]
async fn every_aggregators_export_verifies_with_only_the_public_key() {
    for edge in [Edge::Sandbox, Edge::Thryve, Edge::Rook] {
        let user = user_with_trail(edge).await;
        let bytes = export(edge, &user).await;
        let key_set = keys(edge).await;
        let set: AuditKeys = serde_json::from_str(&key_set).expect("a key set");
        let verdict = verify_export(&bytes, &keys_of(&set)).expect("an export");
        assert!(verdict.holds(), "{edge:?}: {verdict:?}");

        let document: AuditExport = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(document.user_id, user);
        assert_eq!(document.aggregator, edge.name());
        assert_eq!(document.chain.pruned, None);
        // Every connect row — the user's return and, where the aggregator
        // confirms it, the aggregator's — names the consent text version
        // its flow showed; no other row does.
        let version = env().consent_version.as_str();
        let connects = document
            .entries
            .iter()
            .filter(|entry| entry.action == "connect")
            .count();
        assert!(connects >= 2, "{edge:?}: {:?}", document.entries);
        for entry in &document.entries {
            let expected = (entry.action == "connect").then_some(version);
            assert_eq!(
                entry.consent_version.as_deref(),
                expected,
                "{edge:?}: {entry:?}"
            );
        }
        // The same rows as the paged trail, which shows the version too.
        let page: healthlink_shared::AuditPage =
            Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/audit")))
                .await
                .json();
        assert_eq!(page.entries.len(), verdict.rows, "{edge:?}");
        let newest = &document.entries[verdict.rows - 1];
        assert_eq!(page.entries[0].id, newest.id);
        assert_eq!(page.entries[0].consent_version, newest.consent_version);

        let name = format!("{}-{user}", edge.name());
        let file = artifact(&format!("{name}.json"), &bytes);
        let keys_file = artifact(&format!("{name}-keys.json"), key_set.as_bytes());
        for (accepted, said) in both_verifiers(&file, &keys_file) {
            assert!(accepted, "{edge:?}: {said}");
            assert!(said.contains("intact"), "{said}");
            assert!(said.contains("valid"), "{said}");
        }
        // Canonical bytes: the same document pretty-printed still verifies.
        let pretty =
            serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap();
        assert!(verify_export(&pretty, &keys_of(&set)).unwrap().holds());
    }
}

/// The document with `change` applied to its JSON.
fn tampered(bytes: &[u8], change: impl FnOnce(&mut Vec<Value>, &mut Value)) -> Vec<u8> {
    let mut document: Value = serde_json::from_slice(bytes).unwrap();
    let mut entries = document["entries"].as_array().unwrap().clone();
    let mut chain = document["chain"].clone();
    change(&mut entries, &mut chain);
    document["entries"] = Value::Array(entries);
    document["chain"] = chain;
    serde_json::to_vec(&document).unwrap()
}

/// A row as a forger would write it: fields of their choosing, hashes
/// recomputed so that it chains from `prev_hash`.
fn forged(like: &Value, id: i64, prev_hash: &str) -> Value {
    let mut entry: healthlink_shared::audit_export::ChainedEntry =
        serde_json::from_value(like.clone()).unwrap();
    entry.id = id;
    entry.action = "connect".into();
    entry.source = "dexcom".into();
    serde_json::to_value(chained(entry, prev_hash)).unwrap()
}

#[tokio::test]
async fn tampering_in_each_way_is_caught_and_names_the_row() {
    let edge = Edge::Sandbox;
    let user = user_with_trail(edge).await;
    let bytes = export(edge, &user).await;
    let key_set = keys(edge).await;
    let keys = keys_of(&serde_json::from_str(&key_set).unwrap());
    let keys_file = artifact(&format!("tamper-{user}-keys.json"), key_set.as_bytes());
    let ids: Vec<i64> = serde_json::from_slice::<AuditExport>(&bytes)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.id)
        .collect();
    let [first, second, third] = ids[..] else {
        panic!("three rows: {ids:?}");
    };
    let cases: Vec<(&str, Vec<u8>, ChainBreak, String)> = vec![
        (
            "changed",
            tampered(&bytes, |entries, _| entries[1]["result"] = "failed".into()),
            ChainBreak::Changed { id: second },
            format!("row {second} was changed"),
        ),
        (
            "removed",
            tampered(&bytes, |entries, _| {
                entries.remove(1);
            }),
            ChainBreak::Unlinked {
                id: third,
                after: Some(first),
            },
            format!("row {third} does not chain from row {first}"),
        ),
        (
            "reordered",
            tampered(&bytes, |entries, _| entries.swap(1, 2)),
            ChainBreak::OutOfOrder {
                id: second,
                after: third,
            },
            format!("row {second} comes after row {third}"),
        ),
        (
            // A forged row between two real ones, chained from the first
            // with its own hash right; the trail's ids leave it no number
            // of its own.
            "inserted",
            tampered(&bytes, |entries, _| {
                let prev = entries[0]["hash"].as_str().unwrap().to_owned();
                let row = forged(&entries[0], second, &prev);
                entries.insert(1, row);
            }),
            ChainBreak::Duplicate { id: second },
            format!("two rows carry id {second}"),
        ),
        (
            // Cut from the end: only the head, kept apart, shows it.
            "truncated",
            tampered(&bytes, |entries, _| {
                entries.pop();
            }),
            ChainBreak::Truncated {
                last: Some(second),
                head_id: third,
            },
            format!("the trail ends at row {second} but its head is row {third}"),
        ),
    ];
    for (how, file_bytes, expected, named) in cases {
        let verdict = verify_export(&file_bytes, &keys).expect("still an export");
        assert_eq!(verdict.chain, Err(expected), "{how}");
        assert!(
            matches!(verdict.signature, SignatureCheck::Invalid { .. }),
            "{how}: {verdict:?}"
        );
        let file = artifact(&format!("tamper-{user}-{how}.json"), &file_bytes);
        let [(ours_ok, ours), (python_ok, python)] = both_verifiers(&file, &keys_file);
        assert!(!ours_ok && ours.contains(&named), "{how}: {ours}");
        assert!(!python_ok && python.contains(&named), "{how}: {python}");
    }

    // A forger who appends a well-chained row and moves the head to it
    // makes a chain that holds: only the signature stands in the way.
    let appended = tampered(&bytes, |entries, chain| {
        let last = entries.last().unwrap().clone();
        let row = forged(&last, third + 1, last["hash"].as_str().unwrap());
        chain["head_id"] = row["id"].clone();
        chain["head_hash"] = row["hash"].clone();
        entries.push(row);
    });
    let verdict = verify_export(&appended, &keys).unwrap();
    assert_eq!(verdict.chain, Ok(()));
    assert!(!verdict.holds(), "{verdict:?}");
    let file = artifact(&format!("tamper-{user}-appended.json"), &appended);
    for (accepted, said) in both_verifiers(&file, &keys_file) {
        assert!(!accepted && said.contains("INVALID"), "{said}");
    }

    // Any one character changed anywhere — in any string, the signature
    // value included — and the document no longer verifies.
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    let mut paths = Vec::new();
    string_paths(&document, String::new(), &mut paths);
    assert!(paths.len() > 30, "{}", paths.len());
    for path in paths {
        let mut changed = document.clone();
        let text = changed.pointer_mut(&path).unwrap();
        let mut value = text.as_str().unwrap().to_owned();
        let last = value
            .pop()
            .map_or('x', |c| if c == 'A' { 'B' } else { 'A' });
        value.push(last);
        *text = Value::String(value);
        // (A changed `format` is no export at all: refused outright.)
        let holds = verify_export(&serde_json::to_vec(&changed).unwrap(), &keys)
            .is_ok_and(|verdict| verdict.holds());
        assert!(!holds, "changing {path} went unseen");
    }
}

/// JSON pointers to every string in `value`.
fn string_paths(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(at),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                string_paths(item, format!("{at}/{index}"), out);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                string_paths(member, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}
