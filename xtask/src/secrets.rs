//! Local secrets for `wrangler dev`: random keys, never committed.

use std::io::Read;
use std::path::Path;

use crate::{Result, root, step};

pub const API_KEY: &str = "HEALTHLINK_API_KEY";
pub const SIGNING_KEY: &str = "HEALTHLINK_SIGNING_KEY";

/// `bytes` random bytes from the OS, hex-encoded.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut buffer))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
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
}

impl TestSecrets {
    /// Every secret value with a name, for leak scans.
    pub fn all(&self) -> Vec<(&str, &str)> {
        let mut all = vec![
            (API_KEY, self.api_key.as_str()),
            (SIGNING_KEY, self.signing_key.as_str()),
        ];
        all.extend(
            self.aggregator
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        all
    }
}

/// Writes a dotenv file with fresh random secrets for one test run (shared
/// by the sandbox, Thryve and ROOK edges) and returns them.
pub fn write_test_env(path: &Path) -> Result<TestSecrets> {
    let secrets = TestSecrets {
        api_key: random_hex(32)?,
        signing_key: random_hex(32)?,
        aggregator: AGGREGATOR_SECRETS
            .iter()
            .map(|name| Ok((*name, random_hex(16)?)))
            .collect::<Result<_>>()?,
    };
    let contents: String = secrets
        .all()
        .iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    std::fs::write(path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(secrets)
}
