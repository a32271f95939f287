//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::time::Duration;

use crate::process::exec;
use crate::tools::{CHROMEDRIVER, CHROMIUM_BINARY, Toolchain, ensure_chromium};
use crate::wrangler::{Wrangler, WranglerOptions, free_port};
use crate::{Result, build, root, secrets, step};

const WASM_CRATES: [&str; 3] = ["healthlink-shared", "healthlink-edge", "healthlink-widget"];

pub fn run() -> Result {
    // Ctrl-C reaches the child processes (they share our process group) and
    // ends them; xtask itself stays alive long enough to stop wrangler, which
    // runs in a group of its own.
    let _ = ctrlc::set_handler(|| eprintln!("\nxtask: interrupted, cleaning up…"));

    let toolchain = Toolchain::ensure()?;
    ensure_chromium()?;

    step("cargo fmt --check");
    exec(toolchain.command("cargo").args(["fmt", "--all", "--check"]))?;

    step("clippy (host, -D warnings)");
    exec(toolchain.command("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("clippy (wasm32, -D warnings)");
    let mut clippy_wasm = toolchain.command("cargo");
    clippy_wasm.args(["clippy", "--quiet", "--target", "wasm32-unknown-unknown"]);
    for krate in WASM_CRATES {
        clippy_wasm.args(["--package", krate]);
    }
    exec(clippy_wasm.args(["--", "-D", "warnings"]))?;

    step("Unit tests (native)");
    exec(toolchain.command("cargo").args(["test", "--quiet"]))?;

    build::all(&toolchain)?;
    end_to_end(&toolchain)
}

/// Starts `wrangler dev` on a free port, runs the black-box suite against it
/// and always stops it again.
fn end_to_end(toolchain: &Toolchain) -> Result {
    let artifacts = root().join("target").join("e2e");
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("creating {artifacts:?}: {e}"))?;

    // Compile the suite before starting wrangler, so the server does not sit
    // idle through a cold build.
    step("Building the end-to-end suite");
    exec(toolchain.command("cargo").args([
        "test",
        "--quiet",
        "--package",
        "healthlink-tests",
        "--test",
        "e2e",
        "--no-run",
    ]))?;

    let edge_port = free_port()?;
    let host_port = free_port()?;
    let host_origin = format!("http://127.0.0.1:{host_port}");
    step(&format!(
        "Starting wrangler dev on 127.0.0.1:{edge_port} (host page origin {host_origin})"
    ));
    let tokens_file = artifacts.join("issued-tokens.txt");
    let _ = std::fs::remove_file(&tokens_file);
    let env_file = artifacts.join("test.env");
    let (api_key, signing_key) = secrets::write_test_env(&env_file)?;
    let mut wrangler = Wrangler::start(
        toolchain,
        WranglerOptions {
            port: edge_port,
            vars: vec![
                ("HEALTHLINK_AGGREGATOR".into(), "sandbox".into()),
                (
                    "HEALTHLINK_ALLOWED_ORIGINS".into(),
                    // The second origin lets tests bind a session to another
                    // configured origin than the host page's.
                    format!("{host_origin},http://127.0.0.1:1"),
                ),
                ("HEALTHLINK_RETURN_URLS".into(), format!("{host_origin}/")),
                ("HEALTHLINK_APP_NAME".into(), "Healthlink e2e".into()),
            ],
            env_file: Some(env_file),
            persist_dir: artifacts.join("wrangler-state"),
            fresh_state: true,
            log_file: Some(artifacts.join("wrangler.log")),
            own_process_group: true,
        },
    )?;
    wrangler.wait_ready(Duration::from_secs(90))?;

    step("End-to-end tests (HTTP + headless Chromium)");
    let result = exec(
        toolchain
            .command("cargo")
            .args([
                "test",
                "--quiet",
                "--package",
                "healthlink-tests",
                "--test",
                "e2e",
                "--",
                "--test-threads=2",
            ])
            .env("HEALTHLINK_EDGE_URL", &wrangler.base_url)
            .env("HEALTHLINK_HOST_PORT", host_port.to_string())
            .env("HEALTHLINK_API_KEY", &api_key)
            .env("HEALTHLINK_SIGNING_KEY", &signing_key)
            .env("HEALTHLINK_WRANGLER_LOG", artifacts.join("wrangler.log"))
            .env("HEALTHLINK_ARTIFACTS", &artifacts)
            .env("HEALTHLINK_CHROMIUM", CHROMIUM_BINARY)
            .env("HEALTHLINK_CHROMEDRIVER", CHROMEDRIVER),
    );
    wrangler.stop();
    result.map_err(|error| format!("{error}{}", wrangler.log_tail()))?;

    step("Scanning the edge's log for secrets and session tokens");
    let log = std::fs::read_to_string(artifacts.join("wrangler.log")).unwrap_or_default();
    let tokens = std::fs::read_to_string(&tokens_file).unwrap_or_default();
    let mut leaks = 0;
    for (what, needle) in [
        ("the API key", api_key.as_str()),
        ("the signing key", signing_key.as_str()),
    ]
    .into_iter()
    .chain(
        tokens
            .lines()
            .filter(|t| !t.is_empty())
            .map(|t| ("a session token", t)),
    ) {
        if log.contains(needle) {
            eprintln!("    wrangler.log contains {what}");
            leaks += 1;
        }
    }
    if leaks > 0 {
        return Err(format!(
            "{leaks} secret(s) or token(s) found in the edge's log"
        ));
    }
    eprintln!(
        "    clean: {} log bytes, {} tokens checked",
        log.len(),
        tokens.lines().count()
    );
    eprintln!(
        "\nAll checks passed. Screenshots: {}",
        artifacts.join("screenshots").display()
    );
    Ok(())
}
