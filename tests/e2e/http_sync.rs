//! "Is data still flowing", over HTTP: the backend's data reports
//! (`POST /v1/users/{user_id}/connections/{source}/sync`) are checked and
//! answered with the source's row; both lists carry `last_data_at` and
//! `stale`; and a source that goes quiet reaches the host as one
//! `connection.stale` per stale period, verified by the receiver.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use healthlink_edge::time::rfc3339_from_unix_ms;
use healthlink_shared::{ConnectionStatus, ConnectionsResponse, SourceConnection, SyncError};
use healthlink_tests::edge::{Answer, Edge, client};
use healthlink_tests::receiver::{Delivery, Receiver};
use healthlink_tests::{env, unique};
use reqwest::Method;

use crate::aggregator_support::{connect, list};
use crate::flow_support::{redirect_body, walk_connect};

pub const HOUR_MS: i64 = 3_600_000;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .expect("a clock after 1970")
}

async fn report(edge: Edge, user: &str, source: &str, body: serde_json::Value) -> Answer {
    Answer::send(
        edge.backend(
            Method::POST,
            &format!("/v1/users/{user}/connections/{source}/sync"),
        )
        .json(&body),
    )
    .await
}

/// Reports data at `at_ms` and returns the row the edge answers.
pub async fn report_at(edge: Edge, user: &str, source: &str, at_ms: i64) -> SourceConnection {
    let answer = report(
        edge,
        user,
        source,
        serde_json::json!({ "last_data_at": rfc3339_from_unix_ms(at_ms) }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

pub async fn backend_row(edge: Edge, user: &str, source: &str) -> SourceConnection {
    let answer =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/connections"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let list: ConnectionsResponse = answer.json();
    list.sources
        .into_iter()
        .find(|row| row.id == source)
        .unwrap_or_else(|| panic!("{source} is not listed"))
}

fn detail(answer: &Answer) -> String {
    answer
        .expect_problem(400, "invalid_request")
        .detail
        .unwrap_or_default()
}

#[tokio::test]
async fn data_reports_are_checked_and_answered_with_the_row() {
    let edge = Edge::Sandbox;
    let user = unique("sync");
    let session = edge.session_for(&user).await;
    let (back, _) = walk_connect(&session, "garmin", redirect_body("/app"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);

    let two_hours_ago = now_ms() - 2 * HOUR_MS;
    let row = report_at(edge, &user, "garmin", two_hours_ago).await;
    assert_eq!(
        (row.id.as_str(), row.status),
        ("garmin", ConnectionStatus::Connected)
    );
    assert_eq!(
        row.last_data_at.as_deref(),
        Some(rfc3339_from_unix_ms(two_hours_ago).as_str())
    );
    assert!(!row.stale);
    // The backend's list and the widget's say the same.
    assert_eq!(backend_row(edge, &user, "garmin").await, row);
    let widget = list(edge, &session).await;
    assert_eq!(widget.sources.iter().find(|s| s.id == "garmin"), Some(&row));

    // Refused, each with a sentence that says what is wrong.
    let at = |ms: i64| serde_json::json!({ "last_data_at": rfc3339_from_unix_ms(ms) });
    let future = report(edge, &user, "garmin", at(now_ms() + HOUR_MS)).await;
    assert!(detail(&future).contains("in the future"));
    let ancient = report(edge, &user, "garmin", at(now_ms() - 800 * 24 * HOUR_MS)).await;
    assert!(detail(&ancient).contains("365 days"));
    for malformed in ["yesterday", "2026-02-30T10:00:00Z", "2026-11-21T10:00:00"] {
        let answer = report(
            edge,
            &user,
            "garmin",
            serde_json::json!({ "last_data_at": malformed }),
        )
        .await;
        assert!(detail(&answer).contains("RFC 3339"), "{malformed}");
    }
    let unknown_code = report(
        edge,
        &user,
        "garmin",
        serde_json::json!({ "last_data_at": rfc3339_from_unix_ms(now_ms()), "error": "tired" }),
    )
    .await;
    assert!(detail(&unknown_code).contains("unknown variant"));
    let health_data = report(
        edge,
        &user,
        "garmin",
        serde_json::json!({ "last_data_at": rfc3339_from_unix_ms(now_ms()), "steps": 9000 }),
    )
    .await;
    assert!(detail(&health_data).contains("steps"));
    report(edge, &user, "myspace", at(now_ms()))
        .await
        .expect_problem(404, "unknown_source");
    Answer::send(
        client()
            .post(edge.url(&format!("/v1/users/{user}/connections/garmin/sync")))
            .header("content-type", "text/plain")
            .body("last_data_at=now"),
    )
    .await
    .expect_problem(401, "unauthorized");
    Answer::send(
        edge.backend(
            Method::POST,
            &format!("/v1/users/{user}/connections/garmin/sync"),
        )
        .header("content-type", "text/plain")
        .body("last_data_at=now"),
    )
    .await
    .expect_problem(415, "unsupported_media_type");

    // The wrong key, or the user's own widget session: not the backend.
    for bearer in ["not-the-api-key", session.as_str()] {
        Answer::send(
            client()
                .post(edge.url(&format!("/v1/users/{user}/connections/garmin/sync")))
                .bearer_auth(bearer)
                .json(&at(now_ms())),
        )
        .await
        .expect_problem(401, "unauthorized");
    }

    // Another user's path: that user never connected Garmin, so the report
    // is refused and stored nowhere; ours is untouched.
    let stranger = unique("sync-stranger");
    report(edge, &stranger, "garmin", at(now_ms()))
        .await
        .expect_problem(409, "source_not_connected");
    assert_eq!(
        backend_row(edge, &stranger, "garmin").await.last_data_at,
        None
    );

    // An older report never moves the time back; the row is the answer.
    let older = report_at(edge, &user, "garmin", two_hours_ago - HOUR_MS).await;
    assert_eq!(older.last_data_at, row.last_data_at);
    assert_eq!(backend_row(edge, &user, "garmin").await, row);

    // A code from the host's pipeline, on the same time.
    let answer = report(
        edge,
        &user,
        "garmin",
        serde_json::json!({
            "last_data_at": rfc3339_from_unix_ms(two_hours_ago),
            "error": "no_data_permission",
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json::<SourceConnection>().sync_error,
        Some(SyncError::NoDataPermission)
    );

    // Disconnected, the source takes no reports and is not stale.
    let gone =
        Answer::send(edge.widget(Method::POST, "/v1/connections/garmin/disconnect", &session))
            .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    report(edge, &user, "garmin", at(now_ms()))
        .await
        .expect_problem(409, "source_not_connected");
    assert!(!backend_row(edge, &user, "garmin").await.stale);
}

#[tokio::test]
async fn the_reconciled_rook_list_carries_the_reported_data() {
    // ROOK's list is read, reconciled with ROOK's status call and written
    // in the Worker rather than by the user's object: the same fields.
    let edge = Edge::Rook;
    let user = unique("sync-rook");
    let session = edge.session_for(&user).await;
    assert_eq!(connect(edge, &session, "oura").await, "connected");
    let row = report_at(edge, &user, "oura", now_ms() - HOUR_MS).await;
    assert!(row.last_data_at.is_some());
    let listed = list(edge, &session).await;
    assert_eq!(listed.sources.iter().find(|s| s.id == "oura"), Some(&row));
}

fn stale_events(deliveries: &[Delivery]) -> Vec<&Delivery> {
    let mut seen = std::collections::HashSet::new();
    deliveries
        .iter()
        .filter(|delivery| delivery.event_type.as_deref() == Some("connection.stale"))
        .filter(|delivery| seen.insert(delivery.id.clone()))
        .collect()
}

/// The sandbox edge's deliveries about `user` once `count` distinct
/// `connection.stale` have arrived (a threshold and some slack at most).
async fn wait_for_stale_events(user: &str, count: usize) -> Vec<Delivery> {
    Receiver::from_env()
        .wait_for(
            Edge::Sandbox.name(),
            Some(user),
            |seen| stale_events(seen).len() == count,
            env().stale_after + Duration::from_secs(20),
        )
        .await
}

#[tokio::test]
async fn a_quiet_source_reaches_the_host_once_per_stale_period() {
    let edge = Edge::Sandbox;
    let stale_after = env().stale_after;
    let receiver = Receiver::from_env();
    let user = unique("stale");
    let session = edge.session_for(&user).await;
    let (back, _) = walk_connect(&session, "garmin", redirect_body("/app"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let reported = now_ms();
    report_at(edge, &user, "garmin", reported).await;

    // The alarm, not a poll: the event comes once the threshold passed.
    let seen = wait_for_stale_events(&user, 1).await;
    let stale = stale_events(&seen)[0].clone();
    assert!(stale.valid, "not verified: {stale:?}");
    assert!(
        stale.received_at_ms as i64 >= reported + stale_after.as_millis() as i64,
        "stale too early: {stale:?}"
    );
    assert_eq!(stale.data_str("source"), Some("garmin"));
    assert_eq!(stale.data_str("status"), Some("connected"));
    assert_eq!(stale.data_str("actor"), Some("backend"));
    assert_eq!(
        stale.data_str("last_data_at"),
        Some(rfc3339_from_unix_ms(reported).as_str())
    );
    let kinds: Vec<&str> = seen
        .iter()
        .filter_map(|delivery| delivery.event_type.as_deref())
        .collect();
    assert_eq!(
        kinds,
        ["connection.connected", "connection.stale"],
        "in order"
    );
    let row = backend_row(edge, &user, "garmin").await;
    assert!(row.stale, "{row:?}");

    // Still quiet for another whole period: no second event.
    tokio::time::sleep(stale_after + Duration::from_secs(3)).await;
    let seen = receiver.deliveries(edge.name(), Some(&user)).await;
    assert_eq!(stale_events(&seen).len(), 1, "once per stale period");

    // Fresh data: not stale; when it stops again, a new period, a new event.
    let fresh = now_ms();
    assert!(!report_at(edge, &user, "garmin", fresh).await.stale);
    let seen = wait_for_stale_events(&user, 2).await;
    let second = stale_events(&seen)[1];
    assert_eq!(
        second.data_str("last_data_at"),
        Some(rfc3339_from_unix_ms(fresh).as_str())
    );
    assert_ne!(second.id, stale.id);
}
