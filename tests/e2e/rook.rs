//! The ROOK edge against the ROOK emulator: authorizer connects re-checked
//! on return, one status call for all sources, revokes, webhooks, mobile
//! sources, and every error mapping.

use std::time::Duration;

use healthlink_shared::{ConnectResponse, ConnectionStatus, DisconnectResponse, SourceKind};
use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::emulators::Fault;
use healthlink_tests::emulators::rook::{Behaviour, Call, rook};
use healthlink_tests::wait::eventually;
use healthlink_tests::{env, unique};

use crate::aggregator_support::{
    audit, connect, disconnect, follow_to_return, list, row, start_connect, status, webhook,
};

const EDGE: Edge = Edge::Rook;

fn secret() -> &'static str {
    env().secret("ROOK_WEBHOOK_SECRET")
}

#[tokio::test]
async fn connect_is_confirmed_by_the_authorizer_and_status_is_one_call() {
    let user = unique("rook-flow");
    let session = EDGE.session_for(&user).await;

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
            "whoop",
            "dexcom",
            "apple_health",
            "health_connect"
        ]
    );
    assert!(
        listed
            .iter()
            .all(|s| s.id.contains("health") == (s.kind == SourceKind::Mobile))
    );
    assert_eq!(
        rook().calls(&user, Call::Authorized),
        1,
        "one upstream call for the list"
    );

    let started = start_connect(EDGE, &session, "oura").await;
    assert_eq!(started.status, 200, "{}", started.body);
    let ConnectResponse { url } = started.json();
    assert!(url.contains("/provider/authorize?"), "{url}");
    let back = follow_to_return(EDGE, url).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(
        back.header("location")
            .unwrap()
            .ends_with("healthlink_result=connected")
    );
    assert!(rook().is_authorized(&user, "Oura"));
    // Connect asked the authorizer with our return URL; the return asked again.
    assert_eq!(rook().calls(&user, Call::Authorizer), 2);

    let before = rook().calls(&user, Call::Authorized);
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Connected
    );
    assert_eq!(rook().calls(&user, Call::Authorized), before + 1);

    let answer = disconnect(EDGE, &session, "oura").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json::<DisconnectResponse>().status,
        ConnectionStatus::Disconnected
    );
    assert!(!rook().is_authorized(&user, "Oura"));
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "user"),
            row("disconnect", "disconnected", "user")
        ]
    );
}

#[tokio::test]
async fn declining_at_the_provider_is_a_cancel() {
    let user = unique("rook-deny");
    rook().behave(
        &user,
        Behaviour {
            deny_consent: true,
            ..Default::default()
        },
    );
    let session = EDGE.session_for(&user).await;
    assert_eq!(connect(EDGE, &session, "garmin").await, "cancelled");
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [row("connect", "cancelled", "user")]
    );
}

#[tokio::test]
async fn an_already_authorized_source_connects_without_a_consent_page() {
    let user = unique("rook-already");
    rook().set_authorized(&user, "Whoop", true);
    let session = EDGE.session_for(&user).await;
    let started = start_connect(EDGE, &session, "whoop").await;
    let ConnectResponse { url } = started.json();
    assert!(url.starts_with(&EDGE.url("/v1/return?state=")), "{url}");
    assert_eq!(connect(EDGE, &session, "whoop").await, "connected");
}

#[tokio::test]
async fn status_follows_rook_and_survives_rook_being_down() {
    let user = unique("rook-reconcile");
    let session = EDGE.session_for(&user).await;
    // Connected in ROOK's own app, behind the edge's back.
    rook().set_authorized(&user, "Dexcom", true);
    assert_eq!(
        status(EDGE, &session, "dexcom").await,
        ConnectionStatus::Connected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [row("reconcile", "connected", "aggregator")]
    );

    for fault in [
        Fault::Status {
            status: 503,
            body: "down",
            retry_after: None,
        },
        Fault::Slow(Duration::from_secs(4)),
        Fault::Malformed,
        Fault::Drop,
    ] {
        rook().behave(&user, Behaviour::failing(Call::Authorized, fault));
        // The last known state is shown.
        assert_eq!(
            status(EDGE, &session, "dexcom").await,
            ConnectionStatus::Connected
        );
    }
    assert_eq!(
        audit(EDGE, &user).await.len(),
        1,
        "nothing recorded while down"
    );
}

#[tokio::test]
async fn revoke_errors_map_to_answers_people_can_act_on() {
    let cases = [
        (
            Fault::Status {
                status: 401,
                body: "",
                retry_after: None,
            },
            502,
            "upstream_refused",
            None,
        ),
        (
            Fault::Status {
                status: 429,
                body: "",
                retry_after: Some(90),
            },
            429,
            "rate_limited",
            Some("90"),
        ),
        (
            Fault::Status {
                status: 400,
                body: r#"{"message":"Data request limit for access token has expired."}"#,
                retry_after: None,
            },
            429,
            "rate_limited",
            Some("3600"),
        ),
        (
            Fault::Status {
                status: 502,
                body: "",
                retry_after: None,
            },
            503,
            "upstream_unavailable",
            Some("30"),
        ),
        (
            Fault::Slow(Duration::from_secs(4)),
            503,
            "upstream_unavailable",
            Some("30"),
        ),
        (Fault::Drop, 503, "upstream_unavailable", Some("30")),
    ];
    for (fault, status_code, code, retry_after) in cases {
        let user = unique("rook-revoke-error");
        let session = EDGE.session_for(&user).await;
        assert_eq!(connect(EDGE, &session, "polar").await, "connected");
        rook().behave(&user, Behaviour::failing(Call::Revoke, fault.clone()));
        let answer = disconnect(EDGE, &session, "polar").await;
        answer.expect_problem(status_code, code);
        assert_eq!(answer.header("retry-after"), retry_after, "{fault:?}");
        // The failure is on record; the source stays connected.
        assert_eq!(
            audit(EDGE, &user).await,
            [
                row("connect", "connected", "user"),
                row("disconnect", "failed", "user")
            ],
            "{fault:?}"
        );
        rook().behave(&user, Behaviour::default());
        assert_eq!(
            status(EDGE, &session, "polar").await,
            ConnectionStatus::Connected
        );
    }
}

#[tokio::test]
async fn rate_limits_carry_the_upstream_retry_after() {
    let user = unique("rook-429");
    let session = EDGE.session_for(&user).await;
    rook().behave(
        &user,
        Behaviour::failing(
            Call::Authorizer,
            Fault::Status {
                status: 429,
                body: "",
                retry_after: Some(90),
            },
        ),
    );
    let answer = start_connect(EDGE, &session, "fitbit").await;
    answer.expect_problem(429, "rate_limited");
    assert_eq!(answer.header("retry-after"), Some("90"));
    rook().behave(
        &user,
        Behaviour::failing(Call::Authorizer, Fault::Malformed),
    );
    start_connect(EDGE, &session, "fitbit")
        .await
        .expect_problem(503, "upstream_unavailable");
}

#[tokio::test]
async fn an_expired_grant_makes_the_source_expired() {
    let user = unique("rook-expired");
    let session = EDGE.session_for(&user).await;
    assert_eq!(connect(EDGE, &session, "withings").await, "connected");
    rook().behave(
        &user,
        Behaviour::failing(
            Call::Revoke,
            Fault::Status {
                status: 400,
                body: r#"{"message":"Access token invalid."}"#,
                retry_after: None,
            },
        ),
    );
    disconnect(EDGE, &session, "withings")
        .await
        .expect_problem(409, "source_expired");
    // ROOK's status list does not contradict it (Withings still authorized
    // there), so keep the authorized list out of the picture.
    rook().behave(
        &user,
        Behaviour::failing(
            Call::Authorized,
            Fault::Status {
                status: 503,
                body: "",
                retry_after: None,
            },
        ),
    );
    assert_eq!(
        status(EDGE, &session, "withings").await,
        ConnectionStatus::Expired
    );
}

#[tokio::test]
async fn mobile_sources_are_phone_only_but_can_be_revoked() {
    let user = unique("rook-mobile");
    rook().set_authorized(&user, "Apple Health", true);
    let session = EDGE.session_for(&user).await;
    start_connect(EDGE, &session, "apple_health")
        .await
        .expect_problem(400, "phone_only_source");
    assert_eq!(
        status(EDGE, &session, "apple_health").await,
        ConnectionStatus::Connected
    );
    let answer = disconnect(EDGE, &session, "apple_health").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!rook().is_authorized(&user, "Apple Health"));
    start_connect(EDGE, &session, "strava")
        .await
        .expect_problem(403, "source_not_allowed");
}

#[tokio::test]
async fn a_webhook_triggers_one_reconcile_in_the_background() {
    let user = unique("rook-webhook");
    let session = EDGE.session_for(&user).await;
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Disconnected
    );
    rook().set_authorized(&user, "Garmin", true);
    let body =
        serde_json::json!({"user_id": user, "data_source": "Garmin", "client_uuid": "ignored"})
            .to_string();

    webhook(EDGE, None, &body)
        .await
        .expect_problem(401, "webhook_unauthorized");
    webhook(EDGE, Some(env().secret("THRYVE_WEBHOOK_SECRET")), &body)
        .await
        .expect_problem(401, "webhook_unauthorized");
    webhook(EDGE, Some(secret()), r#"{"data_source":"Garmin"}"#)
        .await
        .expect_problem(400, "invalid_request");
    let answer = webhook(EDGE, Some(secret()), &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let entries = eventually(
        "the webhook's reconcile",
        Duration::from_secs(10),
        || async {
            let entries = audit(EDGE, &user).await;
            if entries.is_empty() {
                Err("no audit entry yet".to_owned())
            } else {
                Ok(entries)
            }
        },
    )
    .await;
    assert_eq!(entries, [row("reconcile", "connected", "aggregator")]);
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Connected
    );
    // Anything another edge would refuse is refused here too.
    let elsewhere = Answer::send(
        healthlink_tests::edge::client()
            .post(Edge::Thryve.url("/v1/webhooks/rook"))
            .bearer_auth(secret())
            .json(&serde_json::json!({"user_id": user})),
    )
    .await;
    elsewhere.expect_problem(404, "not_found");
}

#[tokio::test]
async fn phone_only_sources_pair_rooks_extraction_app_with_a_qr_code() {
    // The ROOK edge has no HEALTHLINK_PHONE_LINK: the host has no app.
    let user = unique("rook-phone");
    let session = EDGE.session_for(&user).await;
    for _ in 0..2 {
        let listed = list(EDGE, &session).await.sources;
        for phone in ["apple_health", "health_connect"] {
            let row = listed.iter().find(|s| s.id == phone).unwrap();
            let link = row.phone_link.as_deref().expect("a pairing link");
            assert_eq!(
                rook().bound_user(link).as_deref(),
                Some(user.as_str()),
                "the link pairs this user: {link}"
            );
            let qr = row.phone_qr.as_ref().expect("its QR code");
            assert!(
                (29..=185).contains(&qr.size) && qr.path.matches('M').count() > 50,
                "a real code: {qr:?}"
            );
        }
        assert!(
            listed
                .iter()
                .filter(|s| s.kind != SourceKind::Mobile)
                .all(|s| s.phone_link.is_none() && s.phone_qr.is_none())
        );
    }
    assert_eq!(
        rook().calls(&user, Call::Binding),
        1,
        "paired once, then kept in the user's object"
    );

    // Another user gets a link of their own.
    let other = unique("rook-phone-other");
    let theirs = list(EDGE, &EDGE.session_for(&other).await).await.sources;
    let link = theirs[7].phone_link.as_deref().unwrap();
    assert_eq!(rook().bound_user(link).as_deref(), Some(other.as_str()));

    // The backend's list does not ask ROOK to pair anyone.
    let backend_user = unique("rook-phone-backend");
    let answer = Answer::send(EDGE.backend(
        reqwest::Method::GET,
        &format!("/v1/users/{backend_user}/connections"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(rook().calls(&backend_user, Call::Binding), 0);
}

#[tokio::test]
async fn a_failed_pairing_leaves_the_list_whole() {
    let user = unique("rook-phone-down");
    rook().behave(
        &user,
        Behaviour::failing(
            Call::Binding,
            Fault::Status {
                status: 503,
                body: "",
                retry_after: None,
            },
        ),
    );
    let session = EDGE.session_for(&user).await;
    let listed = list(EDGE, &session).await.sources;
    assert_eq!(listed.len(), 9);
    let apple = listed.iter().find(|s| s.id == "apple_health").unwrap();
    assert_eq!(
        (apple.phone_link.as_ref(), apple.phone_qr.as_ref()),
        (None, None)
    );
    // Once ROOK answers again, the next list pairs.
    rook().behave(&user, Behaviour::default());
    let listed = list(EDGE, &session).await.sources;
    let apple = listed.iter().find(|s| s.id == "apple_health").unwrap();
    assert!(apple.phone_link.is_some() && apple.phone_qr.is_some());
    assert_eq!(rook().calls(&user, Call::Binding), 2);
}
