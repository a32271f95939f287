//! Starting and stopping `wrangler dev` (local workerd) for dev and tests.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::Toolchain;
use crate::{Result, root};

pub struct WranglerOptions {
    /// Another Worker's wrangler.toml; `None` is the edge's.
    pub config: Option<PathBuf>,
    pub port: u16,
    /// The DevTools inspector port; `None` keeps wrangler's default. Set
    /// when several instances run at once.
    pub inspector_port: Option<u16>,
    /// `--var NAME:VALUE` overrides of wrangler.toml's `[vars]`.
    pub vars: Vec<(String, String)>,
    /// A dotenv file of secrets (`--env-file`); `None` uses `.dev.vars`.
    pub env_file: Option<PathBuf>,
    /// Durable Object storage; deleted first when `fresh_state` is set.
    pub persist_dir: PathBuf,
    pub fresh_state: bool,
    /// Where wrangler's output goes; `None` inherits the terminal.
    pub log_file: Option<PathBuf>,
    /// Run in its own process group so it can be stopped as a whole (tests).
    /// `dev` keeps it in the terminal's group so Ctrl-C reaches it directly.
    pub own_process_group: bool,
}

/// A running `wrangler dev`. Dropping it stops wrangler and everything it
/// started (node, workerd, esbuild).
pub struct Wrangler {
    child: Child,
    own_process_group: bool,
    log_file: Option<PathBuf>,
    pub base_url: String,
}

impl Wrangler {
    pub fn start(toolchain: &Toolchain, options: WranglerOptions) -> Result<Self> {
        if options.fresh_state {
            let _ = std::fs::remove_dir_all(&options.persist_dir);
        }
        let state = root().join("target").join("xtask-state");
        for dir in ["config", "cache", "tmp"] {
            std::fs::create_dir_all(state.join(dir)).map_err(|e| format!("creating {dir}: {e}"))?;
        }
        let mut command = toolchain.command(toolchain.node_bin("wrangler"));
        command
            .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
            .arg(options.port.to_string())
            .arg("--persist-to")
            .arg(&options.persist_dir)
            .arg("--show-interactive-dev-session=false")
            // Hermetic: wrangler, miniflare and workerd write their caches here.
            .env("XDG_CONFIG_HOME", state.join("config"))
            .env("XDG_CACHE_HOME", state.join("cache"))
            .env("TMPDIR", state.join("tmp"))
            .stdin(Stdio::null());
        if let Some(config) = &options.config {
            command.arg("--config").arg(config);
        }
        if let Some(port) = options.inspector_port {
            command.arg("--inspector-port").arg(port.to_string());
        }
        if let Some(path) = &options.env_file {
            command.arg("--env-file").arg(path);
        }
        for (name, value) in &options.vars {
            command.arg("--var").arg(format!("{name}:{value}"));
        }
        if let Some(path) = &options.log_file {
            let log = File::create(path).map_err(|e| format!("creating {path:?}: {e}"))?;
            let log_err = log.try_clone().map_err(|e| e.to_string())?;
            command.stdout(log).stderr(log_err);
        }
        if options.own_process_group {
            command.process_group(0);
        }
        let child = command
            .spawn()
            .map_err(|error| format!("could not start wrangler: {error}"))?;
        Ok(Self {
            child,
            own_process_group: options.own_process_group,
            log_file: options.log_file,
            base_url: format!("http://127.0.0.1:{}", options.port),
        })
    }

    /// Polls `/healthz` until it answers one of `accepted` (200; 503 is a
    /// misconfigured edge, which is up and says what is missing). The
    /// "Ready" log line can come before the first request succeeds, so the
    /// route is the only signal. Returns the status seen.
    pub fn wait_ready(&mut self, timeout: Duration, accepted: &[u16]) -> Result<u16> {
        let port: u16 = self
            .base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        crate::process::wait_until_ready(
            &mut self.child,
            "wrangler",
            self.log_file.as_deref(),
            timeout,
            || http_status(port, "/healthz").filter(|s| accepted.contains(s)),
        )
    }

    pub fn wait(&mut self) -> Result {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("wrangler exited ({status})"))
        }
    }

    pub fn log_tail(&self) -> String {
        self.log_file
            .as_deref()
            .map(crate::process::log_tail)
            .unwrap_or_default()
    }

    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let target = if self.own_process_group {
            format!("-{}", self.child.id())
        } else {
            self.child.id().to_string()
        };
        let _ = Command::new("kill").args(["-TERM", "--", &target]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &target]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The bindings a production edge must have; the dry run must list each.
const PRODUCTION_BINDINGS: [&str; 3] =
    ["env.USER_STATE", "env.ASSETS", "env.HEALTHLINK_AGGREGATOR"];

/// `wrangler deploy --dry-run --env production`: the shipped production
/// configuration bundles and names every binding it needs (no network, no
/// account: nothing is uploaded).
pub fn dry_run_production(toolchain: &Toolchain) -> Result {
    let state = root().join("target").join("xtask-state");
    let out = state.join("dry-run");
    let output = toolchain
        .command(toolchain.node_bin("wrangler"))
        .args(["deploy", "--dry-run", "--env", "production", "--outdir"])
        .arg(&out)
        .env("XDG_CONFIG_HOME", state.join("config"))
        .env("XDG_CACHE_HOME", state.join("cache"))
        .env("TMPDIR", state.join("tmp"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not start wrangler: {error}"))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let missing: Vec<&str> = PRODUCTION_BINDINGS
        .into_iter()
        .filter(|binding| !printed.contains(binding))
        .collect();
    if !output.status.success() || !missing.is_empty() {
        return Err(format!(
            "wrangler deploy --dry-run --env production failed (missing: {missing:?}):\n{printed}"
        ));
    }
    Ok(())
}

/// A loopback port nobody listens on right now, below the kernel's
/// ephemeral range: ports are picked here long before the processes that
/// serve them bind them, and meanwhile wrangler, workerd and Chromium bind
/// ephemeral ports of their own (a host page port lost to a browser's
/// debugging port failed every browser test once).
pub fn free_port() -> Result<u16> {
    // Never give the same port twice in one run, or two processes race.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().map_err(|_| "port list poisoned".to_owned())?;
    let candidates = quiet_ports(ephemeral_from(), start_point());
    for port in candidates.chain(std::iter::repeat_n(0, 100)) {
        if given.contains(&port) && port != 0 {
            continue;
        }
        let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) else {
            continue;
        };
        let port = listener
            .local_addr()
            .map(|addr| addr.port())
            .map_err(|e| e.to_string())?;
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
    Err("no free port that was not handed out already".to_owned())
}

/// Where the kernel's ephemeral ports begin (Linux's default if unknown).
fn ephemeral_from() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// Ports from 20000 up to below the ephemeral range (empty when that range
/// starts lower), beginning at `start` within it and wrapping around.
fn quiet_ports(ephemeral_from: u16, start: u32) -> impl Iterator<Item = u16> {
    const LOWEST: u16 = 20_000;
    let span = u32::from(ephemeral_from.saturating_sub(LOWEST));
    (0..span.min(2_000)).map(move |step| {
        // Spread over the span so runs side by side rarely meet.
        let offset = (start + step * 7919) % span.max(1);
        LOWEST + offset as u16
    })
}

/// Where this run starts looking: differs between runs and processes.
fn start_point() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().wrapping_mul(2_654_435_761)
}

/// The status code of a plain HTTP/1.1 GET on loopback, or `None` when the
/// server is not answering. Deliberately dependency-free.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_from_below_the_ephemeral_range_and_are_never_repeated() {
        let ports: Vec<u16> = quiet_ports(32_768, 12_345).collect();
        assert_eq!(ports.len(), 2_000);
        assert!(ports.iter().all(|port| (20_000..32_768).contains(port)));
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "a step coprime with the span");
        assert_eq!(
            quiet_ports(20_000, 1).count(),
            0,
            "no room: the kernel picks"
        );

        let (a, b) = (free_port().unwrap(), free_port().unwrap());
        assert_ne!(a, b);
        if ephemeral_from() > 20_000 {
            assert!(a < ephemeral_from() && b < ephemeral_from(), "{a} {b}");
        }
    }
}
