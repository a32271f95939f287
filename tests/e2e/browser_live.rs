//! Live updates in Chromium: an open widget follows changes made elsewhere
//! — another tab, the host's backend, the aggregator — without a reload,
//! and says so politely; with WebSockets blocked it still catches up when
//! the tab becomes visible again.

use healthlink_tests::browser::{Browser, click_action, wait_for_notice, wait_for_status};
use healthlink_tests::edge::{Answer, backend, session_for};
use healthlink_tests::host::{embed_page, embed_page_with_head, serve_page};
use healthlink_tests::{env, unique};
use reqwest::Method;

use crate::flow_support::{redirect_body, walk_connect};

async fn connected_user(prefix: &str) -> (String, String) {
    let user = unique(prefix);
    let session = session_for(&user).await;
    let (back, _) = walk_connect(&session, "oura", redirect_body("/settings"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);
    (user, session)
}

fn page(path: &str, session: &str) -> String {
    let edge = &env().edge_url;
    serve_page(
        path,
        embed_page(
            "Host app",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\" flow=\"popup\""),
        ),
    )
}

#[tokio::test]
async fn two_tabs_of_one_user_stay_in_step_without_a_reload() {
    let (user, session) = connected_user("live-tabs").await;
    let first = Browser::start().await;
    let second = Browser::start().await;
    first
        .client
        .goto(&page("/live-a.html", &session))
        .await
        .unwrap();
    second
        .client
        .goto(&page("/live-b.html", &session))
        .await
        .unwrap();
    wait_for_status(&first, "oura", "connected").await;
    wait_for_status(&second, "oura", "connected").await;

    // The first tab disconnects Oura.
    let root = first.widget(0).await;
    click_action(&root, "oura").await;
    first.confirm_disconnect().await;
    wait_for_status(&first, "oura", "disconnected").await;
    // The second follows, and says what changed, politely.
    wait_for_status(&second, "oura", "disconnected").await;
    let notice = wait_for_notice(&second, "Oura is disconnected.").await;
    assert_eq!(notice.trim(), "Oura is disconnected.");

    // The host's backend connects nothing but disconnects; the aggregator
    // (here the sandbox's consent, from elsewhere) connects: both tabs
    // follow each time.
    let (back, _) = walk_connect(&session, "oura", redirect_body("/settings"), true).await;
    assert_eq!(back.status, 303);
    wait_for_status(&first, "oura", "connected").await;
    wait_for_status(&second, "oura", "connected").await;
    wait_for_notice(&second, "Oura is connected.").await;
    let answer = Answer::send(backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/delete"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    wait_for_status(&first, "oura", "disconnected").await;
    wait_for_status(&second, "oura", "disconnected").await;
    second.screenshot("live-second-tab").await;
    second.assert_accessible("after a live update").await;
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn with_websockets_blocked_the_widget_catches_up_when_the_tab_is_seen_again() {
    let (user, session) = connected_user("live-blocked").await;
    let edge = &env().edge_url;
    // A page (or an extension) that takes WebSockets away.
    let page = serve_page(
        "/live-blocked.html",
        embed_page_with_head(
            "No sockets",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\""),
            "<script>window.WebSocket = undefined;</script>",
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.unwrap();
    wait_for_status(&browser, "oura", "connected").await;
    let answer = Answer::send(backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Nothing tells it now; the tab coming back into view does.
    browser
        .client
        .execute(
            "document.dispatchEvent(new Event('visibilitychange', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    wait_for_status(&browser, "oura", "disconnected").await;
    browser.close().await;
}

#[tokio::test]
async fn a_dropped_socket_reconnects_and_nothing_missed_meanwhile_is_lost() {
    let (user, session) = connected_user("live-drop").await;
    let edge = &env().edge_url;
    // The page keeps a hand on the widget's sockets, to cut one.
    let page = serve_page(
        "/live-drop.html",
        embed_page_with_head(
            "Dropped socket",
            edge,
            &format!("edge=\"{edge}\" session=\"{session}\""),
            "<script>window.sockets = []; const Native = window.WebSocket;\
             window.WebSocket = class extends Native {\
               constructor(...args) { super(...args); window.sockets.push(this); } };</script>",
        ),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.unwrap();
    wait_for_status(&browser, "oura", "connected").await;
    let open_sockets = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            client
                .execute(
                    "return window.sockets.filter((s) => s.readyState === 1).length",
                    vec![],
                )
                .await
                .unwrap()
                .as_u64()
                .unwrap()
        }
    };
    healthlink_tests::wait::eventually(
        "the socket open",
        healthlink_tests::browser::UI_TIMEOUT,
        || async {
            if open_sockets(&browser).await == 1 {
                Ok(())
            } else {
                Err("not yet".to_owned())
            }
        },
    )
    .await;
    // The connection drops, and while it is down the source is disconnected
    // elsewhere: no "changed" can reach this widget.
    browser
        .client
        .execute("window.sockets[0].close(4000, 'gone')", vec![])
        .await
        .unwrap();
    let answer = Answer::send(backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // It comes back by itself and reads the list again.
    wait_for_status(&browser, "oura", "disconnected").await;
    let sockets = browser
        .client
        .execute("return window.sockets.length", vec![])
        .await
        .unwrap();
    assert_eq!(sockets, serde_json::json!(2), "one reconnect");
    browser.close().await;
}
