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

/// Writes a dotenv file with fresh random keys for one test run and returns
/// `(api_key, signing_key)`.
pub fn write_test_env(path: &Path) -> Result<(String, String)> {
    let api_key = random_hex(32)?;
    let signing_key = random_hex(32)?;
    std::fs::write(
        path,
        format!("{API_KEY}={api_key}\n{SIGNING_KEY}={signing_key}\n"),
    )
    .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok((api_key, signing_key))
}
