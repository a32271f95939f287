//! The events receiver (`tests/receiver/receiver.mjs`): the host backend the
//! test edges push their Standard Webhooks deliveries to. It verifies each
//! with the npm `standardwebhooks` package, so the edge's signing is checked
//! by an implementation that shares no code with it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::secrets::{EVENTS_EDGES, TestSecrets, random_webhook_secret};
use crate::tools::Toolchain;
use crate::wrangler::http_status;
use crate::{Result, root};

/// Hook names no edge uses, for the suite's test of the receiver itself:
/// one for signature checks, one for answer modes, so neither disturbs the
/// other or an edge's deliveries when tests run in parallel.
const SELF_TEST_HOOKS: [&str; 2] = ["selftest", "selftest-modes"];

/// A running receiver. Dropping it stops it.
pub struct Receiver {
    child: Child,
    pub port: u16,
    /// Every request to `/hook/…` as received, for the leak scan.
    pub record: PathBuf,
    log: PathBuf,
    /// The secrets the self-test hooks verify with (both must sign).
    pub self_test_secrets: Vec<String>,
}

impl Receiver {
    /// Starts the receiver on a port of its choosing with each events edge's
    /// secrets (and fresh ones for the self-test hooks), and waits until it
    /// answers. Its output goes to `receiver.log` under `artifacts`.
    pub fn start(toolchain: &Toolchain, secrets: &TestSecrets, artifacts: &Path) -> Result<Self> {
        let self_test_secrets = vec![random_webhook_secret()?, random_webhook_secret()?];
        let mut hooks = serde_json::Map::new();
        for (edge, _) in EVENTS_EDGES {
            let values: Vec<&str> = secrets
                .events_of(edge)
                .iter()
                .map(|secret| secret.value.as_str())
                .collect();
            hooks.insert(edge.to_owned(), values.into());
        }
        for hook in SELF_TEST_HOOKS {
            hooks.insert(hook.to_owned(), self_test_secrets.clone().into());
        }
        let record = artifacts.join("sent-events.bin");
        // Created up front: the leak scan reads it even when no edge sent
        // an event in this run.
        File::create(&record).map_err(|e| format!("creating {record:?}: {e}"))?;
        let log = artifacts.join("receiver.log");
        let log_out = File::create(&log).map_err(|e| format!("creating {log:?}: {e}"))?;
        let log_err = log_out.try_clone().map_err(|e| e.to_string())?;
        let child = toolchain
            .command(toolchain.node_bin("node"))
            .arg(root().join("tests").join("receiver").join("receiver.mjs"))
            .env("RECEIVER_PORT", "0")
            .env(
                "RECEIVER_SECRETS",
                serde_json::Value::Object(hooks).to_string(),
            )
            .env("RECEIVER_RECORD", &record)
            .stdin(Stdio::null())
            .stdout(log_out)
            .stderr(log_err)
            .spawn()
            .map_err(|error| format!("could not start the events receiver: {error}"))?;
        let mut receiver = Self {
            child,
            port: 0,
            record,
            log,
            self_test_secrets,
        };
        receiver.port = receiver.wait_listening(Duration::from_secs(15))?;
        Ok(receiver)
    }

    /// Waits for the `listening 127.0.0.1:PORT` line and a `/healthz` 200.
    fn wait_listening(&mut self, timeout: Duration) -> Result<u16> {
        let log = self.log.clone();
        crate::process::wait_until_ready(
            &mut self.child,
            "the events receiver",
            Some(&log),
            timeout,
            || announced_port(&log).filter(|port| http_status(*port, "/healthz") == Some(200)),
        )
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where `edge` delivers its events.
    pub fn hook_url(&self, edge: &str) -> String {
        format!("{}/hook/{edge}", self.url())
    }

    pub fn log_tail(&self) -> String {
        crate::process::log_tail(&self.log)
    }

    /// Ends the receiver. It keeps no state worth a graceful exit: every
    /// request is already in its record file, written as it arrived.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of the receiver's first output line, `listening 127.0.0.1:PORT`.
fn announced_port(log: &Path) -> Option<u16> {
    let mut first = String::new();
    BufReader::new(File::open(log).ok()?)
        .read_line(&mut first)
        .ok()?;
    first
        .trim_end()
        .strip_prefix("listening 127.0.0.1:")?
        .parse()
        .ok()
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}
