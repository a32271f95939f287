//! Support code for the black-box suite: where the running edge is, a host
//! page server on another origin, a browser driven through chromedriver, and
//! a helper for waiting on asynchronous UI.

pub mod browser;
pub mod edge;
pub mod host;
pub mod proxy;
pub mod wait;

use std::path::PathBuf;
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
}

impl TestEnv {
    pub fn host_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.host_port)
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
        }
    })
}

/// A name unique within this test run (for profiles, pages, users).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
