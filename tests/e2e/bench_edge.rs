//! Edge benchmarks, run by `cargo xtask bench` (ignored otherwise). They
//! print figures and write them under target/e2e/; they assert only that
//! the runs were clean, never how fast they were.

use std::time::{Duration, Instant};

use healthlink_tests::edge::Edge;
use healthlink_tests::emulators::rook::{Behaviour, Call, rook};
use healthlink_tests::load::{LoadFigures, closed_loop, percentile_ms};
use healthlink_tests::{env, unique};
use serde::Serialize;

use crate::aggregator_support::connect;

/// Enough to keep both cores busy without queueing forever.
const CONCURRENCY: usize = 8;
const WARM_UP: Duration = Duration::from_secs(3);
const MEASURE: Duration = Duration::from_secs(10);

#[derive(Serialize)]
struct Overhead {
    hello_world: LoadFigures,
    connections: LoadFigures,
    /// Healthlink's `GET /v1/connections` throughput as a share of the
    /// hello-world Worker's on the same workerd: the figure to track.
    throughput_ratio: f64,
    p50_ratio: f64,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run through `cargo xtask bench`"))
}

fn bench_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// `GET /v1/connections` (session check, one Durable Object read, the
/// list) against a Worker that only says hello, interleaved in one run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench`"]
async fn bench_edge_overhead() {
    let hello = format!("{}/", var("HEALTHLINK_HELLO_URL"));
    // The edge itself, not the recorder in front of it.
    let edge = format!("{}/v1/connections", var("HEALTHLINK_EDGE_DIRECT_URL"));
    let mut sessions = Vec::new();
    for _ in 0..CONCURRENCY {
        sessions.push(Edge::Sandbox.session_for(&unique("bench")).await);
    }
    let client = bench_client();
    let hello_request = {
        let client = client.clone();
        move |_, _| {
            let (client, url) = (client.clone(), hello.clone());
            async move { matches!(client.get(&url).send().await, Ok(r) if r.status() == 200) }
        }
    };
    let edge_request = move |worker: usize, _| {
        let (client, url) = (client.clone(), edge.clone());
        let session = sessions[worker].clone();
        async move {
            let response = client
                .get(&url)
                .bearer_auth(session)
                .header("origin", env().host_origin())
                .send()
                .await;
            matches!(response, Ok(r) if r.status() == 200)
        }
    };
    closed_loop(CONCURRENCY, WARM_UP, hello_request.clone()).await;
    closed_loop(CONCURRENCY, WARM_UP, edge_request.clone()).await;
    let hello_world = closed_loop(CONCURRENCY, MEASURE, hello_request).await;
    let connections = closed_loop(CONCURRENCY, MEASURE, edge_request).await;
    assert_eq!(hello_world.failures, 0, "{hello_world:?}");
    assert_eq!(connections.failures, 0, "{connections:?}");
    let figures = Overhead {
        throughput_ratio: connections.requests_per_second / hello_world.requests_per_second,
        p50_ratio: connections.p50_ms / hello_world.p50_ms,
        hello_world,
        connections,
    };
    write("bench-edge.json", &figures);
}

#[derive(Serialize)]
struct FanOut {
    sources: usize,
    upstream_latency_ms: u64,
    /// Median list time with no added latency, then with it.
    list_ms_without: f64,
    list_ms_with: f64,
    /// Calls to the aggregator per list read.
    upstream_calls_per_list: f64,
}

/// The status of every source while each aggregator call takes 100 ms
/// longer: one upstream call per list, so about one latency, not N.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench`"]
async fn bench_fan_out() {
    const LATENCY: Duration = Duration::from_millis(100);
    const READS: usize = 15;
    let user = unique("fanout");
    let session = Edge::Rook.session_for(&user).await;
    // Several sources connected, so the edge has statuses to check.
    for source in ["oura", "garmin", "polar", "fitbit"] {
        assert_eq!(connect(Edge::Rook, &session, source).await, "connected");
    }
    let read = |session: String| async move {
        let started = Instant::now();
        let response = Edge::Rook
            .widget(reqwest::Method::GET, "/v1/connections", &session)
            .send()
            .await
            .expect("the list");
        assert_eq!(response.status(), 200);
        let body = response.text().await.expect("body");
        (started.elapsed(), body.matches("\"id\"").count())
    };
    let mut without = Vec::new();
    let mut sources = 0;
    for _ in 0..READS {
        let (elapsed, listed) = read(session.clone()).await;
        without.push(elapsed);
        sources = listed;
    }
    rook().behave(
        &user,
        Behaviour {
            latency: Some(LATENCY),
            ..Behaviour::default()
        },
    );
    let calls_before = rook().calls(&user, Call::Authorized);
    let mut with = Vec::new();
    for _ in 0..READS {
        with.push(read(session.clone()).await.0);
    }
    let calls = rook().calls(&user, Call::Authorized) - calls_before;
    without.sort_unstable();
    with.sort_unstable();
    let figures = FanOut {
        sources,
        upstream_latency_ms: LATENCY.as_millis() as u64,
        list_ms_without: percentile_ms(&without, 50.0),
        list_ms_with: percentile_ms(&with, 50.0),
        upstream_calls_per_list: calls as f64 / READS as f64,
    };
    write("bench-fan-out.json", &figures);
}

fn write(name: &str, figures: &impl Serialize) {
    let json = serde_json::to_string_pretty(figures).expect("json");
    println!("{name}: {json}");
    std::fs::write(env().artifacts.join(name), json).expect("write the figures");
}
