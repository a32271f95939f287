//! After a run: no secret and no token in anything the edges sent (the
//! recorders' copies of their answers, the receiver's of the events they
//! pushed) or logged. Session tokens are the one thing an edge
//! does send on purpose, once, to the backend that asked for it.

use std::path::Path;

use aho_corasick::AhoCorasick;

use crate::secrets::TestSecrets;
use crate::{Result, step};

/// Scans the edges' logs and sent bytes of one run. `artifacts` holds the
/// token lists the suite wrote (`issued-tokens.txt`, …).
pub fn check_run(
    artifacts: &Path,
    secrets: &TestSecrets,
    logs: &[&Path],
    records: &[&Path],
) -> Result {
    step("Scanning everything the edges sent and logged for secrets and tokens");
    let read = |name: &str| std::fs::read_to_string(artifacts.join(name)).unwrap_or_default();
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let session_tokens = lines(&read("issued-tokens.txt"));
    let aggregator_tokens = lines(&read("aggregator-tokens.txt"));
    let end_users = lines(&read("aggregator-end-users.txt"));
    let users = lines(&read("issued-users.txt"));
    let link_tokens = lines(&read("issued-link-tokens.txt"));
    let secret_needles = secrets.all();
    // Logs: nothing at all, not even a session token.
    let mut log_never = secret_needles.clone();
    log_never.extend(tagged("a session token", &session_tokens));
    log_never.extend(tagged(
        "a Thryve end-user id or connection token",
        &aggregator_tokens,
    ));
    // Sent bytes: no secret and no end-user id; a session token only in
    // the answer that minted it. (Thryve connection tokens are part of the
    // connect URL the widget opens, by design.)
    let mut sent_never = secret_needles;
    sent_never.extend(tagged("a Thryve end-user id", &end_users));
    // (A hosted link's token is a URL by design: the answer that minted it
    // and a flow's redirect back to the link's page carry it.)
    let sent_once: Vec<_> = tagged("a session token", &session_tokens).collect();

    let mut problems = Vec::new();
    let mut scanned = (0usize, 0usize);
    // The Worker's own lines name no user and no link token.
    let worker_never: Vec<_> = tagged("a user id", &users)
        .chain(tagged("a hosted link token", &link_tokens))
        .collect();
    for log in logs {
        let bytes = std::fs::read(log).unwrap_or_default();
        scanned.0 += bytes.len();
        // The Worker's own lines may not name a user either. (wrangler dev's
        // request lines show each path, as Cloudflare's request logs would;
        // those are the platform's, not the edge's.)
        let workers_lines: Vec<u8> = String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| !line.starts_with("[wrangler:info]"))
            .flat_map(|line| format!("{line}\n").into_bytes())
            .collect();
        let findings = scan(&bytes, &log_never, &[]).into_iter().chain(scan(
            &workers_lines,
            &worker_never,
            &[],
        ));
        for finding in findings {
            problems.push(format!(
                "{}: {} ×{}",
                log.display(),
                finding.what,
                finding.count
            ));
        }
    }
    for record in records {
        let bytes =
            std::fs::read(record).map_err(|e| format!("reading {}: {e}", record.display()))?;
        scanned.1 += bytes.len();
        for finding in scan(&bytes, &sent_never, &sent_once) {
            problems.push(format!(
                "{}: {} ×{}",
                record.display(),
                finding.what,
                finding.count
            ));
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("    {problem}");
        }
        return Err(format!("{} leak(s) of secrets or tokens", problems.len()));
    }
    eprintln!(
        "    clean: {} bytes sent and {} log bytes from {} edges; {} secrets, {} session tokens, {} link tokens, {} aggregator references, {} user ids checked",
        scanned.1,
        scanned.0,
        logs.len(),
        secrets.all().len(),
        session_tokens.len(),
        link_tokens.len(),
        aggregator_tokens.len() + end_users.len(),
        users.len()
    );
    Ok(())
}

fn tagged<'a>(what: &'a str, list: &'a [String]) -> impl Iterator<Item = (&'a str, &'a str)> {
    list.iter().map(move |token| (what, token.as_str()))
}

/// A leak found in a record: what it was, and how often it appeared.
pub struct Finding {
    pub what: String,
    pub count: usize,
}

/// Scans `record` for `never` (may not appear at all) and `once` (may
/// appear at most once: a session token in the response that minted it).
/// One pass over the record for all needles (Aho-Corasick), since a load
/// run sends megabytes and mints thousands of tokens.
pub fn scan(record: &[u8], never: &[(&str, &str)], once: &[(&str, &str)]) -> Vec<Finding> {
    let needles: Vec<(&str, &str, usize)> = never
        .iter()
        .map(|(what, needle)| (*what, *needle, 0))
        .chain(once.iter().map(|(what, needle)| (*what, *needle, 1)))
        .filter(|(_, needle, _)| !needle.is_empty())
        .collect();
    let Ok(automaton) = AhoCorasick::new(needles.iter().map(|(_, needle, _)| needle)) else {
        return vec![Finding {
            what: "the scan could not be built".to_owned(),
            count: 1,
        }];
    };
    let mut counts = vec![0usize; needles.len()];
    for found in automaton.find_overlapping_iter(record) {
        counts[found.pattern().as_usize()] += 1;
    }
    needles
        .iter()
        .zip(counts)
        .filter(|((_, _, allowed), count)| count > allowed)
        .map(|((what, _, allowed), count)| Finding {
            what: if *allowed == 0 {
                (*what).to_owned()
            } else {
                format!("{what} (beyond the response that minted it)")
            },
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secrets_anywhere_and_tokens_seen_twice() {
        let record = b"HTTP/1.1 200 OK\r\n\r\n{\"session_token\":\"tok1\"}\n\0\nX tok1 key9";
        let findings = scan(
            record,
            &[("the signing key", "key9"), ("absent", "zzz")],
            &[("a session token", "tok1")],
        );
        let found: Vec<(&str, usize)> = findings
            .iter()
            .map(|f| (f.what.as_str(), f.count))
            .collect();
        assert_eq!(
            found,
            [
                ("the signing key", 1),
                ("a session token (beyond the response that minted it)", 2)
            ]
        );
    }

    #[test]
    fn a_token_seen_once_is_fine() {
        assert!(scan(b"abc tok1 def", &[], &[("a session token", "tok1")]).is_empty());
    }
}
