//! schemathesis (from PyPI), in a virtualenv of its own under target/: the
//! end-to-end suite runs it against the edge's `/openapi.json`.

use std::path::PathBuf;
use std::process::Command;

use crate::process::{exec, output};
use crate::{Result, root, step};

const VERSION: &str = "4.32.5";

/// The `schemathesis` executable at the pinned version, installed when
/// missing or at another version.
pub fn ensure() -> Result<PathBuf> {
    let venv = root().join("target").join("tools").join("schemathesis");
    let binary = venv.join("bin").join("schemathesis");
    let installed = output(Command::new(&binary).arg("--version")).unwrap_or_default();
    if installed.contains(VERSION) {
        return Ok(binary);
    }
    step(&format!(
        "Installing schemathesis {VERSION} (PyPI) into {}",
        venv.display()
    ));
    let _ = std::fs::remove_dir_all(&venv);
    exec(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    exec(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={VERSION}")),
    )?;
    Ok(binary)
}
