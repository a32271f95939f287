//! `cargo xtask dev`: build everything and run the edge + demo locally.

use std::time::Duration;

use crate::tools::Toolchain;
use crate::wrangler::{Wrangler, WranglerOptions};
use crate::{Result, build, root, secrets, step};

pub const DEV_PORT: u16 = 8787;

pub fn run() -> Result {
    let toolchain = Toolchain::ensure()?;
    build::all(&toolchain)?;
    secrets::ensure_dev_vars(DEV_PORT)?;
    step(&format!(
        "Starting wrangler dev on http://127.0.0.1:{DEV_PORT}"
    ));
    let mut wrangler = Wrangler::start(
        &toolchain,
        WranglerOptions {
            config: None,
            port: DEV_PORT,
            inspector_port: None,
            vars: vec![],
            env_file: None,
            persist_dir: root().join(".wrangler").join("dev-state"),
            fresh_state: false,
            log_file: None,
            own_process_group: false,
        },
    )?;
    let status = wrangler.wait_ready(Duration::from_secs(90), &[200, 503])?;
    if status == 503 {
        eprintln!(
            "\n  The edge is up but misconfigured: {base}/healthz lists what to set\n\
             (development settings and secrets in .dev.vars, the rest in wrangler.toml).",
            base = wrangler.base_url
        );
    }
    eprintln!(
        "\n  Healthlink is running on the sandbox aggregator with the demo page\n\
         (development settings in .dev.vars; the sandbox needs no secrets).\n\
         \n    Demo page:  {base}/demo/\n    API health: {base}/healthz\n\
         \n  Press Ctrl-C to stop.\n",
        base = wrangler.base_url
    );
    wrangler.wait()
}
