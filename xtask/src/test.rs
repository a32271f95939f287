//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::exec;
use crate::receiver::Receiver;
use crate::recorder::Recorder;
use crate::tools::{CHROMEDRIVER, CHROMIUM_BINARY, Toolchain, ensure_chromium};
use crate::wrangler::{Wrangler, WranglerOptions, free_port};
use crate::{Result, build, leak_scan, root, schemathesis, secrets, step};

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
    step("Production configuration (wrangler deploy --dry-run --env production)");
    crate::wrangler::dry_run_production(&toolchain)?;
    end_to_end(&toolchain, Suite::Tests, None)
}

/// `cargo xtask e2e [FILTER]`: builds and runs only the end-to-end tests
/// (those whose name contains FILTER), for working on one of them.
/// A FILTER starting with `bench_` runs those (ignored) benchmarks instead,
/// with the baseline Workers they compare against; they print their figures.
pub fn end_to_end_only(filter: Option<&str>) -> Result {
    let toolchain = Toolchain::ensure()?;
    ensure_chromium()?;
    build::all(&toolchain)?;
    let which = match filter {
        Some(filter) if filter.starts_with("bench_") => Suite::Benchmarks,
        _ => Suite::Tests,
    };
    end_to_end(&toolchain, which, filter)
}

/// What to run of the end-to-end binary against the started edges.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// Every test.
    Tests,
    /// Only the measurements `cargo xtask bench` reports (ignored tests
    /// named `bench_*`, or those matching the filter); they write their
    /// figures under target/e2e/.
    Benchmarks,
}

/// One edge of the test run: its name, its `[vars]` and its secrets file.
struct EdgeSetup {
    name: &'static str,
    vars: Vec<(String, String)>,
    env_file: PathBuf,
}

/// Retry delays of the edges' event deliveries in a test run: short, so a
/// test sees every attempt and the edge giving up within seconds.
const EVENTS_TEST_SCHEDULE_MS: &str = "100,200,400,800,1600,3200";
/// Per delivery attempt; short, so a receiver that never answers costs a
/// test 1.5 s per attempt rather than the 15 s default.
const EVENTS_TIMEOUT_MS: &str = "1500";
/// How long a connected source may send nothing before it is stale, on the
/// edges with events: seconds instead of 72 hours, so a test sees a source
/// go stale, its `connection.stale`, and no second one. Only sources a test
/// reported data for can go stale, so no other test meets it.
const STALE_AFTER_TEST_SECONDS: &str = "6";
/// The consent text version every test edge records with each connect.
const CONSENT_VERSION: &str = "e2e-2026-12";
/// The sandbox edge's purpose lines: one source only, which no other
/// browser test connects, so only the purpose test meets its dialog.
const CONSENT_PURPOSES: &str =
    r#"{"dexcom": "Your glucose readings, so your care team sees your trends."}"#;
/// Where the Thryve edge keeps its users' state (the others: anywhere).
const THRYVE_JURISDICTION: &str = "eu";

/// Starts the events receiver, then one `wrangler dev` per aggregator
/// (sandbox, and Thryve and ROOK pointed at the suite's emulators) on free
/// ports delivering events to it, runs the black-box suite against them and
/// always stops them all again.
pub fn end_to_end(toolchain: &Toolchain, which: Suite, filter: Option<&str>) -> Result {
    let artifacts = root().join("target").join("e2e");
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("creating {artifacts:?}: {e}"))?;

    let schemathesis = schemathesis::ensure()?;

    // Compile the suite before starting wrangler, so the servers do not sit
    // idle through a cold build.
    step("Building the end-to-end suite");
    exec(e2e_suite(toolchain).arg("--no-run"))?;

    let host_port = free_port()?;
    let thryve_port = free_port()?;
    let rook_port = free_port()?;
    let host_origin = format!("http://127.0.0.1:{host_port}");
    for file in [
        "issued-tokens.txt",
        "aggregator-tokens.txt",
        "aggregator-end-users.txt",
        "issued-users.txt",
    ] {
        let _ = std::fs::remove_file(artifacts.join(file));
    }
    let env_file = artifacts.join("test.env");
    let secrets = secrets::write_test_env(&env_file)?;
    // Each events edge has its own signing secrets, so each its own file.
    let edge_env_file = |edge: &str| -> Result<PathBuf> {
        let path = artifacts.join(format!("test-{edge}.env"));
        secrets.write_edge_env(&path, edge)?;
        Ok(path)
    };
    // Thryve chosen, but only one of its secrets given.
    let partial_env_file = artifacts.join("test-misconfigured.env");
    std::fs::write(
        &partial_env_file,
        format!(
            "{}={}\n{}={}\nTHRYVE_USERNAME=someone\n",
            secrets::API_KEY,
            secrets.api_key,
            secrets::SIGNING_KEY,
            secrets.signing_key
        ),
    )
    .map_err(|e| format!("writing {}: {e}", partial_env_file.display()))?;
    let common = |aggregator: &str| {
        vec![
            ("HEALTHLINK_AGGREGATOR".to_owned(), aggregator.to_owned()),
            (
                "HEALTHLINK_ALLOWED_ORIGINS".to_owned(),
                // The second origin lets tests bind a session to another
                // configured origin than the host page's.
                format!("{host_origin},http://127.0.0.1:1"),
            ),
            (
                "HEALTHLINK_RETURN_URLS".to_owned(),
                // And an app's deep link, which hosted connect links return to.
                format!("{host_origin}/,healthlink-e2e://connected"),
            ),
            (
                "HEALTHLINK_APP_NAME".to_owned(),
                "Healthlink e2e".to_owned(),
            ),
            // Phone-only sources offer a QR code of this app link.
            (
                "HEALTHLINK_PHONE_LINK".to_owned(),
                "healthlink-e2e://connect/{source}".to_owned(),
            ),
            (
                "HEALTHLINK_CONSENT_VERSION".to_owned(),
                CONSENT_VERSION.to_owned(),
            ),
            // Short, so timeout tests take seconds, not the 10 s default.
            (
                "HEALTHLINK_UPSTREAM_TIMEOUT_MS".to_owned(),
                "2000".to_owned(),
            ),
        ]
    };
    // Up before the edges, which may deliver from their first request on.
    step("Starting the events receiver (Standard Webhooks, verified with npm standardwebhooks)");
    let mut receiver = Receiver::start(toolchain, &secrets, &artifacts)?;
    eprintln!("    listening on {}", receiver.url());
    let events = |edge: &str| {
        vec![
            ("HEALTHLINK_EVENTS_URL".to_owned(), receiver.hook_url(edge)),
            (
                "HEALTHLINK_EVENTS_TEST_SCHEDULE_MS".to_owned(),
                EVENTS_TEST_SCHEDULE_MS.to_owned(),
            ),
            (
                "HEALTHLINK_EVENTS_TIMEOUT_MS".to_owned(),
                EVENTS_TIMEOUT_MS.to_owned(),
            ),
            (
                "HEALTHLINK_STALE_AFTER_TEST_SECONDS".to_owned(),
                STALE_AFTER_TEST_SECONDS.to_owned(),
            ),
        ]
    };
    let setups = [
        EdgeSetup {
            name: "sandbox",
            // The development edge: the sandbox with its demo page.
            vars: [
                common("sandbox"),
                events("sandbox"),
                vec![
                    ("HEALTHLINK_DEMO".to_owned(), "true".to_owned()),
                    (
                        "HEALTHLINK_CONSENT_PURPOSES".to_owned(),
                        CONSENT_PURPOSES.to_owned(),
                    ),
                    // The mixed load makes hundreds of attempts a minute per
                    // user on purpose; the other edges keep the default 20.
                    (
                        "HEALTHLINK_ATTEMPTS_PER_MINUTE".to_owned(),
                        "100000".to_owned(),
                    ),
                ],
            ]
            .concat(),
            env_file: edge_env_file("sandbox")?,
        },
        EdgeSetup {
            name: "misconfigured",
            vars: common("thryve"),
            env_file: partial_env_file,
        },
        EdgeSetup {
            name: "thryve",
            vars: [
                common("thryve"),
                events("thryve"),
                vec![
                    (
                        "HEALTHLINK_JURISDICTION".to_owned(),
                        THRYVE_JURISDICTION.to_owned(),
                    ),
                    (
                        "THRYVE_API_BASE".to_owned(),
                        format!("http://127.0.0.1:{thryve_port}/api"),
                    ),
                    (
                        "THRYVE_SERVICE_BASE".to_owned(),
                        format!("http://127.0.0.1:{thryve_port}/service"),
                    ),
                ],
            ]
            .concat(),
            env_file: edge_env_file("thryve")?,
        },
        EdgeSetup {
            name: "rook",
            vars: [
                // No phone link of the host's own: phone-only sources pair
                // ROOK's Extraction App instead.
                common("rook")
                    .into_iter()
                    .filter(|(name, _)| name != "HEALTHLINK_PHONE_LINK")
                    .collect(),
                events("rook"),
                vec![
                    (
                        "ROOK_API_BASE".to_owned(),
                        format!("http://127.0.0.1:{rook_port}"),
                    ),
                    // A short trail and no attempt limit, so the pruning test
                    // fills it quickly.
                    ("HEALTHLINK_AUDIT_MAX_ROWS".to_owned(), "100".to_owned()),
                    (
                        "HEALTHLINK_ATTEMPTS_PER_MINUTE".to_owned(),
                        "100000".to_owned(),
                    ),
                ],
            ]
            .concat(),
            env_file: edge_env_file("rook")?,
        },
    ];
    let mut edges = Vec::new();
    for setup in setups {
        let port = free_port()?;
        step(&format!(
            "Starting wrangler dev ({}) on 127.0.0.1:{port} (host page origin {host_origin})",
            setup.name
        ));
        let log = artifacts.join(format!("wrangler-{}.log", setup.name));
        let wrangler = Wrangler::start(
            toolchain,
            WranglerOptions {
                config: None,
                port,
                inspector_port: Some(free_port()?),
                vars: setup.vars,
                env_file: Some(setup.env_file),
                persist_dir: artifacts.join(format!("wrangler-state-{}", setup.name)),
                fresh_state: true,
                log_file: Some(log.clone()),
                own_process_group: true,
            },
        )?;
        // Everything the edge sends passes through a recorder, which the
        // leak scan reads after the run.
        let recorder = Recorder::start(port, &artifacts.join(format!("sent-{}.bin", setup.name)))?;
        edges.push((setup.name, wrangler, log, recorder));
    }
    // Benchmarks compare the edge with baselines run by the same wrangler
    // and workerd, started alongside: a hello-world Worker; the platform's
    // floor for a list read (a Worker forwarding to one SQLite Durable
    // Object that answers one row as JSON); and that floor deployed as the
    // edge is, with static assets in front (`floor_assets`).
    let mut baselines = Vec::new();
    if which == Suite::Benchmarks {
        for (name, what) in [
            ("hello", "hello-world baseline"),
            ("floor", "Durable Object floor baseline"),
            (
                "floor_assets",
                "the floor with static assets, as the edge is deployed",
            ),
        ] {
            let port = free_port()?;
            step(&format!(
                "Starting wrangler dev ({what}) on 127.0.0.1:{port}"
            ));
            let wrangler = Wrangler::start(
                toolchain,
                WranglerOptions {
                    config: Some(
                        root()
                            .join("bench")
                            .join(format!("{}-worker", name.replace('_', "-")))
                            .join("wrangler.toml"),
                    ),
                    port,
                    inspector_port: Some(free_port()?),
                    vars: vec![],
                    env_file: None,
                    persist_dir: artifacts.join(format!("wrangler-state-{name}")),
                    fresh_state: true,
                    log_file: Some(artifacts.join(format!("wrangler-{name}.log"))),
                    own_process_group: true,
                },
            )?;
            baselines.push((name, wrangler));
        }
    }
    for (_, baseline) in &mut baselines {
        baseline.wait_ready(Duration::from_secs(90), &[200])?;
    }
    for (name, wrangler, _, _) in &mut edges {
        // A misconfigured edge is up when /healthz says what is missing.
        let healthy = if *name == "misconfigured" { 503 } else { 200 };
        wrangler.wait_ready(Duration::from_secs(90), &[healthy])?;
    }
    let base_url = |name: &str| {
        edges
            .iter()
            .find(|(aggregator, _, _, _)| *aggregator == name)
            .map(|(_, _, _, recorder)| recorder.url())
            .unwrap_or_default()
    };

    step("End-to-end tests (HTTP + headless Chromium; sandbox, Thryve and ROOK edges)");
    let mut suite = e2e_suite(toolchain);
    match which {
        Suite::Tests => suite.args(["--", "--test-threads=2"]).args(filter),
        Suite::Benchmarks => suite.args([
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
            filter.unwrap_or("bench_"),
        ]),
    };
    suite
        .env("HEALTHLINK_EDGE_URL", base_url("sandbox"))
        .env("HEALTHLINK_THRYVE_EDGE_URL", base_url("thryve"))
        .env("HEALTHLINK_ROOK_EDGE_URL", base_url("rook"))
        .env(
            "HEALTHLINK_MISCONFIGURED_EDGE_URL",
            base_url("misconfigured"),
        )
        .env("HEALTHLINK_THRYVE_PORT", thryve_port.to_string())
        .env("HEALTHLINK_ROOK_PORT", rook_port.to_string())
        .env("HEALTHLINK_HOST_PORT", host_port.to_string())
        .env("HEALTHLINK_API_KEY", &secrets.api_key)
        .env("HEALTHLINK_SIGNING_KEY", &secrets.signing_key)
        .env("HEALTHLINK_TEST_ENV_FILE", &env_file)
        .env("HEALTHLINK_RECEIVER_URL", receiver.url())
        .env(
            "HEALTHLINK_STALE_AFTER_TEST_SECONDS",
            STALE_AFTER_TEST_SECONDS,
        )
        .env(
            "HEALTHLINK_RECEIVER_SELFTEST_SECRETS",
            receiver.self_test_secrets.join(","),
        )
        .env("HEALTHLINK_CONSENT_VERSION", CONSENT_VERSION)
        .env("HEALTHLINK_CONSENT_PURPOSES", CONSENT_PURPOSES)
        .env("HEALTHLINK_THRYVE_JURISDICTION", THRYVE_JURISDICTION)
        // This very binary: the suite runs `verify-audit` on real exports.
        .env(
            "HEALTHLINK_XTASK",
            std::env::current_exe().map_err(|e| format!("locating xtask: {e}"))?,
        )
        .env("HEALTHLINK_ARTIFACTS", &artifacts)
        .env("HEALTHLINK_CHROMIUM", CHROMIUM_BINARY)
        .env("HEALTHLINK_CHROMEDRIVER", CHROMEDRIVER)
        .env("HEALTHLINK_SCHEMATHESIS", &schemathesis);
    if which == Suite::Benchmarks {
        let direct = edges
            .iter()
            .find(|(name, _, _, _)| *name == "sandbox")
            .map(|(_, wrangler, _, _)| wrangler.base_url.clone())
            .unwrap_or_default();
        suite.env("HEALTHLINK_EDGE_DIRECT_URL", direct);
        for (name, baseline) in &baselines {
            suite.env(
                format!("HEALTHLINK_{}_URL", name.to_uppercase()),
                &baseline.base_url,
            );
        }
    }
    let result = exec(&mut suite);
    for (_, baseline) in &mut baselines {
        baseline.stop();
    }
    let mut tails = String::new();
    for (_, wrangler, _, _) in &mut edges {
        wrangler.stop();
        tails.push_str(&wrangler.log_tail());
    }
    // After the edges, so a delivery still in flight is received.
    receiver.stop();
    tails.push_str(&receiver.log_tail());
    result.map_err(|error| format!("{error}{tails}"))?;

    let logs: Vec<&Path> = edges.iter().map(|(_, _, log, _)| log.as_path()).collect();
    // What the edges answered, and what they pushed to the host backend.
    let records: Vec<&Path> = edges
        .iter()
        .map(|(_, _, _, recorder)| recorder.path.as_path())
        .chain([receiver.record.as_path()])
        .collect();
    leak_scan::check_run(&artifacts, &secrets, &logs, &records)?;
    eprintln!(
        "\nAll checks passed. Screenshots: {}",
        artifacts.join("screenshots").display()
    );
    Ok(())
}

/// `cargo test` of the end-to-end binary.
fn e2e_suite(toolchain: &Toolchain) -> std::process::Command {
    let mut command = toolchain.command("cargo");
    command.args([
        "test",
        "--quiet",
        "--package",
        "healthlink-tests",
        "--test",
        "e2e",
    ]);
    command
}
