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

/// Makes sure `.dev.vars` (git-ignored; wrangler reads it for local
/// secrets) has both keys, adding random ones for whatever is missing.
pub fn ensure_dev_vars() -> Result {
    let path = root().join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut added = String::new();
    for name in [API_KEY, SIGNING_KEY] {
        if !existing
            .lines()
            .any(|line| line.trim_start().starts_with(&format!("{name}=")))
        {
            added.push_str(&format!("{name}={}\n", random_hex(32)?));
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    step("Creating local secrets in .dev.vars (random, git-ignored)");
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
