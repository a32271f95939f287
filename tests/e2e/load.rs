//! The edge at saturation with mixed traffic: many users read their lists
//! while connecting, disconnecting and deleting sources. Nothing may fail,
//! every acknowledged connect, disconnect and delete must be in the audit
//! trail exactly once, and each must reach the host as exactly one event
//! (one `webhook-id`), all delivered by the end. The suite runs a short
//! round; `cargo xtask bench` runs 60 s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use healthlink_shared::{AuditPage, ConnectResponse};
use healthlink_tests::edge::Edge;

use crate::flow_support::consent_href;
use healthlink_tests::load::{LoadFigures, closed_loop};
use healthlink_tests::{env, unique};
use serde::Serialize;

/// Sources each user toggles, in turn.
const SOURCES: [&str; 3] = ["oura", "garmin", "polar"];
/// One action (connect or disconnect) per this many operations; the rest
/// are list reads, as a page of widgets would mostly do.
const ACTION_EVERY: u64 = 4;

/// One load worker: its own user, and what the edge acknowledged to it.
#[derive(Default)]
struct Worker {
    user: String,
    session: String,
    connected: [bool; SOURCES.len()],
    connects: u64,
    disconnects: u64,
    deletes: u64,
    /// The first unexpected answers, for the failure message.
    problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MixedLoad {
    pub figures: LoadFigures,
    pub http_requests: u64,
    pub acknowledged_connects: u64,
    pub acknowledged_disconnects: u64,
    pub acknowledged_deletes: u64,
    pub audited_connects: u64,
    pub audited_disconnects: u64,
    pub audited_deletes: u64,
    pub other_audit_rows: u64,
    /// Distinct `webhook-id`s the host received, by what they said.
    pub connected_events: u64,
    pub disconnected_events: u64,
    pub deleted_events: u64,
    pub other_events: u64,
    /// Deliveries beyond the first of an id (retries; none when healthy).
    pub repeated_deliveries: u64,
    /// From each acknowledged change to the host's 2xx: every event.
    pub event_latency_p50_ms: f64,
    pub event_latency_p99_ms: f64,
    pub users: usize,
}

/// Runs the mixed load against the sandbox edge (through the recorder, so
/// every byte sent is scanned for leaks afterwards) and reads the audit
/// trails back.
pub async fn mixed_load(concurrency: usize, duration: Duration) -> MixedLoad {
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let user = unique("load");
        let session = Edge::Sandbox.session_for(&user).await;
        workers.push(Mutex::new(Worker {
            user,
            session,
            ..Worker::default()
        }));
    }
    let workers = Arc::new(workers);
    let http_requests = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Bounded: a hung request fails the run instead of stalling it.
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");

    let figures = {
        let workers = workers.clone();
        let http_requests = http_requests.clone();
        closed_loop(concurrency, duration, move |index, iteration| {
            let workers = workers.clone();
            let http_requests = http_requests.clone();
            let client = client.clone();
            async move {
                let slot = (iteration / ACTION_EVERY) as usize % SOURCES.len();
                let (session, connected) = {
                    let worker = workers[index].lock().expect("worker");
                    (worker.session.clone(), worker.connected[slot])
                };
                let outcome = if iteration % ACTION_EVERY == ACTION_EVERY - 1 {
                    // Every other ending is a delete.
                    let ending = if (iteration / ACTION_EVERY / 2).is_multiple_of(2) {
                        "disconnect"
                    } else {
                        "delete"
                    };
                    if connected {
                        end(&client, &session, SOURCES[slot], ending, &http_requests).await
                    } else {
                        connect(&client, &session, SOURCES[slot], &http_requests).await
                    }
                } else {
                    list(&client, &session, &http_requests).await
                };
                let mut worker = workers[index].lock().expect("worker");
                match outcome {
                    Ok(Acknowledged::Connected) => {
                        worker.connected[slot] = true;
                        worker.connects += 1;
                        true
                    }
                    Ok(Acknowledged::Disconnected) => {
                        worker.connected[slot] = false;
                        worker.disconnects += 1;
                        true
                    }
                    Ok(Acknowledged::Deleted) => {
                        worker.connected[slot] = false;
                        worker.deletes += 1;
                        true
                    }
                    Ok(Acknowledged::Read) => true,
                    Err(problem) => {
                        if worker.problems.len() < 3 {
                            worker.problems.push(problem);
                        }
                        false
                    }
                }
            }
        })
        .await
    };

    let mut report = MixedLoad {
        figures,
        http_requests: http_requests.load(Ordering::Relaxed),
        acknowledged_connects: 0,
        acknowledged_disconnects: 0,
        acknowledged_deletes: 0,
        audited_connects: 0,
        audited_disconnects: 0,
        audited_deletes: 0,
        other_audit_rows: 0,
        connected_events: 0,
        disconnected_events: 0,
        deleted_events: 0,
        other_events: 0,
        repeated_deliveries: 0,
        event_latency_p50_ms: 0.0,
        event_latency_p99_ms: 0.0,
        users: concurrency,
    };
    let mut latencies = Vec::new();
    for worker in workers.iter() {
        let user = {
            let worker = worker.lock().expect("worker");
            assert!(
                worker.problems.is_empty(),
                "{}: {:?}",
                worker.user,
                worker.problems
            );
            report.acknowledged_connects += worker.connects;
            report.acknowledged_disconnects += worker.disconnects;
            report.acknowledged_deletes += worker.deletes;
            (
                worker.user.clone(),
                worker.connects + worker.disconnects + worker.deletes,
            )
        };
        let (user, changes) = user;
        let mut changed_at = std::collections::HashMap::new();
        for entry in audit_trail(&user).await {
            changed_at.insert(entry.2, entry.3);
            match (entry.0.as_str(), entry.1.as_str()) {
                ("connect", "connected") => report.audited_connects += 1,
                ("disconnect", "disconnected") => report.audited_disconnects += 1,
                ("delete", "disconnected") => report.audited_deletes += 1,
                _ => report.other_audit_rows += 1,
            }
        }
        for event in delivered_events(&user, changes).await {
            let data = event.data.clone().unwrap_or_default();
            match (event.event_type.as_deref(), data["delete_data"].as_bool()) {
                (Some("connection.connected"), _) => report.connected_events += 1,
                (Some("connection.disconnected"), Some(false)) => {
                    report.disconnected_events += 1;
                }
                (Some("connection.disconnected"), Some(true)) => report.deleted_events += 1,
                _ => report.other_events += 1,
            }
            if event.attempt > 1 {
                report.repeated_deliveries += 1;
            }
            // The audit row's time is when the change was acknowledged.
            if let Some(at) = data["audit_id"].as_i64().and_then(|id| changed_at.get(&id)) {
                latencies.push(event.received_at_ms as f64 - *at as f64);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    report.event_latency_p50_ms = percentile(&latencies, 0.50);
    report.event_latency_p99_ms = percentile(&latencies, 0.99);
    report
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * share).round() as usize;
    sorted[index]
}

/// The user's events at the host, each `webhook-id` once, when all
/// `expected` have been answered 2xx (bounded wait).
async fn delivered_events(user: &str, expected: u64) -> Vec<healthlink_tests::receiver::Delivery> {
    use healthlink_tests::receiver::{Answered, Receiver};
    let all = Receiver::from_env()
        .wait_for(
            "sandbox",
            Some(user),
            |seen| {
                let delivered: std::collections::HashSet<&str> = seen
                    .iter()
                    .filter(|d| matches!(d.answered, Answered::Status(200..=299)))
                    .filter_map(|d| d.id.as_deref())
                    .collect();
                delivered.len() as u64 >= expected
            },
            Duration::from_secs(60),
        )
        .await;
    let mut first = std::collections::HashSet::new();
    all.into_iter()
        .filter(|delivery| delivery.valid && first.insert(delivery.id.clone()))
        .collect()
}

enum Acknowledged {
    Read,
    Connected,
    Disconnected,
    Deleted,
}

fn widget_request(
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    session: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, Edge::Sandbox.url(path))
        .bearer_auth(session)
        .header("origin", env().host_origin())
}

async fn send(
    request: reqwest::RequestBuilder,
    counter: &AtomicU64,
) -> Result<(u16, String, Option<String>), String> {
    counter.fetch_add(1, Ordering::Relaxed);
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, body, location))
}

async fn list(
    client: &reqwest::Client,
    session: &str,
    counter: &AtomicU64,
) -> Result<Acknowledged, String> {
    let (status, body, _) = send(
        widget_request(client, reqwest::Method::GET, "/v1/connections", session),
        counter,
    )
    .await?;
    match status {
        200 if body.contains("\"sources\"") => Ok(Acknowledged::Read),
        _ => Err(format!("list: {status} {body}")),
    }
}

/// A disconnect or a delete (`ending`), acknowledged when `disconnected`.
async fn end(
    client: &reqwest::Client,
    session: &str,
    source: &str,
    ending: &str,
    counter: &AtomicU64,
) -> Result<Acknowledged, String> {
    let path = format!("/v1/connections/{source}/{ending}");
    let (status, body, _) = send(
        widget_request(client, reqwest::Method::POST, &path, session),
        counter,
    )
    .await?;
    match (status, ending) {
        (200, "delete") if body.contains("\"disconnected\"") => Ok(Acknowledged::Deleted),
        (200, _) if body.contains("\"disconnected\"") => Ok(Acknowledged::Disconnected),
        _ => Err(format!("{ending} {source}: {status} {body}")),
    }
}

/// Connect → the sandbox's consent page → Allow → the edge's return, as a
/// browser does it; acknowledged when the return reports `connected`.
async fn connect(
    client: &reqwest::Client,
    session: &str,
    source: &str,
    counter: &AtomicU64,
) -> Result<Acknowledged, String> {
    let path = format!("/v1/connections/{source}/connect");
    let body = serde_json::json!({
        "flow": "redirect",
        "return_url": format!("{}/load", env().host_origin()),
    });
    let (status, answer, _) = send(
        widget_request(client, reqwest::Method::POST, &path, session).json(&body),
        counter,
    )
    .await?;
    if status != 200 {
        return Err(format!("connect {source}: {status} {answer}"));
    }
    let ConnectResponse { url } =
        serde_json::from_str(&answer).map_err(|e| format!("connect answer: {e}"))?;
    let (status, page, _) = send(client.get(&url), counter).await?;
    let allow = consent_href(&page, true)
        .filter(|_| status == 200)
        .ok_or_else(|| format!("consent page: {status}"))?;
    let (status, _, location) = send(client.get(&allow), counter).await?;
    match location {
        Some(location) if status == 303 && location.contains("healthlink_result=connected") => {
            Ok(Acknowledged::Connected)
        }
        _ => Err(format!("return for {source}: {status} {location:?}")),
    }
}

/// Every `(action, result, id, at_ms)` row of a user's audit trail, all pages.
async fn audit_trail(user: &str) -> Vec<(String, String, i64, i64)> {
    let mut rows = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let query = match before {
            Some(before) => format!("?limit=100&before={before}"),
            None => "?limit=100".to_owned(),
        };
        let response = Edge::Sandbox
            .backend(
                reqwest::Method::GET,
                &format!("/v1/users/{user}/audit{query}"),
            )
            .send()
            .await
            .expect("the audit trail");
        assert_eq!(response.status(), 200);
        let page: AuditPage = response.json().await.expect("an audit page");
        rows.extend(page.entries.into_iter().map(|entry| {
            let at_ms =
                healthlink_edge::time::unix_ms_from_rfc3339(&entry.at).expect("an RFC 3339 time");
            (entry.action, entry.result, entry.id, at_ms)
        }));
        match page.next_before {
            Some(next) => before = Some(next),
            None => return rows,
        }
    }
}

/// Asserts the load's promises: nothing failed, and the audit trail holds
/// each acknowledged action exactly once and nothing else.
pub fn assert_exactly_once(load: &MixedLoad) {
    assert_eq!(load.figures.failures, 0, "{load:?}");
    assert!(
        load.acknowledged_connects > 0 && load.acknowledged_disconnects > 0,
        "{load:?}"
    );
    assert_eq!(
        load.audited_connects, load.acknowledged_connects,
        "{load:?}"
    );
    assert_eq!(
        load.audited_disconnects, load.acknowledged_disconnects,
        "{load:?}"
    );
    assert_eq!(load.audited_deletes, load.acknowledged_deletes, "{load:?}");
    assert!(load.acknowledged_deletes > 0, "{load:?}");
    assert_eq!(load.other_audit_rows, 0, "{load:?}");
    // Exactly one event per acknowledged change, every one delivered.
    assert_eq!(
        load.connected_events, load.acknowledged_connects,
        "{load:?}"
    );
    assert_eq!(
        load.disconnected_events, load.acknowledged_disconnects,
        "{load:?}"
    );
    assert_eq!(load.deleted_events, load.acknowledged_deletes, "{load:?}");
    assert_eq!(load.other_events, 0, "{load:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_fails_nothing_and_audits_each_action_once() {
    let load = mixed_load(8, Duration::from_secs(8)).await;
    assert_exactly_once(&load);
}

/// The full round for `cargo xtask bench`: 60 s at saturation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench`"]
async fn bench_load() {
    let load = mixed_load(32, Duration::from_secs(60)).await;
    let path = env().artifacts.join("bench-load.json");
    std::fs::write(&path, serde_json::to_string_pretty(&load).expect("json")).expect("write");
    println!("{load:?}");
    assert_exactly_once(&load);
}
