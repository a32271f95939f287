//! `GET /healthz`, `/openapi.json` and `GET /v1/connections`.

use healthlink_shared::{CATALOG, ConnectionStatus, ConnectionsResponse};
use healthlink_tests::edge::{Answer, OPENAPI_JSON, client, session_for, url, widget};
use healthlink_tests::{env, unique};
use reqwest::Method;

#[tokio::test]
async fn healthz_reports_the_aggregator_and_the_demo() {
    let answer = Answer::send(client().get(url("/healthz"))).await;
    assert_eq!(answer.status, 200);
    let body: serde_json::Value = answer.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["aggregator"], "sandbox");
    assert_eq!(body["demo"], true);
    // The test edges deliver events to the suite's receiver.
    assert!(
        ["delivering", "failing", "off"].contains(&body["events"]["status"].as_str().unwrap()),
        "{body}"
    );
}

/// `HEALTHLINK_JURISDICTION` is applied and reported: the Thryve edge's
/// users live in its jurisdiction (and its whole suite runs there), the
/// others' anywhere.
#[tokio::test]
async fn healthz_says_where_each_edge_keeps_its_users_state() {
    use healthlink_tests::edge::Edge;
    for (edge, expected) in [
        (Edge::Sandbox, serde_json::Value::Null),
        (Edge::Thryve, env().thryve_jurisdiction.as_str().into()),
        (Edge::Rook, serde_json::Value::Null),
    ] {
        let body: serde_json::Value = Answer::send(client().get(edge.url("/healthz")))
            .await
            .json();
        assert_eq!(body["jurisdiction"], expected, "{edge:?}: {body}");
    }
    // And its objects answer: a user's state is written and read back.
    let session = healthlink_tests::edge::Edge::Thryve
        .session_for(&unique("jurisdiction"))
        .await;
    let answer = Answer::send(healthlink_tests::edge::Edge::Thryve.widget(
        Method::GET,
        "/v1/connections",
        &session,
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn the_served_openapi_is_the_documented_one() {
    let answer = Answer::send(client().get(url("/openapi.json"))).await;
    assert_eq!(answer.status, 200);
    let served: serde_json::Value = answer.json();
    let file: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    assert_eq!(served, file);
    assert_eq!(served["openapi"], "3.1.0");
}

#[tokio::test]
async fn a_new_user_sees_the_whole_catalog_disconnected() {
    let session = session_for(&unique("user")).await;
    let answer = Answer::send(widget(Method::GET, "/v1/connections", &session)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let list: ConnectionsResponse = answer.json();
    let ids: Vec<&str> = list.sources.iter().map(|s| s.id.as_str()).collect();
    let catalog: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
    assert_eq!(ids, catalog);
    assert!(
        list.sources
            .iter()
            .all(|s| s.status == ConnectionStatus::Disconnected)
    );
}

#[tokio::test]
async fn a_session_limited_to_some_sources_lists_only_those() {
    let session = healthlink_tests::edge::mint_session(
        serde_json::json!({"user_id": unique("limited"), "sources": ["oura", "apple_health"]}),
    )
    .await;
    let answer = Answer::send(widget(Method::GET, "/v1/connections", &session)).await;
    let list: ConnectionsResponse = answer.json();
    let ids: Vec<&str> = list.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["oura", "apple_health"]);
    let refused = Answer::send(
        widget(Method::POST, "/v1/connections/fitbit/connect", &session)
            .json(&serde_json::json!({"flow": "popup"})),
    )
    .await;
    refused.expect_problem(403, "source_not_allowed");
}
