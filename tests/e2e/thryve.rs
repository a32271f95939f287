//! The Thryve edge against the Thryve emulator: end users, direct connect
//! and revoke, webhooks, and every error mapping.

use std::time::Duration;

use healthlink_shared::{ConnectResponse, ConnectionStatus, DisconnectResponse, SourceKind};
use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::emulators::Fault;
use healthlink_tests::emulators::thryve::{Behaviour, Revoke, Thryve, thryve};
use healthlink_tests::{env, unique};

use crate::aggregator_support::{
    audit, connect, disconnect, follow_to_return, list, row, start_connect, status, webhook,
};

const EDGE: Edge = Edge::Thryve;
const GARMIN: u32 = 2;

fn secret() -> &'static str {
    env().secret("THRYVE_WEBHOOK_SECRET")
}

/// A user with a behaviour at the emulator, and a session for them.
pub async fn user_with(prefix: &str, behaviour: Behaviour) -> (String, String) {
    let user = unique(prefix);
    thryve().behave(&user, behaviour);
    let session = EDGE.session_for(&user).await;
    (user, session)
}

#[tokio::test]
async fn connect_return_status_and_disconnect() {
    let user = unique("thryve-flow");
    let session = EDGE
        .mint_session(serde_json::json!({"user_id": user, "locale": "de-DE"}))
        .await;

    // Only what Thryve can connect is listed; Apple Health is phone-only.
    let listed = list(EDGE, &session).await.sources;
    let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fitbit",
            "garmin",
            "oura",
            "polar",
            "withings",
            "strava",
            "apple_health"
        ]
    );
    assert!(
        listed
            .iter()
            .all(|s| (s.id == "apple_health") == (s.kind == SourceKind::Mobile))
    );

    let started = start_connect(EDGE, &session, "garmin").await;
    assert_eq!(started.status, 200, "{}", started.body);
    let ConnectResponse { url } = started.json();
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.path(), "/service/dataSourceDirectConnection.html");
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert_eq!(query[1], ("dataSource".into(), "2".into()));
    assert!(
        query[2].1.starts_with(&EDGE.url("/v1/return?state=")),
        "{url}"
    );
    // The end user was created under a keyed partnerUserID, never the raw id.
    assert!(thryve().end_user_id(&user).is_some());
    assert_ne!(Thryve::partner_id(&user), user);

    let back = follow_to_return(EDGE, url).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(back.header("location").unwrap().ends_with(
        "healthlink_source=garmin&healthlink_action=connect&healthlink_result=connected"
    ));
    assert!(thryve().is_connected(&user, GARMIN));
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Connected
    );

    let answer = disconnect(EDGE, &session, "garmin").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let DisconnectResponse { status: after } = answer.json();
    assert_eq!(after, ConnectionStatus::Disconnected);
    assert!(!thryve().is_connected(&user, GARMIN));
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "disconnected", "user")
        ]
    );
}

#[tokio::test]
async fn cancelled_consent_changes_nothing() {
    let (user, session) = user_with(
        "thryve-deny",
        Behaviour {
            deny_consent: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(connect(EDGE, &session, "oura").await, "cancelled");
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [row("connect", "cancelled", "user")]
    );
}

#[tokio::test]
async fn a_failed_revoke_leaves_the_source_connected() {
    let (user, session) = user_with(
        "thryve-revoke-fails",
        Behaviour {
            revoke: Revoke::Fails,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(connect(EDGE, &session, "fitbit").await, "connected");
    disconnect(EDGE, &session, "fitbit")
        .await
        .expect_problem(502, "disconnect_failed");
    assert_eq!(
        status(EDGE, &session, "fitbit").await,
        ConnectionStatus::Connected
    );
    assert!(thryve().is_connected(&user, 1));
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "failed", "user")
        ]
    );
}

#[tokio::test]
async fn a_background_revoke_is_pending_until_the_webhook_confirms_it_once() {
    let (user, session) = user_with(
        "thryve-pending",
        Behaviour {
            revoke: Revoke::NoResult,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(connect(EDGE, &session, "polar").await, "connected");
    let answer = disconnect(EDGE, &session, "polar").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Pending
    );
    assert_eq!(
        status(EDGE, &session, "polar").await,
        ConnectionStatus::Pending
    );

    let end_user = thryve().end_user_id(&user).unwrap();
    let body = serde_json::json!({
        "type": "notification.source.disconnect",
        "endUserId": end_user,
        "endUserAlias": Thryve::partner_id(&user),
        "dataSourceId": 3,
        "timestamp": "2026-11-21T10:00:00Z",
    })
    .to_string();
    // Thryve retries deliveries: the second one must change nothing.
    for _ in 0..2 {
        assert_eq!(webhook(EDGE, Some(secret()), &body).await.status, 204);
    }
    assert_eq!(
        status(EDGE, &session, "polar").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "pending", "user"),
            row("disconnect", "disconnected", "aggregator"),
        ]
    );
}

#[tokio::test]
async fn webhooks_need_the_secret_and_a_well_formed_body() {
    let user = unique("thryve-webhook");
    let session = EDGE.session_for(&user).await;
    // A first connect creates the Thryve end user.
    assert_eq!(connect(EDGE, &session, "withings").await, "connected");
    let end_user = thryve().end_user_id(&user).unwrap();
    let connect_oura = serde_json::json!({
        "type": "notification.source.connect",
        "endUserId": end_user,
        "dataSourceId": 18,
    })
    .to_string();

    webhook(EDGE, None, &connect_oura)
        .await
        .expect_problem(401, "webhook_unauthorized");
    webhook(EDGE, Some("not-the-secret-0123456789abcdef"), &connect_oura)
        .await
        .expect_problem(401, "webhook_unauthorized");
    webhook(EDGE, Some(env().api_key.as_str()), &connect_oura)
        .await
        .expect_problem(401, "webhook_unauthorized");
    for bad in [
        "{",
        r#"{"type":"notification.source.connect","dataSourceId":18}"#,
        r#"{"type":"notification.source.connect","endUserId":"x y","dataSourceId":18}"#,
    ] {
        webhook(EDGE, Some(secret()), bad)
            .await
            .expect_problem(400, "invalid_request");
    }
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Disconnected
    );

    // Other notifications, unknown sources and unknown end users are
    // acknowledged (so Thryve stops retrying) and change nothing.
    for ignored in [
        serde_json::json!({"type": "notification.data.daily.createupdate", "endUserId": end_user, "dataSourceId": 18}),
        serde_json::json!({"type": "notification.source.connect", "endUserId": end_user, "dataSourceId": 4242}),
        serde_json::json!({"type": "notification.source.connect", "endUserId": "eu-nobody", "dataSourceId": 18}),
    ] {
        assert_eq!(
            webhook(EDGE, Some(secret()), &ignored.to_string())
                .await
                .status,
            204
        );
    }

    assert_eq!(
        webhook(EDGE, Some(secret()), &connect_oura).await.status,
        204
    );
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Connected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("connect", "connected", "aggregator")
        ]
    );
    // The sandbox and ROOK edges do not serve Thryve's webhook.
    let elsewhere = Answer::send(
        healthlink_tests::edge::client()
            .post(Edge::Rook.url("/v1/webhooks/thryve"))
            .bearer_auth(secret())
            .json(&serde_json::json!({})),
    )
    .await;
    elsewhere.expect_problem(404, "not_found");
}

#[tokio::test]
async fn upstream_errors_map_to_answers_people_can_act_on() {
    let cases = [
        (
            Fault::Status {
                status: 401,
                body: "Unauthorized",
                retry_after: None,
            },
            502,
            "upstream_refused",
        ),
        (
            Fault::Status {
                status: 403,
                body: "Forbidden",
                retry_after: None,
            },
            502,
            "upstream_refused",
        ),
        (
            Fault::Status {
                status: 429,
                body: "",
                retry_after: Some(120),
            },
            429,
            "rate_limited",
        ),
        (
            Fault::Status {
                status: 500,
                body: "boom",
                retry_after: None,
            },
            503,
            "upstream_unavailable",
        ),
        (
            Fault::Slow(Duration::from_secs(4)),
            503,
            "upstream_unavailable",
        ),
        (Fault::Malformed, 503, "upstream_unavailable"),
        (Fault::Drop, 503, "upstream_unavailable"),
    ];
    for (fault, status_code, code) in cases {
        let (user, session) = user_with(
            "thryve-error",
            Behaviour {
                api_fault: Some(fault.clone()),
                ..Default::default()
            },
        )
        .await;
        let answer = start_connect(EDGE, &session, "strava").await;
        let problem = answer.expect_problem(status_code, code);
        if code == "rate_limited" {
            assert_eq!(answer.header("retry-after"), Some("120"));
        }
        if code == "upstream_refused" {
            // A generic message for the person; the details are in the log.
            assert!(
                !problem.detail.unwrap_or_default().contains("401"),
                "{fault:?}"
            );
        }
        // Nothing was recorded, and the list still renders.
        assert_eq!(audit(EDGE, &user).await, []);
        assert_eq!(
            status(EDGE, &session, "strava").await,
            ConnectionStatus::Disconnected
        );
    }
}

#[tokio::test]
async fn an_expired_grant_makes_the_source_expired_and_offers_a_reconnect() {
    let (user, session) = user_with("thryve-expired", Behaviour::default()).await;
    assert_eq!(connect(EDGE, &session, "oura").await, "connected");
    thryve().behave(
        &user,
        Behaviour {
            revoke_fault: Some(Fault::Status {
                status: 400,
                body: r#"{"message":"Access token expired."}"#,
                retry_after: None,
            }),
            ..Default::default()
        },
    );
    disconnect(EDGE, &session, "oura")
        .await
        .expect_problem(409, "source_expired");
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Expired
    );

    // Reconnecting works and clears it.
    thryve().behave(&user, Behaviour::default());
    assert_eq!(connect(EDGE, &session, "oura").await, "connected");
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "expired", "user"),
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
        ]
    );
}

#[tokio::test]
async fn erasing_a_user_revokes_and_forgets_the_end_user() {
    let user = unique("thryve-erase");
    let session = EDGE.session_for(&user).await;
    assert_eq!(connect(EDGE, &session, "garmin").await, "connected");
    let end_user = thryve().end_user_id(&user).unwrap();
    let erased =
        Answer::send(EDGE.backend(reqwest::Method::DELETE, &format!("/v1/users/{user}"))).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    assert!(!thryve().is_connected(&user, GARMIN));
    // Thryve was asked to delete the end user with its tokens and data.
    assert!(thryve().was_deleted(&end_user));
    assert_eq!(audit(EDGE, &user).await, []);
    // The index is gone too: a late webhook for that end user does nothing.
    let late = serde_json::json!({"type": "notification.source.connect", "endUserId": end_user, "dataSourceId": 2});
    assert_eq!(
        webhook(EDGE, Some(secret()), &late.to_string())
            .await
            .status,
        204
    );
    assert_eq!(audit(EDGE, &user).await, []);
}

#[tokio::test]
async fn sources_thryve_cannot_connect_are_refused() {
    let session = EDGE.session_for(&unique("thryve-offer")).await;
    start_connect(EDGE, &session, "whoop")
        .await
        .expect_problem(403, "source_not_allowed");
    start_connect(EDGE, &session, "apple_health")
        .await
        .expect_problem(400, "phone_only_source");
}
