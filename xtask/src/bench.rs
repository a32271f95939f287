//! `cargo xtask bench`: the figures we track. Transfer sizes of the widget
//! and the Worker bundle, and the widget's first render in headless Chromium
//! against a real `wrangler dev` edge.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::test::{Suite, end_to_end};
use crate::tools::{Toolchain, ensure_chromium};
use crate::{Result, build, root, step};

/// The budgets the widget is held to (printed next to the figures; a
/// benchmark reports, it does not fail).
const WIDGET_BUDGET_GZIP: usize = 100 * 1024;
const FIRST_RENDER_BUDGET_MS: f64 = 150.0;

/// The files a host page downloads to show the widget.
const WIDGET_FILES: [&str; 3] = [
    "healthlink.js",
    "healthlink-widget.js",
    "healthlink-widget_bg.wasm",
];
/// The Worker bundle wrangler uploads.
const WORKER_FILES: [&str; 2] = ["index.js", "index_bg.wasm"];

pub fn run() -> Result {
    let toolchain = Toolchain::ensure()?;
    ensure_chromium()?;
    build::all(&toolchain)?;
    end_to_end(&toolchain, Suite::Benchmarks)?;
    let render_path = root().join("target").join("e2e").join("bench-render.json");
    let render: serde_json::Value = std::fs::read_to_string(&render_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| format!("no render figures in {}", render_path.display()))?;
    step("Sizes");

    let mut report = Vec::new();
    println!("{:<34} {:>10} {:>10}", "file", "raw", "gzip -9");
    let widget = sizes(&root().join("dist"), &WIDGET_FILES, "widget", &mut report)?;
    let worker = sizes(
        &root().join("edge").join("build"),
        &WORKER_FILES,
        "worker",
        &mut report,
    )?;
    println!(
        "{:<34} {:>10} {:>10}",
        "widget total (transfer)",
        kb(widget.0),
        kb(widget.1)
    );
    println!(
        "{:<34} {:>10} {:>10}",
        "worker bundle total",
        kb(worker.0),
        kb(worker.1)
    );

    println!(
        "{:<34} {:>10} {:>10}",
        "widget budget (gzip)",
        "",
        format!(
            "{} {}",
            kb(WIDGET_BUDGET_GZIP),
            verdict(widget.1 <= WIDGET_BUDGET_GZIP)
        )
    );
    let median = render["median_ms"].as_f64().unwrap_or(f64::NAN);
    let p90 = render["p90_ms"].as_f64().unwrap_or(f64::NAN);
    println!(
        "\nfirst render of the list (10 loads, warm HTTP cache): median {median:.1} ms, \
         p90 {p90:.1} ms; budget {FIRST_RENDER_BUDGET_MS} ms median {}",
        verdict(median <= FIRST_RENDER_BUDGET_MS)
    );

    let json = serde_json::json!({
        "first_render": render,
        "files": report,
        "widget_total": { "raw": widget.0, "gzip": widget.1 },
        "worker_total": { "raw": worker.0, "gzip": worker.1 },
    });
    let path = root().join("target").join("bench.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json).expect("valid json"),
    )
    .map_err(|e| format!("writing {path:?}: {e}"))?;
    println!("\nwritten to {}", path.display());
    Ok(())
}

fn verdict(within: bool) -> &'static str {
    if within { "(within)" } else { "(OVER)" }
}

fn sizes(
    dir: &Path,
    files: &[&str],
    group: &str,
    report: &mut Vec<serde_json::Value>,
) -> Result<(usize, usize)> {
    let mut total = (0, 0);
    for file in files {
        let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("reading {file}: {e}"))?;
        let gzip = gzip_len(&bytes);
        println!(
            "{:<34} {:>10} {:>10}",
            format!("{group}/{file}"),
            kb(bytes.len()),
            kb(gzip)
        );
        report.push(
            serde_json::json!({ "group": group, "file": file, "raw": bytes.len(), "gzip": gzip }),
        );
        total.0 += bytes.len();
        total.1 += gzip;
    }
    Ok(total)
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
