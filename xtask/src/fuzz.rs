//! `cargo xtask fuzz`: runs every cargo-fuzz target in `fuzz/` for a bounded
//! time and reports how many inputs each one tried.
//!
//! Targets build with cargo-fuzz's defaults: nightly, optimised with debug
//! assertions and overflow checks, and AddressSanitizer. The edge forbids
//! `unsafe`, but the parsers it leans on (serde_json, url, base64) do not,
//! and ASan links fine against the prebuilt nightly std (no `-Zbuild-std`
//! needed, so no rust-src).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::{describe, exec, output};
use crate::tools::Toolchain;
use crate::{Result, root, step};

/// The binaries in `fuzz/fuzz_targets/`.
const TARGETS: [&str; 5] = [
    "session_token",
    "return_state",
    "return_url",
    "rook_responses",
    "thryve_responses",
];

/// What one bounded run did, from libFuzzer's closing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzFigure {
    pub target: String,
    pub runs: u64,
    pub seconds: u64,
}

/// Installs cargo-fuzz and nightly if missing, then fuzzes each target for
/// `seconds_per_target`; fails on the first crash, naming the saved input.
pub fn run(toolchain: &Toolchain, seconds_per_target: u64) -> Result<Vec<FuzzFigure>> {
    toolchain.ensure_cargo_fuzz()?;
    ensure_nightly()?;
    let fuzz_dir = root().join("fuzz");
    let logs = root().join("target").join("fuzz");
    std::fs::create_dir_all(&logs).map_err(|error| format!("creating {logs:?}: {error}"))?;

    step("Building the fuzz targets (nightly, AddressSanitizer)");
    exec(cargo_fuzz(toolchain, &fuzz_dir).arg("build"))?;

    let mut figures = Vec::new();
    for target in TARGETS {
        step(&format!("Fuzzing {target} for {seconds_per_target} s"));
        // libFuzzer adds what it finds to the first directory; the committed
        // seeds stay as they are.
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|error| format!("creating {corpus:?}: {error}"))?;
        let mut command = cargo_fuzz(toolchain, &fuzz_dir);
        command
            .args(["run", target])
            .arg(&corpus)
            .arg(fuzz_dir.join("seeds").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds_per_target}"))
            .arg("-rss_limit_mb=2048");
        let log = logs.join(format!("{target}.log"));
        figures.push(run_target(target, &mut command, &log)?);
    }
    Ok(figures)
}

fn cargo_fuzz(toolchain: &Toolchain, fuzz_dir: &Path) -> Command {
    let mut command = toolchain.command("cargo");
    command
        .current_dir(fuzz_dir)
        // `+nightly` outranks the stable toolchain rust-toolchain.toml gave
        // `cargo xtask` (rustup passes that down as RUSTUP_TOOLCHAIN).
        .args(["+nightly", "fuzz"]);
    command
}

/// Runs one target, keeping libFuzzer's full output in `log` and showing the
/// rest of it: the build, the seed, the closing line and any crash.
fn run_target(target: &str, command: &mut Command, log: &Path) -> Result<FuzzFigure> {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("could not start {}: {error}", describe(command)))?;
    let mut log_file = File::create(log).map_err(|error| format!("creating {log:?}: {error}"))?;
    let mut figure = None;
    let mut crash_input = None;
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in BufReader::new(stderr).lines() {
        let line = line.map_err(|error| format!("reading {target}'s output: {error}"))?;
        writeln!(log_file, "{line}").map_err(|error| format!("writing {log:?}: {error}"))?;
        if !is_chatter(&line) {
            eprintln!("{line}");
        }
        figure = figure.or_else(|| parse_done(target, &line));
        if let Some((_, path)) = line.split_once("Test unit written to ") {
            crash_input = Some(PathBuf::from(path.trim()));
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("waiting for {}: {error}", describe(command)))?;
    if !status.success() {
        let found = match crash_input {
            Some(path) => format!(
                "crash input {} (reproduce in fuzz/ with `cargo +nightly fuzz run {target} <input>`)",
                path.display()
            ),
            None => "no crash input was written".to_owned(),
        };
        return Err(format!(
            "fuzz target {target} failed ({status}): {found}. Full output: {}",
            log.display()
        ));
    }
    figure.ok_or_else(|| {
        format!(
            "fuzz target {target} ended without libFuzzer's \"Done … runs\" line; see {}",
            log.display()
        )
    })
}

/// libFuzzer's progress (`#1234\tNEW …`, new functions, dictionary
/// entries) and start-up notes other than the seed a crash reproduces with.
fn is_chatter(line: &str) -> bool {
    line.starts_with(['#', '\t', '"'])
        || (line.starts_with("INFO:") && !line.starts_with("INFO: Seed:"))
}

/// Reads libFuzzer's closing line, `Done 258335 runs in 11 second(s)`.
fn parse_done(target: &str, line: &str) -> Option<FuzzFigure> {
    let rest = line.strip_prefix("Done ")?;
    let (runs, rest) = rest.split_once(" runs in ")?;
    let (seconds, _) = rest.split_once(' ')?;
    Some(FuzzFigure {
        target: target.to_owned(),
        runs: runs.parse().ok()?,
        seconds: seconds.parse().ok()?,
    })
}

/// cargo-fuzz needs a nightly compiler for its sanitizer and coverage flags.
fn ensure_nightly() -> Result {
    let installed = output(Command::new("rustup").args(["toolchain", "list"]));
    if installed.is_some_and(|list| list.lines().any(|line| line.starts_with("nightly-"))) {
        return Ok(());
    }
    step("Installing the nightly Rust toolchain (fuzzing needs it)");
    exec(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_closing_line() {
        assert_eq!(
            parse_done("return_url", "Done 173396 runs in 11 second(s)"),
            Some(FuzzFigure {
                target: "return_url".into(),
                runs: 173_396,
                seconds: 11,
            })
        );
        assert_eq!(parse_done("x", "#1024\tpulse  cov: 99 ft: 120"), None);
        assert_eq!(parse_done("x", "Done many runs in no time"), None);
    }

    #[test]
    fn shows_crashes_and_the_seed_not_progress() {
        assert!(is_chatter("#1024\tpulse  cov: 99 ft: 120"));
        assert!(is_chatter("\tNEW_FUNC[1/1]: 0x55a2 in url::parser"));
        assert!(is_chatter("INFO: Loaded 1 modules"));
        assert!(!is_chatter("INFO: Seed: 4259659736"));
        assert!(!is_chatter(
            "thread '<unnamed>' panicked at fuzz_targets/return_url.rs:40:5:"
        ));
        assert!(!is_chatter("==1234== ERROR: libFuzzer: deadly signal"));
    }
}
