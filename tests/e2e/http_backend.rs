//! The server-to-server API: a user's list, backend disconnect, the audit
//! trail with pagination, and erasing a user.

use healthlink_shared::{AuditPage, ConnectionStatus, ConnectionsResponse, DisconnectResponse};
use healthlink_tests::edge::{Answer, backend, session_for};
use healthlink_tests::unique;
use reqwest::Method;

use crate::flow_support::{redirect_body, walk_connect};

async fn status_of(user: &str, source: &str) -> ConnectionStatus {
    let answer = Answer::send(backend(
        Method::GET,
        &format!("/v1/users/{user}/connections"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let list: ConnectionsResponse = answer.json();
    list.sources
        .into_iter()
        .find(|s| s.id == source)
        .unwrap()
        .status
}

#[tokio::test]
async fn backend_sees_disconnects_and_audits_a_user() {
    let user = unique("backend");
    let session = session_for(&user).await;
    for source in ["oura", "polar", "garmin"] {
        let (answer, _) = walk_connect(&session, source, redirect_body("/app"), true).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    assert_eq!(status_of(&user, "oura").await, ConnectionStatus::Connected);

    let answer = Answer::send(backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        status_of(&user, "oura").await,
        ConnectionStatus::Disconnected
    );

    // Newest first, two per page.
    let page = |query: String| {
        let user = user.clone();
        async move {
            let answer = Answer::send(backend(
                Method::GET,
                &format!("/v1/users/{user}/audit{query}"),
            ))
            .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.json::<AuditPage>()
        }
    };
    let first = page("?limit=2".into()).await;
    assert_eq!(first.entries.len(), 2);
    assert_eq!(
        (
            first.entries[0].source.as_str(),
            first.entries[0].action.as_str(),
            first.entries[0].actor.as_str()
        ),
        ("oura", "disconnect", "backend")
    );
    let before = first.next_before.expect("more pages");
    let second = page(format!("?limit=2&before={before}")).await;
    assert_eq!(second.entries.len(), 2);
    assert!(second.next_before.is_none(), "four entries in all");
    assert!(
        second
            .entries
            .iter()
            .all(|e| e.id < before && e.action == "connect")
    );
    assert!(
        second
            .entries
            .iter()
            .all(|e| e.user_id == user && e.aggregator == "sandbox")
    );

    Answer::send(backend(
        Method::GET,
        &format!("/v1/users/{user}/audit?limit=0"),
    ))
    .await
    .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn erasing_a_user_disconnects_first_and_leaves_nothing() {
    let user = unique("erase");
    let session = session_for(&user).await;
    walk_connect(&session, "withings", redirect_body("/app"), true).await;
    let answer = Answer::send(backend(Method::DELETE, &format!("/v1/users/{user}"))).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(
        status_of(&user, "withings").await,
        ConnectionStatus::Disconnected
    );
    let audit = Answer::send(backend(Method::GET, &format!("/v1/users/{user}/audit"))).await;
    assert!(audit.json::<AuditPage>().entries.is_empty());
}

#[tokio::test]
async fn a_failing_revoke_blocks_erasure_and_keeps_everything() {
    let user = unique("fault-revoke-fails");
    let session = session_for(&user).await;
    walk_connect(&session, "strava", redirect_body("/app"), true).await;
    Answer::send(backend(Method::DELETE, &format!("/v1/users/{user}")))
        .await
        .expect_problem(502, "disconnect_failed");
    assert_eq!(
        status_of(&user, "strava").await,
        ConnectionStatus::Connected
    );
    let audit = Answer::send(backend(Method::GET, &format!("/v1/users/{user}/audit"))).await;
    assert_eq!(
        audit.json::<AuditPage>().entries.len(),
        1,
        "the connect is still recorded"
    );
}

#[tokio::test]
async fn backend_routes_need_the_api_key_and_valid_ids() {
    let session = session_for(&unique("not-backend")).await;
    // A widget session is not the API key, even for its own user.
    let answer = Answer::send(
        healthlink_tests::edge::client()
            .get(healthlink_tests::edge::url("/v1/users/alice/connections"))
            .bearer_auth(&session),
    )
    .await;
    answer.expect_problem(401, "unauthorized");
    Answer::send(backend(Method::GET, "/v1/users/a%2Fb/connections"))
        .await
        .expect_problem(400, "invalid_user_id");
    Answer::send(backend(
        Method::POST,
        "/v1/users/alice/connections/myspace/disconnect",
    ))
    .await
    .expect_problem(404, "unknown_source");
}
