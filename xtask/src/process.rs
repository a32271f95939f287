//! Running commands with visible output and a clear error when they fail.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// Runs `command` with inherited stdio; fails with the command line if it
/// does not exit successfully.
pub fn exec(command: &mut Command) -> Result {
    let status = command
        .status()
        .map_err(|error| format!("could not start {}: {error}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(command)))
    }
}

/// Runs `command` and returns its stdout, or `None` if it cannot start or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// The last 30 lines of a background process's log file, headed by its
/// path, for an error message.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    format!("\n--- last lines of {} ---\n{tail}", path.display())
}

/// Polls `probe` every 200 ms until it gives a value: how a started server
/// is awaited. Fails, with the tail of its `log`, if `child` (`what`) exits
/// first or `timeout` passes.
pub fn wait_until_ready<T>(
    child: &mut Child,
    what: &str,
    log: Option<&Path>,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T> {
    let tail = || log.map(log_tail).unwrap_or_default();
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited early ({status}){}", tail()));
        }
        if let Some(value) = probe() {
            return Ok(value);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("{what} was not ready after {timeout:?}{}", tail()))
}
