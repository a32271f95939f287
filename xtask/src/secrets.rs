//! Local secrets for `wrangler dev`: random keys, never committed.

use std::io::Read;
use std::path::Path;

use crate::{Result, root, step};

pub const API_KEY: &str = "HEALTHLINK_API_KEY";
pub const SIGNING_KEY: &str = "HEALTHLINK_SIGNING_KEY";

/// The edge's Standard Webhooks signing secret for its event deliveries,
/// and the one it replaces while a rotation is under way (both sign).
pub const EVENTS_SECRET: &str = "HEALTHLINK_EVENTS_SECRET";
pub const EVENTS_SECRET_PREVIOUS: &str = "HEALTHLINK_EVENTS_SECRET_PREVIOUS";

/// The test edges that push events, and whether each is mid-rotation (ROOK
/// is, so every run checks that both signatures arrive and verify). The
/// misconfigured edge is left out on purpose: it gets no events settings.
pub const EVENTS_EDGES: [(&str, bool); 3] = [("sandbox", false), ("thryve", false), ("rook", true)];

/// `bytes` random bytes from the OS.
fn random_bytes(bytes: usize) -> Result<Vec<u8>> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut buffer))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(buffer)
}

/// `bytes` random bytes from the OS, hex-encoded.
pub fn random_hex(bytes: usize) -> Result<String> {
    Ok(random_bytes(bytes)?
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// A Standard Webhooks secret: `whsec_` and the standard (padded) base64 of
/// 32 random bytes. 32 rather than the minimum 24, so the encoding ends in
/// padding and the edge's decoder is exercised on it.
pub fn random_webhook_secret() -> Result<String> {
    use base64::Engine;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes(32)?)
    ))
}

/// What a development edge runs with besides its keys: the sandbox, the demo
/// page, and the demo page as the redirect flows' return URL. These live in
/// `.dev.vars`, never in wrangler.toml's `[vars]`, so no deploy inherits them.
pub fn development_vars(port: u16) -> [(&'static str, String); 4] {
    [
        ("HEALTHLINK_AGGREGATOR", "sandbox".to_owned()),
        ("HEALTHLINK_DEMO", "true".to_owned()),
        (
            "HEALTHLINK_RETURN_URLS",
            format!("http://127.0.0.1:{port}/demo/"),
        ),
        ("HEALTHLINK_APP_NAME", "Healthlink demo".to_owned()),
    ]
}

/// Makes sure `.dev.vars` (git-ignored; wrangler reads it for local
/// secrets and variables) has both keys and the development values, adding
/// random keys and the defaults for whatever is missing. Lines already there
/// are the developer's and stay as they are.
pub fn ensure_dev_vars(port: u16) -> Result {
    let path = root().join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut added = String::new();
    let mut wanted = vec![(API_KEY, random_hex(32)?), (SIGNING_KEY, random_hex(32)?)];
    wanted.extend(development_vars(port));
    for (name, value) in wanted {
        if !existing
            .lines()
            .any(|line| line.trim_start().starts_with(&format!("{name}=")))
        {
            added.push_str(&format!("{name}={value}\n"));
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    step("Writing local secrets and development settings to .dev.vars (git-ignored)");
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    std::fs::write(&path, format!("{existing}{separator}{added}"))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Aggregator credentials the test edges get; the emulators check that
/// exactly these arrive (they read them from the same secrets file).
pub const AGGREGATOR_SECRETS: [&str; 8] = [
    "THRYVE_USERNAME",
    "THRYVE_PASSWORD",
    "THRYVE_AUTH_ID",
    "THRYVE_AUTH_SECRET",
    "THRYVE_WEBHOOK_SECRET",
    "ROOK_CLIENT_UUID",
    "ROOK_SECRET_KEY",
    "ROOK_WEBHOOK_SECRET",
];

/// The secrets of one test run, all random.
pub struct TestSecrets {
    pub api_key: String,
    pub signing_key: String,
    pub aggregator: Vec<(&'static str, String)>,
    /// Each events edge's signing secrets; only that edge is given them.
    pub events: Vec<EventsSecret>,
}

/// One events signing secret of one edge.
pub struct EventsSecret {
    pub edge: &'static str,
    /// [`EVENTS_SECRET`] or [`EVENTS_SECRET_PREVIOUS`].
    pub variable: &'static str,
    pub value: String,
    /// What a leak scan names it: the variable and the edge.
    label: String,
}

impl TestSecrets {
    /// Every secret value with a name, for leak scans.
    pub fn all(&self) -> Vec<(&str, &str)> {
        let mut all = self.shared();
        all.extend(
            self.events
                .iter()
                .map(|secret| (secret.label.as_str(), secret.value.as_str())),
        );
        all
    }

    /// The secrets every configured edge gets, by variable name.
    fn shared(&self) -> Vec<(&str, &str)> {
        let mut shared = vec![
            (API_KEY, self.api_key.as_str()),
            (SIGNING_KEY, self.signing_key.as_str()),
        ];
        shared.extend(
            self.aggregator
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        shared
    }

    /// The events secrets of `edge`, current first.
    pub fn events_of(&self, edge: &str) -> Vec<&EventsSecret> {
        let mut secrets: Vec<&EventsSecret> = self
            .events
            .iter()
            .filter(|secret| secret.edge == edge)
            .collect();
        secrets.sort_by_key(|secret| secret.variable != EVENTS_SECRET);
        secrets
    }

    /// Writes `edge`'s secrets file: the shared secrets and its own events
    /// secrets (none for an edge outside [`EVENTS_EDGES`]).
    pub fn write_edge_env(&self, path: &Path, edge: &str) -> Result {
        let shared = self.shared();
        let events = self.events_of(edge);
        let lines = shared.iter().copied().chain(
            events
                .iter()
                .map(|secret| (secret.variable, secret.value.as_str())),
        );
        write_env(path, lines)
    }
}

fn write_env<'a>(path: &Path, lines: impl Iterator<Item = (&'a str, &'a str)>) -> Result {
    let contents: String = lines
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    std::fs::write(path, contents).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Writes a dotenv file with fresh random secrets for one test run (the
/// ones the sandbox, Thryve and ROOK edges share; the emulators read their
/// credentials from it) and returns them, with each events edge's own.
pub fn write_test_env(path: &Path) -> Result<TestSecrets> {
    let mut events = Vec::new();
    for (edge, rotating) in EVENTS_EDGES {
        let variables: &[&'static str] = if rotating {
            &[EVENTS_SECRET, EVENTS_SECRET_PREVIOUS]
        } else {
            &[EVENTS_SECRET]
        };
        for &variable in variables {
            events.push(EventsSecret {
                edge,
                variable,
                value: random_webhook_secret()?,
                label: format!("{variable} of the {edge} edge"),
            });
        }
    }
    let secrets = TestSecrets {
        api_key: random_hex(32)?,
        signing_key: random_hex(32)?,
        aggregator: AGGREGATOR_SECRETS
            .iter()
            .map(|name| Ok((*name, random_hex(16)?)))
            .collect::<Result<_>>()?,
        events,
    };
    write_env(path, secrets.shared().into_iter())?;
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .expect("written")
            .lines()
            .filter_map(|line| line.split_once('=').map(|(name, _)| name.to_owned()))
            .collect()
    }

    #[test]
    fn each_events_edge_gets_only_its_own_events_secrets() {
        let dir = std::env::temp_dir().join(format!("xtask-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let secrets = write_test_env(&dir.join("test.env")).expect("secrets");
        assert!(!names(&dir.join("test.env")).contains(&EVENTS_SECRET.to_owned()));
        for (edge, expected) in [
            ("sandbox", &[EVENTS_SECRET][..]),
            ("rook", &[EVENTS_SECRET, EVENTS_SECRET_PREVIOUS][..]),
            ("misconfigured", &[][..]),
        ] {
            let path = dir.join(format!("{edge}.env"));
            secrets.write_edge_env(&path, edge).expect("written");
            let events: Vec<String> = names(&path)
                .into_iter()
                .filter(|name| name.starts_with("HEALTHLINK_EVENTS_"))
                .collect();
            assert_eq!(events, expected, "{edge}");
        }
        let values: Vec<&str> = secrets.events.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values.len(), 4);
        for value in &values {
            use base64::Engine;
            let key = value.strip_prefix("whsec_").expect("whsec_ prefix");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .expect("standard base64");
            assert_eq!(bytes.len(), 32);
        }
        assert!(
            values
                .iter()
                .all(|value| secrets.all().iter().any(|(_, v)| v == value)),
            "the leak scan looks for every events secret"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
