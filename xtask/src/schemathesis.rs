//! schemathesis (from PyPI), in a virtualenv of its own under target/: the
//! end-to-end suite runs it against the edge's `/openapi.json`. The same
//! virtualenv holds `cryptography`, which the suite's independent audit
//! verifier (`scripts/verify_audit.py`) needs: its `python` is beside
//! `schemathesis`.

use std::path::PathBuf;
use std::process::Command;

use crate::process::{exec, output};
use crate::{Result, root, step};

const VERSION: &str = "4.32.5";
const CRYPTOGRAPHY: &str = "50.0.2";

/// The `schemathesis` executable at the pinned version, installed when
/// missing or at another version.
pub fn ensure() -> Result<PathBuf> {
    let venv = root().join("target").join("tools").join("schemathesis");
    let binary = venv.join("bin").join("schemathesis");
    let installed = output(Command::new(&binary).arg("--version")).unwrap_or_default();
    let crypto = output(
        Command::new(venv.join("bin").join("python"))
            .args(["-c", "import cryptography; print(cryptography.__version__)"]),
    )
    .unwrap_or_default();
    if installed.contains(VERSION) && crypto.trim() == CRYPTOGRAPHY {
        return Ok(binary);
    }
    step(&format!(
        "Installing schemathesis {VERSION} and cryptography {CRYPTOGRAPHY} (PyPI) into {}",
        venv.display()
    ));
    let _ = std::fs::remove_dir_all(&venv);
    exec(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    exec(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={VERSION}"))
            .arg(format!("cryptography=={CRYPTOGRAPHY}")),
    )?;
    Ok(binary)
}
