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
/// Each round measures the three Workers one after the other; two rounds
/// show how much of a difference is noise (2 cores, shared with the client).
const ROUNDS: usize = 2;

#[derive(Serialize)]
struct Overhead {
    rounds: Vec<Round>,
    /// Healthlink's `GET /v1/connections` throughput as a share of the
    /// hello-world Worker's on the same workerd, averaged over the rounds.
    throughput_ratio: f64,
    /// The same as a share of the floor Worker's (one Durable Object read):
    /// the figure to track, as the floor is what a list read must cost.
    floor_ratio: f64,
    /// The same as a share of the floor Worker deployed with static assets
    /// in front, as the edge is: the same deployment shape on both sides.
    floor_assets_ratio: f64,
    p50_ratio: f64,
}

#[derive(Serialize)]
struct Round {
    hello_world: LoadFigures,
    floor: LoadFigures,
    floor_assets: LoadFigures,
    connections: LoadFigures,
    /// `connections` throughput over `hello_world`'s, `floor`'s and
    /// `floor_assets`'.
    throughput_ratio: f64,
    floor_ratio: f64,
    floor_assets_ratio: f64,
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

/// One plain GET, which succeeds on a 200.
async fn get_ok(client: reqwest::Client, url: String) -> bool {
    matches!(client.get(&url).send().await, Ok(r) if r.status() == 200)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0), |(sum, count), value| (sum + value, count + 1));
    sum / f64::from(count)
}

/// `GET /v1/connections` (session check, one Durable Object read, the
/// list) against two baselines on the same workerd, interleaved in one run:
/// a Worker that only says hello, and the floor of a list read (a Worker
/// that forwards to one SQLite Durable Object, which answers one row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench`"]
async fn bench_edge_overhead() {
    let client = bench_client();
    let baseline = |name: &str, path: &str| {
        let (client, url) = (client.clone(), format!("{}{path}", var(name)));
        move |_, _| get_ok(client.clone(), url.clone())
    };
    let hello_request = baseline("HEALTHLINK_HELLO_URL", "/");
    let floor_request = baseline("HEALTHLINK_FLOOR_URL", "/");
    // On a path the Worker runs first for, as the edge's API paths are.
    let floor_assets_request = baseline("HEALTHLINK_FLOOR_ASSETS_URL", "/v1/list");
    // The edge itself, not the recorder in front of it.
    let edge = format!("{}/v1/connections", var("HEALTHLINK_EDGE_DIRECT_URL"));
    let mut sessions = Vec::new();
    for _ in 0..CONCURRENCY {
        sessions.push(Edge::Sandbox.session_for(&unique("bench")).await);
    }
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
    closed_loop(CONCURRENCY, WARM_UP, floor_request.clone()).await;
    closed_loop(CONCURRENCY, WARM_UP, floor_assets_request.clone()).await;
    closed_loop(CONCURRENCY, WARM_UP, edge_request.clone()).await;
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let hello_world = closed_loop(CONCURRENCY, MEASURE, hello_request.clone()).await;
        let floor = closed_loop(CONCURRENCY, MEASURE, floor_request.clone()).await;
        let floor_assets = closed_loop(CONCURRENCY, MEASURE, floor_assets_request.clone()).await;
        let connections = closed_loop(CONCURRENCY, MEASURE, edge_request.clone()).await;
        assert_eq!(hello_world.failures, 0, "{hello_world:?}");
        assert_eq!(floor.failures, 0, "{floor:?}");
        assert_eq!(floor_assets.failures, 0, "{floor_assets:?}");
        assert_eq!(connections.failures, 0, "{connections:?}");
        rounds.push(Round {
            throughput_ratio: connections.requests_per_second / hello_world.requests_per_second,
            floor_ratio: connections.requests_per_second / floor.requests_per_second,
            floor_assets_ratio: connections.requests_per_second / floor_assets.requests_per_second,
            hello_world,
            floor,
            floor_assets,
            connections,
        });
    }
    let figures = Overhead {
        throughput_ratio: mean(rounds.iter().map(|round| round.throughput_ratio)),
        floor_ratio: mean(rounds.iter().map(|round| round.floor_ratio)),
        floor_assets_ratio: mean(rounds.iter().map(|round| round.floor_assets_ratio)),
        p50_ratio: mean(
            rounds
                .iter()
                .map(|round| round.connections.p50_ms / round.hello_world.p50_ms),
        ),
        rounds,
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
