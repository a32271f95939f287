//! Connect and disconnect in the browser, through the sandbox consent page:
//! popup and redirect, Allow and Deny, as a person clicks them.

use fantoccini::Locator;
use healthlink_tests::browser::{
    Browser, UI_TIMEOUT, by_test_id, click_action, consent, wait_for_notice, wait_for_status,
    wait_until_shown,
};
use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::host::{embed_page_with_head, serve_page};
use healthlink_tests::unique;
use healthlink_tests::wait::eventually;

async fn host_page(path: &str, flow: &str) -> String {
    host_page_with_head(path, flow, "").await
}

async fn host_page_with_head(path: &str, flow: &str, extra_head: &str) -> String {
    host_page_on(Edge::Sandbox, path, flow, extra_head).await
}

/// A host page embedding the widget of `edge`, with a session minted there.
async fn host_page_on(edge: Edge, path: &str, flow: &str, extra_head: &str) -> String {
    let session = edge.session_for(&unique("browser-flow")).await;
    let attributes = format!(
        "edge=\"{}\" session=\"{session}\" flow=\"{flow}\"",
        edge.base()
    );
    serve_page(
        path,
        embed_page_with_head("Host app", edge.base(), &attributes, extra_head),
    )
}

/// Clicks the row's action, answers the popup's consent page, and returns to
/// the host page's window.
async fn popup_flow(browser: &Browser, source: &str, allow: bool) {
    let main = browser.client.window().await.expect("main window");
    let root = browser.widget(0).await;
    click_action(&root, source).await;
    browser.switch_to_popup(&main).await;
    consent(browser, allow).await;
    browser
        .client
        .switch_to_window(main)
        .await
        .expect("back to the host page");
}

#[tokio::test]
async fn popup_flow_allow_connects_and_deny_changes_nothing() {
    let page = host_page("/popup.html", "popup").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    popup_flow(&browser, "oura", true).await;
    wait_for_notice(&browser, "Oura is connected.").await;
    wait_for_status(&browser, "oura", "connected").await;
    browser.screenshot("popup-connected").await;

    popup_flow(&browser, "garmin", false).await;
    wait_for_notice(&browser, "Garmin was not connected").await;
    wait_for_status(&browser, "garmin", "disconnected").await;
    browser.close().await;
}

#[tokio::test]
async fn redirect_flow_returns_to_the_page_and_disconnect_works() {
    let page = host_page("/redirect.html", "redirect").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let root = browser.widget(0).await;
    click_action(&root, "fitbit").await;
    consent(&browser, true).await;
    wait_for_notice(&browser, "Fitbit is connected.").await;
    wait_for_status(&browser, "fitbit", "connected").await;
    let current = browser.client.current_url().await.expect("url");
    assert!(
        !current.as_str().contains("healthlink_"),
        "result parameters are removed: {current}"
    );
    browser.screenshot("redirect-connected").await;

    let root = browser.widget(0).await;
    click_action(&root, "fitbit").await;
    browser.confirm_disconnect().await;
    wait_for_notice(&browser, "Fitbit is disconnected.").await;
    wait_for_status(&browser, "fitbit", "disconnected").await;

    let root = browser.widget(0).await;
    click_action(&root, "polar").await;
    consent(&browser, false).await;
    wait_for_notice(&browser, "Polar was not connected").await;
    wait_for_status(&browser, "polar", "disconnected").await;
    browser.close().await;
}

#[tokio::test]
async fn a_blocked_popup_falls_back_to_the_redirect_flow() {
    // A popup blocker makes `window.open` return null; play one.
    let blocker = "<script>window.open = () => null;</script>";
    let page = host_page_with_head("/blocked.html", "popup", blocker).await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let root = browser.widget(0).await;
    click_action(&root, "withings").await;
    // No popup: this window itself goes to the consent page and comes back.
    consent(&browser, true).await;
    wait_for_notice(&browser, "Withings is connected.").await;
    wait_for_status(&browser, "withings", "connected").await;
    assert_eq!(
        browser.client.windows().await.unwrap().len(),
        1,
        "no popup was opened"
    );
    browser.close().await;
}

#[tokio::test]
async fn closing_the_popup_early_says_so_and_changes_nothing() {
    let page = host_page("/closed.html", "popup").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let main = browser.client.window().await.expect("main window");

    let root = browser.widget(0).await;
    click_action(&root, "strava").await;
    browser.switch_to_popup(&main).await;
    consent_page_loaded(&browser).await;
    browser
        .client
        .close_window()
        .await
        .expect("close the popup");
    browser
        .client
        .switch_to_window(main)
        .await
        .expect("back to the host page");

    wait_for_notice(
        &browser,
        "window was closed before finishing. Nothing changed.",
    )
    .await;
    wait_for_status(&browser, "strava", "disconnected").await;
    let root = browser.widget(0).await;
    let button = by_test_id(&root, "source-action")
        .await
        .expect("buttons are back");
    assert!(
        button.is_enabled().await.unwrap(),
        "the row is usable again"
    );
    browser.close().await;
}

/// Waits until the current window shows the consent page.
async fn consent_page_loaded(browser: &Browser) {
    eventually("the consent page", UI_TIMEOUT, || async {
        browser
            .client
            .find(Locator::Id("allow"))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
}

/// The emulated providers approve without a click, so a flow is: click,
/// and watch the widget.
#[tokio::test]
async fn thryve_redirect_flow_in_the_browser() {
    let page = host_page_on(Edge::Thryve, "/thryve.html", "redirect", "").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let root = browser.widget(0).await;
    click_action(&root, "garmin").await;
    wait_for_notice(&browser, "Garmin is connected.").await;
    wait_for_status(&browser, "garmin", "connected").await;
    let current = browser.client.current_url().await.expect("url");
    assert!(
        current
            .as_str()
            .starts_with(&healthlink_tests::env().host_origin())
    );
    browser.screenshot("thryve-connected").await;

    let root = browser.widget(0).await;
    click_action(&root, "garmin").await;
    browser.confirm_disconnect().await;
    wait_for_notice(&browser, "Garmin is disconnected.").await;
    wait_for_status(&browser, "garmin", "disconnected").await;
    browser.close().await;
}

#[tokio::test]
async fn rook_popup_flow_in_the_browser() {
    let page = host_page_on(Edge::Rook, "/rook.html", "popup", "").await;
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");

    let root = browser.widget(0).await;
    click_action(&root, "whoop").await;
    // ROOK's return carries no result: the edge asked the authorizer.
    wait_for_notice(&browser, "WHOOP is connected.").await;
    wait_for_status(&browser, "whoop", "connected").await;
    browser.screenshot("rook-connected").await;
    browser.close().await;
}

#[tokio::test]
async fn a_failed_disconnect_shows_disconnecting_then_rolls_back_with_a_reason() {
    use std::collections::HashMap;
    use std::time::Duration;

    use healthlink_tests::emulators::Fault;
    use healthlink_tests::emulators::rook::{Behaviour, Call, rook};
    use healthlink_tests::host::embed_page;

    let user = unique("rollback");
    let session = Edge::Rook.session_for(&user).await;
    rook().set_authorized(&user, "Whoop", true);
    // ROOK takes longer than the edge's 2 s limit: the edge gives up (503).
    rook().behave(
        &user,
        Behaviour {
            faults: HashMap::from([(Call::Revoke, Fault::Slow(Duration::from_secs(4)))]),
            ..Behaviour::default()
        },
    );
    let attributes = format!("edge=\"{}\" session=\"{session}\"", Edge::Rook.base());
    let page = serve_page(
        "/rollback.html",
        embed_page("Host app", Edge::Rook.base(), &attributes),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    wait_for_status(&browser, "whoop", "connected").await;
    let root = browser.widget(0).await;
    click_action(&root, "whoop").await;
    browser.confirm_disconnect().await;

    // At once, before the edge answers: the row says so.
    let badge = root
        .find(Locator::Css(
            "[data-source=whoop] [data-testid=source-status]",
        ))
        .await
        .expect("the badge");
    eventually("the optimistic badge", UI_TIMEOUT, || async {
        let text = badge.text().await.map_err(|e| e.to_string())?;
        (text == "Disconnecting…").then_some(()).ok_or(text)
    })
    .await;
    browser.screenshot("disconnecting").await;

    // Then back as it was, with a reason a person understands.
    let notice = wait_for_notice(&browser, "did not work").await;
    assert_eq!(
        notice,
        "Disconnecting WHOOP did not work. WHOOP is still connected. The data service is not \
         answering right now. Please try again in a few minutes."
    );
    assert_eq!(badge.text().await.unwrap(), "Connected");
    wait_for_status(&browser, "whoop", "connected").await;
    assert!(rook().is_authorized(&user, "Whoop"));
    browser.close().await;
}

/// A source with a purpose line (`HEALTHLINK_CONSENT_PURPOSES` of the
/// sandbox edge: Dexcom) shows it before its flow opens: Cancel opens
/// nothing, Continue opens the popup from its own click, and the connect
/// row in the trail names the consent text version the user was shown.
#[tokio::test]
async fn a_purpose_line_comes_before_the_flow_and_its_version_is_recorded() {
    use healthlink_shared::AuditPage;
    use reqwest::Method;

    let user = unique("browser-purpose");
    let session = Edge::Sandbox.session_for(&user).await;
    let attributes = format!(
        "edge=\"{}\" session=\"{session}\" flow=\"popup\"",
        Edge::Sandbox.base()
    );
    let page = serve_page(
        "/purpose.html",
        embed_page_with_head("Host app", Edge::Sandbox.base(), &attributes, ""),
    );
    let browser = Browser::start().await;
    browser.client.goto(&page).await.expect("open host page");
    let main = browser.client.window().await.expect("main window");
    let purpose = &healthlink_tests::env().consent_purposes["dexcom"];

    // Cancel: no window opens, nothing changes, focus is back on the row.
    let root = browser.widget(0).await;
    click_action(&root, "dexcom").await;
    let text = wait_until_shown(&root, "purpose-text").await;
    assert_eq!(text.text().await.unwrap(), *purpose);
    let dialog = by_test_id(&root, "purpose-dialog").await.unwrap();
    let title = dialog.find(Locator::Css("h3")).await.unwrap();
    assert_eq!(title.text().await.unwrap(), "Connect Dexcom?");
    browser.assert_accessible("the purpose dialog").await;
    browser.screenshot("purpose-dialog").await;
    by_test_id(&root, "purpose-cancel")
        .await
        .unwrap()
        .click()
        .await
        .expect("Cancel");
    eventually("the dialog to close", UI_TIMEOUT, || async {
        match dialog.is_displayed().await {
            Ok(false) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(browser.client.windows().await.unwrap().len(), 1);
    wait_for_status(&browser, "dexcom", "disconnected").await;

    // A source without a line goes straight to its flow.
    click_action(&root, "oura").await;
    browser.switch_to_popup(&main).await;
    consent(&browser, true).await;
    browser.client.switch_to_window(main.clone()).await.unwrap();
    wait_for_notice(&browser, "Oura is connected.").await;

    // Continue: the popup opens and the flow runs as always.
    let root = browser.widget(0).await;
    click_action(&root, "dexcom").await;
    wait_until_shown(&root, "purpose-continue")
        .await
        .click()
        .await
        .expect("Continue");
    browser.switch_to_popup(&main).await;
    consent(&browser, true).await;
    browser.client.switch_to_window(main).await.unwrap();
    wait_for_notice(&browser, "Dexcom is connected.").await;
    wait_for_status(&browser, "dexcom", "connected").await;
    browser.close().await;

    let page: AuditPage =
        Answer::send(Edge::Sandbox.backend(Method::GET, &format!("/v1/users/{user}/audit")))
            .await
            .json();
    let connects: Vec<(&str, Option<&str>)> = page
        .entries
        .iter()
        .filter(|entry| entry.action == "connect")
        .map(|entry| (entry.source.as_str(), entry.consent_version.as_deref()))
        .collect();
    let version = Some(healthlink_tests::env().consent_version.as_str());
    assert_eq!(connects, [("dexcom", version), ("oura", version)]);
}
