//! Transfer sizes: what a browser downloads for the widget and what wrangler
//! uploads for the Worker, raw, gzip -9 and brotli at quality 11 (what
//! Cloudflare sends a browser that accepts it).

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{Result, root};

/// The budget the widget's transfer is held to, brotli (printed next to the
/// figures; a benchmark reports, it does not fail).
pub const WIDGET_BUDGET_BROTLI: usize = 100 * 1024;

/// The files a host page downloads to show the widget.
const WIDGET_FILES: [&str; 3] = [
    "healthlink.js",
    "healthlink-widget.js",
    "healthlink-widget_bg.wasm",
];
/// The Worker bundle wrangler uploads.
const WORKER_FILES: [&str; 2] = ["index.js", "index_bg.wasm"];

/// One file's or one group's bytes, three ways.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl Size {
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            raw: bytes.len(),
            gzip: gzip_len(bytes),
            brotli: brotli_len(bytes),
        }
    }

    fn add(&mut self, other: Size) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }

    pub fn json(self) -> serde_json::Value {
        serde_json::json!({ "raw": self.raw, "gzip": self.gzip, "brotli": self.brotli })
    }
}

/// The widget's and the Worker's totals, with one JSON row per file.
pub struct Report {
    pub widget: Size,
    pub worker: Size,
    pub files: Vec<serde_json::Value>,
}

/// Measures the built artefacts (dist/ and edge/build/) and prints the table.
pub fn measure_and_print() -> Result<Report> {
    let mut files = Vec::new();
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    let widget = group(&root().join("dist"), &WIDGET_FILES, "widget", &mut files)?;
    let worker = group(
        &root().join("edge").join("build"),
        &WORKER_FILES,
        "worker",
        &mut files,
    )?;
    row("widget total (transfer)", widget);
    row("worker bundle total", worker);
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "widget budget (brotli)",
        "",
        "",
        format!(
            "{} {}",
            kb(WIDGET_BUDGET_BROTLI),
            verdict(widget.brotli <= WIDGET_BUDGET_BROTLI)
        )
    );
    Ok(Report {
        widget,
        worker,
        files,
    })
}

pub fn verdict(within: bool) -> &'static str {
    if within { "(within)" } else { "(OVER)" }
}

fn row(label: &str, size: Size) {
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        label,
        kb(size.raw),
        kb(size.gzip),
        kb(size.brotli)
    );
}

fn group(
    dir: &Path,
    names: &[&str],
    group: &str,
    files: &mut Vec<serde_json::Value>,
) -> Result<Size> {
    let mut total = Size::default();
    for file in names {
        let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("reading {file}: {e}"))?;
        let size = Size::of(&bytes);
        row(&format!("{group}/{file}"), size);
        let mut entry = size.json();
        entry["group"] = group.into();
        entry["file"] = (*file).into();
        files.push(entry);
        total.add(size);
    }
    Ok(total)
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

/// Brotli at quality 11 with a 4 MiB window (lgwin 22), the settings of
/// `brotli -q 11` and of a CDN's static compression.
fn brotli_len(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out.len()
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_compressions_round_trip_and_shrink_text() {
        let text = "Connect Oura. Disconnect Oura. ".repeat(200);
        let size = Size::of(text.as_bytes());
        assert_eq!(size.raw, text.len());
        assert!(size.gzip < size.raw / 10, "{size:?}");
        assert!(size.brotli < size.raw / 10, "{size:?}");
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut text.as_bytes(), &mut out, &params).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &out[..], &mut back).unwrap();
        assert_eq!(back, text.as_bytes());
    }
}
