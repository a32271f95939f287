//! Installs the tools the project needs, each only when missing or at the
//! wrong version. Sources are limited to what an offline-ish machine reaches:
//! crates.io (`cargo install`), the npm registry (`npm install`) and Debian
//! (`apt-get`). Nothing is downloaded from GitHub or a browser vendor.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{exec, output};
use crate::{Result, root, step};

const TRUNK_VERSION: &str = "0.21.14";
const WORKER_BUILD_VERSION: &str = "0.8.7";
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Debian's Chromium; `/usr/bin/chromium` is a wrapper script, chromedriver
/// must be given the real binary.
pub const CHROMIUM_BINARY: &str = "/usr/lib/chromium/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where the installed tools are, and the environment builds run with.
pub struct Toolchain {
    cargo_bin: PathBuf,
    pub node_bin: PathBuf,
}

impl Toolchain {
    /// Where the tools are (or will be), installing nothing.
    pub fn locate() -> Self {
        Self {
            cargo_bin: cargo_home().join("bin"),
            node_bin: root().join("node_modules").join(".bin"),
        }
    }

    /// Installs what is missing for building and running the project.
    pub fn ensure() -> Result<Self> {
        let toolchain = Self::locate();
        ensure_wasm_target()?;
        let wasm_bindgen = wasm_bindgen_version()?;
        toolchain.ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &wasm_bindgen)?;
        toolchain.ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION)?;
        toolchain.ensure_cargo_tool("worker-build", "worker-build", WORKER_BUILD_VERSION)?;
        ensure_npm_packages()?;
        Ok(toolchain)
    }

    /// A command whose environment finds the pinned tools first and keeps
    /// wrangler, workerd and friends from phoning home.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.node_bin.clone(), self.cargo_bin.clone()];
        paths.extend(std::env::split_paths(&path));
        command
            .current_dir(root())
            .env(
                "PATH",
                std::env::join_paths(paths).expect("PATH entries are valid"),
            )
            // worker-build downloads these unless told where they are.
            .env("WASM_BINDGEN_BIN", self.cargo_bin.join("wasm-bindgen"))
            .env("WASM_OPT_BIN", self.node_bin.join("wasm-opt"))
            .env("ESBUILD_BIN", self.node_bin.join("esbuild"))
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_HIDE_BANNER", "true");
        command
    }

    /// cargo-fuzz at the pinned version. Only the copy in `$CARGO_HOME/bin`
    /// is checked: cargo looks for subcommands there before PATH, so that is
    /// the one `cargo fuzz` runs.
    pub fn ensure_cargo_fuzz(&self) -> Result {
        self.ensure_cargo_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)
    }

    pub fn node_bin(&self, name: &str) -> PathBuf {
        self.node_bin.join(name)
    }

    fn ensure_cargo_tool(&self, binary: &str, krate: &str, version: &str) -> Result {
        let installed = output(Command::new(self.cargo_bin.join(binary)).arg("--version"));
        if installed.is_some_and(|line| line.split_whitespace().any(|word| word == version)) {
            return Ok(());
        }
        step(&format!(
            "Installing {krate} {version} from crates.io (a one-time build of a few minutes)"
        ));
        let spec = format!("{krate}@{version}");
        let locked = exec(Command::new("cargo").args(["install", "--locked", &spec]));
        if locked.is_err() {
            // Some published lock files name versions the registry index no
            // longer has (seen with wasm-bindgen-cli); resolve afresh instead.
            eprintln!("    --locked install failed; retrying with fresh dependency resolution");
            exec(Command::new("cargo").args(["install", "--force", &spec]))?;
        }
        Ok(())
    }
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .expect("CARGO_HOME or HOME is set")
}

fn ensure_wasm_target() -> Result {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    if installed.is_some_and(|targets| targets.lines().any(|line| line.trim() == WASM_TARGET)) {
        return Ok(());
    }
    step(&format!("Adding the {WASM_TARGET} Rust target"));
    exec(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The wasm-bindgen version in Cargo.lock. The CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|error| format!("reading Cargo.lock: {error}"))?;
    locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".to_owned())
}

fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_owned());
        }
    }
    None
}

/// `npm install`, skipped when node_modules already matches package.json and
/// package-lock.json. (`npm ci` cannot be used: the registry here does not
/// serve other platforms' optional packages, so the lock cannot list them.)
fn ensure_npm_packages() -> Result {
    let root = root();
    let mut hasher = DefaultHasher::new();
    for file in ["package.json", "package-lock.json"] {
        std::fs::read(root.join(file))
            .unwrap_or_default()
            .hash(&mut hasher);
    }
    let fingerprint = format!("{:016x}", hasher.finish());
    let stamp = root.join("node_modules").join(".healthlink-installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|found| found == fingerprint) {
        return Ok(());
    }
    step(
        "Installing wrangler, Node 22, binaryen, esbuild, axe-core and standardwebhooks from npm (pinned in package.json)",
    );
    exec(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&root),
    )?;
    std::fs::write(&stamp, fingerprint).map_err(|error| format!("writing {stamp:?}: {error}"))
}

/// Debian's Chromium and chromedriver, for the browser tests.
pub fn ensure_chromium() -> Result {
    if Path::new(CHROMIUM_BINARY).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        return Err(format!(
            "the browser tests need Chromium and chromedriver ({CHROMIUM_BINARY}, {CHROMEDRIVER}).\n\
             Install them with:  sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
        ));
    }
    step("Installing Chromium and chromedriver from Debian");
    exec(Command::new("apt-get").arg("update"))?;
    exec(
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "leptos"), None);
    }
}
