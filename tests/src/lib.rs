//! Support code for the black-box suite: where the running edge is, a host
//! page server on another origin, a browser driven through chromedriver, the
//! receiver of the edges' events, the widget's palettes, and a helper for
//! waiting on asynchronous UI.

pub mod browser;
pub mod edge;
pub mod emulators;
pub mod host;
pub mod load;
pub mod proxy;
pub mod receiver;
pub mod theme;
pub mod wait;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What `cargo xtask test` tells the suite about the environment it set up.
#[derive(Debug)]
pub struct TestEnv {
    /// The running edge (wrangler dev), e.g. `http://127.0.0.1:38211`.
    pub edge_url: String,
    /// The loopback port the host page server listens on; its origin is in the
    /// edge's `HEALTHLINK_ALLOWED_ORIGINS`.
    pub host_port: u16,
    /// Where screenshots and logs go (under `target/`).
    pub artifacts: PathBuf,
    pub chromium: String,
    pub chromedriver: String,
    /// The edge's secrets for this run: tests sign edge-format tokens with
    /// them and check that no response or log line ever contains them.
    pub api_key: String,
    pub signing_key: String,
    /// Edges configured for Thryve and ROOK, pointed at the emulators.
    pub thryve_edge_url: String,
    pub rook_edge_url: String,
    /// An edge configured for Thryve with most of Thryve's secrets missing.
    pub misconfigured_edge_url: String,
    /// Loopback ports the emulators listen on.
    pub thryve_port: u16,
    pub rook_port: u16,
    /// The aggregator credentials those edges were given, by variable name
    /// (every entry of the run's secrets file but the two Healthlink keys).
    pub aggregator_secrets: Vec<(String, String)>,
    /// axe-core's browser bundle (from the project's npm packages).
    pub axe_script: PathBuf,
    /// How long the events edges let a connected source send nothing
    /// before it is stale (their `HEALTHLINK_STALE_AFTER_TEST_SECONDS`).
    pub stale_after: std::time::Duration,
    /// The consent text version every edge records with each connect.
    pub consent_version: String,
    /// The sandbox edge's purpose lines, source id → line.
    pub consent_purposes: std::collections::BTreeMap<String, String>,
    /// The Thryve edge's `HEALTHLINK_JURISDICTION` (the others have none).
    pub thryve_jurisdiction: String,
    /// The xtask binary (for `verify-audit`).
    pub xtask: PathBuf,
    /// A Python with `cryptography`, for the independent audit verifier.
    pub python: PathBuf,
}

impl TestEnv {
    pub fn host_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.host_port)
    }

    pub fn secret(&self, name: &str) -> &str {
        self.aggregator_secrets
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_else(|| panic!("{name} is not an aggregator secret of this run"))
    }
}

pub fn env() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run the end-to-end suite through `cargo xtask test`")
            })
        };
        TestEnv {
            edge_url: var("HEALTHLINK_EDGE_URL"),
            host_port: var("HEALTHLINK_HOST_PORT")
                .parse()
                .expect("HEALTHLINK_HOST_PORT is a port"),
            artifacts: PathBuf::from(var("HEALTHLINK_ARTIFACTS")),
            chromium: var("HEALTHLINK_CHROMIUM"),
            chromedriver: var("HEALTHLINK_CHROMEDRIVER"),
            api_key: var("HEALTHLINK_API_KEY"),
            signing_key: var("HEALTHLINK_SIGNING_KEY"),
            thryve_edge_url: var("HEALTHLINK_THRYVE_EDGE_URL"),
            rook_edge_url: var("HEALTHLINK_ROOK_EDGE_URL"),
            misconfigured_edge_url: var("HEALTHLINK_MISCONFIGURED_EDGE_URL"),
            thryve_port: var("HEALTHLINK_THRYVE_PORT")
                .parse()
                .expect("HEALTHLINK_THRYVE_PORT is a port"),
            rook_port: var("HEALTHLINK_ROOK_PORT")
                .parse()
                .expect("HEALTHLINK_ROOK_PORT is a port"),
            aggregator_secrets: aggregator_secrets(&var("HEALTHLINK_TEST_ENV_FILE")),
            axe_script: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../node_modules/axe-core/axe.min.js"),
            stale_after: std::time::Duration::from_secs(
                var("HEALTHLINK_STALE_AFTER_TEST_SECONDS")
                    .parse()
                    .expect("HEALTHLINK_STALE_AFTER_TEST_SECONDS is whole seconds"),
            ),
            consent_version: var("HEALTHLINK_CONSENT_VERSION"),
            consent_purposes: serde_json::from_str(&var("HEALTHLINK_CONSENT_PURPOSES"))
                .expect("HEALTHLINK_CONSENT_PURPOSES is a JSON object"),
            thryve_jurisdiction: var("HEALTHLINK_THRYVE_JURISDICTION"),
            xtask: PathBuf::from(var("HEALTHLINK_XTASK")),
            python: Path::new(&var("HEALTHLINK_SCHEMATHESIS")).with_file_name("python"),
        }
    })
}

/// The `NAME=value` lines of the run's secrets file (written by xtask and
/// given to the edges), without the Healthlink keys.
fn aggregator_secrets(path: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading the test secrets {path}: {e}"))
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| !name.starts_with("HEALTHLINK_"))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// A name unique within this test run (for profiles, pages, users).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let user = format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    // The leak scan checks that no edge ever logs a user id.
    let path = env().artifacts.join("issued-users.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        use std::io::Write;
        let _ = writeln!(file, "{user}");
    }
    user
}
