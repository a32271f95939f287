//! Measurements for `cargo xtask bench` (ignored in the test run): time from
//! the host page's script starting to the source list on screen, in
//! headless Chromium on loopback. Figures, not assertions.

use healthlink_tests::browser::{Browser, UI_TIMEOUT};
use healthlink_tests::edge::session_for;
use healthlink_tests::host::serve_page;
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

const RUNS: usize = 10;

/// The host page starts a clock, loads the widget, and stops the clock on
/// the first frame after `healthlink:ready` (the list is in the DOM then).
fn timed_page(session: &str) -> String {
    let edge = env().edge_url.as_str();
    serve_page(
        "/bench-render.html",
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Render timing</title></head>
<body><main><h1>Render timing</h1>
<healthlink-connect edge="{edge}" session="{session}"></healthlink-connect></main>
<script type="module">
const started = performance.now();
document.querySelector("healthlink-connect").addEventListener("healthlink:ready", () =>
  requestAnimationFrame(() => {{
    const list = document.querySelector("healthlink-connect").shadowRoot.querySelector("[data-testid=source-list]");
    window.renderMs = list ? performance.now() - started : -1;
  }}));
await import("{edge}/healthlink.js");
</script></body></html>"#
        ),
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank]
}

#[tokio::test]
#[ignore = "a measurement, run by `cargo xtask bench`"]
async fn bench_first_render() {
    let session = session_for(&unique("bench")).await;
    let page = timed_page(&session);
    let browser = Browser::start().await;
    let mut runs = Vec::new();
    for run in 0..=RUNS {
        browser.client.goto(&page).await.expect("open host page");
        let ms = eventually("the render time", UI_TIMEOUT, || async {
            let value = browser
                .client
                .execute("return window.renderMs ?? null", vec![])
                .await
                .map_err(|e| e.to_string())?;
            value.as_f64().ok_or_else(|| "not rendered yet".to_owned())
        })
        .await;
        assert!(ms >= 0.0, "the list was not in the DOM at ready");
        // Run 0 fills the HTTP cache, as a returning user's browser has it.
        if run > 0 {
            runs.push(ms);
        }
        if run == 0 {
            println!("first render, cold cache: {ms:.1} ms");
        }
    }
    browser.close().await;
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let (median, p90) = (percentile(&sorted, 0.5), percentile(&sorted, 0.9));
    println!("first render over {RUNS} runs: median {median:.1} ms, p90 {p90:.1} ms");
    let report = serde_json::json!({
        "runs_ms": runs,
        "median_ms": median,
        "p90_ms": p90,
    });
    std::fs::write(
        env().artifacts.join("bench-render.json"),
        serde_json::to_string_pretty(&report).expect("json"),
    )
    .expect("write the render figures");
}
