//! The fault matrix: the emulated aggregators fail in every way they can
//! (5xx, timeouts, slow answers, malformed bodies, dropped connections,
//! `connected=true` on a revoke, revokes that stay pending). For each, the
//! edge answers something a person can act on, the audit trail holds
//! exactly what happened, nothing is lost or written twice, and retrying
//! the disconnect is idempotent. The widget shows the same.

use std::time::Duration;

use healthlink_shared::{ConnectionStatus, DisconnectResponse};
use healthlink_tests::browser::{Browser, click_action, wait_for_notice, wait_for_status};
use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::emulators::Fault;
use healthlink_tests::emulators::rook::{self, Call, rook};
use healthlink_tests::emulators::thryve::{self, Revoke, Thryve, thryve};
use healthlink_tests::host::{embed_page, serve_page};
use healthlink_tests::{env, unique};

use crate::aggregator_support::{audit, connect, disconnect, list, row, status, webhook};
use crate::thryve::user_with;

fn unavailable(status: u16) -> Fault {
    Fault::Status {
        status,
        body: "",
        retry_after: None,
    }
}

/// Beyond the edges' 2 s upstream limit in the test run.
const TIMEOUT: Duration = Duration::from_secs(4);
/// Slow, but within the limit.
const SLOW: Duration = Duration::from_millis(700);

/// Asserts a disconnect answered 200 with `expected`.
fn expect_status(answer: &Answer, expected: ConnectionStatus) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json::<DisconnectResponse>().status, expected);
}

#[tokio::test]
async fn rook_revoke_faults_are_recorded_once_and_a_retry_is_idempotent() {
    const EDGE: Edge = Edge::Rook;
    // How ROOK misbehaves, and the problem code the edge must answer
    // (`None`: slow but in time, so the revoke simply works).
    let slow = rook::Behaviour {
        latency: Some(SLOW),
        ..Default::default()
    };
    let cases = [
        (
            rook::Behaviour::failing(Call::Revoke, unavailable(500)),
            Some("upstream_unavailable"),
        ),
        (
            rook::Behaviour::failing(Call::Revoke, unavailable(503)),
            Some("upstream_unavailable"),
        ),
        (
            rook::Behaviour::failing(Call::Revoke, Fault::Slow(TIMEOUT)),
            Some("upstream_unavailable"),
        ),
        (
            rook::Behaviour::failing(Call::Revoke, Fault::Drop),
            Some("upstream_unavailable"),
        ),
        (slow, None),
    ];
    for (behaviour, problem) in cases {
        let fault = format!("{behaviour:?}");
        let user = unique("fault-rook-revoke");
        let session = EDGE.session_for(&user).await;
        assert_eq!(connect(EDGE, &session, "polar").await, "connected");
        rook().behave(&user, behaviour);
        let answer = disconnect(EDGE, &session, "polar").await;
        let mut expected = vec![row("connect", "connected", "user")];
        if let Some(code) = problem {
            answer.expect_problem(503, code);
            expected.push(row("disconnect", "failed", "user"));
            assert_eq!(
                status(EDGE, &session, "polar").await,
                ConnectionStatus::Connected,
                "{fault:?}"
            );
            // The aggregator is back: the retry disconnects.
            rook().behave(&user, rook::Behaviour::default());
            expect_status(
                &disconnect(EDGE, &session, "polar").await,
                ConnectionStatus::Disconnected,
            );
        } else {
            expect_status(&answer, ConnectionStatus::Disconnected);
        }
        expected.push(row("disconnect", "disconnected", "user"));
        assert!(!rook().is_authorized(&user, "Polar"), "{fault:?}");

        // Pressed again: the same answer, no second revoke, no second row.
        let revokes = rook().calls(&user, Call::Revoke);
        expect_status(
            &disconnect(EDGE, &session, "polar").await,
            ConnectionStatus::Disconnected,
        );
        assert_eq!(rook().calls(&user, Call::Revoke), revokes, "{fault:?}");
        assert_eq!(audit(EDGE, &user).await, expected, "{fault:?}");
    }
}

#[tokio::test]
async fn rook_status_faults_show_the_last_known_statuses_and_write_nothing() {
    const EDGE: Edge = Edge::Rook;
    let user = unique("fault-rook-status");
    let session = EDGE.session_for(&user).await;
    assert_eq!(connect(EDGE, &session, "garmin").await, "connected");
    for fault in [
        unavailable(500),
        unavailable(503),
        Fault::Slow(TIMEOUT),
        Fault::Malformed,
        Fault::Drop,
    ] {
        rook().behave(
            &user,
            rook::Behaviour::failing(Call::Authorized, fault.clone()),
        );
        let listed = list(EDGE, &session).await;
        let garmin = listed.sources.iter().find(|s| s.id == "garmin").unwrap();
        assert_eq!(garmin.status, ConnectionStatus::Connected, "{fault:?}");
    }
    // Slow but in time: ROOK's answer counts (the grant was revoked there).
    rook().set_authorized(&user, "Garmin", false);
    rook().behave(
        &user,
        rook::Behaviour {
            latency: Some(SLOW),
            ..Default::default()
        },
    );
    assert_eq!(
        status(EDGE, &session, "garmin").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "user"),
            row("reconcile", "disconnected", "aggregator")
        ]
    );
}

#[tokio::test]
async fn thryve_revoke_faults_are_recorded_once_and_a_retry_is_idempotent() {
    const EDGE: Edge = Edge::Thryve;
    // `connected=true` on the revoke: it did not work.
    let (user, session) = user_with(
        "fault-thryve-still",
        thryve::Behaviour {
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
    thryve().behave(&user, thryve::Behaviour::default());
    for _ in 0..2 {
        expect_status(
            &disconnect(EDGE, &session, "fitbit").await,
            ConnectionStatus::Disconnected,
        );
    }
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "failed", "user"),
            row("disconnect", "disconnected", "user"),
        ]
    );

    // The revoke page fails outright: 5xx, too slow, connection dropped.
    for fault in [unavailable(502), Fault::Slow(TIMEOUT), Fault::Drop] {
        let (user, session) = user_with("fault-thryve-page", thryve::Behaviour::default()).await;
        assert_eq!(connect(EDGE, &session, "oura").await, "connected");
        thryve().behave(
            &user,
            thryve::Behaviour {
                revoke_fault: Some(fault.clone()),
                ..Default::default()
            },
        );
        disconnect(EDGE, &session, "oura")
            .await
            .expect_problem(503, "upstream_unavailable");
        assert_eq!(
            status(EDGE, &session, "oura").await,
            ConnectionStatus::Connected,
            "{fault:?}"
        );
        thryve().behave(&user, thryve::Behaviour::default());
        expect_status(
            &disconnect(EDGE, &session, "oura").await,
            ConnectionStatus::Disconnected,
        );
        assert_eq!(
            audit(EDGE, &user).await,
            [
                row("connect", "connected", "aggregator"),
                row("connect", "connected", "user"),
                row("disconnect", "failed", "user"),
                row("disconnect", "disconnected", "user"),
            ],
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn a_revoke_that_stays_pending_is_recorded_once_however_often_it_is_retried() {
    const EDGE: Edge = Edge::Thryve;
    let (user, session) = user_with(
        "fault-thryve-pending",
        thryve::Behaviour {
            revoke: Revoke::NoResult,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(connect(EDGE, &session, "withings").await, "connected");
    for _ in 0..3 {
        expect_status(
            &disconnect(EDGE, &session, "withings").await,
            ConnectionStatus::Pending,
        );
    }
    let end_user = thryve().end_user_id(&user).expect("an end user");
    let body = serde_json::json!({
        "type": "notification.source.disconnect",
        "endUserId": end_user,
        "endUserAlias": Thryve::partner_id(&user),
        "dataSourceId": 8,
        "timestamp": "2026-11-21T10:00:00Z",
    })
    .to_string();
    let secret = env().secret("THRYVE_WEBHOOK_SECRET");
    assert_eq!(webhook(EDGE, Some(secret), &body).await.status, 204);
    expect_status(
        &disconnect(EDGE, &session, "withings").await,
        ConnectionStatus::Disconnected,
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

/// A host page with the widget of `edge` for `session`.
fn page_for(edge: Edge, path: &str, session: &str) -> String {
    let attributes = format!("edge=\"{}\" session=\"{session}\"", edge.base());
    serve_page(path, embed_page("Host app", edge.base(), &attributes))
}

#[tokio::test]
async fn the_widget_shows_each_fault_and_recovers() {
    let user = unique("fault-widget");
    let session = Edge::Rook.session_for(&user).await;
    assert_eq!(connect(Edge::Rook, &session, "dexcom").await, "connected");
    let browser = Browser::start().await;
    let page = page_for(Edge::Rook, "/faults.html", &session);
    browser.client.goto(&page).await.expect("open host page");
    wait_for_status(&browser, "dexcom", "connected").await;
    let root = browser.widget(0).await;

    for (fault, reason) in [
        (unavailable(503), "not answering right now"),
        (Fault::Drop, "not answering right now"),
        (Fault::Slow(TIMEOUT), "not answering right now"),
    ] {
        rook().behave(&user, rook::Behaviour::failing(Call::Revoke, fault.clone()));
        click_action(&root, "dexcom").await;
        browser.confirm_disconnect().await;
        let notice = wait_for_notice(&browser, "did not work").await;
        assert!(notice.contains("Dexcom is still connected"), "{notice}");
        assert!(notice.contains(reason), "{fault:?}: {notice}");
        wait_for_status(&browser, "dexcom", "connected").await;
    }
    browser.screenshot("fault-still-connected").await;

    // The aggregator is back: the same button now works.
    rook().behave(&user, rook::Behaviour::default());
    click_action(&root, "dexcom").await;
    browser.confirm_disconnect().await;
    wait_for_notice(&browser, "disconnected").await;
    wait_for_status(&browser, "dexcom", "disconnected").await;
    assert_eq!(
        audit(Edge::Rook, &user).await,
        [
            row("connect", "connected", "user"),
            row("disconnect", "failed", "user"),
            row("disconnect", "failed", "user"),
            row("disconnect", "failed", "user"),
            row("disconnect", "disconnected", "user"),
        ]
    );
    browser.close().await;

    // A revoke Thryve runs in the background: the widget says it is on
    // its way, and a second press changes nothing.
    let (user, session) = user_with(
        "fault-widget-pending",
        thryve::Behaviour {
            revoke: Revoke::NoResult,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(connect(Edge::Thryve, &session, "polar").await, "connected");
    let browser = Browser::start().await;
    let page = page_for(Edge::Thryve, "/faults-pending.html", &session);
    browser.client.goto(&page).await.expect("open host page");
    wait_for_status(&browser, "polar", "connected").await;
    let root = browser.widget(0).await;
    for _ in 0..2 {
        click_action(&root, "polar").await;
        browser.confirm_disconnect().await;
        wait_for_notice(&browser, "being disconnected").await;
        wait_for_status(&browser, "polar", "pending").await;
    }
    browser.screenshot("fault-pending").await;
    assert_eq!(
        audit(Edge::Thryve, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "pending", "user"),
        ]
    );
    browser.close().await;
}
