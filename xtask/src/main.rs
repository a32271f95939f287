//! `cargo xtask`: the project's build system. Every task installs what it
//! needs (idempotently), so the README's two commands work on a fresh machine.

mod bench;
mod build;
mod dev;
mod leak_scan;
mod process;
mod recorder;
mod secrets;
mod test;
mod tools;
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
  bench   build, then print the widget's transfer size and the worker bundle size";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("dev") => dev::run(),
        Some("test") => test::run(),
        Some("bench") => bench::run(),
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
