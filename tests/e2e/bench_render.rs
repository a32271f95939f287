//! Measurements for `cargo xtask bench` (ignored in the test run): time from
//! the host page's script starting to the source list on screen, and to the
//! widget answering its first interaction, in headless Chromium on
//! loopback. Figures, not assertions.

use healthlink_tests::browser::{Browser, UI_TIMEOUT};
use healthlink_tests::edge::session_for;
use healthlink_tests::host::serve_page;
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

const RUNS: usize = 10;

/// The host page starts a clock and loads the widget. First render: the
/// first frame after `healthlink:ready` (the list is in the DOM then).
/// Interactive: at that frame the page clicks "Connect on your phone" (an
/// action that needs no network) and stops the clock when the widget's
/// dialog is open: event handlers attached and the main thread free.
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
    const root = document.querySelector("healthlink-connect").shadowRoot;
    root.querySelector("[data-action=phone]").click();
    const opened = () => {{
      if (root.querySelector("[data-testid=phone-dialog]")?.open) {{
        window.interactiveMs = performance.now() - started;
      }} else {{
        requestAnimationFrame(opened);
      }}
    }};
    opened();
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
    let mut interactive_runs = Vec::new();
    for run in 0..=RUNS {
        browser.client.goto(&page).await.expect("open host page");
        let (ms, interactive) = eventually("the render time", UI_TIMEOUT, || async {
            let value = browser
                .client
                .execute(
                    "return window.interactiveMs ? [window.renderMs, window.interactiveMs] : null",
                    vec![],
                )
                .await
                .map_err(|e| e.to_string())?;
            match value
                .as_array()
                .map(|pair| (pair[0].as_f64(), pair[1].as_f64()))
            {
                Some((Some(render), Some(interactive))) => Ok((render, interactive)),
                _ => Err("not interactive yet".to_owned()),
            }
        })
        .await;
        assert!(ms >= 0.0, "the list was not in the DOM at ready");
        // Run 0 fills the HTTP cache, as a returning user's browser has it.
        if run > 0 {
            runs.push(ms);
            interactive_runs.push(interactive);
        }
        if run == 0 {
            println!("cold cache: first render {ms:.1} ms, interactive {interactive:.1} ms");
        }
    }
    browser.close().await;
    let summary = |runs: &[f64]| {
        let mut sorted = runs.to_vec();
        sorted.sort_by(f64::total_cmp);
        (percentile(&sorted, 0.5), percentile(&sorted, 0.9))
    };
    let (median, p90) = summary(&runs);
    let (interactive_median, interactive_p90) = summary(&interactive_runs);
    println!(
        "over {RUNS} runs: first render median {median:.1} ms, p90 {p90:.1} ms; \
         interactive median {interactive_median:.1} ms, p90 {interactive_p90:.1} ms"
    );
    let report = serde_json::json!({
        "runs_ms": runs,
        "median_ms": median,
        "p90_ms": p90,
        "interactive_runs_ms": interactive_runs,
        "interactive_median_ms": interactive_median,
        "interactive_p90_ms": interactive_p90,
    });
    std::fs::write(
        env().artifacts.join("bench-render.json"),
        serde_json::to_string_pretty(&report).expect("json"),
    )
    .expect("write the render figures");
}
