//! Connect and disconnect through the sandbox aggregator over HTTP: the
//! consent page, the return, the status, the audit trail, and each fault.

use healthlink_shared::{AuditPage, ConnectionStatus, ConnectionsResponse, DisconnectResponse};
use healthlink_tests::edge::{Answer, backend, session_for, widget};
use healthlink_tests::{env, unique};
use reqwest::Method;

use crate::flow_support::{redirect_body, start_connect, walk_connect};

async fn status(session: &str, source: &str) -> ConnectionStatus {
    let list: ConnectionsResponse = Answer::send(widget(Method::GET, "/v1/connections", session))
        .await
        .json();
    list.sources
        .into_iter()
        .find(|s| s.id == source)
        .unwrap()
        .status
}

async fn audit(user: &str) -> AuditPage {
    Answer::send(backend(Method::GET, &format!("/v1/users/{user}/audit")))
        .await
        .json()
}

async fn disconnect(session: &str, source: &str) -> Answer {
    Answer::send(widget(
        Method::POST,
        &format!("/v1/connections/{source}/disconnect"),
        session,
    ))
    .await
}

#[tokio::test]
async fn redirect_allow_connects_and_reports_back_once() {
    let user = unique("redirect");
    let session = healthlink_tests::edge::mint_session(
        serde_json::json!({"user_id": user, "actor_id": "nurse-7"}),
    )
    .await;
    let (answer, return_link) =
        walk_connect(&session, "oura", redirect_body("/app?tab=2"), true).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        Some(
            format!(
                "{}/app?tab=2&healthlink_source=oura&healthlink_action=connect&healthlink_result=connected",
                env().host_origin()
            )
            .as_str()
        )
    );
    assert_eq!(status(&session, "oura").await, ConnectionStatus::Connected);
    let entries = audit(&user).await.entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].result.as_str(),
            entries[0].actor.as_str()
        ),
        ("connect", "connected", "nurse-7")
    );

    // Replaying the return is refused and changes nothing.
    let replay = Answer::send(healthlink_tests::edge::client().get(&return_link)).await;
    replay.expect_problem(409, "state_already_used");
    assert_eq!(audit(&user).await.entries.len(), 1);
}

#[tokio::test]
async fn deny_cancels_and_changes_nothing() {
    let user = unique("deny");
    let session = session_for(&user).await;
    let (answer, _) = walk_connect(&session, "fitbit", redirect_body("/app"), false).await;
    assert_eq!(answer.status, 303);
    assert!(
        answer
            .header("location")
            .unwrap()
            .ends_with("healthlink_result=cancelled")
    );
    assert_eq!(
        status(&session, "fitbit").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(audit(&user).await.entries[0].result, "cancelled");
}

#[tokio::test]
async fn popup_return_posts_to_the_exact_opener_origin() {
    let session = session_for(&unique("popup")).await;
    let (answer, _) = walk_connect(
        &session,
        "whoop",
        serde_json::json!({"flow": "popup"}),
        true,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = answer.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        answer
            .body
            .contains(&format!("data-target-origin=\"{}\"", env().host_origin()))
    );
    assert!(answer.body.contains("You can close this window"));
    assert!(answer.body.contains("WHOOP is connected"));
}

#[tokio::test]
async fn disconnect_is_recorded_and_idempotent() {
    let user = unique("disconnect");
    let session = session_for(&user).await;
    walk_connect(&session, "polar", redirect_body("/app"), true).await;
    let answer = disconnect(&session, "polar").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        status(&session, "polar").await,
        ConnectionStatus::Disconnected
    );
    // Again: nothing to revoke, same answer, no second audit row.
    let again = disconnect(&session, "polar").await;
    assert_eq!(
        again.json::<DisconnectResponse>().status,
        ConnectionStatus::Disconnected
    );
    let actions: Vec<String> = audit(&user)
        .await
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["disconnect", "connect"]);
}

#[tokio::test]
async fn aggregator_faults_map_to_actionable_answers() {
    let unavailable = session_for(&unique("fault-unavailable")).await;
    let answer = start_connect(&unavailable, "oura", serde_json::json!({"flow": "popup"})).await;
    answer.expect_problem(503, "upstream_unavailable");
    assert!(answer.header("retry-after").is_some());
    let timeout = session_for(&unique("fault-timeout")).await;
    start_connect(&timeout, "oura", serde_json::json!({"flow": "popup"}))
        .await
        .expect_problem(503, "upstream_unavailable");
    let limited = session_for(&unique("fault-rate-limited")).await;
    let answer = start_connect(&limited, "oura", serde_json::json!({"flow": "popup"})).await;
    answer.expect_problem(429, "rate_limited");
    assert_eq!(answer.header("retry-after"), Some("60"));

    let pending = session_for(&unique("fault-pending")).await;
    walk_connect(&pending, "garmin", redirect_body("/app"), true).await;
    let answer = disconnect(&pending, "garmin").await;
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Pending
    );
    assert_eq!(status(&pending, "garmin").await, ConnectionStatus::Pending);

    let user = unique("fault-revoke-fails");
    let failing = session_for(&user).await;
    walk_connect(&failing, "dexcom", redirect_body("/app"), true).await;
    disconnect(&failing, "dexcom")
        .await
        .expect_problem(502, "disconnect_failed");
    assert_eq!(
        status(&failing, "dexcom").await,
        ConnectionStatus::Connected
    );
    assert_eq!(audit(&user).await.entries[0].result, "failed");

    let expired = session_for(&unique("fault-expired")).await;
    walk_connect(&expired, "strava", redirect_body("/app"), true).await;
    assert_eq!(status(&expired, "strava").await, ConnectionStatus::Expired);
}

#[tokio::test]
async fn phone_only_sources_have_no_browser_connect() {
    let session = session_for(&unique("phone")).await;
    start_connect(
        &session,
        "apple_health",
        serde_json::json!({"flow": "popup"}),
    )
    .await
    .expect_problem(400, "phone_only_source");
}

#[tokio::test]
async fn concurrent_changes_for_one_user_are_all_kept() {
    let user = unique("concurrent");
    let session = session_for(&user).await;
    let sources = [
        "fitbit", "garmin", "oura", "polar", "withings", "whoop", "strava", "dexcom",
    ];

    // Every connect of every source at once, through the whole flow.
    let mut connects = tokio::task::JoinSet::new();
    for source in sources {
        let session = session.clone();
        connects.spawn(async move {
            let (answer, _) = walk_connect(&session, source, redirect_body("/app"), true).await;
            assert_eq!(answer.status, 303, "{source}: {}", answer.body);
        });
    }
    connects.join_all().await;
    for source in sources {
        assert_eq!(
            status(&session, source).await,
            ConnectionStatus::Connected,
            "{source}"
        );
    }

    // Then every disconnect at once.
    let mut disconnects = tokio::task::JoinSet::new();
    for source in sources {
        let session = session.clone();
        disconnects.spawn(async move {
            let answer = disconnect(&session, source).await;
            assert_eq!(answer.status, 200, "{source}: {}", answer.body);
        });
    }
    disconnects.join_all().await;
    for source in sources {
        assert_eq!(
            status(&session, source).await,
            ConnectionStatus::Disconnected,
            "{source}"
        );
    }

    // Each acknowledged action is in the audit trail exactly once.
    let entries = Answer::send(backend(
        Method::GET,
        &format!("/v1/users/{user}/audit?limit=100"),
    ))
    .await
    .json::<AuditPage>()
    .entries;
    for source in sources {
        for action in ["connect", "disconnect"] {
            let count = entries
                .iter()
                .filter(|e| e.source == source && e.action == action)
                .count();
            assert_eq!(count, 1, "{source} {action}");
        }
    }
    assert_eq!(entries.len(), 2 * sources.len());
}
