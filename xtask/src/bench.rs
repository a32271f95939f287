//! `cargo xtask bench`: the figures we track. Transfer sizes of the widget
//! and the Worker bundle, and the widget's first render in headless Chromium
//! against a real `wrangler dev` edge.

use crate::sizes::verdict;
use crate::test::{Suite, end_to_end};
use crate::tools::{Toolchain, ensure_chromium};
use crate::{Result, build, root, step};

/// The first-render budget (printed next to the figures; a benchmark
/// reports, it does not fail). The size budget is in `sizes`.
const FIRST_RENDER_BUDGET_MS: f64 = 150.0;

/// What the benchmark tests write under target/e2e/.
const BENCH_FIGURES: [&str; 6] = [
    "bench-render.json",
    "bench-events.json",
    "bench-edge.json",
    "bench-fan-out.json",
    "bench-load.json",
    "bench-schemathesis.json",
];
/// Per fuzz target, in the bench's bounded run.
const FUZZ_SECONDS: u64 = 20;

pub fn run() -> Result {
    let toolchain = Toolchain::ensure()?;
    ensure_chromium()?;
    build::all(&toolchain)?;
    // Figures of an earlier run must not pass for this one's.
    for name in BENCH_FIGURES {
        let _ = std::fs::remove_file(root().join("target").join("e2e").join(name));
    }
    end_to_end(&toolchain, Suite::Benchmarks, None)?;
    let render = figures("bench-render.json")?;
    let overhead = figures("bench-edge.json")?;
    let fan_out = figures("bench-fan-out.json")?;
    let load = figures("bench-load.json")?;
    let drain = figures("bench-events.json")?;
    let schemathesis = figures("bench-schemathesis.json")?;
    let fuzzing = crate::fuzz::run(&toolchain, FUZZ_SECONDS)?;
    step("Transfer sizes");

    let sizes = crate::sizes::measure_and_print()?;
    let number = |value: &serde_json::Value, key: &str| value[key].as_f64().unwrap_or(f64::NAN);
    let median = number(&render, "median_ms");
    step("Widget in headless Chromium (10 loads, warm HTTP cache)");
    println!(
        "first render of the list     median {median:>6.1} ms   p90 {:>6.1} ms   budget {FIRST_RENDER_BUDGET_MS} ms {}",
        number(&render, "p90_ms"),
        verdict(median <= FIRST_RENDER_BUDGET_MS)
    );
    println!(
        "interactive (first action)   median {:>6.1} ms   p90 {:>6.1} ms",
        number(&render, "interactive_median_ms"),
        number(&render, "interactive_p90_ms")
    );

    step("Edge: GET /v1/connections vs a hello-world and a floor Worker (same workerd, same run)");
    println!(
        "{:<30} {:>12} {:>10} {:>10} {:>9}",
        "", "requests/s", "p50", "p99", "failed"
    );
    let rounds = overhead["rounds"].as_array().cloned().unwrap_or_default();
    for (index, round) in rounds.iter().enumerate() {
        for (label, key) in [
            ("hello-world Worker", "hello_world"),
            ("floor (Worker + DO row)", "floor"),
            ("floor with static assets", "floor_assets"),
            ("GET /v1/connections", "connections"),
        ] {
            let run = &round[key];
            println!(
                "{:<30} {:>12.0} {:>7.2} ms {:>7.2} ms {:>9}",
                format!("{label}, round {}", index + 1),
                number(run, "requests_per_second"),
                number(run, "p50_ms"),
                number(run, "p99_ms"),
                run["failures"]
            );
        }
    }
    println!(
        "edge throughput as a share of the hello-world Worker's: {:.2}; of the floor's: {:.2}; \
         of the floor with static assets (the edge's deployment shape): {:.2} \
         (mean of {} rounds); p50 ratio to hello world {:.2}; {} concurrent clients",
        number(&overhead, "throughput_ratio"),
        number(&overhead, "floor_ratio"),
        number(&overhead, "floor_assets_ratio"),
        rounds.len(),
        number(&overhead, "p50_ratio"),
        rounds
            .first()
            .map(|round| round["hello_world"]["concurrency"].clone())
            .unwrap_or_default()
    );

    step("Fan-out: every source's status with 100 ms added to each aggregator call (ROOK)");
    println!(
        "{} sources listed; median list {:.1} ms without, {:.1} ms with the latency; {:.2} upstream calls per list",
        fan_out["sources"],
        number(&fan_out, "list_ms_without"),
        number(&fan_out, "list_ms_with"),
        number(&fan_out, "upstream_calls_per_list")
    );

    step("Load: mixed traffic at saturation against wrangler dev");
    let load_run = &load["figures"];
    println!(
        "{:.0} s, {} clients: {} operations ({} HTTP requests), {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {} failed",
        number(load_run, "seconds"),
        load_run["concurrency"],
        load_run["requests"],
        load["http_requests"],
        number(load_run, "requests_per_second"),
        number(load_run, "p50_ms"),
        number(load_run, "p99_ms"),
        load_run["failures"]
    );
    println!(
        "acknowledged connects {} / audited {}; acknowledged disconnects {} / audited {}; other audit rows {}",
        load["acknowledged_connects"],
        load["audited_connects"],
        load["acknowledged_disconnects"],
        load["audited_disconnects"],
        load["other_audit_rows"]
    );
    println!(
        "acknowledged deletes {} / audited {}; events delivered (one webhook-id each): {} connected, {} disconnected, {} deleted, {} other",
        load["acknowledged_deletes"],
        load["audited_deletes"],
        load["connected_events"],
        load["disconnected_events"],
        load["deleted_events"],
        load["other_events"]
    );

    step(
        "Events to the host (Standard Webhooks, loopback receiver verifying with npm standardwebhooks)",
    );
    println!(
        "latency from the acknowledged change to the host's 2xx under the load: p50 {:.0} ms, p99 {:.0} ms",
        number(&load, "event_latency_p50_ms"),
        number(&load, "event_latency_p99_ms")
    );
    println!(
        "backlog of {} events ({} users) after the endpoint is back: drained in {:.1} s ({:.0} events/s), {} extra deliveries",
        drain["events"],
        drain["users"],
        number(&drain, "drain_seconds"),
        number(&drain, "events_per_second"),
        drain["extra_deliveries"]
    );

    step("Hostile input");
    println!(
        "schemathesis (all checks) against /openapi.json: {} generated cases, {} failures",
        schemathesis["generated_cases"], schemathesis["failures"]
    );
    for figure in &fuzzing {
        println!(
            "fuzz {:<20} {:>10} runs in {:>3} s, 0 crashes",
            figure.target, figure.runs, figure.seconds
        );
    }
    let fuzz_json: Vec<serde_json::Value> = fuzzing
        .iter()
        .map(|f| serde_json::json!({ "target": f.target, "runs": f.runs, "seconds": f.seconds, "crashes": 0 }))
        .collect();

    let json = serde_json::json!({
        "first_render": render,
        "edge_overhead": overhead,
        "fan_out": fan_out,
        "load": load,
        "events_drain": drain,
        "schemathesis": schemathesis,
        "fuzz": fuzz_json,
        "files": sizes.files,
        "widget_total": sizes.widget.json(),
        "worker_total": sizes.worker.json(),
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

/// Figures a benchmark test wrote under target/e2e/.
fn figures(name: &str) -> Result<serde_json::Value> {
    let path = root().join("target").join("e2e").join(name);
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| format!("no figures in {}", path.display()))
}
