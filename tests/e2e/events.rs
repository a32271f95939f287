//! Events to the host's backend, end to end: every change the edges
//! record reaches the suite's receiver, which verifies each delivery with
//! the npm `standardwebhooks` package (not our code), in order, once per
//! `webhook-id` however often it is retried — through faults, 410 and
//! erasure; and the backend API shows the deliveries and redelivers one.

use std::collections::HashSet;
use std::time::Duration;

use healthlink_shared::{ConnectionStatus, DeliveryList, DeliveryState, DisconnectResponse};
use healthlink_tests::edge::{Answer, Edge, client};
use healthlink_tests::emulators::thryve::{Revoke, thryve};
use healthlink_tests::receiver::{Answered, Delivery, Mode, NoAnswer, Receiver};
use healthlink_tests::unique;
use reqwest::Method;

use crate::aggregator_support::{audit, connect, disconnect, status};
use crate::flow_support::{redirect_body, walk_connect};

/// Long enough for a retry schedule of 100 ms … 3.2 s to run out twice.
const PATIENCE: Duration = Duration::from_secs(30);

fn hook(edge: Edge) -> &'static str {
    match edge {
        Edge::Sandbox => "sandbox",
        Edge::Thryve => "thryve",
        Edge::Rook => "rook",
    }
}

/// The user's events as the host saw them: each `webhook-id` once (its
/// first arrival), in arrival order, all verified. Waits until there are
/// `count` and every one was answered 2xx at least once.
async fn events(edge: Edge, user: &str, count: usize) -> Vec<Delivery> {
    let seen = Receiver::from_env()
        .wait_for(
            hook(edge),
            Some(user),
            |seen| {
                let ids: HashSet<&str> = seen.iter().filter_map(|d| d.id.as_deref()).collect();
                let delivered: HashSet<&str> = seen
                    .iter()
                    .filter(|d| matches!(d.answered, Answered::Status(200..=299)))
                    .filter_map(|d| d.id.as_deref())
                    .collect();
                ids.len() >= count && delivered.len() == ids.len()
            },
            PATIENCE,
        )
        .await;
    for delivery in &seen {
        assert!(delivery.valid, "not verified: {delivery:?}");
    }
    let mut first = HashSet::new();
    seen.into_iter()
        .filter(|delivery| first.insert(delivery.id.clone()))
        .collect()
}

fn summary(events: &[Delivery]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|event| {
            (
                event.event_type.clone().unwrap_or_default(),
                event.data_str("source").unwrap_or("-").to_owned(),
                event.data_str("actor").unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn is(kind: &str, source: &str, actor: &str) -> (String, String, String) {
    (kind.to_owned(), source.to_owned(), actor.to_owned())
}

fn delete_data(event: &Delivery) -> Option<bool> {
    event.data.as_ref()?.get("delete_data")?.as_bool()
}

async fn delete(edge: Edge, session: &str, source: &str) -> Answer {
    Answer::send(edge.widget(
        Method::POST,
        &format!("/v1/connections/{source}/delete"),
        session,
    ))
    .await
}

async fn sandbox_connect(session: &str, source: &str) {
    let (back, _) = walk_connect(session, source, redirect_body("/settings"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);
}

#[tokio::test]
async fn every_change_on_the_sandbox_reaches_the_host_in_order_and_verified() {
    let edge = Edge::Sandbox;
    let user = unique("events");
    let session = edge.session_for(&user).await;
    sandbox_connect(&session, "oura").await;
    sandbox_connect(&session, "garmin").await;
    assert_eq!(disconnect(edge, &session, "oura").await.status, 200);
    assert_eq!(delete(edge, &session, "garmin").await.status, 200);
    // Nothing left to end: no event.
    assert_eq!(delete(edge, &session, "garmin").await.status, 200);
    let seen = events(edge, &user, 4).await;
    assert_eq!(
        summary(&seen),
        [
            is("connection.connected", "oura", "user"),
            is("connection.connected", "garmin", "user"),
            is("connection.disconnected", "oura", "user"),
            is("connection.disconnected", "garmin", "user"),
        ]
    );
    assert_eq!(delete_data(&seen[2]), Some(false));
    assert_eq!(delete_data(&seen[3]), Some(true));
    assert_eq!(seen[3].data_str("previous_status"), Some("connected"));
    assert_eq!(seen[3].data_str("status"), Some("disconnected"));
    assert_eq!(seen[3].data_str("aggregator"), Some("sandbox"));
    // Each event names its audit row.
    let rows = audit(edge, &user).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    let audit_ids: Vec<i64> = seen
        .iter()
        .map(|event| event.data.as_ref().unwrap()["audit_id"].as_i64().unwrap())
        .collect();
    assert!(
        audit_ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{audit_ids:?}"
    );
    // Nothing secret or health-related in the payloads.
    for event in &seen {
        let data = event.data.as_ref().unwrap().as_object().unwrap();
        for key in data.keys() {
            assert!(
                [
                    "user_id",
                    "source",
                    "status",
                    "previous_status",
                    "delete_data",
                    "actor",
                    "aggregator",
                    "audit_id",
                    "occurred_at",
                ]
                .contains(&key.as_str()),
                "unexpected field {key}"
            );
        }
    }
    // A second user's events are theirs alone.
    let other = unique("events-other");
    let other_session = edge.session_for(&other).await;
    sandbox_connect(&other_session, "oura").await;
    assert_eq!(events(edge, &other, 1).await.len(), 1);
    assert_eq!(events(edge, &user, 4).await.len(), 4);
}

#[tokio::test]
async fn expiry_pending_revokes_errors_and_erasure_have_their_events() {
    let edge = Edge::Sandbox;
    // The aggregator reports the grant expired at the next status check.
    let expired = unique("fault-expired");
    let session = edge.session_for(&expired).await;
    sandbox_connect(&session, "oura").await;
    assert_eq!(
        status(edge, &session, "oura").await,
        ConnectionStatus::Expired
    );
    assert_eq!(
        summary(&events(edge, &expired, 2).await),
        [
            is("connection.connected", "oura", "user"),
            is("connection.expired", "oura", "aggregator"),
        ]
    );
    // A revoke the aggregator has yet to confirm, asked for as a delete.
    let pending = unique("fault-pending");
    let session = edge.session_for(&pending).await;
    sandbox_connect(&session, "oura").await;
    let answer = delete(edge, &session, "oura").await;
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Pending
    );
    let seen = events(edge, &pending, 2).await;
    assert_eq!(
        seen[1].event_type.as_deref(),
        Some("connection.revoke_pending")
    );
    assert_eq!(delete_data(&seen[1]), Some(true));
    // A revoke the aggregator refuses, in the API's terms.
    let failing = unique("fault-revoke-fails");
    let session = edge.session_for(&failing).await;
    sandbox_connect(&session, "oura").await;
    disconnect(edge, &session, "oura")
        .await
        .expect_problem(502, "disconnect_failed");
    let seen = events(edge, &failing, 2).await;
    assert_eq!(seen[1].event_type.as_deref(), Some("connection.error"));
    assert_eq!(seen[1].data_str("status"), Some("connected"));
    let error = &seen[1].data.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "disconnect_failed");
    // Erasure: the user's last event.
    let erased = unique("events-erased");
    let session = edge.session_for(&erased).await;
    sandbox_connect(&session, "oura").await;
    events(edge, &erased, 1).await;
    let answer = Answer::send(edge.backend(Method::DELETE, &format!("/v1/users/{erased}"))).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let seen = events(edge, &erased, 2).await;
    assert_eq!(seen[1].event_type.as_deref(), Some("user.erased"));
    assert_eq!(seen[1].data_str("user_id"), Some(erased.as_str()));
    assert_eq!(delete_data(&seen[1]), Some(true));
    // Once delivered, not even the record of it stays.
    let list: DeliveryList =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{erased}/events")))
            .await
            .json();
    assert!(list.deliveries.is_empty(), "{list:?}");
}

#[tokio::test]
async fn thryve_webhooks_and_confirmations_become_events() {
    let edge = Edge::Thryve;
    let user = unique("events-thryve");
    thryve().behave(
        &user,
        healthlink_tests::emulators::thryve::Behaviour {
            revoke: Revoke::NoResult,
            ..Default::default()
        },
    );
    let session = edge.session_for(&user).await;
    assert_eq!(connect(edge, &session, "polar").await, "connected");
    assert_eq!(delete(edge, &session, "polar").await.status, 200);
    let end_user = thryve().end_user_id(&user).unwrap();
    let confirmation = serde_json::json!({
        "type": "notification.source.disconnect",
        "endUserId": end_user,
        "endUserAlias": healthlink_tests::emulators::thryve::Thryve::partner_id(&user),
        "dataSourceId": 3,
        "timestamp": "2030-01-01T00:00:00Z",
    })
    .to_string();
    crate::aggregator_support::webhook(edge, Some(&thryve_secret()), &confirmation).await;
    let seen = events(edge, &user, 3).await;
    assert_eq!(
        summary(&seen),
        [
            // Thryve's webhook comes before the browser's return.
            is("connection.connected", "polar", "aggregator"),
            is("connection.revoke_pending", "polar", "user"),
            is("connection.disconnected", "polar", "aggregator"),
        ]
    );
    // The delete the user asked for is what the confirmation carries out.
    assert_eq!(delete_data(&seen[1]), Some(true));
    assert_eq!(delete_data(&seen[2]), Some(true));
}

fn thryve_secret() -> String {
    healthlink_tests::env()
        .secret("THRYVE_WEBHOOK_SECRET")
        .to_owned()
}

#[tokio::test]
async fn a_rotating_rook_edge_signs_with_both_secrets() {
    let edge = Edge::Rook;
    let user = unique("events-rook");
    let session = edge.session_for(&user).await;
    assert_eq!(connect(edge, &session, "oura").await, "connected");
    let seen = events(edge, &user, 1).await;
    assert_eq!(summary(&seen), [is("connection.connected", "oura", "user")]);
    // The receiver holds both secrets for ROOK and verified each one.
    assert!(seen[0].valid);
}

#[tokio::test]
async fn failures_are_retried_until_delivered_and_nothing_is_lost() {
    let edge = Edge::Sandbox;
    let receiver = Receiver::from_env();
    let user = unique("events-faults");
    let session = edge.session_for(&user).await;
    // 500, then a timeout, then a dropped connection, then the host is back.
    for mode in [Mode::Fail500, Mode::Timeout, Mode::Drop] {
        receiver
            .set_user_mode(hook(edge), &user, mode, Some(1))
            .await;
    }
    sandbox_connect(&session, "oura").await;
    sandbox_connect(&session, "garmin").await;
    assert_eq!(disconnect(edge, &session, "oura").await.status, 200);
    let seen = events(edge, &user, 3).await;
    assert_eq!(
        summary(&seen),
        [
            is("connection.connected", "oura", "user"),
            is("connection.connected", "garmin", "user"),
            is("connection.disconnected", "oura", "user"),
        ],
        "in order, though the first one failed three times"
    );
    let all = receiver.deliveries(hook(edge), Some(&user)).await;
    let first: Vec<&Delivery> = all.iter().filter(|d| d.id == seen[0].id).collect();
    let answers: Vec<Answered> = first.iter().map(|d| d.answered).collect();
    assert_eq!(
        answers,
        [
            Answered::Status(500),
            Answered::Nothing(NoAnswer::Timeout),
            Answered::Nothing(NoAnswer::Drop),
            Answered::Status(204),
        ],
        "the same webhook-id each time"
    );
    let attempts: Vec<u32> = first.iter().map(|d| d.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    // The backend sees the same history.
    let list: DeliveryList =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/events")))
            .await
            .json();
    let oldest = list.deliveries.last().unwrap();
    assert_eq!(Some(&oldest.id), seen[0].id.as_ref());
    assert_eq!(oldest.state, DeliveryState::Delivered);
    let outcomes: Vec<&str> = oldest.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["http_500", "timeout", "connection_failed", "delivered"]
    );
    // A redelivery keeps the id.
    let again = Answer::send(edge.backend(
        Method::POST,
        &format!("/v1/users/{user}/events/{}/redeliver", oldest.id),
    ))
    .await;
    assert_eq!(again.status, 202, "{}", again.body);
    receiver
        .wait_for(
            hook(edge),
            Some(&user),
            |all| {
                all.iter()
                    .filter(|d| d.id.as_ref() == Some(&oldest.id))
                    .count()
                    == 5
            },
            PATIENCE,
        )
        .await;
}

#[tokio::test]
async fn a_410_disables_delivery_until_resumed_and_then_everything_arrives() {
    let edge = Edge::Thryve;
    let receiver = Receiver::from_env();
    let user = unique("events-gone");
    receiver
        .set_user_mode(hook(edge), &user, Mode::Gone410, Some(1))
        .await;
    let session = edge.session_for(&user).await;
    assert_eq!(connect(edge, &session, "polar").await, "connected");
    receiver
        .wait_for(
            hook(edge),
            Some(&user),
            |all| all.iter().any(|d| d.answered == Answered::Status(410)),
            PATIENCE,
        )
        .await;
    // Disabled, and /healthz says so.
    let mut health = serde_json::Value::Null;
    for _ in 0..100 {
        health = Answer::send(client().get(edge.url("/healthz")))
            .await
            .json();
        if health["events"]["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health["events"]["status"], "disabled", "{health}");
    assert_eq!(disconnect(edge, &session, "polar").await.status, 200);
    let resumed = Answer::send(edge.backend(Method::POST, "/v1/events/resume")).await;
    assert_eq!(resumed.status, 204, "{}", resumed.body);
    let seen = events(edge, &user, 2).await;
    assert_eq!(
        summary(&seen),
        [
            is("connection.connected", "polar", "aggregator"),
            is("connection.disconnected", "polar", "user"),
        ]
    );
    // Not given up: the 410 did not count as a failure.
    let list: DeliveryList =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/events")))
            .await
            .json();
    assert!(
        list.deliveries
            .iter()
            .all(|delivery| delivery.state == DeliveryState::Delivered),
        "{list:?}"
    );
}

#[tokio::test]
async fn an_event_that_always_fails_is_given_up_shown_failing_and_redelivered() {
    let edge = Edge::Rook;
    let receiver = Receiver::from_env();
    let user = unique("events-giveup");
    // More failures than the (test) schedule has retries.
    receiver
        .set_user_mode(hook(edge), &user, Mode::Fail500, Some(7))
        .await;
    let session = edge.session_for(&user).await;
    assert_eq!(connect(edge, &session, "garmin").await, "connected");
    let events_path = format!("/v1/users/{user}/events");
    let mut seen_failing = false;
    let mut list = DeliveryList { deliveries: vec![] };
    for _ in 0..400 {
        let health: serde_json::Value = Answer::send(client().get(edge.url("/healthz")))
            .await
            .json();
        if health["events"]["status"] == "failing" {
            assert!(
                health["events"]["failing"].as_u64().unwrap() >= 1,
                "{health}"
            );
            assert!(
                health["events"]["oldest_undelivered_seconds"].is_u64(),
                "{health}"
            );
            seen_failing = true;
        }
        list = Answer::send(edge.backend(Method::GET, &events_path))
            .await
            .json();
        if list.deliveries.first().map(|d| d.state) == Some(DeliveryState::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let given_up = list.deliveries.first().expect("the event").clone();
    assert_eq!(given_up.state, DeliveryState::Failed, "{list:?}");
    assert_eq!(given_up.attempts.len(), 7, "{given_up:?}");
    assert!(seen_failing, "/healthz never said failing");
    // Redelivered with the same id, and delivered.
    let again = Answer::send(edge.backend(
        Method::POST,
        &format!("/v1/users/{user}/events/{}/redeliver", given_up.id),
    ))
    .await;
    assert_eq!(again.status, 202, "{}", again.body);
    let seen = events(edge, &user, 1).await;
    assert_eq!(seen[0].id.as_ref(), Some(&given_up.id));
    let all = receiver.deliveries(hook(edge), Some(&user)).await;
    assert_eq!(all.len(), 8, "seven failures and the redelivery");
    assert!(all.iter().all(|d| d.id.as_ref() == Some(&given_up.id)));
}
