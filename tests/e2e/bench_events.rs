//! Event delivery figures for `cargo xtask bench` (latency under load is in
//! `load.rs`): how long a backlog of 1,000 events takes to reach the host
//! once its endpoint is back. Prints figures; asserts only that nothing was
//! lost.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::receiver::{Answered, Mode, Receiver};
use healthlink_tests::{env, unique};
use reqwest::Method;
use serde::Serialize;

use crate::flow_support::{redirect_body, walk_connect};

const USERS: usize = 50;
/// Connects and disconnects per user: 20 × 50 = 1,000 events.
const CHANGES_PER_USER: usize = 20;

#[derive(Serialize)]
struct Drain {
    events: usize,
    users: usize,
    /// From `POST /v1/events/resume` to the last event's 2xx.
    drain_seconds: f64,
    events_per_second: f64,
    /// Deliveries beyond one per event (each had one 410 answer at most).
    extra_deliveries: usize,
}

/// The host's endpoint answers 410 (delivery stops), 1,000 events pile up
/// across 50 users, then the endpoint is resumed: every event arrives, in
/// order per user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench`"]
async fn bench_events_drain() {
    let receiver = Receiver::from_env();
    receiver.set_mode("sandbox", Mode::Gone410, Some(1)).await;
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = unique("drain");
        users.push((user.clone(), Edge::Sandbox.session_for(&user).await));
    }
    // One user's event meets the 410 and disables the endpoint for all.
    let (first, first_session) = &users[0];
    let (back, _) = walk_connect(first_session, "oura", redirect_body("/settings"), true).await;
    assert_eq!(back.status, 303);
    receiver
        .wait_for(
            "sandbox",
            Some(first),
            |seen| seen.iter().any(|d| d.answered == Answered::Status(410)),
            Duration::from_secs(30),
        )
        .await;
    let mut tasks = Vec::new();
    for (index, (_, session)) in users.iter().enumerate() {
        let session = session.clone();
        let skip_first = usize::from(index == 0);
        tasks.push(tokio::spawn(async move {
            for change in skip_first..CHANGES_PER_USER {
                if change % 2 == 0 {
                    let (back, _) =
                        walk_connect(&session, "oura", redirect_body("/settings"), true).await;
                    assert_eq!(back.status, 303, "{}", back.body);
                } else {
                    let answer = Answer::send(Edge::Sandbox.widget(
                        Method::POST,
                        "/v1/connections/oura/disconnect",
                        &session,
                    ))
                    .await;
                    assert_eq!(answer.status, 200, "{}", answer.body);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a user's changes");
    }
    let started = Instant::now();
    let resumed = Answer::send(Edge::Sandbox.backend(Method::POST, "/v1/events/resume")).await;
    assert_eq!(resumed.status, 204);
    let expected: HashSet<&str> = users.iter().map(|(user, _)| user.as_str()).collect();
    let all = receiver
        .wait_for(
            "sandbox",
            None,
            |seen| {
                let delivered: HashSet<&str> = seen
                    .iter()
                    .filter(|d| matches!(d.answered, Answered::Status(200..=299)))
                    .filter(|d| d.data_str("user_id").is_some_and(|u| expected.contains(u)))
                    .filter_map(|d| d.id.as_deref())
                    .collect();
                delivered.len() >= USERS * CHANGES_PER_USER
            },
            Duration::from_secs(300),
        )
        .await;
    let drain_seconds = started.elapsed().as_secs_f64();
    let ours: Vec<_> = all
        .iter()
        .filter(|d| d.data_str("user_id").is_some_and(|u| expected.contains(u)))
        .collect();
    assert!(ours.iter().all(|d| d.valid));
    let events = USERS * CHANGES_PER_USER;
    let figures = Drain {
        events,
        users: USERS,
        drain_seconds,
        events_per_second: events as f64 / drain_seconds,
        extra_deliveries: ours.len() - events,
    };
    let json = serde_json::to_string_pretty(&figures).expect("json");
    println!("bench-events.json: {json}");
    std::fs::write(env().artifacts.join("bench-events.json"), json).expect("write the figures");
}
