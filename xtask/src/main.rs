//! `cargo xtask`: the project's build system. Every task installs what it
//! needs (idempotently), so the README's two commands work on a fresh machine.

mod bench;
mod build;
mod dev;
mod fuzz;
mod import_names;
mod leak_scan;
mod process;
mod receiver;
mod recorder;
mod schemathesis;
mod secrets;
mod sizes;
mod test;
mod tools;
mod verify_audit;
mod wrangler;

use std::path::PathBuf;
use std::process::ExitCode;

pub type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  dev     install what is missing, build widget and edge, run wrangler dev on
          http://127.0.0.1:8787 (the demo page is at /demo/); Ctrl-C stops it
  test    install what tests need, then fmt, clippy (host + wasm32), unit
          tests, release builds and the end-to-end suite (HTTP + browser)
  e2e [FILTER]
          build and run only the end-to-end tests whose name contains FILTER;
          a FILTER starting with bench_ runs those benchmarks instead (e.g.
          bench_edge_overhead), with the baseline Workers, printing figures
  bench   build, then measure: widget size and render, edge vs a hello-world
          Worker and a floor Worker (one Durable Object read), fan-out, 60 s
          mixed load, schemathesis, fuzzing; prints a table and writes
          target/bench.json
  sizes   build the widget and the Worker, then print their transfer sizes
          (raw, gzip -9, brotli 11) against the widget's budget
  fuzz [SECONDS]
          run every fuzz target in fuzz/ for SECONDS each (default 30) on
          nightly; fails on the first crash, naming the saved input
  verify-audit FILE (--keys KEYS.json | --key PUBLIC_KEY)
          check an audit export offline: every row's hash and link, the
          chain head, and the Ed25519 signature against the edge's key set
          (saved from GET /v1/audit/keys); names the row that breaks";

/// Per-target fuzzing time when `cargo xtask fuzz` is given none.
const DEFAULT_FUZZ_SECONDS: u64 = 30;

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("dev") => dev::run(),
        Some("test") => test::run(),
        Some("e2e") => test::end_to_end_only(std::env::args().nth(2).as_deref()),
        Some("bench") => bench::run(),
        Some("sizes") => sizes_task(),
        Some("fuzz") => fuzz_task(std::env::args().nth(2).as_deref()),
        Some("verify-audit") => verify_audit::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask sizes`: the release builds, then the size table alone.
fn sizes_task() -> Result {
    let toolchain = tools::Toolchain::ensure()?;
    build::all(&toolchain)?;
    step("Transfer sizes");
    sizes::measure_and_print().map(|_| ())
}

/// `cargo xtask fuzz [SECONDS]`: every target, then one line of figures each.
fn fuzz_task(seconds: Option<&str>) -> Result {
    let seconds = match seconds {
        None => DEFAULT_FUZZ_SECONDS,
        Some(text) => text
            .parse()
            .ok()
            .filter(|seconds| *seconds > 0)
            .ok_or_else(|| format!("SECONDS must be a whole number above 0, not {text:?}"))?,
    };
    let figures = fuzz::run(&tools::Toolchain::locate(), seconds)?;
    step("Fuzzing finished without a crash");
    println!(
        "{:<18} {:>12} {:>8} {:>8}",
        "target", "runs", "seconds", "runs/s"
    );
    for figure in &figures {
        println!(
            "{:<18} {:>12} {:>8} {:>8}",
            figure.target,
            figure.runs,
            figure.seconds,
            figure.runs / figure.seconds.max(1)
        );
    }
    Ok(())
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Prints a step header, so long tasks say what they are doing.
pub fn step(message: &str) {
    eprintln!("\n==> {message}");
}
