//! Running commands with visible output and a clear error when they fail.

use std::process::{Command, Stdio};

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
